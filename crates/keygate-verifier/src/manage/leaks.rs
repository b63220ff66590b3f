//! Leak reports: a token found where it should not be (a secret-scanning partner's signed report, or
//! the platform's own scanner holding a service credential) is labelled, and when it is a live key,
//! recorded and acted on as the key's tenant says (`on_leak`): suspended, suspended with its
//! revocation asked, or only recorded.
//!
//! It must never widen anything: it acts as the actor `leak-report`, which holds the maker role only,
//! and makes no move but a suspension and a revocation request, each skipped where already done; a
//! checker still approves the revocation. It must never be an oracle beyond `/v1/verify`: a token is a
//! true positive only if its secret matches a live key, checked in constant time with the verifier's
//! decoy for an unknown id, and a malformed token, an unknown key, a wrong secret, an ended key and
//! another tenant's key (for a caller limited to some tenants) are all the same false positive. It
//! never logs, keeps or returns a token: the caller echoes what it received.

use keygate_domain::{Actor, ActorId, Event, Key, KeyState, OnLeak, Reason, Role, RoleSet, TenantId};
use keygate_store::{AuditEntry, AuditKind, KeyChange, LeakRecord, StoreError};

use super::keys::update;
use super::{ManageError, Management};

/// How many times a report is tried again when the key moved while it was being acted on.
const ATTEMPTS: usize = 3;

/// Why a leaked key was suspended, or its revocation asked; where and as what it was found is in the
/// `key.leaked` entry written just before.
const REASON: &str = "reported leaked: see the key.leaked entry";

/// The longest url kept, in bytes (the table's own bound is 2,048 characters).
pub const MAX_URL_BYTES: usize = 2048;

/// The longest `source` or `type` kept, in bytes.
pub const MAX_LABEL_BYTES: usize = 256;

/// One token of a report, as received.
#[derive(Debug, Clone, Copy)]
pub struct Leak<'a> {
    /// The token found (compared, never kept).
    pub token: &'a str,
    /// The token type the scanner matched.
    pub token_type: &'a str,
    /// Where it was found.
    pub url: &'a str,
    /// What kind of place that is (GitHub's `source`: `content`, `commit`, ...).
    pub source: &'a str,
}

/// The answer about one token, in the secret-scanning partner programme's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeakLabel {
    /// A live key: active, suspended or awaiting its revocation, and not expired.
    TruePositive,
    /// Anything else.
    FalsePositive,
}

impl LeakLabel {
    /// Every label.
    pub const ALL: [Self; 2] = [Self::TruePositive, Self::FalsePositive];

    /// The label's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TruePositive => "true_positive",
            Self::FalsePositive => "false_positive",
        }
    }
}

impl Management {
    /// Labels one reported token and, for a live key, records the report and acts on it by the key's
    /// tenant's `on_leak`, in one commit with its `key.leaked` audit entry. A caller limited to some
    /// tenants (`within`) learns nothing about, and changes nothing of, another tenant's keys. A report
    /// of a key at a url it was reported at before is answered again and changes nothing.
    pub async fn report_leak(&self, leak: &Leak<'_>, within: Option<&[TenantId]>) -> Result<LeakLabel, ManageError> {
        let Some(record) = self.verifier.holder(leak.token.as_bytes()).await? else {
            return Ok(LeakLabel::FalsePositive);
        };
        let key = record.key;
        if within.is_some_and(|tenants| !tenants.contains(&key.tenant)) || !is_live(&key, self.now()) {
            return Ok(LeakLabel::FalsePositive);
        }
        self.act_on_leak(key, leak).await?;
        Ok(LeakLabel::TruePositive)
    }

    /// Records the report with the tenant's moves; reads the key again and retries when it moved
    /// meanwhile (a second report of it, an operator's move), so no move is made on a stale copy.
    async fn act_on_leak(&self, mut key: Key, leak: &Leak<'_>) -> Result<(), ManageError> {
        let record = LeakRecord {
            tenant: key.tenant.clone(),
            key: key.id,
            url: bounded(leak.url, MAX_URL_BYTES),
            source: bounded(leak.source, MAX_LABEL_BYTES),
            token_type: bounded(leak.token_type, MAX_LABEL_BYTES),
            reported_at: self.now(),
        };
        let entry = AuditEntry {
            details: Some(details(&record)),
            ..AuditEntry::new(
                &record.tenant,
                Some(record.key),
                ActorId::LeakReport,
                AuditKind::KeyLeaked,
                record.reported_at,
            )
        };
        for _ in 0..ATTEMPTS {
            let policy = self.store().tenant(&key.tenant).await?.policy;
            let changes = self.leak_moves(&key, &policy).await?;
            match self.store().record_leak(&record, &entry, &changes).await {
                Ok(_) => {
                    self.forget_changed(&changes);
                    return Ok(());
                }
                Err(StoreError::Conflict) => key = self.store().key(&key.tenant, key.id).await?.key,
                Err(other) => return Err(other.into()),
            }
        }
        Err(ManageError::Conflict)
    }

