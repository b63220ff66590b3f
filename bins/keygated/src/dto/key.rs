//! Keys on the wire. A key view never holds the secret or its hash; the creation response holds the
//! secret once.

use chrono::{DateTime, NaiveDate, Utc};
use keygate_domain::{AccountId, Environment, ExpiryRequest, Key, KeyName, Notes, Privileges, Reason, ScopeSet};
use keygate_store::{KeyRecord, KeyUsage};
use keygate_verifier::manage::{KeyPatch, KeySpec};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::{IntoParams, ToSchema};

use super::limits::{currency_class, limits, LimitsInput, LimitsView};
use super::schema::{
    AccountIdText, ActorText, CurrencyClassView, CursorText, EnvironmentView, KeyIdText, KeyNameText, KeyStateView,
    MaskedText, NotesText, ReasonText, ScopeText, SecretText, TenantIdText,
};
use super::{field, Nullable};
use crate::error::ApiError;

fn scopes(texts: &[String]) -> Result<ScopeSet, ApiError> {
    let parsed = texts
        .iter()
        .enumerate()
        .map(|(i, t)| field(&format!("scopes[{i}]"), t, keygate_domain::Scope::parse))
        .collect::<Result<Vec<_>, _>>()?;
    ScopeSet::new(parsed).map_err(|e| ApiError::invalid("scopes", e))
}

/// The platform's id for a key's owner, as the field `field` (`external_id`).
fn external_id(text: &str) -> Result<keygate_domain::ExternalId, ApiError> {
    field("external_id", text, keygate_domain::ExternalId::parse)
}

/// Metadata as sent (its raw JSON text).
fn metadata(raw: &RawValue) -> Result<keygate_domain::Metadata, ApiError> {
    field("metadata", raw.get(), keygate_domain::Metadata::parse)
}

/// Stored metadata as raw JSON for a response, exactly as kept.
pub(crate) fn metadata_view(metadata: Option<&keygate_domain::Metadata>) -> Option<Box<RawValue>> {
    metadata.and_then(|m| RawValue::from_string(m.as_str().to_owned()).ok())
}

fn environment(text: Option<&str>) -> Result<Environment, ApiError> {
    text.map_or(Ok(Environment::Test), |t| field("environment", t, str::parse))
}

/// `POST /v1/tenants/{tenant}/keys`: a maker asks for a key. Give at most one of `expires_at`,
/// `expires_in_days`, `never_expires`; none means 365 days, capped by the tenant's policy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "name": "POS Integration",
    "environment": "live",
    "account_id": "shop-4711",
    "scopes": ["balance:read", "operations:write"],
    "limits": {"currency": "XOF", "max_amount": "100000.00", "daily_volume": "1000000.00"},
    "expires_in_days": 90
})))]
pub struct CreateKey {
    /// Unique in the tenant.
    #[schema(value_type = KeyNameText)]
    name: String,
    /// Free notes.
    #[serde(default)]
    #[schema(value_type = Option<NotesText>)]
    notes: Option<String>,
    /// The account inside the tenant the key is bound to: it is refused `WRONG_ACCOUNT` for any other,
    /// and as an integrator key it manages only keys of this account. Absent: a key of the whole
    /// tenant (refused where the tenant's policy has `require_account`). Never changes.
    #[serde(default)]
    #[schema(value_type = Option<AccountIdText>)]
    account_id: Option<String>,
    /// `test` (default) or `live` (only where the tenant enabled live keys).
    #[serde(default)]
    #[schema(value_type = Option<EnvironmentView>)]
    environment: Option<String>,
    /// What the key may do.
    #[schema(value_type = Vec<ScopeText>, min_items = 1, max_items = 64)]
    scopes: Vec<String>,
    /// Amount, volume and address limits.
    #[serde(default)]
    limits: LimitsInput,
    /// The only class of currency the key may move (`fiat` or `crypto`); absent: any.
    #[serde(default)]
    #[schema(value_type = Option<CurrencyClassView>)]
    currency_class: Option<String>,
    /// An instant in the future.
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    /// Days from now.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    expires_in_days: Option<u32>,
    /// No expiry (only where the tenant's policy allows it).
    #[serde(default)]
    never_expires: Option<bool>,
    /// The platform's own id for the key's owner (a distributor, a merchant): 1 to 128 printable
    /// characters, filterable (`?external_id=`), returned by every verification.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 128, example = "merchant-4711")]
    external_id: Option<String>,
    /// A JSON object of at most 4 KiB (whitespace between tokens not counted), nesting at most 5 levels,
    /// returned by every verification as sent. A platform may act on it, so a later change waits for a
    /// checker under dual control, like scopes.
    #[serde(default)]
    #[schema(value_type = Option<Object>, example = json!({"merchant_id": "m-4711", "region": "Dakar"}))]
    metadata: Option<Box<RawValue>>,
    /// Signed requests (RFC 9421): `{"algorithm": "hmac-sha256"}` or `{"algorithm": "ed25519",
    /// "public_key": "<base64>"}`. Fixed for the key's life (rotate or make another key to change it).
    #[serde(default)]
    signing: Option<super::signing::SigningInput>,
    /// `false`: a signing-only key, with no bearer secret (needs `signing`). Default `true`.
    #[serde(default)]
    bearer: Option<bool>,
}

