//! The limits a key is held to: currency, per-operation amount, daily volume and client networks.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use crate::money::{Amount, Currency};

/// Limits broke a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    /// An amount limit without a currency would add up different currencies.
    #[error("currency is required when max_amount or daily_volume is set")]
    CurrencyRequired,
    /// One operation could never fit in a day.
    #[error("max_amount must not exceed daily_volume")]
    MaxAboveDaily,
    /// An entry was neither an IP address nor a CIDR network.
    #[error("allowed_ips[{index}] is not an IP address or CIDR network")]
    Network {
        /// Position of the bad entry.
        index: usize,
    },
    /// More networks than a key may hold.
    #[error("at most {max} allowed_ips entries")]
    TooManyNetworks {
        /// The limit.
        max: usize,
    },
}

/// The client networks a key may be used from. Empty means any address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct IpAllowList(Vec<IpNetwork>);

impl IpAllowList {
    /// The most entries one key may hold.
    pub const MAX: usize = 256;

    /// Parses addresses (`192.168.1.100`, `2001:db8::1`) and networks (`10.0.0.0/8`).
    pub fn parse<S: AsRef<str>>(texts: impl IntoIterator<Item = S>) -> Result<Self, LimitsError> {
        let nets = texts
            .into_iter()
            .enumerate()
            .map(|(index, t)| t.as_ref().trim().parse::<IpNetwork>().map_err(|_| LimitsError::Network { index }))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(nets)
    }

    /// Builds the list from parsed networks. An IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) is
    /// kept as its IPv4 form, as clients are matched by their IPv4 form.
    pub fn new(nets: Vec<IpNetwork>) -> Result<Self, LimitsError> {
        if nets.len() > Self::MAX {
            return Err(LimitsError::TooManyNetworks { max: Self::MAX });
        }
        let mut nets: Vec<IpNetwork> = nets.into_iter().map(unmap).collect();
        nets.sort();
        nets.dedup();
        Ok(Self(nets))
    }

    /// Whether a client at `ip` may use the key. An IPv4-mapped IPv6 address counts as its IPv4 form.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        self.0.is_empty() || self.0.iter().any(|net| net.contains(ip))
    }

    /// The networks, sorted.
    pub fn networks(&self) -> &[IpNetwork] {
        &self.0
    }

    /// Whether every address `self` allows is also allowed by `other`.
    pub fn is_within(&self, other: &Self) -> bool {
        if other.0.is_empty() {
            return true;
        }
        !self.0.is_empty()
            && self.0.iter().all(|inner| {
                other.0.iter().any(|outer| outer.prefix() <= inner.prefix() && outer.contains(inner.network()))
            })
    }
}

/// `::ffff:a.b.c.d/n` (n >= 96) as `a.b.c.d/(n - 96)`; anything else unchanged.
fn unmap(net: IpNetwork) -> IpNetwork {
    let IpNetwork::V6(v6) = net else { return net };
    match (v6.ip().to_ipv4_mapped(), v6.prefix().checked_sub(96)) {
        (Some(v4), Some(prefix)) => ipnetwork::Ipv4Network::new(v4, prefix).map_or(net, IpNetwork::V4),
        _ => net,
    }
}

/// What a key may spend and from where.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Limits {
    currency: Option<Currency>,
    max_amount: Option<Amount>,
    daily_volume: Option<Amount>,
    allowed_ips: IpAllowList,
}

impl Limits {
    /// Checks that the parts fit together.
    pub fn new(
        currency: Option<Currency>,
        max_amount: Option<Amount>,
        daily_volume: Option<Amount>,
        allowed_ips: IpAllowList,
    ) -> Result<Self, LimitsError> {
        if currency.is_none() && (max_amount.is_some() || daily_volume.is_some()) {
            return Err(LimitsError::CurrencyRequired);
        }
        if let (Some(max), Some(daily)) = (max_amount, daily_volume) {
            if max > daily {
                return Err(LimitsError::MaxAboveDaily);
            }
        }
        Ok(Self { currency, max_amount, daily_volume, allowed_ips })
    }

    /// No limits at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// The only currency amounts may be in, if set.
    pub fn currency(&self) -> Option<Currency> {
        self.currency
    }

    /// The most one operation may move.
    pub fn max_amount(&self) -> Option<Amount> {
        self.max_amount
    }

    /// The most all operations of one UTC day may move.
    pub fn daily_volume(&self) -> Option<Amount> {
        self.daily_volume
    }

    /// Where the key may be used from.
    pub fn allowed_ips(&self) -> &IpAllowList {
        &self.allowed_ips
    }

    /// Whether `self` allows nothing that `other` forbids. Changing the currency is never a narrowing.
    pub fn is_within(&self, other: &Self) -> bool {
        let tighter = |new: Option<Amount>, old: Option<Amount>| match (new, old) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(n), Some(o)) => n <= o,
        };
        let currency_ok = other.currency.is_none() || self.currency == other.currency;
        currency_ok
            && tighter(self.max_amount, other.max_amount)
            && tighter(self.daily_volume, other.daily_volume)
            && self.allowed_ips.is_within(&other.allowed_ips)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(s: &str) -> Option<Amount> {
        Amount::parse(s).ok()
    }

    fn xof() -> Option<Currency> {
        Currency::parse("XOF").ok()
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
        assert_eq!(Limits::new(None, amount("10"), None, none.clone()), Err(LimitsError::CurrencyRequired));
        assert_eq!(Limits::new(xof(), amount("10"), amount("5"), none.clone()), Err(LimitsError::MaxAboveDaily));
        assert!(Limits::new(xof(), amount("100000"), amount("1000000"), none).is_ok());
    }

    #[test]
    fn narrowing_is_recognised_and_widening_is_not() {
        let ips = |v: &[&str]| IpAllowList::parse(v.iter().copied()).unwrap();
        let old = Limits::new(xof(), amount("100"), amount("1000"), ips(&["10.0.0.0/8"])).unwrap();
        let cases = [
            (
                Limits::new(xof(), amount("50"), amount("1000"), ips(&["10.1.0.0/16"])).unwrap(),
                true,
                "lower max, smaller net",
            ),
            (old.clone(), true, "unchanged"),
            (Limits::new(xof(), amount("150"), amount("1000"), ips(&["10.0.0.0/8"])).unwrap(), false, "higher max"),
            (Limits::new(xof(), None, amount("1000"), ips(&["10.0.0.0/8"])).unwrap(), false, "max removed"),
            (Limits::new(xof(), amount("100"), amount("1000"), ips(&[])).unwrap(), false, "any address"),
            (Limits::new(xof(), amount("100"), amount("1000"), ips(&["0.0.0.0/0"])).unwrap(), false, "wider net"),
            (
                Limits::new(Some(Currency::parse("EUR").unwrap()), amount("100"), amount("1000"), ips(&["10.0.0.1"]))
                    .unwrap(),
                false,
                "other currency",
            ),
        ];
        for (new, within, why) in cases {
            assert_eq!(new.is_within(&old), within, "{why}");
        }
    }
}
