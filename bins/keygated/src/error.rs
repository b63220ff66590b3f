//! The server's one error type and its one status table. Every error is RFC 9457 problem+json with a
//! stable `code`; internal error text is never echoed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use keygate_domain::TransitionError;
use keygate_verifier::actix::Problem;
use keygate_verifier::manage::ManageError;

/// Everything a route can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: no credential, or one that does not authenticate.
    #[error("a valid credential is required")]
    Unauthenticated,
    /// 403: authenticated, but not allowed here.
    #[error("{0}")]
    Forbidden(String),
    /// 403: a maker approving or rejecting its own request.
    #[error("a request cannot be approved or rejected by the operator who made it")]
    SelfApproval,
    /// 404.
    #[error("no such resource")]
    NotFound,
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 400: a field breaks its rules.
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field (JSON path or query parameter).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// 409: the state machine refuses the move.
    #[error("{0}")]
    InvalidState(String),
    /// 409: a concurrent change won.
    #[error("the record was changed concurrently; read it again")]
    Conflict,
    /// 409: the name is taken in the tenant.
    #[error("a key with this name already exists in the tenant")]
    NameTaken,
    /// 409: the tenant id or e-mail is taken.
    #[error("already exists")]
    AlreadyExists,
    /// 408: the body did not arrive in time.
    #[error("the request body was not received in time")]
    RequestTimeout,
    /// 413.
    #[error("the body is larger than 64 KiB")]
    TooLarge,
    /// 415.
    #[error("the body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// 503: the store could not answer; nothing was done or allowed.
    #[error("the key store is unavailable; try again shortly")]
    Unavailable,
}

impl ApiError {
    /// An invalid field.
    pub fn invalid(field: impl Into<String>, message: impl ToString) -> Self {
        Self::Invalid { field: field.into(), message: message.to_string() }
    }

    /// The status table.
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
            Self::SelfApproval => (StatusCode::FORBIDDEN, "SELF_APPROVAL"),
            Self::NotFound => (StatusCode::NOT_FOUND, "NOT_FOUND"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED"),
            Self::Invalid { .. } => (StatusCode::BAD_REQUEST, "INVALID_REQUEST"),
            Self::InvalidState(_) => (StatusCode::CONFLICT, "INVALID_STATE"),
            Self::Conflict => (StatusCode::CONFLICT, "CONFLICT"),
            Self::NameTaken => (StatusCode::CONFLICT, "NAME_TAKEN"),
            Self::AlreadyExists => (StatusCode::CONFLICT, "ALREADY_EXISTS"),
            Self::RequestTimeout => (StatusCode::REQUEST_TIMEOUT, "REQUEST_TIMEOUT"),
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE"),
            Self::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE"),
            Self::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "STORE_UNAVAILABLE"),
        }
    }
}

impl From<ManageError> for ApiError {
    fn from(error: ManageError) -> Self {
        match error {
            ManageError::Unauthenticated => Self::Unauthenticated,
            ManageError::Forbidden(why) => Self::Forbidden(why.to_owned()),
            ManageError::NotFound => Self::NotFound,
            ManageError::Invalid { field, message } => Self::Invalid { field: field.to_owned(), message },
            ManageError::Transition(TransitionError::SelfApproval) => Self::SelfApproval,
            ManageError::Transition(e @ TransitionError::MissingRole(_)) => Self::Forbidden(e.to_string()),
            ManageError::Transition(TransitionError::LiveDisabled) => {
                Self::invalid("environment", TransitionError::LiveDisabled)
            }
            ManageError::Transition(TransitionError::Expiry(e)) => Self::invalid("expires_at", e),
            ManageError::Transition(other) => Self::InvalidState(other.to_string()),
            ManageError::Conflict => Self::Conflict,
            ManageError::NameTaken => Self::NameTaken,
            ManageError::AlreadyExists => Self::AlreadyExists,
            ManageError::Unavailable => Self::Unavailable,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code) = self.status_and_code();
        let mut problem = Problem::new(status, code, self.to_string());
        if let Self::Invalid { field, .. } = self {
            problem = problem.with("field", field.clone());
        }
        problem.response()
    }
}
