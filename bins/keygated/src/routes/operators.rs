//! Operator routes. The token is in the creation response only.

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_verifier::manage::{Management, NewOperator};

use super::tenant_caller;
use crate::body::Body;
use crate::dto::operator::{CreateOperator, CreatedOperator, OperatorList, OperatorView};
use crate::error::ApiError;

pub async fn create(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path).await?;
    let new = NewOperator::try_from(body.json::<CreateOperator>()?)?;
    let (operator, token) = manage.create_operator(&who, &tenant, new).await?;
    Ok(HttpResponse::Created()
        .json(CreatedOperator { operator: OperatorView::from(&operator), token: token.expose().to_owned() }))
}

pub async fn list(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path).await?;
    let operators = manage.operators(&who, &tenant).await?;
    Ok(HttpResponse::Ok().json(OperatorList { items: operators.iter().map(OperatorView::from).collect() }))
}
