//! `cfscrub history` on a home holding one history file with fuzzed
//! content.
//!
//! History: the run never panics; a dry run changes nothing and exits 1
//! exactly when something was found; a real run leaves a text history as
//! the input with every finding replaced by the marker, a binary one with
//! same-length replacements, and anything else untouched or reported.
#![no_main]

use arbitrary::Arbitrary;
use cfscrub::core::counts::{Replacement, DEFAULT_REPLACEMENT};
use cfscrub::core::detect::Detector;
use cfscrub::core::secrets::KnownSecrets;
use cfscrub::core::sniff::{classify, has_nul, Binary, Content, HEAD_LEN};
use cfscrub::core::stream::scan_bytes;
use cfscrub::incident::history::Places;
use cfscrub::incident::history_scrub::scrub;
use cfscrub::rewrite::live_writers::LiveWriters;
use cfscrub::rewrite::RewriteOptions;
use cfscrub::source::beneath::Roots;
use cfscrub_fuzz::{masked, Text};
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

/// Where `cfscrub history` looks, relative to the home.
const HISTORIES: &[&str] = &[
    ".bash_history",
    ".zsh_history",
    ".histfile",
    ".local/share/fish/fish_history",
    ".local/share/atuin/history.db",
    ".python_history",
    ".node_repl_history",
    ".psql_history",
    ".mysql_history",
    ".sqlite_history",
    ".lesshst",
    ".viminfo",
];

#[derive(Arbitrary, Debug)]
struct Input {
    /// Which of [`HISTORIES`] holds the text.
    file: u8,
    text: Text,
    dry_run: bool,
}

/// The home: on a memory file system where there is one (the rewrite
/// fsyncs), emptied before each run.
static HOME: LazyLock<tempfile::TempDir> = LazyLock::new(|| {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .expect("a temporary home")
});

static DETECTOR: LazyLock<(Detector, Replacement)> = LazyLock::new(|| {
    let detector = Detector::new(&KnownSecrets::new());
    let replacement = Replacement::new(DEFAULT_REPLACEMENT, &detector).expect("default marker");
    (detector, replacement)
});

fn fresh_home() -> PathBuf {
    let home = HOME.path();
    for entry in std::fs::read_dir(home).expect("home readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            std::fs::remove_dir_all(&path).expect("clean home");
        } else {
            std::fs::remove_file(&path).expect("clean home");
        }
    }
    home.to_path_buf()
}

fn check_history(input: &Input) {
    let home = fresh_home();
    let name = HISTORIES[input.file as usize % HISTORIES.len()];
    let path = home.join(name);
    std::fs::create_dir_all(path.parent().expect("under the home")).unwrap();
    let before = &input.text.bytes;
    std::fs::write(&path, before).unwrap();

    let (detector, replacement) = &*DETECTOR;
    let code = history_run(&home, input.dry_run, detector, replacement);
    let after = std::fs::read(&path).unwrap();

    let findings = scan_bytes(detector, before);
    let content = classify(&before[..before.len().min(HEAD_LEN)]);
    // Text read through and redacted by rename (atuin's database always
    // same-length); binary data without a layout cfscrub knows, redacted
    // same-length. (SQLite databases, PNG images and opaque content have
    // their own paths.)
    let text = content == Content::Text && !has_nul(before);
    let plain_binary = !text && matches!(content, Content::Text | Content::Binary(Binary::Other));
    let same_length = name.ends_with("atuin/history.db");
    if input.dry_run {
        assert!(after == *before, "a dry run changed the history");
        if text || plain_binary {
            assert_eq!(code, u8::from(!findings.is_empty()), "dry-run exit code");
        }
    } else if text && !same_length {
        assert_eq!(code, 0, "exit code of a text history");
        let expected = masked(before, &findings, |_| replacement.text().to_vec());
        assert!(
            after == expected,
            "the text history is not the input with its findings replaced"
        );
    } else if text || plain_binary {
        assert_eq!(code, 0, "exit code of a same-length history");
        let expected = masked(before, &findings, |len| replacement.same_length(len));
        assert!(
            after == expected,
            "the history is not the input with same-length replacements"
        );
    } else if let Content::Opaque(_) = content {
        assert_eq!(code, 2, "exit code of a history not inspected");
        assert!(after == *before, "a history not inspected was changed");
    }
}

/// What `cfscrub history --home HOME` does to the histories, and its exit
/// code: 2 when one could not be redacted, 1 when a dry run found
/// something, else 0.
fn history_run(home: &Path, dry_run: bool, detector: &Detector, replacement: &Replacement) -> u8 {
    let live_writers = if dry_run {
        LiveWriters::default()
    } else {
        LiveWriters::snapshot()
    };
    let opts = RewriteOptions {
        detector,
        replacement,
        follow: false,
        roots: &Roots::default(),
        live_writers: &live_writers,
        keep_mtime: false,
    };
    let (mut found, mut errors) = (0, 0);
    for file in Places::new(Some(home)).histories() {
        match scrub(&file, opts, dry_run) {
            Ok(done) => found += done.counts.total(),
            Err(_) => errors += 1,
        }
    }
    if errors > 0 {
        2
    } else if dry_run && found > 0 {
        1
    } else {
        0
    }
}

fuzz_target!(|input: Input| {
    check_history(&input);
});
