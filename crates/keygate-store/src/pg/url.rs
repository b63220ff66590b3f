//! Database URLs as they may be shown: with the password blanked out.
//!
//! It must never return text holding the password, whatever shape the URL has: it errs towards
//! hiding too much (everything before the last `@` after the user name), and anything it cannot take
//! apart is blanked out whole.

const HIDDEN: &str = "<redacted>";

/// The URL with any password (in the user info or as a `password=` parameter) replaced.
pub(crate) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return HIDDEN.to_owned();
    };
    let rest = &url[scheme_end..];
    let mut out = String::from(&url[..scheme_end]);
    // The last `@` anywhere, so a password holding `/`, `?` or `@` is still hidden whole.
    let remainder = match rest.rfind('@') {
        Some(at) => {
            let (userinfo, remainder) = rest.split_at(at);
            match userinfo.split_once(':') {
                Some((user, _password)) => {
                    out.push_str(user);
                    out.push(':');
                    out.push_str(HIDDEN);
                }
                None => out.push_str(userinfo),
            }
            remainder
        }
        None => rest,
    };
    match remainder.split_once('?') {
        Some((path, query)) => {
            out.push_str(path);
            out.push('?');
            let params: Vec<String> = query.split('&').map(redact_param).collect();
            out.push_str(&params.join("&"));
        }
        None => out.push_str(remainder),
    }
    out
}

fn redact_param(pair: &str) -> String {
    let name = pair.split('=').next().unwrap_or("");
    if name.eq_ignore_ascii_case("password") {
        format!("{name}={HIDDEN}")
    } else {
        pair.to_owned()
    }
}
