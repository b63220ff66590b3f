//! **Audit**: the tenant's log, newest first, filtered by key, a page at a time, and the chain check
//! (admins and auditors) that re-computes every entry's hash.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::{KeyId, Role};
use keygate_store::AuditCursor;
use keygate_verifier::manage::{Management, Permission};
use maud::html;
use serde::Deserialize;
use serde_json::Value;

use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session;
use crate::console::view::{text, when};
use crate::dto::audit::{AuditView, ChainView};
use crate::error::ApiError;

#[derive(Deserialize, Default)]
pub(in crate::console) struct AuditQuery {
    key_id: Option<String>,
    cursor: Option<String>,
    check: Option<String>,
}

pub(in crate::console) async fn list(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let session = session::current(&manage, &req).await?;
    let tenant = session.tenant(&path, Permission::Read)?;
    let q: AuditQuery = super::query(&req)?;
    let key_filter = q.key_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let key = key_filter.map(KeyId::parse).transpose().map_err(|_| ApiError::invalid("key_id", "is not a key id"))?;
    let cursor = super::cursor::<AuditCursor>(q.cursor.as_deref())?;
    let page = manage.audit_log(&session.caller, &tenant, key, cursor, 100).await?;
    let entries: Vec<Value> =
        page.items.iter().map(|e| serde_json::to_value(AuditView::from(e)).unwrap_or(Value::Null)).collect();
    let may_check = session.has(Role::Admin) || session.has(Role::Auditor);
    let chain = if may_check && q.check.is_some() {
        let report = manage.verify_audit(&session.caller, &tenant).await?;
        Some(serde_json::to_value(ChainView::from(&report)).unwrap_or(Value::Null))
    } else {
        None
    };
    let base = format!("/console/tenants/{}/audit", tenant.as_str());
    let body = html! {
        h1 { "Audit log" }
        form.filters method="get" action=(base) role="search" {
            div.field { label for="audit-key" { "Key id" } input #audit-key type="text" name="key_id" value=[key_filter]; }
            button.secondary type="submit" { "Filter" }
        }
        @if may_check {
            form.inline method="get" action=(base) {
                input type="hidden" name="check" value="1";
                button type="submit" { "Check the chain" }
            }
        }
        @if let Some(c) = &chain {
            @if c["valid"].as_bool() == Some(true) {
                p.notice role="status" { "The chain is intact: " (text(&c["entries"])) " entries, each hashing as it did when written." }
            } @else {
                p.error-summary role="alert" { "The chain is broken at entry " (text(&c["first_bad_sequence"])) ": the log was changed outside keygate." }
            }
        }
        div.table-wrap tabindex="0" role="region" aria-label="Scrollable table" { table {
            thead { tr { th scope="col" { "#" } th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Key" } th scope="col" { "Reason" } } }
            tbody { @for e in &entries { tr {
                td.num { (text(&e["seq"])) } td { (when(&e["at"])) } td { (text(&e["actor"])) } td { (text(&e["action"])) }
                td { @if let Some(k) = e["key_id"].as_str() { a href={ "/console/tenants/" (tenant.as_str()) "/keys/" (k) } { code { (k) } } } @else { "—" } }
                td { (text(&e["reason"])) }
            } } }
        } }
        @if let Some(next) = page.next {
            p { a href={ (base) "?cursor=" (next) @if let Some(k) = key_filter { "&key_id=" (k) } } { "Older entries" } }
        }
    };
    Ok(layout::respond(StatusCode::OK, layout::page("Audit log", &session, Some(&tenant), Section::Audit, body)))
}
