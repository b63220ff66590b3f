//! The demo set-up: a tenant `demo` whose wallet opens at 50,000.00 XOF, and keys issued through
//! keygate's `Management` exactly as the keygate server issues them, under maker-checker (a maker
//! creates, another operator approves). Used by `main.rs` when no database is configured, and by the
//! end-to-end tests. It never logs a token: the caller decides whether to show the one it gets back.

use std::sync::Arc;

use keygate_credential::signing::HmacSecret;
use keygate_credential::{PlainToken, TokenPrefix};
use keygate_domain::{
    Clock, Currency, Environment, Event, ExpiryRequest, IpAllowList, Key, KeyName, Limits, OperatorId, Privileges,
    Reason, Role, RoleSet, ScopeSet, Signing, SigningAlgorithm, TenantId, TenantName,
};
use keygate_verifier::manage::{Caller, KeySpec, ManageError, Management, TenantPatch};
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
    /// keygate refused or failed a step.
    #[error("keygate refused a step: {0}")]
    Manage(#[from] ManageError),
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
    Limits::single(Some(xof), Some(amount(max_amount)?), Some(amount(daily_volume)?), IpAllowList::default())
        .map_err(|_| DemoError::Invalid("limits"))
}

/// Management over the verifier. No system admin token: the demo acts through callers it builds.
fn manage(verifier: &Verifier) -> Result<Management, DemoError> {
    let operators = TokenPrefix::parse("kgop").map_err(|_| DemoError::Invalid("prefix"))?;
    Ok(Management::new(verifier.clone(), operators, None))
}

/// The demo's operators: a maker, a checker and an admin (never the same person).
fn operator(tenant: &TenantId, n: u8, role: Role) -> Caller {
    Caller::operator(OperatorId::from_bytes([n; 16]), tenant.clone(), RoleSet::of([role]))
}

/// Creates tenant `id` with the seed platform's policy: dual control, live keys enabled.
pub async fn create_tenant(verifier: &Verifier, id: &str) -> Result<TenantId, DemoError> {
    let id = TenantId::parse(id).map_err(|_| DemoError::Invalid("tenant id"))?;
    let policy = TenantPatch {
        name: Some(TenantName::parse(id.as_str()).map_err(|_| DemoError::Invalid("tenant name"))?),
        dual_control: Some(true),
        live_enabled: Some(true),
        max_key_lifetime_days: Some(Some(365)),
        allow_never_expiring: Some(false),
        integrator_approvals: None,
        ..TenantPatch::default()
    };
    // A tenant is born narrow: live keys are a widening the system admin asks for and one of the
    // tenant's admins approves (a second person, as for every widening).
    let manage = manage(verifier)?;
    manage.create_tenant(&Caller::system(), policy, id.clone(), Vec::new()).await?;
    manage.approve_policy(&operator(&id, 3, Role::Admin), &id).await?;
    Ok(id)
}

/// A key issued by [`issue_key`]: the key, its bearer token and, where the verifier holds a signing
/// master key, its HMAC signing secret (its `keyid` is the key's id). Show both to the owner once.
pub struct Issued {
    /// The key.
    pub key: Key,
    /// Its bearer token.
    pub token: PlainToken,
    /// Its `hmac-sha256` signing secret, for the routes that require a signed request (cash-out).
    pub signing_secret: Option<HmacSecret>,
}

/// Issues a live key to `tenant`: the maker creates it, the checker approves it. Returns the key, its
/// token and (where the verifier can derive one) its signing secret, to show its owner once.
pub async fn issue_key(verifier: &Verifier, tenant: &TenantId, request: KeyRequest<'_>) -> Result<Issued, DemoError> {
    let spec = KeySpec {
        name: KeyName::parse(request.name).map_err(|_| DemoError::Invalid("key name"))?,
        notes: None,
        account: None,
        environment: Environment::Live,
        privileges: Privileges {
            scopes: ScopeSet::parse(request.scopes).map_err(|_| DemoError::Invalid("scopes"))?,
            limits: request.limits,
        },
        owner: keygate_domain::Owner::default(),
        expiry: ExpiryRequest::Default,
        // Bearer and signed requests both: the wallet takes either on its reads, only a signed one on
        // cash-out.
        signing: verifier
            .signs_hmac()
            .then(|| Signing::new(SigningAlgorithm::HmacSha256, None, true))
            .transpose()
            .map_err(|_| DemoError::Invalid("signing"))?,
    };
    let manage = manage(verifier)?;
    let maker = operator(tenant, 1, Role::Maker);
    let (created, token) = manage.create_key(&maker, tenant, spec).await?;
    let signing_secret = verifier.signing_secret(&created);
    let approved =
        manage.transition(&operator(tenant, 2, Role::Checker), tenant, created.key.id, Event::Approve).await?;
    // Where the tenant reveals secrets after approval, the maker draws the secret now.
    let token = match token {
        Some(token) => token,
        None => manage.reveal_secret(&maker, tenant, created.key.id).await?,
    };
    Ok(Issued { key: approved.key, token, signing_secret })
}

/// Revokes an active key: the maker asks, the checker approves.
pub async fn revoke(verifier: &Verifier, key: &Key) -> Result<Key, DemoError> {
    let reason = Reason::parse("revoked in the demo").map_err(|_| DemoError::Invalid("reason"))?;
    let manage = manage(verifier)?;
    let tenant = &key.tenant;
    manage.transition(&operator(tenant, 1, Role::Maker), tenant, key.id, Event::RequestRevocation { reason }).await?;
    let revoked =
        manage.transition(&operator(tenant, 2, Role::Checker), tenant, key.id, Event::ApproveRevocation).await?;
    Ok(revoked.key)
}

/// The demo: tenant `demo` and one key holding the three wallet scopes, with the seed's limits
/// (100,000 XOF per operation, 1,000,000 XOF a day). Returns the key and its credentials to show once.
pub async fn seed(verifier: &Verifier) -> Result<Issued, DemoError> {
    let tenant = create_tenant(verifier, DEMO_TENANT).await?;
    let request = KeyRequest {
        name: "POS Integration",
        scopes: &["balance:read", "transactions:read", "operations:write"],
        limits: xof_limits("100000", "1000000")?,
    };
    issue_key(verifier, &tenant, request).await
}

/// Wallets in XOF, the demo distributor's opening at 50,000.00.
pub fn wallet(clock: Arc<dyn Clock>) -> Result<Wallet, DemoError> {
    let wallet = Wallet::new(Currency::parse("XOF").map_err(|_| DemoError::Invalid("currency"))?, clock);
    wallet
        .open(&TenantId::parse(DEMO_TENANT).map_err(|_| DemoError::Invalid("tenant id"))?, Decimal::new(5_000_000, 2));
    Ok(wallet)
}
