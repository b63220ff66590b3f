//! keygated over HTTP: the real server on a random port, once on the in-memory store and once on a
//! fresh PostgreSQL database per test (when `KEYGATE_TEST_DATABASE_URL` is set, as in CI).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod accounts;
mod authorization;
mod browser;
mod child;
mod console;
mod console_browser;
mod currencies;
mod dual_control;
mod errors;
mod failover;
mod faults;
mod gateway;
mod helpers;
mod hostile;
mod isolation;
mod isolation_property;
mod leaks;
mod lifecycle;
mod money;
mod nginx;
mod notices;
mod openapi;
mod own_postgres;
mod owner;
mod processes;
mod rate;
mod receiver;
mod requests;
mod reveal;
mod scopes;
mod services;
mod signing;
mod soak;
mod suspension;
mod tutorial;
mod webhook_processes;
mod webhooks;

/// One `#[tokio::test]` per backend for each scenario `async fn(TestApp)`.
macro_rules! on_both_backends {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = crate::helpers::spawn_app(None).await;
                    crate::$module::$name(&app).await;
                    app.assert_no_secret_leaked();
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = keygate_store::testing::TestDatabase::create().await else { return };
                    let app = crate::helpers::spawn_app(Some(db.url())).await;
                    crate::$module::$name(&app).await;
                    app.assert_no_secret_leaked();
                    app.stop().await;
                    db.drop_database().await;
                }
            )*
        }
    };
}

on_both_backends!(
    console::sessions_open_with_a_token_and_end_when_the_person_stops,
    console::the_console_holds_every_rule_the_api_holds,
    tutorial::the_first_seeds_tutorial_works_end_to_end,
    lifecycle::a_rejected_key_never_works,
    lifecycle::privilege_widening_waits_for_a_checker_and_narrowing_does_not,
    lifecycle::rotation_expires_the_old_key_after_the_overlap_once_the_new_one_is_active,
    lifecycle::without_dual_control_keys_are_active_at_once_and_revoke_at_once,
    lifecycle::an_integrator_key_manages_keys_of_its_own_tenant,
    lifecycle::verify_reports_limits_and_spends_daily_volume,
    lifecycle::listing_paginates_and_the_audit_log_is_newest_first,
    lifecycle::keys_about_to_expire_are_listed_for_rotation,
    lifecycle::names_change_by_policy_and_expiries_only_shorten,
    errors::every_error_status_is_problem_json_with_a_stable_code,
    isolation::an_operator_of_one_tenant_gets_403_on_another,
    authorization::another_tenants_caller_gets_403_before_its_body_is_read,
    authorization::a_missing_role_is_403_before_the_body_is_read,
    authorization::an_operator_token_has_one_spelling,
    authorization::an_integrator_key_never_sees_operators,
    authorization::a_plain_delete_with_no_body_asks_the_revocation,
    dual_control::one_admin_cannot_make_an_operator_alone,
    dual_control::one_admin_cannot_loosen_the_policy_alone,
    dual_control::an_integrator_key_never_lets_its_maker_approve,
    dual_control::operators_are_disabled_at_once_and_re_enabled_by_two,
    dual_control::rotation_escapes_neither_revocation_nor_lifetime,
    dual_control::narrowing_goes_through_a_pending_widening,
    services::only_a_service_asks_and_only_about_its_tenants,
    currencies::a_key_can_be_limited_in_a_crypto_currency,
    currencies::a_spend_is_released_once_and_a_retry_spends_once,
    money::every_currency_is_held_to_its_decimals_and_a_key_to_its_currencies,
    money::a_tenants_currency_table_changes_under_dual_control,
    suspension::one_person_stops_a_key_and_two_others_restart_it,
    suspension::the_asker_never_approves_a_resume_and_keys_may_stop_keys,
    suspension::revoke_with_suspend_stops_the_key_before_any_checker_acts,
    accounts::a_key_bound_to_an_account_works_only_for_it_and_keeps_it,
    accounts::a_tenant_may_require_an_account_on_every_new_key,
    accounts::an_integrator_key_bound_to_an_account_manages_only_that_accounts_keys,
    accounts::the_listing_filters_by_account,
    owner::metadata_and_external_id_come_back_with_every_verification,
    owner::a_change_of_owner_waits_for_a_checker_like_scopes,
    scopes::the_second_seeds_catalogue_loads_and_bounds_new_keys,
    scopes::widening_or_removing_the_catalogue_waits_for_a_second_admin,
    scopes::a_change_may_narrow_but_not_add_a_scope_outside_the_catalogue,
    scopes::only_an_admin_sets_the_catalogue_and_every_operator_reads_it,
    scopes::an_approval_grants_nothing_the_catalogue_set_meanwhile_refuses,
    requests::every_verdict_about_a_key_is_a_line_of_its_log,
    requests::only_the_tenants_readers_read_its_request_log,
    signing::an_hmac_key_needs_the_servers_signing_key,
);

