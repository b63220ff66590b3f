//! `bench-client`: the HTTP side of `cargo xtask bench` that wrk cannot do. Every subcommand talks to
//! keygated on loopback through its public API only, is bounded in requests and time, and prints one
//! line of `name=value` words:
//!
//! - `seed`: a tenant without dual control, a maker, `--keys N` active live keys with a huge daily
//!   volume, one key with a small one (`limited.txt`), and the token files wrk reads: `tokens.txt`,
//!   `bad_checksum.txt` (a valid token with its checksum broken), `unknown_id.txt` (well-formed tokens
//!   of ids that do not exist) and `wrong_secret.txt` (known ids with another secret); with
//!   `--rate name:limit:window_seconds[,...]`, every key also carries those request rate limits
//!   (`limits.rate`), asked for at creation like any client would;
//! - `warm`: verifies every token of a file once (fills the verification cache);
//! - `spend-check`: `--requests N` amount-bearing verifications of one key, `--concurrency C` at a
//!   time, all awaited; counts what was acknowledged, so the caller can compare with the stored spend;
//! - `spends`: `--count N` amount-bearing verifications of keys drawn in turn from `--tokens`,
//!   `--concurrency C` at a time, every one of which must be acknowledged; writes their `spend_id`s to
//!   `--out`, one a line (the spends a release benchmark gives back);
//! - `revocation`: on process `--a`, a maker asks and a checker approves the revocation of each of
//!   `--keys N` cached keys; on process `--b`, a tight bounded poll measures how long until it is refused;
//! - `alternate`: one connection sending tokens of two files in turn (`--first`, `--second`), each
//!   request timed, so both kinds meet the same background load (with the service credential beside
//!   `--first`); prints each kind's p50 and mean;
//! - `timing`: in-process (no HTTP) cost of `Verifier::verify` for a valid key, a wrong secret, an
//!   unknown id and a bad checksum, over a `MemoryStore`; and of `Management::authenticate_service`
//!   for a valid service credential (what `/v1/verify` adds per request when it asks for one);
//! - `rate-exactness`: one rate-limited key verified over two processes at full load, each allowed
//!   answer filed into the window the server counted it in (see `exactness.rs`);
//! - `paced`: `POST /v1/verify` at a fixed `--rate` for `--seconds` over at most `--connections` in
//!   flight (open loop, latency from each request's due time; see `paced.rs`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod exactness;
mod paced;
mod windows;

use bench_floor::{issue, Flags};
use futures_util::stream::{self, StreamExt};
use keygate_credential::{Secret, Token, TokenPrefix};
use keygate_domain::{Environment, OperatorName};
use keygate_store::{KeyStore, MemoryStore};
use keygate_verifier::manage::{Caller, Management};
use keygate_verifier::{RequestContext, SystemClock, Verifier, VerifierConfig};
use rand_core::{OsRng, RngCore};
use serde_json::{json, Value};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let result = match Flags::parse(args) {
        Err(e) => Err(e),
        Ok(flags) => match command.as_str() {
            "seed" => seed(&flags).await,
            "warm" => warm(&flags).await,
            "spend-check" => spend_check(&flags).await,
            "spends" => spends(&flags).await,
            "revocation" => revocation(&flags).await,
            "timing" => timing(&flags).await,
            "alternate" => alternate(&flags).await,
            "rate-exactness" => exactness::run(&flags).await,
            "paced" => paced::run(&flags).await,
            other => Err(format!(
                "unknown command {other:?} (seed | warm | spend-check | spends | revocation | timing | alternate | \
                 rate-exactness | paced)"
            )),
        },
    };
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench-client {command}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// keygated's HTTP API, on loopback.
#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
    /// The service credential presented on `/v1/verify` (keygated requires one).
    service: Option<String>,
}

