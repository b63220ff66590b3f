//! Recorded spends in memory: the same claim, add and record as PostgreSQL's one transaction, and the
//! release that gives an amount back once. Each runs under the store's write lock, and checks
//! everything before its first write, so a refused or stale spend leaves nothing (no claim) behind.

use chrono::{DateTime, Duration, Utc};
use keygate_domain::{KeyId, SpendId, TenantId};
use rust_decimal::Decimal;

use super::state::State;
use crate::audit_chain::stored_instant;
use crate::error::StoreError;
use crate::model::{NewSpend, Recorded, SpendRecord, SpendState};

/// Where an idempotency key is claimed: per tenant and key, as PostgreSQL's primary key.
pub(super) type ClaimKey = (TenantId, KeyId, String);

/// An idempotency key's claim.
pub(super) struct Claim {
    pub spend: SpendId,
    pub fingerprint: [u8; 32],
    pub created_at: DateTime<Utc>,
}

/// How long a claim answers for its spend; PostgreSQL's `interval '24 hours'`.
fn claim_lifetime() -> Duration {
    Duration::hours(24)
}

impl State {
    /// Records `s` (see `KeyStore::record_spend`). The caller holds the write lock.
    pub fn record_spend(&mut self, s: &NewSpend) -> Result<Recorded, StoreError> {
        let Some(record) = self.keys.get(&s.key).filter(|r| r.key.tenant == s.tenant) else {
            return Err(StoreError::NotFound);
        };
        let version = record.key.version;
        // What PostgreSQL keeps of the instant (microseconds), so the 24 hours are measured alike.
        let at = stored_instant(s.at);
        let claim_key = s.idempotency.as_ref().map(|i| (s.tenant.clone(), s.key, i.key.clone()));
        // A replay answers for the key as it is now, like a spend: a key changed since the caller's
        // read (revoked, narrowed) is stale first, so the caller decides again and answers that.
        if version != s.key_version {
            return Ok(Recorded::Stale);
        }
        if let (Some(idempotency), Some(claim_key)) = (&s.idempotency, &claim_key) {
            // A claim exactly 24 hours old still answers, as PostgreSQL's strict `<` says. A claim whose
            // spend was given back answers nothing: the retry spends anew (a replay that holds no money
            // would let a released spend be used again and again).
            let live = self
                .claims
                .get(claim_key)
                .filter(|c| at - c.created_at <= claim_lifetime())
                .filter(|c| self.spends.get(&c.spend).is_some_and(|spend| spend.state == SpendState::Held));
            if let Some(claim) = live {
                if claim.fingerprint != idempotency.fingerprint {
                    return Ok(Recorded::Mismatch);
                }
                let spend = self.spends.get(&claim.spend).cloned();
                let spend = spend.ok_or_else(|| StoreError::Corrupt("a claim names no spend".to_owned()))?;
                return Ok(Recorded::Replayed { spend });
            }
        }
        let before = self.spent.get(&(s.key, s.day)).copied().unwrap_or(Decimal::ZERO);
        let total =
            before.checked_add(s.amount).ok_or_else(|| StoreError::Corrupt("spent: out of range".to_owned()))?;
        if let Some(limit) = s.limit.filter(|limit| total > *limit) {
            return Ok(Recorded::Refused { remaining: (limit - before).max(Decimal::ZERO) });
        }
        // PostgreSQL's constraints, checked before the first write as its rollback would undo them.
        if s.amount <= Decimal::ZERO {
            return Err(StoreError::Corrupt("write refused by the schema: spends_amount_positive".to_owned()));
        }
        if self.spends.contains_key(&s.id) {
            return Err(StoreError::AlreadyExists);
        }
        self.spent.insert((s.key, s.day), total);
        let spend = SpendRecord {
            id: s.id,
            tenant: s.tenant.clone(),
            key: s.key,
            amount: s.amount,
            currency: s.currency,
            day: s.day,
            state: SpendState::Held,
            created_at: at,
        };
        self.spends.insert(s.id, spend.clone());
        if let (Some(idempotency), Some(claim_key)) = (&s.idempotency, claim_key) {
            let claim = Claim { spend: s.id, fingerprint: idempotency.fingerprint, created_at: at };
            self.claims.insert(claim_key, claim);
        }
        Ok(Recorded::Spent { spend, remaining: s.limit.map(|limit| limit - total) })
    }

    /// Releases a held spend; `true` if this call did. The caller holds the write lock.
    pub fn release_spend(&mut self, id: SpendId) -> Result<(SpendRecord, bool), StoreError> {
        let spend = self.spends.get_mut(&id).ok_or(StoreError::NotFound)?;
        if spend.state == SpendState::Released {
            return Ok((spend.clone(), false));
        }
        spend.state = SpendState::Released;
        let spend = spend.clone();
        // Its own day, so a release after that day closed leaves the new day's total alone.
        if let Some(spent) = self.spent.get_mut(&(spend.key, spend.day)) {
            *spent = (*spent - spend.amount).max(Decimal::ZERO);
        }
        Ok((spend, true))
    }
}
