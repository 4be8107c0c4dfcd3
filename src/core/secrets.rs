//! Known leaked values: loading them safely and holding them in memory.
//!
//! A secret is never taken from the command line (it would land in shell
//! history and `ps`): it comes from a file, from standard input (read without
//! echo on a terminal) or from an environment variable. Values live in
//! [`Zeroizing`] buffers that are wiped when dropped, and nothing here
//! formats a value: [`KnownSecrets`]'s `Debug` prints only a count, and
//! every error names a line number, never content.
//!
//! A `--secret-from` file may be a bare list of values or an env/YAML file:
//! [`value_of_line`] takes the value out of `KEY=VALUE`, `export KEY=VALUE`
//! and `KEY: VALUE` lines, so that a variable name is never hunted as a
//! secret (its leading characters would be "fragments" found in unrelated
//! files).
//!
//! Long because of its unit tests, which sit beside the code they test.

use crate::errln;
use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher;
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

/// Longest value accepted (16 KiB): the detector looks at most this far
/// ahead of where a value starts, so a longer one could not be masked
/// whole. Cloudflare credentials are a few hundred bytes at most.
pub const MAX_KNOWN_LEN: usize = 16 * 1024;

/// Why a secret could not be loaded. Never contains the value.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Reading the source failed.
    #[error("cannot read secrets from {source_name}: {error}")]
    Io {
        /// Where it was read from (a path, `stdin` or `$VAR`).
        source_name: String,
        /// The underlying error.
        error: io::Error,
    },
    /// A value is too short to hunt without matching ordinary text.
    #[error(
        "{source_name}, line {line}: value too short to hunt (needs {}+ characters, \
         or a Cloudflare prefix and {}+ more)",
        MIN_UNPREFIXED_LEN,
        MIN_PREFIXED_BODY
    )]
    TooShort {
        /// Where it was read from.
        source_name: String,
        /// 1-based line of the value.
        line: usize,
    },
    /// A value is longer than [`MAX_KNOWN_LEN`].
    #[error(
        "{source_name}, line {line}: value too long to hunt (at most {} KiB; \
         is this one value per line?)",
        MAX_KNOWN_LEN / 1024
    )]
    TooLong {
        /// Where it was read from.
        source_name: String,
        /// 1-based line of the value.
        line: usize,
    },
    /// The environment variable is not set or empty.
    #[error("environment variable {variable} is not set or is empty")]
    EnvMissing {
        /// The variable's name.
        variable: String,
    },
    /// The source held no value at all.
    #[error("{source_name} holds no secret value")]
    Empty {
        /// Where it was read from.
        source_name: String,
    },
    /// A value is a redaction marker (a vault file that was itself redacted).
    #[error(
        "{source_name}, line {line}: a redaction marker, not a secret (was this file redacted?)"
    )]
    Marker {
        /// Where it was read from.
        source_name: String,
        /// 1-based line of the value.
        line: usize,
    },
}

/// The set of known leaked values to hunt.
#[derive(Default)]
pub struct KnownSecrets {
    values: Vec<Zeroizing<Vec<u8>>>,
    /// Indexes of `values` by a keyed hash of the value, to find duplicates
    /// in constant time (the key is random per process).
    by_hash: HashMap<u64, Vec<usize>>,
    hasher: std::collections::hash_map::RandomState,
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

    /// Adds one value after checking it is long enough to hunt and no
    /// longer than [`MAX_KNOWN_LEN`]. Duplicates are ignored. Every source
    /// (file, stdin, terminal, environment) goes through here.
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
        if value.len() > MAX_KNOWN_LEN {
            return Err(SecretError::TooLong {
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
        let hash = self.hasher.hash_one(value.as_slice());
        let same = self.by_hash.entry(hash).or_default();
        if !same.iter().any(|&i| *self.values[i] == *value) {
            same.push(self.values.len());
            self.values.push(value);
        }
        Ok(())
    }

    /// Reads values, one per line: a leading UTF-8 byte order mark, `\r\n`
    /// line ends, surrounding white space, blank lines and `#` comments are
    /// skipped, and `KEY=VALUE` / `export KEY=VALUE` / `KEY: VALUE` lines
    /// give their value ([`value_of_line`]).
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
            let text = if number == 1 {
                line.strip_prefix(UTF8_BOM).unwrap_or(&line)
            } else {
                &line
            };
            if let Some(value) = value_of_line(text) {
                self.add(Zeroizing::new(value.to_vec()), source_name, number)?;
            }
        }
        if self.len() == before {
            return Err(SecretError::Empty {
                source_name: source_name.to_string(),
            });
        }
        Ok(())
    }

