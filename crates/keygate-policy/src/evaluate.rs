//! The policy decision itself: one key, one request context, one instant in; allow or the first broken
//! rule out. It must never read a clock, do I/O, or report more than one reason.

use chrono::{DateTime, Utc};
use keygate_domain::{CurrencyTable, Key, KeyState};

use crate::context::RequestContext;
use crate::denial::{Denial, DenialCode};

/// Every [`DenialCode`] in the order keygate checks it, so a service and the docs can show it:
///
/// 1. `MALFORMED`, `NOT_FOUND`: the verifier, before a key exists;
/// 2. `PENDING_APPROVAL`, `REJECTED`, `REVOKED`, `EXPIRED`, `WRONG_TENANT`, `WRONG_ENVIRONMENT`,
///    `INSUFFICIENT_SCOPE`, `IP_NOT_ALLOWED`, `CURRENCY_MISMATCH`, `AMOUNT_OVER_LIMIT`: [`evaluate`];
/// 3. `DAILY_VOLUME_EXCEEDED`: the verifier, against the store's running total, once `evaluate` allows.
///
/// The three state codes are one step: a key is in only one state.
pub const fn check_order() -> [DenialCode; 15] {
    [
        DenialCode::Malformed,
        DenialCode::NotFound,
        DenialCode::PendingApproval,
        DenialCode::Rejected,
        DenialCode::Revoked,
        DenialCode::Expired,
        DenialCode::WrongTenant,
        DenialCode::WrongEnvironment,
        DenialCode::InsufficientScope,
        DenialCode::IpNotAllowed,
        DenialCode::UnknownCurrency,
        DenialCode::AmountPrecision,
        DenialCode::CurrencyMismatch,
        DenialCode::AmountOverLimit,
        DenialCode::DailyVolumeExceeded,
    ]
}

/// Decides whether `key` may do what `ctx` describes at `now`: `Ok(())`, or the first broken rule in
/// this order:
///
/// 1. state: `pending_approval` is [`Denial::PendingApproval`], `rejected` is [`Denial::Rejected`],
///    `revoked` is [`Denial::Revoked`]; `active` and `revocation_pending` pass (a key awaiting revocation
///    keeps working until a checker approves the revocation);
/// 2. expiry: expired at `now` (that is, `now >= expires_at`) is [`Denial::Expired`];
/// 3. tenant: `ctx.tenant` given and not the key's is [`Denial::WrongTenant`];
/// 4. environment: `ctx.environment` given and not the key's is [`Denial::WrongEnvironment`];
/// 5. scopes: any required scope not granted is [`Denial::InsufficientScope`], listing all of them;
/// 6. client address: if the key has an allow list, a missing `ctx.client_ip` (fail closed) or one
///    outside the list is [`Denial::IpNotAllowed`];
/// 7. currency: an amount in a currency the currency table does not know is
///    [`Denial::UnknownCurrency`], one with more decimals than its currency's scale (trailing zeros do
///    not count: `7.00` XOF is 7 XOF) is [`Denial::AmountPrecision`]; then, if the key has a currency,
///    an amount in another currency or in none is [`Denial::CurrencyMismatch`]. Strict on purpose: no guessing with money, since an amount
///    without a currency compared against a limit in XOF could be euros;
/// 8. amount: if `ctx.amount` is given and the key has a maximum, more than it is
///    [`Denial::AmountOverLimit`] (exactly the maximum is allowed).
///
/// Daily volume is not checked here: it needs the store's running total, so the verifier checks it after
/// this allows. See [`check_order`] for the full list of codes.
pub fn evaluate(key: &Key, ctx: &RequestContext, now: DateTime<Utc>) -> Result<(), Denial> {
    check_state(key.state)?;
    if key.is_expired(now) {
        return Err(Denial::Expired);
    }
    if ctx.tenant.as_ref().is_some_and(|tenant| *tenant != key.tenant) {
        return Err(Denial::WrongTenant);
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
        if let Some(currency) = money.currency {
            let spec = CURRENCIES.get(currency).ok_or(Denial::UnknownCurrency { currency })?;
            if !money.amount.fits_scale(spec.scale()) {
                return Err(Denial::AmountPrecision { currency, scale: spec.scale() });
            }
        }
        if let Some(expected) = limits.currency() {
            if money.currency != Some(expected) {
                return Err(Denial::CurrencyMismatch { expected });
            }
        }
        if let Some(max_amount) = limits.max_amount() {
            if money.amount > max_amount {
                return Err(Denial::AmountOverLimit { max_amount });
            }
        }
    }
    Ok(())
}

/// The currency table amounts are held to: ISO 4217's fiat scales and the crypto defaults. (A tenant's
/// own table, changed under dual control, is the next step; until then every tenant has this one.)
static CURRENCIES: std::sync::LazyLock<CurrencyTable> = std::sync::LazyLock::new(CurrencyTable::builtin);

/// Step 1. Every state is named, so a new state cannot slip through unnoticed.
fn check_state(state: KeyState) -> Result<(), Denial> {
    match state {
        KeyState::Active | KeyState::RevocationPending => Ok(()),
        KeyState::PendingApproval => Err(Denial::PendingApproval),
        KeyState::Rejected => Err(Denial::Rejected),
        KeyState::Revoked => Err(Denial::Revoked),
    }
}

#[cfg(test)]
mod tests;
