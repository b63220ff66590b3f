//! A store with two tenants (`acme`, `globex`), a verifier over it on a [`ManualClock`], and keys
//! issued the way the server issues them: `Key::create` and `Key::apply` under maker-checker, committed
//! with their audit entries, the secret hashed with the verifier's own (peppered) hasher.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use keygate_credential::{Pepper, Secret, Token};
use keygate_domain::{
    AccountId, Actor, ActorId, Clock, Currency, Environment, Event, ExpiryRequest, IpAllowList, Key, KeyName, KeyState,
    Limits, ManualClock, NewKey, OperatorId, Privileges, Reason, Role, RoleSet, Scope, ScopeSet, TenantId, TenantName,
    TenantPolicy, Transition,
};
use keygate_store::{AuditEntry, AuditHash, AuditKind, KeyChange, KeyRecord, KeyStore, KeyWrite, Tenant};
use keygate_verifier::{Money, RequestContext, Verified, Verifier, VerifierConfig, VerifyError};

/// A store as the verifier sees it.
pub type Store = Arc<dyn KeyStore>;

/// Two handles on one store: the same object for the in-memory store, two connection pools on one
/// database for PostgreSQL (like two processes sharing it).
#[derive(Clone)]
pub struct Stores {
    /// The first handle.
    pub first: Store,
    /// The second handle.
    pub second: Store,
}

impl Stores {
    /// Both handles are `store`.
    pub fn same(store: Store) -> Self {
        Self { first: store.clone(), second: store }
    }
}

/// Where the clock starts: midday, far from a UTC day boundary unless a test moves it there.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
}

/// The settings every test verifier uses: a pepper (so a hash made without the verifier's hasher
/// would not match) and the default prefix.
pub fn config() -> VerifierConfig {
    VerifierConfig { pepper: Some(Pepper::new(b"pepper for tests".to_vec())), ..VerifierConfig::default() }
}

/// The maker who creates and asks to revoke keys.
pub fn maker() -> Actor {
    Actor::new(ActorId::Operator(OperatorId::from_bytes([1; 16])), RoleSet::of([Role::Maker]))
}

/// The checker who approves (never the maker).
pub fn checker() -> Actor {
    Actor::new(ActorId::Operator(OperatorId::from_bytes([2; 16])), RoleSet::of([Role::Checker]))
}

/// A tenant id.
pub fn tenant_id(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

/// Parsed scopes.
pub fn scopes(texts: &[&str]) -> Vec<Scope> {
    texts.iter().map(|t| Scope::parse(t).unwrap()).collect()
}

/// An amount with a currency (`money("250.00", Some("XOF"))`).
pub fn money(amount: &str, currency: Option<&str>) -> Money {
    Money { amount: amount.parse().unwrap(), currency: currency.map(|c| Currency::parse(c).unwrap()) }
}

/// Limits: currency, per-operation maximum, daily volume, allowed networks.
pub fn limits(currency: Option<&str>, max: Option<&str>, daily: Option<&str>, ips: &[&str]) -> Limits {
    Limits::single(
        currency.map(|c| Currency::parse(c).unwrap()),
        max.map(|m| m.parse().unwrap()),
        daily.map(|d| d.parse().unwrap()),
        IpAllowList::parse(ips.iter().copied()).unwrap(),
    )
    .unwrap()
}

/// A context that checks nothing but the tenant `acme`.
pub fn acme() -> RequestContext {
    RequestContext { tenant: Some(tenant_id("acme")), ..RequestContext::default() }
}

/// An IP address.
pub fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// What a key should look like when issued.
#[derive(Debug, Clone)]
pub struct KeySpec {
    name: String,
    tenant: TenantId,
    account: Option<AccountId>,
    environment: Environment,
    scopes: Vec<String>,
    limits: Limits,
    expires_in_days: u32,
    state: KeyState,
}

impl KeySpec {
    /// An active live key of `acme` holding `balance:read` and `operations:write`, no limits, 30 days.
    pub fn active(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            tenant: tenant_id("acme"),
            account: None,
            environment: Environment::Live,
            scopes: vec!["balance:read".to_owned(), "operations:write".to_owned()],
            limits: Limits::none(),
            expires_in_days: 30,
            state: KeyState::Active,
        }
    }

    /// In another lifecycle state (reached through the lifecycle, never written directly).
    #[must_use]
    pub fn state(mut self, state: KeyState) -> Self {
        self.state = state;
        self
    }

    /// Of another tenant.
    #[must_use]
    pub fn tenant(mut self, tenant: &str) -> Self {
        self.tenant = tenant_id(tenant);
        self
    }

    /// Bound to this account of its tenant.
    #[must_use]
    pub fn account(mut self, account: &str) -> Self {
        self.account = Some(AccountId::parse(account).unwrap());
        self
    }

    /// Of another environment.
    #[must_use]
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// With these scopes instead.
    #[must_use]
    pub fn scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// With these limits.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Expiring this many days after creation.
    #[must_use]
    pub fn expires_in_days(mut self, days: u32) -> Self {
        self.expires_in_days = days;
        self
    }
}

