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

/// Marks a byte that is not a base62 digit in [`DIGITS`].
const NOT_A_DIGIT: u8 = 0xFF;

/// Each byte's digit value, or [`NOT_A_DIGIT`]: one table load per character on the verify path.
const DIGITS: [u8; 256] = {
    let mut table = [NOT_A_DIGIT; 256];
    let mut digit: u8 = 0;
    while digit < 62 {
        table[ALPHABET[digit as usize] as usize] = digit;
        digit += 1;
    }
    table
};

/// Reads up to [`U64_WIDTH`] base62 digits; `None` on a character outside the alphabet, a value
/// above `u64::MAX`, or more digits than a `u64` needs.
pub fn decode(digits: &[u8]) -> Option<u64> {
    if digits.len() > U64_WIDTH {
        return None;
    }
    // Up to ten digits cannot overflow a u64 (62^10 < 2^64); only the eleventh is checked. A u128
    // accumulator was a third of a token's parse.
    let mut acc: u64 = 0;
    for (i, &c) in digits.iter().enumerate() {
        let d = u64::from(DIGITS[usize::from(c)]);
        if d == u64::from(NOT_A_DIGIT) {
            return None;
        }
        acc = if i < U64_WIDTH - 1 { acc * 62 + d } else { acc.checked_mul(62)?.checked_add(d)? };
    }
    Some(acc)
}

/// Whether `c` is one of the 62 digits.
pub fn is_digit(c: u8) -> bool {
    DIGITS[usize::from(c)] != NOT_A_DIGIT
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
    fn eleven_digits_above_u64_max_are_refused_and_u64_max_is_read() {
        let mut max = [0u8; U64_WIDTH];
        encode_into(u64::MAX, &mut max);
        assert_eq!(decode(&max), Some(u64::MAX));
        assert_eq!(decode(b"zzzzzzzzzzz"), None, "62^11 - 1 is above u64::MAX");
        assert_eq!(decode(b"LygHa16AHYG"), None, "u64::MAX + 1");
    }

    #[test]
    fn every_byte_is_a_digit_exactly_when_it_is_in_the_alphabet() {
        for c in 0..=u8::MAX {
            assert_eq!(is_digit(c), ALPHABET.contains(&c), "byte {c}");
        }
        assert_eq!(decode(b"000000000010"), None, "more digits than a u64 needs");
    }

    #[test]
    fn values_above_u64_are_refused_not_wrapped() {
        assert_eq!(decode(b"zzzzzzzzzzz"), None, "62^11 - 1 exceeds u64::MAX");
        assert_eq!(decode(b"abc-"), None, "'-' is not a digit");
    }
}
