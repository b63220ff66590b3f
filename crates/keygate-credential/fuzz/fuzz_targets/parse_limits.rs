//! `IpAllowList::parse` and `Limits::single` on any text: a typed error or a value, never a panic.
//!
//! The input is read as lines: currency, max_amount, daily_volume (an empty line means absent), then
//! one allow-list entry per line.
//! - An allow list holds at most `IpAllowList::MAX` networks, sorted without duplicates, prints and
//!   parses back to the same list, allows the network address of each of its entries (IPv4-mapped
//!   IPv6 entries excepted: clients are matched in their IPv4 form), and is within itself.
//! - Accepted limits keep an amount limit only with a currency, `max_amount ≤ daily_volume`, and are
//!   within themselves (no change is never a widening).
#![no_main]

use std::net::IpAddr;

use keygate_domain::{Amount, Currency, IpAllowList, Limits, LimitsError};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.split('\n');
    let currency = lines.next().filter(|l| !l.is_empty()).map(Currency::parse);
    let max_amount = lines.next().filter(|l| !l.is_empty()).map(Amount::parse);
    let daily_volume = lines.next().filter(|l| !l.is_empty()).map(Amount::parse);
    let entries: Vec<&str> = lines.collect();
    let list = match IpAllowList::parse(&entries) {
        Ok(list) => {
            check_list(&list, entries.len());
            list
        }
        Err(LimitsError::Network { index }) => {
            assert!(index < entries.len(), "the bad entry's index is in range");
            assert!(entries[index].trim().parse::<ipnetwork::IpNetwork>().is_err(), "the named entry is bad");
            return;
        }
        Err(LimitsError::TooManyNetworks { max }) => {
            assert!(entries.len() > max, "only a list over the limit is refused for its size");
            return;
        }
        Err(other) => panic!("an allow list cannot fail with {other:?}"),
    };
    let (Ok(currency), Ok(max_amount), Ok(daily_volume)) =
        (currency.transpose(), max_amount.transpose(), daily_volume.transpose())
    else {
        return;
    };
    let Ok(limits) = Limits::single(currency, max_amount, daily_volume, list) else { return };
    let has_amount = max_amount.is_some() || daily_volume.is_some();
    assert!(!has_amount || limits.amounts().len() == 1, "an amount limit has its currency's entry");
    for (_, entry) in limits.amounts() {
        if let (Some(max), Some(daily)) = (entry.max_amount(), entry.volumes().day) {
            assert!(max <= daily, "max_amount ≤ daily_volume");
        }
    }
    assert!(limits.is_within(&limits), "limits are within themselves");
});

fn check_list(list: &IpAllowList, given: usize) {
    let nets = list.networks();
    assert!(nets.len() <= IpAllowList::MAX && nets.len() <= given, "bounded by the limit and the input");
    assert!(nets.windows(2).all(|w| w[0] < w[1]), "sorted, no duplicates");
    let printed: Vec<String> = nets.iter().map(ToString::to_string).collect();
    assert_eq!(IpAllowList::parse(&printed).as_ref(), Ok(list), "a list prints and parses back to itself");
    assert!(list.is_within(list), "a list is within itself");
    for net in nets {
        let address = net.network();
        let mapped = matches!(address, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some());
        assert!(mapped || list.allows(address), "{net} allows its own network address");
    }
    if nets.is_empty() {
        assert!(list.allows(IpAddr::from([203, 0, 113, 7])), "an empty list allows any address");
    }
}
