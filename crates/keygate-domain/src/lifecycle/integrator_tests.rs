//! Table tests of the rules about persons and integrator keys: maker-checker by principal, a key never
//! acting on itself, integrator approvals, environment and privilege bounds, rotation.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn person(n: u8) -> ActorId {
    ActorId::Operator(OperatorId::from_bytes([n; 16]))
}

fn privileges(scopes: &[&str]) -> Privileges {
    Privileges { scopes: ScopeSet::parse(scopes.iter().copied()).unwrap(), limits: Limits::none() }
}

fn operator(n: u8, roles: &[Role]) -> Actor {
    Actor::new(person(n), RoleSet::of(roles.iter().copied()))
}

/// Key `k` acting for person `for_person`, in `environment`, holding `scopes`.
fn key_actor(k: u8, for_person: u8, environment: Environment, scopes: &[&str]) -> Actor {
    let p = privileges(scopes);
    let roles = RoleSet::for_integrator_key(&p.scopes);
    Actor::for_key(
        KeyId::from_bytes([k; 16]),
        roles,
        person(for_person),
        KeyBounds { environment, privileges: p, account: None },
    )
}

fn new_key(id: u8, environment: Environment, scopes: &[&str]) -> NewKey {
    NewKey {
        id: KeyId::from_bytes([id; 16]),
        tenant: TenantId::parse("acme").unwrap(),
        account: None,
        name: KeyName::parse("pos").unwrap(),
        notes: None,
        environment,
        privileges: privileges(scopes),
        expiry: ExpiryRequest::InDays(30),
        rotation: None,
        owner: Owner::default(),
    }
}

fn policy(integrator_approvals: bool) -> TenantPolicy {
    TenantPolicy { live_enabled: true, integrator_approvals, ..TenantPolicy::default() }
}

const ALL: &[&str] = &["api-keys:*", "payouts:write"];

#[test]
fn creation_by_a_key_stays_within_its_environment_and_privileges() {
    let k = key_actor(9, 1, Environment::Test, ALL);
    let cases = [
        (new_key(1, Environment::Test, &["payouts:read"]), Ok(()), "narrower key in its environment"),
        (new_key(1, Environment::Test, ALL), Ok(()), "an equal key"),
        (new_key(1, Environment::Live, &["payouts:read"]), Err(TransitionError::OutOfBounds), "other environment"),
        (new_key(1, Environment::Test, &["wallets:read"]), Err(TransitionError::OutOfBounds), "scope it lacks"),
    ];
    for (new, expected, why) in cases {
        assert_eq!(Key::create(new, &k, &policy(true), now()).map(|_| ()), expected, "{why}");
    }
    let made = Key::create(new_key(1, Environment::Test, &["payouts:read"]), &k, &policy(true), now()).unwrap().key;
    assert_eq!((made.created_by, made.created_for), (k.id, person(1)), "the key is the person's");
    let unbounded = Actor::new(ActorId::Key(KeyId::from_bytes([9; 16])), RoleSet::of([Role::Maker]));
    assert_eq!(
        Key::create(new_key(1, Environment::Test, &["payouts:read"]), &unbounded, &policy(true), now()).unwrap_err(),
        TransitionError::OutOfBounds,
        "a key actor without bounds is refused"
    );
}

#[test]
fn maker_checker_compares_persons_and_keys_never_act_on_themselves() {
    let maker = operator(1, &[Role::Maker]);
    let pending =
        Key::create(new_key(1, Environment::Test, &["payouts:read"]), &maker, &policy(true), now()).unwrap().key;
    let own = key_actor(1, 2, Environment::Test, ALL);
    let cases = [
        (operator(2, &[Role::Checker]), policy(false), Ok(KeyState::Active), "another person approves"),
        (key_actor(9, 1, Environment::Test, ALL), policy(true), Err(TransitionError::SelfApproval), "maker's own key"),
        (key_actor(9, 2, Environment::Test, ALL), policy(false), Err(TransitionError::IntegratorApprovalsOff), "off"),
        (key_actor(9, 2, Environment::Test, ALL), policy(true), Ok(KeyState::Active), "another person's key"),
        (key_actor(9, 2, Environment::Live, ALL), policy(true), Err(TransitionError::OutOfBounds), "other environment"),
        (
            key_actor(9, 2, Environment::Test, &["api-keys:approve"]),
            policy(true),
            Err(TransitionError::OutOfBounds),
            "grants more than it holds",
        ),
        (own, policy(true), Err(TransitionError::OwnKey), "a key approving itself"),
    ];
    for (who, policy, expected, why) in cases {
        assert_eq!(pending.apply(Event::Approve, &who, &policy, now()).map(|t| t.key.state), expected, "{why}");
    }
}

