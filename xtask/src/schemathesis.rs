//! `cargo xtask schemathesis [examples per operation]`: Schemathesis (from pip) against the served
//! `/openapi.json` of a real keygated, in every phase it has (examples, coverage, fuzzing, stateful).
//!
//! Installs Schemathesis into `target/schemathesis-venv` when it is missing, builds and starts the debug
//! keygated on a free loopback port with the in-memory store and a fresh admin token, seeds a tenant
//! (two first admins, its policy approved) with an operator holding maker, checker and auditor and a
//! pending key made by another operator, then runs four passes: the whole API as the system admin;
//! the tenant's routes as that operator (`{tenant}` fixed to the seeded tenant, so keys are created,
//! listed and audited for real); the routes of one key (`{id}` fixed to the seeded key, so approval,
//! rejection, revocation, rotation and patches act on a real key); and last the routes that end a
//! credential (operator disable, token replacement), which every earlier pass leaves out so that no
//! pass loses its credential to another. Checks: no 5xx, every response conforms to the
//! document (schema, status code, content type), and the server logged no panic. The server is always
//! stopped, whatever happens. Everything it writes stays under `target/schemathesis/`.

use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::run::{cargo, status, workspace_root};

/// The Schemathesis release the task installs; its CLI and config keys are what this file speaks.
const VERSION: &str = "4.32.5";

/// Test cases per operation and phase when none is given.
const DEFAULT_EXAMPLES: u32 = 100;

/// Test cases per operation and phase in CI.
const CI_EXAMPLES: u32 = 25;

/// The checks every response must pass.
const CHECKS: &str = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance";

/// The seeded tenant (the operator pass fixes `{tenant}` to it).
const TENANT: &str = "acme";

/// The full task.
pub fn run(args: &[String]) -> Result<(), String> {
    let examples =
        match args.first() {
            None => DEFAULT_EXAMPLES,
            Some(text) => text.parse::<u32>().ok().filter(|n| (1..=10_000).contains(n)).ok_or_else(|| {
                format!("examples per operation must be a whole number from 1 to 10000, not {text:?}")
            })?,
        };
    schemathesis(examples)
}

/// The short version CI runs.
pub fn ci() -> Result<(), String> {
    schemathesis(CI_EXAMPLES)
}

fn schemathesis(examples: u32) -> Result<(), String> {
    let started = Instant::now();
    let root = workspace_root();
    let work = root.join("target").join("schemathesis");
    fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    let bin = ensure_installed(&root)?;
    cargo(&["build", "-p", "keygated", "--locked"])?;
    let admin = random_token()?;
    let server = Server::start(&root, &work, &admin)?;
    let result = passes(&bin, &work, &server, &admin, examples);
    let panicked = server.stop_and_find_panic();
    println!("\nschemathesis: {examples} examples per operation and phase, {} s in all", started.elapsed().as_secs());
    result?;
    match panicked {
        Some(line) => Err(format!("keygated panicked during the run: {line}")),
        None => Ok(()),
    }
}

fn passes(bin: &Path, work: &Path, server: &Server, admin: &str, examples: u32) -> Result<(), String> {
    server.wait_until_healthy()?;
    let seeded = seed(server.addr, admin)?;
    let schema = format!("http://{}/openapi.json", server.addr);
    let config = |name: &str, parameters: &str| {
        let path = work.join(format!("{name}.toml"));
        fs::write(&path, format!("[parameters]\n{parameters}"))
            .map(|()| path)
            .map_err(|e| format!("cannot write {name}.toml: {e}"))
    };
    let tenant_only = config("operator", &format!("tenant = \"{TENANT}\"\n"))?;
    let tenant_and_key = config("lifecycle", &format!("tenant = \"{TENANT}\"\nid = \"{}\"\n", seeded.key))?;
    // Routes that end a credential (disabling an operator, replacing a token) would end the seeded
    // operator's too and leave the later passes with nothing but 401s: every pass but the last leaves
    // them out, and the last runs only them, with the operator's own token, after everything else.
    let destroying = "/disable$|/me/token$";
    let passes = [
        Pass { name: "admin", token: admin, config: None, include: None, exclude: Some(destroying) },
        Pass {
            name: "operator",
            token: &seeded.operator,
            config: Some(&tenant_only),
            include: Some("^/v1/tenants/\\{tenant\\}/"),
            exclude: Some(destroying),
        },
        Pass {
            name: "lifecycle",
            token: &seeded.operator,
            config: Some(&tenant_and_key),
            include: Some("^/v1/tenants/\\{tenant\\}/keys/\\{id\\}"),
            exclude: Some(destroying),
        },
        Pass {
            name: "credentials",
            token: &seeded.operator,
            config: Some(&tenant_only),
            include: Some(destroying),
            exclude: None,
        },
    ];
    let failures: Vec<String> = passes.iter().filter_map(|pass| pass.run(bin, work, &schema, examples).err()).collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// One Schemathesis run with one credential.
struct Pass<'a> {
    name: &'static str,
    token: &'a str,
    config: Option<&'a Path>,
    include: Option<&'static str>,
    exclude: Option<&'static str>,
}

