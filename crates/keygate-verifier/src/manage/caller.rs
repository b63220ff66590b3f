//! Who is calling a management route, and with which roles in which tenant.
//!
//! Three credentials are accepted: the system administrator's token (any tenant, admin and auditor
//! roles, never maker or checker, so it cannot bypass dual control), an operator's token
//! (`{prefix}op_live_…`, its own tenant, its roles) and an integrator API key holding `api-keys:*`
//! scopes (its own tenant; `read` acts as auditor, `write` as maker, `approve` as checker, and the key
//! counts as its own actor for maker-checker).

use keygate_credential::{SecretHash, Token};
use keygate_domain::{Actor, ActorId, KeyId, Role, RoleSet, TenantId};
use sha2::{Digest, Sha256};

use super::error::ManageError;
use super::Management;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who, with which roles.
    pub actor: Actor,
    /// The tenant it is bound to; `None` for the system administrator (every tenant).
    pub tenant: Option<TenantId>,
}

impl Caller {
    /// The system administrator.
    pub fn system() -> Self {
        Self { actor: Actor::new(ActorId::System, RoleSet::of([Role::Admin, Role::Auditor])), tenant: None }
    }

    /// An operator of `tenant` with `roles`, for services that authenticate their own people and act
    /// through [`Management`] on their behalf.
    pub fn operator(id: keygate_domain::OperatorId, tenant: TenantId, roles: RoleSet) -> Self {
        Self { actor: Actor::new(ActorId::Operator(id), roles), tenant: Some(tenant) }
    }

    /// Whether this is the system administrator.
    pub fn is_system(&self) -> bool {
        self.actor.id == ActorId::System
    }

    /// The caller as actor on `tenant`, if it may act there at all.
    pub fn on(&self, tenant: &TenantId) -> Result<Actor, ManageError> {
        match &self.tenant {
            Some(own) if own != tenant => Err(ManageError::Forbidden("the credential belongs to another tenant")),
            _ => Ok(self.actor.clone()),
        }
    }

    /// The caller as actor on `tenant` holding one of `roles`.
    pub fn with_any_role(&self, tenant: &TenantId, roles: &[Role]) -> Result<Actor, ManageError> {
        let actor = self.on(tenant)?;
        if roles.iter().any(|r| actor.roles.has(*r)) {
            Ok(actor)
        } else {
            Err(ManageError::Forbidden("the caller lacks the role this needs"))
        }
    }
}

/// The hash of the configured system administrator token.
#[derive(Clone, Copy)]
pub struct AdminToken(SecretHash);

impl AdminToken {
    /// The least length accepted for a configured admin token.
    pub const MIN_LEN: usize = 32;

    /// Keeps only the hash of `token`; `None` if it is shorter than [`AdminToken::MIN_LEN`].
    pub fn new(token: &str) -> Option<Self> {
        (token.len() >= Self::MIN_LEN).then(|| Self(hash(token.as_bytes())))
    }

    /// The stored hash (a console session keeps a fingerprint of it).
    pub(super) fn hash(&self) -> &SecretHash {
        &self.0
    }

