//! The signed-request parsers on any text: `Signature-Input` and `Signature` (split at the first
//! newline), a `Content-Digest`, and the signature base over a fixed message: a typed error or a
//! value, never a panic.
//!
//! - A selected signature's `@signature-params` value is canonical: selected again from
//!   `label=<that value>`, it gives the same components, parameters and value.
//! - A signature base, when one is built, has one line per covered component plus the last, and no
//!   line break inside a value.
#![no_main]

use keygate_credential::signing::{sha256_of_field, signature_base, Message, SignatureInput};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = sha256_of_field(text);
    let (input, signature) = text.split_once('\n').unwrap_or((text, "sig1=:AAAA:"));
    let Ok(selected) = SignatureInput::select(input, signature) else { return };
    let value = selected.params_value();
    let label = selected.label().to_owned();
    let again = SignatureInput::select(&format!("{label}={value}"), &format!("{label}=:AAAA:"));
    let Ok(again) = again else { panic!("a canonical value selects again: {value:?}") };
    assert_eq!(again.components(), selected.components(), "the same components");
    assert_eq!(again.params_value(), value, "the same canonical value");
    let headers = vec![("content-type".to_owned(), "application/json".to_owned())];
    let message = Message { method: "POST", authority: "a.example", path: "/p", query: "q=1", headers: &headers };
    if let Ok(base) = signature_base(&selected, &message) {
        assert_eq!(base.lines().count(), selected.components().len() + 1, "one line per component, then the params");
    }
});
