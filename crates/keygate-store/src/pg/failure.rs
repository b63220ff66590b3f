//! Turning sqlx errors into [`StoreError`]s.
//!
//! The rule is fail closed: whatever this module does not recognise as a meaningful violation is
//! `Unavailable`, never `NotFound` and never a panic. It must never let row data into an error:
//! PostgreSQL's `detail` ("Failing row contains (...)") can hold a secret hash, so database errors are
//! re-wrapped keeping only their SQLSTATE and message, which name constraints but quote no values.

use std::fmt;

use crate::error::StoreError;

/// A constraint violation that a caller gives a meaning to (a taken name, an unknown tenant).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Violation<'a> {
    /// A unique or primary key constraint, by name.
    Unique(&'a str),
    /// A foreign key constraint, by name.
    ForeignKey(&'a str),
}

/// The violation `error` reports, if it is one a caller may give a meaning to.
pub(super) fn violation(error: &sqlx::Error) -> Option<Violation<'_>> {
    let sqlx::Error::Database(db) = error else { return None };
    let constraint = db.constraint().unwrap_or("");
    if db.is_unique_violation() {
        Some(Violation::Unique(constraint))
    } else if db.is_foreign_key_violation() {
        Some(Violation::ForeignKey(constraint))
    } else {
        None
    }
}

/// The store error for a failure no caller gave a meaning to.
pub(super) fn fail(error: sqlx::Error) -> StoreError {
    match error {
        sqlx::Error::Database(db) => {
            let failure =
                DatabaseFailure { code: db.code().map(std::borrow::Cow::into_owned), message: db.message().to_owned() };
            if db.is_check_violation() || matches!(db.kind(), sqlx::error::ErrorKind::NotNullViolation) {
                // A write the schema's second line of defence refused: a bug above the store, and
                // retrying will not help, so it is not an outage.
                StoreError::Corrupt(format!("write refused by the schema: {failure}"))
            } else {
                StoreError::Unavailable(Box::new(failure))
            }
        }
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt(format!("stored row does not decode: {error}")),
        // Io, Tls, Protocol, PoolTimedOut, PoolClosed, WorkerCrashed and anything newer: the backend
        // did not answer as it should, so callers must fail closed.
        other => StoreError::Unavailable(Box::new(other)),
    }
}

/// A `StoreError::Corrupt` for a stored value that does not parse.
pub(super) fn corrupt(what: &str, error: impl fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {error}"))
}

/// A database error without the parts that may quote row data.
#[derive(Debug, thiserror::Error)]
#[error("database error {}: {message}", code.as_deref().unwrap_or("?"))]
struct DatabaseFailure {
    /// SQLSTATE.
    code: Option<String>,
    /// PostgreSQL's primary message, which names objects but quotes no values.
    message: String,
}
