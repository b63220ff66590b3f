//! Where a request carries its key: `Authorization: Bearer <token>` (RFC 6750) or `X-API-KEY: <token>`,
//! as the platforms keygate serves use both.

use actix_web::http::header::{HeaderMap, AUTHORIZATION};

/// The presented token's bytes, if any. `Authorization` wins when both are sent.
pub fn presented_token(headers: &HeaderMap) -> Option<&[u8]> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let bytes = value.as_bytes();
        // The scheme is case-insensitive (RFC 7235).
        if bytes.len() > 7 && bytes[..7].eq_ignore_ascii_case(b"bearer ") {
            return Some(trim(&bytes[7..]));
        }
    }
    headers.get("x-api-key").map(|v| trim(v.as_bytes())).filter(|t| !t.is_empty())
}

fn trim(bytes: &[u8]) -> &[u8] {
    bytes.trim_ascii()
}
