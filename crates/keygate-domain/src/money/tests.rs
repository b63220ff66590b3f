use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;

fn currency(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn spec(class: CurrencyClass, scale: u8) -> CurrencySpec {
    CurrencySpec::new(class, scale).unwrap()
}

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
fn amounts_fit_a_scale_by_their_significant_decimals() {
    let cases = [
        ("7", 0, true, "a whole amount fits a currency without decimals"),
        ("7.00", 0, true, "trailing zeros do not count"),
        ("7.50", 0, false, "half a franc is not a CFA amount"),
        ("7.50", 1, true, "one significant decimal fits scale 1"),
        ("7.5", 2, true, "fewer decimals than the scale fit"),
        ("0.001", 2, false, "a tenth of a cent is not a dollar amount"),
        ("1.000", 3, true, "three written decimals fit a three-decimal dinar"),
        ("0.00000001", 8, true, "one satoshi fits bitcoin"),
        ("0.000000001", 8, false, "a tenth of a satoshi does not"),
        ("0.000000000000000001", 18, true, "one wei fits ether"),
        ("100.000000000000000000", 0, true, "eighteen written zeros still fit scale 0"),
    ];
    for (text, scale, fits, why) in cases {
        assert_eq!(Amount::parse(text).unwrap().fits_scale(scale), fits, "{why}: {text} at scale {scale}");
    }
}

#[test]
fn currencies_are_short_upper_case_codes() {
    let cases = [
        ("XOF", true, "an ISO 4217 code"),
        ("USDT", true, "a four-letter token"),
        ("MATIC", true, "a five-letter token"),
        ("1INCH", true, "a token starting with a digit"),
        ("BTC2", true, "digits anywhere"),
        ("XY", true, "two characters is the shortest"),
        ("ABCDEFGHIJ", true, "ten characters is the longest"),
        ("ABCDEFGHIJK", false, "eleven characters"),
        ("X", false, "one character"),
        ("", false, "empty"),
        ("xof", false, "lower case"),
        ("Usdt", false, "mixed case"),
        ("US D", false, "a space"),
        ("USD ", false, "a trailing space"),
        ("US-D", false, "punctuation"),
        ("ÉCU", false, "non-ASCII"),
    ];
    for (input, ok, why) in cases {
        let parsed = Currency::parse(input);
        assert_eq!(parsed.is_ok(), ok, "{why}: {input:?}");
        if let Ok(code) = parsed {
            assert_eq!((code.as_str(), code.to_string()), (input, input.to_owned()), "{why}: one spelling");
            assert_eq!(input.parse::<Currency>(), Ok(code), "{why}: FromStr agrees");
        }
    }
    assert_eq!(format!("{:?}", currency("USDT")), "Currency(USDT)", "debug shows the code");
}

#[test]
fn currency_classes_have_one_name_each() {
    let cases = [
        ("fiat", Ok(CurrencyClass::Fiat), "fiat"),
        ("crypto", Ok(CurrencyClass::Crypto), "crypto"),
        ("Fiat", Err(ParseCurrencyClassError), "names are lower case"),
        ("token", Err(ParseCurrencyClassError), "an unknown class"),
        ("", Err(ParseCurrencyClassError), "empty"),
    ];
    for (input, expected, why) in cases {
        assert_eq!(input.parse::<CurrencyClass>(), expected, "{why}");
    }
    for class in CurrencyClass::ALL {
        assert_eq!(class.as_str().parse::<CurrencyClass>(), Ok(class), "{class} round-trips");
        assert_eq!(class.to_string(), class.as_str(), "{class} displays as its name");
    }
}

#[test]
fn currency_specs_hold_at_most_eighteen_decimals() {
    let cases = [
        (0, Ok(0), "no decimals"),
        (18, Ok(18), "as many as an amount holds"),
        (19, Err(CurrencySpecError::ScaleTooLarge { max: 18 }), "one more than an amount holds"),
        (255, Err(CurrencySpecError::ScaleTooLarge { max: 18 }), "far too many"),
    ];
    for (scale, expected, why) in cases {
        let got = CurrencySpec::new(CurrencyClass::Crypto, scale).map(CurrencySpec::scale);
        assert_eq!(got, expected, "{why}");
    }
    let dinar = spec(CurrencyClass::Fiat, 3);
    assert_eq!(dinar.class(), CurrencyClass::Fiat, "the class is kept");
    assert!(dinar.admits(Amount::parse("1.250").unwrap()), "millimes fit a dinar");
    assert!(!dinar.admits(Amount::parse("1.2505").unwrap()), "a tenth of a millime does not");
}

#[test]
fn the_builtin_table_knows_iso_scales_and_crypto_defaults() {
    let table = CurrencyTable::builtin();
    let fiat = |scale| Some(spec(CurrencyClass::Fiat, scale));
    let crypto = |scale| Some(spec(CurrencyClass::Crypto, scale));
    let cases = [
        ("XOF", fiat(0), "West African CFA franc"),
        ("XAF", fiat(0), "Central African CFA franc"),
        ("JPY", fiat(0), "yen"),
        ("KRW", fiat(0), "won"),
        ("USD", fiat(2), "US dollar"),
        ("EUR", fiat(2), "euro"),
        ("GBP", fiat(2), "pound"),
        ("NGN", fiat(2), "naira"),
        ("KES", fiat(2), "Kenyan shilling"),
        ("GHS", fiat(2), "cedi"),
        ("ZAR", fiat(2), "rand"),
        ("INR", fiat(2), "rupee"),
        ("CNY", fiat(2), "yuan"),
        ("BRL", fiat(2), "real"),
        ("MXN", fiat(2), "Mexican peso"),
        ("CAD", fiat(2), "Canadian dollar"),
        ("AUD", fiat(2), "Australian dollar"),
        ("CHF", fiat(2), "Swiss franc"),
        ("EGP", fiat(2), "Egyptian pound"),
        ("MAD", fiat(2), "dirham"),
        ("TND", fiat(3), "Tunisian dinar"),
        ("BHD", fiat(3), "Bahraini dinar"),
        ("KWD", fiat(3), "Kuwaiti dinar"),
        ("OMR", fiat(3), "Omani rial"),
        ("JOD", fiat(3), "Jordanian dinar"),
        ("IQD", fiat(3), "Iraqi dinar"),
        ("LYD", fiat(3), "Libyan dinar"),
        ("BTC", crypto(8), "bitcoin in satoshis"),
        ("ETH", crypto(18), "ether in wei"),
        ("USDT", crypto(6), "tether"),
        ("USDC", crypto(6), "USD coin"),
        ("MATIC", None, "a token the tenant has not listed"),
        ("XXX", None, "an unknown code"),
    ];
    for (code, expected, why) in cases {
        assert_eq!(table.get(currency(code)), expected, "{why} ({code})");
    }
    assert_eq!(table.len(), FIAT_ROWS + CRYPTO_ROWS, "no builtin row is dropped");
    let codes: Vec<Currency> = table.iter().map(|(code, _)| code).collect();
    assert!(codes.windows(2).all(|w| w[0].as_str() < w[1].as_str()), "iteration is in code order");
    assert!(CurrencyTable::empty().is_empty() && CurrencyTable::empty().get(currency("XOF")).is_none(), "empty");
}

const FIAT_ROWS: usize = 65;
const CRYPTO_ROWS: usize = 4;

#[test]
fn a_tenant_changes_or_extends_its_table_without_touching_the_original() {
    let builtin = CurrencyTable::builtin();
    let matic = spec(CurrencyClass::Crypto, 18);
    let usdt_in_cents = spec(CurrencyClass::Crypto, 2);
    let tenant = builtin.with(currency("MATIC"), matic).with(currency("USDT"), usdt_in_cents);
    let cases = [
        (&tenant, "MATIC", Some(matic), "an added token"),
        (&tenant, "USDT", Some(usdt_in_cents), "a changed scale"),
        (&tenant, "XOF", builtin.get(currency("XOF")), "the rest is kept"),
        (&builtin, "MATIC", None, "the original has no new token"),
        (&builtin, "USDT", Some(spec(CurrencyClass::Crypto, 6)), "the original keeps its scale"),
    ];
    for (table, code, expected, why) in cases {
        assert_eq!(table.get(currency(code)), expected, "{why}");
    }
    assert_eq!(tenant.len(), builtin.len() + 1, "one added, one replaced");
}

/// An amount with exactly `decimals` significant decimals, written with `padding` trailing zeros.
fn amount_with(mantissa: u64, decimals: u32, padding: u32) -> Amount {
    // A last digit of zero would be one decimal fewer.
    let mantissa = if decimals > 0 && mantissa % 10 == 0 { mantissa + 1 } else { mantissa };
    let value = Decimal::from_i128_with_scale(i128::from(mantissa), decimals);
    Amount::parse(&format!("{value:.prec$}", prec = (decimals + padding) as usize)).unwrap()
}

proptest! {
    #[test]
    fn an_amount_fits_exactly_the_scales_at_least_its_significant_decimals(
        mantissa in 1u64..1_000_000_000,
        decimals in 0u32..=18,
        padding in 0u32..=18,
    ) {
        let padding = padding.min(18 - decimals);
        let amount = amount_with(mantissa, decimals, padding);
        for scale in 0..=CurrencySpec::MAX_SCALE {
            prop_assert_eq!(amount.fits_scale(scale), u32::from(scale) >= decimals, "{} at scale {}", amount, scale);
        }
    }

    #[test]
    fn currency_codes_parse_by_the_documented_rule(text in "[A-Z0-9a-z .-]{0,12}") {
        let rule = (2..=10).contains(&text.len()) && text.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        let parsed = Currency::parse(&text);
        prop_assert_eq!(parsed.is_ok(), rule, "{:?}", text);
        if let Ok(code) = parsed {
            prop_assert_eq!(code.as_str(), text.as_str(), "one spelling");
        }
    }

    #[test]
    fn currency_codes_order_as_their_text(a in "[A-Z0-9]{2,10}", b in "[A-Z0-9]{2,10}") {
        prop_assert_eq!(currency(&a).cmp(&currency(&b)), a.cmp(&b), "{} vs {}", a, b);
        prop_assert_eq!(currency(&a) == currency(&b), a == b, "{} vs {}", a, b);
    }
}
