//! Where AI coding agents keep their transcripts: JSON Lines (and JSON)
//! files that hold every tool call's output verbatim — a `cat .env`, a
//! failed deploy's log — so a credential an agent once saw stays on disk.
//! `cfscrub history` lists them beside the shell histories and redacts
//! them with the same rewrite: the marker (`[REDACTED_CF_TOKEN]`) holds no
//! character JSON escapes, and credentials hold none either, so a
//! redacted line is still valid JSON; a value right after an escape such
//! as `\n` is found as at the start of a line
//! (see `core::detect::left_boundary`).

use super::history::HistoryFile;
use std::path::{Path, PathBuf};

/// One agent's store: a directory searched for transcript files.
struct Store {
    owner: &'static str,
    dir: PathBuf,
    extensions: &'static [&'static str],
}

/// How deep below a store's directory transcripts are looked for
/// (`~/.codex/sessions/2026/11/25/rollout-….jsonl` is four down).
const MAX_DEPTH: usize = 8;

/// The stores under `home`. With `own_home`, `$CLAUDE_CONFIG_DIR` and
/// `$CODEX_HOME` move Claude Code's and Codex's directories as they do
/// for those tools.
fn stores(home: &Path, own_home: bool) -> Vec<Store> {
    let var = |k: &str| {
        own_home
            .then(|| std::env::var_os(k))
            .flatten()
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let claude = var("CLAUDE_CONFIG_DIR").unwrap_or_else(|| home.join(".claude"));
    let codex = var("CODEX_HOME").unwrap_or_else(|| home.join(".codex"));
    vec![
        Store {
            owner: "claude",
            dir: claude.join("projects"),
            extensions: &["jsonl"],
        },
        Store {
            owner: "codex",
            dir: codex.join("sessions"),
            extensions: &["jsonl"],
        },
        Store {
            owner: "codex",
            dir: codex.join("history.jsonl"),
            extensions: &["jsonl"],
        },
        Store {
            owner: "gemini",
            dir: home.join(".gemini/tmp"),
            extensions: &["json", "jsonl"],
        },
    ]
}

/// The owners [`transcripts`] gives its files.
pub const AGENTS: &[&str] = &["claude", "codex", "gemini"];

/// Every transcript file under the agents' stores, sorted by path within
/// each store. Links are listed (to be reported, not followed); directories
/// behind links are not entered.
pub fn transcripts(home: &Path, own_home: bool) -> Vec<HistoryFile> {
    let mut out = Vec::new();
    for store in stores(home, own_home) {
        let mut found: Vec<PathBuf> = walkdir::WalkDir::new(&store.dir)
            .follow_links(false)
            .max_depth(MAX_DEPTH)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| !e.file_type().is_dir())
            .map(walkdir::DirEntry::into_path)
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| store.extensions.contains(&e))
            })
            .collect();
        found.sort();
        out.extend(found.into_iter().map(|path| HistoryFile {
            owner: store.owner,
            path,
            same_length: false,
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_agents_transcripts_and_nothing_else() {
        let home = tempfile::tempdir().unwrap();
        let h = home.path();
        let files = [
            ".claude/projects/-work-app/0b1c.jsonl",
            ".codex/sessions/2026/11/25/rollout-1.jsonl",
            ".codex/history.jsonl",
            ".gemini/tmp/abc123/logs.json",
            ".gemini/tmp/abc123/chats/session-1.json",
        ];
        for f in files.iter().chain(&[
            ".claude/projects/-work-app/notes.txt",
            ".claude/settings.json",
        ]) {
            std::fs::create_dir_all(h.join(f).parent().unwrap()).unwrap();
            std::fs::write(h.join(f), "{}\n").unwrap();
        }
        let found: Vec<(&str, PathBuf)> = transcripts(h, false)
            .into_iter()
            .map(|t| (t.owner, t.path.strip_prefix(h).unwrap().to_path_buf()))
            .collect();
        let expected: Vec<(&str, PathBuf)> = [
            ("claude", files[0]),
            ("codex", files[1]),
            ("codex", files[2]),
            ("gemini", files[4]),
            ("gemini", files[3]),
        ]
        .iter()
        .map(|(o, f)| (*o, PathBuf::from(f)))
        .collect();
        assert_eq!(found, expected);
    }
}
