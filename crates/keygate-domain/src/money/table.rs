//! The currency table: for each code, its class and how many decimal places its amounts may have
//! (its minor unit). Keygate ships the ISO 4217 scales of common fiat currencies and a few crypto
//! defaults; a tenant may change or extend them. The table never converts one currency into another.

use std::collections::BTreeMap;

use super::{Amount, Currency, CurrencyClass};

/// A currency's description did not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurrencySpecError {
    /// More decimal places than an [`Amount`] holds.
    #[error("currency scale must be at most {max}")]
    ScaleTooLarge {
        /// The limit.
        max: u8,
    },
}

/// What keygate knows of one currency: its class and its scale (decimal places, 0 to 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurrencySpec {
    class: CurrencyClass,
    scale: u8,
}

impl CurrencySpec {
    /// The most decimal places a currency may have: as many as an [`Amount`] holds.
    #[allow(clippy::cast_possible_truncation)] // 18 fits in a byte.
    pub const MAX_SCALE: u8 = Amount::MAX_SCALE as u8;

    /// Checks the scale.
    pub fn new(class: CurrencyClass, scale: u8) -> Result<Self, CurrencySpecError> {
        if scale > Self::MAX_SCALE {
            return Err(CurrencySpecError::ScaleTooLarge { max: Self::MAX_SCALE });
        }
        Ok(Self { class, scale })
    }

    /// Fiat or crypto.
    pub fn class(self) -> CurrencyClass {
        self.class
    }

    /// How many decimal places an amount in this currency may have.
    pub fn scale(self) -> u8 {
        self.scale
    }

    /// Whether `amount` can be paid in this currency (no more significant decimals than its scale).
    pub fn admits(self, amount: Amount) -> bool {
        amount.fits_scale(self.scale)
    }
}

/// ISO 4217 minor units of the common fiat currencies (fewer decimals first, then by code).
const FIAT: [(&str, u8); 65] = [
    ("BIF", 0),
    ("CLP", 0),
    ("DJF", 0),
    ("GNF", 0),
    ("ISK", 0),
    ("JPY", 0),
    ("KMF", 0),
    ("KRW", 0),
    ("PYG", 0),
    ("RWF", 0),
    ("UGX", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("AED", 2),
    ("AOA", 2),
    ("AUD", 2),
    ("BDT", 2),
    ("BRL", 2),
    ("BWP", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("GHS", 2),
    ("GMD", 2),
    ("HKD", 2),
    ("IDR", 2),
    ("INR", 2),
    ("KES", 2),
    ("MAD", 2),
    ("MUR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MZN", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("TRY", 2),
    ("TZS", 2),
    ("USD", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("BHD", 3),
    ("IQD", 3),
    ("JOD", 3),
    ("KWD", 3),
    ("LYD", 3),
    ("OMR", 3),
    ("TND", 3),
];

/// Crypto defaults: each token's usual on-ledger precision.
const CRYPTO: [(&str, u8); 4] = [("BTC", 8), ("ETH", 18), ("USDC", 6), ("USDT", 6)];

/// Currencies by code. Built once and never changed in place: [`CurrencyTable::with`] returns a new table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CurrencyTable(BTreeMap<Currency, CurrencySpec>);

impl CurrencyTable {
    /// A table that knows no currency.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The ISO 4217 scales of the common fiat currencies (`XOF` 0, `USD` 2, `TND` 3, ...) and the crypto
    /// defaults `BTC` 8, `ETH` 18, `USDT` 6 and `USDC` 6.
    pub fn builtin() -> Self {
        let rows = FIAT.iter().map(|&(code, scale)| (code, CurrencyClass::Fiat, scale));
        let rows = rows.chain(CRYPTO.iter().map(|&(code, scale)| (code, CurrencyClass::Crypto, scale)));
        // Every row is a valid code and scale (a test says so), so nothing is dropped.
        Self(
            rows.filter_map(|(code, class, scale)| {
                Some((Currency::parse(code).ok()?, CurrencySpec::new(class, scale).ok()?))
            })
            .collect(),
        )
    }

    /// This table with `code` described by `spec`, added or replacing what was there.
    #[must_use]
    pub fn with(&self, code: Currency, spec: CurrencySpec) -> Self {
        let mut table = self.0.clone();
        table.insert(code, spec);
        Self(table)
    }

    /// What the table says of `code`, if it knows it.
    pub fn get(&self, code: Currency) -> Option<CurrencySpec> {
        self.0.get(&code).copied()
    }

    /// Every currency with its description, in code order.
    pub fn iter(&self) -> impl Iterator<Item = (Currency, CurrencySpec)> + '_ {
        self.0.iter().map(|(&code, &spec)| (code, spec))
    }

    /// How many currencies the table knows.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the table knows no currency.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}