    /// Loads `--secret-from PATH` (`-` = standard input; without echo when
    /// standard input is a terminal). `shown` is the path as messages show
    /// it (escaped and masked by the caller: this module sits below the
    /// masking layer).
    pub fn add_from_path(&mut self, path: &Path, shown: &str) -> Result<(), SecretError> {
        if path.as_os_str() == "-" {
            return self.add_from_stdin();
        }
        let name = shown.to_string();
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
            let text = value
                .as_bytes()
                .strip_prefix(UTF8_BOM)
                .unwrap_or(value.as_bytes());
            if text.trim_ascii().is_empty() {
                break;
            }
            if let Some(value) = value_of_line(text) {
                self.add(Zeroizing::new(value.to_vec()), "terminal", number)?;
            }
        }
        if self.len() == before {
            return Err(SecretError::Empty {
                source_name: "terminal input".into(),
            });
        }
        Ok(())
    }

    /// Loads `--secret-env VAR` (the whole value, without a leading byte
    /// order mark and surrounding white space).
    pub fn add_from_env(&mut self, var: &str) -> Result<(), SecretError> {
        let value = std::env::var_os(var)
            .map(|v| Zeroizing::new(std::os::unix::ffi::OsStringExt::into_vec(v)))
            .ok_or_else(|| SecretError::EnvMissing {
                variable: var.to_string(),
            })?;
        let value = value.strip_prefix(UTF8_BOM).unwrap_or(&value).trim_ascii();
        if value.is_empty() {
            return Err(SecretError::EnvMissing {
                variable: var.to_string(),
            });
        }
        self.add(Zeroizing::new(value.to_vec()), &format!("${var}"), 1)
    }
}

/// The UTF-8 byte order mark some editors put at the start of a file.
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// The secret value on one line of a `--secret-from` source, or `None` for
/// a blank or `#` comment line.
///
/// White space around the line (and a `\r` before its `\n`) is dropped.
/// An assignment gives its value only: `KEY=VALUE` and `export KEY=VALUE`
/// (KEY a shell variable name: letters, digits and `_`, not starting with a
/// digit) and `KEY: VALUE` (KEY may also hold `-` and `.`, as YAML keys
/// do). A quoted value (`"` or `'`) is what stands between the quotes; an
/// unquoted value ends at a ` #` comment; an empty value is skipped like a
/// blank line. A line of any other form is the value itself — including a
/// base64 value ending in `=` padding (see [`assigned_value`]).
pub fn value_of_line(line: &[u8]) -> Option<&[u8]> {
    let line = line.trim_ascii();
    if line.is_empty() || line.starts_with(b"#") {
        return None;
    }
    let Some(value) = assigned_value(line) else {
        return Some(line);
    };
    let value = value.trim_ascii();
    let unquoted = match value.split_first() {
        Some((&quote @ (b'"' | b'\''), inner)) => {
            let end = inner.iter().position(|&b| b == quote);
            &inner[..end.unwrap_or(inner.len())]
        }
        _ => {
            let comment = value
                .windows(2)
                .position(|w| w[0].is_ascii_whitespace() && w[1] == b'#');
            comment.map_or(value, |i| value[..i].trim_ascii_end())
        }
    };
    (!unquoted.is_empty()).then_some(unquoted)
}

