//! The command line: raw flags as parsed by clap, nothing else.
//!
//! Options shared by several commands live in flattened groups
//! ([`SecretArgs`], [`WalkArgs`], [`OutputArgs`]). There is deliberately no
//! option that takes a secret value: it would land in shell history and `ps`.

use crate::report::{ColorChoice, Format};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Cloudflare credential leak containment: find, redact, verify, lock down, rotate.
#[derive(Debug, Parser)]
#[command(name = "cfscrub", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find Cloudflare credentials in files, directories or stdin (`-`).
    Scan(ScanArgs),
    /// Rewrite files in place with every credential replaced, crash-safely.
    Redact(RedactArgs),
    /// Prove that no credential (or no known value or fragment) remains.
    Verify(VerifyArgs),
    /// Copy stdin to stdout with every credential masked, as it streams.
    Filter(FilterArgs),
    /// Run a command with its stdout and stderr masked, keeping its exit status.
    Run(RunArgs),
    /// Check, tighten (0600) or create vault files holding a secret.
    Vault(VaultArgs),
    /// Print the rotation checklist (and the permissions the new token needs).
    Checklist(ChecklistArgs),
    /// Read a CI/wrangler log: first Cloudflare API error, cause, missing permission.
    Diagnose(DiagnoseArgs),
    /// Redact shell and REPL histories in place; print capture-time hooks.
    History(HistoryArgs),
    /// Run the whole drill on a generated example incident.
    Demo(DemoArgs),
    /// Ask Cloudflare whether a leaked token is live; roll, revoke, audit it
    /// (with `checklist --live`, the only use of the network).
    Token(TokenArgs),
}

/// Known leaked values to hunt (never on the command line).
#[derive(Debug, Args, Default)]
pub struct SecretArgs {
    /// Read known leaked values from FILE, one per line (`-` = stdin, read
    /// without echo on a terminal). Their exact values and leading fragments
    /// are hunted.
    #[arg(long = "secret-from", value_name = "FILE")]
    pub secret_from: Vec<PathBuf>,
    /// Take a known leaked value from the environment variable VAR.
    #[arg(long = "secret-env", value_name = "VAR")]
    pub secret_env: Vec<String>,
}

/// Which files to read.
#[derive(Debug, Args)]
pub struct WalkArgs {
    /// Files or directories (`-` = stdin).
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Follow symbolic links.
    #[arg(long)]
    pub follow: bool,
    /// Leave out paths matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Worker threads, 1 to 256 (default: one per core; `redact`: four per core).
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
}

/// Most worker threads `-j` accepts: more than `redact`'s default of four
/// per core on a 64-core machine. Beyond that threads only contend: on 2
/// cores, 256 idle workers cost 0.2 s to start and stop, 1024 cost 6 s,
/// and `-j 100000` started thousands before failing.
pub const MAX_THREADS: usize = 256;

/// Parses `-j N`: a whole number from 1 to [`MAX_THREADS`].
fn parse_threads(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of threads from 1 to {MAX_THREADS}"
        )),
    }
}

impl WalkArgs {
    /// What standard input is used for, if a path is `-`.
    pub fn stdin_use(&self) -> Option<&'static str> {
        self.paths
            .iter()
            .any(|p| p.as_os_str() == "-")
            .then_some("the `-` input")
    }
}

/// How to print.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to use colour in human output (`NO_COLOR` is honoured).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// No summary line on stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `cfscrub scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub walk: WalkArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `cfscrub redact`.
#[derive(Debug, Args)]
pub struct RedactArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub walk: WalkArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
    /// Text that replaces each credential (must not itself be detected).
    #[arg(long, value_name = "TEXT", default_value = crate::core::counts::DEFAULT_REPLACEMENT)]
    pub replacement: String,
    /// Overwrite each credential in the same inode with a replacement of the
    /// same length: keeps size, inode, hard links and appending writers
    /// (live logs). Binary files and SQLite databases always get this.
    #[arg(long)]
    pub same_length: bool,
    /// Rewrite binary files (NUL bytes, a binary format) by rename too,
    /// shifting every byte after a credential: only for text that merely
    /// holds NUL bytes. Dangerous: most binary formats break (see README).
    #[arg(long, conflicts_with = "same_length")]
    pub binary_rename: bool,
    /// Print what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `cfscrub verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub walk: WalkArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// Options of the stream masker (`filter`, `run`).
