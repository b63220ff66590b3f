//! Console sessions: a person's login to the web console, opened with the same credential the JSON
//! routes take and resolved to the same [`Caller`], so every rule holds identically there.
//!
//! The browser holds only a random session id (32 bytes from the OS RNG, in an `HttpOnly` cookie); the
//! store holds its SHA-256 and a fingerprint of the credential it was opened with. A session ends at
//! logout, after 30 minutes unused or 12 hours open, and at once when its operator is disabled or
//! replaces its token (the fingerprint no longer matches what the store holds). Integrator keys are
//! refused: the console is for people.
//!
//! Every state-changing form carries a CSRF token derived from the session id (SHA-256 under a domain
//! label), so it is bound to the session, needs no storage, and cannot be computed without the cookie.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use keygate_domain::ActorId;
use keygate_store::{ConsoleSession, SessionHash, StoreError};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::caller::Caller;
use super::error::ManageError;
use super::Management;

/// A session unused this long ends.
pub const SESSION_IDLE: Duration = Duration::minutes(30);
/// A session ends this long after it was opened, however busy.
pub const SESSION_ABSOLUTE: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often (the idle timeout needs no more precision).
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// A session cookie's value: shown to the browser, never stored, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionCookie(String);

impl SessionCookie {
    /// The value to put in the cookie.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SessionCookie {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionCookie(<redacted>)")
    }
}

/// A newly opened session: the cookie to set and who it is.
#[derive(Debug)]
pub struct OpenedSession {
    /// The cookie's value.
    pub cookie: SessionCookie,
    /// The caller it resolves to.
    pub caller: Caller,
}

fn session_hash(cookie: &str) -> SessionHash {
    SessionHash(Sha256::digest(cookie.as_bytes()).into())
}

fn fingerprint(hash: &keygate_credential::SecretHash) -> [u8; 32] {
    Sha256::digest(hash.as_bytes()).into()
}

/// The CSRF token of the session whose cookie is `cookie`.
pub fn csrf_token(cookie: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"keygate console csrf v1\0");
    h.update(cookie.as_bytes());
    URL_SAFE_NO_PAD.encode(h.finalize())
}

/// Whether `presented` is the CSRF token of the session whose cookie is `cookie` (constant time).
pub fn csrf_matches(cookie: &str, presented: &str) -> bool {
    bool::from(csrf_token(cookie).as_bytes().ct_eq(presented.as_bytes()))
}

impl Management {
    /// Opens a console session for the person `presented` authenticates (an operator token or the
    /// system administrator's token; never an integrator key).
    pub async fn open_session(
        &self,
        presented: &[u8],
        from: Option<std::net::IpAddr>,
    ) -> Result<OpenedSession, ManageError> {
        let caller = self.authenticate(Some(presented), None, from).await?;
        let credential = self.credential_of(&caller).await?.ok_or(ManageError::Unauthenticated)?;
        let now = self.now();
        // Forget sessions past their timeouts while here: logins are rare, and no extra task is needed.
        self.store().prune_sessions(now - SESSION_ABSOLUTE, now - SESSION_IDLE).await?;
        let mut id = [0u8; 32];
        OsRng.fill_bytes(&mut id);
        let cookie = SessionCookie(URL_SAFE_NO_PAD.encode(id));
        let operator = match caller.actor.id {
            ActorId::Operator(op) => Some(op),
            _ => None,
        };
        let session =
            ConsoleSession { id: session_hash(&cookie.0), operator, credential, created_at: now, last_seen_at: now };
        self.store().open_session(&session).await?;
        Ok(OpenedSession { cookie, caller })
    }

    /// The caller of an open session; `Unauthenticated` when there is none, it timed out, or its
    /// credential was replaced or disabled since.
    pub async fn session_caller(&self, cookie: &str) -> Result<Caller, ManageError> {
        let id = session_hash(cookie);
        let session = self.store().session(&id).await?.ok_or(ManageError::Unauthenticated)?;
        let now = self.now();
        if now - session.created_at >= SESSION_ABSOLUTE || now - session.last_seen_at >= SESSION_IDLE {
            self.store().end_session(&id).await?;
            return Err(ManageError::Unauthenticated);
        }
        let caller = match session.operator {
            None => Caller::system(),
            Some(op) => {
                let operator = match self.store().operator(op).await {
                    Ok(o) => o,
                    Err(StoreError::NotFound) => return Err(ManageError::Unauthenticated),
                    Err(other) => return Err(other.into()),
                };
                if operator.account.state != keygate_domain::operator::OperatorState::Active {
                    return Err(ManageError::Unauthenticated);
                }
                // Console use counts as being seen, as an API call does (at most once a minute).
                if operator.last_seen_at.is_none_or(|seen| now - seen > TOUCH_EVERY) {
                    self.store().operator_seen(op, now).await?;
                }
                Caller::operator(op, operator.tenant().clone(), operator.account.roles)
            }
        };
        let current = self.credential_of(&caller).await?;
        if !current.is_some_and(|c| bool::from(c.ct_eq(&session.credential))) {
            self.store().end_session(&id).await?;
            return Err(ManageError::Unauthenticated);
        }
        if now - session.last_seen_at >= TOUCH_EVERY {
            self.store().touch_session(&id, now).await?;
        }
        Ok(caller)
    }

    /// Ends a session for every process (logout). Ending one that is not open is not an error.
    pub async fn end_session(&self, cookie: &str) -> Result<(), ManageError> {
        self.store().end_session(&session_hash(cookie)).await?;
        Ok(())
    }

    /// The fingerprint of the credential `caller` authenticates with now: the operator's stored token
    /// hash, or the administrator token's; `None` for a credential the console does not take.
    async fn credential_of(&self, caller: &Caller) -> Result<Option<[u8; 32]>, ManageError> {
        Ok(match caller.actor.id {
            ActorId::System => self.admin.map(|a| fingerprint(a.hash())),
            ActorId::Operator(op) => match self.store().operator(op).await {
                Ok(o) => o.token_hash.as_ref().map(fingerprint),
                Err(StoreError::NotFound) => None,
                Err(other) => return Err(other.into()),
            },
            // An integrator key (or any other actor) is not a person at a browser.
            _ => {
                return Err(ManageError::Forbidden(
                    "the console takes an operator token or the administrator token, not an API key",
                ))
            }
        })
    }
}
