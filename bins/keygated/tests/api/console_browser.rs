//! The console in a real headless Chromium: the first seed's tutorial with a maker and a checker side by
//! side, the refusals a person could try from the browser, an expired key greyed, the show-once dialog
//! gone after a reload, logout; every screen checked with axe and photographed at 1280 and 390 px
//! (into `docs/console/` with `UPDATE_SCREENSHOTS=1`, else a scratch folder).

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Duration;
use fantoccini::Locator;
use keygate_domain::ManualClock;
use serde_json::json;

use crate::browser::{Browser, Page};
use crate::helpers::{spawn_app_at, Operators, TestApp};

/// Where the screenshots go.
struct Shots(Option<PathBuf>);

impl Shots {
    /// `docs/console/` when asked to update them (once, from the in-memory run), else a scratch folder.
    fn new(memory: bool) -> Self {
        let update = memory && std::env::var_os("UPDATE_SCREENSHOTS").is_some();
        let dir = if update {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/console")
        } else {
            std::env::temp_dir().join(format!("keygate-console-shots-{}", std::process::id()))
        };
        Self(Some(dir))
    }

    /// Checks the page with axe, then photographs it as `{name}-{width}.png`.
    async fn take(&self, page: &Page, name: &str, width: u32) {
        page.assert_accessible(name).await;
        if let Some(dir) = &self.0 {
            page.screenshot(&dir.join(format!("{name}-{width}.png"))).await;
        }
    }
}

