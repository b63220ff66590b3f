//! **New API key**: the seeds' creation form. Its flat fields (`name`, `notes`, `environment`,
//! `scopes`, `currency_class`, `currency`, `max_amount`, `daily_volume`, `allowed_ips`,
//! `expires_in_days`, `never_expires`, and `account_id`) become the JSON API's `CreateKey` body, which
//! goes through the same parsing and the same `Management::create_key`; an error naming a field of that
//! body is shown next to the form field it came from, with the server's message.

use std::collections::BTreeSet;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use keygate_domain::{Action, TenantId, TenantPolicy};
use keygate_store::KeyFilter;
use keygate_verifier::manage::{KeySpec, Management, Permission};
use maud::{html, Markup};
use serde_json::{json, Map, Value};

use super::secret::{self, Kind};
use crate::body::Body;
use crate::console::error::ConsoleError;
use crate::console::form::{list, Form};
use crate::console::layout::{self, Section};
use crate::console::session::{self, Session};
use crate::dto::key::CreateKey;
use crate::error::ApiError;

/// The default expiry in days (the last seed's "one year").
const DEFAULT_DAYS: u32 = 365;

/// One row of the permission grid: a resource and the actions it offers.
struct Resource {
    name: String,
    description: Option<String>,
    actions: BTreeSet<&'static str>,
}

/// The tenant's catalogue, or else the resources its keys already name (with every action).
async fn resources(
    manage: &Management,
    session: &Session,
    tenant: &TenantId,
    policy: &TenantPolicy,
) -> Result<Vec<Resource>, ConsoleError> {
    if let Some(catalogue) = &policy.scope_catalogue {
        return Ok(catalogue
            .resources()
            .map(|r| Resource {
                name: r.name().to_owned(),
                description: r.description().map(|d| d.as_str().to_owned()),
                actions: r
                    .actions()
                    .flat_map(|a| match a {
                        Action::Read => vec!["read"],
                        Action::Write => vec!["read", "write"],
                        Action::Approve => vec!["approve"],
                        Action::Any => vec!["read", "write", "approve"],
                    })
                    .collect(),
            })
            .collect());
    }
    let seen = manage.keys(&session.caller, tenant, KeyFilter::default(), None, 200).await?;
    let names: BTreeSet<String> =
        seen.items.iter().flat_map(|r| r.key.privileges.scopes.iter().map(|s| s.resource().to_owned())).collect();
    Ok(names
        .into_iter()
        .map(|name| Resource { name, description: None, actions: ["read", "write", "approve"].into() })
        .collect())
}

pub(in crate::console) async fn form(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let session = session::current(&manage, &req).await?;
    let tenant = session.tenant(&path, Permission::Request)?;
    let policy = manage.tenant(&session.caller, &tenant).await?.policy;
    let grid = resources(&manage, &session, &tenant, &policy).await?;
    let page = render(&session, &tenant, &policy, &grid, &Form::parse(b""), None);
    Ok(layout::respond(StatusCode::OK, page))
}

