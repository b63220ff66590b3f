//! Configuration: flags, each mirrored by a `KEYGATE_*` environment variable. A bad value stops start-up
//! with one line naming the setting.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use ipnetwork::IpNetwork;
use keygate_credential::TokenPrefix;

/// keygated: API key management with dual control, and verification.
#[derive(Debug, Clone, Parser)]
#[command(name = "keygated", version, about)]
#[allow(clippy::struct_excessive_bools)] // each is one setting a person switches on or off
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "KEYGATE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// PostgreSQL URL (`postgres://...`); absent: the in-memory store (nothing survives a restart).
    #[arg(long, env = "KEYGATE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// The system administrator's bearer token (at least 32 characters); absent: one is generated and
    /// printed once.
    #[arg(long, env = "KEYGATE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// A file holding the system administrator's token (a mounted container secret); instead of
    /// `KEYGATE_ADMIN_TOKEN`. A final newline is ignored.
    #[arg(long, env = "KEYGATE_ADMIN_TOKEN_FILE", conflicts_with = "admin_token")]
    pub admin_token_file: Option<std::path::PathBuf>,

    /// Prefix of issued API keys (operator tokens use it with `op` appended).
    #[arg(long, env = "KEYGATE_KEY_PREFIX", default_value = "kg", value_parser = parse_prefix)]
    pub key_prefix: TokenPrefix,

    /// Server-side pepper for secret hashes (HMAC-SHA256). Keep it out of the database.
    #[arg(long, env = "KEYGATE_PEPPER", hide_env_values = true)]
    pub pepper: Option<String>,

    /// A file holding the pepper; instead of `KEYGATE_PEPPER`. A final newline is ignored.
    #[arg(long, env = "KEYGATE_PEPPER_FILE", conflicts_with = "pepper")]
    pub pepper_file: Option<std::path::PathBuf>,

    /// Who may call `/v1/verify`: `required` (a service credential in `Authorization: Bearer`) or
    /// `none` (anyone who can reach it: only for a closed network; a warning is logged at start).
    #[arg(long, env = "KEYGATE_VERIFY_AUTH", default_value = "required", value_parser = ["required", "none"])]
    pub verify_auth: String,

    /// The secret-scanning partner's public keys for signed leak reports (`POST /v1/leaks`): the JSON
    /// file GitHub publishes at `https://api.github.com/meta/public_keys/secret_scanning`, downloaded and
    /// mounted (keygated fetches nothing). Absent: only service credentials report leaks.
    #[arg(long, env = "KEYGATE_LEAK_PUBLIC_KEYS")]
    pub leak_public_keys: Option<std::path::PathBuf>,

    /// Comma-separated CIDRs of proxies whose `X-Forwarded-For` is believed.
    #[arg(long, env = "KEYGATE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<IpNetwork>,

    /// The gateway route table for `/v1/authorize` (a TOML file: see docs/gateways.md); re-read on
    /// SIGHUP. Absent: `/v1/authorize` refuses every request (`NO_ROUTE`).
    #[arg(long, env = "KEYGATE_ROUTES")]
    pub routes: Option<std::path::PathBuf>,

    /// Longest time, in seconds, a cached key answer is used without asking the store.
    #[arg(long, env = "KEYGATE_CACHE_TTL_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub cache_ttl_seconds: u64,

    /// Longest time, in milliseconds, a verification's usage count (per-day requests, last use) waits in
    /// memory before it is written; a crash can lose this much of the counts, never a spend.
    #[arg(long, env = "KEYGATE_USAGE_FLUSH_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub usage_flush_ms: u64,

    /// Most keys kept in the verification cache.
    #[arg(long, env = "KEYGATE_CACHE_CAPACITY", default_value_t = 1_000_000)]
    pub cache_capacity: u64,

    /// Milliseconds a store call may wait for a connection before failing closed with 503.
    #[arg(long, env = "KEYGATE_STORE_TIMEOUT_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(50..=60_000))]
    pub store_timeout_ms: u64,

    /// Database connections in the pool.
    #[arg(long, env = "KEYGATE_DATABASE_CONNECTIONS", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_connections: u32,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "KEYGATE_WORKERS")]
    pub workers: Option<usize>,

    /// Keep a request log: a line per verification of an existing key (`false` turns it off).
    #[arg(long, env = "KEYGATE_REQUEST_LOG", default_value_t = true, action = clap::ArgAction::Set)]
    pub request_log: bool,

    /// Days a request-log line is kept before the prune deletes it.
    #[arg(long, env = "KEYGATE_REQUEST_LOG_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub request_log_days: u32,

    /// Request-log lines the in-memory store keeps per tenant (the oldest forgotten first).
    #[arg(long, env = "KEYGATE_REQUEST_LOG_MEMORY_LINES", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub request_log_memory_lines: u64,

    /// Serve the web console under `/console/` (`false` turns it off).
    #[arg(long, env = "KEYGATE_CONSOLE", default_value_t = true, action = clap::ArgAction::Set)]
    pub console: bool,

    /// Send the console's session cookie without `Secure`, for plain-HTTP local use only (a browser
    /// sends a `Secure` cookie over HTTPS only, so without TLS nobody could log in).
    #[arg(long, env = "KEYGATE_CONSOLE_INSECURE_COOKIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub console_insecure_cookies: bool,

    /// Log filter (`info`, `keygated=debug`, ...).
    #[arg(long, env = "KEYGATE_LOG", default_value = "info")]
    pub log: String,

    /// Log format: `pretty` or `json`.
    #[arg(long, env = "KEYGATE_LOG_FORMAT", default_value = "pretty", value_parser = ["pretty", "json"])]
    pub log_format: String,

    /// The master key HMAC signing keys' secrets are derived from (HKDF-SHA256, info = the key's id):
    /// 64 hex characters (32 bytes; e.g. `openssl rand -hex 32`). Absent: creating an `hmac-sha256`
    /// signing key is refused (400 naming this setting); Ed25519 keys need nothing.
    #[arg(long, env = "KEYGATE_SIGNING_KEY", hide_env_values = true)]
    pub signing_key: Option<String>,

    /// A file holding the signing master key; instead of `KEYGATE_SIGNING_KEY`. A final newline is ignored.
    #[arg(long, env = "KEYGATE_SIGNING_KEY_FILE", conflicts_with = "signing_key")]
    pub signing_key_file: Option<std::path::PathBuf>,

    /// The key that seals webhook signing secrets at rest: 64 hex characters (32 bytes; e.g.
    /// `openssl rand -hex 32`). Absent: registering a webhook is refused (400 naming this setting) and
    /// nothing is delivered.
    #[arg(long, env = "KEYGATE_WEBHOOK_KEY", hide_env_values = true)]
    pub webhook_key: Option<String>,

    /// A file holding the webhook key; instead of `KEYGATE_WEBHOOK_KEY`. A final newline is ignored.
    #[arg(long, env = "KEYGATE_WEBHOOK_KEY_FILE", conflicts_with = "webhook_key")]
    pub webhook_key_file: Option<std::path::PathBuf>,

    /// Accept `http` webhook URLs (tests and local development only).
    #[arg(long, env = "KEYGATE_WEBHOOK_ALLOW_HTTP", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_http: bool,

    /// Accept and send to webhook hosts resolving to loopback, private, link-local or multicast
    /// addresses (tests and local development only: it opens request forgery into your network).
    #[arg(long, env = "KEYGATE_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,

    /// Milliseconds the webhook worker waits when no delivery was due.
    #[arg(long, env = "KEYGATE_WEBHOOK_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub webhook_poll_ms: u64,

    /// Milliseconds between two passes of the webhook expiry scan (`key.expiring`, `key.expired`).
    #[arg(long, env = "KEYGATE_WEBHOOK_SCAN_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub webhook_scan_ms: u64,

    /// Divides every webhook retry delay (tests only: 1000 makes 5 s into 5 ms). The production
    /// schedule is 5 s, 30 s, 2 min, 10 min, 1 h, 6 h, 12 h.
    #[arg(long, env = "KEYGATE_WEBHOOK_RETRY_DIVISOR", default_value_t = 1, hide = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub webhook_retry_divisor: u32,
}

