//! A PostgreSQL server this test owns: `initdb` into a fresh temporary folder, started on a free
//! loopback port, which the test may stop (`pg_ctl stop -m immediate`) and start again; or a streaming
//! standby of one (`pg_basebackup -R`), which the test may promote. Never the machine's shared server.
//!
//! PostgreSQL refuses to run as root, and CI runs as root: then every PostgreSQL command runs as the
//! `postgres` OS user (`runuser`, else `su`), in a folder that user owns. Dropping the value stops the
//! server at once and removes the folder. The binaries come from `KEYGATE_PG_BIN`, else
//! `pg_config --bindir`, else `/usr/lib/postgresql/<newest>/bin`. Without them the tests that need
//! this skip, unless `KEYGATE_TEST_DATABASE_URL` is set (as in CI): then they fail.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// A running (or stopped) PostgreSQL cluster in a temporary folder.
pub struct OwnPostgres {
    ctl: PgCtl,
    root: PathBuf,
    port: u16,
}

/// What it takes to run `pg_ctl` on the cluster; cheap to clone into a blocking task.
#[derive(Clone)]
pub struct PgCtl {
    bin: PathBuf,
    data: PathBuf,
    log: PathBuf,
    as_postgres: bool,
}

impl OwnPostgres {
    /// A fresh cluster, started. `None` (the test skips) when PostgreSQL's binaries are missing and
    /// `KEYGATE_TEST_DATABASE_URL` is unset.
    pub fn start() -> Option<Self> {
        Self::start_with("")
    }

