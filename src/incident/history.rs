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

/// What the hooks print, once per shell session, when `cfscrub` cannot
/// check a command (not on `PATH`, or failed): the command is then saved
/// unchecked, and the user must know it.
pub const HOOK_UNCHECKED_WARNING: &str =
    "cfscrub: cannot check commands before they enter the history (not on PATH, or failing): they are saved unchecked until it is fixed";

/// The rc-file snippet that keeps commands holding a credential out of the
/// history. It runs the `cfscrub` found on `PATH` at each command (never a
/// path fixed when the snippet was printed, which a `cargo clean` or an
/// upgrade would leave dangling), with `--no-config` so that no project's
/// settings decide. When it cannot check, it says so once per session.
/// It joins the shell's existing hooks rather than replacing them: zsh's
/// through `add-zsh-hook`, bash's `PROMPT_COMMAND` by prepending, fish's
/// `fish_should_add_to_history` by calling a user's own first.
pub fn hook(shell: Shell) -> String {
    let warning = HOOK_UNCHECKED_WARNING;
    match shell {
        Shell::Zsh => format!(
            r#"# cfscrub: keep commands holding a Cloudflare credential out of the history
# (add to ~/.zshrc; the command is checked through a pipe, never on a command line)
__cfscrub_history_guard() {{
  emulate -L zsh
  local rc=2
  if command -v cfscrub >/dev/null 2>&1; then
    print -r -- "$1" | cfscrub scan --no-config -q - >/dev/null 2>&1
    rc=$?
  fi
  if (( rc == 1 )); then
    print -u2 "cfscrub: not saved to history (it holds a Cloudflare credential)"
    return 1
  fi
  if (( rc != 0 && ! ${{+__cfscrub_warned}} )); then
    typeset -g __cfscrub_warned=1
    print -u2 "{warning}"
  fi
  return 0
}}
autoload -Uz add-zsh-hook
add-zsh-hook zshaddhistory __cfscrub_history_guard
"#
        ),
        Shell::Bash => format!(
            r#"# cfscrub: keep commands holding a Cloudflare credential out of the history
# (add to ~/.bashrc; the command is checked through a pipe, never on a command line)
__cfscrub_history_guard() {{
  local entry number rc=2
  # The last entry with every line of it (a quoted newline continues a command).
  entry=$(HISTTIMEFORMAT= builtin history 1) || return 0
  number=${{entry#"${{entry%%[![:space:]]*}}"}}
  number=${{number%%[!0-9]*}}
  [ -n "$number" ] || return 0
  if command -v cfscrub >/dev/null 2>&1; then
    printf '%s\n' "$entry" | cfscrub scan --no-config -q - >/dev/null 2>&1
    rc=$?
  fi
  if [ "$rc" -eq 1 ]; then
    builtin history -d "$number"
    printf 'cfscrub: removed from history (it holds a Cloudflare credential)\n' >&2
  elif [ "$rc" -ne 0 ] && [ -z "${{__cfscrub_warned-}}" ]; then
    __cfscrub_warned=1
    printf '%s\n' '{warning}' >&2
  fi
}}
PROMPT_COMMAND="__cfscrub_history_guard${{PROMPT_COMMAND:+; $PROMPT_COMMAND}}"
"#
        ),
        Shell::Fish => format!(
            r#"# cfscrub: keep commands holding a Cloudflare credential out of the history
# (add at the end of ~/.config/fish/config.fish; the command is checked through a pipe)
function __cfscrub_check
    # 0: clean, 1: holds a credential, 2: could not check (said once)
    set -l rc 2
    if command -q cfscrub
        printf '%s\n' $argv | command cfscrub scan --no-config -q - >/dev/null 2>&1
        set rc $status
    end
    if test $rc -gt 1
        if not set -q __cfscrub_warned
            set -g __cfscrub_warned 1
            echo '{warning}' >&2
        end
        return 2
    end
    return $rc
end
# fish 4+ asks this before saving; a function of yours by that name is kept
# and asked first.
if functions -q fish_should_add_to_history; and not functions -q __cfscrub_user_should_add
    functions --copy fish_should_add_to_history __cfscrub_user_should_add
end
function fish_should_add_to_history
    if functions -q __cfscrub_user_should_add
        __cfscrub_user_should_add $argv; or return 1
    end
    __cfscrub_check $argv
    test $status -ne 1
end
function __cfscrub_history_guard --on-event fish_postexec
    # fish 3.x saves first: delete the entry right after
    __cfscrub_check $argv[1]
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
    fn hooks_call_cfscrub_from_path_and_join_existing_hooks() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let text = hook(shell);
            assert!(text.contains("cfscrub scan --no-config -q -"), "{shell:?}");
            assert!(!text.contains("__cfscrub_exe"), "{shell:?}: no fixed path");
        }
        assert!(hook(Shell::Zsh).contains("add-zsh-hook zshaddhistory"));
        assert!(hook(Shell::Fish).contains("functions --copy fish_should_add_to_history"));
    }
}