impl Api {
    fn new(base: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self { client, base: base.trim_end_matches('/').to_owned(), service: None })
    }

    async fn post(&self, path: &str, bearer: Option<&str>, body: &Value) -> Result<(u16, Value), String> {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(body);
        let bearer = bearer.or(self.service.as_deref().filter(|_| path == "/v1/verify"));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| format!("POST {path}: {e}"))?;
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// A call that must succeed with a 2xx.
    async fn ok(&self, path: &str, bearer: Option<&str>, body: &Value) -> Result<Value, String> {
        let (status, reply) = self.post(path, bearer, body).await?;
        if (200..300).contains(&status) {
            Ok(reply)
        } else {
            Err(format!("POST {path} answered {status}: {reply}"))
        }
    }

    /// `POST /v1/verify`: whether the verdict is `valid`.
    async fn valid(&self, body: &Value) -> Result<bool, String> {
        let (status, reply) = self.post("/v1/verify", None, body).await?;
        if status != 200 {
            return Err(format!("verify answered {status}: {reply}"));
        }
        Ok(reply["valid"].as_bool() == Some(true))
    }

    /// Creates tenant `id` with two first admins, who claim their invitations; the first approves the
    /// policy the system admin asked for (a second person, as for every widening). Returns both
    /// admins' tokens.
    async fn tenant(&self, admin: &str, id: &str, dual_control: bool) -> Result<[String; 2], String> {
        let policy = json!({ "dual_control": dual_control, "live_enabled": true });
        let admins = json!([
            { "name": "Bench Admin A", "email": format!("a@{id}.bench.test") },
            { "name": "Bench Admin B", "email": format!("b@{id}.bench.test") },
        ]);
        let created = self
            .ok("/v1/tenants", Some(admin), &json!({ "id": id, "name": id, "policy": policy, "admins": admins }))
            .await?;
        let code = |n: usize| created["invitations"][n]["invitation"].as_str().map(str::to_owned);
        let (Some(a), Some(b)) = (code(0), code(1)) else { return Err(format!("no invitations in {created}")) };
        let admins = [self.claim(&a, None).await?, self.claim(&b, None).await?];
        if !created["pending_policy"].is_null() {
            self.ok(&format!("/v1/tenants/{id}/policy/approve"), Some(&admins[0]), &json!({})).await?;
        }
        Ok(admins)
    }

    /// An operator invited by the first admin, approved by the second where dual control asks for it,
    /// and claimed; returns its token.
    async fn operator(&self, admins: &[String; 2], tenant: &str, role: &str) -> Result<String, String> {
        let body =
            json!({ "name": format!("Bench {role}"), "email": format!("{role}@{tenant}.bench.test"), "roles": [role] });
        let invited = self.ok(&format!("/v1/tenants/{tenant}/operators"), Some(&admins[0]), &body).await?;
        let first = invited["invitation"].as_str().ok_or_else(|| format!("no invitation in {invited}"))?.to_owned();
        if invited["operator"]["state"] == "invited" {
            return self.claim(&first, None).await;
        }
        let id = invited["operator"]["id"].as_str().unwrap_or_default();
        let approved =
            self.ok(&format!("/v1/tenants/{tenant}/operators/{id}/approve"), Some(&admins[1]), &json!({})).await?;
        self.claim(&first, approved["invitation_2"].as_str()).await
    }

    async fn claim(&self, first: &str, second: Option<&str>) -> Result<String, String> {
        let body = json!({ "invitation": first, "invitation_2": second });
        let reply = self.ok("/v1/operators/claim", None, &body).await?;
        reply["token"].as_str().map(str::to_owned).ok_or_else(|| format!("no operator token in {reply}"))
    }

    /// Issues a service credential for every tenant (system admin); returns its token.
    async fn service(&self, admin: &str) -> Result<String, String> {
        let reply = self.ok("/v1/services", Some(admin), &json!({ "name": "bench", "tenants": "*" })).await?;
        reply["token"].as_str().map(str::to_owned).ok_or_else(|| format!("no service token in {reply}"))
    }

    /// This API with the service credential written next to `tokens` by `seed` (`service.txt`).
    fn with_service_beside(mut self, tokens: &str) -> Result<Self, String> {
        let path = Path::new(tokens).with_file_name("service.txt");
        self.service = Some(read_lines(&path.display().to_string())?.into_iter().next().ok_or("no service token")?);
        Ok(self)
    }

    /// Creates a live key with request rate limits `rate` (a JSON array, empty for none); returns (id,
    /// token).
    async fn key(
        &self,
        maker: &str,
        tenant: &str,
        name: &str,
        daily_volume: &str,
        rate: &Value,
    ) -> Result<(String, String), String> {
        let body = json!({
            "name": name,
            "environment": "live",
            "scopes": ["balance:read", "operations:write"],
            "limits": { "currency": "USD", "daily_volume": daily_volume, "rate": rate },
            "expires_in_days": 90,
        });
        let reply = self.ok(&format!("/v1/tenants/{tenant}/keys"), Some(maker), &body).await?;
        match (reply["key"]["id"].as_str(), reply["secret"].as_str()) {
            (Some(id), Some(secret)) => Ok((id.to_owned(), secret.to_owned())),
            _ => Err(format!("no key id or secret in {reply}")),
        }
    }
}

