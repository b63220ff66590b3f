//! The console over plain HTTP (no browser): sessions start, time out and end as the issue says, every
//! form needs its session's CSRF token, and the console refuses exactly what the JSON API refuses,
//! because it calls the same operations. The browser walk is in `console_browser.rs`.

use std::sync::Arc;

use chrono::Duration;
use keygate_domain::ManualClock;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app_at, spawn_app_with, TestApp};

/// A browser without a browser: one session cookie, forms posted with the page's CSRF token.
pub struct Console {
    base: String,
    client: reqwest::Client,
    cookie: Option<String>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The CSRF token of the page's first form.
    pub fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").expect("the page has a form") + 19;
        self.body[at..].split('"').next().unwrap().to_owned()
    }
}

impl Console {
    pub fn new(app: &TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { base: app.base.clone(), client, cookie: None }
    }

    /// Signs in with `token`; panics unless a session opens.
    pub async fn login(app: &TestApp, token: &str) -> Self {
        let mut console = Self::new(app);
        let page = console.post("/console/login", &[("token", token)]).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "signed in: {}", page.body);
        let cookie = page.headers.get(SET_COOKIE).unwrap().to_str().unwrap().to_owned();
        console.cookie = Some(cookie.split(';').next().unwrap().to_owned());
        console
    }

    pub async fn get(&self, path: &str) -> Page {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c);
        }
        page(request.send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut request = self.client.post(format!("{}{path}", self.base)).form(fields);
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c);
        }
        page(request.send().await.unwrap()).await
    }

    /// Posts `fields` with the CSRF token of the page at `from`.
    pub async fn submit(&self, from: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(from).await.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all).await
    }
}

async fn page(response: reqwest::Response) -> Page {
    Page { status: response.status(), headers: response.headers().clone(), body: response.text().await.unwrap() }
}

fn signed_out(page: &Page) -> bool {
    page.status == StatusCode::SEE_OTHER && page.location() == "/console/login"
}

