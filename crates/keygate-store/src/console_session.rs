//! A console login as the store keeps it: what the browser's session cookie opens, for any process.
//!
//! The cookie holds 32 random bytes; the store holds only their SHA-256 ([`SessionHash`]), so reading
//! the table gives no live session. A session names the credential it was opened with by a fingerprint
//! (the SHA-256 of that credential's stored hash): when an operator's token is replaced or the operator
//! is disabled (its token hash gone), the fingerprint no longer matches and every session of it ends at
//! once, in every process, without a write here.

use chrono::{DateTime, Utc};
use keygate_domain::OperatorId;

/// The SHA-256 of a session cookie's random id.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionHash(pub [u8; 32]);

impl std::fmt::Debug for SessionHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionHash(<redacted>)")
    }
}

/// One open console session.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsoleSession {
    /// The hash of the cookie's id.
    pub id: SessionHash,
    /// Whose: an operator, or `None` for the system administrator.
    pub operator: Option<OperatorId>,
    /// The fingerprint of the credential the session was opened with.
    pub credential: [u8; 32],
    /// When it was opened (the absolute timeout counts from here).
    pub created_at: DateTime<Utc>,
    /// When it was last used (the idle timeout counts from here; written at most once a minute).
    pub last_seen_at: DateTime<Utc>,
}

impl std::fmt::Debug for ConsoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleSession")
            .field("operator", &self.operator)
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .finish_non_exhaustive()
    }
}
