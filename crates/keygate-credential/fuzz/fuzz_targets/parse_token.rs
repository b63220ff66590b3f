//! Any bytes must parse to a token or a typed error, never panic; a parsed token must print back to
//! exactly the input (one spelling per token) and have the shape the scanner regex promises.
//!
//! Random bytes almost never carry a valid CRC32, so each input of a token's length is also tried
//! with its checksum corrected: then the only refusals left are the shape ones, never `BadChecksum`,
//! and the fuzzer explores the id and secret decoding behind the checksum.
#![no_main]

use keygate_credential::{ParseTokenError, Token, TokenPrefix, BODY_LEN, VERSION};
use keygate_domain::base62::{self, U32_WIDTH};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let prefix = TokenPrefix::default();
    let _ = check(data, &prefix);
    if data.len() == token_len(&prefix) {
        let mut fixed = data.to_vec();
        let signed = fixed.len() - U32_WIDTH;
        let crc = crc32fast::hash(&fixed[..signed]);
        base62::encode_into(u64::from(crc), &mut fixed[signed..]);
        let outcome = check(&fixed, &prefix);
        assert_ne!(outcome, Err(ParseTokenError::BadChecksum), "a corrected checksum is accepted");
    }
});

fn token_len(prefix: &TokenPrefix) -> usize {
    prefix.as_str().len() + 6 + BODY_LEN
}

fn check(data: &[u8], prefix: &TokenPrefix) -> Result<(), ParseTokenError> {
    let token = Token::parse(data, prefix)?;
    let plain = token.to_plain(prefix);
    let text = plain.expose().as_bytes();
    assert_eq!(text, data, "a token has one spelling");
    assert_eq!(text.len(), token_len(prefix), "every token has the same length");
    let (head, body) = text.split_at(prefix.as_str().len() + 6);
    assert!(head.starts_with(prefix.as_str().as_bytes()), "the prefix leads");
    assert!(head.ends_with(b"_test_") || head.ends_with(b"_live_"), "the environment follows");
    assert_eq!(body[0], VERSION, "the format version opens the body");
    assert!(body[1..].iter().all(u8::is_ascii_alphanumeric), "the body is base62 (scanner regex)");
    let again = Token::parse(text, prefix).map(|t| (t.key_id(), t.environment()));
    assert_eq!(again, Ok((token.key_id(), token.environment())), "the printed token parses to the same key");
    let masked = plain.masked().as_bytes();
    assert!(masked.len() <= head.len() + "\u{2026}".len() + 4, "the mask shows no more than four characters");
    assert!(masked.ends_with(&text[text.len() - 4..]), "the mask ends with the token's last four characters");
    Ok(())
}
