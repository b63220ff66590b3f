//! `keygated`: parse configuration, start, print the generated admin token once, serve until SIGTERM
//! or Ctrl-C, then flush the usage buffer and the request log.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser;
use keygated::{config, start, telemetry, Config};

/// mimalloc rather than glibc's allocator: a verification allocates a few short-lived buffers (the
/// request body, the verdict's JSON), and glibc's `malloc`, `_int_free` and `malloc_consolidate` were
/// 9% of the verify path's profile (docs/performance.md, row 3).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> ExitCode {
    let config = match Config::try_parse() {
        Ok(config) => config,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", config::one_line_error(&e));
            return ExitCode::from(2);
        }
    };
    telemetry::init_logging(&config.log, &config.log_format);
    let running = match start(config).await {
        Ok(running) => running,
        Err(e) => {
            eprintln!("keygated: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(addr = %running.addr, "keygated listening");
    if let Some(token) = &running.generated_admin_token {
        println!("{}", banner(running.addr, running.store, token.expose()));
    }
    let handle = running.server.handle();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        handle.stop(true).await;
    });
    let result = running.server.await;
    running.verifier.shutdown().await;
    if let Some(log) = &running.request_log {
        if let Err(error) = log.shutdown().await {
            tracing::warn!(%error, "request log lines could not be written at shutdown");
        }
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keygated: server error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// SIGTERM or Ctrl-C (SIGINT), whichever comes first; both stop gracefully.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

fn banner(addr: std::net::SocketAddr, store: &str, token: &str) -> String {
    let lasting = if store == "PostgreSQL" { "" } else { " (nothing survives a restart)" };
    format!(
        "\nkeygated is listening on http://{addr} with {store}{lasting}.\n\
         System admin token (shown once; set KEYGATE_ADMIN_TOKEN to choose your own):\n\n    {token}\n\n\
         Next steps: create a tenant with its first admins, who claim their invitations and invite the \
         makers and checkers (see README.md), e.g.\n\n    \
         curl -s -X POST http://{addr}/v1/tenants -H 'Authorization: Bearer {token}' \
         -H 'Content-Type: application/json' \
         -d '{{\"id\":\"acme\",\"name\":\"Acme\",\"admins\":[{{\"name\":\"Ada\",\"email\":\"ada@acme.test\"}}]}}'\n"
    )
}
