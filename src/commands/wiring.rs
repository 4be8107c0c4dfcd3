//! Wiring several commands share: loading the known secrets, setting up
//! the stream masker (`filter`, `run`) and printing its summary.

use crate::cli::{MaskOptions, SecretSources};
use anyhow::{Context, Result};
use cfscrub::core::counts::{FileCounts, Replacement};
use cfscrub::core::detect::Detector;
use cfscrub::core::secrets::KnownSecrets;
use cfscrub::errln;
use std::io::Write;

/// Loads `--secret-from` / `--secret-env` values. Once secrets are in
/// memory the process is made non-dumpable, so no core dump holds them,
/// and they are registered with [`cfscrub::mask::sanitize`], so that no
/// printed path or message shows them either.
pub fn load_secrets(sources: &SecretSources) -> Result<KnownSecrets> {
    let mut secrets = KnownSecrets::new();
    for path in &sources.files {
        secrets
            .add_from_path(path, &cfscrub::mask::sanitize::display_path(path))
            .context("--secret-from")?;
    }
    for var in &sources.env {
        secrets.add_from_env(var).context("--secret-env")?;
    }
    if !secrets.is_empty() {
        cfscrub::sys::forbid_core_dumps();
        cfscrub::mask::sanitize::register_known_secrets(&secrets);
    }
    Ok(secrets)
}

/// The detector and replacement for a masking command.
pub fn masking_setup(options: &MaskOptions) -> Result<(Detector, Replacement)> {
    let secrets = load_secrets(&options.secrets)?;
    let detector = Detector::new(&secrets);
    let replacement = Replacement::new(&options.replacement, &detector)?;
    Ok((detector, replacement))
}

/// Prints the `--summary` line on stderr and, under GitHub Actions, a
/// `::warning::` annotation on `annotations` (never a value, never
/// `::add-mask::`).
pub fn print_summary(verb: &str, counts: &FileCounts, annotations: &mut dyn Write) {
    let kinds = counts.kinds_line();
    let what = if kinds.is_empty() {
        "nothing".to_string()
    } else {
        format!("{} credential(s): {kinds}", counts.total())
    };
    errln!("cfscrub {verb}: masked {what}");
    if counts.total() > 0 && std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        // One write for the whole line: `annotations` may be unbuffered.
        let line = format!(
            "::warning title=cfscrub::{} Cloudflare credential(s) were masked in this step's output ({}). Rotate them: cfscrub checklist\n",
            counts.total(),
            kinds
        );
        let _ = annotations.write_all(line.as_bytes());
        let _ = annotations.flush();
    }
}
