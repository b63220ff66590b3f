//! The classification table, patches split by direction, and approval of the held part.

use crate::*;

/// For every setting, a policy and the same policy with that one setting widened: the narrowest
/// policy, except for `require_account` and `reveal`, which a tenant is born at the wide end of. Adding
/// a setting without a row here fails `every_setting_is_classified_both_ways`.
fn widened(setting: Setting) -> (TenantPolicy, TenantPolicy) {
    let n = TenantPolicy::narrowest();
    let w = match setting {
        Setting::DualControl => TenantPolicy { dual_control: false, ..n.clone() },
        Setting::LiveEnabled => TenantPolicy { live_enabled: true, ..n.clone() },
        Setting::MaxKeyLifetimeDays => TenantPolicy { max_key_lifetime_days: Some(400), ..n.clone() },
        Setting::AllowNeverExpiring => TenantPolicy { allow_never_expiring: true, ..n.clone() },
        Setting::IntegratorApprovals => TenantPolicy { integrator_approvals: true, ..n.clone() },
        Setting::Timezone => TenantPolicy { timezone: Timezone::parse("Asia/Singapore").unwrap(), ..n.clone() },
        Setting::Currencies => TenantPolicy { currencies: CurrencyTable::empty().with(matic(), spec(18)), ..n.clone() },
        Setting::OnLeak => TenantPolicy { on_leak: OnLeak::Notify, ..n.clone() },
        Setting::NameMutable => TenantPolicy { name_mutable: true, ..n.clone() },
        Setting::RequireAccount => return (TenantPolicy { require_account: true, ..n.clone() }, n),
        Setting::Reveal => return (TenantPolicy { reveal: RevealPolicy::AfterApproval, ..n.clone() }, n),
        Setting::RevealWindowHours => {
            TenantPolicy { reveal_window_hours: RevealWindow::hours(96).unwrap(), ..n.clone() }
        }
        Setting::WebhookExpiryLeadDays => {
            TenantPolicy { webhook_expiry_lead_days: crate::webhook::ExpiryLead::days(3).unwrap(), ..n.clone() }
        }
        Setting::SignatureSkewSeconds => {
            TenantPolicy { signature_skew_seconds: SignatureSkew::seconds(600).unwrap(), ..n.clone() }
        }
        Setting::ScopeCatalogue => {
            return (TenantPolicy { scope_catalogue: Some(catalogue(&[("payouts", &["read"])])), ..n.clone() }, n)
        }
    };
    (n, w)
}

fn catalogue(entries: &[(&str, &[&str])]) -> ScopeCatalogue {
    let resources = entries.iter().map(|(name, actions)| CatalogueResource::parse(name, None, *actions).unwrap());
    ScopeCatalogue::new(resources.collect::<Vec<_>>()).unwrap()
}

fn matic() -> Currency {
    Currency::parse("MATIC").unwrap()
}

fn spec(scale: u8) -> CurrencySpec {
    CurrencySpec::new(CurrencyClass::Crypto, scale).unwrap()
}

#[test]
fn every_setting_is_classified_both_ways() {
    let n = TenantPolicy::narrowest();
    let rows: Vec<Setting> = classify(&n, &n).iter().map(|(s, _)| *s).collect();
    assert_eq!(rows, Setting::ALL.to_vec(), "the table has one row per setting, in field order");
    assert!(classify(&n, &n).iter().all(|(_, d)| *d == Direction::Unchanged), "same policy, nothing moves");
    for setting in Setting::ALL {
        let (from, w) = widened(setting);
        assert_ne!(w, from, "{}: the widened policy differs", setting.as_str());
        for (other, direction) in classify(&from, &w) {
            let expected = if other == setting { Direction::Widens } else { Direction::Unchanged };
            assert_eq!(direction, expected, "{} widened, row {}", setting.as_str(), other.as_str());
        }
        // A time zone has no narrow end: going back is a change like any other.
        let back = if setting == Setting::Timezone { Direction::Widens } else { Direction::Narrows };
        assert_eq!(setting.direction(&w, &from), back, "{}: back to narrow", setting.as_str());
    }
    let required = TenantPolicy { require_account: true, ..n.clone() };
    let split = n.split(&PolicyPatch { require_account: Some(true), ..PolicyPatch::default() });
    assert_eq!(split, PolicySplit { now: required, pending: None }, "requiring accounts applies at once");
    assert_eq!(TenantPolicy::default(), n, "a tenant is born narrow");
}

