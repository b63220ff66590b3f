//! Who is calling a management route, and with which roles in which tenant.
//!
//! Three credentials are accepted: the system administrator's token (any tenant, admin and auditor
//! roles, never maker or checker, so it cannot bypass dual control), an operator's token
//! (`{prefix}op_live_…`, its own tenant, its roles) and an integrator API key holding `api-keys:*`
//! scopes (its own tenant; `read` acts as auditor, `write` as maker, `approve` as checker, and the key
//! counts as its own actor for maker-checker).

use keygate_credential::{SecretHash, Token};
use keygate_domain::{Actor, ActorId, KeyId, Role, RoleSet, TenantId};
use keygate_policy::RequestContext;
use sha2::{Digest, Sha256};

use super::error::ManageError;
use super::Management;
use crate::outcome::VerifyError;

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
            return self.authenticate_key(raw, tenant).await;
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
        // Compare against a decoy when unknown, so unknown ids and wrong secrets cost the same.
        let stored = operator.as_ref().map_or(self.decoy, |op| op.token_hash);
        match operator {
            Some(op) if presented.matches(&stored) => {
                Ok(Caller { actor: Actor::new(ActorId::Operator(op.id), op.roles), tenant: Some(op.tenant) })
            }
            _ => Err(ManageError::Unauthenticated),
        }
    }

    async fn authenticate_key(&self, raw: &[u8], tenant: Option<&TenantId>) -> Result<Caller, ManageError> {
        let ctx = RequestContext { tenant: tenant.cloned(), ..RequestContext::default() };
        match self.verifier.verify(raw, &ctx).await {
            Ok(verified) => {
                let roles = RoleSet::for_integrator_key(&verified.scopes);
                if roles == RoleSet::empty() {
                    return Err(ManageError::Forbidden("the key holds no api-keys scope"));
                }
                // The key acts for the person behind it, within its own environment and privileges,
                // read fresh from the store (a management call never trusts the verify cache's copy).
                let key = self.store().find_key(verified.key_id).await?.ok_or(ManageError::Unauthenticated)?.key;
                if !key.is_usable(self.now()) {
                    return Err(ManageError::Unauthenticated);
                }
                let bounds = keygate_domain::KeyBounds { environment: key.environment, privileges: key.privileges };
                let actor = Actor::for_key(key.id, roles, key.created_for, bounds);
                Ok(Caller { actor, tenant: Some(key.tenant) })
            }
            Err(VerifyError::Unavailable) => Err(ManageError::Unavailable),
            Err(VerifyError::Denied(denial)) if denial.status() == 401 => Err(ManageError::Unauthenticated),
            Err(VerifyError::Denied(_)) => Err(ManageError::Forbidden("the key may not act here")),
        }
    }
}
