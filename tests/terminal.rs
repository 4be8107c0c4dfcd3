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
        s.contains("0/1 files, ") && s.contains(" MB")
    });
    drop(writer);
    let (code, shown) = pty.finish();
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("0 findings in 0 of 1 file"), "{shown}");
}
