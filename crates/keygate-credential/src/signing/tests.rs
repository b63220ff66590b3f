use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use keygate_domain::SigningAlgorithm;
use proptest::prelude::*;

use super::sfv::{parse_dictionary, BareItem, Member};
use super::*;

/// RFC 9421 appendix B.2's test request: `POST /foo?param=Value&Pet=dog` to example.com.
fn rfc_headers() -> Vec<(String, String)> {
    [
        ("Host", "example.com"),
        ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("Content-Type", "application/json"),
        (
            "Content-Digest",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        ),
        ("Content-Length", "18"),
    ]
    .iter()
    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
    .collect()
}

fn rfc_message(headers: &[(String, String)]) -> Message<'_> {
    Message { method: "POST", authority: "example.com", path: "/foo", query: "param=Value&Pet=dog", headers }
}

/// RFC 9421 appendix B.1.4's shared secret, `test-shared-secret`.
fn rfc_shared_secret() -> Vec<u8> {
    STANDARD.decode("uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ==").unwrap()
}

/// RFC 9421 appendix B.1.4's `test-key-ed25519`, its private key's seed.
const RFC_ED25519_SEED: &str = "9f8362f87a484a954e6e740c5b4c0e84229139a20aa8ab56ff66586f6a7d29c5";

fn seed() -> [u8; 32] {
    let bytes: Vec<u8> =
        (0..32).map(|i| u8::from_str_radix(&RFC_ED25519_SEED[2 * i..2 * i + 2], 16).unwrap()).collect();
    bytes.try_into().unwrap()
}

#[test]
fn rfc_9421_b_2_5_hmac_sha256_known_answer() {
    let headers = rfc_headers();
    let input = SignatureInput::select(
        r#"sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret""#,
        "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:",
    )
    .unwrap();
    let base = signature_base(&input, &rfc_message(&headers)).unwrap();
    assert_eq!(
        base,
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@authority\": example.com\n\"content-type\": application/json\n\
         \"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"",
        "the base is the RFC's, byte for byte"
    );
    assert_eq!(
        STANDARD.encode(hmac_sha256(&rfc_shared_secret(), base.as_bytes())),
        "pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8="
    );
    assert!(verify_hmac(&rfc_shared_secret(), base.as_bytes(), input.signature()), "the RFC's signature verifies");
    assert!(!verify_hmac(b"another secret", base.as_bytes(), input.signature()), "another secret does not");
}

#[test]
fn rfc_9421_b_2_6_ed25519_known_answer() {
    let headers = rfc_headers();
    let input = SignatureInput::select(
        r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#,
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
    )
    .unwrap();
    let base = signature_base(&input, &rfc_message(&headers)).unwrap();
    assert_eq!(
        base,
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\"@authority\": example.com\n\
         \"content-type\": application/json\n\"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \
         \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
    );
    let signing = ed25519_dalek::SigningKey::from_bytes(&seed());
    let public = signing.verifying_key().to_bytes();
    assert_eq!(STANDARD.encode(public), "JrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=", "the RFC's public key");
    let signature = ed25519_dalek::Signer::sign(&signing, base.as_bytes()).to_bytes();
    assert_eq!(signature.as_slice(), input.signature(), "Ed25519 is deterministic: the RFC's signature");
    assert!(verify_ed25519(&public, base.as_bytes(), input.signature()));
    assert!(!verify_ed25519(&public, b"another base", input.signature()));
}

#[test]
fn the_query_component_keeps_its_question_mark_and_the_params_serialize_canonically() {
    let headers = Vec::new();
    let check = |query: &str, expected: &str| {
        let message = Message { method: "GET", authority: "Example.COM:8443", path: "", query, headers: &headers };
        let input = SignatureInput::new(
            "sig1",
            &["@method", "@authority", "@path", "@query"],
            vec![
                ("created".to_owned(), BareItem::Integer(1)),
                ("nonce".to_owned(), BareItem::String("a\"b\\c".to_owned())),
            ],
        );
        let base = signature_base(&input, &message).unwrap();
        assert_eq!(base, expected, "query {query:?}");
    };
    let params = r#"("@method" "@authority" "@path" "@query");created=1;nonce="a\"b\\c""#;
    check("a=1&b=2", &format!("\"@method\": GET\n\"@authority\": example.com:8443\n\"@path\": /\n\"@query\": ?a=1&b=2\n\"@signature-params\": {params}"));
    check("", &format!("\"@method\": GET\n\"@authority\": example.com:8443\n\"@path\": /\n\"@query\": ?\n\"@signature-params\": {params}"));
}

