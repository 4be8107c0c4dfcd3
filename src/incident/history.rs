//! Shell and REPL histories: where they are, how to rewrite each, what to
//! tell the user about shells still running, and the capture-time hooks.
//!
//! Every history is rewritten by the `redact` engine ([`crate::rewrite`]),
//! replacing only the credential and keeping the rest of the command, the
//! timestamps and zsh's metafied bytes (a 0x83 byte escapes the next one;
//! credentials are ASCII, so a finding never touches such a pair). atuin's
//! SQLite database, with its `-wal` and `-journal` files, is redacted
//! through SQLite ([`crate::rewrite::sqlite`]) so it stays a valid database.

use std::path::{Path, PathBuf};

/// Which program a history belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Shell {
    /// GNU bash.
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

/// A history file found under a home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryFile {
    /// Whose it is (`bash`, `zsh`, `fish`, `atuin`, `python`, ...).
    pub owner: &'static str,
    /// Where.
    pub path: PathBuf,
    /// Rewrite in place with same-length replacements (SQLite).
    pub same_length: bool,
}

/// Where to look.
#[derive(Debug, Clone)]
pub struct Places {
    /// The home directory.
    pub home: PathBuf,
    /// `$HISTFILE`, when looking at the current user's home.
    pub histfile: Option<PathBuf>,
    /// `$ZDOTDIR`, likewise.
    pub zdotdir: Option<PathBuf>,
    /// `$XDG_DATA_HOME`, likewise.
    pub xdg_data_home: Option<PathBuf>,
}

impl Places {
    /// The current user's places (environment honoured), or those of
    /// `home` (environment ignored: it describes another home).
    pub fn new(home: Option<&Path>) -> Places {
        match home {
            Some(h) => Places {
                home: h.to_path_buf(),
                histfile: None,
                zdotdir: None,
                xdg_data_home: None,
            },
            None => {
                let var = |k: &str| {
                    std::env::var_os(k)
                        .filter(|v| !v.is_empty())
                        .map(PathBuf::from)
                };
                Places {
                    home: var("HOME").unwrap_or_else(|| PathBuf::from(".")),
                    histfile: var("HISTFILE"),
                    zdotdir: var("ZDOTDIR"),
                    xdg_data_home: var("XDG_DATA_HOME"),
                }
            }
        }
    }

    fn data_home(&self) -> PathBuf {
        self.xdg_data_home
            .clone()
            .unwrap_or_else(|| self.home.join(".local/share"))
    }

