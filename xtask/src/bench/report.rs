//! The report: rows (floor, measured figure, target, met or missed), criterion medians, profiles, the
//! machine and the exact commands; written as `docs/performance.md` and as JSON to
//! `target/bench/results.json`. Generated: the run overwrites both files whole, but for the report's
//! last section (figures from tests, written by hand), which it keeps.

use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

use super::Settings;

/// The heading of the report's last section, written by hand (figures from tests, not from a bench run):
/// a new report keeps it and everything after it.
const KEPT_FROM: &str = "\n## From the tests (written by hand)";

/// Microseconds as milliseconds, e.g. `0.42 ms`.
pub fn ms(us: f64) -> String {
    format!("{:.2} ms", us / 1000.0)
}

/// A share as a percentage, e.g. `72.3%`.
pub fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// One row of the table.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub id: String,
    pub title: String,
    pub floor: String,
    pub measured: String,
    pub target: String,
    pub met: Option<bool>,
    pub figures: Vec<(String, f64)>,
}

impl Row {
    pub fn new(id: &str, title: &str) -> Self {
        Self { id: id.to_owned(), title: title.to_owned(), floor: "—".to_owned(), ..Self::default() }
    }

    #[must_use]
    pub fn floor(mut self, text: String) -> Self {
        self.floor = text;
        self
    }

    #[must_use]
    pub fn measured(mut self, text: String) -> Self {
        self.measured = text;
        self
    }

    #[must_use]
    pub fn target(mut self, text: String, met: bool) -> Self {
        self.target = text;
        self.met = Some(met);
        self
    }

    #[must_use]
    pub fn figures(mut self, figures: &[(&str, f64)]) -> Self {
        self.figures.extend(figures.iter().map(|(k, v)| ((*k).to_owned(), *v)));
        self
    }
}

/// Where a profiled process spent its CPU samples.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub label: String,
    /// (share of samples, shared object, symbol), largest first.
    pub top: Vec<(f64, String, String)>,
    /// (area, share of samples), largest first.
    pub areas: Vec<(String, f64)>,
}

