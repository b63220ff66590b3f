//! `bench-floor`: the floor of `cargo xtask bench`. A bare actix-web server that answers
//! `POST /v1/verify` with the JSON keygated returns for a valid key, having done no work at all: no
//! parsing, no look-up, no hashing, no metrics. It runs with keygated's worker count and log level, so
//! the ratio keygated / floor is the cost of keygate itself on the same HTTP stack.
//!
//! Flags: `--listen 127.0.0.1:PORT`, `--workers N` (default: one per core), `--log info`.

#![allow(clippy::print_stderr)]

use std::process::ExitCode;

use actix_web::http::header::ContentType;
use actix_web::{web, App, HttpResponse, HttpServer};
use bench_floor::Flags;

/// What keygated answers for a valid key without an amount (same fields, same order, same lengths).
const VALID: &str = concat!(
    r#"{"valid":true,"key_id":"4mXq0cVbTz8LwP2nRk7sYd","tenant_id":"bench","environment":"live","#,
    r#""scopes":["balance:read","operations:write"],"expires_at":"2027-02-21T12:00:00.123456Z","#,
    r#""remaining_daily_volume":null}"#
);

async fn verify(_body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok().content_type(ContentType::json()).body(VALID)
}

#[actix_web::main]
async fn main() -> ExitCode {
    match serve().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-floor: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), String> {
    let flags = Flags::parse(std::env::args().skip(1))?;
    let listen = flags.or("listen", "127.0.0.1:18080".to_owned())?;
    let log = flags.or("log", "info".to_owned())?;
    // keygated's own subscriber, at the same level: nothing is logged per request at `info`.
    let filter = tracing_subscriber::EnvFilter::try_new(&log).map_err(|e| e.to_string())?;
    tracing_subscriber::fmt().with_env_filter(filter).with_target(true).with_ansi(false).init();
    // Any other route answers 200: row 9 uses the floor as the upstream behind nginx.
    let mut server = HttpServer::new(|| {
        App::new()
            .route("/v1/verify", web::post().to(verify))
            .default_service(web::to(|| async { actix_web::HttpResponse::Ok().body("upstream") }))
    });
    let workers: usize = flags.or("workers", 0)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    server.bind(&listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?.run().await.map_err(|e| e.to_string())
}
