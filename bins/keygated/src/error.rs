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
    /// 409: an idempotency key reused for a different request.
    #[error("this idempotency key was used for a different request in the last 24 hours")]
    IdempotencyMismatch,
    /// 410: the invitation was claimed already, or lapsed.
    #[error("{0}")]
    Gone(String),
    /// 410: the key's secret was shown already (at creation or at its reveal).
    #[error("{0}")]
    SecretAlreadyRevealed(String),
    /// 410: the window to reveal the key's secret passed.
    #[error("{0}")]
    RevealWindowClosed(String),
    /// 408: the body did not arrive in time.
    #[error("the request body was not received in time")]
    RequestTimeout,
    /// 413.
    #[error("the body is larger than this route accepts (64 KiB; 256 KiB for a leak report)")]
    TooLarge,
    /// 413: a leak report holds more tokens than one report may.
    #[error("a leak report holds at most 1000 tokens")]
    TooManyTokens,
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
        let code = match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::SelfApproval => "SELF_APPROVAL",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::Invalid { .. } => "INVALID_REQUEST",
            Self::InvalidState(_) => "INVALID_STATE",
            Self::Conflict => "CONFLICT",
            Self::NameTaken => "NAME_TAKEN",
            Self::AlreadyExists => "ALREADY_EXISTS",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::TooLarge => "BODY_TOO_LARGE",
            Self::TooManyTokens => "TOO_MANY_TOKENS",
            Self::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Self::Unavailable => "STORE_UNAVAILABLE",
            Self::Gone(_) => "INVITATION_GONE",
            Self::SecretAlreadyRevealed(_) => "SECRET_ALREADY_REVEALED",
            Self::RevealWindowClosed(_) => "REVEAL_WINDOW_CLOSED",
            Self::IdempotencyMismatch => "IDEMPOTENCY_MISMATCH",
        };
        (code_status(code), code)
    }
}

/// One problem `code`: its HTTP status and what it means to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemCode {
    /// The stable code.
    pub code: &'static str,
    /// Its HTTP status.
    pub status: u16,
    /// What it means, as the API document says it.
    pub meaning: &'static str,
}

/// Every problem `code` the server answers: the one status table. The OpenAPI document lists each
/// route's codes from here, so it cannot name a code the server does not send.
pub const CODES: &[ProblemCode] = &[
    ProblemCode { code: "UNAUTHENTICATED", status: 401, meaning: "no credential, or one that does not authenticate" },
    ProblemCode { code: "FORBIDDEN", status: 403, meaning: "the credential may not do this here" },
    ProblemCode {
        code: "SELF_APPROVAL",
        status: 403,
        meaning: "a request cannot be approved or rejected by the person who made it",
    },
    ProblemCode { code: "NOT_FOUND", status: 404, meaning: "no such tenant or key" },
    ProblemCode { code: "METHOD_NOT_ALLOWED", status: 405, meaning: "the route does not take this method" },
    ProblemCode { code: "INVALID_REQUEST", status: 400, meaning: "a field breaks its rules; `field` names it" },
    ProblemCode {
        code: "INVALID_STATE",
        status: 409,
        meaning: "the lifecycle does not allow this in the current state",
    },
    ProblemCode { code: "CONFLICT", status: 409, meaning: "a concurrent change won; read again and retry" },
    ProblemCode { code: "NAME_TAKEN", status: 409, meaning: "a key with this name exists in the tenant" },
    ProblemCode { code: "ALREADY_EXISTS", status: 409, meaning: "the tenant id or e-mail is taken" },
    ProblemCode {
        code: "IDEMPOTENCY_MISMATCH",
        status: 409,
        meaning: "the idempotency key was used in the last 24 hours for a request that asked something else",
    },
    ProblemCode {
        code: "INVITATION_GONE",
        status: 410,
        meaning: "the invitation was claimed already, or lapsed (72 hours)",
    },
    ProblemCode {
        code: "SECRET_ALREADY_REVEALED",
        status: 410,
        meaning: "the key's secret was shown already, at creation or at its reveal; it is never shown again",
    },
    ProblemCode {
        code: "REVEAL_WINDOW_CLOSED",
        status: 410,
        meaning: "the tenant's window to reveal the key's secret has passed; rotate the key",
    },
    ProblemCode { code: "REQUEST_TIMEOUT", status: 408, meaning: "the body did not arrive within 10 s" },
    ProblemCode {
        code: "BODY_TOO_LARGE",
        status: 413,
        meaning: "the body is larger than the route accepts: 64 KiB, or 256 KiB for a leak report",
    },
    ProblemCode { code: "TOO_MANY_TOKENS", status: 413, meaning: "a leak report holds more than 1000 tokens" },
    ProblemCode {
        code: "UNSUPPORTED_MEDIA_TYPE",
        status: 415,
        meaning: "the body is not JSON (Content-Type: application/json)",
    },
    ProblemCode {
        code: "NO_ROUTE",
        status: 403,
        meaning: "the gateway's original request matches no route of KEYGATE_ROUTES (or is not in normal form)",
    },
    ProblemCode {
        code: "AMOUNT_REQUIRED",
        status: 403,
        meaning: "the route moves money and the request's amount (or currency) header is missing or not one",
    },
    ProblemCode {
        code: "STORE_UNAVAILABLE",
        status: 503,
        meaning: "the key store did not answer; nothing was done or allowed",
    },
];

