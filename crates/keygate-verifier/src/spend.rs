//! What a spend remembers of the request that made it: the fingerprint an idempotency key is held to,
//! so a retry is recognised and a different request under the same key is refused.

use keygate_domain::KeyId;
use keygate_policy::{Money, RequestContext};
use sha2::{Digest, Sha256};

/// Longest idempotency key accepted (characters).
pub const IDEMPOTENCY_KEY_MAX: usize = 128;

/// Whether `key` is an acceptable idempotency key: 1 to 128 printable ASCII characters.
pub fn valid_idempotency_key(key: &str) -> bool {
    (1..=IDEMPOTENCY_KEY_MAX).contains(&key.len()) && key.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// SHA-256 over everything the request asked, in a fixed, length-prefixed order: the caller, the API
/// key, the amount (normalised, so `7.00` and `7` are one request) and its currency, the required
/// scopes (as a sorted set), the tenant, the client address, the environment and, when the request names
/// one, the account.
pub fn fingerprint(key: KeyId, ctx: &RequestContext, money: Money, caller: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    let mut field = |bytes: &[u8]| {
        h.update(u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
        h.update(bytes);
    };
    field(b"keygate-spend-v1");
    field(caller.as_bytes());
    field(key.as_bytes());
    field(money.amount.value().normalize().to_string().as_bytes());
    field(money.currency.map(|c| c.to_string()).unwrap_or_default().as_bytes());
    let mut scopes: Vec<String> = ctx.required_scopes.iter().map(ToString::to_string).collect();
    scopes.sort_unstable();
    scopes.dedup();
    field(scopes.join(" ").as_bytes());
    field(ctx.tenant.as_ref().map_or("", |t| t.as_str()).as_bytes());
    field(ctx.client_ip.map(|ip| ip.to_string()).unwrap_or_default().as_bytes());
    field(ctx.environment.map_or("", |e| e.as_str()).as_bytes());
    // Only when named, and last: a request naming no account keeps the fingerprint it had before accounts
    // existed, so a retry that straddles the upgrade is still recognised as the same request.
    if let Some(account) = &ctx.account_id {
        field(b"account");
        field(account.as_str().as_bytes());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use keygate_domain::{Amount, Currency};

    use super::*;

    fn money(amount: &str) -> Money {
        Money { amount: Amount::parse(amount).unwrap(), currency: Currency::parse("XOF").ok() }
    }

    #[test]
    fn a_retry_has_the_fingerprint_of_its_first_try_and_any_difference_changes_it() {
        let key = KeyId::from_bytes([1; 16]);
        let base = RequestContext::default();
        let first = fingerprint(key, &base, money("7.00"), "gw");
        assert_eq!(fingerprint(key, &base, money("7"), "gw"), first, "trailing zeros do not make another request");
        let other_tenant = RequestContext { tenant: keygate_domain::TenantId::parse("acme").ok(), ..base.clone() };
        let other_ip = RequestContext { client_ip: "10.0.0.1".parse().ok(), ..base.clone() };
        let other_account =
            RequestContext { account_id: keygate_domain::AccountId::parse("shop-1").ok(), ..base.clone() };
        let cases = [
            (fingerprint(KeyId::from_bytes([2; 16]), &base, money("7"), "gw"), "another API key"),
            (fingerprint(key, &base, money("8"), "gw"), "another amount"),
            (fingerprint(key, &other_tenant, money("7"), "gw"), "another tenant"),
            (fingerprint(key, &other_ip, money("7"), "gw"), "another client address"),
            (fingerprint(key, &other_account, money("7"), "gw"), "another account"),
            (fingerprint(key, &base, money("7"), "other-gateway"), "another caller"),
        ];
        for (print, why) in cases {
            assert_ne!(print, first, "{why}");
        }
    }

    #[test]
    fn a_request_naming_no_account_keeps_the_fingerprint_it_had_before_accounts() {
        // Computed by the fingerprint of the release before sub-accounts, so a retry that straddles the
        // upgrade is still the same request.
        let print = fingerprint(KeyId::from_bytes([1; 16]), &RequestContext::default(), money("7"), "gw");
        let hex = print.iter().fold(String::new(), |mut hex, b| {
            let _ = std::fmt::Write::write_fmt(&mut hex, format_args!("{b:02x}"));
            hex
        });
        assert_eq!(hex, "cce88dc581b90b7e42db0800b488eee6409bfa752f6805b40429f16973d85cce");
    }

    #[test]
    fn idempotency_keys_are_one_to_128_printable_characters() {
        let cases = [("a", true), ("order-42/retry", true), ("", false), ("é", false), ("a\n", false)];
        for (key, ok) in cases {
            assert_eq!(valid_idempotency_key(key), ok, "{key:?}");
        }
        assert!(valid_idempotency_key(&"x".repeat(128)) && !valid_idempotency_key(&"x".repeat(129)), "the bound");
    }
}