    fn matches(&self, presented: &[u8]) -> bool {
        self.0.matches(&hash(presented))
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

fn hash(bytes: &[u8]) -> SecretHash {
    SecretHash::from_bytes(Sha256::digest(bytes).into())
}

impl Management {
    /// Authenticates a management caller acting on `tenant` (if the route names one).
    pub async fn authenticate(
        &self,
        presented: Option<&[u8]>,
        tenant: Option<&TenantId>,
        client: Option<std::net::IpAddr>,
    ) -> Result<Caller, ManageError> {
        let raw = presented.ok_or(ManageError::Unauthenticated)?;
        if let Ok(token) = Token::parse(raw, &self.operator_prefix) {
            // Operator tokens are issued live only: one credential, one spelling. A re-spelled
            // `_test_` form (with a recomputed checksum) is not that token.
            if token.environment() != keygate_domain::Environment::Live {
                return Err(ManageError::Unauthenticated);
            }
            return self.authenticate_operator(&token).await;
        }
        if Token::parse(raw, self.verifier.prefix()).is_ok() {
            return self.authenticate_key(raw, tenant, client).await;
        }
        if self.admin.is_some_and(|admin| admin.matches(raw)) {
            return Ok(Caller::system());
        }
        Err(ManageError::Unauthenticated)
    }

    async fn authenticate_operator(&self, token: &Token) -> Result<Caller, ManageError> {
        let id = keygate_domain::OperatorId::from_bytes(*token.key_id().as_bytes());
        let operator = match self.store().operator(id).await {
            Ok(op) => Some(op),
            Err(keygate_store::StoreError::NotFound) => None,
            Err(other) => return Err(other.into()),
        };
        let presented = self.verifier.hasher().hash(KeyId::from_bytes(*id.as_bytes()), token.secret());
        // Compare against a decoy when unknown or without a token (invited, disabled), so every
        // refusal costs the same. Only an active operator's token authenticates; a disabled one's
        // token is gone from the store, so every process refuses it on its next call.
        let stored = operator.as_ref().and_then(|op| op.token_hash).unwrap_or(self.decoy);
        match operator {
            Some(op)
                if presented.matches(&stored)
                    && op.token_hash.is_some()
                    && op.account.state == keygate_domain::operator::OperatorState::Active =>
            {
                // Seen at most once a minute per operator: a write per management call would be cheap,
                // but the answer "when was this person last here" needs no more precision.
                let now = self.now();
                if op.last_seen_at.is_none_or(|seen| now - seen > chrono::Duration::seconds(60)) {
                    self.store().operator_seen(op.id(), now).await?;
                }
                Ok(Caller {
                    actor: Actor::new(ActorId::Operator(op.id()), op.account.roles),
                    tenant: Some(op.tenant().clone()),
                })
            }
            _ => Err(ManageError::Unauthenticated),
        }
    }

    /// An integrator key, read fresh from the store (never the verify cache: a management call must
    /// see a revocation or suspension at once), checked in constant time, bound to its tenant, its
    /// allow list (against the caller's address) and its own environment and privileges, and counted
    /// as the person who created it.
    async fn authenticate_key(
        &self,
        raw: &[u8],
        tenant: Option<&TenantId>,
        client: Option<std::net::IpAddr>,
    ) -> Result<Caller, ManageError> {
        let token = Token::parse(raw, self.verifier.prefix()).map_err(|_| ManageError::Unauthenticated)?;
        let record = self.store().find_key(token.key_id()).await?;
        let presented = self.verifier.hasher().hash(token.key_id(), token.secret());
        // A key with no secret yet (revealed after approval) is compared against the decoy too, and fails.
        let stored = record.as_ref().and_then(|r| r.secret_hash).unwrap_or(self.decoy);
        let matched = presented.matches(&stored) && record.as_ref().is_some_and(|r| r.secret_hash.is_some());
        let Some(record) = record.filter(|_| matched) else { return Err(ManageError::Unauthenticated) };
        let key = record.key.clone();
        if !key.is_usable(self.now()) || key.environment != token.environment() {
            return Err(ManageError::Unauthenticated);
        }
        if tenant.is_some_and(|t| t != &key.tenant) {
            return Err(ManageError::Forbidden("the credential belongs to another tenant"));
        }
        let allow = key.privileges.limits.allowed_ips();
        if !allow.networks().is_empty() && !client.is_some_and(|ip| allow.allows(ip)) {
            return Err(ManageError::Forbidden("the key may not be used from this address"));
        }
        let roles = RoleSet::for_integrator_key(&key.privileges.scopes);
        if roles == RoleSet::empty() {
            return Err(ManageError::Forbidden("the key holds no api-keys scope"));
        }
        // A key acts for the person behind it, so it stops acting the moment that person is
        // disabled: one admin can stop a leaver's integrator keys at once.
        if let ActorId::Operator(person) = key.created_for {
            let active = match self.store().operator(person).await {
                Ok(op) => op.account.state == keygate_domain::operator::OperatorState::Active,
                Err(keygate_store::StoreError::NotFound) => false,
                Err(other) => return Err(other.into()),
            };
            if !active {
                return Err(ManageError::Forbidden("the person behind this key is no longer active"));
            }
        }
        let bounds = keygate_domain::KeyBounds {
            environment: key.environment,
            privileges: key.privileges.clone(),
            account: key.account.clone(),
        };
        Ok(Caller { actor: Actor::for_key(key.id, roles, key.created_for, bounds), tenant: Some(key.tenant) })
    }
}
