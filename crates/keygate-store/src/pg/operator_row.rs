//! An [`Operator`] to and from its `operators` columns: the account (state, who asked and approved,
//! the pending request, the invitation terms), the personal data, and the hashes of its token and of
//! its invitation's halves.
//!
//! It must never write a value [`operator`] could not read back into the same `Operator`, never guess
//! (a request or invitation that is partly there is `StoreError::Corrupt`), and never put a hash in an
//! error.

use chrono::{DateTime, Utc};
use keygate_credential::SecretHash;
use keygate_domain::{
    ActorId, Email, InvitationTerms, OperatorAccount, OperatorId, OperatorName, OperatorRequest, OperatorState,
    RequestKind, Role, RoleSet, TenantId,
};
use sqlx::postgres::{PgArguments, PgRow, Postgres};
use sqlx::query::Query;

use super::convert::{from_db, to_db};
use super::failure::corrupt;
use super::rows::{get, parsed, parsed_opt};
use crate::error::StoreError;
use crate::model::Operator;

/// The columns every operator write sets and [`operator`] reads, in the order `$1..$24` of
/// [`OperatorParams::bind`].
pub(super) const OPERATOR_FIELDS: [&str; 24] = [
    "tenant_id",
    "operator_id",
    "name",
    "email",
    "roles",
    "token_hash",
    "created_at",
    "state",
    "created_by",
    "created_for",
    "approved_by",
    "request_kind",
    "request_roles",
    "requested_by",
    "requested_for",
    "requested_at",
    "invitation_halves",
    "invitation_expires_at",
    "invitation_hash_1",
    "invitation_hash_2",
    "claimed_at",
    "updated_at",
    "version",
    "last_seen_at",
];

/// A request kind's name in `request_kind`.
fn kind_name(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Create => "create",
        RequestKind::Enable => "enable",
        RequestKind::Reinvite => "reinvite",
        RequestKind::Roles(_) => "roles",
    }
}

fn role_names(roles: RoleSet) -> Vec<&'static str> {
    roles.iter().map(Role::as_str).collect()
}

fn hash_bytes(hash: Option<&SecretHash>) -> Option<&[u8]> {
    hash.map(|h| &h.as_bytes()[..])
}

/// An operator's fields as parameter values.
pub(super) struct OperatorParams<'a> {
    operator: &'a Operator,
    operator_id: String,
    roles: Vec<&'static str>,
    created_by: String,
    created_for: String,
    approved_by: Option<String>,
    request_kind: Option<&'static str>,
    request_roles: Option<Vec<&'static str>>,
    requested_by: Option<String>,
    requested_for: Option<String>,
    invitation_halves: Option<i16>,
    version: i64,
}

impl<'a> OperatorParams<'a> {
    /// The parameters that write `operator`.
    pub(super) fn new(operator: &'a Operator) -> Result<Self, StoreError> {
        let account = &operator.account;
        let request = account.request.as_ref();
        Ok(Self {
            operator,
            operator_id: account.id.to_string(),
            roles: role_names(account.roles),
            created_by: account.created_by.to_string(),
            created_for: account.created_for.to_string(),
            approved_by: account.approved_by.map(|a| a.to_string()),
            request_kind: request.map(|r| kind_name(r.kind)),
            request_roles: request.and_then(|r| match r.kind {
                RequestKind::Roles(roles) => Some(role_names(roles)),
                RequestKind::Create | RequestKind::Enable | RequestKind::Reinvite => None,
            }),
            requested_by: request.map(|r| r.requested_by.to_string()),
            requested_for: request.map(|r| r.requested_for.to_string()),
            invitation_halves: account.invitation.map(|i| i16::from(i.halves)),
            version: to_db(account.version, "version")?,
        })
    }

    /// The operator id parameter (`$2`).
    pub(super) fn operator_id(&self) -> &str {
        &self.operator_id
    }

    /// Binds `$1..$24` in the order of [`OPERATOR_FIELDS`].
    pub(super) fn bind<'q>(&'q self, query: Query<'q, Postgres, PgArguments>) -> Query<'q, Postgres, PgArguments> {
        let o = self.operator;
        let account = &o.account;
        let [first, second] = &o.invitation_hashes;
        query
            .bind(account.tenant.as_str())
            .bind(&self.operator_id)
            .bind(o.name.as_str())
            .bind(o.email.as_str())
            .bind(&self.roles)
            .bind(hash_bytes(o.token_hash.as_ref()))
            .bind(account.created_at)
            .bind(account.state.as_str())
            .bind(&self.created_by)
            .bind(&self.created_for)
            .bind(&self.approved_by)
            .bind(self.request_kind)
            .bind(&self.request_roles)
            .bind(&self.requested_by)
            .bind(&self.requested_for)
            .bind(account.request.map(|r| r.requested_at))
            .bind(self.invitation_halves)
            .bind(account.invitation.map(|i| i.expires_at))
            .bind(hash_bytes(first.as_ref()))
            .bind(hash_bytes(second.as_ref()))
            .bind(account.claimed_at)
            .bind(account.updated_at)
            .bind(self.version)
            .bind(o.last_seen_at)
    }
}

