//! Raw flags as clap parses them, nothing else: no check that needs more
//! than one flag (that is [`super::resolve`]'s), no library type that
//! derives a clap trait (the value enums here map onto the library's).
//!
//! Options shared by several commands live in flattened groups
//! ([`SecretArgs`], [`WalkArgs`], [`OutputArgs`]). There is deliberately no
//! option that takes a secret value: it would land in shell history and `ps`.
//!
//! Long because it is the command line as data, one clap
//! struct per command whose doc comments are the help text; a new
//! command adds its struct here.

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
    #[command(after_help = "Exit codes: 0 nothing found, 1 found, 2 an error.")]
    Scan(ScanArgs),
    /// Rewrite files in place with every credential replaced, crash-safely.
    #[command(
        mut_arg("paths", |a| a.help("Files or directories (not `-`: to mask a stream, use `cfscrub filter`)")),
        mut_arg("format", |a| a.help("Output format: human or json").hide_possible_values(true)),
        after_help = "Exit codes: 0 everything found was redacted and verified gone, nothing left \
                      uninspected; 2 otherwise. With --dry-run: 0 nothing found, 1 found, 2 an error."
    )]
    Redact(RedactArgs),
    /// Prove that no credential (or no known value or fragment) remains.
    #[command(
        mut_arg("format", |a| a
            .help("Output format: human (`path:line:column: kind (confidence)`, no fingerprint), json or sarif")
            .hide_possible_values(true)),
        after_help = "Exit codes: 0 nothing remains and everything was inspected, 1 something \
                      remains, 2 an error or something not inspected."
    )]
    Verify(VerifyArgs),
    /// Copy stdin to stdout with every credential masked, as it streams.
    #[command(
        after_help = "Exit codes: 0; with --fail-on-find 1 when something was masked; 2 an error."
    )]
    Filter(FilterArgs),
    /// Run a command with its stdout and stderr masked, keeping its exit status.
    #[command(
        after_help = "Exit codes: the command's own (128 + N when killed by signal N); \
                            127 not found, 126 not executable, 2 an error of cfscrub's."
    )]
    Run(RunArgs),
    /// Check, tighten (0600) or create vault files holding a secret.
    #[command(
        after_help = "Exit codes: 0 fine (or fixed, stored), 1 `check` found a problem, 2 an error."
    )]
    Vault(VaultArgs),
    /// Print the rotation checklist (and the permissions the new token needs).
    #[command(after_help = "Exit codes: 0 printed, 2 an error (an unreadable wrangler config).")]
    Checklist(ChecklistArgs),
    /// Read a CI/wrangler log: first Cloudflare API error, cause, missing permission.
    #[command(
        after_help = "Exit codes: 0 a known cause found, 1 no Cloudflare API error (or \
                            only unknown codes), 2 an error."
    )]
    Diagnose(DiagnoseArgs),
    /// Redact shell and REPL histories in place; print capture-time hooks.
    #[command(
        after_help = "Exit codes: 0 done, 1 with --dry-run when something would be redacted, 2 an error."
    )]
    History(HistoryArgs),
    /// Run the whole drill on a generated example incident.
    #[command(after_help = "Exit codes: 0 every step behaved as expected, 2 otherwise.")]
    Demo(DemoArgs),
    /// Find credentials in a git repository's whole history, or purge them.
    Git(GitArgs),
    /// Ask Cloudflare whether a leaked token is live; roll, revoke, audit it
    /// (with `checklist --live`, the only use of the network).
    #[command(
        after_help = "Exit codes: status: 0 none live, 1 some live; audit: 0 nothing changed, \
                            1 the token changed something; roll, revoke: 0 done; 2 an error, \
                            refused or failed."
    )]
    Token(super::token::TokenArgs),
    /// Print a shell completion script (bash, zsh, fish) on stdout.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout: `cfscrub man | man -l -`.
    Man,
    /// The detection rules in other tools' formats (log pipelines).
    Rules(RulesArgs),
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
    /// `path:line:column: kind (confidence) fp:...`, coloured on a terminal.
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

/// Where settings come from (`scan`, `verify`, `redact`).
#[derive(Debug, Args, Default)]
pub struct ConfigArgs {
    /// Read settings from FILE instead of the nearest `.cfscrub.toml` at or
    /// above the first PATH.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore any `.cfscrub.toml`.
    #[arg(long)]
    pub no_config: bool,
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

/// Bounds on reading compressed files (against decompression bombs);
/// over a limit, the content is reported not inspected.
#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Most bytes one decompressed stream may hold (suffixes K, M, G, T:
    /// powers of 1024).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_member_size: Option<u64>,
    /// Most bytes out per compressed byte in (checked past the first MiB).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_ratio: Option<u64>,
    /// Most compressed layers nested in one another (`.tar.gz` in a `.gz`, ...).
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,
}

