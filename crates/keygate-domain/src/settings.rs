//! Which way each tenant setting moves: the one table that says, for every field of
//! [`TenantPolicy`], which direction narrows (one person may do it at once) and which widens (held for
//! a second person's approval, whatever the tenant's dual control says).
//!
//! Every new tenant setting (time zone, currency, ...) must be added to [`classify`] and to
//! [`PolicyPatch`]; both destructure the structs without `..`, so forgetting one is a compile error.
//! This module never decides who may ask or approve; [`crate::PolicyRequest`] does.

#[cfg(test)]
mod tests;

use crate::money::{Currency, CurrencySpec};
use crate::on_leak::OnLeak;
use crate::policy::TenantPolicy;
use crate::reveal::{RevealPolicy, RevealWindow};
use crate::scope::ScopeCatalogue;
use crate::timezone::Timezone;

/// One tenant setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Setting {
    /// [`TenantPolicy::dual_control`]: on narrows.
    DualControl,
    /// [`TenantPolicy::live_enabled`]: off narrows.
    LiveEnabled,
    /// [`TenantPolicy::max_key_lifetime_days`]: a smaller cap narrows, no cap is widest.
    MaxKeyLifetimeDays,
    /// [`TenantPolicy::allow_never_expiring`]: off narrows.
    AllowNeverExpiring,
    /// [`TenantPolicy::integrator_approvals`]: off narrows.
    IntegratorApprovals,
    /// [`TenantPolicy::timezone`]: every change widens, as it moves where each window ends (a shorter
    /// day in between).
    Timezone,
    /// [`TenantPolicy::currencies`]: a currency added, another class, or more decimals widens; fewer
    /// decimals narrows.
    Currencies,
    /// [`TenantPolicy::on_leak`]: `suspend_and_revoke` narrowest, then `suspend`, then `notify` (a leaked
    /// key keeps working). A tenant is born with `suspend`, the seeds' default, one step from the
    /// narrow end: one admin may take that step.
    OnLeak,
    /// [`TenantPolicy::name_mutable`]: off narrows (a name partners and operators know a key by stays).
    NameMutable,
    /// [`TenantPolicy::require_account`]: on narrows (no new key may act for every account). A tenant
    /// is born with it off, at the wide end, as most tenants have no sub-accounts: switching it on
    /// takes one admin, switching it off a second.
    RequireAccount,
    /// [`TenantPolicy::reveal`]: `after_approval` narrows (no secret exists before a checker approved,
    /// and a rejected key never had one). A tenant is born with `on_create`, as most seeds show the
    /// secret at creation.
    Reveal,
    /// [`TenantPolicy::reveal_window_hours`]: a shorter window narrows.
    RevealWindowHours,
    /// [`TenantPolicy::scope_catalogue`]: none is widest; setting one narrows, and so does replacing
    /// it by one that lets keys hold nothing more (descriptions grant nothing); removing it, or
    /// offering any action more, widens.
    ScopeCatalogue,
    /// [`TenantPolicy::webhook_expiry_lead_days`]: a longer lead narrows (endpoints are warned earlier);
    /// a shorter one leaves less time to rotate, a loosening of oversight, so it widens.
    WebhookExpiryLeadDays,
    /// [`TenantPolicy::signature_skew_seconds`]: a shorter skew narrows (a captured signed request is
    /// fresh for less time); a longer one widens.
    SignatureSkewSeconds,
}

impl Setting {
    /// Every setting, in the order of [`TenantPolicy`]'s fields.
    pub const ALL: [Self; 15] = [
        Self::DualControl,
        Self::LiveEnabled,
        Self::MaxKeyLifetimeDays,
        Self::AllowNeverExpiring,
        Self::IntegratorApprovals,
        Self::Timezone,
        Self::Currencies,
        Self::OnLeak,
        Self::NameMutable,
        Self::RequireAccount,
        Self::Reveal,
        Self::RevealWindowHours,
        Self::ScopeCatalogue,
        Self::WebhookExpiryLeadDays,
        Self::SignatureSkewSeconds,
    ];

