//! The filter between `git fast-export` and `git fast-import`: every
//! `data <n>` payload (blob contents, commit and tag messages) goes through
//! the detector and comes out with each finding replaced, under a `data`
//! line giving its new length; every other line passes through unchanged.
//!
//! Text gets the replacement text (`[REDACTED_CF_TOKEN]`); a blob holding
//! a NUL byte (binary) gets a same-length replacement, so that offsets in
//! the file stay valid. The `mark` and `original-oid` lines of each commit
//! are recorded for the old → new commit map.

use crate::core::counts::{FileCounts, Replacement};
use crate::core::detect::Detector;
use crate::core::finding::Finding;
use crate::core::stream::{Flow, Sink, StreamScanner};
use std::collections::HashMap;
use std::io::{self, BufRead, Write};

/// What the filter changed.
#[derive(Debug, Default)]
pub struct StreamStats {
    /// Blobs whose contents changed.
    pub blobs_changed: u64,
    /// Commit and tag messages that changed.
    pub messages_changed: u64,
    /// Blobs read.
    pub blobs: u64,
    /// Commits read.
    pub commits: u64,
    /// Everything masked, by kind.
    pub counts: FileCounts,
    /// Commit mark → the commit's old id.
    pub commit_marks: HashMap<u64, String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Blob,
    Commit,
    Tag,
    Other,
}

/// Copies a fast-export stream from `input` to `output`, redacting every
/// data payload. Fails on a malformed stream (a `data` line without a
/// length, a payload cut short).
pub fn rewrite_stream(
    input: &mut impl BufRead,
    output: &mut impl Write,
    detector: &Detector,
    replacement: &Replacement,
) -> io::Result<StreamStats> {
    let mut stats = StreamStats::default();
    let mut line = Vec::new();
    let mut section = Section::Other;
    let mut mark = None;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        if let Some(n) = body.strip_prefix(b"data ") {
            let n: usize = std::str::from_utf8(n)
                .ok()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| bad("a data line without a byte count"))?;
            let mut payload = vec![0; n];
            input.read_exact(&mut payload)?;
            let binary = section == Section::Blob && memchr::memchr(0, &payload).is_some();
            let (new, counts) = redact_bytes(&payload, detector, replacement, binary)?;
            if counts.total() > 0 {
                match section {
                    Section::Blob => stats.blobs_changed += 1,
                    _ => stats.messages_changed += 1,
                }
                for (k, v) in counts.by_kind {
                    *stats.counts.by_kind.entry(k).or_default() += v;
                }
            }
            writeln!(output, "data {}", new.len())?;
            output.write_all(&new)?;
            continue;
        }
        match body {
            b"blob" => {
                section = Section::Blob;
                stats.blobs += 1;
            }
            _ if body.starts_with(b"commit ") => {
                section = Section::Commit;
                stats.commits += 1;
                mark = None;
            }
            _ if body.starts_with(b"tag ") => section = Section::Tag,
            _ if body.starts_with(b"mark :") => {
                mark = std::str::from_utf8(&body[6..])
                    .ok()
                    .and_then(|m| m.parse().ok());
            }
            _ if body.starts_with(b"original-oid ") && section == Section::Commit => {
                if let Some(m) = mark {
                    let oid = String::from_utf8_lossy(&body[13..]).into_owned();
                    stats.commit_marks.insert(m, oid);
                }
            }
            _ if body.starts_with(b"reset ") || body == b"done" => section = Section::Other,
            _ => {}
        }
        output.write_all(&line)?;
    }
    output.flush()?;
    Ok(stats)
}

fn bad(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("fast-export stream: {what}"),
    )
}

/// A sink writing the data and, for each finding, the replacement (or a
/// same-length one).
struct Redactor<'a> {
    out: Vec<u8>,
    replacement: &'a Replacement,
    same_length: bool,
    counts: FileCounts,
}

