//! The audit chain through management: who may have it verified, and what they are told.

use keygate_credential::TokenPrefix;
use keygate_domain::{OperatorId, Role, RoleSet};
use keygate_store::AuditChainReport;
use keygate_verifier::manage::{Caller, ManageError, Management};

use crate::support::{tenant_id, Harness, Stores};

pub async fn tenant_admins_auditors_and_the_system_admin_may_verify_the_audit_chain(stores: Stores) {
    let h = Harness::start(stores.first).await;
    let management = Management::new(h.verifier.clone(), TokenPrefix::default(), None);
    let acme = tenant_id("acme");
    let operator = |n: u8, tenant: &str, roles: &[Role]| {
        Caller::operator(OperatorId::from_bytes([n; 16]), tenant_id(tenant), RoleSet::of(roles.iter().copied()))
    };
    let cases = [
        ("the system administrator", Caller::system(), true),
        ("an admin of the tenant", operator(1, "acme", &[Role::Admin]), true),
        ("an auditor of the tenant", operator(2, "acme", &[Role::Auditor]), true),
        ("a maker", operator(3, "acme", &[Role::Maker]), false),
        ("a checker", operator(4, "acme", &[Role::Checker]), false),
        ("an admin of another tenant", operator(5, "globex", &[Role::Admin, Role::Auditor]), false),
    ];
    for (who, caller, allowed) in cases {
        let outcome = management.verify_audit(&caller, &acme).await;
        match (allowed, outcome) {
            (true, Ok(report)) => {
                assert!(matches!(report, AuditChainReport::Valid { entries: 1, head: Some(_) }), "{who}: {report:?}");
            }
            (false, Err(ManageError::Forbidden(_))) => {}
            (_, other) => panic!("{who}: unexpected {other:?}"),
        }
    }
    let unknown = management.verify_audit(&Caller::system(), &tenant_id("nobody")).await;
    assert!(matches!(unknown, Err(ManageError::NotFound)), "an unknown tenant is not found: {unknown:?}");
}
