//! `Verifier::verify`: parse -> cached look-up -> constant-time hash check -> policy -> spend -> usage.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use keygate_credential::signing::{HmacSecret, SigningMasterKey};
use keygate_credential::{SecretHash, SecretHasher, Token, TokenPrefix};
use keygate_domain::{retry_after, Clock, CurrencyTable, Key, KeyId, PerWindow, SpendId, TenantId};
use keygate_policy::{evaluate, Denial, DenialCode, Money, RequestContext};
use keygate_store::{
    Idempotency, KeyRecord, KeyStore, NewSpend, Recorded, SpendRecord, StoreError, UsageBuffer, UsageBufferOptions,
};
use rand_core::{OsRng, RngCore};

use crate::cache::{Entry, KeyCache, Queued, RENEWAL_BATCH};
use crate::config::VerifierConfig;
use crate::outcome::{Verified, VerifyError};
use crate::rate::{Counted, RateLeases, Taken};
use crate::tenant_rules::{RulesCache, TenantRules};

pub(crate) struct Inner {
    store: Arc<dyn KeyStore>,
    clock: Arc<dyn Clock>,
    hasher: SecretHasher,
    prefix: TokenPrefix,
    cache: KeyCache,
    usage: UsageBuffer,
    rules: RulesCache,
    rates: Arc<RateLeases>,
    /// Compared against when the id is unknown, so an unknown id costs what a wrong secret costs.
    decoy: SecretHash,
    /// Derives HMAC signing keys' secrets; `None` where `KEYGATE_SIGNING_KEY` is not set.
    pub(crate) signing_key: Option<SigningMasterKey>,
    /// Checked against when a signature's `keyid` is unknown, so that costs what a wrong signature costs.
    pub(crate) signing_decoy: HmacSecret,
    /// Likewise for a signature whose `alg` is `ed25519`: a valid public key nobody holds the private
    /// half of (its seed is dropped at start).
    pub(crate) ed25519_decoy: [u8; 32],
}

/// The verifier. Cheap to clone; clones share the cache and the usage buffer.
#[derive(Clone)]
pub struct Verifier {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("prefix", &self.inner.prefix).finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier over `store`. Must be called inside a tokio runtime: it starts the usage buffer's
    /// flushing task and the task giving back rate budget whose lease ended.
    pub fn new(store: Arc<dyn KeyStore>, config: VerifierConfig, clock: Arc<dyn Clock>) -> Self {
        let cache = KeyCache::new(config.cache_capacity, config.cache_ttl, store.invalidations());
        let usage_options =
            UsageBufferOptions { interval: config.usage_flush_interval, ..UsageBufferOptions::default() };
        let usage = UsageBuffer::start(store.clone(), usage_options);
        let rates = Arc::new(RateLeases::new(store.clone()));
        crate::rate::start_sweeper(&rates, clock.clone());
        let mut decoy = [0u8; 32];
        OsRng.fill_bytes(&mut decoy);
        let mut signing_decoy = [0u8; 32];
        OsRng.fill_bytes(&mut signing_decoy);
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(seed.as_mut());
        let inner = Inner {
            store,
            clock,
            hasher: SecretHasher::new(config.pepper.as_ref()),
            prefix: config.prefix,
            cache,
            usage,
            rules: RulesCache::default(),
            rates,
            decoy: SecretHash::from_bytes(decoy),
            signing_key: config.signing_key,
            signing_decoy: HmacSecret::from_bytes(signing_decoy),
            ed25519_decoy: keygate_credential::signing::ed25519_public_key(&seed),
        };
        Self { inner: Arc::new(inner) }
    }

    /// The store behind this verifier.
    pub fn store(&self) -> &Arc<dyn KeyStore> {
        &self.inner.store
    }

    /// The hasher (with the configured pepper), for issuing secrets that this verifier will accept.
    pub fn hasher(&self) -> &SecretHasher {
        &self.inner.hasher
    }