impl TryFrom<CreateKey> for KeySpec {
    type Error = ApiError;
    fn try_from(body: CreateKey) -> Result<Self, ApiError> {
        let expiry = match (body.expires_at, body.expires_in_days, body.never_expires) {
            (None, None, None | Some(false)) => ExpiryRequest::Default,
            (Some(at), None, None | Some(false)) => ExpiryRequest::At(at),
            (None, Some(days), None | Some(false)) => ExpiryRequest::InDays(days),
            (None, None, Some(true)) => ExpiryRequest::Never,
            _ => {
                return Err(ApiError::invalid(
                    "expires_at",
                    "give at most one of expires_at, expires_in_days, never_expires",
                ))
            }
        };
        Ok(Self {
            name: field("name", &body.name, KeyName::parse)?,
            notes: body.notes.map(|n| field("notes", &n, Notes::parse)).transpose()?,
            account: body.account_id.as_deref().map(|a| field("account_id", a, AccountId::parse)).transpose()?,
            environment: environment(body.environment.as_deref())?,
            privileges: Privileges {
                scopes: scopes(&body.scopes)?,
                limits: limits(body.limits, currency_class(body.currency_class.as_deref())?)?,
            },
            owner: keygate_domain::Owner {
                external_id: body.external_id.as_deref().map(external_id).transpose()?,
                metadata: body.metadata.as_deref().map(metadata).transpose()?,
            },
            expiry,
            signing: super::signing::signing(body.signing.as_ref(), body.bearer)?,
        })
    }
}

/// `PATCH /v1/tenants/{tenant}/keys/{id}`: notes change at once; scopes and limits apply at once when
/// they only narrow (or without dual control), otherwise they wait for a checker as `pending_change`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"scopes": ["balance:read"], "limits": {"currency": "XOF", "max_amount": "50000.00", "daily_volume": "500000.00"}})))]
pub struct PatchKey {
    /// A new name: only where the tenant's policy has `name_mutable` (400 otherwise); applies at once.
    #[serde(default)]
    #[schema(value_type = Option<KeyNameText>)]
    name: Option<String>,
    /// An earlier expiry, applied at once; a later one is refused (409): rotate instead.
    #[serde(default)]
    expires_at: Option<DateTime<Utc>>,
    /// Refused (400), `null` included: a key's account never changes. Make a key for the other account
    /// instead.
    #[serde(default)]
    #[schema(value_type = Option<AccountIdText>, deprecated)]
    account_id: Nullable<serde_json::Value>,
    /// New notes; `null` clears them.
    #[serde(default)]
    #[schema(value_type = Option<NotesText>)]
    notes: Nullable<String>,
    /// The whole new scope list.
    #[serde(default)]
    #[schema(value_type = Option<Vec<ScopeText>>, min_items = 1, max_items = 64)]
    scopes: Option<Vec<String>>,
    /// The whole new limits.
    #[serde(default)]
    limits: Option<LimitsInput>,
    /// The key's new currency class; `null` lets it move any class. Absent keeps it.
    #[serde(default)]
    #[schema(value_type = Option<CurrencyClassView>)]
    currency_class: Nullable<String>,
    /// A new external id; `null` clears it. Applies at once without dual control, else waits for a
    /// checker as part of `pending_change`.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 128)]
    external_id: Nullable<String>,
    /// New metadata (the whole object); `null` clears it. Applies at once without dual control, else
    /// waits for a checker as part of `pending_change`.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    metadata: Nullable<Box<RawValue>>,
}

