//! Tenant isolation as a property: operators of random tenants (makers, checkers, auditors, tenant
//! admins) issue random management calls, against their own tenant or another, naming their own keys
//! or another tenant's. Every call that reaches across tenants is 403 or 404, never a success, a 409
//! or a 400 that would tell what exists; and afterwards each tenant's keys, operators, name and audit
//! log hold only what its own operators did.
//!
//! One in-memory server for the whole property, fresh tenants for each case.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp, ADMIN};

const TENANTS: usize = 3;
const CASES: u32 = 16;
const CALLS: usize = 30;

/// The roles of each tenant's operators, in the order of `Tenant::tokens`.
const ROLES: [&str; 5] = ["maker", "checker", "checker", "auditor", "admin"];

#[derive(Debug, Clone, Copy)]
enum Op {
    CreateKey,
    ListKeys,
    GetKey,
    PatchKey,
    Approve,
    Reject,
    Revoke,
    ApproveRevocation,
    Rotate,
    Usage,
    GetTenant,
    RenameTenant,
    ListOperators,
    CreateOperator,
    Audit,
}

const OPS: [Op; 15] = [
    Op::CreateKey,
    Op::ListKeys,
    Op::GetKey,
    Op::PatchKey,
    Op::Approve,
    Op::Reject,
    Op::Revoke,
    Op::ApproveRevocation,
    Op::Rotate,
    Op::Usage,
    Op::GetTenant,
    Op::RenameTenant,
    Op::ListOperators,
    Op::CreateOperator,
    Op::Audit,
];

/// One call: who (tenant, operator), on which tenant's URL, what, and which known key it names.
#[derive(Debug, Clone)]
struct Call {
    actor: (usize, usize),
    target: usize,
    op: Op,
    key: Index,
}

/// Half the calls aim at the caller's own tenant (so there is state to protect), half at any tenant.
fn calls() -> impl Strategy<Value = Vec<Call>> {
    let call =
        (0..TENANTS, 0..ROLES.len(), any::<bool>(), 0..TENANTS, proptest::sample::select(OPS.to_vec()), any::<Index>())
            .prop_map(|(tenant, role, cross, other, op, key)| Call {
                actor: (tenant, role),
                target: if cross { other } else { tenant },
                op,
                key,
            });
    proptest::collection::vec(call, CALLS)
}

/// A tenant of one case, and what its own operators did to it.
struct Tenant {
    id: String,
    tokens: Vec<String>,
    name: String,
    keys: BTreeSet<String>,
    operators: BTreeSet<String>,
}

#[test]
fn operators_never_read_or_change_another_tenants_data() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let app = runtime.block_on(spawn_app(None));
    let case = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config { cases: CASES, failure_persistence: None, ..Config::default() });
    let result = runner.run(&calls(), |calls| {
        let n = case.fetch_add(1, Ordering::Relaxed);
        runtime.block_on(run_case(&app, n, &calls))
    });
    if let Err(failure) = result {
        panic!("tenant isolation broke: {failure}");
    }
    app.assert_no_secret_leaked();
}

async fn run_case(app: &TestApp, case: usize, calls: &[Call]) -> Result<(), TestCaseError> {
    let mut tenants = Vec::new();
    for t in 0..TENANTS {
        tenants.push(tenant(app, &format!("p{case}-t{t}")).await);
    }
    // Every key of this case, with its tenant, in creation order: two seeded per tenant (one active,
    // one pending approval), then those the calls create.
    let mut pool: Vec<(String, usize)> = Vec::new();
    for (t, tenant) in tenants.iter_mut().enumerate() {
        for (name, approve) in [("seed-active", true), ("seed-pending", false)] {
            let id = seed_key(app, tenant, name, approve).await;
            tenant.keys.insert(id.clone());
            pool.push((id, t));
        }
    }
    for (i, call) in calls.iter().enumerate() {
        let (own, role) = call.actor;
        let token = tenants[own].tokens[role].clone();
        let target = &tenants[call.target];
        let (key, key_tenant) = if pool.is_empty() {
            ("0000000000000000000000".to_owned(), call.target)
        } else {
            pool[call.key.index(pool.len())].clone()
        };
        let base = format!("/v1/tenants/{}", target.id);
        let key_url = format!("{base}/keys/{key}");
        let (method, path, body) = match call.op {
            Op::CreateKey => {
                (Method::POST, format!("{base}/keys"), json!({"name": format!("k{i}"), "scopes": ["a:read"]}))
            }
            Op::ListKeys => (Method::GET, format!("{base}/keys"), Value::Null),
            Op::GetKey => (Method::GET, key_url, Value::Null),
            Op::PatchKey => (Method::PATCH, key_url, json!({"notes": format!("note {i}")})),
            Op::Approve => (Method::POST, format!("{key_url}/approve"), json!({})),
            Op::Reject => (Method::POST, format!("{key_url}/reject"), json!({"reason": "no"})),
            Op::Revoke => (Method::POST, format!("{key_url}/revoke"), json!({"reason": "done"})),
            Op::ApproveRevocation => (Method::POST, format!("{key_url}/revocation/approve"), json!({})),
            Op::Rotate => (Method::POST, format!("{key_url}/rotate"), json!({})),
            Op::Usage => (Method::GET, format!("{key_url}/usage"), Value::Null),
            Op::GetTenant => (Method::GET, base.clone(), Value::Null),
            Op::RenameTenant => (Method::PATCH, base.clone(), json!({"name": format!("Renamed {i}")})),
            Op::ListOperators => (Method::GET, format!("{base}/operators"), Value::Null),
            Op::CreateOperator => (
                Method::POST,
                format!("{base}/operators"),
                json!({"name": format!("Op {i}"), "email": format!("op{i}@x.test"), "roles": ["maker"]}),
            ),
            Op::Audit => (Method::GET, format!("{base}/audit"), Value::Null),
        };
        let names_key = path.contains("/keys/");
        let body = (!body.is_null()).then_some(body);
        let reply = app.raw(method, &path, Some(&token), body).await;
        let status = reply.status;
        prop_assert!(!status.is_server_error(), "call {i} {call:?}: {status} {:?}", reply.body);
        let foreign = own != call.target || (names_key && key_tenant != call.target);
        if foreign {
            prop_assert!(
                status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
                "call {i} {call:?} crossed tenants and got {status}: {:?}",
                reply.body
            );
            continue;
        }
        let target = call.target;
        match (call.op, status) {
            (Op::CreateKey | Op::Rotate, StatusCode::CREATED) => {
                let id = reply.body["key"]["id"].as_str().unwrap().to_owned();
                app.issued(reply.body["secret"].as_str().unwrap());
                tenants[target].keys.insert(id.clone());
                pool.push((id, target));
            }
            (Op::CreateOperator, StatusCode::CREATED) => {
                app.issued(reply.body["invitation"].as_str().unwrap());
                tenants[target].operators.insert(reply.body["operator"]["id"].as_str().unwrap().to_owned());
            }
            (Op::RenameTenant, StatusCode::OK) => tenants[target].name = format!("Renamed {i}"),
            _ => {}
        }
    }
    for tenant in &tenants {
        check_tenant(app, tenant).await?;
    }
    Ok(())
}

