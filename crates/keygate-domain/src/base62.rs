//! Fixed-width base62 for unsigned integers, shared by identifiers and the token format.
//!
//! Fixed width (leading zeros kept) makes every value have exactly one spelling, so parsing a string
//! and printing it back gives the same string, and a changed character always changes the value.

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Characters needed for any `u64` (62^11 > 2^64).
pub const U64_WIDTH: usize = 11;

/// Characters needed for any `u32` (62^6 > 2^32).
pub const U32_WIDTH: usize = 6;

/// Writes `value` as exactly `out.len()` base62 digits, most significant first.
///
/// Digits that do not fit are dropped, so callers size `out` with [`U64_WIDTH`] or [`U32_WIDTH`].
pub fn encode_into(mut value: u64, out: &mut [u8]) {
    for slot in out.iter_mut().rev() {
        // `value % 62` is below 62, so the index is in bounds and the cast is lossless.
        *slot = ALPHABET[usize::try_from(value % 62).unwrap_or(0)];
        value /= 62;
    }
}

/// Reads base62 digits; `None` on a character outside the alphabet or a value above `u64::MAX`.
pub fn decode(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &c| acc.checked_mul(62)?.checked_add(u64::from(digit(c)?)))
}

/// Whether `c` is one of the 62 digits.
pub fn is_digit(c: u8) -> bool {
    digit(c).is_some()
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'Z' => Some(c - b'A' + 10),
        b'a'..=b'z' => Some(c - b'a' + 36),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn u64_values_round_trip_through_eleven_digits(v: u64) {
            let mut buf = [0u8; U64_WIDTH];
            encode_into(v, &mut buf);
            prop_assert_eq!(decode(&buf), Some(v));
        }
    }

    #[test]
    fn values_above_u64_are_refused_not_wrapped() {
        assert_eq!(decode(b"zzzzzzzzzzz"), None, "62^11 - 1 exceeds u64::MAX");
        assert_eq!(decode(b"abc-"), None, "'-' is not a digit");
    }
}
