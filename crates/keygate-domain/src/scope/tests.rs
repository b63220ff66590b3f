use proptest::prelude::*;

use super::*;

fn set(scopes: &[&str]) -> ScopeSet {
    ScopeSet::parse(scopes).unwrap()
}

fn check(held: &[&str], required: &str, expected: bool) {
    let required = Scope::parse(required).unwrap();
    assert_eq!(set(held).satisfies(&required), expected, "{held:?} satisfies {required}");
}

#[test]
fn implications_are_exactly_the_documented_ones() {
    check(&["payouts:write"], "payouts:read", true);
    check(&["payouts:write"], "payouts:write", true);
    check(&["payouts:read"], "payouts:write", false);
    check(&["payouts:approve"], "payouts:read", false);
    check(&["payouts:approve"], "payouts:write", false);
    check(&["payouts:write"], "payouts:approve", false);
    check(&["payouts:*"], "payouts:approve", true);
    check(&["payouts:*"], "payouts:write", true);
    check(&["payouts:*"], "wallets:read", false);
    check(&["payouts:write", "payouts:approve"], "payouts:*", true);
    check(&["payouts:write"], "payouts:*", false);
    check(&["auto-payouts:write"], "payouts:read", false);
    check(&["payouts:write"], "auto-payouts:read", false);
}

#[test]
fn malformed_scopes_are_refused_with_the_reason() {
    let cases = [
        ("payouts", ScopeError::Shape),
        (":read", ScopeError::Resource),
        ("Payouts:read", ScopeError::Resource),
        ("pay outs:read", ScopeError::Resource),
        ("payouts:delete", ScopeError::Action),
        ("payouts:read:extra", ScopeError::Action),
        ("*:read", ScopeError::Resource),
    ];
    for (input, expected) in cases {
        assert_eq!(Scope::parse(input), Err(expected), "scope {input:?}");
    }
    assert!(Scope::parse(&format!("{}:read", "r".repeat(48))).is_ok(), "48-char resource");
    assert_eq!(Scope::parse(&format!("{}:read", "r".repeat(49))), Err(ScopeError::Resource));
    assert_eq!(ScopeSet::parse(Vec::<&str>::new()), Err(ScopeError::Empty));
}

fn resource() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["payouts", "wallets", "auto-payouts", "api-keys"]).prop_map(String::from)
}

fn action() -> impl Strategy<Value = Action> {
    prop::sample::select(vec![Action::Read, Action::Write, Action::Approve, Action::Any])
}

fn scope() -> impl Strategy<Value = Scope> {
    (resource(), action()).prop_map(|(resource, action)| Scope { resource: resource.into(), action })
}

/// The reference model: the rights one scope stands for, spelled out without bit tricks.
fn grants(held: &Scope, resource: &str, right: Action) -> bool {
    &*held.resource == resource
        && match (held.action, right) {
            (Action::Any, _) | (Action::Write, Action::Read) => true,
            (a, b) => a == b,
        }
}

proptest! {
    /// A set satisfies a requirement only if every concrete right the requirement stands for is granted
    /// by some single held scope on that same resource: nothing is granted by accident.
    #[test]
    fn a_set_satisfies_exactly_what_its_scopes_imply(
        held in prop::collection::vec(scope(), 1..6),
        required in scope(),
    ) {
        let set = ScopeSet::new(held.clone()).unwrap();
        let concrete: &[Action] = match required.action {
            Action::Any => &[Action::Read, Action::Write, Action::Approve],
            Action::Write => &[Action::Write, Action::Read],
            other => std::slice::from_ref(match other { Action::Read => &Action::Read, _ => &Action::Approve }),
        };
        let model = concrete
            .iter()
            .all(|&right| held.iter().any(|h| grants(h, &required.resource, right)));
        prop_assert_eq!(set.satisfies(&required), model, "held {:?}, required {}", held, required);
    }

    #[test]
    fn a_set_is_within_itself_and_a_superset(
        a in prop::collection::vec(scope(), 1..6),
        extra in prop::collection::vec(scope(), 0..4),
    ) {
        let small = ScopeSet::new(a.clone()).unwrap();
        let big = ScopeSet::new(a.into_iter().chain(extra)).unwrap();
        prop_assert!(small.is_within(&small));
        prop_assert!(small.is_within(&big));
    }

    #[test]
    fn scopes_print_and_parse_back(s in scope()) {
        prop_assert_eq!(Scope::parse(&s.to_string()), Ok(s));
    }
}
