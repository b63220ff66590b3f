//! The database fails over under load: a primary with a synchronous standby, both owned by the test
//! (`own_postgres`), and two keygated processes given both hosts in one `KEYGATE_DATABASE_URL`
//! (`target_session_attrs=read-write`), the standby first, so they must pass over it to start. While the processes take spends and key approvals, the
//! primary is killed (`pg_ctl stop -m immediate`) and, after a gap with no primary, the standby is
//! promoted (`pg_ctl promote`).
//!
//! It checks what an operator relies on: every spend and approval acknowledged is there after the
//! failover, none twice; while no primary exists nothing is answered `valid` or `ready` but a cached key
//! without an amount (everything else is 503 `STORE_UNAVAILABLE`); both processes serve again within
//! [`RECOVERY_LIMIT`] of the promotion without a restart; a revocation approved afterwards reaches
//! both. The figures (promotion to the first valid spend per process, refusals during the gap) are
//! printed. It skips, like `faults`, without PostgreSQL's binaries unless `KEYGATE_TEST_DATABASE_URL`
//! is set (as in CI).

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::json;

use crate::child::{report, Http, Keygated};
use crate::helpers::{Operators, Reply};
use crate::own_postgres::OwnPostgres;
use crate::processes::revocation_reaches;

/// How long both processes may take, after the promotion, to give a valid spend again.
const RECOVERY_LIMIT: Duration = Duration::from_secs(10);
/// How long the cluster has no primary: long enough for every process to notice and refuse.
const GAP: Duration = Duration::from_millis(1500);
/// Load before the kill and after the recovery.
const STEADY: Duration = Duration::from_millis(800);

/// A primary whose commits wait for its standby, and the standby.
struct Cluster {
    primary: OwnPostgres,
    standby: OwnPostgres,
}