#[derive(Debug, Args)]
pub struct MaskArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub secrets: SecretArgs,
    /// Text that replaces each credential (must not itself be detected).
    #[arg(long, value_name = "TEXT", default_value = crate::core::counts::DEFAULT_REPLACEMENT)]
    pub replacement: String,
    /// Print a summary (count by kind, never a value) on stderr at the end;
    /// under GitHub Actions also a `::warning::` annotation.
    #[arg(long)]
    pub summary: bool,
}

/// `cfscrub filter`.
#[derive(Debug, Args)]
pub struct FilterArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub mask: MaskArgs,
    /// Exit 1 if anything was masked (a CI gate).
    #[arg(long)]
    pub fail_on_find: bool,
}

/// `cfscrub run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub mask: MaskArgs,
    /// The command and its arguments (after `--`).
    #[arg(required = true, trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

/// Format of a document-like output (`checklist`, `diagnose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DocFormat {
    /// Markdown / plain text for people.
    #[value(alias = "markdown")]
    Human,
    /// One JSON document.
    Json,
}

/// `cfscrub vault`.
#[derive(Debug, Args)]
pub struct VaultArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: VaultAction,
}

/// The vault actions.
#[derive(Debug, Subcommand)]
pub enum VaultAction {
    /// Report vault files that are not regular, not yours, not 0600, or in a
    /// directory others can write.
    Check {
        /// Vault files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Tighten vault files to 0600 through the open descriptor.
    Fix {
        /// Vault files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Store one secret read from stdin (no echo on a terminal) in PATH, mode 0600.
    Store {
        /// Where to store it.
        path: PathBuf,
        /// Replace an existing file.
        #[arg(long)]
        force: bool,
    },
}

/// `cfscrub checklist`.
#[derive(Debug, Args)]
pub struct ChecklistArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub secrets: SecretArgs,
    /// A wrangler config to derive the permission set from (repeatable;
    /// default: wrangler.jsonc, wrangler.json, wrangler.toml here, if present).
    #[arg(long, value_name = "PATH")]
    pub wrangler: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DocFormat::Human)]
    pub format: DocFormat,
    /// Ask Cloudflare whether each leaked credential (--secret-from,
    /// --secret-env) is live (as `token status`); a live one puts
    /// "revoke now" (or roll) first.
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub api: ApiArgs,
}

/// `cfscrub diagnose`.
#[derive(Debug, Args)]
pub struct DiagnoseArgs {
    /// The log to read (`-` = stdin).
    #[arg(value_name = "LOG", default_value = "-")]
    pub log: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DocFormat::Human)]
    pub format: DocFormat,
}

/// `cfscrub history`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryArgs {
    /// `hook SHELL` prints a capture-time hook instead.
    #[command(subcommand)]
    pub hook: Option<HistoryCommand>,
    /// Print what would change; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Look in this home directory instead of the current user's
    /// (`$HISTFILE`, `$ZDOTDIR` and `$XDG_DATA_HOME` are then ignored).
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// Also report these credential files (`.env`, `.dev.vars`) and their modes.
    #[arg(long, value_name = "PATH")]
    pub also: Vec<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub secrets: SecretArgs,
}

/// `cfscrub history hook`.
#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// Print an rc-file snippet that keeps commands holding a credential
    /// out of the history.
    Hook {
        /// The shell.
        #[arg(value_enum)]
        shell: crate::incident::history::Shell,
    },
}

/// `cfscrub demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the generated incident folder instead of deleting it.
    #[arg(long)]
    pub keep: bool,
    /// Seed for the generated fake credentials.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

/// `cfscrub token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: TokenAction,
}

