//! Recorded spends in memory: the same claim, charge to the three windows and record as PostgreSQL's
//! one transaction, and the release that gives an amount back once. Each runs under the store's write
//! lock, and checks everything (every window's limit included) before its first write, so a refused or
//! stale spend leaves nothing (no claim, no total) behind.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use keygate_domain::{Currency, KeyId, PerWindow, SpendId, TenantId, Window};
use rust_decimal::Decimal;

use super::state::State;
use crate::audit_chain::stored_instant;
use crate::error::StoreError;
use crate::model::{NewSpend, Recorded, SpendRecord, SpendState};

/// Where an idempotency key is claimed: per tenant and key, as PostgreSQL's primary key.
pub(super) type ClaimKey = (TenantId, KeyId, String);

/// Where a window's running total is kept: per key (ids are unique across tenants), currency (`None`
/// is a currency of its own, as PostgreSQL's `''`), window and the local date the window starts on.
pub(super) type TotalKey = (KeyId, Option<Currency>, Window, NaiveDate);

/// The totals a spend of `currency` starting on `starts` is charged to, shortest window first.
fn total_keys(key: KeyId, currency: Option<Currency>, starts: &PerWindow<NaiveDate>) -> PerWindow<TotalKey> {
    PerWindow::from_fn(|window| (key, currency, window, *starts.get(window)))
}

/// Whether the week and month start on the Monday and the first of the day's own week and month: the
/// windows of one instant, as PostgreSQL's `spends_windows_contain_day` says.
fn windows_contain_day(starts: &PerWindow<NaiveDate>) -> bool {
    let monday = starts.day.checked_sub_days(chrono::Days::new(starts.day.weekday().num_days_from_monday().into()));
    monday == Some(starts.week) && starts.day.with_day(1) == Some(starts.month)
}

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
        // Every window's new total, and every limit checked, before anything is written: all three are
        // charged or none is, and a refusal names the shortest window it would overrun.
        let keys = total_keys(s.key, s.currency, &s.starts);
        let before = keys.map(|key| self.spent.get(&key).copied().unwrap_or(Decimal::ZERO));
        let after = before.map(|spent| spent.checked_add(s.amount));
        let (Some(day), Some(week), Some(month)) = (after.day, after.week, after.month) else {
            return Err(StoreError::Corrupt("spent: out of range".to_owned()));
        };
        let after = PerWindow { day, week, month };
        for window in Window::ALL {
            if let Some(limit) = s.limits.get(window).filter(|limit| after.get(window) > limit) {
                let remaining = (limit - before.get(window)).max(Decimal::ZERO);
                return Ok(Recorded::Refused { window, remaining });
            }
        }
        // PostgreSQL's constraints, checked before the first write as its rollback would undo them.
        if s.amount <= Decimal::ZERO {
            return Err(StoreError::Corrupt("write refused by the schema: spends_amount_positive".to_owned()));
        }
        if !windows_contain_day(&s.starts) {
            return Err(StoreError::Corrupt("write refused by the schema: spends_windows_contain_day".to_owned()));
        }
        if self.spends.contains_key(&s.id) {
            return Err(StoreError::AlreadyExists);
        }
        for (window, key) in keys.iter() {
            self.spent.insert(*key, *after.get(window));
        }
        let spend = s.held();
        self.spends.insert(s.id, spend.clone());
        if let (Some(idempotency), Some(claim_key)) = (&s.idempotency, claim_key) {
            let claim = Claim { spend: s.id, fingerprint: idempotency.fingerprint, created_at: at };
            self.claims.insert(claim_key, claim);
        }
        let remaining = PerWindow::from_fn(|window| s.limits.get(window).map(|limit| limit - after.get(window)));
        // A volume threshold crossed is announced with the spend, once per window (PostgreSQL's notice).
        for (notice, event) in crate::notices::crossings(s, &remaining) {
            self.announce_once(&event, &notice)?;
        }
        Ok(Recorded::Spent { spend, remaining })
    }

    /// Releases a held spend; `true` if this call did. The caller holds the write lock.
    pub fn release_spend(&mut self, id: SpendId) -> Result<(SpendRecord, bool), StoreError> {
        let spend = self.spends.get_mut(&id).ok_or(StoreError::NotFound)?;
        if spend.state == SpendState::Released {
            return Ok((spend.clone(), false));
        }
        spend.state = SpendState::Released;
        let spend = spend.clone();
        // Its own windows, so a release after its day closed leaves the new day's total alone but gives
        // back to a week or month that is still running.
        for (_, key) in total_keys(spend.key, spend.currency, &spend.starts).iter() {
            if let Some(spent) = self.spent.get_mut(key) {
                *spent = (*spent - spend.amount).max(Decimal::ZERO);
            }
        }
        Ok((spend, true))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};
    use keygate_domain::{Currency, KeyId, PerWindow, SpendId, TenantId, Window};
    use rust_decimal::Decimal;

    use super::State;
    use crate::model::{SpendRecord, SpendState};

    /// A release gives back to totals that may hold less than its amount (written before the windows,
    /// or by an older release): each stops at zero, and a window without a total gets none.
    #[test]
    fn a_release_never_takes_a_window_below_zero_nor_creates_one() {
        let key = KeyId::from_bytes([9; 16]);
        let currency = Some(Currency::parse("XOF").unwrap());
        let date = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let starts = PerWindow { day: date(24), week: date(23), month: date(1) };
        let spend = SpendRecord {
            id: SpendId::from_bytes([1; 16]),
            tenant: TenantId::parse("acme").unwrap(),
            key,
            amount: Decimal::from(50),
            currency,
            starts,
            state: SpendState::Held,
            created_at: Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap(),
        };
        let mut state = State::default();
        state.spends.insert(spend.id, spend.clone());
        state.spent.insert((key, currency, Window::Day, starts.day), Decimal::from(20));
        state.spent.insert((key, currency, Window::Week, starts.week), Decimal::from(70));

        let (_, released) = state.release_spend(spend.id).unwrap();

        assert!(released, "released");
        let total = |window: Window| state.spent.get(&(key, currency, window, *starts.get(window))).copied();
        let totals = (total(Window::Day), total(Window::Week), total(Window::Month));
        assert_eq!(totals, (Some(Decimal::ZERO), Some(Decimal::from(20)), None), "day at zero, week less 50, no month");
    }
}