impl TryFrom<PatchKey> for KeyPatch {
    type Error = ApiError;
    fn try_from(body: PatchKey) -> Result<Self, ApiError> {
        // Refused whatever it says (even the key's own account, even `null`): an account is set once, at
        // creation, and a key is never moved to another account's money nor freed of its account.
        if body.account_id != Nullable::Absent {
            return Err(ApiError::invalid("account_id", "a key's account cannot be changed after creation"));
        }
        Ok(Self {
            name: body.name.map(|n| field("name", &n, KeyName::parse)).transpose()?,
            expires_at: body.expires_at,
            notes: body.notes.map_some(|n| field("notes", &n, Notes::parse))?,
            scopes: body.scopes.as_deref().map(scopes).transpose()?,
            limits: body.limits.map(|l| limits(l, None)).transpose()?,
            currency_class: body.currency_class.map_some(|c| field("currency_class", &c, str::parse))?,
            external_id: body.external_id.map_some(|e| external_id(&e))?,
            metadata: body.metadata.map_some(|m| metadata(&m))?,
        })
    }
}

/// `{"reason": "..."}`: required to reject a key and to revoke one, optional elsewhere.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Reason, examples(json!({"reason": "integration retired"})))]
pub struct ReasonBody {
    /// Why; kept in the audit log.
    #[serde(default)]
    #[schema(value_type = Option<ReasonText>)]
    reason: Option<String>,
}

impl ReasonBody {
    /// The reason, required.
    pub fn required(&self) -> Result<Reason, ApiError> {
        let text = self.reason.as_deref().ok_or_else(|| ApiError::invalid("reason", "is required"))?;
        field("reason", text, Reason::parse)
    }

    /// The reason, if given.
    pub fn optional(&self) -> Result<Option<Reason>, ApiError> {
        self.reason.as_deref().map(|t| field("reason", t, Reason::parse)).transpose()
    }
}

/// `{"reason": "...", "suspend": true}` for revoke: the reason is required; `suspend` also stops the key
/// at once, in the same commit.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Revoke, examples(json!({"reason": "the secret was pasted in a public repository", "suspend": true})))]
pub struct RevokeBody {
    /// Why; kept in the audit log.
    #[schema(value_type = ReasonText)]
    reason: Option<String>,
    /// Suspend the key at once as well (default `false`).
    #[serde(default)]
    pub suspend: Option<bool>,
}

impl RevokeBody {
    /// The reason, required.
    pub fn reason(&self) -> Result<Reason, ApiError> {
        let text = self.reason.as_deref().ok_or_else(|| ApiError::invalid("reason", "is required"))?;
        field("reason", text, Reason::parse)
    }
}

/// `{"overlap_seconds": 3600}` for rotate.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Rotate, examples(json!({"overlap_seconds": 3600})))]
pub struct RotateBody {
    /// Seconds both keys keep working once the new one is active (default 24 h, at most 30 days).
    #[serde(default)]
    #[schema(maximum = 2_592_000)]
    pub overlap_seconds: Option<u32>,
}

impl RotateBody {
    /// The overlap, checked.
    pub fn overlap(&self) -> Result<u32, ApiError> {
        match self.overlap_seconds {
            None => Ok(86_400),
            Some(s) if s <= 30 * 86_400 => Ok(s),
            Some(_) => Err(ApiError::invalid("overlap_seconds", "must be at most 2592000 (30 days)")),
        }
    }
}