    /// The token prefix.
    pub fn prefix(&self) -> &TokenPrefix {
        &self.inner.prefix
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Decides whether the presented token may do what `ctx` describes; spends `ctx.amount` against the
    /// key's daily volume when it has one.
    ///
    /// Counts each outcome in `keygate_verifications_total{code}`. Latency is the caller's to measure
    /// (keygated records `keygate_verify_seconds`): two clock reads are a tenth of a cached verification.
    pub async fn verify(&self, raw: &[u8], ctx: &RequestContext) -> Result<Verified, VerifyError> {
        let outcome = self.verify_inner(raw, ctx, VerifyOptions::default(), &mut None).await;
        outcome_counter(&outcome).increment(1);
        outcome
    }

    /// [`Verifier::verify`] with [`VerifyOptions`]: only about keys of some tenants (a service bound to
    /// them: a key of another tenant answers exactly as an unknown key does, `NOT_FOUND`, after the same
    /// work, and nothing is spent for it), and with an idempotency key (a retry within 24 hours answers
    /// the first verdict's spend without spending again; a different request under it is
    /// [`VerifyError::IdempotencyMismatch`]). A replay never outlives a stop: the key is checked as it is
    /// now first, so a key suspended, revoked or expired since answers that denial.
    pub async fn verify_with(
        &self,
        raw: &[u8],
        ctx: &RequestContext,
        options: VerifyOptions<'_>,
    ) -> Result<Verified, VerifyError> {
        let outcome = self.verify_inner(raw, ctx, options, &mut None).await;
        outcome_counter(&outcome).increment(1);
        outcome
    }

    /// [`Verifier::verify_with`], also answering the key the token named when it exists ([`Subject`]),
    /// whatever the outcome: the key whose request log the outcome belongs to. A malformed token or an
    /// unknown id names none; a wrong secret, another environment's spelling or a key of a tenant the
    /// caller may not ask about names its key (the answer to the caller is the same `NOT_FOUND`).
    pub async fn verify_with_subject(
        &self,
        raw: &[u8],
        ctx: &RequestContext,
        options: VerifyOptions<'_>,
    ) -> (Result<Verified, VerifyError>, Option<Subject>) {
        let mut named = None;
        let outcome = self.verify_inner(raw, ctx, options, &mut named).await;
        outcome_counter(&outcome).increment(1);
        (outcome, named.as_deref().map(|record: &KeyRecord| Subject::of(&record.key)))
    }

    async fn verify_inner(
        &self,
        raw: &[u8],
        ctx: &RequestContext,
        options: VerifyOptions<'_>,
        named: &mut Entry,
    ) -> Result<Verified, VerifyError> {
        let within = options.within;
        let token = Token::parse(raw, &self.inner.prefix).map_err(|_| Denial::Malformed)?;
        let entry = self.lookup(token.key_id()).await?;
        named.clone_from(&entry);
        let record = self.authenticate(&token, entry.as_deref())?;
        if within.is_some_and(|tenants| !tenants.contains(&record.key.tenant)) {
            return Err(Denial::NotFound.into());
        }
        self.authorize(record, ctx, options).await
    }

    /// What follows authentication, for a bearer key and a signed request alike: the policy, the spend
    /// and the usage.
    ///
    /// A plain verification of a cached key never suspends, so its future is kept small: what may wait
    /// on the store (a spend, a rate lease) is a boxed future of its own, allocated only when taken.
    /// Every verification's future is moved into its task; it was several hundred bytes larger with
    /// those paths inline, and copying it was the largest single cost of a hot verification.
    pub(crate) async fn authorize(
        &self,
        record: &KeyRecord,
        ctx: &RequestContext,
        options: VerifyOptions<'_>,
    ) -> Result<Verified, VerifyError> {
        let now = self.inner.clock.now();
        let verified = match ctx.amount {
            // Only money needs the tenant's rules, so a plain verification never reads them.
            None => {
                evaluate(&record.key, ctx, now, &NO_CURRENCIES)?;
                if !self.count_rate_in_slice(&record.key, now)? {
                    Box::pin(self.count_rate(&record.key, &NO_CURRENCIES, ctx, now)).await?;
                }
                verified(&record.key, ctx)
            }
            Some(money) => Box::pin(self.authorize_amount(&record.key, ctx, options, money, now)).await?,
        };
        self.inner.usage.record(&record.key.tenant, record.key.id, now, ctx.client_ip);
        Ok(verified)
    }

    /// The amount-bearing rest of [`Verifier::authorize`]: the tenant's rules, the rate limits, the spend.
    async fn authorize_amount(
        &self,
        cached: &Key,
        ctx: &RequestContext,
        options: VerifyOptions<'_>,
        money: Money,
        now: DateTime<Utc>,
    ) -> Result<Verified, VerifyError> {
        let mut verified = verified(cached, ctx);
        let rules = self.rules(&cached.tenant).await?;
        evaluate(cached, ctx, now, &rules.currencies)?;
        // Counted before the spend so a rate-limited request writes none, and handed back if the spend
        // is refused, so a refused request counts in no limit.
        let (fresh, counted) = self.count_rate(cached, &rules.currencies, ctx, now).await?;
        let key = fresh.as_ref().unwrap_or(cached);
        let idempotency = options.idempotency.map(|key| (key, options.caller));
        let charged = self.charge_checked(key, &rules, ctx, money, now, idempotency, &mut verified).await;
        if charged.is_err() {
            self.inner.rates.untake(key, &counted);
        }
        charged.map(|()| verified)
    }

    /// Holds an already verified key to an amount (for services that learn the amount from the body
    /// after authenticating from the headers): currency and per-operation limit, then the daily volume.
    /// The key is checked again as it is now, for the tenant and client address it was verified for.
    pub async fn charge(&self, verified: &Verified, money: Money) -> Result<Verified, VerifyError> {
        let entry = self.lookup(verified.key_id).await?;
        let record = entry.ok_or(Denial::NotFound)?;
        let now = self.inner.clock.now();
        let ctx = RequestContext {
            tenant: Some(verified.tenant.clone()),
            client_ip: verified.client_ip,
            amount: Some(money),
            ..RequestContext::default()
        };
        let rules = self.rules(&record.key.tenant).await?;
        evaluate(&record.key, &ctx, now, &rules.currencies)?;
        let mut charged = verified.clone();
        self.charge_checked(&record.key, &rules, &ctx, money, now, None, &mut charged).await?;
        Ok(charged)
    }

    /// Gives back what `verified` spent, when the operation it authorised failed afterwards. Idempotent:
    /// a second call (or a retry after an ambiguous error) gives nothing back again.
    pub async fn release(&self, verified: &Verified) -> Result<(), VerifyError> {
        match verified.spend {
            Some(id) => self.release_spend(id, None).await.map(drop),
            None => Ok(()),
        }
    }

    /// Gives back the spend `id` to the window it was charged to, once: `(record, true)` the first
    /// time, `(record, false)` after. A caller that may act only on some tenants (`within`) gets
    /// `NOT_FOUND` for another tenant's spend. A release after the spend's day has closed changes
    /// nothing in the new day.
    pub async fn release_spend(
        &self,
        id: SpendId,
        within: Option<&[TenantId]>,
    ) -> Result<(SpendRecord, bool), VerifyError> {
        let store = &self.inner.store;
        if let Some(tenants) = within {
            let record = store.spend_record(id).await.map_err(store_error)?;
            if !tenants.contains(&record.tenant) {
                return Err(Denial::NotFound.into());
            }
        }
        store.release_spend(id).await.map_err(store_error)
    }

    /// Drops any cached answer for `id`, at once. Management calls it after each commit so this process
    /// reads its own writes; other processes hear of the change through the store's notifications.
    pub fn forget(&self, id: KeyId) {
        self.inner.cache.evict(keygate_store::Invalidation::Key(id));
    }

    /// Drops the cached rules of `tenant` (its currency table and time zone), at once. Management calls
    /// it after each change of the tenant; other processes read them again within
    /// [`crate::tenant_rules::RULES_TTL`].
    pub fn forget_tenant(&self, tenant: &TenantId) {
        self.inner.rules.forget(tenant);
    }

    /// The rules of `tenant`, cached.
    pub(crate) async fn rules(&self, tenant: &TenantId) -> Result<Arc<TenantRules>, VerifyError> {
        if let Some(rules) = self.inner.rules.get(tenant) {
            return Ok(rules);
        }
        let generation = self.inner.rules.generation();
        let read = self.inner.store.tenant(tenant).await.map_err(store_error)?;
        let rules = Arc::new(TenantRules::of(&read));
        self.inner.rules.put(tenant.clone(), rules.clone(), generation);
        Ok(rules)
    }

    /// Counts a plain request in the key's rate limits from the budget this process holds, without
    /// waiting: `Ok(true)` when counted (or the key has no limits), a refusal when a limit is spent,
    /// `Ok(false)` when a lease is needed first ([`Verifier::count_rate`]).
    fn count_rate_in_slice(&self, key: &Key, now: DateTime<Utc>) -> Result<bool, VerifyError> {
        // A key without rate limits costs nothing here: no lock, no allocation.
        let rates = key.privileges.limits.rate();
        if rates.is_empty() {
            return Ok(true);
        }
        self.inner.rates.drop_on_reset(self.inner.cache.resets());
        match self.inner.rates.try_take(key.id, rates, now) {
            Some(Taken::Allowed(_)) => Ok(true),
            Some(Taken::Refused(denial)) => Err(denial.into()),
            Some(Taken::Stale) | None => Ok(false),
        }
    }

    /// Counts the request in each of the key's rate limits, or refuses it counted in none. A key the
    /// store calls stale (changed since it was cached) is read again and decided anew; the key read
    /// then is answered with it.
    async fn count_rate(
        &self,
        cached: &Key,
        currencies: &CurrencyTable,
        ctx: &RequestContext,
        now: DateTime<Utc>,
    ) -> Result<(Option<Key>, Counted), VerifyError> {
        // A key without rate limits costs nothing here: no lock, no allocation.
        if cached.privileges.limits.rate().is_empty() {
            return Ok((None, Counted::default()));
        }
        let rates = &self.inner.rates;
        rates.drop_on_reset(self.inner.cache.resets());
        let mut fresh: Option<Key> = None;
        for _ in 0..3 {
            let key = fresh.as_ref().unwrap_or(cached);
            match rates.take(key, now).await.map_err(store_error)? {
                Taken::Allowed(taken) => return Ok((fresh, taken)),
                Taken::Refused(denial) => return Err(denial.into()),
                Taken::Stale => fresh = Some(self.refresh(key.id, currencies, ctx, now, true).await?),
            }
        }
        Err(VerifyError::Unavailable)
    }

    /// Gives back the unused rate budget this process holds, then writes the usage still buffered
    /// (call on graceful shutdown).
    pub async fn shutdown(&self) {
        self.inner.rates.sweep(self.inner.clock.now(), true).await;
        if let Err(error) = self.inner.usage.shutdown().await {
            tracing::warn!(%error, "usage could not be written at shutdown");
        }
    }

    /// Money never rides on a cached answer alone: an amount-bearing request always makes one store
    /// round trip, the atomic spend, which charges the day, week and month (in the tenant's zone) at
    /// once under the key's volumes for the currency, and checks that the key's stored version is the
    /// one decided on; a key changed since (revoked, narrowed) is read again and decided anew.
    #[allow(clippy::too_many_arguments)] // One decision's inputs, each used once; a struct would only rename them.
    async fn charge_checked(
        &self,
        cached: &Key,
        rules: &TenantRules,
        ctx: &RequestContext,
        money: Money,
        now: DateTime<Utc>,
        idempotency: Option<(&str, &str)>,
        verified: &mut Verified,
    ) -> Result<(), VerifyError> {
        let store = &self.inner.store;
        let mut key = cached.clone();
        let idempotency = idempotency.map(|(k, caller)| Idempotency {
            key: k.to_owned(),
            fingerprint: crate::spend::fingerprint(cached.id, ctx, money, caller),
        });
        let zone = rules.zone_at(now);
        let starts = PerWindow::starts(zone, now);
        for _ in 0..3 {
            let entry = money.currency.and_then(|currency| key.privileges.limits.amount_limit(currency).copied());
            let spend = NewSpend {
                id: new_spend_id(),
                tenant: key.tenant.clone(),
                key: key.id,
                key_version: key.version,
                amount: money.amount.value(),
                currency: money.currency,
                starts,
                limits: PerWindow::from_fn(|w| entry.and_then(|e| e.volume(w)).map(keygate_domain::Amount::value)),
                idempotency: idempotency.clone(),
                at: now,
            };
            match store.record_spend(&spend).await.map_err(store_error)? {
                Recorded::Spent { spend, remaining } => {
                    verified.remaining_daily_volume = remaining.day;
                    verified.remaining_weekly_volume = remaining.week;
                    verified.remaining_monthly_volume = remaining.month;
                    verified.spent = Some(money);
                    verified.spent_on = Some(spend.starts.day);
                    verified.spend = Some(spend.id);
                    return Ok(());
                }
                Recorded::Replayed { spend } => {
                    verified.spent = Some(money);
                    verified.spent_on = Some(spend.starts.day);
                    verified.spend = Some(spend.id);
                    return Ok(());
                }
                Recorded::Mismatch => return Err(VerifyError::IdempotencyMismatch),
                Recorded::Refused { window, remaining } => {
                    let retry_after = retry_after(zone, now, window);
                    return Err(Denial::VolumeExceeded { window, remaining, retry_after }.into());
                }
                Recorded::Stale => key = self.refresh(key.id, &rules.currencies, ctx, now, true).await?,
            }
        }
        // The key changed under us three times in a row: let the caller retry rather than guess.
        Err(VerifyError::Unavailable)
    }

    /// Reads the key from the store, caches what it read, and decides the request again on it. A copy
    /// the store called stale is evicted first, so it is not served again if the read fails.
    async fn refresh(
        &self,
        id: KeyId,
        currencies: &CurrencyTable,
        ctx: &RequestContext,
        now: DateTime<Utc>,
        stale: bool,
    ) -> Result<Key, VerifyError> {
        if stale {
            self.forget(id);
        }
        let cache = &self.inner.cache;
        let generation = cache.generation();
        let entry = self.inner.store.find_key(id).await.map_err(store_error)?;
        cache.insert(id, entry.clone(), generation);
        let record = entry.ok_or(Denial::NotFound)?;
        evaluate(&record.key, ctx, now, currencies)?;
        Ok(record.key.clone())
    }

    pub(crate) async fn lookup(&self, id: KeyId) -> Result<Entry, VerifyError> {
        let cache = &self.inner.cache;
        if let Some(hit) = cache.get(&id) {
            cache_counters().hits.increment(1);
            if hit.refresh {
                self.refresh_ahead(id);
            }
            return Ok(hit.entry);
        }
        cache_counters().misses.increment(1);
        let generation = cache.generation();
        let entry = self.inner.store.find_key(id).await.map_err(store_error)?;
        cache.insert(id, entry.clone(), generation);
        Ok(entry)
    }

    /// Queues `id` to be read again in the background, so a key in use is renewed before its entry
    /// expires and its verifications never wait on the store. The first of a batch schedules it: a
    /// few milliseconds later every key queued by then is read, [`RENEWAL_BATCH`] to a
    /// [`KeyStore::find_keys`]. A failed read changes nothing: the entries still expire at their TTL (a store
    /// that stays down fails closed then). Outside a tokio runtime there is no background, and the
    /// entry is read on the request path once it expires.
    fn refresh_ahead(&self, id: KeyId) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        if self.inner.cache.queue_renewal(id) != Queued::First {
            return;
        }
        let verifier = self.clone();
        runtime.spawn(async move {
            let cache = &verifier.inner.cache;
            let mut batch = cache.renewal_batch();
            tokio::time::sleep(cache.renewal_gather()).await;
            verifier.renew(batch.take()).await;
        });
    }

