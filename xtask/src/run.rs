//! Running commands and finding the workspace.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().map_or_else(|| here.to_path_buf(), Path::to_path_buf)
}

/// Runs `cargo <args>` in the workspace root; an error names the command if it fails.
pub fn cargo(args: &[&str]) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    status(Command::new(cargo).args(args).current_dir(workspace_root()), &format!("cargo {}", args.join(" ")))
}

/// Runs a prepared command, printing it first.
pub fn status(cmd: &mut Command, label: &str) -> Result<(), String> {
    println!("\n==> {label}");
    let status = cmd.status().map_err(|e| format!("could not start `{label}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{label}` failed ({status})"))
    }
}
