//! **Operators** (admins; auditors read): the tenant's people, inviting one (the invitation, or its
//! first half under dual control, shown once), and approving, rejecting, disabling and re-enabling.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::operator::OperatorEvent;
use keygate_domain::{OperatorId, Reason, Role};
use keygate_verifier::manage::{Invitation, ManageError, Management, NewOperator, Permission};
use maud::{html, Markup};
use serde_json::{json, Value};

use super::secret::{self, Kind};
use crate::body::Body;
use crate::console::error::ConsoleError;
use crate::console::form::Form;
use crate::console::layout::{self, see_other, Section};
use crate::console::session::{self, Session};
use crate::console::view::{self, text, when};
use crate::dto::operator::{CreateOperator, OperatorView};
use crate::error::ApiError;

const ROLES: [(&str, &str); 4] =
    [("admin", "Admin"), ("maker", "Maker"), ("checker", "Checker"), ("auditor", "Auditor")];

pub(in crate::console) async fn list(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let session = session::current(&manage, &req).await?;
    let tenant = session.tenant(&path, Permission::Oversee)?;
    let done = req.query_string().strip_prefix("done=").map(str::to_owned);
    let page = render(&manage, &session, &tenant, done.as_deref(), None).await?;
    Ok(layout::respond(StatusCode::OK, page))
}