    /// Reads `ids` again and caches what it read; their claims end with the batch that holds them.
    async fn renew(&self, ids: &[KeyId]) {
        let cache = &self.inner.cache;
        for batch in ids.chunks(RENEWAL_BATCH) {
            let generation = cache.generation();
            match self.inner.store.find_keys(batch).await {
                Ok(found) => {
                    cache_counters().refreshes.increment(batch.len() as u64);
                    for (&id, entry) in batch.iter().zip(found) {
                        cache.insert(id, entry, generation);
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, keys = batch.len(), "renewal ahead of the cache TTL failed; the entries expire as due");
                }
            }
        }
    }

    /// The stored key `raw` is a token of, in whatever state, read from the store rather than the cache
    /// (a leak report acts on the key as it is now). The secret is checked as [`Verifier::verify`]
    /// checks it, in constant time and against the decoy for an unknown id, so a wrong secret costs
    /// and answers what an unknown key does: `None`, as a malformed token.
    pub(crate) async fn holder(&self, raw: &[u8]) -> Result<Option<KeyRecord>, StoreError> {
        let Ok(token) = Token::parse(raw, &self.inner.prefix) else { return Ok(None) };
        let record = self.inner.store.find_key(token.key_id()).await?;
        Ok(self.authenticate(&token, record.as_deref()).ok().cloned())
    }

