//! End-to-end tests of `redact` inside archives: tar (ustar, GNU, PAX,
//! long names, links), compressed tars, zip (stored, deflated, zip64,
//! extra fields and comments, an encrypted member), nested containers.
//! Each result is opened by the format's own tools (`tar -tvf`, `unzip
//! -t`, the compressors' `-t`) and by Python's `tarfile`/`zipfile`; every
//! member that held no credential must be byte for byte what it was, its
//! metadata too. What redact cannot rewrite is refused, the file
//! untouched. Every run is checked for leaks.

mod common;
use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};

/// Python's side: builds archives and describes them (as JSON). Member
/// bytes come from files and descriptions carry SHA-256s, so no value
/// crosses a command line or an output.
const PY: &str = r#"
import base64, hashlib, json, sys, tarfile, zipfile
spec = json.load(sys.stdin)
op = spec["op"]
def data(src):
    with open(src, "rb") as f:
        return f.read()
if op == "tar":
    fmt = {"ustar": tarfile.USTAR_FORMAT, "gnu": tarfile.GNU_FORMAT, "pax": tarfile.PAX_FORMAT}[spec["format"]]
    with tarfile.open(spec["dest"], "w", format=fmt) as t:
        d = tarfile.TarInfo("ci/")
        d.type, d.mode, d.mtime, d.uname = tarfile.DIRTYPE, 0o750, 1600000000, "builder"
        t.addfile(d)
        for i, (name, src) in enumerate(spec["members"]):
            info = tarfile.TarInfo(name)
            body = data(src)
            info.size, info.mode, info.uid, info.gid = len(body), 0o640 + i, 1000 + i, 2000
            info.uname, info.gname, info.mtime = "ci", "staff", 1700000000 + i
            if spec["format"] == "pax":
                info.pax_headers = {"comment": "member %d" % i, "size": str(len(body))}
            t.addfile(info, open(src, "rb"))
        link = tarfile.TarInfo("ci/latest.log")
        link.type, link.linkname, link.mtime = tarfile.SYMTYPE, "app.log", 1700000100
        t.addfile(link)
elif op == "zip":
    with zipfile.ZipFile(spec["dest"], "w") as z:
        z.comment = b"build 42 artifacts"
        for name, src, method, zip64 in spec["members"]:
            info = zipfile.ZipInfo(name, date_time=(2024, 5, 6, 7, 8, 10))
            info.compress_type = {"stored": zipfile.ZIP_STORED, "deflated": zipfile.ZIP_DEFLATED}[method]
            info.external_attr = 0o100640 << 16
            info.comment = b"about " + name.encode()
            with z.open(info, "w", force_zip64=zip64) as w:
                w.write(data(src))
elif op == "tar-describe":
    out = []
    with tarfile.open(spec["path"], "r:*") as t:
        for m in t.getmembers():
            body = t.extractfile(m).read() if m.isfile() else b""
            pax = {k: v for k, v in m.pax_headers.items() if k != "size"}
            out.append({"name": m.name, "type": m.type.decode(), "mode": m.mode, "uid": m.uid,
                        "gid": m.gid, "uname": m.uname, "gname": m.gname, "mtime": m.mtime,
                        "linkname": m.linkname, "pax": pax, "size": m.size,
                        "sha": hashlib.sha256(body).hexdigest(), "data": base64.b64encode(body).decode()})
    print(json.dumps(out))
elif op == "zip-describe":
    with zipfile.ZipFile(spec["path"]) as z:
        assert z.testzip() is None, "testzip"
        raw = open(spec["path"], "rb").read()
        out = {"comment": z.comment.decode(), "members": []}
        for i in z.infolist():
            body = z.read(i)
            at = i.header_offset
            n, e = int.from_bytes(raw[at+26:at+28], "little"), int.from_bytes(raw[at+28:at+30], "little")
            local = raw[at:at+30+n+e+i.compress_size]
            out["members"].append({"name": i.filename, "method": i.compress_type, "date": list(i.date_time),
                "attr": i.external_attr, "extra": i.extra.hex(), "comment": i.comment.decode(),
                "crc": i.CRC, "size": i.file_size, "sha": hashlib.sha256(body).hexdigest(),
                "data": base64.b64encode(body).decode(), "local": hashlib.sha256(local).hexdigest()})
    print(json.dumps(out))
"#;

fn py(spec: Value) -> Value {
    let out = pipe("python3", &["-c", PY], spec.to_string().as_bytes());
    if out.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&out).unwrap()
    }
}

fn b64(v: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(v.as_str().unwrap())
        .unwrap()
}

