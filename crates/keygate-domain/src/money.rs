//! Money: exact decimal amounts, currency codes and the table of how many decimals each currency has.
//! Never a float. Nothing here converts between currencies or knows an exchange rate.

mod currency;
mod table;
#[cfg(test)]
mod tests;

pub use currency::{Currency, CurrencyClass, CurrencyError, ParseCurrencyClassError};
pub use table::{CurrencySpec, CurrencySpecError, CurrencyTable};

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// An amount did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Not a plain decimal number (`"250.00"`, `"55"`); exponents and floats' spellings are refused.
    #[error("amount must be a decimal number such as \"250.00\"")]
    Syntax,
    /// Zero or below.
    #[error("amount must be greater than zero")]
    NotPositive,
    /// More decimal places than any currency uses.
    #[error("amount must have at most {max} decimal places")]
    TooPrecise {
        /// The limit.
        max: u32,
    },
    /// Larger than any limit keygate stores.
    #[error("amount is too large")]
    TooLarge,
    /// More significant digits than an exact decimal holds (28).
    #[error("amount must have at most 28 significant digits")]
    TooManyDigits,
}

/// A strictly positive, exact amount of money: below 10^18, at most 18 decimal places, and at most 28
/// significant digits in all (the exact 96-bit decimal keygate computes with), so a day's sum never
/// overflows and PostgreSQL's `NUMERIC` keeps it to the digit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Amount(Decimal);

impl Amount {
    /// Most decimal places.
    pub const MAX_SCALE: u32 = 18;

    /// Parses the decimal text form (`"100000.00"`).
    pub fn parse(text: &str) -> Result<Self, AmountError> {
        let valid_syntax = !text.is_empty()
            && text.len() <= 40
            && text.bytes().all(|c| c.is_ascii_digit() || c == b'.' || c == b'-')
            && !text.starts_with('.')
            && !text.ends_with('.');
        if !valid_syntax {
            return Err(AmountError::Syntax);
        }
        // Say why a number that does not fit was refused, rather than calling it bad syntax. Only
        // digits are counted, so malformed text (`1..`, `1-2`) still falls through to `Syntax`.
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let whole_digits = whole.bytes().filter(u8::is_ascii_digit).count();
        let decimals = fraction.bytes().filter(u8::is_ascii_digit).count();
        let value = Decimal::from_str_exact(text).map_err(|_| match () {
            () if decimals > 18 => AmountError::TooPrecise { max: Self::MAX_SCALE },
            () if whole_digits > 18 => AmountError::TooLarge,
            () if whole_digits + decimals > 28 => AmountError::TooManyDigits,
            () => AmountError::Syntax,
        })?;
        Self::new(value)
    }

    /// Checks an exact decimal.
    pub fn new(value: Decimal) -> Result<Self, AmountError> {
        if value <= Decimal::ZERO {
            return Err(AmountError::NotPositive);
        }
        if value.scale() > Self::MAX_SCALE {
            return Err(AmountError::TooPrecise { max: Self::MAX_SCALE });
        }
        if value >= Decimal::from(10u64.pow(18)) {
            return Err(AmountError::TooLarge);
        }
        Ok(Self(value))
    }

    /// The exact value.
    pub fn value(self) -> Decimal {
        self.0
    }

    /// Whether the amount can be written with at most `scale` decimal places, as a currency with that
    /// many minor-unit digits can pay it. Trailing zeros do not count: `7.00` fits scale 0, `7.50` does not.
    pub fn fits_scale(self, scale: u8) -> bool {
        self.0.normalize().scale() <= u32::from(scale)
    }
}

impl FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({})", self.0)
    }
}
