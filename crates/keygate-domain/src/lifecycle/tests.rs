//! Property tests of the lifecycle against a reference model written as plainly as possible.
//!
//! Each case draws a tenant policy, four operators with random roles and a random sequence of moves
//! (with time passing between them). After every move the implementation must agree with the model on
//! whether the move was allowed and on the resulting state, and the safety invariants must hold. On a
//! failure proptest shrinks to a minimal sequence and prints it.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

use crate::*;

const OPERATORS: usize = 4;

#[derive(Debug, Clone, Copy)]
enum Op {
    Approve,
    Reject,
    Revoke,
    ApproveRevocation,
    RejectRevocation,
    Widen,
    Narrow,
    ApproveChange,
    RejectChange,
    Notes,
    PredecessorRevoked,
    Suspend,
    Resume,
    ApproveResume,
    RejectResume,
    /// Let this many hours pass.
    Wait(u16),
}

#[derive(Debug, Clone, Copy)]
struct Step {
    op: Op,
    by: usize,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Approve),
        1 => Just(Op::Reject),
        2 => Just(Op::Revoke),
        2 => Just(Op::ApproveRevocation),
        1 => Just(Op::RejectRevocation),
        1 => Just(Op::Widen),
        1 => Just(Op::Narrow),
        1 => Just(Op::ApproveChange),
        1 => Just(Op::RejectChange),
        1 => Just(Op::Notes),
        1 => Just(Op::PredecessorRevoked),
        2 => Just(Op::Suspend),
        2 => Just(Op::Resume),
        2 => Just(Op::ApproveResume),
        1 => Just(Op::RejectResume),
        1 => (1u16..48).prop_map(Op::Wait),
    ]
}

fn roles() -> impl Strategy<Value = RoleSet> {
    prop::collection::vec(prop::sample::select(Role::ALL.to_vec()), 0..3).prop_map(RoleSet::of)
}

fn operator(i: usize) -> ActorId {
    let mut bytes = [0u8; 16];
    bytes[15] = u8::try_from(i).unwrap();
    ActorId::Operator(OperatorId::from_bytes(bytes))
}

fn narrow() -> Privileges {
    Privileges { scopes: ScopeSet::parse(["payouts:read"]).unwrap(), limits: Limits::none() }
}

fn wide() -> Privileges {
    Privileges { scopes: ScopeSet::parse(["payouts:write", "wallets:read"]).unwrap(), limits: Limits::none() }
}

fn reason() -> Reason {
    Reason::parse("test").unwrap()
}

/// The reference model: only what the rules say, nothing about how the key record is laid out.
#[derive(Debug, Clone, PartialEq)]
struct Model {
    state: KeyState,
    maker: ActorId,
    revoker: Option<ActorId>,
    change_by: Option<ActorId>,
    pending_wide: bool,
    wide: bool,
    suspender: Option<ActorId>,
    resumer: Option<ActorId>,
}

fn model_step(m: &Model, op: Op, by: ActorId, roles: RoleSet, dual: bool, expired: bool) -> Option<Model> {
    let checker = roles.has(Role::Checker);
    let maker = roles.has(Role::Maker);
    let admin = roles.has(Role::Admin);
    let terminal = matches!(m.state, KeyState::Rejected | KeyState::Revoked);
    let suspended = m.state == KeyState::Suspended;
    // Where a resume (or a rejected revocation of a suspended key) leads back to.
    let resumed = if m.revoker.is_some() { KeyState::RevocationPending } else { KeyState::Active };
    let mut n = m.clone();
    let ok = match op {
        Op::Approve => checker && m.state == KeyState::PendingApproval && by != m.maker && !expired,
        Op::Reject => checker && m.state == KeyState::PendingApproval && by != m.maker,
        Op::Revoke => maker && (m.state == KeyState::Active || (suspended && m.revoker.is_none())),
        Op::ApproveRevocation | Op::RejectRevocation => {
            let pending = m.state == KeyState::RevocationPending || (suspended && m.revoker.is_some());
            checker && pending && Some(by) != m.revoker
        }
        // Again, while a resume waits: the new stop drops the resume.
        Op::Suspend => {
            let stoppable = matches!(m.state, KeyState::Active | KeyState::RevocationPending);
            (maker || checker || admin) && (stoppable || (suspended && m.resumer.is_some()))
        }
        Op::Resume => maker && suspended && m.resumer.is_none(),
        Op::ApproveResume | Op::RejectResume => {
            let third = m.resumer.is_some_and(|r| r != by) && m.suspender != Some(by);
            checker && suspended && third && !(matches!(op, Op::ApproveResume) && expired)
        }
        // A narrowing goes through a pending widening (and drops it); a widening waits its turn.
        Op::Widen | Op::Narrow => {
            let narrowing = matches!(op, Op::Narrow) || m.wide;
            maker && m.state == KeyState::Active && (m.change_by.is_none() || narrowing) && !expired
        }
        Op::ApproveChange => {
            checker && m.state == KeyState::Active && m.change_by.is_some() && m.change_by != Some(by) && !expired
        }
        Op::RejectChange => checker && m.state == KeyState::Active && m.change_by.is_some() && m.change_by != Some(by),
        Op::Notes => maker && !terminal,
        Op::PredecessorRevoked => m.state == KeyState::PendingApproval,
        Op::Wait(_) => true,
    };
    if !ok {
        return None;
    }
    match op {
        Op::Approve => n.state = KeyState::Active,
        Op::Reject | Op::PredecessorRevoked => n.state = KeyState::Rejected,
        Op::Revoke if dual => {
            if !suspended {
                n.state = KeyState::RevocationPending;
            }
            n.revoker = Some(by);
        }
        Op::Revoke | Op::ApproveRevocation => {
            n.state = KeyState::Revoked;
            n.change_by = None;
            (n.suspender, n.resumer) = (None, None);
        }
        Op::RejectRevocation => {
            if !suspended {
                n.state = KeyState::Active;
            }
            n.revoker = None;
        }
        Op::Suspend => {
            n.state = KeyState::Suspended;
            n.suspender = Some(by);
            n.resumer = None;
        }
        Op::Resume if dual => n.resumer = Some(by),
        Op::Resume | Op::ApproveResume => {
            n.state = resumed;
            (n.suspender, n.resumer) = (None, None);
        }
        Op::RejectResume => n.resumer = None,
        Op::Widen | Op::Narrow => {
            let asks_wide = matches!(op, Op::Widen);
            let narrowing = !asks_wide || m.wide;
            if dual && !narrowing {
                n.change_by = Some(by);
                n.pending_wide = asks_wide;
            } else {
                n.wide = asks_wide;
                n.change_by = None;
            }
        }
        Op::ApproveChange => {
            n.wide = m.pending_wide;
            n.change_by = None;
        }
        Op::RejectChange => n.change_by = None,
        Op::Notes | Op::Wait(_) => {}
    }
    Some(n)
}

