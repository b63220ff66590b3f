//! **Keys**: the tenant's keys under the seeds' tabs (`Pending`, `Active`, `Pending revocations`,
//! `Suspended`, `Revoked`), filtered by name, environment and account, a page at a time.

use std::fmt::Write as _;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::{AccountId, Environment, KeyState, Role};
use keygate_store::{KeyCursor, KeyFilter};
use keygate_verifier::manage::{Management, Permission};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session;
use crate::console::view;
use crate::dto::key::KeyView;
use crate::error::ApiError;

/// The tabs: query value, label, state.
pub(in crate::console) const TABS: [(&str, &str, KeyState); 5] = [
    ("pending", "Pending", KeyState::PendingApproval),
    ("active", "Active", KeyState::Active),
    ("pending-revocations", "Pending revocations", KeyState::RevocationPending),
    ("suspended", "Suspended", KeyState::Suspended),
    ("revoked", "Revoked", KeyState::Revoked),
];

const PAGE: u32 = 50;

#[derive(Deserialize, Default)]
pub(in crate::console) struct ListQuery {
    tab: Option<String>,
    name: Option<String>,
    environment: Option<String>,
    account: Option<String>,
    cursor: Option<String>,
}

fn blank(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

pub(in crate::console) async fn list(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let session = session::current(&manage, &req).await?;
    let tenant = session.tenant(&path, Permission::Read)?;
    let q: ListQuery = super::query(&req)?;
    let tab = TABS.iter().find(|(v, _, _)| Some(*v) == q.tab.as_deref()).unwrap_or(&TABS[1]);
    let environment = match blank(q.environment.as_deref()) {
        None => None,
        Some("test") => Some(Environment::Test),
        Some("live") => Some(Environment::Live),
        Some(_) => return Err(ApiError::invalid("environment", "must be test or live").into()),
    };
    let account =
        blank(q.account.as_deref()).map(AccountId::parse).transpose().map_err(|e| ApiError::invalid("account", e))?;
    let cursor = super::cursor::<KeyCursor>(q.cursor.as_deref())?;
    let filter = KeyFilter { state: Some(tab.2), environment, account, ..KeyFilter::default() };
    let page = manage.keys(&session.caller, &tenant, filter, cursor, PAGE).await?;
    let now = manage.verifier().clock().now();
    let name = blank(q.name.as_deref()).map(str::to_lowercase);
    let mut rows = Vec::new();
    for record in
        page.items.iter().filter(|r| name.as_ref().is_none_or(|n| r.key.name.as_str().to_lowercase().contains(n)))
    {
        let usage = manage.usage(&session.caller, &tenant, record.key.id, 30).await?;
        let requests: u64 = usage.days.iter().map(|d| d.requests).sum();
        rows.push((serde_json::to_value(KeyView::new(record, now)).unwrap_or(Value::Null), requests));
    }
    let base = format!("/console/tenants/{}/keys", tenant.as_str());
    let keep = |extra: &str| {
        let mut s = String::new();
        for (k, v) in [("name", &q.name), ("environment", &q.environment), ("account", &q.account)] {
            if let Some(v) = blank(v.as_deref()) {
                let _ = write!(s, "&{k}={}", form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>());
            }
        }
        s.push_str(extra);
        s
    };
    let body = html! {
        div.title-row {
            h1 { "API keys" }
            @if session.has(Role::Maker) {
                a.button href={ (base) "/new" } { "New API key" }
            }
        }
        nav.tabs aria-label="Key states" {
            ul {
                @for (value, label, _) in TABS {
                    li { a href={ (base) "?tab=" (value) (keep("")) } aria-current=[(value == tab.0).then_some("page")] { (label) } }
                }
            }
        }
        form.filters method="get" action=(base) role="search" {
            input type="hidden" name="tab" value=(tab.0);
            div.field {
                label for="filter-name" { "Name" }
                input #filter-name type="search" name="name" value=[blank(q.name.as_deref())] data-live-filter="keys-table";
            }
            div.field {
                label for="filter-environment" { "Environment" }
                select #filter-environment name="environment" {
                    option value="" selected[blank(q.environment.as_deref()).is_none()] { "Any" }
                    option value="test" selected[blank(q.environment.as_deref()) == Some("test")] { "Test" }
                    option value="live" selected[blank(q.environment.as_deref()) == Some("live")] { "Live" }
                }
            }
            div.field {
                label for="filter-account" { "Account" }
                input #filter-account type="text" name="account" value=[blank(q.account.as_deref())];
            }
            button.secondary type="submit" { "Filter" }
        }
        (table(&rows, tab.1, &base))
        @if let Some(next) = page.next {
            p { a href={ (base) "?tab=" (tab.0) (keep(&format!("&cursor={next}"))) } { "Next page" } }
        }
    };
    Ok(layout::respond(StatusCode::OK, layout::page("API keys", &session, Some(&tenant), Section::Keys, body)))
}

/// The keys of one tab; expired rows greyed, with a warning icon and `Expired`.
fn table(rows: &[(Value, u64)], tab: &str, base: &str) -> Markup {
    html! {
            @if rows.is_empty() {
                p.empty { "No " (tab.to_lowercase()) " keys." }
            } @else {
                div.table-wrap tabindex="0" role="region" aria-label="Scrollable table" {
                    table #keys-table {
                        caption.visually-hidden { (tab) " keys" }
                        thead { tr {
                            th scope="col" { "Name" } th scope="col" { "Environment" } th scope="col" { "Scopes" }
                            th scope="col" { "Limits" } th scope="col" { "Allowed IPs" } th scope="col" { "Expires" }
                            th scope="col" { "Last used" } th scope="col" { "Requests (30 days)" }
                        } }
                        tbody {
                            @for (key, requests) in rows {
                                @let expired = key["expired"].as_bool() == Some(true);
                                tr.expired[expired] data-name=(view::text(&key["name"]).to_lowercase()) {
                                    td { a href={ (base) "/" (view::text(&key["id"])) } { (view::text(&key["name"])) } }
                                    td { (view::environment(key["environment"].as_str().unwrap_or("test"))) }
                                    td { (view::joined(&key["scopes"], "—")) }
                                    td { (view::limits(&key["limits"], &key["currency_class"])) }
                                    td { (view::joined(&key["limits"]["allowed_ips"], "Any")) }
                                    td { (view::expiry(key)) }
                                    td { (view::when(&key["last_used_at"])) }
                                    td.num { (requests) }
                                }
                            }
                        }
                    }
                }
            }
    }
}
