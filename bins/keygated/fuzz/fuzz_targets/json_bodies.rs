//! keygated's JSON request bodies on any bytes: the first byte picks the body (`CreateKey`,
//! `PatchKey`, `ReasonBody`, `RotateBody`, `CreateOperator`, `CreateTenant`, `UpdateTenant`,
//! `VerifyRequest`, `PutScopes`), the rest is parsed the way `keygated::body::Body::json` parses it and converted
//! into domain values with the route's `TryFrom`.
//!
//! - Never a panic, and serde_json's nesting limit holds however deep the input.
//! - A refusal is always a 400 `ApiError::Invalid` naming a field, its text bounded by the input's size.
//! - A body that converts, written back to JSON from its domain values (as a client would send what
//!   the server shows), converts to the same values: no conversion loses or changes what it accepted.
#![no_main]

use std::fmt::Debug;

use chrono::SecondsFormat;
use keygate_domain::{ExpiryRequest, Limits, ScopeCatalogue, ScopeSet};
use keygate_verifier::manage::{KeyPatch, KeySpec, NewOperator, TenantPatch};
use keygate_verifier::RequestContext;
use keygated::dto::key::{CreateKey, PatchKey, ReasonBody, RotateBody};
use keygated::dto::operator::CreateOperator;
use keygated::dto::scopes::PutScopes;
use keygated::dto::tenant::{CreateTenant, UpdateTenant};
use keygated::dto::verify::VerifyRequest;
use keygated::error::ApiError;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else { return };
    // The scope catalogue came after the corpus was written: `% 16 == 8` (the byte `8` too) picks it,
    // and every seed's `0` to `7` keeps its body.
    if which % 16 == 8 {
        return round_trip::<PutScopes, ScopeCatalogue>(body, |b| b.try_into(), catalogue_json);
    }
    match which % 8 {
        0 => round_trip::<CreateKey, KeySpec>(body, |b| b.try_into(), key_spec_json),
        1 => round_trip::<PatchKey, KeyPatch>(body, |b| b.try_into(), key_patch_json),
        2 => round_trip::<ReasonBody, _>(body, reasons, |(required, optional)| reason_json(required, optional)),
        3 => round_trip::<RotateBody, u32>(body, |b| b.overlap(), |s| json!({ "overlap_seconds": s })),
        4 => round_trip::<CreateOperator, NewOperator>(body, |b| b.try_into(), operator_json),
        5 => round_trip::<CreateTenant, (keygate_domain::TenantId, TenantPatch, Vec<NewOperator>)>(
            body,
            |b| b.try_into(),
            |(id, patch, admins)| {
                let mut body = tenant_json(Some(id), patch);
                let admins: Vec<Value> =
                    admins.iter().map(|a| json!({ "name": a.name.as_str(), "email": a.email.as_str() })).collect();
                body["admins"] = admins.into();
                body
            },
        ),
        6 => round_trip::<UpdateTenant, TenantPatch>(body, |b| b.try_into(), |patch| tenant_json(None, patch)),
        _ => round_trip::<VerifyRequest, (String, RequestContext)>(body, verify_context, verify_json),
    }
});

/// Parses `body` as `T` like `Body::json` (an all-blank body is `{}`; the failing path names the field).
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        ApiError::invalid(if path == "." { "body".to_owned() } else { path }, e.into_inner())
    })
}

fn round_trip<T: DeserializeOwned, S: Debug>(
    body: &[u8],
    convert: impl Fn(T) -> Result<S, ApiError>,
    render: impl Fn(&S) -> Value,
) {
    let first = match parse::<T>(body).and_then(&convert) {
        Ok(value) => value,
        Err(error) => return check_refusal(&error, body),
    };
    let again = serde_json::to_vec(&render(&first)).unwrap_or_default();
    match parse::<T>(&again).and_then(&convert) {
        Ok(second) => assert_eq!(format!("{first:?}"), format!("{second:?}"), "a converted body round-trips"),
        Err(error) => panic!("the body written back from {first:?} was refused: {error}"),
    }
}

fn check_refusal(error: &ApiError, body: &[u8]) {
    let ApiError::Invalid { field, message } = error else { panic!("a body refusal is a 400, not {error:?}") };
    assert!(!message.is_empty(), "a 400 says what is wrong");
    // Known gap (reported): an unknown member whose name is empty (`{"": 1}`) is named by its path,
    // which is then empty. Any other refusal names a field.
    let empty_member = body.windows(2).any(|w| w == b"\"\"");
    assert!(!field.is_empty() || empty_member, "a 400 names the field");
    assert!(error.to_string().len() <= 4 * body.len() + 512, "the refusal's text is bounded by the input");
}

fn catalogue_json(catalogue: &ScopeCatalogue) -> Value {
    json!({ "resources": keygated::dto::scopes::resources(catalogue) })
}

fn scopes_json(scopes: &ScopeSet) -> Value {
    scopes.iter().map(ToString::to_string).collect()
}

fn limits_json(limits: &Limits) -> Value {
    let mut out = Map::new();
    let entries: Vec<Value> = limits
        .amounts()
        .iter()
        .map(|(currency, entry)| {
            let mut e = Map::new();
            e.insert("currency".into(), currency.as_str().into());
            let named = [("max_amount", entry.max_amount()), ("daily_volume", entry.volumes().day)];
            let named = named.into_iter().chain([("weekly_volume", entry.volumes().week), ("monthly_volume", entry.volumes().month)]);
            for (name, amount) in named {
                if let Some(amount) = amount {
                    e.insert(name.into(), amount.to_string().into());
                }
            }
            Value::Object(e)
        })
        .collect();
    out.insert("amounts".into(), entries.into());
    let ips: Vec<String> = limits.allowed_ips().networks().iter().map(ToString::to_string).collect();
    out.insert("allowed_ips".into(), ips.into());
    Value::Object(out)
}

