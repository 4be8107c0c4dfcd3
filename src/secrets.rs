//! Known leaked values: loading them safely and holding them in memory.
//!
//! A secret is never taken from the command line (it would land in shell
//! history and `ps`): it comes from a file, from standard input (read without
//! echo on a terminal) or from an environment variable. Values live in
//! [`Zeroizing`] buffers that are wiped when dropped, and nothing here
//! formats a value: [`KnownSecrets`]'s `Debug` prints only a count, and
//! every error names a line number, never content.

use crate::errln;
use std::fmt;
use std::io::{self, BufRead, IsTerminal, Read};
use std::path::Path;
use zeroize::Zeroizing;

/// Prefixes of the Cloudflare formats that carry one; the characters after
/// them are the value's body.
pub const KNOWN_PREFIXES: &[&str] = &["cfast_", "cfoat_", "cfort_", "cfut_", "cfat_", "cfk_"];

/// Shortest unprefixed value (or body) worth hunting: shorter ones would
/// match ordinary words.
pub const MIN_UNPREFIXED_LEN: usize = 8;

/// Shortest body after a known prefix for a fragment to count.
pub const MIN_PREFIXED_BODY: usize = 4;

/// Why a secret could not be loaded. Never contains the value.
#[derive(Debug)]
pub enum SecretError {
    /// Reading the source failed.
    Io {
        /// Where it was read from (a path, `stdin` or `$VAR`).
        source_name: String,
        /// The underlying error.
        error: io::Error,
    },
    /// A value is too short to hunt without matching ordinary text.
    TooShort {
        /// Where it was read from.
        source_name: String,
        /// 1-based line of the value.
        line: usize,
    },
    /// The environment variable is not set or empty.
    EnvMissing(String),
    /// The source held no value at all.
    Empty(String),
    /// A value is a redaction marker (a vault file that was itself redacted).
    Marker {
        /// Where it was read from.
        source_name: String,
        /// 1-based line of the value.
        line: usize,
    },
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretError::Io { source_name, error } => {
                write!(f, "cannot read secrets from {source_name}: {error}")
            }
            SecretError::TooShort { source_name, line } => write!(
                f,
                "{source_name}, line {line}: value too short to hunt (needs {MIN_UNPREFIXED_LEN}+ characters, \
                 or a Cloudflare prefix and {MIN_PREFIXED_BODY}+ more)"
            ),
            SecretError::EnvMissing(var) => {
                write!(f, "environment variable {var} is not set or is empty")
            }
            SecretError::Empty(name) => write!(f, "{name} holds no secret value"),
            SecretError::Marker { source_name, line } => write!(
                f,
                "{source_name}, line {line}: a redaction marker, not a secret (was this file redacted?)"
            ),
        }
    }
}

impl std::error::Error for SecretError {}

/// The set of known leaked values to hunt.
#[derive(Default)]
pub struct KnownSecrets {
    values: Vec<Zeroizing<Vec<u8>>>,
}

impl fmt::Debug for KnownSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KnownSecrets({} values)", self.values.len())
    }
}

/// The length of the Cloudflare prefix `value` starts with (0 if none).
pub fn prefix_len(value: &[u8]) -> usize {
    KNOWN_PREFIXES
        .iter()
        .find(|p| value.starts_with(p.as_bytes()))
        .map_or(0, |p| p.len())
}

impl KnownSecrets {
    /// An empty set.
    pub fn new() -> KnownSecrets {
        KnownSecrets::default()
    }

    /// Whether no value is loaded.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// How many values are loaded.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The values, for the detector.
    pub fn values(&self) -> impl Iterator<Item = &[u8]> {
        self.values.iter().map(|v| v.as_slice())
    }

    /// Adds one value after checking it is long enough to hunt.
    /// Duplicates are ignored.
    pub fn add(
        &mut self,
        value: Zeroizing<Vec<u8>>,
        source_name: &str,
        line: usize,
    ) -> Result<(), SecretError> {
        let p = prefix_len(&value);
        let long_enough = if p > 0 {
            value.len() >= p + MIN_PREFIXED_BODY
        } else {
            value.len() >= MIN_UNPREFIXED_LEN
        };
        if !long_enough {
            return Err(SecretError::TooShort {
                source_name: source_name.to_string(),
                line,
            });
        }
        let marker = value
            .windows(8)
            .any(|w| w.eq_ignore_ascii_case(b"REDACTED"))
            || value.iter().all(|&b| b == b'*');
        if marker {
            return Err(SecretError::Marker {
                source_name: source_name.to_string(),
                line,
            });
        }
        if !self.values.iter().any(|v| **v == *value) {
            self.values.push(value);
        }
        Ok(())
    }

