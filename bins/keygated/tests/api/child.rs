//! The real `keygated` binary as a child process: started with the environment a test chooses on a
//! free loopback port, waited for until `/healthz` answers, then killed (SIGKILL) or terminated
//! (SIGTERM) by the test. Also a small HTTP client for it and the setup every process test needs.
//!
//! It never inherits a `KEYGATE_*` variable from the test's environment (only the ones the test
//! sets), never waits without a bound, and never leaves a child running: dropping the value kills it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{Api, Operators, Reply, ADMIN};

/// Lines of output kept for failure messages.
const KEPT_LINES: usize = 400;

/// A running keygated process.
pub struct Keygated {
    child: Child,
    /// Its process id.
    pub pid: u32,
    /// Requests to it.
    pub http: Http,
    output: Arc<Mutex<VecDeque<String>>>,
}

impl Keygated {
    /// Starts keygated on the in-memory store (`database_url` `None`) or on PostgreSQL, with
    /// `KEYGATE_ADMIN_TOKEN` set to [`ADMIN`] and the extra settings `env`; returns once `/healthz`
    /// answers 200.
    pub async fn start(database_url: Option<&str>, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_keygated"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("KEYGATE_") {
                command.env_remove(name);
            }
        }
        command
            .env("KEYGATE_LISTEN", "127.0.0.1:0")
            .env("KEYGATE_ADMIN_TOKEN", ADMIN)
            .env("KEYGATE_LOG_FORMAT", "json")
            .env("KEYGATE_LOG", "keygated=info,warn")
            .env("KEYGATE_WORKERS", "2")
            .envs(database_url.map(|url| ("KEYGATE_DATABASE_URL", url)))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("keygated starts");
        let output = Arc::new(Mutex::new(VecDeque::new()));
        let stdout = child.stdout.take().expect("stdout piped");
        let stderr = child.stderr.take().expect("stderr piped");
        collect(stdout, output.clone());
        collect(stderr, output.clone());
        let pid = child.id();
        let mut process = Self { child, pid, http: Http::new(String::new()), output };
        let addr = process.wait_for_address(Duration::from_secs(30)).await;
        process.http = Http::new(format!("http://{addr}"));
        process.wait_healthy(Duration::from_secs(10)).await;
        // A service credential of this process's own, like the in-process app's (see `TestApp::raw`).
        process.http.service = crate::helpers::create_service(&process.http, "child-gateway", json!("*")).await;
        process
    }

    async fn wait_for_address(&mut self, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(addr) = self.listening_on() {
                return addr;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("keygated exited at start ({status}):\n{}", self.output());
            }
            assert!(Instant::now() < deadline, "keygated did not listen within {limit:?}:\n{}", self.output());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The address of the `keygated listening` log line, once printed.
    fn listening_on(&self) -> Option<String> {
        let lines = self.output.lock().unwrap();
        lines.iter().find(|l| l.contains("keygated listening")).and_then(|line| {
            let value: Value = serde_json::from_str(line).ok()?;
            value["fields"]["addr"].as_str().map(str::to_owned)
        })
    }

    async fn wait_healthy(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(reply) = self.http.call(Method::GET, "/healthz", None, None).await {
                if reply.status == StatusCode::OK {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "keygated /healthz not 200 within {limit:?}:\n{}", self.output());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL, then reaps the process.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL sent");
        self.child.wait().expect("killed child reaped");
    }

    /// SIGTERM (graceful shutdown); does not wait.
    pub fn terminate(&self) {
        let status = Command::new("kill").args(["-TERM", &self.pid.to_string()]).status().expect("`kill -TERM` runs");
        assert!(status.success(), "kill -TERM {} failed", self.pid);
    }

    /// The exit status, waiting at most `limit`.
    pub async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "keygated did not exit within {limit:?}:\n{}", self.output());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Resident memory (`VmRSS`) in KiB, from `/proc/<pid>/status`.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).expect("/proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/<pid>/status")
    }

    /// The last lines keygated printed (for failure messages; never holds a secret: keygated logs none).
    pub fn output(&self) -> String {
        self.output.lock().unwrap().iter().cloned().collect::<Vec<_>>().join("\n")
    }
}

impl Drop for Keygated {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            drop(self.child.kill());
            drop(self.child.wait());
        }
    }
}

/// Reads `pipe` line by line on a thread of its own until it closes, keeping the last lines.
fn collect(pipe: impl Read + Send + 'static, into: Arc<Mutex<VecDeque<String>>>) {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { return };
            let mut lines = into.lock().unwrap();
            // The listening line is kept for good: it is how the address is found.
            if lines.len() >= KEPT_LINES {
                if let Some(at) = lines.iter().position(|l| !l.contains("keygated listening")) {
                    lines.remove(at);
                }
            }
            lines.push_back(line);
        }
    });
}

