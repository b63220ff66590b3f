use super::*;

fn amount(s: &str) -> Option<Amount> {
    Amount::parse(s).ok()
}

fn code(s: &str) -> Currency {
    Currency::parse(s).unwrap()
}

#[allow(clippy::unnecessary_wraps)] // Shaped as `Limits::single` takes it.
fn xof() -> Option<Currency> {
    Some(code("XOF"))
}

fn entry(currency: &str, max: &str, day: &str, week: &str, month: &str) -> (Currency, AmountLimit) {
    let volumes = PerWindow { day: amount(day), week: amount(week), month: amount(month) };
    (code(currency), AmountLimit::new(code(currency), amount(max), volumes).unwrap())
}

#[test]
fn allow_lists_match_addresses_and_networks() {
    let list = IpAllowList::parse(["192.168.1.100", "10.0.0.0/8", "2001:db8::/32"]).unwrap();
    let cases = [
        ("192.168.1.100", true),
        ("192.168.1.101", false),
        ("10.200.3.4", true),
        ("11.0.0.1", false),
        ("2001:db8::42", true),
        ("2001:db9::1", false),
        ("::ffff:10.1.2.3", true),
    ];
    let mapped = IpAllowList::parse(["::ffff:172.16.0.0/108"]).unwrap();
    assert!(mapped.allows("172.16.5.5".parse().unwrap()), "a mapped network matches its IPv4 clients");
    assert_eq!(mapped.networks()[0].to_string(), "172.16.0.0/12", "and is kept in its IPv4 form");
    for (ip, allowed) in cases {
        assert_eq!(list.allows(ip.parse().unwrap()), allowed, "client {ip}");
    }
    assert!(IpAllowList::default().allows("8.8.8.8".parse().unwrap()), "empty list allows any");
    assert_eq!(IpAllowList::parse(["10.0.0.0/8", "nope"]), Err(LimitsError::Network { index: 1 }));
}

#[test]
fn limits_refuse_incoherent_combinations() {
    let none = IpAllowList::default();
    assert_eq!(Limits::single(None, amount("10"), None, none.clone()), Err(LimitsError::CurrencyRequired));
    let order = |smaller, larger| LimitsError::Order { currency: code("XOF"), smaller, larger };
    assert_eq!(
        Limits::single(xof(), amount("10"), amount("5"), none.clone()),
        Err(order("max_amount", "daily_volume"))
    );
    assert!(Limits::single(xof(), amount("100000"), amount("1000000"), none.clone()).is_ok());
    let week_under_day = PerWindow { day: amount("100"), week: amount("50"), month: None };
    assert_eq!(AmountLimit::new(code("XOF"), None, week_under_day), Err(order("daily_volume", "weekly_volume")));
    let month_under_max = PerWindow { day: None, week: None, month: amount("5") };
    assert_eq!(AmountLimit::new(code("XOF"), amount("6"), month_under_max), Err(order("max_amount", "monthly_volume")));
    let twice = vec![entry("USD", "1", "", "", ""), entry("USD", "2", "", "", "")];
    assert_eq!(Limits::new(twice, None, none.clone()), Err(LimitsError::DuplicateCurrency { currency: code("USD") }));
    let many: Vec<_> = (0..33).map(|i| (code(&format!("C{i:02}")), AmountLimit::default())).collect();
    assert_eq!(Limits::new(many, None, none), Err(LimitsError::TooManyCurrencies { max: 32 }));
}

#[test]
fn entries_are_found_by_currency_whatever_order_they_came_in() {
    let limits =
        Limits::new(vec![entry("USDT", "5", "", "", ""), entry("BTC", "1", "", "", "")], None, IpAllowList::default())
            .unwrap();
    assert_eq!(limits.amounts()[0].0, code("BTC"), "sorted");
    assert_eq!(limits.amount_limit(code("USDT")).and_then(AmountLimit::max_amount), amount("5"));
    assert_eq!(limits.amount_limit(code("ETH")), None);
}

#[test]
fn narrowing_is_recognised_and_widening_is_not() {
    let ips = |v: &[&str]| IpAllowList::parse(v.iter().copied()).unwrap();
    let single = |c: Option<Currency>, max, day, nets: &[&str]| Limits::single(c, amount(max), amount(day), ips(nets));
    let old = single(xof(), "100", "1000", &["10.0.0.0/8"]).unwrap();
    let cases = [
        (single(xof(), "50", "1000", &["10.1.0.0/16"]).unwrap(), true, "lower max, smaller net"),
        (old.clone(), true, "unchanged"),
        (single(xof(), "150", "1000", &["10.0.0.0/8"]).unwrap(), false, "higher max"),
        (single(xof(), "", "1000", &["10.0.0.0/8"]).unwrap(), false, "max removed"),
        (single(xof(), "100", "1000", &[]).unwrap(), false, "any address"),
        (single(xof(), "100", "1000", &["0.0.0.0/0"]).unwrap(), false, "wider net"),
        (single(Some(code("EUR")), "100", "1000", &["10.0.0.1"]).unwrap(), false, "other currency"),
        (single(None, "", "", &["10.0.0.1"]).unwrap(), false, "any currency"),
    ];
    for (new, within, why) in cases {
        assert_eq!(new.is_within(&old), within, "{why}");
    }
}

