//! What a console page answers when it cannot do what was asked: the login page for a missing or ended
//! session, else a page with the same status, `code` and message the JSON API gives.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use keygate_verifier::manage::ManageError;
use maud::html;

use super::layout;
use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub(super) enum ConsoleError {
    /// No open session: sign in first.
    #[error("sign in to continue")]
    LoginNeeded,
    /// A form without this session's CSRF token.
    #[error("the form was not sent from this session's page (missing or wrong CSRF token); reload and try again")]
    Csrf,
    /// What the JSON API would refuse, refused the same way.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl From<ManageError> for ConsoleError {
    fn from(e: ManageError) -> Self {
        Self::Api(e.into())
    }
}

impl ConsoleError {
    /// The status and stable code, as in the JSON API's problem documents.
    pub(super) fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::LoginNeeded => (StatusCode::SEE_OTHER, "UNAUTHENTICATED"),
            Self::Csrf => (StatusCode::FORBIDDEN, "CSRF"),
            Self::Api(e) => e.status_and_code(),
        }
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        self.status_and_code().0
    }

    fn error_response(&self) -> HttpResponse {
        if matches!(self, Self::LoginNeeded) {
            return HttpResponse::SeeOther().insert_header(("location", "/console/login")).finish();
        }
        let (status, code) = self.status_and_code();
        let title = status.canonical_reason().unwrap_or("Error");
        let body = html! {
            div.problem role="alert" {
                h1 { (title) }
                p { (self.to_string()) }
                p.code { "Code: " code { (code) } }
                p { a href="/console/" { "Back to the console" } }
            }
        };
        layout::respond(status, layout::bare(title, body))
    }
}
