//! Raw flags resolved once into the options each command runs with.
//!
//! Resolution maps the CLI's value enums onto the library's types, picks
//! defaults that depend on more than one flag, and refuses bad
//! combinations with a message naming the flags involved.
//!
//! Long because it is the one place where every command's flags
//! are resolved (the raw flags → options step), so that the checks that
//! involve several flags sit together; each command adds an options
//! struct and a few lines here.

use super::flags::{
    Cli, ColorFlag, Command, CompletionShell, ConfigArgs, DocFormat, FormatFlag, GitCommand,
    HistoryCommand, LeakedInFlag, LimitArgs, MaskArgs, OutputArgs, RulesAction, RulesFormat,
    SecretArgs, ShellFlag, VaultAction, WalkArgs,
};
use anyhow::{bail, Context, Result};
use cfscrub::incident::history::Shell;
use cfscrub::report::rule_export::ExportFormat;
use cfscrub::report::{ColorChoice, Format};
use cfscrub::source::container::Limits;
use std::ffi::OsString;
use std::path::PathBuf;

/// What to run, with its options.
#[derive(Debug)]
pub enum Invocation {
    /// `scan`.
    Scan(ScanOptions),
    /// `verify`.
    Verify(SearchOptions),
    /// `redact`.
    Redact(RedactOptions),
    /// `filter`.
    Filter(FilterOptions),
    /// `run`.
    Run(RunOptions),
    /// `vault check|fix|store`.
    Vault(VaultOptions),
    /// `checklist`.
    Checklist(ChecklistOptions),
    /// `diagnose`.
    Diagnose(DiagnoseOptions),
    /// `history`.
    History(HistoryOptions),
    /// `history hook SHELL`.
    HistoryHook(Shell),
    /// `demo`.
    Demo(DemoOptions),
    /// `git scan`.
    GitScan(GitScanOptions),
    /// `git redact`.
    GitRedact(GitRedactOptions),
    /// `token status|roll|revoke|audit`.
    Token(super::token::TokenOptions),
    /// `completions SHELL`.
    Completions(clap_complete::Shell),
    /// `man`.
    Man,
    /// `rules export --format FORMAT`.
    RulesExport(ExportFormat),
}

/// Where known leaked values come from; at most one reads standard input,
/// and only when nothing else in the run does.
#[derive(Debug, Default)]
pub struct SecretSources {
    /// `--secret-from FILE` (`-` = standard input).
    pub files: Vec<PathBuf>,
    /// `--secret-env VAR`.
    pub env: Vec<String>,
}

/// Which files to read.
#[derive(Debug)]
pub struct WalkOptions {
    /// Files or directories (`-` = standard input).
    pub paths: Vec<PathBuf>,
    /// Follow symbolic links.
    pub follow: bool,
    /// Globs of paths to leave out, each one checked.
    pub excludes: Vec<String>,
    /// Worker threads (`None`: the default).
    pub threads: Option<usize>,
    /// List each skipped item.
    pub verbose: bool,
}

/// How to print findings.
#[derive(Debug, Clone, Copy)]
pub struct OutputOptions {
    /// The format.
    pub format: Format,
    /// When to colour.
    pub color: ColorChoice,
    /// No summary line on stderr (human output only).
    pub quiet: bool,
}

impl OutputOptions {
    /// Whether the human summary line is printed.
    pub fn summary_line(&self) -> bool {
        self.format == Format::Human && !self.quiet
    }
}

/// Where the settings file comes from (`scan`, `verify`, `redact`).
#[derive(Debug, Clone)]
pub enum ConfigChoice {
    /// `--no-config`.
    Ignore,
    /// `--config FILE`.
    File(PathBuf),
    /// The nearest `.cfscrub.toml` at or above the first path.
    Discover,
}

/// `scan` and `verify`.
#[derive(Debug)]
pub struct SearchOptions {
    /// What to read.
    pub walk: WalkOptions,
    /// Known values to hunt.
    pub secrets: SecretSources,
    /// How to print.
    pub output: OutputOptions,
    /// Bounds on decoding compressed content and archives that the flags
    /// set (the config file's `[limits]` fill the rest, then the defaults).
    pub limits: LimitChoice,
    /// The settings file.
    pub config: ConfigChoice,
}

