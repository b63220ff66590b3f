//! Service credential routes (system admin): issue, list, disable.

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::ServiceId;
use keygate_verifier::manage::Management;

use super::caller;
use crate::body::Body;
use crate::dto::service::{CreateService, CreatedService, ServiceList, ServiceView};
use crate::error::ApiError;

/// Issue a service credential (system admin); the token is in this response only.
#[utoipa::path(operation_id = "createService", post, path = "/v1/services", tag = "services", request_body = CreateService,
    responses((status = 201, description = "The service and its token, shown once", body = CreatedService),
        (status = 409, description = "ALREADY_EXISTS")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn create(manage: web::Data<Management>, req: HttpRequest, body: Body) -> Result<HttpResponse, ApiError> {
    let who = caller(&manage, &req, None).await?;
    if !who.is_system() {
        return Err(ApiError::Forbidden("only the system administrator manages service credentials".to_owned()));
    }
    let (name, tenants) = body.json::<CreateService>()?.try_into()?;
    let (service, token) = manage.create_service(&who, name, tenants).await?;
    Ok(HttpResponse::Created()
        .json(CreatedService { service: ServiceView::from(&service), token: token.expose().to_owned() }))
}

/// Every service credential (system admin).
#[utoipa::path(operation_id = "listServices", get, path = "/v1/services", tag = "services",
    responses((status = 200, description = "Oldest first", body = ServiceList)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn list(manage: web::Data<Management>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let who = caller(&manage, &req, None).await?;
    let services = manage.services(&who).await?;
    Ok(HttpResponse::Ok().json(ServiceList { items: services.iter().map(ServiceView::from).collect() }))
}

/// Disable a service credential at once (system admin): its token stops verifying.
#[utoipa::path(operation_id = "disableService", post, path = "/v1/services/{id}/disable", tag = "services",
    params(("id" = String, Path, description = "The service")),
    responses((status = 200, description = "The service, disabled", body = ServiceView)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn disable(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let who = caller(&manage, &req, None).await?;
    if !who.is_system() {
        return Err(ApiError::Forbidden("only the system administrator manages service credentials".to_owned()));
    }
    let id = ServiceId::parse(&path).map_err(|_| ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(ServiceView::from(&manage.disable_service(&who, id).await?)))
}