impl Config {
    /// The cache TTL.
    pub fn cache_ttl(&self) -> Duration {
        Duration::from_secs(self.cache_ttl_seconds)
    }

    /// Whether `/v1/verify` requires a service credential.
    pub fn verify_auth_required(&self) -> bool {
        self.verify_auth != "none"
    }

    /// The store timeout.
    pub fn store_timeout(&self) -> Duration {
        Duration::from_millis(self.store_timeout_ms)
    }

    /// Settings for tests and embedding: in memory, port 0, the given admin token.
    pub fn for_tests(admin_token: &str) -> Self {
        let mut config = Self::parse_from(["keygated", "--listen", "127.0.0.1:0"]);
        config.admin_token = Some(admin_token.to_owned());
        config.database_url = None;
        // Tests speak plain HTTP; one of them checks that `Secure` is the default.
        config.console_insecure_cookies = true;
        config
    }
}

fn parse_prefix(text: &str) -> Result<TokenPrefix, String> {
    let prefix = TokenPrefix::parse(text).map_err(|e| e.to_string())?;
    // Operator tokens use `{prefix}op`, invitations `{prefix}opinv`, services `{prefix}svc`: each must
    // still be a valid prefix, so no two credentials ever share one.
    TokenPrefix::parse(&format!("{text}opinv")).map_err(|_| "must be at most 11 characters".to_owned())?;
    Ok(prefix)
}

/// Turns clap's multi-line error into one line that names the setting and its variable.
pub fn one_line_error(error: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    let arg = match error.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => arg.clone(),
        _ => String::new(),
    };
    let flag = arg.split_whitespace().next().unwrap_or("").trim_start_matches('-');
    let env = format!("KEYGATE_{}", flag.to_uppercase().replace('-', "_"));
    let first =
        error.to_string().lines().next().unwrap_or("invalid configuration").trim_start_matches("error: ").to_owned();
    if flag.is_empty() {
        format!("keygated: {first}")
    } else {
        format!("keygated: bad setting {env} (--{flag}): {first}")
    }
}
