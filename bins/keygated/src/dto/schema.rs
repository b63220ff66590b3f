//! Named schemas for the strings the API speaks (amounts, scopes, names, ids, tokens), each with the
//! pattern its domain parser enforces, a description and an example, so every DTO field that carries
//! one points at the same definition in the OpenAPI document.
//!
//! These types exist only for the document: fields stay `String` and convert into domain values with
//! `TryFrom`. A pattern here must accept exactly what the parser accepts where a regular expression can
//! say it (the parsers' tests are the authority; Schemathesis checks the document against the server).

use serde_json::json;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// Declares a string schema type: `name`, description, optional pattern, optional format, example.
macro_rules! string_schema {
    ($(#[$doc:meta])* $name:ident, $description:expr, pattern = $pattern:expr, example = $example:expr $(, max = $max:expr)?) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                let builder = ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($description))
                    .pattern($pattern)
                    .examples([json!($example)]);
                $(let builder = builder.min_length(Some(1)).max_length(Some($max));)?
                builder.into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

/// Trimmed, not blank, no control, bidi-override, bidi-isolate, zero-width or BOM characters.
const NAME: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2069\\uFEFF]*[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2069\\uFEFF][^\\u0000-\\u001F\\u007F-\\u009F\\u00AD\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2069\\uFEFF]*$";

/// As [`NAME`], with line breaks and tabs allowed.
const TEXT: &str = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2069\\uFEFF]*[^\\s\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2069\\uFEFF][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u00AD\\u200B-\\u200F\\u202A-\\u202E\\u2060-\\u2069\\uFEFF]*$";

string_schema!(
    /// An exact decimal amount.
    AmountText,
    "Exact decimal as a string, e.g. \"100000.00\" (never a JSON number): greater than zero, below 10^18, \
     at most 18 decimals and 28 significant digits",
    pattern = Some("^([1-9][0-9]{0,17}(\\.[0-9]{1,10})?|0\\.[0-9]{0,17}[1-9])$"),
    example = "250.00"
);

string_schema!(
    /// A currency code.
    CurrencyText,
    "Currency code: 2 to 10 upper-case letters or digits (`XOF`, `USD`, `USDT`, `BTC`)",
    pattern = Some("^[A-Z0-9]{2,10}$"),
    example = "XOF"
);

string_schema!(
    /// An IANA time zone name.
    TimezoneText,
    "IANA time zone name, as the tz database spells it (`UTC`, `Africa/Dakar`, `Asia/Singapore`)",
    pattern = Some("^[A-Za-z0-9_+/-]{1,64}$"),
    example = "Africa/Dakar"
);

string_schema!(
    /// A scope.
    ScopeText,
    "`resource:action`; resource `[a-z0-9-]{1,48}`, action `read`, `write` (implies read), `approve` or `*`",
    pattern = Some("^[a-z0-9-]{1,48}:(read|write|approve|\\*)$"),
    example = "operations:write"
);

string_schema!(
    /// A resource of a tenant's scope catalogue.
    ScopeResourceText,
    "A scope's resource: 1 to 48 of `a-z`, `0-9` and `-`, unique in the catalogue",
    pattern = Some("^[a-z0-9-]{1,48}$"),
    example = "payouts"
);

string_schema!(
    /// What a resource of a scope catalogue is.
    ScopeDescriptionText,
    "Up to 200 characters, trimmed, one line; no control, bidi, zero-width or BOM characters; blank or absent \
     is none",
    pattern = Some(NAME),
    example = "Payouts",
    max = 200
);

string_schema!(
    /// A key's display name.
    KeyNameText,
    "1 to 64 characters, trimmed, not blank; no control, bidi, zero-width or BOM characters; unique in the \
     tenant; never changes",
    pattern = Some(NAME),
    example = "POS Integration",
    max = 64
);

string_schema!(
    /// An operator's or tenant's display name.
    DisplayNameText,
    "1 to 100 characters, trimmed, not blank; no control, bidi, zero-width or BOM characters",
    pattern = Some(NAME),
    example = "Acme Distribution",
    max = 100
);

string_schema!(
    /// Free notes.
    NotesText,
    "Up to 1,000 characters, trimmed, not blank; line breaks and tabs allowed, no other control, bidi or \
     zero-width characters",
    pattern = Some(TEXT),
    example = "Till 4, Dakar branch",
    max = 1000
);

string_schema!(
    /// A reason for a lifecycle step.
    ReasonText,
    "Up to 500 characters, trimmed, not blank; line breaks and tabs allowed, no other control, bidi or \
     zero-width characters",
    pattern = Some(TEXT),
    example = "integration retired",
    max = 500
);

string_schema!(
    /// A tenant id.
    TenantIdText,
    "Tenant id: a lower-case slug (`acme`) or a UUID; chosen at creation, never changes",
    pattern = Some("^[a-z0-9][a-z0-9_-]{0,63}$"),
    example = "acme"
);

string_schema!(
    /// An account inside a tenant.
    AccountIdText,
    "Account inside the tenant (a shop, an agent, a customer), as the platform names it: 1 to 64 of \
     `A-Z a-z 0-9 . _ : -` (a UUID fits), matched exactly, case included",
    pattern = Some("^[A-Za-z0-9._:-]{1,64}$"),
    example = "shop-4711"
);

string_schema!(
    /// A key id.
    KeyIdText,
    "Key id: 22 base62 characters (128 random bits); public, also inside the token",
    pattern = Some("^[0-9A-Za-z]{22}$"),
    example = "Ky9Pf34qY6Nb3wWD25RQ4F"
);

string_schema!(
    /// An actor.
    ActorText,
    "Who acted: `system` (the system admin), `operator:<id>`, `key:<id>` (an integrator key) or `leak-report` \
     (a leak report, which only suspends a key and asks its revocation)",
    pattern = Some("^(system|leak-report|operator:[0-9A-Za-z]{22}|key:[0-9A-Za-z]{22})$"),
    example = "operator:5ZR3qa7yEeeby3abP3E2Zs"
);

string_schema!(
    /// A secret API key.
    SecretText,
    "The API key itself, `{prefix}_{env}_1…` (81 characters with the default prefix `kg`). Shown once, in \
     this response only: keygate stores only its hash and never returns it again",
    pattern = Some("^[a-z][a-z0-9]{1,15}_(test|live)_1[0-9A-Za-z]{72}$"),
    example = "kg_live_1Ky9Pf34qY6Nb3wWD25RQ4F9sKq0WcFh3LrT2mVn8pXe5YbGd1Zu7NoAj6IiE4tRl0Ff2H"
);

string_schema!(
    /// An operator's bearer token.
    OperatorTokenText,
    "The operator's bearer token, `{prefix}op_live_1…`. Shown once, in this response only: keygate stores \
     only its hash and never returns it again",
    pattern = Some("^[a-z][a-z0-9]{1,15}op_live_1[0-9A-Za-z]{72}$"),
    example = "kgop_live_12xYq8Vw0mN3kLp5sT7uR9aKy9Pf34qY6Nb3wWD25RQ4F9sKq0WcFh3LrT2mVn8pXe5Yb0Ff2H"
);

string_schema!(
    /// A masked key.
    MaskedText,
    "The key with its secret hidden, for listings: prefix, environment and the last four characters",
    pattern = None::<String>,
    example = "kg_live_…JXVu"
);

string_schema!(
    /// An opaque page cursor.
    CursorText,
    "Opaque: pass a previous page's `next_cursor` back unchanged",
    pattern = None::<String>,
    example = "k0001hV3qG8ZKy9Pf34qY6Nb3wWD25RQ4F"
);

/// `valid: true` in a verdict that allows.
pub fn valid_true() -> Schema {
    constant(true, "Always true: the key may do this")
}

/// `valid: false` in a verdict that refuses.
pub fn valid_false() -> Schema {
    constant(false, "Always false: `code` says why")
}

fn constant(value: bool, description: &str) -> Schema {
    ObjectBuilder::new().schema_type(Type::Boolean).enum_values(Some([value])).description(Some(description)).into()
}

/// Declares an enum-of-strings schema whose values come from the domain's own list, so the document
/// cannot name a state, environment or role the code does not have.
macro_rules! enum_schema {
    ($(#[$doc:meta])* $name:ident as $public:literal, $description:expr, $values:expr, example = $example:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($description))
                    .enum_values(Some($values))
                    .examples([json!($example)])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($public)
            }
        }
    };
}

