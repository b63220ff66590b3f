//! The conformance suite: every behaviour a `KeyStore` promises, written once and run against both
//! backends. The PostgreSQL variants run when `KEYGATE_TEST_DATABASE_URL` is set (as CI always sets
//! it), each test in a fresh database of its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod conformance;
mod fixtures;
mod postgres_only;

/// Generates, for each conformance test, one `#[tokio::test]` per backend.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let store = std::sync::Arc::new(keygate_store::MemoryStore::new());
                    crate::conformance::$name(store.clone(), store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let Some(db) = keygate_store::testing::TestDatabase::create().await else { return };
                    let (a, b) = (db.store(), db.store());
                    crate::conformance::$name(std::sync::Arc::new(a), std::sync::Arc::new(b)).await;
                    db.drop_database().await;
                }
            )*
        }
    };
}

conformance!(
    a_secret_revealed_after_approval_is_written_once_with_its_state,
    every_field_round_trips,
    key_names_are_unique_per_tenant_only,
    keys_found_together_are_answered_in_the_order_asked,
    tenants_never_see_each_others_data,
    concurrent_approvals_give_exactly_one_success,
    a_stale_write_is_a_conflict_and_changes_nothing,
    pagination_returns_every_key_once_while_keys_are_added,
    audit_entries_are_written_with_their_change_newest_first,
    usage_is_counted_through_the_write_behind_buffer,
    many_keys_counted_at_once_are_all_written_and_a_full_buffer_writes_early,
    updates_are_announced_to_every_process_sharing_the_store,
    tenant_policy_updates_are_compare_and_set,
    operators_are_unique_by_email_within_a_tenant,
    a_spend_on_a_key_changed_since_it_was_read_is_stale_and_records_nothing,
    a_new_tenants_chain_holds_its_creation_and_an_unknown_tenant_is_not_found,
    the_chain_verifies_after_every_commit_and_its_head_is_the_newest_entry,
    each_tenant_has_its_own_chain,
    concurrent_commits_in_one_tenant_neither_fork_nor_skip_the_chain,
    an_operator_account_round_trips_every_field,
    an_operator_update_with_a_stale_version_is_a_conflict_and_writes_nothing,
    concurrent_operator_updates_at_one_version_give_exactly_one_success,
    a_tenant_is_created_with_its_first_admins_all_or_nothing,
    a_tenants_pending_policy_round_trips_including_removing_the_lifetime_cap,
    services_round_trip_and_are_disabled_once,
    console_sessions_are_shared_touched_ended_and_pruned,
    keys_keep_the_person_behind_their_maker_and_each_request,
    a_recorded_spend_reads_back_from_the_other_handle_and_counts_against_its_day,
    a_release_gives_the_amount_back_once,
    a_release_after_the_day_changed_leaves_the_new_days_total_untouched,
    racing_releases_of_one_spend_give_the_amount_back_exactly_once,
    one_idempotency_key_sent_fifty_times_at_once_records_one_spend,
    a_replay_answers_for_the_key_as_it_is_now,
    a_different_request_under_the_same_idempotency_key_is_a_mismatch_and_records_nothing,
    an_idempotency_key_answers_for_24_hours_then_spends_anew,
    a_refused_or_stale_spend_records_nothing_and_leaves_no_claim,
    concurrent_recorded_spends_never_exceed_the_daily_limit,
    a_spend_counts_in_its_day_week_and_month_and_the_tightest_limit_refuses,
    a_limit_set_mid_week_sees_what_was_spent_earlier_that_week,
    a_refusal_in_one_window_leaves_every_windows_total_unchanged,
    currencies_are_counted_separately,
    a_release_gives_back_to_all_three_windows_once,
    a_release_after_its_day_closed_leaves_the_new_day_alone_and_gives_back_to_its_week,
    windows_that_are_not_those_of_one_instant_are_refused_and_record_nothing,
    concurrent_spends_against_a_weekly_limit_give_exactly_as_many_as_it_allows,
    spends_and_releases_racing_on_shared_windows_never_deadlock_or_overspend,
    a_key_with_limits_in_several_currencies_and_a_class_round_trips_with_its_pending_change,
    racing_leases_from_two_processes_never_sum_past_the_limit,
    a_lease_on_a_key_changed_since_it_was_read_is_stale_and_a_give_back_is_not,
    a_tenants_time_zone_currencies_pending_settings_and_scheduled_change_round_trip,
    a_leak_is_recorded_once_per_key_and_url_with_its_moves_all_or_nothing,
    racing_reports_of_one_leak_record_it_once,
    reports_racing_operators_moves_on_one_key_give_one_success_and_never_deadlock,
    a_keys_account_round_trips_and_the_listing_filters_by_it,
    request_lines_read_back_newest_first_and_filter_exactly,
    a_request_listing_walked_while_lines_are_written_sees_each_stored_line_once,
    the_prune_deletes_exactly_the_lines_older_than_its_instant,
    racing_notices_of_one_key_are_given_once_and_the_scan_moves_on,
    a_keys_signing_spec_round_trips,
    a_nonce_is_accepted_once_while_live_even_when_raced,
    racing_claims_give_each_due_delivery_to_one_lease,
    a_lapsed_lease_is_claimed_again_and_the_old_leases_report_is_refused,
    failures_mark_the_endpoint_failing_until_a_disable_stops_it_with_its_audit_entry,
);
