//! Any bytes must parse to a token or a typed error, never panic; a parsed token must print back to
//! exactly the input (one spelling per token).
#![no_main]

use keygate_credential::{Token, TokenPrefix};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let prefix = TokenPrefix::default();
    if let Ok(token) = Token::parse(data, &prefix) {
        assert_eq!(token.to_plain(&prefix).expose().as_bytes(), data, "a token has one spelling");
    }
});
