use std::net::{IpAddr, Ipv4Addr};

use ipnetwork::IpNetwork;
use proptest::prelude::*;

use super::forwarded_client;

fn trusted() -> Vec<IpNetwork> {
    vec!["10.0.0.0/8".parse().unwrap()]
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn check(peer: &str, lines: &[&str], expected: Option<&str>, why: &str) {
    let got = forwarded_client(ip(peer), lines.iter().copied(), &trusted());
    assert_eq!(got, expected.map(ip), "{why}");
}

#[test]
fn the_walk_takes_the_nearest_untrusted_hop_and_fails_closed_on_garbage() {
    check("203.0.113.9", &["198.51.100.1"], Some("203.0.113.9"), "an untrusted peer's header is ignored");
    check("10.0.0.1", &[], Some("10.0.0.1"), "a trusted peer without a header is the client");
    check("10.0.0.1", &["198.51.100.7"], Some("198.51.100.7"), "one hop");
    check("10.0.0.1", &["1.1.1.1, 198.51.100.7"], Some("198.51.100.7"), "the client's own entries stay left");
    check("10.0.0.1", &["1.1.1.1", "198.51.100.7"], Some("198.51.100.7"), "a proxy's appended line wins");
    check("10.0.0.1", &["198.51.100.7, 10.0.0.2"], Some("198.51.100.7"), "past a trusted inner proxy");
    check("10.0.0.1", &["10.0.0.3, 10.0.0.2"], Some("10.0.0.3"), "all trusted: the leftmost");
    check("10.0.0.1", &["garbage"], None, "an unparsable entry fails closed");
    check("10.0.0.1", &["198.51.100.7, x"], None, "garbage to the right of the client fails closed");
    check("10.0.0.1", &["::ffff:198.51.100.7"], Some("198.51.100.7"), "IPv4-mapped reads as IPv4");
    check("::ffff:10.0.0.1", &["198.51.100.7"], Some("198.51.100.7"), "a mapped trusted peer is trusted");
    check("::ffff:203.0.113.9", &["10.0.0.2"], Some("203.0.113.9"), "a mapped untrusted peer is its IPv4 self");
}

proptest! {
    /// Whatever a client writes in its own header, the address the nearest trusted proxy appended
    /// is the one believed; and nothing the client writes yields a trusted-network address.
    #[test]
    fn a_client_cannot_choose_its_address(
        forged in proptest::collection::vec(any::<u32>(), 0..6),
        junk in "[ -~]{0,20}",
        real in any::<u32>().prop_filter("outside 10/8", |n| (n >> 24) != 10),
    ) {
        let real = IpAddr::V4(Ipv4Addr::from(real));
        let forged: Vec<String> = forged.into_iter().map(|n| Ipv4Addr::from(n).to_string()).collect();
        let client_line = forged.join(", ");
        let appended = real.to_string();
        let got = forwarded_client(ip("10.0.0.1"), [client_line.as_str(), appended.as_str()].into_iter(), &trusted());
        prop_assert_eq!(got, Some(real));
        let with_junk = forwarded_client(ip("10.0.0.1"), [junk.as_str()].into_iter(), &trusted());
        if let Some(found) = with_junk {
            prop_assert!(junk.split(',').any(|h| h.trim().parse::<IpAddr>().is_ok()) || found == ip("10.0.0.1"));
        }
    }
}
