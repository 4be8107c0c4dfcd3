//! Raw flags resolved once into the options each command runs with.
//!
//! Resolution maps the CLI's value enums onto the library's types, picks
//! defaults that depend on more than one flag, and refuses bad
//! combinations with a message naming the flags involved.

use super::flags::{
    Cli, ColorFlag, Command, DocFormat, FormatFlag, HistoryCommand, MaskArgs, OutputArgs,
    SecretArgs, ShellFlag, VaultAction, WalkArgs,
};
use anyhow::{bail, Context, Result};
use cfscrub::incident::history::Shell;
use cfscrub::report::{ColorChoice, Format};
use std::ffi::OsString;
use std::path::PathBuf;

/// What to run, with its options.
#[derive(Debug)]
pub enum Invocation {
    /// `scan`.
    Scan(SearchOptions),
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

/// `scan` and `verify`.
#[derive(Debug)]
pub struct SearchOptions {
    /// What to read.
    pub walk: WalkOptions,
    /// Known values to hunt.
    pub secrets: SecretSources,
    /// How to print.
    pub output: OutputOptions,
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
    /// Keep the incident folder.
    pub keep: bool,
    /// Seed of the fakes.
    pub seed: u64,
}

/// Resolves parsed flags into an [`Invocation`], refusing bad combinations.
pub fn resolve(cli: Cli) -> Result<Invocation> {
    Ok(match cli.command {
        Command::Scan(a) => Invocation::Scan(search(a.walk, a.secrets, a.output)?),
        Command::Verify(a) => Invocation::Verify(search(a.walk, a.secrets, a.output)?),
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
    })
}

fn search(w: WalkArgs, s: SecretArgs, o: OutputArgs) -> Result<SearchOptions> {
    let stdin_path = w
        .paths
        .iter()
        .any(|p| p.as_os_str() == "-")
        .then_some("the `-` input");
    Ok(SearchOptions {
        secrets: secret_sources(s, stdin_path)?,
        walk: walk(w)?,
        output: output(&o),
    })
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
fn secret_sources(s: SecretArgs, stdin_use: Option<&str>) -> Result<SecretSources> {
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
