//! **Key detail**: everything the list shows, plus who asked and who approved, a pending change side
//! by side with what is in force, the review buttons for a checker (never for the person who asked:
//! the server refuses them anyway), the maker's moves, the key's audit trail and its use per day.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::{KeyId, Role};
use keygate_verifier::manage::{ManageError, Management, Permission};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::Value;

use crate::console::chart;
use crate::console::error::ConsoleError;
use crate::console::layout::{self, Section};
use crate::console::session::{self, Session};
use crate::console::view::{self, text, when};
use crate::dto::audit::AuditView;
use crate::dto::key::{KeyView, UsageView};

#[derive(Deserialize, Default)]
pub(in crate::console) struct DetailQuery {
    done: Option<String>,
}

pub(in crate::console) async fn detail(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let session = session::current(&manage, &req).await?;
    let tenant = session.tenant(&path.0, Permission::Read)?;
    let id = KeyId::parse(&path.1).map_err(|_| ConsoleError::from(ManageError::NotFound))?;
    let q: DetailQuery = super::query(&req)?;
    let record = manage.key(&session.caller, &tenant, id).await?;
    let now = manage.verifier().clock().now();
    let key = serde_json::to_value(KeyView::new(&record, now)).unwrap_or(Value::Null);
    let usage = manage.usage(&session.caller, &tenant, id, 31).await?;
    let since = now.date_naive() - chrono::Duration::days(30);
    let requests_30: u64 = usage.days.iter().filter(|d| d.day > since).map(|d| d.requests).sum();
    let usage = serde_json::to_value(UsageView::new(&path.1, &usage)).unwrap_or(Value::Null);
    let trail = manage.audit_log(&session.caller, &tenant, Some(id), None, 100).await?;
    let trail: Vec<Value> =
        trail.items.iter().map(|e| serde_json::to_value(AuditView::from(e)).unwrap_or(Value::Null)).collect();
    let base = format!("/console/tenants/{}/keys/{}", tenant.as_str(), path.1);
    let expired = key["expired"].as_bool() == Some(true);
    let body = html! {
        p.crumbs { a href={ "/console/tenants/" (tenant.as_str()) "/keys" } { "API keys" } " / " (text(&key["name"])) }
        (view::notice(q.done.as_deref()))
        div.title-row {
            h1 { (text(&key["name"])) }
            span class={ "badge state-" (text(&key["state"])) } { (view::state(key["state"].as_str().unwrap_or(""))) }
            (view::environment(key["environment"].as_str().unwrap_or("test")))
            @if expired { span.expired-flag { span.icon aria-hidden="true" { "⚠" } " Expired" } }
        }
        div.detail-grid {
            dl.facts.expired[expired] {
                dt { "Key id" } dd { code { (text(&key["id"])) } }
                dt { "Token" } dd { code { (text(&key["masked"])) } }
                dt { "Account" } dd { (text(&key["account_id"])) }
                dt { "Scopes" } dd { (view::joined(&key["scopes"], "—")) }
                dt { "Limits" } dd { (view::limits(&key["limits"], &key["currency_class"])) }
                dt { "Allowed IPs" } dd { (view::joined(&key["limits"]["allowed_ips"], "Any")) }
                dt { "Expires" } dd { (view::expiry(&key)) }
                dt { "Last used" } dd { (when(&key["last_used_at"])) }
                dt { "Requests (30 days)" } dd { (requests_30) }
                dt { "Asked by" } dd { (text(&key["created_by"])) " on " (when(&key["created_at"])) }
                dt { "Approved by" } dd { (text(&key["approved_by"])) }
                dt { "External id" } dd { (text(&key["external_id"])) }
                dt { "Metadata" } dd { (json_text(&key["metadata"])) }
                dt { "Signing" } dd { (signing(&key)) }
                @if !key["rotation"].is_null() {
                    dt { "Rotation of" } dd {
                        a href={ "/console/tenants/" (tenant.as_str()) "/keys/" (text(&key["rotation"]["replaces"])) } { code { (text(&key["rotation"]["replaces"])) } }
                        ", which keeps working " (text(&key["rotation"]["overlap_seconds"])) " s after this key is approved"
                    }
                }
                dt { "Notes" } dd.notes { (text(&key["notes"])) }
            }
            section.review aria-labelledby="review-title" {
                h2 #review-title { "Actions" }
                (actions(&session, &key, &base))
            }
        }
        @if !key["pending_change"].is_null() { (pending_change(&key)) }
        @if !key["revocation"].is_null() {
            section { h2 { "Revocation" }
                p { "Asked by " (text(&key["revocation"]["requested_by"])) " on " (when(&key["revocation"]["requested_at"])) ": “" (text(&key["revocation"]["reason"])) "”" } }
        }
        @if !key["suspension"].is_null() {
            section { h2 { "Suspension" }
                p { "Suspended by " (text(&key["suspension"]["suspended_by"])) " on " (when(&key["suspension"]["suspended_at"])) ": “" (text(&key["suspension"]["reason"])) "”" } }
        }
        (chart::usage(&usage, now.date_naive()))
        section aria-labelledby="trail-title" {
            h2 #trail-title { "Audit trail" }
            div.table-wrap tabindex="0" role="region" aria-label="Scrollable table" { table {
                thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "What" } th scope="col" { "Reason" } } }
                tbody { @for e in &trail { tr {
                    td { (when(&e["at"])) } td { (text(&e["actor"])) } td { (text(&e["action"])) } td { (text(&e["reason"])) }
                } } }
            } }
        }
    };
    let title = text(&key["name"]);
    Ok(layout::respond(StatusCode::OK, layout::page(&title, &session, Some(&tenant), Section::Keys, body)))
}