impl Sink for Redactor<'_> {
    fn data(&mut self, bytes: &[u8]) -> io::Result<Flow> {
        self.out.extend_from_slice(bytes);
        Ok(Flow::Continue)
    }

    fn finding(&mut self, f: &Finding) -> io::Result<Flow> {
        self.counts.add(f);
        if self.same_length {
            self.out.extend(self.replacement.same_length(f.length));
        } else {
            self.out.extend_from_slice(self.replacement.text());
        }
        Ok(Flow::Continue)
    }
}

/// `payload` with every finding replaced, and what was replaced.
pub fn redact_bytes(
    payload: &[u8],
    detector: &Detector,
    replacement: &Replacement,
    same_length: bool,
) -> io::Result<(Vec<u8>, FileCounts)> {
    let mut sink = Redactor {
        out: Vec::with_capacity(payload.len()),
        replacement,
        same_length,
        counts: FileCounts::default(),
    };
    let mut scanner = StreamScanner::with_chunk(detector, true, payload.len().max(1));
    scanner.scan_reader(&mut &payload[..], &mut sink)?;
    Ok((sink.out, sink.counts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::counts::DEFAULT_REPLACEMENT;
    use crate::core::secrets::KnownSecrets;

    fn run(stream: &[u8]) -> (Vec<u8>, StreamStats) {
        let det = Detector::new(&KnownSecrets::new());
        let r = Replacement::new(DEFAULT_REPLACEMENT, &det).unwrap();
        let mut out = Vec::new();
        let stats = rewrite_stream(&mut &stream[..], &mut out, &det, &r).unwrap();
        (out, stats)
    }

    #[test]
    fn data_payloads_are_redacted_with_their_new_length() {
        let token = crate::fake::FakeGen::new(1).scannable("cfut_", true);
        let blob = format!("K={token}\n");
        let msg = format!("fix {token}");
        let stream = format!(
            "blob\nmark :1\ndata {}\n{blob}\ncommit refs/heads/main\nmark :2\noriginal-oid {}\ncommitter A <a@b> 1 +0000\ndata {}\n{msg}\nM 100644 :1 a\n\ndone\n",
            blob.len(),
            "ab".repeat(20),
            msg.len()
        );
        let (out, stats) = run(stream.as_bytes());
        let expect = "blob\nmark :1\ndata 22\nK=[REDACTED_CF_TOKEN]\n\ncommit refs/heads/main\nmark :2\noriginal-oid abababababababababababababababababababab\ncommitter A <a@b> 1 +0000\ndata 23\nfix [REDACTED_CF_TOKEN]\nM 100644 :1 a\n\ndone\n";
        crate::mask::sanitize::assert_same("stream", &out, expect.as_bytes());
        assert_eq!((stats.blobs_changed, stats.messages_changed), (1, 1));
        assert_eq!(stats.commit_marks[&2], "ab".repeat(20));
    }

    #[test]
    fn binary_blobs_keep_their_length() {
        let token = crate::fake::FakeGen::new(2).scannable("cfut_", true);
        let mut blob = b"\0\x01".to_vec();
        blob.extend_from_slice(token.as_bytes());
        let mut stream = format!("blob\nmark :1\ndata {}\n", blob.len()).into_bytes();
        stream.extend_from_slice(&blob);
        stream.extend_from_slice(b"\n");
        let (out, _) = run(&stream);
        let head = format!(
            "blob\nmark :1\ndata {}\n\0\x01[REDACTED_CF_TOKEN]",
            blob.len()
        );
        assert!(out.starts_with(head.as_bytes()));
        assert_eq!(out.len(), stream.len());
    }

    #[test]
    fn a_truncated_payload_is_an_error() {
        let det = Detector::new(&KnownSecrets::new());
        let r = Replacement::new(DEFAULT_REPLACEMENT, &det).unwrap();
        let err = rewrite_stream(&mut &b"blob\ndata 10\nabc"[..], &mut Vec::new(), &det, &r);
        assert!(err.is_err());
    }
}
