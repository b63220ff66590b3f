//! Request budget leased to a process: the store keeps, per key, rate limit and window, how much of the
//! window's budget is out on lease; a process answers requests from its slice in memory and comes back
//! for more (or gives back what it did not use), so a hot key costs one round trip per slice, never one
//! per request. The sum of the leases of a window never exceeds the limit it was leased under.

use keygate_domain::KeyId;

/// One lease request: give back `give_back` of what this process holds in the window, then take up to
/// `want` more, never taking the window's leased total above `limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLease {
    /// The key.
    pub key: KeyId,
    /// The key's version the caller decided on; `None` for a give-back alone, which never checks it.
    pub key_version: Option<u64>,
    /// The rate limit's name.
    pub name: String,
    /// The window's start, in seconds since the epoch.
    pub window_start: i64,
    /// The window's budget.
    pub limit: u64,
    /// Unused budget this process returns (it held at least that much of this window).
    pub give_back: u64,
    /// How much more it asks for.
    pub want: u64,
}

/// What the store answered a [`RateLease`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leased {
    /// The budget granted, from 0 to `want` (the give-back was applied first).
    Granted(u64),
    /// The key's version is not `key_version` (or the key is gone): nothing was given or granted;
    /// read the key again and decide anew.
    Stale,
}
