//! Filing verdicts of one rate-limited key into the windows the server counted them in, for
//! `rate-exactness`. The server reads its clock once per verification, between the moment the client
//! sent the request and the moment it read the answer, and files the request in the window holding
//! that instant's second ([`RateLimit::window_start`], aligned to the Unix epoch). So an answer whose
//! send and receipt fall in one window belongs to it; a refusal says which window refused it
//! (`retry_after` is the seconds from the server's second to its window's end, and only one second of
//! the bracket ends a window there); an allowed answer whose bracket straddles a window's end cannot be
//! placed, and is counted in both windows, so the counts stay upper bounds and never hide an excess.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use keygate_domain::RateLimit;

/// What the server answered.
#[derive(Debug, Clone, Copy)]
pub enum Verdict {
    Allowed,
    /// `RATE_LIMITED`, with its `retry_after`.
    Refused {
        retry_after: u64,
    },
    /// Anything else: another refusal, a status other than 200, a transport error.
    Other,
}

/// One request: when it left, when its answer came back, which process answered, and what it said.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    pub sent: DateTime<Utc>,
    pub received: DateTime<Utc>,
    pub process: usize,
    pub verdict: Verdict,
}

/// One window's counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// Allowed answers placed in this window.
    pub allowed: u64,
    /// Allowed answers that straddle this window's start or end (counted in both windows).
    pub straddling: u64,
    pub refused: u64,
    /// Allowed answers placed here, by process.
    pub by_process: [u64; 2],
}

impl Window {
    /// The most this window can have allowed.
    pub fn upper_bound(&self) -> u64 {
        self.allowed + self.straddling
    }
}

/// Every window's counts, by window start, and what could not be filed.
#[derive(Debug, Default)]
pub struct Filed {
    pub windows: BTreeMap<i64, Window>,
    /// Refusals whose `retry_after` matches no second of their bracket (clocks disagreeing).
    pub unresolved: u64,
    /// Allowed answers whose bracket holds a window's end (each counted in both windows).
    pub straddling: u64,
    pub other: u64,
}

impl Filed {
    pub fn of(answers: &[Answer], rate: &RateLimit) -> Self {
        let mut filed = Self::default();
        for answer in answers {
            filed.file(answer, rate);
        }
        filed
    }

    fn file(&mut self, answer: &Answer, rate: &RateLimit) {
        let (first, last) = (answer.sent.timestamp(), answer.received.timestamp());
        match answer.verdict {
            Verdict::Other => self.other += 1,
            Verdict::Refused { retry_after } => {
                let end = |second: i64| rate.window_start(second) + i64::from(rate.window_seconds());
                let seconds: Vec<i64> =
                    (first..=last).filter(|&s| i64::try_from(retry_after).ok() == Some(end(s) - s)).collect();
                match seconds.as_slice() {
                    [second] => self.windows.entry(rate.window_start(*second)).or_default().refused += 1,
                    _ => self.unresolved += 1,
                }
            }
            Verdict::Allowed => {
                let (from, to) = (rate.window_start(first), rate.window_start(last));
                if from == to {
                    let window = self.windows.entry(from).or_default();
                    window.allowed += 1;
                    window.by_process[answer.process.min(1)] += 1;
                } else {
                    self.straddling += 1;
                    let step = i64::from(rate.window_seconds());
                    for start in (from..=to).step_by(usize::try_from(step).unwrap_or(1)) {
                        self.windows.entry(start).or_default().straddling += 1;
                    }
                }
            }
        }
    }

    /// The largest upper bound of any window.
    pub fn max(&self) -> u64 {
        self.windows.values().map(Window::upper_bound).max().unwrap_or(0)
    }

    /// `start:allowed+straddling/refused` for every window, comma-separated, in time order.
    pub fn words(&self) -> String {
        let mut text = String::new();
        for (start, w) in &self.windows {
            let sep = if text.is_empty() { "" } else { "," };
            let _ = write!(text, "{sep}{start}:{}+{}/{}", w.allowed, w.straddling, w.refused);
        }
        text
    }
}

#[cfg(test)]
mod tests;
