//! Tenants and their policy. A tenant is born narrow; narrowing applies at once; widening waits for a
//! second admin (the system admin counts as one person like any other).

use keygate_domain::{ActorId, PolicyPatch, PolicyRequest, Role, TenantId, TenantPolicy, TimezoneChange};
use keygate_store::{AuditKind, Operator, PendingPolicy, Tenant};

use super::operators::Invitation;
use super::spec::{NewOperator, TenantPatch};
use super::{Caller, ManageError, Management, Permission};

impl Management {
    /// Creates a tenant (system admin only) at its narrowest policy, whatever `patch` asks: a looser
    /// setting becomes a pending policy change, asked by the system admin, for one of the tenant's
    /// first admins to approve once claimed. The first admins are invited in the same commit; their
    /// invitations are returned to the system admin (the one trusted step of a tenant's life).
    pub async fn create_tenant(
        &self,
        caller: &Caller,
        patch: TenantPatch,
        id: TenantId,
        admins: Vec<NewOperator>,
    ) -> Result<(Tenant, Vec<(Operator, Invitation)>), ManageError> {
        if !caller.is_system() {
            return Err(ManageError::Forbidden("only the system administrator creates tenants"));
        }
        let now = self.now();
        let name = patch.name.clone().ok_or_else(|| ManageError::invalid("name", "is required"))?;
        let split = TenantPolicy::narrowest().split(&patch.policy());
        let pending = match split.pending {
            Some(widening) => Some(PendingPolicy {
                request: PolicyRequest::new(widening, &caller.actor).map_err(policy_error)?,
                requested_at: now,
            }),
            None => None,
        };
        let tenant = Tenant {
            id,
            name,
            policy: split.now,
            pending_policy: pending,
            timezone_change: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut audit = vec![self.audit_with(
            &tenant.id,
            caller.actor.id,
            AuditKind::TenantCreated,
            Some(policy_details(None, &tenant)),
        )];
        let mut invited = Vec::new();
        for admin in admins {
            if !admin.roles.has(Role::Admin) {
                return Err(ManageError::invalid("admins", "first admins hold the admin role"));
            }
            let (operator, invitation, entry) = self.bootstrap_admin(caller, &tenant.id, admin)?;
            audit.push(entry);
            invited.push((operator, invitation));
        }
        let operators: Vec<Operator> = invited.iter().map(|(o, _)| o.clone()).collect();
        self.store().create_tenant(&tenant, &operators, &audit).await?;
        Ok((tenant, invited))
    }

    /// A tenant, for any of its operators or the system administrator.
    pub async fn tenant(&self, caller: &Caller, id: &TenantId) -> Result<Tenant, ManageError> {
        caller.may(id, Permission::Read)?;
        Ok(self.store().tenant(id).await?)
    }

    /// Changes a tenant's name or policy (admin). Each narrowing setting applies at once; the
    /// widening ones become the pending policy, for another admin to approve.
    pub async fn update_tenant(
        &self,
        caller: &Caller,
        id: &TenantId,
        patch: TenantPatch,
    ) -> Result<Tenant, ManageError> {
        let actor = caller.may(id, Permission::Administer)?;
        let current = self.store().tenant(id).await?;
        let split = current.policy.split(&patch.policy());
        let mut next = current.clone();
        if let Some(name) = patch.name.clone() {
            next.name = name;
        }
        next.policy = split.now;
        let kind = match split.pending {
            // One widening at a time: replacing a pending request would let its asker swap what a
            // second admin is about to approve.
            Some(_) if current.pending_policy.is_some() => {
                return Err(ManageError::InvalidState("a policy change is already pending: approve or reject it first"))
            }
            Some(widening) => {
                next.pending_policy = Some(PendingPolicy {
                    request: PolicyRequest::new(widening, &actor).map_err(policy_error)?,
                    requested_at: self.now(),
                });
                AuditKind::PolicyRequested
            }
            None => AuditKind::TenantUpdated,
        };
        self.save_tenant(&current, next, actor.id, kind).await
    }

    /// Approves the pending policy widening (an admin other than the one who asked).
    pub async fn approve_policy(&self, caller: &Caller, id: &TenantId) -> Result<Tenant, ManageError> {
        let actor = caller.may(id, Permission::Administer)?;
        let current = self.store().tenant(id).await?;
        let pending = current.pending_policy.clone().ok_or(ManageError::InvalidState("no policy change is pending"))?;
        let mut next = current.clone();
        next.policy = pending.request.approve(&actor, &current.policy).map_err(policy_error)?;
        next.pending_policy = None;
        self.save_tenant(&current, next, actor.id, AuditKind::TenantUpdated).await
    }

    /// Rejects the pending policy widening (an admin other than the one who asked).
    pub async fn reject_policy(&self, caller: &Caller, id: &TenantId) -> Result<Tenant, ManageError> {
        let actor = caller.may(id, Permission::Administer)?;
        let current = self.store().tenant(id).await?;
        let pending = current.pending_policy.clone().ok_or(ManageError::InvalidState("no policy change is pending"))?;
        pending.request.reject(&actor).map_err(policy_error)?;
        let mut next = current.clone();
        next.pending_policy = None;
        self.save_tenant(&current, next, actor.id, AuditKind::PolicyRejected).await
    }

    async fn save_tenant(
        &self,
        current: &Tenant,
        mut next: Tenant,
        actor: ActorId,
        kind: AuditKind,
    ) -> Result<Tenant, ManageError> {
        let now = self.now();
        // A change that took effect is history: the policy's zone is the one in force.
        if next.timezone_change.is_some_and(|c| c.effective_at <= now) {
            next.timezone_change = None;
        }
        if next.policy.timezone != current.policy.timezone {
            // A new zone waits for the later of the two zones' next midnight, so no window reopens.
            next.timezone_change =
                TimezoneChange::schedule(current.policy.timezone, current.timezone_change, next.policy.timezone, now);
        }
        next.version += 1;
        next.updated_at = now;
        let entry = self.audit_with(&next.id, actor, kind, Some(policy_details(Some(current), &next)));
        self.store().update_tenant(&next, current.version, &entry).await?;
        self.verifier.forget_tenant(&next.id);
        Ok(next)
    }
}

fn policy_error(e: keygate_domain::PolicyError) -> ManageError {
    match e {
        keygate_domain::PolicyError::SelfApproval => ManageError::SelfApproval,
        keygate_domain::PolicyError::MissingRole(_) => ManageError::Forbidden("the admin role is required"),
        keygate_domain::PolicyError::NothingToApprove => ManageError::InvalidState("no policy change is pending"),
    }
}

/// `{"before": {...}, "after": {...}, "pending": {...}}`: what a policy change did, for the audit log.
fn policy_details(before: Option<&Tenant>, after: &Tenant) -> String {
    let show = |t: &Tenant| {
        let p = &t.policy;
        serde_json::json!({
            "dual_control": p.dual_control,
            "live_enabled": p.live_enabled,
            "max_key_lifetime_days": p.max_key_lifetime_days,
            "allow_never_expiring": p.allow_never_expiring,
            "integrator_approvals": p.integrator_approvals,
            "timezone": p.timezone.as_str(),
            "on_leak": p.on_leak.as_str(),
            "name_mutable": p.name_mutable,
            "require_account": p.require_account,
            "reveal": p.reveal.as_str(),
            "reveal_window_hours": p.reveal_window_hours.as_hours(),
            "scope_catalogue": p.scope_catalogue.as_ref().map(super::scopes::catalogue_summary),
            "webhook_expiry_lead_days": p.webhook_expiry_lead_days.as_days(),
            "signature_skew_seconds": p.signature_skew_seconds.as_seconds(),
            "currencies": p.currencies.iter().map(|(code, spec)| currency(code, spec)).collect::<Vec<_>>(),
            "timezone_change": t.timezone_change.map(|c| serde_json::json!({
                "from": c.from.as_str(),
                "effective_at": c.effective_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })),
        })
    };
    let pending = after.pending_policy.as_ref().map(|p| {
        let PolicyPatch {
            dual_control,
            live_enabled,
            max_key_lifetime_days,
            allow_never_expiring,
            integrator_approvals,
            timezone,
            currency: one,
            on_leak,
            name_mutable,
            require_account,
            reveal,
            reveal_window_hours,
            scope_catalogue,
            webhook_expiry_lead_days,
            signature_skew_seconds,
        } = &p.request.patch;
        serde_json::json!({
            "dual_control": dual_control,
            "live_enabled": live_enabled,
            "allow_never_expiring": allow_never_expiring,
            "integrator_approvals": integrator_approvals,
            "max_key_lifetime_days": match max_key_lifetime_days {
                None => serde_json::json!("unchanged"),
                Some(days) => serde_json::json!(days),
            },
            "timezone": timezone.map(|z| z.as_str()),
            "on_leak": on_leak.map(keygate_domain::OnLeak::as_str),
            "name_mutable": name_mutable,
            "require_account": require_account,
            "reveal": reveal.map(keygate_domain::RevealPolicy::as_str),
            "reveal_window_hours": reveal_window_hours.map(keygate_domain::RevealWindow::as_hours),
            "currency": one.map(|(code, spec)| currency(code, spec)),
            "scope_catalogue": match scope_catalogue {
                None => serde_json::json!("unchanged"),
                Some(c) => c.as_ref().map_or(serde_json::Value::Null, super::scopes::catalogue_summary),
            },
            "webhook_expiry_lead_days": webhook_expiry_lead_days.map(keygate_domain::webhook::ExpiryLead::as_days),
            "signature_skew_seconds": signature_skew_seconds.map(keygate_domain::SignatureSkew::as_seconds),
        })
    });
    let mut details = serde_json::Map::new();
    if let Some(b) = before {
        details.insert("before".to_owned(), show(b));
    }
    details.insert("after".to_owned(), show(after));
    details.insert("pending".to_owned(), pending.unwrap_or(serde_json::Value::Null));
    serde_json::Value::Object(details).to_string()
}

/// One currency entry as the audit log shows it.
fn currency(code: keygate_domain::Currency, spec: keygate_domain::CurrencySpec) -> serde_json::Value {
    serde_json::json!({"currency": code.as_str(), "class": spec.class().as_str(), "scale": spec.scale()})
}
