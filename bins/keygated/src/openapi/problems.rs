//! Adds every problem response a route can answer, with the `code` values it can carry, from the one
//! status table (`crate::error::CODES`).
//!
//! Most codes follow from what the route is, which the generated operation already says: a credential
//! (401, 403), a path parameter (404), a body (400, 408, 413, 415), query parameters (400), the store
//! (503). What only the handler knows (409 for a state, a name or a concurrent change; 403
//! `SELF_APPROVAL`) it declares in its `#[utoipa::path]` as `(status = 409, description = "CODE, CODE")`,
//! and this pass turns that list into the same problem response. A listed code that is not in the
//! table, or not of that status, fails the document's test (see `unknown_codes`).

use std::collections::BTreeMap;

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Ref, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr, Response, ResponseBuilder};
use utoipa::Modify;

use crate::error::{ProblemCode, CODES};

/// The modifier.
pub struct Problems;

impl Modify for Problems {
    fn modify(&self, openapi: &mut OpenApi) {
        let mut shared: BTreeMap<String, Response> = BTreeMap::new();
        for (path, item) in &mut openapi.paths.paths {
            for operation in operations(item) {
                let (mut codes, unknown) = declared(operation);
                codes.extend(implied(path, operation));
                codes.sort_by_key(|c| (c.status, c.code));
                codes.dedup();
                let mut by_status: BTreeMap<u16, Vec<&ProblemCode>> = BTreeMap::new();
                for code in codes {
                    by_status.entry(code.status).or_default().push(code);
                }
                let responses = &mut operation.responses.responses;
                responses.retain(|status, _| !is_problem(status));
                for (status, codes) in by_status {
                    // One shared response per set of codes, referenced, so the document stays readable.
                    let name = codes.iter().map(|c| c.code).collect::<Vec<_>>().join("_or_");
                    shared.entry(name.clone()).or_insert_with(|| response(&codes));
                    responses
                        .insert(status.to_string(), RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
                }
                if !unknown.is_empty() {
                    // Left in the document for its test to find and name; never reached by a client.
                    let text = format!("{UNKNOWN}: {}", unknown.join(", "));
                    responses.insert("599".to_owned(), RefOr::T(ResponseBuilder::new().description(text).build()));
                }
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, response) in shared {
            components.responses.insert(name, RefOr::T(response));
        }
    }
}

/// Marks a declared code that is not in the table with the status it was declared under.
pub const UNKNOWN: &str = "declared code not in the status table";

fn is_problem(status: &str) -> bool {
    status.starts_with('4') || status.starts_with('5')
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete]
        .into_iter()
        .filter_map(Option::as_mut)
}

/// Codes named in the handler's declared problem responses (`(status = 409, description = "NAME_TAKEN,
/// CONFLICT")`), and the names that are not codes of that status.
fn declared(operation: &Operation) -> (Vec<&'static ProblemCode>, Vec<String>) {
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for (status, response) in &operation.responses.responses {
        let RefOr::T(response) = response else { continue };
        if !is_problem(status) {
            continue;
        }
        for name in response.description.split(',').map(str::trim) {
            match CODES.iter().find(|c| c.code == name && c.status.to_string() == *status) {
                Some(code) => known.push(code),
                None => unknown.push(format!("{status} {name}")),
            }
        }
    }
    (known, unknown)
}

/// What `/v1/authorize` answers besides the table's codes: every verification refusal with the status
/// it has there (a 400 of `/v1/verify`'s verdict is 403: see `routes::authorize`), and
/// `MISSING_CREDENTIAL` for a request with no key at all.
static VERIFICATION: std::sync::LazyLock<Vec<ProblemCode>> = std::sync::LazyLock::new(|| {
    let refusals = keygate_policy::check_order().into_iter().map(|d| ProblemCode {
        code: d.as_str(),
        status: if d.status() == 400 { 403 } else { d.status() },
        meaning: d.title(),
    });
    let missing = ProblemCode { code: "MISSING_CREDENTIAL", status: 401, meaning: "no API key was presented" };
    refusals.chain([missing]).collect()
});

/// The codes that follow from what the route is.
fn implied(path: &str, operation: &Operation) -> Vec<&'static ProblemCode> {
    let mut names: Vec<&'static str> = Vec::new();
    let gateway = path.starts_with("/v1/authorize");
    if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
        names.push("UNAUTHENTICATED");
        // Management routes also check the caller's tenant and role; a service asking for a verdict,
        // and a leak report's sender, is either authenticated or not.
        if path != "/v1/verify" && path != "/v1/leaks" && !path.starts_with("/v1/spends/") && !gateway {
            names.push("FORBIDDEN");
        }
    }
    // `/v1/authorize/{tail}` takes any tail: its `NOT_FOUND` is the verification's 401.
    if path.contains('{') && !gateway {
        names.push("NOT_FOUND");
    }
    if operation.request_body.is_some() {
        names.extend(["INVALID_REQUEST", "REQUEST_TIMEOUT", "BODY_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"]);
    }
    if operation.parameters.iter().flatten().any(|p| matches!(p.parameter_in, ParameterIn::Query)) {
        names.push("INVALID_REQUEST");
    }
    if path.starts_with("/v1/") || path == "/readyz" {
        names.push("STORE_UNAVAILABLE");
    }
    let mut codes: Vec<&'static ProblemCode> = CODES.iter().filter(|c| names.contains(&c.code)).collect();
    if gateway {
        // The caller sorts and removes duplicates (UNAUTHENTICATED is both).
        codes.extend(VERIFICATION.iter());
    }
    codes
}

/// One problem response for all of `codes` (one status): the shared `Problem` schema with `code`
/// narrowed to these values, and the description listing what each means.
fn response(codes: &[&ProblemCode]) -> Response {
    let description = codes.iter().map(|c| format!("`{}`: {}", c.code, c.meaning)).collect::<Vec<_>>().join("; ");
    let narrowed = ObjectBuilder::new().property(
        "code",
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(codes.iter().map(|c| c.code))),
    );
    let schema = AllOfBuilder::new().item(Ref::from_schema_name("Problem")).item(narrowed);
    ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", ContentBuilder::new().schema(Some(schema)).build())
        .build()
}
