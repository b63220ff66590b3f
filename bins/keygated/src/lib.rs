//! keygated, the keygate server: configuration, wiring and HTTP routes over the keygate crates. No
//! business rule lives here; every decision is the domain's, the policy's or the verifier's. It never
//! logs a secret, a token or a hash, and never returns one from a read route.

pub mod body;
pub mod config;
pub mod console;
pub mod dto;
pub mod error;
pub mod gateway_routes;
pub mod leak_keys;
pub mod openapi;
pub mod routes;
pub mod startup;
pub mod telemetry;

pub use config::Config;
pub use startup::{start, start_at, Running, StartError};
