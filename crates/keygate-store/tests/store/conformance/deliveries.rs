//! The delivery queue: however many processes claim at once each due row goes to one lease; a lease
//! that lapsed (its process stopped mid-attempt) is claimed again and the old lease's report is
//! refused; a failure starts the endpoint's `failing_since`, a delivery clears it, and a report that
//! carries a disable stops the endpoint with its audit entry, all or nothing.

use std::collections::HashSet;

use chrono::Duration as Span;
use keygate_domain::webhook::{EventFilter, EventType, NewWebhook, Webhook, WebhookAction, WebhookUrl};
use keygate_domain::{ActorId, Role, WebhookId};
use keygate_store::{
    AuditEntry, AuditKind, DeliveryReport, DeliveryStatus, OutboxEvent, SealedSecret, Tenant, WebhookRecord,
};

use super::Store;
use crate::fixtures::*;

/// An endpoint of `t` that sends every event (created without dual control).
async fn given_sending_hook(store: &Store, t: &Tenant, n: u8) -> WebhookId {
    let new = NewWebhook {
        id: WebhookId::from_bytes([n; 16]),
        tenant: t.id.clone(),
        url: WebhookUrl::parse("https://hooks.example.com/in", false).unwrap(),
        events: EventFilter::parse(["*"]).unwrap(),
        description: None,
    };
    let admin = actor(1, &[Role::Admin]);
    let (hook, action) = Webhook::create(new, &admin, false, now()).unwrap();
    assert!(hook.sends());
    let record = WebhookRecord { webhook: hook, secret: SealedSecret(vec![7; 72]), previous_secret: None };
    store.create_webhook(&record, &audit(&t.id, None, admin.id, AuditKind::Webhook(action))).await.unwrap();
    record.webhook.id
}

/// `count` test events queued for `hook`, due now.
async fn queued(store: &Store, t: &Tenant, hook: WebhookId, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..count {
        let event = OutboxEvent::new(&t.id, EventType::WebhookTest, None, ActorId::System, now());
        ids.push(store.enqueue_event(&event, hook).await.unwrap().id);
    }
    ids
}

fn report(t: &Tenant, delivery: &str, lease: &str, status: DeliveryStatus, at_minutes: i64) -> DeliveryReport {
    DeliveryReport {
        delivery_id: delivery.to_owned(),
        tenant: t.id.clone(),
        lease_token: lease.to_owned(),
        status,
        response_status: Some(if status == DeliveryStatus::Delivered { 200 } else { 500 }),
        response_body: None,
        latency_ms: 3,
        error: None,
        retry_at: (status == DeliveryStatus::Failed).then(|| now() + Span::minutes(at_minutes + 1)),
        at: now() + Span::minutes(at_minutes),
        disable: None,
    }
}

pub async fn racing_claims_give_each_due_delivery_to_one_lease(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let hook = given_sending_hook(&a, &t, 1).await;
    let queued: HashSet<String> = queued(&a, &t, hook, 40).await.into_iter().collect();
    let until = now() + Span::minutes(1);
    let tasks: Vec<_> = (0..8)
        .map(|n| {
            let store = if n % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { store.claim_deliveries(now(), until, &format!("lease-{n}"), 7).await })
        })
        .collect();
    let mut claimed = Vec::new();
    for task in tasks {
        let batch = task.await.unwrap().unwrap();
        assert!(batch.len() <= 7, "a claim takes at most its limit");
        claimed.extend(batch.into_iter().map(|c| c.delivery.id));
    }
    let distinct: HashSet<String> = claimed.iter().cloned().collect();
    assert_eq!(distinct.len(), claimed.len(), "no row claimed twice");
    assert_eq!(distinct, queued, "eight claims of seven cover forty rows");
    assert!(b.claim_deliveries(now(), until, "late", 50).await.unwrap().is_empty(), "all under live leases");
}

