//! The code table: text, status and parsing of every denial code, and the code of every denial.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;

use keygate_domain::{Amount, Currency, CurrencyClass, Scope, Window};
use rust_decimal::Decimal;

use super::*;

/// The table as the API documents it, written out independently of the `match`es it checks.
const TABLE: [(DenialCode, &str, u16); 26] = [
    (DenialCode::Malformed, "MALFORMED", 401),
    (DenialCode::NotFound, "NOT_FOUND", 401),
    (DenialCode::PendingApproval, "PENDING_APPROVAL", 401),
    (DenialCode::Rejected, "REJECTED", 401),
    (DenialCode::Revoked, "REVOKED", 401),
    (DenialCode::Suspended, "SUSPENDED", 401),
    (DenialCode::Expired, "EXPIRED", 401),
    (DenialCode::WrongTenant, "WRONG_TENANT", 403),
    (DenialCode::WrongAccount, "WRONG_ACCOUNT", 403),
    (DenialCode::WrongEnvironment, "WRONG_ENVIRONMENT", 403),
    (DenialCode::InsufficientScope, "INSUFFICIENT_SCOPE", 403),
    (DenialCode::IpNotAllowed, "IP_NOT_ALLOWED", 403),
    (DenialCode::AmountOverLimit, "AMOUNT_OVER_LIMIT", 403),
    (DenialCode::UnknownCurrency, "UNKNOWN_CURRENCY", 400),
    (DenialCode::AmountPrecision, "AMOUNT_PRECISION", 400),
    (DenialCode::CurrencyMismatch, "CURRENCY_MISMATCH", 403),
    (DenialCode::DailyVolumeExceeded, "DAILY_VOLUME_EXCEEDED", 429),
    (DenialCode::WeeklyVolumeExceeded, "WEEKLY_VOLUME_EXCEEDED", 429),
    (DenialCode::MonthlyVolumeExceeded, "MONTHLY_VOLUME_EXCEEDED", 429),
    (DenialCode::SignatureRequired, "SIGNATURE_REQUIRED", 401),
    (DenialCode::SignatureIncomplete, "SIGNATURE_INCOMPLETE", 401),
    (DenialCode::StaleSignature, "STALE_SIGNATURE", 401),
    (DenialCode::DigestMismatch, "DIGEST_MISMATCH", 401),
    (DenialCode::BadSignature, "BAD_SIGNATURE", 401),
    (DenialCode::Replayed, "REPLAYED", 401),
    (DenialCode::RateLimited, "RATE_LIMITED", 429),
];

fn check(code: DenialCode, text: &str, status: u16) {
    assert_eq!(code.as_str(), text, "{code:?} prints as {text}");
    assert_eq!(code.to_string(), text, "{code:?} displays as {text}");
    assert_eq!(text.parse::<DenialCode>(), Ok(code), "{text} parses back to {code:?}");
    assert_eq!(code.status(), status, "{code:?} answers HTTP {status}");
    let title = code.title();
    assert!(!title.is_empty() && !title.ends_with('.'), "{code:?} title {title:?} is a sentence without a period");
    assert!(title.starts_with(char::is_uppercase), "{code:?} title {title:?} starts with a capital");
}

#[test]
fn every_code_prints_parses_back_and_answers_its_documented_status() {
    for (code, text, status) in TABLE {
        check(code, text, status);
    }
    let listed: HashSet<DenialCode> = TABLE.iter().map(|row| row.0).collect();
    let all: HashSet<DenialCode> = DenialCode::ALL.into_iter().collect();
    assert_eq!(all.len(), 26, "ALL holds twenty-six distinct codes");
    assert_eq!(listed, all, "the documented table covers exactly ALL");
    let titles: HashSet<&str> = DenialCode::ALL.iter().map(|c| c.title()).collect();
    assert_eq!(titles.len(), 26, "every code has its own title");
}

#[test]
fn text_that_is_not_exactly_a_code_does_not_parse() {
    for text in ["", "revoked", "Revoked", " REVOKED", "REVOKED ", "NOT FOUND", "DENIED"] {
        assert_eq!(text.parse::<DenialCode>(), Err(ParseDenialCodeError), "{text:?} is not a code");
    }
}

