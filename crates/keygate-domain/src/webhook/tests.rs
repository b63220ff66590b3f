use std::net::IpAddr;

use chrono::{TimeZone, Utc};

use super::*;
use crate::{Actor, ActorId, AuditAction, OperatorAction, OperatorId, Role, RoleSet, TenantId, WebhookId};

fn admin(n: u8) -> Actor {
    Actor::new(ActorId::Operator(OperatorId::from_bytes([n; 16])), RoleSet::of([Role::Admin]))
}

fn new_hook() -> NewWebhook {
    NewWebhook {
        id: WebhookId::from_bytes([7; 16]),
        tenant: TenantId::parse("acme").unwrap(),
        url: WebhookUrl::parse("https://hooks.example.com/in", false).unwrap(),
        events: EventFilter::All,
        description: None,
    }
}

#[test]
fn every_event_name_reads_back_and_star_stands_alone() {
    for event in EventType::SUBSCRIBABLE.into_iter().chain([EventType::WebhookTest]) {
        assert_eq!(EventType::parse(event.as_str()), Some(event), "{event} reads back");
    }
    let cases: [(&[&str], Result<EventFilter, EventFilterError>); 5] = [
        (&["*"], Ok(EventFilter::All)),
        (&[], Err(EventFilterError::Empty)),
        (&["*", "key.created"], Err(EventFilterError::StarWithNames)),
        (&["webhook.test"], Err(EventFilterError::Unknown("webhook.test".to_owned()))),
        (&["key.revoked", "key.revoked"], Ok(EventFilter::Only([EventType::KeyRevoked].into()))),
    ];
    for (names, expected) in cases {
        assert_eq!(EventFilter::parse(names.iter().copied()), expected, "{names:?}");
    }
    assert!(!EventFilter::All.matches(EventType::WebhookTest), "the test event is never subscribed to");
}

#[test]
fn the_issue_events_each_come_from_an_audit_action() {
    let from_audit: Vec<EventType> = AuditAction::ALL
        .into_iter()
        .filter_map(EventType::for_key_action)
        .chain(OperatorAction::ALL.into_iter().filter_map(EventType::for_operator_action))
        .collect();
    // The rest come from the leak report, the tenant's update, and the periodic and spend checks.
    let elsewhere = [
        EventType::KeyLeaked,
        EventType::TenantPolicyChanged,
        EventType::KeyExpiring,
        EventType::KeyExpired,
        EventType::KeyVolumeThreshold,
    ];
    for event in EventType::SUBSCRIBABLE {
        assert!(from_audit.contains(&event) || elsewhere.contains(&event), "{event} has a source");
    }
}

#[test]
fn urls_are_https_with_a_host_and_no_credentials() {
    let cases = [
        ("https://hooks.example.com/in", false, Ok(())),
        ("http://hooks.example.com/in", false, Err(WebhookUrlError::Scheme)),
        ("http://127.0.0.1:9/in", true, Ok(())),
        ("ftp://hooks.example.com/", true, Err(WebhookUrlError::Scheme)),
        ("https://user:pw@hooks.example.com/", false, Err(WebhookUrlError::Credentials)),
        ("https://hooks.example.com/#x", false, Err(WebhookUrlError::Fragment)),
        ("hooks.example.com", false, Err(WebhookUrlError::Syntax)),
    ];
    for (text, allow_http, expected) in cases {
        assert_eq!(WebhookUrl::parse(text, allow_http).map(drop), expected, "{text}");
    }
    let long = format!("https://a.example/{}", "x".repeat(MAX_URL_BYTES));
    assert_eq!(WebhookUrl::parse(&long, false).map(drop), Err(WebhookUrlError::TooLong), "too long");
    let v6 = WebhookUrl::parse("https://[::1]:8443/x", false).unwrap();
    assert_eq!((v6.host(), v6.port(), v6.ip()), ("::1", 8443, Some("::1".parse().unwrap())), "v6 literal");
}

#[test]
fn private_loopback_link_local_and_multicast_addresses_are_refused() {
    let cases = [
        ("127.0.0.1", true),
        ("10.1.2.3", true),
        ("172.16.0.1", true),
        ("192.168.1.1", true),
        ("169.254.169.254", true),
        ("100.64.0.1", true),
        ("224.0.0.1", true),
        ("0.0.0.0", true),
        ("255.255.255.255", true),
        ("::1", true),
        ("::", true),
        ("fe80::1", true),
        ("fd00::1", true),
        ("ff02::1", true),
        ("::ffff:127.0.0.1", true),
        ("::ffff:10.0.0.1", true),
        ("64:ff9b::a00:1", true),
        ("93.184.216.34", false),
        ("2606:4700::1111", false),
        ("::ffff:93.184.216.34", false),
    ];
    for (text, private) in cases {
        let ip: IpAddr = text.parse().unwrap();
        assert_eq!(is_private(ip), private, "{text}");
    }
}

#[test]
fn under_dual_control_a_second_admin_approves_and_the_asker_cannot() {
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
    let (hook, action) = Webhook::create(new_hook(), &admin(1), true, now).unwrap();
    assert_eq!((hook.status, action), (WebhookStatus::PendingApproval, WebhookAction::Requested), "waits");
    assert_eq!(hook.approve(&admin(1), now), Err(WebhookError::SelfApproval), "asker refused");
    let active = hook.approve(&admin(2), now).unwrap();
    assert!(active.sends(), "approved by another admin");

    let new_url = WebhookUrl::parse("https://elsewhere.example.com/", false).unwrap();
    let patch = WebhookPatch { url: Some(new_url.clone()), ..WebhookPatch::default() };
    let (asked, action) = active.patch(patch.clone(), &admin(2), true, now).unwrap();
    assert_eq!((action, &asked.url), (WebhookAction::ChangeRequested, &active.url), "url waits");
    assert_eq!(asked.patch(patch, &admin(3), true, now).map(drop), Err(WebhookError::AlreadyPending), "one at a time");
    assert_eq!(asked.approve(&admin(2), now), Err(WebhookError::SelfApproval), "asker refused");
    assert_eq!(asked.approve(&admin(1), now).unwrap().url, new_url, "applied on approval");

    let off = WebhookPatch { enabled: Some(false), ..WebhookPatch::default() };
    let (disabled, action) = active.patch(off, &admin(1), true, now).unwrap();
    assert_eq!((disabled.status, action), (WebhookStatus::Disabled(DisabledBy::Operator), WebhookAction::Disabled));
    let on = WebhookPatch { enabled: Some(true), ..WebhookPatch::default() };
    let (asked, action) = disabled.patch(on, &admin(1), true, now).unwrap();
    assert_eq!((asked.sends(), action), (false, WebhookAction::ChangeRequested), "enabling again waits");
}
