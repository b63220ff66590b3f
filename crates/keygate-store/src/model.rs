//! The records a store keeps, beyond the domain's `Key`.

use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};
use keygate_credential::SecretHash;
use keygate_domain::operator::{OperatorAccount, OperatorAction};
use keygate_domain::PolicyRequest;
use keygate_domain::{
    AccountId, ActorId, AuditAction, Currency, Email, Environment, Key, KeyId, KeyState, OperatorId, OperatorName,
    PerWindow, Reason, ServiceId, SpendId, TenantId, TenantName, TenantPolicy, Window,
};
use rust_decimal::Decimal;

use crate::audit_chain::AuditHash;

/// A service credential: a gateway or service in another language that asks `/v1/verify` (and gives
/// spends back). Only the hash of its token is kept.
#[derive(Clone, PartialEq, Eq)]
pub struct Service {
    /// Its id (also inside its token).
    pub id: ServiceId,
    /// Display name.
    pub name: OperatorName,
    /// The tenants whose keys it may verify; `None` for every tenant.
    pub tenants: Option<Vec<TenantId>>,
    /// Hash of its token.
    pub token_hash: SecretHash,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// When it was disabled; a disabled service's token no longer authenticates.
    pub disabled_at: Option<DateTime<Utc>>,
}

impl Service {
    /// Whether it may verify keys of `tenant`.
    pub fn serves(&self, tenant: &TenantId) -> bool {
        self.tenants.as_ref().is_none_or(|t| t.contains(tenant))
    }
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("tenants", &self.tenants)
            .field("disabled_at", &self.disabled_at)
            .finish_non_exhaustive()
    }
}

/// A tenant and its policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Display name.
    pub name: TenantName,
    /// Rules for its keys.
    pub policy: TenantPolicy,
    /// A widening of the policy asked by one admin, waiting for another.
    pub pending_policy: Option<PendingPolicy>,
    /// An approved change of `policy.timezone` that has not yet taken effect: windows are reckoned in
    /// its `from` zone until its instant (see `keygate_domain::zone_in_force`).
    pub timezone_change: Option<keygate_domain::TimezoneChange>,
    /// Creation instant.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Bumped by every change; the compare-and-set token for policy updates.
    pub version: u64,
}

/// A policy widening waiting for a second admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingPolicy {
    /// What was asked, and by whom.
    pub request: PolicyRequest,
    /// When.
    pub requested_at: DateTime<Utc>,
}

/// An operator of one tenant: its account (the domain's lifecycle), its personal data, and only the
/// hashes of its token and invitation halves.
#[derive(Clone, PartialEq, Eq)]
pub struct Operator {
    /// The account: roles, state, who asked and approved, pending request, invitation terms.
    pub account: OperatorAccount,
    /// Display name.
    pub name: OperatorName,
    /// E-mail, unique per tenant.
    pub email: Email,
    /// Hash of its token: `None` until it claims its invitation, and after it is disabled.
    pub token_hash: Option<SecretHash>,
    /// Hashes of the invitation's first and second halves (one code: only the first), while one is
    /// outstanding; cleared by the claim.
    pub invitation_hashes: [Option<SecretHash>; 2],
    /// The last authenticated call (may lag; `None` if never).
    pub last_seen_at: Option<DateTime<Utc>>,
}

impl Operator {
    /// Its id.
    pub fn id(&self) -> OperatorId {
        self.account.id
    }

    /// Its tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.account.tenant
    }
}

impl std::fmt::Debug for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Operator")
            .field("account", &self.account)
            .field("name", &self.name)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A key as stored: the domain record, the hash of its secret, its masked form and its last use.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// The domain record.
    pub key: Key,
    /// Hash of the secret; the secret itself is never stored. `None` until a secret revealed after
    /// approval is drawn: such a key authenticates nothing before.
    pub secret_hash: Option<SecretHash>,
    /// `kg_live_…3fQz`, for listings; `None` while there is no secret.
    pub masked: Option<Box<str>>,
    /// How the key signs requests (RFC 9421), fixed at creation; `None` for a bearer-only key. A
    /// signing-only key (`bearer() == false`) still has a secret hash, of a secret never shown, so the
    /// reveal states stay as they are; the verifier refuses its bearer form whatever it hashes to.
    pub signing: Option<keygate_domain::Signing>,
    /// Last verification (from the usage buffer; may lag by one flush interval). Ignored on write.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Client address of the last verification. Ignored on write.
    pub last_used_ip: Option<IpAddr>,
}

