//! The product's invariant as a property test over a small world of one tenant.
//!
//! No single person, holding every credential ever shown to them (their operator token, the secrets of
//! keys they created, invitation halves they received), can activate or widen a key, resume a
//! suspended one, re-enable an operator, make an operator who can approve, or loosen the tenant's policy. Each step records which
//! persons took part (provenance): the person acting, the persons who made the operator account they
//! act through, and, for a step taken alone while dual control is off, the persons who loosened the
//! policy. A key acting as integrator adds only its holder (that is the attack this file exists to
//! refuse), and adds nobody at all to an approval while the tenant keeps approvals for people
//! (`integrator_approvals` off). Narrowing by one person must always succeed, and so must stopping a
//! key (suspending it).
//!
//! The generator is aimed: every action names its target by a small index into the things that exist
//! *and* are in a state the move applies to (pending keys for an approval, invitations for a claim,
//! ...), the person by either anyone or one of the persons who took part in the target's request (the
//! attacker's point of view), and the identity by "an operator account" or "a key I hold", among the
//! person's identities with the role the move needs. Indices are resolved against the world at each
//! step, so shrinking (dropping steps, lowering indices) keeps sequences meaningful.
//!
//! Strength, shown by mutation. Each [`Fault`] is emulated at the domain's boundary by [`World`]'s
//! wrappers; `every_seeded_fault_is_found` checks all four are found within 256 cases from a fixed
//! seed, and the table above came from running `hunt` over seeds 1 to 100 (a loop run by hand, not kept). Each was also
//! confirmed once by editing the domain source itself (guard.rs `not_self` / `approvals_allowed`,
//! operator/apply.rs's asker check, settings.rs `split`), running the random test five times, and
//! reverting. The 256-case test this replaced missed (a) every time.
//!
//! | fault                                              | wrapper, 100 seeds: found, cases min/median/max, shrunk steps | domain edited, 5 runs: case, shrunk steps |
//! |----------------------------------------------------|----------------------------------|-------------------------|
//! | (a) `not_self` compares ids only, not principals   | 100/100, 1 / 16 / 76, 2 (2-5)    | 4-36, 2-3               |
//! | (b) a key approves with `integrator_approvals` off | 100/100, 1 / 24 / 162, 2 (2-5)   | 8-38, 2-5               |
//! | (c) an operator request approved by its asker      | 100/100, 1 / 13 / 67, 3 (2-5)    | 1-26, 2-3               |
//! | (d) a policy widening applied at once              | 100/100, 1 / 4 / 30, 1 (1-2)     | 1-6, 1                  |
//!
//! A typical shrunk counter-example for (a): dual control and integrator approvals on, person 1 holds
//! a test key with `api-keys:write`, `api-keys:approve`; person 1 creates a key through their maker
//! account, then approves it through the key they hold.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};

use crate::*;

type Persons = BTreeSet<usize>;
const PERSONS: u8 = 5; // 0 is the system admin.
const MAX_OPS: usize = 12;
const MAX_KEYS: usize = 16;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

/// Privileges a key may be created with or changed to; most carry `api-keys:*` rights, so that the
/// keys people hold can act as integrators.
fn privs(i: u8) -> Privileges {
    let scopes: &[&str] = match i % 8 {
        0 => &["payouts:read"],
        1 => &["payouts:write"],
        2 => &["api-keys:*", "payouts:write"],
        3 => &["api-keys:approve"],
        4 => &["api-keys:write", "api-keys:approve", "payouts:*"],
        5 => &["api-keys:*", "payouts:*"],
        6 => &["api-keys:write", "payouts:read"],
        _ => &["api-keys:approve", "payouts:read"],
    };
    Privileges { scopes: ScopeSet::parse(scopes.iter().copied()).unwrap(), limits: Limits::none() }
}

fn roles(i: u8) -> RoleSet {
    let r: &[Role] = match i % 6 {
        0 => &[Role::Maker],
        1 => &[Role::Checker],
        2 => &[Role::Maker, Role::Checker],
        3 => &[Role::Admin],
        4 => &[Role::Auditor],
        _ => &[Role::Admin, Role::Maker],
    };
    RoleSet::of(r.iter().copied())
}

/// The `i`-th key made in the world.
fn new_key(i: u8, environment: Environment, privileges: Privileges) -> NewKey {
    NewKey {
        id: KeyId::from_bytes([100 + i; 16]),
        tenant: TenantId::parse("acme").unwrap(),
        account: None,
        name: KeyName::parse(&format!("k{i}")).unwrap(),
        notes: None,
        environment,
        privileges,
        expiry: ExpiryRequest::Default,
        rotation: None,
        owner: Owner::default(),
    }
}

fn reason() -> Reason {
    Reason::parse("test").unwrap()
}

/// A fault seeded at the domain's boundary, to show the random test finds it. `None` is the domain
/// as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// (a) Key maker-checker compares the approver's id only, not the principal it acts for.
    SelfByIdOnly,
    /// (b) A key actor approves and rejects although the tenant keeps approvals for people.
    KeyApprovesWhenOff,
    /// (c) An operator request may be approved (or rejected) by the admin who asked.
    AskerApprovesOperator,
    /// (d) A policy patch applies its widenings at once instead of holding them for approval.
    PolicyWidensAtOnce,
}

/// One thing a person does. Every index picks among the things the move could apply to, newest first.
#[derive(Debug, Clone, Copy)]
enum Act {
    Invite { roles: u8 },
    ApproveOp { op: u8 },
    RejectOp { op: u8 },
    Claim { op: u8 },
    GiveHalves { op: u8, to: u8 },
    DisableOp { op: u8 },
    EnableOp { op: u8 },
    Reinvite { op: u8 },
    ChangeRoles { op: u8, roles: u8 },
    CreateKey { live: bool, privs: u8 },
    ApproveKey { key: u8 },
    RejectKey { key: u8 },
    Revoke { key: u8 },
    ApproveRevocation { key: u8 },
    ChangeKey { key: u8, privs: u8 },
    ApproveChange { key: u8 },
    Suspend { key: u8 },
    Resume { key: u8 },
    ApproveResume { key: u8 },
    Patch { setting: u8, widen: bool },
    ApprovePolicy,
    RejectPolicy,
}

