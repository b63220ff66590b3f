//! The servers and data of rows 1-4, 6 and 7: the floor, keygated on the in-memory store, keygated on
//! the run's own PostgreSQL database, each holding `--keys` active keys created over the HTTP API.
//! Its keygated run with the request log off (row 3c measures it). Dropping it stops the servers, then
//! drops the database.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::pg::BenchDb;
use super::proc::{self, Server};
use super::Settings;

/// Starts the floor (`bins/bench-floor`) with `workers` HTTP workers, pinned to the server CPU when
/// `pinned` (and the run pins).
pub fn floor(s: &Settings, name: &str, workers: usize, pinned: bool) -> Result<Server, String> {
    let port = proc::free_port()?;
    let cpu = if pinned { s.server_cpu.as_deref() } else { None };
    let mut cmd = proc::pinned(cpu, &s.bin("bench-floor"));
    cmd.args(["--listen", &format!("127.0.0.1:{port}"), "--workers", &workers.to_string(), "--log", "info"]);
    s.note(name, &cmd);
    Server::start(name, cmd, port, &s.logs, Duration::from_secs(30))
}

/// Seeds `keys` active keys in tenant `tenant` of `server` into `dir` (`bench-client seed`, over the
/// API), with `more` of seed's flags; its line.
pub fn seed(
    s: &Settings,
    server: &Server,
    (tenant, keys): (&str, usize),
    dir: &Path,
    more: &[&str],
) -> Result<String, String> {
    let (base, keys, dir) = (server.url(), keys.to_string(), dir.display().to_string());
    let mut args =
        vec!["seed", "--base", &base, "--admin", &s.admin, "--tenant", tenant, "--keys", &keys, "--out", &dir];
    args.extend(more);
    s.client(&format!("seed-{tenant}-{}", server.port), &args, Duration::from_secs(600))
}

/// The running stack. Field order is drop order: servers before the database.
pub struct Stack {
    pub floor: Server,
    pub memory: Server,
    pub postgres: Server,
    pub db: BenchDb,
    /// Token files of the in-memory keygated (`tokens.txt`, `bad_checksum.txt`, ...).
    pub memory_dir: PathBuf,
    /// Token files of the PostgreSQL keygated.
    pub postgres_dir: PathBuf,
}

impl Stack {
    pub fn start(s: &Settings) -> Result<Self, String> {
        let db = BenchDb::create(&s.pg)?;
        let floor = floor(s, "bench-floor", s.workers, true)?;
        // The request log off, as before it existed: rows 2 and 3 stay comparable with earlier runs, and
        // row 3c measures what the log costs.
        let no_log = [("KEYGATE_REQUEST_LOG", "false")];
        // Row 9 puts nginx in front of the in-memory keygated: it answers /v1/authorize from this table.
        std::fs::create_dir_all(&s.out).map_err(|e| format!("cannot create {}: {e}", s.out.display()))?;
        let routes = s.out.join("routes.toml");
        std::fs::write(&routes, super::gateway::ROUTES)
            .map_err(|e| format!("cannot write {}: {e}", routes.display()))?;
        let routes = routes.display().to_string();
        let memory = s.keygated_with("keygated-memory", None, true, &[no_log[0], ("KEYGATE_ROUTES", &routes)])?;
        let postgres = s.keygated_with("keygated-postgres-a", Some(&db.url()), true, &no_log)?;

        let memory_dir = s.out.join("memory");
        let postgres_dir = s.out.join("postgres");
        let keys = s.keys.to_string();
        let seed = |server: &Server, dir: &PathBuf, extra: &str| {
            let dir = dir.display().to_string();
            let base = server.url();
            let args =
                ["seed", "--base", &base, "--admin", &s.admin, "--tenant", "bench", "--keys", &keys, "--out", &dir];
            let mut args = args.to_vec();
            if !extra.is_empty() {
                args.extend(["--extra-tenants", extra]);
            }
            s.client(&format!("seed-{}", server.port), &args, Duration::from_secs(600))
        };
        println!("seeding {} keys in memory: {}", s.keys, seed(&memory, &memory_dir, "")?);
        println!("seeding {} keys in PostgreSQL: {}", s.keys, seed(&postgres, &postgres_dir, "pgbench")?);
        // pgbench's copies of the keys (see xtask/bench/spend.pgbench), then fresh planner statistics so
        // autovacuum stays away during the measurements.
        db.query(
            "CREATE TEMP TABLE copies AS SELECT * FROM keys WHERE tenant_id = 'bench' AND name LIKE 'key-%'; \
             UPDATE copies SET tenant_id = 'pgbench', \
               key_id = '000' || (1000000000000000000 + substr(name, 5)::bigint)::text; \
             INSERT INTO keys SELECT * FROM copies;",
        )?;
        db.query("VACUUM ANALYZE")?;
        Ok(Self { floor, memory, postgres, db, memory_dir, postgres_dir })
    }
}
