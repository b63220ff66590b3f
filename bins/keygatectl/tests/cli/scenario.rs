//! The first seed's tutorial done with keygatectl alone (the system admin creates a tenant with two
//! admins who claim; they invite a maker and a checker, who claim; the key's life under dual control;
//! the audit chain), `--output json` and `jsonl` parsed back, a secret printed once on its own line,
//! then an import of 200 keys with 3 bad lines and a re-run that skips what exists.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;

use crate::harness::{mode, Ctl, Server, ADMIN};

pub fn tutorial_then_import(server: &Server) {
    let ctl = Ctl::new(&server.url);
    people(&ctl);
    key_life(&ctl);
    audit(&ctl);
    the_other_key_commands(&ctl);
    import(&ctl);
}

/// Steps 1 to 3: the tenant, its admins, a maker, a checker and a service credential, each token in
/// a 0600 file named after its holder.
fn people(ctl: &Ctl) {
    let admin_token = ctl.file("admin.token", ADMIN, 0o600);
    let as_admin = [("KEYGATE_TOKEN_FILE", admin_token.as_str())];

    // 1. The system admin creates the tenant and its two first admins; the invitations go to a new
    //    0600 file, one a line, and the JSON shown has none.
    let invitations = ctl.path("invitations");
    let created = ctl
        .run(
            &as_admin,
            &[
                "tenant",
                "create",
                "acme",
                "--name",
                "Acme Distribution",
                "--live-enabled",
                "true",
                "--timezone",
                "Africa/Dakar",
                "--admin",
                "Ada Admin <ada@acme.test>",
                "--admin",
                "Abe Admin <abe@acme.test>",
                "--secret-file",
                &invitations.display().to_string(),
                "-o",
                "json",
            ],
        )
        .ok()
        .json();
    assert_eq!(created["id"], "acme", "the tenant's JSON is printed");
    assert!(!created.to_string().contains("\"invitation\""), "no invitation shown beside --secret-file: {created}");
    assert_eq!(mode(&invitations), 0o600, "the secret file is its owner's only");
    let lines: Vec<String> = std::fs::read_to_string(&invitations).unwrap().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "one invitation per admin");

    for (name, invitation) in ["ada", "abe"].iter().zip(&lines) {
        let token = ctl.path(&format!("{name}.token")).display().to_string();
        ctl.run_with_input(&[], &["operator", "claim", "--invitation-file", "-", "--secret-file", &token], invitation)
            .ok();
        assert_eq!(mode(Path::new(&token)), 0o600, "a claimed token is written owner-only");
    }
    ctl.profiles(&["ada", "abe", "mary", "chuck"], 0o600);
    let shown = ctl.run(&[], &["--profile", "ada", "tenant", "show", "-o", "json"]).ok().json();
    assert_eq!(shown["pending_policy"]["settings"]["live_enabled"], true, "live keys wait for an admin");
    ctl.run(&[], &["--profile", "ada", "tenant", "approve-policy"]).ok();

    // 2. An admin invites, the other approves, the invitee claims with both halves.
    // Mary also holds the checker role, so what stops her approving her own key is the maker-checker
    // rule itself, not a missing role.
    for (name, person, email, roles) in [
        ("mary", "Mary Maker", "mary@acme.test", &["maker", "checker"][..]),
        ("chuck", "Chuck Checker", "chuck@acme.test", &["checker"][..]),
    ] {
        let first = ctl.path(&format!("{name}.1")).display().to_string();
        let second = ctl.path(&format!("{name}.2")).display().to_string();
        let mut args = vec!["--profile", "ada", "operator", "invite", "--name", person, "--email", email];
        for role in roles {
            args.extend(["--role", role]);
        }
        args.extend(["--secret-file", &first, "-o", "json"]);
        let invited = ctl.run(&[], &args).ok().json();
        let id = invited["operator"]["id"].as_str().unwrap().to_owned();
        let own = ctl.run(&[], &["--profile", "ada", "operator", "approve", &id]).exits(1);
        assert!(own.stderr.starts_with("403 "), "an admin cannot approve its own invitation: {}", own.stderr);
        ctl.run(&[], &["--profile", "abe", "operator", "approve", &id, "--secret-file", &second]).ok();
        let both = std::fs::read_to_string(&first).unwrap() + &std::fs::read_to_string(&second).unwrap();
        let token = ctl.path(&format!("{name}.token")).display().to_string();
        ctl.run_with_input(&[], &["operator", "claim", "--invitation-file", "-", "--secret-file", &token], &both).ok();
    }
    let operators = ctl.run(&[], &["--profile", "ada", "operator", "list"]).ok();
    for header in ["ID", "NAME", "EMAIL", "ROLES", "STATE"] {
        assert!(
            operators.stdout.lines().next().unwrap().contains(header),
            "the table has {header}: {}",
            operators.stdout
        );
    }
    assert_eq!(operators.stdout.lines().count(), 5, "a header and four operators: {}", operators.stdout);

    // 3. A service credential for the gateway.
    let service = ctl.path("service.token").display().to_string();
    ctl.run(&as_admin, &["service", "create", "--name", "pos-gateway", "--serve", "acme", "--secret-file", &service])
        .ok();
}