/// `GET .../keys` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListKeys {
    /// Only keys in this state.
    #[param(value_type = Option<KeyStateView>)]
    pub state: Option<String>,
    /// Only keys of this environment.
    #[param(value_type = Option<EnvironmentView>)]
    pub environment: Option<String>,
    /// Only keys bound to this account (keys of the whole tenant are not among them). An integrator key
    /// bound to an account lists only its own account's keys, whatever this says.
    #[param(value_type = Option<AccountIdText>)]
    pub account_id: Option<String>,
    /// Only keys whose owner has this external id (matched as written).
    #[param(value_type = Option<String>)]
    pub external_id: Option<String>,
    /// Only keys that expire within this many days from now, not yet expired (1 to 3650): the keys to
    /// rotate before they stop working. Active keys unless `state` says otherwise.
    #[param(minimum = 1, maximum = 3650)]
    pub expiring_within_days: Option<u32>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// From a previous page's `next_cursor`.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
}

/// A key. Never the secret, never the hash.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Key, examples(json!({
    "id": "Ky9Pf34qY6Nb3wWD25RQ4F", "tenant_id": "acme", "account_id": "shop-4711", "name": "POS Integration",
    "notes": null, "environment": "live", "state": "active", "scopes": ["balance:read", "operations:write"],
    "limits": {"amounts": [{"currency": "XOF", "max_amount": "100000.00", "daily_volume": "1000000.00"}], "allowed_ips": [], "rate": []},
    "currency_class": null, "external_id": "merchant-4711", "metadata": {"merchant_id": "m-4711"},
    "expires_at": "2027-02-26T18:40:00Z", "expired": false, "expired_for_seconds": null, "masked": "kg_live_…JXVu",
    "secret_revealed": true, "reveal_until": null,
    "created_by": "operator:5ZR3qa7yEeeby3abP3E2Zs", "approved_by": "operator:3mC9dLq0Xv7tRb2Nw8Yk1e",
    "created_at": "2026-11-28T18:40:00Z", "updated_at": "2026-11-28T18:41:00Z", "last_used_at": null,
    "pending_change": null, "revocation": null, "suspension": null, "rotation": null,
    "signing": null, "bearer": true
})))]
pub struct KeyView {
    #[schema(value_type = KeyIdText)]
    id: String,
    #[schema(value_type = TenantIdText)]
    tenant_id: String,
    /// The account inside the tenant the key is bound to; `null`: a key of the whole tenant.
    #[schema(value_type = Option<AccountIdText>)]
    account_id: Option<String>,
    #[schema(value_type = KeyNameText)]
    name: String,
    #[schema(value_type = Option<NotesText>)]
    notes: Option<String>,
    #[schema(value_type = EnvironmentView)]
    environment: &'static str,
    #[schema(value_type = KeyStateView)]
    state: &'static str,
    #[schema(value_type = Vec<ScopeText>)]
    scopes: Vec<String>,
    limits: LimitsView,
    /// The only class of currency the key may move; `null`: any.
    #[schema(value_type = Option<CurrencyClassView>)]
    currency_class: Option<&'static str>,
    /// The platform's id for the key's owner; `null` if none.
    external_id: Option<String>,
    /// The key's metadata, as sent; `null` if none.
    #[schema(value_type = Option<Object>)]
    metadata: Option<Box<RawValue>>,
    /// `null` for a key that never expires.
    expires_at: Option<DateTime<Utc>>,
    /// Whether `expires_at` has passed (an expired key no longer authenticates, whatever its state).
    expired: bool,
    /// For an expired key, how long ago it expired, in seconds; `null` otherwise.
    expired_for_seconds: Option<i64>,
    /// The token's masked form; `null` while the key has no secret (revealed after approval).
    #[schema(value_type = Option<MaskedText>)]
    masked: Option<String>,
    /// Whether the key's secret was drawn and shown: at creation, or at its reveal. A key whose secret is
    /// revealed after approval authenticates nothing until then.
    secret_revealed: bool,
    /// Where the secret is revealed after approval and not yet revealed: the last instant its maker may
    /// reveal it (`POST .../keys/{id}/secret`); `null` otherwise (not approved yet, or already shown).
    reveal_until: Option<DateTime<Utc>>,
    /// The maker.
    #[schema(value_type = ActorText)]
    created_by: String,
    /// The checker who approved its creation; `null` while pending, or where no dual control applied.
    #[schema(value_type = Option<ActorText>)]
    approved_by: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    /// The last verification (may lag by one usage flush).
    last_used_at: Option<DateTime<Utc>>,
    /// A widening of scopes or limits waiting for a checker; the key keeps its current ones meanwhile.
    pending_change: Option<PendingChangeView>,
    /// The revocation asked (state `revocation_pending`, or `suspended` with a revocation waiting) or
    /// approved (state `revoked`).
    revocation: Option<RevocationView>,
    /// Set while the key is `suspended`: who stopped it, why, and a resume waiting for a checker.
    suspension: Option<SuspensionView>,
    /// Set when this key was made by rotating another.
    rotation: Option<RotationView>,
    /// How the key signs requests (RFC 9421); `null` for a bearer-only key.
    signing: Option<super::signing::SigningView>,
    /// Whether the key's bearer secret authenticates (`false`: a signing-only key).
    bearer: bool,
}