/// A post button, with an optional reason asked first (the disclosure is the confirmation step, and
/// works without script).
fn act(session: &Session, base: &str, action: &str, label: &str, reason: Reason) -> Markup {
    let target = format!("{base}/{action}");
    let field = format!("reason-{}", action.replace('/', "-"));
    html! {
        @match reason {
            Reason::None => form.inline method="post" action=(target) {
                input type="hidden" name="csrf" value=(session.csrf());
                button type="submit" { (label) }
            },
            Reason::Required(prompt) | Reason::Optional(prompt) => details.confirm {
                summary { (label) "…" }
                form method="post" action=(target) {
                    input type="hidden" name="csrf" value=(session.csrf());
                    label for=(field) { (prompt) }
                    @if matches!(reason, Reason::Required(_)) {
                        textarea id=(field) name="reason" rows="2" maxlength="500" required {}
                    } @else {
                        textarea id=(field) name="reason" rows="2" maxlength="500" {}
                    }
                    button type="submit" { (label) }
                }
            },
            Reason::Overlap => details.confirm {
                summary { (label) "…" }
                form method="post" action=(target) {
                    input type="hidden" name="csrf" value=(session.csrf());
                    label for=(field) { "Overlap in seconds (the old key keeps working this long after the new one is approved)" }
                    input id=(field) type="number" name="overlap_seconds" min="0" max="2592000" value="86400";
                    button type="submit" { (label) }
                }
            },
        }
    }
}