/// Sign-in, the cookie's attributes, the headers of every page, and each way a session ends: logout,
/// a disabled operator, a replaced token. An integrator key and a wrong token open nothing.
pub async fn sessions_open_with_a_token_and_end_when_the_person_stops(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let t = &ops.tenant;
    let (_, integrator) =
        app.active_key(&ops, json!({"name": "integration", "scopes": ["api-keys:read"], "environment": "test"})).await;
    let anonymous = Console::new(app);
    assert!(signed_out(&anonymous.get(&format!("/console/tenants/{t}/keys")).await), "no session: to the login");
    let wrong = anonymous.post("/console/login", &[("token", "kg_live_nonsense")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("field-error") && wrong.headers.get(SET_COOKIE).is_none(), "no session, a message");

    let mut maker = Console::new(app);
    let opened = maker.post("/console/login", &[("token", &ops.maker)]).await;
    let cookie = opened.headers.get(SET_COOKIE).unwrap().to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains(&ops.maker), "the token is not the cookie");
    maker.cookie = Some(cookie.split(';').next().unwrap().to_owned());
    let keys = maker.get(&format!("/console/tenants/{t}/keys")).await;
    assert_eq!(keys.status, StatusCode::OK);
    assert!(keys.body.contains("New API key") && keys.body.contains("Log out"));
    for (name, value) in
        [("x-frame-options", "DENY"), ("referrer-policy", "no-referrer"), ("cache-control", "no-store")]
    {
        assert_eq!(keys.headers[name], value, "{name}");
    }
    let csp = keys.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(!keys.body.contains("<script>"), "no inline script");

    // Logout ends the session for every process: the same cookie opens nothing afterwards.
    let out = maker.submit(&format!("/console/tenants/{t}/keys"), "/console/logout", &[]).await;
    assert_eq!((out.status, out.location()), (StatusCode::SEE_OTHER, "/console/login?out=1"));
    assert!(out.headers[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"), "the cookie is cleared");
    assert!(signed_out(&maker.get(&format!("/console/tenants/{t}/keys")).await), "ended after logout");

    // Disabling the operator ends its sessions at once.
    let maker = Console::login(app, &ops.maker).await;
    let me = app.get("/v1/tenants/acme/operators", &ops.admin).await;
    let id = me.body["items"].as_array().unwrap().iter().find(|o| o["roles"] == json!(["maker"])).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let disabled =
        app.post(&format!("/v1/tenants/{t}/operators/{id}/disable"), &ops.admin, json!({"reason": "left"})).await;
    assert_eq!(disabled.status, StatusCode::OK, "{:?}", disabled.body);
    assert!(signed_out(&maker.get(&format!("/console/tenants/{t}/keys")).await), "ended when disabled");

    // Replacing one's token ends the sessions opened with the old one.
    let checker = Console::login(app, &ops.checker).await;
    let replaced = app.post("/v1/operators/me/token", &ops.checker, json!({})).await;
    assert_eq!(replaced.status, StatusCode::CREATED);
    app.issued(replaced.body["token"].as_str().unwrap());
    assert!(signed_out(&checker.get(&format!("/console/tenants/{t}/keys")).await), "ended with the old token");

    // An invitation claimed on the console shows the token once and opens a session with it.
    let invited = app
        .post(
            &format!("/v1/tenants/{t}/operators"),
            &ops.admin,
            json!({"name": "Ivy", "email": "ivy@acme.test", "roles": ["auditor"]}),
        )
        .await;
    let first = invited.body["invitation"].as_str().unwrap().to_owned();
    let id = invited.body["operator"]["id"].as_str().unwrap();
    let second = app.post(&format!("/v1/tenants/{t}/operators/{id}/approve"), &ops.admin2, json!({})).await;
    let second = second.body["invitation_2"].as_str().unwrap().to_owned();
    let mut ivy = Console::new(app);
    let claimed = ivy.post("/console/claim", &[("invitation", &first), ("invitation_2", &second)]).await;
    assert_eq!(claimed.status, StatusCode::CREATED, "{}", claimed.body);
    assert!(claimed.body.contains("Copy your operator token now") && claimed.body.contains("id=\"secret-value\""));
    app.issued(claimed.body.split("id=\"secret-value\">").nth(1).unwrap().split('<').next().unwrap());
    ivy.cookie = Some(claimed.headers[SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned());
    assert_eq!(ivy.get(&format!("/console/tenants/{t}/audit")).await.status, StatusCode::OK, "signed in by the claim");
    let again = Console::new(app).post("/console/claim", &[("invitation", &first), ("invitation_2", &second)]).await;
    assert_eq!(again.status, StatusCode::GONE, "claimed once");

    // The system administrator signs in and picks a tenant; an integrator key does not sign in.
    let system = Console::login(app, crate::helpers::ADMIN).await;
    let home = system.get("/console/").await;
    assert!(home.body.contains("Choose a tenant"), "{}", home.body);
    let picked = system.get("/console/tenants?tenant=acme").await;
    assert_eq!(picked.location(), "/console/tenants/acme/keys");
    let refused = Console::new(app).post("/console/login", &[("token", &integrator)]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}

/// The console refuses what the API refuses: the maker forcing the approve form of its own request
/// (`SELF_APPROVAL`), a form without the session's CSRF token, a role that may not, another tenant.
pub async fn the_console_holds_every_rule_the_api_holds(app: &TestApp) {
    let ops = app.tenant("acme", json!({})).await;
    let other = app.tenant("globex", json!({})).await;
    let t = &ops.tenant;
    // A person who is both maker and checker: only the person rule stops it approving its own request.
    let both = app
        .invite(
            t,
            &ops.admin,
            &ops.admin2,
            json!({"name": "Mo Both", "email": "mo@acme.test", "roles": ["maker", "checker"]}),
        )
        .await;
    let maker = Console::login(app, &both).await;
    let new = format!("/console/tenants/{t}/keys/new");
    let created = maker
        .submit(
            &new,
            &format!("/console/tenants/{t}/keys"),
            &[("name", "POS"), ("scopes", "payouts:write"), ("expires_in_days", "30")],
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert!(created.body.contains("Copy your API key now") && created.body.contains("id=\"secret-value\""));
    let secret = created.body.split("id=\"secret-value\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
    app.issued(&secret);
    let listed = app.get(&ops.keys(), &ops.admin).await;
    let id = listed.body["items"][0]["id"].as_str().unwrap().to_owned();
    let detail = format!("/console/tenants/{t}/keys/{id}");
    let page = maker.get(&detail).await;
    assert!(!page.body.contains(">Approve<"), "the asker is not offered Approve on its own request");
    let forced = maker.submit(&detail, &format!("{detail}/approve"), &[]).await;
    assert_eq!(forced.status, StatusCode::FORBIDDEN);
    assert!(forced.body.contains("SELF_APPROVAL"), "{}", forced.body);

    let checker = Console::login(app, &ops.checker).await;
    let no_csrf = checker.post(&format!("{detail}/approve"), &[]).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    assert!(no_csrf.body.contains("CSRF"));
    let wrong_csrf = checker.post(&format!("{detail}/approve"), &[("csrf", &maker.get(&detail).await.csrf())]).await;
    assert_eq!(wrong_csrf.status, StatusCode::FORBIDDEN, "another session's token is no token");
    assert_eq!(app.get(&ops.key(&id), &ops.admin).await.body["state"], "pending_approval", "nothing changed");

    let auditor = Console::login(app, &ops.auditor).await;
    let asked =
        auditor.submit(&detail, &format!("/console/tenants/{t}/keys"), &[("name", "nope"), ("scopes", "a:read")]).await;
    assert_eq!(asked.status, StatusCode::FORBIDDEN, "an auditor may not ask for a key");
    let elsewhere = Console::login(app, &other.checker).await;
    assert_eq!(elsewhere.get(&detail).await.status, StatusCode::FORBIDDEN, "another tenant's operator sees nothing");

    let approved = checker.submit(&detail, &format!("{detail}/approve"), &[]).await;
    assert_eq!(
        (approved.status, approved.location()),
        (StatusCode::SEE_OTHER, format!("{detail}?done=approve").as_str())
    );
    let verdict = app.verify(json!({"key": secret, "required_scopes": ["payouts:write"]})).await;
    assert_eq!(verdict["valid"], true, "{verdict:?}");

    // A rotation's overlap is bounded for the console as for the API: two live credentials for 30 days at most.
    let long = maker.submit(&detail, &format!("{detail}/rotate"), &[("overlap_seconds", "2592001")]).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST, "{}", long.body);
    assert!(long.body.contains("overlap_seconds"));

    // A change of metadata alone is a change the checker sees: its row says Changed.
    let asked = app.patch(&ops.key(&id), &both, json!({"metadata": {"merchant_id": "m-9999"}})).await;
    assert_eq!(asked.status, StatusCode::OK, "{:?}", asked.body);
    assert!(!asked.body["pending_change"].is_null(), "pending under dual control");
    let review = checker.get(&detail).await;
    assert!(
        review.body.contains("Metadata <span class=\"badge changed-flag\">Changed</span>"),
        "the metadata row is marked: {}",
        review.body
    );
    assert!(review.body.contains("m-9999"), "and shows what is asked");

    // A field error comes back next to its field with the server's message, the other fields kept.
    let bad = maker
        .submit(
            &new,
            &format!("/console/tenants/{t}/keys"),
            &[("name", "Till 2"), ("scopes", "payouts:write"), ("max_amount", "-5"), ("currency", "XOF")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("id=\"max_amount-error\""), "{}", bad.body);
    assert!(bad.body.contains("value=\"Till 2\""), "the name is kept");
}

/// Idle 30 minutes, or open 12 hours however busy: the session ends.
pub async fn sessions_time_out_idle_and_absolute(database_url: Option<&str>) {
    // A fixed instant: sessions count from the clock the server is given, never the wall clock.
    let clock = Arc::new(ManualClock::new(chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap()));
    let app = spawn_app_at(database_url, clock.clone()).await;
    let ops = app.tenant("acme", json!({})).await;
    let keys = "/console/tenants/acme/keys";
    let idle = Console::login(&app, &ops.maker).await;
    clock.advance(Duration::minutes(29));
    assert_eq!(idle.get(keys).await.status, StatusCode::OK, "29 minutes idle: still open");
    clock.advance(Duration::minutes(29));
    assert_eq!(idle.get(keys).await.status, StatusCode::OK, "used 29 minutes later: the idle clock restarted");
    clock.advance(Duration::minutes(31));
    assert!(signed_out(&idle.get(keys).await), "31 minutes idle: ended");

    let busy = Console::login(&app, &ops.maker).await;
    for _ in 0..(12 * 3 - 1) {
        clock.advance(Duration::minutes(20));
        assert_eq!(busy.get(keys).await.status, StatusCode::OK);
    }
    clock.advance(Duration::minutes(20));
    assert!(signed_out(&busy.get(keys).await), "12 hours after it opened: ended, however busy");
    app.stop().await;
}

/// `Secure` is on unless `KEYGATE_CONSOLE_INSECURE_COOKIES=true`, and `KEYGATE_CONSOLE=false` serves no console.
pub async fn the_cookie_is_secure_by_default_and_the_console_can_be_off() {
    let secure = spawn_app_with(None, |c| c.console_insecure_cookies = false).await;
    let opened = Console::new(&secure).post("/console/login", &[("token", crate::helpers::ADMIN)]).await;
    assert!(opened.headers[SET_COOKIE].to_str().unwrap().contains("; Secure"), "Secure by default");
    let off = spawn_app_with(None, |c| c.console = false).await;
    assert_eq!(Console::new(&off).get("/console/login").await.status, StatusCode::NOT_FOUND);
}
