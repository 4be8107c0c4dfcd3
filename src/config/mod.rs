//! The user's settings file, `.cfscrub.toml`: what `scan`, `verify` and
//! `redact` read besides their flags.
//!
//! Owns finding the file (upward from the first scanned path, or the one
//! `--config` names), parsing it, and validating every value before
//! anything is scanned. An invalid file is an error naming its line and
//! column; unknown keys are refused (a typo must not silently turn a rule
//! off). The accepted-findings file it may point at is [`baseline`].
//!
//! The file never holds a secret value: the allowlist takes fingerprints
//! (`fp:…` in `scan`'s output), which identify a value without revealing it.

pub mod baseline;

use crate::core::finding::Fingerprint;
use crate::core::rules::Kind;
use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file name looked for.
pub const FILE_NAME: &str = ".cfscrub.toml";

/// Largest config file read: a settings file, not data.
const MAX_BYTES: u64 = 1 << 20;

/// What is wrong in a config file, and where (1-based line and column).
#[derive(Debug, thiserror::Error)]
#[error("{line}:{column}: {what}")]
pub struct ConfigError {
    /// The line.
    pub line: usize,
    /// The column.
    pub column: usize,
    /// What is wrong there.
    pub what: Problem,
}

/// What is wrong in a config file.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// Not TOML, or not the file's shape (TOML's own message: a wrong
    /// type, an unknown key).
    #[error("{0}")]
    Toml(String),
    /// An `allow` entry that is not a fingerprint.
    #[error("allow: {0}")]
    Allow(&'static str),
    /// A keyword mapped to a kind that does not exist.
    #[error("keywords.{word}: unknown kind")]
    UnknownKind {
        /// The keyword.
        word: String,
    },
    /// A keyword that cannot join its kind's rule.
    #[error("keywords: {0}")]
    Keyword(crate::core::detect::KeywordError),
    /// An `exclude` glob that does not parse.
    #[error("exclude: {0}")]
    Exclude(globset::ErrorKind),
}

/// The file as written; every key optional, unknown keys refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
    #[serde(default)]
    keywords: BTreeMap<String, Spanned<String>>,
    baseline: Option<Spanned<String>>,
    #[serde(default)]
    limits: Limits,
}

/// The `[limits]` table: bounds for reading compressed content and
/// archives (`scan`, `verify`), validated here (an out-of-range value is an
/// error at its own line); a `--max-*` flag given wins over it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// How many archives deep to read (an archive in an archive is 2), 1 to 16.
    #[serde(default, deserialize_with = "depth")]
    pub archive_depth: Option<u32>,
    /// Largest archive member read, in bytes (at least 1).
    #[serde(default, deserialize_with = "at_least_one")]
    pub archive_member_bytes: Option<u64>,
    /// Largest ratio of unpacked to packed size, at least 1.
    #[serde(default, deserialize_with = "at_least_one")]
    pub archive_expansion_ratio: Option<u64>,
}

fn depth<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<u32>, D::Error> {
    match u32::deserialize(d)? {
        n @ 1..=16 => Ok(Some(n)),
        _ => Err(serde::de::Error::custom("expected 1 to 16")),
    }
}

fn at_least_one<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<u64>, D::Error> {
    match u64::deserialize(d)? {
        0 => Err(serde::de::Error::custom("expected at least 1")),
        n => Ok(Some(n)),
    }
}

/// A loaded, validated config.
#[derive(Debug, Default)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    /// Globs added to `--exclude`.
    pub exclude: Vec<String>,
    /// Fingerprints of known test fakes: not reported, not redacted.
    pub allow: Vec<Fingerprint>,
    /// Extra context keywords and the kind of value each introduces.
    pub keywords: Vec<(String, Kind)>,
    /// The accepted-findings file, resolved against the config's directory.
    pub baseline: Option<PathBuf>,
    /// Limits on reading compressed content and archives.
    pub limits: Limits,
}

