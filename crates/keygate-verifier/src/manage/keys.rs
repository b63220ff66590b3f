//! Key operations: create, read, list, move through the lifecycle, change, rotate, usage.

use keygate_credential::{PlainToken, Token};
use keygate_domain::{
    Actor, Event, Key, KeyId, KeyName, NewKey, Privileges, Role, Rotation, TenantId, TenantPolicy, Transition,
};
use keygate_store::{AuditEntry, AuditKind, KeyChange, KeyCursor, KeyFilter, KeyRecord, KeyUsage, KeyWrite, Page};

use super::spec::{KeyPatch, KeySpec};
use super::{Caller, ManageError, Management, Permission};

/// The longest a rotated key keeps working beside its successor: 30 days.
pub const MAX_OVERLAP_SECONDS: u32 = 30 * 86_400;

impl Management {
    /// A maker creates a key: pending under dual control, active at once without it. The secret is
    /// returned once and works only once the key is active; where the tenant reveals secrets after
    /// approval there is none yet ([`Management::reveal_secret`] draws it).
    pub async fn create_key(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        spec: KeySpec,
    ) -> Result<(KeyRecord, Option<PlainToken>), ManageError> {
        let actor = caller.on(tenant)?;
        let policy = self.store().tenant(tenant).await?.policy;
        self.issue(actor, tenant, &policy, spec, None).await
    }

    async fn issue(
        &self,
        actor: Actor,
        tenant: &TenantId,
        policy: &TenantPolicy,
        spec: KeySpec,
        rotation: Option<Rotation>,
    ) -> Result<(KeyRecord, Option<PlainToken>), ManageError> {
        // A rotation's successor inherits its predecessor's limits and scopes, checked when they were set.
        let inherited = rotation.is_some().then_some(&spec.privileges.limits);
        super::currencies::check_limits(policy, &spec.privileges.limits, inherited)?;
        let inherited_scopes = rotation.is_some().then_some(&spec.privileges.scopes);
        super::scopes::check_scopes(policy, &spec.privileges.scopes, inherited_scopes)?;
        let hmac = spec.signing.as_ref().is_some_and(|s| s.algorithm() == keygate_domain::SigningAlgorithm::HmacSha256);
        if hmac && !self.verifier.signs_hmac() {
            return Err(ManageError::invalid(
                "signing.algorithm",
                "hmac-sha256 keys need KEYGATE_SIGNING_KEY set on the server (or use ed25519)",
            ));
        }
        let signing = spec.signing;
        let token = Token::generate(spec.environment);
        let new = NewKey {
            id: token.key_id(),
            tenant: tenant.clone(),
            account: spec.account,
            name: spec.name,
            notes: spec.notes,
            environment: spec.environment,
            privileges: spec.privileges,
            owner: spec.owner,
            expiry: spec.expiry,
            rotation,
        };
        let now = self.now();
        let created = Key::create(new, &actor, policy, now).map_err(|e| match e {
            keygate_domain::TransitionError::LiveDisabled => {
                ManageError::invalid("environment", "live keys are not enabled for this tenant")
            }
            e @ keygate_domain::TransitionError::AccountRequired => ManageError::invalid("account_id", e),
            keygate_domain::TransitionError::Expiry(e) => ManageError::invalid("expires_at", e),
            other => other.into(),
        })?;
        // Where secrets are revealed after approval, the drawn token is dropped unseen: only its id is kept.
        let plain = created.key.has_secret().then(|| token.to_plain(self.verifier.prefix()));
        let record = KeyRecord {
            key: created.key.clone(),
            secret_hash: plain.as_ref().map(|_| self.verifier.hasher().hash(token.key_id(), token.secret())),
            masked: plain.as_ref().map(|p| p.masked().into()),
            signing,
            last_used_at: None,
            last_used_ip: None,
        };
        let mut audit = entry(&created, actor.clone());
        // The credential the key was made with is part of what was approved: recorded with its creation.
        audit.details = record.signing.as_ref().map(|s| {
            let public_key = s.public_key().map(|k| k.iter().fold(String::new(), |hex, b| hex + &format!("{b:02x}")));
            serde_json::json!({"signing": {"algorithm": s.algorithm().as_str(), "public_key": public_key, "bearer": s.bearer()}})
                .to_string()
        });
        let mut changes = vec![KeyChange { write: KeyWrite::Insert(record.clone()), audit }];
        changes.extend(self.supersede(&created, actor, policy).await?);
        self.commit(&changes).await?;
        // A signing-only key's bearer secret is drawn (its hash keeps the reveal states whole) and never
        // shown: nobody holds it, and the verifier refuses its bearer form anyway.
        Ok((record.clone(), plain.filter(|_| record.signing.as_ref().is_none_or(keygate_domain::Signing::bearer))))
    }

