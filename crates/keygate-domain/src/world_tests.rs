//! The product's invariant as a property test over a small world of one tenant.
//!
//! No single person, holding every credential ever shown to them (their operator token, the secrets of
//! keys they created, invitation halves they received), can activate or widen a key, make an operator
//! who can approve, or loosen the tenant's policy. Each step records which persons took part
//! (provenance): the person acting, the persons who made the operator account they act through, and,
//! for a step taken alone while dual control is off, the persons who loosened the policy. A key acting
//! as integrator adds only its holder: that is the attack this file exists to refuse. Narrowing by one
//! person must always succeed.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;

use crate::*;

type Persons = BTreeSet<usize>;
const PERSONS: u8 = 5; // 0 is the system admin.

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn privs(i: u8) -> Privileges {
    let scopes: &[&str] = match i % 5 {
        0 => &["payouts:read"],
        1 => &["payouts:write"],
        2 => &["api-keys:*", "payouts:write"],
        3 => &["api-keys:approve"],
        _ => &["api-keys:write", "api-keys:approve", "payouts:*"],
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

fn reason() -> Reason {
    Reason::parse("test").unwrap()
}

/// One thing a person does, through one of their identities; indices wrap around what exists.
#[derive(Debug, Clone, Copy)]
enum Act {
    Invite { roles: u8 },
    ApproveOp { op: u8 },
    RejectOp { op: u8 },
    Claim { op: u8 },
    GiveHalves { op: u8, to: u8 },
    DisableOp { op: u8 },
    EnableOp { op: u8 },
    ChangeRoles { op: u8, roles: u8 },
    CreateKey { live: bool, privs: u8 },
    ApproveKey { key: u8 },
    RejectKey { key: u8 },
    Revoke { key: u8 },
    ApproveRevocation { key: u8 },
    ChangeKey { key: u8, privs: u8 },
    ApproveChange { key: u8 },
    Patch { setting: u8, widen: bool },
    ApprovePolicy,
    RejectPolicy,
}

#[derive(Debug, Clone, Copy)]
struct Step {
    by: u8,
    via: u8,
    act: Act,
}

fn act() -> impl Strategy<Value = Act> {
    let (i, b) = (0u8..8, 0u8..8);
    prop_oneof![
        2 => i.clone().prop_map(|roles| Act::Invite { roles }),
        2 => i.clone().prop_map(|op| Act::ApproveOp { op }),
        1 => i.clone().prop_map(|op| Act::RejectOp { op }),
        2 => i.clone().prop_map(|op| Act::Claim { op }),
        1 => (i.clone(), b.clone()).prop_map(|(op, to)| Act::GiveHalves { op, to }),
        1 => i.clone().prop_map(|op| Act::DisableOp { op }),
        1 => i.clone().prop_map(|op| Act::EnableOp { op }),
        1 => (i.clone(), b.clone()).prop_map(|(op, roles)| Act::ChangeRoles { op, roles }),
        6 => (any::<bool>(), b.clone()).prop_map(|(live, privs)| Act::CreateKey { live, privs }),
        6 => i.clone().prop_map(|key| Act::ApproveKey { key }),
        1 => i.clone().prop_map(|key| Act::RejectKey { key }),
        1 => i.clone().prop_map(|key| Act::Revoke { key }),
        1 => i.clone().prop_map(|key| Act::ApproveRevocation { key }),
        3 => (i.clone(), b).prop_map(|(key, privs)| Act::ChangeKey { key, privs }),
        3 => i.prop_map(|key| Act::ApproveChange { key }),
        3 => (0u8..5, any::<bool>()).prop_map(|(setting, widen)| Act::Patch { setting, widen }),
        2 => Just(Act::ApprovePolicy),
        1 => Just(Act::RejectPolicy),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (0..PERSONS, 0u8..4, act()).prop_map(|(by, via, act)| Step { by, via, act })
}

struct Op {
    account: OperatorAccount,
    /// Who took part in the latest step that gave it approval power (empty for the trusted bootstrap).
    made_by: Persons,
    /// Who took part in the pending request.
    request_by: Persons,
    owner: Option<usize>,
    /// Invitation parts held: person -> parts (1 and 2 are halves, 3 is a whole code).
    halves: BTreeMap<usize, BTreeSet<u8>>,
    first_half: Option<usize>,
}

struct KeyEntry {
    key: Key,
    create_by: Persons,
    change_by: Persons,
    holder: usize,
}

struct World {
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

impl World {
    /// A world starting from `policy`, as the two setup admins (persons 1 and 2) agreed it.
    fn new(policy: TenantPolicy) -> Self {
        let system = Actor::new(ActorId::System, RoleSet::of([Role::Admin, Role::Auditor]));
        // The trusted setup: persons 1 and 2 are admins who also hold a maker and a checker account;
        // persons 3 and 4 are makers and checkers.
        let ops = [(1, 3), (2, 3), (3, 2), (4, 2), (1, 0), (2, 1)]
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
                }
            })
            .collect();
        let loosened_by = if policy == TenantPolicy::narrowest() { Persons::new() } else { Persons::from([1, 2]) };
        Self { policy, loosened_by, pending: None, ops, keys: Vec::new() }
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
                let bounds = KeyBounds { environment: k.key.environment, privileges: k.key.privileges.clone() };
                let roles = RoleSet::for_integrator_key(&k.key.privileges.scopes);
                let actor = Actor::for_key(k.key.id, roles, k.key.created_for, bounds);
                // A key brings only its holder: approving it once lends its creator nobody.
                ids.push(Identity { actor, brings: Persons::new() });
            }
        }
        ids
    }

    /// The persons in a step taken alone: alone is fine only where the tenant's loosened policy says so.
    fn alone(&self, me: &Persons) -> Persons {
        me.union(&self.loosened_by).copied().collect()
    }
}

