//! Liveness, readiness, metrics and the API document.

use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use keygate_verifier::manage::Management;

use crate::error::ApiError;
use crate::telemetry;

/// The OpenAPI document, generated once: it is the same for the life of the process.
static OPENAPI: std::sync::LazyLock<String> = std::sync::LazyLock::new(crate::openapi::json);

/// Liveness: the process answers.
#[utoipa::path(operation_id = "healthz", get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "`{\"status\":\"ok\"}`", body = Object)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// Readiness: the store answers.
#[utoipa::path(operation_id = "readyz", get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "`{\"status\":\"ready\"}`", body = Object)))]
pub async fn readyz(manage: web::Data<Management>) -> Result<HttpResponse, ApiError> {
    manage.verifier().store().ping().await.map_err(|_| ApiError::Unavailable)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}

/// Prometheus metrics (text exposition format).
#[utoipa::path(operation_id = "metrics", get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Metrics", body = String, content_type = "text/plain")))]
pub async fn metrics() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(telemetry::render())
}

/// This document.
#[utoipa::path(operation_id = "openapi", get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().insert_header(ContentType::json()).body(OPENAPI.as_str())
}