#[test]
fn a_signature_is_refused_when_its_fields_or_components_are_not_what_the_standard_allows() {
    let cases = [
        (r#"sig1=("@method");created=1"#, "sig1=:AAAA:", true, "a usable pair"),
        (r#"sig1=("@method")"#, "sig2=:AAAA:", false, "no matching label"),
        (r#"sig1=("@method"#, "sig1=:AAAA:", false, "an unclosed inner list"),
        (r"sig1=(@method)", "sig1=:AAAA:", false, "a token, not a string"),
        (r#"sig1=("@method")"#, "sig1=AAAA", false, "a token, not bytes"),
        (r#"sig1=("@method"),"#, "sig1=:AAAA:", false, "a trailing comma"),
        (r#"sig0=("x");created=1, sig1=("@method")"#, "sig1=:AAAA:", true, "the first label with a signature"),
    ];
    for (input, signature, ok, description) in cases {
        assert_eq!(SignatureInput::select(input, signature).is_ok(), ok, "{description}");
    }
    let headers = Vec::new();
    let message = Message { method: "GET", authority: "a", path: "/", query: "", headers: &headers };
    let base = |components: &str| {
        let input = SignatureInput::select(&format!("sig1=({components})"), "sig1=:AAAA:").unwrap();
        signature_base(&input, &message)
    };
    assert_eq!(base(r#""x-absent""#), Err(BaseError::Absent("x-absent".to_owned())), "an absent header");
    assert_eq!(base(r#""@target-uri""#), Err(BaseError::Unsupported), "a derived component keygate does not resolve");
    assert_eq!(base(r#""@method" "@method""#), Err(BaseError::Unsupported), "a repeated component");
    assert_eq!(base(r#""content-type";sf"#), Err(BaseError::Unsupported), "a component with parameters");
    assert_eq!(base(r#""Date""#), Err(BaseError::Unsupported), "an upper-case name");
}

#[test]
fn required_components_and_parameters_are_named_when_missing() {
    let all = r#"sig1=("@method" "@authority" "@path" "@query" "content-digest");created=1;nonce="n";keyid="k";alg="ed25519""#;
    let select = |text: &str| SignatureInput::select(text, "sig1=:AAAA:").unwrap();
    assert_eq!(select(all).missing(true), None);
    assert_eq!(select(&all.replace(" \"content-digest\"", "")).missing(true), Some("content-digest"));
    assert_eq!(select(&all.replace(" \"content-digest\"", "")).missing(false), None, "no body, no digest needed");
    assert_eq!(select(&all.replace(" \"@query\"", "")).missing(false), Some("@query"));
    assert_eq!(select(&all.replace(";nonce=\"n\"", "")).missing(false), Some("nonce"));
    assert_eq!(select(&all.replace("created=1", "created=\"1\"")).missing(false), Some("created"));
}

#[test]
fn content_digest_reads_the_sha_256_member_and_writes_rfc_9530_form() {
    let body = br#"{"hello": "world"}"#;
    assert_eq!(content_digest(body), "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", "RFC 9530 appendix B.1");
    assert_eq!(sha256_of_field(&content_digest(body)), Ok(sha256(body)));
    let both = format!("sha-512=:{}:, {}", STANDARD.encode([0u8; 64]), content_digest(body));
    assert_eq!(sha256_of_field(&both), Ok(sha256(body)), "another algorithm beside it is ignored");
    assert_eq!(sha256_of_field("sha-512=:AAAA:"), Err(DigestError), "no sha-256");
    assert_eq!(sha256_of_field("sha-256=:AAAA:"), Err(DigestError), "not 32 bytes");
    assert!(is_empty_body(&sha256(b"")));
}

#[test]
fn the_master_key_derives_one_stable_secret_per_key_id() {
    let master = SigningMasterKey::parse(&"ab".repeat(32)).unwrap();
    assert_eq!(master.derive("k1").render(), master.derive("k1").render());
    assert_ne!(master.derive("k1").render(), master.derive("k2").render());
    let other = SigningMasterKey::parse(&"cd".repeat(32)).unwrap();
    assert_ne!(master.derive("k1").render(), other.derive("k1").render());
    assert!(SigningMasterKey::parse("ab").is_err());
    assert!(SigningMasterKey::parse(&"zz".repeat(32)).is_err());
    assert_eq!(format!("{master:?}"), "SigningMasterKey(<redacted>)");
    assert_eq!(format!("{:?}", master.derive("k1")), "HmacSecret(<redacted>)");
}

#[test]
fn structured_fields_round_trip_and_refuse_what_rfc_8941_refuses() {
    let parsed = parse_dictionary(r#"a=1, b="x\"y";p=?0, c, d=(1 tok :AAE=:);q=-2.50"#).unwrap();
    assert_eq!(parsed.len(), 4);
    assert!(matches!(&parsed[2].1, Member::Item(i) if i.bare == BareItem::Boolean(true)));
    assert!(
        matches!(&parsed[3].1, Member::InnerList(items, params) if items.len() == 3 && params[0].1 == BareItem::Decimal("-2.5".to_owned()))
    );
    for bad in ["A=1", "a=1,", "a=\"\u{e9}\"", "a=1234567890123456", "a=:=:x", "a=(1", "a=?2", "a=1.2345"] {
        assert!(parse_dictionary(bad).is_err(), "{bad:?}");
    }
}

fn signed(
    method: &str,
    authority: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> (Vec<(String, String)>, SignedFields) {
    let secret = HmacSecret::from_bytes([7; 32]);
    let headers = vec![("x-uncovered".to_owned(), "a".to_owned())];
    let message = Message { method, authority, path, query, headers: &headers };
    let params = SignParams { keyid: "k", alg: SigningAlgorithm::HmacSha256, created: 1, nonce: "n" };
    let fields = sign_request(&message, Some(body), params, |base| secret.sign(base));
    (headers, fields)
}

/// Whether the fields verify for the request as the server sees it (body hashed by the server).
fn verifies(
    fields: &SignedFields,
    method: &str,
    authority: &str,
    path: &str,
    query: &str,
    body: &[u8],
    headers: &[(String, String)],
) -> bool {
    let secret = HmacSecret::from_bytes([7; 32]);
    let mut headers = headers.to_vec();
    if let Some(digest) = &fields.content_digest {
        headers.push(("content-digest".to_owned(), digest.clone()));
        if sha256_of_field(digest) != Ok(sha256(body)) {
            return false;
        }
    } else if !body.is_empty() {
        return false;
    }
    let Ok(input) = SignatureInput::select(&fields.signature_input, &fields.signature) else { return false };
    let message = Message { method, authority, path, query, headers: &headers };
    let Ok(base) = signature_base(&input, &message) else { return false };
    secret.verify(base.as_bytes(), input.signature())
}

proptest! {
    #[test]
    fn any_change_to_a_covered_component_fails_and_an_uncovered_header_does_not(
        method in "(GET|POST|PUT)",
        path in "/[a-z0-9/]{0,12}",
        query in "[a-z0-9=&]{0,12}",
        body in proptest::collection::vec(any::<u8>(), 1..40),
        which in 0usize..5,
        extra in "[ -~]{1,8}",
        uncovered in "[a-z0-9]{0,8}",
    ) {
        let authority = "api.example.com";
        let (headers, fields) = signed(&method, authority, &path, &query, &body);
        prop_assert!(verifies(&fields, &method, authority, &path, &query, &body, &headers));
        let (mut m, mut a, mut p, mut q, mut b) = (method.clone(), authority.to_owned(), path.clone(), query.clone(), body.clone());
        match which {
            0 => m.push_str(&extra),
            1 => a.push_str(&extra.to_ascii_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "x")),
            2 => p.push_str(&extra),
            3 => q.push_str(&extra),
            _ => b[0] ^= 1,
        }
        prop_assert!(!verifies(&fields, &m, &a, &p, &q, &b, &headers), "component {} changed", which);
        let changed = vec![("x-uncovered".to_owned(), uncovered), ("x-added".to_owned(), extra)];
        prop_assert!(verifies(&fields, &method, authority, &path, &query, &body, &changed), "uncovered headers changed");
    }
}
