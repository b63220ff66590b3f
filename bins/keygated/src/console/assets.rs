//! The console's stylesheet and script, compiled into the binary (no CDN, no build step).

use actix_web::{web, HttpResponse};

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");

/// `GET /console/assets/{name}`.
pub(super) async fn asset(name: web::Path<String>) -> HttpResponse {
    let (body, kind) = match name.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("not found"),
    };
    // Replaces the scope's `no-store`: the assets hold no secret and change only with the binary.
    HttpResponse::Ok().content_type(kind).insert_header(("cache-control", "public, max-age=3600")).body(body)
}