    /// Constant-time check of the presented secret. An unknown id, and a key whose secret is still to
    /// be revealed, are compared against a decoy hash, so they cost the same and answer the same as a
    /// wrong secret.
    fn authenticate<'r>(&self, token: &Token, record: Option<&'r KeyRecord>) -> Result<&'r KeyRecord, Denial> {
        let presented = self.inner.hasher.hash(token.key_id(), token.secret());
        let stored = record.and_then(|r| r.secret_hash.as_ref()).unwrap_or(&self.inner.decoy);
        let matches = presented.matches(stored);
        match record {
            // A signing-only key's bearer form authenticates nothing, whatever its hash.
            Some(r)
                if matches
                    && r.secret_hash.is_some()
                    && r.signing.as_ref().is_none_or(keygate_domain::Signing::bearer)
                    && r.key.environment == token.environment() =>
            {
                Ok(r)
            }
            _ => Err(Denial::NotFound),
        }
    }
}

fn verified(key: &Key, ctx: &RequestContext) -> Verified {
    Verified {
        key_id: key.id,
        tenant: key.tenant.clone(),
        account: key.account.clone(),
        environment: key.environment,
        owner: key.owner.clone(),
        scopes: key.privileges.scopes.clone(),
        expires_at: key.expiry.at(),
        remaining_daily_volume: None,
        remaining_weekly_volume: None,
        remaining_monthly_volume: None,
        spent: None,
        spent_on: None,
        client_ip: ctx.client_ip,
        spend: None,
    }
}

