//! The policy decision itself: one key, one request context, one instant in; allow or the first broken
//! rule out. It must never read a clock, do I/O, or report more than one reason.

use chrono::{DateTime, Utc};
use keygate_domain::{CurrencyTable, Key, KeyState, Limits};

use crate::context::RequestContext;
use crate::denial::{Denial, DenialCode};

/// Every [`DenialCode`] in the order keygate checks it, so a service and the docs can show it:
///
/// 1. `MALFORMED`, `NOT_FOUND`: the verifier, before a key exists; for a signed request (RFC 9421)
///    `SIGNATURE_REQUIRED` (a bearer key where a route requires a signature), `SIGNATURE_INCOMPLETE`,
///    `STALE_SIGNATURE`, `DIGEST_MISMATCH`, `BAD_SIGNATURE` (also an unknown `keyid`) and `REPLAYED`
///    instead of `NOT_FOUND`;
/// 2. `PENDING_APPROVAL`, `REJECTED`, `REVOKED`, `SUSPENDED`, `EXPIRED`, `WRONG_TENANT`, `WRONG_ACCOUNT`,
///    `WRONG_ENVIRONMENT`, `INSUFFICIENT_SCOPE`, `IP_NOT_ALLOWED`, `UNKNOWN_CURRENCY`, `AMOUNT_PRECISION`,
///    `CURRENCY_MISMATCH`, `AMOUNT_OVER_LIMIT`: [`evaluate`];
/// 3. `DAILY_VOLUME_EXCEEDED`, `WEEKLY_VOLUME_EXCEEDED`, `MONTHLY_VOLUME_EXCEEDED`: the verifier, against
///    the store's running totals, once `evaluate` allows (all windows are charged at once; the
///    shortest that would go over is named);
/// 4. `RATE_LIMITED`: the verifier, against the key's request rate limits, last: only a request every
///    other check allowed is counted, in all of the key's limits or (refused) in none.
///
/// The four state codes are one step: a key is in only one state.
pub const fn check_order() -> [DenialCode; 26] {
    [
        DenialCode::Malformed,
        DenialCode::NotFound,
        DenialCode::SignatureRequired,
        DenialCode::SignatureIncomplete,
        DenialCode::StaleSignature,
        DenialCode::DigestMismatch,
        DenialCode::BadSignature,
        DenialCode::Replayed,
        DenialCode::PendingApproval,
        DenialCode::Rejected,
        DenialCode::Revoked,
        DenialCode::Suspended,
        DenialCode::Expired,
        DenialCode::WrongTenant,
        DenialCode::WrongAccount,
        DenialCode::WrongEnvironment,
        DenialCode::InsufficientScope,
        DenialCode::IpNotAllowed,
        DenialCode::UnknownCurrency,
        DenialCode::AmountPrecision,
        DenialCode::CurrencyMismatch,
        DenialCode::AmountOverLimit,
        DenialCode::DailyVolumeExceeded,
        DenialCode::WeeklyVolumeExceeded,
        DenialCode::MonthlyVolumeExceeded,
        DenialCode::RateLimited,
    ]
}

