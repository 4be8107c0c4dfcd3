//! `cfscrub vault check|fix|store`.

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use crate::cli::VaultOptions;
use anyhow::Result;
use cfscrub::core::finding::Fingerprint;
use cfscrub::incident::vault;
use cfscrub::mask::sanitize::display_path;
use cfscrub::{err, errln, outln};
use std::io::{IsTerminal, Read};
use zeroize::Zeroizing;

/// Most bytes `vault store` takes from a pipe: far more than any credential
/// (a PEM-wrapped key is a few KiB); more is refused, never cut.
const MAX_STORED: usize = 64 << 10;

/// Why a path argument was refused when it looks like a credential.
const CREDENTIAL_PATH: &str = "the path looks like a credential, not a file name: refused. \
If it is one, it is now in your shell history: run `cfscrub history`, then rotate it (`cfscrub checklist`)";

/// Runs `cfscrub vault`.
pub fn run(options: VaultOptions) -> Result<u8> {
    match options {
        VaultOptions::Check(paths) => {
            let (mut problems, mut errors) = (0, 0);
            for path in &paths {
                if vault::looks_like_credential(path) {
                    errors += 1;
                    errln!("cfscrub vault check: {CREDENTIAL_PATH}");
                    continue;
                }
                let name = display_path(path);
                match vault::check(path) {
                    Ok(found) if found.is_empty() => {
                        outln!("{name}: ok (0600, yours, regular file)")
                    }
                    Ok(found) => {
                        problems += found.len();
                        for p in &found {
                            outln!("{name}: {p}");
                        }
                        if found
                            .iter()
                            .any(|p| matches!(p, vault::Problem::LooseMode(_)))
                        {
                            outln!("  fix: cfscrub vault fix {}", shell_word(&name));
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        errln!("cfscrub vault: {name}: {e}");
                    }
                }
            }
            Ok(if errors > 0 {
                EXIT_ERROR
            } else if problems > 0 {
                EXIT_FOUND
            } else {
                EXIT_CLEAN
            })
        }
        VaultOptions::Fix(paths) => {
            let mut failed = false;
            for path in &paths {
                if vault::looks_like_credential(path) {
                    failed = true;
                    errln!("cfscrub vault fix: {CREDENTIAL_PATH}");
                    continue;
                }
                let name = display_path(path);
                match vault::fix(path) {
                    Ok(f) if f.before == f.after => {
                        outln!("{name}: {:04o} (already private)", f.after)
                    }
                    Ok(f) => outln!("{name}: {:04o} -> {:04o}", f.before, f.after),
                    Err(e) => {
                        failed = true;
                        errln!("cfscrub vault: {name}: {e}");
                    }
                }
            }
            Ok(if failed { EXIT_ERROR } else { EXIT_CLEAN })
        }
        VaultOptions::Store { path, force } => {
            if vault::looks_like_credential(&path) {
                errln!("cfscrub vault store: {CREDENTIAL_PATH}");
                return Ok(EXIT_ERROR);
            }
            let value = read_one_secret()?;
            let name = display_path(&path);
            // From here on a temp file holds the secret: a signal removes it.
            cfscrub::source::cleanup::install_signal_cleanup();
            match vault::store(&path, &value, force) {
                Ok(()) => {
                    let kind = cfscrub::incident::checklist::LeakedType::of(&value);
                    // A weak value gets none: it could be brute-forced back.
                    let fp = Fingerprint::of(&value)
                        .map_or_else(String::new, |fp| format!(" (fp:{fp})"));
                    outln!(
                        "{name}: stored {}{fp}, mode 0600",
                        with_article(kind.name())
                    );
                    Ok(EXIT_CLEAN)
                }
                Err(e) => {
                    errln!("cfscrub vault: {name}: {e}");
                    Ok(EXIT_ERROR)
                }
            }
        }
    }
}

/// `a user API token`, `an account API token`, `an Origin CA key`: "an"
/// before a vowel sound (the kinds' names start with a, e, i, o for one;
/// "user" does not).
fn with_article(noun: &str) -> String {
    let vowel = noun.chars().next().is_some_and(|c| "aeioAEIO".contains(c));
    format!("{} {noun}", if vowel { "an" } else { "a" })
}

/// A shown path as one word to paste into a POSIX shell: as is when it
/// holds only safe characters, else single-quoted.
fn shell_word(shown: &str) -> String {
    if shown
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-+,:@%".contains(&b))
    {
        shown.to_string()
    } else {
        format!("'{}'", shown.replace('\'', r"'\''"))
    }
}

/// One secret from stdin: without echo on a terminal, else the whole
/// input (at most [`MAX_STORED`] bytes) with surrounding white space
/// dropped; it must be a single line.
fn read_one_secret() -> Result<Zeroizing<Vec<u8>>> {
    let stdin = std::io::stdin();
    let raw = if stdin.is_terminal() {
        err!("Paste the secret (not echoed): ");
        Zeroizing::new(rpassword::read_password()?.into_bytes())
    } else {
        // Allocated once at full size: growing would leave unwiped copies.
        let mut buf = Zeroizing::new(Vec::with_capacity(MAX_STORED + 1));
        stdin
            .lock()
            .take(MAX_STORED as u64 + 1)
            .read_to_end(&mut buf)?;
        if buf.len() > MAX_STORED {
            anyhow::bail!(
                "standard input holds more than {} KiB: refused, nothing written (a vault file holds one secret)",
                MAX_STORED >> 10
            );
        }
        buf
    };
    let value = Zeroizing::new(raw.trim_ascii().to_vec());
    if value.contains(&b'\n') {
        anyhow::bail!("standard input holds more than one line: a vault file holds one secret");
    }
    Ok(value)
}