/// Parses `--max-member-size`: bytes, or a number with K, M, G or T.
fn parse_size(text: &str) -> Result<u64, String> {
    let (digits, shift) = match text.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err("expected a size such as 500M or 16G".into()),
            };
            (&text[..i], shift)
        }
        _ => (text, 0),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| "expected a size such as 500M or 16G".into())
}

/// `cfscrub scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub walk: WalkArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub limits: LimitArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub config: ConfigArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
    /// Write every fingerprinted finding to FILE as the baseline of
    /// accepted findings (name it as `baseline` in `.cfscrub.toml`).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

/// `cfscrub redact`.
#[derive(Debug, Args)]
pub struct RedactArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub walk: WalkArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub config: ConfigArgs,
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
    /// Give each rewritten file its old modification (and access) time
    /// back (not SQLite databases). Off by default: backups and `rsync`
    /// skip a same-size file whose mtime did not change.
    #[arg(long)]
    pub keep_mtime: bool,
}

/// `cfscrub verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub walk: WalkArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub limits: LimitArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub config: ConfigArgs,
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
    /// Ask Cloudflare whether each leaked credential (--secret-from,
    /// --secret-env) is live (as `token status`); a live one puts
    /// "revoke now" (or roll) first.
    #[arg(long)]
    pub live: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub api: super::token::ApiArgs,
    /// Where the credential leaked, for the steps that place needs (`git`:
    /// purging the history, remotes, forks, CI caches).
    #[arg(long, value_enum, value_name = "WHERE")]
    pub leaked_in: Vec<LeakedInFlag>,
}

/// Places a leak needs extra steps for (`checklist --leaked-in`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LeakedInFlag {
    /// A git repository's history.
    Git,
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
    /// Keep the incident folder, and a copy of it as it was before redaction.
    #[arg(long)]
    pub keep: bool,
    /// Seed for the generated fake credentials (default: a new one each run).
    #[arg(long)]
    pub seed: Option<u64>,
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

/// `cfscrub git`.
#[derive(Debug, Args)]
pub struct GitArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: GitCommand,
}

/// `cfscrub git scan|redact`.
#[derive(Debug, Subcommand)]
pub enum GitCommand {
    /// Find credentials in every object of repositories: all refs, reflogs,
    /// stashes, unreachable objects; or only what is staged (`--staged`).
    Scan(GitScanArgs),
    /// Rewrite history so that no reachable object holds a credential, prune
    /// the old objects and prove none remain.
    Redact(GitRedactArgs),
}

/// `cfscrub git scan`.
#[derive(Debug, Args)]
pub struct GitScanArgs {
    /// Repositories: a work tree, a `.git` directory, a bare or mirror clone.
    #[arg(value_name = "REPO", default_value = ".")]
    pub repos: Vec<PathBuf>,
    /// Only what is about to be committed: the staged blobs (index vs HEAD).
    #[arg(long)]
    pub staged: bool,
    /// Only commits more recent than DATE (as `git log --since` reads it).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Only the history of REV (repeatable; a branch, tag or any revision).
    #[arg(long, value_name = "REV")]
    pub branch: Vec<String>,
    /// Leave out blobs whose path matches GLOB (whole path or file name).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Worker threads, 1 to 256 (default: one per core).
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub secrets: SecretArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// `cfscrub git redact`.
#[derive(Debug, Args)]
pub struct GitRedactArgs {
    /// The repository: a work tree, a bare or (best) a fresh mirror clone.
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Rewrite a repository that is not a fresh clone (reflogs, stashes and
    /// unpacked objects only it holds are lost).
    #[arg(long)]
    pub force: bool,
    /// Where to write the old-to-new commit map (default: `cfscrub-commit-map`
    /// in the git directory).
    #[arg(long, value_name = "FILE")]
    pub commit_map: Option<PathBuf>,
    /// Worker threads for the final scan, 1 to 256 (default: one per core).
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub secrets: SecretArgs,
}

/// `cfscrub completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// Shells `cfscrub completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    /// Bash (`source <(cfscrub completions bash)`).
    Bash,
    /// Zsh (a `_cfscrub` file in `$fpath`).
    Zsh,
    /// Fish (`~/.config/fish/completions/cfscrub.fish`).
    Fish,
}

/// `cfscrub rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: RulesAction,
}

/// The rules actions.
#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Print the rules for a log pipeline on stdout: a gitleaks TOML (also
    /// read by Betterleaks and Grafana Alloy's loki.secretfilter) or a
    /// Vector VRL remap program that masks what they find.
    Export {
        /// The format.
        #[arg(long, value_enum)]
        format: RulesFormat,
    },
}

/// Formats `cfscrub rules export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RulesFormat {
    /// gitleaks configuration (TOML).
    Gitleaks,
    /// Vector Remap Language program.
    Vector,
}
