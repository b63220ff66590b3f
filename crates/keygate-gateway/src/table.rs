//! The route table (`KEYGATE_ROUTES=routes.toml`): what each route of the upstream API needs.
//!
//! ```toml
//! default = "deny"            # or "authenticate": an unlisted route passes any valid key, no scope
//!
//! [[route]]
//! method = "POST"
//! path = "/api/v1/distributors/{tenant}/cash-out"
//! scopes = ["payments:write"]
//! environment = "live"        # optional
//! amount_header = "X-Amount"  # optional: the route moves money; a request without it is refused
//! currency_header = "X-Currency"
//! account_param = "account"   # optional: a {account} segment of the path
//! # tenant = "acme"           # a fixed tenant instead of a {tenant} segment
//! ```
//!
//! Every error names its line. Two routes that some request could match with the same method and
//! the same specificity are an error: the table never decides by the order of its lines.

use std::collections::HashMap;

use keygate_domain::{Environment, Scope, TenantId};
use serde::Deserialize;
use toml::Spanned;

use crate::pattern::Pattern;

/// What an unlisted route gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// 403 `NO_ROUTE` (the default: fail closed).
    Deny,
    /// Any valid key of any tenant passes, with no scope required.
    Authenticate,
}

/// Where a route's tenant comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantSource {
    /// The `{tenant}` segment of the path.
    Segment,
    /// Always this tenant.
    Fixed(TenantId),
    /// Not checked: a key of any tenant (the caller's service binding still applies).
    Any,
}

/// One route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The line of its `[[route]]` table.
    pub line: usize,
    /// Upper-case method (`GET`, `POST`, ...).
    pub method: String,
    /// Its path.
    pub path: Pattern,
    /// Scopes a key needs (all of them).
    pub scopes: Vec<Scope>,
    /// The environment a key must be of.
    pub environment: Option<Environment>,
    /// Header holding the amount the request moves; set for routes that move money.
    pub amount_header: Option<String>,
    /// Header holding its currency.
    pub currency_header: Option<String>,
    /// Name of the path parameter holding the account acted on.
    pub account_param: Option<String>,
    /// Where the tenant comes from.
    pub tenant: TenantSource,
}

/// The table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    /// Its routes, as written.
    pub routes: Vec<Route>,
    /// What an unlisted route gets.
    pub fallback: Fallback,
}

/// Why a table was refused: the line and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TableError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    default: Option<Spanned<String>>,
    #[serde(default)]
    route: Vec<Spanned<RawRoute>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    method: Spanned<String>,
    path: Spanned<String>,
    #[serde(default)]
    scopes: Vec<Spanned<String>>,
    environment: Option<Spanned<String>>,
    amount_header: Option<Spanned<String>>,
    currency_header: Option<Spanned<String>>,
    account_param: Option<Spanned<String>>,
    tenant: Option<Spanned<String>>,
}

impl RouteTable {
    /// Parses and checks a table.
    pub fn parse(text: &str) -> Result<Self, TableError> {
        let lines = Lines::new(text);
        let raw: RawTable = toml::from_str(text).map_err(|e| TableError {
            line: e.span().map_or(1, |span| lines.of(span.start)),
            message: e.message().to_owned(),
        })?;
        let fallback = match raw.default.as_ref().map(|d| (d.get_ref().as_str(), d.span().start)) {
            None | Some(("deny", _)) => Fallback::Deny,
            Some(("authenticate", _)) => Fallback::Authenticate,
            Some((other, at)) => {
                return Err(lines.error(at, format!("default is \"deny\" or \"authenticate\", not {other:?}")))
            }
        };
        let routes = raw.route.into_iter().map(|r| route(&lines, r)).collect::<Result<Vec<_>, _>>()?;
        check_ambiguity(&routes)?;
        Ok(Self { routes, fallback })
    }
}

