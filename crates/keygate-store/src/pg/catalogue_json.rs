//! A tenant's scope catalogue as its jsonb column holds it (`tenants.scope_catalogue`,
//! `tenants.pending_scope_catalogue`): an array of `{"name", "description", "actions"}`, sorted by name,
//! actions in the order read, write, approve.
//!
//! It must never write what it could not read back into the same catalogue, and never guess on read:
//! an unknown field, a repeated name or a value the domain refuses is `StoreError::Corrupt` naming the
//! column, never the value.

use keygate_domain::{Action, CatalogueResource, ScopeCatalogue, ScopeDescription};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::failure::corrupt;
use crate::error::StoreError;

/// One resource as stored; no description is left out.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceEntry {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    actions: Vec<String>,
}

/// A catalogue as the value of `column`.
pub(super) fn catalogue_value(catalogue: &ScopeCatalogue, column: &str) -> Result<Value, StoreError> {
    let entries: Vec<ResourceEntry> = catalogue
        .resources()
        .map(|r| ResourceEntry {
            name: r.name().to_owned(),
            description: r.description().map(|d| ScopeDescription::as_str(d).to_owned()),
            actions: r.actions().map(|a| Action::as_str(a).to_owned()).collect(),
        })
        .collect();
    serde_json::to_value(entries).map_err(|e| corrupt(column, e))
}

/// A catalogue read from `column`.
pub(super) fn catalogue(value: Value, column: &str) -> Result<ScopeCatalogue, StoreError> {
    // serde's message is left out: it may quote the value.
    let entries: Vec<ResourceEntry> =
        serde_json::from_value(value).map_err(|_| corrupt(column, "not an array of the entries keygate writes"))?;
    let resources = entries
        .iter()
        .map(|e| CatalogueResource::parse(&e.name, e.description.as_deref(), &e.actions))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| corrupt(column, e))?;
    // Not the error's own text: a repeated name would be quoted.
    ScopeCatalogue::new(resources).map_err(|_| corrupt(column, "empty, too long, or a name listed twice"))
}