impl Pass<'_> {
    fn run(&self, bin: &Path, work: &Path, schema: &str, examples: u32) -> Result<(), String> {
        let mut cmd = Command::new(bin);
        if let Some(config) = self.config {
            cmd.arg("--config-file").arg(config);
        }
        cmd.args(["run", schema, "--checks", CHECKS, "--workers", "1", "--no-color", "--request-timeout", "10"])
            .args(["--generation-database", "none", "--phases", "examples,coverage,fuzzing,stateful"])
            .args(["--max-examples", &examples.to_string()])
            .args(["--report", "junit", "--report-junit-path"])
            .arg(work.join(format!("{}.junit.xml", self.name)))
            .arg("-H")
            .arg(format!("Authorization: Bearer {}", self.token))
            // Its caches and reports land here, never in the source tree.
            .current_dir(work);
        if let Some(include) = self.include {
            cmd.args(["--include-path-regex", include]);
        }
        if let Some(exclude) = self.exclude {
            cmd.args(["--exclude-path-regex", exclude]);
        }
        status(&mut cmd, &format!("schemathesis run ({} pass, {examples} examples)", self.name))
            .map_err(|e| format!("{} pass: {e}", self.name))
    }
}

/// The `schemathesis` executable of the venv under `target/`, installed there if missing.
fn ensure_installed(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join("target").join("schemathesis-venv");
    let bin = venv.join("bin").join("schemathesis");
    let installed = Command::new(&bin).arg("--version").output().ok().filter(|o| o.status.success());
    if installed.is_some_and(|o| String::from_utf8_lossy(&o.stdout).contains(VERSION)) {
        return Ok(bin);
    }
    let started = Instant::now();
    status(Command::new("python3").args(["-m", "venv"]).arg(&venv), "python3 -m venv target/schemathesis-venv")?;
    let pip = venv.join("bin").join("pip");
    status(
        Command::new(pip).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            &format!("schemathesis=={VERSION}"),
        ]),
        &format!("pip install schemathesis=={VERSION}"),
    )?;
    println!("schemathesis {VERSION} installed in {} s", started.elapsed().as_secs());
    Ok(bin)
}

/// 48 hex characters from the OS's random source, for this run's admin token.
fn random_token() -> Result<String, String> {
    let mut bytes = [0u8; 24];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| format!("cannot read /dev/urandom for the admin token: {e}"))?;
    Ok(bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    }))
}

/// The keygated under test. Dropping it kills the process, so it stops on every path out.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(root: &Path, work: &Path, admin: &str) -> Result<Self, String> {
        let addr = free_port()?;
        let log = work.join("keygated.log");
        let out = fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(root.join("target").join("debug").join("keygated"))
            .env("KEYGATE_LISTEN", addr.to_string())
            .env("KEYGATE_ADMIN_TOKEN", admin)
            .env("KEYGATE_LOG", "warn")
            .env("KEYGATE_LOG_FORMAT", "pretty")
            .env_remove("KEYGATE_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start target/debug/keygated: {e}"))?;
        println!("keygated (pid {}) on http://{addr}, log {}", child.id(), log.display());
        Ok(Self { child, addr, log })
    }

    /// Waits up to 30 s for `/healthz` to answer 200.
    fn wait_until_healthy(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if http(self.addr, "GET", "/healthz", None, None).is_ok_and(|(status, _)| status == 200) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("keygated did not become healthy within 30 s; see {}", self.log.display()))
    }

    /// Stops the server, then returns the first line of its log that reports a panic, if any.
    fn stop_and_find_panic(mut self) -> Option<String> {
        self.kill();
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        text.lines().find(|l| l.contains("panicked")).map(str::to_owned)
    }

    fn kill(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> Result<SocketAddr, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    listener.local_addr().map_err(|e| e.to_string())
}

/// What the passes act on.
struct Seeded {
    /// Token of an operator of [`TENANT`] holding every role.
    operator: String,
    /// A key of [`TENANT`] pending approval, made by another operator (so the first may approve it).
    key: String,
}

