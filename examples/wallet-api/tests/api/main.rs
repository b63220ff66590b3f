//! End-to-end tests of the wallet API: the real server on 127.0.0.1, port 0, called over HTTP, so the
//! middleware, the handlers and the verifier are exercised exactly as a distributor's integration
//! meets them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod authentication;
mod authorization;
mod money;
mod support;
