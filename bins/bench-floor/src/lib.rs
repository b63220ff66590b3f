//! Shared pieces of the benchmark-only programs run by `cargo xtask bench`: flag parsing and the
//! resident-size probe. Nothing here is part of keygate; it must never be linked into keygated.
//!
//! Each program prints its results as `name=value` words on one line of standard output, so the std-only
//! xtask can read them without a JSON parser.

pub mod issue;

use std::collections::HashMap;
use std::str::FromStr;

/// `--name value` flags, read once.
#[derive(Debug, Default)]
pub struct Flags {
    values: HashMap<String, String>,
}

impl Flags {
    /// Parses `--name value` pairs; anything else is an error naming it.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut values = HashMap::new();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let name = arg.strip_prefix("--").ok_or_else(|| format!("unexpected argument {arg:?}"))?;
            let value = args.next().ok_or_else(|| format!("--{name} needs a value"))?;
            values.insert(name.to_owned(), value);
        }
        Ok(Self { values })
    }

    /// The flag's text, or an error naming it.
    pub fn text(&self, name: &str) -> Result<&str, String> {
        self.values.get(name).map(String::as_str).ok_or_else(|| format!("--{name} is required"))
    }

    /// The flag parsed, or `default` when absent.
    pub fn or<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.values.get(name) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|_| format!("--{name}: cannot parse {text:?}")),
        }
    }
}

/// This process's resident set size in KiB (`VmRSS` of `/proc/self/status`), or 0 where there is none.
pub fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}
