//! The baseline: findings accepted once, so that `scan` reports only new ones.
//!
//! Owns the baseline file's format, reading it, writing it
//! (`scan --write-baseline FILE`) and the [`Screen`] sink that drops
//! accepted findings and records findings for a new baseline.
//!
//! An entry is keyed by path, kind and fingerprint — no line or column, so
//! editing a file does not make its accepted findings new again. Paths are
//! relative to the directory that holds the baseline file (absolute when
//! the file lies outside it), escaped and masked as cfscrub prints them.
//! A finding without a fingerprint (a partial, a value too short to
//! fingerprint safely) cannot be told apart from a new one: it is never
//! accepted, and `--write-baseline` counts it as left out.
//!
//! The file is JSON, sorted, one entry per line, written crash-safely
//! (temp file, fsync, rename, directory fsync).

use crate::core::finding::{Finding, Fingerprint};
use crate::core::stream::{Flow, Sink};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The format marker and version written at the top of the file.
const FORMAT: &str = "cfscrub-baseline-v1";

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The path, relative to the baseline's directory, as printed.
    pub path: String,
    /// The kind id (`cloudflare-user-token`).
    pub kind: String,
    /// The fingerprint, 16 hex digits.
    pub fingerprint: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: String,
    findings: Vec<Entry>,
}

/// How findings' paths are keyed: relative to one directory.
#[derive(Debug, Clone)]
pub struct Keys {
    dir: PathBuf,
}

impl Keys {
    /// Keys relative to the directory of the baseline file `file`.
    pub fn for_file(file: &Path) -> Result<Keys> {
        let abs = std::path::absolute(file).context("cannot resolve the baseline's path")?;
        let dir = abs.parent().unwrap_or(Path::new("/")).to_path_buf();
        Ok(Keys { dir })
    }

    /// The key of `path` (`-` for standard input).
    pub fn key(&self, path: Option<&Path>) -> String {
        let Some(path) = path else {
            return "-".to_string();
        };
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let rel = abs.strip_prefix(&self.dir).unwrap_or(&abs);
        crate::mask::sanitize::display_path(rel)
    }

    fn entry(key: &str, f: &Finding) -> Option<Entry> {
        Some(Entry {
            path: key.to_string(),
            kind: f.kind.id().to_string(),
            fingerprint: f.fingerprint?.to_string(),
        })
    }
}

/// A loaded baseline.
#[derive(Debug)]
pub struct Baseline {
    /// How its paths are keyed.
    pub keys: Keys,
    entries: HashSet<Entry>,
}

impl Baseline {
    /// Reads the baseline file at `path`.
    pub fn load(path: &Path) -> Result<Baseline> {
        let shown = crate::mask::sanitize::display_path(path);
        let text = std::fs::read_to_string(path).with_context(|| format!("baseline {shown}"))?;
        let file: File = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("baseline {shown}:{}:{}: {e}", e.line(), e.column()))?;
        if file.format != FORMAT {
            anyhow::bail!("baseline {shown}: not a {FORMAT} file");
        }
        for entry in &file.findings {
            if entry.fingerprint.parse::<Fingerprint>().is_err() {
                anyhow::bail!("baseline {shown}: an entry's fingerprint is not 16 hex digits");
            }
        }
        Ok(Baseline {
            keys: Keys::for_file(path)?,
            entries: file.findings.into_iter().collect(),
        })
    }

    /// Whether `f`, found in the file keyed `key`, is accepted.
    pub fn accepts(&self, key: &str, f: &Finding) -> bool {
        Keys::entry(key, f).is_some_and(|e| self.entries.contains(&e))
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Collects the findings of a run for a new baseline file.
#[derive(Debug)]
pub struct Recorder {
    /// How paths are keyed (relative to the new file's directory).
    pub keys: Keys,
    entries: Mutex<BTreeSet<Entry>>,
    unkeyed: AtomicU64,
}

impl Recorder {
    /// A recorder for the baseline file to be written at `path`.
    pub fn new(path: &Path) -> Result<Recorder> {
        Ok(Recorder {
            keys: Keys::for_file(path)?,
            entries: Mutex::new(BTreeSet::new()),
            unkeyed: AtomicU64::new(0),
        })
    }

    fn record(&self, key: &str, f: &Finding) {
        match Keys::entry(key, f) {
            Some(e) => {
                self.entries
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(e);
            }
            None => {
                self.unkeyed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Writes the baseline crash-safely at `path`; returns (entries
    /// written, findings left out for want of a fingerprint).
    pub fn write(&self, path: &Path) -> Result<(usize, u64)> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mut text = format!("{{\"format\": \"{FORMAT}\", \"findings\": [");
        for (i, e) in entries.iter().enumerate() {
            text.push_str(if i == 0 { "\n  " } else { ",\n  " });
            text.push_str(&serde_json::to_string(e).expect("strings serialise"));
        }
        text.push_str(if entries.is_empty() { "]}\n" } else { "\n]}\n" });
        let shown = crate::mask::sanitize::display_path(path);
        write_atomically(path, text.as_bytes())
            .with_context(|| format!("cannot write the baseline {shown}"))?;
        Ok((entries.len(), self.unkeyed.load(Ordering::Relaxed)))
    }
}

/// Temp file beside `path`, fsync, rename over it, fsync the directory.
/// Only a regular file (or nothing) is replaced: a rename over a link or a
/// device (`/dev/stdout`, `/dev/null`) would replace the link or the device.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => {
            return Err(io::Error::other(
                "not a regular file: refused (a baseline is written to a file of its own)",
            ))
        }
        _ => {}
    }
    let abs = std::path::absolute(path)?;
    let dir = abs.parent().unwrap_or(Path::new("/"));
    let mut tmp = tempfile::Builder::new()
        .prefix(".cfscrub-baseline.")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&abs).map_err(|e| e.error)?;
    std::fs::File::open(dir)?.sync_all()
}

/// A [`Sink`] in front of a file's report: records every finding for a
/// new baseline, then drops those the current baseline accepts.
pub struct Screen<'a> {
    inner: &'a mut dyn Sink,
    accept: Option<(&'a Baseline, String)>,
    record: Option<(&'a Recorder, String)>,
    /// Findings dropped because the baseline accepts them.
    pub accepted: u64,
}

impl<'a> Screen<'a> {
    /// Screens the findings of the file at `path` (`None`: stdin).
    pub fn new(
        inner: &'a mut dyn Sink,
        path: Option<&Path>,
        baseline: Option<&'a Baseline>,
        recorder: Option<&'a Recorder>,
    ) -> Screen<'a> {
        Screen {
            inner,
            accept: baseline.map(|b| (b, b.keys.key(path))),
            record: recorder.map(|r| (r, r.keys.key(path))),
            accepted: 0,
        }
    }
}

impl Sink for Screen<'_> {
    fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
        self.inner.data(bytes)
    }

    fn finding(&mut self, f: &Finding) -> io::Result<Flow> {
        if let Some((recorder, key)) = &self.record {
            recorder.record(key, f);
        }
        if let Some((baseline, key)) = &self.accept {
            if baseline.accepts(key, f) {
                self.accepted += 1;
                return Ok(Flow::Continue);
            }
        }
        self.inner.finding(f)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }
}
