//! `POST /v1/verify`. Open to anyone holding a key: the key is the credential being asked about.

use std::time::Instant;

use actix_web::{web, HttpResponse};
use keygate_verifier::manage::Management;
use keygate_verifier::RequestContext;

use crate::body::Body;
use crate::dto::verify::{VerifyRequest, VerifyResponse};
use crate::error::ApiError;

/// Verify a key: may it do this? Always 200 with the verdict (`valid`, and `code` and `status` on
/// refusal); 503 when the store cannot answer, so a caller fails closed.
#[utoipa::path(operation_id = "verify", post, path = "/v1/verify", tag = "verify", request_body = VerifyRequest,
    responses((status = 200, description = "The verdict", body = VerifyResponse)))]
pub async fn verify(manage: web::Data<Management>, body: Body) -> Result<HttpResponse, ApiError> {
    let request = body.json::<VerifyRequest>()?;
    let ctx = RequestContext::try_from(&request)?;
    let started = Instant::now();
    let outcome = manage.verifier().verify(request.key.as_bytes(), &ctx).await;
    metrics::histogram!("keygate_verify_seconds").record(started.elapsed().as_secs_f64());
    let verdict = match outcome {
        Ok(verified) => VerifyResponse::from(verified),
        Err(error) => VerifyResponse::refused(&error)?,
    };
    Ok(HttpResponse::Ok().json(verdict))
}
