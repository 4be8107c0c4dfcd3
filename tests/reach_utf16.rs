//! End-to-end tests of `scan` and `verify` over UTF-16 text (PowerShell
//! transcripts, Windows logs): little- and big-endian, with a byte order
//! mark or without (the sniffer's heuristic), findings located in code
//! units; also inside a compressed file. Every run is checked for leaks.

mod common;
use common::*;
use serde_json::json;

fn utf16(text: &str, bom: bool, little_endian: bool) -> Vec<u8> {
    let mut units: Vec<u16> = Vec::new();
    if bom {
        units.push(0xfeff);
    }
    units.extend(text.encode_utf16());
    units
        .into_iter()
        .flat_map(|u| {
            if little_endian {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            }
        })
        .collect()
}

/// A transcript whose second line holds, after non-ASCII text (`é` is one
/// code unit, `😀` two), the token at code unit 46 of the line.
fn transcript(p: &mut Planted, g: &mut FakeGen) -> String {
    format!(
        "Windows PowerShell transcript start\r\nPS C:\\> héllo 😀 $env:CLOUDFLARE_API_TOKEN = '{}'\r\n",
        p.add(g.scannable("cfut_", true))
    )
}

#[test]
fn utf16_text_is_scanned_with_or_without_a_bom_and_located_in_code_units() {
    for (seed, bom, le) in [
        (1, true, true),
        (2, false, true),
        (3, true, false),
        (4, false, false),
    ] {
        let t = Tree::new();
        let mut g = FakeGen::new(seed);
        let mut p = Planted::default();
        let text = transcript(&mut p, &mut g);
        let path = t.write("transcript.txt", utf16(&text, bom, le));
        let what = format!("bom {bom}, little-endian {le}");

        let ran = run(cfscrub().args(["verify", "--format", "json"]).arg(&path)).expect(1);
        check_no_leak(&p, &what, &ran);
        let found = findings(&ran.stdout);
        assert_eq!(found.len(), 1, "{what}");
        let line_start = text.find('\n').unwrap() + 1;
        let units_before = text.encode_utf16().count() - text[line_start..].encode_utf16().count();
        assert_eq!(
            (found[0]["line"].clone(), found[0]["column"].clone()),
            (json!(2), json!(47)),
            "{what}"
        );
        assert_eq!(
            found[0]["offset"],
            json!(units_before + 46),
            "{what}: code units after the BOM"
        );
        assert_eq!(found[0]["length"], json!(p.0[0].len()));
        assert!(found[0].get("container_path").is_none());

        let ran = run(cfscrub().arg("scan").arg(&path)).expect(1);
        check_no_leak(&p, &what, &ran);
        assert!(ran
            .stdout()
            .starts_with(&format!("{}:2:47: ", path.display())));
        assert!(!ran.stderr().contains("not inspected"), "{}", ran.stderr());
    }
}

#[test]
fn a_clean_utf16_file_verifies_clean_and_a_compressed_one_is_read_through() {
    let t = Tree::new();
    t.write(
        "clean.txt",
        utf16("PS C:\\> Get-Date\r\nnothing to see\r\n", true, true),
    );
    run(cfscrub().arg("verify").arg(t.path())).expect(0);

    let mut g = FakeGen::new(5);
    let mut p = Planted::default();
    let text = transcript(&mut p, &mut g);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &utf16(&text, true, true)).unwrap();
    let path = t.write("transcript.txt.gz", gz.finish().unwrap());
    let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(&path)).expect(1);
    check_no_leak(&p, "gzip of UTF-16", &ran);
    let found = findings(&ran.stdout);
    assert_eq!(found[0]["container_path"], json!(["transcript.txt"]));
    assert_eq!(found[0]["column"], 47);
}

/// `bytes` decoded by Python (`utf-16` with a BOM, else the given order):
/// an independent check that the rewrite is well-formed UTF-16.
fn python_decodes(bytes: &[u8], bom: bool, le: bool) -> String {
    let codec = match (bom, le) {
        (true, _) => "utf-16",
        (false, true) => "utf-16-le",
        (false, false) => "utf-16-be",
    };
    let script = format!(
        "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode('{codec}', 'strict').encode('utf-8'))"
    );
    String::from_utf8(pipe("python3", &["-c", &script], bytes)).unwrap()
}

#[test]
fn redact_re_encodes_utf16_in_its_byte_order_and_keeps_the_bom() {
    for (seed, bom, le) in [
        (11, true, true),
        (12, false, true),
        (13, true, false),
        (14, false, false),
    ] {
        let t = Tree::new();
        let mut g = FakeGen::new(seed);
        let mut p = Planted::default();
        let text = transcript(&mut p, &mut g);
        let path = t.write("transcript.txt", utf16(&text, bom, le));
        let what = format!("bom {bom}, little-endian {le}");

        let ran = run(cfscrub().args(["redact", "--dry-run"]).arg(&path)).expect(1);
        check_no_leak(&p, &what, &ran);
        let encoding = if le { "utf-16le" } else { "utf-16be" };
        assert!(
            ran.stdout().contains(&format!(
                "1 would be redacted (1 cloudflare-user-token) at line(s) 2; method: rename (re-encoded: {encoding})"
            )),
            "{what}: {}",
            ran.stdout()
        );

        let ran = run(cfscrub().arg("redact").arg(&path)).expect(0);
        check_no_leak(&p, &what, &ran);
        let after = std::fs::read(&path).unwrap();
        let expected = text.replace(&p.0[0], "[REDACTED_CF_TOKEN]");
        assert_same(&what, &after, utf16(&expected, bom, le));
        assert_same(&what, python_decodes(&after, bom, le), &expected);
        run(cfscrub().arg("verify").arg(&path)).expect(0);
    }
}

#[test]
fn malformed_utf16_is_refused_and_left_untouched() {
    let t = Tree::new();
    let mut g = FakeGen::new(15);
    let mut p = Planted::default();
    let text = transcript(&mut p, &mut g);
    let mut odd = utf16(&text, true, true);
    odd.push(b'x');
    let mut lone = utf16("ok\r\n", true, true);
    lone.extend_from_slice(&0xdc00u16.to_le_bytes());
    lone.extend(utf16(&text, false, true));
    for (name, bytes, why) in [
        ("odd.txt", odd, "an odd number of bytes"),
        ("lone.txt", lone, "an unpaired surrogate"),
    ] {
        let path = t.write(name, &bytes);
        let ran = run(cfscrub().arg("redact").arg(&path)).expect(2);
        check_no_leak(&p, name, &ran);
        assert!(
            ran.stderr()
                .contains(&format!("utf-16le: {why}: not rewritten")),
            "{name}: {}",
            ran.stderr()
        );
        assert_same(name, std::fs::read(&path).unwrap(), &bytes);
    }
}
