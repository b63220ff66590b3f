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

mod database_url {
    use proptest::prelude::*;

    use crate::pg::hosts::{DatabaseUrl, TargetSession, UrlError};

    /// The hosts as `host[:port]`, the single-host URLs sqlx gets, and the target.
    fn parts(url: &DatabaseUrl) -> (Vec<String>, Vec<String>, TargetSession) {
        let hosts = url.hosts().iter().map(ToString::to_string).collect();
        let singles = (0..url.hosts().len()).filter_map(|i| url.host_url(i)).collect();
        (hosts, singles, url.target())
    }

    /// A URL, its hosts, the single-host URLs sqlx gets, the target, and why the case is there.
    type Case = (&'static str, &'static [&'static str], &'static [&'static str], TargetSession, &'static str);

    #[test]
    fn libpq_multi_host_urls_become_one_sqlx_url_per_host() {
        let cases: [Case; 6] = [
            (
                "postgres://kg@h1:5432,h2:5433/keygate?target_session_attrs=read-write",
                &["h1:5432", "h2:5433"],
                &["postgres://kg@h1:5432/keygate", "postgres://kg@h2:5433/keygate"],
                TargetSession::ReadWrite,
                "the issue's example",
            ),
            (
                "postgresql://kg:s3cret@a,b:6000/db?sslmode=require&target_session_attrs=any&application_name=x",
                &["a", "b:6000"],
                &[
                    "postgresql://kg:s3cret@a/db?sslmode=require&application_name=x",
                    "postgresql://kg:s3cret@b:6000/db?sslmode=require&application_name=x",
                ],
                TargetSession::Any,
                "other parameters kept in order, target taken out, a port only on some",
            ),
            (
                "postgres://kg@db/keygate",
                &["db"],
                &["postgres://kg@db/keygate"],
                TargetSession::ReadWrite,
                "one host: read-write by default",
            ),
            (
                "postgres://[::1]:5432,[fe80::1]/k",
                &["[::1]:5432", "[fe80::1]"],
                &["postgres://[::1]:5432/k", "postgres://[fe80::1]/k"],
                TargetSession::ReadWrite,
                "IPv6 in brackets",
            ),
            (
                "postgres:///keygate?host=/run/postgresql",
                &[""],
                &["postgres:///keygate?host=/run/postgresql"],
                TargetSession::ReadWrite,
                "no host: a socket folder as a parameter, left to sqlx",
            ),
            (
                "postgres://kg:p@ss@h1,h2",
                &["h1", "h2"],
                &["postgres://kg:p@ss@h1", "postgres://kg:p@ss@h2"],
                TargetSession::ReadWrite,
                "an @ in the password: the last one ends the user info",
            ),
        ];
        for (url, hosts, singles, target, why) in cases {
            let parsed = DatabaseUrl::parse(url).unwrap_or_else(|e| panic!("{why}: {e}"));
            let hosts: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
            let singles: Vec<String> = singles.iter().map(|h| (*h).to_owned()).collect();
            assert_eq!(parts(&parsed), (hosts, singles, target), "{why}");
            for single in (0..parsed.hosts().len()).filter_map(|i| parsed.host_url(i)) {
                assert!(single.parse::<sqlx::postgres::PgConnectOptions>().is_ok(), "{why}: sqlx reads {single}");
            }
        }
    }

    #[test]
    fn bad_urls_are_refused_by_name_without_the_password() {
        let cases = [
            ("mysql://kg:s3cret@h/db", UrlError::Scheme, "another scheme"),
            ("kg:s3cret@h/db", UrlError::Scheme, "no scheme"),
            ("postgres://kg:s3cret@h1,,h2/db", UrlError::EmptyHost, "an empty entry"),
            ("postgres://kg:s3cret@h1,/db", UrlError::EmptyHost, "a trailing comma"),
            ("postgres://kg:s3cret@h1:0/db", UrlError::Port, "port 0"),
            ("postgres://kg:s3cret@h1:65536/db", UrlError::Port, "port too big"),
            ("postgres://kg:s3cret@h1:+5/db", UrlError::Port, "a signed port"),
            ("postgres://kg:s3cret/x@h1/db", UrlError::Port, "an unescaped / in the password: not echoed"),
            ("postgres://kg:s3cret@h1:/db", UrlError::Port, "an empty port"),
            ("postgres://kg:s3cret@[::1/db", UrlError::Bracket, "an unclosed bracket"),
            ("postgres://kg:s3cret@[::1]x/db", UrlError::Bracket, "text after the bracket"),
            ("postgres://kg:s3cret@::1/db", UrlError::Colon, "IPv6 without brackets"),
            (
                "postgres://kg:s3cret@h/db?target_session_attrs=standby",
                UrlError::TargetSession("standby".to_owned()),
                "a target keygate cannot use",
            ),
        ];
        for (url, expected, why) in cases {
            let error = DatabaseUrl::parse(url).expect_err(why);
            assert_eq!(error, expected, "{why}");
            assert!(!error.to_string().contains("s3cret"), "{why}: {error}");
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://kg:s3cret@h1,h2/db?password=s3cret").unwrap();
        let shown = format!("{url:?}");
        assert!(!shown.contains("s3cret") && shown.contains("h1,h2"), "{shown}");
    }

    fn host() -> impl Strategy<Value = String> {
        let name = prop_oneof![
            "[a-z][a-z0-9.-]{0,20}",
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
            "\\[[0-9a-f:]{2,20}\\]",
        ];
        (name, proptest::option::of(1u16..)).prop_map(|(n, p)| p.map_or(n.clone(), |p| format!("{n}:{p}")))
    }

    proptest! {
        #[test]
        fn written_hosts_and_parameters_come_back(
            hosts in proptest::collection::vec(host(), 1..5),
            user in proptest::option::of("[a-z]{1,8}(:[A-Za-z0-9%]{1,12})?"),
            database in proptest::option::of("[a-z_]{1,12}"),
            params in proptest::collection::vec("[a-z_]{1,10}=[a-z0-9/-]{0,10}", 0..4),
            target in proptest::option::of(prop_oneof![Just(TargetSession::Any), Just(TargetSession::ReadWrite)]),
        ) {
            prop_assume!(params.iter().all(|p| !p.starts_with("target_session_attrs=")));
            let mut query = params.clone();
            if let Some(target) = target {
                query.push(format!("target_session_attrs={}", if target == TargetSession::Any { "any" } else { "read-write" }));
            }
            let url = format!(
                "postgres://{}{}{}{}",
                user.as_ref().map_or(String::new(), |u| format!("{u}@")),
                hosts.join(","),
                database.as_ref().map_or(String::new(), |d| format!("/{d}")),
                if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) },
            );
            let parsed = DatabaseUrl::parse(&url).map_err(|e| TestCaseError::fail(format!("{url}: {e}")))?;
            let (got_hosts, singles, got_target) = parts(&parsed);
            prop_assert_eq!(&got_hosts, &hosts);
            prop_assert_eq!(got_target, target.unwrap_or(TargetSession::ReadWrite));
            let query_tail = if params.is_empty() { String::new() } else { format!("?{}", params.join("&")) };
            for (single, host) in singles.iter().zip(&hosts) {
                let at_host = format!("@{host}");
                let bare = format!("postgres://{host}");
                prop_assert!(single.contains(&at_host) || single.starts_with(&bare), "{} for {}", single, host);
                prop_assert!(!single.contains("target_session_attrs"), "{}", single);
                prop_assert!(single.ends_with(&query_tail), "{}", single);
            }
            // Written back and read again, it is the same URL.
            prop_assert_eq!(DatabaseUrl::parse(&parsed.to_string()), Ok(parsed));
        }

        #[test]
        fn any_text_is_parsed_or_refused_never_a_panic(text in "\\PC{0,80}", tail in "[@,:/?\\[\\]=&a-z0-9]{0,40}") {
            for candidate in [text.clone(), format!("postgres://{text}"), format!("postgres://{tail}")] {
                if let Ok(parsed) = DatabaseUrl::parse(&candidate) {
                    prop_assert!(!parsed.hosts().is_empty());
                    prop_assert_eq!(DatabaseUrl::parse(&parsed.to_string()), Ok(parsed));
                }
            }
        }
    }
}