pub(in crate::console) async fn submit(
    manage: web::Data<Management>,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body,
) -> Result<HttpResponse, ConsoleError> {
    super::same_origin(&req)?;
    let session = session::current(&manage, &req).await?;
    let tenant = session.tenant(&path, Permission::Request)?;
    let form = Form::verified(&session, body.bytes())?;
    let created = match body_of(&form).and_then(KeySpec::try_from) {
        Ok(spec) => manage.create_key(&session.caller, &tenant, spec).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let (record, secret) = match created {
        Ok(done) => done,
        Err(error) => {
            let policy = manage.tenant(&session.caller, &tenant).await?.policy;
            let grid = resources(&manage, &session, &tenant, &policy).await?;
            let status = error.status_and_code().0;
            return Ok(layout::respond(status, render(&session, &tenant, &policy, &grid, &form, Some(&error))));
        }
    };
    let key_url = format!("/console/tenants/{}/keys/{}", tenant.as_str(), record.key.id);
    let signing = manage.verifier().signing_secret(&record).map(|s| s.render().to_string());
    let content = html! {
        h1 { "API key requested" }
        p { "“" (record.key.name.as_str()) "” is " (crate::console::view::state(record.key.state.as_str()).to_lowercase()) "." }
        @match (&secret, &signing) {
            (Some(secret), signing) => (secret::dialog(Kind::ApiKey, secret.expose(), signing.as_deref().map(|s| ("Signing secret", s)), &key_url)),
            (None, Some(signing)) => (secret::dialog(Kind::SigningSecret, signing, None, &key_url)),
            (None, None) => p { "Its secret is drawn once a checker approves it: then you reveal it on the key's page (" a href=(key_url) { "open it" } ")." },
        }
    };
    let page = layout::page("API key requested", &session, Some(&tenant), Section::Keys, content);
    Ok(layout::respond(StatusCode::CREATED, page))
}

/// The JSON API's body for the form's fields; blank fields are left out, as a JSON client would.
fn body_of(form: &Form) -> Result<CreateKey, ApiError> {
    let mut body = Map::new();
    let mut put = |name: &str, value: Option<&str>| {
        if let Some(v) = value {
            body.insert(name.to_owned(), json!(v));
        }
    };
    put("name", Some(form.get("name").unwrap_or_default()));
    put("notes", form.get("notes"));
    put("environment", form.get("environment"));
    put("currency_class", form.get("currency_class"));
    put("account_id", form.get("account_id"));
    let mut scopes = Vec::new();
    for s in form.all("scopes").flat_map(list) {
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    body.insert("scopes".into(), json!(scopes));
    let mut limits = Map::new();
    for (field, value) in [
        ("currency", form.get("currency")),
        ("max_amount", form.get("max_amount")),
        ("daily_volume", form.get("daily_volume")),
    ] {
        if let Some(v) = value {
            limits.insert(field.into(), json!(v));
        }
    }
    limits.insert("allowed_ips".into(), json!(form.all("allowed_ips").flat_map(list).collect::<Vec<_>>()));
    body.insert("limits".into(), Value::Object(limits));
    if form.checked("never_expires") {
        body.insert("never_expires".into(), json!(true));
    } else if let Some(days) = form.get("expires_in_days") {
        let days: u32 =
            days.parse().map_err(|_| ApiError::invalid("expires_in_days", "must be a whole number of days"))?;
        body.insert("expires_in_days".into(), json!(days));
    }
    serde_json::from_value(Value::Object(body)).map_err(|e| ApiError::invalid("body", e))
}

/// The form field an error of the JSON body's `field` belongs next to; `None` for the form as a whole.
fn form_field(error: &ApiError) -> Option<&'static str> {
    let field = match error {
        ApiError::Invalid { field, .. } => field.as_str(),
        ApiError::NameTaken => return Some("name"),
        _ => return None,
    };
    Some(match field {
        "name" => "name",
        "notes" => "notes",
        "environment" => "environment",
        "currency_class" => "currency_class",
        "account_id" => "account_id",
        "expires_in_days" | "expires_at" => "expires_in_days",
        "never_expires" => "never_expires",
        f if f.starts_with("scopes") => "scopes",
        f if f.starts_with("limits.allowed_ips") => "allowed_ips",
        f if f.ends_with("max_amount") => "max_amount",
        f if f.ends_with("daily_volume") => "daily_volume",
        f if f.starts_with("limits") => "currency",
        _ => return None,
    })
}

fn render(
    session: &Session,
    tenant: &TenantId,
    policy: &TenantPolicy,
    grid: &[Resource],
    form: &Form,
    error: Option<&ApiError>,
) -> Markup {
    let errors = FieldErrors {
        at: error.and_then(form_field),
        message: error.map(|e| match e {
            ApiError::Invalid { message, .. } => message.clone(),
            other => other.to_string(),
        }),
    };
    let err = |field: &str| errors.next_to(field);
    let described = |field: &str| errors.describe(field);
    let (at, message) = (errors.at, &errors.message);
    let ticked: BTreeSet<String> = form.all("scopes").flat_map(list).collect();
    let grid_names: BTreeSet<String> =
        grid.iter().flat_map(|r| r.actions.iter().map(move |a| format!("{}:{a}", r.name))).collect();
    let other: Vec<&String> = ticked.iter().filter(|s| !grid_names.contains(*s)).collect();
    let env = form.get("environment").unwrap_or("test");
    let days = form.get("expires_in_days").map_or_else(
        || policy.max_key_lifetime_days.map_or(DEFAULT_DAYS, |max| max.min(DEFAULT_DAYS)).to_string(),
        str::to_owned,
    );
    let action = format!("/console/tenants/{}/keys", tenant.as_str());
    let body = html! {
        h1 { "New API key" }
        @if let (Some(m), None) = (&message, at) { p.error-summary role="alert" { (m) } }
        form.card.key-form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(session.csrf());
            div.field {
                label for="name" { "Name" }
                input #name type="text" name="name" required maxlength="64" value=[form.get("name")] aria-describedby=[described("name")];
                (err("name"))
            }
            div.field {
                label for="notes" { "Notes" }
                textarea #notes name="notes" rows="3" maxlength="1000" aria-describedby=[described("notes")] { (form.get("notes").unwrap_or_default()) }
                (err("notes"))
            }
            fieldset.field {
                legend { "Environment" }
                label.inline { input type="radio" name="environment" value="test" checked[env != "live"]; " Test" }
                label.inline { input type="radio" name="environment" value="live" checked[env == "live" && policy.live_enabled] disabled[!policy.live_enabled] aria-describedby=[(!policy.live_enabled).then_some("live-off")]; " Live" }
                @if !policy.live_enabled {
                    p #live-off .hint { "Live keys are not enabled for this tenant. An admin can enable them in the tenant's policy, and a second admin approves." }
                }
                (err("environment"))
            }
            @if policy.require_account || form.get("account_id").is_some() {
                div.field {
                    label for="account_id" { "Account" }
                    input #account_id type="text" name="account_id" value=[form.get("account_id")] required[policy.require_account] aria-describedby=[described("account_id")];
                    (err("account_id"))
                }
            }
            fieldset.field {
                legend { "Permissions" }
                (grid_table(grid, &ticked))
                label for="scopes-other" { "Other scopes" }
                input #scopes-other type="text" name="scopes" value=(other.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")) placeholder="payouts:write, balance:read" aria-describedby={ "scopes-hint" @if at == Some("scopes") { " scopes-error" } };
                p #scopes-hint .hint { "resource:action, comma separated (actions: read, write, approve, *)." }
                (err("scopes"))
            }
            (limits_fieldset(form, &errors))
            fieldset.field {
                legend { "Expiry" }
                label for="expires_in_days" { "Expires in (days)" }
                input #expires_in_days type="number" name="expires_in_days" min="1" max="3650" value=(days) aria-describedby=[described("expires_in_days")];
                (err("expires_in_days"))
                @if policy.allow_never_expiring {
                    label.inline { input type="checkbox" name="never_expires" value="true" checked[form.checked("never_expires")]; " Never expire" }
                    (err("never_expires"))
                }
            }
            div.actions {
                button type="submit" { "Request key" }
                a.button.secondary href=(action) { "Cancel" }
            }
        }
    };
    layout::page("New API key", session, Some(tenant), Section::Keys, body)
}

