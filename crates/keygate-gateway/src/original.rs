//! The request a gateway asks about, from the headers each gateway sends.
//!
//! - nginx `auth_request` sends a subrequest of its own; the configuration passes the original as
//!   `X-Original-Method` and `X-Original-URI` (`$request_method`, `$request_uri`).
//! - Traefik `ForwardAuth` sends `X-Forwarded-Method` and `X-Forwarded-Uri`.
//! - Envoy `ext_authz` (HTTP) forwards the original method and appends the original path to the
//!   authorization service's path prefix: `/v1/authorize/api/v1/...`.
//!
//! The first convention present wins, in that order. A header that is present but not a method or
//! not an absolute path is refused, never skipped: a later convention must not stand in for it.

/// Which convention told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// `X-Original-Method` / `X-Original-URI`.
    Nginx,
    /// `X-Forwarded-Method` / `X-Forwarded-Uri`.
    Traefik,
    /// The request's own method and the path after the prefix.
    Envoy,
}

/// The original request: its method, path and query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Original {
    /// Upper-case method.
    pub method: String,
    /// The path, as sent (still percent-encoded).
    pub path: String,
    /// The query as sent, without its `?` (empty when there is none): routes ignore it; a signed
    /// request covers it.
    pub query: String,
    /// Who told.
    pub convention: Convention,
}

/// Why the original request could not be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginalError {
    /// A method header that is not a method.
    #[error("{0} is not an HTTP method")]
    BadMethod(&'static str),
    /// A URI header that is not an absolute path.
    #[error("{0} is not an absolute path")]
    BadUri(&'static str),
    /// One header of a pair without the other.
    #[error("{0} without {1}")]
    Half(&'static str, &'static str),
}

/// Reads the original request. `header` looks a header up by its lower-case name (the first value,
/// if it is text); `own_method`, `tail` and `own_query` are the authorization request's own method,
/// path after `/v1/authorize` (empty or starting with `/`) and query.
pub fn original<'h>(
    header: impl Fn(&str) -> Option<&'h str>,
    own_method: &str,
    tail: &str,
    own_query: &str,
) -> Result<Original, OriginalError> {
    for (convention, method_name, uri_name) in [
        (Convention::Nginx, "x-original-method", "x-original-uri"),
        (Convention::Traefik, "x-forwarded-method", "x-forwarded-uri"),
    ] {
        match (header(method_name), header(uri_name)) {
            (None, None) => {}
            (Some(_), None) => return Err(OriginalError::Half(method_name, uri_name)),
            (None, Some(_)) => return Err(OriginalError::Half(uri_name, method_name)),
            (Some(method), Some(uri)) => {
                let method = method_of(method).ok_or(OriginalError::BadMethod(method_name))?;
                let (path, query) = path_of(uri).ok_or(OriginalError::BadUri(uri_name))?;
                return Ok(Original { method, path, query, convention });
            }
        }
    }
    let method = method_of(own_method).ok_or(OriginalError::BadMethod("the request's method"))?;
    let path = if tail.is_empty() { "/".to_owned() } else { path_of(tail).ok_or(OriginalError::BadUri("the path"))?.0 };
    Ok(Original { method, path, query: own_query.to_owned(), convention: Convention::Envoy })
}

/// A method as sent: upper-case letters (HTTP methods are case-sensitive; `get` is not `GET`).
fn method_of(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty() && text.len() <= 32 && text.bytes().all(|b| b.is_ascii_uppercase())).then(|| text.to_owned())
}

/// The path and query of an origin-form URI (`/a/b?q`). A `#` is refused: a request target has no
/// fragment, and an upstream that does not cut there would route on what follows.
fn path_of(uri: &str) -> Option<(String, String)> {
    let uri = uri.trim();
    if uri.contains('#') {
        return None;
    }
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let graphic = |text: &str| text.bytes().all(|b| b.is_ascii_graphic());
    (path.starts_with('/') && !path.starts_with("//") && graphic(path) && graphic(query))
        .then(|| (path.to_owned(), query.to_owned()))
}
