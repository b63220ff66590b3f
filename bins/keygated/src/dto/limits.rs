//! A key's limits on the wire: per currency, the most one request and each window (day, ISO week,
//! month, in the tenant's time zone) may move, and the client networks. The single-currency shorthand
//! (`currency`, `max_amount`, `daily_volume`) is still accepted and is shown in the list form.
//! Whether a currency is in the tenant's table, and amounts fit its decimals, is management's to say.
//! The request rate limits (`rate`) are named budgets of requests per window of whole seconds.

use keygate_domain::{
    Amount, AmountLimit, Currency, CurrencyClass, IpAllowList, Limits, LimitsError, PerWindow, RateLimit,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::field;
use super::schema::{AmountText, CurrencyText};
use crate::error::ApiError;

/// Limits as sent: amounts are JSON strings (`"100000.00"`), never numbers. Either `amounts` (one entry
/// per currency) or the single-currency shorthand `currency` + `max_amount` + `daily_volume`, not both.
/// With entries, the key moves only the currencies they name.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LimitsInput, examples(json!({
    "amounts": [{"currency": "USDT", "max_amount": "500", "daily_volume": "5000", "monthly_volume": "50000"}],
    "allowed_ips": ["10.20.0.0/16"],
    "rate": [{"name": "per-second", "limit": 100, "window_seconds": 1}, {"name": "per-hour", "limit": 10000, "window_seconds": 3600}]
})))]
pub struct LimitsInput {
    /// Shorthand: the one currency of `max_amount` and `daily_volume`.
    #[serde(default)]
    #[schema(value_type = Option<CurrencyText>)]
    currency: Option<String>,
    /// Shorthand: the most one request may move.
    #[serde(default)]
    #[schema(value_type = Option<AmountText>)]
    max_amount: Option<String>,
    /// Shorthand: the most all requests may move in a day of the tenant's time zone.
    #[serde(default)]
    #[schema(value_type = Option<AmountText>)]
    daily_volume: Option<String>,
    /// One entry per currency, at most 32.
    #[serde(default)]
    #[schema(max_items = 32)]
    amounts: Option<Vec<AmountInput>>,
    /// IPv4/IPv6 addresses or CIDR networks the key may be used from; empty means any.
    #[serde(default)]
    #[schema(max_items = 256, examples(json!(["10.20.0.0/16", "2001:db8::/32"])))]
    allowed_ips: Vec<String>,
    /// Request rate limits, at most 5, names unique; absent or empty: none.
    #[serde(default)]
    #[schema(max_items = 5)]
    rate: Vec<RateInput>,
}

/// One request rate limit: at most `limit` verifications per window of `window_seconds`. Windows are
/// fixed and aligned to the Unix epoch (a 10-second window runs from :00 to :10, :10 to :20, ...).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RateLimit, examples(json!({"name": "per-second", "limit": 100, "window_seconds": 1})))]
pub struct RateInput {
    /// 1 to 32 ASCII letters, digits, `_`, `-` or `.`; named in a `RATE_LIMITED` refusal.
    #[schema(min_length = 1, max_length = 32, pattern = "^[A-Za-z0-9_.-]{1,32}$")]
    name: String,
    /// The most verifications one window allows.
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    limit: u64,
    /// The window's length.
    #[schema(minimum = 1, maximum = 86_400)]
    window_seconds: u32,
}

/// One currency's limits; each optional, and each no larger than the next window's
/// (`max_amount <= daily_volume <= weekly_volume <= monthly_volume`).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AmountLimits, examples(json!({"currency": "XOF", "max_amount": "100000", "daily_volume": "1000000", "weekly_volume": "5000000", "monthly_volume": "15000000"})))]
pub struct AmountInput {
    #[schema(value_type = CurrencyText)]
    currency: String,
    /// The most one request may move.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<AmountText>)]
    max_amount: Option<String>,
    /// The most a day may move.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<AmountText>)]
    daily_volume: Option<String>,
    /// The most an ISO week (Monday first) may move.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<AmountText>)]
    weekly_volume: Option<String>,
    /// The most a calendar month may move.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<AmountText>)]
    monthly_volume: Option<String>,
}

/// Parses limits; `class` is the key's top-level `currency_class`.
pub fn limits(mut input: LimitsInput, class: Option<CurrencyClass>) -> Result<Limits, ApiError> {
    let rate = rate(std::mem::take(&mut input.rate))?;
    amount_limits(input, class)?.with_rate(rate).map_err(|e| ApiError::invalid("limits.rate", e))
}

