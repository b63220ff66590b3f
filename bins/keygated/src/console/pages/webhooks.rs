//! **Webhooks** (admins and auditors): the tenant's endpoints with their state. Registering one shows
//! a signing secret once and takes a URL check, and a new one waits for a second admin: that stays on
//! the JSON API and `keygatectl webhook` for now.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use keygate_verifier::manage::{Management, Permission};
use maud::html;
use serde_json::Value;

use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session;
use crate::console::view::{joined, text, when};
use crate::dto::webhook::WebhookView;

pub(in crate::console) async fn list(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let session = session::current(&manage, &req).await?;
    let tenant = session.tenant(&path, Permission::Oversee)?;
    let hooks = manage.webhooks(&session.caller, &tenant).await?;
    let rows: Vec<Value> =
        hooks.iter().map(|w| serde_json::to_value(WebhookView::from(w)).unwrap_or(Value::Null)).collect();
    let body = html! {
        h1 { "Webhooks" }
        p.hint { "Register, change and test endpoints with the JSON API or " code { "keygatectl webhook" } "; a new endpoint or URL waits for a second admin." }
        @if rows.is_empty() { p.empty { "No webhook endpoints." } } @else {
            div.table-wrap tabindex="0" role="region" aria-label="Scrollable table" { table {
                thead { tr {
                    th scope="col" { "URL" } th scope="col" { "Events" } th scope="col" { "Status" } th scope="col" { "Failing since" }
                    th scope="col" { "Description" } th scope="col" { "Created by" }
                } }
                tbody { @for w in &rows { tr {
                    td { code { (text(&w["url"])) } } td { (joined(&w["events"], "—")) } td { (text(&w["status"])) }
                    td { (when(&w["failing_since"])) } td { (text(&w["description"])) } td { (text(&w["created_by"])) }
                } } }
            } }
        }
    };
    Ok(layout::respond(StatusCode::OK, layout::page("Webhooks", &session, Some(&tenant), Section::Webhooks, body)))
}
