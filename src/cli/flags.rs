//! Raw flags as clap parses them, nothing else: no check that needs more
//! than one flag (that is [`super::resolve`]'s), no library type that
//! derives a clap trait (the value enums here map onto the library's).
//!
//! Options shared by several commands live in flattened groups
//! ([`SecretArgs`], [`WalkArgs`], [`OutputArgs`]). There is deliberately no
//! option that takes a secret value: it would land in shell history and `ps`.

use cfscrub::source::pool::MAX_THREADS;
use clap::{Args, Parser, Subcommand, ValueEnum};
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
    /// List each skipped symbolic link, FIFO, socket and device (default:
    /// one line counting them).
    #[arg(short, long)]
    pub verbose: bool,
    /// Worker threads, 1 to 256 (default: one per core; `redact`: four per core).
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
}

/// Parses `-j N`: a whole number from 1 to [`MAX_THREADS`].
fn parse_threads(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of threads from 1 to {MAX_THREADS}"
        )),
    }
}

/// `--format` of `scan`, `verify` and `redact`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatFlag {
    /// `path:line:column: kind (confidence) fp:…`, coloured on a terminal.
    Human,
    /// JSON Lines: one object per finding, then a summary object.
    Json,
    /// One SARIF 2.1.0 document for code-scanning dashboards (`scan`, `verify`).
    Sarif,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorFlag {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// How to print.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatFlag::Human)]
    pub format: FormatFlag,
    /// When to use colour in human output (`NO_COLOR` is honoured).
    #[arg(long, value_enum, default_value_t = ColorFlag::Auto)]
    pub color: ColorFlag,
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
    #[arg(long, value_name = "TEXT", default_value = cfscrub::core::counts::DEFAULT_REPLACEMENT)]
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
    #[arg(long, value_name = "TEXT", default_value = cfscrub::core::counts::DEFAULT_REPLACEMENT)]
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
        shell: ShellFlag,
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

/// The shells `history hook` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellFlag {
    /// GNU bash.
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}