#[test]
fn lifetime_caps_narrow_downwards_and_no_cap_is_widest() {
    let at = |cap| TenantPolicy { max_key_lifetime_days: cap, ..TenantPolicy::narrowest() };
    let cases = [
        (Some(365), Some(30), Direction::Narrows, "shorter cap"),
        (Some(30), Some(365), Direction::Widens, "longer cap"),
        (Some(30), None, Direction::Widens, "cap removed"),
        (None, Some(3650), Direction::Narrows, "cap added"),
        (None, None, Direction::Unchanged, "no cap either way"),
    ];
    for (from, to, expected, why) in cases {
        assert_eq!(Setting::MaxKeyLifetimeDays.direction(&at(from), &at(to)), expected, "{why}");
    }
}

#[test]
fn a_patch_splits_into_what_applies_now_and_what_waits() {
    let open = TenantPolicy { dual_control: false, live_enabled: true, ..TenantPolicy::narrowest() };
    let cases = [
        (
            TenantPolicy::narrowest(),
            PolicyPatch { dual_control: Some(false), live_enabled: Some(false), ..PolicyPatch::default() },
            TenantPolicy::narrowest(),
            Some(PolicyPatch { dual_control: Some(false), ..PolicyPatch::default() }),
            "switching dual control off waits; an unchanged setting needs nobody",
        ),
        (
            open.clone(),
            PolicyPatch { dual_control: Some(true), live_enabled: Some(false), ..PolicyPatch::default() },
            TenantPolicy::narrowest(),
            None,
            "narrowing applies at once, even without dual control",
        ),
        (
            open.clone(),
            PolicyPatch {
                max_key_lifetime_days: Some(Some(30)),
                integrator_approvals: Some(true),
                ..PolicyPatch::default()
            },
            TenantPolicy { max_key_lifetime_days: Some(30), ..open },
            Some(PolicyPatch { integrator_approvals: Some(true), ..PolicyPatch::default() }),
            "a widening waits even when dual control is off",
        ),
        (TenantPolicy::narrowest(), PolicyPatch::default(), TenantPolicy::narrowest(), None, "empty patch"),
    ];
    for (policy, patch, now, pending, why) in cases {
        assert_eq!(policy.split(&patch), PolicySplit { now, pending }, "{why}");
    }
}

#[test]
fn approval_applies_what_still_widens_as_asked() {
    let n = TenantPolicy::narrowest();
    let asked =
        PolicyPatch { live_enabled: Some(true), max_key_lifetime_days: Some(Some(400)), ..PolicyPatch::default() };
    let uncapped = TenantPolicy { max_key_lifetime_days: None, ..n.clone() };
    let cases = [
        (n.clone(), TenantPolicy { live_enabled: true, max_key_lifetime_days: Some(400), ..n.clone() }, "both widen"),
        (
            TenantPolicy { max_key_lifetime_days: Some(30), ..n.clone() },
            TenantPolicy { live_enabled: true, max_key_lifetime_days: Some(400), ..n.clone() },
            "a narrowing meanwhile is replaced by the approved value",
        ),
        (uncapped.clone(), TenantPolicy { live_enabled: true, ..uncapped }, "a cap already removed is not put back"),
    ];
    for (current, expected, why) in cases {
        assert_eq!(current.apply_pending(&asked), expected, "{why}");
    }
}

#[test]
fn a_policy_request_needs_another_admin() {
    let person = |n: u8| ActorId::Operator(OperatorId::from_bytes([n; 16]));
    let admin = |n: u8| Actor::new(person(n), RoleSet::of([Role::Admin]));
    let system = Actor::new(ActorId::System, RoleSet::of([Role::Admin]));
    let widen = PolicyPatch { dual_control: Some(false), ..PolicyPatch::default() };
    assert_eq!(
        PolicyRequest::new(widen.clone(), &Actor::new(person(1), RoleSet::of([Role::Checker]))).unwrap_err(),
        PolicyError::MissingRole(Role::Admin),
        "only admins ask"
    );
    assert_eq!(PolicyRequest::new(PolicyPatch::default(), &admin(1)), Err(PolicyError::NothingToApprove), "empty");
    let by_system = PolicyRequest::new(widen.clone(), &system).unwrap();
    let by_admin = PolicyRequest::new(widen, &admin(1)).unwrap();
    let owns = |k: u8, p: u8| {
        let scopes = ScopeSet::parse(["api-keys:*"]).unwrap();
        let roles = RoleSet::of([Role::Admin]);
        let bounds = KeyBounds {
            environment: Environment::Test,
            privileges: Privileges { scopes, limits: Limits::none() },
            account: None,
        };
        Actor::for_key(KeyId::from_bytes([k; 16]), roles, person(p), bounds)
    };
    let cases = [
        (&by_system, admin(1), Ok(false), "the system admin asks, a tenant admin approves"),
        (&by_system, system.clone(), Err(PolicyError::SelfApproval), "the system admin is one person"),
        (&by_admin, admin(2), Ok(false), "another admin"),
        (&by_admin, admin(1), Err(PolicyError::SelfApproval), "the asker"),
        (&by_admin, owns(9, 1), Err(PolicyError::SelfApproval), "the asker through a key"),
        (
            &by_admin,
            Actor::new(person(2), RoleSet::of([Role::Checker])),
            Err(PolicyError::MissingRole(Role::Admin)),
            "a checker",
        ),
    ];
    for (request, who, expected, why) in cases {
        let got = request.approve(&who, &TenantPolicy::narrowest()).map(|p| p.dual_control);
        assert_eq!(got, expected, "approve: {why}");
        assert_eq!(request.reject(&who), expected.map(|_| ()), "reject: {why}");
    }
}

