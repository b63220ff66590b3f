//! A webhook receiver on loopback for the tests: a tiny HTTP/1.1 server that records every request's
//! Standard Webhooks headers and body, answers the statuses it is scripted with (then 200), and checks
//! signatures with the algorithm written here independently of keygate (HMAC-SHA256 over
//! `{id}.{timestamp}.{body}`, keyed by the base64-decoded `whsec_` secret).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Whether one of the signatures is `secret`'s over this message.
    pub fn signed_by(&self, secret: &str) -> bool {
        let key = STANDARD.decode(secret.strip_prefix("whsec_").expect("a whsec_ secret")).expect("base64 secret");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
        mac.update(format!("{}.{}.", self.id, self.timestamp).as_bytes());
        mac.update(&self.body);
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        self.signature.split(' ').any(|s| s == expected)
    }
}

/// The receiver.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    /// Listens on 127.0.0.1, answering `script`'s statuses in turn and 200 after.
    pub async fn start(script: &[u16]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let receiver =
            Self { url, got: Arc::default(), script: Arc::new(Mutex::new(script.iter().copied().collect())) };
        let serving = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serving.clone().answer(stream));
            }
        });
        receiver
    }

    async fn answer(self, mut stream: tokio::net::TcpStream) {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let (head_end, length) = loop {
            let Ok(n) = stream.read(&mut chunk).await else { return };
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                let length = header(&head, "content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
                break (end + 4, length);
            }
        };
        while buf.len() < head_end + length {
            let Ok(n) = stream.read(&mut chunk).await else { return };
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let lower = head.to_lowercase();
        let value = |name: &str| {
            let at = lower.find(&format!("\r\n{name}:")).map(|i| i + name.len() + 3);
            at.map(|i| head[i..].split("\r\n").next().unwrap_or("").trim().to_owned()).unwrap_or_default()
        };
        self.got.lock().unwrap().push(Received {
            id: value("webhook-id"),
            timestamp: value("webhook-timestamp"),
            signature: value("webhook-signature"),
            content_type: value("content-type"),
            body: buf[head_end..head_end + length].to_vec(),
        });
        let status = self.script.lock().unwrap().pop_front().unwrap_or(200);
        let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        let _ = stream.write_all(reply.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `count` requests matching `keep` arrived (at most 20 s); answers them.
    pub async fn wait_for(&self, count: usize, keep: impl Fn(&Received) -> bool) -> Vec<Received> {
        for _ in 0..400 {
            let got: Vec<Received> = self.received().into_iter().filter(|r| keep(r)).collect();
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {count} deliveries, got {:?}", self.received().iter().map(Received::json).collect::<Vec<_>>());
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").find_map(|line| line.strip_prefix(name)?.strip_prefix(':').map(str::trim))
}
