//! Where the server, the token and the tenant come from: a flag or its environment variable first,
//! then the chosen profile of `$XDG_CONFIG_HOME/keygate/config.toml`, then the default address. The
//! token is never a flag: `KEYGATE_TOKEN`, or a file (`--token-file`, `KEYGATE_TOKEN_FILE`, a
//! profile's `token_file`) that only its owner can read. A configuration or token file that others can
//! read is refused, with the `chmod` that fixes it: a token readable by another account is a token
//! that account holds, and the configuration decides where the token is sent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use crate::cli::Global;
use crate::error::CliError;

/// The address used when neither a flag, the environment nor a profile names one.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8080";

/// The settings a command runs with.
pub struct Settings {
    /// keygated's base address, without a trailing slash.
    pub url: String,
    /// The bearer credential, when one was configured.
    pub token: Option<SecretString>,
    /// The tenant commands act on, when one was configured.
    pub tenant: Option<String>,
}

/// `config.toml`: named profiles only.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One `[profiles.NAME]` table.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct Profile {
    url: Option<String>,
    token_file: Option<PathBuf>,
    tenant: Option<String>,
}

/// Resolves the settings from the global flags, the environment and the configuration file.
pub fn resolve(global: &Global) -> Result<Settings, CliError> {
    let profile = match &global.profile {
        Some(name) => {
            let path = config_path().ok_or_else(|| {
                CliError::usage("--profile needs $XDG_CONFIG_HOME or $HOME to find keygate/config.toml")
            })?;
            let file = read_config(&path)?
                .ok_or_else(|| CliError::usage(format!("profile {name}: {} does not exist", path.display())))?;
            file.profiles.get(name).cloned().ok_or_else(|| {
                CliError::usage(format!("profile {name}: no [profiles.{name}] table in {}", path.display()))
            })?
        }
        // Without --profile, a `default` profile applies when the file has one.
        None => match config_path() {
            Some(path) => read_config(&path)?.and_then(|f| f.profiles.get("default").cloned()).unwrap_or_default(),
            None => Profile::default(),
        },
    };
    let url = global.url.clone().or(profile.url).unwrap_or_else(|| DEFAULT_URL.to_owned());
    let token = match std::env::var("KEYGATE_TOKEN").ok().filter(|t| !t.trim().is_empty()) {
        Some(token) => Some(SecretString::from(token.trim().to_owned())),
        None => match global.token_file.clone().or(profile.token_file) {
            Some(path) => Some(read_token_file(&expand_home(&path))?),
            None => None,
        },
    };
    let tenant = global.tenant.clone().or(profile.tenant).filter(|t| !t.is_empty());
    Ok(Settings { url: url.trim_end_matches('/').to_owned(), token, tenant })
}

/// `$XDG_CONFIG_HOME/keygate/config.toml`, or `~/.config/keygate/config.toml`.
fn config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("keygate").join("config.toml"))
}

fn read_config(path: &Path) -> Result<Option<ConfigFile>, CliError> {
    if !path.exists() {
        return Ok(None);
    }
    owner_only(path, "configuration file")?;
    let text = std::fs::read_to_string(path).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    toml::from_str(&text).map(Some).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
}

fn read_token_file(path: &Path) -> Result<SecretString, CliError> {
    owner_only(path, "token file")?;
    let text = std::fs::read_to_string(path).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(CliError::usage(format!("token file {} is empty", path.display())));
    }
    Ok(SecretString::from(token.to_owned()))
}

/// `~/x` in a profile means the home directory's `x`, as a shell would have expanded it.
fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_owned(),
    }
}

/// Refuses a file that its group or others may read or write.
#[cfg(unix)]
fn owner_only(path: &Path, what: &str) -> Result<(), CliError> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(CliError::usage(format!(
            "{what} {} has mode {mode:04o}: other users can read it; make it readable by its owner only: chmod 600 {}",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn owner_only(_path: &Path, _what: &str) -> Result<(), CliError> {
    Ok(())
}
