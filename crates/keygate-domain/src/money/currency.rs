//! Currency codes and their class. A code is a name only: how many decimals it has and whether it is fiat
//! or crypto is the [`super::CurrencyTable`]'s business, as a tenant may list its own tokens.

use std::fmt;
use std::str::FromStr;

/// A currency code did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("currency must be 2 to 10 upper-case letters or digits (e.g. XOF, USDT)")]
pub struct CurrencyError;

/// A currency code: 2 to 10 upper-case ASCII letters or digits: ISO 4217 codes (`XOF`, `EUR`), crypto
/// tickers (`BTC`, `USDT`, `MATIC`) or a platform's own.
///
/// Held inline (no allocation), so it stays `Copy`. Codes order as their text does.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    // Unused bytes are zero, below every allowed byte, so the derived order is the text's order and
    // equal codes have equal bytes. `len` is then implied by `bytes` and never decides an order.
    bytes: [u8; Currency::MAX_LEN],
    len: u8,
}

impl Currency {
    /// The shortest code.
    pub const MIN_LEN: usize = 2;
    /// The longest code.
    pub const MAX_LEN: usize = 10;

    /// Parses a code.
    pub fn parse(text: &str) -> Result<Self, CurrencyError> {
        let given = text.as_bytes();
        let allowed = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&given.len()) || !given.iter().all(allowed) {
            return Err(CurrencyError);
        }
        let mut bytes = [0; Self::MAX_LEN];
        bytes[..given.len()].copy_from_slice(given);
        let len = u8::try_from(given.len()).map_err(|_| CurrencyError)?;
        Ok(Self { bytes, len })
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        let used = self.bytes.get(..usize::from(self.len)).unwrap_or_default();
        // Upper-case ASCII letters and digits are always UTF-8.
        std::str::from_utf8(used).unwrap_or_default()
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

/// A currency class did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("currency class must be \"fiat\" or \"crypto\"")]
pub struct ParseCurrencyClassError;

/// What kind of money a currency is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CurrencyClass {
    /// Money a state issues (ISO 4217).
    Fiat,
    /// A token on a ledger (`BTC`, `USDT`).
    Crypto,
}

impl CurrencyClass {
    /// Both classes.
    pub const ALL: [Self; 2] = [Self::Fiat, Self::Crypto];

    /// The class's name: `fiat` or `crypto`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Fiat => "fiat",
            Self::Crypto => "crypto",
        }
    }
}

impl FromStr for CurrencyClass {
    type Err = ParseCurrencyClassError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|class| class.as_str() == s).ok_or(ParseCurrencyClassError)
    }
}

impl fmt::Display for CurrencyClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
