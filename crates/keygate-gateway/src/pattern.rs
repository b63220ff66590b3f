//! A route's path pattern: literal segments and `{name}` parameters, matched segment by segment
//! against a request's path in normal form.
//!
//! A gateway's original URI is the client's raw text (nginx's `$request_uri`), while the upstream
//! routes on a normalized path. So a path that is not already in normal form (an empty, `.` or `..`
//! segment, an encoded `/`, `\` or `.`, a backslash) matches no pattern: otherwise a client could
//! make keygate judge one route while the upstream serves another.

use std::cmp::Ordering;

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Must be exactly this text.
    Literal(String),
    /// Any one non-empty segment, captured under this name.
    Param(String),
}

/// Why a pattern is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// It does not start with `/`.
    #[error("a path starts with /")]
    NotAbsolute,
    /// It holds `?` or `#`: a pattern is a path only.
    #[error("a path pattern holds no query or fragment")]
    Query,
    /// An empty, `.` or `..` segment, or a backslash.
    #[error("a path pattern is in normal form: no empty, . or .. segment and no backslash")]
    NotNormal,
    /// A `{` or `}` that does not make a whole-segment `{name}` (name: a-z, 0-9, _).
    #[error("a parameter is a whole segment {{name}}, its name of a-z, 0-9 and _")]
    BadParam,
    /// Two parameters of one name.
    #[error("the parameter {{{0}}} appears twice")]
    DuplicateParam(String),
}

/// A parsed pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    segments: Vec<Segment>,
}

impl Pattern {
    /// Parses `/api/v1/distributors/{tenant}/balance`.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let rest = text.strip_prefix('/').ok_or(PatternError::NotAbsolute)?;
        if text.contains(['?', '#']) {
            return Err(PatternError::Query);
        }
        let mut segments = Vec::new();
        if !rest.is_empty() {
            for part in rest.split('/') {
                if part.is_empty() || part == "." || part == ".." || part.contains('\\') {
                    return Err(PatternError::NotNormal);
                }
                segments.push(segment(part)?);
            }
        }
        let mut names: Vec<&str> = segments
            .iter()
            .filter_map(|s| match s {
                Segment::Param(name) => Some(name.as_str()),
                Segment::Literal(_) => None,
            })
            .collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(PatternError::DuplicateParam(pair[0].to_owned()));
        }
        Ok(Self { text: text.to_owned(), segments })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it has a parameter of this name.
    pub fn has_param(&self, name: &str) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Param(n) if n == name))
    }

    /// Matches `path` (no query): the captured parameters, decoded, or `None`.
    pub fn matches(&self, path: &str) -> Option<Vec<(&str, String)>> {
        let parts = normal_segments(path)?;
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut captured = Vec::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(text) if *text == decode(part)? => {}
                Segment::Literal(_) => return None,
                Segment::Param(name) => captured.push((name.as_str(), decode(part)?)),
            }
        }
        Some(captured)
    }

    /// Which of two patterns wins when both match: at the first segment where one has a literal and
    /// the other a parameter, the literal.
    pub fn specificity(&self, other: &Self) -> Ordering {
        for (a, b) in self.segments.iter().zip(&other.segments) {
            match (a, b) {
                (Segment::Literal(_), Segment::Param(_)) => return Ordering::Greater,
                (Segment::Param(_), Segment::Literal(_)) => return Ordering::Less,
                _ => {}
            }
        }
        Ordering::Equal
    }

    /// Whether some path matches both (same length, and no two different literals at one place).
    pub fn overlaps(&self, other: &Self) -> bool {
        self.segments.len() == other.segments.len()
            && self.segments.iter().zip(&other.segments).all(|pair| match pair {
                (Segment::Literal(a), Segment::Literal(b)) => a == b,
                _ => true,
            })
    }
}

fn segment(part: &str) -> Result<Segment, PatternError> {
    if let Some(inner) = part.strip_prefix('{') {
        let name = inner.strip_suffix('}').ok_or(PatternError::BadParam)?;
        let valid = !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        return if valid { Ok(Segment::Param(name.to_owned())) } else { Err(PatternError::BadParam) };
    }
    if part.contains(['{', '}']) {
        return Err(PatternError::BadParam);
    }
    Ok(Segment::Literal(part.to_owned()))
}

/// The segments of a path in normal form, or `None` if it is not in normal form (see the module).
fn normal_segments(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let lower = rest.to_ascii_lowercase();
    if rest.contains('\\') || ["%2f", "%5c", "%2e", "%00"].iter().any(|e| lower.contains(e)) {
        return None;
    }
    let parts: Vec<&str> = rest.split('/').collect();
    parts.iter().all(|p| !p.is_empty() && *p != "." && *p != "..").then_some(parts)
}

/// Percent-decodes a segment; `None` if an escape is broken or the result is not UTF-8.
fn decode(part: &str) -> Option<String> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit))?;
            let text = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(text, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}
