//! keygatectl against the real keygated, started in this process on a random port (in memory, and on
//! a fresh PostgreSQL database when `KEYGATE_TEST_DATABASE_URL` is set), driven through the built
//! binary as an operator would: exit codes, standard output and standard error, files on disk.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod harness;
mod local;
mod scenario;

#[test]
fn the_tutorial_and_an_import_work_with_keygatectl_alone_in_memory() {
    let server = harness::Server::start(None);
    scenario::tutorial_then_import(&server);
    server.stop();
}

#[test]
fn the_tutorial_and_an_import_work_with_keygatectl_alone_on_postgres() {
    let Some(server) = harness::Server::start_on_postgres() else { return };
    scenario::tutorial_then_import(&server);
    server.stop();
}