/// A privilege change waiting for a checker who is not the one who asked.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PendingChange, examples(json!({
    "scopes": ["balance:read", "operations:write", "payouts:write"],
    "limits": {"amounts": [{"currency": "XOF", "max_amount": "100000.00", "daily_volume": "2000000.00"}], "allowed_ips": [], "rate": []},
    "currency_class": null, "external_id": null, "metadata": null,
    "requested_by": "operator:5ZR3qa7yEeeby3abP3E2Zs", "requested_at": "2026-11-28T18:45:00Z"
})))]
struct PendingChangeView {
    #[schema(value_type = Vec<ScopeText>)]
    scopes: Vec<String>,
    limits: LimitsView,
    #[schema(value_type = Option<CurrencyClassView>)]
    currency_class: Option<&'static str>,
    /// The external id the key would have.
    external_id: Option<String>,
    /// The metadata the key would have.
    #[schema(value_type = Option<Object>)]
    metadata: Option<Box<RawValue>>,
    #[schema(value_type = ActorText)]
    requested_by: String,
    requested_at: DateTime<Utc>,
}

/// A revocation, asked or done.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Revocation, examples(json!({
    "requested_by": "operator:5ZR3qa7yEeeby3abP3E2Zs", "reason": "integration retired",
    "requested_at": "2026-11-28T18:50:00Z"
})))]
struct RevocationView {
    #[schema(value_type = ActorText)]
    requested_by: String,
    #[schema(value_type = ReasonText)]
    reason: String,
    requested_at: DateTime<Utc>,
}

/// A suspension, and the resume asked, if any.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Suspension, examples(json!({
    "suspended_by": "operator:5ZR3qa7yEeeby3abP3E2Zs", "reason": "secret found in a public repository",
    "suspended_at": "2026-11-28T18:50:00Z", "resume": null
})))]
struct SuspensionView {
    #[schema(value_type = ActorText)]
    suspended_by: String,
    #[schema(value_type = ReasonText)]
    reason: String,
    suspended_at: DateTime<Utc>,
    /// A resume asked by a maker, waiting for a checker who neither asked it nor suspended the key.
    resume: Option<RevocationView>,
}

/// The key this one replaces.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Rotation, examples(json!({"replaces": "Ky9Pf34qY6Nb3wWD25RQ4F", "overlap_seconds": 86400})))]
struct RotationView {
    #[schema(value_type = KeyIdText)]
    replaces: String,
    /// Seconds both keys work side by side once this one is active.
    overlap_seconds: u32,
}

fn scope_texts(s: &ScopeSet) -> Vec<String> {
    s.iter().map(ToString::to_string).collect()
}