    /// The maker who asked for a key draws its secret, once, after approval and within the tenant's
    /// window: the secret is made here and its hash stored in the same commit, so nothing reversible is
    /// ever kept. Of two reveals racing, one commits and the other finds the secret drawn.
    pub async fn reveal_secret(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: KeyId,
    ) -> Result<PlainToken, ManageError> {
        self.reveal(caller, tenant, id).await.map(|(_, plain)| plain)
    }

    /// [`Management::reveal_secret`], also answering the key as revealed, so the caller can show what
    /// else it holds (an HMAC signing secret) and keep back a signing-only key's bearer token.
    pub async fn reveal(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: KeyId,
    ) -> Result<(KeyRecord, PlainToken), ManageError> {
        let actor = caller.on(tenant)?;
        // A few tries: each lost race is another move of this key, and the next look sees it.
        for _ in 0..4 {
            let (record, policy) = self.current(tenant, id).await?;
            visible(caller, &record.key)?;
            let moved = record.key.apply(Event::RevealSecret, &actor, &policy, self.now())?;
            let token = Token::generate_for(record.key.environment, id);
            let plain = token.to_plain(self.verifier.prefix());
            let change = KeyChange {
                write: KeyWrite::Reveal {
                    expected_version: record.key.version,
                    key: moved.key.clone(),
                    secret_hash: self.verifier.hasher().hash(id, token.secret()),
                    masked: plain.masked().to_owned(),
                },
                audit: entry(&moved, actor.clone()),
            };
            match self.commit(&[change]).await {
                Ok(()) => return Ok((KeyRecord { key: moved.key, ..record }, plain)),
                // Someone moved the key meanwhile (another reveal, most likely): decide again on the key
                // as it is now, which answers `SECRET_ALREADY_REVEALED` if that was a reveal.
                Err(ManageError::Conflict) => {}
                Err(other) => return Err(other),
            }
        }
        Err(ManageError::Conflict)
    }

    /// A key of the tenant.
    pub async fn key(&self, caller: &Caller, tenant: &TenantId, id: KeyId) -> Result<KeyRecord, ManageError> {
        caller.may(tenant, Permission::Read)?;
        let record = self.store().key(tenant, id).await?;
        visible(caller, &record.key)?;
        Ok(record)
    }

    /// A page of the tenant's keys.
    pub async fn keys(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        filter: KeyFilter,
        cursor: Option<KeyCursor>,
        limit: u32,
    ) -> Result<Page<KeyRecord, KeyCursor>, ManageError> {
        caller.may(tenant, Permission::Read)?;
        self.store().tenant(tenant).await?;
        // An integrator key sees only keys of its own environment and, when it is bound to an account,
        // of that account (asking for another one finds none).
        let filter = match caller.actor.bounds.as_ref() {
            Some(bounds)
                if filter.environment.is_some_and(|e| e != bounds.environment)
                    || bounds.account.as_ref().is_some_and(|own| filter.account.as_ref().is_some_and(|a| a != own)) =>
            {
                return Ok(Page { items: Vec::new(), next: None })
            }
            Some(bounds) => KeyFilter {
                environment: Some(bounds.environment),
                account: bounds.account.clone().or(filter.account.clone()),
                ..filter
            },
            None => filter,
        };
        Ok(self.store().keys(tenant, filter, cursor, limit).await?)
    }

