//! Reading the request log: a tenant's lines, or one key's, newest first, for whoever may read the
//! tenant's keys (maker, checker, admin, auditor, and an integrator key holding `api-keys:read`).
//!
//! An integrator key bound to an environment (and an account) sees only the lines of its own
//! environment's (and account's) keys, as it sees only those keys; another key's lines are not found.

use keygate_domain::{KeyId, TenantId};
use keygate_store::{Page, RequestCursor, RequestFilter, RequestLine};

use super::keys::visible;
use super::{Caller, ManageError, Management, Permission};

impl Management {
    /// A page of the tenant's request log, newest first; with `key`, that key's (`NotFound` if the
    /// tenant has no such key, or the caller may not see it).
    pub async fn request_log(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        key: Option<KeyId>,
        filter: RequestFilter,
        cursor: Option<RequestCursor>,
        limit: u32,
    ) -> Result<Page<RequestLine, RequestCursor>, ManageError> {
        caller.may(tenant, Permission::Read)?;
        self.store().tenant(tenant).await?;
        let mut filter = filter;
        if let Some(id) = key {
            visible(caller, &self.store().key(tenant, id).await?.key)?;
            filter.key = Some(id);
        }
        if let Some(bounds) = caller.actor.bounds.as_ref() {
            let elsewhere = filter.environment.is_some_and(|e| e != bounds.environment)
                || bounds.account.as_ref().is_some_and(|own| filter.account.as_ref().is_some_and(|a| a != own));
            if elsewhere {
                return Ok(Page { items: Vec::new(), next: None });
            }
            filter.environment = Some(bounds.environment);
            filter.account = bounds.account.clone().or(filter.account);
        }
        Ok(self.store().requests(tenant, &filter, cursor, limit).await?)
    }
}
