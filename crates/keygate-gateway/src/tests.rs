#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;

use crate::*;

const TABLE: &str = r#"
[[route]]
method = "GET"
path = "/api/v1/distributors/{tenant}/balance"
scopes = ["balance:read"]

[[route]]
method = "GET"
path = "/api/v1/distributors/{tenant}/{report}"
scopes = ["reports:read"]

[[route]]
method = "POST"
path = "/api/v1/distributors/{tenant}/shops/{account}/cash-out"
scopes = ["payments:write"]
environment = "live"
amount_header = "X-Amount"
currency_header = "X-Currency"
account_param = "account"

[[route]]
method = "GET"
path = "/status"
tenant = "acme"
"#;

fn no_headers(_: &str) -> Option<&'static str> {
    None
}

fn resolve<'t>(table: &'t RouteTable, method: &str, path: &str) -> Result<Resolved<'t>, Refusal> {
    let original = Original {
        method: method.to_owned(),
        path: path.to_owned(),
        query: String::new(),
        convention: Convention::Envoy,
    };
    table.resolve(&original, no_headers)
}

#[test]
fn each_gateways_headers_name_the_original_request_and_a_half_pair_is_refused() {
    let headers = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    };
    let nginx =
        original(headers(&[("x-original-method", "POST"), ("x-original-uri", "/a/b?x=1")]), "GET", "", "").unwrap();
    assert_eq!((nginx.method.as_str(), nginx.path.as_str(), nginx.convention), ("POST", "/a/b", Convention::Nginx));
    assert_eq!(nginx.query, "x=1", "the query is kept for a signature to cover");
    let traefik =
        original(headers(&[("x-forwarded-method", "DELETE"), ("x-forwarded-uri", "/c")]), "GET", "", "").unwrap();
    assert_eq!(
        (traefik.method.as_str(), traefik.path.as_str(), traefik.convention),
        ("DELETE", "/c", Convention::Traefik)
    );
    let envoy = original(no_headers, "PUT", "/api/v1/x", "a=1").unwrap();
    assert_eq!(envoy.query, "a=1", "Envoy's query is the request's own");
    assert_eq!((envoy.method.as_str(), envoy.path.as_str(), envoy.convention), ("PUT", "/api/v1/x", Convention::Envoy));
    assert_eq!(original(no_headers, "GET", "", "").unwrap().path, "/");
    let nginx_first = original(
        headers(&[
            ("x-original-method", "GET"),
            ("x-original-uri", "/n"),
            ("x-forwarded-method", "POST"),
            ("x-forwarded-uri", "/t"),
        ]),
        "PUT",
        "/e",
        "",
    )
    .unwrap();
    assert_eq!(nginx_first.path, "/n", "nginx's pair wins over Traefik's and the request's own");
    assert_eq!(
        original(headers(&[("x-original-uri", "/n")]), "GET", "/e", ""),
        Err(OriginalError::Half("x-original-uri", "x-original-method")),
        "half a pair is refused, never replaced by the next convention"
    );
    assert_eq!(
        original(headers(&[("x-forwarded-method", "GET"), ("x-forwarded-uri", "http://evil/x")]), "GET", "", ""),
        Err(OriginalError::BadUri("x-forwarded-uri"))
    );
    for method in ["G T", "post"] {
        let sent = [("x-original-method", method), ("x-original-uri", "/")];
        let lookup = |name: &str| sent.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        assert_eq!(
            original(lookup, "GET", "", ""),
            Err(OriginalError::BadMethod("x-original-method")),
            "{method:?}: methods are case-sensitive"
        );
    }
    assert_eq!(
        original(headers(&[("x-original-method", "GET"), ("x-original-uri", "/a#/b")]), "GET", "", ""),
        Err(OriginalError::BadUri("x-original-uri")),
        "a request target has no fragment"
    );
}

#[test]
fn the_most_specific_route_of_the_method_matches_and_says_what_it_needs() {
    let table = RouteTable::parse(TABLE).unwrap();
    let balance = resolve(&table, "GET", "/api/v1/distributors/acme/balance").unwrap();
    assert_eq!(balance.route.unwrap().line, 2, "the literal segment wins over {{report}}, whatever the order");
    assert_eq!(balance.context.tenant.unwrap().as_str(), "acme");
    assert_eq!(balance.context.required_scopes, [keygate_domain::Scope::parse("balance:read").unwrap()]);
    let report = resolve(&table, "GET", "/api/v1/distributors/acme/daily").unwrap();
    assert_eq!(report.route.unwrap().line, 7);
    assert_eq!(
        resolve(&table, "POST", "/api/v1/distributors/acme/balance").unwrap_err().code(),
        "NO_ROUTE",
        "a method mismatch matches nothing"
    );
    let fixed = resolve(&table, "GET", "/status").unwrap();
    assert_eq!(fixed.context.tenant.unwrap().as_str(), "acme", "a fixed tenant");
    assert!(fixed.context.required_scopes.is_empty());
    assert_eq!(
        resolve(&table, "GET", "/api/v1/distributors/Not%20A%20Tenant/balance").unwrap_err().code(),
        "WRONG_TENANT"
    );
}

