//! The demo set-up: a tenant `demo` whose wallet opens at 50,000.00 XOF, and keys issued the way the
//! keygate server issues them, under maker-checker (a maker creates, another operator approves). Used
//! by `main.rs` when no database is configured, and by the end-to-end tests. It never logs a token: the
//! caller decides whether to show the one it gets back.

use std::sync::Arc;

use keygate_credential::{PlainToken, Token};
use keygate_domain::{
    Actor, ActorId, Clock, Currency, Event, ExpiryRequest, IpAllowList, Key, KeyName, Limits, NewKey, OperatorId,
    Privileges, Reason, Role, RoleSet, ScopeSet, TenantId, TenantName, TenantPolicy, Transition,
};
use keygate_store::{AuditEntry, AuditKind, KeyChange, KeyRecord, KeyWrite, StoreError, Tenant};
use keygate_verifier::Verifier;
use rust_decimal::Decimal;

use crate::wallet::Wallet;

/// The demo distributor.
pub const DEMO_TENANT: &str = "demo";

/// Why the demo could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A literal in this file does not parse (a bug here).
    #[error("demo data is invalid: {0}")]
    Invalid(&'static str),
    /// The lifecycle refused a step.
    #[error("the key lifecycle refused a step")]
    Lifecycle(#[from] keygate_domain::TransitionError),
    /// The store refused or failed.
    #[error("the store failed")]
    Store(#[from] StoreError),
}

/// A key to issue: name, scopes and limits.
#[derive(Debug, Clone)]
pub struct KeyRequest<'a> {
    /// Unique in the tenant.
    pub name: &'a str,
    /// `resource:action` scopes.
    pub scopes: &'a [&'a str],
    /// Its limits.
    pub limits: Limits,
}

/// Limits in XOF: per-operation maximum and daily volume, any client address.
pub fn xof_limits(max_amount: &str, daily_volume: &str) -> Result<Limits, DemoError> {
    let amount = |text: &str| text.parse().map_err(|_| DemoError::Invalid("amount"));
    let xof = Currency::parse("XOF").map_err(|_| DemoError::Invalid("currency"))?;
    Limits::new(Some(xof), Some(amount(max_amount)?), Some(amount(daily_volume)?), IpAllowList::default())
        .map_err(|_| DemoError::Invalid("limits"))
}

/// The seed platform's policy: dual control, live keys enabled.
fn policy() -> TenantPolicy {
    TenantPolicy {
        dual_control: true,
        live_enabled: true,
        max_key_lifetime_days: Some(365),
        allow_never_expiring: false,
    }
}

fn maker() -> Actor {
    Actor::new(ActorId::Operator(OperatorId::from_bytes([1; 16])), RoleSet::of([Role::Maker]))
}

fn checker() -> Actor {
    Actor::new(ActorId::Operator(OperatorId::from_bytes([2; 16])), RoleSet::of([Role::Checker]))
}

/// Creates tenant `id` in the verifier's store.
pub async fn create_tenant(verifier: &Verifier, id: &str) -> Result<TenantId, DemoError> {
    let id = TenantId::parse(id).map_err(|_| DemoError::Invalid("tenant id"))?;
    let now = verifier.clock().now();
    let name = TenantName::parse(id.as_str()).map_err(|_| DemoError::Invalid("tenant name"))?;
    let tenant = Tenant { id: id.clone(), name, policy: policy(), created_at: now, updated_at: now, version: 1 };
    let audit = AuditEntry {
        tenant: id.clone(),
        key: None,
        actor: ActorId::System,
        action: AuditKind::TenantCreated,
        reason: None,
        at: now,
        seq: 0,
    };
    verifier.store().create_tenant(&tenant, &audit).await?;
    Ok(id)
}

/// Issues a live key to `tenant`: the maker creates it, the checker approves it. Returns the key and
/// the token to show its owner once.
pub async fn issue_key(
    verifier: &Verifier,
    tenant: &TenantId,
    request: KeyRequest<'_>,
) -> Result<(Key, PlainToken), DemoError> {
    let token = Token::generate(keygate_domain::Environment::Live);
    let new = NewKey {
        id: token.key_id(),
        tenant: tenant.clone(),
        name: KeyName::parse(request.name).map_err(|_| DemoError::Invalid("key name"))?,
        notes: None,
        environment: keygate_domain::Environment::Live,
        privileges: Privileges {
            scopes: ScopeSet::parse(request.scopes).map_err(|_| DemoError::Invalid("scopes"))?,
            limits: request.limits,
        },
        expiry: ExpiryRequest::Default,
        rotation: None,
    };
    let created = Key::create(new, &maker(), &policy(), verifier.clock().now())?;
    let plain = token.to_plain(verifier.prefix());
    let record = KeyRecord {
        key: created.key.clone(),
        secret_hash: verifier.hasher().hash(token.key_id(), token.secret()),
        masked: plain.masked().to_owned(),
        last_used_at: None,
        last_used_ip: None,
    };
    verifier.store().commit(&[change(KeyWrite::Insert(record), &created, &maker())]).await?;
    let approved = apply(verifier, &created.key, Event::Approve, &checker()).await?;
    Ok((approved, plain))
}

/// Revokes an active key: the maker asks, the checker approves.
pub async fn revoke(verifier: &Verifier, key: &Key) -> Result<Key, DemoError> {
    let reason = Reason::parse("revoked in the demo").map_err(|_| DemoError::Invalid("reason"))?;
    let asked = apply(verifier, key, Event::RequestRevocation { reason }, &maker()).await?;
    apply(verifier, &asked, Event::ApproveRevocation, &checker()).await
}

/// The demo: tenant `demo` and one key holding the three wallet scopes, with the seed's limits
/// (100,000 XOF per operation, 1,000,000 XOF a day). Returns the token to show once.
pub async fn seed(verifier: &Verifier) -> Result<PlainToken, DemoError> {
    let tenant = create_tenant(verifier, DEMO_TENANT).await?;
    let request = KeyRequest {
        name: "POS Integration",
        scopes: &["balance:read", "transactions:read", "operations:write"],
        limits: xof_limits("100000", "1000000")?,
    };
    Ok(issue_key(verifier, &tenant, request).await?.1)
}

/// Wallets in XOF, the demo distributor's opening at 50,000.00.
pub fn wallet(clock: Arc<dyn Clock>) -> Result<Wallet, DemoError> {
    let wallet = Wallet::new(Currency::parse("XOF").map_err(|_| DemoError::Invalid("currency"))?, clock);
    wallet
        .open(&TenantId::parse(DEMO_TENANT).map_err(|_| DemoError::Invalid("tenant id"))?, Decimal::new(5_000_000, 2));
    Ok(wallet)
}

async fn apply(verifier: &Verifier, key: &Key, event: Event, by: &Actor) -> Result<Key, DemoError> {
    let moved = key.apply(event, by, &policy(), verifier.clock().now())?;
    let write = KeyWrite::Update { expected_version: key.version, key: moved.key.clone() };
    verifier.store().commit(&[change(write, &moved, by)]).await?;
    Ok(moved.key)
}

fn change(write: KeyWrite, transition: &Transition, by: &Actor) -> KeyChange {
    let key = &transition.key;
    let audit = AuditEntry {
        tenant: key.tenant.clone(),
        key: Some(key.id),
        actor: by.id,
        action: AuditKind::Key(transition.action),
        reason: transition.reason.clone(),
        at: key.updated_at,
        seq: 0,
    };
    KeyChange { write, audit }
}
