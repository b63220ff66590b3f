//! The verifier's integration tests: what a service embedding `keygate-verifier` relies on, through its
//! public API only. Each behaviour is an async function over [`support::Stores`], run once on the
//! in-memory store and once on PostgreSQL (a fresh database per test) when `KEYGATE_TEST_DATABASE_URL`
//! is set, as CI always sets it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod audit;
mod cache;
mod denials;
#[cfg(feature = "actix")]
mod glue;
mod outage;
mod rate;
mod revocation;
mod spending;
mod support;
mod usage;

/// For each behaviour `module::name`, one `memory::name` and one `postgres::name` test.
macro_rules! on_every_backend {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let store = std::sync::Arc::new(keygate_store::MemoryStore::new());
                    crate::$module::$name(crate::support::Stores::same(store)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = keygate_store::testing::TestDatabase::create().await else { return };
                    let stores = crate::support::Stores {
                        first: std::sync::Arc::new(db.store()),
                        // A second pool with its own listener: another process on the same database.
                        second: std::sync::Arc::new(
                            keygate_store::PgStore::connect(keygate_store::PgStoreOptions::new(db.url())).await.unwrap(),
                        ),
                    };
                    // Drop the database even when the behaviour fails, then report the failure.
                    let run = std::panic::AssertUnwindSafe(crate::$module::$name(stores));
                    let outcome = futures_util::FutureExt::catch_unwind(run).await;
                    db.drop_database().await;
                    if let Err(panic) = outcome {
                        std::panic::resume_unwind(panic);
                    }
                }
            )*
        }
    };
}

on_every_backend!(
    cache::a_key_in_use_is_renewed_before_its_entry_expires_and_an_idle_one_is_read_again,
    audit::tenant_admins_auditors_and_the_system_admin_may_verify_the_audit_chain,
    denials::a_token_that_does_not_parse_is_malformed,
    denials::an_unknown_key_and_a_wrong_secret_are_both_not_found,
    denials::a_key_waiting_for_approval_is_refused,
    denials::a_rejected_key_is_refused,
    denials::a_revoked_key_is_refused,
    denials::a_key_is_refused_from_its_expiry_instant_on,
    denials::a_key_used_on_another_tenant_is_refused,
    denials::a_key_bound_to_an_account_is_refused_for_another_and_a_tenant_key_for_none,
    denials::a_key_used_in_another_environment_is_refused,
    denials::a_key_lacking_scopes_is_told_every_missing_one,
    denials::a_key_used_from_outside_its_networks_is_refused,
    denials::an_amount_over_the_key_maximum_is_refused,
    denials::an_amount_in_another_currency_is_refused,
    denials::a_spend_past_the_daily_volume_is_refused_with_what_remains,
    denials::a_key_breaking_several_rules_is_told_the_first_in_the_documented_order,
    spending::a_key_awaiting_revocation_keeps_working_until_the_checker_approves,
    spending::a_spend_reports_what_remains_today_and_release_gives_it_back,
    spending::charge_holds_an_already_verified_key_to_its_limits,
    spending::charging_a_key_restricted_to_networks_works_for_the_request_it_verified,
    spending::a_release_after_midnight_gives_back_the_day_the_amount_was_spent_on,
    revocation::a_revocation_reaches_every_process_sharing_the_store_within_a_second,
    revocation::a_revoked_key_never_moves_money_even_when_its_change_notice_was_lost,
    outage::an_uncached_key_is_unavailable_while_the_store_is_down,
    outage::a_cached_key_keeps_verifying_until_the_cache_ttl_while_the_store_is_down,
    outage::an_amount_is_never_allowed_while_the_store_is_down_even_for_a_cached_key,
    outage::a_token_that_cannot_be_a_key_never_reaches_the_store,
    usage::verifications_are_counted_in_the_store_after_shutdown,
    rate::two_processes_allow_exactly_the_limit_per_window,
    rate::a_request_counts_in_every_limit_or_in_none,
    rate::leases_are_given_back_at_a_graceful_stop_and_a_killed_process_strands_at_most_its_slice,
    rate::a_key_stopped_mid_lease_is_refused_within_the_lease_even_without_its_change_notice,
);

/// The in-memory store tells its subscribers of a change before `commit` returns, so the verifier that
/// shares it can refuse a revoked key on the very next request. Run on a single-threaded runtime, as
/// an actix worker is.
#[tokio::test(flavor = "current_thread")]
async fn a_revocation_in_memory_is_refused_by_the_next_verification() {
    let store = std::sync::Arc::new(keygate_store::MemoryStore::new());
    revocation::a_revocation_is_refused_at_once_by_the_verifier_sharing_the_store(support::Stores::same(store)).await;
}

#[tokio::test]
async fn a_store_on_a_database_that_is_down_is_unavailable() {
    outage::a_store_on_a_database_that_is_down_is_unavailable().await;
}