/// `scan`.
#[derive(Debug)]
pub struct ScanOptions {
    /// What to search and how to print.
    pub search: SearchOptions,
    /// Write the run's findings to this baseline file.
    pub write_baseline: Option<PathBuf>,
}

/// `redact`.
#[derive(Debug)]
pub struct RedactOptions {
    /// What to rewrite (never standard input).
    pub walk: WalkOptions,
    /// Known values to hunt.
    pub secrets: SecretSources,
    /// How to print (human or JSON; never SARIF).
    pub output: OutputOptions,
    /// The replacement text.
    pub replacement: String,
    /// Same-length replacements in place for every file.
    pub same_length: bool,
    /// Binary files rewritten by rename too.
    pub binary_rename: bool,
    /// Change nothing.
    pub dry_run: bool,
    /// Give rewritten files their old modification time.
    pub keep_mtime: bool,
    /// The settings file.
    pub config: ConfigChoice,
}

/// The stream masker's options (`filter`, `run`).
#[derive(Debug)]
pub struct MaskOptions {
    /// Known values (never from standard input: that is the stream).
    pub secrets: SecretSources,
    /// The replacement text.
    pub replacement: String,
    /// Print a summary on stderr at the end.
    pub summary: bool,
}

/// `filter`.
#[derive(Debug)]
pub struct FilterOptions {
    /// The masker.
    pub mask: MaskOptions,
    /// Exit 1 if anything was masked.
    pub fail_on_find: bool,
}

/// `run`.
#[derive(Debug)]
pub struct RunOptions {
    /// The masker.
    pub mask: MaskOptions,
    /// The program to run.
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
}

/// `vault`.
#[derive(Debug)]
pub enum VaultOptions {
    /// Report problems of these vault files.
    Check(Vec<PathBuf>),
    /// Tighten these to 0600.
    Fix(Vec<PathBuf>),
    /// Store one secret from standard input.
    Store {
        /// Where.
        path: PathBuf,
        /// Replace an existing file.
        force: bool,
    },
}

/// `checklist`.
#[derive(Debug)]
pub struct ChecklistOptions {
    /// Known leaked values (their types shape the checklist).
    pub secrets: SecretSources,
    /// Wrangler configs given (empty: the default names, if present).
    pub wrangler: Vec<PathBuf>,
    /// Output format.
    pub format: DocFormat,
    /// `--leaked-in git`: add the git history section.
    pub leaked_in_git: bool,
    /// `--live`: the API to ask.
    pub live: Option<super::token::ApiOptions>,
}

/// `diagnose`.
#[derive(Debug)]
pub struct DiagnoseOptions {
    /// The log (`None`: standard input).
    pub log: Option<PathBuf>,
    /// Output format.
    pub format: DocFormat,
}

/// `history`.
#[derive(Debug)]
pub struct HistoryOptions {
    /// Change nothing.
    pub dry_run: bool,
    /// The home to look in (`None`: the current user's).
    pub home: Option<PathBuf>,
    /// Credential stores to report too.
    pub also: Vec<PathBuf>,
    /// Known leaked values.
    pub secrets: SecretSources,
}

/// `demo`.
#[derive(Debug)]
pub struct DemoOptions {
    /// Keep the incident folder (and a copy from before redaction).
    pub keep: bool,
    /// Seed of the fakes (`None`: a new one).
    pub seed: Option<u64>,
}

/// `git scan`.
#[derive(Debug)]
pub struct GitScanOptions {
    /// Repositories.
    pub repos: Vec<PathBuf>,
    /// Only the staged blobs.
    pub staged: bool,
    /// `--since` date.
    pub since: Option<String>,
    /// `--branch` revisions.
    pub branches: Vec<String>,
    /// Globs of blob paths to leave out, each one checked.
    pub excludes: Vec<String>,
    /// Worker threads (`None`: the pool's default).
    pub threads: Option<usize>,
    /// Known values to hunt.
    pub secrets: SecretSources,
    /// How to print.
    pub output: OutputOptions,
}

/// `git redact`.
#[derive(Debug)]
pub struct GitRedactOptions {
    /// The repository.
    pub repo: PathBuf,
    /// Rewrite a repository that is not a fresh clone.
    pub force: bool,
    /// Where the commit map goes (`None`: in the git directory).
    pub commit_map: Option<PathBuf>,
    /// Worker threads for the final scan.
    pub threads: Option<usize>,
    /// Known values to hunt.
    pub secrets: SecretSources,
}

