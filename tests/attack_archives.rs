//! Attacks on the container guarantees: what a crafted archive can do to
//! `scan`, `verify` and `redact` — never a false all-clear, never a
//! credential printed, never a file changed beyond its credentials.
//! (Bombs are measured, not tested: see the README's *Limits*.)

mod common;
use common::*;
use std::io::Write;

/// A zip whose one member, deflated, holds a credential.
fn zip_with_secret(g: &mut FakeGen, p: &mut Planted) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("__main__.py", opts).unwrap();
    z.write_all(b"print('hello')\n").unwrap();
    z.start_file("config.py", opts).unwrap();
    let token = p.add(g.scannable("cfut_", true));
    z.write_all(format!("TOKEN = '{token}'\n").as_bytes())
        .unwrap();
    z.finish().unwrap().into_inner()
}

fn no_leak(p: &Planted, what: &str, ran: &Ran) {
    p.assert_absent(&format!("{what} stdout"), &ran.stdout);
    p.assert_absent(&format!("{what} stderr"), &ran.stderr);
}

/// A zip after other data — a Python zipapp's `#!` line, a self-extracting
/// archive's stub — is what `unzip` and `python3 app.pyz` read: scan and
/// verify find the credential in its deflated member, and redact, which
/// does not rewrite such a file, refuses it untouched instead of calling
/// it clean.
#[test]
fn a_zip_after_a_stub_is_read_not_called_clean() {
    let mut g = FakeGen::new(71);
    let mut p = Planted::default();
    let t = Tree::new();
    let mut pyz = b"#!/usr/bin/env python3\n".to_vec();
    pyz.extend(zip_with_secret(&mut g, &mut p));
    let app = t.write("app.pyz", &pyz);
    let ran = run(cfscrub().arg("scan").arg(&app)).expect(1);
    no_leak(&p, "scan", &ran);
    assert!(
        ran.stdout().contains("app.pyz!config.py:1:"),
        "{}",
        ran.stdout()
    );
    for format in ["json", "sarif"] {
        let ran = run(cfscrub().args(["scan", "--format", format]).arg(&app)).expect(1);
        no_leak(&p, format, &ran);
    }
    let ran = run(cfscrub().arg("verify").arg(&app)).expect(1);
    no_leak(&p, "verify", &ran);
    for dry in [true, false] {
        let mut cmd = cfscrub();
        cmd.arg("redact").args(dry.then_some("--dry-run")).arg(&app);
        let ran = run(&mut cmd).expect(2);
        no_leak(&p, "redact", &ran);
        assert!(ran.stderr().contains("self-extracting"), "{}", ran.stderr());
        if !dry {
            // What it still holds is counted through its members: never
            // summed as a clean 0.
            assert!(
                !ran.stderr().contains("verification: 0 remaining")
                    && ran.stderr().contains("not done:"),
                "{}",
                ran.stderr()
            );
        }
        assert_same(
            "the zipapp after redact",
            std::fs::read(&app).unwrap(),
            &pyz,
        );
    }
    // Without a credential inside, it is clean for all three.
    let mut clean = b"#!/usr/bin/env python3\n".to_vec();
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file("__main__.py", zip::write::SimpleFileOptions::default())
        .unwrap();
    z.write_all(b"print('hello')\n").unwrap();
    clean.extend(z.finish().unwrap().into_inner());
    let clean = t.write("clean.pyz", &clean);
    run(cfscrub().arg("scan").arg(&clean)).expect(0);
    run(cfscrub().arg("verify").arg(&clean)).expect(0);
    run(cfscrub().arg("redact").arg(&clean)).expect(0);
}

/// A tar whose GNU long-name record claims 4 GiB (a sparse file of a few
/// KiB on disk): the `tar` crate would read the name whole into memory.
/// Run with its address space capped at 2 GiB, scan names the archive not
/// inspected, verify and redact exit 2, and the file is untouched.
#[test]
fn a_tar_with_a_huge_long_name_record_is_not_inspected_without_reading_it() {
    use std::os::unix::process::CommandExt;
    let t = Tree::new();
    let mut h = tar::Header::new_gnu();
    h.set_path("././@LongLink").unwrap();
    h.set_entry_type(tar::EntryType::GNULongName);
    h.set_size(4 << 30);
    h.set_cksum();
    let path = t.write("huge-name.tar", h.as_bytes());
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(512 + (4 << 30) + 1024).unwrap();
    let capped = |args: &[&str]| {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("cfscrub"));
        cmd.args(args).arg(&path).env("NO_COLOR", "1");
        // SAFETY: setrlimit(2) is async-signal-safe; nothing else runs here.
        unsafe {
            cmd.pre_exec(|| {
                let cap = libc::rlimit {
                    rlim_cur: 2 << 30,
                    rlim_max: 2 << 30,
                };
                libc::setrlimit(libc::RLIMIT_AS, &cap);
                Ok(())
            });
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stderr) = capped(&["scan"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("not inspected") && stderr.contains("tar: extension records over"),
        "{stderr}"
    );
    let (code, stderr) = capped(&["verify"]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, stderr) = capped(&["redact"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert_eq!(std::fs::read(&path).unwrap()[..512], *h.as_bytes());
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        512 + (4 << 30) + 1024
    );
}

/// A `.gz` cut short, given to verify: named not inspected with the
/// reason, exit 2, and the summary never reads "0 … remaining" — what
/// was read held nothing, which is not a proof.
#[test]
fn a_truncated_gz_is_never_verified_clean() {
    let t = Tree::new();
    let text: String = (0..50_000).map(|i| format!("{i} step ok\n")).collect();
    let gz = compress("gzip", text.as_bytes());
    let cut = t.write("app.log.gz", &gz[..gz.len() / 2]);
    for args in [&["verify"][..], &["verify", "--format", "json"]] {
        let ran = run(cfscrub().args(args).arg(&cut)).expect(2);
        let all = format!("{}{}", ran.stdout(), ran.stderr());
        assert!(all.contains("gzip: truncated"), "{all}");
        assert!(!all.contains("0 credential shapes remaining"), "{all}");
    }
    let ran = run(cfscrub().arg("verify").arg(&cut)).expect(2);
    assert!(
        ran.stderr().contains("not inspected: ")
            && ran
                .stderr()
                .contains("verification incomplete: 1 not inspected"),
        "{}",
        ran.stderr()
    );
}
