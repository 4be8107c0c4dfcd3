//! End-to-end tests of the "not inspected" accounting: content cfscrub
//! cannot see through (7z, a git object database; compressed files,
//! archives and UTF-16 for `redact`)
//! is listed, counted and never called clean, and `redact` counts what it
//! refused to rewrite as remaining.

mod common;
use common::*;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs an external tool and requires success (bash .ci/run installs them).
/// A failure names the program only (its arguments may hold a token) and
/// shows its stderr masked.
fn tool(cmd: &mut Command) {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{program} did not start ({e}); bash .ci/run installs it"));
    assert!(
        out.status.success(),
        "{program} failed: {}",
        cfscrub::mask::sanitize::mask_text(&String::from_utf8_lossy(&out.stderr))
    );
}

/// The line `cfscrub` prints on stderr for a path not inspected.
fn not_inspected_line(path: &Path, reason: &str) -> String {
    format!("cfscrub: not inspected: {} ({reason})\n", path.display())
}

/// A tree with an already-clean log and `rel`, made by `make` from a log
/// holding a token (written outside the tree).
fn tree_with(rel: &str, seed: u64, make: impl FnOnce(&Path, &Path)) -> (Tree, Planted) {
    let t = Tree::new();
    let src = Tree::new();
    let mut g = FakeGen::new(seed);
    let mut p = Planted::default();
    t.write(
        "app.log",
        "deploy: CLOUDFLARE_API_TOKEN=[REDACTED_CF_TOKEN]\n",
    );
    let plain = src.write("app.log", leaked_log(&mut g, &mut p));
    make(&plain, &t.join(rel));
    (t, p)
}

/// `verify` over the tree: exit 2 (nothing found, something not
/// inspected), `rel` listed with `reason`, in human and JSON output.
fn assert_verify_incomplete(t: &Tree, p: &Planted, rel: &str, reason: &str) {
    let ran = run(cfscrub().arg("verify").arg(t.path())).expect(2);
    check_no_leak(p, "verify", &ran);
    let err = ran.stderr();
    assert!(
        err.contains(&not_inspected_line(&t.join(rel), reason)),
        "{err}"
    );
    assert!(
        err.contains("verification incomplete: 1 not inspected"),
        "{err}"
    );
    let ran = run(cfscrub().args(["verify", "--format", "json"]).arg(t.path())).expect(2);
    check_no_leak(p, "verify --format json", &ran);
    assert_eq!(
        uninspected(&ran.stdout),
        [json!({"type": "uninspected", "path": t.join(rel), "reason": reason})]
    );
    let summary = json_lines(&ran.stdout).pop().unwrap();
    assert_eq!(
        (summary["findings"].clone(), summary["uninspected"].clone()),
        (json!(0), json!(1))
    );
}

/// A 7-Zip archive as far as the sniffer can tell: its signature, then
/// the log compressed (so its raw bytes do not show the token).
fn seven_zip(src: &Path, dest: &Path) {
    let out = Command::new("xz")
        .arg("-c")
        .arg(src)
        .output()
        .expect("xz runs (bash .ci/run installs it)");
    assert!(out.status.success());
    let mut bytes = b"7z\xbc\xaf\x27\x1c\x00\x04".to_vec();
    bytes.extend(out.stdout);
    std::fs::write(dest, bytes).unwrap();
}

#[test]
fn verify_does_not_call_a_7z_archive_clean() {
    let (t, p) = tree_with("logs.7z", 7, seven_zip);
    assert_verify_incomplete(&t, &p, "logs.7z", "7z");
}

