//! A tenant's currency table: the `PUT` of one currency (a setting like any other, so a widening waits
//! for a second admin), and the check that a key's limits are money in that table.

use keygate_domain::{Amount, Currency, CurrencySpec, Limits, TenantId, TenantPolicy, Window};
use keygate_store::Tenant;

use super::spec::TenantPatch;
use super::{Caller, ManageError, Management};

impl Management {
    /// Describes one currency of the tenant's table (admin): fewer decimals apply at once; a currency
    /// added, another class or more decimals waits for another admin, as any widening of the policy.
    pub async fn put_currency(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        code: Currency,
        spec: CurrencySpec,
    ) -> Result<Tenant, ManageError> {
        let patch = TenantPatch { currency: Some((code, spec)), ..TenantPatch::default() };
        self.update_tenant(caller, tenant, patch).await
    }
}

/// Every currency a key's limits name is in the tenant's table and of the key's class, and every limit
/// can be paid in it (no more decimals than its scale). Fields are named in the list form
/// (`limits.amounts[0].max_amount`), which is how a key's limits are shown.
///
/// Only what the request sets anew is checked: an entry the key already has, unchanged, under an
/// unchanged class (`current`) passes even if the tenant's table moved since, so a table narrowed by
/// one admin never blocks a maker's narrowing of the key's scopes or addresses.
pub(super) fn check_limits(
    policy: &TenantPolicy,
    limits: &Limits,
    current: Option<&Limits>,
) -> Result<(), ManageError> {
    let same_class = current.is_some_and(|c| c.currency_class() == limits.currency_class());
    for (i, (currency, limit)) in limits.amounts().iter().enumerate() {
        if same_class && current.and_then(|c| c.amount_limit(*currency)) == Some(limit) {
            continue;
        }
        let field = |name: &str| format!("limits.amounts[{i}].{name}");
        let spec = policy.currency(*currency).ok_or_else(|| {
            ManageError::invalid(field("currency"), format!("{currency} is not in the tenant's currency table"))
        })?;
        if let Some(class) = limits.currency_class().filter(|class| *class != spec.class()) {
            return Err(ManageError::invalid(field("currency"), format!("{currency} is not a {class} currency")));
        }
        let bounds = [("max_amount", limit.max_amount())]
            .into_iter()
            .chain(Window::ALL.map(|w| (volume_field(w), limit.volume(w))));
        for (name, amount) in bounds {
            if amount.is_some_and(|a: Amount| !spec.admits(a)) {
                let message = format!("has more than {} decimal places for {currency}", spec.scale());
                return Err(ManageError::invalid(field(name), message));
            }
        }
    }
    Ok(())
}

/// The wire name of a window's volume.
pub(crate) fn volume_field(window: Window) -> &'static str {
    match window {
        Window::Day => "daily_volume",
        Window::Week => "weekly_volume",
        Window::Month => "monthly_volume",
    }
}
