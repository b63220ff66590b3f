//! The harness itself, on a tiny site served from the test with the console's strict
//! Content-Security-Policy: two sessions keep their own cookies, the form helpers drive a real form,
//! a screenshot has the session's width, and the accessibility check passes a labelled form and
//! catches an unlabelled field.

use std::panic::AssertUnwindSafe;

use actix_web::{http::header, web, App, HttpRequest, HttpResponse, HttpServer};
use futures_util::FutureExt as _;

use super::Browser;

/// As strict as the console's: no inline script, nothing from another origin.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// A whole page under [`CSP`], with an inline script the policy must block.
fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok().insert_header(("Content-Security-Policy", CSP)).content_type("text/html; charset=utf-8").body(
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
             <script>window.inlineRan = true;</script></head><body><main><h1>{title}</h1>{body}</main></body></html>"
        ),
    )
}

const FORM: &str = r#"<form method="post" action="/sign-in">
<p><label for="name">Name</label> <input id="name" name="name" value="guest"></p>
<p><label for="role">Role</label> <select id="role" name="role">
<option value="viewer">Viewer</option><option value="admin">Admin</option></select></p>
<fieldset><legend>Scopes</legend>
<input type="checkbox" id="read" name="scope" value="read"> <label for="read">Read</label>
<input type="checkbox" id="write" name="scope" value="write" checked> <label for="write">Write</label>
</fieldset>
<p><label for="notes">Notes</label> <textarea id="notes" name="notes"></textarea></p>
<p><input type="submit" value="Sign in"></p>
</form>"#;

