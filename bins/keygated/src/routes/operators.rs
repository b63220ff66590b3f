//! Operator routes. The token is in the creation response only.

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_verifier::manage::{Management, NewOperator, Permission};

use super::tenant_caller;
use crate::body::Body;
use crate::dto::operator::{CreateOperator, CreatedOperator, OperatorList, OperatorView};
use crate::dto::schema::TenantIdText;
use crate::error::ApiError;

/// Create an operator (admin); its token is shown in this response only.
#[utoipa::path(operation_id = "createOperator", post, path = "/v1/tenants/{tenant}/operators", tag = "operators", params(("tenant" = TenantIdText, Path, description = "The tenant")), request_body = CreateOperator,
    responses((status = 201, description = "The operator and its token", body = CreatedOperator), (status = 409, description = "ALREADY_EXISTS")),
    security(("bearer" = []), ("apiKey" = [])))]
pub async fn create(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Administer).await?;
    let new = NewOperator::try_from(body.json::<CreateOperator>()?)?;
    let (operator, token) = manage.create_operator(&who, &tenant, new).await?;
    Ok(HttpResponse::Created()
        .json(CreatedOperator { operator: OperatorView::from(&operator), token: token.expose().to_owned() }))
}

/// The tenant's operators (admin, auditor).
#[utoipa::path(operation_id = "listOperators", get, path = "/v1/tenants/{tenant}/operators", tag = "operators", params(("tenant" = TenantIdText, Path, description = "The tenant")),
    responses((status = 200, description = "Oldest first", body = OperatorList)), security(("bearer" = []), ("apiKey" = [])))]
pub async fn list(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path, Permission::Oversee).await?;
    let operators = manage.operators(&who, &tenant).await?;
    Ok(HttpResponse::Ok().json(OperatorList { items: operators.iter().map(OperatorView::from).collect() }))
}
