//! Keys issued straight into a store, the way keygate's management issues them (maker, policy, hash
//! with the verifier's hasher, masked form, audit entry), for the in-process probes. Benchmark-only.

use keygate_credential::Token;
use keygate_domain::{
    Actor, ActorId, Currency, Environment, ExpiryRequest, IpAllowList, Key, KeyId, KeyName, Limits, NewKey, OperatorId,
    Privileges, Role, RoleSet, ScopeSet, TenantId, TenantName, TenantPolicy,
};
use keygate_store::{AuditEntry, AuditKind, KeyChange, KeyRecord, KeyWrite, Tenant};
use keygate_verifier::Verifier;

/// The benchmark tenant's policy: no dual control (keys are active at once), live keys enabled.
pub fn policy() -> TenantPolicy {
    TenantPolicy {
        dual_control: false,
        live_enabled: true,
        max_key_lifetime_days: None,
        allow_never_expiring: false,
        integrator_approvals: false,
        ..TenantPolicy::narrowest()
    }
}

/// Creates tenant `id` in the verifier's store.
pub async fn create_tenant(verifier: &Verifier, id: &str) -> Result<TenantId, String> {
    let tenant = TenantId::parse(id).map_err(|e| e.to_string())?;
    let now = verifier.clock().now();
    let name = TenantName::parse(id).map_err(|e| e.to_string())?;
    let record = Tenant {
        id: tenant.clone(),
        name,
        policy: policy(),
        pending_policy: None,
        timezone_change: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let audit = audit(&tenant, None, ActorId::System, AuditKind::TenantCreated, now);
    verifier.store().create_tenant(&record, &[], &[audit]).await.map_err(|e| e.to_string())?;
    Ok(tenant)
}

/// Active key number `n` as management issues it (scopes `balance:read operations:write`, XOF with a
/// daily volume of 10^14, 90 days), ready to commit; and its token.
pub fn active_key(verifier: &Verifier, tenant: &TenantId, n: usize) -> Result<(KeyChange, Token), String> {
    let maker = Actor::new(ActorId::Operator(OperatorId::from_bytes([1; 16])), RoleSet::of([Role::Maker]));
    let token = Token::generate(Environment::Live);
    let xof = Currency::parse("XOF").map_err(|e| e.to_string())?;
    let volume = "100000000000000".parse().map_err(|_| "bad volume".to_owned())?;
    let limits = Limits::single(Some(xof), None, Some(volume), IpAllowList::default()).map_err(|e| e.to_string())?;
    let new = NewKey {
        id: token.key_id(),
        tenant: tenant.clone(),
        account: None,
        name: KeyName::parse(&format!("key-{n}")).map_err(|e| e.to_string())?,
        notes: None,
        environment: Environment::Live,
        privileges: Privileges {
            scopes: ScopeSet::parse(["balance:read", "operations:write"]).map_err(|e| e.to_string())?,
            limits,
        },
        expiry: ExpiryRequest::InDays(90),
        rotation: None,
        owner: keygate_domain::Owner::default(),
    };
    let now = verifier.clock().now();
    let created = Key::create(new, &maker, &policy(), now).map_err(|e| e.to_string())?;
    let plain = token.to_plain(verifier.prefix());
    let record = KeyRecord {
        key: created.key.clone(),
        secret_hash: Some(verifier.hasher().hash(token.key_id(), token.secret())),
        masked: Some(plain.masked().into()),
        signing: None,
        last_used_at: None,
        last_used_ip: None,
    };
    let audit = audit(tenant, Some(created.key.id), maker.id, AuditKind::Key(created.action), now);
    Ok((KeyChange { write: KeyWrite::Insert(record), audit }, token))
}

fn audit(
    tenant: &TenantId,
    key: Option<KeyId>,
    actor: ActorId,
    action: AuditKind,
    at: chrono::DateTime<chrono::Utc>,
) -> AuditEntry {
    AuditEntry::new(tenant, key, actor, action, at)
}