/// Resolves parsed flags into an [`Invocation`], refusing bad combinations.
pub fn resolve(cli: Cli) -> Result<Invocation> {
    Ok(match cli.command {
        Command::Scan(a) => Invocation::Scan(ScanOptions {
            search: search(a.walk, a.secrets, a.output, &a.config, &a.limits)?,
            write_baseline: a.write_baseline,
        }),
        Command::Verify(a) => {
            Invocation::Verify(search(a.walk, a.secrets, a.output, &a.config, &a.limits)?)
        }
        Command::Redact(a) => {
            if a.output.format == FormatFlag::Sarif {
                bail!("--format sarif is for scan; redact prints human or json");
            }
            if a.walk.paths.iter().any(|p| p.as_os_str() == "-") {
                bail!("redact rewrites files; to mask a stream use `cfscrub filter`");
            }
            Invocation::Redact(RedactOptions {
                secrets: secret_sources(a.secrets, None)?,
                walk: walk(a.walk)?,
                output: output(&a.output),
                replacement: a.replacement,
                same_length: a.same_length,
                binary_rename: a.binary_rename,
                dry_run: a.dry_run,
                keep_mtime: a.keep_mtime,
                config: config(&a.config),
            })
        }
        Command::Filter(a) => Invocation::Filter(FilterOptions {
            mask: mask(a.mask)?,
            fail_on_find: a.fail_on_find,
        }),
        Command::Run(a) => {
            let mut command = a.command.into_iter();
            let program = command.next().context("no command to run")?;
            Invocation::Run(RunOptions {
                mask: mask(a.mask)?,
                program,
                args: command.collect(),
            })
        }
        Command::Vault(a) => Invocation::Vault(match a.action {
            VaultAction::Check { paths } => VaultOptions::Check(paths),
            VaultAction::Fix { paths } => VaultOptions::Fix(paths),
            VaultAction::Store { path, force } => VaultOptions::Store { path, force },
        }),
        Command::Checklist(a) => Invocation::Checklist(ChecklistOptions {
            secrets: secret_sources(a.secrets, None)?,
            wrangler: a.wrangler,
            format: a.format,
            leaked_in_git: a.leaked_in.contains(&LeakedInFlag::Git),
            live: if a.live {
                Some(super::token::api_options(a.api)?)
            } else {
                None
            },
        }),
        Command::Diagnose(a) => Invocation::Diagnose(DiagnoseOptions {
            log: (a.log.as_os_str() != "-").then_some(a.log),
            format: a.format,
        }),
        Command::History(a) => match a.hook {
            Some(HistoryCommand::Hook { shell }) => Invocation::HistoryHook(match shell {
                ShellFlag::Bash => Shell::Bash,
                ShellFlag::Zsh => Shell::Zsh,
                ShellFlag::Fish => Shell::Fish,
            }),
            None => Invocation::History(HistoryOptions {
                dry_run: a.dry_run,
                home: a.home,
                also: a.also,
                secrets: secret_sources(a.secrets, None)?,
            }),
        },
        Command::Demo(a) => Invocation::Demo(DemoOptions {
            keep: a.keep,
            seed: a.seed,
        }),
        Command::Git(g) => match g.command {
            GitCommand::Scan(a) => {
                if a.staged && (a.since.is_some() || !a.branch.is_empty()) {
                    bail!("--staged reads the index: it takes no --since or --branch");
                }
                for glob in &a.exclude {
                    globset::Glob::new(glob).context("--exclude")?;
                }
                Invocation::GitScan(GitScanOptions {
                    repos: a.repos,
                    staged: a.staged,
                    since: a.since,
                    branches: a.branch,
                    excludes: a.exclude,
                    threads: a.threads,
                    secrets: secret_sources(a.secrets, None)?,
                    output: output(&a.output),
                })
            }
            GitCommand::Redact(a) => Invocation::GitRedact(GitRedactOptions {
                repo: a.repo,
                force: a.force,
                commit_map: a.commit_map,
                threads: a.threads,
                secrets: secret_sources(a.secrets, None)?,
            }),
        },
        Command::Token(a) => Invocation::Token(super::token::resolve_token(a)?),
        Command::Completions(a) => Invocation::Completions(match a.shell {
            CompletionShell::Bash => clap_complete::Shell::Bash,
            CompletionShell::Zsh => clap_complete::Shell::Zsh,
            CompletionShell::Fish => clap_complete::Shell::Fish,
        }),
        Command::Man => Invocation::Man,
        Command::Rules(a) => match a.action {
            RulesAction::Export { format } => Invocation::RulesExport(match format {
                RulesFormat::Gitleaks => ExportFormat::Gitleaks,
                RulesFormat::Vector => ExportFormat::Vector,
            }),
        },
    })
}