    /// Applies a lifecycle event. Approving a key made by a rotation also starts its predecessor's
    /// overlap, in the same commit.
    pub async fn transition(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: KeyId,
        event: Event,
    ) -> Result<KeyRecord, ManageError> {
        self.transitions(caller, tenant, id, vec![event]).await
    }

    /// Suspends a key and asks its revocation in one commit (`revoke` with `"suspend": true`): the key
    /// is refused from this instant, before any checker is at a desk.
    pub async fn suspend_and_revoke(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: KeyId,
        reason: keygate_domain::Reason,
    ) -> Result<KeyRecord, ManageError> {
        // Only the steps still to take: a key whose revocation is already asked is suspended, and a
        // suspended key gets its revocation asked, rather than the whole call refused.
        let key = self.store().key(tenant, id).await?.key;
        let mut events = Vec::new();
        if key.state != keygate_domain::KeyState::Suspended {
            events.push(Event::Suspend { reason: reason.clone() });
        }
        if key.revocation.is_none() {
            events.push(Event::RequestRevocation { reason });
        }
        if events.is_empty() {
            return Err(ManageError::InvalidState("the key is already suspended and its revocation asked"));
        }
        self.transitions(caller, tenant, id, events).await
    }

    /// Applies `events` one after the other to one key, all in one commit with one audit entry each (or
    /// none of them, if any is refused).
    pub async fn transitions(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: KeyId,
        events: Vec<Event>,
    ) -> Result<KeyRecord, ManageError> {
        let actor = caller.on(tenant)?;
        let (record, policy) = self.current(tenant, id).await?;
        let mut key = record.key.clone();
        let mut changes = Vec::new();
        for event in events {
            if event == Event::Approve {
                self.check_predecessor(&key).await?;
            }
            // A scope catalogue set while the key or its change waited bounds what the approval grants
            // (a rotation's successor keeps its predecessor's scopes, checked when they were given).
            match (&event, &key.pending_change) {
                (Event::Approve, _) if key.rotation.is_none() => {
                    super::scopes::check_scopes(&policy, &key.privileges.scopes, None)?;
                }
                (Event::ApproveChange, Some(change)) => {
                    super::scopes::check_scopes(&policy, &change.privileges.scopes, Some(&key.privileges.scopes))?;
                }
                _ => {}
            }
            let moved = key.apply(event, &actor, &policy, self.now())?;
            changes.push(update(&key, &moved, actor.clone()));
            changes.extend(self.supersede(&moved, actor.clone(), &policy).await?);
            if moved.action == keygate_domain::AuditAction::Revoked {
                changes.extend(self.reject_successors(&moved.key, &actor, &policy).await?);
            }
            key = moved.key;
        }
        self.commit(&changes).await?;
        Ok(KeyRecord { key, ..record })
    }

    /// Edits a key: notes at once; scopes and limits as a change the state machine applies or holds
    /// for a checker. Everything is decided before anything is written, so a refused change leaves
    /// the notes untouched too.
    pub async fn patch_key(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: KeyId,
        patch: KeyPatch,
    ) -> Result<KeyRecord, ManageError> {
        let actor = caller.on(tenant)?;
        let (record, policy) = self.current(tenant, id).await?;
        let now = self.now();
        let mut key = record.key.clone();
        let mut changes = Vec::new();
        let at_once = [
            patch.notes.map(|notes| Event::UpdateNotes { notes }),
            patch.name.filter(|name| *name != key.name).map(|name| Event::Rename { name }),
            patch.expires_at.map(|at| Event::ShortenExpiry { at }),
        ];
        for event in at_once.into_iter().flatten() {
            let moved = key.apply(event, &actor, &policy, now)?;
            changes.push(update(&key, &moved, actor.clone()));
            key = moved.key;
        }
        let held = [patch.scopes.is_some(), patch.limits.is_some(), patch.currency_class.is_some()];
        let owner_asked = patch.external_id.is_some() || patch.metadata.is_some();
        if held.contains(&true) || owner_asked {
            let class = patch.currency_class.unwrap_or_else(|| key.privileges.limits.currency_class());
            let limits = patch.limits.unwrap_or_else(|| key.privileges.limits.clone()).with_currency_class(class);
            super::currencies::check_limits(&policy, &limits, Some(&key.privileges.limits))?;
            if let Some(scopes) = &patch.scopes {
                super::scopes::check_scopes(&policy, scopes, Some(&key.privileges.scopes))?;
            }
            let privileges =
                Privileges { scopes: patch.scopes.unwrap_or_else(|| key.privileges.scopes.clone()), limits };
            let owner = keygate_domain::Owner {
                external_id: patch.external_id.unwrap_or_else(|| key.owner.external_id.clone()),
                metadata: patch.metadata.unwrap_or_else(|| key.owner.metadata.clone()),
            };
            let moved = key.apply(Event::RequestChange { privileges, owner }, &actor, &policy, now)?;
            changes.push(update(&key, &moved, actor));
            key = moved.key;
        }
        if !changes.is_empty() {
            self.commit(&changes).await?;
        }
        Ok(KeyRecord { key, ..record })
    }