#[test]
fn every_denial_has_the_code_and_status_of_its_reason() {
    let scope = Scope::parse("payouts:write").unwrap();
    let cases = [
        (Denial::Malformed, DenialCode::Malformed),
        (Denial::NotFound, DenialCode::NotFound),
        (Denial::PendingApproval, DenialCode::PendingApproval),
        (Denial::Rejected, DenialCode::Rejected),
        (Denial::Revoked, DenialCode::Revoked),
        (Denial::Suspended, DenialCode::Suspended),
        (Denial::Expired, DenialCode::Expired),
        (Denial::WrongTenant, DenialCode::WrongTenant),
        (Denial::WrongAccount, DenialCode::WrongAccount),
        (Denial::WrongEnvironment, DenialCode::WrongEnvironment),
        (Denial::InsufficientScope { missing: vec![scope] }, DenialCode::InsufficientScope),
        (Denial::IpNotAllowed, DenialCode::IpNotAllowed),
        (Denial::AmountOverLimit { max_amount: Amount::parse("100").unwrap() }, DenialCode::AmountOverLimit),
        (Denial::UnknownCurrency { currency: Currency::parse("ZZZ").unwrap() }, DenialCode::UnknownCurrency),
        (Denial::AmountPrecision { currency: Currency::parse("XOF").unwrap(), scale: 0 }, DenialCode::AmountPrecision),
        (
            Denial::CurrencyMismatch { accepted: vec![Currency::parse("XOF").unwrap()], class: None },
            DenialCode::CurrencyMismatch,
        ),
        (volume(Window::Day, Decimal::ZERO), DenialCode::DailyVolumeExceeded),
        (volume(Window::Week, Decimal::ZERO), DenialCode::WeeklyVolumeExceeded),
        (volume(Window::Month, Decimal::ZERO), DenialCode::MonthlyVolumeExceeded),
        (Denial::SignatureRequired, DenialCode::SignatureRequired),
        (Denial::SignatureIncomplete { missing: "@query" }, DenialCode::SignatureIncomplete),
        (Denial::StaleSignature { skew_seconds: 300 }, DenialCode::StaleSignature),
        (Denial::DigestMismatch, DenialCode::DigestMismatch),
        (Denial::BadSignature, DenialCode::BadSignature),
        (Denial::Replayed, DenialCode::Replayed),
        (Denial::RateLimited { limit: "per-second".into(), retry_after: 1 }, DenialCode::RateLimited),
    ];
    for (denial, code) in &cases {
        assert_eq!(denial.code(), *code, "{denial:?} has code {code:?}");
        assert_eq!(denial.status(), code.status(), "{denial:?} answers its code's status");
        let message = denial.to_string();
        assert!(!message.is_empty() && !message.ends_with('.'), "{denial:?} message {message:?} has no period");
    }
    let covered: HashSet<DenialCode> = cases.iter().map(|case| case.1).collect();
    assert_eq!(covered.len(), DenialCode::ALL.len(), "every code has a denial");
}

#[test]
fn denial_messages_name_the_details_a_caller_can_act_on() {
    let scopes = vec![Scope::parse("payouts:write").unwrap(), Scope::parse("balances:read").unwrap()];
    let cases = [
        (Denial::InsufficientScope { missing: scopes }, "payouts:write, balances:read", "every missing scope"),
        (Denial::AmountOverLimit { max_amount: Amount::parse("250.50").unwrap() }, "250.50", "the maximum"),
        (
            Denial::CurrencyMismatch { accepted: vec![Currency::parse("XOF").unwrap()], class: None },
            "XOF",
            "the expected currency",
        ),
        (Denial::CurrencyMismatch { accepted: vec![], class: Some(CurrencyClass::Fiat) }, "fiat", "the key's class"),
        (volume(Window::Day, Decimal::new(1250, 2)), "12.50", "what remains today"),
        (volume(Window::Week, Decimal::ONE), "weekly", "which window"),
        (Denial::SignatureIncomplete { missing: "content-digest" }, "content-digest", "what is not covered"),
        (Denial::StaleSignature { skew_seconds: 120 }, "120 s", "the skew allowed"),
    ];
    for (denial, detail, why) in cases {
        assert!(denial.to_string().contains(detail), "{denial:?} message names {why}: {detail}");
    }
}

fn volume(window: Window, remaining: Decimal) -> Denial {
    Denial::VolumeExceeded { window, remaining, retry_after: 60 }
}
