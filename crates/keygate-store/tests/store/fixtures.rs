//! Builders for the conformance suite: valid records with one thing changed per test.

use chrono::{DateTime, Duration, TimeZone, Utc};
use keygate_credential::SecretHash;
use keygate_credential::{SecretHasher, Token, TokenPrefix};
use keygate_domain::{
    Actor, ActorId, Currency, CurrencyTable, Email, Environment, Event, InvitationTerms, IpAllowList, Key, KeyId,
    KeyName, Limits, NewKey, OperatorAccount, OperatorAction, OperatorId, OperatorName, OperatorState, Privileges,
    Reason, Role, RoleSet, ScopeSet, TenantId, TenantName, TenantPolicy, Timezone, Transition,
};
use keygate_store::{AuditEntry, AuditHash, AuditKind, KeyChange, KeyRecord, KeyStore, KeyWrite, Operator, Tenant};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 30, 0).unwrap() + Duration::microseconds(123_456)
}

pub fn tenant_id(id: &str) -> TenantId {
    TenantId::parse(id).unwrap()
}

pub fn tenant(id: &str) -> Tenant {
    Tenant {
        id: tenant_id(id),
        name: TenantName::parse(&format!("Tenant {id}")).unwrap(),
        policy: TenantPolicy {
            dual_control: true,
            live_enabled: true,
            max_key_lifetime_days: Some(400),
            allow_never_expiring: false,
            integrator_approvals: false,
            timezone: Timezone::UTC,
            currencies: CurrencyTable::empty(),
            on_leak: keygate_domain::OnLeak::SuspendAndRevoke,
            name_mutable: true,
            require_account: false,
            reveal: keygate_domain::RevealPolicy::OnCreate,
            reveal_window_hours: keygate_domain::RevealWindow::hours(5).unwrap(),
            scope_catalogue: None,
            webhook_expiry_lead_days: keygate_domain::webhook::ExpiryLead::DEFAULT,
            signature_skew_seconds: keygate_domain::SignatureSkew::DEFAULT,
        },
        pending_policy: None,
        timezone_change: None,
        created_at: now(),
        updated_at: now(),
        version: 1,
    }
}

pub fn audit(tenant: &TenantId, key: Option<KeyId>, actor: ActorId, action: AuditKind) -> AuditEntry {
    AuditEntry::new(tenant, key, actor, action, now())
}

pub async fn given_tenant(store: &dyn KeyStore, id: &str) -> Tenant {
    let t = tenant(id);
    store.create_tenant(&t, &[], &[audit(&t.id, None, ActorId::System, AuditKind::TenantCreated)]).await.unwrap();
    t
}

pub fn operator_id(n: u8) -> OperatorId {
    OperatorId::from_bytes([n; 16])
}

pub fn actor(n: u8, roles: &[Role]) -> Actor {
    Actor::new(ActorId::Operator(operator_id(n)), RoleSet::of(roles.iter().copied()))
}

pub fn maker() -> Actor {
    actor(1, &[Role::Maker])
}

pub fn checker(n: u8) -> Actor {
    actor(n, &[Role::Checker])
}

/// A 32-byte hash of a fresh random secret (a token's, or an invitation half's).
pub fn fresh_hash() -> SecretHash {
    let token = Token::generate(Environment::Live);
    SecretHasher::new(None).hash(token.key_id(), token.secret())
}

/// An active operator (checker and auditor) holding a token, created by the system admin.
pub fn operator(tenant: &TenantId, n: u8, email: &str) -> Operator {
    Operator {
        account: OperatorAccount {
            id: operator_id(n),
            tenant: tenant.clone(),
            roles: RoleSet::of([Role::Checker, Role::Auditor]),
            state: OperatorState::Active,
            created_by: ActorId::System,
            created_for: ActorId::System,
            approved_by: None,
            request: None,
            invitation: None,
            claimed_at: Some(now()),
            created_at: now(),
            updated_at: now(),
            version: 1,
        },
        name: OperatorName::parse("Ada Checker").unwrap(),
        email: Email::parse(email).unwrap(),
        token_hash: Some(fresh_hash()),
        invitation_hashes: [None, None],
        last_seen_at: None,
    }
}

