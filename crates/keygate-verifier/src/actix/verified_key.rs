//! The handler's proof that the request was verified.

use std::future::{ready, Ready};
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use super::problem::Problem;
use crate::outcome::Verified;

/// The verified key identity, put on the request by [`super::RequireScope`]. A handler that takes it
/// cannot run unless the middleware allowed the request.
#[derive(Debug, Clone)]
pub struct VerifiedKey(pub Verified);

impl Deref for VerifiedKey {
    type Target = Verified;
    fn deref(&self) -> &Verified {
        &self.0
    }
}

/// The route takes a `VerifiedKey` but is not wrapped in `RequireScope`: a wiring bug, not the caller's.
#[derive(Debug, thiserror::Error)]
#[error("route is not protected by RequireScope")]
pub struct NotProtected;

impl actix_web::ResponseError for NotProtected {
    fn error_response(&self) -> actix_web::HttpResponse {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "The service is misconfigured").response()
    }
}

impl FromRequest for VerifiedKey {
    type Error = NotProtected;
    type Future = Ready<Result<Self, NotProtected>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(req.extensions().get::<Verified>().cloned().map(VerifiedKey).ok_or(NotProtected))
    }
}
