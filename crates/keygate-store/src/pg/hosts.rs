//! `KEYGATE_DATABASE_URL` in libpq's multi-host form, which sqlx does not read:
//! `postgres://user@host1:5432,host2:5433/keygate?target_session_attrs=read-write`.
//!
//! [`DatabaseUrl::parse`] splits the host list off and keeps everything else as written (user,
//! password, database, every other parameter), so [`DatabaseUrl::host_url`] can hand sqlx one
//! ordinary single-host URL per host and sqlx keeps reading the parameters it knows (`sslmode`, ...).
//! It must never panic on any input (a bad URL is a typed [`UrlError`]) and never put the password
//! in an error or in `Debug`.

use std::fmt;

use super::url::redact;

/// Which server a connection may stay on (libpq's `target_session_attrs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSession {
    /// Any server that answers, a standby included (libpq's default).
    Any,
    /// Only a server whose `transaction_read_only` is off: the primary. keygate's default, since it
    /// writes on every spend and approval.
    ReadWrite,
}

impl TargetSession {
    fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::ReadWrite => "read-write",
        }
    }
}

/// One entry of the host list: a name or address (IPv6 in brackets, as written) and an optional port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    name: String,
    port: Option<u16>,
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        match self.port {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

/// Why a database URL was refused. Never holds the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// It does not start with `postgres://` or `postgresql://`.
    #[error("the database URL must start with postgres:// or postgresql://")]
    Scheme,
    /// An empty entry in a host list (`h1,,h2`, a trailing comma).
    #[error("the database URL's host list has an empty entry")]
    EmptyHost,
    /// An IPv6 address whose `[` is not closed, or text between `]` and the port.
    #[error("the database URL has a malformed bracketed host")]
    Bracket,
    /// A colon in a host name outside brackets (an IPv6 address must be written `[::1]`).
    #[error("the database URL has a colon in a host name: write an IPv6 address in brackets")]
    Colon,
    /// A port that is not a number from 1 to 65535. The text is not kept: a password with an unescaped
    /// `/` would end the authority early and be read as a port.
    #[error("the database URL has a port that is not a number from 1 to 65535")]
    Port,
    /// A `target_session_attrs` keygate does not support.
    #[error("target_session_attrs={0:?} is not supported: use read-write (the default) or any")]
    TargetSession(String),
}

/// A parsed database URL with one or more hosts.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    /// `postgres` or `postgresql`.
    scheme: String,
    /// `user[:password]` as written (still percent-encoded); empty when absent.
    userinfo: Option<String>,
    /// Never empty.
    hosts: Vec<Host>,
    /// From the `/` after the hosts up to the `?` (exclusive); empty when absent.
    path: String,
    /// Every parameter but `target_session_attrs`, as written, in order.
    params: Vec<String>,
    target: TargetSession,
}

impl DatabaseUrl {
    /// Parses `url`; `target_session_attrs` defaults to `read-write`.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let (scheme, rest) = ["postgresql", "postgres"]
            .iter()
            .find_map(|s| {
                let head = url.get(..s.len() + 3)?;
                head.eq_ignore_ascii_case(&format!("{s}://")).then(|| (*s, &url[s.len() + 3..]))
            })
            .ok_or(UrlError::Scheme)?;
        // As WHATWG URLs: the authority ends at the first `/`, `?` or `#`; the user info is what
        // comes before its last `@`.
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        let (userinfo, hostlist) = match authority.rfind('@') {
            Some(at) => (Some(authority[..at].to_owned()), &authority[at + 1..]),
            None => (None, authority),
        };
        let hosts = if hostlist.is_empty() {
            vec![Host { name: String::new(), port: None }]
        } else {
            hostlist.split(',').map(parse_host).collect::<Result<_, _>>()?
        };
        let (path, query) = match tail.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (tail, None),
        };
        let mut target = TargetSession::ReadWrite;
        let mut params = Vec::new();
        for pair in query.into_iter().flat_map(|q| q.split('&')).filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if name == "target_session_attrs" {
                target = match value {
                    "any" => TargetSession::Any,
                    "read-write" => TargetSession::ReadWrite,
                    other => return Err(UrlError::TargetSession(other.to_owned())),
                };
            } else {
                params.push(pair.to_owned());
            }
        }
        Ok(Self { scheme: scheme.to_owned(), userinfo, hosts, path: path.to_owned(), params, target })
    }

    /// The hosts, in the order they are tried.
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// Which servers a connection may stay on.
    pub fn target(&self) -> TargetSession {
        self.target
    }

    /// The single-host URL for `self.hosts()[index]`, for sqlx (without `target_session_attrs`, which
    /// sqlx does not know). Holds the password: never show it.
    pub(crate) fn host_url(&self, index: usize) -> Option<String> {
        let host = self.hosts.get(index)?;
        Some(self.render(&host.to_string(), false))
    }

    fn render(&self, hosts: &str, with_target: bool) -> String {
        let mut out = format!("{}://", self.scheme);
        if let Some(userinfo) = &self.userinfo {
            out.push_str(userinfo);
            out.push('@');
        }
        out.push_str(hosts);
        out.push_str(&self.path);
        let mut params = self.params.clone();
        if with_target {
            params.push(format!("target_session_attrs={}", self.target.as_str()));
        }
        if !params.is_empty() {
            out.push('?');
            out.push_str(&params.join("&"));
        }
        out
    }
}

/// The whole URL back, hosts joined by commas and `target_session_attrs` last. Holds the password:
/// never show it (`Debug` hides it).
impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hosts: Vec<String> = self.hosts.iter().map(Host::to_string).collect();
        f.write_str(&self.render(&hosts.join(","), true))
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl").field(&redact(&self.to_string())).finish()
    }
}

fn parse_host(text: &str) -> Result<Host, UrlError> {
    if text.is_empty() {
        return Err(UrlError::EmptyHost);
    }
    let (name, port) = if text.starts_with('[') {
        let close = text.find(']').ok_or(UrlError::Bracket)?;
        let (name, after) = text.split_at(close + 1);
        match after {
            "" => (name, None),
            _ => (name, Some(after.strip_prefix(':').ok_or(UrlError::Bracket)?)),
        }
    } else {
        match text.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (text, None),
        }
    };
    if name.is_empty() || name == "[]" {
        return Err(UrlError::EmptyHost);
    }
    if !name.starts_with('[') && name.contains(':') {
        return Err(UrlError::Colon);
    }
    let port = port
        .map(|p| {
            p.parse::<u16>().ok().filter(|&n| n > 0 && p.bytes().all(|b| b.is_ascii_digit())).ok_or(UrlError::Port)
        })
        .transpose()?;
    Ok(Host { name: name.to_owned(), port })
}
