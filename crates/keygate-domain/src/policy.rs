//! A tenant's rules for its keys. Where the seed platforms disagree (dual control or not, never-expiring
//! keys or not, production gated or not), each variant is a setting here.

use chrono::{DateTime, Utc};

use crate::expiry::{self, Expiry, ExpiryError, ExpiryRequest};
use crate::money::{Currency, CurrencySpec, CurrencyTable};
use crate::on_leak::OnLeak;
use crate::reveal::{RevealPolicy, RevealWindow};
use crate::scope::ScopeCatalogue;
use crate::timezone::Timezone;

/// A tenant's policy.
// Each flag is an independent setting with its own narrowing direction; an enum would hide that.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantPolicy {
    /// Creation, revocation and privilege widening need a second operator (maker-checker).
    pub dual_control: bool,
    /// Live keys may be created. Off until the tenant is switched on, as production mode is gated.
    pub live_enabled: bool,
    /// The longest lifetime a new key may have, in days.
    pub max_key_lifetime_days: Option<u32>,
    /// Keys may be created with no expiry.
    pub allow_never_expiring: bool,
    /// Integrator API keys holding `api-keys:approve` may approve and reject. Off by default: approvals
    /// are for people unless the tenant says otherwise.
    pub integrator_approvals: bool,
    /// The zone whose calendar bounds every volume window (day, ISO week, month). `UTC` by default.
    pub timezone: Timezone,
    /// The tenant's own currency entries, over keygate's built-in table (see [`Self::currency_table`]).
    pub currencies: CurrencyTable,
    /// What a key reported leaked gets: suspended (default), suspended with its revocation asked, or
    /// only recorded.
    pub on_leak: OnLeak,
    /// A key's name may be changed after creation (the second seed); off by default (the fourth seed:
    /// "the name and expiry date cannot be changed").
    pub name_mutable: bool,
    /// Every new key must be bound to an account inside the tenant (the second seed's sub-accounts);
    /// off by default. On is the narrow end: a key that could act for every account cannot be made.
    pub require_account: bool,
    /// When a new key's secret is drawn and shown: at creation (default), or after approval to the
    /// maker only (the first seed). After approval is the narrow end.
    pub reveal: RevealPolicy,
    /// How long an approved key's secret may still be revealed (after approval only); shorter narrows.
    pub reveal_window_hours: RevealWindow,
    /// The scopes keys may hold (the third and fourth seeds' catalogue of resources); `None`, the
    /// default and the wide end, allows any well-formed scope.
    pub scope_catalogue: Option<ScopeCatalogue>,
    /// Days before a key's expiry its tenant's webhook endpoints hear `key.expiring` (default 7); a
    /// longer lead narrows (earlier warning).
    pub webhook_expiry_lead_days: crate::webhook::ExpiryLead,
    /// Seconds a signed request's `created` may be off from now (default 300); shorter narrows.
    pub signature_skew_seconds: crate::SignatureSkew,
}

impl Default for TenantPolicy {
    fn default() -> Self {
        // A tenant is born narrow; every widening is a setting someone must ask for.
        Self::narrowest()
    }
}

impl TenantPolicy {
    /// The currencies amounts are held to: keygate's built-in table with the tenant's own entries over it.
    pub fn currency_table(&self) -> CurrencyTable {
        self.currencies.iter().fold(CurrencyTable::builtin(), |table, (code, spec)| table.with(code, spec))
    }

    /// What the tenant's table says of `code`: its own entry, else the built-in one.
    pub fn currency(&self, code: Currency) -> Option<CurrencySpec> {
        self.currencies.get(code).or_else(|| BUILTIN.get(code))
    }

    /// Turns a maker's expiry request into an expiry under this policy, at `now`.
    pub fn resolve_expiry(&self, request: ExpiryRequest, now: DateTime<Utc>) -> Result<Expiry, ExpiryError> {
        expiry::resolve(request, self.allow_never_expiring, self.max_key_lifetime_days, now)
    }
}

/// The built-in table, built once.
static BUILTIN: std::sync::LazyLock<CurrencyTable> = std::sync::LazyLock::new(CurrencyTable::builtin);

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    #[test]
    fn expiry_requests_resolve_under_the_policy() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let open = TenantPolicy { allow_never_expiring: true, max_key_lifetime_days: None, ..TenantPolicy::default() };
        let capped = TenantPolicy { max_key_lifetime_days: Some(90), ..TenantPolicy::default() };
        let day = |d: i64| Expiry::At(now + Duration::days(d));
        let cases = [
            (TenantPolicy::default(), ExpiryRequest::Default, Ok(day(365)), "default is 365 days"),
            (capped.clone(), ExpiryRequest::Default, Ok(day(90)), "default shortened to the cap"),
            (capped.clone(), ExpiryRequest::InDays(91), Err(ExpiryError::TooLong { max_days: 90 }), "over the cap"),
            (capped, ExpiryRequest::InDays(90), Ok(day(90)), "at the cap"),
            (
                TenantPolicy::default(),
                ExpiryRequest::Never,
                Err(ExpiryError::NeverNotAllowed),
                "never refused by default",
            ),
            (open.clone(), ExpiryRequest::Never, Ok(Expiry::Never), "never allowed when enabled"),
            (open.clone(), ExpiryRequest::At(now), Err(ExpiryError::InThePast), "now is not the future"),
            (open.clone(), ExpiryRequest::InDays(0), Err(ExpiryError::ZeroDays), "zero days"),
            (open, ExpiryRequest::InDays(5000), Err(ExpiryError::TooLong { max_days: 3650 }), "ten-year ceiling"),
        ];
        for (policy, request, expected, why) in cases {
            assert_eq!(policy.resolve_expiry(request, now), expected, "{why}");
        }
    }
}