    /// A maker asks for a successor with the same settings: pending under dual control (secret shown
    /// once); once it is active the old key expires after `overlap_seconds`.
    pub async fn rotate(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: KeyId,
        overlap_seconds: u32,
    ) -> Result<(KeyRecord, Option<PlainToken>), ManageError> {
        let actor = caller.on(tenant)?;
        if !actor.roles.has(Role::Maker) {
            return Err(keygate_domain::TransitionError::MissingRole(Role::Maker).into());
        }
        // Checked here, not only by the JSON body: a longer overlap keeps two credentials alive, and
        // every caller (the console's form too) must meet the same bound.
        if overlap_seconds > MAX_OVERLAP_SECONDS {
            return Err(ManageError::invalid("overlap_seconds", "must be at most 2592000 (30 days)"));
        }
        let (record, policy) = self.current(tenant, id).await?;
        let old = &record.key;
        // Refused while a revocation or a change is pending, so a rotation cannot escape either.
        old.check_rotatable(self.now())?;
        let spec = KeySpec {
            name: successor_name(&old.name, id),
            notes: old.notes.clone(),
            // A successor serves the same account (the tenant's `require_account` is met by it, too).
            account: old.account.clone(),
            environment: old.environment,
            privileges: old.privileges.clone(),
            // The same owner: a successor serves the same merchant.
            owner: old.owner.clone(),
            // At most the original's lifetime, and within the tenant's cap.
            expiry: old.successor_expiry(),
            // The same signing: an HMAC successor gets its own secret (derived from its own id); an
            // Ed25519 successor keeps the public key (a new key pair means a new key).
            signing: record.signing.clone(),
        };
        self.issue(actor, tenant, &policy, spec, Some(Rotation { replaces: id, overlap_seconds })).await
    }

    /// A key's usage over the last `days` days.
    pub async fn usage(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: KeyId,
        days: u32,
    ) -> Result<KeyUsage, ManageError> {
        caller.may(tenant, Permission::Read)?;
        visible(caller, &self.store().key(tenant, id).await?.key)?;
        Ok(self.store().usage(tenant, id, days).await?)
    }

    /// Commits, then evicts every changed key from this process's cache (read-your-writes); other
    /// processes are told by the store.
    async fn commit(&self, changes: &[KeyChange]) -> Result<(), ManageError> {
        self.store().commit(changes).await?;
        self.forget_changed(changes);
        Ok(())
    }

    /// Evicts every key `changes` updated from this process's cache.
    pub(super) fn forget_changed(&self, changes: &[KeyChange]) {
        for change in changes {
            if !matches!(change.write, KeyWrite::Insert(_)) {
                self.verifier.forget(change.write.key().id);
            }
        }
    }

    async fn current(&self, tenant: &TenantId, id: KeyId) -> Result<(KeyRecord, TenantPolicy), ManageError> {
        let record = self.store().key(tenant, id).await?;
        let policy = self.store().tenant(tenant).await?.policy;
        Ok((record, policy))
    }

