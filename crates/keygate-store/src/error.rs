//! What can go wrong in a store, one variant per thing a caller can act on.

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such tenant, operator or key (within the tenant asked about).
    #[error("not found")]
    NotFound,
    /// The record changed since the caller read it (a lost race): read again and retry or report 409.
    #[error("the record was changed by someone else")]
    Conflict,
    /// The tenant already has a key with this name.
    #[error("a key with this name already exists in the tenant")]
    NameTaken,
    /// A tenant with this id, or an operator with this e-mail in the tenant, already exists.
    #[error("already exists")]
    AlreadyExists,
    /// The backend cannot be reached or did not answer in time. Callers must fail closed.
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A stored row does not parse into the model (a bug or a schema drift); never the caller's fault.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}
