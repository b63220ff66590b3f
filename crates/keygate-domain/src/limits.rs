//! The limits a key is held to: per currency, the most one operation may move and the most a day, an
//! ISO week and a calendar month may move; the class of currency it may move (fiat or crypto); and the
//! client networks it may be used from; and the requests it may make per window ([`RateLimit`]).
//!
//! Amounts of different currencies are never added up or compared: each limit belongs to one currency.

mod allow_list;
mod rate;
#[cfg(test)]
mod tests;

pub use allow_list::IpAllowList;
pub use rate::RateLimit;

use crate::money::{Amount, Currency, CurrencyClass};
use crate::window::{PerWindow, Window};

/// Limits broke a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitsError {
    /// An amount limit without a currency would add up different currencies.
    #[error("currency is required when max_amount or daily_volume is set")]
    CurrencyRequired,
    /// A smaller bound above a larger one (one operation above a day, a day above its week, ...): the
    /// larger could never be reached.
    #[error("{currency}: {smaller} must not exceed {larger}")]
    Order {
        /// The currency whose entry is incoherent.
        currency: Currency,
        /// The field that must be the smaller.
        smaller: &'static str,
        /// The field it exceeds.
        larger: &'static str,
    },
    /// Two entries for one currency.
    #[error("amounts has two entries for {currency}")]
    DuplicateCurrency {
        /// The repeated currency.
        currency: Currency,
    },
    /// More currencies than a key may hold.
    #[error("at most {max} amounts entries")]
    TooManyCurrencies {
        /// The limit.
        max: usize,
    },
    /// An entry was neither an IP address nor a CIDR network.
    #[error("allowed_ips[{index}] is not an IP address or CIDR network")]
    Network {
        /// Position of the bad entry.
        index: usize,
    },
    /// More networks than a key may hold.
    #[error("at most {max} allowed_ips entries")]
    TooManyNetworks {
        /// The limit.
        max: usize,
    },
    /// A rate limit's name is not 1 to 32 ASCII letters, digits, `_`, `-` or `.`.
    #[error("a rate limit's name is 1 to 32 ASCII letters, digits, '_', '-' or '.'")]
    RateName,
    /// A rate limit allows no request, or more than the most one window may allow.
    #[error("a rate limit is 1 to {max} requests")]
    RateLimit {
        /// The largest limit.
        max: u64,
    },
    /// A rate limit's window is not 1 to 86,400 seconds.
    #[error("window_seconds is 1 to {max}")]
    RateWindow {
        /// The longest window.
        max: u32,
    },
    /// Two rate limits with one name.
    #[error("rate has two limits named {name}")]
    DuplicateRate {
        /// The repeated name.
        name: String,
    },
    /// More rate limits than a key may hold.
    #[error("at most {max} rate entries")]
    TooManyRates {
        /// The limit.
        max: usize,
    },
}

/// What a key may move in one currency: per operation and per window. Every bound is optional.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct AmountLimit {
    max_amount: Option<Amount>,
    volumes: PerWindow<Option<Amount>>,
}

impl AmountLimit {
    /// The wire names of the bounds, smallest window first, as errors name them.
    const NAMES: [&'static str; 4] = ["max_amount", "daily_volume", "weekly_volume", "monthly_volume"];

    /// Checks that each bound fits under every larger one (`max_amount <= daily <= weekly <= monthly`,
    /// among those set).
    pub fn new(
        currency: Currency,
        max_amount: Option<Amount>,
        volumes: PerWindow<Option<Amount>>,
    ) -> Result<Self, LimitsError> {
        let bounds = [max_amount, volumes.day, volumes.week, volumes.month];
        for (i, smaller) in bounds.iter().enumerate() {
            for (j, larger) in bounds.iter().enumerate().skip(i + 1) {
                if let (Some(s), Some(l)) = (smaller, larger) {
                    if s > l {
                        return Err(LimitsError::Order { currency, smaller: Self::NAMES[i], larger: Self::NAMES[j] });
                    }
                }
            }
        }
        Ok(Self { max_amount, volumes })
    }

    /// The most one operation may move.
    pub fn max_amount(&self) -> Option<Amount> {
        self.max_amount
    }

    /// The most all operations of each window may move.
    pub fn volumes(&self) -> PerWindow<Option<Amount>> {
        self.volumes
    }

    /// The most all operations of `window` may move.
    pub fn volume(&self, window: Window) -> Option<Amount> {
        *self.volumes.get(window)
    }

    /// Whether `self` allows nothing `other` forbids: each bound as low or lower, none removed.
    pub fn is_within(&self, other: &Self) -> bool {
        let tighter = |new: Option<Amount>, old: Option<Amount>| match (new, old) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(n), Some(o)) => n <= o,
        };
        tighter(self.max_amount, other.max_amount)
            && Window::ALL.into_iter().all(|w| tighter(self.volume(w), other.volume(w)))
    }
}