/// An HTTP client for one keygated process. Every request has a 10 s timeout.
#[derive(Clone)]
pub struct Http {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    client: reqwest::Client,
    /// A service credential, presented on `/v1/verify` when a call gives no token.
    pub service: String,
}

impl Http {
    pub fn new(base: String) -> Self {
        // Idle connections are dropped before the server's keep-alive (actix: 5 s) would close them, so a
        // request is never sent on a connection the server is closing at that moment.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(3))
            .build()
            .expect("HTTP client");
        Self { base, client, service: String::new() }
    }

    /// One request; a transport failure (refused, reset, timed out) is the `Err`.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<Reply, reqwest::Error> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        let token = token.filter(|t| !t.is_empty()).or((path == "/v1/verify").then_some(self.service.as_str()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Reply { status, headers, body })
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await.unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(token), Some(body)).await.unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// `POST /v1/verify`.
    pub async fn verify(&self, body: Value) -> Result<Reply, reqwest::Error> {
        self.call(Method::POST, "/v1/verify", None, Some(body)).await
    }

    /// A tenant with a maker, two checkers and an auditor (as `TestApp::tenant`).
    pub async fn tenant(&self, id: &str, policy: Value) -> Operators {
        crate::helpers::onboard(self, id, policy).await
    }

    /// A key created by the maker and approved by the checker: (id, secret).
    pub async fn active_key(&self, ops: &Operators, body: Value) -> (String, String) {
        let created = self.post(&ops.keys(), &ops.maker, body).await;
        assert_eq!(created.status, StatusCode::CREATED, "key created: {:?}", created.body);
        let id = created.body["key"]["id"].as_str().unwrap().to_owned();
        let approved = self.post(&format!("{}/approve", ops.key(&id)), &ops.checker, json!({})).await;
        assert_eq!(approved.status, StatusCode::OK, "key approved: {:?}", approved.body);
        (id, created.body["secret"].as_str().unwrap().to_owned())
    }

    /// The tenant's whole audit log (every page) as (key id, action), newest first.
    pub async fn audit_log(&self, ops: &Operators) -> Vec<(Option<String>, String)> {
        let mut entries = Vec::new();
        let mut cursor = String::new();
        for _ in 0..1000 {
            let page = self.get(&format!("/v1/tenants/{}/audit?limit=200{cursor}", ops.tenant), ADMIN).await;
            assert_eq!(page.status, StatusCode::OK, "audit log: {:?}", page.body);
            entries.extend(
                page.body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| (e["key_id"].as_str().map(str::to_owned), e["action"].as_str().unwrap().to_owned())),
            );
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return entries,
            }
        }
        panic!("more than 1000 pages of audit log");
    }

    /// Every key of the tenant (all pages), as returned by the listing.
    pub async fn all_keys(&self, ops: &Operators) -> Vec<Value> {
        let mut keys = Vec::new();
        let mut cursor = String::new();
        for _ in 0..1000 {
            let page = self.get(&format!("{}?limit=200{cursor}", ops.keys()), &ops.auditor).await;
            assert_eq!(page.status, StatusCode::OK, "key listing: {:?}", page.body);
            keys.extend(page.body["items"].as_array().unwrap().iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return keys,
            }
        }
        panic!("more than 1000 pages of keys");
    }

    /// What a key spent, summed over the days its usage lists (requests, spent).
    pub async fn usage_totals(&self, ops: &Operators, key: &str) -> (u64, rust_decimal::Decimal) {
        let usage = self.get(&format!("{}/usage", ops.key(key)), &ops.auditor).await;
        assert_eq!(usage.status, StatusCode::OK, "usage of {key}: {:?}", usage.body);
        usage.body["days"].as_array().unwrap().iter().fold((0, rust_decimal::Decimal::ZERO), |(n, spent), day| {
            let day_spent: rust_decimal::Decimal = day["spent"].as_str().unwrap().parse().unwrap();
            (n + day["requests"].as_u64().unwrap(), spent + day_spent)
        })
    }
}

/// Prints one line of a test's report (shown with `--nocapture`, as `cargo xtask soak` runs it).
#[allow(clippy::print_stdout)]
pub fn report(line: &str) {
    println!("{line}");
}

/// 64 random bits (from the standard library's randomly keyed hasher): for names and timings that
/// must differ from run to run, not for anything secret.
pub fn random() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new().build_hasher().finish()
}

impl Api for Http {
    async fn post_json(&self, path: &str, token: &str, body: Value) -> Reply {
        let token = (!token.is_empty()).then_some(token);
        self.call(Method::POST, path, token, Some(body)).await.unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }
}