impl std::fmt::Debug for KeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRecord")
            .field("key", &self.key)
            .field("masked", &self.masked)
            .field("signing", &self.signing)
            .field("last_used_at", &self.last_used_at)
            .finish_non_exhaustive()
    }
}

/// One write in a [`KeyChange`].
#[derive(Debug, Clone)]
pub enum KeyWrite {
    /// A new key; fails with `NameTaken` if the tenant has the name already.
    Insert(KeyRecord),
    /// The new state of an existing key; applied only if the stored version is still `expected_version`.
    Update {
        /// The version the caller read.
        expected_version: u64,
        /// The key after the transition (its `version` is the new one).
        key: Key,
    },
    /// A secret drawn at its reveal: like `Update`, and the key's hash and masked form are set in the
    /// same write. Fails with `Conflict` if the version moved or the key has a secret already, so two
    /// racing reveals give one secret.
    Reveal {
        /// The version the caller read.
        expected_version: u64,
        /// The key after the transition.
        key: Key,
        /// The new secret's hash.
        secret_hash: SecretHash,
        /// The new secret's masked form.
        masked: String,
    },
}

impl KeyWrite {
    /// The key written.
    pub fn key(&self) -> &Key {
        match self {
            Self::Insert(record) => &record.key,
            Self::Update { key, .. } | Self::Reveal { key, .. } => key,
        }
    }
}

/// A key write and the audit entry that records it. A store commits a slice of these all or nothing.
#[derive(Debug, Clone)]
pub struct KeyChange {
    /// The write.
    pub write: KeyWrite,
    /// What to append to the audit log with it.
    pub audit: AuditEntry,
}

/// What an audit entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditKind {
    /// A key transition.
    Key(AuditAction),
    /// A tenant was created.
    TenantCreated,
    /// A tenant's name or policy changed (narrowing, or an approved widening).
    TenantUpdated,
    /// A widening of the policy was asked; it waits for a second admin.
    PolicyRequested,
    /// A pending policy widening was refused.
    PolicyRejected,
    /// An operator's lifecycle moved.
    Operator(OperatorAction),
    /// A key was reported leaked at a url (`key.leaked`); the moves the tenant's `on_leak` asked for
    /// follow it in the same commit, each with its own entry.
    KeyLeaked,
    /// `operator.created`, written before operators were invited. Never written now; kept so those
    /// entries still read, and still hash, as they were appended.
    LegacyOperatorCreated,
    /// A webhook endpoint moved (`webhook.*`).
    Webhook(keygate_domain::webhook::WebhookAction),
}

impl AuditKind {
    /// The action's name in the log (`key.approved`, `tenant.created`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Key(action) => action.as_str(),
            Self::TenantCreated => "tenant.created",
            Self::TenantUpdated => "tenant.updated",
            Self::PolicyRequested => "tenant.policy_requested",
            Self::PolicyRejected => "tenant.policy_rejected",
            Self::Operator(action) => action.as_str(),
            Self::KeyLeaked => "key.leaked",
            Self::LegacyOperatorCreated => "operator.created",
            Self::Webhook(action) => action.as_str(),
        }
    }

    /// Parses the name back.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "tenant.created" => Some(Self::TenantCreated),
            "tenant.updated" => Some(Self::TenantUpdated),
            "tenant.policy_requested" => Some(Self::PolicyRequested),
            "tenant.policy_rejected" => Some(Self::PolicyRejected),
            "operator.created" => Some(Self::LegacyOperatorCreated),
            "key.leaked" => Some(Self::KeyLeaked),
            other if other.starts_with("webhook.") => {
                keygate_domain::webhook::WebhookAction::parse(other).map(Self::Webhook)
            }
            other if other.starts_with("operator.") => other.parse().ok().map(Self::Operator),
            other => other.parse().ok().map(Self::Key),
        }
    }
}

impl AuditKind {
    /// The webhook event an entry of this kind announces (the one table, written once: see
    /// `docs/webhooks.md`); `None` for entries announced to no endpoint.
    pub fn event_type(self) -> Option<keygate_domain::webhook::EventType> {
        use keygate_domain::webhook::EventType;
        match self {
            Self::Key(action) => EventType::for_key_action(action),
            Self::Operator(action) => EventType::for_operator_action(action),
            Self::KeyLeaked => Some(EventType::KeyLeaked),
            Self::TenantUpdated => Some(EventType::TenantPolicyChanged),
            Self::TenantCreated
            | Self::PolicyRequested
            | Self::PolicyRejected
            | Self::LegacyOperatorCreated
            | Self::Webhook(_) => None,
        }
    }
}