/// A log with a token on line 3 of 5 (and the same text redacted).
fn secret_log(g: &mut FakeGen, p: &mut Planted) -> (String, String) {
    let token = p.add(g.scannable("cfut_", true));
    let text = format!("start\nstep\nexport CLOUDFLARE_API_TOKEN={token}\nmore\nend\n");
    let redacted = text.replace(&token, "[REDACTED_CF_TOKEN]");
    (text, redacted)
}

/// `tar -tvf` of `path`, one line per member.
fn tar_listing(path: &Path) -> Vec<String> {
    let out = Command::new("tar")
        .arg("-tvf")
        .arg(path)
        .output()
        .expect("tar runs");
    assert!(out.status.success(), "tar -tvf failed");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// A `tar -tv` line without its size column.
fn without_size(line: &str) -> Vec<&str> {
    let mut fields: Vec<&str> = line.split_whitespace().collect();
    fields.remove(2);
    fields
}

#[test]
fn tar_members_are_rewritten_in_every_format_and_everything_else_kept() {
    let long = format!("ci/{}app.log", "nested/".repeat(20));
    for (seed, format) in [(1, "ustar"), (2, "gnu"), (3, "pax")] {
        let t = Tree::new();
        let mut g = FakeGen::new(seed);
        let mut p = Planted::default();
        let (text, redacted) = secret_log(&mut g, &mut p);
        let clean = t.write("src/clean", "nothing here\n".repeat(300));
        let secret = t.write("src/secret", &text);
        let tar = t.join("out/bundle.tar");
        std::fs::create_dir_all(tar.parent().unwrap()).unwrap();
        py(json!({"op": "tar", "format": format, "dest": tar,
                  "members": [["ci/clean.log", clean], ["ci/app.log", secret], [long, secret]]}));
        let before_bytes = std::fs::read(&tar).unwrap();
        let before = py(json!({"op": "tar-describe", "path": tar}));
        let listing = tar_listing(&tar);

        let ran = run(cfscrub().args(["redact", "--dry-run"]).arg(&tar)).expect(1);
        check_no_leak(&p, format, &ran);
        let out = ran.stdout();
        assert!(out.contains("2 would be redacted (2 cloudflare-user-token) in 2 streams; method: rename (rewritten: tar)"), "{out}");
        assert!(
            out.contains(
                "bundle.tar!ci/app.log: 1 would be redacted (1 cloudflare-user-token) at line(s) 3"
            ),
            "{out}"
        );
        assert!(
            out.contains(&format!("bundle.tar!{long}: 1 would be redacted")),
            "{out}"
        );
        assert_same("dry run", std::fs::read(&tar).unwrap(), &before_bytes);

        let ran = run(cfscrub().arg("redact").arg(&tar)).expect(0);
        check_no_leak(&p, format, &ran);
        let after = py(json!({"op": "tar-describe", "path": tar}));
        let (before, after) = (before.as_array().unwrap(), after.as_array().unwrap());
        assert_eq!(before.len(), after.len(), "{format}: members");
        for (b, a) in before.iter().zip(after) {
            let name = b["name"].as_str().unwrap();
            let changed = name == "ci/app.log" || name == long;
            for field in [
                "name", "type", "mode", "uid", "gid", "uname", "gname", "mtime", "linkname", "pax",
            ] {
                assert_eq!(a[field], b[field], "{format} {name}: {field} kept");
            }
            if changed {
                assert_same(format, b64(&a["data"]), redacted.as_bytes());
                assert_eq!(
                    a["size"],
                    json!(redacted.len()),
                    "{format} {name}: new size"
                );
            } else {
                assert_eq!(a["sha"], b["sha"], "{format} {name}: data kept");
            }
        }
        // tar's own listing: the same but for the sizes of the two members.
        let now = tar_listing(&tar);
        assert_eq!(now.len(), listing.len());
        for (b, a) in listing.iter().zip(&now) {
            if b.contains("app.log") && !b.contains("->") {
                assert_eq!(without_size(a), without_size(b), "{format}: listing");
                assert_ne!(a, b, "{format}: the size changed");
            } else {
                assert_eq!(a, b, "{format}: listing");
            }
        }
        // The bytes up to the end of the clean member, before the first
        // rewritten one (and its PAX record), are the same.
        let after_bytes = std::fs::read(&tar).unwrap();
        let line = b"nothing here\n";
        let last = before_bytes
            .windows(line.len())
            .rposition(|w| w == line)
            .unwrap();
        let clean_end = (last + line.len()).div_ceil(512) * 512;
        assert_same(
            format,
            &after_bytes[..clean_end],
            &before_bytes[..clean_end],
        );
        run(cfscrub().arg("verify").arg(&tar)).expect(0);
        run(cfscrub().arg("redact").arg(&tar)).expect(0);
        assert_same("second run", std::fs::read(&tar).unwrap(), &after_bytes);
    }
}

#[test]
fn compressed_tars_are_recompressed_in_their_format() {
    for (seed, program, name) in [
        (4, "gzip", "logs.tar.gz"),
        (5, "zstd", "logs.tar.zst"),
        (6, "bzip2", "logs.tar.bz2"),
        (7, "xz", "logs.tar.xz"),
    ] {
        let t = Tree::new();
        let mut g = FakeGen::new(seed);
        let mut p = Planted::default();
        let (text, redacted) = secret_log(&mut g, &mut p);
        let secret = t.write("src/secret", &text);
        let clean = t.write("src/clean", "fine\n");
        let tar = t.join("plain.tar");
        py(json!({"op": "tar", "format": "gnu", "dest": tar,
                  "members": [["ci/app.log", secret], ["ci/clean.log", clean]]}));
        let path = t.write(name, compress(program, &std::fs::read(&tar).unwrap()));
        std::fs::remove_file(&tar).unwrap();
        std::fs::remove_dir_all(t.join("src")).unwrap();

        let ran = run(cfscrub().arg("redact").arg(&path)).expect(0);
        check_no_leak(&p, program, &ran);
        assert!(
            ran.stdout().contains(&format!("{name}: 1 redacted (1 cloudflare-user-token); method: rename (recompressed: {program})")),
            "{}",
            ran.stdout()
        );
        let ok = Command::new(program).arg("-t").arg(&path).status().unwrap();
        assert!(ok.success(), "{program} -t");
        // Python's tarfile reads no zstd before 3.14: the tool decompresses.
        let out = Command::new(program)
            .arg("-dc")
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{program} -dc");
        let plain = t.write("check.tar", &out.stdout);
        let after = py(json!({"op": "tar-describe", "path": plain}));
        std::fs::remove_file(&plain).unwrap();
        let app = after
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == "ci/app.log")
            .unwrap();
        assert_same(program, b64(&app["data"]), redacted.as_bytes());
        run(cfscrub().arg("verify").arg(&path)).expect(0);
        assert_eq!(
            std::fs::read_dir(t.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }
}

/// `unzip -t` must pass.
fn unzip_accepts(path: &Path) {
    let ok = Command::new("unzip")
        .arg("-tq")
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .expect("unzip runs (bash .ci/run installs it)");
    assert!(ok.success(), "unzip -t rejects the redacted zip");
}

#[test]
fn zip_members_are_recompressed_with_their_method_and_the_rest_copied_raw() {
    let t = Tree::new();
    let mut g = FakeGen::new(8);
    let mut p = Planted::default();
    let (text, redacted) = secret_log(&mut g, &mut p);
    let secret = t.write("src/secret", &text);
    let clean = t.write("src/clean", "clean line\n".repeat(500));
    let zip = t.join("artifacts.zip");
    py(json!({"op": "zip", "dest": zip, "members": [
        ["clean-first.txt", clean, "deflated", false],
        ["logs/stored.log", secret, "stored", false],
        ["logs/deflated.log", secret, "deflated", false],
        ["logs/zip64.log", secret, "deflated", true],
        ["clean-last.txt", clean, "stored", true],
    ]}));
    let before = py(json!({"op": "zip-describe", "path": zip}));

    let ran = run(cfscrub()
        .args(["redact", "--dry-run", "--format", "json"])
        .arg(&zip))
    .expect(1);
    check_no_leak(&p, "zip dry run", &ran);
    let file = json_lines(&ran.stdout)
        .into_iter()
        .find(|r| r["type"] == "file")
        .unwrap();
    assert_eq!(file["redacted"], 3);
    assert_eq!(file["reason"], "archive");
    let inside: Vec<&Value> = file["inside"].as_array().unwrap().iter().collect();
    assert_eq!(inside.len(), 3);
    assert_eq!(inside[0]["container_path"], json!(["logs/stored.log"]));
    assert_eq!(inside[0]["lines"], json!([3]));

    let ran = run(cfscrub().arg("redact").arg(&zip)).expect(0);
    check_no_leak(&p, "zip", &ran);
    unzip_accepts(&zip);
    let after = py(json!({"op": "zip-describe", "path": zip}));
    assert_eq!(after["comment"], before["comment"]);
    let (b, a) = (
        before["members"].as_array().unwrap(),
        after["members"].as_array().unwrap(),
    );
    assert_eq!(a.len(), b.len());
    for (b, a) in b.iter().zip(a) {
        let name = b["name"].as_str().unwrap();
        for field in ["name", "method", "date", "attr", "extra", "comment"] {
            assert_eq!(a[field], b[field], "{name}: {field} kept");
        }
        if name.starts_with("logs/") {
            assert_same(name, b64(&a["data"]), redacted.as_bytes());
        } else {
            assert_eq!(a["local"], b["local"], "{name}: header and data copied raw");
        }
    }
    run(cfscrub().arg("verify").arg(&zip)).expect(0);
}

#[test]
fn a_zip_made_by_zip_keeps_its_extra_fields_comment_and_data_descriptors() {
    let t = Tree::new();
    let mut g = FakeGen::new(9);
    let mut p = Planted::default();
    let (text, redacted) = secret_log(&mut g, &mut p);
    t.write("src/app.log", &text);
    t.write("src/other.log", "x\n".repeat(1000));
    let zip = t.join("out.zip");
    // Streamed from stdin: `zip -` writes data descriptors (sizes after
    // the data); files get the UT and ux extra fields.
    let ok = Command::new("sh")
        .arg("-c")
        .arg("cd src && zip -q -X- ../out.zip app.log other.log && printf 'nightly build' | zip -q -z ../out.zip")
        .current_dir(t.path())
        .status()
        .unwrap();
    assert!(ok.success(), "zip failed");
    let before = py(json!({"op": "zip-describe", "path": zip}));
    let ran = run(cfscrub().arg("redact").arg(&zip)).expect(0);
    check_no_leak(&p, "zip tool", &ran);
    unzip_accepts(&zip);
    let after = py(json!({"op": "zip-describe", "path": zip}));
    assert_eq!(after["comment"], "nightly build");
    let (b, a) = (&before["members"], &after["members"]);
    for i in 0..2 {
        assert_eq!(a[i]["extra"], b[i]["extra"], "extra fields kept");
    }
    assert_same("app.log", b64(&a[0]["data"]), redacted.as_bytes());
    assert_eq!(a[1]["local"], b[1]["local"], "other.log copied raw");
}

#[test]
fn an_encrypted_member_is_left_as_it_is_and_reported() {
    let t = Tree::new();
    let mut g = FakeGen::new(10);
    let mut p = Planted::default();
    let (text, redacted) = secret_log(&mut g, &mut p);
    t.write("src/app.log", &text);
    t.write("src/sealed.log", "sealed\n");
    let zip = t.join("mixed.zip");
    for (args, file) in [(vec![], "app.log"), (vec!["-P", "hunter2"], "sealed.log")] {
        let ok = Command::new("zip")
            .arg("-q")
            .args(&args)
            .arg(&zip)
            .arg(file)
            .current_dir(t.join("src"))
            .status()
            .unwrap();
        assert!(ok.success());
    }
    let ran = run(cfscrub().arg("redact").arg(&zip)).expect(2);
    check_no_leak(&p, "encrypted", &ran);
    assert!(
        ran.stderr().contains("not inspected: ")
            && ran
                .stderr()
                .contains("mixed.zip!sealed.log (zip: encrypted member)"),
        "{}",
        ran.stderr()
    );
    unzip_accepts_with_password(&zip);
    let out = Command::new("unzip")
        .args(["-p"])
        .arg(&zip)
        .arg("app.log")
        .output()
        .unwrap();
    assert_same("app.log", &out.stdout, redacted.as_bytes());
}

fn unzip_accepts_with_password(path: &Path) {
    let ok = Command::new("unzip")
        .args(["-tq", "-P", "hunter2"])
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(ok.success(), "unzip -t rejects the zip");
}

#[test]
fn nested_containers_are_rewritten_through_every_layer() {
    let t = Tree::new();
    let mut g = FakeGen::new(11);
    let mut p = Planted::default();
    let (text, redacted) = secret_log(&mut g, &mut p);
    // A .gz inside a zip.
    let gz = t.write("src/app.log.gz", compress("gzip", text.as_bytes()));
    let zip = t.join("bundle.zip");
    py(json!({"op": "zip", "dest": zip, "members": [["logs/app.log.gz", gz, "stored", false]]}));
    // A tar inside a tar.
    let secret = t.write("src/secret", &text);
    let inner = t.join("src/inner.tar");
    py(json!({"op": "tar", "format": "ustar", "dest": inner, "members": [["app.log", secret]]}));
    let outer = t.join("outer.tar");
    py(json!({"op": "tar", "format": "ustar", "dest": outer, "members": [["inner.tar", inner]]}));
    std::fs::remove_dir_all(t.join("src")).unwrap();

    let ran = run(cfscrub().args(["redact", "--dry-run"]).arg(t.path())).expect(1);
    check_no_leak(&p, "nested dry run", &ran);
    let out = ran.stdout();
    assert!(
        out.contains("bundle.zip!logs/app.log.gz!app.log: 1 would be redacted"),
        "{out}"
    );
    assert!(
        out.contains("outer.tar!inner.tar!app.log: 1 would be redacted"),
        "{out}"
    );

    let ran = run(cfscrub().arg("redact").arg(t.path())).expect(0);
    check_no_leak(&p, "nested", &ran);
    unzip_accepts(&zip);
    let described = py(json!({"op": "zip-describe", "path": zip}));
    let member = b64(&described["members"][0]["data"]);
    let inner_text = {
        use std::io::Read;
        let mut s = Vec::new();
        flate2::read::GzDecoder::new(&member[..])
            .read_to_end(&mut s)
            .unwrap();
        s
    };
    assert_same("gz in zip", &inner_text, redacted.as_bytes());
    let listing = tar_listing(&outer);
    assert_eq!(listing.len(), 3, "{listing:?}");
    run(cfscrub().arg("verify").arg(t.path())).expect(0);
}

#[test]
fn what_redact_cannot_rewrite_is_refused_and_left_untouched() {
    let t = Tree::new();
    let mut g = FakeGen::new(12);
    let mut p = Planted::default();
    let (text, _) = secret_log(&mut g, &mut p);
    let body = t.write("src/body", &text);
    // A credential in a member name.
    let name_token = p.add(g.scannable("cfat_", true));
    let named = t.join("named.tar");
    py(json!({"op": "tar", "format": "pax", "dest": named,
              "members": [[format!("keys/{name_token}.txt"), body]]}));
    let same = t.join("same.tar");
    py(json!({"op": "tar", "format": "gnu", "dest": same, "members": [["app.log", body]]}));
    std::fs::remove_dir_all(t.join("src")).unwrap();
    let before_named = std::fs::read(&named).unwrap();
    let before_same = std::fs::read(&same).unwrap();

    let ran = run(cfscrub().arg("redact").arg(&named)).expect(2);
    check_no_leak(&p, "name", &ran);
    assert!(
        ran.stderr()
            .contains("holds a credential (names are not rewritten"),
        "{}",
        ran.stderr()
    );
    assert_same("named", std::fs::read(&named).unwrap(), &before_named);

    let ran = run(cfscrub().args(["redact", "--same-length"]).arg(&same)).expect(2);
    check_no_leak(&p, "same-length", &ran);
    assert!(
        ran.stderr()
            .contains("--same-length cannot rewrite tar content in place"),
        "{}",
        ran.stderr()
    );
    assert_same("same", std::fs::read(&same).unwrap(), &before_same);
}

#[test]
fn an_archive_held_open_for_writing_is_refused_untouched() {
    let t = Tree::new();
    let mut g = FakeGen::new(13);
    let mut p = Planted::default();
    let (text, _) = secret_log(&mut g, &mut p);
    let body = t.write("src/body", &text);
    let tar = t.join("live.tar");
    py(json!({"op": "tar", "format": "gnu", "dest": tar, "members": [["app.log", body]]}));
    std::fs::remove_dir_all(t.join("src")).unwrap();
    let before = std::fs::read(&tar).unwrap();
    // A writer holding it open (as a log shipper appending to a bundle).
    let mut writer = Command::new("sh")
        .arg("-c")
        .arg("exec 3>>\"$1\"; cat >/dev/null")
        .arg("sh")
        .arg(&tar)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let target = std::fs::canonicalize(&tar).unwrap();
    let fds = format!("/proc/{}/fd", writer.id());
    wait_until("the writer opens the archive", || {
        std::fs::read_dir(&fds).is_ok_and(|d| {
            d.flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == target))
        })
    });
    let ran = run(cfscrub().arg("redact").arg(&tar));
    drop(writer.stdin.take());
    writer.wait().unwrap();
    check_no_leak(&p, "held", &ran);
    let ran = ran.expect(2);
    assert!(
        ran.stderr().contains("is open for writing by process"),
        "{}",
        ran.stderr()
    );
    assert_same("held", std::fs::read(&tar).unwrap(), &before);
}