    /// Reads values, one per line (surrounding white space and a trailing
    /// `\r` are dropped, blank lines skipped).
    pub fn add_from_reader(
        &mut self,
        reader: impl Read,
        source_name: &str,
    ) -> Result<(), SecretError> {
        let mut reader = io::BufReader::new(reader);
        let before = self.len();
        let mut line = Zeroizing::new(Vec::new());
        let mut number = 0;
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .map_err(|error| SecretError::Io {
                    source_name: source_name.to_string(),
                    error,
                })?;
            if n == 0 {
                break;
            }
            number += 1;
            let value = line.trim_ascii();
            if !value.is_empty() {
                self.add(Zeroizing::new(value.to_vec()), source_name, number)?;
            }
        }
        if self.len() == before {
            return Err(SecretError::Empty(source_name.to_string()));
        }
        Ok(())
    }

    /// Loads `--secret-from PATH` (`-` = standard input; without echo when
    /// standard input is a terminal).
    pub fn add_from_path(&mut self, path: &Path) -> Result<(), SecretError> {
        if path.as_os_str() == "-" {
            return self.add_from_stdin();
        }
        let name = crate::sanitize::display_path(path);
        let file = std::fs::File::open(path).map_err(|error| SecretError::Io {
            source_name: name.clone(),
            error,
        })?;
        self.add_from_reader(file, &name)
    }

    /// Reads values from standard input; on a terminal, prompts on stderr and
    /// reads without echo until an empty line.
    pub fn add_from_stdin(&mut self) -> Result<(), SecretError> {
        let stdin = io::stdin();
        if !stdin.is_terminal() {
            return self.add_from_reader(stdin.lock(), "stdin");
        }
        errln!("Paste the leaked value(s), one per line (not echoed); an empty line ends:");
        let before = self.len();
        let mut number = 0;
        loop {
            let value =
                Zeroizing::new(rpassword::read_password().map_err(|error| SecretError::Io {
                    source_name: "terminal".into(),
                    error,
                })?);
            number += 1;
            let trimmed = value.trim();
            if trimmed.is_empty() {
                break;
            }
            self.add(
                Zeroizing::new(trimmed.as_bytes().to_vec()),
                "terminal",
                number,
            )?;
        }
        if self.len() == before {
            return Err(SecretError::Empty("terminal input".into()));
        }
        Ok(())
    }

    /// Loads `--secret-env VAR`.
    pub fn add_from_env(&mut self, var: &str) -> Result<(), SecretError> {
        let value = std::env::var_os(var)
            .map(|v| Zeroizing::new(std::os::unix::ffi::OsStringExt::into_vec(v)))
            .filter(|v| !v.trim_ascii().is_empty())
            .ok_or_else(|| SecretError::EnvMissing(var.to_string()))?;
        self.add(
            Zeroizing::new(value.trim_ascii().to_vec()),
            &format!("${var}"),
            1,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_value_per_line_and_skips_blanks() {
        let mut s = KnownSecrets::new();
        s.add_from_reader(&b"\n  abcdefgh12 \r\ncfut_AbCdEf\n\n"[..], "t")
            .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(format!("{s:?}"), "KnownSecrets(2 values)");
    }

    #[test]
    fn too_short_error_names_the_line_not_the_value() {
        let mut s = KnownSecrets::new();
        let err = s
            .add_from_reader(&b"abcdefghij\nshort\n"[..], "vault.txt")
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 2"), "{msg}");
        assert!(!msg.contains("short\n") && !msg.contains("abcdefghij"));
    }

    #[test]
    fn a_redaction_marker_is_not_a_secret() {
        let mut s = KnownSecrets::new();
        let err = s
            .add_from_reader(&b"[REDACTED_CF_TOKEN]\n"[..], "v")
            .unwrap_err();
        assert!(err.to_string().contains("redaction marker"));
    }

    #[test]
    fn empty_source_is_an_error() {
        let mut s = KnownSecrets::new();
        assert!(s.add_from_reader(&b"\n \n"[..], "x").is_err());
    }

    #[test]
    fn prefixed_values_need_four_body_characters() {
        let mut s = KnownSecrets::new();
        assert!(s.add(Zeroizing::new(b"cfut_Ab".to_vec()), "x", 1).is_err());
        assert!(s.add(Zeroizing::new(b"cfut_AbCd".to_vec()), "x", 1).is_ok());
    }
}
