//! What every verifier test needs: a store with two tenants, a verifier on a stopped clock, keys
//! issued through the real lifecycle, and a store that can be made to fail.

mod flaky;
mod flaky_webhooks;
mod harness;

pub use flaky::FlakyStore;
pub use harness::*;
