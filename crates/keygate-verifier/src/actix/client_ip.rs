//! The client's address: the TCP peer, or, when the peer is a trusted proxy, the right-most address in
//! `X-Forwarded-For` that is not itself a trusted proxy. A header from an untrusted peer is ignored, so
//! a client cannot claim an allowed address.

use std::net::IpAddr;

use actix_web::dev::ServiceRequest;
use ipnetwork::IpNetwork;

/// The client address of `req` given the trusted proxies.
pub fn client_ip(req: &ServiceRequest, trusted: &[IpNetwork]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut client = peer;
    for value in req.headers().get_all("x-forwarded-for") {
        let Ok(text) = value.to_str() else { return Some(peer) };
        for hop in text.split(',').rev() {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) if is_trusted(ip) => client = ip,
                Ok(ip) => return Some(ip),
                // A garbled chain proves nothing beyond the last trusted hop.
                Err(_) => return Some(client),
            }
        }
    }
    Some(client)
}
