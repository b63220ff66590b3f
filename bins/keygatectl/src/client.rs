//! The HTTP client: one request to keygated, its answer as JSON, its problem as a [`CliError`].
//! Idempotent requests (GET, PUT, DELETE) are retried 3 times with backoff when the server cannot be
//! reached or answers 502, 503 or 504; a POST never is, since the first attempt may have been applied.

use std::fmt::Write as _;
use std::time::Duration;

use reqwest::blocking::{Client as Http, RequestBuilder};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret as _, SecretString};
use serde_json::Value;

use crate::error::CliError;

/// Pauses before each retry of an idempotent request.
const BACKOFF: [Duration; 3] = [Duration::from_millis(100), Duration::from_millis(300), Duration::from_millis(900)];

/// A connection to one keygated, with the caller's credential.
pub struct Client {
    http: Http,
    base: String,
    token: Option<SecretString>,
}

/// Query parameters: name and value, absent values left out.
pub type Query<'a> = [(&'a str, Option<String>)];

impl Client {
    pub fn new(base: String, token: Option<SecretString>) -> Result<Self, CliError> {
        let http = Http::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("keygatectl/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::usage(format!("cannot start an HTTP client: {e}")))?;
        Ok(Self { http, base, token })
    }

    /// A request with the configured credential; refused locally when there is none.
    pub fn call(&self, method: Method, path: &str, query: &Query<'_>, body: Option<&Value>) -> Result<Value, CliError> {
        if self.token.is_none() {
            return Err(CliError::usage(
                "no credential: set KEYGATE_TOKEN, --token-file, KEYGATE_TOKEN_FILE or a profile's token_file",
            ));
        }
        self.send(method, path, query, body, true)
    }

    /// A request without any credential (claiming an invitation).
    pub fn call_anonymous(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, CliError> {
        self.send(method, path, &[], body, false)
    }

    pub fn get(&self, path: &str, query: &Query<'_>) -> Result<Value, CliError> {
        self.call(Method::GET, path, query, None)
    }

    pub fn post(&self, path: &str, body: Option<&Value>) -> Result<Value, CliError> {
        self.call(Method::POST, path, &[], body)
    }

    fn send(
        &self,
        method: Method,
        path: &str,
        query: &Query<'_>,
        body: Option<&Value>,
        authenticated: bool,
    ) -> Result<Value, CliError> {
        let idempotent = matches!(method, Method::GET | Method::PUT | Method::DELETE);
        let mut attempt = 0;
        loop {
            let outcome = self.request(method.clone(), path, query, body, authenticated).send();
            let retry = match &outcome {
                Err(e) => e.is_connect() || e.is_timeout() || e.is_request(),
                Ok(response) => matches!(
                    response.status(),
                    StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
                ),
            };
            if idempotent && retry && attempt < BACKOFF.len() {
                std::thread::sleep(BACKOFF[attempt]);
                attempt += 1;
                continue;
            }
            return match outcome {
                Ok(response) => answer(response),
                Err(e) => Err(CliError::Unavailable(format!("cannot reach {}: {}", self.base, cause(&e)))),
            };
        }
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        query: &Query<'_>,
        body: Option<&Value>,
        authenticated: bool,
    ) -> RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        let pairs: Vec<(&str, &str)> = query.iter().filter_map(|(k, v)| v.as_deref().map(|v| (*k, v))).collect();
        if !pairs.is_empty() {
            request = request.query(&pairs);
        }
        if authenticated {
            if let Some(token) = &self.token {
                request = request.bearer_auth(token.expose_secret());
            }
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request
    }
}

/// The answer's JSON, or its problem as an error.
fn answer(response: reqwest::blocking::Response) -> Result<Value, CliError> {
    let status = response.status();
    let text = response.text().map_err(|e| CliError::Unavailable(format!("reading the answer: {}", cause(&e))))?;
    let body: Option<Value> = serde_json::from_str(&text).ok();
    if status.is_success() {
        return Ok(body.unwrap_or(Value::Null));
    }
    let field = |name: &str| body.as_ref().and_then(|b| b[name].as_str()).map(str::to_owned);
    let code =
        field("code").unwrap_or_else(|| status.canonical_reason().unwrap_or("ERROR").to_uppercase().replace(' ', "_"));
    let detail = field("detail").unwrap_or_else(|| text.lines().next().unwrap_or("").chars().take(200).collect());
    if status.is_server_error() {
        return Err(CliError::Unavailable(format!("{} {code}: {detail}", status.as_u16())));
    }
    Err(CliError::Refused { status: status.as_u16(), code, detail, field: field("field") })
}

/// The innermost cause of a transport error, which is the readable one ("Connection refused").
fn cause(error: &dyn std::error::Error) -> String {
    let mut inner = error;
    while let Some(next) = inner.source() {
        inner = next;
    }
    if std::ptr::eq(inner, error) {
        error.to_string()
    } else {
        format!("{error}: {inner}")
    }
}

/// One path segment, percent-encoded: ids come from the command line.
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}
