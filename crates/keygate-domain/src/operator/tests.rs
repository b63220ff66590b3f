//! Table tests of the operator lifecycle: invitations in halves, maker-checker by person, claims,
//! separation of duties and narrowing at once.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
}

fn admin(n: u8) -> Actor {
    Actor::new(ActorId::Operator(OperatorId::from_bytes([n; 16])), RoleSet::of([Role::Admin]))
}

fn new(n: u8, roles: &[Role]) -> NewOperator {
    NewOperator {
        id: OperatorId::from_bytes([n; 16]),
        tenant: TenantId::parse("acme").unwrap(),
        roles: RoleSet::of(roles.iter().copied()),
    }
}

fn reason() -> Reason {
    Reason::parse("test").unwrap()
}

fn dual(on: bool) -> TenantPolicy {
    TenantPolicy { dual_control: on, ..TenantPolicy::default() }
}

#[test]
fn roles_keep_duties_apart() {
    let cases = [
        (&[][..], Err(SeparationError::Empty), "no role"),
        (&[Role::Admin, Role::Maker][..], Err(SeparationError::AdminWithMaker), "admin and maker"),
        (&[Role::Admin, Role::Checker][..], Err(SeparationError::AdminWithChecker), "admin and checker"),
        (&[Role::Admin, Role::Auditor][..], Ok(()), "admin and auditor"),
        (&[Role::Maker, Role::Checker, Role::Auditor][..], Ok(()), "maker and checker"),
    ];
    for (roles, expected, why) in cases {
        assert_eq!(RoleSet::of(roles.iter().copied()).check_separation(), expected, "{why}");
    }
    assert!(RoleSet::of([Role::Maker]).is_within(RoleSet::of([Role::Maker, Role::Checker])), "subset");
    assert!(!RoleSet::of([Role::Checker]).is_within(RoleSet::of([Role::Maker])), "not a subset");
}

#[test]
fn an_invitation_under_dual_control_takes_two_admins_and_two_halves() {
    let asked = OperatorAccount::invite(new(10, &[Role::Checker]), &admin(1), &dual(true), now()).unwrap();
    assert_eq!(
        (asked.account.state, asked.action, asked.issue),
        (OperatorState::PendingApproval, OperatorAction::Requested, InvitationIssue::FirstHalf),
        "asked, first half to the asker"
    );
    let pending = asked.account;
    let cases = [
        (admin(1), Err(OperatorError::SelfApproval), "the asker"),
        (admin(10), Err(OperatorError::SelfApproval), "the operator itself"),
        (
            Actor::new(ActorId::Operator(OperatorId::from_bytes([2; 16])), RoleSet::of([Role::Checker])),
            Err(OperatorError::MissingRole(Role::Admin)),
            "a checker",
        ),
        (admin(2), Ok((OperatorState::Invited, InvitationIssue::SecondHalf)), "another admin"),
    ];
    for (who, expected, why) in cases {
        let got = pending.apply(OperatorEvent::Approve, &who, &dual(true), now()).map(|t| (t.account.state, t.issue));
        assert_eq!(got, expected, "{why}");
    }
    let invited = pending.apply(OperatorEvent::Approve, &admin(2), &dual(true), now()).unwrap().account;
    let lapse = now() + Duration::hours(InvitationTerms::LIFETIME_HOURS);
    assert_eq!(
        invited.apply(OperatorEvent::Claim, &admin(9), &dual(true), lapse).unwrap_err(),
        OperatorError::Lapsed,
        "lapsed"
    );
    let active = invited.apply(OperatorEvent::Claim, &admin(9), &dual(true), now()).unwrap().account;
    assert_eq!(active.state, OperatorState::Active, "claimed");
    assert_eq!(
        active.apply(OperatorEvent::Claim, &admin(9), &dual(true), now()).unwrap_err(),
        OperatorError::AlreadyClaimed,
        "twice"
    );
    let rejected =
        pending.apply(OperatorEvent::Reject { reason: reason() }, &admin(2), &dual(true), now()).unwrap().account;
    assert_eq!(rejected.state, OperatorState::Disabled, "a rejected creation ends disabled");
    assert_eq!(
        rejected.apply(OperatorEvent::Claim, &admin(9), &dual(true), now()).unwrap_err(),
        OperatorError::Gone,
        "gone"
    );
}

#[test]
fn without_dual_control_one_admin_invites_with_a_whole_code() {
    let t = OperatorAccount::invite(new(10, &[Role::Maker]), &admin(1), &dual(false), now()).unwrap();
    assert_eq!((t.account.state, t.issue), (OperatorState::Invited, InvitationIssue::Whole), "invited at once");
    assert_eq!(
        OperatorAccount::invite(new(10, &[Role::Admin, Role::Maker]), &admin(1), &dual(false), now()).unwrap_err(),
        OperatorError::Separation(SeparationError::AdminWithMaker),
        "separation checked"
    );
    assert_eq!(
        OperatorAccount::bootstrap(new(10, &[Role::Admin]), &admin(1), now()).unwrap_err(),
        OperatorError::SystemOnly,
        "bootstrap"
    );
    let system = Actor::new(ActorId::System, RoleSet::of([Role::Admin]));
    let boot = OperatorAccount::bootstrap(new(10, &[Role::Admin]), &system, now()).unwrap();
    assert_eq!((boot.account.state, boot.issue), (OperatorState::Invited, InvitationIssue::Whole), "bootstrap");
}