#[test]
fn windows_and_classes_narrow_one_way() {
    let none = IpAllowList::default();
    let with = |entries: Vec<(Currency, AmountLimit)>, class| Limits::new(entries, class, none.clone()).unwrap();
    let old = with(vec![entry("USD", "", "100", "500", "")], None);
    let cases = [
        (with(vec![entry("USD", "", "100", "400", "1000")], None), true, "lower week, month added"),
        (with(vec![entry("USD", "", "100", "", "")], None), false, "week removed"),
        (with(vec![entry("USD", "", "100", "500", ""), entry("EUR", "", "", "", "")], None), false, "a currency added"),
        (with(vec![entry("USD", "", "100", "500", "")], Some(CurrencyClass::Fiat)), true, "bound to a class"),
        (with(vec![], None), false, "every limit removed"),
    ];
    for (new, within, why) in cases {
        assert_eq!(new.is_within(&old), within, "{why}");
    }
    let fiat = with(vec![], Some(CurrencyClass::Fiat));
    assert!(!with(vec![], Some(CurrencyClass::Crypto)).is_within(&fiat), "another class widens");
    assert!(!with(vec![], None).is_within(&fiat), "no class widens");
    assert!(with(vec![entry("USD", "1", "", "", "")], None).is_within(&with(vec![], None)), "limits added");
}

fn rate(name: &str, limit: u64, window: u32) -> RateLimit {
    RateLimit::new(name, limit, window).unwrap()
}

fn with_rate(rates: Vec<RateLimit>) -> Limits {
    Limits::none().with_rate(rates).unwrap()
}

#[test]
fn rate_limits_are_checked_and_kept_by_name() {
    assert_eq!(RateLimit::new("", 1, 1), Err(LimitsError::RateName));
    assert_eq!(RateLimit::new("per second", 1, 1), Err(LimitsError::RateName));
    assert_eq!(RateLimit::new(&"n".repeat(33), 1, 1), Err(LimitsError::RateName));
    assert_eq!(RateLimit::new("s", 0, 1), Err(LimitsError::RateLimit { max: 1_000_000_000 }));
    assert_eq!(RateLimit::new("s", 1, 0), Err(LimitsError::RateWindow { max: 86_400 }));
    assert_eq!(RateLimit::new("s", 1, 86_401), Err(LimitsError::RateWindow { max: 86_400 }));
    assert!(RateLimit::new("per-day.v1_x", 1_000_000_000, 86_400).is_ok());
    let twice = Limits::none().with_rate(vec![rate("a", 1, 1), rate("a", 2, 2)]);
    assert_eq!(twice, Err(LimitsError::DuplicateRate { name: "a".into() }));
    let six = (0..6).map(|i| rate(&format!("r{i}"), 1, 1)).collect();
    assert_eq!(Limits::none().with_rate(six), Err(LimitsError::TooManyRates { max: 5 }));
    let sorted = with_rate(vec![rate("second", 100, 1), rate("hour", 10_000, 3600)]);
    assert_eq!(sorted.rate()[0].name(), "hour");
    assert_eq!(rate("ten", 5, 10).window_start(1_234), 1_230, "windows are aligned to the epoch");
    assert_eq!(rate("ten", 5, 10).window_start(-1), -10);
}

#[test]
fn rate_limits_narrow_and_widen() {
    let old = with_rate(vec![rate("second", 100, 1), rate("hour", 10_000, 3600)]);
    let cases = [
        (with_rate(vec![rate("second", 50, 1), rate("hour", 10_000, 3600)]), true, "lowered"),
        (with_rate(vec![rate("second", 100, 1), rate("hour", 10_000, 3600), rate("day", 1, 86_400)]), true, "added"),
        (with_rate(vec![rate("s", 100, 1), rate("h", 10_000, 3600)]), true, "renamed"),
        (with_rate(vec![rate("second", 100, 2), rate("hour", 10_000, 3600)]), true, "longer window, same count"),
        (with_rate(vec![rate("second", 101, 1), rate("hour", 10_000, 3600)]), false, "raised"),
        (with_rate(vec![rate("second", 100, 1)]), false, "one removed"),
        (with_rate(vec![rate("second", 100, 1), rate("hour", 10_000, 60)]), false, "window shortened"),
        (with_rate(vec![rate("second", 100, 1), rate("hour", 10_000, 5000)]), false, "window not a multiple"),
        (Limits::none(), false, "every rate limit removed"),
    ];
    for (new, within, why) in cases {
        assert_eq!(new.is_within(&old), within, "{why}");
    }
    assert!(old.is_within(&Limits::none()), "a key without rate limits gains some");
}

proptest::proptest! {
    /// However the limits are drawn, a key's limits are within themselves, removing one widens unless
    /// another implies it, and adding one always narrows.
    #[test]
    fn rate_narrowing_is_sound(
        entries in proptest::collection::vec((1u64..50, 1u32..30), 1..5),
        extra in (1u64..50, 1u32..30),
    ) {
        let rates: Vec<RateLimit> = entries.iter().enumerate().map(|(i, (l, w))| rate(&format!("r{i}"), *l, *w)).collect();
        let limits = with_rate(rates.clone());
        proptest::prop_assert!(limits.is_within(&limits));
        let mut more = rates.clone();
        more.push(rate("extra", extra.0, extra.1));
        proptest::prop_assert!(with_rate(more).is_within(&limits));
        let fewer = with_rate(rates[1..].to_vec());
        let implied = rates[1..].iter().any(|r| r.implies(&rates[0]));
        proptest::prop_assert_eq!(fewer.is_within(&limits), implied);
        // Soundness of `implies`: within every window of the old limit, the new limit admits at most
        // the old count (epoch-aligned windows, checked over two of the new limit's windows).
        for (n, o) in rates.iter().flat_map(|n| rates.iter().map(move |o| (n, o))) {
            if n.implies(o) {
                let span = i64::from(n.window_seconds()) * 2;
                for start in (0..span).step_by(o.window_seconds() as usize) {
                    let end = start + i64::from(o.window_seconds()) - 1;
                    proptest::prop_assert_eq!(n.window_start(start), n.window_start(end));
                }
            }
        }
    }
}