/// One line of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The tenant it belongs to.
    pub tenant: TenantId,
    /// The key concerned, if any.
    pub key: Option<KeyId>,
    /// Who did it.
    pub actor: ActorId,
    /// What was done.
    pub action: AuditKind,
    /// Why, if a reason was given.
    pub reason: Option<Reason>,
    /// What changed, as a JSON object text the caller builds (an operator's id and roles, a policy
    /// before and after); at most 8 KiB. The store keeps and hashes it as given.
    pub details: Option<String>,
    /// When (kept to the microsecond).
    pub at: DateTime<Utc>,
    /// Position in the tenant's log: 1, 2, 3, ... with no gap, assigned by the store (0 when writing).
    pub seq: u64,
    /// Chains the entry to the one before it (see `AuditHash`), computed by the store on append
    /// (ignored when writing).
    pub hash: AuditHash,
}

impl AuditEntry {
    /// An entry about to be appended: no reason or details yet; `seq` and `hash` are the store's to
    /// fill.
    pub fn new(tenant: &TenantId, key: Option<KeyId>, actor: ActorId, action: AuditKind, at: DateTime<Utc>) -> Self {
        Self {
            tenant: tenant.clone(),
            key,
            actor,
            action,
            reason: None,
            details: None,
            at,
            seq: 0,
            hash: AuditHash::ZERO,
        }
    }
}

/// Which keys to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFilter {
    /// Only keys in this state.
    pub state: Option<KeyState>,
    /// Only keys of this environment.
    pub environment: Option<Environment>,
    /// Only keys bound to this account (keys of the whole tenant are not listed by it).
    pub account: Option<AccountId>,
    /// Only keys whose owner has this external id (matched as written).
    pub external_id: Option<keygate_domain::ExternalId>,
    /// Only keys whose expiry falls in `(from, until]`: not yet expired at `from`, expired by `until`
    /// (keys that never expire are never listed).
    pub expiring: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// One page of a listing and the cursor of the next, if there is more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T, C> {
    /// The items, in the listing's stable order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<C>,
}

/// A spend to record: an amount charged to the key's day, ISO week and month (per currency), kept as a
/// [`SpendRecord`] so it can be released by id, and optionally claimed under an idempotency key so a
/// retried request spends once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSpend {
    /// Its id, drawn by the caller; the id of the record if this spend is recorded.
    pub id: SpendId,
    /// The key's tenant.
    pub tenant: TenantId,
    /// The key spent on.
    pub key: KeyId,
    /// The key's version the caller decided on; a key changed since makes the spend `Stale`.
    pub key_version: u64,
    /// The amount (positive).
    pub amount: Decimal,
    /// Its currency: the windows' totals are kept per currency, and `None` is a currency of its own.
    pub currency: Option<Currency>,
    /// The local date each window containing `at` starts on, in the tenant's time zone (the caller
    /// computes it, with `PerWindow::starts`).
    pub starts: PerWindow<NaiveDate>,
    /// Each window's volume limit for this currency; `None`: no limit, the amount is only counted.
    pub limits: PerWindow<Option<Decimal>>,
    /// Makes a retry of the same request answer with the first spend instead of spending again.
    pub idempotency: Option<Idempotency>,
    /// When (the record's creation instant, and the start of its idempotency claim's 24 hours).
    pub at: DateTime<Utc>,
}

impl NewSpend {
    /// Its record once stored: held, its instant as both backends keep it (PostgreSQL's microseconds).
    pub(crate) fn held(&self) -> SpendRecord {
        SpendRecord {
            id: self.id,
            tenant: self.tenant.clone(),
            key: self.key,
            amount: self.amount,
            currency: self.currency,
            starts: self.starts,
            state: SpendState::Held,
            created_at: crate::audit_chain::stored_instant(self.at),
        }
    }
}

/// An idempotency key as a client sent it, with a fingerprint of what its request asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Idempotency {
    /// The client's key: 1 to 128 printable characters (checked by the caller).
    pub key: String,
    /// SHA-256 of what the request asked, so the same key reused for another request is told apart.
    pub fingerprint: [u8; 32],
}