/// The site: `/form` (accessible), `/unlabelled` (a field without a label), `/sign-in` (sets the
/// cookie `who` to the form's non-empty values joined by dots), `/signed-in`, `/sign-out`.
fn serve() -> (String, actix_web::dev::ServerHandle) {
    let server = HttpServer::new(|| {
        App::new()
            .route("/form", web::get().to(|| async { page("Sign in", FORM) }))
            .route("/tall", web::get().to(|| async { page("Tall", &"<p>A line of text.</p>".repeat(100)) }))
            .route(
                "/unlabelled",
                web::get().to(|| async { page("Unlabelled", r#"<form><input id="nameless" name="name"></form>"#) }),
            )
            .route(
                "/sign-in",
                web::post().to(|form: web::Form<Vec<(String, String)>>| async move {
                    let values: Vec<&str> = form.iter().map(|(_, v)| v.as_str()).filter(|v| !v.is_empty()).collect();
                    let who = format!("who={}; Path=/; HttpOnly; SameSite=Strict", values.join("."));
                    HttpResponse::SeeOther()
                        .insert_header((header::SET_COOKIE, who))
                        .insert_header((header::LOCATION, "/signed-in"))
                        .finish()
                }),
            )
            .route(
                "/signed-in",
                web::get().to(|request: HttpRequest| async move {
                    let cookies = request.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()).unwrap_or("");
                    let who = cookies.split("; ").find_map(|c| c.strip_prefix("who=")).unwrap_or("").to_owned();
                    page(
                        "Signed in",
                        &format!(
                            r#"<p id="who">{who}</p><p><a href="/form">Back to the form</a></p>
                            <form method="post" action="/sign-out"><button type="submit">Log out</button></form>"#
                        ),
                    )
                }),
            )
            .route(
                "/sign-out",
                web::post().to(|| async {
                    HttpResponse::SeeOther()
                        .insert_header((header::SET_COOKIE, "who=; Path=/; Max-Age=0"))
                        .insert_header((header::LOCATION, "/form"))
                        .finish()
                }),
            )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(server);
    (base, handle)
}

/// The width and height a PNG's header states (IHDR, bytes 16 to 24).
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    (u32::from_be_bytes(png[16..20].try_into().unwrap()), u32::from_be_bytes(png[20..24].try_into().unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_keep_their_own_cookies_screenshots_have_their_width_and_axe_catches_a_missing_label() {
    let Some(browser) = Browser::start().await else { return };
    let (base, server) = serve();
    let (maker, checker) = tokio::join!(browser.session(1280), browser.session(390));
    for (page, width) in [(&maker, 1280), (&checker, 390)] {
        let viewport = page.execute("return [window.innerWidth, window.innerHeight]").await;
        assert_eq!(viewport, serde_json::json!([width, 900]), "the viewport is {width} by 900");
    }

    // Each session fills the same form its own way.
    maker.goto(&format!("{base}/form")).await;
    maker.fill("name", "maker").await;
    maker.select("role", "admin").await;
    maker.check("scope", "read").await;
    maker.check("scope", "write").await;
    maker.fill("notes", "first").await;
    maker.click_button("Sign in").await;
    checker.goto(&format!("{base}/form")).await;
    checker.fill("name", "checker").await;
    checker.uncheck("scope", "write").await;
    checker.click_button("Sign in").await;

    for (page, who) in [(&maker, "maker.admin.read.write.first"), (&checker, "checker.viewer")] {
        assert!(page.current_url().await.ends_with("/signed-in"), "{who}: the form's redirect was followed");
        assert_eq!(page.text("#who").await, who, "{who}: the server saw this session's own cookie");
        assert_eq!(page.client().title().await.unwrap(), "Signed in", "{who}: fantoccini's client is at hand");
        let cookies: Vec<_> =
            page.cookies().await.iter().map(|c| (c.name().to_owned(), c.value().to_owned())).collect();
        assert_eq!(
            cookies,
            [("who".to_owned(), who.to_owned())],
            "{who}: the browser holds this session's cookie only"
        );
        assert_eq!(
            page.execute("return window.inlineRan === true").await,
            false,
            "{who}: the CSP blocks inline script"
        );
    }

    // Links, history and reload.
    maker.click_link("Back to the form").await;
    assert!(maker.current_url().await.ends_with("/form"), "the link was followed");
    maker.back().await;
    maker.refresh().await;
    assert_eq!(
        maker.text("#who").await,
        "maker.admin.read.write.first",
        "back and reload return to the signed-in page"
    );

    // Logging one session out leaves the other signed in.
    checker.click_button("Log out").await;
    assert!(checker.cookies().await.is_empty(), "the checker's cookie is gone");
    assert!(checker.is_visible("#name").await && !checker.exists("#who").await, "the checker is back at the form");
    assert_eq!(maker.cookies().await.len(), 1, "the maker's cookie stays");

    // Screenshots at each session's width, of the whole page, folders created.
    let dir = std::env::temp_dir().join(format!("keygate-browser-shots-{}", std::process::id()));
    for (page, width) in [(&maker, 1280), (&checker, 390)] {
        page.goto(&format!("{base}/tall")).await;
        let tall = page.execute("return document.documentElement.scrollHeight").await.as_u64().unwrap();
        let path = dir.join(format!("{width}/page.png"));
        page.screenshot(&path).await;
        let (shot_width, shot_height) = png_size(&std::fs::read(&path).unwrap());
        assert_eq!(shot_width, width, "the screenshot is {width} px wide");
        assert!(
            tall > 900 && u64::from(shot_height) == tall,
            "{width} px: the whole {tall} px page, not the window ({shot_height} px)"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();

    // axe-core runs under the CSP: it passes the labelled form and finds the unlabelled field.
    maker.goto(&format!("{base}/form")).await;
    maker.assert_accessible("the labelled form").await;
    maker.goto(&format!("{base}/unlabelled")).await;
    let found = maker.accessibility_violations().await;
    assert!(
        found.iter().any(|v| v.id == "label" && v.impact == "critical" && v.targets == ["#nameless"]),
        "the unlabelled field is a critical `label` violation: {found:?}"
    );
    let failed = AssertUnwindSafe(maker.assert_accessible("the unlabelled page")).catch_unwind().await;
    let message = failed.expect_err("assert_accessible fails on a critical violation");
    let message = message.downcast_ref::<String>().map_or("", String::as_str);
    assert!(
        message.contains("the unlabelled page") && message.contains("critical label") && message.contains("#nameless"),
        "the failure names the page, the rule and the element: {message}"
    );

    maker.close().await;
    checker.close().await;
    server.stop(true).await;
}
