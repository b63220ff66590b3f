//! Already-parsed inputs of management operations (the server converts JSON into these).

use keygate_domain::{
    AccountId, Currency, CurrencyClass, CurrencySpec, Email, Environment, ExpiryRequest, KeyName, Limits, Notes,
    OnLeak, OperatorName, PolicyPatch, Privileges, RoleSet, ScopeCatalogue, ScopeSet, TenantName, Timezone,
};

/// A new key as the maker asks for it.
#[derive(Debug, Clone)]
pub struct KeySpec {
    /// Name, unique in the tenant.
    pub name: KeyName,
    /// Notes.
    pub notes: Option<Notes>,
    /// The account inside the tenant the key is bound to (`None`: the whole tenant); never changes.
    pub account: Option<AccountId>,
    /// Test or live.
    pub environment: Environment,
    /// Scopes and limits.
    pub privileges: Privileges,
    /// The platform's id for the owner, and metadata.
    pub owner: keygate_domain::Owner,
    /// Expiry as asked.
    pub expiry: ExpiryRequest,
    /// How the key signs requests, if it does (and whether it keeps a bearer secret).
    pub signing: Option<keygate_domain::Signing>,
}

/// Changes to a key: notes, a rename (where the tenant allows it) and a shorter expiry apply at once;
/// scopes, limits, external id and metadata go through the state machine.
#[derive(Debug, Clone, Default)]
pub struct KeyPatch {
    /// A new name (only where the tenant's `name_mutable` is on).
    pub name: Option<KeyName>,
    /// An earlier expiry (never a later one: rotate instead).
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// New notes (`Some(None)` clears them).
    pub notes: Option<Option<Notes>>,
    /// New scopes.
    pub scopes: Option<ScopeSet>,
    /// New limits (their currency class is `currency_class`'s, or the key's).
    pub limits: Option<Limits>,
    /// A new currency class (`Some(None)`: any class).
    pub currency_class: Option<Option<CurrencyClass>>,
    /// A new external id (`Some(None)` clears it); held for a checker like scopes.
    pub external_id: Option<Option<keygate_domain::ExternalId>>,
    /// New metadata (`Some(None)` clears it); held for a checker like scopes.
    pub metadata: Option<Option<keygate_domain::Metadata>>,
}

/// A tenant's name and policy settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct TenantPatch {
    /// Display name.
    pub name: Option<TenantName>,
    /// Maker-checker on or off.
    pub dual_control: Option<bool>,
    /// Live keys allowed.
    pub live_enabled: Option<bool>,
    /// Lifetime cap (`Some(None)` removes it).
    pub max_key_lifetime_days: Option<Option<u32>>,
    /// Never-expiring keys allowed.
    pub allow_never_expiring: Option<bool>,
    /// Integrator keys holding `api-keys:approve` may approve.
    pub integrator_approvals: Option<bool>,
    /// The zone of the tenant's volume windows.
    pub timezone: Option<Timezone>,
    /// One currency of the tenant's table, described anew.
    pub currency: Option<(Currency, CurrencySpec)>,
    /// What a key reported leaked gets.
    pub on_leak: Option<OnLeak>,
    /// Key names may change.
    pub name_mutable: Option<bool>,
    /// New keys must name an account.
    pub require_account: Option<bool>,
    /// When new keys' secrets are drawn and shown.
    pub reveal: Option<keygate_domain::RevealPolicy>,
    /// How long an approved key's secret may be revealed.
    pub reveal_window_hours: Option<keygate_domain::RevealWindow>,
    /// The scope catalogue set anew (`Some(None)` removes it).
    pub scope_catalogue: Option<Option<ScopeCatalogue>>,
    /// Days of warning before a key expires (`key.expiring`).
    pub webhook_expiry_lead_days: Option<keygate_domain::webhook::ExpiryLead>,
    /// Seconds a signed request's `created` may be off from now.
    pub signature_skew_seconds: Option<keygate_domain::SignatureSkew>,
}

impl TenantPatch {
    /// The policy settings of this patch.
    pub fn policy(&self) -> PolicyPatch {
        PolicyPatch {
            dual_control: self.dual_control,
            live_enabled: self.live_enabled,
            max_key_lifetime_days: self.max_key_lifetime_days,
            allow_never_expiring: self.allow_never_expiring,
            integrator_approvals: self.integrator_approvals,
            timezone: self.timezone,
            currency: self.currency,
            on_leak: self.on_leak,
            name_mutable: self.name_mutable,
            require_account: self.require_account,
            reveal: self.reveal,
            reveal_window_hours: self.reveal_window_hours,
            scope_catalogue: self.scope_catalogue.clone(),
            webhook_expiry_lead_days: self.webhook_expiry_lead_days,
            signature_skew_seconds: self.signature_skew_seconds,
        }
    }
}

/// A new operator.
#[derive(Debug, Clone)]
pub struct NewOperator {
    /// Display name.
    pub name: OperatorName,
    /// E-mail, unique in the tenant.
    pub email: Email,
    /// Roles.
    pub roles: RoleSet,
}
