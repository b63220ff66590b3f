//! The HTTP client that sends one attempt: `POST` with the Standard Webhooks headers, no redirect
//! followed, 10 seconds in all, at most 4 KiB of the answer read.
//!
//! Request forgery: the client's resolver looks the endpoint's host up itself, refuses the attempt if
//! any address it gets is loopback, private, link-local or multicast (unless the installation allows
//! private addresses), and hands the connector exactly the addresses it checked, so the connection
//! goes to a checked address even if the name resolves differently a moment later. A URL naming an
//! address is checked before the request. No proxy from the environment is used (it would connect
//! elsewhere than checked). It never logs a header value: the signature is derived from the secret.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keygate_domain::webhook::{is_private, WebhookUrl};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The most of an answer read.
const READ_LIMIT: usize = 4096;
/// The most of an answer kept in the delivery log.
const KEEP_LIMIT: usize = 1024;

/// How the client behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderOptions {
    /// Whether loopback, private, link-local and multicast addresses may be sent to (tests and local
    /// development; `KEYGATE_WEBHOOK_ALLOW_PRIVATE`).
    pub allow_private: bool,
    /// The whole attempt's time limit (10 seconds in production).
    pub timeout: Duration,
}

impl Default for SenderOptions {
    fn default() -> Self {
        Self { allow_private: false, timeout: Duration::from_secs(10) }
    }
}

/// An answer the endpoint gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// Its HTTP status.
    pub status: u16,
    /// The first KiB of its body (lossy UTF-8).
    pub body: String,
}

/// Why an attempt got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttemptError {
    /// The host is, or resolves to, an address the installation does not send to.
    #[error("the host resolves to a loopback, private, link-local or multicast address")]
    PrivateAddress,
    /// No answer within the time limit.
    #[error("no answer within the time limit")]
    Timeout,
    /// The name did not resolve, or the connection failed.
    #[error("could not connect")]
    Connect,
    /// Anything else on the way (TLS, a broken answer).
    #[error("the request failed")]
    Request,
}

/// Marks a refusal inside the resolver, to be told apart from other connection failures.
#[derive(Debug, thiserror::Error)]
#[error("private address refused")]
struct Refused;

#[derive(Debug, thiserror::Error)]
#[error("no address")]
struct NoAddress;

/// Resolves, checks every address, and answers only checked ones.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(Box::new(NoAddress) as Box<dyn std::error::Error + Send + Sync>);
            }
            if !allow_private && addrs.iter().any(|a| is_private(a.ip())) {
                return Err(Box::new(Refused) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Sends attempts.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").field("allow_private", &self.allow_private).finish_non_exhaustive()
    }
}

impl Sender {
    /// A client with `options`.
    pub fn new(options: SenderOptions) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(options.timeout)
            .no_proxy()
            .user_agent("keygate-webhooks")
            .dns_resolver(Arc::new(GuardedResolver { allow_private: options.allow_private }))
            .build()?;
        Ok(Self { client, allow_private: options.allow_private })
    }

    /// Whether `url` may be sent to as far as its own text says (an address literal is checked here;
    /// a name is checked by the resolver at each attempt).
    pub fn literal_allowed(&self, url: &WebhookUrl) -> bool {
        self.allow_private || url.ip().is_none_or(|ip| !is_private(ip))
    }

    /// Sends one attempt: answers what the endpoint said, or why it said nothing, and how long it took.
    pub async fn send(
        &self,
        url: &WebhookUrl,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> (Result<Attempt, AttemptError>, Duration) {
        let started = Instant::now();
        if !self.literal_allowed(url) {
            return (Err(AttemptError::PrivateAddress), started.elapsed());
        }
        let mut request = self.client.post(url.as_str()).header("content-type", "application/json").body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let outcome = match request.send().await {
            Ok(response) => Ok(read(response).await),
            Err(error) => Err(classify(&error)),
        };
        (outcome, started.elapsed())
    }
}

/// The status and at most [`READ_LIMIT`] bytes of the body, of which the first KiB is kept.
async fn read(mut response: reqwest::Response) -> Attempt {
    let status = response.status().as_u16();
    let mut bytes = Vec::new();
    while bytes.len() < READ_LIMIT {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = READ_LIMIT - bytes.len();
                bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    bytes.truncate(KEEP_LIMIT);
    Attempt { status, body: String::from_utf8_lossy(&bytes).into_owned() }
}

fn classify(error: &reqwest::Error) -> AttemptError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<Refused>() {
            return AttemptError::PrivateAddress;
        }
        source = e.source();
    }
    if error.is_timeout() {
        AttemptError::Timeout
    } else if error.is_connect() {
        AttemptError::Connect
    } else {
        AttemptError::Request
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A loopback listener answering each connection with `answer`; the number of connections made.
    async fn listener(answer: Vec<u8>) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counted = connections.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = vec![0u8; 8192];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(&answer).await;
                let _ = stream.shutdown().await;
            }
        });
        (port, connections)
    }

    fn sender(allow_private: bool) -> Sender {
        Sender::new(SenderOptions { allow_private, timeout: Duration::from_secs(5) }).unwrap()
    }

    fn url(text: &str) -> WebhookUrl {
        WebhookUrl::parse(text, true).unwrap()
    }

    /// A name passes on its text alone; the resolver finds it loopback at the attempt and refuses
    /// before any connection, so a name re-pointed at an inside address after registration is caught.
    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused_at_the_attempt_without_connecting() {
        let (port, connections) = listener(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n".to_vec()).await;
        let guarded = sender(false);
        let by_name = url(&format!("http://localhost:{port}/in"));
        assert!(guarded.literal_allowed(&by_name), "a name is judged by what it resolves to");
        let (outcome, _) = guarded.send(&by_name, &[], b"{}".to_vec()).await;
        assert_eq!(outcome, Err(AttemptError::PrivateAddress));
        let (outcome, _) = guarded.send(&url(&format!("http://127.0.0.1:{port}/in")), &[], b"{}".to_vec()).await;
        assert_eq!(outcome, Err(AttemptError::PrivateAddress), "an address literal is refused from its text");
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0, "nothing reached the listener");

        let (outcome, _) = sender(true).send(&by_name, &[], b"{}".to_vec()).await;
        assert_eq!(outcome.map(|a| a.status), Ok(204), "allowed where the installation says so");
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    /// A redirect is an answer, not an instruction: it is recorded and not followed.
    #[tokio::test]
    async fn a_redirect_is_not_followed_and_an_answer_is_kept_to_one_kib() {
        let (port, connections) = listener(
            b"HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:9/x\r\ncontent-length: 0\r\n\r\n".to_vec(),
        )
        .await;
        let (outcome, _) = sender(true).send(&url(&format!("http://127.0.0.1:{port}/")), &[], Vec::new()).await;
        assert_eq!(outcome.map(|a| a.status), Ok(307));
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1, "one request, no second");

        let mut long = b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 10000\r\n\r\n".to_vec();
        long.extend(std::iter::repeat_n(b'x', 10_000));
        let (port, _) = listener(long).await;
        let (outcome, _) = sender(true).send(&url(&format!("http://127.0.0.1:{port}/")), &[], Vec::new()).await;
        let answer = outcome.unwrap();
        assert_eq!((answer.status, answer.body.len()), (500, KEEP_LIMIT));
    }
}
