//! Webhooks delivered by real keygated processes on one PostgreSQL database: two processes deliver
//! each event once between them, and a change committed by a process killed with SIGKILL before it
//! delivered is delivered by the next one.
//!
//! Each test makes a fresh database on `KEYGATE_TEST_DATABASE_URL`'s server (and skips without it).

use std::collections::HashMap;
use std::time::Duration;

use keygate_store::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;

use crate::child::{Http, Keygated};
use crate::helpers::Operators;
use crate::receiver::Receiver;
use crate::webhooks::KEY;

/// Settings of a process that delivers to loopback: `poll_ms` between looks at the queue.
fn settings(poll_ms: &'static str) -> [(&'static str, &'static str); 5] {
    [
        ("KEYGATE_DATABASE_CONNECTIONS", "4"),
        ("KEYGATE_WEBHOOK_KEY", KEY),
        ("KEYGATE_WEBHOOK_ALLOW_HTTP", "true"),
        ("KEYGATE_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("KEYGATE_WEBHOOK_POLL_MS", poll_ms),
    ]
}

/// An endpoint for every event at `receiver`, asked by one admin and approved by the other: its id.
async fn hook(http: &Http, ops: &Operators, receiver: &Receiver) -> String {
    let path = format!("/v1/tenants/{}/webhooks", ops.tenant);
    let created = http.post(&path, &ops.admin, json!({"url": receiver.url, "events": ["*"]})).await;
    assert_eq!(created.status, StatusCode::CREATED, "registered: {:?}", created.body);
    let id = created.body["webhook"]["id"].as_str().unwrap().to_owned();
    let approved = http.post(&format!("{path}/{id}/approve"), &ops.admin2, json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "approved: {:?}", approved.body);
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_deliver_each_event_once_between_them() {
    let Some(db) = TestDatabase::create().await else { return };
    let first = Keygated::start(Some(db.url()), &settings("20")).await;
    let second = Keygated::start(Some(db.url()), &settings("20")).await;
    let ops = first.http.tenant("twice", json!({})).await;
    let receiver = Receiver::start(&[]).await;
    let id = hook(&first.http, &ops, &receiver).await;
    let test = format!("/v1/tenants/{}/webhooks/{id}/test", ops.tenant);
    let events = 40;
    for i in 0..events {
        let http = if i % 2 == 0 { &first.http } else { &second.http };
        assert_eq!(http.post(&test, &ops.admin, json!({})).await.status, StatusCode::ACCEPTED, "test event {i}");
    }
    receiver.wait_for(events, |_| true).await;
    // Long enough for a second delivery of any of them to arrive, had one been made.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut per_event: HashMap<String, usize> = HashMap::new();
    for received in receiver.received() {
        *per_event.entry(received.id).or_default() += 1;
    }
    assert_eq!(per_event.len(), events, "every event arrived");
    assert!(per_event.values().all(|n| *n == 1), "none twice: {per_event:?}");
    drop((first, second));
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_committed_before_a_sigkill_is_delivered_after_restart() {
    let Some(db) = TestDatabase::create().await else { return };
    // This process looks at the queue once at start, then not for a minute: what it commits after
    // start is still undelivered when it is killed.
    let mut doomed = Keygated::start(Some(db.url()), &settings("60000")).await;
    let ops = doomed.http.tenant("killed", json!({})).await;
    let receiver = Receiver::start(&[]).await;
    hook(&doomed.http, &ops, &receiver).await;
    let (key, _) = doomed.http.active_key(&ops, json!({"name": "announced", "scopes": ["a:read"]})).await;
    doomed.kill();
    assert!(receiver.received().is_empty(), "nothing delivered before the kill");
    let next = Keygated::start(Some(db.url()), &settings("20")).await;
    let got = receiver.wait_for(2, |r| r.json()["data"]["key_id"] == key.as_str()).await;
    let types: Vec<String> = got.iter().map(|r| r.json()["type"].as_str().unwrap().to_owned()).collect();
    assert!(types.contains(&"key.created".to_owned()) && types.contains(&"key.approved".to_owned()), "{types:?}");
    drop(next);
    db.drop_database().await;
}