    /// [`Self::start`] with `extra` lines of `postgresql.conf`.
    pub fn start_with(extra: &str) -> Option<Self> {
        let Some(bin) = binaries() else {
            assert!(
                std::env::var("KEYGATE_TEST_DATABASE_URL").map_or(true, |v| v.trim().is_empty()),
                "KEYGATE_TEST_DATABASE_URL is set but PostgreSQL's initdb/pg_ctl were not found \
                 (set KEYGATE_PG_BIN to their folder)"
            );
            return None;
        };
        let (ctl, root) = PgCtl::in_fresh_folder(bin);
        let mut initdb = ctl.command("initdb");
        initdb.arg("-D").arg(&ctl.data).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]);
        let server = Self { ctl, root, port: 0 };
        run(&mut initdb, "initdb");
        Some(server.configured_and_started(extra))
    }

    /// A streaming standby of `primary` (`pg_basebackup -R`: it copies `primary`'s settings, then
    /// `extra` lines of `postgresql.conf` are added), started; it answers read-only until promoted.
    pub fn standby_of(primary: &Self, extra: &str) -> Self {
        let (ctl, root) = PgCtl::in_fresh_folder(primary.ctl.bin.clone());
        let mut backup = ctl.command("pg_basebackup");
        backup
            .args(["-h", "127.0.0.1", "-p", &primary.port.to_string(), "-U", "postgres", "-D"])
            .arg(&ctl.data)
            .args(["-R", "--no-sync", "--checkpoint=fast"]);
        run(&mut backup, "pg_basebackup");
        Self { ctl, root, port: 0 }.configured_and_started(extra)
    }

    /// Writes this test's settings (a free port, `extra`) into `postgresql.conf` and starts the server.
    fn configured_and_started(mut self, extra: &str) -> Self {
        // A port free a moment ago may be taken by the time the server binds it: try a few.
        for attempt in 1..=3 {
            self.port = free_port();
            let settings = format!(
                "\n# keygate tests\nlisten_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\n\
                 fsync = off\nmax_connections = 60\nshared_buffers = '16MB'\n{extra}\n",
                self.port,
                self.ctl.data.display()
            );
            let conf = self.ctl.data.join("postgresql.conf");
            let mut text = std::fs::read_to_string(&conf).expect("read postgresql.conf");
            if let Some(at) = text.find("\n# keygate tests\n") {
                text.truncate(at);
            }
            std::fs::write(&conf, text + &settings).expect("write postgresql.conf");
            if self.ctl.try_start().is_ok() {
                return self;
            }
            assert!(attempt < 3, "PostgreSQL did not start:\n{}", self.ctl.log_tail());
        }
        unreachable!("the third failed start panics")
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// One SQL statement through `psql`, its rows as unaligned text.
    pub fn psql(&self, sql: &str) -> String {
        let mut psql = self.ctl.command("psql");
        psql.args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", "-d", "postgres", "-Atc", sql]);
        let output = psql.output().unwrap_or_else(|e| panic!("psql: could not run: {e}"));
        assert!(output.status.success(), "psql {sql:?} failed: {}", describe(&output));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// `postgres://postgres@127.0.0.1:{port}/postgres`: the cluster's own `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A handle for stopping and starting the server from a blocking task.
    pub fn ctl(&self) -> PgCtl {
        self.ctl.clone()
    }
}

impl PgCtl {
    /// A handle on `data/` in a fresh temporary folder the `postgres` user owns when running as root.
    fn in_fresh_folder(bin: PathBuf) -> (Self, PathBuf) {
        let as_postgres = running_as_root();
        let root = fresh_folder();
        std::fs::create_dir_all(&root).expect("temporary folder for PostgreSQL");
        if as_postgres {
            run(Command::new("chown").args(["postgres:postgres"]).arg(&root), "chown the PostgreSQL folder");
        }
        (Self { bin, data: root.join("data"), log: root.join("postgres.log"), as_postgres }, root)
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            if Path::new("/usr/sbin/runuser").exists() || Path::new("/sbin/runuser").exists() {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(path);
                c
            } else {
                // `su` runs one shell command line; the arguments reach it as "$@", unquoted by nobody.
                let mut c = Command::new("su");
                c.args(["-s", "/bin/sh", "-c"])
                    .arg(format!("exec '{}' \"$@\"", path.display()))
                    .args(["postgres", "sh"]);
                c
            }
        } else {
            Command::new(path)
        };
        // The postgres user may not be allowed into the test's working directory.
        command.current_dir(std::env::temp_dir());
        command
    }

    fn pg_ctl(&self, args: &[&str]) -> Command {
        let mut c = self.command("pg_ctl");
        c.arg("-D").arg(&self.data).arg("-l").arg(&self.log).args(args);
        c
    }

    fn try_start(&self) -> Result<(), String> {
        let output = self.pg_ctl(&["-w", "-t", "60", "start"]).output().map_err(|e| e.to_string())?;
        if output.status.success() {
            Ok(())
        } else {
            Err(describe(&output))
        }
    }

    /// Starts the stopped server and waits until it accepts connections.
    pub fn start(&self) {
        if let Err(why) = self.try_start() {
            panic!("pg_ctl start failed: {why}\n{}", self.log_tail());
        }
    }

    /// Stops the server at once (`-m immediate`: no shutdown checkpoint, every connection cut), like a
    /// crash of the database host, and waits until it is gone.
    pub fn stop_immediately(&self) {
        run(&mut self.pg_ctl(&["-w", "-t", "60", "-m", "immediate", "stop"]), "pg_ctl stop -m immediate");
    }

    /// Promotes the standby to a primary and waits until it accepts writes.
    pub fn promote(&self) {
        run(&mut self.pg_ctl(&["-w", "-t", "60", "promote"]), "pg_ctl promote");
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for OwnPostgres {
    /// Stops the server (if running) and removes its folder. Never panics: it may run while a failed
    /// test unwinds.
    fn drop(&mut self) {
        if self.ctl.data.join("postmaster.pid").exists() {
            drop(self.ctl.pg_ctl(&["-w", "-t", "30", "-m", "immediate", "stop"]).output());
        }
        drop(std::fs::remove_dir_all(&self.root));
    }
}

fn binaries() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("KEYGATE_PG_BIN").map(PathBuf::from) {
        return has_tools(&dir).then_some(dir);
    }
    if let Ok(output) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
        if output.status.success() && has_tools(&dir) {
            return Some(dir);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let dir = entry.path().join("bin");
            has_tools(&dir).then_some((version, dir))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, dir)| dir)
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn fresh_folder() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("keygate-pg-{}-{n}-{:016x}", std::process::id(), crate::child::random()))
}

/// A loopback port nobody listened on a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free loopback port").port()
}

fn run(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: could not run: {e}"));
    assert!(output.status.success(), "{what} failed: {}", describe(&output));
}

fn describe(output: &Output) -> String {
    format!("{}\n{}{}", output.status, String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}