/// An issued key and the token text its owner was shown.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The key as stored.
    pub key: Key,
    /// The whole token text.
    pub token: String,
}

impl Issued {
    /// The token with its key id but another secret (a correct checksum, a wrong secret).
    pub fn with_wrong_secret(&self, verifier: &Verifier) -> String {
        let forged = Token::new(self.key.environment, self.key.id, Secret::from_bytes([7; 32]));
        forged.to_plain(verifier.prefix()).expose().to_owned()
    }
}

/// A store with tenants `acme` and `globex`, a verifier over it and the clock it reads.
pub struct Harness {
    /// The store the keys are written to.
    pub store: Store,
    /// The verifier's clock, stopped at [`t0`] until a test moves it.
    pub clock: Arc<ManualClock>,
    /// The verifier under test.
    pub verifier: Verifier,
    /// The tenants' policy (dual control, live keys enabled).
    pub policy: TenantPolicy,
}

impl Harness {
    /// Tenants `acme` and `globex` in `store`, a verifier with [`config`].
    pub async fn start(store: Store) -> Self {
        Self::start_with(store, config()).await
    }

    /// The same with other verifier settings.
    pub async fn start_with(store: Store, config: VerifierConfig) -> Self {
        let policy = TenantPolicy {
            dual_control: true,
            live_enabled: true,
            max_key_lifetime_days: None,
            allow_never_expiring: false,
            integrator_approvals: false,
            ..TenantPolicy::narrowest()
        };
        for id in ["acme", "globex"] {
            let tenant = Tenant {
                id: tenant_id(id),
                name: TenantName::parse(id).unwrap(),
                policy: policy.clone(),
                pending_policy: None,
                timezone_change: None,
                created_at: t0(),
                updated_at: t0(),
                version: 1,
            };
            let audit = AuditEntry::new(&tenant.id, None, ActorId::System, AuditKind::TenantCreated, t0());
            store.create_tenant(&tenant, &[], &[audit]).await.unwrap();
        }
        let clock = Arc::new(ManualClock::new(t0()));
        let verifier = Verifier::new(store.clone(), config, clock.clone());
        Self { store, clock, verifier, policy }
    }

    /// Another verifier, over another handle on the same store, with the same settings and clock (a
    /// second service process).
    pub fn second_verifier(&self, store: Store) -> Verifier {
        Verifier::new(store, config(), self.clock.clone())
    }

