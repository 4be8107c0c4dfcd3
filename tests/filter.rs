//! End-to-end tests of `cfscrub filter` and `cfscrub run`: chunking,
//! latency, pass-through, bounded memory, exit status, signals, no leak.

mod common;
use common::*;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn spawn(args: &[&str]) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("cfscrub"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Reads from the child's stdout until `want` bytes arrived, or fails after
/// a generous timeout (a hang means the filter held the data back).
fn read_exactly(out: &mut std::process::ChildStdout, want: usize) -> Vec<u8> {
    let (tx, rx) = mpsc::channel();
    let mut pipe = unsafe { std::fs::File::from_raw_fd_dup(out) };
    std::thread::spawn(move || {
        let mut buf = vec![0; want];
        let r = pipe.read_exact(&mut buf).map(|_| buf);
        let _ = tx.send(r);
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the filter held the data back")
        .unwrap()
}

trait DupFd {
    unsafe fn from_raw_fd_dup(out: &std::process::ChildStdout) -> std::fs::File;
}

impl DupFd for std::fs::File {
    unsafe fn from_raw_fd_dup(out: &std::process::ChildStdout) -> std::fs::File {
        use std::os::fd::{AsRawFd, FromRawFd};
        std::fs::File::from_raw_fd(libc::dup(out.as_raw_fd()))
    }
}

#[test]
fn a_token_written_one_byte_at_a_time_is_masked() {
    let mut g = FakeGen::new(1);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let mut child = spawn(&["filter"]);
    let mut stdin = child.stdin.take().unwrap();
    for b in format!("a {token} b\n").bytes() {
        stdin.write_all(&[b]).unwrap();
        wait_until_read(&stdin); // so each byte comes in a read of its own
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    p.assert_absent("filter stdout", &out.stdout);
    assert_same(
        "byte-at-a-time output",
        &out.stdout,
        b"a [REDACTED_CF_TOKEN] b\n",
    );
}

#[test]
fn a_split_at_every_offset_is_masked() {
    let mut g = FakeGen::new(2);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfat_", true));
    let input = format!("x=\x1b[33m{token}\x1b[0m\r\n");
    for k in 0..=input.len() {
        let mut child = spawn(&["filter"]);
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&input.as_bytes()[..k]).unwrap();
        wait_until_read(&stdin); // so the split is a split between reads
        stdin.write_all(&input.as_bytes()[k..]).unwrap();
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        p.assert_absent(&format!("split at {k}"), &out.stdout);
        assert_same(
            &format!("split at {k}"),
            &out.stdout,
            b"x=\x1b[33m[REDACTED_CF_TOKEN]\x1b[0m\r\n",
        );
    }
}

#[test]
fn a_line_comes_out_before_the_next_write() {
    let mut child = spawn(&["filter"]);
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    stdin.write_all(b"first line\n").unwrap();
    stdin.flush().unwrap();
    assert_eq!(read_exactly(&mut stdout, 11), b"first line\n");
    // A prompt or progress bar without a newline is released too, but for
    // the bytes that could start a token (`cf`).
    stdin.write_all(b"progress 42% cf").unwrap();
    stdin.flush().unwrap();
    assert_eq!(read_exactly(&mut stdout, 13), b"progress 42% ");
    stdin.write_all(b"g done\n").unwrap();
    drop(stdin);
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).unwrap();
    assert_eq!(rest, b"cfg done\n");
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_hundred_megabyte_line_streams_in_bounded_memory() {
    let mut g = FakeGen::new(3);
    let token = g.scannable("cfk_", true);
    let mut child = spawn(&["filter"]);
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut total = 0usize;
        let mut masked = 0usize;
        let mut buf = vec![0; 1 << 16];
        let mut tail = Vec::new();
        loop {
            let n = stdout.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            tail.extend_from_slice(&buf[..n]);
            masked += tail
                .windows(19)
                .filter(|w| w == b"[REDACTED_CF_TOKEN]")
                .count();
            let keep = tail.len().min(18);
            tail.drain(..tail.len() - keep);
            total += n;
        }
        (total, masked)
    });
    let chunk = vec![b'x'; 1 << 20];
    let mut peak_kib = 0u64;
    for i in 0..100 {
        stdin.write_all(&chunk).unwrap();
        if i % 10 == 0 {
            stdin.write_all(format!(" {token} ").as_bytes()).unwrap();
        }
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if let Some(hwm) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
            peak_kib = peak_kib.max(
                hwm.trim()
                    .trim_end_matches(" kB")
                    .trim()
                    .parse()
                    .unwrap_or(0),
            );
        }
    }
    drop(stdin);
    let (total, masked) = reader.join().unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(masked, 10);
    assert_eq!(
        total,
        100 * (1 << 20) + 10 * (2 + "[REDACTED_CF_TOKEN]".len())
    );
    assert!(
        peak_kib > 0 && peak_kib < 64 * 1024,
        "peak RSS {peak_kib} KiB"
    );
}

