//! `/console/`: an operator goes to its tenant's keys, the system administrator picks a tenant.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::TenantId;
use keygate_verifier::manage::Management;
use maud::html;
use serde::Deserialize;

use crate::console::error::ConsoleError;
use crate::console::layout::{self, see_other, Section};
use crate::console::session;

pub(in crate::console) async fn to_slash() -> HttpResponse {
    see_other("/console/")
}

pub(in crate::console) async fn home(
    manage: web::Data<Management>,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    let session = session::current(&manage, &req).await?;
    if let Some(own) = session.own_tenant() {
        return Ok(see_other(&format!("/console/tenants/{}/keys", own.as_str())));
    }
    let body = html! {
        h1 { "Choose a tenant" }
        p { "As the system administrator you may read and administer every tenant; you never make or approve keys, so dual control stays with each tenant's people." }
        form method="get" action="/console/tenants" {
            label for="tenant" { "Tenant id" }
            input #tenant type="text" name="tenant" required autocomplete="off";
            button type="submit" { "Open" }
        }
    };
    Ok(layout::respond(StatusCode::OK, layout::page("Tenants", &session, None, Section::None, body)))
}

#[derive(Deserialize)]
pub(in crate::console) struct Pick {
    tenant: String,
}

/// The picker's `GET /console/tenants?tenant=`.
pub(in crate::console) async fn pick_tenant(
    manage: web::Data<Management>,
    req: HttpRequest,
) -> Result<HttpResponse, ConsoleError> {
    session::current(&manage, &req).await?;
    let pick: Pick = super::query(&req)?;
    let tenant = TenantId::parse(pick.tenant.trim())
        .map_err(|e| ConsoleError::Api(crate::error::ApiError::invalid("tenant", e)))?;
    Ok(see_other(&format!("/console/tenants/{}/keys", tenant.as_str())))
}

pub(in crate::console) async fn not_found() -> Result<HttpResponse, ConsoleError> {
    Err(ConsoleError::Api(crate::error::ApiError::NotFound))
}
