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
