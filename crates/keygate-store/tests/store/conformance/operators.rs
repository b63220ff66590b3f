//! Operator accounts' behaviours: every field of an account survives the round trip, an update is a
//! compare-and-set on the account's version with its audit entry, and a tenant is created with its
//! first admins all or nothing.

use chrono::Duration;
use keygate_domain::{
    ActorId, InvitationTerms, OperatorAction, OperatorRequest, OperatorState, RequestKind, Role, RoleSet,
};
use keygate_store::{AuditChainReport, AuditKind, Operator, StoreError};

use super::Store;
use crate::fixtures::*;

fn admin_actor(n: u8) -> ActorId {
    ActorId::Operator(operator_id(n))
}

/// An account in the middle of its life: pending a roles widening asked by admin 20 for person 21,
/// approved by admin 22, holding a two-half invitation and both halves' hashes, seen once.
fn busy_operator(tenant: &keygate_domain::TenantId, n: u8, email: &str) -> Operator {
    let mut o = operator(tenant, n, email);
    o.account.state = OperatorState::Invited;
    o.account.created_by = admin_actor(20);
    o.account.created_for = admin_actor(21);
    o.account.approved_by = Some(admin_actor(22));
    o.account.request = Some(OperatorRequest {
        kind: RequestKind::Roles(RoleSet::of([Role::Maker, Role::Auditor])),
        requested_by: admin_actor(20),
        requested_for: admin_actor(21),
        requested_at: now() + Duration::seconds(3),
    });
    o.account.invitation = Some(InvitationTerms { halves: 2, expires_at: now() + Duration::hours(72) });
    o.account.claimed_at = None;
    o.account.updated_at = now() + Duration::seconds(3);
    o.account.version = 4;
    o.token_hash = None;
    o.invitation_hashes = [Some(fresh_hash()), Some(fresh_hash())];
    o.last_seen_at = Some(now() + Duration::milliseconds(1500));
    o
}

pub async fn an_operator_account_round_trips_every_field(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let mut pending_create = operator(&t.id, 4, "carl@acme.test");
    pending_create.account.state = OperatorState::PendingApproval;
    pending_create.account.request = Some(OperatorRequest {
        kind: RequestKind::Create,
        requested_by: admin_actor(20),
        requested_for: admin_actor(20),
        requested_at: now(),
    });
    pending_create.token_hash = None;
    let mut disabled = operator(&t.id, 5, "dora@acme.test");
    disabled.account.state = OperatorState::Disabled;
    disabled.account.request = Some(OperatorRequest {
        kind: RequestKind::Enable,
        requested_by: ActorId::System,
        requested_for: ActorId::System,
        requested_at: now(),
    });
    disabled.token_hash = None;
    let cases = [
        ("an active operator holding a token", operator(&t.id, 1, "ada@acme.test")),
        ("an invited admin holding a whole code", invited_admin(&t.id, 2, "bob@acme.test")),
        ("a roles request, two halves, both hashes", busy_operator(&t.id, 3, "eve@acme.test")),
        ("a creation waiting for approval", pending_create),
        ("a disabled account asked to be enabled", disabled),
    ];
    for (what, o) in &cases {
        a.create_operator(o, &operator_audit(o, ActorId::System, OperatorAction::Invited)).await.unwrap();
        assert_eq!(&b.operator(o.id()).await.unwrap(), o, "{what}: by id");
    }
    let listed = b.operators(&t.id).await.unwrap();
    let expected: Vec<Operator> = cases.iter().map(|(_, o)| o.clone()).collect();
    assert_eq!(listed, expected, "the tenant's operators, oldest first (same instant: by id)");
}

pub async fn an_operator_update_with_a_stale_version_is_a_conflict_and_writes_nothing(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let invited = invited_admin(&t.id, 1, "ada@acme.test");
    a.create_operator(&invited, &operator_audit(&invited, ActorId::System, OperatorAction::Invited)).await.unwrap();
    let mut claimed = invited.clone();
    claimed.account.state = OperatorState::Active;
    claimed.account.invitation = None;
    claimed.account.claimed_at = Some(now() + Duration::minutes(5));
    claimed.account.updated_at = now() + Duration::minutes(5);
    claimed.account.version = 2;
    claimed.token_hash = Some(fresh_hash());
    claimed.invitation_hashes = [None, None];
    let claim_entry = operator_audit(&claimed, admin_actor(1), OperatorAction::Claimed);
    a.update_operator(&claimed, 1, &claim_entry).await.unwrap();
    assert_eq!(b.operator(invited.id()).await.unwrap(), claimed, "the claim is stored whole");
    let audit_before = b.audit(&t.id, None, None, 1000).await.unwrap().items;

    let mut late = invited.clone();
    late.account.state = OperatorState::Disabled;
    late.account.version = 2;
    let late_entry = operator_audit(&late, ActorId::System, OperatorAction::Disabled);
    let result = b.update_operator(&late, 1, &late_entry).await;
    assert!(matches!(result, Err(StoreError::Conflict)), "a stale version is a conflict: {result:?}");
    assert_eq!(a.operator(invited.id()).await.unwrap(), claimed, "the stored account is unchanged");
    assert_eq!(a.audit(&t.id, None, None, 1000).await.unwrap().items, audit_before, "no audit entry written");

    let ghost = operator(&t.id, 9, "ghost@acme.test");
    let ghost_entry = operator_audit(&ghost, ActorId::System, OperatorAction::Disabled);
    let missing = a.update_operator(&ghost, 1, &ghost_entry).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "an unknown operator is not found: {missing:?}");
    assert!(matches!(b.verify_audit(&t.id).await.unwrap(), AuditChainReport::Valid { entries: 3, .. }));
}

