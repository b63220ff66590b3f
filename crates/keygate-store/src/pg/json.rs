//! The jsonb columns' shapes: a key's amount limits (`keys.amounts`, `keys.pending_amounts`) and a
//! tenant's own currency entries (`tenants.currencies`), to and from the domain's types.
//!
//! Amounts are JSON strings of their exact decimal, never JSON numbers (which a reader may take for
//! floats), so a stored amount keeps every digit and its scale. It must never write what it could not
//! read back into the same value, and never guess on read: an unknown field, a repeated currency or a
//! value the domain refuses is `StoreError::Corrupt` naming the column, never the value.

use keygate_domain::{Amount, AmountLimit, Currency, CurrencyClass, CurrencySpec, CurrencyTable, PerWindow, RateLimit};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::failure::corrupt;
use crate::error::StoreError;

/// One currency's amount limit as stored; an unset bound is left out.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AmountEntry {
    currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    daily_volume: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weekly_volume: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    monthly_volume: Option<String>,
}

/// One currency of a tenant's table as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CurrencyEntry {
    currency: String,
    class: String,
    scale: u8,
}

/// One request rate limit as stored.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RateEntry {
    name: String,
    limit: u64,
    window_seconds: u32,
}

/// A key's rate limits as the value of `keys.rate` (or `pending_rate`), in the domain's order.
pub(super) fn rate_value(rate: &[RateLimit]) -> Value {
    Value::Array(
        rate.iter()
            .map(|r| serde_json::json!({"name": r.name(), "limit": r.limit(), "window_seconds": r.window_seconds()}))
            .collect(),
    )
}

/// A key's rate limits read from `column`. Their count and uniqueness are `Limits::with_rate`'s to check.
pub(super) fn rate_limits(value: Value, column: &str) -> Result<Vec<RateLimit>, StoreError> {
    let entries: Vec<RateEntry> = serde_json::from_value(value).map_err(|_| misshapen(column))?;
    entries
        .into_iter()
        .map(|e| RateLimit::new(&e.name, e.limit, e.window_seconds).map_err(|err| corrupt(column, err)))
        .collect()
}

/// A key's amount limits as the value of `column`.
pub(super) fn amounts_value(amounts: &[(Currency, AmountLimit)], column: &str) -> Result<Value, StoreError> {
    let text = |amount: Option<Amount>| amount.map(|a| a.value().to_string());
    let entries: Vec<AmountEntry> = amounts
        .iter()
        .map(|(currency, limit)| {
            let volumes = limit.volumes();
            AmountEntry {
                currency: currency.as_str().to_owned(),
                max_amount: text(limit.max_amount()),
                daily_volume: text(volumes.day),
                weekly_volume: text(volumes.week),
                monthly_volume: text(volumes.month),
            }
        })
        .collect();
    serde_json::to_value(entries).map_err(|e| corrupt(column, e))
}

/// A key's amount limits read from `column`. Their order and uniqueness are `Limits::new`'s to check.
pub(super) fn amounts(value: Value, column: &str) -> Result<Vec<(Currency, AmountLimit)>, StoreError> {
    let entries: Vec<AmountEntry> = serde_json::from_value(value).map_err(|_| misshapen(column))?;
    entries
        .into_iter()
        .map(|entry| {
            let currency = Currency::parse(&entry.currency).map_err(|e| corrupt(column, e))?;
            let amount = |text: Option<String>| -> Result<Option<Amount>, StoreError> {
                text.as_deref().map(Amount::parse).transpose().map_err(|e| corrupt(column, e))
            };
            let volumes = PerWindow {
                day: amount(entry.daily_volume)?,
                week: amount(entry.weekly_volume)?,
                month: amount(entry.monthly_volume)?,
            };
            let limit =
                AmountLimit::new(currency, amount(entry.max_amount)?, volumes).map_err(|e| corrupt(column, e))?;
            Ok((currency, limit))
        })
        .collect()
}

/// A tenant's own currency entries as the value of `column`.
pub(super) fn currencies_value(table: &CurrencyTable, column: &str) -> Result<Value, StoreError> {
    let entries: Vec<CurrencyEntry> = table
        .iter()
        .map(|(code, spec)| CurrencyEntry {
            currency: code.as_str().to_owned(),
            class: spec.class().as_str().to_owned(),
            scale: spec.scale(),
        })
        .collect();
    serde_json::to_value(entries).map_err(|e| corrupt(column, e))
}

/// A tenant's own currency entries read from `column`. A code listed twice is corrupt, not the one
/// that happens to come last.
pub(super) fn currencies(value: Value, column: &str) -> Result<CurrencyTable, StoreError> {
    let entries: Vec<CurrencyEntry> = serde_json::from_value(value).map_err(|_| misshapen(column))?;
    entries.into_iter().try_fold(CurrencyTable::empty(), |table, entry| {
        let code = Currency::parse(&entry.currency).map_err(|e| corrupt(column, e))?;
        let spec = currency_spec(&entry.class, entry.scale, column)?;
        if table.get(code).is_some() {
            return Err(corrupt(column, "a currency is listed twice"));
        }
        Ok(table.with(code, spec))
    })
}

/// A currency's class and scale read from a column named `what`.
pub(super) fn currency_spec(class: &str, scale: u8, what: &str) -> Result<CurrencySpec, StoreError> {
    let class = class.parse::<CurrencyClass>().map_err(|e| corrupt(what, e))?;
    CurrencySpec::new(class, scale).map_err(|e| corrupt(what, e))
}

/// A stored value that is not the array of entries keygate writes. serde's message is left out: it
/// may quote the value.
fn misshapen(column: &str) -> StoreError {
    corrupt(column, "not an array of the entries keygate writes")
}
