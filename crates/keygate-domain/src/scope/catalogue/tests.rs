use proptest::prelude::*;

use super::*;

fn resource(name: &str, actions: &[&str]) -> CatalogueResource {
    CatalogueResource::parse(name, Some("Something"), actions).unwrap()
}

fn catalogue(entries: &[(&str, &[&str])]) -> ScopeCatalogue {
    ScopeCatalogue::new(entries.iter().map(|(name, actions)| resource(name, actions))).unwrap()
}

fn scope(text: &str) -> Scope {
    Scope::parse(text).unwrap()
}

fn check(name: &str, description: Option<&str>, actions: &[&str], expected: Result<&str, ResourceError>, why: &str) {
    let got = CatalogueResource::parse(name, description, actions).map(|r| {
        let actions: Vec<&str> = r.actions().map(Action::as_str).collect();
        format!("{}:{}", r.name(), actions.join("|"))
    });
    assert_eq!(got, expected.map(str::to_owned), "{why}");
}

#[test]
fn resources_parse_by_their_rules() {
    check("payouts", Some("Payouts"), &["read", "write", "approve"], Ok("payouts:read|write|approve"), "all three");
    check("api-keys", None, &["write"], Ok("api-keys:write"), "write alone, as offered");
    check("payouts", Some("  "), &["approve", "read", "read"], Ok("payouts:read|approve"), "a set, in order");
    check("Payouts", None, &["read"], Err(ResourceError::Name), "upper case");
    check("", None, &["read"], Err(ResourceError::Name), "empty name");
    check("pay:outs", None, &["read"], Err(ResourceError::Name), "a colon");
    check(&"a".repeat(49), None, &["read"], Err(ResourceError::Name), "49 characters");
    check("payouts", None, &[], Err(ResourceError::NoAction), "no action");
    check("payouts", None, &["*"], Err(ResourceError::Action), "a wildcard is not an offer");
    check("payouts", None, &["delete"], Err(ResourceError::Action), "an unknown action");
    let long = "x".repeat(201);
    let too_long = Err(ResourceError::Description(TextError::TooLong { max: 200 }));
    check("payouts", Some(&long), &["read"], too_long, "a description over 200 characters");
    let control = Err(ResourceError::Description(TextError::ControlCharacter));
    check("payouts", Some("a\nb"), &["read"], control, "a description over two lines");
    let trimmed = CatalogueResource::parse("payouts", Some("  Payouts  "), ["read"]).unwrap();
    assert_eq!(trimmed.description().map(ScopeDescription::as_str), Some("Payouts"), "descriptions are trimmed");
}

#[test]
fn a_catalogue_holds_unique_names_sorted_and_bounded() {
    let sorted = catalogue(&[("wallets", &["read"]), ("payouts", &["read"])]);
    let names: Vec<&str> = sorted.resources().map(CatalogueResource::name).collect();
    assert_eq!(names, ["payouts", "wallets"], "sorted by name");
    let twice = ScopeCatalogue::new([resource("a", &["read"]), resource("b", &["read"]), resource("a", &["write"])]);
    assert_eq!(twice, Err(CatalogueError::Duplicate { index: 2, name: "a".to_owned() }), "the repetition's index");
    assert_eq!(ScopeCatalogue::new([]), Err(CatalogueError::Empty), "empty");
    let many = (0..=ScopeCatalogue::MAX).map(|i| resource(&format!("r{i}"), &["read"]));
    assert_eq!(ScopeCatalogue::new(many), Err(CatalogueError::TooMany { max: 256 }), "257 resources");
    let most = (0..ScopeCatalogue::MAX).map(|i| resource(&format!("r{i}"), &["read"]));
    assert!(ScopeCatalogue::new(most).is_ok(), "256 resources");
}

#[test]
fn a_key_scope_is_allowed_when_every_right_it_stands_for_is_offered() {
    let c = catalogue(&[("payouts", &["read", "write", "approve"]), ("wallets", &["write"]), ("fx", &["read"])]);
    let cases = [
        ("payouts:*", true, "all three offered"),
        ("payouts:approve", true, "approve offered"),
        ("wallets:read", true, "write offered lets a key read"),
        ("wallets:write", true, "write offered"),
        ("wallets:*", false, "approve not offered"),
        ("fx:read", true, "read offered"),
        ("fx:write", false, "write needs write"),
        ("fx:approve", false, "approve needs approve"),
        ("invoices:read", false, "not a resource of the catalogue"),
    ];
    for (text, expected, why) in cases {
        assert_eq!(c.allows(&scope(text)), expected, "{text}: {why}");
    }
    let set = ScopeSet::parse(["wallets:read", "fx:write", "payouts:approve", "invoices:read"]).unwrap();
    assert_eq!(c.check(&set), Err(&scope("fx:write")), "the first scope outside, in the set's order");
    assert_eq!(c.check(&ScopeSet::parse(["payouts:*", "wallets:write"]).unwrap()), Ok(()), "all inside");
}