/// The whole report.
#[derive(Debug, Default)]
pub struct Report {
    date: String,
    machine: Vec<(String, String)>,
    settings: Vec<(String, String)>,
    pub rows: Vec<Row>,
    /// (criterion benchmark id, median ns).
    pub micro: Vec<(String, f64)>,
    /// `bench-client timing`'s line (in-process ns by kind of credential).
    pub timing: Option<String>,
    pub profiles: Vec<Profile>,
    phases: Vec<(String, f64)>,
    wall_seconds: f64,
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Rows in table order: by number, then suffix (`4a` before `4b`).
fn order(id: &str) -> (u32, String) {
    let digits: String = id.chars().take_while(char::is_ascii_digit).collect();
    (digits.parse().unwrap_or(u32::MAX), id[digits.len()..].to_owned())
}

fn command_text(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine() -> Vec<(String, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name")?.split_once(':').map(|(_, m)| m.trim().to_owned()))
        .unwrap_or_else(|| "unknown".to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or_else(|| "unknown".to_owned(), |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0));
    vec![
        ("nproc".to_owned(), command_text("nproc", &[])),
        ("CPU".to_owned(), model),
        ("memory".to_owned(), memory),
        ("kernel".to_owned(), command_text("uname", &["-sr"])),
        ("rustc".to_owned(), command_text("rustc", &["--version"])),
        ("PostgreSQL".to_owned(), command_text("psql", &["--version"])),
        ("wrk".to_owned(), command_text("sh", &["-c", "wrk -v 2>&1 | head -n1"])),
        ("load average (1, 5, 15 min) at the start".to_owned(), loadavg()),
    ]
}

impl Report {
    pub fn new(s: &Settings) -> Self {
        let pinning = match (&s.server_cpu, &s.load_cpu) {
            (Some(server), Some(load)) => format!(
                "every server (floor, keygated, wallet-api) `taskset -c {server}` with {} HTTP worker(s); \
                 wrk, pgbench and perf `taskset -c {load}`; PostgreSQL and bench-client unpinned (shared); but \
                 rows 2c and 3d, where the floor and keygated run 2 workers each and nothing is pinned",
                s.workers
            ),
            _ => format!("nothing pinned; {} HTTP workers per server", s.workers),
        };
        Self {
            date: command_text("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            machine: machine(),
            settings: vec![
                ("load".to_owned(), format!("wrk -t{} -c{} -d{}s, {} run(s) per measurement, medians reported; a {} s warm-up run first", s.wrk_threads, s.connections, s.duration, s.runs, s.warmup)),
                ("pgbench".to_owned(), format!("-M prepared -c{} -j1 -T{}, same rounds", s.connections, s.duration)),
                ("pinning".to_owned(), pinning),
                ("keys".to_owned(), format!("{} active keys per store, created over the HTTP API; {} for the memory probe", s.keys, s.memory_keys)),
                ("keygated".to_owned(), "defaults (cache 1,000,000 keys, TTL 30 s, 16 DB connections, log `info`), `KEYGATE_WORKERS` as above".to_owned()),
            ],
            ..Self::default()
        }
    }

    pub fn row(&mut self, row: Row) {
        self.rows.push(row);
    }

    pub fn phase(&mut self, name: &str, started: Instant) {
        self.phases.push((name.to_owned(), started.elapsed().as_secs_f64()));
    }

    pub fn finish(&mut self, wall_seconds: f64) {
        self.wall_seconds = wall_seconds;
        self.machine.push(("load average (1, 5, 15 min) at the end".to_owned(), loadavg()));
        self.rows.sort_by_key(|r| order(&r.id));
    }

    /// One line per row: id, met/missed, figure.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for row in &self.rows {
            let verdict = match row.met {
                Some(true) => "met   ",
                Some(false) => "MISSED",
                None => "      ",
            };
            let _ = writeln!(out, "{:>3} {verdict} {}", row.id, row.measured.replace("**", ""));
        }
        out
    }

    /// Writes `results.json` and the report, keeping the report's hand-written section ([`KEPT_FROM`] on).
    pub fn write(&self, s: &Settings) -> Result<(), String> {
        self.write_json(&s.out.join("results.json"))?;
        // Figures measured by tests rather than by this run are written by hand: kept as they are.
        let kept = std::fs::read_to_string(&s.report_path)
            .ok()
            .and_then(|old| old.find(KEPT_FROM).map(|at| old[at..].to_owned()))
            .unwrap_or_default();
        let markdown = self.markdown(s) + &kept;
        std::fs::write(&s.report_path, markdown).map_err(|e| format!("cannot write {}: {e}", s.report_path.display()))
    }

    /// Writes the figures alone, as JSON, to `path`.
    pub fn write_json(&self, path: &std::path::Path) -> Result<(), String> {
        std::fs::write(path, self.json()).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    fn markdown(&self, s: &Settings) -> String {
        let mut md = String::new();
        let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
        let _ = writeln!(md, "# keygate performance\n");
        let _ = writeln!(
            md,
            "Generated by `cargo xtask bench` on {} (wall time {:.0} s, build included). Do not edit by hand: \
             run it again. The same figures are in `target/bench/results.json`. The last section, figures from \
             the tests, is written by hand and kept as it is.\n",
            self.date, self.wall_seconds
        );
        let _ = writeln!(md, "## Machine\n");
        for (k, v) in &self.machine {
            let _ = writeln!(md, "- {k}: {v}");
        }
        let _ = writeln!(md, "\n## How it was run\n");
        for (k, v) in &self.settings {
            let _ = writeln!(md, "- {k}: {v}");
        }
        let _ =
            writeln!(md, "\nCommands (`{}` is the workspace; one line per kind of run):\n\n```sh", s.root.display());
        for (_, line) in s.commands.borrow().iter() {
            let _ = writeln!(md, "{line}");
        }
        let _ = writeln!(md, "```\n\n## Results\n");
        let _ = writeln!(md, "| # | measurement | floor | measured | target | met |\n|---|---|---|---|---|---|");
        for row in &self.rows {
            let met = match row.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "",
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {met} |",
                row.id,
                cell(&row.title),
                cell(&row.floor),
                cell(&row.measured),
                cell(&row.target)
            );
        }
        if !self.micro.is_empty() {
            let _ = writeln!(md, "\n## Criterion micro-benchmarks (medians)\n\n| benchmark | median |\n|---|---|");
            for (name, ns) in &self.micro {
                let _ = writeln!(md, "| {} | {ns:.1} ns |", cell(name));
            }
        }
        if let Some(line) = &self.timing {
            let _ = writeln!(
                md,
                "\nIn-process `Verifier::verify` by kind of credential, and `Management::authenticate_service` of a valid \
                 service credential (`bench-client timing`, medians): `{line}`"
            );
        }
        let _ = writeln!(md, "\n## Biggest remaining cost\n");
        if self.profiles.is_empty() {
            let _ = writeln!(md, "Not profiled in this run (`--no-profile`, or `perf` cannot sample here).");
        }
        for profile in &self.profiles {
            let _ = writeln!(md, "{}", profile_words(profile));
            let _ = writeln!(md, "\n| share of samples | object | symbol |\n|---|---|---|");
            for (share, object, symbol) in &profile.top {
                let _ = writeln!(md, "| {} | {} | `{}` |", pct(*share), cell(object), cell(symbol));
            }
            let _ = writeln!(md);
        }
        let _ = writeln!(md, "## Time per phase\n");
        for (name, seconds) in &self.phases {
            let _ = writeln!(md, "- {name}: {seconds:.0} s");
        }
        md
    }

    fn json(&self) -> String {
        let mut j = String::from("{\n");
        let _ = writeln!(j, "  \"date\": {},", quote(&self.date));
        let _ = writeln!(j, "  \"wall_seconds\": {},", number(self.wall_seconds));
        let pairs = |items: &[(String, String)]| {
            items.iter().map(|(k, v)| format!("{}: {}", quote(k), quote(v))).collect::<Vec<_>>().join(", ")
        };
        let _ = writeln!(j, "  \"machine\": {{{}}},", pairs(&self.machine));
        let _ = writeln!(j, "  \"settings\": {{{}}},", pairs(&self.settings));
        let rows: Vec<String> = self
            .rows
            .iter()
            .map(|r| {
                let figures = r.figures.iter().map(|(k, v)| format!("{}: {}", quote(k), number(*v))).collect::<Vec<_>>();
                let met = r.met.map_or_else(|| "null".to_owned(), |m| m.to_string());
                format!(
                    "    {{\"row\": {}, \"title\": {}, \"floor\": {}, \"measured\": {}, \"target\": {}, \"met\": {met}, \"figures\": {{{}}}}}",
                    quote(&r.id),
                    quote(&r.title),
                    quote(&r.floor),
                    quote(&r.measured),
                    quote(&r.target),
                    figures.join(", ")
                )
            })
            .collect();
        let _ = writeln!(j, "  \"rows\": [\n{}\n  ],", rows.join(",\n"));
        let micro = self.micro.iter().map(|(k, v)| format!("{}: {}", quote(k), number(*v))).collect::<Vec<_>>();
        let _ = writeln!(j, "  \"criterion_median_ns\": {{{}}},", micro.join(", "));
        let _ = writeln!(
            j,
            "  \"in_process_timing\": {},",
            self.timing.as_deref().map_or_else(|| "null".to_owned(), quote)
        );
        let profiles: Vec<String> = self
            .profiles
            .iter()
            .map(|p| {
                let areas = p.areas.iter().map(|(k, v)| format!("{}: {}", quote(k), number(*v))).collect::<Vec<_>>();
                let top = p
                    .top
                    .iter()
                    .map(|(share, object, symbol)| {
                        format!("[{}, {}, {}]", number(*share), quote(object), quote(symbol))
                    })
                    .collect::<Vec<_>>();
                format!(
                    "    {{\"label\": {}, \"areas\": {{{}}}, \"top\": [{}]}}",
                    quote(&p.label),
                    areas.join(", "),
                    top.join(", ")
                )
            })
            .collect();
        let _ = writeln!(j, "  \"profiles\": [\n{}\n  ],", profiles.join(",\n"));
        let phases = self.phases.iter().map(|(k, v)| format!("{}: {}", quote(k), number(*v))).collect::<Vec<_>>();
        let _ = writeln!(j, "  \"phase_seconds\": {{{}}}", phases.join(", "));
        j.push_str("}\n");
        j
    }
}

/// The profile in words: the areas that took the most samples, and the largest outside the kernel.
fn profile_words(p: &Profile) -> String {
    let mut words = format!("**{}** (perf, cpu-clock samples of the process), by area: ", p.label);
    let parts: Vec<String> = p
        .areas
        .iter()
        .filter(|(_, share)| *share >= 0.01)
        .map(|(area, share)| format!("{area} {}", pct(*share)))
        .collect();
    words.push_str(&parts.join(", "));
    words.push('.');
    if let Some((area, share)) = p.areas.iter().find(|(a, _)| !a.starts_with("kernel")) {
        let _ = write!(words, " Outside the kernel the largest area is {area} ({}).", pct(*share));
    }
    if let Some((share, _, symbol)) = p.top.iter().find(|(_, object, _)| !object.starts_with('[')) {
        let _ = write!(words, " The largest user-space symbol is `{symbol}` ({}).", pct(*share));
    }
    words
}

fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn number(value: f64) -> String {
    if value.is_finite() {
        format!("{value}")
    } else {
        "null".to_owned()
    }
}
