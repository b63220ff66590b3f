//! `Scope::parse` and `ScopeSet::parse` on any text: a typed error or a value, never a panic.
//!
//! - A scope has one spelling: parse -> print gives the input back, and parses to the same scope.
//! - A set (one scope per input line) is non-empty, at most `ScopeSet::MAX`, sorted without
//!   duplicates, prints and parses back to the same set, grants every scope it was built from and
//!   grants exactly what a reference fold of the rights (`write` ⊇ `read`, `*` = all) grants.
#![no_main]

use keygate_domain::{Action, Scope, ScopeSet};
use libfuzzer_sys::fuzz_target;

const ACTIONS: [Action; 4] = [Action::Read, Action::Write, Action::Approve, Action::Any];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(scope) = Scope::parse(text) {
        let printed = scope.to_string();
        assert_eq!(printed, text, "a scope has one spelling");
        assert_eq!(Scope::parse(&printed).as_ref(), Ok(&scope), "printing and parsing again is the identity");
        assert!((1..=48).contains(&scope.resource().len()), "resource length is bounded");
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let Ok(set) = ScopeSet::parse(&lines) else { return };
    assert!(!set.is_empty() && set.len() <= ScopeSet::MAX, "a set holds 1 to MAX scopes");
    let scopes: Vec<&Scope> = set.iter().collect();
    assert!(scopes.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
    let printed: Vec<String> = set.iter().map(ToString::to_string).collect();
    assert_eq!(ScopeSet::parse(&printed).as_ref(), Ok(&set), "a set prints and parses back to itself");
    assert!(set.is_within(&set), "a set is within itself");
    let given: Vec<Scope> = lines.iter().filter_map(|l| Scope::parse(l).ok()).collect();
    assert!(set.missing(&given).is_empty(), "a set grants every scope it was built from");
    for scope in &scopes {
        let held = rights(&scopes, scope.resource());
        for action in ACTIONS {
            let wanted = Scope::parse(&format!("{}:{}", scope.resource(), action.as_str())).ok();
            let Some(wanted) = wanted else { panic!("a resource that parsed takes every action") };
            let expected = rights_of(action) & !held == 0;
            assert_eq!(set.satisfies(&wanted), expected, "{wanted:?} against {set:?}");
        }
    }
});

/// The reference: what each action stands for, as a bit set (read 1, write 2, approve 4).
fn rights_of(action: Action) -> u8 {
    match action {
        Action::Read => 1,
        Action::Write => 3,
        Action::Approve => 4,
        Action::Any => 7,
    }
}

fn rights(scopes: &[&Scope], resource: &str) -> u8 {
    scopes.iter().filter(|s| s.resource() == resource).fold(0, |acc, s| acc | rights_of(s.action()))
}