/// One `#[tokio::test]` per backend for each scenario `async fn(&TestApp, &ManualClock)`, on a server
/// whose clock the scenario moves ([`money::start`] is where it starts).
macro_rules! on_both_backends_clocked {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod clocked_memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let clock = crate::money::start();
                    let app = crate::helpers::spawn_app_at(None, clock.clone()).await;
                    crate::$module::$name(&app, &clock).await;
                    app.assert_no_secret_leaked();
                }
            )*
        }
        mod clocked_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = keygate_store::testing::TestDatabase::create().await else { return };
                    let clock = crate::money::start();
                    let app = crate::helpers::spawn_app_at(Some(db.url()), clock.clone()).await;
                    crate::$module::$name(&app, &clock).await;
                    app.assert_no_secret_leaked();
                    app.stop().await;
                    db.drop_database().await;
                }
            )*
        }
    };
}

on_both_backends_clocked!(
    money::the_tightest_window_wins_and_a_refusal_charges_nothing,
    money::a_thousand_spends_across_a_local_midnight_spend_each_days_limit,
    reveal::only_the_maker_reveals_a_secret_once_after_approval,
    reveal::an_unrevealed_secret_lapses_and_a_rotation_reveals_anew,
    rate::a_rate_limit_refuses_with_its_name_and_is_raised_only_with_a_checker,
);

/// One `#[tokio::test]` per backend for each scenario `async fn(&TestApp, &Partner)`, on a server that
/// takes leak reports signed by the partner's key ([`leaks::Partner`] writes the key file it reads).
macro_rules! on_both_backends_signed {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod signed_memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let partner = crate::leaks::Partner::new();
                    let path = partner.key_file();
                    let app = crate::helpers::spawn_app_with(None, |c| c.leak_public_keys = Some(path)).await;
                    crate::$module::$name(&app, &partner).await;
                    app.assert_no_secret_leaked();
                }
            )*
        }
        mod signed_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = keygate_store::testing::TestDatabase::create().await else { return };
                    let partner = crate::leaks::Partner::new();
                    let path = partner.key_file();
                    let app = crate::helpers::spawn_app_with(Some(db.url()), |c| c.leak_public_keys = Some(path)).await;
                    crate::$module::$name(&app, &partner).await;
                    app.assert_no_secret_leaked();
                    app.stop().await;
                    db.drop_database().await;
                }
            )*
        }
    };
}

on_both_backends_signed!(
    leaks::a_signed_report_suspends_a_live_key_and_labels_every_token,
    leaks::unsigned_or_wrongly_signed_reports_are_401_and_change_nothing,
    leaks::a_service_reports_and_a_bound_service_only_about_its_tenants,
    leaks::a_report_holds_at_most_a_thousand_tokens,
    leaks::each_on_leak_policy_is_followed,
    leaks::the_same_key_and_url_reported_twice_is_audited_once,
);

/// One `#[tokio::test]` per backend for each scenario `async fn(&TestApp)`, on a server that delivers
/// webhooks to loopback ([`webhooks::spawn`]).
macro_rules! on_both_backends_with_webhooks {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod hooked_memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = crate::webhooks::spawn(None).await;
                    crate::$module::$name(&app).await;
                    app.assert_no_secret_leaked();
                }
            )*
        }
        mod hooked_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = keygate_store::testing::TestDatabase::create().await else { return };
                    let app = crate::webhooks::spawn(Some(db.url())).await;
                    crate::$module::$name(&app).await;
                    app.assert_no_secret_leaked();
                    app.stop().await;
                    db.drop_database().await;
                }
            )*
        }
    };
}

on_both_backends_with_webhooks!(
    webhooks::a_keys_lifecycle_is_announced_in_order_and_signed,
    webhooks::a_failing_receiver_is_retried_with_the_same_id_and_logged,
    webhooks::rotation_sends_both_signatures_during_the_overlap,
    webhooks::disabling_and_deleting_apply_at_once,
);