/// The text after `KEY=` / `export KEY=` / `KEY:` when `line` is such an
/// assignment.
///
/// base64 values end in `=` padding: `eyJ…==` and `eyJ…=` are values, not
/// assignments. An empty `KEY=` is an (unset) assignment only when it is
/// spelled like one: after `export`, with a space before the `=`, or with
/// an upper-case name (`CLOUDFLARE_ACCOUNT_ID=`).
fn assigned_value(line: &[u8]) -> Option<&[u8]> {
    let is_start = |b: u8| b.is_ascii_alphabetic() || b == b'_';
    let is_var = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let is_key = |b: u8| is_var(b) || b == b'-' || b == b'.';
    let (exported, rest) = match line.strip_prefix(b"export") {
        Some(after) if after.first().is_some_and(|b| b.is_ascii_whitespace()) => {
            (true, after.trim_ascii_start())
        }
        _ => (false, line),
    };
    if !rest.first().copied().is_some_and(is_start) {
        return None;
    }
    let key_len = rest.iter().take_while(|&&b| is_key(b)).count();
    let (name, after_name) = rest.split_at(key_len);
    let spaced = after_name.first().is_some_and(u8::is_ascii_whitespace);
    let after_name = after_name.trim_ascii_start();
    match after_name.split_first() {
        Some((b'=', value)) if name.iter().all(|&b| is_var(b)) => {
            let upper_case = name
                .iter()
                .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            let padding = if value.is_empty() {
                !(exported || spaced || upper_case)
            } else {
                value.iter().all(|&b| b == b'=')
            };
            (!padding).then_some(value)
        }
        Some((b':', value)) => Some(value),
        _ => None,
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

    /// The values loaded from `text`, for comparison in tests.
    fn loaded(text: &[u8]) -> Vec<Vec<u8>> {
        let mut s = KnownSecrets::new();
        s.add_from_reader(text, "t").unwrap();
        s.values().map(<[u8]>::to_vec).collect()
    }

    #[test]
    fn a_leading_byte_order_mark_is_not_part_of_the_value() {
        let value = crate::fake::FakeGen::new(1).legacy_token();
        let with_bom = format!("\u{feff}{value}\r\n");
        assert_eq!(loaded(with_bom.as_bytes()), [value.as_bytes()]);
    }

    #[test]
    fn assignments_give_their_value_never_the_variable_name() {
        let mut g = crate::fake::FakeGen::new(2);
        let values: Vec<String> = (0..8).map(|_| g.legacy_token()).collect();
        let tunnel = g.tunnel_token();
        let padded = format!("eyJ{}==", g.alnum(40));
        let padded_once = format!("eyJ{}=", g.alnum(41));
        let text = format!(
            "# CI secrets\r\n\
             CLOUDFLARE_API_TOKEN={}\r\n\
             export CF_API_TOKEN=\"{}\"\n\
             \texport  CF_TOKEN = '{}'  # rotated\n\
             cloudflare-api-token: {}\n\
             apiToken: \"{}\"\n\
             TOKEN={} # staging\n\
             CLOUDFLARE_ACCOUNT_ID=\n\
             {}\n\
             {}\n\
             KEY='{}\n\
             {}\n\
             {}\n\
             export UNSET=\n\
             lower_case =\n",
            values[0],
            values[1],
            values[2],
            values[3],
            values[4],
            values[5],
            values[6],
            padded,
            values[7],
            tunnel,
            padded_once,
        );
        let got = loaded(text.as_bytes());
        let want: Vec<&[u8]> = vec![
            values[0].as_bytes(),
            values[1].as_bytes(),
            values[2].as_bytes(),
            values[3].as_bytes(),
            values[4].as_bytes(),
            values[5].as_bytes(),
            values[6].as_bytes(),
            // base64 padding is part of the value, not an assignment
            padded.as_bytes(),
            values[7].as_bytes(),
            tunnel.as_bytes(),
            padded_once.as_bytes(),
        ];
        assert_eq!(got.len(), want.len(), "number of values loaded");
        for (i, (got, want)) in got.iter().zip(&want).enumerate() {
            assert!(got == want, "value #{i} differs from the expected one");
        }
        for name in [
            &b"CLOUDFLARE"[..],
            b"CF_API",
            b"export",
            b"apiToken",
            b"cloudflare-api",
        ] {
            assert!(
                got.iter().all(|v| !v.starts_with(name)),
                "a variable name was taken as a secret"
            );
        }
    }

    #[test]
    fn loading_100k_values_takes_linear_time() {
        let mut g = crate::fake::FakeGen::new(3);
        let mut text = String::new();
        for _ in 0..100_000 {
            text.push_str(&g.alnum(24));
            text.push('\n');
        }
        // Repeats are dropped.
        let repeated = text[..25 * 1000].to_string();
        text.push_str(&repeated);
        let mut s = KnownSecrets::new();
        s.add_from_reader(text.as_bytes(), "t").unwrap();
        assert_eq!(s.len(), 100_000);
        // Linear, counted rather than timed: each value is compared only
        // with the values of its hash bucket, and no bucket holds more than
        // a couple (the former duplicate search compared with every value).
        let largest = s.by_hash.values().map(Vec::len).max().unwrap();
        assert!(largest <= 2, "a bucket of {largest} values");
        assert_eq!(s.by_hash.values().map(Vec::len).sum::<usize>(), 100_000);
    }

    #[test]
    fn values_longer_than_the_detector_window_are_refused() {
        let mut s = KnownSecrets::new();
        let longest = "k".repeat(MAX_KNOWN_LEN);
        assert!(s.add(Zeroizing::new(longest.into_bytes()), "x", 1).is_ok());
        let too_long = format!("ok-value-1\n{}\n", "k".repeat(MAX_KNOWN_LEN + 1));
        let msg = s
            .add_from_reader(too_long.as_bytes(), "vault.txt")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("vault.txt, line 2: value too long"), "{msg}");
        assert!(msg.contains("16 KiB") && !msg.contains("kkkkkkkk"), "{msg}");
    }

    #[test]
    fn prefixed_values_need_four_body_characters() {
        let mut s = KnownSecrets::new();
        assert!(s.add(Zeroizing::new(b"cfut_Ab".to_vec()), "x", 1).is_err());
        assert!(s.add(Zeroizing::new(b"cfut_AbCd".to_vec()), "x", 1).is_ok());
    }
}