impl KeyView {
    /// The view of `record` at `now` (for `expired`).
    pub fn new(record: &KeyRecord, now: DateTime<Utc>) -> Self {
        let key: &Key = &record.key;
        Self {
            id: key.id.to_string(),
            tenant_id: key.tenant.to_string(),
            account_id: key.account.as_ref().map(ToString::to_string),
            name: key.name.to_string(),
            notes: key.notes.as_ref().map(ToString::to_string),
            environment: key.environment.as_str(),
            state: key.state.as_str(),
            scopes: scope_texts(&key.privileges.scopes),
            limits: LimitsView::new(&key.privileges.limits),
            currency_class: key.privileges.limits.currency_class().map(keygate_domain::CurrencyClass::as_str),
            external_id: key.owner.external_id.as_ref().map(ToString::to_string),
            metadata: metadata_view(key.owner.metadata.as_ref()),
            expires_at: key.expiry.at(),
            expired: key.is_expired(now),
            expired_for_seconds: key.expiry.at().filter(|at| *at <= now).map(|at| (now - at).num_seconds()),
            masked: record.masked.as_deref().map(str::to_owned),
            secret_revealed: key.has_secret(),
            reveal_until: match key.reveal {
                Some(keygate_domain::Reveal::Open { until }) => Some(until),
                _ => None,
            },
            created_by: key.created_by.to_string(),
            approved_by: key.approved_by.map(|a| a.to_string()),
            created_at: key.created_at,
            updated_at: key.updated_at,
            last_used_at: record.last_used_at,
            pending_change: key.pending_change.as_ref().map(|c| PendingChangeView {
                scopes: scope_texts(&c.privileges.scopes),
                limits: LimitsView::new(&c.privileges.limits),
                currency_class: c.privileges.limits.currency_class().map(keygate_domain::CurrencyClass::as_str),
                external_id: c.owner.external_id.as_ref().map(ToString::to_string),
                metadata: metadata_view(c.owner.metadata.as_ref()),
                requested_by: c.requested_by.to_string(),
                requested_at: c.requested_at,
            }),
            revocation: key.revocation.as_ref().map(|r| RevocationView {
                requested_by: r.requested_by.to_string(),
                reason: r.reason.to_string(),
                requested_at: r.requested_at,
            }),
            suspension: key.suspension.as_ref().map(|s| SuspensionView {
                suspended_by: s.suspended_by.to_string(),
                reason: s.reason.to_string(),
                suspended_at: s.suspended_at,
                resume: s.resume.as_ref().map(|r| RevocationView {
                    requested_by: r.requested_by.to_string(),
                    reason: r.reason.to_string(),
                    requested_at: r.requested_at,
                }),
            }),
            rotation: key
                .rotation
                .map(|r| RotationView { replaces: r.replaces.to_string(), overlap_seconds: r.overlap_seconds }),
            signing: record.signing.as_ref().map(|s| super::signing::SigningView::new(s, &key.id.to_string())),
            bearer: record.signing.as_ref().is_none_or(keygate_domain::Signing::bearer),
        }
    }
}

