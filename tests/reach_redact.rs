//! End-to-end tests of `redact` on compressed text: decompress → redact →
//! recompress in the same format, checked by the format's own tool; what
//! it cannot rewrite (`--same-length`, a truncated stream, a compressed
//! tar cut short) is refused with the file untouched; a kill -9 during a
//! `.gz` or `.tar.gz` rewrite leaves each file old or new. Every run is
//! checked for leaks. (Archives: tests/reach_redact_archives.rs.)

mod common;
use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// `program -t file` (the format's integrity test) must pass.
fn tool_accepts(program: &str, path: &Path) {
    let ok = Command::new(program)
        .arg("-t")
        .arg(path)
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{program} did not start ({e})"))
        .success();
    assert!(ok, "{program} -t rejects the redacted file");
}

/// A log of varied lines with a token on line 1500 of 3000.
fn log(g: &mut FakeGen, p: &mut Planted) -> String {
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!("{i} {}\n", g.alnum(40)));
        if i == 1499 {
            text.push_str(&format!("token={}\n", p.add(g.scannable("cfut_", true))));
        }
    }
    text
}

#[test]
fn redact_recompresses_each_format_and_its_tool_accepts_the_result() {
    for (seed, program, name) in [
        (1, "gzip", "app.log.1.gz"),
        (2, "zstd", "app.log.1.zst"),
        (3, "bzip2", "app.log.1.bz2"),
        (4, "xz", "app.log.1.xz"),
    ] {
        let t = Tree::new();
        let mut g = FakeGen::new(seed);
        let mut p = Planted::default();
        let text = log(&mut g, &mut p);
        let path = t.write(name, pipe(program, &["-c"], text.as_bytes()));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();

        let ran = run(cfscrub().args(["redact", "--dry-run"]).arg(t.path())).expect(1);
        check_no_leak(&p, program, &ran);
        assert!(
            ran.stdout().contains(&format!(
                "1 would be redacted (1 cloudflare-user-token) at line(s) 1501; method: rename (recompressed: {program})"
            )),
            "{}",
            ran.stdout()
        );

        let ran = run(cfscrub().arg("redact").arg(t.path())).expect(0);
        check_no_leak(&p, program, &ran);
        tool_accepts(program, &path);
        let after = pipe(program, &["-dc"], &std::fs::read(&path).unwrap());
        let expected = text.replace(&p.0[0], "[REDACTED_CF_TOKEN]");
        assert_same(program, &after, expected.as_bytes());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o640, "{program}: mode kept");
        run(cfscrub().arg("verify").arg(t.path())).expect(0);
        assert_eq!(
            std::fs::read_dir(t.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }
}

#[test]
fn gzip_keeps_the_name_and_mtime_of_its_header() {
    let t = Tree::new();
    let mut g = FakeGen::new(5);
    let mut p = Planted::default();
    let src = t.write("app.log", log(&mut g, &mut p));
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    std::fs::File::options()
        .write(true)
        .open(&src)
        .unwrap()
        .set_modified(old)
        .unwrap();
    assert!(Command::new("gzip").arg(&src).status().unwrap().success());
    let gz = t.join("app.log.gz");
    let before = std::fs::read(&gz).unwrap();
    run(cfscrub().arg("redact").arg(&gz)).expect(0);
    let after = std::fs::read(&gz).unwrap();
    tool_accepts("gzip", &gz);
    // FLG (FNAME set), MTIME, then the name up to its NUL.
    assert_eq!(after[3], before[3]);
    assert_eq!(after[4..8], before[4..8]);
    assert_eq!(
        u32::from_le_bytes(after[4..8].try_into().unwrap()),
        1_600_000_000
    );
    assert_eq!(&after[10..18], b"app.log\0");
}

#[test]
fn same_length_on_a_compressed_file_is_refused_and_the_file_untouched() {
    let t = Tree::new();
    let mut g = FakeGen::new(6);
    let mut p = Planted::default();
    let path = t.write(
        "app.log.gz",
        pipe("gzip", &["-c"], log(&mut g, &mut p).as_bytes()),
    );
    let before = std::fs::read(&path).unwrap();
    let ran = run(cfscrub().args(["redact", "--same-length"]).arg(&path)).expect(2);
    check_no_leak(&p, "same-length", &ran);
    assert!(
        ran.stderr()
            .contains("--same-length cannot rewrite gzip content in place"),
        "{}",
        ran.stderr()
    );
    assert_same("gzip", std::fs::read(&path).unwrap(), &before);
}

#[test]
fn a_truncated_gzip_is_an_error_and_left_untouched() {
    let t = Tree::new();
    let mut g = FakeGen::new(7);
    let mut p = Planted::default();
    let gz = pipe("gzip", &["-c"], log(&mut g, &mut p).as_bytes());
    let path = t.write("app.log.gz", &gz[..gz.len() * 3 / 4]);
    let before = std::fs::read(&path).unwrap();
    let ran = run(cfscrub().arg("redact").arg(&path)).expect(2);
    check_no_leak(&p, "truncated", &ran);
    assert!(
        ran.stderr().contains("gzip: truncated: not rewritten"),
        "{}",
        ran.stderr()
    );
    assert_same("truncated gzip", std::fs::read(&path).unwrap(), &before);
}

#[test]
fn a_compressed_tar_cut_short_is_refused_untouched() {
    let t = Tree::new();
    let mut g = FakeGen::new(8);
    let mut p = Planted::default();
    t.write("src/app.log", log(&mut g, &mut p));
    let tgz = t.join("logs.tar.gz");
    assert!(Command::new("tar")
        .arg("-czf")
        .arg(&tgz)
        .arg("-C")
        .arg(t.join("src"))
        .arg("app.log")
        .status()
        .unwrap()
        .success());
    let whole = std::fs::read(&tgz).unwrap();
    std::fs::write(&tgz, &whole[..whole.len() * 3 / 4]).unwrap();
    let before = std::fs::read(&tgz).unwrap();
    let ran = run(cfscrub().arg("redact").arg(&tgz)).expect(2);
    check_no_leak(&p, "tar.gz", &ran);
    assert!(
        ran.stderr().contains("gzip: truncated") && ran.stderr().contains("not rewritten"),
        "{}",
        ran.stderr()
    );
    assert_same("tar.gz", std::fs::read(&tgz).unwrap(), &before);
}

#[test]
fn history_redacts_a_compressed_history_and_counts_a_compressed_store() {
    let t = Tree::new();
    let mut g = FakeGen::new(9);
    let mut p = Planted::default();
    let history = format!(
        "ls\nexport CLOUDFLARE_API_TOKEN={}\n",
        p.add(g.scannable("cfut_", true))
    );
    let home = t.join("home");
    std::fs::create_dir(&home).unwrap();
    let hist = t.write(
        "home/.bash_history",
        pipe("gzip", &["-c"], history.as_bytes()),
    );
    let store_text = format!("TOKEN={}\n", p.add(g.scannable("cfat_", true)));
    let store = t.write("old.env.gz", pipe("gzip", &["-c"], store_text.as_bytes()));

    let ran = run(cfscrub()
        .args(["history", "--home"])
        .arg(&home)
        .arg("--also")
        .arg(&store))
    .expect(0);
    check_no_leak(&p, "history", &ran);
    assert!(
        ran.stdout()
            .contains("1 credential(s) inside (not rewritten: rotate them)"),
        "{}",
        ran.stdout()
    );
    tool_accepts("gzip", &hist);
    let after = pipe("gzip", &["-dc"], &std::fs::read(&hist).unwrap());
    assert_same(
        "history",
        &after,
        history.replace(&p.0[0], "[REDACTED_CF_TOKEN]").as_bytes(),
    );
}

fn temp_files(dir: &Path) -> Vec<std::fs::DirEntry> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".cfscrub-"))
        .collect()
}