#[test]
fn findings_far_apart_and_close_together_come_out_masked_in_order() {
    // Gaps around the size from which the masker writes data straight
    // from its buffer (64 KiB): pieces written directly and pieces gathered
    // with the replacements must keep their order.
    let mut g = FakeGen::new(12);
    let mut p = Planted::default();
    let (mut input, mut expected) = (Vec::new(), Vec::new());
    for gap in [10, 300_000, 5, 70_000, 65_535, 65_536, 1, 200_000, 3] {
        let filler: Vec<u8> = (0..gap)
            .map(|i| {
                if i % 40 == 39 {
                    b'\n'
                } else {
                    b'a' + (i % 26) as u8
                }
            })
            .collect();
        let token = p.add(g.scannable("cfut_", true));
        for out in [&mut input, &mut expected] {
            out.extend_from_slice(&filler);
            out.push(b' ');
        }
        input.extend_from_slice(token.as_bytes());
        expected.extend_from_slice(b"[REDACTED_CF_TOKEN]");
        input.push(b' ');
        expected.push(b' ');
    }
    for (args, code) in [(&["filter"][..], 0), (&["filter", "--fail-on-find"][..], 1)] {
        let ran = run(cfscrub().args(args).write_stdin(input.clone())).expect(code);
        check_no_leak(&p, "filter", &ran);
        assert_same("masked stream", &ran.stdout, &expected);
    }
}

#[test]
fn masked_output_filtered_again_is_unchanged() {
    // A Global API Key after `X-Auth-Key`, then a generic `--api-token`
    // value: masking the key must not make the marker a Cloudflare mention
    // that turns the next line into a finding (redact verifies by scanning
    // what it wrote, and refused such files).
    let mut fake = FakeGen::new(41);
    let mut p = Planted::default();
    let key = p.add(fake.hex(37));
    let generic = fake.alnum(40);
    let input = format!("X-Auth-Key: {key}\n--api-token {generic}\n");
    let once = run(cfscrub().arg("filter").write_stdin(input.clone())).expect(0);
    check_no_leak(&p, "filter", &once);
    assert!(!once.stdout.windows(key.len()).any(|w| w == key.as_bytes()));
    let twice = run(cfscrub().arg("filter").write_stdin(once.stdout.clone())).expect(0);
    assert_same("filtered twice", &twice.stdout, &once.stdout);
}

/// A long build log with a token every 10,000 lines, and the same log
/// masked.
fn long_log_with_tokens(p: &mut Planted) -> (String, String) {
    let mut fake = FakeGen::new(42);
    let (mut input, mut expected) = (String::new(), String::new());
    for i in 0..120_000 {
        let line = format!("line {i} of a long build log, nothing secret here\n");
        input.push_str(&line);
        expected.push_str(&line);
        if i % 10_000 == 0 {
            let token = p.add(fake.scannable("cfut_", true));
            input.push_str(&format!("export CLOUDFLARE_API_TOKEN={token}\n"));
            expected.push_str("export CLOUDFLARE_API_TOKEN=[REDACTED_CF_TOKEN]\n");
        }
    }
    (input, expected)
}