/// The status of `code` in [`CODES`]; 500 for a code missing from the table, which a test forbids.
fn code_status(code: &str) -> StatusCode {
    CODES
        .iter()
        .find(|c| c.code == code)
        .and_then(|c| StatusCode::from_u16(c.status).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl From<ManageError> for ApiError {
    fn from(error: ManageError) -> Self {
        use keygate_domain::operator::OperatorError as Op;
        match error {
            ManageError::Unauthenticated => Self::Unauthenticated,
            ManageError::Forbidden(why) => Self::Forbidden(why.to_owned()),
            ManageError::NotFound => Self::NotFound,
            ManageError::Invalid { field, message } => Self::Invalid { field, message },
            ManageError::SelfApproval
            | ManageError::Transition(TransitionError::SelfApproval)
            | ManageError::Operator(Op::SelfApproval) => Self::SelfApproval,
            ManageError::Transition(
                e @ (TransitionError::MissingRole(_)
                | TransitionError::OwnKey
                | TransitionError::IntegratorApprovalsOff
                | TransitionError::OutOfBounds
                | TransitionError::NotTheMaker),
            ) => Self::Forbidden(e.to_string()),
            ManageError::Transition(e @ TransitionError::SecretAlreadyRevealed) => {
                Self::SecretAlreadyRevealed(e.to_string())
            }
            ManageError::Transition(e @ TransitionError::RevealWindowClosed) => Self::RevealWindowClosed(e.to_string()),
            ManageError::Transition(TransitionError::LiveDisabled) => {
                Self::invalid("environment", TransitionError::LiveDisabled)
            }
            ManageError::Transition(TransitionError::Expiry(e)) => Self::invalid("expires_at", e),
            ManageError::Transition(e @ TransitionError::NameImmutable) => Self::invalid("name", e),
            ManageError::Transition(e @ TransitionError::AccountRequired) => Self::invalid("account_id", e),
            ManageError::Transition(other) => Self::InvalidState(other.to_string()),
            ManageError::Operator(e @ (Op::Lapsed | Op::AlreadyClaimed | Op::Gone)) => Self::Gone(e.to_string()),
            ManageError::Operator(e @ Op::Separation(_)) => Self::invalid("roles", e),
            ManageError::Operator(e @ (Op::MissingRole(_) | Op::SystemOnly | Op::NotTheOperator)) => {
                Self::Forbidden(e.to_string())
            }
            ManageError::Operator(other) => Self::InvalidState(other.to_string()),
            ManageError::InvalidState(why) => Self::InvalidState(why.to_owned()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_code_in_the_table() {
        let every = [
            ApiError::Unauthenticated,
            ApiError::Forbidden(String::new()),
            ApiError::SelfApproval,
            ApiError::NotFound,
            ApiError::MethodNotAllowed,
            ApiError::invalid("f", "m"),
            ApiError::InvalidState(String::new()),
            ApiError::Conflict,
            ApiError::NameTaken,
            ApiError::AlreadyExists,
            ApiError::RequestTimeout,
            ApiError::TooLarge,
            ApiError::TooManyTokens,
            ApiError::UnsupportedMediaType,
            ApiError::Unavailable,
            ApiError::Gone(String::new()),
            ApiError::SecretAlreadyRevealed(String::new()),
            ApiError::RevealWindowClosed(String::new()),
            ApiError::IdempotencyMismatch,
        ];
        for error in &every {
            let (status, code) = error.status_and_code();
            assert!(CODES.iter().any(|c| c.code == code), "{code} is in CODES");
            assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{code} has a real status");
        }
        assert_eq!(every.len(), CODES.len(), "every code in CODES is answered by some error");
    }
}
