//! Row 10: keygate behind nginx. The example configuration (`examples/gateways/nginx/nginx.conf`) in
//! front of an upstream (bench-floor answering 200 to any route), against the same configuration with
//! `auth_request off`: what asking keygate costs a request that passes through nginx. nginx, keygated
//! (the stack's in-memory one, which runs with `KEYGATE_ROUTES`) and the upstream share the server
//! CPU; wrk asks one key on `GET /api/v1/distributors/bench/balance`.

use std::path::Path;
use std::time::Duration;

use super::load::{median_wrk, paired_ratio, wrk, Wrk};
use super::proc::{self, Server};
use super::report::{ms, pct, Report, Row};
use super::stack::Stack;
use super::Settings;

/// The route table the stack's in-memory keygated runs with (its keys hold `balance:read`).
pub const ROUTES: &str =
    "[[route]]\nmethod = \"GET\"\npath = \"/api/v1/distributors/{tenant}/balance\"\nscopes = [\"balance:read\"]\n";

const PATH: &str = "/api/v1/distributors/bench/balance";

fn describe(w: &Wrk) -> String {
    format!("{:.0} req/s, p50 {}, p99 {}", w.rps, ms(w.p50_us), ms(w.p99_us))
}

/// nginx with the example configuration pointed at `keygate` and `upstream`; `auth_request off` when
/// `bare`.
fn nginx(s: &Settings, name: &str, keygate: u16, upstream: u16, service: &str, bare: bool) -> Result<Server, String> {
    let example = s.root.join("examples/gateways/nginx/nginx.conf");
    let text = std::fs::read_to_string(&example).map_err(|e| format!("cannot read {}: {e}", example.display()))?;
    let port = proc::free_port()?;
    let mut conf = text
        .replacen("server 127.0.0.1:8080;", &format!("server 127.0.0.1:{keygate};"), 1)
        .replacen("server 127.0.0.1:9000;", &format!("server 127.0.0.1:{upstream};"), 1)
        .replacen("listen 127.0.0.1:8000;", &format!("listen 127.0.0.1:{port};"), 1)
        .replacen("\"REPLACE_WITH_SERVICE_CREDENTIAL\";", &format!("\"{service}\";"), 1)
        .replacen("error_log stderr warn;", "error_log error.log warn;", 1);
    if bare {
        conf = conf.replacen("auth_request /_keygate;", "auth_request off;", 1);
    }
    let dir = s.out.join(name);
    std::fs::create_dir_all(dir.join("tmp")).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(dir.join("nginx.conf"), conf).map_err(|e| e.to_string())?;
    let mut cmd = proc::pinned(s.server_cpu.as_deref(), Path::new("nginx"));
    cmd.arg("-p").arg(&dir).arg("-c").arg(dir.join("nginx.conf")).arg("-e").arg(dir.join("error.log"));
    s.note(name, &cmd);
    Server::start(name, cmd, port, &s.logs, Duration::from_secs(30))
}

pub fn row(s: &Settings, stack: &Stack, report: &mut Report) -> Result<(), String> {
    let read = |file: &str| {
        let path = stack.memory_dir.join(file);
        std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
            .map(|t| t.lines().next().unwrap_or_default().trim().to_owned())
    };
    let (token, service) = (read("tokens.txt")?, read("service.txt")?);
    let upstream = stack.floor.port;
    let chain = nginx(s, "nginx-keygate", stack.memory.port, upstream, &service, false)?;
    let bare = nginx(s, "nginx-bare", stack.memory.port, upstream, &service, true)?;
    for server in [&chain, &bare] {
        wrk(s, &format!("warmup-nginx-{}", server.port), &server.url(), "wallet.lua", &[PATH, &token], s.warmup)?;
    }
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for round in 0..s.runs {
        let mut pair = [("bare", &bare), ("keygate", &chain)];
        if round % 2 == 1 {
            pair.reverse();
        }
        for (name, server) in pair {
            let run =
                wrk(s, &format!("nginx-{name}-{round}"), &server.url(), "wallet.lua", &[PATH, &token], s.duration)?;
            if name == "keygate" {
                with.push(run);
            } else {
                without.push(run);
            }
        }
        println!(
            "round {round}: nginx alone {} | nginx + keygate {}",
            describe(&without[round]),
            describe(&with[round])
        );
    }
    let rps = |runs: &[Wrk]| runs.iter().map(|w| w.rps).collect::<Vec<_>>();
    let ratio = paired_ratio(&rps(&with), &rps(&without));
    let (with, without) = (median_wrk(&with), median_wrk(&without));
    let clean = with.errors + with.non2xx + without.errors + without.non2xx < 0.5;
    report.row(
        Row::new(
            "10",
            "nginx `auth_request` asking keygated `/v1/authorize` (the example configuration, in-memory store, one \
             key) in front of an upstream, vs the same nginx with `auth_request off`",
        )
        .floor(format!("nginx → upstream: {}", describe(&without)))
        .measured(format!(
            "nginx → keygated → upstream: {}: **{}** of nginx alone (median of the rounds' paired ratios){}",
            describe(&with),
            pct(ratio),
            if clean { "" } else { "; **errors or non-2xx answers in the run**" }
        ))
        .target("none set by the issue: reported".to_owned(), clean)
        .figures(&[
            ("ratio", ratio),
            ("with_rps", with.rps),
            ("without_rps", without.rps),
            ("with_p99_us", with.p99_us),
        ]),
    );
    Ok(())
}