pub async fn concurrent_operator_updates_at_one_version_give_exactly_one_success(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let o = operator(&t.id, 1, "ada@acme.test");
    a.create_operator(&o, &operator_audit(&o, ActorId::System, OperatorAction::Invited)).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..32u8 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let mut next = o.clone();
        next.account.version = 2;
        next.last_seen_at = Some(now() + Duration::seconds(i64::from(i)));
        next.account.roles = if i % 2 == 0 { RoleSet::of([Role::Maker]) } else { RoleSet::of([Role::Auditor]) };
        let entry = operator_audit(&next, admin_actor(10 + i), OperatorAction::RolesChanged);
        tasks.push(tokio::spawn(async move { store.update_operator(&next, 1, &entry).await.map(|()| next) }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(next) => winners.push(next),
            Err(StoreError::Conflict) => {}
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one update wins");
    assert_eq!(a.operator(o.id()).await.unwrap(), winners[0], "the winner's account is stored");
    let log = b.audit(&t.id, None, None, 1000).await.unwrap().items;
    let changes = log.iter().filter(|e| e.action == AuditKind::Operator(OperatorAction::RolesChanged)).count();
    assert_eq!(changes, 1, "the audit log holds exactly one roles change");
}

pub async fn a_tenant_is_created_with_its_first_admins_all_or_nothing(a: Store, b: Store) {
    let t = tenant("acme");
    let admins = [invited_admin(&t.id, 1, "ada@acme.test"), invited_admin(&t.id, 2, "bob@acme.test")];
    let mut entries = vec![audit(&t.id, None, ActorId::System, AuditKind::TenantCreated)];
    entries.extend(admins.iter().map(|o| operator_audit(o, ActorId::System, OperatorAction::Invited)));
    a.create_tenant(&t, &admins, &entries).await.unwrap();
    assert_eq!(b.tenant(&t.id).await.unwrap(), t, "the tenant");
    assert_eq!(b.operators(&t.id).await.unwrap(), admins.to_vec(), "both admins");
    let log: Vec<(u64, AuditKind)> =
        b.audit(&t.id, None, None, 100).await.unwrap().items.iter().rev().map(|e| (e.seq, e.action)).collect();
    let invited = AuditKind::Operator(OperatorAction::Invited);
    assert_eq!(log, [(1, AuditKind::TenantCreated), (2, invited), (3, invited)], "three entries, tenant's first");
    assert!(matches!(b.verify_audit(&t.id).await.unwrap(), AuditChainReport::Valid { entries: 3, .. }));

    let g = tenant("globex");
    let twins = [invited_admin(&g.id, 3, "ops@globex.test"), invited_admin(&g.id, 4, "OPS@globex.test")];
    let mut entries = vec![audit(&g.id, None, ActorId::System, AuditKind::TenantCreated)];
    entries.extend(twins.iter().map(|o| operator_audit(o, ActorId::System, OperatorAction::Invited)));
    let result = b.create_tenant(&g, &twins, &entries).await;
    assert!(matches!(result, Err(StoreError::AlreadyExists)), "an admin's duplicate e-mail: {result:?}");
    assert!(matches!(a.tenant(&g.id).await, Err(StoreError::NotFound)), "no tenant left behind");
    assert!(a.operators(&g.id).await.unwrap().is_empty(), "no admin left behind");
    assert!(matches!(a.operator(twins[0].id()).await, Err(StoreError::NotFound)), "not even the first admin");
    assert!(matches!(a.verify_audit(&g.id).await, Err(StoreError::NotFound)), "no audit entry left behind");

    let taken = [invited_admin(&g.id, 1, "ada@globex.test")];
    let result = b.create_tenant(&g, &taken, &entries[..2]).await;
    assert!(matches!(result, Err(StoreError::AlreadyExists)), "an admin id another tenant has: {result:?}");
    assert!(matches!(a.tenant(&g.id).await, Err(StoreError::NotFound)), "still no tenant");
}
