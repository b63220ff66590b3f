//! `key import` and `key export`. An import sends each line of a CSV or JSONL file as a key's
//! creation, a few at a time, skipping the names the tenant already has (so a re-run after a partial
//! failure creates only what is missing), writes the secrets to a new 0600 file and nowhere else, and
//! reports each failed line with the reason in a report file. An export writes the tenant's keys,
//! which never hold a secret, as JSON lines.

use std::collections::HashSet;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget};
use serde_json::{json, Value};

use super::key_body::{CreateFields, KeyFields};
use super::{each_item, Ctx};
use crate::error::CliError;
use crate::output::{out, OutputMode};
use crate::secret::NewSecretFile;

#[derive(Args)]
pub struct ImportArgs {
    /// The keys: .csv (a header naming the create flags in snake case; scopes and allowed_ips
    /// separated by spaces) or JSONL (each line the create body)
    #[arg(long, value_name = "PATH")]
    file: PathBuf,
    /// Where to write the failed lines and why, as JSON lines
    #[arg(long, value_name = "PATH")]
    report: PathBuf,
    /// A new file (mode 0600) for the secrets, one JSON line per created key
    #[arg(long, value_name = "PATH")]
    secret_file: PathBuf,
    /// How many creations may be in flight at once
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
    concurrency: u16,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Write to this file instead of standard output
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
}

/// One line of the input file.
struct Entry {
    line: u64,
    name: Option<String>,
    body: Result<Value, String>,
}

pub fn import(ctx: &Ctx, args: ImportArgs) -> Result<(), CliError> {
    let entries = read_entries(&args.file)?;
    let path = ctx.tenant_path("/keys")?;
    let mut secrets = NewSecretFile::create(&args.secret_file)?;
    let mut existing = HashSet::new();
    each_item(ctx, &path, &[("limit", Some("200".to_owned()))], |key| {
        if let Some(name) = key["name"].as_str() {
            existing.insert(name.to_owned());
        }
        Ok(())
    })?;
    let mut failures: Vec<(u64, Value)> = Vec::new();
    let mut todo = Vec::new();
    let mut skipped = 0usize;
    for entry in &entries {
        match (&entry.body, &entry.name) {
            (Err(why), _) => failures.push((entry.line, failure(entry, None, "INVALID_LINE", why, None))),
            (Ok(_), Some(name)) if existing.contains(name) => skipped += 1,
            (Ok(body), _) => todo.push((entry, body)),
        }
    }
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(todo.len() as u64), ProgressDrawTarget::stderr())
    } else {
        ProgressBar::hidden()
    };
    let next = AtomicUsize::new(0);
    let created = AtomicUsize::new(0);
    let unavailable = AtomicUsize::new(0);
    let shared = Mutex::new((&mut secrets, &mut failures));
    std::thread::scope(|scope| {
        for _ in 0..args.concurrency {
            scope.spawn(|| {
                while let Some((entry, body)) = todo.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let outcome = ctx.client.post(&path, Some(body));
                    let mut guard = shared.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    let (secrets, failures) = &mut *guard;
                    match outcome {
                        Ok(answer) => {
                            created.fetch_add(1, Ordering::Relaxed);
                            if let Some(secret) = answer["secret"].as_str() {
                                let line = json!({"line": entry.line, "id": answer["key"]["id"],
                                    "name": answer["key"]["name"], "secret": secret});
                                if let Err(e) = secrets.line(&line.to_string()) {
                                    failures.push((
                                        entry.line,
                                        failure(entry, None, "SECRET_NOT_WRITTEN", &e.to_string(), None),
                                    ));
                                }
                            }
                        }
                        Err(CliError::Refused { status, code, detail, field }) => {
                            failures.push((entry.line, failure(entry, Some(status), &code, &detail, field)));
                        }
                        Err(e) => {
                            unavailable.fetch_add(1, Ordering::Relaxed);
                            failures.push((entry.line, failure(entry, None, "UNAVAILABLE", &e.to_string(), None)));
                        }
                    }
                    bar.inc(1);
                }
            });
        }
    });
    bar.finish_and_clear();
    failures.sort_by_key(|(line, _)| *line);
    write_report(&args.report, &failures)?;
    let created = created.into_inner();
    let summary = json!({"created": created, "skipped": skipped, "failed": failures.len(),
        "report": args.report.display().to_string(), "secret_file": args.secret_file.display().to_string()});
    match ctx.out.mode {
        OutputMode::Table => out(&format!(
            "created {created}, skipped {skipped} (name exists), failed {} (see {})\n",
            failures.len(),
            args.report.display()
        ))?,
        _ => ctx.out.object(&summary)?,
    }
    match (failures.len(), unavailable.into_inner()) {
        (0, _) => Ok(()),
        (n, 0) => Err(CliError::Denied(format!("{n} line(s) failed: see {}", args.report.display()))),
        (n, _) => Err(CliError::Unavailable(format!("{n} line(s) failed: see {}", args.report.display()))),
    }
}