enum_schema!(
    /// A key's environment.
    EnvironmentView as "Environment",
    "`test` keys for integration, `live` keys for real money (only where the tenant enabled them)",
    keygate_domain::Environment::ALL.map(keygate_domain::Environment::as_str),
    example = "live"
);

enum_schema!(
    /// An action a scope catalogue offers on a resource.
    ScopeActionView as "ScopeAction",
    "`read`; `write` (a key may then hold read too); `approve`. A key's `*` needs write and approve offered",
    [keygate_domain::Action::Read, keygate_domain::Action::Write, keygate_domain::Action::Approve]
        .map(keygate_domain::Action::as_str),
    example = "write"
);

enum_schema!(
    /// A currency's class.
    CurrencyClassView as "CurrencyClass",
    "`fiat` (ISO 4217 money) or `crypto` (tokens and coins)",
    keygate_domain::CurrencyClass::ALL.map(keygate_domain::CurrencyClass::as_str),
    example = "fiat"
);

enum_schema!(
    /// A tenant's answer to a leaked key.
    OnLeakView as "OnLeak",
    "`suspend` stops the key at once; `suspend_and_revoke` also asks its revocation; `notify` only records",
    keygate_domain::OnLeak::ALL.map(keygate_domain::OnLeak::as_str),
    example = "suspend"
);