#[test]
fn narrowing_is_at_once_and_widening_or_enabling_waits() {
    let p = dual(true);
    let system = Actor::new(ActorId::System, RoleSet::of([Role::Admin]));
    let boot = OperatorAccount::bootstrap(new(10, &[Role::Maker, Role::Checker]), &system, now()).unwrap().account;
    let active = boot.apply(OperatorEvent::Claim, &system, &p, now()).unwrap().account;
    let cases = [
        (
            OperatorEvent::ChangeRoles(RoleSet::of([Role::Maker])),
            admin(1),
            Ok(OperatorAction::RolesChanged),
            "narrowing",
        ),
        (
            OperatorEvent::ChangeRoles(RoleSet::of([Role::Maker, Role::Checker, Role::Auditor])),
            admin(1),
            Ok(OperatorAction::RolesRequested),
            "widening",
        ),
        (
            OperatorEvent::ChangeRoles(RoleSet::of([Role::Admin, Role::Checker])),
            admin(1),
            Err(OperatorError::Separation(SeparationError::AdminWithChecker)),
            "separation",
        ),
        (OperatorEvent::Disable { reason: reason() }, admin(10), Ok(OperatorAction::Disabled), "itself"),
        (OperatorEvent::ReplaceToken, admin(10), Ok(OperatorAction::TokenReplaced), "own token"),
        (OperatorEvent::ReplaceToken, admin(1), Err(OperatorError::NotTheOperator), "someone else's token"),
        (
            OperatorEvent::Reinvite,
            admin(1),
            Err(OperatorError::InvalidState { state: OperatorState::Active, event: "reinvite" }),
            "claimed",
        ),
    ];
    for (event, who, expected, why) in cases {
        assert_eq!(active.apply(event, &who, &p, now()).map(|t| t.action), expected, "{why}");
    }
    let disabled = active.apply(OperatorEvent::Disable { reason: reason() }, &admin(1), &p, now()).unwrap();
    assert!(disabled.clear_token, "disabling kills the token");
    let asked = disabled.account.apply(OperatorEvent::RequestEnable, &admin(1), &p, now()).unwrap();
    assert_eq!(
        (asked.account.state, asked.issue),
        (OperatorState::Disabled, InvitationIssue::FirstHalf),
        "enable waits"
    );
    let enabled = asked.account.apply(OperatorEvent::Approve, &admin(2), &p, now()).unwrap();
    assert_eq!(
        (enabled.account.state, enabled.issue, enabled.clear_token),
        (OperatorState::Invited, InvitationIssue::SecondHalf, true),
        "approved enable: a new invitation, the old token stays dead"
    );
}

#[test]
fn a_reinvitation_under_dual_control_ends_the_outstanding_invitation_until_approved() {
    // Found by review: asker re-invites an invited operator and claims with its own new half alone.
    let asked = OperatorAccount::invite(new(10, &[Role::Checker]), &admin(1), &dual(true), now()).unwrap();
    let approved_once = asked.account.apply(OperatorEvent::Approve, &admin(2), &dual(true), now()).unwrap().account;
    let reinvite = approved_once.apply(OperatorEvent::Reinvite, &admin(1), &dual(true), now()).unwrap();
    assert_eq!(reinvite.issue, InvitationIssue::FirstHalf, "the asker gets a first half");
    let invitee = Actor::new(ActorId::Operator(OperatorId::from_bytes([10; 16])), RoleSet::of([Role::Checker]));
    let claim = reinvite.account.apply(OperatorEvent::Claim, &invitee, &dual(true), now());
    assert_eq!(claim.map(|t| t.account.state), Err(OperatorError::Gone), "nothing to claim until approved");
    let approved = reinvite.account.apply(OperatorEvent::Approve, &admin(2), &dual(true), now()).unwrap();
    assert_eq!(approved.issue, InvitationIssue::SecondHalf, "the approver gets the second half");
    let claimed = approved.account.apply(OperatorEvent::Claim, &invitee, &dual(true), now()).unwrap();
    assert_eq!(claimed.account.state, OperatorState::Active, "then it is claimed");
}

#[test]
fn narrowing_roles_is_never_blocked_by_a_pending_widening() {
    let maker_checker = new(10, &[Role::Maker, Role::Checker]);
    let active = OperatorAccount::invite(maker_checker, &admin(1), &dual(false), now()).unwrap().account;
    let invitee = Actor::new(ActorId::Operator(OperatorId::from_bytes([10; 16])), active.roles);
    let active = active.apply(OperatorEvent::Claim, &invitee, &dual(true), now()).unwrap().account;
    let wider = RoleSet::of([Role::Maker, Role::Checker, Role::Auditor]);
    let pending = active.apply(OperatorEvent::ChangeRoles(wider), &admin(1), &dual(true), now()).unwrap().account;
    assert!(pending.request.is_some(), "the widening waits");
    let narrowed =
        pending.apply(OperatorEvent::ChangeRoles(RoleSet::of([Role::Maker])), &admin(1), &dual(true), now()).unwrap();
    assert_eq!(narrowed.account.roles, RoleSet::of([Role::Maker]), "narrowed at once, by the same admin");
    assert!(narrowed.account.request.is_none(), "and the pending widening is dropped");
}
