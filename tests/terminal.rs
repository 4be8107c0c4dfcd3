//! What cfscrub shows on a terminal: the progress line, the hints of the
//! commands that read stdin. Each runs under `script` (a real pty) and
//! waits on what the terminal shows, within a deadline.

mod common;
use common::pty::Pty;
use common::{mkfifo, Tree};
use std::io::Write;

fn bin() -> String {
    assert_cmd::cargo::cargo_bin("cfscrub")
        .display()
        .to_string()
}

#[test]
fn progress_counts_the_bytes_of_one_stream_as_they_are_read() {
    let t = Tree::new();
    let fifo = t.join("in");
    mkfifo(&fifo);
    let pty = Pty::start(&format!("'{}' scan - < '{}'", bin(), fifo.display()), &[]);
    // Opening blocks until the shell opens the FIFO for cfscrub's stdin.
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    writer.write_all(&vec![b'x'; 3_000_000]).unwrap();
    // The stream is still open: the file is not done, its bytes show.
    pty.wait_for("a progress line counting megabytes", |s| {
        s.contains("cfscrub: 0 files, ") && s.contains(" MB")
    });
    drop(writer);
    let (code, shown) = pty.finish();
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("0 findings in 0 of 1 file"), "{shown}");
}

#[test]
fn diagnose_on_a_terminal_says_it_reads_the_log_from_it() {
    let pty = Pty::start(&format!("'{}' diagnose", bin()), &[]);
    pty.wait_for("the diagnose hint", |s| {
        s.contains("paste it, then press Ctrl-D")
    });
    let (code, shown) = pty.finish();
    // Nothing pasted: no error found, and the message names stdin, not `-`.
    assert_eq!(code, Some(1), "{shown}");
    assert!(shown.contains("in standard input."), "{shown}");
}

#[test]
fn filter_on_a_terminal_says_what_it_is_for() {
    let pty = Pty::start(&format!("'{}' filter", bin()), &[]);
    pty.wait_for("the filter hint", |s| {
        s.contains("COMMAND 2>&1 | cfscrub filter")
    });
    let (code, _) = pty.finish();
    assert_eq!(code, Some(0));
}

#[test]
fn no_hint_when_stdin_is_not_a_terminal() {
    for command in ["diagnose", "filter"] {
        let ran = common::run(common::cfscrub().arg(command).write_stdin("hello\n"));
        assert!(
            !ran.stderr().contains("Ctrl-D"),
            "{command}: {}",
            ran.stderr()
        );
    }
}