pub fn export(ctx: &Ctx, args: ExportArgs) -> Result<(), CliError> {
    let path = ctx.tenant_path("/keys")?;
    let query = [("limit", Some("200".to_owned()))];
    match args.file {
        None => each_item(ctx, &path, &query, |key| out(&format!("{key}\n"))),
        Some(file) => {
            let mut writer = std::io::BufWriter::new(
                std::fs::File::create(&file).map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?,
            );
            each_item(ctx, &path, &query, |key| {
                writeln!(writer, "{key}").map_err(|e| CliError::usage(format!("{}: {e}", file.display())))
            })?;
            writer.flush().map_err(|e| CliError::usage(format!("{}: {e}", file.display())))
        }
    }
}

fn failure(entry: &Entry, status: Option<u16>, code: &str, detail: &str, field: Option<String>) -> Value {
    json!({"line": entry.line, "name": entry.name, "status": status, "code": code, "detail": detail, "field": field})
}

fn write_report(path: &Path, failures: &[(u64, Value)]) -> Result<(), CliError> {
    let mut text = String::new();
    for (_, failure) in failures {
        text.push_str(&failure.to_string());
        text.push('\n');
    }
    std::fs::write(path, text).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
}

fn read_entries(path: &Path) -> Result<Vec<Entry>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
        return csv_entries(&text);
    }
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let body = serde_json::from_str::<Value>(line).map_err(|e| format!("not JSON: {e}")).and_then(|v| {
            if v.is_object() {
                Ok(v)
            } else {
                Err("not a JSON object".to_owned())
            }
        });
        let name = body.as_ref().ok().and_then(|b| b["name"].as_str()).map(str::to_owned);
        entries.push(Entry { line: index as u64 + 1, name, body });
    }
    Ok(entries)
}

/// The columns a CSV file may have: the create flags in snake case.
const KNOWN: &[&str] = &[
    "name",
    "scopes",
    "environment",
    "currency",
    "max_amount",
    "daily_volume",
    "allowed_ips",
    "expires_in_days",
    "never_expires",
    "notes",
    "account_id",
    "external_id",
];

/// A CSV file: a header naming the create flags in snake case, then one key a row.
fn csv_entries(text: &str) -> Result<Vec<Entry>, CliError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| CliError::usage(format!("CSV header: {e}")))?.clone();
    if let Some(unknown) = headers.iter().find(|h| !KNOWN.contains(h)) {
        return Err(CliError::usage(format!("CSV column {unknown:?} is not one of {}", KNOWN.join(", "))));
    }
    let mut entries = Vec::new();
    for record in reader.records() {
        let (line, body) = match record {
            Ok(record) => {
                let line = record.position().map_or(0, csv::Position::line);
                let get = |column: &str| -> Option<String> {
                    let index = headers.iter().position(|h| h == column)?;
                    record.get(index).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
                };
                (line, csv_body(&get))
            }
            Err(e) => (e.position().map_or(0, csv::Position::line), Err(format!("not CSV: {e}"))),
        };
        let name = body.as_ref().ok().and_then(|b| b["name"].as_str()).map(str::to_owned);
        entries.push(Entry { line, name, body });
    }
    Ok(entries)
}

fn csv_body(get: &dyn Fn(&str) -> Option<String>) -> Result<Value, String> {
    let words =
        |column: &str| get(column).map(|v| v.split_whitespace().map(str::to_owned).collect()).unwrap_or_default();
    let owned = |column: &str| get(column);
    let fields = CreateFields {
        name: get("name").ok_or("no name")?,
        environment: owned("environment"),
        expires_in_days: get("expires_in_days")
            .map(|d| d.parse().map_err(|_| format!("expires_in_days {d:?} is not a number of days")))
            .transpose()?,
        never_expires: get("never_expires").is_some_and(|v| v == "true"),
        account_id: owned("account_id"),
        fields: KeyFields {
            scopes: words("scopes"),
            currency: owned("currency"),
            max_amount: owned("max_amount"),
            daily_volume: owned("daily_volume"),
            allowed_ips: words("allowed_ips"),
            limits: None,
            notes: owned("notes"),
            external_id: owned("external_id"),
        },
    };
    fields.body().map_err(|e| e.to_string())
}
