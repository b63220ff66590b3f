//! The JSON shapes of the HTTP API. Domain types are not `Serialize`: requests convert into them with
//! `TryFrom` (naming the field that breaks a rule), responses are built from them here.

pub mod audit;
pub mod key;
pub mod leak;
pub mod limits;
mod nullable;
pub mod operator;
pub mod problem;
pub mod request_log;
pub mod schema;
pub mod scopes;
pub mod service;
pub mod signing;
pub mod tenant;
pub mod verify;
pub mod webhook;

pub use nullable::Nullable;

use crate::error::ApiError;

/// Parses `text` with `parse`, naming `field` in the 400 if it fails.
pub fn field<T, E: ToString>(field: &str, text: &str, parse: impl FnOnce(&str) -> Result<T, E>) -> Result<T, ApiError> {
    parse(text).map_err(|e| ApiError::invalid(field, e))
}
