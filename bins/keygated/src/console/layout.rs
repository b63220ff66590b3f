//! The page shell: head, the header with the tenant's sections and `Log out`, and the response.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use keygate_domain::{Role, TenantId};
use maud::{html, Markup, DOCTYPE};

use super::session::Session;

/// The header's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Keys,
    Operators,
    Audit,
    Webhooks,
    Requests,
    None,
}

/// A page of a signed-in session, in `tenant` (none: the system administrator's tenant picker).
pub(super) fn page(title: &str, session: &Session, tenant: Option<&TenantId>, here: Section, body: Markup) -> Markup {
    shell(
        title,
        html! {
            header.top {
                a.brand href="/console/" { "keygate" }
                @if let Some(t) = tenant {
                    nav aria-label="Sections" {
                        ul {
                            (link(t, "keys", "Keys", here == Section::Keys))
                            @if session.has(Role::Admin) || session.has(Role::Auditor) {
                                (link(t, "operators", "Operators", here == Section::Operators))
                            }
                            (link(t, "audit", "Audit", here == Section::Audit))
                            @if session.has(Role::Admin) || session.has(Role::Auditor) {
                                (link(t, "webhooks", "Webhooks", here == Section::Webhooks))
                            }
                            (link(t, "requests", "Requests", here == Section::Requests))
                        }
                    }
                }
                div.who {
                    @if session.is_system() {
                        form.picker method="get" action="/console/tenants" {
                            label for="pick-tenant" { "Tenant" }
                            input #pick-tenant type="text" name="tenant" required value=[tenant.map(TenantId::as_str)];
                            button type="submit" { "Open" }
                        }
                        span.identity { "System administrator" }
                    } @else {
                        span.identity { (session.actor()) " · " (roles(session)) }
                    }
                    form method="post" action="/console/logout" {
                        input type="hidden" name="csrf" value=(session.csrf());
                        button.secondary type="submit" { "Log out" }
                    }
                }
            }
            main #main { (body) }
        },
    )
}

/// A page without a session (login, claim, errors).
pub(super) fn bare(title: &str, body: Markup) -> Markup {
    shell(
        title,
        html! {
            header.top { a.brand href="/console/" { "keygate" } }
            main #main { (body) }
        },
    )
}

fn shell(title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · keygate console" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                (content)
            }
        }
    }
}

fn link(tenant: &TenantId, path: &str, label: &str, current: bool) -> Markup {
    html! {
        li { a href={ "/console/tenants/" (tenant.as_str()) "/" (path) } aria-current=[current.then_some("page")] { (label) } }
    }
}

fn roles(session: &Session) -> String {
    let names: Vec<&str> = [Role::Admin, Role::Maker, Role::Checker, Role::Auditor]
        .into_iter()
        .filter(|r| session.has(*r))
        .map(Role::as_str)
        .collect();
    names.join(", ")
}

/// An HTML response.
pub(super) fn respond(status: StatusCode, markup: Markup) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(markup.into_string())
}

/// A redirect after a successful post (the browser then reloads a page, never the post).
pub(super) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("location", location)).finish()
}
