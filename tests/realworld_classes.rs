//! End-to-end: issue 12's classes of real-world material through the real
//! binary — what others' code, configs and docs hold (names in other
//! spellings, setters, blocks, SDK calls, context on another line, Origin
//! CA keys of other lengths) is found, and what ordinary code holds
//! (identifiers that start like a prefix, generic names with nothing of
//! Cloudflare's near them, placeholders) is not. Values are generated at
//! test time; no output may hold one.

mod common;
use common::*;

const MARK: &str = "[REDACTED_CF_TOKEN]";

/// `scan --format json` of `text` in a file: (kind, line, column, length)
/// per finding, after checking that no output holds a planted value.
fn scanned(p: &Planted, text: &str) -> Vec<(String, u64, u64, u64)> {
    let t = Tree::new();
    let file = t.write("sample.txt", text);
    let ran = run(cfscrub().args(["scan", "--format", "json"]).arg(&file));
    p.assert_absent("scan stdout", &ran.stdout);
    p.assert_absent("scan stderr", &ran.stderr);
    json_lines(&ran.stdout)
        .iter()
        .filter(|l| l["type"] == "finding")
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_string(),
                l["line"].as_u64().unwrap(),
                l["column"].as_u64().unwrap(),
                l["length"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Each case must give exactly one finding of `kind`, on the value.
fn each_found(p: &Planted, kind: &str, cases: &[(String, String)]) {
    let mut failures = Vec::new();
    for (i, (text, value)) in cases.iter().enumerate() {
        let at = text.find(value.as_str()).expect("the value is in the text");
        let line = text[..at].matches('\n').count() as u64 + 1;
        let column = (at - text[..at].rfind('\n').map_or(0, |n| n + 1)) as u64 + 1;
        let want = vec![(kind.to_string(), line, column, value.len() as u64)];
        let got = scanned(p, text);
        if got != want {
            // Case numbers and places only: never a value.
            failures.push(format!("case {i}: want {want:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each text must give no finding at all.
fn none_found(p: &Planted, cases: &[String]) {
    let failures: Vec<String> = cases
        .iter()
        .enumerate()
        .filter_map(|(i, text)| {
            let got = scanned(p, text);
            (!got.is_empty()).then(|| format!("case {i}: got {got:?}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One class of material: each template, its `{v}` a fresh value from
/// `value`, must give exactly one finding of `kind`, on the value.
fn class_found(seed: u64, kind: &str, templates: &[&str], value: fn(&mut FakeGen) -> String) {
    let mut g = FakeGen::new(seed);
    let mut p = Planted::default();
    let cases: Vec<(String, String)> = templates
        .iter()
        .map(|t| {
            let v = p.add(value(&mut g));
            (t.replace("{v}", &v), v)
        })
        .collect();
    each_found(&p, kind, &cases);
}

#[test]
fn a_cloudflare_name_in_any_spelling_setter_or_operator_introduces_a_token() {
    class_found(
        1201,
        "cloudflare-legacy-api-token",
        &[
            "cloudflareToken = \"{v}\"\n",
            "CloudflareApiToken: {v}\n",
            "cloudflare-api-token: {v}\n",
            "cloudflare.api.token={v}\n",
            "<cloudflareApiToken>{v}</cloudflareApiToken>\n",
            "System.setProperty(\"CLOUDFLARE_TOKEN\", \"{v}\");\n",
            "os.environ[\"CF_API_TOKEN\"] = \"{v}\"\n",
            "process.env.CLOUDFLARE_API_TOKEN = '{v}';\n",
            "CLOUDFLARE_API_TOKEN ?= {v}\n",
            "$cloudflare_token .= '{v}';\n",
            "'cloudflare_api_token' => '{v}',\n",
            "define('CLOUDFLARE_API_TOKEN', '{v}');\n",
            // The value's shape decides: a token under a `…KEY` name.
            "CLOUDFLARE_API_KEY={v}\n",
        ],
        FakeGen::legacy_token,
    );
}

#[test]
fn a_hex_key_is_a_global_key_under_any_cloudflare_name_block_or_sdk_call() {
    class_found(
        1202,
        "cloudflare-legacy-global-key",
        &[
            "CLOUDFLARE_API_TOKEN={v}\n",
            "cloudflare:\n  email: ops@example.com\n  key: {v}\n",
            "api, err := cloudflare.New(\"{v}\", \"ops@example.com\")\n",
            "const auth = new APIKey('ops@example.com', '{v}');\n",
            "X-Auth-Email: ops@example.com\nX-Auth-Key:\n  {v}\n",
        ],
        |g| g.hex(37),
    );
}

#[test]
fn generic_names_are_cloudflares_in_a_cloudflare_block_line_or_sdk_call() {
    class_found(
        1203,
        "cloudflare-legacy-api-token",
        &[
            "cloudflare:\n  api_token: {v}\n",
            "[cloudflare]\nemail = ops@example.com\ntoken = {v}\n",
            "provider \"cloudflare\" {\n  api_token = \"{v}\"\n}\n",
            "lexicon cloudflare --auth-token={v} list example.com A\n",
            "token = \"{v}\"  # CLOUDFLARE_API_TOKEN\n",
            "client := cloudflare.NewClient(option.WithAPIToken(\"{v}\"))\n",
            "api, err := cloudflare.NewWithAPIToken(\"{v}\")\n",
            "const auth = new APIToken('{v}');\n",
            "cf = CloudFlare.CloudFlare(token=\"{v}\")\n",
            "protocol=cloudflare,  \\\nzone=example.com,     \\\nlogin=token,          \\\npassword={v}     \\\nhost.example.com\n",
        ],
        FakeGen::legacy_token,
    );
}

#[test]
fn origin_ca_keys_of_other_lengths_are_found() {
    let mut g = FakeGen::new(1204);
    let mut p = Planted::default();
    let cases: Vec<(String, String)> = [
        (24, vec![120]),
        (32, vec![160]),
        (64, vec![128, 64]),
        (32, vec![64, 32, 16]),
    ]
    .into_iter()
    .map(|(first, rest)| {
        let mut key = format!("v1.0-{}", g.hex(first));
        for n in rest {
            key = format!("{key}-{}", g.hex(n));
        }
        let key = p.add(key);
        (format!("origin_ca_key = \"{key}\"\n"), key)
    })
    .collect();
    each_found(&p, "cloudflare-origin-ca-key", &cases);
}

#[test]
fn ordinary_code_identifiers_generic_names_and_placeholders_are_silent() {
    let mut g = FakeGen::new(1205);
    let mut p = Planted::default();
    let mut cases: Vec<String> = [
        "opts = cfut_options(defaults)\n",
        "print(cfast_version)\n",
        "sync_cfast_repo --force\n",
        "__cfut_options = {}\n",
        "cfast_hash = compute(inputs)\n",
        "def cfk_lookup(table):\n",
        "gcc -c cfast_parameters.o\n",
        "CLOUDFLARE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
        "CLOUDFLARE_API_TOKEN=your-cloudflare-api-token-goes-here-0000\n",
        "dns_cloudflare_api_key = 0123456789abcdef0123456789abcdef01234\n",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for template in [
        "[gitlab]\napi_token = \"{v}\"\n",
        "MAILGUN_API_TOKEN={v}\n",
        "sendgrid:\n  apiToken: {v}\n",
        "--api-token {v} --host gitea.example.org\n",
        "Authorization: Api-Token {v}\n",
        "[cloudflare]\nzone = example.com\n[gitlab]\napi_token = {v}\n",
        "curl -H \"Authorization: Bearer {v}\" https://api.github.com/user\n",
    ] {
        cases.push(template.replace("{v}", &p.add(g.legacy_token())));
    }
    cases.push(format!("{{\"api_key\": \"{}\"}}\n", p.add(g.hex(37))));
    none_found(&p, &cases);
}

/// A curl command continued on the next line, as scripts and CI logs
/// write it: the token after `Bearer` is Cloudflare's by the URL on the
/// line before; `filter` and `redact` mask it like `scan` finds it.
#[test]
fn context_on_another_line_is_found_filtered_and_redacted() {
    let mut g = FakeGen::new(1206);
    let mut p = Planted::default();
    let token = p.add(g.legacy_token());
    let secret = p.add(g.hex(64));
    let text = format!(
        "curl https://api.cloudflare.com/client/v4/zones \\\n  -H \"Authorization: Bearer {token}\"\n\
         {{\n  \"cf-access-client-secret\":\n    \"{secret}\"\n}}\n"
    );
    assert_eq!(
        scanned(&p, &text),
        [
            ("cloudflare-legacy-api-token".to_string(), 2, 29, 40),
            ("cloudflare-access-client-secret".to_string(), 5, 6, 64),
        ]
    );
    let masked = format!(
        "curl https://api.cloudflare.com/client/v4/zones \\\n  -H \"Authorization: Bearer {MARK}\"\n\
         {{\n  \"cf-access-client-secret\":\n    \"{MARK}\"\n}}\n"
    );
    let ran = run(cfscrub().arg("filter").write_stdin(text.clone())).expect(0);
    p.assert_absent("filter stderr", &ran.stderr);
    assert_same("filter stdout", &ran.stdout, &masked);

    let t = Tree::new();
    let file = t.write("deploy.sh", &text);
    let ran = run(cfscrub().args(["redact", "-q"]).arg(&file)).expect(0);
    p.assert_absent("redact stdout", &ran.stdout);
    p.assert_absent("redact stderr", &ran.stderr);
    assert_same("redacted file", std::fs::read(&file).unwrap(), &masked);
    run(cfscrub().arg("verify").arg(&file)).expect(0);
}

/// The look-back for a block naming Cloudflare is bounded (8 lines, 512
/// bytes, inside the scanner's overlap, so chunk borders change nothing:
/// tests/chunking.rs): a block header further up does not count.
#[test]
fn a_block_far_behind_its_value_is_looked_for_within_bounds() {
    let mut g = FakeGen::new(1207);
    let mut p = Planted::default();
    let token = p.add(g.legacy_token());
    let near = format!(
        "cloudflare:\n{}  api_token: {token}\n",
        "  zone: example.com\n".repeat(6)
    );
    assert_eq!(scanned(&p, &near).len(), 1);
    // Beyond the look-back (8 lines): a generic name alone.
    let far = format!(
        "cloudflare:\n{}  api_token: {token}\n",
        "  zone: example.com\n".repeat(9)
    );
    assert_eq!(scanned(&p, &far), []);
}
