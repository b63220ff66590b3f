//! The client's address: the TCP peer, or, when the peer is a trusted proxy, the address in
//! `X-Forwarded-For` that the nearest untrusted hop is.
//!
//! All header lines are joined in order (a proxy such as `HAProxy` appends its own line rather than
//! extending the client's), then walked right to left past trusted proxies. An entry that is not an
//! address fails closed: no address at all, so an allow-listed key is refused rather than judged by the
//! proxy's address. A header from an untrusted peer is ignored, so a client cannot claim an address.

#[cfg(test)]
mod tests;

use std::net::IpAddr;

use actix_web::dev::ServiceRequest;
use actix_web::http::header::HeaderMap;
use ipnetwork::IpNetwork;

/// The client address of `req` given the trusted proxies.
pub fn client_ip(req: &ServiceRequest, trusted: &[IpNetwork]) -> Option<IpAddr> {
    client_ip_of(req.peer_addr().map(|a| a.ip()), req.headers(), trusted)
}

/// The client address of a request from `peer` with `headers`, given the trusted proxies.
pub fn client_ip_of(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNetwork]) -> Option<IpAddr> {
    let lines: Option<Vec<&str>> = headers.get_all("x-forwarded-for").map(|v| v.to_str().ok()).collect();
    forwarded_client(peer?, lines?.iter().copied(), trusted)
}

/// The walk itself, on the header's lines as text: pure, so it can be tested on its own.
pub fn forwarded_client<'a>(
    peer: IpAddr,
    lines: impl Iterator<Item = &'a str>,
    trusted: &[IpNetwork],
) -> Option<IpAddr> {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    // A dual-stack listener sees an IPv4 peer as `::ffff:a.b.c.d`: it is that IPv4 address.
    let peer = unmapped(peer);
    if !is_trusted(peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = lines.flat_map(|line| line.split(',')).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let ip = unmapped(hop.trim().parse::<IpAddr>().ok()?);
        if !is_trusted(ip) {
            return Some(ip);
        }
        client = ip;
    }
    Some(client)
}

/// An IPv4-mapped IPv6 address is the IPv4 address it maps.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    }
}
