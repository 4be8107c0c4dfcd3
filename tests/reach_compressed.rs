//! End-to-end tests of `scan` and `verify` inside compressed files: gzip
//! (every member), zstd (every frame), bzip2 and xz are decoded and their
//! text scanned; findings are located inside them; what cannot be decoded
//! (truncated, a bomb over the limits, nested too deep) is not inspected,
//! and `verify` never calls it clean. Every run is checked for leaks.

mod common;
use common::*;
use serde_json::{json, Value};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Column of the token on the last line of [`leaked_log`].
const TOKEN_COLUMN: u64 = "deploy: CLOUDFLARE_API_TOKEN=".len() as u64 + 1;

#[test]
fn scan_finds_a_token_inside_gzip_zstd_bzip2_and_xz_and_locates_it_inside() {
    for (seed, program, file, inner) in [
        (1, "gzip", "app.log.2.gz", "app.log.2"),
        (2, "zstd", "app.log.zst", "app.log"),
        (3, "bzip2", "app.log.bz2", "app.log"),
        (4, "xz", "app.log.xz", "app.log"),
    ] {
        let t = Tree::new();
        let mut g = FakeGen::new(seed);
        let mut p = Planted::default();
        let log = leaked_log(&mut g, &mut p);
        let path = t.write(file, compress(program, log.as_bytes()));

        let ran = run(cfscrub().arg("scan").arg(&path)).expect(1);
        check_no_leak(&p, &format!("scan {program}"), &ran);
        let shown = format!("{}!{inner}:201:{TOKEN_COLUMN}: ", path.display());
        assert!(ran.stdout().starts_with(&shown), "{}", ran.stdout());
        assert!(!ran.stderr().contains("not inspected"), "{}", ran.stderr());

        let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(&path)).expect(1);
        check_no_leak(&p, &format!("scan --format json {program}"), &ran);
        let found = findings(&ran.stdout);
        assert_eq!(found.len(), 1, "{program}");
        assert_eq!(found[0]["path"], json!(path));
        assert_eq!(found[0]["container_path"], json!([inner]));
        assert_eq!(found[0]["line"], 201);
        let offset = log.find("cfut_").unwrap();
        assert_eq!(
            found[0]["offset"],
            json!(offset),
            "offset in the decoded text"
        );

        let ran = run(cfscrub().args(["scan", "--format", "sarif"]).arg(&path)).expect(1);
        check_no_leak(&p, &format!("scan --format sarif {program}"), &ran);
        let doc: Value = serde_json::from_slice(&ran.stdout).unwrap();
        let location = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            format!("file://{}!/{inner}", path.display())
        );
        assert_eq!(location["region"]["startLine"], 201);
    }
}

#[test]
fn verify_finds_what_remains_in_a_rotated_log_and_calls_a_clean_one_clean() {
    let t = Tree::new();
    let mut g = FakeGen::new(5);
    let mut p = Planted::default();
    let log = leaked_log(&mut g, &mut p);
    let gz = t.write("app.log.2.gz", compress("gzip", log.as_bytes()));
    let ran = run(cfscrub().arg("verify").arg(t.path())).expect(1);
    check_no_leak(&p, "verify", &ran);
    assert!(ran
        .stderr()
        .contains("1 credential shapes remaining in 1 of 1 files"));

    let clean = log.replace(&p.0[0], "[REDACTED_CF_TOKEN]");
    std::fs::write(&gz, compress("gzip", clean.as_bytes())).unwrap();
    let ran = run(cfscrub().arg("verify").arg(t.path())).expect(0);
    assert!(!ran.stderr().contains("not inspected"), "{}", ran.stderr());
}

#[test]
fn every_gzip_member_and_zstd_frame_is_read_and_a_token_across_them_is_found_once() {
    let mut g = FakeGen::new(6);
    let mut p = Planted::default();
    let log = leaked_log(&mut g, &mut p);
    // Cut the text in the middle of the token: `cat a.gz b.gz` is one
    // stream of text (what `zcat` prints), so the token is whole in it.
    let cut = log.find("cfut_").unwrap() + 10;
    for (program, file) in [("gzip", "multi.gz"), ("zstd", "multi.zst")] {
        let t = Tree::new();
        let mut joined = compress(program, &log.as_bytes()[..cut]);
        joined.extend(compress(program, &log.as_bytes()[cut..]));
        let path = t.write(file, joined);
        let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(&path)).expect(1);
        check_no_leak(&p, program, &ran);
        let found = findings(&ran.stdout);
        assert_eq!(found.len(), 1, "{program}: {found:?}");
        assert_eq!(found[0]["length"], json!(p.0[0].len()));
        assert_eq!(found[0]["line"], 201);
    }
}

#[test]
fn a_token_across_deflate_blocks_is_found() {
    // Over a megabyte of text that does not compress: deflate cuts it
    // into many blocks, and the token sits where one ends for some level.
    let mut g = FakeGen::new(7);
    let mut p = Planted::default();
    let mut text = String::new();
    let mut tokens = 0;
    while text.len() < 3 << 20 {
        text.push_str(&g.alnum(70));
        text.push('\n');
        if text.len() % 50_000 < 72 {
            text.push_str(&format!("t={}\n", p.add(g.scannable("cfat_", true))));
            tokens += 1;
        }
    }
    let t = Tree::new();
    let path = t.write("big.log.gz", compress("gzip", text.as_bytes()));
    let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(&path)).expect(1);
    check_no_leak(&p, "scan", &ran);
    assert_eq!(findings(&ran.stdout).len(), tokens);
}