/// The counter of `keygate_verifications_total` for this outcome. Handles are registered once (with
/// the recorder installed at that moment), so counting costs an atomic add, not a labelled key built
/// and allocated on every verification.
pub(crate) fn outcome_counter(outcome: &Result<Verified, VerifyError>) -> &'static metrics::Counter {
    static COUNTERS: OnceLock<Vec<metrics::Counter>> = OnceLock::new();
    let counters = COUNTERS.get_or_init(|| {
        let codes = std::iter::once("OK")
            .chain(DenialCode::ALL.iter().map(|c| c.as_str()))
            .chain(std::iter::once("STORE_UNAVAILABLE"));
        let codes = codes.chain(std::iter::once("IDEMPOTENCY_MISMATCH"));
        codes.map(|code| metrics::counter!("keygate_verifications_total", "code" => code)).collect()
    });
    let index = match outcome {
        Ok(_) => 0,
        Err(VerifyError::Denied(denial)) => 1 + DenialCode::ALL.iter().position(|c| *c == denial.code()).unwrap_or(0),
        Err(VerifyError::Unavailable) => 1 + DenialCode::ALL.len(),
        Err(VerifyError::IdempotencyMismatch) => 2 + DenialCode::ALL.len(),
    };
    &counters[index]
}

/// The key cache's counters, registered once as the outcome counters are: `counter!` looks its key up
/// in the recorder on every call, which on a cache hit cost more than the look-up itself.
struct CacheCounters {
    hits: metrics::Counter,
    misses: metrics::Counter,
    refreshes: metrics::Counter,
}

