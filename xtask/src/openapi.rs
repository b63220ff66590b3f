//! `cargo xtask openapi`: writes the OpenAPI document generated from keygated's code to
//! `docs/openapi.json`, the readable copy kept in the repository (and the one clients generate code
//! from). keygated's test `the_committed_document_is_the_generated_one` fails until this is run after a
//! change to a route or a DTO.

use std::fs;
use std::process::Command;

use crate::run::workspace_root;

/// The task.
pub fn run() -> Result<(), String> {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    println!("\n==> cargo run -p keygated --bin keygated-openapi");
    let output = Command::new(cargo)
        .args(["run", "--quiet", "-p", "keygated", "--bin", "keygated-openapi"])
        .current_dir(&root)
        .output()
        .map_err(|e| format!("could not start cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("keygated-openapi failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let path = root.join("docs").join("openapi.json");
    fs::write(&path, &output.stdout).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("wrote {} ({} bytes)", path.display(), output.stdout.len());
    Ok(())
}