fn route(lines: &Lines, raw: Spanned<RawRoute>) -> Result<Route, TableError> {
    let line = lines.of(raw.span().start);
    let raw = raw.into_inner();
    let method = raw.method.get_ref();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(
            lines.error(raw.method.span().start, format!("method is an upper-case name like GET, not {method:?}"))
        );
    }
    let path = Pattern::parse(raw.path.get_ref())
        .map_err(|e| lines.error(raw.path.span().start, format!("path {:?}: {e}", raw.path.get_ref())))?;
    let scopes = raw
        .scopes
        .iter()
        .map(|s| {
            Scope::parse(s.get_ref()).map_err(|e| lines.error(s.span().start, format!("scope {:?}: {e}", s.get_ref())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let environment = raw
        .environment
        .as_ref()
        .map(|e| {
            e.get_ref()
                .parse::<Environment>()
                .map_err(|_| lines.error(e.span().start, format!("environment is test or live, not {:?}", e.get_ref())))
        })
        .transpose()?;
    let header = |h: &Option<Spanned<String>>| -> Result<Option<String>, TableError> {
        h.as_ref()
            .map(|h| {
                let name = h.get_ref();
                let token =
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                token
                    .then(|| name.to_ascii_lowercase())
                    .ok_or_else(|| lines.error(h.span().start, format!("{name:?} is not a header name")))
            })
            .transpose()
    };
    let amount_header = header(&raw.amount_header)?;
    let currency_header = header(&raw.currency_header)?;
    if currency_header.is_some() && amount_header.is_none() {
        return Err(lines.error(raw.path.span().start, "currency_header needs amount_header".to_owned()));
    }
    let account_param = match &raw.account_param {
        Some(p) if path.has_param(p.get_ref()) && p.get_ref() != "tenant" => Some(p.get_ref().clone()),
        Some(p) => {
            return Err(lines.error(
                p.span().start,
                format!("account_param {:?} names no {{{}}} segment of the path", p.get_ref(), p.get_ref()),
            ))
        }
        None => None,
    };
    let tenant = match (&raw.tenant, path.has_param("tenant")) {
        (Some(t), false) => TenantSource::Fixed(
            TenantId::parse(t.get_ref())
                .map_err(|e| lines.error(t.span().start, format!("tenant {:?}: {e}", t.get_ref())))?,
        ),
        (Some(t), true) => {
            return Err(lines
                .error(t.span().start, "a route takes its tenant from {tenant} or from tenant, not both".to_owned()))
        }
        (None, true) => TenantSource::Segment,
        (None, false) => TenantSource::Any,
    };
    Ok(Route {
        line,
        method: method.clone(),
        path,
        scopes,
        environment,
        amount_header,
        currency_header,
        account_param,
        tenant,
    })
}

/// Two routes of one method that some path matches with neither more specific: an error naming both.
fn check_ambiguity(routes: &[Route]) -> Result<(), TableError> {
    let mut by_method: HashMap<&str, Vec<&Route>> = HashMap::new();
    for r in routes {
        by_method.entry(r.method.as_str()).or_default().push(r);
    }
    for same in by_method.values() {
        for (i, a) in same.iter().enumerate() {
            for b in &same[i + 1..] {
                if a.path.overlaps(&b.path) && a.path.specificity(&b.path).is_eq() {
                    return Err(TableError {
                        line: b.line,
                        message: format!(
                            "{} {} matches the same requests as the route on line {} ({}): which applies would depend on the order",
                            b.method,
                            b.path.as_str(),
                            a.line,
                            a.path.as_str()
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Byte offsets to 1-based line numbers.
struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    fn new(text: &str) -> Self {
        Self { starts: std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect() }
    }

    fn of(&self, offset: usize) -> usize {
        self.starts.partition_point(|start| *start <= offset).max(1)
    }

    fn error(&self, offset: usize, message: String) -> TableError {
        TableError { line: self.of(offset), message }
    }
}
