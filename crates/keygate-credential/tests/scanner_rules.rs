//! The secret-scanner rules shipped in `docs/scanning/` (gitleaks and trufflehog), read from their
//! files and proved: each rule's regex is this crate's `SCANNER_REGEX`, finds every generated token
//! wherever it sits, finds none of the near misses, and its entropy threshold passes every real token
//! and stops placeholders.
//!
//! gitleaks and trufflehog use Go's RE2. The regex keeps to what RE2 and Rust's `regex` read alike
//! (classes, `{n,m}`, `(?:…)`, `|`, `\b`), and it is compiled here with Unicode off, because RE2's
//! `\b` is an ASCII word boundary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::sync::LazyLock;

use keygate_credential::{Token, TokenPrefix, SCANNER_REGEX};
use keygate_domain::Environment;
use proptest::prelude::*;
use regex::{Regex, RegexBuilder};

/// One scanner's rule, as read from its file.
struct Rule {
    file: &'static str,
    regex: Regex,
    pattern: String,
    keywords: Vec<String>,
    entropy: f64,
}

static RULES: LazyLock<[Rule; 2]> = LazyLock::new(|| [gitleaks(), trufflehog()]);

fn read(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/scanning").join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn compile(file: &str, pattern: &str) -> Regex {
    RegexBuilder::new(pattern).unicode(false).build().unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn gitleaks() -> Rule {
    let file = "gitleaks.toml";
    let doc: toml_edit::DocumentMut = read(file).parse().unwrap();
    assert_eq!(doc["extend"]["useDefault"].as_bool(), Some(true), "{file}: adds to gitleaks' default rules");
    let rules = doc["rules"].as_array_of_tables().expect("[[rules]]");
    let rule =
        rules.iter().find(|r| r.get("id").and_then(|i| i.as_str()) == Some("keygate-api-key")).expect("the rule");
    assert!(rule.get("description").and_then(|d| d.as_str()).is_some_and(|d| !d.is_empty()), "{file}: description");
    assert!(rule.get("secretGroup").is_none(), "{file}: the reported secret is the whole token");
    let pattern = rule["regex"].as_str().expect("regex").to_owned();
    let keywords = rule["keywords"].as_array().expect("keywords").iter().map(|k| k.as_str().unwrap().to_owned());
    Rule {
        file,
        regex: compile(file, &pattern),
        pattern,
        keywords: keywords.collect(),
        entropy: rule["entropy"].as_float().expect("entropy"),
    }
}

fn trufflehog() -> Rule {
    let file = "trufflehog.yaml";
    let root = yaml::parse(&read(file));
    let detector =
        root.get("detectors").items().iter().find(|d| d.get("name").text() == "keygate-api-key").expect("the detector");
    assert!(!detector.get("description").text().is_empty(), "{file}: description");
    let regexes = detector.get("regex").entries();
    assert_eq!(regexes.len(), 1, "{file}: one named regex, so each match is one token");
    let verifiers = detector.get("verify").items();
    assert!(!verifiers.is_empty(), "{file}: a verifier");
    for verify in verifiers {
        let endpoint = verify.get("endpoint").text();
        let unsafe_ = verify.get("unsafe").text();
        assert!(["true", "false"].contains(&unsafe_), "{file}: unsafe is a boolean");
        // trufflehog refuses a plain-http endpoint unless `unsafe` is set.
        assert!(endpoint.starts_with("https://") || unsafe_ == "true", "{file}: http needs unsafe");
        for header in verify.get("headers").items() {
            assert!(header.text().contains(": "), "{file}: headers read `Name: value`");
        }
    }
    let pattern = regexes[0].1.text().to_owned();
    Rule {
        file,
        regex: compile(file, &pattern),
        pattern,
        keywords: detector.get("keywords").items().iter().map(|k| k.text().to_owned()).collect(),
        entropy: detector.get("entropy").text().parse().expect("entropy is a number"),
    }
}

/// Shannon entropy in bits per character, as gitleaks and trufflehog compute it.
fn entropy(text: &str) -> f64 {
    let mut counts = std::collections::HashMap::<char, u32>::new();
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let n = f64::from(u32::try_from(text.chars().count()).unwrap());
    counts.values().map(|&c| f64::from(c) / n).map(|p| -p * p.log2()).sum()
}

fn token(env: Environment, prefix: &str) -> String {
    Token::generate(env).to_plain(&TokenPrefix::parse(prefix).unwrap()).expose().to_owned()
}

/// Where a token turns up: bare, in a shell export, in JSON, in a header, after a non-ASCII letter.
fn contexts(token: &str) -> Vec<String> {
    vec![
        token.to_owned(),
        format!("export KEYGATE_KEY={token}\n"),
        format!("{{\"key\": \"{token}\", \"tenant_id\": \"acme\"}}"),
        format!("curl -H 'Authorization: Bearer {token}' https://api.example/v1\r\n"),
        format!("é{token}é"),
    ]
}

/// Every rule finds exactly `token` in each context, and keeps it: a keyword is present and the
/// entropy clears the threshold.
fn assert_found(token: &str) {
    for rule in RULES.iter() {
        for text in contexts(token) {
            let found: Vec<&str> = rule.regex.find_iter(&text).map(|m| m.as_str()).collect();
            assert_eq!(found, [token], "{}: in {text:?}", rule.file);
        }
        let lower = token.to_ascii_lowercase();
        assert!(rule.keywords.iter().any(|k| lower.contains(k.as_str())), "{}: no keyword in {token}", rule.file);
        assert!(entropy(token) > rule.entropy, "{}: {token} scores {}", rule.file, entropy(token));
    }
}

fn assert_missed(text: &str, why: &str) {
    for rule in RULES.iter() {
        for context in contexts(text) {
            assert!(!rule.regex.is_match(&context), "{}: {why}: matched {context:?}", rule.file);
        }
    }
}

#[test]
fn both_files_state_the_crates_scanner_regex() {
    for rule in RULES.iter() {
        assert_eq!(rule.pattern, SCANNER_REGEX, "{}", rule.file);
        // No capture group: the tools then report (and entropy-check) the whole token.
        assert_eq!(rule.regex.captures_len(), 1, "{}", rule.file);
        assert_eq!(rule.keywords, ["_live_1", "_test_1"], "{}", rule.file);
    }
    assert!((RULES[0].entropy - RULES[1].entropy).abs() < f64::EPSILON, "one threshold for both tools");
}

#[test]
fn every_prefix_length_environment_and_token_kind_is_found() {
    for len in 2..=16 {
        let prefix: String = "k".chars().chain("0a1b2c3d4e5f6g7h".chars()).take(len).collect();
        for env in Environment::ALL {
            assert_found(&token(env, &prefix));
        }
    }
    // Operator tokens, service credentials and invitations, from the default and the longest
    // configurable (11-character) key prefix.
    for base in ["kg", "abcdefghijk"] {
        for kind in ["op", "svc", "opinv"] {
            assert_found(&token(Environment::Live, &format!("{base}{kind}")));
        }
    }
}

#[test]
fn the_least_varied_legal_prefix_still_clears_the_entropy_threshold_with_room_to_spare() {
    // 16 of one letter is the prefix that lowers a token's entropy most.
    let scores: Vec<f64> = (0..2_000)
        .map(|i| {
            let token = token(Environment::ALL[i % 2], "aaaaaaaaaaaaaaaa");
            assert_found(&token);
            entropy(&token)
        })
        .collect();
    let n = f64::from(u32::try_from(scores.len()).unwrap());
    let mean = scores.iter().sum::<f64>() / n;
    let sd = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
    // About 5.02 and 0.09: the threshold must sit at least eight standard deviations below the mean,
    // so that no real token, however unlucky its draw, is dropped as a placeholder.
    for rule in RULES.iter() {
        assert!(
            rule.entropy <= mean - 8.0 * sd,
            "{}: threshold {} too close to {mean:.2} (sd {sd:.3})",
            rule.file,
            rule.entropy
        );
    }
}

#[test]
fn placeholders_of_the_right_shape_fall_below_the_entropy_threshold() {
    let bodies = [
        "x".repeat(72),
        "0".repeat(72),
        "X".repeat(72),
        "0123456789".repeat(8)[..72].to_owned(),
        "abcdefghij".repeat(8)[..72].to_owned(),
    ];
    for prefix in ["kg", "kgop", "kgsvc", "kgopinv"] {
        for body in &bodies {
            let text = format!("{prefix}_live_1{body}");
            for rule in RULES.iter() {
                assert!(rule.regex.is_match(&text), "{}: the shape matches: {text}", rule.file);
                assert!(entropy(&text) <= rule.entropy, "{}: {text} scores {}", rule.file, entropy(&text));
            }
        }
    }
}

/// A valid prefix of any length from 2 to 16.
fn prefixes() -> impl Strategy<Value = String> {
    (2usize..=16).prop_flat_map(|len| proptest::string::string_regex(&format!("[a-z][a-z0-9]{{{}}}", len - 1)).unwrap())
}

fn environments() -> impl Strategy<Value = Environment> {
    prop::sample::select(Environment::ALL.to_vec())
}

const NOT_BASE62: &[char] = &['-', '+', '/', '=', '.', '_', '~', ' ', 'é', '\u{0}'];

proptest! {
    #[test]
    fn generated_tokens_are_found_wherever_they_sit(prefix in prefixes(), env in environments()) {
        assert_found(&token(env, &prefix));
    }

    #[test]
    fn two_tokens_on_one_line_are_found_apart(a in prefixes(), b in prefixes(), env in environments()) {
        let (a, b) = (token(env, &a), token(env, &b));
        let text = format!("OLD={a} NEW={b}");
        for rule in RULES.iter() {
            let found: Vec<&str> = rule.regex.find_iter(&text).map(|m| m.as_str()).collect();
            prop_assert_eq!(found, [a.as_str(), b.as_str()], "{}", rule.file);
        }
    }

    #[test]
    fn near_misses_are_not_found(
        prefix in prefixes(),
        env in environments(),
        at in 0usize..72,
        bad in prop::sample::select(NOT_BASE62),
        upper in any::<prop::sample::Index>(),
        digit in proptest::char::range('0', '9'),
        version in proptest::string::string_regex("[02-9A-Za-z]").unwrap(),
        wrong_env in prop::sample::select(vec!["prod", "dev", "Live", "TEST", "tes", "lives", "stage"]),
        tail in proptest::string::string_regex("[0-9A-Za-z]{1,8}").unwrap(),
        head in proptest::string::string_regex("[A-Z0-9][0-9A-Za-z]{0,7}").unwrap(),
        pad in proptest::string::string_regex("[a-z0-9]{15}").unwrap(),
    ) {
        let good = token(env, &prefix);
        let body = &good[good.len() - 72..];
        let env = env.as_str();
        let with = |prefix: &str, env: &str, version: &str, body: &str| format!("{prefix}_{env}_{version}{body}");

        assert_missed(&with(&prefix, env, "1", &body[..71]), "71-character body");
        assert_missed(&with(&prefix, env, "1", &format!("{body}{}", &tail[..1])), "73-character body");
        let mut broken: Vec<char> = body.chars().collect();
        broken[at] = bad;
        let broken: String = broken.into_iter().collect();
        assert_missed(&with(&prefix, env, "1", &broken), "non-base62 character in the body");

        let mut shouting: Vec<char> = prefix.chars().collect();
        let i = upper.index(shouting.len());
        shouting[i] = shouting[i].to_ascii_uppercase();
        if shouting[i].is_ascii_uppercase() {
            assert_missed(&with(&shouting.into_iter().collect::<String>(), env, "1", body), "uppercase in the prefix");
        }
        assert_missed(&with(&format!("{digit}{}", &prefix[1..]), env, "1", body), "prefix starting with a digit");
        assert_missed(&with(&prefix[..1], env, "1", body), "one-character prefix");
        let long = format!("{prefix}{pad}");
        assert_missed(&with(&long[..17], env, "1", body), "17-character prefix");
        assert_missed(&with(&prefix, wrong_env, "1", body), "unknown environment");
        assert_missed(&with(&prefix, env, &version, body), "another format version");

        assert_missed(&format!("{good}{tail}"), "longer alphanumeric run after");
        assert_missed(&format!("{head}{good}"), "alphanumeric run before");
        assert_missed(&format!("{}{good}", &pad[..17 - prefix.len()]), "run before making the prefix 17 long");
        assert_missed(&format!("{head}{good}{tail}"), "inside a longer alphanumeric run");
    }
}

/// Just enough YAML to read `trufflehog.yaml`: block mappings and sequences by indentation, scalars on
/// one line (plain, single-quoted, or double-quoted without escapes) and whole-line comments. Anything
/// else panics, so the file cannot drift into a form this test would misread.
mod yaml {
    pub enum Node {
        Map(Vec<(String, Node)>),
        Seq(Vec<Node>),
        Scalar(String),
    }

    impl Node {
        pub fn get(&self, key: &str) -> &Node {
            let found = self.entries().iter().find(|(k, _)| k == key);
            found.map_or_else(|| panic!("no `{key}`"), |(_, v)| v)
        }

        pub fn entries(&self) -> &[(String, Node)] {
            match self {
                Node::Map(entries) => entries,
                _ => panic!("not a mapping"),
            }
        }

        pub fn items(&self) -> &[Node] {
            match self {
                Node::Seq(items) => items,
                _ => panic!("not a sequence"),
            }
        }

        pub fn text(&self) -> &str {
            match self {
                Node::Scalar(text) => text,
                _ => panic!("not a scalar"),
            }
        }
    }

    struct Line {
        indent: usize,
        text: String,
    }

    pub fn parse(source: &str) -> Node {
        assert!(!source.contains('\t'), "no tabs in YAML");
        let mut lines: Vec<Line> = source
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(|l| Line { indent: l.len() - l.trim_start().len(), text: l.trim().to_owned() })
            .collect();
        let mut at = 0;
        let root = block(&mut lines, &mut at);
        assert_eq!(at, lines.len(), "unread YAML from {:?}", lines.get(at).map(|l| &l.text));
        root
    }

    fn block(lines: &mut [Line], at: &mut usize) -> Node {
        let indent = lines[*at].indent;
        if is_item(&lines[*at].text) {
            sequence(lines, at, indent)
        } else {
            mapping(lines, at, indent)
        }
    }

    fn is_item(text: &str) -> bool {
        text == "-" || text.starts_with("- ")
    }

    fn sequence(lines: &mut [Line], at: &mut usize, indent: usize) -> Node {
        let mut items = Vec::new();
        while *at < lines.len() && lines[*at].indent == indent && is_item(&lines[*at].text) {
            let rest = lines[*at].text[1..].trim_start().to_owned();
            let shift = lines[*at].text.len() - rest.len();
            if entry(&rest).is_some() {
                // `- key: value` opens a mapping indented as far as `key`.
                lines[*at] = Line { indent: indent + shift, text: rest };
                items.push(mapping(lines, at, indent + shift));
            } else {
                *at += 1;
                items.push(Node::Scalar(scalar(&rest)));
            }
        }
        Node::Seq(items)
    }

    fn mapping(lines: &mut [Line], at: &mut usize, indent: usize) -> Node {
        let mut entries = Vec::new();
        while *at < lines.len() && lines[*at].indent == indent && !is_item(&lines[*at].text) {
            let (key, value) =
                entry(&lines[*at].text).unwrap_or_else(|| panic!("not `key: value`: {}", lines[*at].text));
            *at += 1;
            let node = if value.is_empty() {
                assert!(lines.get(*at).is_some_and(|l| l.indent > indent), "`{key}` has no value");
                block(lines, at)
            } else {
                Node::Scalar(scalar(&value))
            };
            entries.push((key, node));
        }
        assert!(lines.get(*at).is_none_or(|l| l.indent < indent), "bad indentation at {:?}", lines[*at].text);
        Node::Map(entries)
    }

    /// `key: value` or `key:` with a plain key.
    fn entry(text: &str) -> Option<(String, String)> {
        let (key, value) = text.split_once(':')?;
        let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        (plain && (value.is_empty() || value.starts_with(' '))).then(|| (key.to_owned(), value.trim().to_owned()))
    }

    fn scalar(text: &str) -> String {
        if let Some(inner) = text.strip_prefix('\'') {
            let inner = inner.strip_suffix('\'').expect("single-quoted scalar closes on its line");
            assert!(!inner.replace("''", "").contains('\''), "stray quote in {text}");
            inner.replace("''", "'")
        } else if let Some(inner) = text.strip_prefix('"') {
            let inner = inner.strip_suffix('"').expect("double-quoted scalar closes on its line");
            assert!(!inner.contains(['\\', '"']), "no escapes in double-quoted scalars here: {text}");
            inner.to_owned()
        } else {
            assert!(
                !text.contains(" #") && !text.starts_with(['[', '{', '&', '*', '!', '|', '>']),
                "unsupported: {text}"
            );
            text.to_owned()
        }
    }
}