fn event(op: Op) -> Option<Event> {
    Some(match op {
        Op::Approve => Event::Approve,
        Op::Reject => Event::Reject { reason: reason() },
        Op::Revoke => Event::RequestRevocation { reason: reason() },
        Op::ApproveRevocation => Event::ApproveRevocation,
        Op::RejectRevocation => Event::RejectRevocation { reason: None },
        Op::Widen => Event::RequestChange { privileges: wide(), owner: Owner::default() },
        Op::Narrow => Event::RequestChange { privileges: narrow(), owner: Owner::default() },
        Op::ApproveChange => Event::ApproveChange,
        Op::RejectChange => Event::RejectChange { reason: None },
        Op::Notes => Event::UpdateNotes { notes: Some(Notes::parse("edited").unwrap()) },
        Op::PredecessorRevoked => Event::PredecessorRevoked,
        Op::Suspend => Event::Suspend { reason: reason() },
        Op::Resume => Event::RequestResume { reason: reason() },
        Op::ApproveResume => Event::ApproveResume,
        Op::RejectResume => Event::RejectResume { reason: None },
        Op::Wait(_) => return None,
    })
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_lifecycle_follows_the_model_and_keeps_its_invariants(
        dual in any::<bool>(),
        roles in prop::collection::vec(roles(), OPERATORS),
        lifetime_hours in 1u16..240,
        steps in prop::collection::vec((op(), 0..OPERATORS).prop_map(|(op, by)| Step { op, by }), 0..40),
    ) {
        let policy = TenantPolicy { dual_control: dual, ..TenantPolicy::default() };
        let mut now = start();
        let mut roles = roles;
        roles[0] = RoleSet::of(roles[0].iter().chain([Role::Maker]));
        let actor = |i: usize| Actor::new(operator(i), roles[i]);
        let new = NewKey {
            id: KeyId::from_bytes([7; 16]),
            tenant: TenantId::parse("acme").unwrap(),
            account: None,
            name: KeyName::parse("pos").unwrap(),
            notes: None,
            environment: Environment::Test,
            privileges: narrow(),
            expiry: ExpiryRequest::At(now + Duration::hours(i64::from(lifetime_hours))),
            rotation: None,
            owner: Owner::default(),
        };
        let mut key = Key::create(new, &actor(0), &policy, now).unwrap().key;
        let mut model = Model {
            state: if dual { KeyState::PendingApproval } else { KeyState::Active },
            maker: operator(0),
            revoker: None,
            change_by: None,
            pending_wide: false,
            wide: false,
            suspender: None,
            resumer: None,
        };
        prop_assert_eq!(key.state, model.state);
        let mut before_revocation: Option<Key> = None;

        for (i, step) in steps.iter().enumerate() {
            if let Op::Wait(hours) = step.op {
                now += Duration::hours(i64::from(hours));
            }
            let expired = key.is_expired(now);
            let expected = model_step(&model, step.op, operator(step.by), roles[step.by], dual, expired);
            let Some(event) = event(step.op) else {
                prop_assert!(!expired || !key.is_usable(now), "step {}: an expired key never verifies", i);
                continue;
            };
            let got = key.apply(event, &actor(step.by), &policy, now);
            match (&got, &expected) {
                (Ok(t), Some(m)) => {
                    prop_assert_eq!(t.key.state, m.state, "step {} {:?}: state differs from the model", i, step);
                    prop_assert_eq!(t.key.privileges == wide(), m.wide, "step {} {:?}: privileges differ", i, step);
                    prop_assert_eq!(t.key.version, key.version + 1, "step {}: version bumps", i);
                    prop_assert!(!key.state.is_terminal() || t.key.state == key.state, "step {}: terminal states stay", i);
                    match t.action {
                        AuditAction::Approved => {
                            prop_assert_ne!(Some(t.key.created_by), t.key.approved_by, "step {}: maker approved its own key", i);
                            prop_assert!(roles[step.by].has(Role::Checker), "step {}: approver is a checker", i);
                        }
                        AuditAction::RevocationRequested => before_revocation = Some(key.clone()),
                        AuditAction::Revoked if dual => {
                            let asked = key.revocation.as_ref().map(|r| r.requested_by);
                            prop_assert_ne!(asked, Some(operator(step.by)), "step {}: revoker approved own revocation", i);
                        }
                        AuditAction::RevocationRejected => {
                            // Undo exactly the revocation: the key is what it was before the request,
                            // plus only what legitimately happened meanwhile (notes, a pending change).
                            // A suspended key stays suspended; otherwise it is active again.
                            let was = before_revocation.clone().unwrap();
                            let mut expected = key.clone();
                            expected.state =
                                if key.state == KeyState::Suspended { KeyState::Suspended } else { KeyState::Active };
                            expected.revocation = was.revocation.clone();
                            expected.version = t.key.version;
                            expected.updated_at = t.key.updated_at;
                            prop_assert_eq!(&t.key, &expected, "step {}: a rejected revocation leaves the key as it was", i);
                            prop_assert_eq!(t.key.expiry, was.expiry, "step {}: expiry untouched", i);
                        }
                        AuditAction::Resumed if dual => {
                            let suspension = key.suspension.as_ref().unwrap();
                            let asked = suspension.resume.as_ref().unwrap().requested_by;
                            let by = operator(step.by);
                            prop_assert!(by != asked && by != suspension.suspended_by, "step {}: a resume by a third person", i);
                        }
                        _ => {}
                    }
                    prop_assert_eq!(t.key.suspension.is_some(), t.key.state == KeyState::Suspended, "step {}: a suspension exactly while suspended", i);
                    key = t.key.clone();
                    model = m.clone();
                }
                (Err(_), None) => {}
                (got, expected) => prop_assert!(false, "step {} {:?}: implementation {:?}, model {:?}", i, step, got, expected),
            }
            if dual && key.state.authenticates() {
                prop_assert!(
                    key.approved_by.is_some_and(|a| a != key.created_by),
                    "step {}: under dual control a usable key was approved by someone other than its maker", i
                );
            }
            prop_assert!(!key.is_expired(now) || !key.is_usable(now), "step {}: an expired key never verifies", i);
        }
    }
}

