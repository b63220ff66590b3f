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

/// The session of `req`; `LoginNeeded` when it has none that is open.
pub(super) async fn current(manage: &Management, req: &HttpRequest) -> Result<Session, ConsoleError> {
    let cookie = cookie_of(req).ok_or(ConsoleError::LoginNeeded)?;
    let caller = manage.session_caller(&cookie).await.map_err(|e| match e {
        ManageError::Unauthenticated => ConsoleError::LoginNeeded,
        other => other.into(),
    })?;
    Ok(Session { caller, cookie })
}

/// The session cookie's value in `req`, if any.
pub(super) fn cookie_of(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
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