/// Which form field an error is next to, and its message.
struct FieldErrors {
    at: Option<&'static str>,
    message: Option<String>,
}

impl FieldErrors {
    /// The error's paragraph, when it is about `field`.
    fn next_to(&self, field: &str) -> Markup {
        html! { @if self.at == Some(field) { p id={ (field) "-error" } .field-error { (self.message.clone().unwrap_or_default()) } } }
    }

    /// The `aria-describedby` of `field`'s control, when the error is about it.
    fn describe(&self, field: &str) -> Option<String> {
        (self.at == Some(field)).then(|| format!("{field}-error"))
    }
}

/// The permission grid: a row per resource, `View`, `Change` and `Approve` where it offers them.
fn grid_table(grid: &[Resource], ticked: &BTreeSet<String>) -> Markup {
    html! {
        @if grid.is_empty() {
            p.hint { "This tenant has no scope catalogue and no key names a scope yet: type the scopes below." }
        } @else {
            div.table-wrap tabindex="0" role="region" aria-label="Scrollable table" {
                table.grid {
                    thead { tr { th scope="col" { "Resource" } th scope="col" { "View" } th scope="col" { "Change" } th scope="col" { "Approve" } } }
                    tbody {
                        @for r in grid {
                            tr {
                                th scope="row" { (r.name) @if let Some(d) = &r.description { br; span.hint { (d) } } }
                                @for (action, label) in [("read", "View"), ("write", "Change"), ("approve", "Approve")] {
                                    td {
                                        @if r.actions.contains(action) {
                                            @let value = format!("{}:{action}", r.name);
                                            label.check {
                                                input type="checkbox" name="scopes" value=(value) checked[ticked.contains(&value)]
                                                    data-resource=(r.name) data-action=(action);
                                                span.visually-hidden { (label) " " (r.name) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Currency class, currency, max amount, daily volume and allowed IPs.
fn limits_fieldset(form: &Form, errors: &FieldErrors) -> Markup {
    let err = |field: &str| errors.next_to(field);
    let described = |field: &str| errors.describe(field);
    let at = errors.at;
    html! {
    fieldset.field {
        legend { "Limits" }
        div.row {
            div.field {
                label for="currency_class" { "Currency class" }
                select #currency_class name="currency_class" aria-describedby=[described("currency_class")] {
                    option value="" selected[form.get("currency_class").is_none()] { "Any" }
                    option value="fiat" selected[form.get("currency_class") == Some("fiat")] { "Fiat" }
                    option value="crypto" selected[form.get("currency_class") == Some("crypto")] { "Crypto" }
                }
                (err("currency_class"))
            }
            div.field {
                label for="currency" { "Currency" }
                input #currency type="text" name="currency" value=[form.get("currency")] placeholder="XOF" maxlength="10" aria-describedby=[described("currency")];
                (err("currency"))
            }
            div.field {
                label for="max_amount" { "Max amount" }
                input #max_amount type="text" inputmode="decimal" name="max_amount" value=[form.get("max_amount")] aria-describedby=[described("max_amount")];
                (err("max_amount"))
            }
            div.field {
                label for="daily_volume" { "Daily volume" }
                input #daily_volume type="text" inputmode="decimal" name="daily_volume" value=[form.get("daily_volume")] aria-describedby=[described("daily_volume")];
                (err("daily_volume"))
            }
        }
        div.field {
            label for="allowed_ips" { "Allowed IPs" }
            textarea #allowed_ips name="allowed_ips" rows="3" aria-describedby={ "allowed-ips-hint" @if at == Some("allowed_ips") { " allowed_ips-error" } } { (form.all("allowed_ips").collect::<Vec<_>>().join("\n")) }
            p #allowed-ips-hint .hint { "One address or CIDR network per line, or comma separated; empty: any address." }
            (err("allowed_ips"))
        }
    }
    }
}