fn cache_counters() -> &'static CacheCounters {
    static COUNTERS: OnceLock<CacheCounters> = OnceLock::new();
    COUNTERS.get_or_init(|| CacheCounters {
        hits: metrics::counter!("keygate_cache_hits_total"),
        misses: metrics::counter!("keygate_cache_misses_total"),
        refreshes: metrics::counter!("keygate_cache_refreshes_total"),
    })
}

/// The table a verification without an amount is evaluated against: it is never consulted.
static NO_CURRENCIES: std::sync::LazyLock<CurrencyTable> = std::sync::LazyLock::new(CurrencyTable::empty);

/// A fresh spend id: 128 bits from the OS RNG.
fn new_spend_id() -> SpendId {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    SpendId::from_bytes(bytes)
}

pub(crate) fn store_error(error: StoreError) -> VerifyError {
    match error {
        StoreError::NotFound => VerifyError::Denied(Denial::NotFound),
        other => {
            tracing::warn!(error = %other, "key store unavailable; failing closed");
            VerifyError::Unavailable
        }
    }
}

/// The existing key a verification named (whatever its outcome): what its request-log line is filed
/// under. Never holds the token, its secret or the key's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The key's tenant.
    pub tenant: TenantId,
    /// The key.
    pub key: KeyId,
    /// Its environment.
    pub environment: keygate_domain::Environment,
    /// The account it is bound to, if any.
    pub account: Option<keygate_domain::AccountId>,
}

impl Subject {
    /// The subject that is `key`.
    pub fn of(key: &Key) -> Self {
        Self { tenant: key.tenant.clone(), key: key.id, environment: key.environment, account: key.account.clone() }
    }
}

/// How a verification is asked: by a caller limited to some tenants, and with an idempotency key.
#[derive(Debug, Clone, Copy, Default)]
pub struct VerifyOptions<'a> {
    /// Only keys of these tenants exist for the caller.
    pub within: Option<&'a [TenantId]>,
    /// A retry of the same request within 24 hours spends once (see [`crate::spend`]).
    pub idempotency: Option<&'a str>,
    /// Who asks (a service's id): part of what an idempotency key is held to, so two callers sharing
    /// an API key never replay each other's verdicts.
    pub caller: &'a str,
}
