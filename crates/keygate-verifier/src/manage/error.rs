//! Why a management operation was refused, one variant per thing a caller can act on.

use keygate_domain::TransitionError;
use keygate_store::StoreError;

/// A management operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    /// No credential, or one that does not authenticate.
    #[error("a valid credential is required")]
    Unauthenticated,
    /// The caller is authenticated but may not do this (wrong tenant or missing role).
    #[error("{0}")]
    Forbidden(&'static str),
    /// No such tenant, operator or key in the caller's tenant.
    #[error("not found")]
    NotFound,
    /// A field breaks a rule; names the field.
    #[error("{field}: {message}")]
    Invalid {
        /// The request field (a JSON path: `limits.amounts[1].max_amount`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The state machine refused the move (maker-checker, wrong state, expired, ...).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// An operator's lifecycle refused the move (maker-checker, separation of duties, state, lapse).
    #[error(transparent)]
    Operator(#[from] keygate_domain::operator::OperatorError),
    /// The person approving is the one who asked.
    #[error("a request cannot be approved or rejected by the person who made it")]
    SelfApproval,
    /// Nothing to act on in this state.
    #[error("{0}")]
    InvalidState(&'static str),
    /// Someone else changed the record first.
    #[error("the record was changed concurrently; read it again")]
    Conflict,
    /// The tenant already has a key with that name.
    #[error("a key with this name already exists")]
    NameTaken,
    /// The tenant id or operator e-mail is taken.
    #[error("already exists")]
    AlreadyExists,
    /// The store could not answer.
    #[error("the key store is unavailable")]
    Unavailable,
}

impl ManageError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, message: impl ToString) -> Self {
        Self::Invalid { field: field.into(), message: message.to_string() }
    }
}

impl From<StoreError> for ManageError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict => Self::Conflict,
            StoreError::NameTaken => Self::NameTaken,
            StoreError::AlreadyExists => Self::AlreadyExists,
            StoreError::Unavailable(_) | StoreError::Corrupt(_) => {
                tracing::error!(%error, "store failure during a management operation");
                Self::Unavailable
            }
        }
    }
}
