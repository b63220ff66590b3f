//! The keygate key model: identifiers, names, scopes, limits, money and currencies, spending windows in a tenant's
//! time zone, expiry, tenant policy (and which way each setting narrows), operators' roles and accounts, and the
//! lifecycle state machines of API keys and operators. Its reason to exist is one invariant: no single person,
//! holding every credential ever shown to them, can activate or widen a key, make an operator who can approve, or
//! loosen the tenant's policy; narrowing always takes one person. Maker-checker therefore compares persons (an
//! actor's principal), never bare ids.
//!
//! This crate is pure. It never does I/O, never reads a clock (every instant is a parameter), never
//! generates randomness (identifiers are built from bytes the caller drew) and is never `Serialize`:
//! wire shapes live at the edges and convert with `TryFrom`. A value of any type here that exists is
//! valid; constructors parse and return a typed error.

mod account;
mod actor;
pub mod base62;
mod clock;
mod environment;
mod expiry;
mod id_hasher;
mod ids;
mod key;
pub mod lifecycle;
mod limits;
mod money;
mod on_leak;
pub mod operator;
mod owner;
mod policy;
mod policy_request;
mod reveal;
mod role;
mod scope;
mod settings;
mod signing;
mod skew;
mod text;
mod timezone;
pub mod webhook;
mod window;
#[cfg(test)]
mod world_tests;

pub use account::{AccountId, AccountIdError};
pub use actor::{Actor, KeyBounds};
pub use clock::{Clock, ManualClock};
pub use environment::{Environment, ParseEnvironmentError};
pub use expiry::{Expiry, ExpiryError, ExpiryRequest};
pub use id_hasher::{BuildIdHasher, IdHasher};
pub use ids::RequestId;
pub use ids::{ActorId, IdError, KeyId, OperatorId, ServiceId, SpendId, TenantId, WebhookId};
pub use key::{Key, NewKey, PendingChange, Privileges, ResumeRequest, RevocationRequest, Rotation, Suspension};
pub use lifecycle::{AuditAction, Event, KeyState, Transition, TransitionError};
pub use limits::{AmountLimit, IpAllowList, Limits, LimitsError, RateLimit};
pub use money::{
    Amount, AmountError, Currency, CurrencyClass, CurrencyError, CurrencySpec, CurrencySpecError, CurrencyTable,
    ParseCurrencyClassError,
};
pub use on_leak::{OnLeak, ParseOnLeakError};
pub use operator::{
    InvitationIssue, InvitationTerms, NewOperator, OperatorAccount, OperatorAction, OperatorError, OperatorEvent,
    OperatorRequest, OperatorState, OperatorTransition, ParseOperatorError, RequestKind,
};
pub use owner::{ExternalId, ExternalIdError, Metadata, MetadataError, Owner};
pub use policy::TenantPolicy;
pub use policy_request::{PolicyError, PolicyRequest};
pub use reveal::{ParseRevealPolicyError, Reveal, RevealPolicy, RevealWindow, RevealWindowError};
pub use role::{Role, RoleError, RoleSet, SeparationError};
pub use scope::{
    Action, CatalogueError, CatalogueResource, ResourceError, Scope, ScopeCatalogue, ScopeError, ScopeSet,
};
pub use settings::{classify, Direction, PolicyPatch, PolicySplit, Setting};
pub use signing::{ParseSigningAlgorithmError, Signing, SigningAlgorithm, SigningError};
pub use skew::{SignatureSkew, SignatureSkewError};
pub use text::{Email, KeyName, Notes, OperatorName, Reason, ScopeDescription, TenantName, TextError};
pub use timezone::{timezone_change_effective, zone_in_force, ParseTimezoneError, Timezone, TimezoneChange};
pub use window::{retry_after, ParseWindowError, PerWindow, Window};
