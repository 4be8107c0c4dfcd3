//! `cfscrub token revoke` on a terminal (driven through `script`): the
//! DELETE is sent only after `yes` is typed at the prompt.

mod common;
mod mock;
use common::*;
use mock::{Mock, Reply};
use serde_json::json;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const TOKEN_ID: &str = "0123456789abcdef0123456789abcdef";
const DEADLINE: Duration = Duration::from_secs(30);

/// Runs `revoke` under `script`, answers `answer` once the prompt is shown;
/// returns everything the terminal showed.
fn revoke_on_a_terminal(mock: &Mock, admin: &str, answer: &str) -> Vec<u8> {
    let bin = assert_cmd::cargo::cargo_bin("cfscrub");
    let line = format!(
        "{} token revoke --id {TOKEN_ID} --admin-secret-env ADMIN --api-base {}",
        bin.display(),
        mock.base
    );
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("ADMIN", admin)
        .env("NO_COLOR", "1")
        .env_remove("CFSCRUB_API_BASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script (util-linux/bsdutils; bash .ci/run installs it)");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buf) {
            if tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let start = Instant::now();
    let mut screen = Vec::new();
    let mut answered = false;
    loop {
        let left = DEADLINE.saturating_sub(start.elapsed());
        assert!(!left.is_zero(), "the run did not end within {DEADLINE:?}");
        match rx.recv_timeout(left) {
            Ok(bytes) => screen.extend(bytes),
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
        }
        if !answered && String::from_utf8_lossy(&screen).contains("Type yes to confirm") {
            stdin.write_all(format!("{answer}\r").as_bytes()).unwrap();
            answered = true;
        }
    }
    assert!(answered, "the prompt was shown");
    child.wait().unwrap();
    screen
}

#[test]
fn revoke_on_a_terminal_sends_nothing_unless_yes_is_typed() {
    let mut planted = Planted::default();
    let admin = planted.add(FakeGen::new(41).scannable("cfut_", true));
    let mock = Mock::start(|_, _| Reply::ok(json!({"id": TOKEN_ID})));
    let screen = revoke_on_a_terminal(&mock, &admin, "no");
    planted.assert_absent("terminal", &screen);
    assert!(String::from_utf8_lossy(&screen).contains("nothing sent"));
    assert!(mock.seen().is_empty());
}

#[test]
fn revoke_on_a_terminal_deletes_after_yes() {
    let mut planted = Planted::default();
    let admin = planted.add(FakeGen::new(42).scannable("cfut_", true));
    let mock = Mock::start(|_, _| Reply::ok(json!({"id": TOKEN_ID})));
    let screen = revoke_on_a_terminal(&mock, &admin, "yes");
    planted.assert_absent("terminal", &screen);
    assert!(String::from_utf8_lossy(&screen).contains("revoked token"));
    let seen = mock.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "DELETE");
    assert_eq!(seen[0].url, format!("/client/v4/user/tokens/{TOKEN_ID}"));
}
