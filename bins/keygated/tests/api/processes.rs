//! keygated as real processes on one PostgreSQL database: killed with SIGKILL in the middle of a burst
//! of writes, two processes under concurrent load, and a graceful stop with SIGTERM.
//!
//! Each test makes a fresh database on `KEYGATE_TEST_DATABASE_URL`'s server (and skips without it) and
//! runs the binary with `KEYGATE_ADMIN_TOKEN` set, so the token survives a restart.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use keygate_store::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::child::{random, report, Http, Keygated};
use crate::helpers::Operators;

/// Few connections per process: several tests share the machine's PostgreSQL.
const SETTINGS: [(&str, &str); 1] = [("KEYGATE_DATABASE_CONNECTIONS", "4")];

/// What the burst was told, answer by answer.
#[derive(Default)]
struct Ledger {
    /// Keys whose creation was acknowledged (201).
    created: Vec<String>,
    /// Keys whose approval was acknowledged (200).
    approved: Vec<String>,
    /// Spends of 1.00 acknowledged (200, valid).
    spends: u32,
    /// Requests that got no answer because the process died under them.
    unanswered_creations: u32,
    unanswered_spends: u32,
    /// Answers no request should get.
    unexpected: Vec<String>,
}

/// Creates keys and approves each, until the process stops answering.
async fn create_and_approve(http: Http, ops: Arc<Operators>, worker: usize, ledger: Arc<Mutex<Ledger>>) {
    for i in 0..10_000 {
        let body = json!({"name": format!("burst-{worker}-{i}"), "scopes": ["a:read"]});
        let id = match http.call(Method::POST, &ops.keys(), Some(&ops.maker), Some(body)).await {
            Ok(reply) if reply.status == StatusCode::CREATED => reply.body["key"]["id"].as_str().unwrap().to_owned(),
            Ok(reply) => return ledger.lock().unwrap().unexpected.push(format!("create: {:?}", reply.body)),
            Err(_) => return ledger.lock().unwrap().unanswered_creations += 1,
        };
        ledger.lock().unwrap().created.push(id.clone());
        let approve = format!("{}/approve", ops.key(&id));
        match http.call(Method::POST, &approve, Some(&ops.checker), Some(json!({}))).await {
            Ok(reply) if reply.status == StatusCode::OK => ledger.lock().unwrap().approved.push(id),
            Ok(reply) => return ledger.lock().unwrap().unexpected.push(format!("approve: {:?}", reply.body)),
            Err(_) => return,
        }
    }
}