    /// The setting's name, as the field is named on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DualControl => "dual_control",
            Self::LiveEnabled => "live_enabled",
            Self::MaxKeyLifetimeDays => "max_key_lifetime_days",
            Self::AllowNeverExpiring => "allow_never_expiring",
            Self::IntegratorApprovals => "integrator_approvals",
            Self::Timezone => "timezone",
            Self::Currencies => "currencies",
            Self::OnLeak => "on_leak",
            Self::NameMutable => "name_mutable",
            Self::RequireAccount => "require_account",
            Self::Reveal => "reveal",
            Self::RevealWindowHours => "reveal_window_hours",
            Self::ScopeCatalogue => "scope_catalogue",
            Self::WebhookExpiryLeadDays => "webhook_expiry_lead_days",
            Self::SignatureSkewSeconds => "signature_skew_seconds",
        }
    }

    /// Which way this setting moves from `from` to `to` (the other settings are not looked at).
    pub fn direction(self, from: &TenantPolicy, to: &TenantPolicy) -> Direction {
        classify(from, to)
            .into_iter()
            .find_map(|(setting, direction)| (setting == self).then_some(direction))
            .unwrap_or(Direction::Unchanged)
    }
}

/// Which way a setting moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The same value.
    Unchanged,
    /// Less is allowed afterwards: one person may do it.
    Narrows,
    /// More is allowed afterwards: a second person must approve.
    Widens,
}

/// A flag where `on` is the narrow end (dual control).
fn on_narrows(from: bool, to: bool) -> Direction {
    match (from, to) {
        (false, true) => Direction::Narrows,
        (true, false) => Direction::Widens,
        _ => Direction::Unchanged,
    }
}

/// A flag where `off` is the narrow end (live keys, never-expiring keys, integrator approvals).
fn off_narrows(from: bool, to: bool) -> Direction {
    on_narrows(to, from)
}

/// A cap where smaller is narrower and none is widest.
fn cap(from: Option<u32>, to: Option<u32>) -> Direction {
    match (from, to) {
        (a, b) if a == b => Direction::Unchanged,
        (None, Some(_)) => Direction::Narrows,
        (Some(a), Some(b)) if b < a => Direction::Narrows,
        // A longer cap, or none at all.
        _ => Direction::Widens,
    }
}

/// Any change widens (a time zone has no narrow end).
fn any_change_widens<T: PartialEq>(from: &T, to: &T) -> Direction {
    if from == to {
        Direction::Unchanged
    } else {
        Direction::Widens
    }
}

/// One currency's description, from what the table said before to what it says after.
fn currency(from: Option<CurrencySpec>, to: Option<CurrencySpec>) -> Direction {
    match (from, to) {
        (a, b) if a == b => Direction::Unchanged,
        (Some(a), Some(b)) if a.class() == b.class() && b.scale() < a.scale() => Direction::Narrows,
        (Some(_), None) => Direction::Narrows,
        // A currency added, another class (the other class's keys may now move it), more decimals.
        _ => Direction::Widens,
    }
}

/// `suspend_and_revoke` < `suspend` < `notify`: each step up drops something done to a leaked key (the
/// revocation asked, then the suspension itself).
fn leak(from: OnLeak, to: OnLeak) -> Direction {
    let rank = |v: OnLeak| match v {
        OnLeak::SuspendAndRevoke => 0,
        OnLeak::Suspend => 1,
        OnLeak::Notify => 2,
    };
    match rank(to).cmp(&rank(from)) {
        std::cmp::Ordering::Equal => Direction::Unchanged,
        std::cmp::Ordering::Less => Direction::Narrows,
        std::cmp::Ordering::Greater => Direction::Widens,
    }
}

/// A scope catalogue: none is widest; another one narrows when it offers nothing the old one did not.
fn catalogue(from: Option<&ScopeCatalogue>, to: Option<&ScopeCatalogue>) -> Direction {
    match (from, to) {
        (a, b) if a == b => Direction::Unchanged,
        (None, Some(_)) => Direction::Narrows,
        (Some(a), Some(b)) if b.is_within(a) => Direction::Narrows,
        // Removed, or a resource or action offered that was not.
        _ => Direction::Widens,
    }
}

