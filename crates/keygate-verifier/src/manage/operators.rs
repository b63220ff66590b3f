//! Operators: invited, never handed a token. An invitation is a one-time code (under dual control two
//! halves, one for the admin who asked and one for the admin who approved, so neither alone can claim
//! it); the invitee claims it once and receives its token, shown once. Only hashes are stored.

use keygate_credential::{PlainToken, SecretHash, Token};
use keygate_domain::operator::{InvitationIssue, OperatorAccount, OperatorEvent, OperatorTransition};
use keygate_domain::{ActorId, Environment, KeyId, OperatorId, Role, TenantId};
use keygate_store::{AuditKind, Operator, StoreError};

use super::spec::NewOperator;
use super::{Caller, ManageError, Management, Permission};

/// An invitation code (or one half of one), shown once to the person it was issued to.
#[derive(Debug)]
pub struct Invitation(PlainToken);

impl Invitation {
    /// The code.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

/// The outcome of an operator move: the operator as it is now, and the code (or half) issued by it.
#[derive(Debug)]
pub struct OperatorDecision {
    /// The operator.
    pub operator: Operator,
    /// The invitation code or half this move issued, for the caller only.
    pub invitation: Option<Invitation>,
}

impl Management {
    /// The first admin of a new tenant, invited by the system admin with one whole code (the trusted
    /// bootstrap): the operator, its code and its audit entry, for the tenant's creation commit.
    pub(super) fn bootstrap_admin(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        new: NewOperator,
    ) -> Result<(Operator, Invitation, keygate_store::AuditEntry), ManageError> {
        let id = OperatorId::from_bytes(*Token::generate(Environment::Live).key_id().as_bytes());
        let domain_new = keygate_domain::operator::NewOperator { id, tenant: tenant.clone(), roles: new.roles };
        let moved = OperatorAccount::bootstrap(domain_new, &caller.actor, self.now())?;
        let mut operator = Operator {
            account: moved.account.clone(),
            name: new.name,
            email: new.email,
            token_hash: None,
            invitation_hashes: [None, None],
            last_seen_at: None,
        };
        let invitation =
            self.issue_invitation(&mut operator, moved.issue).ok_or(ManageError::InvalidState("no invitation"))?;
        let entry = self.operator_audit(&operator, caller.actor.id, &moved);
        Ok((operator, invitation, entry))
    }

    /// Invites an operator (admin). Under dual control it waits for a second admin and the caller
    /// receives the invitation's first half; without, the whole code.
    pub async fn invite_operator(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        new: NewOperator,
    ) -> Result<OperatorDecision, ManageError> {
        let actor = caller.may(tenant, Permission::Administer)?;
        let policy = self.store().tenant(tenant).await?.policy;
        let id = OperatorId::from_bytes(*Token::generate(Environment::Live).key_id().as_bytes());
        let domain_new = keygate_domain::operator::NewOperator { id, tenant: tenant.clone(), roles: new.roles };
        let moved = OperatorAccount::invite(domain_new, &actor, &policy, self.now())?;
        let mut operator = Operator {
            account: moved.account.clone(),
            name: new.name,
            email: new.email,
            token_hash: None,
            invitation_hashes: [None, None],
            last_seen_at: None,
        };
        let invitation = self.issue_invitation(&mut operator, moved.issue);
        let entry = self.operator_audit(&operator, actor.id, &moved);
        self.store().create_operator(&operator, &entry).await?;
        Ok(OperatorDecision { operator, invitation })
    }

    /// Applies an operator event (approve, reject, disable, enable, change roles, re-invite) by an
    /// admin of the tenant, or by the operator itself where the domain allows (disable itself).
    pub async fn operator_event(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: OperatorId,
        event: OperatorEvent,
    ) -> Result<OperatorDecision, ManageError> {
        let actor = caller.on(tenant)?;
        if !actor.roles.has(Role::Admin) && actor.id != ActorId::Operator(id) {
            return Err(ManageError::Forbidden("the caller lacks the role this needs"));
        }
        let current = self.store().operator(id).await?;
        if current.tenant() != tenant {
            return Err(ManageError::NotFound);
        }
        let policy = self.store().tenant(tenant).await?.policy;
        let moved = current.account.apply(event, &actor, &policy, self.now())?;
        let mut next = current.clone();
        next.account = moved.account.clone();
        if moved.clear_token {
            next.token_hash = None;
        }
        let invitation = self.issue_invitation(&mut next, moved.issue);
        let entry = self.operator_audit(&next, actor.id, &moved);
        self.store().update_operator(&next, current.account.version, &entry).await?;
        Ok(OperatorDecision { operator: next, invitation })
    }

