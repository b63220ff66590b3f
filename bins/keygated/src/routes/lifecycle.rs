//! Lifecycle routes: each turns the request into one domain `Event` and hands it to management.

use std::future::Future;
use std::pin::Pin;

use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::Event;
use keygate_verifier::manage::Management;

use super::{key_id, tenant_caller};
use crate::body::Body;
use crate::dto::key::{KeyView, ReasonBody};
use crate::error::ApiError;

type Reply = Pin<Box<dyn Future<Output = Result<HttpResponse, ApiError>>>>;
type Handler = fn(web::Data<Management>, HttpRequest, web::Path<(String, String)>, Body) -> Reply;

/// `POST /v1/tenants/{tenant}/keys/{id}/<path>` and the event each makes.
pub const ACTIONS: &[(&str, Handler)] = &[
    ("approve", |m, r, p, b| Box::pin(apply(m, r, p, b, |_| Ok(Event::Approve)))),
    ("reject", |m, r, p, b| Box::pin(apply(m, r, p, b, |b| Ok(Event::Reject { reason: b.required()? })))),
    ("revoke", |m, r, p, b| Box::pin(revoke(m, r, p, b))),
    ("revocation/approve", |m, r, p, b| Box::pin(apply(m, r, p, b, |_| Ok(Event::ApproveRevocation)))),
    ("revocation/reject", |m, r, p, b| {
        Box::pin(apply(m, r, p, b, |b| Ok(Event::RejectRevocation { reason: b.optional()? })))
    }),
    ("change/approve", |m, r, p, b| Box::pin(apply(m, r, p, b, |_| Ok(Event::ApproveChange)))),
    ("change/reject", |m, r, p, b| Box::pin(apply(m, r, p, b, |b| Ok(Event::RejectChange { reason: b.optional()? })))),
];

/// `POST .../revoke` and `DELETE .../keys/{id}` (the seeds' "delete"): a maker asks, with a reason.
pub async fn revoke(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Body,
) -> Result<HttpResponse, ApiError> {
    apply(manage, req, path, body, |b| Ok(Event::RequestRevocation { reason: b.required()? })).await
}

async fn apply(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Body,
    event: impl FnOnce(&ReasonBody) -> Result<Event, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let (who, tenant) = tenant_caller(&manage, &req, &path.0).await?;
    let id = key_id(&path.1)?;
    let event = event(&body.json::<ReasonBody>()?)?;
    let record = manage.transition(&who, &tenant, id, event).await?;
    Ok(HttpResponse::Ok().json(KeyView::new(&record, manage.verifier().clock().now())))
}