    /// A successor is approved only while the key it replaces works and no revocation of it is asked:
    /// a rotation asked before a revocation cannot outlive it.
    async fn check_predecessor(&self, key: &Key) -> Result<(), ManageError> {
        let Some(rotation) = key.rotation else { return Ok(()) };
        match self.store().key(&key.tenant, rotation.replaces).await {
            Ok(old) if old.key.state == keygate_domain::KeyState::Active => Ok(()),
            Ok(old) => Err(keygate_domain::TransitionError::InvalidState {
                state: old.key.state,
                event: "approve a successor of",
            }
            .into()),
            Err(keygate_store::StoreError::NotFound) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }

    /// A successor still pending when its predecessor is revoked is rejected in the same commit, so a
    /// rotation asked before the revocation cannot bring the key back.
    pub(super) async fn reject_successors(
        &self,
        revoked: &Key,
        actor: &Actor,
        policy: &TenantPolicy,
    ) -> Result<Vec<KeyChange>, ManageError> {
        let filter = KeyFilter { state: Some(keygate_domain::KeyState::PendingApproval), ..KeyFilter::default() };
        let mut changes = Vec::new();
        let mut cursor = None;
        loop {
            let page = self.store().keys(&revoked.tenant, filter.clone(), cursor, 200).await?;
            for successor in page.items.iter().filter(|r| r.key.rotation.is_some_and(|r| r.replaces == revoked.id)) {
                let moved = successor.key.apply(Event::PredecessorRevoked, actor, policy, self.now())?;
                changes.push(update(&successor.key, &moved, actor.clone()));
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => return Ok(changes),
            }
        }
    }

    /// When `moved` just became active and replaces another key, that key's overlap starts now.
    async fn supersede(
        &self,
        moved: &Transition,
        actor: Actor,
        policy: &TenantPolicy,
    ) -> Result<Vec<KeyChange>, ManageError> {
        let became_active =
            matches!(moved.action, keygate_domain::AuditAction::Approved | keygate_domain::AuditAction::Created);
        let Some(rotation) = moved.key.rotation.filter(|_| became_active) else { return Ok(Vec::new()) };
        let old = match self.store().key(&moved.key.tenant, rotation.replaces).await {
            Ok(old) => old.key,
            Err(keygate_store::StoreError::NotFound) => return Ok(Vec::new()),
            Err(other) => return Err(other.into()),
        };
        let event = Event::Supersede { successor: moved.key.id, overlap_seconds: rotation.overlap_seconds };
        match old.apply(event, &actor, policy, self.now()) {
            Ok(t) => Ok(vec![update(&old, &t, actor)]),
            // Revoked or rejected meanwhile: nothing left to retire.
            Err(_) => Ok(Vec::new()),
        }
    }
}

/// An integrator key reads only keys of its own environment and, when it is bound to an account, of that
/// account; another environment's or account's key is not found (its existence is not told either).
pub(super) fn visible(caller: &Caller, key: &Key) -> Result<(), ManageError> {
    match caller.actor.bounds.as_ref() {
        Some(bounds) if bounds.environment != key.environment => Err(ManageError::NotFound),
        Some(bounds) if bounds.account.as_ref().is_some_and(|own| key.account.as_ref() != Some(own)) => {
            Err(ManageError::NotFound)
        }
        _ => Ok(()),
    }
}

/// `crm-sync-prod` -> `crm-sync-prod (rotated 3fQz)`: unique (a suffix of the old id) and within 64.
fn successor_name(old: &KeyName, id: KeyId) -> KeyName {
    let id = id.to_string();
    let suffix = format!(" (rotated {})", &id[id.len() - 4..]);
    let room = KeyName::MAX_CHARS - suffix.chars().count();
    let base: String = old.as_str().chars().take(room).collect();
    KeyName::parse(&format!("{}{suffix}", base.trim_end())).unwrap_or_else(|_| old.clone())
}

fn entry(t: &Transition, actor: Actor) -> AuditEntry {
    AuditEntry {
        reason: t.reason.clone(),
        ..AuditEntry::new(&t.key.tenant, Some(t.key.id), actor.id, AuditKind::Key(t.action), t.key.updated_at)
    }
}

pub(super) fn update(before: &Key, t: &Transition, actor: Actor) -> KeyChange {
    KeyChange {
        write: KeyWrite::Update { expected_version: before.version, key: t.key.clone() },
        audit: entry(t, actor),
    }
}