    /// Claims an invitation (no credential): both halves where it was issued in two. The operator is
    /// active from now on and receives its token, shown once. A second claim, a lapsed invitation or a
    /// code that does not match are refused, and nothing changes.
    pub async fn claim(&self, first: &[u8], second: Option<&[u8]>) -> Result<(Operator, PlainToken), ManageError> {
        let one = Token::parse(first, &self.invitation_prefix).map_err(|_| ManageError::Unauthenticated)?;
        let two = second
            .map(|raw| Token::parse(raw, &self.invitation_prefix).map_err(|_| ManageError::Unauthenticated))
            .transpose()?;
        let id = OperatorId::from_bytes(*one.key_id().as_bytes());
        if two.as_ref().is_some_and(|t| t.key_id() != one.key_id()) {
            return Err(ManageError::Unauthenticated);
        }
        let current = match self.store().operator(id).await {
            Ok(op) => op,
            Err(StoreError::NotFound) => return Err(ManageError::Unauthenticated),
            Err(other) => return Err(other.into()),
        };
        let hashes = current.invitation_hashes;
        let presented = [Some(&one), two.as_ref()];
        let matches = hashes.iter().zip(presented).all(|(stored, given)| match (stored, given) {
            (Some(stored), Some(given)) => self.verifier.hasher().hash(given.key_id(), given.secret()).matches(stored),
            (None, None) => true,
            _ => false,
        });
        // A claimed account has no invitation left: the codes no longer match, which is "gone".
        if hashes == [None, None] {
            return Err(keygate_domain::operator::OperatorError::AlreadyClaimed.into());
        }
        if !matches {
            return Err(ManageError::Unauthenticated);
        }
        let policy = self.store().tenant(current.tenant()).await?.policy;
        let actor = keygate_domain::Actor::new(ActorId::Operator(id), current.account.roles);
        let moved = current.account.apply(OperatorEvent::Claim, &actor, &policy, self.now())?;
        let token = Token::generate(Environment::Live);
        let token = Token::new(Environment::Live, KeyId::from_bytes(*id.as_bytes()), token.secret().clone());
        let mut next = current.clone();
        next.account = moved.account.clone();
        next.token_hash = Some(self.verifier.hasher().hash(token.key_id(), token.secret()));
        next.invitation_hashes = [None, None];
        let entry = self.operator_audit(&next, actor.id, &moved);
        self.store().update_operator(&next, current.account.version, &entry).await?;
        Ok((next, token.to_plain(&self.operator_prefix)))
    }

    /// An operator replaces its own token: the old one stops at once, the new one is shown once.
    pub async fn replace_token(&self, caller: &Caller) -> Result<(Operator, PlainToken), ManageError> {
        let ActorId::Operator(id) = caller.actor.id else {
            return Err(ManageError::Forbidden("only an operator replaces its own token"));
        };
        let current = self.store().operator(id).await?;
        let policy = self.store().tenant(current.tenant()).await?.policy;
        let moved = current.account.apply(OperatorEvent::ReplaceToken, &caller.actor, &policy, self.now())?;
        let fresh = Token::generate(Environment::Live);
        let token = Token::new(Environment::Live, KeyId::from_bytes(*id.as_bytes()), fresh.secret().clone());
        let mut next = current.clone();
        next.account = moved.account.clone();
        next.token_hash = Some(self.verifier.hasher().hash(token.key_id(), token.secret()));
        let entry = self.operator_audit(&next, caller.actor.id, &moved);
        self.store().update_operator(&next, current.account.version, &entry).await?;
        Ok((next, token.to_plain(&self.operator_prefix)))
    }

    /// Draws the code (or half) a move issues and keeps its hash on the operator.
    fn issue_invitation(&self, operator: &mut Operator, issue: InvitationIssue) -> Option<Invitation> {
        let slot = match issue {
            InvitationIssue::None => return None,
            InvitationIssue::Whole | InvitationIssue::FirstHalf => 0,
            InvitationIssue::SecondHalf => 1,
        };
        if slot == 0 {
            // A new invitation replaces any earlier one, both halves.
            operator.invitation_hashes = [None, None];
        }
        let fresh = Token::generate(Environment::Live);
        let code = Token::new(Environment::Live, KeyId::from_bytes(*operator.id().as_bytes()), fresh.secret().clone());
        let hash: SecretHash = self.verifier.hasher().hash(code.key_id(), code.secret());
        operator.invitation_hashes[slot] = Some(hash);
        Some(Invitation(code.to_plain(&self.invitation_prefix)))
    }

    fn operator_audit(
        &self,
        operator: &Operator,
        actor: ActorId,
        moved: &OperatorTransition,
    ) -> keygate_store::AuditEntry {
        let roles: Vec<String> = operator.account.roles.iter().map(|r| format!("\"{}\"", r.as_str())).collect();
        let details = format!(
            "{{\"operator\":\"{}\",\"roles\":[{}],\"state\":\"{}\"}}",
            operator.id(),
            roles.join(","),
            operator.account.state.as_str()
        );
        let mut entry = self.audit_with(operator.tenant(), actor, AuditKind::Operator(moved.action), Some(details));
        entry.reason.clone_from(&moved.reason);
        entry
    }
}