#[test]
fn a_money_route_needs_its_amount_and_currency_and_reads_its_account() {
    let table = RouteTable::parse(TABLE).unwrap();
    let original = |p: &str| Original {
        method: "POST".into(),
        path: p.into(),
        query: String::new(),
        convention: Convention::Nginx,
    };
    let path = "/api/v1/distributors/acme/shops/shop-7/cash-out";
    let with = |amount: Option<&'static str>, currency: Option<&'static str>| {
        move |name: &str| match name {
            "x-amount" => amount,
            "x-currency" => currency,
            _ => None,
        }
    };
    let ok = table.resolve(&original(path), with(Some("12.50"), Some("XOF"))).unwrap();
    let money = ok.context.amount.unwrap();
    assert_eq!((money.amount.to_string(), money.currency.unwrap().to_string()), ("12.50".into(), "XOF".into()));
    assert_eq!(ok.context.account_id.unwrap().as_str(), "shop-7");
    assert_eq!(ok.context.environment, Some(keygate_domain::Environment::Live));
    for (amount, currency, header) in
        [(None, Some("XOF"), "x-amount"), (Some("-3"), Some("XOF"), "x-amount"), (Some("1"), None, "x-currency")]
    {
        let refused = table.resolve(&original(path), with(amount, currency)).unwrap_err();
        assert_eq!(refused, Refusal::AmountRequired { header: header.into() }, "{amount:?} {currency:?}");
        assert_eq!(refused.code(), "AMOUNT_REQUIRED");
    }
}

#[test]
fn a_path_not_in_normal_form_matches_nothing_and_unlisted_routes_follow_the_default() {
    let table = RouteTable::parse(TABLE).unwrap();
    for path in [
        "/api/v1/distributors/acme/balance/",
        "/api/v1/distributors/acme/balance;jsessionid=1",
        "/api/v1/distributors/acme/balance%3Bx",
        "/api/v1/distributors/acme/x/../balance",
        "/api/v1/distributors/acme/./balance",
        "/api/v1//distributors/acme/balance",
        "/api/v1/distributors/acme%2Fother/balance",
        "/api/v1/distributors/acme/%2e%2e",
        "/api/v1/distributors/acme\\balance",
    ] {
        assert_eq!(resolve(&table, "GET", path).unwrap_err().code(), "NO_ROUTE", "{path}");
    }
    let open = RouteTable::parse(&format!("default = \"authenticate\"\n{TABLE}")).unwrap();
    let unlisted = resolve(&open, "GET", "/anything").unwrap();
    assert!(unlisted.route.is_none() && unlisted.context == keygate_policy::RequestContext::default());
    assert_eq!(resolve(&open, "GET", "/api/v1/distributors/acme/balance").unwrap().route.unwrap().line, 3);
    // Not the fallback's either: a spelling an upstream may take for a listed route is refused.
    for path in [
        "/api/v1/distributors/acme/balance/",
        "/api/v1/distributors/acme/./balance",
        "/api/v1/distributors/acme/balance;x",
        "/API/v1/distributors/acme/balance",
        "/api/v1/distributors/acme/shops/s1/Cash-Out",
    ] {
        let method = if path.ends_with("Cash-Out") { "POST" } else { "GET" };
        assert_eq!(resolve(&open, method, path).unwrap_err().code(), "NO_ROUTE", "{path} under authenticate");
    }
    // A parameter does not stand in for its literal sibling spelled in another case.
    assert_eq!(resolve(&table, "GET", "/api/v1/distributors/acme/BALANCE").unwrap_err(), Refusal::CaseVariant);
    assert_eq!(resolve(&table, "GET", "/api/v1/distributors/acme/Daily").unwrap().route.unwrap().line, 7);
}

#[test]
fn table_errors_name_their_line() {
    let cases = [
        ("[[route]]\nmethod = \"GET\"\npath = \"/a\"\nscopes = [\"nope\"]\n", 4, "scope"),
        ("[[route]]\nmethod = \"get\"\npath = \"/a\"\n", 2, "upper-case"),
        ("[[route]]\nmethod = \"GET\"\npath = \"a/b\"\n", 3, "starts with /"),
        ("[[route]]\nmethod = \"GET\"\npath = \"/a/{x}/{x}\"\n", 3, "twice"),
        ("[[route]]\nmethod = \"GET\"\npath = \"/a\"\nenvironment = \"prod\"\n", 4, "test or live"),
        ("[[route]]\nmethod = \"GET\"\npath = \"/a\"\ncolour = \"red\"\n", 4, "colour"),
        ("\n\ndefault = \"allow\"\n", 3, "authenticate"),
        ("[[route]]\nmethod = \"GET\"\npath = \"/a/{id}\"\naccount_param = \"account\"\n", 4, "account_param"),
        ("[[route]]\nmethod = \"GET\"\npath = \"/t/{tenant}\"\ntenant = \"acme\"\n", 4, "not both"),
        (
            "[[route]]\nmethod = \"GET\"\npath = \"/a/{x}\"\n\n[[route]]\nmethod = \"GET\"\npath = \"/a/{y}\"\n",
            5,
            "line 1",
        ),
        ("[[route]]\nmethod = \"GET\"\n", 1, "path"),
    ];
    for (text, line, says) in cases {
        let error = RouteTable::parse(text).expect_err(text);
        assert_eq!(error.line, line, "{text}: {error}");
        assert!(error.to_string().contains(says), "{text}: {error}");
    }
}

proptest! {
    /// Whatever a client sends as the original path, matching answers and never panics; a path built
    /// from a pattern's literals and plain parameter values matches it and captures those values.
    #[test]
    fn matching_never_panics_and_captures_what_it_was_given(
        path in "[/a-z%.{}\\\\0-9]{0,40}",
        values in proptest::collection::vec("[a-z0-9-]{1,12}", 2),
    ) {
        let table = RouteTable::parse(TABLE).unwrap();
        let _ = resolve(&table, "GET", &path);
        let pattern = Pattern::parse("/api/{tenant}/x/{id}").unwrap();
        let built = format!("/api/{}/x/{}", values[0], values[1]);
        let captured = pattern.matches(&built).unwrap();
        prop_assert_eq!(captured, vec![("tenant", values[0].clone()), ("id", values[1].clone())]);
    }
}
