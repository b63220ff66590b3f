//! Scopes (`resource:action`) and the set a key holds.
//!
//! Each action stands for a set of rights: `read` = {read}, `write` = {write, read},
//! `approve` = {approve}, `*` = {read, write, approve}. A set satisfies a requirement when, for the
//! required resource, the rights it holds cover every right the required action stands for. Nothing
//! else grants: resources never imply one another and there is no global wildcard.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A scope did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// No `:` between resource and action.
    #[error("scope must be `resource:action`")]
    Shape,
    /// The resource was not 1 to 48 of `a-z`, `0-9`, `-`.
    #[error("scope resource must be 1 to 48 characters of a-z, 0-9 and -")]
    Resource,
    /// The action was not `read`, `write`, `approve` or `*`.
    #[error("scope action must be read, write, approve or *")]
    Action,
    /// A key must hold at least one scope.
    #[error("at least one scope is required")]
    Empty,
    /// More scopes than a key may hold.
    #[error("at most {max} scopes are allowed")]
    TooMany {
        /// The limit.
        max: usize,
    },
}

/// What a scope lets its holder do with a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Read.
    Read,
    /// Create and change; implies read.
    Write,
    /// Approve (payouts, keys); implies nothing else.
    Approve,
    /// Every action on the resource.
    Any,
}

const READ: u8 = 1;
const WRITE: u8 = 2;
const APPROVE: u8 = 4;

impl Action {
    /// The rights this action stands for, as a bit set.
    const fn rights(self) -> u8 {
        match self {
            Self::Read => READ,
            Self::Write => WRITE | READ,
            Self::Approve => APPROVE,
            Self::Any => READ | WRITE | APPROVE,
        }
    }

    /// The action's name in a scope.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Approve => "approve",
            Self::Any => "*",
        }
    }
}

/// Whether `text` may be a scope's resource: 1 to 48 of `a-z`, `0-9`, `-`.
fn is_resource(text: &str) -> bool {
    (1..=48).contains(&text.len()) && text.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
}

/// One `resource:action` pair.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    resource: Box<str>,
    action: Action,
}

impl Scope {
    /// Parses `resource:action`.
    pub fn parse(text: &str) -> Result<Self, ScopeError> {
        let (resource, action) = text.split_once(':').ok_or(ScopeError::Shape)?;
        if !is_resource(resource) {
            return Err(ScopeError::Resource);
        }
        let action = match action {
            "read" => Action::Read,
            "write" => Action::Write,
            "approve" => Action::Approve,
            "*" => Action::Any,
            _ => return Err(ScopeError::Action),
        };
        Ok(Self { resource: resource.into(), action })
    }

    /// The resource part.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The action part.
    pub fn action(&self) -> Action {
        self.action
    }
}

impl FromStr for Scope {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Scope {
    // Three plain writes rather than `write!`: every verdict writes its key's scopes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.resource)?;
        f.write_str(":")?;
        f.write_str(self.action.as_str())
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scope({self})")
    }
}

/// The scopes a key holds: non-empty, at most [`ScopeSet::MAX`], kept sorted and without duplicates.
///
/// Cloning is a reference-count increment: every verification hands the key's scopes to its caller.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ScopeSet(Arc<Folded>);

/// The scopes, sorted by resource then action, so a resource's scopes sit side by side and a check
/// is a binary search and an OR of its few neighbours. One allocation per set: a key record is read
/// on every verification and held a million times, so no map or copy of the resources is kept.
#[derive(PartialEq, Eq, Hash)]
struct Folded {
    scopes: Box<[Scope]>,
}

impl ScopeSet {
    /// The most scopes one key may hold.
    pub const MAX: usize = 64;

    /// Builds a set from parsed scopes.
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> Result<Self, ScopeError> {
        let mut scopes: Vec<Scope> = scopes.into_iter().collect();
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            return Err(ScopeError::Empty);
        }
        if scopes.len() > Self::MAX {
            return Err(ScopeError::TooMany { max: Self::MAX });
        }
        Ok(Self(Arc::new(Folded { scopes: scopes.into_boxed_slice() })))
    }

    /// The rights held on `resource`: every action of its scopes, folded.
    fn rights(&self, resource: &str) -> u8 {
        let scopes = &self.0.scopes;
        let start = scopes.partition_point(|s| &*s.resource < resource);
        scopes[start..].iter().take_while(|s| &*s.resource == resource).fold(0, |held, s| held | s.action.rights())
    }

    /// Parses each text as a scope and builds the set.
    pub fn parse<S: AsRef<str>>(texts: impl IntoIterator<Item = S>) -> Result<Self, ScopeError> {
        let scopes = texts.into_iter().map(|t| Scope::parse(t.as_ref())).collect::<Result<Vec<_>, _>>()?;
        Self::new(scopes)
    }

    /// Whether holding this set grants `required`.
    pub fn satisfies(&self, required: &Scope) -> bool {
        required.action.rights() & !self.rights(&required.resource) == 0
    }

    /// The required scopes this set does not grant, in the order given.
    pub fn missing<'a>(&self, required: &'a [Scope]) -> Vec<&'a Scope> {
        required.iter().filter(|r| !self.satisfies(r)).collect()
    }

    /// Whether every right in `self` is also granted by `other` (a narrowing or no change).
    pub fn is_within(&self, other: &Self) -> bool {
        self.0.scopes.iter().all(|s| other.satisfies(s))
    }

    /// The scopes, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.scopes.iter()
    }

    /// How many scopes.
    pub fn len(&self) -> usize {
        self.0.scopes.len()
    }

    /// Whether this is the only handle on the set: a store that shares equal sets between its keys
    /// drops the ones no key holds any more.
    pub fn is_unique(&self) -> bool {
        Arc::strong_count(&self.0) == 1
    }

    /// Always false: a set holds at least one scope. Here for clippy's `len_without_is_empty`.
    pub fn is_empty(&self) -> bool {
        self.0.scopes.is_empty()
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.scopes.iter().map(ToString::to_string)).finish()
    }
}

mod catalogue;
#[cfg(test)]
mod tests;

pub use catalogue::{CatalogueError, CatalogueResource, ResourceError, ScopeCatalogue};
