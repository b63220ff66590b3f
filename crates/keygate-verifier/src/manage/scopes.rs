//! A tenant's scope catalogue: reading it, setting or removing it (a policy setting like any other, so
//! setting or reducing it applies at once and removing or enlarging it waits for a second admin), and
//! the check that what a key is given is offered by it.
//!
//! It never looks at a verification: a service may require a scope outside the catalogue, and the
//! evaluator answers as it would for any scope no key holds.

use keygate_domain::{ScopeCatalogue, ScopeSet, TenantId, TenantPolicy};
use keygate_store::Tenant;
use sha2::{Digest, Sha256};

use super::spec::TenantPatch;
use super::{Caller, ManageError, Management, Permission};

impl Management {
    /// The tenant's catalogue (`None`: any well-formed scope), for anyone of the tenant who reads keys:
    /// makers choose from it when they ask for a key.
    pub async fn scope_catalogue(
        &self,
        caller: &Caller,
        tenant: &TenantId,
    ) -> Result<Option<ScopeCatalogue>, ManageError> {
        caller.may(tenant, Permission::Read)?;
        Ok(self.store().tenant(tenant).await?.policy.scope_catalogue)
    }

    /// Sets the tenant's catalogue, or removes it with `None` (admin). A first catalogue, or one that
    /// offers nothing the current one does not, applies at once; removing it or offering more waits
    /// for another admin (`pending_policy`), as any widening of the policy.
    pub async fn put_scope_catalogue(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        catalogue: Option<ScopeCatalogue>,
    ) -> Result<Tenant, ManageError> {
        let patch = TenantPatch { scope_catalogue: Some(catalogue), ..TenantPatch::default() };
        self.update_tenant(caller, tenant, patch).await
    }
}

/// Every scope a key is given is offered by the tenant's catalogue, if it has one. Only what the key
/// did not already hold (`held`) is checked, as for limits: a catalogue narrowed by one admin never
/// blocks a maker's narrowing of a key, and a rotation's successor inherits its predecessor's scopes.
pub(super) fn check_scopes(
    policy: &TenantPolicy,
    scopes: &ScopeSet,
    held: Option<&ScopeSet>,
) -> Result<(), ManageError> {
    let Some(catalogue) = &policy.scope_catalogue else { return Ok(()) };
    let new = scopes.iter().filter(|s| !held.is_some_and(|h| h.satisfies(s)));
    match new.into_iter().find(|s| !catalogue.allows(s)) {
        Some(outside) => {
            Err(ManageError::invalid("scopes", format!("{outside} is not offered by the tenant's scope catalogue")))
        }
        None => Ok(()),
    }
}

/// A catalogue as the audit log shows it: how many resources and the SHA-256 of its canonical text
/// (one line per resource, sorted: `name actions description`), which `GET .../scopes` lets anyone
/// recompute. Not the catalogue itself: up to 256 resources would not fit an entry's 8 KiB.
pub(super) fn catalogue_summary(catalogue: &ScopeCatalogue) -> serde_json::Value {
    let mut hash = Sha256::new();
    for resource in catalogue.resources() {
        let actions: Vec<&str> = resource.actions().map(keygate_domain::Action::as_str).collect();
        let description = resource.description().map_or("", keygate_domain::ScopeDescription::as_str);
        hash.update(format!("{} {} {description}\n", resource.name(), actions.join(",")).as_bytes());
    }
    let hex = hash.finalize().iter().fold(String::with_capacity(64), |mut hex, b| {
        // Writing to a String cannot fail.
        let _ = std::fmt::Write::write_fmt(&mut hex, format_args!("{b:02x}"));
        hex
    });
    serde_json::json!({"resources": catalogue.resources().count(), "sha256": hex})
}