/// A stored role array.
fn roles(name: &str, names: &[String]) -> Result<RoleSet, StoreError> {
    let roles = names.iter().map(|r| r.parse::<Role>()).collect::<Result<Vec<_>, _>>().map_err(|e| corrupt(name, e))?;
    Ok(RoleSet::of(roles))
}

/// A nullable 32-byte hash.
fn optional_hash(row: &PgRow, name: &str) -> Result<Option<SecretHash>, StoreError> {
    get::<Option<&[u8]>>(row, name)?
        .map(|bytes| SecretHash::from_slice(bytes).ok_or_else(|| corrupt(name, "not 32 bytes")))
        .transpose()
}

/// An `operators` row selected with [`OPERATOR_FIELDS`].
pub(super) fn operator(row: &PgRow) -> Result<Operator, StoreError> {
    let account = OperatorAccount {
        id: parsed(row, "operator_id", OperatorId::parse)?,
        tenant: parsed(row, "tenant_id", TenantId::parse)?,
        roles: roles("roles", &get::<Vec<String>>(row, "roles")?)?,
        state: parsed(row, "state", str::parse::<OperatorState>)?,
        created_by: parsed(row, "created_by", str::parse::<ActorId>)?,
        created_for: parsed(row, "created_for", str::parse::<ActorId>)?,
        approved_by: parsed_opt(row, "approved_by", str::parse::<ActorId>)?,
        request: request(row)?,
        invitation: invitation(row)?,
        claimed_at: get(row, "claimed_at")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
        version: from_db(get(row, "version")?, "version")?,
    };
    Ok(Operator {
        account,
        name: parsed(row, "name", OperatorName::parse)?,
        email: parsed(row, "email", Email::parse)?,
        token_hash: optional_hash(row, "token_hash")?,
        invitation_hashes: [optional_hash(row, "invitation_hash_1")?, optional_hash(row, "invitation_hash_2")?],
        last_seen_at: get(row, "last_seen_at")?,
    })
}

fn request(row: &PgRow) -> Result<Option<OperatorRequest>, StoreError> {
    let kind = get::<Option<&str>>(row, "request_kind")?;
    let request_roles = get::<Option<Vec<String>>>(row, "request_roles")?;
    let requested_by = parsed_opt(row, "requested_by", str::parse::<ActorId>)?;
    let requested_for = parsed_opt(row, "requested_for", str::parse::<ActorId>)?;
    let requested_at = get::<Option<DateTime<Utc>>>(row, "requested_at")?;
    let (Some(kind), Some(requested_by), Some(requested_for), Some(requested_at)) =
        (kind, requested_by, requested_for, requested_at)
    else {
        return match (kind, request_roles, requested_by, requested_for, requested_at) {
            (None, None, None, None, None) => Ok(None),
            _ => Err(corrupt("request", "partly set")),
        };
    };
    let kind = match (kind, request_roles) {
        ("create", None) => RequestKind::Create,
        ("enable", None) => RequestKind::Enable,
        ("reinvite", None) => RequestKind::Reinvite,
        ("roles", Some(names)) => RequestKind::Roles(roles("request_roles", &names)?),
        _ => return Err(corrupt("request_kind", "unknown, or roles where none belong")),
    };
    Ok(Some(OperatorRequest { kind, requested_by, requested_for, requested_at }))
}

fn invitation(row: &PgRow) -> Result<Option<InvitationTerms>, StoreError> {
    let halves = get::<Option<i16>>(row, "invitation_halves")?;
    let expires_at = get::<Option<DateTime<Utc>>>(row, "invitation_expires_at")?;
    match (halves, expires_at) {
        (Some(halves), Some(expires_at)) => {
            let halves = u8::try_from(halves).map_err(|e| corrupt("invitation_halves", e))?;
            Ok(Some(InvitationTerms { halves, expires_at }))
        }
        (None, None) => Ok(None),
        _ => Err(corrupt("invitation", "partly set")),
    }
}
