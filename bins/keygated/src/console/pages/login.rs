//! Signing in (`/console/login`: the operator token pasted once into `token`), claiming an invitation
//! (`/console/claim`: the token is shown once, and the session opened with it) and signing out.
//! The token opens a server-side session and is then forgotten: the browser keeps only the session
//! cookie.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use keygate_verifier::manage::{ManageError, Management};
use maud::{html, Markup};
use serde::Deserialize;

use super::secret::{self, Kind};
use crate::body::Body;
use crate::console::error::ConsoleError;
use crate::console::form::Form;
use crate::console::layout::{self, see_other};
use crate::console::session::{self, clear_cookie, set_cookie};
use crate::console::ConsoleSettings;
use crate::routes::client_address;

#[derive(Deserialize, Default)]
pub(in crate::console) struct LoginQuery {
    out: Option<String>,
}

fn login_page(error: Option<&str>, notice: Option<&str>) -> Markup {
    layout::bare(
        "Log in",
        html! {
            h1 { "Log in" }
            @if let Some(n) = notice { p.notice role="status" { (n) } }
            form.card method="post" action="/console/login" {
                div.field {
                    label for="token" { "Operator token" }
                    input #token type="password" name="token" required autocomplete="off" spellcheck="false"
                        aria-describedby=[error.map(|_| "token-error")] aria-invalid=[error.map(|_| "true")];
                    @if let Some(e) = error { p #token-error .field-error { (e) } }
                    p.hint { "Paste the token you received when you claimed your invitation. It is used once to open a session and is not kept by the browser." }
                }
                button type="submit" { "Log in" }
            }
            p { "Invited? " a href="/console/claim" { "Claim your invitation" } }
        },
    )
}

pub(in crate::console) async fn form(req: HttpRequest) -> HttpResponse {
    let out = super::query::<LoginQuery>(&req).unwrap_or_default().out.is_some();
    layout::respond(StatusCode::OK, login_page(None, out.then_some("You are logged out.")))
}

pub(in crate::console) async fn submit(
    manage: web::Data<Management>,
    settings: web::Data<ConsoleSettings>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ConsoleError> {
    super::same_origin(&req)?;
    let form = Form::parse(body.bytes());
    let token = form.get("token").unwrap_or_default();
    // A new login ends the session this browser had (a shared browser must not keep the last person's).
    for old in session::cookies_of(&req) {
        manage.end_session(&old).await?;
    }
    match manage.open_session(token.as_bytes(), client_address(&req)).await {
        Ok(opened) => Ok(HttpResponse::SeeOther()
            .insert_header(("set-cookie", set_cookie(opened.cookie.expose(), **settings)))
            .insert_header(("location", "/console/"))
            .finish()),
        Err(ManageError::Unauthenticated) => Ok(layout::respond(
            StatusCode::UNAUTHORIZED,
            login_page(Some("This token does not sign in: it is wrong, replaced, or its operator is disabled."), None),
        )),
        Err(ManageError::Forbidden(why)) => Ok(layout::respond(StatusCode::FORBIDDEN, login_page(Some(why), None))),
        Err(other) => Err(other.into()),
    }
}

fn claim_page(error: Option<&str>) -> Markup {
    layout::bare(
        "Claim your invitation",
        html! {
            h1 { "Claim your invitation" }
            form.card method="post" action="/console/claim" {
                div.field {
                    label for="invitation" { "Invitation" }
                    input #invitation type="password" name="invitation" required autocomplete="off" spellcheck="false"
                        aria-describedby=[error.map(|_| "claim-error")];
                }
                div.field {
                    label for="invitation_2" { "Second half (if your invitation came in two)" }
                    input #invitation_2 type="password" name="invitation_2" autocomplete="off" spellcheck="false";
                }
                @if let Some(e) = error { p #claim-error .field-error { (e) } }
                button type="submit" { "Claim" }
            }
            p { a href="/console/login" { "Log in with a token instead" } }
        },
    )
}

pub(in crate::console) async fn claim_form() -> HttpResponse {
    layout::respond(StatusCode::OK, claim_page(None))
}

pub(in crate::console) async fn claim(
    manage: web::Data<Management>,
    settings: web::Data<ConsoleSettings>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ConsoleError> {
    super::same_origin(&req)?;
    let form = Form::parse(body.bytes());
    let first = form.get("invitation").unwrap_or_default();
    let second = form.get("invitation_2").map(str::as_bytes);
    let (_, token) = match manage.claim(first.as_bytes(), second, client_address(&req)).await {
        Ok(claimed) => claimed,
        Err(e @ (ManageError::Unauthenticated | ManageError::Operator(_))) => {
            let status = crate::error::ApiError::from(e).status_and_code().0;
            let text = "This invitation cannot be claimed: it is wrong, already claimed, lapsed, or not approved yet.";
            return Ok(layout::respond(status, claim_page(Some(text))));
        }
        Err(other) => return Err(other.into()),
    };
    // The invitation is spent: whatever happens next, the token must be shown, or it is lost.
    let opened = manage.open_session(token.expose().as_bytes(), client_address(&req)).await;
    let page = layout::bare(
        "Welcome",
        html! {
            h1 { "Your invitation is claimed" }
            p { "Below is your operator token: the command line and the API take it, and it logs you in here." }
            @if opened.is_err() {
                p.error-summary role="alert" { "No session could be opened just now: copy the token, then " a href="/console/login" { "log in" } " with it." }
            } @else {
                p { "You are logged in already." }
            }
            (secret::dialog(Kind::OperatorToken, token.expose(), None, "/console/"))
        },
    );
    let mut response = HttpResponse::Created();
    if let Ok(opened) = &opened {
        response.insert_header(("set-cookie", set_cookie(opened.cookie.expose(), **settings)));
    }
    Ok(response.content_type("text/html; charset=utf-8").body(page.into_string()))
}

/// Ends the session for every process and clears the cookie.
pub(in crate::console) async fn logout(
    manage: web::Data<Management>,
    settings: web::Data<ConsoleSettings>,
    req: HttpRequest,
    body: Body,
) -> Result<HttpResponse, ConsoleError> {
    super::same_origin(&req)?;
    let session = match session::current(&manage, &req).await {
        Ok(s) => s,
        Err(ConsoleError::LoginNeeded) => return Ok(see_other("/console/login")),
        Err(other) => return Err(other),
    };
    Form::verified(&session, body.bytes())?;
    manage.end_session(session.cookie()).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("set-cookie", clear_cookie(**settings)))
        .insert_header(("location", "/console/login?out=1"))
        .finish())
}
