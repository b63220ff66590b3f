//! The request log's lines in PostgreSQL's binary `COPY` format: one buffer per batch, each field
//! written in place (no text to parse on the server, no string per field on ours).
//!
//! It must write exactly the columns of [`COLUMNS`], in that order and with those types; a value the
//! schema cannot hold (a latency past `bigint`) is refused before anything is sent.
//! Format: <https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4>.

use chrono::{DateTime, Utc};
use keygate_domain::KeyId;
use rust_decimal::Decimal;
use sqlx::postgres::PgArgumentBuffer;
use sqlx::Encode;

use super::convert::to_db;
use super::failure::corrupt;
use crate::error::StoreError;
use crate::request_log::RequestLine;

/// The statement the buffer answers, its columns in the order each line's fields are written.
pub(super) const COPY: &str = "COPY request_log (tenant_id, at, request_id, key_id, environment, account_id, \
       outcome, status, client_ip, required_scopes, amount, currency, spend_id, service_id, latency_us) \
     FROM STDIN (FORMAT binary)";

/// Fields per line: the columns of [`COPY`].
const FIELDS: i16 = 15;

/// The file header: signature, flags (no OIDs), header extension length.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// `text`'s type oid (the scopes array's elements).
const TEXT_OID: u32 = 25;

/// Bytes a line takes when it has no scope and no amount, for the first allocation.
const TYPICAL_LINE: usize = 200;

/// Every line of `lines`, whole, in one buffer ready for [`COPY`].
pub(super) fn encode(lines: &[RequestLine]) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(HEADER.len() + lines.len() * TYPICAL_LINE + 2);
    out.extend_from_slice(HEADER);
    for line in lines {
        encode_line(&mut out, line)?;
    }
    // The trailer: a field count of -1.
    out.extend_from_slice(&(-1i16).to_be_bytes());
    Ok(out)
}

fn encode_line(out: &mut Vec<u8>, line: &RequestLine) -> Result<(), StoreError> {
    out.extend_from_slice(&FIELDS.to_be_bytes());
    text(out, line.tenant.as_str());
    timestamp(out, line.at);
    id(out, line.id.as_bytes());
    id(out, line.key.as_bytes());
    text(out, line.environment.as_str());
    match &line.account {
        Some(account) => text(out, account.as_str()),
        None => null(out),
    }
    text(out, &line.outcome);
    let status = i16::try_from(line.status).map_err(|e| corrupt("status", e))?;
    field(out, &status.to_be_bytes());
    match line.client_ip {
        Some(ip) => inet(out, ip),
        None => null(out),
    }
    scopes(out, line)?;
    match line.amount {
        Some(amount) => numeric(out, amount)?,
        None => null(out),
    }
    match line.currency {
        Some(currency) => text(out, currency.as_str()),
        None => null(out),
    }
    match line.spend {
        Some(spend) => id(out, spend.as_bytes()),
        None => null(out),
    }
    match line.service {
        Some(service) => id(out, service.as_bytes()),
        None => null(out),
    }
    field(out, &to_db(line.latency_us, "latency_us")?.to_be_bytes());
    Ok(())
}

/// A field's length, then its bytes.
fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    // A field here is at most a few hundred bytes (the scopes of one request), far below i32::MAX.
    out.extend_from_slice(&i32::try_from(bytes.len()).unwrap_or(i32::MAX).to_be_bytes());
    out.extend_from_slice(bytes);
}

fn null(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1i32).to_be_bytes());
}

fn text(out: &mut Vec<u8>, value: &str) {
    field(out, value.as_bytes());
}

/// A 128-bit id in its 22-character base62 form (every id type shares [`KeyId`]'s).
fn id(out: &mut Vec<u8>, bytes: &[u8; 16]) {
    let mut buf = [0u8; 22];
    KeyId::from_bytes(*bytes).encode_into(&mut buf);
    field(out, &buf);
}

/// `timestamptz`: microseconds since 2000-01-01 UTC.
fn timestamp(out: &mut Vec<u8>, at: DateTime<Utc>) {
    field(out, &(at.timestamp_micros() - PG_EPOCH_MICROS).to_be_bytes());
}

/// `inet`: family (2 for IPv4, 3 for IPv6, PostgreSQL's own numbers), prefix bits, not a CIDR,
/// address length, address.
fn inet(out: &mut Vec<u8>, ip: std::net::IpAddr) {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let mut buf = [2, 32, 0, 4, 0, 0, 0, 0];
            buf[4..].copy_from_slice(&v4.octets());
            field(out, &buf);
        }
        std::net::IpAddr::V6(v6) => {
            let mut buf = [0u8; 20];
            buf[..4].copy_from_slice(&[3, 128, 0, 16]);
            buf[4..].copy_from_slice(&v6.octets());
            field(out, &buf);
        }
    }
}

/// `text[]`: dimensions (0 when empty), no nulls, element type, then (when not empty) the length
/// and lower bound of its one dimension and each element's length and text.
fn scopes(out: &mut Vec<u8>, line: &RequestLine) -> Result<(), StoreError> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    let one_dimension = !line.required_scopes.is_empty();
    out.extend_from_slice(&i32::from(one_dimension).to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    out.extend_from_slice(&TEXT_OID.to_be_bytes());
    if one_dimension {
        let count = i32::try_from(line.required_scopes.len()).map_err(|e| corrupt("required_scopes", e))?;
        out.extend_from_slice(&count.to_be_bytes());
        out.extend_from_slice(&1i32.to_be_bytes());
        for scope in &line.required_scopes {
            let at = out.len();
            out.extend_from_slice(&[0; 4]);
            // `resource:action`, as its Display writes it; writing to a Vec cannot fail.
            let _ = std::io::Write::write_fmt(out, format_args!("{scope}"));
            patch_len(out, at)?;
        }
    }
    patch_len(out, start)
}

/// `numeric`, as sqlx encodes a [`Decimal`] for a bound parameter (rare: only lines that asked an amount).
fn numeric(out: &mut Vec<u8>, amount: Decimal) -> Result<(), StoreError> {
    let mut buf = PgArgumentBuffer::default();
    // A decimal is never NULL: what the encoder answers about it is known.
    let _ =
        <Decimal as Encode<'_, sqlx::Postgres>>::encode_by_ref(&amount, &mut buf).map_err(|e| corrupt("amount", e))?;
    field(out, &buf);
    Ok(())
}

/// Writes, at `at`, the length of what follows the four bytes reserved there.
fn patch_len(out: &mut [u8], at: usize) -> Result<(), StoreError> {
    let len = i32::try_from(out.len() - at - 4).map_err(|e| corrupt("request line", e))?;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
    Ok(())
}