impl Cluster {
    /// `None` (the test skips) as `OwnPostgres::start`.
    fn start() -> Option<Self> {
        // `*`: the first standby that connects is the synchronous one. A commit is acknowledged only
        // once the standby has flushed it (`synchronous_commit = on`).
        let primary = OwnPostgres::start_with("synchronous_standby_names = '*'\nsynchronous_commit = on")?;
        // The standby copies the primary's settings: without clearing this, once promoted it would wait
        // on every commit for a standby of its own that does not exist.
        let standby = OwnPostgres::standby_of(&primary, "synchronous_standby_names = ''");
        let deadline = Instant::now() + Duration::from_secs(30);
        while primary.psql("SELECT sync_state FROM pg_stat_replication") != "sync" {
            assert!(Instant::now() < deadline, "the standby did not become synchronous within 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self { primary, standby })
    }

    /// Both hosts as libpq writes them, the standby first: keygated must pass over it while it is
    /// read-only, and come back to it once it is promoted.
    fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/postgres?target_session_attrs=read-write",
            self.standby.port(),
            self.primary.port()
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A verification spending 1.00 with an idempotency key of its own: always a store round trip.
    Spend,
    /// A key created by the maker.
    Create,
    /// That key approved by the checker.
    Approve,
    /// A verification without amount of a key both processes verified before the failover.
    CachedVerify,
    /// `GET /readyz`.
    Readiness,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Acknowledged: the spend's or key's id (empty for reads).
    Acknowledged(String),
    /// 503 problem+json `STORE_UNAVAILABLE`: failed closed.
    Refused,
    /// Anything else: never expected.
    Unexpected(String),
}

struct Answer {
    process: usize,
    kind: Kind,
    sent: Instant,
    received: Instant,
    outcome: Outcome,
}

type Log = Arc<Mutex<Vec<Answer>>>;

/// What came back; `acknowledged` picks the id out of a success.
fn classify(reply: Result<Reply, reqwest::Error>, acknowledged: impl Fn(&Reply) -> Option<String>) -> Outcome {
    let reply = match reply {
        Ok(reply) => reply,
        Err(error) => return Outcome::Unexpected(format!("no answer: {error}")),
    };
    if let Some(id) = acknowledged(&reply) {
        return Outcome::Acknowledged(id);
    }
    let problem = reply
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/problem+json"));
    if reply.status == StatusCode::SERVICE_UNAVAILABLE && problem && reply.body["code"] == "STORE_UNAVAILABLE" {
        Outcome::Refused
    } else {
        Outcome::Unexpected(format!("{} {}", reply.status, reply.body))
    }
}

/// Writes down one answer.
fn note(log: &Log, process: usize, kind: Kind, sent: Instant, outcome: Outcome) {
    log.lock().unwrap().push(Answer { process, kind, sent, received: Instant::now(), outcome });
}

/// One process's steady load until `stop`: spends, key creations with their approvals, and probes.
async fn load(
    process: usize,
    http: Http,
    ops: Arc<Operators>,
    keys: Arc<(String, String)>,
    log: Log,
    stop: Arc<AtomicBool>,
) {
    let spends = async {
        for n in 0.. {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let (wallet, _) = &*keys;
            let body = json!({"key": wallet, "amount": "1.00", "currency": "XOF", "idempotency_key": format!("p{process}-{n}")});
            let sent = Instant::now();
            let outcome = classify(http.verify(body).await, |r| {
                (r.status == StatusCode::OK && r.body["valid"] == true).then(|| r.body["spend_id"].to_string())
            });
            note(&log, process, Kind::Spend, sent, outcome);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    let approvals = async {
        for n in 0.. {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let body = json!({"name": format!("load-{process}-{n}"), "scopes": ["a:read"]});
            let sent = Instant::now();
            let created = http.call(Method::POST, &ops.keys(), Some(&ops.maker), Some(body)).await;
            let outcome = classify(created, |r| {
                (r.status == StatusCode::CREATED).then(|| r.body["key"]["id"].as_str().unwrap_or("?").to_owned())
            });
            note(&log, process, Kind::Create, sent, outcome.clone());
            let Outcome::Acknowledged(id) = outcome else {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            let sent = Instant::now();
            let approve = format!("{}/approve", ops.key(&id));
            let approved = http.call(Method::POST, &approve, Some(&ops.checker), Some(json!({}))).await;
            let outcome =
                classify(approved, |r| (r.status == StatusCode::OK && r.body["state"] == "active").then(|| id.clone()));
            note(&log, process, Kind::Approve, sent, outcome);
        }
    };
    let probes = async {
        while !stop.load(Ordering::Relaxed) {
            let (_, cached) = &*keys;
            let sent = Instant::now();
            let verified = http.verify(json!({"key": cached})).await;
            let outcome =
                classify(verified, |r| (r.status == StatusCode::OK && r.body["valid"] == true).then(String::new));
            note(&log, process, Kind::CachedVerify, sent, outcome);
            let sent = Instant::now();
            let ready = http.call(Method::GET, "/readyz", None, None).await;
            note(
                &log,
                process,
                Kind::Readiness,
                sent,
                classify(ready, |r| (r.status == StatusCode::OK).then(String::new)),
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::join!(spends, approvals, probes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_to_a_synchronous_standby_loses_nothing_acknowledged_and_both_processes_follow_it() {
    let Some(cluster) = tokio::task::spawn_blocking(Cluster::start).await.unwrap() else { return };
    let settings = [("KEYGATE_STORE_TIMEOUT_MS", "500"), ("KEYGATE_DATABASE_CONNECTIONS", "4")];
    let url = cluster.url();
    let processes = [Keygated::start(Some(&url), &settings).await, Keygated::start(Some(&url), &settings).await];
    let [a, b] = [&processes[0].http, &processes[1].http];
    let ops = Arc::new(a.tenant("acme", json!({})).await);
    let limits = json!({"currency": "XOF", "daily_volume": "1000000.00"});
    let (wallet_id, wallet) =
        a.active_key(&ops, json!({"name": "wallet", "scopes": ["a:read"], "limits": limits})).await;
    let (_, cached) = a.active_key(&ops, json!({"name": "cached", "scopes": ["a:read"]})).await;
    for http in [a, b] {
        assert_eq!(http.verify(json!({"key": cached})).await.unwrap().body["valid"], true, "warm on {}", http.base);
    }
    let keys = Arc::new((wallet, cached));
    let log: Log = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = [a, b]
        .into_iter()
        .enumerate()
        .map(|(i, http)| tokio::spawn(load(i, http.clone(), ops.clone(), keys.clone(), log.clone(), stop.clone())))
        .collect();
    tokio::time::sleep(STEADY).await;

    // Act: the primary's host dies; for a while there is no primary; then the standby is promoted.
    let primary = cluster.primary.ctl();
    tokio::task::spawn_blocking(move || primary.stop_immediately()).await.unwrap();
    let stopped = Instant::now();
    tokio::time::sleep(GAP).await;
    let promoting = Instant::now();
    let standby = cluster.standby.ctl();
    tokio::task::spawn_blocking(move || standby.promote()).await.unwrap();
    let promoted = Instant::now();
    let recovered = wait_for_recovery(&log, stopped, promoted, &processes).await;
    tokio::time::sleep(STEADY).await;
    stop.store(true, Ordering::Relaxed);
    let finished = tokio::time::timeout(Duration::from_secs(20), join_all(workers)).await;
    assert!(finished.is_ok(), "the load stopped");
    let answers = std::mem::take(&mut *log.lock().unwrap());

    let answers = Answers(answers);
    let (refused_in_gap, cached_in_gap) = answers.assert_failed_closed(stopped, promoting);
    let spends = assert_nothing_lost(a, &ops, &answers, &wallet_id, stopped).await;

    // Assert: revocations approved after the failover reach both processes (LISTEN on the new primary).
    let mut reach = Vec::new();
    for (maker_side, other) in [(a, b), (b, a)] {
        let (id, secret) =
            maker_side.active_key(&ops, json!({"name": format!("revoked-{}", other.base), "scopes": ["a:read"]})).await;
        reach.push(revocation_reaches(&ops, maker_side, other, &id, &secret).await);
    }

    let refused: Vec<usize> = (0..2)
        .map(|p| {
            answers.0.iter().filter(|x| x.process == p && x.sent >= stopped && x.outcome == Outcome::Refused).count()
        })
        .collect();
    report(&format!(
        "failover: acknowledged {} spends and {} approvals; the gap (kill to promotion) lasted {:?}, promotion took {:?}",
        spends,
        answers.acknowledged(Kind::Approve).len(),
        promoting - stopped,
        promoted - promoting
    ));
    for (p, (after, refused)) in recovered.iter().zip(&refused).enumerate() {
        report(&format!(
            "failover: process {p}: first valid spend {after:?} after the promotion; {refused} requests refused (503) after the kill"
        ));
    }
    report(&format!(
        "failover: during the gap {refused_in_gap} requests were refused and {cached_in_gap} verifications of a cached \
         key without amount answered valid"
    ));
    report(&format!("failover: revocations after the failover reached the other process after {reach:?}"));
    drop(processes);
    drop(cluster);
}

/// How long after `promoted` each process first acknowledged a spend it was sent after `stopped`;
/// fails after [`RECOVERY_LIMIT`].
async fn wait_for_recovery(log: &Log, stopped: Instant, promoted: Instant, processes: &[Keygated; 2]) -> [Duration; 2] {
    loop {
        let first = |p: usize| {
            log.lock()
                .unwrap()
                .iter()
                .filter(|x| x.process == p && x.kind == Kind::Spend && x.sent >= stopped)
                .filter(|x| matches!(x.outcome, Outcome::Acknowledged(_)))
                .map(|x| x.received.saturating_duration_since(promoted))
                .min()
        };
        if let (Some(a), Some(b)) = (first(0), first(1)) {
            return [a, b];
        }
        assert!(
            promoted.elapsed() < RECOVERY_LIMIT,
            "not serving again {RECOVERY_LIMIT:?} after the promotion:\n{}\n{}",
            processes[0].output(),
            processes[1].output()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every answer of the run.
struct Answers(Vec<Answer>);

impl Answers {
    /// The ids acknowledged for `kind`, in the order the answers came.
    fn acknowledged(&self, kind: Kind) -> Vec<&str> {
        self.0
            .iter()
            .filter(|x| x.kind == kind)
            .filter_map(|x| match &x.outcome {
                Outcome::Acknowledged(id) => Some(id.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Nothing but 503 as a refusal, and nothing acknowledged between the kill and the promotion but a
    /// cached key without amount. Returns the refusals in that gap and the cached answers.
    fn assert_failed_closed(&self, stopped: Instant, promoting: Instant) -> (usize, usize) {
        let unexpected: Vec<String> = self
            .0
            .iter()
            .filter_map(|x| match &x.outcome {
                Outcome::Unexpected(what) => Some(format!("{:?} on {}: {what}", x.kind, x.process)),
                _ => None,
            })
            .collect();
        assert!(unexpected.is_empty(), "answers no request should get:\n{}", unexpected.join("\n"));
        let in_gap = |x: &&Answer| x.sent >= stopped && x.received <= promoting;
        let served_in_gap: Vec<String> = self
            .0
            .iter()
            .filter(in_gap)
            .filter(|x| matches!(x.outcome, Outcome::Acknowledged(_)) && x.kind != Kind::CachedVerify)
            .map(|x| format!("{:?} on {} sent {:?} after the kill", x.kind, x.process, x.sent - stopped))
            .collect();
        assert!(served_in_gap.is_empty(), "acknowledged with no primary:\n{}", served_in_gap.join("\n"));
        let refused = self.0.iter().filter(in_gap).filter(|x| x.outcome == Outcome::Refused).count();
        assert!(refused > 0, "requests were made, and refused, during the gap");
        let cached = self
            .0
            .iter()
            .filter(in_gap)
            .filter(|x| x.kind == Kind::CachedVerify && x.outcome != Outcome::Refused)
            .count();
        (refused, cached)
    }
}

/// Every acknowledged creation, approval and spend is on the new primary, once. Returns the number of
/// spends acknowledged.
async fn assert_nothing_lost(
    http: &Http,
    ops: &Operators,
    answers: &Answers,
    wallet_id: &str,
    stopped: Instant,
) -> usize {
    let before_kill = |kind: Kind| answers.0.iter().filter(|x| x.kind == kind && x.received < stopped).count();
    assert!(before_kill(Kind::Approve) > 0 && before_kill(Kind::Spend) > 0, "writes were acknowledged before the kill");
    let spends = answers.acknowledged(Kind::Spend);
    assert_eq!(spends.iter().collect::<HashSet<_>>().len(), spends.len(), "no spend was acknowledged twice");
    let keys: BTreeMap<String, String> = http
        .all_keys(ops)
        .await
        .into_iter()
        .map(|k| (k["id"].as_str().unwrap().to_owned(), k["state"].as_str().unwrap().to_owned()))
        .collect();
    for id in answers.acknowledged(Kind::Create) {
        assert!(keys.contains_key(id), "acknowledged creation of {id} survived the failover");
    }
    for id in answers.acknowledged(Kind::Approve) {
        assert_eq!(keys[id], "active", "acknowledged approval of {id} survived the failover");
    }
    let audit = http.audit_log(ops).await;
    for (id, state) in &keys {
        let count = |action: &str| audit.iter().filter(|(k, a)| k.as_deref() == Some(id) && a == action).count();
        assert_eq!(count("key.requested"), 1, "{id} requested once");
        assert_eq!(count("key.approved"), usize::from(state == "active"), "{id} is {state}: approved once or never");
    }
    let (_, spent) = http.usage_totals(ops, wallet_id).await;
    let refused = answers.0.iter().filter(|x| x.kind == Kind::Spend && x.outcome == Outcome::Refused).count();
    // A spend refused while its commit was in flight may have committed; nothing else may differ.
    let (acked, refused) = (Decimal::from(spends.len()), Decimal::from(refused));
    assert!(
        spent >= acked && spent <= acked + refused,
        "spent {spent} in the store, {acked} spends acknowledged, {refused} refused"
    );
    spends.len()
}