/// Steps 4 to 7: the key's life under dual control.
fn key_life(ctl: &Ctl) {
    let service = ctl.path("service.token").display().to_string();
    let as_service = [("KEYGATE_TOKEN_FILE", service.as_str()), ("KEYGATE_TENANT", "acme")];

    // 4. The maker asks for a key; it waits for a checker.
    let secret_file = ctl.path("pos.secret").display().to_string();
    let key = ctl
        .run(
            &[],
            &[
                "--profile",
                "mary",
                "key",
                "create",
                "--name",
                "POS Integration",
                "--environment",
                "live",
                "--scope",
                "balance:read",
                "--scope",
                "operations:write",
                "--currency",
                "XOF",
                "--max-amount",
                "100000",
                "--daily-volume",
                "1000000",
                "--expires-in-days",
                "90",
                "--secret-file",
                &secret_file,
                "-o",
                "json",
            ],
        )
        .ok()
        .json();
    assert_eq!(key["key"]["state"], "pending_approval", "{key}");
    assert!(key.get("secret").is_none(), "the secret went to the file only: {key}");
    let id = key["key"]["id"].as_str().unwrap().to_owned();
    let secret = std::fs::read_to_string(&secret_file).unwrap().trim().to_owned();
    assert!(secret.starts_with("kg_live_1"), "the secret file holds the token");
    let pending = ctl.run(&as_service, &["verify", "--key-file", &secret_file]).exits(1);
    assert!(pending.stdout.contains("PENDING_APPROVAL"), "the verdict is shown: {}", pending.stdout);

    // 5. The maker cannot approve her own key, checker or not; the checker can.
    let own = ctl.run(&[], &["--profile", "mary", "key", "approve", &id]).exits(1);
    assert!(own.stderr.starts_with("403 SELF_APPROVAL: "), "one problem line: {}", own.stderr);
    assert_eq!(own.stderr.lines().count(), 1, "exactly one line: {}", own.stderr);
    let approved = ctl.run(&[], &["--profile", "chuck", "key", "approve", &id]).ok();
    assert!(
        approved.stdout.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["state", "active"]),
        "the table shows the state, uncoloured off a terminal: {}",
        approved.stdout
    );

    // 6. The key verifies and spends, the key read from standard input.
    let spent = ctl
        .run_with_input(
            &as_service,
            &[
                "verify",
                "--key-file",
                "-",
                "--scope",
                "operations:write",
                "--amount",
                "250",
                "--currency",
                "XOF",
                "-o",
                "json",
            ],
            &secret,
        )
        .ok()
        .json();
    assert_eq!((spent["valid"].clone(), spent["key_id"].clone()), (json!(true), json!(id)), "{spent}");
    let shown = ctl.run(&[], &["--profile", "mary", "key", "show", &id, "-o", "json"]).ok().json();
    assert_eq!((shown["state"].as_str(), shown["name"].as_str()), (Some("active"), Some("POS Integration")));

    // A secret printed to the screen: on its own line after the table, the warning on stderr only.
    let printed =
        ctl.run(&[], &["--profile", "mary", "key", "create", "--name", "Second", "--scope", "balance:read"]).ok();
    let last = printed.stdout.lines().last().unwrap();
    assert!(
        last.starts_with("kg_test_1") && !last.contains(' '),
        "the secret alone on the last line: {}",
        printed.stdout
    );
    assert!(printed.stderr.contains("warning: the secret above is shown once"), "{}", printed.stderr);
    assert!(!printed.stderr.contains(last), "never on stderr");
    let listed = ctl.run(&[], &["--profile", "mary", "key", "list", "-o", "jsonl"]).ok();
    assert!(!listed.stdout.contains(last) && !listed.stdout.contains(&secret), "no read shows a secret");

    // 7. Revocation under dual control; the key is refused for good.
    let asked = ctl
        .run(&[], &["--profile", "mary", "key", "revoke", &id, "--reason", "integration retired", "-o", "json"])
        .ok()
        .json();
    assert_eq!(asked["state"], "revocation_pending");
    let revoked = ctl.run(&[], &["--profile", "chuck", "key", "approve-revocation", &id, "-o", "json"]).ok().json();
    assert_eq!(revoked["state"], "revoked");
    let refused = ctl.run(&as_service, &["verify", "--key-file", &secret_file, "-o", "json"]).exits(1).json();
    assert_eq!(refused["code"], "REVOKED");
}

