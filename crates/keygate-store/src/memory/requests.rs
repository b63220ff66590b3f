//! The in-memory request log: per tenant, a bounded ring of lines in the listing's order, the oldest
//! forgotten first once the tenant holds its configured number.
//!
//! It has a lock of its own, so writing a batch of lines never waits on (nor holds up) the key state's
//! lock that verifications and management share. It must never grow past its bound per tenant.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use keygate_domain::{RequestId, TenantId};

use crate::audit_chain::stored_instant;
use crate::model::Page;
use crate::request_log::{RequestCursor, RequestFilter, RequestLine};

/// Lines kept per tenant unless told otherwise.
pub const DEFAULT_LINES_PER_TENANT: usize = 100_000;

type Ring = BTreeMap<(DateTime<Utc>, RequestId), RequestLine>;

pub(super) struct Requests {
    lines: Mutex<HashMap<TenantId, Ring>>,
    per_tenant: usize,
}

impl Requests {
    pub fn new(per_tenant: usize) -> Self {
        Self { lines: Mutex::new(HashMap::new()), per_tenant: per_tenant.max(1) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, Ring>> {
        // Each insertion or removal leaves the map whole, so a panic elsewhere leaves it usable.
        self.lines.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn record(&self, batch: &[RequestLine]) {
        let mut lines = self.lock();
        for line in batch {
            // Kept as PostgreSQL keeps it (to the microsecond), so both backends list alike.
            let line = RequestLine { at: stored_instant(line.at), ..line.clone() };
            let ring = lines.entry(line.tenant.clone()).or_default();
            ring.insert((line.at, line.id), line);
            while ring.len() > self.per_tenant {
                ring.pop_first();
            }
        }
    }

    pub fn page(
        &self,
        tenant: &TenantId,
        filter: &RequestFilter,
        cursor: Option<RequestCursor>,
        limit: usize,
    ) -> Page<RequestLine, RequestCursor> {
        let lines = self.lock();
        let Some(ring) = lines.get(tenant) else { return Page { items: Vec::new(), next: None } };
        let mut matching = ring
            .iter()
            .rev()
            .filter(|(at_id, _)| cursor.is_none_or(|c| **at_id < (c.at, c.id)))
            .map(|(_, line)| line)
            .filter(|line| filter.keeps(line));
        let items: Vec<RequestLine> = matching.by_ref().take(limit).cloned().collect();
        let more = matching.next().is_some();
        let next = if more { items.last().map(RequestCursor::after) } else { None };
        Page { items, next }
    }

    pub fn prune(&self, before: DateTime<Utc>, batch: usize) -> u64 {
        let mut lines = self.lock();
        let mut removed = 0usize;
        for ring in lines.values_mut() {
            while removed < batch && ring.first_key_value().is_some_and(|((at, _), _)| *at < before) {
                ring.pop_first();
                removed += 1;
            }
        }
        u64::try_from(removed).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use chrono::TimeZone;
    use keygate_domain::{Environment, KeyId};

    use super::*;

    #[test]
    fn a_tenants_ring_keeps_its_newest_lines_and_leaves_other_tenants_alone() {
        let requests = Requests::new(3);
        let at = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let line = |tenant: &str, n: u8| RequestLine {
            id: RequestId::from_bytes([n; 16]),
            tenant: TenantId::parse(tenant).unwrap(),
            key: KeyId::from_bytes([1; 16]),
            environment: Environment::Live,
            account: None,
            at: at + chrono::Duration::seconds(i64::from(n)),
            outcome: Cow::Borrowed("OK"),
            status: 200,
            client_ip: None,
            required_scopes: Vec::new(),
            amount: None,
            currency: None,
            spend: None,
            service: None,
            latency_us: 0,
        };
        requests.record(&(1..=5).map(|n| line("acme", n)).collect::<Vec<_>>());
        requests.record(&[line("globex", 9)]);
        let kept = |tenant: &str| {
            let page = requests.page(&TenantId::parse(tenant).unwrap(), &RequestFilter::default(), None, 10);
            page.items.iter().map(|l| l.id.as_bytes()[0]).collect::<Vec<_>>()
        };
        assert_eq!(kept("acme"), vec![5, 4, 3], "the three newest, the oldest forgotten first");
        assert_eq!(kept("globex"), vec![9], "another tenant's ring is its own");
    }
}
