//! `cfscrub history` on AI coding agents' transcripts (Claude Code, Codex,
//! Gemini CLI), generated here with fake credentials: every line still
//! parses as JSON after redaction, the fakes are gone (also from behind
//! `\n` and escaped ANSI codes, and from JSON nested in a string), lines
//! without a credential are byte for byte the same, and the report lists
//! the transcripts with the shells without showing a value.

mod common;
use common::*;
use serde_json::json;

/// A home with one transcript per agent: (home, planted values, each file's
/// relative path with its original lines).
fn home_with_transcripts(seed: u64) -> (Tree, Planted, Vec<(String, Vec<String>)>) {
    let t = Tree::new();
    let mut gen = FakeGen::new(seed);
    let mut planted = Planted::default();
    let token = planted.add(gen.scannable("cfut_", true));
    let legacy = planted.add(gen.legacy_token());
    let partial = planted.add(format!("cfat_{}", gen.alnum(6)));
    let coloured = planted.add(format!("cfk_{}", gen.alnum(8)));
    let oauth = planted.add(gen.oauth("cfoat_"));
    let clean = [
        r#"{"type":"user","message":{"role":"user","content":"deploy the worker"}}"#.to_string(),
        // Formatting serde_json would not reproduce: must stay as it is.
        r#"{"n": 1.50, "s":"caf\u00e9 \/ ok",  "e":1e3}"#.to_string(),
    ];
    let claude = vec![
        clean[0].clone(),
        json!({"type":"tool_result","content": format!("wrangler deploy\nauthenticated with {token}\ndone\n")}).to_string(),
        clean[1].clone(),
        json!({"type":"tool_result","content": format!("$ grep -rn token .\n{partial}\n")}).to_string(),
        json!({"type":"tool_use","input":{"command":"cat .env"},"output": json!({"CLOUDFLARE_API_TOKEN": legacy}).to_string()}).to_string(),
    ];
    let codex = vec![
        json!({"type":"session_meta","payload":{"cwd":"/work/app"}}).to_string(),
        json!({"type":"event_msg","payload":{"output": format!("\u{1b}[33m{coloured}\u{1b}[0m failed")}}).to_string(),
    ];
    let gemini = vec![json!([
        {"role":"user","parts":[{"text":"why did the deploy fail?"}]},
        {"role":"model","parts":[{"text": format!("The refresh token {oauth} expired.")}]}
    ])
    .to_string()];
    let files = vec![
        (".claude/projects/-work-app/5f0e.jsonl".to_string(), claude),
        (
            ".codex/sessions/2026/11/25/rollout-2026-11-25T10-00-00.jsonl".to_string(),
            codex,
        ),
        (
            ".gemini/tmp/0a1b2c/chats/session-1.json".to_string(),
            gemini,
        ),
    ];
    for (rel, lines) in &files {
        t.write(rel, lines.join("\n") + "\n");
    }
    (t, planted, files)
}

#[test]
fn agent_transcripts_stay_valid_json_with_every_fake_gone() {
    let (t, planted, files) = home_with_transcripts(1616);
    let ran = run(cfscrub().args(["history", "--home"]).arg(t.path())).expect(0);
    planted.assert_absent("history stdout", &ran.stdout);
    planted.assert_absent("history stderr", &ran.stderr);
    for (rel, before) in &files {
        let after = std::fs::read(t.join(rel)).unwrap();
        planted.assert_absent(rel, &after);
        let after = String::from_utf8(after).expect("still UTF-8");
        let after: Vec<&str> = after.lines().collect();
        assert_eq!(after.len(), before.len(), "{rel}: number of lines");
        for (i, (old, new)) in before.iter().zip(&after).enumerate() {
            serde_json::from_str::<serde_json::Value>(new)
                .unwrap_or_else(|e| panic!("{rel} line {}: not JSON after redaction: {e}", i + 1));
            if !old.contains("cf") && !old.contains("CLOUDFLARE") && !old.contains("refresh") {
                assert_eq!(old, new, "{rel} line {}: untouched line changed", i + 1);
            } else {
                assert!(
                    new.contains("[REDACTED_CF_TOKEN]"),
                    "{rel} line {}: no marker",
                    i + 1
                );
            }
        }
    }
}

#[test]
fn history_report_lists_agent_transcripts_with_the_shells() {
    let (t, planted, _) = home_with_transcripts(1617);
    t.write(".bash_history", "ls\n");
    t.write(
        ".claude/projects/-work-other/clean.jsonl",
        "{\"type\":\"user\"}\n",
    );
    let ran = run(cfscrub()
        .args(["history", "--dry-run", "--home"])
        .arg(t.path()))
    .expect(1);
    planted.assert_absent("history --dry-run stdout", &ran.stdout);
    planted.assert_absent("history --dry-run stderr", &ran.stderr);
    let out = ran.stdout();
    assert!(out.contains(".bash_history (bash): clean"), "{out}");
    assert!(
        out.contains("5f0e.jsonl (claude): 3 would be redacted"),
        "{out}"
    );
    assert!(out.contains("(codex): 1 would be redacted"), "{out}");
    assert!(
        out.contains("session-1.json (gemini): 1 would be redacted"),
        "{out}"
    );
    assert!(out.contains("claude transcripts: 1 clean"), "{out}");
    // A dry run changes nothing.
    let claude = std::fs::read_to_string(t.join(".claude/projects/-work-app/5f0e.jsonl")).unwrap();
    assert!(!claude.contains("[REDACTED_CF_TOKEN]"));
}
