//! Unit tests of the PostgreSQL backend's pure parts (the rest runs in the conformance suite).

use super::url::redact;

#[test]
fn urls_are_shown_without_their_password() {
    let cases = [
        ("postgres://kg:s3cret@db:5432/keygate", "postgres://kg:<redacted>@db:5432/keygate", "password in user info"),
        ("postgres://kg@db/keygate", "postgres://kg@db/keygate", "no password"),
        (
            "postgres://db/keygate?user=kg&password=s3cret",
            "postgres://db/keygate?user=kg&password=<redacted>",
            "parameter",
        ),
        ("postgres://kg:p@ss:w@rd@db/x", "postgres://kg:<redacted>@db/x", "@ and : inside the password"),
        ("postgres://kg:s3cret@db", "postgres://kg:<redacted>@db", "no path"),
        ("postgres://kg:a/b?c@db/x", "postgres://kg:<redacted>@db/x", "/ and ? inside the password"),
        ("kg:s3cret@db/keygate", "<redacted>", "not a URL: hidden whole"),
    ];
    for (url, expected, why) in cases {
        assert_eq!(redact(url), expected, "{why}");
    }
}
