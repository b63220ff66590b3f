//! From an original request to what the verification must check: the route it matches and the
//! request context (tenant, account, scopes, environment, amount) that route asks for.

use keygate_domain::{AccountId, Amount, Currency, TenantId};
use keygate_policy::{Money, RequestContext};

use crate::original::Original;
use crate::table::{Fallback, Route, RouteTable, TenantSource};

/// Why the gateway refuses before any key is looked at (403, fail closed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No route of the table matches, and the table does not authenticate unlisted routes.
    #[error("no route of the table matches {method} {path}")]
    NoRoute {
        /// The original method.
        method: String,
        /// The original path.
        path: String,
    },
    /// The route moves money and the request did not say how much, or not as an amount.
    #[error("this route moves money: the {header} header must hold the amount")]
    AmountRequired {
        /// The header that should have held it.
        header: String,
    },
    /// The route's tenant or account segment is not one that can exist.
    #[error("the {0} in the path is not a valid id")]
    BadSegment(&'static str),
}

impl Refusal {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoRoute { .. } => "NO_ROUTE",
            Self::AmountRequired { .. } => "AMOUNT_REQUIRED",
            // A tenant that cannot exist is never the key's: the policy's own code.
            Self::BadSegment("tenant") => "WRONG_TENANT",
            Self::BadSegment(_) => "WRONG_ACCOUNT",
        }
    }
}

/// What the verification checks, and the route that said so (`None`: an unlisted route under
/// `default = "authenticate"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<'t> {
    /// The route.
    pub route: Option<&'t Route>,
    /// The request context; the caller adds the client address.
    pub context: RequestContext,
}

impl RouteTable {
    /// The most specific route of the original's method matching its path, and its context.
    /// `header` looks a header of the original request up by lower-case name.
    pub fn resolve<'h>(
        &self,
        original: &Original,
        header: impl Fn(&str) -> Option<&'h str>,
    ) -> Result<Resolved<'_>, Refusal> {
        let mut best: Option<(&Route, Vec<(&str, String)>)> = None;
        for route in self.routes.iter().filter(|r| r.method == original.method) {
            let Some(params) = route.path.matches(&original.path) else { continue };
            if best.as_ref().is_none_or(|(b, _)| route.path.specificity(&b.path).is_gt()) {
                best = Some((route, params));
            }
        }
        let Some((route, params)) = best else {
            return match self.fallback {
                Fallback::Authenticate => Ok(Resolved { route: None, context: RequestContext::default() }),
                Fallback::Deny => {
                    Err(Refusal::NoRoute { method: original.method.clone(), path: original.path.clone() })
                }
            };
        };
        let param = |name: &str| params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
        let tenant = match &route.tenant {
            TenantSource::Segment => {
                Some(param("tenant").and_then(|t| TenantId::parse(t).ok()).ok_or(Refusal::BadSegment("tenant"))?)
            }
            TenantSource::Fixed(tenant) => Some(tenant.clone()),
            TenantSource::Any => None,
        };
        let account_id = match &route.account_param {
            Some(name) => {
                Some(param(name).and_then(|a| AccountId::parse(a).ok()).ok_or(Refusal::BadSegment("account"))?)
            }
            None => None,
        };
        let amount = match &route.amount_header {
            None => None,
            Some(name) => {
                let required = || Refusal::AmountRequired { header: name.clone() };
                let amount = header(name).and_then(|a| Amount::parse(a.trim()).ok()).ok_or_else(required)?;
                let currency = match &route.currency_header {
                    None => None,
                    Some(c) => Some(
                        header(c)
                            .and_then(|v| Currency::parse(v.trim()).ok())
                            .ok_or_else(|| Refusal::AmountRequired { header: c.clone() })?,
                    ),
                };
                Some(Money { amount, currency })
            }
        };
        let context = RequestContext {
            tenant,
            account_id,
            required_scopes: route.scopes.clone(),
            environment: route.environment,
            client_ip: None,
            amount,
        };
        Ok(Resolved { route: Some(route), context })
    }
}