/// Who acts: any person, or one of the persons who took part in the target's request (or who hold its
/// invitation parts): the attacker trying to finish alone what they started.
#[derive(Debug, Clone, Copy)]
enum Who {
    Anyone(u8),
    Party(u8),
}

/// Through which of their identities: an operator account (the system admin for person 0), or a key
/// they hold. Falls back to the other kind when the person has none of the asked kind with the role.
#[derive(Debug, Clone, Copy)]
enum Via {
    Op(u8),
    Key(u8),
}

#[derive(Debug, Clone, Copy)]
struct Step {
    who: Who,
    via: Via,
    act: Act,
}

fn act() -> impl Strategy<Value = Act> {
    // Mostly the newest fitting target: what was just asked for is what an attacker approves next.
    let i = prop_oneof![2 => Just(0u8), 1 => 1u8..4];
    let b = 0u8..8;
    prop_oneof![
        3 => b.clone().prop_map(|roles| Act::Invite { roles }),
        6 => i.clone().prop_map(|op| Act::ApproveOp { op }),
        1 => i.clone().prop_map(|op| Act::RejectOp { op }),
        6 => i.clone().prop_map(|op| Act::Claim { op }),
        1 => (i.clone(), 0..PERSONS).prop_map(|(op, to)| Act::GiveHalves { op, to }),
        1 => i.clone().prop_map(|op| Act::DisableOp { op }),
        3 => i.clone().prop_map(|op| Act::EnableOp { op }),
        1 => i.clone().prop_map(|op| Act::Reinvite { op }),
        2 => (i.clone(), b.clone()).prop_map(|(op, roles)| Act::ChangeRoles { op, roles }),
        9 => (prop::bool::weighted(0.3), b.clone()).prop_map(|(live, privs)| Act::CreateKey { live, privs }),
        10 => i.clone().prop_map(|key| Act::ApproveKey { key }),
        1 => i.clone().prop_map(|key| Act::RejectKey { key }),
        2 => i.clone().prop_map(|key| Act::Revoke { key }),
        1 => i.clone().prop_map(|key| Act::ApproveRevocation { key }),
        3 => (i.clone(), b).prop_map(|(key, privs)| Act::ChangeKey { key, privs }),
        5 => i.clone().prop_map(|key| Act::ApproveChange { key }),
        2 => i.clone().prop_map(|key| Act::Suspend { key }),
        3 => i.clone().prop_map(|key| Act::Resume { key }),
        5 => i.prop_map(|key| Act::ApproveResume { key }),
        4 => (0u8..15, any::<bool>()).prop_map(|(setting, widen)| Act::Patch { setting, widen }),
        4 => Just(Act::ApprovePolicy),
        1 => Just(Act::RejectPolicy),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let who = prop_oneof![(0..PERSONS).prop_map(Who::Anyone), (0u8..3).prop_map(Who::Party)];
    let via = prop_oneof![1 => (0u8..3).prop_map(Via::Op), 2 => (0u8..3).prop_map(Via::Key)];
    (who, via, act()).prop_map(|(who, via, act)| Step { who, via, act })
}

/// The tenant's starting policy: mostly under dual control (where maker-checker can be attacked), the
/// other settings either way.
fn policy() -> impl Strategy<Value = TenantPolicy> {
    (prop::bool::weighted(0.8), any::<[bool; 3]>(), prop::option::of(Just(30u32))).prop_map(
        |(dual_control, [live_enabled, allow_never_expiring, integrator_approvals], max_key_lifetime_days)| {
            TenantPolicy {
                dual_control,
                live_enabled,
                max_key_lifetime_days,
                allow_never_expiring,
                integrator_approvals,
                ..TenantPolicy::narrowest()
            }
        },
    )
}

/// Where the world starts: the tenant's policy, and the integrator keys the makers (persons 1, 3 and
/// 4) already hold, up to two each, each made by its holder and approved by another person during
/// the setup, as `(live, privileges)`.
#[derive(Debug, Clone)]
struct Start {
    policy: TenantPolicy,
    held: [Option<(bool, u8)>; 6],
}

fn start() -> impl Strategy<Value = Start> {
    let key = prop::option::weighted(0.8, (prop::bool::weighted(0.3), 2u8..8));
    let two = [key.clone(), key];
    (policy(), [two.clone(), two.clone(), two])
        .prop_map(|(policy, [[a, b], [c, d], [e, f]])| Start { policy, held: [a, b, c, d, e, f] })
}

struct Op {
    account: OperatorAccount,
    /// Who took part in the latest step that gave it power (empty for the trusted bootstrap).
    made_by: Persons,
    /// Who took part in the pending request.
    request_by: Persons,
    owner: Option<usize>,
    /// Invitation parts held: person -> parts (1 and 2 are halves, 3 is a whole code).
    halves: BTreeMap<usize, BTreeSet<u8>>,
    first_half: Option<usize>,
    /// It was disabled once: claiming it again is a re-enabling.
    reenabled: bool,
}

struct KeyEntry {
    key: Key,
    create_by: Persons,
    change_by: Persons,
    revoke_by: Persons,
    suspend_by: Persons,
    resume_by: Persons,
    /// The person who holds its secret: whoever created it.
    holder: usize,
}

struct World {
    fault: Fault,
    policy: TenantPolicy,
    loosened_by: Persons,
    pending: Option<(PolicyRequest, Persons)>,
    ops: Vec<Op>,
    keys: Vec<KeyEntry>,
}

/// An identity a person can act through, with the persons it brings into a step.
struct Identity {
    actor: Actor,
    brings: Persons,
}

/// What a key move touches: the environment, and the privileges it would grant.
type Aim = Option<(Environment, Option<Privileges>)>;

/// What an act applies to, once resolved against the world.
#[derive(Clone, Copy)]
enum Target {
    Nothing,
    Op(usize),
    Key(usize),
    Policy,
}

/// The `i`-th item the act could apply to, counting from the newest, so that small (shrunk) indices
/// reach what was just made.
fn pick<T>(items: &[T], i: u8, fits: impl Fn(&T) -> bool) -> Option<usize> {
    let fitting: Vec<usize> = (0..items.len()).rev().filter(|&j| fits(&items[j])).collect();
    (!fitting.is_empty()).then(|| fitting[usize::from(i) % fitting.len()])
}

fn approves(r: RoleSet) -> bool {
    r.has(Role::Checker) || r.has(Role::Admin)
}

fn at_least_two(who: &Persons, what: &str, step: usize) -> Result<(), TestCaseError> {
    prop_assert!(who.len() >= 2, "step {}: {} with only {:?} taking part", step, what, who);
    Ok(())
}

fn union(a: &Persons, b: &Persons) -> Persons {
    a.union(b).copied().collect()
}

/// The role an act needs of its actor (used to aim the identity, never to decide the outcome).
fn needs(act: Act) -> Option<Role> {
    match act {
        Act::Claim { .. } | Act::GiveHalves { .. } => None,
        Act::CreateKey { .. }
        | Act::Revoke { .. }
        | Act::ChangeKey { .. }
        | Act::Suspend { .. }
        | Act::Resume { .. } => Some(Role::Maker),
        Act::ApproveKey { .. }
        | Act::RejectKey { .. }
        | Act::ApproveRevocation { .. }
        | Act::ApproveChange { .. }
        | Act::ApproveResume { .. } => Some(Role::Checker),
        _ => Some(Role::Admin),
    }
}

/// Whether an approval-like key event (the ones maker-checker and `integrator_approvals` guard).
fn checks(event: &Event) -> bool {
    matches!(
        event,
        Event::Approve
            | Event::Reject { .. }
            | Event::ApproveRevocation
            | Event::RejectRevocation { .. }
            | Event::ApproveChange
            | Event::RejectChange { .. }
            | Event::ApproveResume
            | Event::RejectResume { .. }
    )
}

impl World {
    /// The world of `start`, as the two setup admins (persons 1 and 2) agreed it.
    fn new(start: &Start, fault: Fault) -> Self {
        let policy = start.policy.clone();
        let system = Actor::new(ActorId::System, RoleSet::of([Role::Admin, Role::Auditor]));
        // The trusted setup: persons 1 and 2 are admins; person 1 also holds a maker account and
        // person 2 a checker account; persons 3 and 4 are makers and checkers.
        let ops: Vec<Op> = [(1, 3), (2, 3), (3, 2), (4, 2), (1, 0), (2, 1)]
            .into_iter()
            .enumerate()
            .map(|(i, (owner, r))| {
                let new = NewOperator {
                    id: OperatorId::from_bytes([10 + u8::try_from(i).unwrap(); 16]),
                    tenant: TenantId::parse("acme").unwrap(),
                    roles: roles(r),
                };
                let invited = OperatorAccount::bootstrap(new, &system, now()).unwrap().account;
                let account = invited.apply(OperatorEvent::Claim, &system, &TenantPolicy::narrowest(), now()).unwrap();
                Op {
                    account: account.account,
                    made_by: Persons::new(),
                    request_by: Persons::new(),
                    owner: Some(owner),
                    halves: BTreeMap::new(),
                    first_half: None,
                    reenabled: false,
                }
            })
            .collect();
        let loosened_by = if policy == TenantPolicy::narrowest() { Persons::new() } else { Persons::from([1, 2]) };
        // Each maker's key: made through their maker account, approved through another person's checker.
        let setup = TenantPolicy { live_enabled: true, ..TenantPolicy::narrowest() };
        let as_op = |o: usize| Actor::new(ActorId::Operator(ops[o].account.id), ops[o].account.roles);
        let mut keys = Vec::new();
        for ((holder, maker, checker), held) in
            [(1, 4, 5), (1, 4, 5), (3, 2, 3), (3, 2, 3), (4, 3, 2), (4, 3, 2)].into_iter().zip(start.held)
        {
            let Some((live, p)) = held else { continue };
            let i = u8::try_from(keys.len()).unwrap();
            let environment = if live && policy.live_enabled { Environment::Live } else { Environment::Test };
            let key = Key::create(new_key(i, environment, privs(p)), &as_op(maker), &setup, now()).unwrap().key;
            let key = key.apply(Event::Approve, &as_op(checker), &setup, now()).unwrap().key;
            keys.push(KeyEntry {
                key,
                create_by: Persons::from([holder]),
                change_by: Persons::new(),
                revoke_by: Persons::new(),
                suspend_by: Persons::new(),
                resume_by: Persons::new(),
                holder,
            });
        }
        Self { fault, policy, loosened_by, pending: None, ops, keys }
    }

    // The domain, with the seeded fault (if any) emulated at its boundary.

    fn key_apply(&self, key: &Key, event: Event, actor: &Actor) -> Result<Transition, TransitionError> {
        let mut actor = actor.clone();
        let mut policy = self.policy.clone();
        if checks(&event) {
            match self.fault {
                // Comparing ids only is comparing with a principal that is the actor's own id.
                Fault::SelfByIdOnly => actor.principal = actor.id,
                Fault::KeyApprovesWhenOff if actor.is_key() => policy.integrator_approvals = true,
                _ => {}
            }
        }
        key.apply(event, &actor, &policy, now())
    }

    fn op_apply(
        &self,
        account: &OperatorAccount,
        event: OperatorEvent,
        actor: &Actor,
    ) -> Result<OperatorTransition, OperatorError> {
        let mut account = account.clone();
        if self.fault == Fault::AskerApprovesOperator
            && matches!(event, OperatorEvent::Approve | OperatorEvent::Reject { .. })
        {
            // The asker is forgotten: nobody matches it.
            if let Some(request) = &mut account.request {
                let stranger = ActorId::Operator(OperatorId::from_bytes([0xEE; 16]));
                request.requested_by = stranger;
                request.requested_for = stranger;
            }
        }
        account.apply(event, actor, &self.policy, now())
    }

    fn split(&self, patch: &PolicyPatch) -> PolicySplit {
        if self.fault == Fault::PolicyWidensAtOnce {
            PolicySplit { now: patch.apply_to(&self.policy), pending: None }
        } else {
            self.policy.split(patch)
        }
    }

    fn identities(&self, person: usize) -> Vec<Identity> {
        let mut ids = Vec::new();
        if person == 0 {
            let actor = Actor::new(ActorId::System, RoleSet::of([Role::Admin, Role::Auditor]));
            ids.push(Identity { actor, brings: Persons::new() });
        }
        for op in &self.ops {
            if op.owner == Some(person) && op.account.state == OperatorState::Active {
                let actor = Actor::new(ActorId::Operator(op.account.id), op.account.roles);
                ids.push(Identity { actor, brings: op.made_by.clone() });
            }
        }
        for k in &self.keys {
            if k.holder == person && k.key.is_usable(now()) {
                let bounds = KeyBounds {
                    environment: k.key.environment,
                    privileges: k.key.privileges.clone(),
                    account: k.key.account.clone(),
                };
                let roles = RoleSet::for_integrator_key(&k.key.privileges.scopes);
                let actor = Actor::for_key(k.key.id, roles, k.key.created_for, bounds);
                // A key brings only its holder: approving it once lends its creator nobody.
                ids.push(Identity { actor, brings: Persons::new() });
            }
        }
        ids
    }

    /// The identity `via` names among `person`'s, preferring those with `role`, then those of the kind
    /// asked, then keys whose bounds hold `aim` (the environment touched and the privileges granted).
    /// Among equals, one other than the identity that asked (an attacker approves with another credential).
    fn identity(
        &self,
        person: usize,
        via: Via,
        role: Option<Role>,
        aim: &Aim,
        asker: Option<ActorId>,
    ) -> Option<Identity> {
        let (want_key, i) = match via {
            Via::Op(i) => (false, i),
            Via::Key(i) => (true, i),
        };
        let mut ids = self.identities(person);
        let fits = |d: &Identity| role.is_none_or(|r| d.actor.roles.has(r));
        let bounded = |d: &Identity| {
            d.actor.bounds.as_ref().is_none_or(|b| {
                aim.as_ref()
                    .is_none_or(|(e, p)| b.environment == *e && p.as_ref().is_none_or(|p| p.is_within(&b.privileges)))
            })
        };
        let rank = |d: &Identity| (!fits(d), d.actor.is_key() != want_key, !bounded(d), Some(d.actor.id) == asker);
        let best = ids.iter().map(rank).min()?;
        ids.retain(|d| rank(d) == best);
        let n = usize::from(i) % ids.len();
        Some(ids.swap_remove(n))
    }

    /// The persons in a step taken alone: alone is fine only where the tenant's loosened policy says so.
    fn alone(&self, me: &Persons) -> Persons {
        if self.policy.dual_control {
            me.clone()
        } else {
            union(me, &self.loosened_by)
        }
    }

    /// What `act` applies to, or `None` when nothing in the world fits it.
    fn target(&self, act: Act) -> Option<Target> {
        let ops = &self.ops;
        let keys = &self.keys;
        Some(match act {
            Act::Invite { .. } | Act::CreateKey { .. } | Act::Patch { .. } => Target::Nothing,
            Act::ApproveOp { op } | Act::RejectOp { op } => Target::Op(pick(ops, op, |o| o.account.request.is_some())?),
            Act::Claim { op } => Target::Op(pick(ops, op, |o| o.account.invitation.is_some())?),
            Act::GiveHalves { op, .. } => Target::Op(pick(ops, op, |o| !o.halves.is_empty())?),
            Act::DisableOp { op } => Target::Op(pick(ops, op, |o| o.account.state != OperatorState::Disabled)?),
            Act::EnableOp { op } => Target::Op(pick(ops, op, |o| o.account.state == OperatorState::Disabled)?),
            Act::Reinvite { op } => Target::Op(pick(ops, op, |o| o.account.state == OperatorState::Invited)?),
            Act::ChangeRoles { op, .. } => Target::Op(pick(ops, op, |o| {
                matches!(o.account.state, OperatorState::Invited | OperatorState::Active)
            })?),
            Act::ApproveKey { key } | Act::RejectKey { key } => {
                Target::Key(pick(keys, key, |k| k.key.state == KeyState::PendingApproval)?)
            }
            // A revocation is asked and approved of a suspended key as of an active one.
            Act::ApproveRevocation { key } => Target::Key(pick(keys, key, |k| {
                k.key.revocation.is_some() && matches!(k.key.state, KeyState::RevocationPending | KeyState::Suspended)
            })?),
            Act::ApproveChange { key } => Target::Key(pick(keys, key, |k| k.key.pending_change.is_some())?),
            Act::Revoke { key } => Target::Key(pick(keys, key, |k| {
                k.key.state == KeyState::Active || (k.key.state == KeyState::Suspended && k.key.revocation.is_none())
            })?),
            Act::ChangeKey { key, .. } => Target::Key(pick(keys, key, |k| k.key.state == KeyState::Active)?),
            Act::Suspend { key } => Target::Key(pick(keys, key, |k| {
                k.key.state.authenticates() || k.key.suspension.as_ref().is_some_and(|s| s.resume.is_some())
            })?),
            Act::Resume { key } => {
                Target::Key(pick(keys, key, |k| k.key.suspension.as_ref().is_some_and(|s| s.resume.is_none()))?)
            }
            Act::ApproveResume { key } => {
                Target::Key(pick(keys, key, |k| k.key.suspension.as_ref().is_some_and(|s| s.resume.is_some()))?)
            }
            Act::ApprovePolicy | Act::RejectPolicy => {
                self.pending.as_ref()?;
                Target::Policy
            }
        })
    }

    /// The persons who took part in the target's request (or hold its invitation parts, most first).
    fn party(&self, act: Act, target: Target) -> Vec<usize> {
        let persons: Vec<usize> = match target {
            Target::Nothing => Vec::new(),
            Target::Op(o) => {
                let op = &self.ops[o];
                if matches!(act, Act::Claim { .. } | Act::GiveHalves { .. }) {
                    let mut holders: Vec<(usize, usize)> = op.halves.iter().map(|(p, h)| (h.len(), *p)).collect();
                    holders.sort_by(|a, b| b.cmp(a));
                    holders.into_iter().map(|(_, p)| p).collect()
                } else {
                    op.request_by.iter().copied().chain(op.owner).collect()
                }
            }
            Target::Key(k) => {
                let entry = &self.keys[k];
                let by = match act {
                    Act::ApproveRevocation { .. } => &entry.revoke_by,
                    Act::ApproveChange { .. } => &entry.change_by,
                    Act::ApproveResume { .. } => &entry.resume_by,
                    Act::Resume { .. } => &entry.suspend_by,
                    // Approving or rejecting its creation, or changing or revoking it.
                    _ => &entry.create_by,
                };
                by.iter().copied().chain([entry.holder]).collect()
            }
            Target::Policy => self.pending.as_ref().map(|(_, by)| by.iter().copied().collect()).unwrap_or_default(),
        };
        persons
    }
}

// One arm per action keeps the world readable next to the list of actions.
#[allow(clippy::too_many_lines)]
fn run(world: &mut World, s: Step, n: usize) -> Result<(), TestCaseError> {
    let Some(target) = world.target(s.act) else { return Ok(()) };
    let person = match s.who {
        Who::Anyone(p) => usize::from(p % PERSONS),
        Who::Party(i) => {
            let party = world.party(s.act, target);
            if party.is_empty() {
                usize::from(i % PERSONS)
            } else {
                party[usize::from(i) % party.len()]
            }
        }
    };
    let aim: Aim = match (s.act, target) {
        (Act::CreateKey { live, privs: p }, _) => {
            Some((if live { Environment::Live } else { Environment::Test }, Some(privs(p))))
        }
        (_, Target::Key(k)) => {
            let key = &world.keys[k].key;
            let grants = match s.act {
                Act::ApproveKey { .. } => Some(key.privileges.clone()),
                Act::ApproveChange { .. } => key.pending_change.as_ref().map(|c| c.privileges.clone()),
                Act::ChangeKey { privs: p, .. } => Some(privs(p)),
                _ => None,
            };
            Some((key.environment, grants))
        }
        _ => None,
    };
    let asker = match target {
        Target::Key(k) => {
            let key = &world.keys[k].key;
            match s.act {
                Act::ApproveKey { .. } | Act::RejectKey { .. } => Some(key.created_by),
                Act::ApproveChange { .. } => key.pending_change.as_ref().map(|c| c.requested_by),
                Act::ApproveRevocation { .. } => key.revocation.as_ref().map(|r| r.requested_by),
                Act::ApproveResume { .. } => {
                    key.suspension.as_ref().and_then(|s| s.resume.as_ref()).map(|r| r.requested_by)
                }
                _ => None,
            }
        }
        Target::Op(o) => world.ops[o].account.request.map(|r| r.requested_by),
        Target::Policy => world.pending.as_ref().map(|(r, _)| r.requested_by),
        Target::Nothing => None,
    };
    let Some(id) = world.identity(person, s.via, needs(s.act), &aim, asker) else { return Ok(()) };
    let actor = &id.actor;
    let me: Persons = id.brings.iter().copied().chain([person]).collect();
    // A key's say in an approval counts only where the tenant lets keys approve.
    let checker = if actor.is_key() && !world.policy.integrator_approvals { Persons::new() } else { me.clone() };
    let is_person = !actor.is_key();
    let policy = world.policy.clone();
    let alone = world.alone(&me);
    match (s.act, target) {
        (Act::Invite { roles: r }, _) => {
            if world.ops.len() >= MAX_OPS {
                return Ok(());
            }
            let new = NewOperator {
                id: OperatorId::from_bytes([10 + u8::try_from(world.ops.len()).unwrap(); 16]),
                tenant: TenantId::parse("acme").unwrap(),
                roles: roles(r),
            };
            if let Ok(t) = OperatorAccount::invite(new, actor, &policy, now()) {
                let mut op = Op {
                    account: t.account,
                    made_by: Persons::new(),
                    request_by: me.clone(),
                    owner: None,
                    halves: BTreeMap::new(),
                    first_half: None,
                    reenabled: false,
                };
                if t.issue == InvitationIssue::FirstHalf {
                    op.first_half = Some(person);
                } else {
                    op.made_by = alone;
                    op.halves.insert(person, BTreeSet::from([3]));
                }
                world.ops.push(op);
            }
        }
        (Act::ApproveOp { .. } | Act::RejectOp { .. }, Target::Op(o)) => {
            let event = if matches!(s.act, Act::ApproveOp { .. }) {
                OperatorEvent::Approve
            } else {
                OperatorEvent::Reject { reason: reason() }
            };
            let before = world.ops[o].account.clone();
            if let Ok(t) = world.op_apply(&before, event, actor) {
                let entry = &mut world.ops[o];
                let both = union(&entry.request_by, &me);
                if t.issue == InvitationIssue::SecondHalf {
                    entry.made_by = both.clone();
                    entry.halves.clear();
                    if let Some(first) = entry.first_half.take() {
                        entry.halves.entry(first).or_default().insert(1);
                    }
                    entry.halves.entry(person).or_default().insert(2);
                }
                if t.action == OperatorAction::RolesChanged && !t.account.roles.is_within(before.roles) {
                    entry.made_by = both.clone();
                    if t.account.state == OperatorState::Active && approves(t.account.roles) {
                        at_least_two(&both, "an operator's roles widened", n)?;
                    }
                }
                entry.account = t.account;
            }
        }
        (Act::Claim { .. }, Target::Op(o)) => {
            let entry = &mut world.ops[o];
            let held = entry.halves.get(&person).cloned().unwrap_or_default();
            let whole = entry.account.invitation.is_some_and(|t| {
                if t.halves == 1 {
                    held.contains(&3)
                } else {
                    held.contains(&1) && held.contains(&2)
                }
            });
            if !whole {
                return Ok(());
            }
            if let Ok(t) = entry.account.apply(OperatorEvent::Claim, actor, &policy, now()) {
                if approves(t.account.roles) {
                    at_least_two(&entry.made_by, "an operator who can approve became active", n)?;
                }
                if entry.reenabled {
                    at_least_two(&entry.made_by, "a disabled operator was enabled again", n)?;
                }
                entry.account = t.account;
                entry.owner = Some(person);
                entry.halves.clear();
            }
        }
        (Act::GiveHalves { to, .. }, Target::Op(o)) => {
            let entry = &mut world.ops[o];
            if let Some(parts) = entry.halves.remove(&person) {
                entry.halves.entry(usize::from(to % PERSONS)).or_default().extend(parts);
            }
        }
        (Act::DisableOp { .. }, Target::Op(o)) => {
            let got = world.op_apply(&world.ops[o].account, OperatorEvent::Disable { reason: reason() }, actor);
            if actor.roles.has(Role::Admin) {
                prop_assert!(got.is_ok(), "step {}: one admin may always disable an operator: {:?}", n, got);
            }
            if let Ok(t) = got {
                let entry = &mut world.ops[o];
                entry.account = t.account;
                entry.owner = None;
                entry.halves.clear();
                entry.first_half = None;
            }
        }
        (Act::EnableOp { .. }, Target::Op(o)) => {
            if let Ok(t) = world.op_apply(&world.ops[o].account, OperatorEvent::RequestEnable, actor) {
                let entry = &mut world.ops[o];
                entry.request_by = me.clone();
                entry.reenabled = true;
                if t.issue == InvitationIssue::FirstHalf {
                    entry.first_half = Some(person);
                } else {
                    entry.made_by = alone;
                    entry.halves = BTreeMap::from([(person, BTreeSet::from([3]))]);
                }
                entry.account = t.account;
            }
        }
        (Act::Reinvite { .. }, Target::Op(o)) => {
            if let Ok(t) = world.op_apply(&world.ops[o].account, OperatorEvent::Reinvite, actor) {
                let entry = &mut world.ops[o];
                entry.request_by = me.clone();
                if t.issue == InvitationIssue::FirstHalf {
                    entry.first_half = Some(person);
                } else {
                    entry.made_by = alone;
                    entry.halves = BTreeMap::from([(person, BTreeSet::from([3]))]);
                }
                entry.account = t.account;
            }
        }
        (Act::ChangeRoles { roles: r, .. }, Target::Op(o)) => {
            let before = world.ops[o].account.roles;
            if let Ok(t) = world.op_apply(&world.ops[o].account, OperatorEvent::ChangeRoles(roles(r)), actor) {
                let entry = &mut world.ops[o];
                entry.request_by = me.clone();
                if t.action == OperatorAction::RolesChanged && !t.account.roles.is_within(before) {
                    entry.made_by = alone.clone();
                    if t.account.state == OperatorState::Active && approves(t.account.roles) {
                        at_least_two(&alone, "an operator's roles widened at once", n)?;
                    }
                }
                entry.account = t.account;
            }
        }
        (Act::CreateKey { live, privs: p }, _) => {
            if world.keys.len() >= MAX_KEYS {
                return Ok(());
            }
            let i = u8::try_from(world.keys.len()).unwrap();
            let environment = if live { Environment::Live } else { Environment::Test };
            let mut new = new_key(i, environment, privs(p));
            // Where the tenant requires accounts, the key names one, so keys keep being made (and the
            // keys people hold from then on are bound to it).
            new.account = policy.require_account.then(|| AccountId::parse("shop-1").ok()).flatten();
            if let Ok(t) = Key::create(new, actor, &policy, now()) {
                if t.key.state == KeyState::Active {
                    at_least_two(&alone, "a key was created active", n)?;
                }
                world.keys.push(KeyEntry {
                    key: t.key,
                    create_by: me.clone(),
                    change_by: Persons::new(),
                    revoke_by: Persons::new(),
                    suspend_by: Persons::new(),
                    resume_by: Persons::new(),
                    holder: person,
                });
            }
        }
        (
            Act::ApproveKey { .. }
            | Act::RejectKey { .. }
            | Act::Revoke { .. }
            | Act::ApproveRevocation { .. }
            | Act::ApproveChange { .. }
            | Act::ChangeKey { .. }
            | Act::Suspend { .. }
            | Act::Resume { .. }
            | Act::ApproveResume { .. },
            Target::Key(k),
        ) => {
            let before = world.keys[k].key.clone();
            let event = match s.act {
                Act::ApproveKey { .. } => Event::Approve,
                Act::RejectKey { .. } => Event::Reject { reason: reason() },
                Act::Revoke { .. } => Event::RequestRevocation { reason: reason() },
                Act::ApproveRevocation { .. } => Event::ApproveRevocation,
                Act::ApproveChange { .. } => Event::ApproveChange,
                Act::ChangeKey { privs: p, .. } => {
                    Event::RequestChange { privileges: privs(p), owner: Owner::default() }
                }
                Act::Suspend { .. } => Event::Suspend { reason: reason() },
                Act::Resume { .. } => Event::RequestResume { reason: reason() },
                Act::ApproveResume { .. } => Event::ApproveResume,
                _ => return Ok(()),
            };
            let narrowing = matches!(&event, Event::RequestChange { privileges, owner } if privileges.is_within(&before.privileges) && *owner == before.owner);
            let got = world.key_apply(&before, event, actor);
            let maker = is_person && actor.roles.has(Role::Maker);
            if maker && before.state == KeyState::Active && narrowing {
                prop_assert!(got.is_ok(), "step {}: one maker may always cut a key's scopes: {:?}", n, got);
            }
            if maker && before.state == KeyState::Active && !policy.dual_control && matches!(s.act, Act::Revoke { .. })
            {
                prop_assert!(got.is_ok(), "step {}: without dual control one maker revokes: {:?}", n, got);
            }
            let stops = [Role::Maker, Role::Checker, Role::Admin].iter().any(|r| actor.roles.has(*r));
            if is_person && stops && matches!(s.act, Act::Suspend { .. }) {
                prop_assert!(got.is_ok(), "step {}: one person may always stop a key: {:?}", n, got);
            }
            let Ok(t) = got else { return Ok(()) };
            let entry = &mut world.keys[k];
            match t.action {
                AuditAction::Approved => {
                    at_least_two(&union(&entry.create_by, &checker), "a key was approved", n)?;
                }
                AuditAction::ChangeRequested => entry.change_by = me.clone(),
                AuditAction::RevocationRequested => entry.revoke_by = me.clone(),
                AuditAction::Suspended => entry.suspend_by = me.clone(),
                AuditAction::ResumeRequested => entry.resume_by = me.clone(),
                AuditAction::Resumed => {
                    let who = if matches!(s.act, Act::ApproveResume { .. }) {
                        union(&entry.resume_by, &checker)
                    } else {
                        alone
                    };
                    at_least_two(&who, "a suspended key was resumed", n)?;
                }
                AuditAction::ChangeApplied if !t.key.privileges.is_within(&before.privileges) => {
                    let who = if matches!(s.act, Act::ApproveChange { .. }) {
                        union(&entry.change_by, &checker)
                    } else {
                        alone
                    };
                    at_least_two(&who, "a key was widened", n)?;
                }
                _ => {}
            }
            entry.key = t.key;
        }
        (Act::Patch { setting, widen }, _) => {
            if !actor.roles.has(Role::Admin) {
                return Ok(());
            }
            let mut patch = PolicyPatch::default();
            match setting {
                0 => patch.dual_control = Some(!widen),
                1 => patch.live_enabled = Some(widen),
                2 => patch.max_key_lifetime_days = Some(if widen { None } else { Some(30) }),
                3 => patch.allow_never_expiring = Some(widen),
                4 => patch.integrator_approvals = Some(widen),
                // A zone has no narrow end: any other zone widens, the same one changes nothing.
                5 => patch.timezone = Some(if widen { zone("Pacific/Kiritimati") } else { policy.timezone }),
                6 => {
                    // One step at a time along suspend_and_revoke < suspend < notify.
                    patch.on_leak = Some(match (widen, policy.on_leak) {
                        (true, OnLeak::SuspendAndRevoke) | (false, OnLeak::Notify) => OnLeak::Suspend,
                        (true, _) => OnLeak::Notify,
                        (false, _) => OnLeak::SuspendAndRevoke,
                    });
                }
                7 => patch.name_mutable = Some(widen),
                8 => patch.require_account = Some(!widen),
                9 => patch.reveal = Some(if widen { RevealPolicy::OnCreate } else { RevealPolicy::AfterApproval }),
                10 => {
                    let hours = if widen { 720 } else { 1 };
                    patch.reveal_window_hours =
                        Some(RevealWindow::hours(hours).map_err(|e| TestCaseError::fail(e.to_string()))?);
                }
                12 => {
                    let days = if widen { 1 } else { 90 };
                    patch.webhook_expiry_lead_days =
                        Some(crate::webhook::ExpiryLead::days(days).map_err(|e| TestCaseError::fail(e.to_string()))?);
                }
                13 => {
                    let seconds = if widen { 900 } else { 30 };
                    patch.signature_skew_seconds =
                        Some(SignatureSkew::seconds(seconds).map_err(|e| TestCaseError::fail(e.to_string()))?);
                }
                // Wider: every action on payouts, then no catalogue at all; narrower: payouts read only.
                11 => {
                    let offer = |actions: &[&str]| -> Result<ScopeCatalogue, TestCaseError> {
                        let payouts = CatalogueResource::parse("payouts", None, actions)
                            .map_err(|e| TestCaseError::fail(e.to_string()))?;
                        ScopeCatalogue::new([payouts]).map_err(|e| TestCaseError::fail(e.to_string()))
                    };
                    let all = offer(&["read", "write", "approve"])?;
                    patch.scope_catalogue = Some(match (widen, &policy.scope_catalogue) {
                        (true, Some(c)) if *c == all => None,
                        (true, _) => Some(all),
                        (false, _) => Some(offer(&["read"])?),
                    });
                }
                _ => {
                    let usdt = Currency::parse("USDT").map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let scale = if widen { 8 } else { 2 };
                    let spec = CurrencySpec::new(CurrencyClass::Crypto, scale)
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    patch.currency = Some((usdt, spec));
                }
            }
            let split = world.split(&patch);
            prop_assert!(
                classify(&policy, &split.now).iter().all(|(_, d)| *d != Direction::Widens),
                "step {}: one admin ({:?}) widened the policy at once: {:?} -> {:?}",
                n,
                me,
                policy,
                split.now
            );
            if classify(&policy, &patch.apply_to(&policy)).iter().all(|(_, d)| *d != Direction::Widens) {
                prop_assert_eq!(&split.now, &patch.apply_to(&policy), "step {}: one admin may always narrow", n);
            }
            world.policy = split.now;
            if let Some(pending) = split.pending {
                if let Ok(request) = PolicyRequest::new(pending, actor) {
                    world.pending = Some((request, me));
                }
            }
        }
        (Act::ApprovePolicy | Act::RejectPolicy, _) => {
            let Some((request, asked_by)) = world.pending.clone() else { return Ok(()) };
            if matches!(s.act, Act::RejectPolicy) {
                if request.reject(actor).is_ok() {
                    world.pending = None;
                }
                return Ok(());
            }
            if let Ok(next) = request.approve(actor, &policy) {
                let both = union(&asked_by, &me);
                if classify(&policy, &next).iter().any(|(_, d)| *d == Direction::Widens) {
                    at_least_two(&both, "the policy was loosened", n)?;
                }
                world.loosened_by.extend(both);
                world.policy = next;
                world.pending = None;
            }
        }
        _ => {}
    }
    Ok(())
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 0..=40)
}