#[test]
fn a_key_may_only_ask_its_own_revocation() {
    let maker = operator(1, &[Role::Maker]);
    let open = TenantPolicy { dual_control: false, integrator_approvals: true, ..TenantPolicy::default() };
    let key = Key::create(new_key(1, Environment::Test, ALL), &maker, &open, now()).unwrap().key;
    let itself = key_actor(1, 1, Environment::Test, ALL);
    let reason = Reason::parse("leaked").unwrap();
    let cases = [
        (
            Event::RequestChange { privileges: privileges(&["payouts:read"]), owner: Owner::default() },
            Err(TransitionError::OwnKey),
            "change",
        ),
        (Event::UpdateNotes { notes: None }, Err(TransitionError::OwnKey), "notes"),
        (Event::RequestRevocation { reason }, Ok(KeyState::Revoked), "its own revocation"),
    ];
    for (event, expected, why) in cases {
        assert_eq!(key.apply(event, &itself, &open, now()).map(|t| t.key.state), expected, "{why}");
    }
}

#[test]
fn a_narrowing_drops_a_pending_widening_and_changes_wait_for_an_active_key() {
    let maker = operator(1, &[Role::Maker]);
    let checker = operator(2, &[Role::Checker]);
    let p = policy(false);
    let key = Key::create(new_key(1, Environment::Test, &["payouts:write"]), &maker, &p, now()).unwrap().key;
    let key = key.apply(Event::Approve, &checker, &p, now()).unwrap().key;
    let widen =
        Event::RequestChange { privileges: privileges(&["payouts:write", "wallets:read"]), owner: Owner::default() };
    let pending = key.apply(widen.clone(), &maker, &p, now()).unwrap().key;
    assert!(pending.pending_change.is_some(), "a widening waits");
    assert_eq!(pending.apply(widen, &maker, &p, now()).unwrap_err(), TransitionError::ChangePending, "one at a time");
    let narrowed = pending
        .apply(
            Event::RequestChange { privileges: privileges(&["payouts:read"]), owner: Owner::default() },
            &maker,
            &p,
            now(),
        )
        .unwrap();
    assert_eq!(narrowed.action, AuditAction::ChangeApplied, "narrowing applies at once");
    assert_eq!(narrowed.key.pending_change, None, "and drops the widening");
    let revoking = pending
        .apply(Event::RequestRevocation { reason: Reason::parse("done").unwrap() }, &maker, &p, now())
        .unwrap()
        .key;
    assert_eq!(
        revoking.apply(Event::ApproveChange, &checker, &p, now()).unwrap_err(),
        TransitionError::InvalidState { state: KeyState::RevocationPending, event: "approve change" },
        "no change is approved while the key awaits revocation"
    );
}

#[test]
fn rotation_waits_for_pending_requests_and_never_outlives_the_original() {
    let maker = operator(1, &[Role::Maker]);
    let checker = operator(2, &[Role::Checker]);
    let p = policy(false);
    let pending = Key::create(new_key(1, Environment::Test, &["payouts:write"]), &maker, &p, now()).unwrap().key;
    let active = pending.apply(Event::Approve, &checker, &p, now()).unwrap().key;
    let widening = active
        .apply(
            Event::RequestChange { privileges: privileges(&["payouts:*"]), owner: Owner::default() },
            &maker,
            &p,
            now(),
        )
        .unwrap()
        .key;
    let revoking = active
        .apply(Event::RequestRevocation { reason: Reason::parse("done").unwrap() }, &maker, &p, now())
        .unwrap()
        .key;
    let cases = [
        (&active, now(), Ok(()), "active key"),
        (
            &pending,
            now(),
            Err(TransitionError::InvalidState { state: KeyState::PendingApproval, event: "rotate" }),
            "pending",
        ),
        (&widening, now(), Err(TransitionError::RequestPending), "change pending"),
        (&revoking, now(), Err(TransitionError::RequestPending), "revocation pending"),
        (&active, now() + Duration::days(30), Err(TransitionError::Expired), "expired"),
    ];
    for (key, at, expected, why) in cases {
        assert_eq!(key.check_rotatable(at), expected, "{why}");
    }
    assert_eq!(active.successor_expiry(), ExpiryRequest::AtMostSeconds(30 * 86_400), "same lifetime as the original");
    let later = now() + Duration::days(10);
    let successor = p.resolve_expiry(active.successor_expiry(), later).unwrap();
    assert_eq!(successor, Expiry::At(later + Duration::days(30)), "counted from the successor's creation");
    let capped = TenantPolicy { max_key_lifetime_days: Some(7), ..p.clone() };
    assert_eq!(
        capped.resolve_expiry(active.successor_expiry(), later),
        Ok(Expiry::At(later + Duration::days(7))),
        "the tenant cap shortens it"
    );
    let superseded = pending.apply(Event::PredecessorRevoked, &checker, &p, now()).unwrap();
    assert_eq!(
        (superseded.key.state, superseded.action),
        (KeyState::Rejected, AuditAction::Rejected),
        "predecessor revoked"
    );
}