fn at_least_two(who: &Persons, what: &str, step: usize) -> Result<(), TestCaseError> {
    prop_assert!(who.len() >= 2, "step {}: {} with only {:?} taking part", step, what, who);
    Ok(())
}

/// Whether a key act could apply to `key` at all.
fn wants(act: Act, key: &Key) -> bool {
    match act {
        Act::ApproveKey { .. } | Act::RejectKey { .. } => key.state == KeyState::PendingApproval,
        Act::ApproveRevocation { .. } => key.state == KeyState::RevocationPending,
        Act::ApproveChange { .. } => key.pending_change.is_some(),
        _ => key.state == KeyState::Active,
    }
}

fn approves(r: RoleSet) -> bool {
    r.has(Role::Checker) || r.has(Role::Admin)
}

/// The `i`-th item the act could apply to, counting from the newest, so that random steps mostly mean
/// something and small (shrunk) indices reach what was just made.
fn pick<T>(items: &[T], i: u8, fits: impl Fn(&T) -> bool) -> Option<usize> {
    let fitting: Vec<usize> = (0..items.len()).rev().filter(|&j| fits(&items[j])).collect();
    (!fitting.is_empty()).then(|| fitting[usize::from(i) % fitting.len()])
}

// One arm per action keeps the world readable next to the list of actions.
#[allow(clippy::too_many_lines)]
fn run(world: &mut World, s: Step, n: usize) -> Result<(), TestCaseError> {
    let person = usize::from(s.by);
    let ids = world.identities(person);
    let Some(id) = (!ids.is_empty()).then(|| &ids[usize::from(s.via) % ids.len()]) else { return Ok(()) };
    let actor = &id.actor;
    let me: Persons = id.brings.iter().copied().chain([person]).collect();
    let is_person = !actor.is_key();
    let policy = world.policy;
    match s.act {
        Act::Invite { roles: r } => {
            let i = u8::try_from(world.ops.len()).unwrap();
            if i >= 12 {
                return Ok(());
            }
            let new = NewOperator {
                id: OperatorId::from_bytes([10 + i; 16]),
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
                };
                if t.issue == InvitationIssue::FirstHalf {
                    op.first_half = Some(person);
                } else {
                    op.made_by = world.alone(&me);
                    op.halves.insert(person, BTreeSet::from([3]));
                }
                world.ops.push(op);
            }
        }
        Act::ApproveOp { op } | Act::RejectOp { op } => {
            let Some(o) = pick(&world.ops, op, |o| o.account.request.is_some()) else { return Ok(()) };
            let event = if matches!(s.act, Act::ApproveOp { .. }) {
                OperatorEvent::Approve
            } else {
                OperatorEvent::Reject { reason: reason() }
            };
            let before = world.ops[o].account.clone();
            if let Ok(t) = before.apply(event, actor, &policy, now()) {
                let entry = &mut world.ops[o];
                let both: Persons = entry.request_by.union(&me).copied().collect();
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
        Act::Claim { op } => {
            let Some(o) = pick(&world.ops, op, |o| o.account.invitation.is_some()) else { return Ok(()) };
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
                entry.account = t.account;
                entry.owner = Some(person);
                entry.halves.clear();
            }
        }
        Act::GiveHalves { op, to } => {
            let Some(o) = pick(&world.ops, op, |o| !o.halves.is_empty()) else { return Ok(()) };
            let entry = &mut world.ops[o];
            if let Some(parts) = entry.halves.remove(&person) {
                entry.halves.entry(usize::from(to % PERSONS)).or_default().extend(parts);
            }
        }
        Act::DisableOp { op } => {
            let Some(o) = pick(&world.ops, op, |o| o.account.state != OperatorState::Disabled) else { return Ok(()) };
            let entry = &mut world.ops[o];
            let got = entry.account.apply(OperatorEvent::Disable { reason: reason() }, actor, &policy, now());
            if actor.roles.has(Role::Admin) && entry.account.state != OperatorState::Disabled {
                prop_assert!(got.is_ok(), "step {}: one admin may always disable an operator: {:?}", n, got);
            }
            if let Ok(t) = got {
                entry.account = t.account;
                entry.owner = None;
                entry.halves.clear();
            }
        }
        Act::EnableOp { op } => {
            let Some(o) = pick(&world.ops, op, |o| o.account.state == OperatorState::Disabled) else { return Ok(()) };
            let alone = world.alone(&me);
            let entry = &mut world.ops[o];
            if let Ok(t) = entry.account.apply(OperatorEvent::RequestEnable, actor, &policy, now()) {
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
        Act::ChangeRoles { op, roles: r } => {
            let Some(o) =
                pick(&world.ops, op, |o| matches!(o.account.state, OperatorState::Invited | OperatorState::Active))
            else {
                return Ok(());
            };
            let alone = world.alone(&me);
            let entry = &mut world.ops[o];
            let before = entry.account.roles;
            if let Ok(t) = entry.account.apply(OperatorEvent::ChangeRoles(roles(r)), actor, &policy, now()) {
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
        Act::CreateKey { live, privs: p } => {
            let i = u8::try_from(world.keys.len()).unwrap();
            if i >= 12 {
                return Ok(());
            }
            let environment = if live { Environment::Live } else { Environment::Test };
            let new = NewKey {
                id: KeyId::from_bytes([100 + i; 16]),
                tenant: TenantId::parse("acme").unwrap(),
                name: KeyName::parse(&format!("k{i}")).unwrap(),
                notes: None,
                environment,
                privileges: privs(p),
                expiry: ExpiryRequest::Default,
                rotation: None,
            };
            if let Ok(t) = Key::create(new, actor, &policy, now()) {
                if t.key.state == KeyState::Active {
                    at_least_two(&world.alone(&me), "a key was created active", n)?;
                }
                world.keys.push(KeyEntry {
                    key: t.key,
                    create_by: me.clone(),
                    change_by: Persons::new(),
                    holder: person,
                });
            }
        }
        Act::ApproveKey { key }
        | Act::RejectKey { key }
        | Act::Revoke { key }
        | Act::ApproveRevocation { key }
        | Act::ApproveChange { key }
        | Act::ChangeKey { key, .. } => {
            let Some(k) = pick(&world.keys, key, |k| wants(s.act, &k.key)) else { return Ok(()) };
            let alone = world.alone(&me);
            let entry = &mut world.keys[k];
            let before = entry.key.clone();
            let event = match s.act {
                Act::ApproveKey { .. } => Event::Approve,
                Act::RejectKey { .. } => Event::Reject { reason: reason() },
                Act::Revoke { .. } => Event::RequestRevocation { reason: reason() },
                Act::ApproveRevocation { .. } => Event::ApproveRevocation,
                Act::ApproveChange { .. } => Event::ApproveChange,
                Act::ChangeKey { privs: p, .. } => Event::RequestChange { privileges: privs(p) },
                _ => return Ok(()),
            };
            let narrowing =
                matches!(&event, Event::RequestChange { privileges } if privileges.is_within(&before.privileges));
            let got = before.apply(event, actor, &policy, now());
            let maker = is_person && actor.roles.has(Role::Maker);
            if maker && before.state == KeyState::Active && narrowing {
                prop_assert!(got.is_ok(), "step {}: one maker may always cut a key's scopes: {:?}", n, got);
            }
            if maker && before.state == KeyState::Active && !policy.dual_control && matches!(s.act, Act::Revoke { .. })
            {
                prop_assert!(got.is_ok(), "step {}: without dual control one maker revokes: {:?}", n, got);
            }
            let Ok(t) = got else { return Ok(()) };
            match t.action {
                AuditAction::Approved => {
                    let both: Persons = entry.create_by.union(&me).copied().collect();
                    at_least_two(&both, "a key was approved", n)?;
                }
                AuditAction::ChangeRequested => entry.change_by = me.clone(),
                AuditAction::ChangeApplied if !t.key.privileges.is_within(&before.privileges) => {
                    let who = if matches!(s.act, Act::ApproveChange { .. }) {
                        entry.change_by.union(&me).copied().collect()
                    } else {
                        alone
                    };
                    at_least_two(&who, "a key was widened", n)?;
                }
                _ => {}
            }
            entry.key = t.key;
        }
        Act::Patch { setting, widen } => {
            if !actor.roles.has(Role::Admin) {
                return Ok(());
            }
            let mut patch = PolicyPatch::default();
            match setting {
                0 => patch.dual_control = Some(!widen),
                1 => patch.live_enabled = Some(widen),
                2 => patch.max_key_lifetime_days = Some(if widen { None } else { Some(30) }),
                3 => patch.allow_never_expiring = Some(widen),
                _ => patch.integrator_approvals = Some(widen),
            }
            let split = policy.split(&patch);
            prop_assert!(
                classify(&policy, &split.now).iter().all(|(_, d)| *d != Direction::Widens),
                "step {}: a patch widened at once",
                n
            );
            world.policy = split.now;
            if setting == 0 && !widen {
                prop_assert!(world.policy.dual_control, "step {}: one admin may always switch dual control on", n);
            }
            if let Some(pending) = split.pending {
                if let Ok(request) = PolicyRequest::new(pending, actor) {
                    world.pending = Some((request, me));
                }
            }
        }
        Act::ApprovePolicy | Act::RejectPolicy => {
            let Some((request, asked_by)) = world.pending.clone() else { return Ok(()) };
            if matches!(s.act, Act::RejectPolicy) {
                if request.reject(actor).is_ok() {
                    world.pending = None;
                }
                return Ok(());
            }
            if let Ok(next) = request.approve(actor, &policy) {
                let both: Persons = asked_by.union(&me).copied().collect();
                if classify(&policy, &next).iter().any(|(_, d)| *d == Direction::Widens) {
                    at_least_two(&both, "the policy was loosened", n)?;
                }
                world.loosened_by.extend(both);
                world.policy = next;
                world.pending = None;
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_single_person_widens_anything_and_anyone_may_narrow(
        // Most cases start loosened (by the two setup admins), so the deep attacks are reachable.
        start in (any::<[bool; 4]>(), prop::option::of(Just(30u32))),
        steps in prop::collection::vec(step(), 0..40),
    ) {
        let ([strict, live, never, integrators], cap) = start;
        let policy = TenantPolicy {
            dual_control: strict,
            live_enabled: live,
            max_key_lifetime_days: cap,
            allow_never_expiring: never,
            integrator_approvals: integrators,
        };
        let mut world = World::new(policy);
        for (n, s) in steps.iter().enumerate() {
            run(&mut world, *s, n)?;
        }
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
        name: KeyName::parse(&format!("k{id}")).unwrap(),
        notes: None,
        environment,
        privileges: p,
        expiry: ExpiryRequest::Default,
        rotation: None,
    };
    let held = privs(4); // api-keys:write + api-keys:approve + payouts:*
    let test_key = Key::create(new(1, Environment::Test, held.clone()), &maker, &policy, now()).unwrap().key;
    let test_key = test_key.apply(Event::Approve, &checker, &policy, now()).unwrap().key;
    let as_key = Actor::for_key(
        test_key.id,
        RoleSet::for_integrator_key(&held.scopes),
        test_key.created_for,
        KeyBounds { environment: Environment::Test, privileges: held.clone() },
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