/// A pipe whose write end is non-blocking, as a CI runner may leave the
/// pipe it shares, and a second handle on that end to see when it is full.
fn non_blocking_pipe() -> (
    std::io::PipeReader,
    std::io::PipeWriter,
    std::io::PipeWriter,
) {
    use std::os::fd::AsRawFd;
    let (reader, writer) = std::io::pipe().unwrap();
    // SAFETY: fcntl on a descriptor this test owns.
    unsafe {
        let flags = libc::fcntl(writer.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(writer.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    let probe = writer.try_clone().unwrap();
    (reader, writer, probe)
}

/// Waits, reading nothing, until the pipe behind `probe` has no room (the
/// writer's next write meets EAGAIN) or `child` has ended.
fn wait_until_full(probe: std::io::PipeWriter, child: &mut Child) {
    use std::os::fd::AsRawFd;
    wait_until("the output pipe is full or the command ended", || {
        let mut room = libc::pollfd {
            fd: probe.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: one pollfd, no waiting.
        let ready = unsafe { libc::poll(&mut room, 1, 0) };
        ready == 0 || child.try_wait().unwrap().is_some()
    });
}

/// Reads `reader` to its end on a thread of its own.
fn read_in_background(mut reader: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut all = Vec::new();
        reader.read_to_end(&mut all).unwrap();
        let _ = tx.send(all);
    });
    rx
}

/// What [`read_in_background`] read, failing after 120 s: a cfscrub that
/// hangs fails the test instead of hanging it.
fn read_all(what: &str, read: mpsc::Receiver<Vec<u8>>) -> Vec<u8> {
    read.recv_timeout(Duration::from_secs(120))
        .unwrap_or_else(|_| panic!("{what} did not end within 120 s"))
}

#[test]
fn a_non_blocking_output_that_fills_up_is_waited_for() {
    // When the reader is slow, writes fail with EAGAIN, and the filter must
    // wait, not stop.
    let mut p = Planted::default();
    let (input, expected) = long_log_with_tokens(&mut p);
    let (reader, writer, probe) = non_blocking_pipe();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("cfscrub"))
        .arg("filter")
        .stdin(Stdio::piped())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    wait_until_full(probe, &mut child);
    let out = read_all("the filtered stream", read_in_background(reader));
    feeder.join().unwrap().unwrap();
    let err = read_all(
        "filter's stderr",
        read_in_background(child.stderr.take().unwrap()),
    );
    let status = child.wait().unwrap();
    p.assert_absent("stdout", &out);
    p.assert_absent("stderr", &err);
    assert!(
        status.success(),
        "filter stopped: {}",
        String::from_utf8_lossy(&err)
    );
    assert_same("masked stream", &out, expected.as_bytes());
}

/// Starts cfscrub with `args` and, last, the path of a file holding
/// `log` (the tree holding it is returned, to live as long as the run), its
/// stdout and stderr on `outputs`.
fn run_over_log(
    log: &str,
    args: &[&str],
    outputs: (std::io::PipeWriter, std::io::PipeWriter),
) -> (Child, Tree) {
    let t = Tree::new();
    let path = t.write("build.log", log);
    let child = Command::new(assert_cmd::cargo::cargo_bin("cfscrub"))
        .args(args)
        .arg(&path)
        .stdout(outputs.0)
        .stderr(outputs.1)
        .spawn()
        .unwrap();
    (child, t)
}

#[test]
fn run_waits_on_non_blocking_outputs_that_fill_up() {
    // The same for `run`, on both streams: the command writes the log to
    // its stdout, then to its stderr; each of cfscrub's outputs is a
    // non-blocking pipe left unread until full.
    let mut p = Planted::default();
    let (input, expected) = long_log_with_tokens(&mut p);
    let (out_reader, out_writer, out_probe) = non_blocking_pipe();
    let (err_reader, err_writer, err_probe) = non_blocking_pipe();
    let (mut child, _t) = run_over_log(
        &input,
        &["run", "--", "sh", "-c", "cat \"$1\"; cat \"$1\" >&2", "sh"],
        (out_writer, err_writer),
    );
    wait_until_full(out_probe, &mut child);
    let out = read_in_background(out_reader);
    wait_until_full(err_probe, &mut child);
    let err = read_all("run's stderr", read_in_background(err_reader));
    let out = read_all("run's stdout", out);
    let status = child.wait().unwrap();
    p.assert_absent("stdout", &out);
    p.assert_absent("stderr", &err);
    assert!(status.success(), "run failed");
    assert_same("masked stdout", &out, expected.as_bytes());
    assert_same("masked stderr", &err, expected.as_bytes());
}

/// Whether process `pid` has a single thread left and it sleeps: `run`
/// past joining its stream and signal threads, blocked writing.
fn sleeps_alone(pid: u32) -> bool {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).map(|d| d.count());
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The state follows the command name's closing parenthesis.
    let state = stat
        .rsplit_once(") ")
        .and_then(|(_, rest)| rest.chars().next());
    tasks.is_ok_and(|n| n == 1) && state == Some('S')
}