/// A tenant with five operators (maker, two checkers, auditor, tenant admin).
async fn tenant(app: &TestApp, id: &str) -> Tenant {
    let ops = app.tenant(id, json!({})).await;
    let admin = ops.admin.clone();
    let listed = app.get(&format!("/v1/tenants/{id}/operators"), ADMIN).await;
    let operators = ids(&listed.body["items"]);
    Tenant {
        id: id.to_owned(),
        tokens: vec![ops.maker, ops.checker, ops.checker2, ops.auditor, admin],
        name: format!("Tenant {id}"),
        keys: BTreeSet::new(),
        operators,
    }
}

/// A key created by the tenant's maker, approved by its checker if `approve`. Returns its id.
async fn seed_key(app: &TestApp, tenant: &Tenant, name: &str, approve: bool) -> String {
    let base = format!("/v1/tenants/{}/keys", tenant.id);
    let created = app.post(&base, &tenant.tokens[0], json!({"name": name, "scopes": ["a:read"]})).await;
    assert_eq!(created.status, StatusCode::CREATED, "seed key: {:?}", created.body);
    app.issued(created.body["secret"].as_str().unwrap());
    let id = created.body["key"]["id"].as_str().unwrap().to_owned();
    if approve {
        let approved = app.post(&format!("{base}/{id}/approve"), &tenant.tokens[1], json!({})).await;
        assert_eq!(approved.status, StatusCode::OK, "seed approval: {:?}", approved.body);
    }
    id
}

fn ids(items: &Value) -> BTreeSet<String> {
    items.as_array().unwrap().iter().map(|item| item["id"].as_str().unwrap().to_owned()).collect()
}

/// Every item of a paginated list, read as the system admin.
async fn all(app: &TestApp, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let url = match &cursor {
            None => format!("{path}?limit=200"),
            Some(c) => format!("{path}?limit=200&cursor={c}"),
        };
        let page = app.get(&url, ADMIN).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {:?}", page.body);
        items.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
    panic!("{path}: more than 100 pages");
}

async fn check_tenant(app: &TestApp, tenant: &Tenant) -> Result<(), TestCaseError> {
    let base = format!("/v1/tenants/{}", tenant.id);
    let keys = all(app, &format!("{base}/keys")).await;
    let listed: BTreeSet<String> = keys.iter().map(|k| k["id"].as_str().unwrap().to_owned()).collect();
    prop_assert_eq!(&listed, &tenant.keys, "{}: exactly the keys its own operators created", tenant.id);
    prop_assert!(keys.iter().all(|k| k["tenant_id"] == tenant.id.as_str()), "{}: keys carry its id", tenant.id);

    let operators = app.get(&format!("{base}/operators"), ADMIN).await;
    prop_assert_eq!(&ids(&operators.body["items"]), &tenant.operators, "{}: exactly its operators", tenant.id);

    let read = app.get(&base, ADMIN).await;
    prop_assert_eq!(read.body["name"].as_str(), Some(tenant.name.as_str()), "{}: named only by its own", tenant.id);

    let actors: BTreeSet<String> =
        tenant.operators.iter().map(|id| format!("operator:{id}")).chain(["system".to_owned()]).collect();
    for entry in all(app, &format!("{base}/audit")).await {
        prop_assert_eq!(
            entry["tenant_id"].as_str(),
            Some(tenant.id.as_str()),
            "{}: audit entry {:?}",
            tenant.id,
            entry
        );
        if let Some(key) = entry["key_id"].as_str() {
            prop_assert!(tenant.keys.contains(key), "{}: audit names a foreign key {:?}", tenant.id, entry);
        }
        let actor = entry["actor"].as_str().unwrap_or("");
        prop_assert!(actors.contains(actor), "{}: audit entry by an outsider {:?}", tenant.id, entry);
    }
    Ok(())
}
