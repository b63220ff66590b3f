//! Management: the operations behind keygated's routes, so the server only translates HTTP.
//!
//! Each operation authenticates nothing itself (see [`Management::authenticate`]); it takes the
//! [`Caller`], checks that it may act on the tenant, lets the domain's state machine decide, and commits
//! the change with its audit entry through the store. Secrets are generated here, returned once as a
//! [`PlainToken`], and only their hashes are stored.

mod caller;
mod console;
mod currencies;
mod error;
mod keys;
mod leaks;
mod operators;
mod permission;
mod requests;
mod scopes;
mod services;
mod spec;
mod tenants;
mod webhooks;

use std::sync::Arc;

use keygate_credential::{SecretHash, TokenPrefix};
use keygate_domain::{ActorId, KeyId, Role, TenantId};
use keygate_store::{AuditChainReport, AuditCursor, AuditEntry, AuditKind, KeyStore, Operator, Page};
use rand_core::{OsRng, RngCore};

pub use caller::{AdminToken, Caller};
pub use console::{csrf_matches, csrf_token, OpenedSession, SessionCookie, SESSION_ABSOLUTE, SESSION_IDLE};
pub use error::ManageError;
pub use keys::MAX_OVERLAP_SECONDS;
pub use leaks::{Leak, LeakLabel, MAX_LABEL_BYTES, MAX_URL_BYTES};
pub use operators::{Invitation, OperatorDecision};
pub use permission::Permission;
pub use services::SERVICE_TTL;
pub use spec::{KeyPatch, KeySpec, NewOperator, TenantPatch};
pub use webhooks::{WebhookPatchSpec, WebhookSettings, WebhookSpec, SECRET_OVERLAP};

use crate::verifier::Verifier;

/// The management facade.
#[derive(Clone)]
pub struct Management {
    verifier: Verifier,
    operator_prefix: TokenPrefix,
    invitation_prefix: TokenPrefix,
    service_prefix: TokenPrefix,
    services: services::ServiceCache,
    admin: Option<AdminToken>,
    decoy: SecretHash,
    webhooks: webhooks::WebhookSettings,
}

impl std::fmt::Debug for Management {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Management").field("operator_prefix", &self.operator_prefix).finish_non_exhaustive()
    }
}

impl Management {
    /// Management over the verifier's store, hasher and clock. Operator tokens use `operator_prefix`.
    /// Without `admin`, no token authenticates as the system administrator (an embedding service acts
    /// through [`Caller`]s it builds itself).
    pub fn new(verifier: Verifier, operator_prefix: TokenPrefix, admin: Option<AdminToken>) -> Self {
        let mut decoy = [0u8; 32];
        OsRng.fill_bytes(&mut decoy);
        // Invitation codes get their own prefix (`kgopinv_live_…`), so a code is never mistaken for a
        // token; a prefix too long to extend keeps the operator one (the hashes still never match).
        let invitation_prefix =
            TokenPrefix::parse(&format!("{}inv", operator_prefix.as_str())).unwrap_or_else(|_| operator_prefix.clone());
        // Service tokens likewise: `{prefix}svc_live_…` from the key prefix (`kgop` gives `kgsvc`).
        let base = operator_prefix.as_str().strip_suffix("op").unwrap_or(operator_prefix.as_str());
        let service_prefix = TokenPrefix::parse(&format!("{base}svc")).unwrap_or_else(|_| invitation_prefix.clone());
        Self {
            verifier,
            operator_prefix,
            invitation_prefix,
            service_prefix,
            services: services::ServiceCache::default(),
            admin,
            decoy: SecretHash::from_bytes(decoy),
            webhooks: webhooks::WebhookSettings::default(),
        }
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    fn store(&self) -> &Arc<dyn KeyStore> {
        self.verifier.store()
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.verifier.clock().now()
    }

    fn audit_with(&self, tenant: &TenantId, actor: ActorId, action: AuditKind, details: Option<String>) -> AuditEntry {
        AuditEntry { details, ..self.audit(tenant, None, actor, action) }
    }

    fn audit(&self, tenant: &TenantId, key: Option<KeyId>, actor: ActorId, action: AuditKind) -> AuditEntry {
        AuditEntry::new(tenant, key, actor, action, self.now())
    }

    /// A tenant's operators (admin or auditor).
    pub async fn operators(&self, caller: &Caller, tenant: &TenantId) -> Result<Vec<Operator>, ManageError> {
        caller.may(tenant, Permission::Oversee)?;
        // Operators' e-mail addresses are personal data: shown to the tenant's admin and auditor
        // operators and the system admin, never to an integrator key (even one acting as auditor).
        if matches!(caller.actor.id, ActorId::Key(_)) {
            return Err(ManageError::Forbidden("operators are not shown to API keys"));
        }
        self.store().tenant(tenant).await?;
        Ok(self.store().operators(tenant).await?)
    }

    /// A tenant's audit log, newest first.
    pub async fn audit_log(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        key: Option<KeyId>,
        cursor: Option<AuditCursor>,
        limit: u32,
    ) -> Result<Page<AuditEntry, AuditCursor>, ManageError> {
        caller.may(tenant, Permission::Read)?;
        self.store().tenant(tenant).await?;
        Ok(self.store().audit(tenant, key, cursor, limit).await?)
    }

    /// Re-computes a tenant's audit chain (admin or auditor): whether every entry still hashes as it
    /// did when appended, or the first `seq` where someone changed the log behind keygate's back.
    pub async fn verify_audit(&self, caller: &Caller, tenant: &TenantId) -> Result<AuditChainReport, ManageError> {
        caller.with_any_role(tenant, &[Role::Admin, Role::Auditor])?;
        Ok(self.store().verify_audit(tenant).await?)
    }
}