pub async fn a_lapsed_lease_is_claimed_again_and_the_old_leases_report_is_refused(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let hook = given_sending_hook(&a, &t, 1).await;
    let id = queued(&a, &t, hook, 1).await.remove(0);
    let lapses = now() + Span::minutes(1);
    let first = a.claim_deliveries(now(), lapses, "dead-process", 10).await.unwrap();
    assert_eq!(first.iter().map(|c| &c.delivery.id).collect::<Vec<_>>(), [&id]);
    assert_eq!(first[0].webhook.webhook.id, hook, "the claim carries its endpoint");
    let during = now() + Span::seconds(59);
    assert!(b.claim_deliveries(during, during + Span::minutes(1), "other", 10).await.unwrap().is_empty());
    let second = b.claim_deliveries(lapses, lapses + Span::minutes(1), "other", 10).await.unwrap();
    assert_eq!(second.len(), 1, "taken over once the lease lapsed");
    assert!(
        !a.finish_delivery(&report(&t, &id, "dead-process", DeliveryStatus::Delivered, 1)).await.unwrap(),
        "the lapsed lease's report writes nothing"
    );
    assert!(b.finish_delivery(&report(&t, &id, "other", DeliveryStatus::Delivered, 1)).await.unwrap());
    assert!(!b.finish_delivery(&report(&t, &id, "other", DeliveryStatus::Delivered, 1)).await.unwrap(), "once");
    let log = a.deliveries(&t.id, hook, None, None, 10).await.unwrap().items;
    assert_eq!(log.len(), 1, "one row, delivered: {log:?}");
    assert_eq!(log[0].status, DeliveryStatus::Delivered);
}

pub async fn failures_mark_the_endpoint_failing_until_a_disable_stops_it_with_its_audit_entry(a: Store, b: Store) {
    let t = given_tenant(&*a, "acme").await;
    let hook = given_sending_hook(&a, &t, 1).await;
    let id = queued(&a, &t, hook, 1).await.remove(0);
    let until = now() + Span::minutes(1);
    a.claim_deliveries(now(), until, "l1", 10).await.unwrap();
    assert!(a.finish_delivery(&report(&t, &id, "l1", DeliveryStatus::Failed, 0)).await.unwrap());
    let failing = b.webhook(&t.id, hook).await.unwrap().webhook;
    assert_eq!(failing.failing_since, Some(now()), "the first failure starts the count");
    let retry = b.claim_deliveries(now() + Span::minutes(1), until + Span::minutes(1), "l2", 10).await.unwrap();
    assert_eq!(retry.len(), 1, "the failure queued its retry");
    assert_eq!((retry[0].delivery.attempt, &retry[0].delivery.event_id), (2, &retry[0].event.id));
    let retry_id = retry[0].delivery.id.clone();

    let at = now() + Span::days(3);
    let disabled = failing.disable_for_failures(at);
    let entry = AuditEntry::new(&t.id, None, ActorId::System, AuditKind::Webhook(WebhookAction::Disabled), at);
    let last = DeliveryReport {
        retry_at: None,
        at,
        disable: Some((disabled, entry)),
        ..report(&t, &retry_id, "l2", DeliveryStatus::Failed, 0)
    };
    assert!(a.finish_delivery(&last).await.unwrap());
    let stopped = b.webhook(&t.id, hook).await.unwrap().webhook;
    assert!(!stopped.sends(), "disabled after three days of failures");
    assert_eq!(stopped.failing_since, Some(now()), "still says since when it failed");
    let audit = b.audit(&t.id, None, None, 10).await.unwrap().items;
    assert!(
        audit.iter().any(|e| e.actor == ActorId::System && e.action == AuditKind::Webhook(WebhookAction::Disabled)),
        "the disable is audited as keygate's own move: {audit:?}"
    );
    queued(&a, &t, hook, 1).await;
    assert!(
        a.claim_deliveries(at, at + Span::minutes(1), "l3", 10).await.unwrap().is_empty(),
        "a disabled endpoint's rows are not claimed"
    );
}