#[test]
fn refusals_name_what_went_wrong() {
    let policy = TenantPolicy::default();
    let now = start();
    let maker = Actor::new(operator(0), RoleSet::of([Role::Maker, Role::Checker]));
    let checker = Actor::new(operator(1), RoleSet::of([Role::Checker]));
    let auditor = Actor::new(operator(2), RoleSet::of([Role::Auditor]));
    let new = NewKey {
        id: KeyId::from_bytes([1; 16]),
        tenant: TenantId::parse("acme").unwrap(),
        account: None,
        name: KeyName::parse("pos").unwrap(),
        notes: None,
        environment: Environment::Test,
        privileges: narrow(),
        expiry: ExpiryRequest::InDays(1),
        rotation: None,
        owner: Owner::default(),
    };
    let live = NewKey { environment: Environment::Live, ..new.clone() };
    assert_eq!(Key::create(live, &maker, &policy, now).unwrap_err(), TransitionError::LiveDisabled, "live gated");
    assert_eq!(
        Key::create(new.clone(), &checker, &policy, now).unwrap_err(),
        TransitionError::MissingRole(Role::Maker)
    );
    let pending = Key::create(new, &maker, &policy, now).unwrap().key;
    let cases = [
        (&maker, now, TransitionError::SelfApproval, "maker approving own key"),
        (&auditor, now, TransitionError::MissingRole(Role::Checker), "auditor approving"),
        (&checker, now + Duration::days(1), TransitionError::Expired, "approving at the expiry instant"),
    ];
    for (who, at, expected, why) in cases {
        assert_eq!(pending.apply(Event::Approve, who, &policy, at).unwrap_err(), expected, "{why}");
    }
    let rejected = pending.apply(Event::Reject { reason: reason() }, &checker, &policy, now).unwrap().key;
    assert_eq!(
        rejected.apply(Event::Approve, &checker, &policy, now).unwrap_err(),
        TransitionError::Terminal(KeyState::Rejected),
        "rejected is final"
    );
}