/// Step 8: the audit chain holds, and its entries follow every page as JSON lines.
fn audit(ctl: &Ctl) {
    // 8. The audit chain holds, and its entries follow every page as JSON lines.
    let chain = ctl.run(&[], &["--profile", "ada", "audit", "verify", "-o", "json"]).ok().json();
    assert_eq!(chain["valid"], true, "{chain}");
    let entries = ctl.run(&[], &["--profile", "ada", "audit", "list", "--limit", "2", "-o", "jsonl"]).ok().jsonl();
    assert!(entries.len() > 10, "every page is followed: {}", entries.len());
    let actions: BTreeSet<&str> = entries.iter().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.len() > 3, "the log holds the story: {actions:?}");
}

/// A key changed, suspended and resumed, rotated, read, and reported leaked; webhooks listed.
fn the_other_key_commands(ctl: &Ctl) {
    let service = ctl.path("service.token").display().to_string();
    let as_service = [("KEYGATE_TOKEN_FILE", service.as_str()), ("KEYGATE_TENANT", "acme")];
    let mary = |args: &[&str]| ctl.run(&[], &[&["--profile", "mary"], args].concat());
    let chuck = |args: &[&str]| ctl.run(&[], &[&["--profile", "chuck"], args].concat());
    let secret_file = ctl.path("third.secret").display().to_string();
    let created = mary(&[
        "key",
        "create",
        "--name",
        "Third",
        "--scope",
        "balance:read",
        "--scope",
        "payouts:write",
        "--secret-file",
        &secret_file,
        "-o",
        "json",
    ])
    .ok()
    .json();
    let id = created["key"]["id"].as_str().unwrap().to_owned();
    chuck(&["key", "approve", &id]).ok();

    let narrowed = mary(&["key", "change", &id, "--scope", "balance:read", "-o", "json"]).ok().json();
    assert_eq!(narrowed["scopes"], json!(["balance:read"]), "a narrowing applies at once: {narrowed}");
    let widened =
        mary(&["key", "change", &id, "--scope", "balance:read", "--scope", "payouts:write", "-o", "json"]).ok().json();
    assert_eq!(widened["pending_change"]["scopes"], json!(["balance:read", "payouts:write"]), "a widening waits");
    chuck(&["key", "approve-change", &id]).ok();

    assert_eq!(mary(&["key", "suspend", &id, "--reason", "checking", "-o", "json"]).ok().json()["state"], "suspended");
    ctl.run(&as_service, &["verify", "--key-file", &secret_file]).exits(1);
    mary(&["key", "resume", &id, "--reason", "checked"]).ok();
    assert_eq!(chuck(&["key", "approve-resume", &id, "-o", "json"]).ok().json()["state"], "active");
    ctl.run(&as_service, &["verify", "--key-file", &secret_file, "--scope", "payouts:write"]).ok();

    let usage = mary(&["key", "usage", &id, "-o", "json"]).ok().json();
    assert_eq!(usage["key_id"], json!(id), "{usage}");
    let rotated = ctl.path("fourth.secret").display().to_string();
    let successor = mary(&["key", "rotate", &id, "--secret-file", &rotated, "-o", "json"]).ok().json();
    assert_eq!(successor["key"]["rotation"]["replaces"], json!(id), "{successor}");
    assert!(std::fs::read_to_string(&rotated).unwrap().starts_with("kg_test_1"));

    let labels = ctl
        .run_with_input(
            &as_service,
            &["leak", "report", "--file", "-", "--found-url", "https://paste.example/1"],
            &std::fs::read_to_string(&secret_file).unwrap(),
        )
        .ok();
    assert!(labels.stdout.contains("true_positive"), "a live key reported: {}", labels.stdout);
    assert!(!labels.stdout.contains("kg_test_1"), "the table does not repeat the token: {}", labels.stdout);
    assert_eq!(mary(&["key", "show", &id, "-o", "json"]).ok().json()["state"], "suspended", "on_leak suspends");
    ctl.run(&[], &["--profile", "ada", "webhook", "list"]).ok();
}