/// Runs git in `dir` with no user or system configuration.
fn git(dir: &Path, args: &[&str]) {
    tool(
        Command::new("git")
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .args([
                "-c",
                "user.name=cfscrub test",
                "-c",
                "user.email=test@example.invalid",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args),
    );
}

#[test]
fn a_git_object_database_is_one_not_inspected_entry_and_git_config_is_scanned() {
    let t = Tree::new();
    let mut g = FakeGen::new(10);
    let mut p = Planted::default();
    let repo = t.join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    // A token committed, then deleted: it lives on only in the objects.
    std::fs::write(repo.join("deploy.env"), leaked_log(&mut g, &mut p)).unwrap();
    std::fs::write(repo.join("README"), "app\n").unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "deploy"]);
    git(&repo, &["rm", "-q", "deploy.env"]);
    git(&repo, &["commit", "-q", "-m", "oops"]);
    let entry = not_inspected_line(&repo.join(".git"), "git object database");

    let ran = run(cfscrub().arg("verify").arg(t.path())).expect(2);
    check_no_leak(&p, "verify", &ran);
    let err = ran.stderr();
    assert!(err.contains(&entry), "{err}");
    assert_eq!(err.matches("not inspected:").count(), 1, "{err}");

    // A token in a remote URL in .git/config is found.
    let token = p.add(g.scannable("cfut_", true));
    let url = format!("https://ci:{token}@git.example.invalid/app.git");
    git(&repo, &["remote", "add", "origin", &url]);
    let ran = run(cfscrub().arg("verify").arg(t.path())).expect(1);
    check_no_leak(&p, "verify", &ran);
    let config = format!("{}:", repo.join(".git/config").display());
    assert!(
        ran.stdout()
            .lines()
            .any(|l| l.starts_with(&config) && l.ends_with("cloudflare-user-token (high)")),
        "{}",
        ran.stdout()
    );
    assert_eq!(ran.stderr().matches("not inspected:").count(), 1);

    // A bare repository is a git directory too: one entry each.
    tool(
        Command::new("git")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .args(["clone", "-q", "--bare"])
            .arg(&repo)
            .arg(t.join("mirror.git")),
    );
    let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(t.path())).expect(1);
    check_no_leak(&p, "scan --format json", &ran);
    assert_eq!(
        uninspected(&ran.stdout),
        [
            json!({"type": "uninspected", "path": t.join("mirror.git"), "reason": "git object database"}),
            json!({"type": "uninspected", "path": repo.join(".git"), "reason": "git object database"}),
        ]
    );
    assert_eq!(json_lines(&ran.stdout).pop().unwrap()["uninspected"], 2);
}

#[test]
fn scan_reports_not_inspected_files_in_every_format_and_keeps_its_exit_codes() {
    let (t, p) = tree_with("logs.7z", 11, seven_zip);
    let gz = t.join("logs.7z");
    let ran = run(cfscrub().arg("scan").arg(t.path())).expect(0);
    check_no_leak(&p, "scan", &ran);
    assert!(ran.stderr().contains(&not_inspected_line(&gz, "7z")));
    assert!(
        ran.stderr().contains("; 1 not inspected"),
        "{}",
        ran.stderr()
    );

    let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(t.path())).expect(0);
    check_no_leak(&p, "scan --format json", &ran);
    assert_eq!(
        uninspected(&ran.stdout),
        [json!({"type": "uninspected", "path": gz, "reason": "7z"})]
    );
    let summary = json_lines(&ran.stdout).pop().unwrap();
    assert_eq!(
        (summary["files"].clone(), summary["uninspected"].clone()),
        (json!(2), json!(1))
    );

    let ran = run(cfscrub().args(["scan", "--format", "sarif"]).arg(t.path())).expect(0);
    check_no_leak(&p, "scan --format sarif", &ran);
    let doc: Value = serde_json::from_slice(&ran.stdout).unwrap();
    let notes = &doc["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(notes.as_array().map(Vec::len), Some(1), "{doc}");
    assert_eq!(notes[0]["level"], "warning");
    // An absolute path is a `file://` URI of its own (relative ones are
    // relative to `%SRCROOT%`).
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        format!("file://{}", gz.to_str().unwrap())
    );

    // Standard input is sniffed too.
    let ran = run(cfscrub()
        .args(["scan", "-"])
        .write_stdin(std::fs::read(&gz).unwrap()))
    .expect(0);
    assert!(
        ran.stderr()
            .contains("cfscrub: not inspected: <stdin> (7z)"),
        "{}",
        ran.stderr()
    );

    // A finding elsewhere still makes it 1; without anything uninspected,
    // the output is what it always was.
    let mut g = FakeGen::new(12);
    let mut p = p;
    t.write("ci.log", leaked_log(&mut g, &mut p));
    run(cfscrub().arg("scan").arg(t.path())).expect(1);
    std::fs::remove_file(&gz).unwrap();
    let ran = run(cfscrub().arg("scan").arg(t.path())).expect(1);
    assert!(!ran.stderr().contains("not inspected"), "{}", ran.stderr());
    let ran = run(cfscrub().args(["scan", "--format", "sarif"]).arg(t.path())).expect(1);
    let doc: Value = serde_json::from_slice(&ran.stdout).unwrap();
    assert!(doc["runs"][0].get("invocations").is_none());
}

