//! Secrets the server shows once (a key's secret, an operator's token, an invitation, a service or
//! webhook credential). Only the command that received one prints it: on a line of its own on
//! standard output, after the rest of the answer, with the warning on standard error so that
//! `| tail -1` or `$(...)` captures the secret alone; or, with `--secret-file`, into a new file that
//! only its owner can read, and not on the screen at all.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::CliError;
use crate::output::{note, out, Output, OutputMode};

/// A secret's place in an answer: members from the root, `*` for every element of an array.
pub type SecretPath = &'static [&'static str];

/// Creates the `--secret-file` before the request that issues the secret, so that a file that
/// cannot be written refuses the command instead of losing a secret the server already issued.
pub fn prepare(file: Option<&Path>) -> Result<Option<NewSecretFile>, CliError> {
    file.map(NewSecretFile::create).transpose()
}

/// Shows `value`, whose secrets sit at `paths`: into `file` when one was prepared, else as the
/// global options ask.
pub fn show(
    output: &Output,
    mut value: Value,
    paths: &[SecretPath],
    file: Option<NewSecretFile>,
) -> Result<(), CliError> {
    let mut secrets = Vec::new();
    for path in paths {
        take(&mut value.clone(), path, &mut secrets);
    }
    if let Some(mut writer) = file {
        for secret in &secrets {
            writer.line(secret)?;
        }
        for path in paths {
            take(&mut value, path, &mut Vec::new());
        }
        output.object(&value)?;
        note(&format!("{} secret(s) written to {} (mode 0600)", secrets.len(), writer.path.display()));
        return Ok(());
    }
    if output.mode == OutputMode::Table {
        for path in paths {
            take(&mut value, path, &mut Vec::new());
        }
        output.object(&value)?;
        for secret in &secrets {
            out(&format!("{secret}\n"))?;
        }
    } else {
        output.object(&value)?;
    }
    if !secrets.is_empty() {
        note("warning: the secret above is shown once and never again: store it now, or use --secret-file");
    }
    Ok(())
}

/// Moves the strings at `path` out of `value` into `found`, leaving the members absent.
fn take(value: &mut Value, path: &[&str], found: &mut Vec<String>) {
    match path {
        [] => {}
        ["*", rest @ ..] => {
            if let Value::Array(items) = value {
                for item in items {
                    take(item, rest, found);
                }
            }
        }
        [last] => {
            if let Some(Value::String(secret)) = value.as_object_mut().and_then(|o| o.remove(*last)) {
                found.push(secret);
            }
        }
        [first, rest @ ..] => {
            if let Some(inner) = value.get_mut(*first) {
                take(inner, rest, found);
            }
        }
    }
}

/// A file created for secrets: new (never an existing one, which someone else may have prepared),
/// mode 0600 from its creation, one secret per line. Removed again if nothing was written to it (the
/// request failed), so a corrected re-run may use the same name.
pub struct NewSecretFile {
    file: std::fs::File,
    path: PathBuf,
    written: bool,
}

impl Drop for NewSecretFile {
    fn drop(&mut self) {
        if !self.written {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl NewSecretFile {
    pub fn create(path: &Path) -> Result<Self, CliError> {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                CliError::usage(format!("{} already exists: --secret-file writes a new file only", path.display()))
            } else {
                CliError::usage(format!("{}: {e}", path.display()))
            }
        })?;
        Ok(Self { file, path: path.to_owned(), written: false })
    }

    pub fn line(&mut self, text: &str) -> Result<(), CliError> {
        self.written = true;
        writeln!(self.file, "{text}")
            .and_then(|()| self.file.flush())
            .map_err(|e| CliError::usage(format!("{}: {e}", self.path.display())))
    }
}

#[cfg(test)]
mod tests;
