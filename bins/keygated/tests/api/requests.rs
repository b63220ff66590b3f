//! The request log over HTTP: every verdict about an existing key becomes a line of that key's log
//! (written behind the answer, so the tests poll the listing until it is there, within a bound), the
//! listing filters and pages, and only the tenant's readers read it.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{TestApp, ADMIN};

/// Every line of `path` (a listing with its query, without a cursor), page by page.
async fn all_lines(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let mut lines = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let page_path = match &cursor {
            Some(c) => format!("{path}{sep}limit=3&cursor={c}"),
            None => format!("{path}{sep}limit=3"),
        };
        let page = app.get(&page_path, token).await;
        assert_eq!(page.status, StatusCode::OK, "{page_path}: {:?}", page.body);
        lines.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return lines,
        }
    }
}

/// The lines of `path` once there are at least `count`: the log is written behind the answer, so this
/// asks again until they are there (10 s at most).
pub async fn await_lines(app: &TestApp, path: &str, token: &str, count: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let lines = all_lines(app, path, token).await;
        if lines.len() >= count {
            return lines;
        }
        assert!(tokio::time::Instant::now() < deadline, "{count} lines within 10 s, {} so far", lines.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn by_outcome(lines: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for line in lines {
        *counts.entry(line["outcome"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    counts
}

/// After N verifications of each outcome, the key's log holds exactly those, newest first, with what
/// was asked; outcomes naming no key are not kept; the filters and the pages agree.
pub async fn every_verdict_about_a_key_is_a_line_of_its_log(app: &TestApp) {
    let acme = app.tenant("acme", json!({"live_enabled": true})).await;
    let body = json!({"name": "till", "scopes": ["balance:read"], "limits": {"amounts": [{"currency": "XOF", "max_amount": "500"}]}});
    let (id, secret) = app.active_key(&acme, body).await;
    let (other, other_secret) = app.active_key(&acme, json!({"name": "other", "scopes": ["balance:read"]})).await;
    let wrong_secret = crate::leaks::wrong_secret(&secret);
    let unknown = keygate_credential::Token::generate(keygate_domain::Environment::Live);
    let unknown = unknown.to_plain(&keygate_credential::TokenPrefix::default()).expose().to_owned();
    let asks = [
        (3, json!({"key": secret, "required_scopes": ["balance:read"], "client_ip": "203.0.113.7"}), "OK"),
        (2, json!({"key": secret, "required_scopes": ["payouts:write"]}), "INSUFFICIENT_SCOPE"),
        (2, json!({"key": secret, "tenant_id": "globex"}), "WRONG_TENANT"),
        (1, json!({"key": secret, "amount": "900", "currency": "XOF"}), "AMOUNT_OVER_LIMIT"),
        (1, json!({"key": wrong_secret}), "NOT_FOUND"),
        (2, json!({"key": "kg_live_garbage"}), "MALFORMED"),
        (1, json!({"key": unknown}), "NOT_FOUND"),
        (1, json!({"key": other_secret}), "OK"),
    ];
    for (times, ask, code) in &asks {
        for _ in 0..*times {
            let verdict = app.verify(ask.clone()).await;
            assert_eq!(verdict["code"].as_str().unwrap_or("OK"), *code, "verdict of {ask}");
        }
    }
    let key_log = format!("{}/requests", acme.key(&id));
    let lines = await_lines(app, &key_log, &acme.auditor, 9).await;
    let expected: BTreeMap<String, usize> =
        [("OK", 3), ("INSUFFICIENT_SCOPE", 2), ("WRONG_TENANT", 2), ("AMOUNT_OVER_LIMIT", 1), ("NOT_FOUND", 1)]
            .into_iter()
            .map(|(c, n)| (c.to_owned(), n))
            .collect();
    assert_eq!(by_outcome(&lines), expected, "exactly the key's verdicts; the malformed tokens name no key");
    assert!(lines.iter().all(|l| l["key_id"] == id.as_str()), "every line is the key's");
    let newest_first: Vec<&str> = lines.iter().map(|l| l["at"].as_str().unwrap()).collect();
    assert!(newest_first.windows(2).all(|w| w[0] >= w[1]), "newest first: {newest_first:?}");
    let first = lines.iter().rev().find(|l| l["outcome"] == "OK").unwrap();
    assert_eq!(
        (&first["status"], &first["client_ip"], &first["required_scopes"], &first["service"].is_string()),
        (&json!(200), &json!("203.0.113.7"), &json!(["balance:read"]), &true),
        "what was asked, and by which service"
    );
    let over = lines.iter().find(|l| l["outcome"] == "AMOUNT_OVER_LIMIT").unwrap();
    assert_eq!(
        (&over["status"], &over["amount"], &over["currency"]),
        (&json!(403), &json!("900"), &json!("XOF")),
        "money"
    );

    let tenant_log = format!("/v1/tenants/{}/requests", acme.tenant);
    let everything = await_lines(app, &tenant_log, &acme.maker, 10).await;
    assert_eq!(everything.len(), 10, "the tenant's log: both keys' lines");
    let filtered = [
        (format!("{tenant_log}?key_id={other}"), 1, "the other key"),
        (format!("{tenant_log}?outcome=OK"), 4, "by outcome"),
        (format!("{key_log}?outcome=WRONG_TENANT"), 2, "a key's, by outcome"),
    ];
    for (path, count, what) in filtered {
        assert_eq!(all_lines(app, &path, &acme.checker).await.len(), count, "{what}");
    }
    // `from` is inclusive and `to` exclusive: split at the fifth-newest line's instant.
    let at = everything[4]["at"].as_str().unwrap().replace('+', "%2B");
    let from = all_lines(app, &format!("{tenant_log}?from={at}"), &acme.admin).await.len();
    let to = all_lines(app, &format!("{tenant_log}?to={at}"), &acme.admin).await.len();
    assert_eq!(from + to, 10, "from and to split the log ({from} + {to})");
    assert!(from >= 5, "the lines at or after the fifth-newest: {from}");
}

/// Only the tenant's readers read its log; a key without `api-keys:read` and another tenant's
/// operator are refused before the query is read, and a bound integrator key sees only its own
/// environment's keys' lines.
pub async fn only_the_tenants_readers_read_its_request_log(app: &TestApp) {
    let acme = app.tenant("acme", json!({"live_enabled": true, "dual_control": false})).await;
    let globex = app.tenant("globex", json!({})).await;
    let (live, live_secret) =
        app.create_key(&acme, json!({"name": "live", "scopes": ["balance:read"], "environment": "live"})).await;
    let (_, reader) = app.create_key(&acme, json!({"name": "reader", "scopes": ["api-keys:read"]})).await;
    let (_, writer_only) = app.create_key(&acme, json!({"name": "payer", "scopes": ["balance:read"]})).await;
    app.verify(json!({"key": live_secret})).await;
    let log = format!("/v1/tenants/{}/requests", acme.tenant);
    assert_eq!(await_lines(app, &log, &acme.auditor, 1).await.len(), 1, "the auditor reads the line");
    assert_eq!(all_lines(app, &log, ADMIN).await.len(), 1, "and the system admin");
    let refused = [
        (log.clone(), writer_only.as_str(), StatusCode::FORBIDDEN, "a key without api-keys:read"),
        (format!("{log}?outcome=NOPE"), writer_only.as_str(), StatusCode::FORBIDDEN, "before its query is read"),
        (log.clone(), globex.auditor.as_str(), StatusCode::FORBIDDEN, "another tenant's auditor"),
        (format!("{log}?outcome=NOPE"), acme.auditor.as_str(), StatusCode::BAD_REQUEST, "an unknown outcome"),
        (format!("{log}?cursor=k123"), acme.auditor.as_str(), StatusCode::BAD_REQUEST, "a foreign cursor"),
        (format!("{log}?from=yesterday"), acme.auditor.as_str(), StatusCode::BAD_REQUEST, "an instant that is not one"),
        (
            format!("{}/requests", acme.key("Ky9Pf34qY6Nb3wWD25RQ4F")),
            acme.auditor.as_str(),
            StatusCode::NOT_FOUND,
            "no such key",
        ),
        (
            format!("{}/requests", acme.key(&live)),
            reader.as_str(),
            StatusCode::NOT_FOUND,
            "a key of another environment",
        ),
    ];
    for (path, token, status, what) in refused {
        let reply = app.get(&path, token).await;
        assert_eq!(reply.status, status, "{what}: {:?}", reply.body);
        assert!(!reply.body.to_string().contains("\"items\""), "{what}: no lines");
    }
    assert!(all_lines(app, &log, &reader).await.is_empty(), "a test-environment key sees no live key's line");
}