#[test]
fn run_waits_to_write_its_summary_on_a_full_non_blocking_stderr() {
    use std::os::fd::AsRawFd;
    // stderr is full before cfscrub starts, and read only once cfscrub has
    // written the masked log and either exited or blocked: the summary line
    // meets a full pipe and must wait for room, and come whole.
    let mut p = Planted::default();
    let (input, expected) = long_log_with_tokens(&mut p);
    let (out_reader, out_writer, _) = non_blocking_pipe();
    let (err_reader, err_writer, filler) = non_blocking_pipe();
    let page = [b'.'; 4096];
    let mut filled = 0;
    // SAFETY: write(2) of a valid buffer to a descriptor this test owns.
    while unsafe { libc::write(filler.as_raw_fd(), page.as_ptr().cast(), page.len()) } > 0 {
        filled += page.len();
    }
    drop(filler);
    let (mut child, _t) = run_over_log(
        &input,
        &["run", "--summary", "--", "sh", "-c", "cat \"$1\"", "sh"],
        (out_writer, err_writer),
    );
    // The whole masked log on stdout (its end comes only when cfscrub
    // exits, after the summary), then stderr.
    let (tx, rx) = mpsc::channel();
    let log_len = expected.len();
    std::thread::spawn(move || {
        let mut reader = out_reader;
        let mut log = vec![0; log_len];
        reader.read_exact(&mut log).unwrap();
        let _ = tx.send((log, reader));
    });
    let (out, rest) = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("run's stdout did not arrive within 120 s");
    // Read stderr only once cfscrub has ended (it dropped the summary) or
    // sleeps with its other threads gone (it waits to write the summary).
    let pid = child.id();
    wait_until("cfscrub exits or waits alone to write its summary", || {
        child.try_wait().unwrap().is_some() || sleeps_alone(pid)
    });
    let err = read_all("run's stderr", read_in_background(err_reader));
    let after = read_all("the end of run's stdout", read_in_background(rest));
    assert!(after.is_empty(), "more on stdout than the masked log");
    let status = child.wait().unwrap();
    p.assert_absent("stdout", &out);
    p.assert_absent("stderr", &err);
    assert!(status.success(), "run failed");
    assert_same("masked stdout", &out, expected.as_bytes());
    assert!(
        err[..filled].iter().all(|&b| b == b'.'),
        "the filler was overwritten"
    );
    let summary = String::from_utf8_lossy(&err[filled..]);
    assert!(
        summary.starts_with("cfscrub run: masked 12 credential(s)") && summary.ends_with('\n'),
        "the summary line is missing or cut: {summary:?}"
    );
}

#[test]
fn binary_bytes_without_tokens_pass_through_unchanged() {
    let mut rng = fastrand::Rng::with_seed(4);
    let input: Vec<u8> = (0..(4 << 20)).map(|_| rng.u8(..)).collect();
    let ran = run(cfscrub().arg("filter").write_stdin(input.clone())).expect(0);
    assert_eq!(ran.stdout.len(), input.len());
    assert!(ran.stdout == input, "binary input was altered");
}

#[test]
fn fail_on_find_summary_and_github_annotation() {
    let mut g = FakeGen::new(5);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let input = format!("deploy {token}\n");
    let ran = run(cfscrub().arg("filter").write_stdin(input.clone())).expect(0);
    assert!(ran.stderr.is_empty(), "no summary without --summary");
    let ran = run(cfscrub()
        .args(["filter", "--fail-on-find", "--summary"])
        .env("GITHUB_ACTIONS", "true")
        .write_stdin(input));
    p.assert_absent("filter stdout", &ran.stdout);
    p.assert_absent("filter stderr", &ran.stderr);
    let ran = ran.expect(1);
    assert!(
        ran.stderr()
            .contains("masked 1 credential(s): 1 cloudflare-user-token"),
        "{}",
        ran.stderr()
    );
    assert!(
        ran.stdout()
            .contains("::warning title=cfscrub::1 Cloudflare credential(s)"),
        "{}",
        ran.stdout()
    );
    assert!(!ran.stdout().contains("::add-mask::"));
    run(cfscrub()
        .args(["filter", "--fail-on-find"])
        .write_stdin("clean\n"))
    .expect(0);
}

