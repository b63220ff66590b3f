//! The example nginx configuration (`examples/gateways/nginx/nginx.conf`), run as it is by Debian's
//! nginx with only its addresses and service credential replaced, in front of an upstream that records
//! what it receives, with keygated answering its `auth_request` from the example route table.
//!
//! Without nginx the test says so and passes, unless `KEYGATE_TEST_DATABASE_URL` or `CI` is set (as in
//! CI, where `.ci/run` installs nginx): then it fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::gateway::routes_file;
use crate::helpers::{live_policy, spawn_app_with};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/gateways");

/// nginx running in a folder of its own; killed and the folder removed when dropped.
struct Nginx {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for Nginx {
    /// SIGTERM, so the master stops its workers (after SIGKILL they would live on), then SIGKILL if
    /// it has not stopped within 5 s.
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Nginx {
    /// nginx's error log so far.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

fn nginx_binary() -> Option<PathBuf> {
    let found = Command::new("sh").args(["-c", "command -v nginx"]).output().ok().filter(|o| o.status.success());
    let on_path = found.map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    on_path.or_else(|| ["/usr/sbin/nginx", "/usr/bin/nginx"].iter().map(PathBuf::from).find(|p| p.exists()))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `text` with `from` replaced by `to`, which must occur exactly once (the example and this test
/// must not drift apart silently).
fn replaced(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "the example nginx.conf holds {from:?} once");
    text.replacen(from, to, 1)
}

impl Nginx {
    fn start(binary: &Path, keygate: &str, upstream: u16, service: &str) -> Self {
        let example = std::fs::read_to_string(format!("{EXAMPLES}/nginx/nginx.conf")).expect("example read");
        let port = free_port();
        let conf = replaced(&example, "server 127.0.0.1:8080;", &format!("server {keygate};"));
        // The error log goes to the folder's file (read on failure), not to the test's output.
        let conf = replaced(&conf, "error_log stderr warn;", "error_log error.log warn;");
        let conf = replaced(&conf, "server 127.0.0.1:9000;", &format!("server 127.0.0.1:{upstream};"));
        let conf = replaced(&conf, "listen 127.0.0.1:8000;", &format!("listen 127.0.0.1:{port};"));
        let conf = replaced(&conf, "\"REPLACE_WITH_SERVICE_CREDENTIAL\";", &format!("\"{service}\";"));
        let dir = std::env::temp_dir().join(format!("keygate-nginx-{port}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = Command::new(binary)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let mut nginx = Self { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                panic!("nginx stopped at start ({status}): {}", nginx.log());
            }
            assert!(Instant::now() < deadline, "nginx did not listen within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        nginx.port = port;
        nginx
    }
}

/// An upstream answering 200 to everything and keeping each request's head (lower case).
async fn upstream() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let kept = heads.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                kept.lock().unwrap().push(String::from_utf8_lossy(&head).to_lowercase());
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 8\r\nconnection: close\r\n\r\nupstream")
                    .await;
            });
        }
    });
    (port, heads)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_nginx_configuration_passes_refuses_and_fails_closed() {
    let Some(binary) = nginx_binary() else {
        let required = std::env::var_os("KEYGATE_TEST_DATABASE_URL").is_some() || std::env::var_os("CI").is_some();
        assert!(!required, "nginx is not installed (Debian: apt-get install nginx); .ci/run installs it");
        // Outside CI a developer without nginx is not stopped; the skip is the test's name in the output.
        return;
    };
    let table = std::fs::read_to_string(format!("{EXAMPLES}/routes.toml")).unwrap();
    let routes = routes_file(&table);
    let app = spawn_app_with(None, |config| {
        config.routes = Some(routes.clone());
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let ops = app.tenant("acme", live_policy()).await;
    let limits = json!({"amounts": [{"currency": "XOF", "daily_volume": "100"}]});
    let both =
        json!({"name": "till", "environment": "live", "scopes": ["balance:read", "payments:write"], "limits": limits});
    let (key, token) = app.active_key(&ops, both).await;
    let (_, payer) =
        app.active_key(&ops, json!({"name": "payer", "environment": "live", "scopes": ["payments:write"]})).await;
    let (port, heads) = upstream().await;
    let keygate = app.base.trim_start_matches("http://").to_owned();
    let nginx = Nginx::start(&binary, &keygate, port, &app.service);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let url = |path: &str| format!("http://127.0.0.1:{}{path}", nginx.port);
    let balance = url("/api/v1/distributors/acme/balance");

    let passed = client.get(&balance).bearer_auth(&token).send().await.unwrap();
    assert_eq!(passed.status(), StatusCode::OK, "nginx log: {}", nginx.log());
    assert_eq!(passed.text().await.unwrap(), "upstream");
    let head = heads.lock().unwrap().last().cloned().unwrap();
    assert!(head.contains(&format!("x-keygate-key-id: {}", key.to_lowercase())), "the upstream knows the key: {head}");
    assert!(head.contains("x-keygate-tenant: acme") && head.contains("x-keygate-scopes: balance:read,payments:write"));
    assert!(!head.contains("authorization:") && !head.contains(&token.to_lowercase()), "the secret stops at nginx");
    let seen = heads.lock().unwrap().len();

    let anonymous = client.get(&balance).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let challenge = anonymous.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(challenge.as_deref(), Some("Bearer"), "keygate's challenge reaches the client");
    let unscoped = client.get(&balance).bearer_auth(&payer).send().await.unwrap();
    assert_eq!(unscoped.status(), StatusCode::FORBIDDEN, "a key without balance:read");
    let unlisted = client.get(url("/api/v1/distributors/acme/statement")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(unlisted.status(), StatusCode::FORBIDDEN, "a route outside the table");

    let cash_out = url("/api/v1/distributors/acme/cash-out");
    let cash = || client.post(&cash_out).bearer_auth(&token).header("X-Amount", "60").header("X-Currency", "XOF");
    let charged = cash().send().await.unwrap();
    assert_eq!(charged.status(), StatusCode::OK);
    let head = heads.lock().unwrap().last().cloned().unwrap();
    assert!(head.contains("x-keygate-spend-id: ") && head.contains("x-keygate-remaining: 40"), "{head}");
    let over = cash().send().await.unwrap();
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS, "a spent volume is 429 at the client");
    let retry = over.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|s| s > 0), "with keygate's Retry-After");
    assert_eq!(heads.lock().unwrap().len(), seen + 1, "no refused request reached the upstream");

    app.stop().await;
    let down = client.get(&balance).bearer_auth(&token).send().await.unwrap();
    assert_eq!(down.status(), StatusCode::INTERNAL_SERVER_ERROR, "keygate unreachable: nginx fails closed");
    assert_eq!(heads.lock().unwrap().len(), seen + 1, "and nothing passed");
    drop(nginx);
    let _ = std::fs::remove_file(routes);
}