/// Where a recorded spend stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpendState {
    /// Counted in its windows' totals.
    Held,
    /// Given back: no longer counted (a release happens once).
    Released,
}

impl SpendState {
    /// The state's name in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Released => "released",
        }
    }

    /// Parses the name back.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "held" => Some(Self::Held),
            "released" => Some(Self::Released),
            _ => None,
        }
    }
}

/// A recorded spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendRecord {
    /// Its id.
    pub id: SpendId,
    /// The key's tenant.
    pub tenant: TenantId,
    /// The key spent on.
    pub key: KeyId,
    /// The amount.
    pub amount: Decimal,
    /// Its currency.
    pub currency: Option<Currency>,
    /// The windows it was charged to: the local date each starts on.
    pub starts: PerWindow<NaiveDate>,
    /// Held or released.
    pub state: SpendState,
    /// When it was recorded (kept to the microsecond).
    pub created_at: DateTime<Utc>,
}

/// What [`crate::KeyStore::record_spend`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// Recorded now, in all three windows.
    Spent {
        /// The new record.
        spend: SpendRecord,
        /// What remains of each window's limit (`None` where the window has no limit).
        remaining: PerWindow<Option<Decimal>>,
    },
    /// The same idempotency key with the same fingerprint was claimed within 24 hours: nothing was
    /// spent again.
    Replayed {
        /// The first spend, in whatever state it is now.
        spend: SpendRecord,
    },
    /// The same idempotency key was claimed within 24 hours for a different request: nothing recorded.
    Mismatch,
    /// It would have taken a window over its limit: nothing recorded in any window, not even the
    /// idempotency claim.
    Refused {
        /// The shortest window the amount would take over its limit.
        window: Window,
        /// What remains of that window's limit (never below zero).
        remaining: Decimal,
    },
    /// The key changed since the caller read it: nothing recorded, not even the idempotency claim.
    Stale,
}

/// Aggregated verifications of one key on one UTC day, as flushed by the [`crate::UsageBuffer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRecord {
    /// The key's tenant.
    pub tenant: TenantId,
    /// The key.
    pub key: KeyId,
    /// The UTC day.
    pub day: NaiveDate,
    /// Verifications counted.
    pub requests: u64,
    /// The latest of them.
    pub last_used_at: DateTime<Utc>,
    /// Its client address.
    pub last_used_ip: Option<IpAddr>,
}

/// A key's usage: last use, and per day the requests counted and volume spent (newest day first).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyUsage {
    /// Last verification.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Its client address.
    pub last_used_ip: Option<IpAddr>,
    /// Per day, newest first.
    pub days: Vec<DayUsage>,
}

/// One day of a key's usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayUsage {
    /// The day: the UTC day verifications were counted on, and the local day window spends were
    /// charged to (the same date for a tenant in UTC).
    pub day: NaiveDate,
    /// Verifications counted.
    pub requests: u64,
    /// Volume spent that day, all currencies added up: meaningful for a key that spends in one
    /// currency (read `spent_by_currency` otherwise).
    pub spent: Decimal,
    /// Volume spent that day per currency (`None`: spends without one), sorted by currency.
    pub spent_by_currency: Vec<(Option<Currency>, Decimal)>,
}

/// Cached key records that another writer may have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalidation {
    /// This key changed.
    Key(KeyId),
    /// Anything may have changed (a notification channel was lost and re-established).
    All,
}

#[cfg(test)]
mod tests {
    use keygate_domain::operator::OperatorAction;
    use keygate_domain::AuditAction;

    use super::AuditKind;

    #[test]
    fn every_audit_action_name_reads_back_as_itself_including_entries_written_before_invitations() {
        let every = AuditAction::ALL
            .into_iter()
            .map(AuditKind::Key)
            .chain(OperatorAction::ALL.into_iter().map(AuditKind::Operator))
            .chain([
                AuditKind::TenantCreated,
                AuditKind::TenantUpdated,
                AuditKind::PolicyRequested,
                AuditKind::PolicyRejected,
                AuditKind::LegacyOperatorCreated,
                AuditKind::KeyLeaked,
            ])
            .chain(keygate_domain::webhook::WebhookAction::ALL.into_iter().map(AuditKind::Webhook));
        for kind in every {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(kind), "{} reads back", kind.as_str());
        }
        assert_eq!(AuditKind::parse("operator.created"), Some(AuditKind::LegacyOperatorCreated), "old entries read");
    }
}