fn play(fault: Fault, start: &Start, steps: &[Step]) -> Result<(), TestCaseError> {
    let mut world = World::new(start, fault);
    for (n, s) in steps.iter().enumerate() {
        run(&mut world, *s, n)?;
    }
    Ok(())
}

proptest! {
    // proptest's defaults: 256 cases unless `PROPTEST_CASES` says otherwise.
    #![proptest_config(ProptestConfig::default())]

    #[test]
    fn no_single_person_widens_anything_and_anyone_may_narrow(start in start(), steps in steps()) {
        play(Fault::None, &start, &steps)?;
    }
}

/// How the random test fares against one seeded fault from one seed: the number of the first failing
/// case and the shrunk counter-example's length, or `None` if 256 cases pass.
fn hunt(fault: Fault, seed: u64) -> Option<(u32, usize)> {
    let config = Config { cases: 256, failure_persistence: None, ..Config::default() };
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let cases = Cell::new(0u32);
    let found = Cell::new(None);
    let result = runner.run(&(start(), steps()), |(start, steps)| {
        if found.get().is_none() {
            cases.set(cases.get() + 1);
        }
        let outcome = play(fault, &start, &steps);
        if outcome.is_err() && found.get().is_none() {
            found.set(Some(cases.get()));
        }
        outcome
    });
    match result {
        Err(TestError::Fail(_, (_, steps))) => Some((found.get().unwrap_or(0), steps.len())),
        _ => None,
    }
}