/// The currency tables: widens if any currency widens, else narrows if any narrows.
fn currencies(from: &TenantPolicy, to: &TenantPolicy) -> Direction {
    let codes = from.currencies.iter().chain(to.currencies.iter()).map(|(code, _)| code);
    let moves: Vec<Direction> = codes.map(|code| currency(from.currency(code), to.currency(code))).collect();
    if moves.contains(&Direction::Widens) {
        Direction::Widens
    } else if moves.contains(&Direction::Narrows) {
        Direction::Narrows
    } else {
        Direction::Unchanged
    }
}

/// THE table: each setting of the policy with the direction it moves from `from` to `to`. A new field
/// of [`TenantPolicy`] fails to compile here until it is given a row.
pub fn classify(from: &TenantPolicy, to: &TenantPolicy) -> [(Setting, Direction); 15] {
    let TenantPolicy {
        dual_control,
        live_enabled,
        max_key_lifetime_days,
        allow_never_expiring,
        integrator_approvals,
        timezone,
        currencies: _,
        on_leak,
        name_mutable,
        require_account,
        reveal,
        reveal_window_hours,
        scope_catalogue,
        webhook_expiry_lead_days,
        signature_skew_seconds,
    } = to;
    [
        (Setting::DualControl, on_narrows(from.dual_control, *dual_control)),
        (Setting::LiveEnabled, off_narrows(from.live_enabled, *live_enabled)),
        (Setting::MaxKeyLifetimeDays, cap(from.max_key_lifetime_days, *max_key_lifetime_days)),
        (Setting::AllowNeverExpiring, off_narrows(from.allow_never_expiring, *allow_never_expiring)),
        (Setting::IntegratorApprovals, off_narrows(from.integrator_approvals, *integrator_approvals)),
        (Setting::Timezone, any_change_widens(&from.timezone, timezone)),
        (Setting::Currencies, currencies(from, to)),
        (Setting::OnLeak, leak(from.on_leak, *on_leak)),
        (Setting::NameMutable, off_narrows(from.name_mutable, *name_mutable)),
        (Setting::RequireAccount, on_narrows(from.require_account, *require_account)),
        (
            Setting::Reveal,
            on_narrows(from.reveal == RevealPolicy::AfterApproval, *reveal == RevealPolicy::AfterApproval),
        ),
        (
            Setting::RevealWindowHours,
            cap(Some(from.reveal_window_hours.as_hours()), Some(reveal_window_hours.as_hours())),
        ),
        (Setting::ScopeCatalogue, catalogue(from.scope_catalogue.as_ref(), scope_catalogue.as_ref())),
        // A lead is a cap read backwards: longer narrows.
        (
            Setting::WebhookExpiryLeadDays,
            cap(Some(webhook_expiry_lead_days.as_days()), Some(from.webhook_expiry_lead_days.as_days())),
        ),
        (
            Setting::SignatureSkewSeconds,
            cap(Some(from.signature_skew_seconds.as_seconds()), Some(signature_skew_seconds.as_seconds())),
        ),
    ]
}

/// A change to a tenant's policy as asked: each setting optional (`None` leaves it as it is).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct PolicyPatch {
    /// Dual control on or off.
    pub dual_control: Option<bool>,
    /// Live keys allowed.
    pub live_enabled: Option<bool>,
    /// Lifetime cap in days (`Some(None)` removes it).
    pub max_key_lifetime_days: Option<Option<u32>>,
    /// Never-expiring keys allowed.
    pub allow_never_expiring: Option<bool>,
    /// Integrator keys may approve and reject.
    pub integrator_approvals: Option<bool>,
    /// The time zone of the tenant's windows.
    pub timezone: Option<Timezone>,
    /// One currency of the tenant's table described anew (added or replaced).
    pub currency: Option<(Currency, CurrencySpec)>,
    /// What a leaked key gets.
    pub on_leak: Option<OnLeak>,
    /// Key names may change.
    pub name_mutable: Option<bool>,
    /// New keys must name an account.
    pub require_account: Option<bool>,
    /// When new keys' secrets are drawn and shown.
    pub reveal: Option<RevealPolicy>,
    /// How long an approved key's secret may be revealed.
    pub reveal_window_hours: Option<RevealWindow>,
    /// The scope catalogue set anew (`Some(None)` removes it).
    pub scope_catalogue: Option<Option<ScopeCatalogue>>,
    /// Days of warning before a key expires.
    pub webhook_expiry_lead_days: Option<crate::webhook::ExpiryLead>,
    /// Seconds a signed request's `created` may be off from now.
    pub signature_skew_seconds: Option<crate::SignatureSkew>,
}

