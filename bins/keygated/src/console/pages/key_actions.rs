//! The key's moves from its page: each form post becomes the same domain event (or rotation, or
//! reveal) the JSON route makes, checked for the same permission before its form is read.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::{Event, KeyId, Reason};
use keygate_verifier::manage::{ManageError, Management, Permission};
use maud::html;

use super::secret::{self, Kind};
use crate::body::Body;
use crate::console::error::ConsoleError;
use crate::console::form::Form;
use crate::console::layout::{self, see_other, Section};
use crate::console::session;
use crate::error::ApiError;

/// Every move: its path and the permission it needs (checked before the form is read).
const MOVES: [(&str, Permission); 13] = [
    ("approve", Permission::Approve),
    ("reject", Permission::Approve),
    ("revoke", Permission::Request),
    ("revocation/approve", Permission::Approve),
    ("revocation/reject", Permission::Approve),
    ("change/approve", Permission::Approve),
    ("change/reject", Permission::Approve),
    ("suspend", Permission::Stop),
    ("resume", Permission::Request),
    ("resume/approve", Permission::Approve),
    ("resume/reject", Permission::Approve),
    ("rotate", Permission::Request),
    ("reveal", Permission::Request),
];

/// The reason a form gave, if any.
fn optional(form: &Form) -> Result<Option<Reason>, ApiError> {
    form.get("reason").map(Reason::parse).transpose().map_err(|e| ApiError::invalid("reason", e))
}

/// The reason a form must give.
fn required(form: &Form) -> Result<Reason, ApiError> {
    optional(form)?.ok_or_else(|| ApiError::invalid("reason", "is required"))
}

pub(in crate::console) async fn act(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
    body: Body,
) -> Result<HttpResponse, ConsoleError> {
    super::same_origin(&req)?;
    let session = session::current(&manage, &req).await?;
    let (raw_tenant, raw_id, action) = path.into_inner();
    let Some((action, permission)) = MOVES.iter().find(|(a, _)| *a == action) else {
        return Err(ApiError::NotFound.into());
    };
    let tenant = session.tenant(&raw_tenant, *permission)?;
    let id = KeyId::parse(&raw_id).map_err(|_| ConsoleError::from(ManageError::NotFound))?;
    let form = Form::verified(&session, body.bytes())?;
    let key_url = format!("/console/tenants/{}/keys/{raw_id}", tenant.as_str());
    let who = &session.caller;
    let event = match *action {
        "approve" => Event::Approve,
        "reject" => Event::Reject { reason: required(&form)? },
        "revoke" => Event::RequestRevocation { reason: required(&form)? },
        "revocation/approve" => Event::ApproveRevocation,
        "revocation/reject" => Event::RejectRevocation { reason: optional(&form)? },
        "change/approve" => Event::ApproveChange,
        "change/reject" => Event::RejectChange { reason: optional(&form)? },
        "suspend" => Event::Suspend { reason: required(&form)? },
        "resume" => Event::RequestResume { reason: required(&form)? },
        "resume/approve" => Event::ApproveResume,
        "resume/reject" => Event::RejectResume { reason: optional(&form)? },
        "rotate" => {
            let overlap = match form.get("overlap_seconds") {
                Some(v) => {
                    v.parse().map_err(|_| ApiError::invalid("overlap_seconds", "must be a whole number of seconds"))?
                }
                None => 86_400, // a day, as the JSON route
            };
            let (record, secret) = manage.rotate(who, &tenant, id, overlap).await?;
            let successor = format!("/console/tenants/{}/keys/{}", tenant.as_str(), record.key.id);
            let content = html! {
                h1 { "Key rotated" }
                p { "The new key “" (record.key.name.as_str()) "” is " (crate::console::view::state(record.key.state.as_str()).to_lowercase()) "; the old one keeps working for the overlap once it is approved." }
                @if let Some(secret) = &secret { (secret::dialog(Kind::ApiKey, secret.expose(), None, &successor)) }
                @else { p { a href=(successor) { "Open the new key" } } }
            };
            let page = layout::page("Key rotated", &session, Some(&tenant), Section::Keys, content);
            return Ok(layout::respond(StatusCode::CREATED, page));
        }
        "reveal" => {
            let (record, secret) = manage.reveal(who, &tenant, id).await?;
            let signing = manage.verifier().signing_secret(&record).map(|s| s.render().to_string());
            let bearer = record.signing.as_ref().is_none_or(keygate_domain::Signing::bearer);
            let content = html! {
                h1 { "Reveal API key" }
                @if bearer {
                    (secret::dialog(Kind::ApiKey, secret.expose(), signing.as_deref().map(|s| ("Signing secret", s)), &key_url))
                } @else if let Some(s) = &signing {
                    (secret::dialog(Kind::SigningSecret, s, None, &key_url))
                }
            };
            let page = layout::page("Reveal API key", &session, Some(&tenant), Section::Keys, content);
            return Ok(layout::respond(StatusCode::OK, page));
        }
        _ => return Err(ApiError::NotFound.into()),
    };
    manage.transition(who, &tenant, id, event).await?;
    Ok(see_other(&format!("{key_url}?done={action}")))
}