/// Spends 1.00 from the wallet key, until the process stops answering.
async fn spend(http: Http, wallet: Arc<String>, ledger: Arc<Mutex<Ledger>>) {
    for _ in 0..100_000 {
        match http.verify(json!({"key": *wallet, "amount": "1.00", "currency": "XOF"})).await {
            Ok(reply) if reply.status == StatusCode::OK && reply.body["valid"] == true => {
                ledger.lock().unwrap().spends += 1;
            }
            Ok(reply) => return ledger.lock().unwrap().unexpected.push(format!("spend: {:?}", reply.body)),
            Err(_) => return ledger.lock().unwrap().unanswered_spends += 1,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_mid_burst_loses_no_acknowledged_write_and_half_applies_nothing() {
    let Some(db) = TestDatabase::create().await else { return };
    let mut first = Keygated::start(Some(db.url()), &SETTINGS).await;
    let ops = Arc::new(first.http.tenant("acme", json!({})).await);
    let wallet_limits = json!({"currency": "XOF", "daily_volume": "1000000.00"});
    let (wallet_id, wallet) =
        first.http.active_key(&ops, json!({"name": "wallet", "scopes": ["a:read"], "limits": wallet_limits})).await;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let wallet = Arc::new(wallet);
    let mut workers = Vec::new();
    for worker in 0..2 {
        workers.push(tokio::spawn(create_and_approve(first.http.clone(), ops.clone(), worker, ledger.clone())));
        workers.push(tokio::spawn(spend(first.http.clone(), wallet.clone(), ledger.clone())));
    }

    // Act: SIGKILL at a moment that differs from run to run, while writes are in flight.
    tokio::time::sleep(Duration::from_millis(400 + random() % 400)).await;
    first.kill();
    let finished = tokio::time::timeout(Duration::from_secs(20), join_all(workers)).await;
    assert!(finished.is_ok(), "the burst stopped after the kill");
    let second = Keygated::start(Some(db.url()), &SETTINGS).await;
    let http = &second.http;

    // Assert: every acknowledged write is there, nothing is half there, the money adds up.
    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    assert!(ledger.unexpected.is_empty(), "answers before the kill: {:?}", ledger.unexpected);
    assert!(!ledger.approved.is_empty() && ledger.spends > 0, "the burst wrote something before the kill");
    let keys: HashMap<String, String> = http
        .all_keys(&ops)
        .await
        .into_iter()
        .map(|k| (k["id"].as_str().unwrap().to_owned(), k["state"].as_str().unwrap().to_owned()))
        .collect();
    for id in &ledger.created {
        assert!(keys.contains_key(id), "acknowledged creation of {id} survived");
    }
    for id in &ledger.approved {
        assert_eq!(keys[id], "active", "acknowledged approval of {id} survived");
    }
    let audit = http.audit_log(&ops).await;
    let actions = |id: &str| -> Vec<&str> {
        audit.iter().filter(|(key, _)| key.as_deref() == Some(id)).map(|(_, a)| a.as_str()).collect()
    };
    for (id, state) in &keys {
        let actions = actions(id);
        assert_eq!(
            actions.iter().filter(|a| **a == "key.requested").count(),
            1,
            "{id} was requested once: {actions:?}"
        );
        let approvals = actions.iter().filter(|a| **a == "key.approved").count();
        let expected = usize::from(state == "active");
        assert_eq!(approvals, expected, "{id} is {state} with {approvals} approvals in the audit log: {actions:?}");
    }
    let audited: HashSet<&str> = audit.iter().filter_map(|(key, _)| key.as_deref()).collect();
    assert!(audited.iter().all(|id| keys.contains_key(*id)), "no audit entry about a key that is not there");
    let (_, spent) = http.usage_totals(&ops, &wallet_id).await;
    let acknowledged = Decimal::from(ledger.spends);
    let unanswered = Decimal::from(ledger.unanswered_spends);
    // A spend whose answer the kill swallowed may or may not have committed; nothing else may differ.
    assert!(
        spent >= acknowledged && spent <= acknowledged + unanswered && spent.fract().is_zero(),
        "spent {spent}, acknowledged {acknowledged}, unanswered {unanswered}"
    );
    report(&format!(
        "sigkill: acknowledged {} creations, {} approvals, {} spends of 1.00; unanswered {} creations, {} spends; \
         after the restart {} keys, spent {spent}",
        ledger.created.len(),
        ledger.approved.len(),
        ledger.spends,
        ledger.unanswered_creations,
        ledger.unanswered_spends,
        keys.len()
    ));
    drop(second);
    db.drop_database().await;
}

/// Sends every request at once, alternating between the two processes; returns the replies in order.
async fn on_both(processes: [&Http; 2], requests: Vec<(Method, String, Option<String>, Value)>) -> Vec<Outcome> {
    join_all(requests.into_iter().enumerate().map(|(i, (method, path, token, body))| async move {
        let http = processes[i % 2];
        http.call(method, &path, token.as_deref(), Some(body))
            .await
            .map(|r| (r.status, r.body))
            .map_err(|e| e.to_string())
    }))
    .await
}

type Outcome = Result<(StatusCode, Value), String>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_database_share_limits_dual_control_and_revocations() {
    let Some(db) = TestDatabase::create().await else { return };
    let a = Keygated::start(Some(db.url()), &SETTINGS).await;
    let b = Keygated::start(Some(db.url()), &SETTINGS).await;
    let both = [&a.http, &b.http];
    let ops = a.http.tenant("acme", json!({})).await;

    // Daily volume: 80 spends of 1.00 at once, half on each process, against a limit of 50.00.
    let limits = json!({"currency": "XOF", "daily_volume": "50.00"});
    let (till_id, till) =
        a.http.active_key(&ops, json!({"name": "till", "scopes": ["a:read"], "limits": limits})).await;
    let spend = json!({"key": till, "amount": "1.00", "currency": "XOF"});
    let replies =
        on_both(both, (0..80).map(|_| (Method::POST, "/v1/verify".to_owned(), None, spend.clone())).collect()).await;
    let codes: Vec<String> = replies
        .iter()
        .map(|r| match r {
            Ok((StatusCode::OK, body)) if body["valid"] == true => "OK".to_owned(),
            Ok((StatusCode::OK, body)) => body["code"].as_str().unwrap_or("?").to_owned(),
            other => format!("{other:?}"),
        })
        .collect();
    let count = |code: &str| codes.iter().filter(|c| *c == code).count();
    assert_eq!((count("OK"), count("DAILY_VOLUME_EXCEEDED")), (50, 30), "exactly the limit is spent: {codes:?}");
    assert_eq!(a.http.usage_totals(&ops, &till_id).await.1, Decimal::from(50), "spent in the store");

    // One idempotency key sent 50 times at once, half on each process: one spend, 50 identical verdicts.
    let (retried_id, retried) = a
        .http
        .active_key(
            &ops,
            json!({"name": "retried", "scopes": ["a:read"], "limits": {"currency": "XOF", "daily_volume": "100"}}),
        )
        .await;
    let retry = json!({"key": retried, "amount": "7", "currency": "XOF", "idempotency_key": "payout-42"});
    // One gateway (one service credential, valid on both processes) retrying: a retry is the same
    // request from the same caller.
    let gateway = Some(a.http.service.clone());
    let requests = (0..50).map(|_| (Method::POST, "/v1/verify".to_owned(), gateway.clone(), retry.clone()));
    let replies = on_both(both, requests.collect()).await;
    let spends: std::collections::BTreeSet<String> = replies
        .iter()
        .map(|r| match r {
            Ok((StatusCode::OK, body)) if body["valid"] == true => body["spend_id"].as_str().unwrap_or("?").to_owned(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(spends.len(), 1, "every reply names the one spend: {spends:?}");
    assert_eq!(a.http.usage_totals(&ops, &retried_id).await.1, Decimal::from(7), "spent once in the store");

    // Dual control: 16 approvals at once of one pending key, 8 on each process, by two checkers.
    let mut raced = Vec::new();
    for round in 0..4 {
        let created =
            a.http.post(&ops.keys(), &ops.maker, json!({"name": format!("raced-{round}"), "scopes": ["a:read"]})).await;
        let id = created.body["key"]["id"].as_str().unwrap().to_owned();
        let checkers = [&ops.checker, &ops.checker2];
        let approvals = (0..16)
            .map(|i| (Method::POST, format!("{}/approve", ops.key(&id)), Some(checkers[i / 2 % 2].clone()), json!({})))
            .collect();
        assert_one_wins(&on_both(both, approvals).await, &format!("approval of {id}"));
        raced.push((id, "key.approved"));
    }
    // And the second step of a revocation.
    let (revoked_id, _) = a.http.active_key(&ops, json!({"name": "raced-revocation", "scopes": ["a:read"]})).await;
    let asked = a.http.post(&format!("{}/revoke", ops.key(&revoked_id)), &ops.maker, json!({"reason": "race"})).await;
    assert_eq!(asked.status, StatusCode::OK, "{:?}", asked.body);
    let approvals = (0..16)
        .map(|i| {
            let checker = if i / 2 % 2 == 0 { &ops.checker } else { &ops.checker2 };
            (Method::POST, format!("{}/revocation/approve", ops.key(&revoked_id)), Some(checker.clone()), json!({}))
        })
        .collect();
    assert_one_wins(&on_both(both, approvals).await, "revocation approval");
    raced.push((revoked_id, "key.revoked"));
    let audit = a.http.audit_log(&ops).await;
    for (id, action) in &raced {
        let n = audit.iter().filter(|(key, a)| key.as_deref() == Some(id) && a == action).count();
        assert_eq!(n, 1, "{action} of {id} is in the audit log once");
    }

    // Revocations reach the other process within 1 s, both ways.
    for (maker_side, other) in [(&a.http, &b.http), (&b.http, &a.http)] {
        let (id, secret) =
            maker_side.active_key(&ops, json!({"name": format!("revoked-{}", other.base), "scopes": ["a:read"]})).await;
        let reach = revocation_reaches(&ops, maker_side, other, &id, &secret).await;
        assert!(reach < Duration::from_secs(1), "the other process refused the revoked key after {reach:?}");
        report(&format!("two processes: a revocation on one was refused by the other after {reach:?}"));
    }
    suspensions_reach_the_other_process([&a.http, &b.http], &ops).await;
    // An operator disabled on one process is refused on the other at its next call (operator tokens are
    // read from the store on every call: the bound is zero, tighter than a key revocation's).
    assert_eq!(b.http.get("/v1/tenants/acme/keys", &ops.auditor).await.status, StatusCode::OK, "works on B before");
    let listed = a.http.get("/v1/tenants/acme/operators", &ops.admin).await;
    let audrey = listed.body["items"].as_array().unwrap().iter().find(|o| o["name"] == "Audrey").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let disabled = a
        .http
        .post(&format!("/v1/tenants/acme/operators/{audrey}/disable"), &ops.admin, json!({"reason": "left"}))
        .await;
    assert_eq!(disabled.body["operator"]["state"], "disabled", "{:?}", disabled.body);
    let started = Instant::now();
    let refused = b.http.get("/v1/tenants/acme/keys", &ops.auditor).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "disabled on A, refused on B: {:?}", refused.body);
    report(&format!(
        "two processes: an operator disabled on one was refused by the other {:?} later",
        started.elapsed()
    ));
    drop((a, b));
    db.drop_database().await;
}

fn assert_one_wins(replies: &[Outcome], what: &str) {
    let statuses: Vec<String> = replies
        .iter()
        .map(|r| r.as_ref().map_or_else(Clone::clone, |(status, body)| format!("{} {}", status.as_u16(), body["code"])))
        .collect();
    let won = replies.iter().filter(|r| matches!(r, Ok((StatusCode::OK, _)))).count();
    let lost = replies.iter().filter(|r| matches!(r, Ok((StatusCode::CONFLICT, _)))).count();
    assert_eq!((won, lost), (1, replies.len() - 1), "{what}: one 200, the rest 409: {statuses:?}");
}

/// Caches `secret` on `other`, revokes it through `maker_side` (request and approval), and returns how
/// long after the approval's answer `other` first refused it. Fails if it accepts it after that.
pub(crate) async fn revocation_reaches(
    ops: &Operators,
    maker_side: &Http,
    other: &Http,
    id: &str,
    secret: &str,
) -> Duration {
    let ask = json!({"key": secret});
    for http in [other, other, maker_side] {
        let reply = http.verify(ask.clone()).await.unwrap();
        assert_eq!(reply.body["valid"], true, "the key works (and is cached) before: {:?}", reply.body);
    }
    let asked = maker_side.post(&format!("{}/revoke", ops.key(id)), &ops.maker, json!({"reason": "retired"})).await;
    assert_eq!(asked.body["state"], "revocation_pending", "{:?}", asked.body);
    let approved = maker_side.post(&format!("{}/revocation/approve", ops.key(id)), &ops.checker, json!({})).await;
    assert_eq!(approved.body["state"], "revoked", "{:?}", approved.body);
    let revoked_at = Instant::now();
    assert_eq!(maker_side.verify(ask.clone()).await.unwrap().body["code"], "REVOKED", "refused where it was revoked");
    for _ in 0..300 {
        let reply = other.verify(ask.clone()).await.unwrap();
        if reply.body["valid"] == false {
            let reach = revoked_at.elapsed();
            assert_eq!(reply.body["code"], "REVOKED", "{:?}", reply.body);
            for _ in 0..5 {
                assert_eq!(other.verify(ask.clone()).await.unwrap().body["code"], "REVOKED", "refused for good");
            }
            return reach;
        }
        if revoked_at.elapsed() > Duration::from_secs(3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the other process still accepted the key {:?} after its revocation", revoked_at.elapsed());
}

/// Suspensions reach the other process as revocations do, in one step by one person: ten of them,
/// alternating sides, each within a second (the figures are printed; the bench measures them).
async fn suspensions_reach_the_other_process(both: [&Http; 2], ops: &Operators) {
    let mut reaches = Vec::new();
    for round in 0..10 {
        let (maker_side, other) = (both[round % 2], both[(round + 1) % 2]);
        let (id, secret) =
            maker_side.active_key(ops, json!({"name": format!("suspended-{round}"), "scopes": ["a:read"]})).await;
        reaches.push(suspension_reaches(ops, maker_side, other, &id, &secret).await);
    }
    reaches.sort_unstable();
    assert!(
        reaches[reaches.len() - 1] < Duration::from_secs(1),
        "every suspension reached the other process: {reaches:?}"
    );
    report(&format!(
        "two processes: a suspension on one was refused as SUSPENDED by the other after p50 {:?}, max {:?} (10 runs)",
        reaches[reaches.len() / 2],
        reaches[reaches.len() - 1]
    ));
}

/// Caches `secret` on `other`, suspends it through `maker_side` (one call, by a checker), and returns how
/// long after the suspension's answer `other` first refused it as `SUSPENDED`.
async fn suspension_reaches(ops: &Operators, maker_side: &Http, other: &Http, id: &str, secret: &str) -> Duration {
    let ask = json!({"key": secret});
    for http in [other, other, maker_side] {
        assert_eq!(http.verify(ask.clone()).await.unwrap().body["valid"], true, "the key works (and is cached) before");
    }
    let suspended = maker_side.post(&format!("{}/suspend", ops.key(id)), &ops.checker, json!({"reason": "leak"})).await;
    assert_eq!(suspended.body["state"], "suspended", "{:?}", suspended.body);
    let at = Instant::now();
    for _ in 0..600 {
        let reply = other.verify(ask.clone()).await.unwrap();
        if reply.body["valid"] == false {
            assert_eq!(reply.body["code"], "SUSPENDED", "{:?}", reply.body);
            return at.elapsed();
        }
        if at.elapsed() > Duration::from_secs(3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("the other process still accepted the key {:?} after its suspension", at.elapsed());
}

/// A request written up to the middle of its body; the rest is sent later.
struct HalfSent {
    stream: TcpStream,
    rest: Vec<u8>,
}

fn half_send(addr: &str, path: &str, token: Option<&str>, body: &Value) -> HalfSent {
    let body = body.to_string().into_bytes();
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let half = body.len() / 2;
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..half]).unwrap();
    HalfSent { stream, rest: body[half..].to_vec() }
}

impl HalfSent {
    /// Sends the rest and reads the whole answer.
    fn finish(mut self) -> String {
        self.stream.write_all(&self.rest).unwrap();
        let mut answer = Vec::new();
        self.stream.read_to_end(&mut answer).expect("answer read");
        String::from_utf8_lossy(&answer).into_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_finish_flushes_usage_and_exits_0() {
    let Some(db) = TestDatabase::create().await else { return };
    let mut server = Keygated::start(Some(db.url()), &SETTINGS).await;
    let ops = server.http.tenant("acme", json!({})).await;
    let (id, secret) = server.http.active_key(&ops, json!({"name": "busy", "scopes": ["a:read"]})).await;
    for _ in 0..40 {
        assert_eq!(server.http.verify(json!({"key": secret})).await.unwrap().body["valid"], true);
    }
    let addr = server.http.base.trim_start_matches("http://").to_owned();
    let service = server.http.service.clone();
    let (keys, maker, verify) = (ops.keys(), ops.maker.clone(), json!({"key": secret}));
    let create = json!({"name": "made-during-shutdown", "scopes": ["a:read"]});
    let in_flight = tokio::task::spawn_blocking(move || {
        let mut requests: Vec<HalfSent> =
            (0..3).map(|_| half_send(&addr, "/v1/verify", Some(&service), &verify)).collect();
        requests.push(half_send(&addr, &keys, Some(&maker), &create));
        requests
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Act: SIGTERM while four requests are half received.
    server.terminate();
    let terminated = Instant::now();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let answers = tokio::task::spawn_blocking(move || in_flight.into_iter().map(HalfSent::finish).collect::<Vec<_>>())
        .await
        .unwrap();
    let status = server.wait_exit(Duration::from_secs(15)).await;
    let exited = terminated.elapsed();

    // Assert: they finished, the process exited 0, and their usage was written.
    for answer in &answers[..3] {
        assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("\"valid\":true"), "verify in flight: {answer}");
    }
    assert!(answers[3].starts_with("HTTP/1.1 201"), "creation in flight: {}", answers[3]);
    assert_eq!(status.code(), Some(0), "exit status after SIGTERM:\n{}", server.output());
    let restarted = Keygated::start(Some(db.url()), &SETTINGS).await;
    let (requests, _) = restarted.http.usage_totals(&ops, &id).await;
    assert_eq!(
        requests,
        43,
        "every verification is counted after the restart; the stopped process said:\n{}",
        server.output()
    );
    let made = restarted.http.all_keys(&ops).await;
    assert!(made.iter().any(|k| k["name"] == "made-during-shutdown"), "the creation in flight is stored");
    report(&format!("sigterm: 4 in-flight requests finished; exit 0 after {exited:?}; 43 of 43 verifications counted"));
    drop(restarted);
    db.drop_database().await;
}
