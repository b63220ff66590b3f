//! Conversions between the model's numbers and PostgreSQL's: `u64`/`u32` counters and versions in
//! `bigint`, decimals read back from `numeric`.
//!
//! It must never wrap or truncate silently: a value that does not fit is an error.

use super::failure::corrupt;
use crate::error::StoreError;

/// A model counter or version as a `bigint` (the schema has no unsigned types).
pub(super) fn to_db(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|e| corrupt(what, e))
}

/// A stored `bigint` back as a model counter or version.
pub(super) fn from_db(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|e| corrupt(what, e))
}

/// A stored `bigint` back as a `u32` (days, seconds).
pub(super) fn from_db_u32(value: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|e| corrupt(what, e))
}
