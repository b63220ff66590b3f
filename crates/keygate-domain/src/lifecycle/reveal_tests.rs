//! Table tests of secrets revealed after approval: the window opens at activation, only the person who
//! asked for the key reveals it (through any of their credentials), once, within the window.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn person(i: u8) -> ActorId {
    ActorId::Operator(OperatorId::from_bytes([i; 16]))
}

fn operator(i: u8, roles: &[Role]) -> Actor {
    Actor::new(person(i), RoleSet::of(roles.iter().copied()))
}

/// Key 9, an integrator key held by person `i`, that may write keys and holds `also`.
fn key_of(i: u8, also: &str) -> Actor {
    let scopes = ScopeSet::parse(["api-keys:*", also]).unwrap();
    let bounds = KeyBounds {
        environment: Environment::Test,
        privileges: Privileges { scopes, limits: Limits::none() },
        account: None,
    };
    Actor::for_key(
        KeyId::from_bytes([9; 16]),
        RoleSet::for_integrator_key(&bounds.privileges.scopes),
        person(i),
        bounds,
    )
}

fn new_key() -> NewKey {
    NewKey {
        id: KeyId::from_bytes([1; 16]),
        tenant: TenantId::parse("acme").unwrap(),
        account: None,
        name: KeyName::parse("pos-1").unwrap(),
        notes: None,
        environment: Environment::Test,
        privileges: Privileges { scopes: ScopeSet::parse(["payouts:read"]).unwrap(), limits: Limits::none() },
        expiry: ExpiryRequest::InDays(30),
        rotation: None,
        owner: Owner::default(),
    }
}

fn after_approval(dual_control: bool) -> TenantPolicy {
    TenantPolicy {
        dual_control,
        reveal: RevealPolicy::AfterApproval,
        reveal_window_hours: RevealWindow::hours(24).unwrap(),
        ..TenantPolicy::default()
    }
}

/// A key asked by person 1 (a maker) and approved by person 2 (a checker) an hour later.
fn approved() -> (Key, TenantPolicy) {
    let policy = after_approval(true);
    let created = Key::create(new_key(), &operator(1, &[Role::Maker]), &policy, now()).unwrap().key;
    assert_eq!(created.reveal, Some(Reveal::AwaitingApproval), "no secret before approval");
    assert!(!created.has_secret());
    let at = now() + Duration::hours(1);
    let key = created.apply(Event::Approve, &operator(2, &[Role::Checker]), &policy, at).unwrap().key;
    assert_eq!(key.reveal, Some(Reveal::Open { until: at + Duration::hours(24) }), "the window opens at approval");
    (key, policy)
}

#[test]
fn only_the_maker_reveals_through_any_of_their_credentials() {
    let (key, policy) = approved();
    let at = now() + Duration::hours(2);
    let cases = [
        (operator(2, &[Role::Checker]), Err(TransitionError::MissingRole(Role::Maker)), "the checker"),
        (operator(3, &[Role::Admin]), Err(TransitionError::MissingRole(Role::Maker)), "an admin"),
        (operator(4, &[Role::Maker, Role::Checker]), Err(TransitionError::NotTheMaker), "another maker"),
        (operator(1, &[Role::Maker]), Ok(Reveal::Revealed { at }), "the maker"),
        (key_of(1, "payouts:read"), Ok(Reveal::Revealed { at }), "a key acting for the maker"),
        (key_of(1, "wallets:read"), Err(TransitionError::OutOfBounds), "a key of the maker that holds less"),
        (key_of(4, "payouts:read"), Err(TransitionError::NotTheMaker), "a key acting for another maker"),
    ];
    for (actor, expected, who) in cases {
        let got = key.apply(Event::RevealSecret, &actor, &policy, at).map(|t| t.key.reveal.unwrap());
        assert_eq!(got, expected, "{who}");
    }
    let revealed = key.apply(Event::RevealSecret, &operator(1, &[Role::Maker]), &policy, at).unwrap();
    assert_eq!(revealed.action, AuditAction::SecretRevealed);
    assert!(revealed.key.has_secret());
    let again = revealed.key.apply(Event::RevealSecret, &operator(1, &[Role::Maker]), &policy, at);
    assert_eq!(again.map(|_| ()), Err(TransitionError::SecretAlreadyRevealed), "never twice");
}

#[test]
fn the_window_closes_and_nothing_is_revealed_before_approval_or_from_a_key_made_otherwise() {
    let (key, policy) = approved();
    let maker = operator(1, &[Role::Maker]);
    let closes = now() + Duration::hours(25);
    assert!(key.apply(Event::RevealSecret, &maker, &policy, closes).is_ok(), "at the last instant");
    let late = key.apply(Event::RevealSecret, &maker, &policy, closes + Duration::seconds(1));
    assert_eq!(late.map(|_| ()), Err(TransitionError::RevealWindowClosed), "one second after");

    let asked =
        key.apply(Event::RequestRevocation { reason: Reason::parse("retired").unwrap() }, &maker, &policy, closes);
    let revoking = asked.unwrap().key.apply(Event::RevealSecret, &maker, &policy, closes);
    assert!(matches!(revoking, Err(TransitionError::InvalidState { .. })), "not once a revocation is asked");

    let pending = Key::create(new_key(), &maker, &policy, now()).unwrap().key;
    let early = pending.apply(Event::RevealSecret, &maker, &policy, now());
    assert!(matches!(early, Err(TransitionError::InvalidState { state: KeyState::PendingApproval, .. })), "{early:?}");

    let open = after_approval(false);
    let at_once = Key::create(new_key(), &maker, &open, now()).unwrap().key;
    assert_eq!(
        at_once.reveal,
        Some(Reveal::Open { until: now() + Duration::hours(24) }),
        "active at once, window open"
    );

    let on_create = TenantPolicy { dual_control: false, ..TenantPolicy::default() };
    let shown = Key::create(new_key(), &maker, &on_create, now()).unwrap().key;
    assert!(shown.has_secret() && shown.reveal.is_none(), "drawn at creation by default");
    let twice = shown.apply(Event::RevealSecret, &maker, &on_create, now());
    assert_eq!(twice.map(|_| ()), Err(TransitionError::SecretAlreadyRevealed), "shown at creation already");
}