#[test]
fn secret_env_masks_a_legacy_value_and_its_fragments() {
    let mut g = FakeGen::new(6);
    let mut p = Planted::default();
    let legacy = p.add(g.legacy_token());
    let input = format!(
        "token is {legacy}\nprefix {}... shown\nnot {}XYZ\n",
        &legacy[..9],
        &legacy[..9]
    );
    let ran = run(cfscrub()
        .env("CLOUDFLARE_API_TOKEN", &legacy)
        .args(["filter", "--secret-env", "CLOUDFLARE_API_TOKEN"])
        .write_stdin(input));
    let ran = ran.expect(0);
    let (masked, glued) = ran.stdout.split_at(ran.stdout.len() - 17);
    p.assert_absent("filter stdout", masked);
    assert_eq!(
        masked,
        b"token is [REDACTED_CF_TOKEN]\nprefix [REDACTED_CF_TOKEN]... shown\n"
    );
    assert!(
        glued == format!("not {}XYZ\n", &legacy[..9]).as_bytes(),
        "a glued run is not a fragment"
    );
}

#[test]
fn run_masks_both_streams_separately_and_keeps_the_exit_status() {
    let mut g = FakeGen::new(7);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let script = format!("echo out {token}; echo err {token} >&2; exit 7");
    let ran = run(cfscrub().args(["run", "--summary", "--", "sh", "-c", &script]));
    p.assert_absent("run stdout", &ran.stdout);
    p.assert_absent("run stderr", &ran.stderr);
    let ran = ran.expect(7);
    assert_same("run stdout", &ran.stdout, "out [REDACTED_CF_TOKEN]\n");
    assert!(
        ran.stderr().starts_with("err [REDACTED_CF_TOKEN]\n"),
        "{}",
        ran.stderr()
    );
    assert!(ran.stderr().contains("masked 2 credential(s)"));
    run(cfscrub().args(["run", "--", "sh", "-c", "kill -KILL $$"])).expect(128 + 9);
    run(cfscrub().args(["run", "--", "/nonexistent/program"])).expect(127);
}

#[test]
fn run_exits_127_for_a_missing_command_and_126_for_one_not_executable() {
    let t = Tree::new();
    let missing = run(cfscrub().args(["run", "--"]).arg(t.join("no-such-command"))).expect(127);
    assert!(
        missing.stderr().contains("cannot run"),
        "{}",
        missing.stderr()
    );
    run(cfscrub().args(["run", "--", "cfscrub-no-such-command-on-path"])).expect(127);
    let script = t.write("not-executable.sh", "#!/bin/sh\necho hi\n");
    run(cfscrub().args(["run", "--"]).arg(&script)).expect(126);
    run(cfscrub().args(["run", "--"]).arg(t.path())).expect(126);
}

#[test]
fn run_forwards_sigterm_to_the_command() {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("cfscrub"))
        .args([
            "run",
            "--",
            "sh",
            "-c",
            "trap 'echo got TERM; exit 42' TERM; echo ready; while :; do sleep 0.05; done",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    assert_eq!(read_exactly(&mut stdout, 6), b"ready\n");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "got TERM\n");
    assert_eq!(child.wait().unwrap().code(), Some(42));
}

proptest::proptest! {
    #[test]
    fn random_bytes_pass_through_byte_identical(input in proptest::collection::vec(proptest::num::u8::ANY, 0..4096)) {
        use cfscrub::core::{counts::Replacement, detect::Detector, secrets::KnownSecrets};
        let detector = Detector::new(&KnownSecrets::new());
        proptest::prop_assume!(cfscrub::core::stream::scan_bytes(&detector, &input).is_empty());
        let replacement = Replacement::new("[REDACTED_CF_TOKEN]", &detector).unwrap();
        let mut out = Vec::new();
        cfscrub::mask::masker::mask_stream(&detector, &replacement, &mut &input[..], &mut out).unwrap();
        proptest::prop_assert!(out == input, "output differs from input");
    }
}

#[test]
fn secret_from_stdin_is_refused_where_stdin_is_the_stream() {
    let ran = run(cfscrub()
        .args(["filter", "--secret-from", "-"])
        .write_stdin("x\n"))
    .expect(2);
    assert!(
        ran.stderr().contains("--secret-from FILE"),
        "{}",
        ran.stderr()
    );
    run(cfscrub()
        .args(["scan", "--secret-from", "-", "-"])
        .write_stdin("x\n"))
    .expect(2);
}