fn rate(entries: Vec<RateInput>) -> Result<Vec<RateLimit>, ApiError> {
    if entries.len() > RateLimit::MAX {
        return Err(ApiError::invalid("limits.rate", LimitsError::TooManyRates { max: RateLimit::MAX }));
    }
    let parse = |(i, e): (usize, RateInput)| {
        RateLimit::new(&e.name, e.limit, e.window_seconds)
            .map_err(|err| ApiError::invalid(format!("limits.rate[{i}]"), err))
    };
    entries.into_iter().enumerate().map(parse).collect()
}

fn amount_limits(input: LimitsInput, class: Option<CurrencyClass>) -> Result<Limits, ApiError> {
    let ips = IpAllowList::parse(&input.allowed_ips).map_err(|e| match e {
        LimitsError::Network { index } => {
            ApiError::invalid(format!("limits.allowed_ips[{index}]"), "is not an IP address or CIDR network")
        }
        other => ApiError::invalid("limits.allowed_ips", other),
    })?;
    let shorthand = input.currency.is_some() || input.max_amount.is_some() || input.daily_volume.is_some();
    let Some(entries) = input.amounts else {
        let amount = |name: &str, text: Option<String>| {
            text.map(|t| field(&format!("limits.{name}"), &t, Amount::parse)).transpose()
        };
        let currency = input.currency.map(|c| field("limits.currency", &c, Currency::parse)).transpose()?;
        let (max_amount, daily_volume) =
            (amount("max_amount", input.max_amount)?, amount("daily_volume", input.daily_volume)?);
        let single =
            Limits::single(currency, max_amount, daily_volume, ips).map_err(|e| ApiError::invalid("limits", e))?;
        return Ok(single.with_currency_class(class));
    };
    if shorthand {
        return Err(ApiError::invalid(
            "limits.amounts",
            "give either amounts or currency/max_amount/daily_volume, not both",
        ));
    }
    let parsed = entries.into_iter().enumerate().map(|(i, e)| entry(i, e)).collect::<Result<Vec<_>, _>>()?;
    Limits::new(parsed, class, ips).map_err(|e| ApiError::invalid("limits.amounts", e))
}

fn entry(i: usize, e: AmountInput) -> Result<(Currency, AmountLimit), ApiError> {
    let name = |n: &str| format!("limits.amounts[{i}].{n}");
    let amount = |n: &str, text: Option<String>| text.map(|t| field(&name(n), &t, Amount::parse)).transpose();
    let currency = field(&name("currency"), &e.currency, Currency::parse)?;
    let volumes = PerWindow {
        day: amount("daily_volume", e.daily_volume)?,
        week: amount("weekly_volume", e.weekly_volume)?,
        month: amount("monthly_volume", e.monthly_volume)?,
    };
    let limit = AmountLimit::new(currency, amount("max_amount", e.max_amount)?, volumes)
        .map_err(|err| ApiError::invalid(format!("limits.amounts[{i}]"), err))?;
    Ok((currency, limit))
}

/// The key's `currency_class`, if sent.
pub fn currency_class(text: Option<&str>) -> Result<Option<CurrencyClass>, ApiError> {
    text.map(|t| field("currency_class", t, str::parse)).transpose()
}

/// Limits in force, in the list form. Amounts are exact decimal strings.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Limits, examples(json!({
    "amounts": [{"currency": "XOF", "max_amount": "100000.00", "daily_volume": "1000000.00"}],
    "allowed_ips": [],
    "rate": [{"name": "per-second", "limit": 100, "window_seconds": 1}]
})))]
pub struct LimitsView {
    /// One entry per currency; empty: any currency (of the key's class), no amount limit.
    #[schema(value_type = Vec<AmountInput>)]
    amounts: Vec<AmountInput>,
    /// Empty means any address.
    allowed_ips: Vec<String>,
    /// Request rate limits, by name; empty: none.
    #[schema(value_type = Vec<RateInput>)]
    rate: Vec<RateInput>,
}

impl LimitsView {
    /// The view of `l`.
    pub fn new(l: &Limits) -> Self {
        let text = |a: Option<Amount>| a.map(|a| a.to_string());
        Self {
            amounts: l
                .amounts()
                .iter()
                .map(|(currency, limit)| AmountInput {
                    currency: currency.to_string(),
                    max_amount: text(limit.max_amount()),
                    daily_volume: text(limit.volumes().day),
                    weekly_volume: text(limit.volumes().week),
                    monthly_volume: text(limit.volumes().month),
                })
                .collect(),
            allowed_ips: l.allowed_ips().networks().iter().map(ToString::to_string).collect(),
            rate: l
                .rate()
                .iter()
                .map(|r| RateInput { name: r.name().to_owned(), limit: r.limit(), window_seconds: r.window_seconds() })
                .collect(),
        }
    }
}