enum_schema!(
    /// When a new key's secret is drawn and shown.
    RevealView as "Reveal",
    "`on_create`: in the creation response; `after_approval`: drawn once a checker approved, for the maker who asked only (`POST .../keys/{id}/secret`)",
    keygate_domain::RevealPolicy::ALL.map(keygate_domain::RevealPolicy::as_str),
    example = "after_approval"
);

enum_schema!(
    /// A reported token's label.
    LeakLabelView as "LeakLabel",
    "`true_positive`: a live key (active, suspended or awaiting its revocation), now acted on by its tenant's \
     `on_leak`; `false_positive`: anything else (malformed, unknown, a wrong secret, an ended key)",
    keygate_verifier::manage::LeakLabel::ALL.map(keygate_verifier::manage::LeakLabel::as_str),
    example = "true_positive"
);

enum_schema!(
    /// A key's state.
    KeyStateView as "KeyState",
    "Where the key is in its lifecycle: `pending_approval` waits for a checker; `active` and \
     `revocation_pending` authenticate; `rejected` and `revoked` are final",
    keygate_domain::KeyState::ALL.map(keygate_domain::KeyState::as_str),
    example = "active"
);

enum_schema!(
    /// An operator's role.
    RoleView as "Role",
    "`maker` asks, `checker` approves (never its own request), `admin` manages operators and policy, \
     `auditor` reads",
    keygate_domain::Role::ALL.map(keygate_domain::Role::as_str),
    example = "maker"
);

/// The verdict's `code`: every denial the policy and the verifier can answer.
pub fn denial_code() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("Why the key may not do this, in the order the checks run"))
        .enum_values(Some(keygate_policy::DenialCode::ALL.map(keygate_policy::DenialCode::as_str)))
        .into()
}

/// The verdict's `status`: the statuses the denials carry.
pub fn denial_status() -> Schema {
    let mut statuses: Vec<u16> = keygate_policy::DenialCode::ALL.iter().map(|c| c.status()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    ObjectBuilder::new().schema_type(Type::Integer).enum_values(Some(statuses)).into()
}

/// An operator's state, from the domain's list.
pub fn operator_state() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(
            keygate_domain::operator::OperatorState::ALL.map(keygate_domain::operator::OperatorState::as_str),
        ))
        .into()
}
