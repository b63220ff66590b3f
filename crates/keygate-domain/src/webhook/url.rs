//! A webhook endpoint's URL: absolute `https` (or `http` where the installation allows it), with a
//! host, without credentials or a fragment, at most 2,048 bytes.
//!
//! It never resolves the host: whether its addresses are public is checked by whoever connects (at
//! registration and again at every delivery, see [`super::is_private`]).

use std::fmt;
use std::net::IpAddr;

/// The most bytes a webhook URL may have.
pub const MAX_URL_BYTES: usize = 2048;

/// A webhook URL did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookUrlError {
    /// Not an absolute URL.
    #[error("is not an absolute URL")]
    Syntax,
    /// Longer than [`MAX_URL_BYTES`].
    #[error("is longer than 2048 bytes")]
    TooLong,
    /// Not `https` (or `http` where allowed).
    #[error("must use https")]
    Scheme,
    /// No host.
    #[error("has no host")]
    NoHost,
    /// A user name or password in the URL (it would be shown and logged as part of the URL).
    #[error("must not carry a user name or password")]
    Credentials,
    /// A fragment (`#...`), which is never sent.
    #[error("must not carry a fragment")]
    Fragment,
}

/// A parsed webhook URL.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    /// Parses `text`; `http` is accepted only when `allow_http`.
    pub fn parse(text: &str, allow_http: bool) -> Result<Self, WebhookUrlError> {
        if text.len() > MAX_URL_BYTES {
            return Err(WebhookUrlError::TooLong);
        }
        let url = url::Url::parse(text.trim()).map_err(|_| WebhookUrlError::Syntax)?;
        match url.scheme() {
            "https" => {}
            "http" if allow_http => {}
            _ => return Err(WebhookUrlError::Scheme),
        }
        if url.host().is_none() {
            return Err(WebhookUrlError::NoHost);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(WebhookUrlError::Credentials);
        }
        if url.fragment().is_some() {
            return Err(WebhookUrlError::Fragment);
        }
        Ok(Self(url))
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host as written (a name, or an address without IPv6 brackets).
    pub fn host(&self) -> &str {
        let host = self.0.host_str().unwrap_or_default();
        host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host)
    }

    /// The host when it is an address literal.
    pub fn ip(&self) -> Option<IpAddr> {
        match self.0.host()? {
            url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
            url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
            url::Host::Domain(_) => None,
        }
    }

    /// The port, explicit or the scheme's.
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(443)
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({})", self.as_str())
    }
}