/// Decides whether `key` may do what `ctx` describes at `now`: `Ok(())`, or the first broken rule in
/// this order:
///
/// 1. state: `pending_approval` is [`Denial::PendingApproval`], `rejected` is [`Denial::Rejected`],
///    `revoked` is [`Denial::Revoked`], `suspended` is [`Denial::Suspended`]; `active` and
///    `revocation_pending` pass (a key awaiting revocation keeps working until a checker approves the
///    revocation, unless someone suspends it meanwhile);
/// 2. expiry: expired at `now` (that is, `now >= expires_at`) is [`Denial::Expired`];
/// 3. tenant: `ctx.tenant` given and not the key's is [`Denial::WrongTenant`];
/// 4. account: `ctx.account_id` given, the key bound to an account, and that account another is
///    [`Denial::WrongAccount`] (a key of the whole tenant acts for every account; a request naming no
///    account checks nothing);
/// 5. environment: `ctx.environment` given and not the key's is [`Denial::WrongEnvironment`];
/// 6. scopes: any required scope not granted is [`Denial::InsufficientScope`], listing all of them;
/// 7. client address: if the key has an allow list, a missing `ctx.client_ip` (fail closed) or one
///    outside the list is [`Denial::IpNotAllowed`];
/// 8. currency: an amount in a currency the tenant's `currencies` table does not know is
///    [`Denial::UnknownCurrency`], one with more decimals than its currency's scale (trailing zeros do
///    not count: `7.00` XOF is 7 XOF) is [`Denial::AmountPrecision`]; then an amount in a currency of
///    another class than the key's, in one the key has no entry for while it has entries for others,
///    or in none at all to a key with a class or entries, is [`Denial::CurrencyMismatch`]. Strict on
///    purpose: no guessing with money, since an amount without a currency compared against a limit in
///    XOF could be euros;
/// 9. amount: if `ctx.amount` is given and the key's entry for its currency has a maximum, more than
///    it is [`Denial::AmountOverLimit`] (exactly the maximum is allowed).
///
/// Volumes are not checked here: they need the store's running totals, so the verifier checks them
/// after this allows. See [`check_order`] for the full list of codes.
pub fn evaluate(key: &Key, ctx: &RequestContext, now: DateTime<Utc>, currencies: &CurrencyTable) -> Result<(), Denial> {
    check_state(key.state)?;
    if key.is_expired(now) {
        return Err(Denial::Expired);
    }
    if ctx.tenant.as_ref().is_some_and(|tenant| *tenant != key.tenant) {
        return Err(Denial::WrongTenant);
    }
    if let (Some(bound), Some(asked)) = (&key.account, &ctx.account_id) {
        if bound != asked {
            return Err(Denial::WrongAccount);
        }
    }
    if ctx.environment.is_some_and(|environment| environment != key.environment) {
        return Err(Denial::WrongEnvironment);
    }
    let missing = key.privileges.scopes.missing(&ctx.required_scopes);
    if !missing.is_empty() {
        return Err(Denial::InsufficientScope { missing: missing.into_iter().cloned().collect() });
    }
    let limits = &key.privileges.limits;
    let allow_list = limits.allowed_ips();
    if !allow_list.networks().is_empty() && !ctx.client_ip.is_some_and(|ip| allow_list.allows(ip)) {
        return Err(Denial::IpNotAllowed);
    }
    if let Some(money) = ctx.amount {
        let max_amount = match money.currency {
            Some(currency) => {
                let spec = currencies.get(currency).ok_or(Denial::UnknownCurrency { currency })?;
                if !money.amount.fits_scale(spec.scale()) {
                    return Err(Denial::AmountPrecision { currency, scale: spec.scale() });
                }
                let class_ok = limits.currency_class().is_none_or(|class| class == spec.class());
                let entry = limits.amount_limit(currency);
                if !class_ok || (entry.is_none() && !limits.amounts().is_empty()) {
                    return Err(mismatch(limits));
                }
                entry.and_then(keygate_domain::AmountLimit::max_amount)
            }
            None if limits.currency_class().is_some() || !limits.amounts().is_empty() => {
                return Err(mismatch(limits));
            }
            None => None,
        };
        if let Some(max_amount) = max_amount.filter(|max| money.amount > *max) {
            return Err(Denial::AmountOverLimit { max_amount });
        }
    }
    Ok(())
}

/// The refusal of a currency the key may not move, naming what it may.
fn mismatch(limits: &Limits) -> Denial {
    Denial::CurrencyMismatch {
        accepted: limits.amounts().iter().map(|(currency, _)| *currency).collect(),
        class: limits.currency_class(),
    }
}

/// Step 1. Every state is named, so a new state cannot slip through unnoticed.
fn check_state(state: KeyState) -> Result<(), Denial> {
    match state {
        KeyState::Active | KeyState::RevocationPending => Ok(()),
        KeyState::PendingApproval => Err(Denial::PendingApproval),
        KeyState::Rejected => Err(Denial::Rejected),
        KeyState::Revoked => Err(Denial::Revoked),
        KeyState::Suspended => Err(Denial::Suspended),
    }
}

#[cfg(test)]
mod tests;
