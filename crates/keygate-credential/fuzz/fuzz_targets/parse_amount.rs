//! `Amount::parse` (and `Currency::parse`) on any text: a typed error or a value, never a panic.
//!
//! Checked against a reference reading of the documented rule, a plain decimal `digits[.digits]`
//! of at most 40 characters, greater than zero, at most 18 decimals and below 10^18, and (what the
//! doc of `Amount` does not say: rust_decimal keeps a 96-bit mantissa) whose digits read as one
//! integer are below 2^96, so at most 28 significant digits always fit and
//! `999999999999999999.999999999999999999` does not:
//! - every accepted text follows the rule, and prints as the text with its integer part's leading
//!   zeros dropped (the scale is kept: `"0.50"` stays `"0.50"`);
//! - every text that follows the rule is accepted (no false refusal);
//! - printing and parsing again gives the same amount and the same text (bounded, at most 40 bytes).
#![no_main]

use keygate_domain::{Amount, Currency};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let reference = reference(text);
    match Amount::parse(text) {
        Ok(amount) => {
            let printed = amount.to_string();
            assert_eq!(Some(printed.as_str()), reference.as_deref(), "{text:?} is accepted only as the rule says");
            assert!(printed.len() <= 40, "the printed form is bounded");
            assert_eq!(Amount::parse(&printed), Ok(amount), "print then parse is the identity");
            assert_eq!(Amount::parse(&printed).map(|a| a.to_string()).as_deref(), Ok(printed.as_str()), "one spelling");
            assert!(amount.value().scale() <= Amount::MAX_SCALE, "at most 18 decimals");
        }
        Err(error) => assert_eq!(reference, None, "{text:?} follows the rule but was refused: {error}"),
    }
    if let Ok(currency) = Currency::parse(text) {
        assert_eq!(currency.to_string(), text, "a currency has one spelling");
        assert_eq!(Currency::parse(currency.as_str()), Ok(currency), "and parses back");
    }
});

/// The canonical printed form of `text` if the documented rule accepts it.
fn reference(text: &str) -> Option<String> {
    if text.is_empty() || text.len() > 40 {
        return None;
    }
    let (int, frac) = match text.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (text, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    let int = int.trim_start_matches('0');
    let frac = frac.unwrap_or("");
    let positive = int.bytes().chain(frac.bytes()).any(|c| c != b'0');
    if !positive || frac.len() > 18 || int.len() > 18 || !fits_96_bits(int, frac) {
        return None;
    }
    let int = if int.is_empty() { "0" } else { int };
    Some(if frac.is_empty() { int.to_owned() } else { format!("{int}.{frac}") })
}

/// Whether the digits of `int` and `frac`, read as one integer, are below 2^96.
fn fits_96_bits(int: &str, frac: &str) -> bool {
    let digits = format!("{int}{frac}");
    let digits = digits.trim_start_matches('0');
    digits.len() <= 29 && digits.parse::<u128>().is_ok_and(|m| m < 1 << 96)
}
