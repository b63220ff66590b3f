//! What keygatectl decides before, or without, a server: usage errors (2), an unreachable server (3),
//! configuration files others can read refused with the fix, the help text against its snapshot, and
//! completion scripts.

use crate::harness::Ctl;

/// `UPDATE_SNAPSHOTS=1 cargo test -p keygatectl` rewrites it.
const HELP_SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli/snapshots/help.txt");

#[test]
fn usage_errors_exit_2_and_an_unreachable_server_exits_3() {
    // Nothing listens on port 9 of the loopback (discard); the GET is retried, then given up.
    let ctl = Ctl::new("http://127.0.0.1:9");
    let token = [("KEYGATE_TOKEN", "kgop_not_a_real_token")];
    let unknown = ctl.run(&token, &["key", "list", "--no-such-flag"]).exits(2);
    assert!(unknown.stderr.contains("--no-such-flag"), "clap names the flag: {}", unknown.stderr);
    let no_tenant = ctl.run(&token, &["key", "list"]).exits(2);
    assert!(no_tenant.stderr.contains("no tenant: pass --tenant"), "{}", no_tenant.stderr);
    let no_token = ctl.run(&[], &["--tenant", "acme", "key", "list"]).exits(2);
    assert!(no_token.stderr.contains("no credential"), "{}", no_token.stderr);
    let unreachable = ctl.run(&token, &["--tenant", "acme", "key", "list"]).exits(3);
    assert!(unreachable.stderr.contains("cannot reach http://127.0.0.1:9"), "{}", unreachable.stderr);
    assert_eq!(unreachable.stdout, "", "nothing on stdout");
    // A key is never an argument.
    ctl.run(&token, &["verify", "kg_test_1abc"]).exits(2);
    ctl.run(&[], &["--help"]).ok();
    let bash = ctl.run(&[], &["completions", "bash"]).ok();
    assert!(bash.stdout.contains("keygatectl") && bash.stdout.contains("approve-revocation"), "a bash script");
}

#[test]
fn a_profile_or_token_file_others_can_read_is_refused_with_the_fix() {
    let ctl = Ctl::new("http://127.0.0.1:9");
    let token = ctl.file("ada.token", "kgop_not_a_real_token", 0o644);
    let config = ctl.profiles(&["ada"], 0o644);
    let refused = ctl.run(&[], &["--profile", "ada", "key", "list"]).exits(2);
    assert!(refused.stderr.contains(&format!("chmod 600 {config}")), "the fix is named: {}", refused.stderr);
    assert!(refused.stderr.contains("mode 0644"), "{}", refused.stderr);

    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let refused = ctl.run(&[], &["--profile", "ada", "key", "list"]).exits(2);
    assert!(refused.stderr.contains(&format!("chmod 600 {token}")), "the token file too: {}", refused.stderr);
    let flag = ctl.run(&[("KEYGATE_TENANT", "acme")], &["--token-file", &token, "key", "list"]).exits(2);
    assert!(flag.stderr.contains("chmod 600"), "whichever way the file is named: {}", flag.stderr);

    // Fixed as told, the profile applies: its url (nothing listens there) and its tenant.
    std::fs::set_permissions(&token, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    ctl.run(&[], &["--profile", "ada", "key", "list"]).exits(3);
    let missing = ctl.run(&[], &["--profile", "bob", "key", "list"]).exits(2);
    assert!(missing.stderr.contains("no [profiles.bob] table"), "{}", missing.stderr);
}

#[test]
fn no_command_reuses_a_global_flag() {
    // clap lets a subcommand's `--url` shadow the global one silently, sending the request elsewhere.
    let help = keygatectl::cli::help_text();
    for section in help.split("==> ").skip(1) {
        for global in ["--url <", "--token-file <", "--tenant <", "--profile <", "--output <"] {
            assert!(section.matches(global).count() <= 1, "{global} twice in: {}", section.lines().next().unwrap());
        }
    }
}

#[test]
fn the_help_text_matches_its_snapshot() {
    let help = keygatectl::cli::help_text();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(HELP_SNAPSHOT, &help).unwrap();
    }
    let expected = std::fs::read_to_string(HELP_SNAPSHOT).unwrap_or_default();
    if help != expected {
        let first = help.lines().zip(expected.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "the help text changed (a renamed flag or command is a visible change); line {}:\n  now:  {:?}\n  was:  {:?}\n\
             review it, then rerun with UPDATE_SNAPSHOTS=1 to accept",
            first + 1,
            help.lines().nth(first),
            expected.lines().nth(first)
        );
    }
}