    /// The moves `on_leak` asks for, skipping what is done already: no suspension of a suspended
    /// key (unless a resume of it waits: the leak suspends it anew and drops that resume), no
    /// revocation asked twice. Without dual control the revocation applies at once, and
    /// successors still waiting for a checker are rejected with it, as for any revocation.
    async fn leak_moves(
        &self,
        key: &Key,
        policy: &keygate_domain::TenantPolicy,
    ) -> Result<Vec<KeyChange>, ManageError> {
        let actor = reporter();
        let now = self.now();
        let reason = || Reason::parse(REASON).map_err(|e| ManageError::invalid("reason", e));
        let mut events = Vec::new();
        let resume_pending = key.suspension.as_ref().is_some_and(|s| s.resume.is_some());
        let stoppable = matches!(key.state, KeyState::Active | KeyState::RevocationPending) || resume_pending;
        if policy.on_leak.suspends() && stoppable {
            events.push(Event::Suspend { reason: reason()? });
        }
        if policy.on_leak == OnLeak::SuspendAndRevoke && key.revocation.is_none() {
            events.push(Event::RequestRevocation { reason: reason()? });
        }
        let mut current = key.clone();
        let mut changes = Vec::new();
        for event in events {
            let moved = current.apply(event, &actor, policy, now)?;
            changes.push(update(&current, &moved, actor.clone()));
            if moved.action == keygate_domain::AuditAction::Revoked {
                changes.extend(self.reject_successors(&moved.key, &actor, policy).await?);
            }
            current = moved.key;
        }
        Ok(changes)
    }
}

/// The actor a leak report acts as: `leak-report`, its own principal (so any checker may approve what
/// it asked), with the maker role only: all that suspending (maker, checker or admin) and asking a
/// revocation (maker) take, and nothing that approves.
fn reporter() -> Actor {
    Actor::new(ActorId::LeakReport, RoleSet::of([Role::Maker]))
}

/// A live key: one a leak can still do harm with, or that a resume could make so.
fn is_live(key: &Key, now: chrono::DateTime<chrono::Utc>) -> bool {
    matches!(key.state, KeyState::Active | KeyState::Suspended | KeyState::RevocationPending) && !key.is_expired(now)
}

/// The `key.leaked` entry's details: where, and as what, it was found.
fn details(record: &LeakRecord) -> String {
    serde_json::json!({"url": record.url, "source": record.source, "type": record.token_type}).to_string()
}

/// `text` without control characters (each becomes U+FFFD) and cut to at most `max` bytes on a
/// character boundary: the same report always keeps the same text, and the audit entry's details stay
/// within their 8 KiB however the text is escaped.
fn bounded(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars().map(|c| if c.is_control() { char::REPLACEMENT_CHARACTER } else { c }) {
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_reason_is_a_reason() {
        assert!(Reason::parse(REASON).is_ok());
    }

    #[test]
    fn the_reporter_can_stop_and_ask_but_never_approve() {
        let actor = reporter();
        assert_eq!((actor.id, actor.principal), (ActorId::LeakReport, ActorId::LeakReport));
        assert!(actor.roles.has(Role::Maker), "suspending and asking a revocation take the maker role");
        for role in [Role::Checker, Role::Admin, Role::Auditor] {
            assert!(!actor.roles.has(role), "it holds no {role} role");
        }
        assert!(actor.bounds.is_none());
    }

    #[test]
    fn kept_text_has_no_control_characters_and_fits_its_bound_on_a_character_boundary() {
        assert_eq!(bounded("https://x.test/a\nb", 100), "https://x.test/a\u{fffd}b");
        assert_eq!(bounded("ééé", 5), "éé", "a character is never cut in half");
        assert_eq!(bounded(&"a".repeat(3000), MAX_URL_BYTES).len(), MAX_URL_BYTES);
        let worst = bounded(&"\"".repeat(5000), MAX_URL_BYTES);
        let label = bounded(&"\\".repeat(5000), MAX_LABEL_BYTES);
        let record = LeakRecord {
            tenant: TenantId::parse("acme").unwrap(),
            key: keygate_domain::KeyId::from_bytes([1; 16]),
            url: worst,
            source: label.clone(),
            token_type: label,
            reported_at: chrono::DateTime::UNIX_EPOCH,
        };
        assert!(details(&record).len() <= 8192, "the details fit the audit log's 8 KiB, escaped");
    }
}