    /// Creates a key as `spec` says and walks it to its state through the lifecycle.
    pub async fn issue(&self, spec: KeySpec) -> Issued {
        let token = Token::generate(spec.environment);
        let new = NewKey {
            id: token.key_id(),
            tenant: spec.tenant.clone(),
            account: spec.account.clone(),
            name: KeyName::parse(&spec.name).unwrap(),
            notes: None,
            environment: spec.environment,
            privileges: Privileges { scopes: ScopeSet::parse(&spec.scopes).unwrap(), limits: spec.limits.clone() },
            expiry: ExpiryRequest::InDays(spec.expires_in_days),
            rotation: None,
            owner: keygate_domain::Owner::default(),
        };
        let now = self.clock.now();
        let created = Key::create(new, &maker(), &self.policy, now).unwrap();
        let plain = token.to_plain(self.verifier.prefix());
        let record = KeyRecord {
            key: created.key.clone(),
            secret_hash: Some(self.verifier.hasher().hash(token.key_id(), token.secret())),
            masked: Some(plain.masked().into()),
            signing: None,
            last_used_at: None,
            last_used_ip: None,
        };
        self.store.commit(&[change(KeyWrite::Insert(record), &created, &maker())]).await.unwrap();
        let mut key = created.key;
        let path: &[(Event, Actor)] = &match spec.state {
            KeyState::PendingApproval => vec![],
            KeyState::Active => vec![(Event::Approve, checker())],
            KeyState::Rejected => vec![(Event::Reject { reason: reason("not needed") }, checker())],
            KeyState::RevocationPending => {
                vec![(Event::Approve, checker()), (Event::RequestRevocation { reason: reason("rotating") }, maker())]
            }
            KeyState::Revoked => vec![
                (Event::Approve, checker()),
                (Event::RequestRevocation { reason: reason("leaked") }, maker()),
                (Event::ApproveRevocation, checker()),
            ],
            KeyState::Suspended => {
                vec![(Event::Approve, checker()), (Event::Suspend { reason: reason("leaked") }, checker())]
            }
        };
        for (event, by) in path {
            key = self.apply(&key, event.clone(), by).await;
        }
        Issued { key, token: plain.expose().to_owned() }
    }

    /// Applies `event` by `by` now and commits it; returns the key after it.
    pub async fn apply(&self, key: &Key, event: Event, by: &Actor) -> Key {
        let moved = key.apply(event, by, &self.policy, self.clock.now()).unwrap();
        let write = KeyWrite::Update { expected_version: key.version, key: moved.key.clone() };
        self.store.commit(&[change(write, &moved, by)]).await.unwrap();
        moved.key
    }

    /// Revokes an active key: the maker asks, the checker approves.
    pub async fn revoke(&self, key: &Key) -> Key {
        let asked = self.apply(key, Event::RequestRevocation { reason: reason("leaked") }, &maker()).await;
        self.apply(&asked, Event::ApproveRevocation, &checker()).await
    }

    /// Verifies `token` against `ctx`.
    pub async fn verify(&self, token: &str, ctx: &RequestContext) -> Result<Verified, VerifyError> {
        self.verifier.verify(token.as_bytes(), ctx).await
    }

    /// Waits for the change notices of the keys just issued: PostgreSQL delivers them asynchronously,
    /// and one arriving after a key was cached would evict it. Call before relying on a cached key.
    pub async fn settle(&self) {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    /// Moves the clock.
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// The refusal of a spend past the day's volume (the tenants are in UTC), at the clock's instant.
    pub fn daily_exceeded(&self, remaining: rust_decimal::Decimal) -> keygate_verifier::Denial {
        let now = keygate_domain::Clock::now(&*self.clock);
        let retry_after = keygate_domain::retry_after(keygate_domain::Timezone::UTC, now, keygate_domain::Window::Day);
        keygate_verifier::Denial::VolumeExceeded { window: keygate_domain::Window::Day, remaining, retry_after }
    }
}

fn change(write: KeyWrite, transition: &Transition, by: &Actor) -> KeyChange {
    let key = &transition.key;
    let audit = AuditEntry {
        tenant: key.tenant.clone(),
        key: Some(key.id),
        actor: by.id,
        action: AuditKind::Key(transition.action),
        reason: transition.reason.clone(),
        details: None,
        at: key.updated_at,
        seq: 0,
        hash: AuditHash::ZERO,
    };
    KeyChange { write, audit }
}

fn reason(text: &str) -> Reason {
    Reason::parse(text).unwrap()
}

/// Waits until `condition` holds, checking every 20 ms, for at most `limit`; returns how long it took
/// or `None` if it never held.
pub async fn within<F, Fut>(limit: Duration, mut condition: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    loop {
        if condition().await {
            return Some(started.elapsed());
        }
        if started.elapsed() >= limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