/// The creation (and rotation) response: the key and its secret, shown this once.
#[derive(Serialize, ToSchema)]
#[schema(examples(json!({
    "key": {
        "id": "Ky9Pf34qY6Nb3wWD25RQ4F", "tenant_id": "acme", "account_id": "shop-4711",
        "name": "POS Integration", "notes": null, "environment": "live", "state": "pending_approval", "scopes": ["balance:read", "operations:write"],
        "limits": {"amounts": [{"currency": "XOF", "max_amount": "100000.00", "daily_volume": "1000000.00"}], "allowed_ips": [], "rate": []},
    "currency_class": null, "external_id": null, "metadata": null,
        "expires_at": "2027-02-26T18:40:00Z", "expired": false, "expired_for_seconds": null, "masked": "kg_live_…JXVu",
    "secret_revealed": true, "reveal_until": null,
        "created_by": "operator:5ZR3qa7yEeeby3abP3E2Zs", "approved_by": null,
        "created_at": "2026-11-28T18:40:00Z", "updated_at": "2026-11-28T18:40:00Z", "last_used_at": null,
        "pending_change": null, "revocation": null, "suspension": null, "rotation": null,
        "signing": {"algorithm": "hmac-sha256", "key_id": "Ky9Pf34qY6Nb3wWD25RQ4F", "public_key": null}, "bearer": true
    },
    "secret": "kg_live_1Ky9Pf34qY6Nb3wWD25RQ4F8IQ9Y7aJZqhB6baeCN6Zj4a3dDVhYRnKTbxTNJFoBinF5aJXVu",
    "signing_secret": "q3Rk9m1aYb8xWZ2cVd0eF5gH7iJ4kL6nO8pQ1rS3tU0="
})))]
pub struct CreatedKey {
    /// The key.
    pub key: KeyView,
    /// The token. It works once the key is active. Absent where the tenant reveals secrets after
    /// approval: the maker who asked draws it with `POST .../keys/{id}/secret` once a checker approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<SecretText>)]
    pub secret: Option<String>,
    /// For an `hmac-sha256` signing key: its 32-byte signing secret, base64, shown this once (where the
    /// tenant reveals secrets after approval, at the reveal instead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

/// `POST /v1/tenants/{tenant}/keys/{id}/secret`: the secret drawn at its reveal, shown this once.
#[derive(Serialize, ToSchema)]
#[schema(as = RevealedSecret, examples(json!({
    "secret": "kg_live_1Ky9Pf34qY6Nb3wWD25RQ4F8IQ9Y7aJZqhB6baeCN6Zj4a3dDVhYRnKTbxTNJFoBinF5aJXVu"
})))]
pub struct RevealedSecret {
    /// The token. Shown once; keygate keeps only its hash. Absent for a signing-only key.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<SecretText>)]
    pub secret: Option<String>,
    /// For an `hmac-sha256` signing key: its signing secret, base64, shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_secret: Option<String>,
}

impl std::fmt::Debug for RevealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevealedSecret { secret: <redacted> }")
    }
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("key", &self.key)
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("signing_secret", &self.signing_secret.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// A page of keys.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"items": [], "next_cursor": null})))]
pub struct KeyList {
    /// In creation order.
    pub items: Vec<KeyView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    #[schema(value_type = Option<CursorText>)]
    pub next_cursor: Option<String>,
}

/// `GET .../keys/{id}/usage`: the last 31 days, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Usage, examples(json!({
    "key_id": "Ky9Pf34qY6Nb3wWD25RQ4F", "last_used_at": "2026-11-28T18:42:00Z", "last_used_ip": "10.20.1.1",
    "days": [{"day": "2026-11-28", "requests": 12, "spent": "250.00"}]
})))]
pub struct UsageView {
    #[schema(value_type = KeyIdText)]
    key_id: String,
    last_used_at: Option<DateTime<Utc>>,
    /// The client address of the last verification.
    last_used_ip: Option<String>,
    days: Vec<DayView>,
}

/// One day of a key's use: requests are counted per UTC day, spends per day of the tenant's zone.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UsageDay, examples(json!({"day": "2026-11-28", "requests": 12, "spent": "250.00", "spent_by_currency": {"XOF": "250.00"}})))]
struct DayView {
    day: NaiveDate,
    /// Verifications answered.
    requests: u64,
    /// Amount spent that day (`"0"` when none), exact decimal string: meaningful for a key that
    /// moves one currency (it adds every currency up); read `spent_by_currency` otherwise.
    spent: String,
    /// Amount spent that day per currency (`""` for amounts sent without one).
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    spent_by_currency: std::collections::BTreeMap<String, String>,
}

impl UsageView {
    /// The view of a key's usage.
    pub fn new(key: &str, usage: &KeyUsage) -> Self {
        Self {
            key_id: key.to_owned(),
            last_used_at: usage.last_used_at,
            last_used_ip: usage.last_used_ip.map(|ip| ip.to_string()),
            days: usage
                .days
                .iter()
                .map(|d| DayView {
                    day: d.day,
                    requests: d.requests,
                    spent: d.spent.to_string(),
                    spent_by_currency: d
                        .spent_by_currency
                        .iter()
                        .map(|(c, amount)| (c.map(|c| c.to_string()).unwrap_or_default(), amount.to_string()))
                        .collect(),
                })
                .collect(),
        }
    }
}
