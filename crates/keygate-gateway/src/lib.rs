//! keygate behind an API gateway: what `/v1/authorize` needs to turn a gateway's question ("may this
//! request pass?") into a verification.
//!
//! - [`original`]: the original method and path, from nginx's, Traefik's or Envoy's headers.
//! - [`RouteTable`]: `KEYGATE_ROUTES`' table, parsed with errors that name their line, and
//!   [`RouteTable::resolve`]: the most specific matching route (a literal segment wins over a
//!   parameter) and the request context it asks for: tenant, account, scopes, environment, amount.
//!
//! It holds no credential and decides nothing about a key: the verifier does, exactly as for
//! `/v1/verify`. Everything here fails closed: a path not in normal form, an unlisted route (unless
//! the table says otherwise), a money route without its amount.

mod original;
mod pattern;
mod resolve;
mod table;

#[cfg(test)]
mod tests;

pub use original::{original, Convention, Original, OriginalError};
pub use pattern::{Pattern, PatternError};
pub use resolve::{Refusal, Resolved};
pub use table::{Fallback, Route, RouteTable, TableError, TenantSource};
