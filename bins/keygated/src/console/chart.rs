//! A key's use per day as an inline SVG bar chart (no chart library, nothing from another origin),
//! with the same numbers in a table for screen readers and keyboard users.

use chrono::NaiveDate;
use maud::{html, Markup};
use serde_json::Value;

const WIDTH: f64 = 620.0;
const HEIGHT: f64 = 120.0;

/// How many days the chart shows, ending today.
pub(super) const DAYS: i64 = 31;

/// Two charts (requests, and spend added up across currencies) over the 31 days ending `today`, from a
/// `UsageView` (which lists only days with use, newest first); a day without use is a zero.
pub(super) fn usage(usage: &Value, today: NaiveDate) -> Markup {
    let known: Vec<&Value> = usage["days"].as_array().map(|d| d.iter().collect()).unwrap_or_default();
    let zero = serde_json::json!({"requests": 0, "spent": "0", "spent_by_currency": {}});
    let days: Vec<(NaiveDate, &Value)> = (0..DAYS)
        .rev()
        .map(|back| today - chrono::Duration::days(back))
        .map(|day| {
            let text = day.to_string();
            (day, known.iter().copied().find(|d| d["day"].as_str() == Some(text.as_str())).unwrap_or(&zero))
        })
        .collect();
    let requests: Vec<f64> = days.iter().map(|(_, d)| d["requests"].as_f64().unwrap_or(0.0)).collect();
    let spent: Vec<f64> =
        days.iter().map(|(_, d)| d["spent"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0.0)).collect();
    html! {
        section.usage aria-labelledby="usage-title" {
            h2 #usage-title { "Usage, last " (days.len()) " days" }
            figure {
                (bars("Requests per day", &requests, "bar-requests"))
                figcaption { "Requests per day" }
            }
            figure {
                (bars("Spend per day", &spent, "bar-spend"))
                figcaption { "Spend per day (all currencies added up)" }
            }
            details {
                summary { "Usage as a table" }
                table {
                    caption { "Requests and spend per day" }
                    thead { tr { th scope="col" { "Day" } th scope="col" { "Requests" } th scope="col" { "Spend" } } }
                    tbody {
                        @for (day, d) in &days {
                            tr {
                                td { (day) }
                                td.num { (d["requests"].as_u64().unwrap_or(0)) }
                                td.num { (spend_text(d)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn spend_text(day: &Value) -> String {
    let per: Vec<String> = day["spent_by_currency"]
        .as_object()
        .map(|m| m.iter().map(|(c, v)| format!("{} {c}", v.as_str().unwrap_or("0"))).collect())
        .unwrap_or_default();
    if per.is_empty() {
        "0".to_owned()
    } else {
        per.join(", ")
    }
}

#[allow(clippy::cast_precision_loss)] // at most 31 bars
fn bars(label: &str, values: &[f64], class: &str) -> Markup {
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let slot = WIDTH / values.len().max(1) as f64;
    html! {
        svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT + 14.0) } role="img" aria-label=(format!("{label}; the numbers are in the table below")) {
            line x1="0" y1=(HEIGHT) x2=(WIDTH) y2=(HEIGHT) class="axis";
            @for (i, v) in values.iter().enumerate() {
                @let h = if max > 0.0 { v / max * (HEIGHT - 4.0) } else { 0.0 };
                rect class=(class) x=(format!("{:.1}", i as f64 * slot + 1.0)) y=(format!("{:.1}", HEIGHT - h))
                    width=(format!("{:.1}", (slot - 2.0).max(1.0))) height=(format!("{h:.1}")) {
                    title { (v) }
                }
            }
            text x="0" y=(HEIGHT + 12.0) class="tick" { "max " (max) }
        }
    }
}
