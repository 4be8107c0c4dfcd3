//! `cfscrub completions` and `cfscrub man`, loaded by the real tools: the
//! bash script in a real bash completing a subcommand, the zsh and fish
//! scripts parsed by zsh and fish, the man page rendered by groff/man.

mod common;
use common::*;
use std::process::Command as Std;

/// The script `cfscrub completions SHELL` prints, in a file of the tree.
fn script(t: &Tree, shell: &str) -> std::path::PathBuf {
    let ran = run(cfscrub().args(["completions", shell])).expect(0);
    assert!(!ran.stdout.is_empty(), "{shell}: empty completion script");
    t.write(&format!("cfscrub.{shell}"), &ran.stdout)
}

/// What bash's completion function proposes for `words` (the last word is
/// the one being completed), after loading the generated script.
fn bash_complete(script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let driver = r#"
set -u
source "$1"; shift
complete -p cfscrub >/dev/null || { echo "no completion registered" >&2; exit 3; }
COMP_WORDS=("$@")
COMP_CWORD=$(( $# - 1 ))
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_cfscrub cfscrub "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let out = Std::new("bash")
        .args(["--norc", "--noprofile", "-c", driver, "bash"])
        .arg(script)
        .args(words)
        .output()
        .expect("bash runs (install it: .ci/run does)");
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completion_completes_a_subcommand() {
    let t = Tree::new();
    let bash = script(&t, "bash");
    assert_eq!(bash_complete(&bash, &["cfscrub", "sc"]), ["scan"]);
    let all = bash_complete(&bash, &["cfscrub", ""]);
    for sub in ["scan", "redact", "verify", "filter", "history", "man"] {
        assert!(all.iter().any(|w| w == sub), "{sub} missing from {all:?}");
    }
}

#[test]
fn bash_completion_completes_flags_and_their_values() {
    let t = Tree::new();
    let bash = script(&t, "bash");
    assert_eq!(
        bash_complete(&bash, &["cfscrub", "redact", "--same"]),
        ["--same-length"]
    );
    assert_eq!(
        bash_complete(&bash, &["cfscrub", "scan", "--format", ""]),
        ["human", "json", "sarif"]
    );
    assert_eq!(
        bash_complete(&bash, &["cfscrub", "history", "hook", "z"]),
        ["zsh"]
    );
}

#[test]
fn zsh_and_fish_completions_parse() {
    let t = Tree::new();
    for (shell, check) in [("zsh", "-n"), ("fish", "--no-execute")] {
        let file = script(&t, shell);
        let out = Std::new(shell)
            .arg(check)
            .arg(&file)
            .output()
            .unwrap_or_else(|e| panic!("{shell} runs (install it: .ci/run does): {e}"));
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{shell} {check}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn fish_completion_proposes_subcommands() {
    let t = Tree::new();
    let file = script(&t, "fish");
    let out = Std::new("fish")
        .args(["--no-config", "-c"])
        .arg(format!(
            "source {}; complete --do-complete 'cfscrub re'",
            file.display()
        ))
        .output()
        .expect("fish runs");
    let words: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        words,
        ["redact"],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn unknown_completion_shell_is_refused() {
    let ran = run(cfscrub().args(["completions", "tcsh"])).expect(2);
    assert!(ran.stderr().contains("bash"), "{}", ran.stderr());
}

#[test]
fn man_page_renders_without_warnings() {
    let t = Tree::new();
    let ran = run(cfscrub().arg("man")).expect(0);
    let page = t.write("cfscrub.1", &ran.stdout);
    // groff with every warning enabled: the roff is well formed.
    let groff = Std::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&page)
        .output()
        .expect("groff runs (install it: .ci/run does)");
    assert!(
        groff.status.success() && groff.stderr.is_empty(),
        "groff: {}",
        String::from_utf8_lossy(&groff.stderr)
    );
    // man renders it as a page: every subcommand and the exit codes.
    let man = Std::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .expect("man runs (install it: .ci/run does)");
    assert!(man.status.success(), "man -l failed");
    let text = String::from_utf8_lossy(&man.stdout);
    for needle in [
        "cfscrub scan",
        "cfscrub redact",
        "cfscrub history hook",
        "cfscrub vault store",
        "--same-length",
        "EXIT STATUS",
        "an error; it outranks a finding",
    ] {
        assert!(text.contains(needle), "{needle} missing from the man page");
    }
}