/// An admin invited by the system admin, holding a whole invitation code and no token yet.
pub fn invited_admin(tenant: &TenantId, n: u8, email: &str) -> Operator {
    let mut admin = operator(tenant, n, email);
    admin.account.roles = RoleSet::of([Role::Admin]);
    admin.account.state = OperatorState::Invited;
    admin.account.claimed_at = None;
    admin.account.invitation = Some(InvitationTerms { halves: 1, expires_at: now() + Duration::hours(72) });
    admin.token_hash = None;
    admin.invitation_hashes = [Some(fresh_hash()), None];
    admin
}

/// An audit entry about an operator.
pub fn operator_audit(o: &Operator, actor: ActorId, action: OperatorAction) -> AuditEntry {
    audit(o.tenant(), None, actor, AuditKind::Operator(action))
}

pub fn rich_privileges() -> Privileges {
    Privileges {
        scopes: ScopeSet::parse(["balance:read", "operations:write", "payouts:*"]).unwrap(),
        limits: Limits::single(
            Some(Currency::parse("XOF").unwrap()),
            Some("100000.25".parse().unwrap()),
            Some("1000000.000000000000000001".parse().unwrap()),
            IpAllowList::parse(["192.168.1.100", "10.0.0.0/8", "2001:db8::/32"]).unwrap(),
        )
        .unwrap(),
    }
}

pub fn daily_limit(amount: &str) -> Privileges {
    Privileges {
        scopes: ScopeSet::parse(["operations:write"]).unwrap(),
        limits: Limits::single(
            Some(Currency::parse("XOF").unwrap()),
            None,
            Some(amount.parse().unwrap()),
            IpAllowList::default(),
        )
        .unwrap(),
    }
}

/// A freshly created key record (pending under dual control), as the server would build it.
pub fn new_key(tenant: &Tenant, name: &str, privileges: Privileges, at: DateTime<Utc>) -> (KeyRecord, Transition) {
    let token = Token::generate(Environment::Live);
    let new = NewKey {
        id: token.key_id(),
        tenant: tenant.id.clone(),
        account: None,
        name: KeyName::parse(name).unwrap(),
        notes: None,
        environment: Environment::Live,
        privileges,
        expiry: keygate_domain::ExpiryRequest::InDays(30),
        rotation: None,
        owner: keygate_domain::Owner::default(),
    };
    let t = Key::create(new, &maker(), &tenant.policy, at).unwrap();
    let plain = token.to_plain(&TokenPrefix::default());
    let record = KeyRecord {
        key: t.key.clone(),
        secret_hash: Some(SecretHasher::new(None).hash(token.key_id(), token.secret())),
        masked: Some(plain.masked().into()),
        signing: None,
        last_used_at: None,
        last_used_ip: None,
    };
    (record, t)
}

pub fn insert(record: &KeyRecord, t: &Transition) -> KeyChange {
    KeyChange {
        write: KeyWrite::Insert(record.clone()),
        audit: AuditEntry {
            tenant: record.key.tenant.clone(),
            key: Some(record.key.id),
            actor: t.key.created_by,
            action: AuditKind::Key(t.action),
            reason: t.reason.clone(),
            details: None,
            at: t.key.updated_at,
            seq: 0,
            hash: AuditHash::ZERO,
        },
    }
}

pub fn update(before: &Key, t: &Transition, by: &Actor) -> KeyChange {
    KeyChange {
        write: KeyWrite::Update { expected_version: before.version, key: t.key.clone() },
        audit: AuditEntry {
            tenant: before.tenant.clone(),
            key: Some(before.id),
            actor: by.id,
            action: AuditKind::Key(t.action),
            reason: t.reason.clone(),
            details: None,
            at: t.key.updated_at,
            seq: 0,
            hash: AuditHash::ZERO,
        },
    }
}

/// Creates a key and, if `approve`, has checker 2 approve it. Returns the stored key.
pub async fn given_key(
    store: &dyn KeyStore,
    tenant: &Tenant,
    name: &str,
    privileges: Privileges,
    approve: bool,
) -> Key {
    let (record, t) = new_key(tenant, name, privileges, now());
    store.commit(&[insert(&record, &t)]).await.unwrap();
    if !approve {
        return record.key;
    }
    let approved = record.key.apply(Event::Approve, &checker(2), &tenant.policy, now()).unwrap();
    store.commit(&[update(&record.key, &approved, &checker(2))]).await.unwrap();
    approved.key
}

pub fn reason(text: &str) -> Reason {
    Reason::parse(text).unwrap()
}