    /// Every history file that exists (a regular file or a link to report).
    pub fn histories(&self) -> Vec<HistoryFile> {
        let h = &self.home;
        let zdot = self.zdotdir.clone().unwrap_or_else(|| h.clone());
        let mut candidates: Vec<(&'static str, PathBuf, bool)> = Vec::new();
        if let Some(f) = &self.histfile {
            candidates.push(("shell ($HISTFILE)", f.clone(), false));
        }
        candidates.extend([
            ("bash", h.join(".bash_history"), false),
            ("zsh", zdot.join(".zsh_history"), false),
            ("zsh", zdot.join(".histfile"), false),
            ("fish", self.data_home().join("fish/fish_history"), false),
            ("atuin", self.data_home().join("atuin/history.db"), true),
            ("python", h.join(".python_history"), false),
            ("node", h.join(".node_repl_history"), false),
            ("psql", h.join(".psql_history"), false),
            ("mysql", h.join(".mysql_history"), false),
            ("sqlite3", h.join(".sqlite_history"), false),
            ("less", h.join(".lesshst"), false),
            ("vim", h.join(".viminfo"), false),
        ]);
        let mut seen = Vec::new();
        let mut out = Vec::new();
        for (owner, path, same_length) in candidates {
            if std::fs::symlink_metadata(&path).is_err() || seen.contains(&path) {
                continue;
            }
            seen.push(path.clone());
            out.push(HistoryFile {
                owner,
                path,
                same_length,
            });
        }
        out
    }

    /// Credential stores to report (not rewrite): wrangler configs and
    /// cloudflared credentials.
    pub fn credential_stores(&self) -> Vec<PathBuf> {
        let h = &self.home;
        let mut out = Vec::new();
        for dir in [
            h.join(".wrangler/config"),
            h.join(".config/.wrangler/config"),
        ] {
            out.extend(files_with_extension(&dir, "toml"));
        }
        let cloudflared = h.join(".cloudflared");
        if cloudflared.join("cert.pem").exists() {
            out.push(cloudflared.join("cert.pem"));
        }
        out.extend(files_with_extension(&cloudflared, "json"));
        out
    }
}

fn files_with_extension(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// What to run in shells that are still open, per shell.
pub fn running_shell_advice(owner: &str) -> Option<&'static str> {
    match owner {
        "bash" => Some(
            "open bash shells keep their history in memory and write it back on exit: in each, run \
             `history -c; history -r` (drop the in-memory list, re-read the scrubbed file) or `unset HISTFILE`",
        ),
        "zsh" => Some(
            "open zsh shells keep their history in memory and write it back on exit: in each, run \
             `unset HISTFILE` (that session then saves nothing; `fc -p` is not enough: zsh 5.9 still saves \
             the original list on exit)",
        ),
        "fish" => Some(
            "open fish shells keep their history in memory: in each, run `history merge` so it re-reads the scrubbed file",
        ),
        _ => None,
    }
}

/// `path` as one word that `shell` reads back byte for byte: single-quoted
/// (fish also escapes `\` and `'` inside single quotes), and each byte that
/// is not UTF-8 written as an escape (`$'\xff'` in bash and zsh, `\Xff` in
/// fish).
fn shell_quote(shell: Shell, path: &Path) -> String {
    use std::fmt::Write;
    use std::os::unix::ffi::OsStrExt;
    let mut word = String::new();
    for chunk in path.as_os_str().as_bytes().utf8_chunks() {
        let text = chunk.valid();
        if !text.is_empty() {
            let quoted = match shell {
                Shell::Fish => text.replace('\\', r"\\").replace('\'', r"\'"),
                Shell::Bash | Shell::Zsh => text.replace('\'', r"'\''"),
            };
            word.push('\'');
            word.push_str(&quoted);
            word.push('\'');
        }
        for byte in chunk.invalid() {
            let _ = match shell {
                Shell::Fish => write!(word, r"\X{byte:02x}"),
                Shell::Bash | Shell::Zsh => write!(word, r"$'\x{byte:02x}'"),
            };
        }
    }
    if word.is_empty() {
        word.push_str("''");
    }
    word
}

/// The rc-file snippet that keeps commands holding a credential out of the
/// history; `exe` is the cfscrub to call.
pub fn hook(shell: Shell, exe: &Path) -> String {
    let exe = shell_quote(shell, exe);
    match shell {
        Shell::Zsh => format!(
            r#"# cfscrub: keep commands holding a Cloudflare credential out of the history
# (add to ~/.zshrc; the command is checked through a pipe, never on a command line)
__cfscrub_exe={exe}
zshaddhistory() {{
  emulate -L zsh
  print -r -- "$1" | "$__cfscrub_exe" scan -q - >/dev/null 2>&1
  if (( $? == 1 )); then
    print -u2 "cfscrub: not saved to history (it holds a Cloudflare credential)"
    return 1
  fi
  return 0
}}
"#
        ),
        Shell::Bash => format!(
            r#"# cfscrub: keep commands holding a Cloudflare credential out of the history
# (add to ~/.bashrc; the command is checked through a pipe, never on a command line)
__cfscrub_exe={exe}
__cfscrub_history_guard() {{
  local entry number
  # The last entry with every line of it (a quoted newline continues a command).
  entry=$(HISTTIMEFORMAT= builtin history 1) || return 0
  number=${{entry#"${{entry%%[![:space:]]*}}"}}
  number=${{number%%[!0-9]*}}
  [ -n "$number" ] || return 0
  printf '%s\n' "$entry" | "$__cfscrub_exe" scan -q - >/dev/null 2>&1
  if [ $? -eq 1 ]; then
    builtin history -d "$number"
    printf 'cfscrub: removed from history (it holds a Cloudflare credential)\n' >&2
  fi
}}
PROMPT_COMMAND="__cfscrub_history_guard${{PROMPT_COMMAND:+; $PROMPT_COMMAND}}"
"#
        ),
        Shell::Fish => format!(
            r#"# cfscrub: keep commands holding a Cloudflare credential out of the history
# (add to ~/.config/fish/config.fish; the command is checked through a pipe)
set -g __cfscrub_exe {exe}
function fish_should_add_to_history
    # fish 4+: asked before a command is saved
    printf '%s\n' $argv | $__cfscrub_exe scan -q - >/dev/null 2>&1
    test $status -ne 1
end
function __cfscrub_history_guard --on-event fish_postexec
    # fish 3.x saves first: delete the entry right after
    printf '%s\n' $argv[1] | $__cfscrub_exe scan -q - >/dev/null 2>&1
    if test $status -eq 1
        history delete --exact --case-sensitive -- $argv[1] >/dev/null 2>&1
        echo "cfscrub: removed from history (it holds a Cloudflare credential)" >&2
    end
end
"#
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_histories_under_a_given_home_only() {
        let dir = tempfile::tempdir().unwrap();
        let h = dir.path();
        std::fs::write(h.join(".bash_history"), "ls\n").unwrap();
        std::fs::create_dir_all(h.join(".local/share/atuin")).unwrap();
        std::fs::write(h.join(".local/share/atuin/history.db"), "x").unwrap();
        let found = Places::new(Some(h)).histories();
        let owners: Vec<_> = found.iter().map(|f| (f.owner, f.same_length)).collect();
        assert_eq!(owners, [("bash", false), ("atuin", true)]);
    }

    #[test]
    fn each_shell_reads_the_binary_path_back_byte_for_byte_from_its_hook() {
        // Fuzzing (history target) found paths the hooks misquoted: bytes
        // that are not UTF-8 became U+FFFD (the hook then called a binary
        // that does not exist, and let every command into the history),
        // and fish read `\\` inside single quotes as one backslash (a path
        // ending in `\` left the quote open).
        use std::os::unix::ffi::OsStrExt;
        let paths: [&[u8]; 6] = [
            b"/opt/it's/cfscrub",
            b"/opt/back\\slash\\/cfscrub",
            b"/opt/ends in a backslash\\",
            b"/opt/\xff\x80 latin-1 caf\xe9/cf'scrub",
            b"/opt/new\nline/caf\xc3\xa9/cfscrub",
            b"",
        ];
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            for (i, path) in paths.iter().enumerate() {
                let exe = Path::new(std::ffi::OsStr::from_bytes(path));
                let (program, args, print): (&str, &[&str], &str) = match shell {
                    Shell::Bash => ("bash", &["--norc", "-c"], r#"printf %s "$__cfscrub_exe""#),
                    Shell::Zsh => ("zsh", &["-f", "-c"], r#"printf %s "$__cfscrub_exe""#),
                    Shell::Fish => ("fish", &["--no-config", "-c"], "printf %s $__cfscrub_exe"),
                };
                let script = format!("{}\n{print}", hook(shell, exe));
                let out = std::process::Command::new(program)
                    .args(args)
                    .arg(&script)
                    .output()
                    .unwrap_or_else(|e| {
                        panic!("{program} is needed (bash .ci/run installs it): {e}")
                    });
                assert!(
                    out.status.success(),
                    "{shell:?}, path #{i}: the hook does not run"
                );
                assert_eq!(
                    out.stdout, *path,
                    "{shell:?}, path #{i}: another path is called"
                );
            }
        }
    }

    #[test]
    fn hooks_quote_the_binary_path() {
        let s = hook(Shell::Bash, Path::new("/opt/it's/cfscrub"));
        assert!(s.contains(r"'/opt/it'\''s/cfscrub'"));
        assert!(hook(Shell::Zsh, Path::new("/x")).contains("zshaddhistory"));
        assert!(hook(Shell::Fish, Path::new("/x")).contains("fish_postexec"));
    }
}
