//! The console's session cookie: read on every page, set at login, cleared at logout. The cookie holds
//! only the random session id; the rest is in the store (see `Management::session_caller`).

use actix_web::HttpRequest;
use keygate_domain::{ActorId, Role, TenantId};
use keygate_verifier::manage::{csrf_token, Caller, ManageError, Management, Permission};

use super::error::ConsoleError;
use super::ConsoleSettings;

/// The cookie's name.
pub(super) const COOKIE: &str = "keygate_session";

/// The signed-in person of this request.
pub(super) struct Session {
    pub caller: Caller,
    cookie: String,
}

impl Session {
    pub(super) fn cookie(&self) -> &str {
        &self.cookie
    }

    /// The CSRF token every form of this session carries.
    pub(super) fn csrf(&self) -> String {
        csrf_token(&self.cookie)
    }

    /// Whether the signed-in person holds `role`.
    pub(super) fn has(&self, role: Role) -> bool {
        self.caller.actor.roles.has(role)
    }

    /// The actor id as the API shows it (`operator:…`, `system`), to tell "you asked this".
    pub(super) fn actor(&self) -> String {
        self.caller.actor.id.to_string()
    }

    /// Whether this is the system administrator (who picks a tenant).
    pub(super) fn is_system(&self) -> bool {
        self.caller.actor.id == ActorId::System
    }

    /// The operator's own tenant; `None` for the system administrator.
    pub(super) fn own_tenant(&self) -> Option<&TenantId> {
        self.caller.tenant.as_ref()
    }

    /// The tenant of the path, if this session may act there with `permission`.
    pub(super) fn tenant(&self, raw: &str, permission: Permission) -> Result<TenantId, ConsoleError> {
        let tenant = TenantId::parse(raw).map_err(|_| ConsoleError::from(ManageError::NotFound))?;
        self.caller.may(&tenant, permission)?;
        Ok(tenant)
    }
}

/// The session of `req`; `LoginNeeded` when it has none that is open. Every `keygate_session` cookie
/// presented is tried: a sibling host could plant one with a longer path, which the browser sends first.
pub(super) async fn current(manage: &Management, req: &HttpRequest) -> Result<Session, ConsoleError> {
    for cookie in cookies_of(req) {
        match manage.session_caller(&cookie).await {
            Ok(caller) => return Ok(Session { caller, cookie }),
            Err(ManageError::Unauthenticated) => {} // not this one: try the next
            Err(other) => return Err(other.into()),
        }
    }
    Err(ConsoleError::LoginNeeded)
}

/// The values of every session cookie in `req` (at most a few: a browser sends one per path).
pub(super) fn cookies_of(req: &HttpRequest) -> Vec<String> {
    req.headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value.to_owned())
        .take(4)
        .collect()
}

/// `Set-Cookie` opening a session: only for `/console`, never readable by script, never sent from
/// another site, and only over HTTPS unless the installation said otherwise.
pub(super) fn set_cookie(value: &str, settings: ConsoleSettings) -> String {
    format!("{COOKIE}={value}; Path=/console; HttpOnly; SameSite=Strict{}", secure(settings))
}

/// `Set-Cookie` clearing the session cookie.
pub(super) fn clear_cookie(settings: ConsoleSettings) -> String {
    format!("{COOKIE}=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict{}", secure(settings))
}

fn secure(settings: ConsoleSettings) -> &'static str {
    if settings.insecure_cookies {
        ""
    } else {
        "; Secure"
    }
}