/// The seeded tenant (two first admins, its policy approved), an operator holding every role one
/// person may hold together (maker, checker, auditor; never admin with those), and a pending key made
/// by a second operator (a maker). The operator pass may disable its own operator (it may list
/// operators as auditor, and one may disable oneself): that only ends its own credential, which belongs
/// to this run, and is allowed to happen.
fn seed(addr: SocketAddr, admin: &str) -> Result<Seeded, String> {
    let tenant = format!(
        r#"{{"id":"{TENANT}","name":"Acme","policy":{{"live_enabled":true,"allow_never_expiring":true}},"admins":[{{"name":"Ada","email":"ada@acme.test"}},{{"name":"Abe","email":"abe@acme.test"}}]}}"#
    );
    let body = expect(http(addr, "POST", "/v1/tenants", Some(admin), Some(&tenant))?, 201, "seed tenant")?;
    let codes = json_strings(&body, "invitation");
    let [ada, abe] = [codes.first(), codes.get(1)].map(|c| c.ok_or("the tenant creation answered no invitations"));
    let (ada, abe) = (claim(addr, ada?, None)?, claim(addr, abe?, None)?);
    expect(
        http(addr, "POST", &format!("/v1/tenants/{TENANT}/policy/approve"), Some(&ada), Some("{}"))?,
        200,
        "seed policy",
    )?;
    let everything = r#"{"name":"Schemathesis","email":"st@acme.test","roles":["maker","checker","auditor"]}"#;
    let operator = invite(addr, &ada, &abe, everything)?;
    let maker = invite(addr, &ada, &abe, r#"{"name":"Seeder","email":"seeder@acme.test","roles":["maker"]}"#)?;
    let key = r#"{"name":"seed-pos","scopes":["balance:read","operations:write"],"limits":{"currency":"XOF","max_amount":"100.00","daily_volume":"1000.00"}}"#;
    let body =
        expect(http(addr, "POST", &format!("/v1/tenants/{TENANT}/keys"), Some(&maker), Some(key))?, 201, "seed key")?;
    let key = json_string(&body, "id").ok_or("the key creation answered no id")?;
    Ok(Seeded { operator, key })
}

/// `asker` invites, `approver` approves, the invitee claims both halves; the invitee's token.
fn invite(addr: SocketAddr, asker: &str, approver: &str, body: &str) -> Result<String, String> {
    let operators = format!("/v1/tenants/{TENANT}/operators");
    let invited = expect(http(addr, "POST", &operators, Some(asker), Some(body))?, 201, "seed operator")?;
    let first = json_string(&invited, "invitation").ok_or("the invitation answered no code")?;
    let id = json_string(&invited, "id").ok_or("the invitation answered no operator id")?;
    let path = format!("{operators}/{id}/approve");
    let answer = expect(http(addr, "POST", &path, Some(approver), Some("{}"))?, 200, "seed approval")?;
    claim(addr, &first, json_string(&answer, "invitation_2").as_deref())
}

/// Claims an invitation; the token.
fn claim(addr: SocketAddr, first: &str, second: Option<&str>) -> Result<String, String> {
    let body = match second {
        Some(second) => format!(r#"{{"invitation":"{first}","invitation_2":"{second}"}}"#),
        None => format!(r#"{{"invitation":"{first}"}}"#),
    };
    let claimed = expect(http(addr, "POST", "/v1/operators/claim", None, Some(&body))?, 201, "seed claim")?;
    json_string(&claimed, "token").ok_or_else(|| "the claim answered no token".to_owned())
}

/// Every `"name":"value"` string member of a flat JSON text, in order.
fn json_strings(body: &str, name: &str) -> Vec<String> {
    let needle = format!("\"{name}\":\"");
    body.match_indices(&needle)
        .filter_map(|(at, _)| {
            let start = at + needle.len();
            body[start..].find('"').map(|end| body[start..start + end].to_owned())
        })
        .collect()
}

fn expect((status, body): (u16, String), want: u16, what: &str) -> Result<String, String> {
    if status == want {
        Ok(body)
    } else {
        Err(format!("{what}: expected {want}, got {status}: {body}"))
    }
}

/// The first `"name":"value"` string member of a flat JSON text (enough for the seeding answers).
fn json_string(body: &str, name: &str) -> Option<String> {
    let start = body.find(&format!("\"{name}\":\""))? + name.len() + 4;
    let end = body[start..].find('"')?;
    Some(body[start..start + end].to_owned())
}

/// One HTTP/1.1 request with `Connection: close`; returns the status and the body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> Result<(u16, String), String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| format!("connect {addr}: {e}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).map_err(|e| e.to_string())?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(token) = token {
        let _ = write!(request, "Authorization: Bearer {token}\r\n");
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        let _ = write!(request, "Content-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).map_err(|e| format!("send {method} {path}: {e}"))?;
    let mut response = String::new();
    stream.read_to_string(&mut response).map_err(|e| format!("read {method} {path}: {e}"))?;
    let status = response.split(' ').nth(1).and_then(|s| s.parse::<u16>().ok()).ok_or("no HTTP status line")?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    Ok((status, body))
}
