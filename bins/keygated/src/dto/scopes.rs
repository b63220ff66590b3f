//! A tenant's scope catalogue on the wire: the `PUT .../scopes` body, which is also what `GET` answers,
//! and its conversion into the domain's `ScopeCatalogue`, naming the field at fault.

use keygate_domain::{Action, CatalogueError, CatalogueResource, ScopeCatalogue, ScopeDescription};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::schema::{ScopeActionView, ScopeDescriptionText, ScopeResourceText};
use crate::error::ApiError;

/// `PUT /v1/tenants/{tenant}/scopes`: the resources a key may be given scopes on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ScopeCatalogueInput, examples(json!({"resources": [
    {"name": "payouts", "description": "Payouts", "actions": ["read", "write", "approve"]},
    {"name": "wallets", "description": "Wallets", "actions": ["read", "write"]}
]})))]
pub struct PutScopes {
    /// 1 to 256 resources, each named once.
    #[schema(min_items = 1, max_items = 256)]
    resources: Vec<ResourceInput>,
}

/// One resource of a catalogue as sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ScopeResourceInput, examples(json!({"name": "payouts", "description": "Payouts", "actions": ["read", "write", "approve"]})))]
struct ResourceInput {
    /// The resource, as in a scope (`payouts` in `payouts:write`).
    #[schema(value_type = ScopeResourceText)]
    name: String,
    /// What it is, for the console.
    #[serde(default)]
    #[schema(value_type = Option<ScopeDescriptionText>)]
    description: Option<String>,
    /// The actions a key may be given on it (a repeated one counts once).
    #[schema(value_type = Vec<ScopeActionView>, min_items = 1)]
    actions: Vec<String>,
}

impl TryFrom<PutScopes> for ScopeCatalogue {
    type Error = ApiError;
    fn try_from(body: PutScopes) -> Result<Self, ApiError> {
        let resources = body
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| {
                CatalogueResource::parse(&r.name, r.description.as_deref(), &r.actions).map_err(|e| {
                    let part = match e {
                        keygate_domain::ResourceError::Name => "name",
                        keygate_domain::ResourceError::Description(_) => "description",
                        keygate_domain::ResourceError::NoAction | keygate_domain::ResourceError::Action => "actions",
                    };
                    ApiError::invalid(format!("resources[{i}].{part}"), e)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(resources).map_err(|e| match e {
            CatalogueError::Duplicate { index, .. } => ApiError::invalid(format!("resources[{index}].name"), e),
            CatalogueError::Empty | CatalogueError::TooMany { .. } => ApiError::invalid("resources", e),
        })
    }
}

/// `GET /v1/tenants/{tenant}/scopes`: the catalogue in force, sorted by name; `resources` is `null`
/// when the tenant has none (any well-formed scope may be given).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ScopeCatalogue, examples(json!({"resources": [
    {"name": "payouts", "description": "Payouts", "actions": ["read", "write", "approve"]},
    {"name": "wallets", "description": "Wallets", "actions": ["read", "write"]}
]})))]
pub struct ScopeCatalogueView {
    resources: Option<Vec<ScopeResourceView>>,
}

impl From<Option<&ScopeCatalogue>> for ScopeCatalogueView {
    fn from(catalogue: Option<&ScopeCatalogue>) -> Self {
        Self { resources: catalogue.map(resources) }
    }
}

/// One resource of a catalogue.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ScopeResource, examples(json!({"name": "payouts", "description": "Payouts", "actions": ["read", "write", "approve"]})))]
pub struct ScopeResourceView {
    #[schema(value_type = ScopeResourceText)]
    name: String,
    /// Absent when none was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ScopeDescriptionText>)]
    description: Option<String>,
    /// In the order read, write, approve.
    #[schema(value_type = Vec<ScopeActionView>)]
    actions: Vec<&'static str>,
}

/// A catalogue's resources as shown, sorted by name.
pub fn resources(catalogue: &ScopeCatalogue) -> Vec<ScopeResourceView> {
    catalogue
        .resources()
        .map(|r| ScopeResourceView {
            name: r.name().to_owned(),
            description: r.description().map(|d| ScopeDescription::as_str(d).to_owned()),
            actions: r.actions().map(Action::as_str).collect(),
        })
        .collect()
}
