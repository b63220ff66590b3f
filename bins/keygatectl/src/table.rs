//! A small table printer: aligned columns, a header in capitals, states coloured when asked. Cells
//! are JSON values rendered as a person reads them: a string as is, `null` as `-`, a list of strings
//! joined with commas, anything else as compact JSON.

use std::fmt::Write as _;

use serde_json::Value;

/// A column: its header and the member of each row it shows.
pub type Column = (&'static str, &'static str);

/// Renders `rows` under `columns`; the column named `state` or `status` is coloured when `colour`.
pub fn rows(columns: &[Column], rows: &[Value], colour: bool) -> String {
    let cells: Vec<Vec<String>> =
        rows.iter().map(|row| columns.iter().map(|(_, member)| cell(&row[*member])).collect()).collect();
    let headers: Vec<String> = columns.iter().map(|(header, _)| (*header).to_owned()).collect();
    let coloured: Vec<bool> = columns.iter().map(|(_, member)| is_state(member)).collect();
    render(&headers, &cells, &coloured, colour)
}

/// Renders one object as two columns, member and value; nested objects flatten to `a.b`.
pub fn object(value: &Value, colour: bool) -> String {
    let mut pairs = Vec::new();
    flatten("", value, &mut pairs);
    let cells: Vec<Vec<String>> = pairs.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect();
    let mut out = String::new();
    let width = cells.iter().map(|c| c[0].chars().count()).max().unwrap_or(0);
    for row in &cells {
        let value =
            if colour && is_state(row[0].rsplit('.').next().unwrap_or("")) { paint(&row[1]) } else { row[1].clone() };
        let _ = writeln!(out, "{:width$}  {value}", row[0]);
    }
    out
}

/// A cell's text.
pub fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            if items.is_empty() {
                "-".to_owned()
            } else {
                items.iter().map(cell).collect::<Vec<_>>().join(",")
            }
        }
        other => other.to_string(),
    }
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(members) if prefix.is_empty() || !members.is_empty() => {
            for (name, member) in members {
                let key = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
                flatten(&key, member, out);
            }
        }
        other => out.push((prefix.to_owned(), cell(other))),
    }
}

fn render(headers: &[String], cells: &[Vec<String>], coloured: &[bool], colour: bool) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in cells {
        for (i, text) in row.iter().enumerate() {
            widths[i] = widths[i].max(text.chars().count());
        }
    }
    let mut out = String::new();
    let last = headers.len().saturating_sub(1);
    let mut line = |row: &[String], header: bool| {
        for (i, text) in row.iter().enumerate() {
            // Pad first, then colour: escape codes take no room on the screen.
            let padded = if i == last { text.clone() } else { format!("{text:width$}", width = widths[i]) };
            let shown = if colour && !header && coloured[i] { paint(&padded) } else { padded };
            out.push_str(&shown);
            out.push_str(if i == last { "\n" } else { "  " });
        }
    };
    line(headers, true);
    for row in cells {
        line(row, false);
    }
    out
}

fn is_state(member: &str) -> bool {
    member == "state" || member == "status" || member == "valid"
}

/// Green for what works, yellow for what waits, red for what is stopped or refused.
fn paint(text: &str) -> String {
    let word = text.trim();
    let code = match word {
        "active" | "true" | "delivered" | "succeeded" => "32",
        w if w.starts_with("pending") || w.ends_with("_pending") || w == "invited" => "33",
        "revoked" | "rejected" | "suspended" | "disabled" | "false" | "failed" | "expired" => "31",
        _ => return text.to_owned(),
    };
    format!("\u{1b}[{code}m{text}\u{1b}[0m")
}

#[cfg(test)]
mod tests;