/// Where and how to reach the Cloudflare API (`token`, `checklist --live`).
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Send requests to this loopback origin (`http://127.0.0.1:PORT`, tests
    /// and local mirrors) instead of https://api.cloudflare.com; any other
    /// host is refused before anything is sent.
    #[arg(long, value_name = "URL", env = "CFSCRUB_API_BASE")]
    pub api_base: Option<String>,
    /// Refuse all network use.
    #[arg(long)]
    pub offline: bool,
    /// The account id (account tokens, audit log).
    #[arg(long, value_name = "ID", env = "CLOUDFLARE_ACCOUNT_ID")]
    pub account_id: Option<String>,
    /// The account email, to check a Global API Key.
    #[arg(long, value_name = "EMAIL", env = "CLOUDFLARE_EMAIL")]
    pub email: Option<String>,
    /// Total time allowed per request, in seconds (connecting: at most 10).
    #[arg(long, value_name = "SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub timeout: u64,
}

/// Options of every `token` subcommand: the API, ids, the admin credential.
#[derive(Debug, Args)]
pub struct LiveArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub api: ApiArgs,
    /// A wrangler config to take `account_id` from (default: wrangler.jsonc,
    /// wrangler.json, wrangler.toml here, if present).
    #[arg(long, value_name = "PATH")]
    pub wrangler: Option<PathBuf>,
    /// Read the admin credential (a token with API Tokens Write or Account
    /// API Tokens Write) from FILE (`-` = stdin, without echo on a terminal).
    #[arg(long = "admin-secret-from", value_name = "FILE")]
    pub admin_secret_from: Option<PathBuf>,
    /// Take the admin credential from the environment variable VAR.
    #[arg(
        long = "admin-secret-env",
        value_name = "VAR",
        conflicts_with = "admin_secret_from"
    )]
    pub admin_secret_env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LiveFormat::Human)]
    pub format: LiveFormat,
}

/// Output of the `token` subcommands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LiveFormat {
    /// Lines for people.
    Human,
    /// JSON Lines: one object per credential or event.
    Json,
}

/// Which token: found in files, given as a secret, or by id.
#[derive(Debug, Args)]
pub struct WhichToken {
    /// Files or directories to scan for leaked credentials (same engine as `scan`).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub secrets: SecretArgs,
}

/// A token id, or the leaked credential to find it from.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The token's id; an R2 access key id is the same id.
    #[arg(long, value_name = "ID", visible_alias = "r2-access-key-id")]
    pub id: Option<String>,
    /// With --id: the token is account-owned (needs the account id).
    #[arg(long, requires = "id")]
    pub account_owned: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub which: WhichToken,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub live: LiveArgs,
}

/// The `token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenAction {
    /// Is each leaked credential live? Exit 0 none live, 1 some live, 2 error.
    Status {
        #[command(flatten)]
        #[allow(missing_docs)]
        which: WhichToken,
        #[command(flatten)]
        #[allow(missing_docs)]
        live: LiveArgs,
    },
    /// Give the token a new value with the same permissions, stored in a vault file.
    Roll {
        #[command(flatten)]
        #[allow(missing_docs)]
        target: TargetArgs,
        /// The vault file that receives the new value (mode 0600, atomic).
        #[arg(long, value_name = "PATH")]
        vault: PathBuf,
        /// Replace an existing vault file.
        #[arg(long)]
        force: bool,
    },
    /// Delete the token (asks on a terminal; `--yes` otherwise).
    Revoke {
        #[command(flatten)]
        #[allow(missing_docs)]
        target: TargetArgs,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// What the token changed, from the account audit log.
    Audit {
        #[command(flatten)]
        #[allow(missing_docs)]
        target: TargetArgs,
        /// Start: RFC 3339, a date, or a look-back like 30d (default: 30d).
        #[arg(long, value_name = "T", default_value = "30d")]
        since: String,
        /// End: RFC 3339, a date, or a look-back (default: now).
        #[arg(long, value_name = "T")]
        until: Option<String>,
    },
}