fn write_lines(path: &Path, lines: &[String]) -> Result<(), String> {
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn read_lines(path: &str) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    Ok(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect())
}

fn random_secret() -> Secret {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    Secret::from_bytes(bytes)
}

/// The token with its last checksum character replaced by another base62 character.
fn break_checksum(token: &str) -> String {
    let mut text = token.to_owned();
    let last = text.pop().unwrap_or('0');
    text.push(if last == 'A' { 'B' } else { 'A' });
    text
}

/// `--rate name:limit:window_seconds[,...]` as the API's `limits.rate` (empty: none). The API checks
/// the values: the seed asks for them as any client would.
fn rate_limits(text: &str) -> Result<Value, String> {
    let entry = |spec: &str| -> Result<Value, String> {
        let bad = || format!("--rate takes name:limit:window_seconds, not {spec:?}");
        let mut parts = spec.split(':');
        let (Some(name), Some(limit), Some(window), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let limit: u64 = limit.parse().map_err(|_| bad())?;
        let window: u32 = window.parse().map_err(|_| bad())?;
        Ok(json!({ "name": name, "limit": limit, "window_seconds": window }))
    };
    text.split(',').filter(|s| !s.is_empty()).map(entry).collect::<Result<Vec<_>, _>>().map(Value::Array)
}

async fn seed(flags: &Flags) -> Result<String, String> {
    let started = Instant::now();
    let api = Api::new(flags.text("base")?)?;
    let admin = flags.text("admin")?;
    let tenant = flags.text("tenant")?;
    let keys: usize = flags.or("keys", 10_000)?;
    let concurrency: usize = flags.or("concurrency", 8)?;
    let out = PathBuf::from(flags.text("out")?);
    let prefix = TokenPrefix::parse(flags.text("prefix").unwrap_or("kg")).map_err(|e| e.to_string())?;
    let rate = &rate_limits(flags.text("rate").unwrap_or(""))?;
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;

    let admins = api.tenant(admin, tenant, false).await?;
    for extra in flags.text("extra-tenants").unwrap_or("").split(',').filter(|t| !t.is_empty()) {
        api.tenant(admin, extra, false).await?;
    }
    let maker = api.operator(&admins, tenant, "maker").await?;
    let created: Vec<Result<(String, String), String>> = stream::iter(0..keys)
        .map(|n| {
            let (api, maker) = (api.clone(), maker.clone());
            async move { api.key(&maker, tenant, &format!("key-{n}"), "100000000000000", rate).await }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let tokens: Vec<String> = created.into_iter().map(|r| r.map(|(_, token)| token)).collect::<Result<_, _>>()?;
    let (_, limited) = api.key(&maker, tenant, "limited", "10.00", rate).await?;

    let mut wrong = Vec::with_capacity(tokens.len());
    for token in &tokens {
        let parsed =
            Token::parse(token.as_bytes(), &prefix).map_err(|e| format!("issued token does not parse: {e}"))?;
        let other = Token::new(Environment::Live, parsed.key_id(), random_secret());
        wrong.push(other.to_plain(&prefix).expose().to_owned());
    }
    let unknown: Vec<String> =
        (0..tokens.len()).map(|_| Token::generate(Environment::Live).to_plain(&prefix).expose().to_owned()).collect();
    let broken: Vec<String> = tokens.iter().map(|t| break_checksum(t)).collect();
    write_lines(&out.join("tokens.txt"), &tokens)?;
    write_lines(&out.join("service.txt"), &[api.service(admin).await?])?;
    write_lines(&out.join("limited.txt"), &[limited])?;
    write_lines(&out.join("wrong_secret.txt"), &wrong)?;
    write_lines(&out.join("unknown_id.txt"), &unknown)?;
    write_lines(&out.join("bad_checksum.txt"), &broken)?;
    Ok(format!("keys={} seconds={:.2}", tokens.len(), started.elapsed().as_secs_f64()))
}

async fn warm(flags: &Flags) -> Result<String, String> {
    let started = Instant::now();
    let api = Api::new(flags.text("base")?)?.with_service_beside(flags.text("tokens")?)?;
    let tokens = read_lines(flags.text("tokens")?)?;
    let concurrency: usize = flags.or("concurrency", 8)?;
    let verdicts: Vec<Result<bool, String>> = stream::iter(tokens.iter())
        .map(|token| {
            let api = api.clone();
            async move { api.valid(&json!({ "key": token })).await }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let valid = verdicts.iter().filter(|v| matches!(v, Ok(true))).count();
    let errors = verdicts.iter().filter(|v| v.is_err()).count();
    Ok(format!("total={} valid={valid} errors={errors} seconds={:.2}", tokens.len(), started.elapsed().as_secs_f64()))
}

async fn spend_check(flags: &Flags) -> Result<String, String> {
    let api = Api::new(flags.text("base")?)?.with_service_beside(flags.text("tokens")?)?;
    let token = read_lines(flags.text("tokens")?)?.into_iter().next().ok_or("no token in the file")?;
    let requests: usize = flags.or("requests", 1500)?;
    let concurrency: usize = flags.or("concurrency", 16)?;
    let amount = flags.or("amount", "0.01".to_owned())?;
    let body = json!({ "key": token, "amount": amount, "currency": "USD" });
    let replies: Vec<Result<(u16, Value), String>> = stream::iter(0..requests)
        .map(|_| {
            let (api, body) = (api.clone(), body.clone());
            async move { api.post("/v1/verify", None, &body).await }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut acknowledged = 0;
    let mut refused = 0;
    let mut other = 0;
    for reply in &replies {
        match reply {
            Ok((200, v)) if v["valid"] == json!(true) => acknowledged += 1,
            Ok((200, v)) if v["code"] == json!("DAILY_VOLUME_EXCEEDED") => refused += 1,
            _ => other += 1,
        }
    }
    Ok(format!("requests={requests} acknowledged={acknowledged} refused={refused} other={other}"))
}

async fn spends(flags: &Flags) -> Result<String, String> {
    let started = Instant::now();
    let api = Api::new(flags.text("base")?)?.with_service_beside(flags.text("tokens")?)?;
    let tokens = read_lines(flags.text("tokens")?)?;
    if tokens.is_empty() {
        return Err("no token in the file".into());
    }
    let count: usize = flags.or("count", 1000)?;
    let concurrency: usize = flags.or("concurrency", 16)?;
    let amount = flags.or("amount", "0.01".to_owned())?;
    let currency = flags.or("currency", "USD".to_owned())?;
    let out = PathBuf::from(flags.text("out")?);
    let replies: Vec<Result<String, String>> = stream::iter(0..count)
        .map(|n| {
            let api = api.clone();
            let body = json!({ "key": tokens[n % tokens.len()], "amount": amount, "currency": currency });
            async move {
                let (status, reply) = api.post("/v1/verify", None, &body).await?;
                match reply["spend_id"].as_str() {
                    Some(id) if status == 200 && reply["valid"] == json!(true) => Ok(id.to_owned()),
                    _ => Err(format!("spend {n} answered {status}: {reply}")),
                }
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let ids = replies.into_iter().collect::<Result<Vec<_>, _>>()?;
    write_lines(&out, &ids)?;
    Ok(format!("spends={} seconds={:.2}", ids.len(), started.elapsed().as_secs_f64()))
}

/// Milliseconds at quantile `q` (nearest rank) of sorted samples.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

async fn revocation(flags: &Flags) -> Result<String, String> {
    let mut a = Api::new(flags.text("a")?)?;
    let mut b = Api::new(flags.text("b")?)?;
    let admin = flags.text("admin")?;
    // Services are global: one issued through A verifies on B too (one database).
    let service = a.service(admin).await?;
    (a.service, b.service) = (Some(service.clone()), Some(service));
    let keys: usize = flags.or("keys", 100)?;
    let per_key = Duration::from_secs(flags.or("max-seconds", 35)?);
    let tenant = flags.or("tenant", "revocations".to_owned())?;
    // `revoke`: a maker asks, a checker approves (timed from the approval); `suspend`: one checker
    // suspends (timed from the suspension).
    let suspend = match flags.or("mode", "revoke".to_owned())?.as_str() {
        "revoke" => false,
        "suspend" => true,
        other => return Err(format!("--mode must be revoke or suspend, not {other}")),
    };
    let admins = a.tenant(admin, &tenant, true).await?;
    let maker = a.operator(&admins, &tenant, "maker").await?;
    let checker = a.operator(&admins, &tenant, "checker").await?;

    let mut issued = Vec::with_capacity(keys);
    for n in 0..keys {
        let (id, token) = a.key(&maker, &tenant, &format!("revoked-{n}"), "1000.00", &json!([])).await?;
        a.ok(&format!("/v1/tenants/{tenant}/keys/{id}/approve"), Some(&checker), &json!({})).await?;
        issued.push((id, token));
    }
    let mut took_ms = Vec::with_capacity(keys);
    let mut acknowledged_ms = Vec::with_capacity(keys);
    let mut polls = 0u64;
    let mut missed = 0;
    for (id, token) in &issued {
        let verify = json!({ "key": token });
        // Asked, not yet approved: the key still authenticates. Once B has heard of the request (and
        // evicted the key), it reads the key again and holds it in its cache.
        if !suspend {
            let revoke = json!({ "reason": "bench" });
            a.ok(&format!("/v1/tenants/{tenant}/keys/{id}/revoke"), Some(&maker), &revoke).await?;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if !b.valid(&verify).await? || !b.valid(&verify).await? {
            return Err(format!("key {id} was refused on B before it was stopped"));
        }
        let started = Instant::now();
        if suspend {
            let reason = json!({ "reason": "bench" });
            a.ok(&format!("/v1/tenants/{tenant}/keys/{id}/suspend"), Some(&checker), &reason).await?;
        } else {
            a.ok(&format!("/v1/tenants/{tenant}/keys/{id}/revocation/approve"), Some(&checker), &json!({})).await?;
        }
        acknowledged_ms.push(started.elapsed().as_secs_f64() * 1000.0);
        loop {
            polls += 1;
            if !b.valid(&verify).await? {
                took_ms.push(started.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            if started.elapsed() > per_key {
                missed += 1;
                took_ms.push(started.elapsed().as_secs_f64() * 1000.0);
                break;
            }
        }
    }
    took_ms.sort_by(f64::total_cmp);
    acknowledged_ms.sort_by(f64::total_cmp);
    Ok(format!(
        "keys={keys} missed={missed} polls={polls} p50_ms={:.3} p99_ms={:.3} max_ms={:.3} approve_p50_ms={:.3}",
        quantile(&took_ms, 0.5),
        quantile(&took_ms, 0.99),
        took_ms.last().copied().unwrap_or(f64::NAN),
        quantile(&acknowledged_ms, 0.5),
    ))
}

/// In-process verification cost by kind of credential, in nanoseconds per call: the median over
/// `--rounds` rounds of the mean over one pass through `--keys` tokens, the kinds interleaved.
async fn timing(flags: &Flags) -> Result<String, String> {
    let keys: usize = flags.or("keys", 10_000)?;
    let rounds: usize = flags.or("rounds", 15)?;
    let store: Arc<dyn KeyStore> = Arc::new(MemoryStore::new());
    let verifier = Verifier::new(store.clone(), VerifierConfig::default(), Arc::new(SystemClock));
    let tenant = issue::create_tenant(&verifier, "bench").await?;
    let prefix = verifier.prefix().clone();
    let mut valid = Vec::with_capacity(keys);
    let mut wrong = Vec::with_capacity(keys);
    let mut unknown = Vec::with_capacity(keys);
    for n in 0..keys {
        let (change, token) = issue::active_key(&verifier, &tenant, n)?;
        store.commit(&[change]).await.map_err(|e| e.to_string())?;
        valid.push(token.to_plain(&prefix).expose().to_owned());
        wrong
            .push(Token::new(Environment::Live, token.key_id(), random_secret()).to_plain(&prefix).expose().to_owned());
        unknown.push(Token::generate(Environment::Live).to_plain(&prefix).expose().to_owned());
    }
    let broken: Vec<String> = valid.iter().map(|t| break_checksum(t)).collect();
    let kinds = [("valid", &valid), ("wrong_secret", &wrong), ("unknown_id", &unknown), ("bad_checksum", &broken)];
    let ctx = RequestContext::default();
    // One service credential, as keygated issues it (same prefixes), authenticated as often per round
    // as there are keys.
    let prefix = TokenPrefix::parse(&format!("{}op", prefix.as_str())).map_err(|e| e.to_string())?;
    let manage = Management::new(verifier.clone(), prefix, None);
    let name = OperatorName::parse("bench").map_err(|e| e.to_string())?;
    let (_, service) = manage.create_service(&Caller::system(), name, None).await.map_err(|e| e.to_string())?;
    manage
        .authenticate_service(service.expose().as_bytes())
        .await
        .map_err(|e| format!("the service credential does not authenticate: {e}"))?;
    let mut samples = vec![Vec::with_capacity(rounds); kinds.len() + 1];
    // Round 0 warms the caches (positive and negative answers, the service record) and is not counted.
    for round in 0..=rounds {
        for (k, (_, tokens)) in kinds.iter().enumerate() {
            let started = Instant::now();
            for token in *tokens {
                let _ = std::hint::black_box(verifier.verify(token.as_bytes(), &ctx).await);
            }
            #[allow(clippy::cast_precision_loss)]
            let per_call = started.elapsed().as_secs_f64() * 1e9 / tokens.len().max(1) as f64;
            if round > 0 {
                samples[k].push(per_call);
            }
        }
        let started = Instant::now();
        for _ in 0..keys {
            let _ = std::hint::black_box(manage.authenticate_service(service.expose().as_bytes()).await);
        }
        #[allow(clippy::cast_precision_loss)]
        let per_call = started.elapsed().as_secs_f64() * 1e9 / keys.max(1) as f64;
        if round > 0 {
            samples[kinds.len()].push(per_call);
        }
    }
    verifier.shutdown().await;
    let mut line = format!("keys={keys} rounds={rounds}");
    let names = kinds.iter().map(|(name, _)| *name).chain(["service_auth"]);
    for (name, mut values) in names.zip(samples) {
        values.sort_by(f64::total_cmp);
        let _ = write!(line, " {name}_ns={:.0}", quantile(&values, 0.5));
    }
    Ok(line)
}

/// Latency of two kinds of token over HTTP, measured alternately on one connection.
async fn alternate(flags: &Flags) -> Result<String, String> {
    let api = Api::new(flags.text("base")?)?.with_service_beside(flags.text("first")?)?;
    let first = read_lines(flags.text("first")?)?;
    let second = read_lines(flags.text("second")?)?;
    let requests: usize = flags.or("requests", 10_000)?;
    let limit = Duration::from_secs(flags.or("max-seconds", 60)?);
    if first.is_empty() || second.is_empty() {
        return Err("both token files must hold tokens".into());
    }
    let started = Instant::now();
    let (mut a, mut b) = (Vec::with_capacity(requests), Vec::with_capacity(requests));
    for n in 0..requests {
        if started.elapsed() > limit {
            break;
        }
        for (tokens, times) in [(&first, &mut a), (&second, &mut b)] {
            let body = json!({ "key": tokens[n % tokens.len()] });
            let sent = Instant::now();
            api.valid(&body).await?;
            times.push(sent.elapsed().as_secs_f64() * 1e6);
        }
    }
    #[allow(clippy::cast_precision_loss)]
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (mean_a, mean_b) = (mean(&a), mean(&b));
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    Ok(format!(
        "pairs={} first_p50_us={:.1} second_p50_us={:.1} first_mean_us={mean_a:.1} second_mean_us={mean_b:.1}",
        a.len().min(b.len()),
        quantile(&a, 0.5),
        quantile(&b, 0.5)
    ))
}