#[test]
fn narrowing_compares_rights_not_descriptions() {
    let wide = catalogue(&[("payouts", &["read", "write", "approve"]), ("wallets", &["read"])]);
    let cases = [
        (catalogue(&[("payouts", &["read"])]), true, "fewer resources and actions"),
        (
            catalogue(&[("payouts", &["write", "approve"]), ("wallets", &["read"])]),
            true,
            "the same rights, spelt shorter",
        ),
        (catalogue(&[("wallets", &["write"])]), false, "write where only read was offered"),
        (catalogue(&[("invoices", &["read"])]), false, "a resource added"),
    ];
    for (narrow, expected, why) in cases {
        assert_eq!(narrow.is_within(&wide), expected, "{why}");
    }
    let reworded = ScopeCatalogue::new([
        CatalogueResource::parse("payouts", Some("Money out"), ["read", "write", "approve"]).unwrap(),
        CatalogueResource::parse("wallets", None, ["read"]).unwrap(),
    ])
    .unwrap();
    assert!(reworded.is_within(&wide) && wide.is_within(&reworded), "descriptions grant nothing");
}

const RESOURCES: [&str; 3] = ["payouts", "wallets", "fx"];
const ACTIONS: [&str; 3] = ["read", "write", "approve"];

fn arb_catalogue() -> impl Strategy<Value = ScopeCatalogue> {
    // Each resource: absent (0) or a non-empty subset of the three actions (1..=7).
    prop::array::uniform3(0u8..8).prop_filter_map("at least one resource", |offers| {
        let resources = RESOURCES.iter().zip(offers).filter(|(_, bits)| *bits != 0).map(|(name, bits)| {
            let actions = ACTIONS.iter().enumerate().filter(|(i, _)| bits & (1 << i) != 0).map(|(_, a)| *a);
            CatalogueResource::parse(name, None, actions).unwrap()
        });
        ScopeCatalogue::new(resources.collect::<Vec<_>>()).ok()
    })
}

fn every_scope() -> Vec<Scope> {
    let actions = ["read", "write", "approve", "*"];
    RESOURCES.iter().flat_map(|r| actions.iter().map(move |a| scope(&format!("{r}:{a}")))).collect()
}

proptest! {
    /// The narrowing rule is exactly "every key scope the narrower one allows, the wider one allows".
    #[test]
    fn is_within_is_inclusion_of_what_keys_may_hold(a in arb_catalogue(), b in arb_catalogue()) {
        let reference = every_scope().iter().all(|s| !a.allows(s) || b.allows(s));
        prop_assert_eq!(a.is_within(&b), reference, "{:?} within {:?}", a, b);
    }

    /// Any text parses as a resource exactly when it is a scope's resource and the actions are a
    /// non-empty list of read, write, approve; what parses keeps its name.
    #[test]
    fn resource_names_parse_as_scope_resources(name in "[a-z0-9:A-Z_-]{0,50}", actions in prop::collection::vec(0usize..5, 0..4)) {
        let words = ["read", "write", "approve", "*", "view"];
        let actions: Vec<&str> = actions.into_iter().map(|i| words[i]).collect();
        let parsed = CatalogueResource::parse(&name, None, &actions);
        let name_ok = Scope::parse(&format!("{name}:read")).is_ok();
        let actions_ok = !actions.is_empty() && actions.iter().all(|a| ACTIONS.contains(a));
        prop_assert_eq!(parsed.is_ok(), name_ok && actions_ok, "{:?} {:?}", name, actions);
        if let Ok(resource) = parsed {
            prop_assert_eq!(resource.name(), name.as_str());
            for action in resource.actions() {
                prop_assert!(actions.contains(&action.as_str()), "{:?} only offers what was listed", resource);
            }
        }
    }

    /// `check` refuses a key's set exactly when one of its scopes is not allowed.
    #[test]
    fn check_agrees_with_allows(c in arb_catalogue(), picks in prop::collection::vec(0usize..12, 1..6)) {
        let all = every_scope();
        let set = ScopeSet::new(picks.iter().map(|i| all[*i].clone())).unwrap();
        let first_outside = set.iter().find(|s| !c.allows(s));
        prop_assert_eq!(c.check(&set).err(), first_outside);
    }
}
