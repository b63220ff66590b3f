//! The gateway's route table in the running server: loaded from `KEYGATE_ROUTES` at start (an invalid
//! table stops start-up with its line), reloaded on SIGHUP (an invalid new table is logged and the
//! one in force kept), read by `/v1/authorize` without a lock held across an await.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use keygate_gateway::{Fallback, RouteTable};

/// The table in force, and where it came from.
#[derive(Debug)]
pub struct GatewayRoutes {
    table: RwLock<Arc<RouteTable>>,
    path: Option<PathBuf>,
}

impl GatewayRoutes {
    /// Loads `path`; without one, a table with no route that refuses everything (`NO_ROUTE`).
    pub fn load(path: Option<&Path>) -> Result<Self, String> {
        let table = match path {
            Some(path) => read(path)?,
            None => RouteTable { routes: Vec::new(), fallback: Fallback::Deny },
        };
        Ok(Self { table: RwLock::new(Arc::new(table)), path: path.map(Path::to_path_buf) })
    }

    /// The table in force.
    pub fn current(&self) -> Arc<RouteTable> {
        self.table.read().map_or_else(|poisoned| poisoned.into_inner().clone(), |t| t.clone())
    }

    /// Reads the file again: the new table replaces the old only if it is valid.
    pub fn reload(&self) -> Result<usize, String> {
        let Some(path) = &self.path else { return Ok(0) };
        let table = read(path)?;
        let routes = table.routes.len();
        match self.table.write() {
            Ok(mut current) => *current = Arc::new(table),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(table),
        }
        Ok(routes)
    }

    /// Reloads on every SIGHUP for as long as the runtime runs.
    pub fn reload_on_sighup(self: Arc<Self>) {
        if self.path.is_none() {
            return;
        }
        let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
            tracing::warn!("SIGHUP cannot be watched: KEYGATE_ROUTES is read at start only");
            return;
        };
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                match self.reload() {
                    Ok(routes) => tracing::info!(routes, "KEYGATE_ROUTES reloaded"),
                    Err(error) => tracing::error!(%error, "KEYGATE_ROUTES not reloaded: the table in force is kept"),
                }
            }
        });
    }
}

fn read(path: &Path) -> Result<RouteTable, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    RouteTable::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}