#[test]
fn currencies_widen_when_added_reclassed_or_made_finer_and_narrow_when_coarser() {
    let with = |code: &str, class, scale| TenantPolicy {
        currencies: CurrencyTable::empty()
            .with(Currency::parse(code).unwrap(), CurrencySpec::new(class, scale).unwrap()),
        ..TenantPolicy::narrowest()
    };
    let n = TenantPolicy::narrowest();
    let (fiat, crypto) = (CurrencyClass::Fiat, CurrencyClass::Crypto);
    let cases = [
        (&n, with("MATIC", crypto, 18), Direction::Widens, "a currency the built-in table lacks"),
        (&n, with("USDT", crypto, 6), Direction::Unchanged, "the built-in description, written out"),
        (&n, with("USDT", crypto, 8), Direction::Widens, "more decimals"),
        (&n, with("USDT", crypto, 2), Direction::Narrows, "fewer decimals"),
        (&n, with("USDT", fiat, 2), Direction::Widens, "another class, even with fewer decimals"),
        (&n, with("XOF", fiat, 2), Direction::Widens, "XOF with cents"),
    ];
    for (from, to, expected, why) in cases {
        assert_eq!(Setting::Currencies.direction(from, &to), expected, "{why}");
    }
    let patch = PolicyPatch {
        currency: Some((matic(), spec(18))),
        timezone: Some(Timezone::parse("Africa/Dakar").unwrap()),
        ..PolicyPatch::default()
    };
    let split = n.split(&patch);
    assert_eq!(split.now, n, "neither applies at once");
    assert_eq!(split.pending.as_ref(), Some(&patch), "both wait for a second admin");
    let approved = n.apply_pending(&patch);
    assert_eq!(approved.currency(matic()), Some(spec(18)), "the tenant's entry is in its table");
    assert_eq!(approved.currency_table().get(matic()), Some(spec(18)));
    assert_eq!(approved.currency(Currency::parse("XOF").unwrap()).map(CurrencySpec::scale), Some(0), "built-ins stay");
}

#[test]
fn a_scope_catalogue_set_or_reduced_applies_at_once_and_removed_or_enlarged_waits() {
    let n = TenantPolicy::narrowest();
    let with = |c: &ScopeCatalogue| TenantPolicy { scope_catalogue: Some(c.clone()), ..n.clone() };
    let wide = catalogue(&[("payouts", &["read", "write", "approve"]), ("wallets", &["read"])]);
    let reworded = ScopeCatalogue::new([
        CatalogueResource::parse("payouts", Some("Money out"), ["write", "approve"]).unwrap(),
        CatalogueResource::parse("wallets", Some("Balances"), ["read"]).unwrap(),
    ])
    .unwrap();
    let cases = [
        (n.clone(), Some(wide.clone()), Direction::Narrows, "a first catalogue"),
        (with(&wide), Some(catalogue(&[("payouts", &["read"])])), Direction::Narrows, "fewer resources and actions"),
        (with(&wide), Some(reworded), Direction::Narrows, "other descriptions, the same rights"),
        (with(&wide), Some(wide.clone()), Direction::Unchanged, "the same catalogue"),
        (with(&wide), None, Direction::Widens, "removed"),
        (with(&wide), Some(catalogue(&[("invoices", &["read"])])), Direction::Widens, "a resource added"),
        (with(&wide), Some(catalogue(&[("wallets", &["write"])])), Direction::Widens, "an action added"),
    ];
    for (from, to, expected, why) in cases {
        let patch = PolicyPatch { scope_catalogue: Some(to.clone()), ..PolicyPatch::default() };
        assert_eq!(Setting::ScopeCatalogue.direction(&from, &patch.apply_to(&from)), expected, "{why}");
        let split = from.split(&patch);
        if expected == Direction::Widens {
            assert_eq!((&split.now, split.pending.as_ref()), (&from, Some(&patch)), "{why}: held");
            assert_eq!(from.apply_pending(&patch).scope_catalogue, to, "{why}: approved as asked");
        } else {
            assert_eq!((split.now.scope_catalogue, split.pending), (to, None), "{why}: at once");
        }
    }
}