/// One `#[tokio::test]` per backend for each scenario `async fn(&TestApp, &ManualClock)`, on a server
/// whose clock the scenario moves and that delivers webhooks to loopback ([`notices::spawn`]).
macro_rules! on_both_backends_clocked_with_webhooks {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod clocked_hooked_memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let clock = crate::money::start();
                    let app = crate::notices::spawn(None, clock.clone()).await;
                    crate::$module::$name(&app, &clock).await;
                    app.assert_no_secret_leaked();
                }
            )*
        }
        mod clocked_hooked_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = keygate_store::testing::TestDatabase::create().await else { return };
                    let clock = crate::money::start();
                    let app = crate::notices::spawn(Some(db.url()), clock.clone()).await;
                    crate::$module::$name(&app, &clock).await;
                    app.assert_no_secret_leaked();
                    app.stop().await;
                    db.drop_database().await;
                }
            )*
        }
    };
}

on_both_backends_clocked_with_webhooks!(
    notices::an_expiry_is_announced_once_coming_and_once_passed,
    notices::a_daily_volume_is_announced_at_80_and_100_percent_once,
    notices::a_tenants_lead_time_decides_when_expiry_is_news,
    notices::an_endpoint_failing_every_attempt_for_three_days_is_disabled,
);

/// One `#[tokio::test]` per backend for each scenario `async fn(&TestApp)`, on a server holding a
/// signing master key (`KEYGATE_SIGNING_KEY`).
macro_rules! on_both_backends_signing {
    ($($module:ident :: $name:ident),* $(,)?) => {
        mod signing_memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let key = Some(crate::signing::SIGNING_KEY.to_owned());
                    let app = crate::helpers::spawn_app_with(None, |c| c.signing_key = key).await;
                    crate::$module::$name(&app).await;
                    app.assert_no_secret_leaked();
                }
            )*
        }
        mod signing_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = keygate_store::testing::TestDatabase::create().await else { return };
                    let key = Some(crate::signing::SIGNING_KEY.to_owned());
                    let app = crate::helpers::spawn_app_with(Some(db.url()), |c| c.signing_key = key).await;
                    crate::$module::$name(&app).await;
                    app.assert_no_secret_leaked();
                    app.stop().await;
                    db.drop_database().await;
                }
            )*
        }
    };
}

on_both_backends_signing!(
    signing::a_signed_request_verifies_once_and_any_changed_byte_fails,
    signing::an_ed25519_key_verifies_its_holders_signature_and_signs_only,
    signing::an_independent_python_client_and_keygate_agree,
    signing::a_signing_secret_is_revealed_after_approval_and_renewed_by_rotation,
);

mod signing_races {
    /// One server on the memory backend: the two requests race on its one map.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_replay_raced_on_one_memory_server_succeeds_once() {
        let key = Some(crate::signing::SIGNING_KEY.to_owned());
        let app = crate::helpers::spawn_app_with(None, |c| c.signing_key = key).await;
        crate::signing::a_replay_raced_across_two_servers_succeeds_once(&app, &app).await;
    }

    /// Two servers on one PostgreSQL database: the nonce table decides.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_replay_raced_across_two_servers_on_one_database_succeeds_once() {
        let Some(db) = keygate_store::testing::TestDatabase::create().await else { return };
        let key = Some(crate::signing::SIGNING_KEY.to_owned());
        let first = crate::helpers::spawn_app_with(Some(db.url()), |c| c.signing_key = key.clone()).await;
        let second = crate::helpers::spawn_app_with(Some(db.url()), |c| c.signing_key = key).await;
        crate::signing::a_replay_raced_across_two_servers_succeeds_once(&first, &second).await;
        first.stop().await;
        second.stop().await;
        db.drop_database().await;
    }
}

mod console_settings {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_first_seeds_tutorial_in_a_browser_in_memory() {
        crate::console_browser::the_first_seeds_tutorial_in_a_browser(None).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_first_seeds_tutorial_in_a_browser_on_postgres() {
        let Some(db) = keygate_store::testing::TestDatabase::create().await else { return };
        crate::console_browser::the_first_seeds_tutorial_in_a_browser(Some(db.url())).await;
        db.drop_database().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sessions_time_out_idle_and_absolute_in_memory() {
        crate::console::sessions_time_out_idle_and_absolute(None).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sessions_time_out_idle_and_absolute_on_postgres() {
        let Some(db) = keygate_store::testing::TestDatabase::create().await else { return };
        crate::console::sessions_time_out_idle_and_absolute(Some(db.url())).await;
        db.drop_database().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_cookie_is_secure_by_default_and_the_console_can_be_off() {
        crate::console::the_cookie_is_secure_by_default_and_the_console_can_be_off().await;
    }
}