impl PolicyPatch {
    /// Whether the patch asks for nothing.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `policy` with every setting of this patch applied, as asked.
    pub fn apply_to(&self, policy: &TenantPolicy) -> TenantPolicy {
        let Self {
            dual_control,
            live_enabled,
            max_key_lifetime_days,
            allow_never_expiring,
            integrator_approvals,
            timezone,
            currency,
            on_leak,
            name_mutable,
            require_account,
            reveal,
            reveal_window_hours,
            scope_catalogue,
            webhook_expiry_lead_days,
            signature_skew_seconds,
        } = self;
        TenantPolicy {
            dual_control: dual_control.unwrap_or(policy.dual_control),
            live_enabled: live_enabled.unwrap_or(policy.live_enabled),
            max_key_lifetime_days: max_key_lifetime_days.unwrap_or(policy.max_key_lifetime_days),
            allow_never_expiring: allow_never_expiring.unwrap_or(policy.allow_never_expiring),
            integrator_approvals: integrator_approvals.unwrap_or(policy.integrator_approvals),
            timezone: timezone.unwrap_or(policy.timezone),
            currencies: match *currency {
                Some((code, spec)) => policy.currencies.with(code, spec),
                None => policy.currencies.clone(),
            },
            on_leak: on_leak.unwrap_or(policy.on_leak),
            name_mutable: name_mutable.unwrap_or(policy.name_mutable),
            require_account: require_account.unwrap_or(policy.require_account),
            reveal: reveal.unwrap_or(policy.reveal),
            reveal_window_hours: reveal_window_hours.unwrap_or(policy.reveal_window_hours),
            scope_catalogue: scope_catalogue.clone().unwrap_or_else(|| policy.scope_catalogue.clone()),
            webhook_expiry_lead_days: webhook_expiry_lead_days.unwrap_or(policy.webhook_expiry_lead_days),
            signature_skew_seconds: signature_skew_seconds.unwrap_or(policy.signature_skew_seconds),
        }
    }

    /// The part of this patch that touches `setting` only.
    #[must_use]
    pub fn only(&self, setting: Setting) -> Self {
        let mut one = Self::default();
        match setting {
            Setting::DualControl => one.dual_control = self.dual_control,
            Setting::LiveEnabled => one.live_enabled = self.live_enabled,
            Setting::MaxKeyLifetimeDays => one.max_key_lifetime_days = self.max_key_lifetime_days,
            Setting::AllowNeverExpiring => one.allow_never_expiring = self.allow_never_expiring,
            Setting::IntegratorApprovals => one.integrator_approvals = self.integrator_approvals,
            Setting::Timezone => one.timezone = self.timezone,
            Setting::Currencies => one.currency = self.currency,
            Setting::OnLeak => one.on_leak = self.on_leak,
            Setting::NameMutable => one.name_mutable = self.name_mutable,
            Setting::RequireAccount => one.require_account = self.require_account,
            Setting::Reveal => one.reveal = self.reveal,
            Setting::RevealWindowHours => one.reveal_window_hours = self.reveal_window_hours,
            Setting::ScopeCatalogue => one.scope_catalogue.clone_from(&self.scope_catalogue),
            Setting::WebhookExpiryLeadDays => one.webhook_expiry_lead_days = self.webhook_expiry_lead_days,
            Setting::SignatureSkewSeconds => one.signature_skew_seconds = self.signature_skew_seconds,
        }
        one
    }

