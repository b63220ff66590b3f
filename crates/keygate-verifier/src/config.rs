//! How a verifier is set up.

use std::time::Duration;

use keygate_credential::signing::SigningMasterKey;
use keygate_credential::{Pepper, TokenPrefix};

/// Verifier settings.
#[derive(Debug, Clone)]
pub struct VerifierConfig {
    /// The token prefix this installation issues (`kg`).
    pub prefix: TokenPrefix,
    /// The server-side pepper mixed into secret hashes, if configured.
    pub pepper: Option<Pepper>,
    /// Most key records kept in the cache.
    pub cache_capacity: u64,
    /// Longest time a cached answer (positive or negative) is used without asking the store again.
    /// Notifications evict changed keys at once; this bounds staleness if a notification is lost and
    /// how long cached keys keep verifying while the store is down.
    pub cache_ttl: Duration,
    /// The master key HMAC signing keys' secrets are derived from (`KEYGATE_SIGNING_KEY`); without it
    /// no `hmac-sha256` key can be made, and signatures of existing ones do not verify.
    pub signing_key: Option<SigningMasterKey>,
    /// Longest time a verification's usage count (per-day requests, last use) waits in memory before it
    /// is written. Longer is cheaper for the database (a batch holds one row per key however often
    /// it was used); what a crash (not a graceful stop) can lose is this much of the counts, never a
    /// spend, which is written by its own request.
    pub usage_flush_interval: Duration,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            prefix: TokenPrefix::default(),
            pepper: None,
            cache_capacity: 100_000,
            cache_ttl: Duration::from_secs(30),
            signing_key: None,
            usage_flush_interval: Duration::from_secs(5),
        }
    }
}
