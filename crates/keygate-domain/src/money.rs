//! Money: exact decimal amounts and ISO-4217-style currency codes. Never a float.

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

/// A currency code did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("currency must be 3 upper-case letters (ISO 4217 style, e.g. XOF)")]
pub struct CurrencyError;

/// A currency code: three upper-case ASCII letters (`XOF`, `EUR`, `USD`, or a platform's own such as `BTC`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Parses a code.
    pub fn parse(text: &str) -> Result<Self, CurrencyError> {
        match text.as_bytes() {
            &[a, b, c] if [a, b, c].iter().all(u8::is_ascii_uppercase) => Ok(Self([a, b, c])),
            _ => Err(CurrencyError),
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        // Three ASCII upper-case letters are always UTF-8.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl FromStr for Currency {
    type Err = CurrencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_positive_decimals() {
        let cases: [(&str, Result<&str, AmountError>); 19] = [
            ("250.00", Ok("250.00")),
            ("55", Ok("55")),
            ("0.000000000000000001", Ok("0.000000000000000001")),
            ("0", Err(AmountError::NotPositive)),
            ("0.00", Err(AmountError::NotPositive)),
            ("-1", Err(AmountError::NotPositive)),
            ("1e5", Err(AmountError::Syntax)),
            ("NaN", Err(AmountError::Syntax)),
            ("1,000", Err(AmountError::Syntax)),
            (" 1", Err(AmountError::Syntax)),
            ("0.0000000000000000001", Err(AmountError::TooPrecise { max: 18 })),
            ("1000000000000000000", Err(AmountError::TooLarge)),
            ("999999999999999999.999999999999999999", Err(AmountError::TooManyDigits)),
            ("0.0000000000000000000000000001", Err(AmountError::TooPrecise { max: 18 })),
            ("12345678901234567890123", Err(AmountError::TooLarge)),
            ("1.2.3", Err(AmountError::Syntax)),
            ("1-2", Err(AmountError::Syntax)),
            ("1..", Err(AmountError::Syntax)),
            ("1.-", Err(AmountError::Syntax)),
        ];
        for (input, expected) in cases {
            let got = Amount::parse(input).map(|a| a.to_string());
            assert_eq!(got.as_deref().map_err(Clone::clone), expected, "amount {input:?}");
        }
        assert_eq!(Amount::parse("7.00").unwrap(), Amount::parse("7").unwrap(), "equal by value");
    }

    #[test]
    fn currencies_are_three_upper_case_letters() {
        for (input, ok) in [("XOF", true), ("xof", false), ("EURO", false), ("E1R", false), ("", false)] {
            assert_eq!(Currency::parse(input).is_ok(), ok, "currency {input:?}");
        }
    }
}
