//! Liveness, readiness, metrics and the API document.

use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use keygate_verifier::manage::Management;

use crate::error::ApiError;
use crate::telemetry;

/// The OpenAPI 3.1 document of every route, served as written in `docs/openapi.json`.
pub const OPENAPI: &str = include_str!("../../../../docs/openapi.json");

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

pub async fn readyz(manage: web::Data<Management>) -> Result<HttpResponse, ApiError> {
    manage.verifier().store().ping().await.map_err(|_| ApiError::Unavailable)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}

pub async fn metrics() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(telemetry::render())
}

pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().insert_header(ContentType::json()).body(OPENAPI)
}
