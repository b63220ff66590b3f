//! Table tests of sub-accounts in the lifecycle: an integrator key bound to an account reaches only keys
//! of that account, and a tenant that requires accounts refuses a key without one.

use chrono::{DateTime, TimeZone, Utc};

use crate::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

/// An account to bind a key to.
fn account(text: &str) -> Option<AccountId> {
    AccountId::parse(text).ok()
}

fn privileges(scopes: &[&str]) -> Privileges {
    Privileges { scopes: ScopeSet::parse(scopes.iter().copied()).unwrap(), limits: Limits::none() }
}

/// Key 9, held by person 1, with `api-keys:*` and `payouts:write`, bound to `bound`.
fn key_actor(bound: Option<AccountId>) -> Actor {
    let p = privileges(&["api-keys:*", "payouts:write"]);
    let roles = RoleSet::for_integrator_key(&p.scopes);
    let person = ActorId::Operator(OperatorId::from_bytes([1; 16]));
    let bounds = KeyBounds { environment: Environment::Test, privileges: p, account: bound };
    Actor::for_key(KeyId::from_bytes([9; 16]), roles, person, bounds)
}

fn new_key(id: u8, bound: Option<AccountId>) -> NewKey {
    NewKey {
        id: KeyId::from_bytes([id; 16]),
        tenant: TenantId::parse("acme").unwrap(),
        account: bound,
        name: KeyName::parse(&format!("k{id}")).unwrap(),
        notes: None,
        environment: Environment::Test,
        privileges: privileges(&["payouts:read"]),
        expiry: ExpiryRequest::InDays(30),
        rotation: None,
        owner: Owner::default(),
    }
}

fn open_policy() -> TenantPolicy {
    TenantPolicy { dual_control: false, ..TenantPolicy::default() }
}

#[test]
fn a_key_bound_to_an_account_creates_keys_only_for_that_account() {
    let shop = key_actor(account("shop-1"));
    let whole = key_actor(None);
    let out = Err(TransitionError::OutOfBounds);
    let cases = [
        (&shop, new_key(1, account("shop-1")), Ok(account("shop-1")), "its own account"),
        (&shop, new_key(1, account("shop-2")), out.clone(), "another account"),
        (&shop, new_key(1, None), out.clone(), "a key of the whole tenant"),
        (&shop, new_key(1, account("SHOP-1")), out, "another spelling is another account"),
        (&whole, new_key(1, account("shop-2")), Ok(account("shop-2")), "a tenant-wide key, any account"),
        (&whole, new_key(1, None), Ok(None), "a tenant-wide key, a tenant-wide key"),
    ];
    for (actor, new, expected, why) in cases {
        let got = Key::create(new, actor, &open_policy(), now()).map(|t| t.key.account);
        assert_eq!(got, expected, "{why}");
    }
}

#[test]
fn a_key_bound_to_an_account_moves_only_keys_of_that_account() {
    let maker = Actor::new(ActorId::Operator(OperatorId::from_bytes([2; 16])), RoleSet::of([Role::Maker]));
    let policy = open_policy();
    let made = |id, bound| Key::create(new_key(id, bound), &maker, &policy, now()).unwrap().key;
    let (own, other, whole) = (made(1, account("shop-1")), made(2, account("shop-2")), made(3, None));
    let shop = key_actor(account("shop-1"));
    let reason = || Reason::parse("leaked").unwrap();
    let events = [
        Event::Suspend { reason: reason() },
        Event::RequestRevocation { reason: reason() },
        Event::UpdateNotes { notes: None },
        Event::RequestChange { privileges: privileges(&["payouts:read"]), owner: Owner::default() },
    ];
    for event in events {
        let name = event.name();
        assert!(own.apply(event.clone(), &shop, &policy, now()).is_ok(), "{name} a key of its account");
        for (key, whose) in [(&other, "another account's key"), (&whole, "a key of the whole tenant")] {
            let got = key.apply(event.clone(), &shop, &policy, now()).map(|_| ());
            assert_eq!(got, Err(TransitionError::OutOfBounds), "{name} {whose}");
        }
        assert!(other.apply(event, &key_actor(None), &policy, now()).is_ok(), "a tenant-wide key may {name} any");
    }
}

#[test]
fn a_tenant_that_requires_accounts_refuses_a_key_without_one() {
    let maker = Actor::new(ActorId::Operator(OperatorId::from_bytes([2; 16])), RoleSet::of([Role::Maker]));
    let required = TenantPolicy { require_account: true, ..open_policy() };
    let cases = [
        (&required, new_key(1, None), Err(TransitionError::AccountRequired), "no account where one is required"),
        (&required, new_key(1, account("shop-1")), Ok(()), "an account where one is required"),
        (&open_policy(), new_key(1, None), Ok(()), "no account where none is required"),
    ];
    for (policy, new, expected, why) in cases {
        assert_eq!(Key::create(new, &maker, policy, now()).map(|_| ()), expected, "{why}");
    }
    let refused = Key::create(new_key(1, None), &key_actor(account("shop-1")), &required, now());
    assert_eq!(refused.map(|_| ()), Err(TransitionError::OutOfBounds), "a bound key's own bounds come first");
}
