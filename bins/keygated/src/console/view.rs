//! Small renderings shared by the pages. They read the JSON API's own views (`KeyView` and the rest,
//! serialized), so the console shows exactly what the API answers.

use std::fmt::Write as _;

use maud::{html, Markup};
use serde_json::Value;

/// A string field, or an em dash when absent.
pub(super) fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".to_owned(),
        other => other.to_string(),
    }
}

/// An RFC 3339 instant as `2026-11-29 07:40 UTC`; an em dash when absent.
pub(super) fn when(v: &Value) -> String {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map_or_else(|| "—".to_owned(), |t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M UTC").to_string())
}

/// A list of strings joined with commas; `empty` when there are none.
pub(super) fn joined(v: &Value, empty: &str) -> String {
    let items: Vec<&str> = v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    if items.is_empty() {
        empty.to_owned()
    } else {
        items.join(", ")
    }
}

/// A key's limits in a line: per currency its amount and volumes, then its rate limits.
pub(super) fn limits(limits: &Value, class: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(class) = class.as_str() {
        parts.push(format!("{class} only"));
    }
    for a in limits["amounts"].as_array().into_iter().flatten() {
        let mut entry = text(&a["currency"]);
        for (field, label) in
            [("max_amount", "max"), ("daily_volume", "day"), ("weekly_volume", "week"), ("monthly_volume", "month")]
        {
            if let Some(v) = a[field].as_str() {
                let _ = write!(entry, " · {label} {v}");
            }
        }
        parts.push(entry);
    }
    for r in limits["rate"].as_array().into_iter().flatten() {
        parts.push(format!("{} per {} s ({})", text(&r["limit"]), text(&r["window_seconds"]), text(&r["name"])));
    }
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join("; ")
    }
}

/// The environment as a badge (`Test` / `Live`).
pub(super) fn environment(env: &str) -> Markup {
    let label = if env == "live" { "Live" } else { "Test" };
    html! { span class={ "badge env-" (env) } { (label) } }
}

/// A state's label as the console's tabs name it.
pub(super) fn state(state: &str) -> &'static str {
    match state {
        "pending_approval" => "Pending",
        "active" => "Active",
        "revocation_pending" => "Pending revocation",
        "suspended" => "Suspended",
        "revoked" => "Revoked",
        "rejected" => "Rejected",
        _ => "Unknown",
    }
}

/// The expiry cell: the date, `Never`, or a warning icon and `Expired`.
pub(super) fn expiry(key: &Value) -> Markup {
    html! {
        @if key["expired"].as_bool() == Some(true) {
            span.expired-flag { span.icon aria-hidden="true" { "⚠" } " Expired" }
            " " span.muted { (when(&key["expires_at"])) }
        } @else if key["expires_at"].is_null() {
            "Never"
        } @else {
            (when(&key["expires_at"]))
        }
    }
}

/// A notice after a successful move, from the `done` query parameter the redirect carries.
pub(super) fn notice(done: Option<&str>) -> Markup {
    let text = match done {
        Some("approve") => "Approved.",
        Some("reject") => "Rejected.",
        Some("revoke") => "Revocation asked.",
        Some("revocation/approve") => "Revocation approved: the key is refused from now on.",
        Some("revocation/reject") => "Revocation rejected.",
        Some("change/approve") => "Change approved.",
        Some("change/reject") => "Change rejected.",
        Some("suspend") => "Suspended: the key is refused from now on.",
        Some("resume") => "Resume asked.",
        Some("resume/approve") => "Resume approved.",
        Some("resume/reject") => "Resume rejected.",
        Some("disable") => "Disabled.",
        Some("enable") => "Re-enabling asked.",
        _ => return html! {},
    };
    html! { p.notice role="status" { (text) } }
}
