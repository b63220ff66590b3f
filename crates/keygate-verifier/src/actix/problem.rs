//! RFC 9457 problem details, and how a verification refusal becomes one.

use actix_web::http::header::{HeaderValue, CONTENT_TYPE, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use keygate_policy::Denial;
use serde::Serialize;

use crate::outcome::VerifyError;

/// A problem+json body. `code` is the stable, machine-readable member clients switch on.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// Always `about:blank`: the status and `code` say it all.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The HTTP status phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// A sentence for humans.
    pub detail: String,
    /// The stable code (`REVOKED`, `INSUFFICIENT_SCOPE`, ...).
    pub code: String,
    /// Extension members (`missing_scopes`, `remaining`, `field`, ...).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    /// A problem with a status, code and detail.
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.into(),
            extra: serde_json::Map::new(),
        }
    }

    /// Adds an extension member.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.extra.insert(name.to_owned(), value.into());
        self
    }

    /// The HTTP response: problem+json, the RFC 6750 challenge on 401, and `Retry-After` (RFC 9110) when
    /// the problem carries a `retry_after`.
    pub fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = HttpResponse::build(status);
        response.insert_header((CONTENT_TYPE, HeaderValue::from_static("application/problem+json")));
        if let Some(seconds) = self.extra.get("retry_after").and_then(serde_json::Value::as_u64) {
            response.insert_header((actix_web::http::header::RETRY_AFTER, seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            let challenge =
                if self.code == "MISSING_CREDENTIAL" { "Bearer" } else { r#"Bearer error="invalid_token""# };
            response.insert_header((WWW_AUTHENTICATE, HeaderValue::from_static(challenge)));
        }
        response.json(self)
    }
}

impl From<&VerifyError> for Problem {
    fn from(error: &VerifyError) -> Self {
        let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match error {
            VerifyError::Unavailable => {
                Self::new(status, error.code(), "The key store is unavailable; try again shortly")
            }
            VerifyError::IdempotencyMismatch => Self::new(status, error.code(), error.to_string()),
            VerifyError::Denied(denial) => {
                let problem = Self::new(status, error.code(), denial.code().title());
                match denial {
                    Denial::InsufficientScope { missing } => {
                        problem.with("missing_scopes", missing.iter().map(ToString::to_string).collect::<Vec<_>>())
                    }
                    // A spent volume resets with its window, in the tenant's zone: say when, in the body
                    // and as `Retry-After`.
                    Denial::VolumeExceeded { remaining, retry_after, .. } => {
                        problem.with("remaining", remaining.to_string()).with("retry_after", *retry_after)
                    }
                    // A rate limit's budget comes back with its window: which limit, and when.
                    Denial::RateLimited { limit, retry_after } => {
                        problem.with("limit", limit.clone()).with("retry_after", *retry_after)
                    }
                    Denial::AmountOverLimit { max_amount } => problem.with("max_amount", max_amount.to_string()),
                    Denial::CurrencyMismatch { accepted, class } => mismatch(problem, accepted, *class),
                    _ => problem,
                }
            }
        }
    }
}

/// `accepted_currencies` (and `expected_currency` when there is one) and `currency_class`: what the key
/// may move instead.
fn mismatch(
    problem: Problem,
    accepted: &[keygate_domain::Currency],
    class: Option<keygate_domain::CurrencyClass>,
) -> Problem {
    let problem = match accepted {
        [only] => problem.with("expected_currency", only.to_string()),
        _ => problem,
    };
    let problem = match class {
        Some(class) => problem.with("currency_class", class.as_str()),
        None => problem,
    };
    problem.with("accepted_currencies", accepted.iter().map(ToString::to_string).collect::<Vec<_>>())
}

impl ResponseError for VerifyError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        Problem::from(self).response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_limited_refusal_is_429_naming_its_limit_with_retry_after() {
        let error = VerifyError::Denied(Denial::RateLimited { limit: "per-second".into(), retry_after: 7 });
        let problem = Problem::from(&error);
        assert_eq!((problem.status, problem.code.as_str()), (429, "RATE_LIMITED"));
        assert_eq!(problem.extra.get("limit"), Some(&serde_json::json!("per-second")));
        let response = problem.response();
        let header = response.headers().get(actix_web::http::header::RETRY_AFTER).and_then(|v| v.to_str().ok());
        assert_eq!(header, Some("7"), "the glue sends Retry-After");
    }
}