/// What a (possibly cut) gzip stream decompresses to, up to where it ends.
fn gunzip_prefix(bytes: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut d = flate2::read::MultiGzDecoder::new(bytes);
    let mut buf = [0u8; 8192];
    while let Ok(n) = d.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

/// kill -9 at random points of `redact` over .gz files (once a random
/// share of the new compressed bytes is on disk, in temp files or renamed
/// into place): each file is the old one or the new one, never broken,
/// and a leftover temp file holds no secret, compressed or not.
#[test]
fn killed_during_a_gzip_rewrite_leaves_the_old_or_the_new_file() {
    let mut g = FakeGen::new(10);
    let mut p = Planted::default();
    let mut originals = Vec::new();
    for i in 0..3 {
        let mut text = String::new();
        for _ in 0..40 {
            text.push_str(&log(&mut g, &mut p));
        }
        originals.push((
            format!("app.log.{i}.gz"),
            pipe("gzip", &["-c"], text.as_bytes()),
        ));
    }
    kill_during_rewrites(&originals, &p, 10);
}

/// The same for `.tar.gz` files of several members, some clean.
#[test]
fn killed_during_a_tar_gz_rewrite_leaves_the_old_or_the_new_file() {
    let mut g = FakeGen::new(11);
    let mut p = Planted::default();
    let mut originals = Vec::new();
    for i in 0..3 {
        let src = Tree::new();
        for m in 0..4 {
            let mut text = String::new();
            for _ in 0..10 {
                text.push_str(&log(&mut g, &mut p));
            }
            src.write(&format!("logs/app-{m}.log"), text);
            src.write(&format!("logs/clean-{m}.log"), g.alnum(200_000));
        }
        let tgz = src.join("bundle.tar.gz");
        assert!(Command::new("tar")
            .arg("-czf")
            .arg(&tgz)
            .arg("-C")
            .arg(src.path())
            .arg("logs")
            .status()
            .unwrap()
            .success());
        originals.push((format!("bundle-{i}.tar.gz"), std::fs::read(&tgz).unwrap()));
    }
    kill_during_rewrites(&originals, &p, 11);
}

/// The same for zip files: members holding credentials, stored and
/// deflated (rewritten), and large clean ones (copied raw).
#[test]
fn killed_during_a_zip_rewrite_leaves_the_old_or_the_new_file() {
    use std::io::Write;
    use zip::write::SimpleFileOptions;
    let mut g = FakeGen::new(12);
    let mut p = Planted::default();
    let mut originals = Vec::new();
    for i in 0..3 {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for m in 0..4 {
            let method = if m % 2 == 0 {
                zip::CompressionMethod::Stored
            } else {
                zip::CompressionMethod::Deflated
            };
            let opts = SimpleFileOptions::default().compression_method(method);
            let mut text = String::new();
            for _ in 0..3 {
                text.push_str(&log(&mut g, &mut p));
            }
            z.start_file(format!("logs/app-{m}.log"), opts).unwrap();
            z.write_all(text.as_bytes()).unwrap();
            z.start_file(format!("logs/clean-{m}.log"), opts).unwrap();
            z.write_all(g.alnum(200_000).as_bytes()).unwrap();
        }
        originals.push((format!("bundle-{i}.zip"), z.finish().unwrap().into_inner()));
    }
    kill_during_rewrites(&originals, &p, 12);
}

/// Kills `redact` over copies of `originals` at random points until
/// eight kills landed; checks every file after each.
fn kill_during_rewrites(originals: &[(String, Vec<u8>)], p: &Planted, seed: u64) {
    let t = Tree::new();
    // The redacted versions (deterministic), from a first run on a copy.
    let copy = Tree::new();
    for (name, gz) in originals {
        copy.write(name, gz);
    }
    run(cfscrub().args(["redact", "-q"]).arg(copy.path())).expect(0);
    let redacted: Vec<Vec<u8>> = originals
        .iter()
        .map(|(name, _)| std::fs::read(copy.join(name)).unwrap())
        .collect();
    let total: usize = redacted.iter().map(Vec::len).sum();
    let mut rng = fastrand::Rng::with_seed(seed);
    let (wanted, mut killed, mut round) = (8, 0, 0);
    while killed < wanted {
        assert!(round < 6 * wanted, "only {killed} of {wanted} kills landed");
        round += 1;
        for (name, gz) in originals {
            t.write(name, gz);
        }
        let inode = |name: &str| {
            use std::os::unix::fs::MetadataExt;
            std::fs::metadata(t.join(name)).unwrap().ino()
        };
        let inodes: Vec<u64> = originals.iter().map(|(n, _)| inode(n)).collect();
        let target = (total as f64 * rng.f64()) as u64;
        let progress = || {
            let in_temp: u64 = temp_files(t.path())
                .iter()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum();
            let renamed: u64 = originals
                .iter()
                .zip(&inodes)
                .zip(&redacted)
                .filter(|(((n, _), ino), _)| inode(n) != **ino)
                .map(|(_, r)| r.len() as u64)
                .sum();
            in_temp + renamed
        };
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("cfscrub"))
            .args(["redact", "-q"])
            .arg(t.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut ended = false;
        wait_until("the run reaches its random point or ends", || {
            ended = child.try_wait().unwrap().is_some();
            ended || progress() >= target
        });
        if !ended {
            // Not reaped (try_wait found it running): the pid is still ours.
            unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        }
        let status = child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        killed += (!ended && status.signal() == Some(libc::SIGKILL)) as usize;
        for ((name, old), new) in originals.iter().zip(&redacted) {
            let now = std::fs::read(t.join(name)).unwrap();
            assert!(
                now == *old || now == *new,
                "round {round}: {name} is neither the old nor the new file"
            );
        }
        for entry in temp_files(t.path()) {
            let bytes = std::fs::read(entry.path()).unwrap();
            p.assert_absent("leftover temp file", &bytes);
            p.assert_absent("leftover temp file, decompressed", &gunzip_prefix(&bytes));
            std::fs::remove_file(entry.path()).unwrap();
        }
    }
}
