//! A tenant's scope catalogue: the resources its keys may name, each with the actions offered on it
//! and a description for the console (the third seed lists the available scopes at key creation, the
//! fourth shows a grid of resources, the second a fixed list of 25 permissions).
//!
//! A catalogue only bounds what a key may be given; it never grants anything, and it is never looked
//! at by a verification (a service may still require a scope outside it, which no key then holds).
//! Actions fold exactly as a key's scopes do ([`super::ScopeSet`]): `write` offered lets a key hold
//! `read` too, and a key's `*` needs `write` and `approve` offered. Descriptions grant nothing, so
//! they play no part in [`ScopeCatalogue::is_within`].

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::{is_resource, Action, Scope, ScopeSet, APPROVE, READ, WRITE};
use crate::text::{ScopeDescription, TextError};

/// One resource of a catalogue did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    /// The name is not a scope's resource (1 to 48 of `a-z`, `0-9`, `-`).
    #[error("must be 1 to 48 characters of a-z, 0-9 and -")]
    Name,
    /// The description broke its rules.
    #[error(transparent)]
    Description(TextError),
    /// No action offered.
    #[error("at least one action is required")]
    NoAction,
    /// An action other than `read`, `write` or `approve` (`*` is a key's shorthand, not an offer).
    #[error("actions must be read, write or approve")]
    Action,
}

/// A catalogue did not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    /// No resource at all.
    #[error("at least one resource is required")]
    Empty,
    /// More resources than a catalogue may hold.
    #[error("at most {max} resources are allowed")]
    TooMany {
        /// The limit.
        max: usize,
    },
    /// The resource at `index` (in the order given) repeats an earlier name.
    #[error("{name} appears more than once")]
    Duplicate {
        /// Where the repetition is, in the order given.
        index: usize,
        /// The repeated name.
        name: String,
    },
}

/// One resource offered: its name, what it is, and the actions offered on it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CatalogueResource {
    name: String,
    description: Option<ScopeDescription>,
    /// The actions as offered, one bit each (`write` does not set `read` here).
    offered: u8,
}

impl CatalogueResource {
    /// Parses a resource: `name` as a scope's resource, an optional description (trimmed, one line,
    /// at most 200 characters; blank is none), and a non-empty set of `read`, `write`, `approve`
    /// (a repeated action counts once).
    pub fn parse<S: AsRef<str>>(
        name: &str,
        description: Option<&str>,
        actions: impl IntoIterator<Item = S>,
    ) -> Result<Self, ResourceError> {
        if !is_resource(name) {
            return Err(ResourceError::Name);
        }
        let description = match description.map(str::trim).filter(|d| !d.is_empty()) {
            Some(text) => Some(ScopeDescription::parse(text).map_err(ResourceError::Description)?),
            None => None,
        };
        let mut offered = 0;
        for action in actions {
            offered |= match action.as_ref() {
                "read" => READ,
                "write" => WRITE,
                "approve" => APPROVE,
                _ => return Err(ResourceError::Action),
            };
        }
        if offered == 0 {
            return Err(ResourceError::NoAction);
        }
        Ok(Self { name: name.to_owned(), description, offered })
    }

    /// The resource's name, as in a scope.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the resource is, if said.
    pub fn description(&self) -> Option<&ScopeDescription> {
        self.description.as_ref()
    }

    /// The actions offered, in the order read, write, approve.
    pub fn actions(&self) -> impl Iterator<Item = Action> + '_ {
        [(READ, Action::Read), (WRITE, Action::Write), (APPROVE, Action::Approve)]
            .into_iter()
            .filter_map(|(bit, action)| (self.offered & bit != 0).then_some(action))
    }

    /// The rights a key may hold on this resource: the offered actions folded as a key's are.
    fn rights(&self) -> u8 {
        self.actions().fold(0, |rights, action| rights | action.rights())
    }
}

impl fmt::Debug for CatalogueResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let actions: Vec<&str> = self.actions().map(Action::as_str).collect();
        write!(f, "{}:{}", self.name, actions.join("|"))?;
        match &self.description {
            Some(description) => write!(f, " {:?}", description.as_str()),
            None => Ok(()),
        }
    }
}

/// A tenant's catalogue: 1 to [`ScopeCatalogue::MAX`] resources with unique names, kept sorted by name.
///
/// Cloning is a reference-count increment: the catalogue travels with the tenant's policy.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ScopeCatalogue(Arc<Vec<CatalogueResource>>);

impl ScopeCatalogue {
    /// The most resources one catalogue may hold.
    pub const MAX: usize = 256;

    /// Builds a catalogue from parsed resources, in any order.
    pub fn new(resources: impl IntoIterator<Item = CatalogueResource>) -> Result<Self, CatalogueError> {
        let mut by_name: BTreeMap<String, CatalogueResource> = BTreeMap::new();
        for (index, resource) in resources.into_iter().enumerate() {
            if index >= Self::MAX {
                return Err(CatalogueError::TooMany { max: Self::MAX });
            }
            if by_name.contains_key(&resource.name) {
                return Err(CatalogueError::Duplicate { index, name: resource.name });
            }
            by_name.insert(resource.name.clone(), resource);
        }
        if by_name.is_empty() {
            return Err(CatalogueError::Empty);
        }
        Ok(Self(Arc::new(by_name.into_values().collect())))
    }

    /// The resources, sorted by name.
    pub fn resources(&self) -> impl Iterator<Item = &CatalogueResource> {
        self.0.iter()
    }

    /// The rights a key may hold on `resource` (none if it is not offered).
    fn rights(&self, resource: &str) -> u8 {
        self.0.binary_search_by(|r| r.name.as_str().cmp(resource)).map_or(0, |i| self.0[i].rights())
    }

    /// Whether a key may hold `scope`: every right it stands for is offered on its resource.
    pub fn allows(&self, scope: &Scope) -> bool {
        scope.action().rights() & !self.rights(scope.resource()) == 0
    }

    /// Every scope of `scopes` allowed, or the first (in the set's order) that is not.
    pub fn check<'a>(&self, scopes: &'a ScopeSet) -> Result<(), &'a Scope> {
        scopes.iter().find(|s| !self.allows(s)).map_or(Ok(()), Err)
    }

    /// Whether this catalogue lets a key hold nothing `wider` would not (a narrowing or no change in
    /// what may be held): every resource offered here is offered there with at least these rights.
    pub fn is_within(&self, wider: &Self) -> bool {
        self.0.iter().all(|r| r.rights() & !wider.rights(&r.name) == 0)
    }
}

impl fmt::Debug for ScopeCatalogue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}
