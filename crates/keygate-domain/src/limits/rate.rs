//! A key's request rate limits: named budgets of requests per fixed window of whole seconds, aligned to
//! the Unix epoch (a 10-second window is [0, 10), [10, 20), ... seconds since 1970), so every process
//! sharing a store agrees which window an instant belongs to without talking to the others.

use super::LimitsError;

/// One named limit: at most `limit` requests per window of `window_seconds`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RateLimit {
    name: String,
    limit: u64,
    window_seconds: u32,
}

impl RateLimit {
    /// The most rate limits one key may carry.
    pub const MAX: usize = 5;
    /// The longest window: a day.
    pub const MAX_WINDOW_SECONDS: u32 = 86_400;
    /// The largest budget of one window.
    pub const MAX_LIMIT: u64 = 1_000_000_000;
    /// The longest name.
    pub const MAX_NAME: usize = 32;

    /// Checks the name (1 to 32 ASCII letters, digits, `_`, `-` or `.`: it is sent back in verdicts and
    /// headers as it is), the limit (1 to 10^9) and the window (1 to 86,400 seconds).
    pub fn new(name: &str, limit: u64, window_seconds: u32) -> Result<Self, LimitsError> {
        let name_ok = (1..=Self::MAX_NAME).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !name_ok {
            return Err(LimitsError::RateName);
        }
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(LimitsError::RateLimit { max: Self::MAX_LIMIT });
        }
        if !(1..=Self::MAX_WINDOW_SECONDS).contains(&window_seconds) {
            return Err(LimitsError::RateWindow { max: Self::MAX_WINDOW_SECONDS });
        }
        Ok(Self { name: name.to_owned(), limit, window_seconds })
    }

    /// The limit's name, unique among the key's.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The most requests one window allows.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The window's length in seconds.
    pub fn window_seconds(&self) -> u32 {
        self.window_seconds
    }

    /// The start (seconds since the epoch) of the window holding `unix_seconds`.
    pub fn window_start(&self, unix_seconds: i64) -> i64 {
        unix_seconds.div_euclid(i64::from(self.window_seconds)) * i64::from(self.window_seconds)
    }

    /// Whether `self` allows at most what `old` allows in every one of `old`'s windows. Windows are
    /// aligned to the epoch, so when `self`'s window is a whole multiple of `old`'s, each of `old`'s
    /// windows lies inside one of `self`'s and sees at most `self.limit` requests.
    pub fn implies(&self, old: &Self) -> bool {
        self.limit <= old.limit && self.window_seconds % old.window_seconds == 0
    }
}

/// Checks a key's rate limits (at most [`RateLimit::MAX`], names unique) and sorts them by name.
pub(super) fn checked(mut rate: Vec<RateLimit>) -> Result<Vec<RateLimit>, LimitsError> {
    if rate.len() > RateLimit::MAX {
        return Err(LimitsError::TooManyRates { max: RateLimit::MAX });
    }
    rate.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pair) = rate.windows(2).find(|pair| pair[0].name == pair[1].name) {
        return Err(LimitsError::DuplicateRate { name: pair[0].name.clone() });
    }
    Ok(rate)
}

/// Whether the limits `new` hold requests to at least what `old` does: each of `old`'s limits implied
/// by one of `new`'s (names are labels: a renamed limit is the same limit).
pub(super) fn is_within(new: &[RateLimit], old: &[RateLimit]) -> bool {
    old.iter().all(|o| new.iter().any(|n| n.implies(o)))
}