fn config(c: &ConfigArgs) -> ConfigChoice {
    match (&c.config, c.no_config) {
        (_, true) => ConfigChoice::Ignore,
        (Some(file), false) => ConfigChoice::File(file.clone()),
        (None, false) => ConfigChoice::Discover,
    }
}

fn search(
    w: WalkArgs,
    s: SecretArgs,
    o: OutputArgs,
    c: &ConfigArgs,
    l: &LimitArgs,
) -> Result<SearchOptions> {
    let stdin_path = w
        .paths
        .iter()
        .any(|p| p.as_os_str() == "-")
        .then_some("the `-` input");
    Ok(SearchOptions {
        secrets: secret_sources(s, stdin_path)?,
        walk: walk(w)?,
        output: output(&o),
        limits: limits(l),
        config: config(c),
    })
}

/// The limits the flags set; unset ones come from the config file's
/// `[limits]`, then [`Limits::default`].
#[derive(Debug, Clone, Copy, Default)]
pub struct LimitChoice {
    /// `--max-member-size`.
    pub max_member_bytes: Option<u64>,
    /// `--max-ratio`.
    pub max_ratio: Option<u64>,
    /// `--max-depth`.
    pub max_depth: Option<usize>,
}

impl LimitChoice {
    /// The limits: each flag given, else the config's value, else the default.
    pub fn with_config(&self, config: &cfscrub::config::Limits) -> Limits {
        let default = Limits::default();
        Limits {
            max_member_bytes: self
                .max_member_bytes
                .or(config.archive_member_bytes)
                .unwrap_or(default.max_member_bytes),
            max_ratio: self
                .max_ratio
                .or(config.archive_expansion_ratio)
                .unwrap_or(default.max_ratio),
            max_depth: self
                .max_depth
                .or(config.archive_depth.map(|d| d as usize))
                .unwrap_or(default.max_depth),
        }
    }
}

fn limits(l: &LimitArgs) -> LimitChoice {
    LimitChoice {
        max_member_bytes: l.max_member_size,
        max_ratio: l.max_ratio,
        max_depth: l.max_depth,
    }
}

fn mask(m: MaskArgs) -> Result<MaskOptions> {
    Ok(MaskOptions {
        secrets: secret_sources(m.secrets, Some("the stream to mask"))?,
        replacement: m.replacement,
        summary: m.summary,
    })
}

/// `stdin_use` names what else reads standard input in this run (the
/// masked stream, a `-` path), so that `--secret-from -` is refused there.
pub(super) fn secret_sources(s: SecretArgs, stdin_use: Option<&str>) -> Result<SecretSources> {
    let from_stdin = s
        .secret_from
        .iter()
        .filter(|p| p.as_os_str() == "-")
        .count();
    if from_stdin > 0 {
        if let Some(other) = stdin_use {
            bail!("--secret-from - reads standard input, which is {other} here: use --secret-from FILE or --secret-env VAR");
        }
        if from_stdin > 1 {
            bail!("--secret-from - given twice: standard input can be read once");
        }
    }
    Ok(SecretSources {
        files: s.secret_from,
        env: s.secret_env,
    })
}

fn walk(w: WalkArgs) -> Result<WalkOptions> {
    for glob in &w.exclude {
        globset::Glob::new(glob).context("--exclude")?;
    }
    Ok(WalkOptions {
        paths: w.paths,
        follow: w.follow,
        excludes: w.exclude,
        threads: w.threads,
        verbose: w.verbose,
    })
}

fn output(o: &OutputArgs) -> OutputOptions {
    OutputOptions {
        format: match o.format {
            FormatFlag::Human => Format::Human,
            FormatFlag::Json => Format::Json,
            FormatFlag::Sarif => Format::Sarif,
        },
        color: match o.color {
            ColorFlag::Auto => ColorChoice::Auto,
            ColorFlag::Always => ColorChoice::Always,
            ColorFlag::Never => ColorChoice::Never,
        },
        quiet: o.quiet,
    }
}