#[test]
fn nested_compression_is_located_layer_by_layer_and_limited_in_depth() {
    let t = Tree::new();
    let mut g = FakeGen::new(8);
    let mut p = Planted::default();
    let log = leaked_log(&mut g, &mut p);
    let path = t.write(
        "app.log.gz.xz",
        compress("xz", &compress("gzip", log.as_bytes())),
    );
    let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(&path)).expect(1);
    check_no_leak(&p, "nested", &ran);
    assert_eq!(
        findings(&ran.stdout)[0]["container_path"],
        json!(["app.log.gz", "app.log"])
    );

    let ran = run(cfscrub()
        .args(["verify", "--max-depth", "1", "--format", "json"])
        .arg(&path))
    .expect(2);
    check_no_leak(&p, "nested --max-depth 1", &ran);
    assert_eq!(
        uninspected(&ran.stdout),
        [
            json!({"type": "uninspected", "path": path, "container_path": ["app.log.gz"],
                "reason": "gzip: nested more than 1 deep (--max-depth)"})
        ]
    );
    assert!(ran.stderr().contains(&format!(
        "cfscrub: not inspected: {}!app.log.gz (gzip: nested more than 1 deep (--max-depth))",
        path.display()
    )));
}

#[test]
fn a_truncated_gzip_is_not_inspected_and_verify_is_incomplete() {
    let t = Tree::new();
    let mut g = FakeGen::new(9);
    let mut p = Planted::default();
    let mut log = String::new();
    for _ in 0..40 {
        log.push_str(&leaked_log(&mut g, &mut p));
    }
    let gz = compress("gzip", log.as_bytes());
    let path = t.write("app.log.1.gz", &gz[..gz.len() / 2]);
    let ran = run(cfscrub().arg("verify").arg(t.path())).expect(1);
    check_no_leak(&p, "verify truncated", &ran);
    assert!(
        ran.stderr().contains(&format!(
            "cfscrub: not inspected: {}!app.log.1 (gzip: ",
            path.display()
        )),
        "{}",
        ran.stderr()
    );
    // Only the truncated copy, clean before the cut: still exit 2.
    let head = log.split("deploy:").next().unwrap().to_string();
    let gz = compress("gzip", head.as_bytes());
    std::fs::write(&path, &gz[..gz.len() - 10]).unwrap();
    let ran = run(cfscrub().args(["verify", "--format", "json"]).arg(t.path())).expect(2);
    check_no_leak(&p, "verify truncated, clean", &ran);
    let records = uninspected(&ran.stdout);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["reason"], "gzip: truncated");
    assert_eq!(json_lines(&ran.stdout).pop().unwrap()["uninspected"], 1);
}

/// A gzip of `len` zero bytes, written through `gzip` so that nothing of
/// its size is held in memory here.
fn gzip_of_zeros(path: &Path, len: u64) {
    let out = File::create(path).unwrap();
    let mut child = Command::new("gzip")
        .arg("-9c")
        .stdin(std::process::Stdio::piped())
        .stdout(out)
        .spawn()
        .expect("gzip runs (bash .ci/run installs it)");
    let mut stdin = child.stdin.take().unwrap();
    let block = vec![0u8; 1 << 20];
    for _ in 0..len / block.len() as u64 {
        stdin.write_all(&block).unwrap();
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

/// Runs cfscrub under `prlimit --as` (512 MiB of address space): a run
/// that held a bomb's output in memory would fail.
fn bounded(args: &[&str], path: &Path) -> (Ran, Duration) {
    let started = Instant::now();
    let ran = run(assert_cmd::Command::new("prlimit")
        .arg("--as=536870912")
        .arg("--")
        .arg(assert_cmd::cargo::cargo_bin("cfscrub"))
        .args(args)
        .arg(path)
        .env("NO_COLOR", "1"));
    (ran, started.elapsed())
}

#[test]
fn a_gzip_bomb_is_not_inspected_in_bounded_memory_and_time() {
    let t = Tree::new();
    let bomb = t.join("bomb.log.gz");
    gzip_of_zeros(&bomb, 256 << 20);
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);

    let (ran, took) = bounded(&["verify", "--format", "json"], &bomb);
    let ran = ran.expect(2);
    assert!(took < Duration::from_secs(60), "{took:?}");
    let records = uninspected(&ran.stdout);
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0]["reason"],
        "gzip: expands more than 500-fold (--max-ratio)"
    );

    // With the ratio lifted, the size limit stops it instead.
    let (ran, _) = bounded(
        &[
            "verify",
            "--max-ratio",
            "100000",
            "--max-member-size",
            "4M",
            "--format",
            "json",
        ],
        &bomb,
    );
    let ran = ran.expect(2);
    assert_eq!(
        uninspected(&ran.stdout)[0]["reason"],
        format!(
            "gzip: expands past the limit of {} bytes (--max-member-size)",
            4 << 20
        )
    );
}

#[test]
fn scan_of_stdin_decompresses_it() {
    let mut g = FakeGen::new(10);
    let mut p = Planted::default();
    let log = leaked_log(&mut g, &mut p);
    let ran = run(cfscrub()
        .args(["scan", "-"])
        .write_stdin(compress("zstd", log.as_bytes())))
    .expect(1);
    check_no_leak(&p, "scan -", &ran);
    assert!(
        ran.stdout()
            .starts_with(&format!("<stdin>!<zstd>:201:{TOKEN_COLUMN}: ")),
        "{}",
        ran.stdout()
    );
    let ran = run(cfscrub()
        .args(["verify", "-"])
        .write_stdin(compress("bzip2", log.as_bytes())))
    .expect(1);
    check_no_leak(&p, "verify -", &ran);
}
