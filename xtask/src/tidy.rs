//! `cargo xtask tidy`: repository rules that the compiler does not check.
//!
//! - every library and binary source file opens with a `//!` paragraph (tests excepted);
//! - dependencies between keygate crates point one way (see [`RANKS`]);
//! - no library crate reads the wall clock outside `SystemClock` (clippy bans it too; this also
//!   catches `#[allow]`s added elsewhere).

use std::fs;
use std::path::{Path, PathBuf};

/// Each crate's layer. A crate may depend only on crates of a strictly lower layer, so the arrows
/// point one way: domain <- credential, policy <- store <- verifier <- keygated and the examples.
/// keygatectl sits above the server: it depends on no keygate crate, and its tests start keygated.
const RANKS: &[(&str, u8)] = &[
    ("keygate-domain", 0),
    ("keygate-credential", 1),
    ("keygate-policy", 1),
    ("keygate-store", 2),
    ("keygate-verifier", 3),
    ("keygate-webhooks", 3),
    ("keygate-gateway", 3),
    ("keygated", 4),
    ("wallet-api", 4),
    ("bench-floor", 4),
    ("keygatectl", 5),
];

fn rank(name: &str) -> Option<u8> {
    RANKS.iter().find(|(n, _)| *n == name).map(|(_, r)| *r)
}

/// Runs every rule and reports all violations at once.
pub fn tidy(root: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    let manifests = manifests(root);
    for manifest in &manifests {
        check_dependencies(manifest, &mut problems);
        if let Some(dir) = manifest.parent() {
            for file in rust_files(&dir.join("src")) {
                check_source(root, &file, &mut problems);
            }
        }
    }
    if problems.is_empty() {
        println!("tidy: {} crates checked, no problems", manifests.len());
        Ok(())
    } else {
        Err(format!("{} problem(s):\n  {}", problems.len(), problems.join("\n  ")))
    }
}

fn manifests(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for group in ["crates", "bins", "examples"] {
        let Ok(entries) = fs::read_dir(root.join(group)) else { continue };
        for entry in entries.flatten() {
            let manifest = entry.path().join("Cargo.toml");
            if manifest.is_file() {
                out.push(manifest);
            }
        }
    }
    out.sort();
    out
}

fn package_name(manifest: &str) -> Option<&str> {
    manifest.lines().find_map(|l| l.trim().strip_prefix("name = \"")?.strip_suffix('"'))
}

fn check_dependencies(manifest: &Path, problems: &mut Vec<String>) {
    let Ok(text) = fs::read_to_string(manifest) else {
        problems.push(format!("{}: unreadable", manifest.display()));
        return;
    };
    let Some(name) = package_name(&text) else { return };
    let Some(own) = rank(name) else {
        problems.push(format!("{name}: not listed in xtask/src/tidy.rs RANKS; give it a layer"));
        return;
    };
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            line.clone_into(&mut section);
            continue;
        }
        if !(section.contains("dependencies")) {
            continue;
        }
        let dep = line.split(['=', '.', ' ']).next().unwrap_or("");
        // A crate may dev-depend on itself to turn a feature on for its own tests.
        if dep == name {
            continue;
        }
        if let Some(theirs) = rank(dep) {
            if theirs >= own {
                problems.push(format!("{name} depends on {dep}: dependencies must point to a lower layer"));
            }
        }
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

fn check_source(root: &Path, file: &Path, problems: &mut Vec<String>) {
    let shown = file.strip_prefix(root).unwrap_or(file).display().to_string();
    let Ok(text) = fs::read_to_string(file) else {
        problems.push(format!("{shown}: unreadable"));
        return;
    };
    let is_test = file.file_name().is_some_and(|n| n == "tests.rs");
    if !is_test && !text.trim_start().starts_with("//!") {
        problems.push(format!("{shown}: must open with a `//!` paragraph saying what it is"));
    }
    let is_library = shown.starts_with("crates");
    let clock_home = shown.ends_with("clock.rs");
    if is_library && !clock_home {
        for needle in ["Utc::now()", "SystemTime::now()", "Local::now()"] {
            if text.contains(needle) {
                problems.push(format!("{shown}: reads the wall clock ({needle}); take a Clock or an instant"));
            }
        }
    }
}
