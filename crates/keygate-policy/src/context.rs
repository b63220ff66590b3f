//! What a caller is trying to do: the request's side of a policy decision. Plain data the verifier fills
//! in from the request; it must never hold a credential or anything secret.

use std::net::IpAddr;

use keygate_domain::{AccountId, Amount, Currency, Environment, Scope, TenantId};

/// An amount of money as the request states it. The currency is optional because some requests do not
/// state one; [`crate::evaluate`] refuses such an amount against a key bound to a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    /// How much.
    pub amount: Amount,
    /// In what, if the request says.
    pub currency: Option<Currency>,
}

/// What the caller is trying to do. Every `None` (and an empty scope list) means "not checked".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// The tenant acted on (for example the distributor id in the URL); `None` is not checked.
    pub tenant: Option<TenantId>,
    /// The account inside the tenant acted on (a merchant's shop in the URL, say); `None` is not
    /// checked. Only a key bound to an account can be refused for it: a key of the whole tenant acts for
    /// every account.
    pub account_id: Option<AccountId>,
    /// Scopes the operation needs; all must be granted.
    pub required_scopes: Vec<Scope>,
    /// The environment the calling service runs in; `None` is not checked.
    pub environment: Option<Environment>,
    /// The client's address, if known. A key with an IP allow list refuses an unknown address.
    pub client_ip: Option<IpAddr>,
    /// The amount the operation moves, if it moves money.
    pub amount: Option<Money>,
}