    /// This patch with the settings `other` asks for added (`other` wins where both ask).
    #[must_use]
    pub fn merge(&self, other: &Self) -> Self {
        Self {
            dual_control: other.dual_control.or(self.dual_control),
            live_enabled: other.live_enabled.or(self.live_enabled),
            max_key_lifetime_days: other.max_key_lifetime_days.or(self.max_key_lifetime_days),
            allow_never_expiring: other.allow_never_expiring.or(self.allow_never_expiring),
            integrator_approvals: other.integrator_approvals.or(self.integrator_approvals),
            timezone: other.timezone.or(self.timezone),
            currency: other.currency.or(self.currency),
            on_leak: other.on_leak.or(self.on_leak),
            name_mutable: other.name_mutable.or(self.name_mutable),
            require_account: other.require_account.or(self.require_account),
            reveal: other.reveal.or(self.reveal),
            reveal_window_hours: other.reveal_window_hours.or(self.reveal_window_hours),
            scope_catalogue: other.scope_catalogue.clone().or_else(|| self.scope_catalogue.clone()),
            webhook_expiry_lead_days: other.webhook_expiry_lead_days.or(self.webhook_expiry_lead_days),
            signature_skew_seconds: other.signature_skew_seconds.or(self.signature_skew_seconds),
        }
    }
}

/// A patch split by direction: what holds at once, and what waits for a second person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySplit {
    /// The policy with every narrowing (and unchanged) setting of the patch applied.
    pub now: TenantPolicy,
    /// The widening settings only, as asked; `None` when nothing widens.
    pub pending: Option<PolicyPatch>,
}

impl TenantPolicy {
    /// The policy a new tenant gets, whatever its creator asked: every setting at its narrow end but
    /// four, which start where the seeds put them: `on_leak` at `suspend` (one step from
    /// `suspend_and_revoke`), `require_account` off (on, a tenant without sub-accounts could make no
    /// key at all), `reveal` at `on_create` and `reveal_window_hours` at 72 (most seeds show the secret
    /// at creation; the first seed's three days). Moving any of them towards its narrow end takes one
    /// admin; widening anything is a policy request like any other. A tenant is also born without a
    /// `scope_catalogue` (its wide end, as today): the list of resources is the tenant's own, which
    /// keygate cannot guess; one admin sets it. `webhook_expiry_lead_days` starts at the 7 days,
    /// not at its narrow end (90): a week is what operators expect; one admin may lengthen it. Likewise
    /// `signature_skew_seconds` starts at 300, not 30: few clients' clocks are that close.
    pub fn narrowest() -> Self {
        Self {
            dual_control: true,
            live_enabled: false,
            max_key_lifetime_days: Some(crate::ExpiryRequest::DEFAULT_DAYS),
            allow_never_expiring: false,
            integrator_approvals: false,
            timezone: Timezone::UTC,
            currencies: crate::money::CurrencyTable::empty(),
            on_leak: OnLeak::Suspend,
            name_mutable: false,
            require_account: false,
            reveal: RevealPolicy::OnCreate,
            reveal_window_hours: RevealWindow::DEFAULT,
            scope_catalogue: None,
            webhook_expiry_lead_days: crate::webhook::ExpiryLead::DEFAULT,
            signature_skew_seconds: crate::SignatureSkew::DEFAULT,
        }
    }

    /// Splits `patch` setting by setting against this policy: each narrowing applies at once, each
    /// widening is held in `pending`. Dual control does not change this: loosening a tenant always
    /// takes two persons.
    pub fn split(&self, patch: &PolicyPatch) -> PolicySplit {
        let mut now = self.clone();
        let mut pending = PolicyPatch::default();
        for setting in Setting::ALL {
            let one = patch.only(setting);
            if setting.direction(self, &one.apply_to(self)) == Direction::Widens {
                pending = pending.merge(&one);
            } else {
                now = one.apply_to(&now);
            }
        }
        PolicySplit { now, pending: (!pending.is_empty()).then_some(pending) }
    }

    /// Applies an approved pending patch to the policy as it is now. Each setting that still widens
    /// this policy is applied with the value asked: the checker approved that value, so if someone
    /// narrowed the same setting meanwhile, approval restores the approved value (the checker saw
    /// it). A setting that no longer widens (the policy already moved past it, say a cap removed while
    /// a longer cap waited) is dropped rather than applied, so an approval never narrows by surprise.
    #[must_use]
    pub fn apply_pending(&self, pending: &PolicyPatch) -> Self {
        Setting::ALL.into_iter().fold(self.clone(), |policy, setting| {
            let one = pending.only(setting);
            if setting.direction(self, &one.apply_to(self)) == Direction::Widens {
                one.apply_to(&policy)
            } else {
                policy
            }
        })
    }
}
