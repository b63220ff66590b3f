//! PostgreSQL through `psql`: the run's own database (`keygate_bench_<pid>`, created here and dropped
//! when the handle is), statement counters, and small queries. It never touches another database.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::proc::output;

/// Where the server is (`--pg-host`, `--pg-port`, `--pg-user`; trust authentication assumed).
#[derive(Debug, Clone)]
pub struct Pg {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub logs: PathBuf,
}

impl Pg {
    /// Runs `sql` in database `db`; returns the unaligned, tuples-only output, trimmed.
    pub fn query(&self, db: &str, sql: &str) -> Result<String, String> {
        let mut cmd = Command::new("psql");
        cmd.args(["-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-h", &self.host, "-U", &self.user]).args([
            "-p",
            &self.port.to_string(),
            "-d",
            db,
            "-c",
            sql,
        ]);
        output(&mut cmd, "psql", &self.logs, Duration::from_secs(120)).map(|s| s.trim().to_owned())
    }

    /// `postgres://user@host:port/db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{}@{}:{}/{db}", self.user, self.host, self.port)
    }

    /// Transactions committed or rolled back in `db` so far (`pg_stat_database`, read from the
    /// `postgres` database so the reading itself is not counted). PostgreSQL publishes a backend's
    /// counts at most once a second and an idle backend's within 10 s: read after [`SETTLE`].
    pub fn transactions(&self, db: &str) -> Result<u64, String> {
        let sql = format!("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{db}'");
        let text = self.query("postgres", &sql)?;
        text.parse().map_err(|_| format!("unexpected transaction count {text:?}"))
    }
}

/// How long to stay off a database before its statistics are complete (PostgreSQL 15 flushes an idle
/// backend's pending counts after at most 10 s).
pub const SETTLE: Duration = Duration::from_millis(11_500);

/// The run's database; dropped (with `FORCE`) when this is.
pub struct BenchDb {
    pg: Pg,
    /// Its name, `keygate_bench_<pid>`.
    pub name: String,
}

impl BenchDb {
    /// Creates `keygate_bench_<pid>` (dropping a leftover of the same name first).
    pub fn create(pg: &Pg) -> Result<Self, String> {
        let name = format!("keygate_bench_{}", std::process::id());
        pg.query("postgres", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
        pg.query("postgres", &format!("CREATE DATABASE {name}"))?;
        Ok(Self { pg: pg.clone(), name })
    }

    /// Its URL.
    pub fn url(&self) -> String {
        self.pg.url(&self.name)
    }

    /// Runs `sql` in it.
    pub fn query(&self, sql: &str) -> Result<String, String> {
        self.pg.query(&self.name, sql)
    }

    /// Its transaction counter (see [`Pg::transactions`]).
    pub fn transactions(&self) -> Result<u64, String> {
        self.pg.transactions(&self.name)
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let Err(e) = self.pg.query("postgres", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)) {
            eprintln!("bench: could not drop database {}: {e}", self.name);
        }
    }
}