/// What a key may spend and from where.
///
/// With `amounts` entries, a key moves only the currencies they name; with none, any currency (of its
/// class, if it has one) and no amount limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Limits {
    /// Sorted by currency, one entry per currency.
    amounts: Vec<(Currency, AmountLimit)>,
    currency_class: Option<CurrencyClass>,
    allowed_ips: IpAllowList,
    /// Sorted by name, names unique.
    rate: Vec<RateLimit>,
}

impl Limits {
    /// The most currencies one key may carry limits for.
    pub const MAX_CURRENCIES: usize = 32;

    /// Checks that the parts fit together: one entry per currency, at most [`Self::MAX_CURRENCIES`].
    /// (Whether each currency is known, and of the key's class, is for the tenant's currency table to
    /// say: see `CurrencyTable`.)
    pub fn new(
        mut amounts: Vec<(Currency, AmountLimit)>,
        currency_class: Option<CurrencyClass>,
        allowed_ips: IpAllowList,
    ) -> Result<Self, LimitsError> {
        if amounts.len() > Self::MAX_CURRENCIES {
            return Err(LimitsError::TooManyCurrencies { max: Self::MAX_CURRENCIES });
        }
        amounts.sort_by_key(|(currency, _)| *currency);
        if let Some(pair) = amounts.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(LimitsError::DuplicateCurrency { currency: pair[0].0 });
        }
        Ok(Self { amounts, currency_class, allowed_ips, rate: Vec::new() })
    }

    /// These limits with `rate` as their request rate limits (at most [`RateLimit::MAX`], names unique).
    pub fn with_rate(mut self, rate: Vec<RateLimit>) -> Result<Self, LimitsError> {
        self.rate = rate::checked(rate)?;
        Ok(self)
    }

    /// The request rate limits, by name; empty: no rate limit.
    pub fn rate(&self) -> &[RateLimit] {
        &self.rate
    }

    /// The single-currency shorthand: one currency with a per-operation maximum and a daily volume.
    /// A maximum or volume without a currency is [`LimitsError::CurrencyRequired`].
    pub fn single(
        currency: Option<Currency>,
        max_amount: Option<Amount>,
        daily_volume: Option<Amount>,
        allowed_ips: IpAllowList,
    ) -> Result<Self, LimitsError> {
        let amounts = match currency {
            None if max_amount.is_some() || daily_volume.is_some() => return Err(LimitsError::CurrencyRequired),
            None => Vec::new(),
            Some(currency) => {
                let volumes = PerWindow { day: daily_volume, ..PerWindow::default() };
                vec![(currency, AmountLimit::new(currency, max_amount, volumes)?)]
            }
        };
        Self::new(amounts, None, allowed_ips)
    }

    /// These limits bound to `class` (`None`: any class).
    #[must_use]
    pub fn with_currency_class(mut self, class: Option<CurrencyClass>) -> Self {
        self.currency_class = class;
        self
    }

    /// No limits at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// The per-currency limits, in currency order.
    pub fn amounts(&self) -> &[(Currency, AmountLimit)] {
        &self.amounts
    }

    /// The limits for `currency`, if the key has an entry for it.
    pub fn amount_limit(&self, currency: Currency) -> Option<&AmountLimit> {
        self.amounts.binary_search_by_key(&currency, |(c, _)| *c).ok().map(|i| &self.amounts[i].1)
    }

    /// The only class of currency the key may move, if it is bound to one.
    pub fn currency_class(&self) -> Option<CurrencyClass> {
        self.currency_class
    }

    /// Where the key may be used from.
    pub fn allowed_ips(&self) -> &IpAllowList {
        &self.allowed_ips
    }

    /// Whether `self` allows nothing that `other` forbids: no currency `other` refuses (a key with
    /// entries refuses every currency it has none for), every bound as tight, the same class or a class
    /// where there was none, no wider network, and each rate limit kept or tightened (a limit removed or
    /// raised, or its window shortened, widens; one added or lowered narrows).
    pub fn is_within(&self, other: &Self) -> bool {
        let class_ok = other.currency_class.is_none() || self.currency_class == other.currency_class;
        // With no entries, `self` moves any currency; inside `other` only if `other` has none either.
        let currencies_ok = if self.amounts.is_empty() {
            other.amounts.is_empty()
        } else {
            self.amounts.iter().all(|(currency, limit)| match other.amount_limit(*currency) {
                Some(old) => limit.is_within(old),
                None => other.amounts.is_empty(),
            })
        };
        class_ok
            && currencies_ok
            && self.allowed_ips.is_within(&other.allowed_ips)
            && rate::is_within(&self.rate, &other.rate)
    }
}