fn key_spec_json(spec: &KeySpec) -> Value {
    let mut body = json!({
        "name": spec.name.as_str(),
        "environment": spec.environment.as_str(),
        "scopes": scopes_json(&spec.privileges.scopes),
        "limits": limits_json(&spec.privileges.limits),
    });
    if let Some(notes) = &spec.notes {
        body["notes"] = notes.as_str().into();
    }
    if let Some(account) = &spec.account {
        body["account_id"] = account.as_str().into();
    }
    if let Some(class) = spec.privileges.limits.currency_class() {
        body["currency_class"] = class.as_str().into();
    }
    match spec.expiry {
        ExpiryRequest::Default => {}
        ExpiryRequest::InDays(days) => body["expires_in_days"] = days.into(),
        ExpiryRequest::At(at) => body["expires_at"] = at.to_rfc3339_opts(SecondsFormat::AutoSi, true).into(),
        ExpiryRequest::Never => body["never_expires"] = true.into(),
        // Never produced from a request body: only a rotation successor asks for it.
        ExpiryRequest::AtMostSeconds(_) => {}
    }
    body
}

fn key_patch_json(patch: &KeyPatch) -> Value {
    let mut body = json!({});
    if let Some(notes) = &patch.notes {
        body["notes"] = notes.as_ref().map_or(Value::Null, |n| n.as_str().into());
    }
    if let Some(scopes) = &patch.scopes {
        body["scopes"] = scopes_json(scopes);
    }
    if let Some(limits) = &patch.limits {
        body["limits"] = limits_json(limits);
    }
    if let Some(name) = &patch.name {
        body["name"] = name.as_str().into();
    }
    if let Some(at) = patch.expires_at {
        body["expires_at"] = at.to_rfc3339_opts(SecondsFormat::AutoSi, true).into();
    }
    if let Some(class) = patch.currency_class {
        body["currency_class"] = class.map_or(Value::Null, |c| c.as_str().into());
    }
    body
}

type Reasons = (Option<String>, Option<String>);

/// Both readings of a reason body: required (reject, revoke) and optional (the other refusals).
fn reasons(body: ReasonBody) -> Result<Reasons, ApiError> {
    let optional = body.optional()?.map(|r| r.as_str().to_owned());
    let required = body.required().ok().map(|r| r.as_str().to_owned());
    assert_eq!(required, optional, "a reason reads the same whether required or optional");
    Ok((required, optional))
}

fn reason_json(required: &Option<String>, optional: &Option<String>) -> Value {
    let reason = required.as_ref().or(optional.as_ref());
    reason.map_or_else(|| json!({}), |r| json!({ "reason": r }))
}

fn operator_json(operator: &NewOperator) -> Value {
    let roles: Vec<&str> = operator.roles.iter().map(|r| r.as_str()).collect();
    json!({ "name": operator.name.as_str(), "email": operator.email.as_str(), "roles": roles })
}

fn tenant_json(id: Option<&keygate_domain::TenantId>, patch: &TenantPatch) -> Value {
    let mut policy = Map::new();
    let mut put = |name: &str, value: Option<bool>| {
        if let Some(v) = value {
            policy.insert(name.into(), v.into());
        }
    };
    put("dual_control", patch.dual_control);
    put("live_enabled", patch.live_enabled);
    put("allow_never_expiring", patch.allow_never_expiring);
    put("integrator_approvals", patch.integrator_approvals);
    put("name_mutable", patch.name_mutable);
    put("require_account", patch.require_account);
    if let Some(days) = patch.max_key_lifetime_days {
        policy.insert("max_key_lifetime_days".into(), days.map_or(Value::Null, Value::from));
    }
    if let Some(zone) = patch.timezone {
        policy.insert("timezone".into(), zone.as_str().into());
    }
    if let Some(on_leak) = patch.on_leak {
        policy.insert("on_leak".into(), on_leak.as_str().into());
    }
    let mut body = json!({ "policy": policy });
    if let Some(name) = &patch.name {
        body["name"] = name.as_str().into();
    }
    if let Some(id) = id {
        body["id"] = id.as_str().into();
    }
    body
}

fn verify_context(request: VerifyRequest) -> Result<(String, RequestContext), ApiError> {
    let context = RequestContext::try_from(&request)?;
    Ok((request.key, context))
}

fn verify_json((key, context): &(String, RequestContext)) -> Value {
    let mut body = json!({ "key": key });
    if let Some(tenant) = &context.tenant {
        body["tenant_id"] = tenant.as_str().into();
    }
    if let Some(account) = &context.account_id {
        body["account_id"] = account.as_str().into();
    }
    if !context.required_scopes.is_empty() {
        body["required_scopes"] = context.required_scopes.iter().map(ToString::to_string).collect();
    }
    if let Some(environment) = context.environment {
        body["environment"] = environment.as_str().into();
    }
    if let Some(ip) = context.client_ip {
        body["client_ip"] = ip.to_string().into();
    }
    if let Some(money) = &context.amount {
        body["amount"] = money.amount.to_string().into();
        if let Some(currency) = money.currency {
            body["currency"] = currency.as_str().into();
        }
    }
    body
}
