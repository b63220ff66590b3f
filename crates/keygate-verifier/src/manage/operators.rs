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
pub struct Invitation {
    code: PlainToken,
    second_half: bool,
}

impl Invitation {
    /// The code.
    pub fn expose(&self) -> &str {
        self.code.expose()
    }

    /// Whether this is the second half of an invitation (the approving admin's).
    pub fn is_second_half(&self) -> bool {
        self.second_half
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

/// The account a new operator asks for, under a fresh id (128 bits from the OS RNG).
fn account_for(tenant: &TenantId, new: &NewOperator) -> keygate_domain::operator::NewOperator {
    let id = OperatorId::from_bytes(*Token::generate(Environment::Live).key_id().as_bytes());
    keygate_domain::operator::NewOperator { id, tenant: tenant.clone(), roles: new.roles }
}

/// The stored operator a first move made: no token and no invitation yet, never seen.
fn fresh(moved: &OperatorTransition, new: NewOperator) -> Operator {
    Operator {
        account: moved.account.clone(),
        name: new.name,
        email: new.email,
        token_hash: None,
        invitation_hashes: [None, None],
        last_seen_at: None,
    }
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
        let moved = OperatorAccount::bootstrap(account_for(tenant, &new), &caller.actor, self.now())?;
        let mut operator = fresh(&moved, new);
        let invitation =
            self.issue_invitation(&mut operator, moved.issue).ok_or(ManageError::InvalidState("no invitation"))?;
        let entry = self.operator_audit(&operator, caller.actor.id, &moved, None);
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
        let moved = OperatorAccount::invite(account_for(tenant, &new), &actor, &policy, self.now())?;
        let mut operator = fresh(&moved, new);
        let invitation = self.issue_invitation(&mut operator, moved.issue);
        let entry = self.operator_audit(&operator, actor.id, &moved, None);
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
        let entry = self.operator_audit(&next, actor.id, &moved, None);
        self.store().update_operator(&next, current.account.version, &entry).await?;
        Ok(OperatorDecision { operator: next, invitation })
    }

    /// Claims an invitation (no credential): both halves where it was issued in two. The operator is
    /// active from now on and receives its token, shown once; the claim is audited with the address
    /// it came from. Codes that do not match are 401, and cost the same whether the operator exists or
    /// not; with matching codes, a second claim, a lapsed invitation, or one not yet approved is 410.
    /// Nothing changes on a refusal.
    pub async fn claim(
        &self,
        first: &[u8],
        second: Option<&[u8]>,
        from: Option<std::net::IpAddr>,
    ) -> Result<(Operator, PlainToken), ManageError> {
        let code = |raw: &[u8]| {
            Token::parse(raw, &self.invitation_prefix)
                .ok()
                .filter(|t| t.environment() == Environment::Live)
                .ok_or(ManageError::Unauthenticated)
        };
        let one = code(first)?;
        let two = second.map(code).transpose()?;
        if two.as_ref().is_some_and(|t| t.key_id() != one.key_id()) {
            return Err(ManageError::Unauthenticated);
        }
        let id = OperatorId::from_bytes(*one.key_id().as_bytes());
        let current = match self.store().operator(id).await {
            Ok(op) => Some(op),
            Err(StoreError::NotFound) => None,
            Err(other) => return Err(other.into()),
        };
        // Every presented half is hashed and compared, against a decoy when the operator is unknown, so
        // an unknown id and a wrong code cost and answer the same.
        let stored = current.as_ref().map_or([Some(self.decoy), None], |op| op.invitation_hashes);
        let presented = [Some(&one), two.as_ref()];
        let matches = stored.iter().zip(presented).all(|(stored, given)| match (stored, given) {
            (Some(stored), Some(given)) => self.verifier.hasher().hash(given.key_id(), given.secret()).matches(stored),
            (None, None) => true,
            _ => false,
        });
        let Some(current) = current.filter(|_| matches) else { return Err(ManageError::Unauthenticated) };
        // The terms say how many halves the invitation has: all of them, no fewer.
        let halves = usize::from(current.account.invitation.map_or(0, |t| t.halves));
        if halves != 0 && presented.iter().flatten().count() != halves {
            return Err(ManageError::Unauthenticated);
        }
        let policy = self.store().tenant(current.tenant()).await?.policy;
        let actor = keygate_domain::Actor::new(ActorId::Operator(id), current.account.roles);
        let moved = current.account.apply(OperatorEvent::Claim, &actor, &policy, self.now())?;
        let fresh = Token::generate(Environment::Live);
        let token = Token::new(Environment::Live, KeyId::from_bytes(*id.as_bytes()), fresh.secret().clone());
        let mut next = current.clone();
        next.account = moved.account.clone();
        next.token_hash = Some(self.verifier.hasher().hash(token.key_id(), token.secret()));
        // The invitation's hashes stay: the same codes presented again are recognised and answered 410
        // ("already claimed"), which is how an invitee learns that someone else claimed theirs.
        let entry = self.operator_audit(&next, actor.id, &moved, from);
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
        let entry = self.operator_audit(&next, caller.actor.id, &moved, None);
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
        Some(Invitation { code: code.to_plain(&self.invitation_prefix), second_half: slot == 1 })
    }

    fn operator_audit(
        &self,
        operator: &Operator,
        actor: ActorId,
        moved: &OperatorTransition,
        from: Option<std::net::IpAddr>,
    ) -> keygate_store::AuditEntry {
        let roles: Vec<String> = operator.account.roles.iter().map(|r| format!("\"{}\"", r.as_str())).collect();
        let address = from.map_or_else(String::new, |ip| format!(",\"address\":\"{ip}\""));
        let details = format!(
            "{{\"operator\":\"{}\",\"roles\":[{}],\"state\":\"{}\"{address}}}",
            operator.id(),
            roles.join(","),
            operator.account.state.as_str()
        );
        let mut entry = self.audit_with(operator.tenant(), actor, AuditKind::Operator(moved.action), Some(details));
        entry.reason.clone_from(&moved.reason);
        entry
    }
}
