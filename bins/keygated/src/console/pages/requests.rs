//! **Requests**: the tenant's request log (every verification of one of its keys), newest first,
//! filtered by key and outcome, a page at a time.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::KeyId;
use keygate_store::{RequestCursor, RequestFilter};
use keygate_verifier::manage::{Management, Permission};
use maud::html;
use serde::Deserialize;
use serde_json::Value;

use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session;
use crate::console::view::{joined, text, when};
use crate::dto::request_log::RequestLineView;
use crate::error::ApiError;

#[derive(Deserialize, Default)]
pub(in crate::console) struct RequestsQuery {
    key_id: Option<String>,
    outcome: Option<String>,
    cursor: Option<String>,
}

pub(in crate::console) async fn list(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let session = session::current(&manage, &req).await?;
    let tenant = session.tenant(&path, Permission::Read)?;
    let q: RequestsQuery = super::query(&req)?;
    let key_text = q.key_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let outcome = q.outcome.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let key = key_text.map(KeyId::parse).transpose().map_err(|_| ApiError::invalid("key_id", "is not a key id"))?;
    if outcome.is_some_and(|o| !keygate_store::valid_outcome(o)) {
        return Err(ApiError::invalid("outcome", "is not OK or a denial code").into());
    }
    let cursor = super::cursor::<RequestCursor>(q.cursor.as_deref())?;
    let filter = RequestFilter { outcome: outcome.map(str::to_owned), ..RequestFilter::default() };
    let page = manage.request_log(&session.caller, &tenant, key, filter, cursor, 100).await?;
    let lines: Vec<Value> =
        page.items.iter().map(|l| serde_json::to_value(RequestLineView::from(l)).unwrap_or(Value::Null)).collect();
    let base = format!("/console/tenants/{}/requests", tenant.as_str());
    let body = html! {
        h1 { "Requests" }
        form.filters method="get" action=(base) role="search" {
            div.field { label for="req-key" { "Key id" } input #req-key type="text" name="key_id" value=[key_text]; }
            div.field { label for="req-outcome" { "Outcome" } input #req-outcome type="text" name="outcome" value=[outcome] placeholder="OK, NOT_FOUND, SCOPE_DENIED…"; }
            button.secondary type="submit" { "Filter" }
        }
        @if lines.is_empty() { p.empty { "No requests." } } @else {
            div.table-wrap tabindex="0" role="region" aria-label="Scrollable table" { table {
                thead { tr {
                    th scope="col" { "When" } th scope="col" { "Key" } th scope="col" { "Outcome" } th scope="col" { "Status" }
                    th scope="col" { "Client" } th scope="col" { "Scopes asked" } th scope="col" { "Amount" } th scope="col" { "µs" }
                } }
                tbody { @for l in &lines { tr {
                    td { (when(&l["at"])) }
                    td { a href={ "/console/tenants/" (tenant.as_str()) "/keys/" (text(&l["key_id"])) } { code { (text(&l["key_id"])) } } }
                    td { (text(&l["outcome"])) } td.num { (text(&l["status"])) } td { (text(&l["client_ip"])) }
                    td { (joined(&l["required_scopes"], "—")) }
                    td { @if l["amount"].is_string() { (text(&l["amount"])) " " (text(&l["currency"])) } @else { "—" } }
                    td.num { (text(&l["latency_us"])) }
                } } }
            } }
        }
        @if let Some(next) = page.next {
            p { a href={ (base) "?cursor=" (next) @if let Some(k) = key_text { "&key_id=" (k) } @if let Some(o) = outcome { "&outcome=" (o) } } { "Older requests" } }
        }
    };
    Ok(layout::respond(StatusCode::OK, layout::page("Requests", &session, Some(&tenant), Section::Requests, body)))
}