async fn login(page: &Page, app: &TestApp, token: &str) {
    page.goto(&format!("{}/console/login", app.base)).await;
    page.fill("token", token).await;
    page.click_button("Log in").await;
    for _ in 0..100 {
        if page.current_url().await.contains("/console/tenants/") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("not signed in, at {}: {}", page.current_url().await, page.body_text().await);
}

/// Opens the disclosure whose summary starts with `label` (the confirmation step of a move).
async fn open(page: &Page, label: &str) {
    let xpath = format!("//summary[starts-with(normalize-space(.), '{label}')]");
    page.client().find(Locator::XPath(&xpath)).await.unwrap().click().await.unwrap();
}

/// Submits a form the page did not offer (as a person with the developer tools would), with or
/// without the page's CSRF token.
async fn force_post(page: &Page, action: &str, with_csrf: bool) {
    let csrf = if with_csrf { "document.querySelector('input[name=csrf]').value" } else { "''" };
    page.execute(&format!(
        "const f = document.createElement('form'); f.method = 'post'; f.action = '{action}';
         const c = document.createElement('input'); c.type = 'hidden'; c.name = {}; c.value = {csrf};
         f.appendChild(c); document.body.appendChild(f); f.submit(); return null;",
        if with_csrf { "'csrf'" } else { "'other'" }
    ))
    .await;
}

/// Waits (up to 10 s) until the page's text holds `needle`: a form submitted by script navigates
/// after the script returns.
async fn wait_for_text(page: &Page, needle: &str) -> bool {
    for _ in 0..100 {
        let text = page.execute("return document.body ? document.body.innerText : '';").await;
        if text.as_str().is_some_and(|t| t.contains(needle)) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

pub async fn the_first_seeds_tutorial_in_a_browser(database_url: Option<&str>) {
    let Some(browser) = Browser::start().await else { return };
    let clock = Arc::new(ManualClock::new(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap()));
    let app = spawn_app_at(database_url, clock.clone()).await;
    let ops = app.tenant("acme", json!({})).await;
    let catalogue = json!({"resources": [
        {"name": "balance", "description": "Read balances", "actions": ["read"]},
        {"name": "operations", "description": "Cash-in and cash-out", "actions": ["read", "write"]},
        {"name": "payouts", "description": "Payouts to wallets", "actions": ["read", "write", "approve"]}
    ]});
    assert_eq!(
        app.raw(reqwest::Method::PUT, "/v1/tenants/acme/scopes", Some(&ops.admin), Some(catalogue)).await.status,
        200
    );
    let shots = Shots::new(database_url.is_none());
    let t = "/console/tenants/acme";

    // The maker signs in and asks for a key on the form.
    let maker = browser.session(1280).await;
    maker.goto(&format!("{}/console/login", app.base)).await;
    shots.take(&maker, "login", 1280).await;
    login(&maker, &app, &ops.maker).await;
    maker.click_link("New API key").await;
    shots.take(&maker, "new-key", 1280).await;
    maker.fill("name", "POS Terminal 7").await;
    maker.fill("notes", "Dakar store, till 7").await;
    maker.check("scopes", "payouts:write").await;
    let view_ticked = maker.execute("return document.querySelector('input[value=\"payouts:read\"]').checked;").await;
    assert_eq!(view_ticked, json!(true), "ticking Change ticks View");
    maker.check("scopes", "balance:read").await;
    maker.select("currency_class", "fiat").await;
    maker.fill("currency", "XOF").await;
    maker.fill("max_amount", "100000").await;
    maker.fill("daily_volume", "2000000").await;
    maker.fill("allowed_ips", "10.0.0.0/8\n192.168.1.10").await;
    maker.click_button("Request key").await;

    // The secret, once.
    assert_eq!(maker.text("#show-once-title").await, "Copy your API key now");
    let secret = app.issued(&maker.text("#secret-value").await);
    assert!(maker.body_text().await.contains("cannot show it again"));
    assert!(maker.exists("button[data-copy=secret-value]").await, "a Copy button");
    shots.take(&maker, "show-once", 1280).await;
    maker.refresh().await;
    assert!(!maker.exists("#secret-value").await, "gone after a reload");
    assert!(!maker.body_text().await.contains(&secret), "not on the page it reloads to");
    let key_page = maker.current_url().await;
    assert!(key_page.contains("/keys/"), "the reload shows the key: {key_page}");
    let key_path = key_page.trim_start_matches(&app.base).to_owned();

    // The maker is not offered Approve; forcing it is refused, and a post without the token too.
    let approve_offered =
        "return [...document.querySelectorAll('button')].some(b => b.textContent.trim() === 'Approve');";
    assert_eq!(maker.execute(approve_offered).await, json!(false), "no Approve for the one who asked");
    force_post(&maker, &format!("{key_path}/approve"), true).await;
    assert!(wait_for_text(&maker, "FORBIDDEN").await, "forced approve refused");
    maker.goto(&key_page).await;
    force_post(&maker, &format!("{key_path}/revoke"), false).await;
    assert!(wait_for_text(&maker, "CSRF").await, "a post without the CSRF token is refused");

    // The checker, side by side, finds it under Pending and approves it.
    let checker = browser.session(1280).await;
    login(&checker, &app, &ops.checker).await;
    checker.click_link("Pending").await;
    assert!(checker.body_text().await.contains("POS Terminal 7"));
    shots.take(&checker, "keys-pending", 1280).await;
    checker.click_link("POS Terminal 7").await;
    shots.take(&checker, "review", 1280).await;
    checker.click_button("Approve").await;
    assert!(checker.body_text().await.contains("Approved."), "{}", checker.body_text().await);

    let allowed = json!({"key": secret, "required_scopes": ["payouts:write"], "client_ip": "10.1.2.3", "amount": "5000", "currency": "XOF"});
    assert_eq!(app.verify(allowed.clone()).await["valid"], true, "the secret shown once verifies");

    // The maker asks a revocation; the checker approves it under Pending revocations; the key is refused.
    maker.goto(&key_page).await;
    shots.take(&maker, "key-detail", 1280).await;
    open(&maker, "Revoke").await;
    maker.fill("reason", "till retired").await;
    maker.click_button("Revoke").await;
    assert!(maker.body_text().await.contains("Revocation asked."));
    checker.goto(&format!("{}{t}/keys", app.base)).await;
    checker.click_link("Pending revocations").await;
    checker.click_link("POS Terminal 7").await;
    checker.click_button("Approve").await;
    assert!(checker.body_text().await.contains("Revocation approved"));
    assert_eq!(app.verify(allowed).await["valid"], false, "refused once revoked");

    let admin = other_screens(&browser, &app, &ops, &shots, &key_page).await;

    // An expired key is greyed with a warning and the word.
    let (_, _) =
        app.active_key(&ops, json!({"name": "Old till", "scopes": ["balance:read"], "expires_in_days": 1})).await;
    clock.advance(Duration::days(2));
    login(&checker, &app, &ops.checker).await;
    assert!(checker.exists("tr.expired").await, "the expired row is greyed");
    assert!(checker.text("tr.expired").await.contains("Expired"));
    shots.take(&checker, "keys", 1280).await;

    // Logout ends the session: the keys page leads to the login again.
    login(&maker, &app, &ops.maker).await;
    maker.click_button("Log out").await;
    assert!(maker.body_text().await.contains("You are logged out."));
    maker.goto(&format!("{}{t}/keys", app.base)).await;
    assert!(maker.current_url().await.ends_with("/console/login"), "ended at logout");

    for page in [maker, checker, admin] {
        page.close().await;
    }
    if database_url.is_none() {
        secure_cookies_work_on_loopback(&browser).await;
    }
    app.assert_no_secret_leaked();
    app.stop().await;
}

/// The admin's screens (operators, the audit log and its chain check, requests) and the narrow ones;
/// the admin's page stays open.
async fn other_screens(browser: &Browser, app: &TestApp, ops: &Operators, shots: &Shots, key_page: &str) -> Page {
    let t = "/console/tenants/acme";
    // The admin's screens.
    let admin = browser.session(1280).await;
    login(&admin, app, &ops.admin).await;
    admin.click_link("Operators").await;
    shots.take(&admin, "operators", 1280).await;
    admin.click_link("Audit").await;
    admin.click_button("Check the chain").await;
    assert!(admin.body_text().await.contains("The chain is intact"));
    shots.take(&admin, "audit", 1280).await;
    admin.click_link("Requests").await;
    shots.take(&admin, "requests", 1280).await;

    // The narrow screen.
    let phone = browser.session(390).await;
    login(&phone, app, &ops.checker).await;
    shots.take(&phone, "keys", 390).await;
    phone.goto(key_page).await;
    shots.take(&phone, "key-detail", 390).await;
    phone.goto(&format!("{}{t}/keys/new", app.base)).await;
    phone.close().await;
    admin
}

/// With the default `Secure` cookie, a browser on `http://127.0.0.1` still signs in (browsers treat
/// loopback as a secure context), so the README's quick start needs no setting for the console.
async fn secure_cookies_work_on_loopback(browser: &Browser) {
    let app = crate::helpers::spawn_app_with(None, |c| c.console_insecure_cookies = false).await;
    let page = browser.session(1280).await;
    page.goto(&format!("{}/console/login", app.base)).await;
    page.fill("token", crate::helpers::ADMIN).await;
    page.click_button("Log in").await;
    assert!(
        wait_for_text(&page, "Choose a tenant").await,
        "signed in over plain HTTP on loopback with a Secure cookie"
    );
    page.close().await;
    app.stop().await;
}