#[test]
fn redact_leaves_archives_it_does_not_rewrite_untouched_lists_them_and_exits_2() {
    let (t, mut p) = tree_with("logs.7z", 13, seven_zip);
    let mut g = FakeGen::new(14);
    t.write("app.log", leaked_log(&mut g, &mut p));
    let gz = t.join("logs.7z");
    let gz_bytes = std::fs::read(&gz).unwrap();

    let ran = run(cfscrub().args(["redact", "--dry-run"]).arg(t.path())).expect(1);
    check_no_leak(&p, "redact --dry-run", &ran);
    assert!(ran.stderr().contains(&not_inspected_line(&gz, "7z")));
    assert!(
        ran.stderr().contains("; 1 not inspected; nothing changed"),
        "{}",
        ran.stderr()
    );

    let ran = run(cfscrub().args(["redact", "--format", "json"]).arg(t.path())).expect(2);
    check_no_leak(&p, "redact --format json", &ran);
    assert!(ran.stderr().contains(&not_inspected_line(&gz, "7z")));
    assert_eq!(
        uninspected(&ran.stdout),
        [json!({"type": "uninspected", "path": gz, "reason": "7z", "found": 0})]
    );
    let summary = json_lines(&ran.stdout).pop().unwrap();
    assert_eq!(summary["redacted"], 1);
    assert_eq!(summary["remaining"], 0);
    assert_eq!(summary["uninspected"], 1);
    assert_same("7z file", std::fs::read(&gz).unwrap(), &gz_bytes);

    let ran = run(cfscrub().arg("redact").arg(t.path())).expect(2);
    assert!(
        ran.stderr()
            .contains("verification: 0 remaining; 1 not inspected"),
        "{}",
        ran.stderr()
    );
    assert!(ran.stderr().contains("cfscrub redact: not done"));
}

/// A process holding a file open for writing until dropped.
struct HeldOpen(Child);

impl HeldOpen {
    fn new(path: &Path) -> HeldOpen {
        let child = Command::new("sh")
            .arg("-c")
            .arg("exec 3>>\"$1\"; cat >/dev/null")
            .arg("sh")
            .arg(path)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let held = HeldOpen(child);
        let target = std::fs::canonicalize(path).unwrap();
        let fds = format!("/proc/{}/fd", held.0.id());
        let deadline = Instant::now() + Duration::from_secs(10);
        while !std::fs::read_dir(&fds).is_ok_and(|d| {
            d.flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == target))
        }) {
            assert!(
                Instant::now() < deadline,
                "the writer did not open the file"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        held
    }
}

impl Drop for HeldOpen {
    fn drop(&mut self) {
        drop(self.0.stdin.take()); // cat sees the end of its input and exits
        let _ = self.0.wait();
    }
}