/// 200 keys with 3 bad lines: exactly those reported; fixed, a re-run creates them and skips the rest.
fn import(ctl: &Ctl) {
    let bad = [17_usize, 88, 150];
    let line = |n: usize, fixed: bool| match n {
        17 if !fixed => "{not json".to_owned(),
        88 if !fixed => json!({"name": format!("bulk-{n:03}"), "scopes": ["not a scope"]}).to_string(),
        150 if !fixed => {
            json!({"name": format!("bulk-{n:03}"), "scopes": ["balance:read"], "environment": "staging"}).to_string()
        }
        _ => json!({"name": format!("bulk-{n:03}"), "scopes": ["balance:read"], "notes": "imported"}).to_string(),
    };
    let file = |fixed: bool| (1..=200).map(|n| line(n, fixed)).collect::<Vec<_>>().join("\n") + "\n";
    let keys = ctl.file("keys.jsonl", &file(false), 0o644);
    let (report, secrets) = (ctl.path("report-1.jsonl"), ctl.path("secrets-1.jsonl"));
    let first = ctl
        .run(
            &[],
            &[
                "--profile",
                "mary",
                "key",
                "import",
                "--file",
                &keys,
                "--report",
                &report.display().to_string(),
                "--secret-file",
                &secrets.display().to_string(),
            ],
        )
        .exits(1);
    assert!(first.stdout.starts_with("created 197, skipped 0 (name exists), failed 3"), "{}", first.stdout);
    let failed: Vec<serde_json::Value> =
        std::fs::read_to_string(&report).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let lines: Vec<u64> = failed.iter().map(|f| f["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, bad.map(|n| n as u64), "exactly the bad lines, in order: {failed:?}");
    assert_eq!(failed[0]["code"], "INVALID_LINE", "a line that is not JSON is never sent");
    assert_eq!(
        (failed[1]["status"].as_u64(), failed[1]["code"].as_str()),
        (Some(400), Some("INVALID_REQUEST")),
        "{failed:?}"
    );
    assert_eq!(mode(&secrets), 0o600);
    let issued: Vec<serde_json::Value> =
        std::fs::read_to_string(&secrets).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(issued.len(), 197, "one secret per created key");
    assert!(issued.iter().all(|s| s["secret"].as_str().is_some_and(|t| t.starts_with("kg_test_1"))));

    let keys = ctl.file("keys-fixed.jsonl", &file(true), 0o644);
    let (report, secrets) = (ctl.path("report-2.jsonl"), ctl.path("secrets-2.jsonl"));
    let again = ctl
        .run(
            &[],
            &[
                "--profile",
                "mary",
                "key",
                "import",
                "--file",
                &keys,
                "--report",
                &report.display().to_string(),
                "--secret-file",
                &secrets.display().to_string(),
                "-o",
                "json",
            ],
        )
        .ok()
        .json();
    assert_eq!(
        (again["created"].as_u64(), again["skipped"].as_u64(), again["failed"].as_u64()),
        (Some(3), Some(197), Some(0))
    );
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "", "nothing failed");

    let exported = ctl.run(&[], &["--profile", "mary", "key", "export"]).ok().jsonl();
    assert_eq!(exported.len(), 204, "the four keys before and the 200 imported");
    let names: BTreeSet<&str> = exported.iter().filter_map(|k| k["name"].as_str()).collect();
    assert_eq!(names.len(), 204, "each name once");
    let text = serde_json::to_string(&exported).unwrap();
    assert!(issued.iter().all(|s| !text.contains(s["secret"].as_str().unwrap())), "an export holds no secret");
}
