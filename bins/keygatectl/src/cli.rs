//! The command line's shape: global options, the command groups (each defined beside its code in
//! `commands/`), and the full help text that the tests compare with a checked-in snapshot so that a
//! renamed flag is a visible change.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, CommandFactory as _, Parser, Subcommand};

use crate::commands::{audit, key, leak, operator, service, tenant, verify, webhook};
use crate::output::OutputMode;

/// keygatectl: the operators' command line for keygated.
///
/// The credential comes from KEYGATE_TOKEN or a token file (never a flag: it would show in `ps`).
/// Exit codes: 0 success, 1 refused by the server, 2 usage error, 3 server unavailable.
#[derive(Parser)]
#[command(name = "keygatectl", version, max_term_width = 100, term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Args)]
pub struct Global {
    /// keygated's address [default: http://127.0.0.1:8080]
    #[arg(long, global = true, env = "KEYGATE_URL", hide_env_values = true, value_name = "URL")]
    pub url: Option<String>,
    /// A file holding the credential, readable by its owner only
    #[arg(long, global = true, env = "KEYGATE_TOKEN_FILE", hide_env_values = true, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// The tenant to act on
    #[arg(long, global = true, env = "KEYGATE_TENANT", hide_env_values = true, value_name = "TENANT")]
    pub tenant: Option<String>,
    /// A [profiles.NAME] table of $XDG_CONFIG_HOME/keygate/config.toml (url, token_file, tenant)
    #[arg(long, global = true, env = "KEYGATE_PROFILE", hide_env_values = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// How answers are shown
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = OutputMode::Table)]
    pub output: OutputMode,
}

/// The command groups, by the screens of the console.
#[derive(Subcommand)]
pub enum Command {
    /// Tenants and their policy
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Operators: invitations, approvals, claims
    #[command(subcommand)]
    Operator(operator::OperatorCommand),
    /// API keys and their lifecycle under dual control
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Service credentials that ask for verdicts
    #[command(subcommand)]
    Service(service::ServiceCommand),
    /// The audit log
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Webhook endpoints and their deliveries
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Leaked tokens
    #[command(subcommand)]
    Leak(leak::LeakCommand),
    /// Ask for a verdict on a key (POST /v1/verify, with a service credential); exit 1 when not valid
    Verify(verify::VerifyArgs),
    /// Print a shell completion script
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// The help of every command, one after the other, as `keygatectl ... --help` prints it.
pub fn help_text() -> String {
    let mut command = Cli::command();
    command.build();
    let mut out = String::new();
    walk(&mut command, "keygatectl", &mut out);
    out
}

fn walk(command: &mut clap::Command, path: &str, out: &mut String) {
    let _ = writeln!(out, "==> {path} --help");
    out.push_str(&command.render_long_help().to_string());
    out.push('\n');
    let names: Vec<String> = command.get_subcommands().map(|c| c.get_name().to_owned()).collect();
    for name in names {
        if name == "help" {
            continue;
        }
        if let Some(sub) = command.find_subcommand_mut(&name) {
            walk(sub, &format!("{path} {name}"), out);
        }
    }
}
