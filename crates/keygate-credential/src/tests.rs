use keygate_domain::{Environment, KeyId};
use proptest::prelude::*;

use super::*;

fn prefix() -> TokenPrefix {
    TokenPrefix::default()
}

fn token(env_live: bool, id: [u8; 16], secret: [u8; 32]) -> Token {
    let env = if env_live { Environment::Live } else { Environment::Test };
    Token::new(env, KeyId::from_bytes(id), Secret::from_bytes(secret))
}

fn same(a: &Token, b: &Token) -> bool {
    a.environment() == b.environment() && a.key_id() == b.key_id() && a.secret().expose() == b.secret().expose()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn generated_tokens_format_and_parse_back(live: bool, id: [u8; 16], secret: [u8; 32]) {
        let original = token(live, id, secret);
        let plain = original.to_plain(&prefix());
        let parsed = Token::parse(plain.expose().as_bytes(), &prefix()).unwrap();
        prop_assert!(same(&original, &parsed));
        prop_assert_eq!(plain.expose().len(), "kg_live_".len() + BODY_LEN);
    }

    #[test]
    fn any_single_character_change_is_refused_or_names_another_key(
        live: bool, id: [u8; 16], secret: [u8; 32], pos in 0usize..81, replacement in any::<u8>(),
    ) {
        let original = token(live, id, secret);
        let text = original.to_plain(&prefix()).expose().as_bytes().to_vec();
        let pos = pos % text.len();
        prop_assume!(text[pos] != replacement);
        let mut changed = text.clone();
        changed[pos] = replacement;
        match Token::parse(&changed, &prefix()) {
            Err(_) => {}
            Ok(other) => prop_assert!(other.key_id() != original.key_id(), "a changed token parsed as the same key"),
        }
    }

    #[test]
    fn parsing_never_panics_on_arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Token::parse(&input, &prefix());
    }

    #[test]
    fn parsing_never_panics_on_token_shaped_text(body in "[0-9A-Za-z]{73}", env in "(test|live|prod)") {
        let text = format!("kg_{env}_{body}");
        let _ = Token::parse(text.as_bytes(), &prefix());
    }
}

#[test]
fn malformed_tokens_get_the_error_that_names_the_problem() {
    let good = token(true, [1; 16], [2; 32]).to_plain(&prefix()).expose().to_owned();
    let mut bad_checksum = good.clone().into_bytes();
    let last = bad_checksum.len() - 1;
    bad_checksum[last] = if bad_checksum[last] == b'A' { b'B' } else { b'A' };
    let cases: Vec<(Vec<u8>, ParseTokenError, &str)> = vec![
        (Vec::new(), ParseTokenError::Length, "empty"),
        (good.as_bytes()[..good.len() - 1].to_vec(), ParseTokenError::Length, "truncated paste"),
        (good.replacen("kg_", "xy_", 1).into_bytes(), ParseTokenError::WrongPrefix, "another brand"),
        (good.replacen("_live_", "_prod_", 1).into_bytes(), ParseTokenError::UnknownEnvironment, "unknown env"),
        (good.replacen("_live_1", "_live_2", 1).into_bytes(), ParseTokenError::UnsupportedVersion, "future version"),
        (
            good.replacen("_live_1", "_live_1-", 1).as_bytes()[..good.len()].to_vec(),
            ParseTokenError::Malformed,
            "not base62",
        ),
        (bad_checksum, ParseTokenError::BadChecksum, "typo in the checksum"),
    ];
    for (input, expected, why) in cases {
        assert_eq!(Token::parse(&input, &prefix()).unwrap_err(), expected, "{why}");
    }
}

#[test]
fn tokens_match_the_documented_scanner_regex_shape() {
    let text = Token::generate(Environment::Test).to_plain(&TokenPrefix::parse("uwk").unwrap()).expose().to_owned();
    let (head, body) = text.rsplit_once('_').unwrap();
    assert!(head == "uwk_test", "prefix and env: {head}");
    assert_eq!(body.len(), 73, "version + 72 base62 characters");
    assert!(body.starts_with('1') && body.bytes().all(|c| c.is_ascii_alphanumeric()), "body is base62");
    assert!(SCANNER_REGEX.contains("{72}") && SCANNER_REGEX.contains("_1["), "regex states the same layout");
}

#[test]
fn two_generated_tokens_never_share_id_or_secret() {
    let a = Token::generate(Environment::Live);
    let b = Token::generate(Environment::Live);
    assert_ne!(a.key_id(), b.key_id(), "ids are random");
    assert_ne!(a.secret().expose(), b.secret().expose(), "secrets are random");
}

#[test]
fn hashes_depend_on_secret_id_and_pepper_and_compare_equal_only_when_equal() {
    let t = token(false, [3; 16], [4; 32]);
    let plain = SecretHasher::new(None);
    let peppered = SecretHasher::new(Some(&Pepper::new(b"pepper".to_vec())));
    let other_pepper = SecretHasher::new(Some(&Pepper::new(b"paprika".to_vec())));
    let h = plain.hash(t.key_id(), t.secret());
    assert!(h.matches(&plain.hash(t.key_id(), t.secret())), "same input, same hash");
    assert!(!h.matches(&plain.hash(KeyId::from_bytes([9; 16]), t.secret())), "bound to the key id");
    assert!(!h.matches(&plain.hash(t.key_id(), &Secret::from_bytes([5; 32]))), "another secret");
    let p = peppered.hash(t.key_id(), t.secret());
    assert!(!h.matches(&p), "pepper changes the hash");
    assert!(!p.matches(&other_pepper.hash(t.key_id(), t.secret())), "each pepper its own hash");
    assert!(p.matches(&peppered.hash(t.key_id(), t.secret())), "peppered hash is stable");
}

#[test]
fn debug_output_never_shows_a_secret() {
    let t = Token::generate(Environment::Live);
    let plain = t.to_plain(&prefix());
    let secret_text = &plain.expose()[8 + 23..8 + 23 + 44];
    let hash = SecretHasher::new(None).hash(t.key_id(), t.secret());
    for shown in [format!("{t:?}"), format!("{plain:?}"), format!("{:?}", t.secret()), format!("{hash:?}")] {
        assert!(!shown.contains(secret_text), "Debug leaked the secret: {shown}");
        assert!(!shown.contains(plain.expose()), "Debug leaked the token: {shown}");
    }
    assert!(format!("{plain:?}").contains(plain.masked()), "Debug shows the masked form");
}

#[test]
fn masked_form_shows_prefix_env_and_last_four() {
    let plain = token(true, [1; 16], [2; 32]).to_plain(&prefix());
    let text = plain.expose();
    assert_eq!(plain.masked(), format!("kg_live_\u{2026}{}", &text[text.len() - 4..]), "masked form");
}

#[test]
fn prefixes_follow_their_rules() {
    for (p, ok) in [
        ("kg", true),
        ("uwk", true),
        ("k", false),
        ("KG", false),
        ("1kg", false),
        ("kg_", false),
        ("abcdefghijklmnopq", false),
    ] {
        assert_eq!(TokenPrefix::parse(p).is_ok(), ok, "prefix {p:?}");
    }
}
