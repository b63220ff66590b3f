//! A key's client networks: the addresses it may be used from. IPv4-mapped IPv6 addresses and networks
//! count as their IPv4 form, so one client never matches differently depending on how it connected.

use std::net::IpAddr;

use ipnetwork::IpNetwork;

use super::LimitsError;

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
