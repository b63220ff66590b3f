//! Processes of a benchmark run: servers started in the background (pinned to a CPU when asked) and
//! stopped when dropped, and one-shot commands run to a deadline. Nothing waits without a bound, and
//! only processes started here are ever signalled, by their own id.

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port (the OS picks it; it is released at once for the server to take).
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

/// `program`, run through `taskset -c CPU` when a CPU is given.
pub fn pinned(cpu: Option<&str>, program: &Path) -> Command {
    match cpu {
        Some(cpu) => {
            let mut cmd = Command::new("taskset");
            cmd.arg("-c").arg(cpu).arg(program);
            cmd
        }
        None => Command::new(program),
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A server process; stopped (SIGTERM, then SIGKILL after 12 s) when dropped.
pub struct Server {
    name: String,
    child: Option<Child>,
    /// Its loopback port.
    pub port: u16,
    log: PathBuf,
}

impl Server {
    /// Starts `cmd` with its output in `logs/<name>.log` and waits (at most `ready_within`) until
    /// its port accepts connections.
    pub fn start(name: &str, mut cmd: Command, port: u16, logs: &Path, ready_within: Duration) -> Result<Self, String> {
        let log = logs.join(format!("{name}.log"));
        let out = File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        let mut server = Self { name: name.to_owned(), child: Some(child), port, log };
        server.wait_ready(ready_within)?;
        Ok(server)
    }

    fn wait_ready(&mut self, within: Duration) -> Result<(), String> {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("{} exited ({status}) before listening:\n{}", self.name, tail(&self.log, 20)));
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("{} did not listen on port {} within {within:?}:\n{}", self.name, self.port, tail(&self.log, 20)))
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What it printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, a bounded wait for a graceful exit, then SIGKILL.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(12);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `cmd` to completion within `within`, its output in `logs/<label>.out|.err`; returns its
/// standard output, or an error with the tail of its standard error.
pub fn output(cmd: &mut Command, label: &str, logs: &Path, within: Duration) -> Result<String, String> {
    let out_path = logs.join(format!("{label}.out"));
    let err_path = logs.join(format!("{label}.err"));
    let out = File::create(&out_path).map_err(|e| format!("cannot create {}: {e}", out_path.display()))?;
    let err = File::create(&err_path).map_err(|e| format!("cannot create {}: {e}", err_path.display()))?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("cannot start {label} ({:?}): {e}", cmd.get_program()))?;
    let deadline = Instant::now() + within;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{label} did not finish within {within:?}:\n{}", tail(&err_path, 20)));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    if status.success() {
        Ok(stdout)
    } else {
        Err(format!("{label} failed ({status}):\n{}{}", tail(&err_path, 20), tail(&out_path, 5)))
    }
}

/// The value of `name=value` in a line of words, as a number.
pub fn field(line: &str, name: &str) -> Result<f64, String> {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
        .ok_or_else(|| format!("no {name}= in {line:?}"))?
        .parse()
        .map_err(|_| format!("{name} is not a number in {line:?}"))
}

/// CPU time (user + system, all threads) a process has used so far, in seconds; 0 if unreadable.
/// Linux reports it in clock ticks, 100 a second on every architecture keygate runs on.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after the state.
    (ticks(11) + ticks(12)) / 100.0
}