#[test]
fn redact_counts_what_it_refused_names_each_file_with_its_fix_and_exits_2() {
    let t = Tree::new();
    let elsewhere = Tree::new();
    let mut g = FakeGen::new(15);
    let mut p = Planted::default();
    let mut originals = Vec::new();
    for name in ["read-only.log", "linked.log", "held.log", "fine.log"] {
        let content = leaked_log(&mut g, &mut p);
        t.write(name, &content);
        originals.push((name, content));
    }
    std::fs::set_permissions(
        t.join("read-only.log"),
        std::fs::Permissions::from_mode(0o444),
    )
    .unwrap();
    std::fs::hard_link(t.join("linked.log"), elsewhere.join("other-name.log")).unwrap();
    let _writer = HeldOpen::new(&t.join("held.log"));
    let fixes = [
        ("read-only.log", "chmod u+w"),
        ("linked.log", "--same-length"),
        ("held.log", "--same-length"),
    ];

    let ran = run(cfscrub().arg("redact").arg(t.path())).expect(2);
    check_no_leak(&p, "redact", &ran);
    let err = ran.stderr();
    for (name, fix) in fixes {
        let start = format!(
            "cfscrub: {}: not redacted: 1 remaining",
            t.join(name).display()
        );
        assert!(
            err.lines()
                .any(|l| l.starts_with(&start) && l.contains(fix)),
            "{name} is not named with {fix}:\n{err}"
        );
    }
    assert!(err.contains("verification: 3 remaining"), "{err}");
    assert!(
        err.contains("cfscrub redact: not done: 3 credential(s) remain in 3 file(s)"),
        "{err}"
    );
    for (name, content) in &originals[..3] {
        assert_same(name, std::fs::read(t.join(name)).unwrap(), content);
    }
    assert!(std::fs::read_to_string(t.join("fine.log"))
        .unwrap()
        .ends_with("CLOUDFLARE_API_TOKEN=[REDACTED_CF_TOKEN]\n"));

    let ran = run(cfscrub().args(["redact", "--format", "json"]).arg(t.path())).expect(2);
    check_no_leak(&p, "redact --format json", &ran);
    let lines = json_lines(&ran.stdout);
    for (name, fix) in fixes {
        let path = t.join(name);
        let record = lines
            .iter()
            .find(|v| v["type"] == "error" && v["path"] == path.to_str().unwrap())
            .unwrap_or_else(|| panic!("no error record for {name}"));
        assert_eq!(record["remaining"], 1, "{name}");
        assert!(record["fix"].as_str().unwrap().contains(fix), "{name}");
    }
    let summary = lines.last().unwrap();
    assert_eq!(summary["remaining"], 3);
    assert_eq!(summary["errors"], 3);
}

#[test]
fn redact_counts_a_link_it_refused_to_follow_outside_the_tree() {
    let t = Tree::new();
    let outside = Tree::new();
    let mut g = FakeGen::new(16);
    let mut p = Planted::default();
    let content = leaked_log(&mut g, &mut p);
    outside.write("target.log", &content);
    std::os::unix::fs::symlink(outside.join("target.log"), t.join("link.log")).unwrap();
    let ran = run(cfscrub()
        .args(["redact", "--follow", "--format", "json"])
        .arg(t.path()))
    .expect(2);
    check_no_leak(&p, "redact --follow", &ran);
    let lines = json_lines(&ran.stdout);
    assert_eq!(lines[0]["type"], "error");
    assert_eq!(lines[0]["remaining"], 1);
    assert!(lines[0]["fix"]
        .as_str()
        .unwrap()
        .contains("path it leads to"));
    assert_eq!(lines.last().unwrap()["remaining"], 1);
    assert_same(
        "target outside the tree",
        std::fs::read(outside.join("target.log")).unwrap(),
        &content,
    );
}

#[test]
fn redact_counts_a_tokens_raw_bytes_in_an_archive_as_remaining() {
    // A 7z archive storing its member uncompressed: cfscrub does not read
    // 7z (tar and zip it rewrites: tests/reach_redact_archives.rs), but
    // the member's bytes are in the clear in the file.
    let (t, p) = tree_with("logs.7z", 17, |src, dest| {
        let mut bytes = b"7z\xbc\xaf\x27\x1c\x00\x04".to_vec();
        bytes.extend(std::fs::read(src).unwrap());
        std::fs::write(dest, bytes).unwrap();
    });
    let archive = t.join("logs.7z");
    let before = std::fs::read(&archive).unwrap();
    let ran = run(cfscrub().args(["redact", "--format", "json"]).arg(t.path())).expect(2);
    check_no_leak(&p, "redact", &ran);
    assert_eq!(
        uninspected(&ran.stdout),
        [json!({"type": "uninspected", "path": archive, "reason": "7z", "found": 1})]
    );
    assert_eq!(json_lines(&ran.stdout).pop().unwrap()["remaining"], 1);
    assert_same("7z archive", std::fs::read(&archive).unwrap(), &before);
}
