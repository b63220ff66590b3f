//! What a request carries besides its asker: a tenant's pending policy widening (every setting, and
//! removing the lifetime cap or the scope catalogue as distinct from leaving it alone) and, on keys,
//! the person behind the maker and behind each pending request.

use chrono::Duration;
use keygate_domain::{
    ActorId, CatalogueResource, Currency, CurrencyClass, CurrencySpec, Event, PolicyPatch, PolicyRequest,
    ScopeCatalogue, TenantPolicy, Timezone,
};
use keygate_store::{AuditKind, PendingPolicy};

use super::Store;
use crate::fixtures::*;

fn person(n: u8) -> ActorId {
    ActorId::Operator(operator_id(n))
}

/// The second seed's payouts and wallets, with and without a description.
fn catalogue() -> ScopeCatalogue {
    ScopeCatalogue::new([
        CatalogueResource::parse("payouts", Some("Payouts"), ["read", "write", "approve"]).unwrap(),
        CatalogueResource::parse("wallets", None, ["read"]).unwrap(),
    ])
    .unwrap()
}

pub async fn a_tenants_pending_policy_round_trips_including_removing_the_lifetime_cap(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let everything = PolicyPatch {
        dual_control: Some(false),
        live_enabled: Some(true),
        max_key_lifetime_days: Some(None),
        allow_never_expiring: Some(true),
        integrator_approvals: Some(true),
        timezone: Some(Timezone::parse("America/New_York").unwrap()),
        currency: Some((Currency::parse("USDT").unwrap(), CurrencySpec::new(CurrencyClass::Crypto, 8).unwrap())),
        on_leak: Some(keygate_domain::OnLeak::Notify),
        name_mutable: Some(true),
        require_account: Some(false),
        reveal: Some(keygate_domain::RevealPolicy::OnCreate),
        reveal_window_hours: Some(keygate_domain::RevealWindow::hours(720).unwrap()),
        scope_catalogue: Some(Some(catalogue())),
        webhook_expiry_lead_days: Some(keygate_domain::webhook::ExpiryLead::days(30).unwrap()),
        signature_skew_seconds: Some(keygate_domain::SignatureSkew::seconds(120).unwrap()),
    };
    let cases = [
        ("every setting, the cap removed", Some(everything)),
        ("a longer cap only", Some(PolicyPatch { max_key_lifetime_days: Some(Some(800)), ..PolicyPatch::default() })),
        ("the cap left alone", Some(PolicyPatch { integrator_approvals: Some(true), ..PolicyPatch::default() })),
        ("the scope catalogue removed", Some(PolicyPatch { scope_catalogue: Some(None), ..PolicyPatch::default() })),
        ("nothing pending any more", None),
    ];
    let mut current = t.clone();
    for (what, patch) in cases {
        let mut next = current.clone();
        next.version += 1;
        next.updated_at = current.updated_at + Duration::seconds(1);
        next.policy = TenantPolicy {
            integrator_approvals: !current.policy.integrator_approvals,
            // A catalogue in force, then none, and so on: both read back.
            scope_catalogue: current.policy.scope_catalogue.is_none().then(catalogue),
            ..current.policy.clone()
        };
        next.pending_policy = patch.map(|patch| PendingPolicy {
            request: PolicyRequest { patch, requested_by: person(1), requested_for: person(2) },
            requested_at: next.updated_at,
        });
        let entry = audit(&t.id, None, person(1), AuditKind::PolicyRequested);
        a.update_tenant(&next, current.version, &entry).await.unwrap();
        assert_eq!(b.tenant(&t.id).await.unwrap(), next, "{what}");
        current = next;
    }
    let log = b.audit(&t.id, None, None, 100).await.unwrap().items;
    assert_eq!(log[0].action, AuditKind::PolicyRequested, "the new audit kinds read back");
}

pub async fn keys_keep_the_person_behind_their_maker_and_each_request(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    // An integrator key acting for person 40 makes the key; persons 41 and 42 stand behind the asks.
    let mut by_integrator = maker();
    by_integrator.principal = person(40);
    let (mut record, mut created) = new_key(&t, "POS Integration", daily_limit("10"), now());
    record.key.created_for = by_integrator.principal;
    created.key = record.key.clone();
    a.commit(&[insert(&record, &created)]).await.unwrap();
    let stored = b.key(&t.id, record.key.id).await.unwrap().key;
    assert_eq!((stored.created_by, stored.created_for), (maker().id, person(40)), "maker and its principal");

    let approved = record.key.apply(Event::Approve, &checker(2), &t.policy, now()).unwrap();
    a.commit(&[update(&record.key, &approved, &checker(2))]).await.unwrap();
    let mut asker = maker();
    asker.principal = person(41);
    let change = approved.key.apply(
        Event::RequestChange { privileges: rich_privileges(), owner: keygate_domain::Owner::default() },
        &asker,
        &t.policy,
        now(),
    );
    let change = change.unwrap();
    a.commit(&[update(&approved.key, &change, &asker)]).await.unwrap();
    asker.principal = person(42);
    let revoking =
        change.key.apply(Event::RequestRevocation { reason: reason("leaked") }, &asker, &t.policy, now()).unwrap();
    a.commit(&[update(&change.key, &revoking, &asker)]).await.unwrap();

    let stored = b.key(&t.id, record.key.id).await.unwrap().key;
    assert_eq!(stored, revoking.key, "the whole key round-trips");
    let pending = stored.pending_change.as_ref().map(|p| (p.requested_by, p.requested_for));
    assert_eq!(pending, Some((maker().id, person(41))), "the pending change's asker and principal");
    let revocation = stored.revocation.as_ref().map(|r| (r.requested_by, r.requested_for));
    assert_eq!(revocation, Some((maker().id, person(42))), "the revocation's asker and principal");
}