#[derive(Clone, Copy)]
enum Reason {
    None,
    Required(&'static str),
    Optional(&'static str),
    Overlap,
}

fn actions(session: &Session, key: &Value, base: &str) -> Markup {
    let me = session.actor();
    let state = key["state"].as_str().unwrap_or("");
    let checker = session.has(Role::Checker);
    let maker = session.has(Role::Maker);
    let stopper = maker || checker || session.has(Role::Admin);
    let not_mine = |v: &Value| v.as_str() != Some(me.as_str());
    let revocation_asked = !key["revocation"].is_null() && state != "revoked";
    let resume = &key["suspension"]["resume"];
    html! {
        @if state == "pending_approval" {
            @if checker && not_mine(&key["created_by"]) {
                p { "Review this request: approving puts the key into the world." }
                div.buttons { (act(session, base, "approve", "Approve", Reason::None)) (act(session, base, "reject", "Reject", Reason::Required("Why is it rejected?"))) }
            } @else if !not_mine(&key["created_by"]) {
                p.hint { "You asked for this key, so another person approves it." }
            } @else {
                p.hint { "Waiting for a checker." }
            }
        }
        @if revocation_asked {
            @if checker && not_mine(&key["revocation"]["requested_by"]) {
                p { "A revocation is asked: approve it and the key is refused from then on." }
                div.buttons { (act(session, base, "revocation/approve", "Approve", Reason::None)) (act(session, base, "revocation/reject", "Reject", Reason::Optional("Why is it rejected? (optional)"))) }
            } @else {
                p.hint { "Revocation asked; waiting for another checker." }
            }
        }
        @if !key["pending_change"].is_null() {
            @if checker && not_mine(&key["pending_change"]["requested_by"]) {
                p { "A change is asked (below): approve it to apply it." }
                div.buttons { (act(session, base, "change/approve", "Approve", Reason::None)) (act(session, base, "change/reject", "Reject", Reason::Optional("Why is it rejected? (optional)"))) }
            } @else {
                p.hint { "Change asked; waiting for another checker." }
            }
        }
        @if state == "suspended" && !resume.is_null() {
            @if checker && not_mine(&resume["requested_by"]) && not_mine(&key["suspension"]["suspended_by"]) {
                p { "A resume is asked: approve it and the key works again." }
                div.buttons { (act(session, base, "resume/approve", "Approve", Reason::None)) (act(session, base, "resume/reject", "Reject", Reason::Optional("Why is it rejected? (optional)"))) }
            } @else {
                p.hint { "Resume asked; waiting for another checker." }
            }
        }
        @if key["reveal_until"].is_string() && key["secret_revealed"].as_bool() == Some(false) && !not_mine(&key["created_by"]) {
            (act(session, base, "reveal", "Reveal API key", Reason::None))
        }
        @if state == "revoked" || state == "rejected" {
            p.hint { "Nothing more can happen to this key: it is " (view::state(state).to_lowercase()) "." }
        }
        div.buttons {
            @if maker && (state == "active" || (state == "suspended" && !revocation_asked)) {
                (act(session, base, "revoke", "Revoke", Reason::Required("Why is it revoked?")))
            }
            @if stopper && state == "active" {
                (act(session, base, "suspend", "Suspend", Reason::Required("Why is it suspended?")))
            }
            @if maker && state == "active" {
                (act(session, base, "rotate", "Rotate", Reason::Overlap))
            }
            @if maker && state == "suspended" && resume.is_null() {
                (act(session, base, "resume", "Resume", Reason::Required("Why may it work again?")))
            }
        }
    }
}

fn pending_change(key: &Value) -> Markup {
    let change = &key["pending_change"];
    html! {
        section aria-labelledby="change-title" {
            h2 #change-title { "Pending change" }
            p { "Asked by " (text(&change["requested_by"])) " on " (when(&change["requested_at"])) "." }
            div.table-wrap tabindex="0" role="region" aria-label="Scrollable table" { table.compare {
                thead { tr { th scope="col" { "" } th scope="col" { "In force" } th scope="col" { "Asked" } } }
                tbody {
                    (compare("Scopes", view::joined(&key["scopes"], "—"), view::joined(&change["scopes"], "—")))
                    (compare("Limits", view::limits(&key["limits"], &Value::Null), view::limits(&change["limits"], &Value::Null)))
                    (compare("Allowed IPs", view::joined(&key["limits"]["allowed_ips"], "Any"), view::joined(&change["limits"]["allowed_ips"], "Any")))
                    (compare("Currency class", text(&key["currency_class"]), text(&change["currency_class"])))
                    (compare("External id", text(&key["external_id"]), text(&change["external_id"])))
                    (compare("Metadata", json_text(&key["metadata"]), json_text(&change["metadata"])))
                }
            } }
        }
    }
}

/// One row of the comparison; a row whose sides differ says so in words, not only in colour.
fn compare(label: &str, now: String, asked: String) -> Markup {
    let changed = now != asked;
    html! {
        tr.changed[changed] {
            th scope="row" { (label) @if changed { " " span.badge.changed-flag { "Changed" } } }
            td { (now) } td { (asked) }
        }
    }
}

/// A JSON value as compact text (metadata), or an em dash.
fn json_text(v: &Value) -> String {
    if v.is_null() {
        "—".to_owned()
    } else {
        v.to_string()
    }
}

/// How the key authenticates: bearer, signed requests, or both.
fn signing(key: &Value) -> String {
    let bearer = key["bearer"].as_bool() != Some(false);
    match (key["signing"]["algorithm"].as_str(), bearer) {
        (None, _) => "Bearer token only".to_owned(),
        (Some(alg), true) => format!("Bearer token, or requests signed with {alg}"),
        (Some(alg), false) => format!("Requests signed with {alg} only"),
    }
}