const FAULTS: [Fault; 4] =
    [Fault::SelfByIdOnly, Fault::KeyApprovesWhenOff, Fault::AskerApprovesOperator, Fault::PolicyWidensAtOnce];

#[test]
fn every_seeded_fault_is_found() {
    for fault in FAULTS {
        assert!(hunt(fault, 0).is_some(), "256 random cases missed the seeded fault {fault:?}");
    }
}

#[test]
fn a_maker_cannot_launder_a_key_approval_through_a_key_it_holds() {
    let maker = Actor::new(ActorId::Operator(OperatorId::from_bytes([1; 16])), RoleSet::of([Role::Maker]));
    let checker = Actor::new(ActorId::Operator(OperatorId::from_bytes([2; 16])), RoleSet::of([Role::Checker]));
    // The loosest tenant where the attack could work: live on, integrator approvals on.
    let policy = TenantPolicy { live_enabled: true, integrator_approvals: true, ..TenantPolicy::narrowest() };
    let new = |id: u8, environment, p: Privileges| NewKey {
        id: KeyId::from_bytes([id; 16]),
        tenant: TenantId::parse("acme").unwrap(),
        account: None,
        name: KeyName::parse(&format!("k{id}")).unwrap(),
        notes: None,
        environment,
        privileges: p,
        expiry: ExpiryRequest::Default,
        rotation: None,
        owner: Owner::default(),
    };
    let held = privs(4); // api-keys:write + api-keys:approve + payouts:*
    let test_key = Key::create(new(1, Environment::Test, held.clone()), &maker, &policy, now()).unwrap().key;
    let test_key = test_key.apply(Event::Approve, &checker, &policy, now()).unwrap().key;
    let as_key = Actor::for_key(
        test_key.id,
        RoleSet::for_integrator_key(&held.scopes),
        test_key.created_for,
        KeyBounds { environment: Environment::Test, privileges: held.clone(), account: None },
    );
    let live = Key::create(new(2, Environment::Live, privs(1)), &maker, &policy, now()).unwrap().key;
    assert_eq!(
        live.apply(Event::Approve, &as_key, &policy, now()).unwrap_err(),
        TransitionError::OutOfBounds,
        "a test key cannot approve a live key"
    );
    assert_eq!(
        Key::create(new(3, Environment::Live, privs(1)), &as_key, &policy, now()).unwrap_err(),
        TransitionError::OutOfBounds,
        "a test key cannot create a live key"
    );
    let test = Key::create(new(4, Environment::Test, privs(1)), &maker, &policy, now()).unwrap().key;
    assert_eq!(
        test.apply(Event::Approve, &as_key, &policy, now()).unwrap_err(),
        TransitionError::SelfApproval,
        "even in its environment, the maker's key is the maker"
    );
}

/// A zone the tz database has.
fn zone(name: &str) -> Timezone {
    Timezone::parse(name).unwrap_or(Timezone::UTC)
}