async fn render(
    manage: &Management,
    session: &Session,
    tenant: &keygate_domain::TenantId,
    done: Option<&str>,
    error: Option<&ApiError>,
) -> Result<Markup, ConsoleError> {
    let operators = manage.operators(&session.caller, tenant).await?;
    let rows: Vec<Value> =
        operators.iter().map(|o| serde_json::to_value(OperatorView::from(o)).unwrap_or(Value::Null)).collect();
    let admin = session.has(Role::Admin);
    let me = session.actor();
    let base = format!("/console/tenants/{}/operators", tenant.as_str());
    let body = html! {
        h1 { "Operators" }
        (view::notice(done))
        @if let Some(e) = error { p.error-summary role="alert" { (e.to_string()) } }
        div.table-wrap tabindex="0" role="region" aria-label="Scrollable table" { table {
            thead { tr {
                th scope="col" { "Name" } th scope="col" { "E-mail" } th scope="col" { "Roles" } th scope="col" { "State" }
                th scope="col" { "Invited by" } th scope="col" { "Last seen" } @if admin { th scope="col" { "Actions" } }
            } }
            tbody { @for o in &rows {
                @let state = o["state"].as_str().unwrap_or("");
                @let target = format!("{base}/{}", text(&o["id"]));
                tr {
                    td { (text(&o["name"])) } td { (text(&o["email"])) } td { (view::joined(&o["roles"], "—")) }
                    td { (state.replace('_', " ")) } td { (text(&o["created_by"])) } td { (when(&o["last_seen_at"])) }
                    @if admin { td.buttons {
                        @if (state == "pending_approval" && o["created_by"].as_str() != Some(me.as_str())) || state == "disabled" {
                            (post(session, &target, "approve", "Approve", false))
                        }
                        @if state == "pending_approval" && o["created_by"].as_str() != Some(me.as_str()) {
                            (post(session, &target, "reject", "Reject", true))
                        }
                        @if state == "active" || state == "invited" { (post(session, &target, "disable", "Disable", true)) }
                        @if state == "disabled" { (post(session, &target, "enable", "Enable", false)) }
                    } }
                }
            } }
        } }
        @if admin {
            section aria-labelledby="invite-title" {
                h2 #invite-title { "Invite an operator" }
                form.card method="post" action=(base) {
                    input type="hidden" name="csrf" value=(session.csrf());
                    div.field { label for="op-name" { "Name" } input #op-name type="text" name="name" required maxlength="100"; }
                    div.field { label for="op-email" { "E-mail" } input #op-email type="email" name="email" required maxlength="254"; }
                    fieldset.field {
                        legend { "Roles" }
                        @for (value, label) in ROLES { label.inline { input type="checkbox" name="roles" value=(value); " " (label) } }
                        p.hint { "An admin is never also a maker or a checker." }
                    }
                    button type="submit" { "Invite" }
                }
            }
        }
    };
    Ok(layout::page("Operators", session, Some(tenant), Section::Operators, body))
}

fn post(session: &Session, target: &str, action: &str, label: &str, reason: bool) -> Markup {
    html! {
        @if reason {
            details.confirm {
                summary { (label) "…" }
                form method="post" action={ (target) "/" (action) } {
                    input type="hidden" name="csrf" value=(session.csrf());
                    label for={ "reason-" (action) "-" (target.rsplit('/').next().unwrap_or("")) } { "Reason" }
                    input id={ "reason-" (action) "-" (target.rsplit('/').next().unwrap_or("")) } type="text" name="reason" maxlength="500";
                    button type="submit" { (label) }
                }
            }
        } @else {
            form.inline method="post" action={ (target) "/" (action) } {
                input type="hidden" name="csrf" value=(session.csrf());
                button type="submit" { (label) }
            }
        }
    }
}

/// `POST .../operators`: an invitation.
pub(in crate::console) async fn invite(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ConsoleError> {
    super::same_origin(&req)?;
    let session = session::current(&manage, &req).await?;
    let tenant = session.tenant(&path, Permission::Administer)?;
    let form = Form::verified(&session, body.bytes())?;
    let body = json!({
        "name": form.get("name").unwrap_or_default(),
        "email": form.get("email").unwrap_or_default(),
        "roles": form.all("roles").collect::<Vec<_>>(),
    });
    let invited = match serde_json::from_value::<CreateOperator>(body)
        .map_err(|e| ApiError::invalid("body", e))
        .and_then(NewOperator::try_from)
    {
        Ok(new) => manage.invite_operator(&session.caller, &tenant, new).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let decided = match invited {
        Ok(d) => d,
        Err(e) => {
            let status = e.status_and_code().0;
            return Ok(layout::respond(status, render(&manage, &session, &tenant, None, Some(&e)).await?));
        }
    };
    let base = format!("/console/tenants/{}/operators", tenant.as_str());
    Ok(layout::respond(StatusCode::CREATED, invitation_page(&session, &tenant, decided.invitation.as_ref(), &base)))
}

fn invitation_page(
    session: &Session,
    tenant: &keygate_domain::TenantId,
    invitation: Option<&Invitation>,
    base: &str,
) -> Markup {
    let body = html! {
        h1 { "Invitation" }
        @match invitation {
            Some(code) => {
                @if code.is_second_half() {
                    p { "This is the invitation's second half: give it to the invitee by another channel than the first." }
                } @else {
                    p { "Give this to the invitee; under dual control it is the first half, and a second admin's approval issues the other." }
                }
                (secret::dialog(Kind::Invitation, code.expose(), None, base))
            }
            None => p { "Done. " a href=(base) { "Back to the operators" } },
        }
    };
    layout::page("Invitation", session, Some(tenant), Section::Operators, body)
}

/// `POST .../operators/{id}/{approve|reject|disable|enable}`.
pub(in crate::console) async fn act(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    body: Body,
) -> Result<HttpResponse, ConsoleError> {
    super::same_origin(&req)?;
    let session = session::current(&manage, &req).await?;
    let (raw_tenant, raw_id, action) = path.into_inner();
    let tenant = session.tenant(&raw_tenant, Permission::Administer)?;
    let id = OperatorId::parse(&raw_id).map_err(|_| ConsoleError::from(ManageError::NotFound))?;
    let form = Form::verified(&session, body.bytes())?;
    let reason = |default: &str| {
        Reason::parse(form.get("reason").unwrap_or(default)).map_err(|e| ApiError::invalid("reason", e))
    };
    let event = match action.as_str() {
        "approve" => OperatorEvent::Approve,
        "reject" => OperatorEvent::Reject { reason: reason("rejected")? },
        "disable" => OperatorEvent::Disable { reason: reason("disabled")? },
        "enable" => OperatorEvent::RequestEnable,
        _ => return Err(ApiError::NotFound.into()),
    };
    let decided = manage.operator_event(&session.caller, &tenant, id, event).await?;
    let base = format!("/console/tenants/{}/operators", tenant.as_str());
    match decided.invitation {
        Some(code) => Ok(layout::respond(StatusCode::OK, invitation_page(&session, &tenant, Some(&code), &base))),
        None => Ok(see_other(&format!("{base}?done={action}"))),
    }
}
