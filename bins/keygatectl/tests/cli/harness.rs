//! The server under test and a runner for the `keygatectl` binary: each run gets a clean environment
//! (its own `$HOME` and `$XDG_CONFIG_HOME` in a scratch directory, `KEYGATE_URL` pointing at the
//! server) plus what the step adds, and returns its exit code and both output streams.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use keygate_store::testing::TestDatabase;

pub const ADMIN: &str = "admin-token-for-keygatectl-tests-0123456789";

pub struct Server {
    runtime: tokio::runtime::Runtime,
    handle: actix_web::dev::ServerHandle,
    database: Option<TestDatabase>,
    pub url: String,
}

impl Server {
    pub fn start(database_url: Option<&str>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        Self::start_in(runtime, None, database_url.map(str::to_owned))
    }

    /// `None` when `KEYGATE_TEST_DATABASE_URL` is not set.
    pub fn start_on_postgres() -> Option<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let database = runtime.block_on(TestDatabase::create())?;
        let url = database.url().to_owned();
        Some(Self::start_in(runtime, Some(database), Some(url)))
    }

    fn start_in(runtime: tokio::runtime::Runtime, database: Option<TestDatabase>, url: Option<String>) -> Self {
        let mut config = keygated::Config::for_tests(ADMIN);
        config.database_url = url;
        let running = runtime.block_on(keygated::start(config)).expect("server starts");
        let handle = running.server.handle();
        runtime.spawn(running.server);
        Self { runtime, handle, database, url: format!("http://{}", running.addr) }
    }

    pub fn stop(self) {
        self.runtime.block_on(self.handle.stop(true));
        if let Some(database) = self.database {
            self.runtime.block_on(database.drop_database());
        }
    }
}

/// A scratch home for one operator's session: files, profiles, and runs of the binary.
pub struct Ctl {
    dir: tempfile::TempDir,
    url: String,
}

/// One run's outcome.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub args: String,
}

impl Run {
    /// Asserts exit 0 and returns the run.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "{} exits 0; stderr: {}; stdout: {}", self.args, self.stderr, self.stdout);
        self
    }

    /// Asserts the exit code.
    #[track_caller]
    pub fn exits(self, code: i32) -> Self {
        assert_eq!(self.code, code, "{} exits {code}; stderr: {}; stdout: {}", self.args, self.stderr, self.stdout);
        self
    }

    /// Standard output parsed as one JSON document.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{}: stdout is JSON ({e}): {}", self.args, self.stdout))
    }

    /// Standard output parsed as JSON lines.
    #[track_caller]
    pub fn jsonl(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: a JSON line ({e}): {l}", self.args)))
            .collect()
    }
}

impl Ctl {
    pub fn new(url: &str) -> Self {
        Self { dir: tempfile::tempdir().unwrap(), url: url.to_owned() }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `text` to `name` with `mode`; returns its path as a string.
    pub fn file(&self, name: &str, text: &str, mode: u32) -> String {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        path.display().to_string()
    }

    /// `$XDG_CONFIG_HOME/keygate/config.toml` with one `[profiles.NAME]` per (name, token file),
    /// all on this server and tenant `acme`.
    pub fn profiles(&self, names: &[&str], mode: u32) -> String {
        let mut text = String::new();
        for name in names {
            let token = self.path(&format!("{name}.token"));
            let _ = write!(
                text,
                "[profiles.{name}]\nurl = \"{}\"\ntoken_file = \"{}\"\ntenant = \"acme\"\n\n",
                self.url,
                token.display()
            );
        }
        self.file("config/keygate/config.toml", &text, mode)
    }

    /// Runs `keygatectl args` with `env` added.
    pub fn run(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        self.run_with_input(env, args, "")
    }

    /// [`Ctl::run`] with `input` on standard input.
    pub fn run_with_input(&self, env: &[(&str, &str)], args: &[&str], input: &str) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_keygatectl"));
        command
            .args(args)
            .env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("KEYGATE_URL", &self.url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("keygatectl starts");
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).unwrap(),
            stderr: String::from_utf8(output.stderr).unwrap(),
            args: format!("keygatectl {}", args.join(" ")),
        }
    }
}

/// A file's permission bits.
pub fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
