//! The settings of a `scan`, `verify` or `redact` run: the resolved options
//! merged with the `.cfscrub.toml` they select ([`cfscrub::config`]).
//!
//! Owns turning a loaded config into what the run uses: the detector (extra
//! keywords, allowed fingerprints), the walk (extra excludes) and, for
//! `scan`, the baseline. Everything is loaded and validated before the
//! first file is read: an invalid config scans nothing.

use crate::cli::{ConfigChoice, LimitChoice, WalkOptions};
use anyhow::Result;
use cfscrub::config::{self, baseline::Baseline, Config, Source};
use cfscrub::core::detect::Detector;
use cfscrub::core::secrets::KnownSecrets;
use cfscrub::errln;
use cfscrub::source::container::Limits;
use cfscrub::source::walk::{Inputs, Walker};
use std::path::Path;

/// The config the options select: none (`--no-config`), `--config FILE`,
/// or the nearest `.cfscrub.toml` upward from the first path (the current
/// directory when reading stdin only). Unless `quiet`, one stderr line
/// names the file used and what it changes: a config in a scanned tree
/// decides what is reported, so it is never applied silently.
pub fn load(choice: &ConfigChoice, walk: &WalkOptions, quiet: bool) -> Result<Option<Config>> {
    let source = match choice {
        ConfigChoice::Ignore => Source::Ignore,
        ConfigChoice::File(file) => Source::File(file),
        ConfigChoice::Discover => Source::Discover(
            walk.paths
                .iter()
                .find(|p| p.as_os_str() != "-")
                .map_or(Path::new("."), |p| p.as_path()),
        ),
    };
    let config = config::load(source)?;
    if let (Some(c), false) = (&config, quiet) {
        errln!(
            "cfscrub: settings from {} ({} exclude(s), {} allowed fingerprint(s), {} extra keyword(s){}; --no-config ignores it)",
            cfscrub::mask::sanitize::display_path(&c.path),
            c.exclude.len(),
            c.allow.len(),
            c.keywords.len(),
            if c.baseline.is_some() { ", a baseline" } else { "" }
        );
    }
    Ok(config)
}

/// The detector for every rule, with the config's extra keywords and
/// allowed fingerprints; `known_only` hunts the known secrets alone
/// (`verify --secret-from`).
pub fn detector(
    config: Option<&Config>,
    secrets: &KnownSecrets,
    known_only: bool,
) -> Result<Detector> {
    let detector = if known_only {
        Detector::known_only(secrets)
    } else {
        let keywords = config.map_or(&[][..], |c| &c.keywords);
        Detector::with_keywords(secrets, keywords)?
    };
    Ok(match config {
        Some(c) => detector.allowing(c.allow.iter().copied()),
        None => detector,
    })
}

/// The limits on reading compressed content and archives: the flags', then
/// the config's `[limits]`, then the defaults.
pub fn limits(choice: &LimitChoice, config: Option<&Config>) -> Limits {
    choice.with_config(&config.map(|c| c.limits).unwrap_or_default())
}

/// The walker of the paths, with the options' excludes and the config's.
pub fn walker(walk: &WalkOptions, config: Option<&Config>) -> Result<Walker> {
    super::search::walker(walk, config.map_or(&[], |c| &c.exclude))
}

/// Walks the paths with the options' excludes and the config's.
pub fn inputs(walk: &WalkOptions, config: Option<&Config>) -> Result<Inputs> {
    super::search::collect_inputs(walk, config.map_or(&[], |c| &c.exclude))
}

/// The baseline the config names, loaded. A missing file is an error,
/// unless `writing` one (`scan --write-baseline`): then it is empty.
pub fn baseline(config: Option<&Config>, writing: bool) -> Result<Option<Baseline>> {
    let Some(path) = config.and_then(|c| c.baseline.as_deref()) else {
        return Ok(None);
    };
    if !path.exists() {
        if writing {
            return Ok(None);
        }
        let shown = cfscrub::mask::sanitize::display_path(path);
        anyhow::bail!(
            "baseline {shown} (named in the config) does not exist; create it with `cfscrub scan --write-baseline {shown}`"
        );
    }
    Baseline::load(path).map(Some)
}
