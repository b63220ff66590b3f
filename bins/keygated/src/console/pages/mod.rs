//! One file per screen. Each handler: the session, then the tenant and the permission it needs, then
//! (for a post) the form and its CSRF token, then one `Management` operation, then the page.

pub(super) mod audit;
pub(super) mod home;
pub(super) mod key;
pub(super) mod key_actions;
pub(super) mod keys;
pub(super) mod login;
pub(super) mod new_key;
pub(super) mod operators;
pub(super) mod requests;
pub(super) mod secret;
pub(super) mod webhooks;

use actix_web::HttpRequest;

use super::error::ConsoleError;

/// Refuses a post another site made: a browser says where a form came from (`Sec-Fetch-Site`,
/// `Origin`), and only this origin's pages post to the console. The CSRF token and the `SameSite`
/// cookie already stop a forged post with a session; this also stops one logging a victim into the
/// attacker's session (login has no session yet).
pub(super) fn same_origin(req: &HttpRequest) -> Result<(), ConsoleError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    // Browsers that send `Sec-Fetch-Site` say it outright. Under `Referrer-Policy: no-referrer` a form
    // post's `Origin` is `null`, so `Origin` is compared only when it names one.
    if let Some(site) = header("sec-fetch-site") {
        return if site == "same-origin" || site == "none" { Ok(()) } else { Err(ConsoleError::Csrf) };
    }
    if let (Some(origin), Some(host)) = (header("origin").filter(|o| *o != "null"), header("host")) {
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        if origin_host != host {
            return Err(ConsoleError::Csrf);
        }
    }
    Ok(())
}

/// The query string as `T`, read after the session and the permission were checked.
pub(super) fn query<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> Result<T, ConsoleError> {
    actix_web::web::Query::<T>::from_query(req.query_string())
        .map(actix_web::web::Query::into_inner)
        .map_err(|e| ConsoleError::Api(crate::error::ApiError::invalid("query", e)))
}

/// A listing's `cursor` parameter: blank is none; one the listing did not give is refused.
pub(super) fn cursor<T: std::str::FromStr>(raw: Option<&str>) -> Result<Option<T>, ConsoleError> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::parse::<T>)
        .transpose()
        .map_err(|_| ConsoleError::Api(crate::error::ApiError::invalid("cursor", "is not a cursor this listing gave")))
}