/// Where the settings come from, as the flags say.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// `--no-config`: none.
    Ignore,
    /// `--config FILE`: that file, which must exist.
    File(&'a Path),
    /// The nearest `.cfscrub.toml` at or above `start`, if any.
    Discover(&'a Path),
}

/// Loads the config the flags ask for; `None` when there is none.
pub fn load(source: Source) -> Result<Option<Config>> {
    match source {
        Source::Ignore => Ok(None),
        Source::File(path) => Config::read(path).map(Some),
        Source::Discover(start) => match discover(start)? {
            Some(path) => Config::read(&path).map(Some),
            None => Ok(None),
        },
    }
}

/// The nearest [`FILE_NAME`] in `start` (or its directory, for a file) or
/// one of its ancestors.
pub fn discover(start: &Path) -> Result<Option<PathBuf>> {
    let start = std::path::absolute(start).context("cannot resolve the scanned path")?;
    let mut dir = if start.is_dir() {
        start.as_path()
    } else {
        start.parent().unwrap_or(&start)
    };
    loop {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return Ok(Some(candidate));
        }
        match dir.parent() {
            Some(parent) => dir = parent,
            None => return Ok(None),
        }
    }
}

impl Config {
    /// Reads and validates `path`.
    pub fn read(path: &Path) -> Result<Config> {
        let shown = crate::mask::sanitize::display_path(path);
        let text = read_limited(path).with_context(|| format!("config {shown}"))?;
        Config::parse(&text, path).map_err(|e| anyhow::anyhow!("config {shown}:{e}"))
    }

    /// Parses `text`; errors read `LINE:COLUMN: what` (1-based).
    pub fn parse(text: &str, path: &Path) -> std::result::Result<Config, ConfigError> {
        let at = |span: std::ops::Range<usize>, what: Problem| {
            let before = &text[..span.start.min(text.len())];
            ConfigError {
                line: before.matches('\n').count() + 1,
                column: before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1,
                what,
            }
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            at(span, Problem::Toml(e.message().trim_end().to_string()))
        })?;
        let mut allow = Vec::new();
        for item in &raw.allow {
            let fp = item
                .get_ref()
                .parse()
                .map_err(|why| at(item.span(), Problem::Allow(why)))?;
            allow.push(fp);
        }
        let mut keywords = Vec::new();
        for (word, kind) in &raw.keywords {
            let k = Kind::from_id(kind.get_ref()).ok_or_else(|| {
                let word = word.clone();
                at(kind.span(), Problem::UnknownKind { word })
            })?;
            crate::core::detect::keyword_rule(word, k)
                .map_err(|why| at(kind.span(), Problem::Keyword(why)))?;
            keywords.push((word.clone(), k));
        }
        let mut exclude = Vec::new();
        for glob in &raw.exclude {
            globset::Glob::new(glob.get_ref())
                .map_err(|e| at(glob.span(), Problem::Exclude(e.kind().clone())))?;
            exclude.push(glob.get_ref().clone());
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let baseline = raw.baseline.as_ref().map(|b| dir.join(b.get_ref()));
        Ok(Config {
            path: path.to_path_buf(),
            exclude,
            allow,
            keywords,
            baseline,
            limits: raw.limits,
        })
    }
}

fn read_limited(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut text = String::new();
    file.take(MAX_BYTES + 1).read_to_string(&mut text)?;
    if text.len() as u64 > MAX_BYTES {
        return Err(std::io::Error::other(
            "larger than 1 MiB: not a settings file",
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        match Config::parse(text, Path::new("x/.cfscrub.toml")) {
            Ok(_) => panic!("parsed"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn errors_name_line_column_and_key() {
        assert_eq!(
            error("\nallow = [\"nothex\"]\n"),
            "2:10: allow: expected 16 hex digits, as printed after `fp:`"
        );
        assert_eq!(
            error("[keywords]\nmytoken = \"no-such-kind\"\n"),
            "2:11: keywords.mytoken: unknown kind"
        );
        assert!(error("exclude = [\"a[\"]").starts_with("1:12: exclude: "));
        assert!(error("nonsense").starts_with("1:"));
    }
}
