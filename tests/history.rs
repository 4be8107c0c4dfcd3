//! `cfscrub history` against real shells: bash, zsh and fish run
//! interactively under `script` with a temporary HOME, a command holding a
//! generated token is typed, and the history files are checked after the
//! scrub — and with the capture-time hook installed.
//!
//! Synchronisation is on what the terminal shows, never on fixed sleeps:
//! nothing is typed before the shell shows its first prompt ([`PROMPT`]),
//! and after each command a ` printf` prints a numbered marker, so the
//! marker's output proves that the command and the hooks run before the
//! next prompt are done. (A leading space keeps it out of every history.)

mod common;
use common::*;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The prompt the test shells print.
const PROMPT: &str = "<cfscrub-prompt>";

/// How long a shell may take to answer (the machine may be busy).
const DEADLINE: Duration = Duration::from_secs(60);

fn require(tool: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "{tool} is required for this test (bash .ci/run installs it)"
    );
}

/// The test's PATH with the directory of the cfscrub under test first:
/// the hooks call `cfscrub` from PATH.
fn path_with_cfscrub() -> std::ffi::OsString {
    let bin = assert_cmd::cargo::cargo_bin("cfscrub");
    let mut dirs = vec![bin.parent().unwrap().to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}

/// What the terminal showed so far and whether it has closed, filled by a
/// reader thread.
type Screen = Arc<(Mutex<(Vec<u8>, bool)>, Condvar)>;

/// An interactive shell under `script`, driven by what it shows.
struct Session {
    shell: String,
    child: Child,
    stdin: ChildStdin,
    screen: Screen,
    syncs: usize,
}

impl Session {
    /// Starts `shell -i` with HOME=`home` and waits for its first prompt;
    /// the cfscrub under test is on its PATH.
    fn start(shell: &str, home: &Path) -> Session {
        Session::start_with_path(shell, home, &path_with_cfscrub())
    }

    /// Starts `shell -i` with HOME=`home` and PATH=`path`.
    fn start_with_path(shell: &str, home: &Path, path: &std::ffi::OsStr) -> Session {
        require("script");
        require(shell);
        let mut child = Command::new("script")
            .args(["-qec", &format!("{shell} -i"), "/dev/null"])
            .env_clear()
            .env("HOME", home)
            .env("PATH", path)
            .env("TERM", "dumb")
            .env("SHELL", format!("/bin/{shell}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let screen: Screen = Default::default();
        let filled = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = stdout.read(&mut buf).unwrap_or(0);
                let (lock, changed) = &*filled;
                let mut state = lock.lock().unwrap();
                if n == 0 {
                    state.1 = true;
                } else {
                    state.0.extend_from_slice(&buf[..n]);
                }
                changed.notify_all();
                if n == 0 {
                    break;
                }
            }
        });
        let session = Session {
            shell: shell.to_string(),
            child,
            stdin,
            screen,
            syncs: 0,
        };
        session.wait_until_shown(PROMPT);
        session
    }

    /// Waits until the terminal has shown `text`.
    fn wait_until_shown(&self, text: &str) {
        let (lock, changed) = &*self.screen;
        let start = Instant::now();
        let mut state = lock.lock().unwrap();
        while !contains(&state.0, text.as_bytes()) {
            let left = DEADLINE.saturating_sub(start.elapsed());
            assert!(
                !state.1 && !left.is_zero(),
                "{}: {text} not shown within {DEADLINE:?} (or the shell ended)",
                self.shell
            );
            state = changed.wait_timeout(state, left).unwrap().0;
        }
    }

    /// Types `lines` (one command, or the lines of a multi-line one), then
    /// waits until the shell has run it and its hooks.
    fn type_lines(&mut self, lines: &[&str]) {
        self.syncs += 1;
        let marker = format!("<sync{}>", self.syncs);
        for line in lines {
            self.stdin.write_all(line.as_bytes()).unwrap();
            self.stdin.write_all(b"\n").unwrap();
        }
        // The echo shows `<sync%s>`; only printf's output shows the marker.
        writeln!(self.stdin, " printf '<sync%s>\\n' {}", self.syncs).unwrap();
        self.stdin.flush().unwrap();
        self.wait_until_shown(&marker);
    }

    /// Types `exit` and waits for the shell to end; returns what it showed.
    fn exit(mut self) -> String {
        self.stdin.write_all(b"exit\n").unwrap();
        self.stdin.flush().unwrap();
        let (lock, changed) = &*self.screen;
        let start = Instant::now();
        let mut state = lock.lock().unwrap();
        while !state.1 {
            let left = DEADLINE.saturating_sub(start.elapsed());
            if left.is_zero() {
                let _ = self.child.kill();
                panic!("{}: still running {DEADLINE:?} after exit", self.shell);
            }
            state = changed.wait_timeout(state, left).unwrap().0;
        }
        let shown = String::from_utf8_lossy(&state.0).into_owned();
        drop(state);
        self.child.wait().unwrap();
        shown
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Runs `shell -i` under `script` with HOME=`home`, typing `lines` one
/// command at a time; returns what the terminal showed.
fn interactive(shell: &str, home: &Path, lines: &[String]) -> String {
    let mut session = Session::start(shell, home);
    for line in lines {
        session.type_lines(&[line]);
    }
    session.exit()
}

/// fish hides history entries stamped at or after its own start (they
/// belong to sessions running alongside): waits until the clock has left
/// the second of the newest entry in `history`, so a new fish lists them.
fn wait_past_fish_timestamps(history: &Path) {
    let text = std::fs::read_to_string(history).unwrap();
    let newest = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("when: "))
        .filter_map(|n| n.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
    };
    let start = Instant::now();
    while now().as_secs() <= newest {
        assert!(start.elapsed() < DEADLINE, "the clock does not advance");
        // Sleep exactly until the next second begins.
        std::thread::sleep(Duration::from_nanos(
            1_000_000_000 - u64::from(now().subsec_nanos()),
        ));
    }
}

fn prepare_home(shell: &str, hook: Option<&str>) -> Tree {
    let t = Tree::new();
    match shell {
        "zsh" => {
            t.write(".zshrc", format!("HISTFILE=$HOME/.zsh_history\nSAVEHIST=1000\nHISTSIZE=1000\nsetopt EXTENDED_HISTORY HIST_IGNORE_SPACE\nPROMPT='{PROMPT} '\n"));
        }
        "bash" => {
            t.write(
                ".bashrc",
                format!("HISTFILE=$HOME/.bash_history\nHISTTIMEFORMAT='%s '\nHISTCONTROL=ignorespace\nPS1='{PROMPT} '\n"),
            );
        }
        _ => {
            t.write(
                ".config/fish/config.fish",
                format!("function fish_prompt\n    printf '%s ' '{PROMPT}'\nend\n"),
            );
        }
    }
    if let Some(hook) = hook {
        let rc = match shell {
            "zsh" => ".zshrc",
            "bash" => ".bashrc",
            _ => ".config/fish/config.fish",
        };
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(t.join(rc))
            .unwrap();
        f.write_all(hook.as_bytes()).unwrap();
    }
    t
}

fn history_path(shell: &str, home: &Path) -> std::path::PathBuf {
    match shell {
        "zsh" => home.join(".zsh_history"),
        "bash" => home.join(".bash_history"),
        _ => home.join(".local/share/fish/fish_history"),
    }
}

fn scrub_then_check(shell: &str, seed: u64) {
    let mut g = FakeGen::new(seed);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let home = prepare_home(shell, None);
    interactive(
        shell,
        home.path(),
        &[
            "echo before".into(),
            format!("export CLOUDFLARE_API_TOKEN={token}"),
            format!("echo caf\u{e9} \u{2603}{token}\u{2603} after"),
        ],
    );
    let path = history_path(shell, home.path());
    let before = std::fs::read(&path).unwrap();
    assert!(
        before.windows(token.len()).any(|w| w == token.as_bytes()),
        "{shell} did not record the token (history setup)"
    );
    let ran = run(cfscrub().args(["history", "--home"]).arg(home.path()));
    p.assert_absent(&format!("{shell}: history output"), &ran.stdout);
    p.assert_absent(&format!("{shell}: history output"), &ran.stderr);
    let ran = ran.expect(0);
    assert!(
        ran.stderr().contains("in memory"),
        "{shell}: no advice for open shells: {}",
        ran.stderr()
    );
    let after = std::fs::read(&path).unwrap();
    p.assert_absent(&format!("{shell}: history file"), &after);
    // Byte-identical but for the token (timestamps, metafied bytes, the rest).
    let mut expected = Vec::new();
    let mut rest = &before[..];
    while let Some(i) = rest
        .windows(token.len())
        .position(|w| w == token.as_bytes())
    {
        expected.extend_from_slice(&rest[..i]);
        expected.extend_from_slice(b"[REDACTED_CF_TOKEN]");
        rest = &rest[i + token.len()..];
    }
    expected.extend_from_slice(rest);
    assert!(
        after == expected,
        "{shell}: the history changed beyond the token"
    );
    // The shell still reads its history.
    if shell == "fish" {
        wait_past_fish_timestamps(&path);
    }
    let listing = match shell {
        "zsh" => "fc -l 1",
        "fish" => "history | cat", // on a terminal, fish pages its history
        _ => "history",
    };
    let out = interactive(shell, home.path(), &[listing.into()]);
    assert!(
        out.contains("echo before"),
        "{shell} does not read its history back:\n{out}"
    );
    assert!(
        out.contains("[REDACTED_CF_TOKEN]"),
        "{shell}: redacted entry missing:\n{out}"
    );
}

#[test]
fn bash_history_is_scrubbed() {
    scrub_then_check("bash", 1);
}

#[test]
fn zsh_history_is_scrubbed_with_metafied_bytes_intact() {
    scrub_then_check("zsh", 2);
}

#[test]
fn fish_history_is_scrubbed() {
    scrub_then_check("fish", 3);
}

fn hook_keeps_token_out(shell: &str, seed: u64) {
    let mut g = FakeGen::new(seed);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfat_", true));
    let hook = run(cfscrub().args(["history", "hook", shell]))
        .expect(0)
        .stdout();
    let home = prepare_home(shell, Some(&hook));
    let out = interactive(
        shell,
        home.path(),
        &[format!("echo {token} > /dev/null"), "echo kept".into()],
    );
    assert!(
        out.contains("cfscrub:"),
        "{shell}: no notice printed:\n{}",
        out.replace(&token, "<token>")
    );
    let history = std::fs::read_to_string(history_path(shell, home.path())).unwrap_or_default();
    p.assert_absent(
        &format!("{shell} history with the hook"),
        history.as_bytes(),
    );
    assert!(
        history.contains("echo kept"),
        "{shell}: other commands must still be saved"
    );
}

#[test]
fn bash_hook_keeps_the_command_out() {
    hook_keeps_token_out("bash", 4);
}

#[test]
fn zsh_hook_keeps_the_command_out() {
    hook_keeps_token_out("zsh", 5);
}

#[test]
fn fish_hook_keeps_the_command_out() {
    hook_keeps_token_out("fish", 6);
}

/// A command whose credential is on its second line (an open quote
/// continued) is kept out of the session's history and the history file.
fn hook_keeps_a_multi_line_command_out(shell: &str, seed: u64) {
    let mut g = FakeGen::new(seed);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let hook = run(cfscrub().args(["history", "hook", shell]))
        .expect(0)
        .stdout();
    let home = prepare_home(shell, Some(&hook));
    let mut session = Session::start(shell, home.path());
    session.type_lines(&["echo \"first line", &format!("{token}\" > /dev/null")]);
    session.type_lines(&["echo kept"]);
    let listing = match shell {
        "zsh" => "fc -l 1 > \"$HOME/listing.txt\"",
        _ => "history > \"$HOME/listing.txt\"",
    };
    session.type_lines(&[listing]);
    let shown = session.exit();
    assert!(
        shown.contains("cfscrub: removed from history")
            || shown.contains("cfscrub: not saved to history"),
        "{shell}: no notice printed"
    );
    let in_session = std::fs::read(home.join("listing.txt")).unwrap();
    p.assert_absent(&format!("{shell}: history in the session"), &in_session);
    let file = std::fs::read(history_path(shell, home.path())).unwrap();
    p.assert_absent(&format!("{shell}: history file"), &file);
    for (what, text) in [("session", &in_session), ("file", &file)] {
        assert!(
            contains(text, b"echo kept"),
            "{shell}: other commands must still be in the {what} history"
        );
    }
}

#[test]
fn bash_hook_keeps_a_multi_line_command_out() {
    hook_keeps_a_multi_line_command_out("bash", 12);
}

#[test]
fn zsh_hook_keeps_a_multi_line_command_out() {
    hook_keeps_a_multi_line_command_out("zsh", 13);
}

#[test]
fn fish_hook_keeps_a_multi_line_command_out() {
    hook_keeps_a_multi_line_command_out("fish", 14);
}

/// With no cfscrub on PATH, the hook says once that commands go in
/// unchecked (never silently), and the shell still works.
fn hook_warns_once_when_cfscrub_is_missing(shell: &str) {
    let hook = run(cfscrub().args(["history", "hook", shell]))
        .expect(0)
        .stdout();
    let home = prepare_home(shell, Some(&hook));
    let bare = std::env::join_paths(["/usr/bin", "/bin"]).unwrap();
    let mut session = Session::start_with_path(shell, home.path(), &bare);
    session.type_lines(&["echo one"]);
    session.type_lines(&["echo two"]);
    let shown = session.exit();
    assert_eq!(
        shown
            .matches("cannot check commands before they enter the history")
            .count(),
        1,
        "{shell}: one warning expected:\n{shown}"
    );
}

#[test]
fn bash_hook_warns_once_when_cfscrub_is_missing() {
    hook_warns_once_when_cfscrub_is_missing("bash");
}

#[test]
fn zsh_hook_warns_once_when_cfscrub_is_missing() {
    hook_warns_once_when_cfscrub_is_missing("zsh");
}

#[test]
fn fish_hook_warns_once_when_cfscrub_is_missing() {
    hook_warns_once_when_cfscrub_is_missing("fish");
}

#[test]
fn printing_a_hook_warns_when_cfscrub_is_not_on_path() {
    let ran = run(cfscrub()
        .args(["history", "hook", "zsh"])
        .env("PATH", "/usr/bin:/bin"))
    .expect(0);
    assert!(ran.stderr().contains("not on PATH"), "{}", ran.stderr());
    let ran = run(cfscrub()
        .args(["history", "hook", "zsh"])
        .env("PATH", path_with_cfscrub()))
    .expect(0);
    assert!(ran.stderr().is_empty(), "{}", ran.stderr());
}

#[test]
fn zsh_hook_chains_with_an_existing_zshaddhistory() {
    // The user's own zshaddhistory keeps commands starting with `secret-`
    // out; with the cfscrub hook added, both rules hold.
    let mut g = FakeGen::new(15);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let hook = run(cfscrub().args(["history", "hook", "zsh"]))
        .expect(0)
        .stdout();
    let own = "zshaddhistory() { [[ $1 != secret-* ]] }\n";
    let home = prepare_home("zsh", Some(&format!("{own}{hook}")));
    let out = interactive(
        "zsh",
        home.path(),
        &[
            "secret-word=1".into(),
            format!("echo {token} > /dev/null"),
            "echo kept".into(),
        ],
    );
    assert!(out.contains("cfscrub: not saved to history"), "no notice");
    let history = std::fs::read_to_string(history_path("zsh", home.path())).unwrap();
    p.assert_absent("zsh history", history.as_bytes());
    assert!(
        !history.contains("secret-word"),
        "the user's hook still runs"
    );
    assert!(history.contains("echo kept"), "{history}");
}

#[test]
fn fish_hook_keeps_a_users_fish_should_add_to_history() {
    // fish 4 asks fish_should_add_to_history; call it as fish would, with
    // the user's function defined before the snippet.
    require("fish");
    let mut g = FakeGen::new(16);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let hook = run(cfscrub().args(["history", "hook", "fish"]))
        .expect(0)
        .stdout();
    let own =
        "function fish_should_add_to_history\n    not string match -q 'secret-*' -- $argv\nend\n";
    let script = format!(
        "{own}{hook}\nfor c in 'secret-x' 'echo {token}' 'echo kept'\n    fish_should_add_to_history $c; and echo \"add:$c\"; or echo \"skip:$c\"\nend\n"
    );
    let out = std::process::Command::new("fish")
        .args(["--no-config", "-c", &script])
        .env("PATH", path_with_cfscrub())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).replace(&token, "<token>");
    assert!(
        stdout.contains("skip:secret-x"),
        "the user's rule is kept: {stdout}"
    );
    assert!(stdout.contains("skip:echo <token>"), "{stdout}");
    assert!(stdout.contains("add:echo kept"), "{stdout}");
}

#[test]
fn atuin_database_stays_valid_and_stores_are_reported() {
    require("sqlite3");
    let mut g = FakeGen::new(7);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let t = Tree::new();
    std::fs::create_dir_all(t.join(".local/share/atuin")).unwrap();
    let db = t.join(".local/share/atuin/history.db");
    let sql = format!(
        "CREATE TABLE history (id TEXT PRIMARY KEY, timestamp INTEGER NOT NULL, duration INTEGER NOT NULL, exit INTEGER NOT NULL, \
         command TEXT NOT NULL, cwd TEXT NOT NULL, session TEXT NOT NULL, hostname TEXT NOT NULL, deleted_at INTEGER);\
         CREATE INDEX idx_history_timestamp ON history(timestamp);\
         INSERT INTO history VALUES ('a', 1, 5, 0, 'ls', '/', 's', 'h', NULL);\
         INSERT INTO history VALUES ('b', 2, 5, 0, 'export CLOUDFLARE_API_TOKEN={token}', '/', 's', 'h', NULL);"
    );
    let mut child = Command::new("sqlite3")
        .arg(&db)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    t.write(
        ".wrangler/config/default.toml",
        format!("oauth_token = \"{}\"\n", p.add(g.oauth("cfoat_"))),
    );
    std::fs::set_permissions(
        t.join(".wrangler/config/default.toml"),
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    let dev_vars = t.write(
        "proj/.dev.vars",
        format!("CLOUDFLARE_API_TOKEN={}\n", p.add(g.legacy_token())),
    );
    let ran = run(cfscrub()
        .args(["history", "--home"])
        .arg(t.path())
        .arg("--also")
        .arg(&dev_vars));
    p.assert_absent("history output", &ran.stdout);
    p.assert_absent("history output", &ran.stderr);
    let ran = ran.expect(0);
    assert!(
        ran.stdout().contains("(atuin): 1 redacted in place"),
        "{}",
        ran.stdout()
    );
    assert!(
        ran.stdout()
            .contains("looser than 0600: run `cfscrub vault fix"),
        "{}",
        ran.stdout()
    );
    assert!(
        ran.stdout()
            .contains(".dev.vars: credential store, mode 0644"),
        "{}",
        ran.stdout()
    );
    let check = Command::new("sqlite3")
        .arg(&db)
        .arg("PRAGMA integrity_check")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "ok");
    p.assert_absent("atuin db", &std::fs::read(&db).unwrap());
    // Stores are reported, never rewritten.
    assert!(std::fs::read_to_string(&dev_vars)
        .unwrap()
        .starts_with("CLOUDFLARE_API_TOKEN="));
    assert!(!std::fs::read_to_string(&dev_vars)
        .unwrap()
        .contains("REDACTED"));
}

#[test]
fn dry_run_changes_nothing() {
    let mut g = FakeGen::new(8);
    let t = Tree::new();
    let content = format!(
        "ls\nexport CLOUDFLARE_API_TOKEN={}\n",
        g.scannable("cfut_", true)
    );
    t.write(".bash_history", &content);
    run(cfscrub()
        .args(["history", "--dry-run", "--home"])
        .arg(t.path()))
    .expect(1);
    assert_same(
        "dry run",
        std::fs::read(t.join(".bash_history")).unwrap(),
        &content,
    );
}

/// The advice printed for shells that stay open really keeps the token
/// from coming back when that shell exits.
fn advice_works(shell: &str, advice: &str, seed: u64) {
    let mut g = FakeGen::new(seed);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let home = prepare_home(shell, None);
    let exe = assert_cmd::cargo::cargo_bin("cfscrub");
    let mut lines = vec![format!("echo {token} > /dev/null")];
    if shell == "bash" {
        lines.push("history -a".into()); // make the file hold it now, as histappend users see
    }
    if shell == "zsh" {
        lines.push("fc -W".into());
    }
    lines.push(format!(
        "'{}' history --home \"$HOME\" > /dev/null 2>&1",
        exe.display()
    ));
    lines.push(advice.into());
    lines.push("echo done".into());
    interactive(shell, home.path(), &lines);
    let history = std::fs::read(history_path(shell, home.path())).unwrap();
    p.assert_absent(&format!("{shell} after `{advice}` and exit"), &history);
}

#[test]
fn advice_for_open_bash_shells_works() {
    advice_works("bash", "history -c; history -r", 9);
}

#[test]
fn advice_for_open_zsh_shells_works() {
    advice_works("zsh", "unset HISTFILE", 10);
}

#[test]
fn advice_for_open_fish_shells_works() {
    advice_works("fish", "history merge", 11);
}

#[test]
fn the_summary_counts_only_histories_that_held_a_credential() {
    let mut g = FakeGen::new(17);
    let mut p = Planted::default();
    let token = p.add(g.scannable("cfut_", true));
    let home = Tree::new();
    home.write(".bash_history", format!("echo {token}\nls\n"));
    home.write(".python_history", "print(1)\n");
    home.write(".lesshst", ".less-history-file:\n");
    let ran = run(cfscrub().args(["history", "--home"]).arg(home.path())).expect(0);
    assert!(
        ran.stderr()
            .contains("1 credential(s) redacted in 1 of 3 history file(s)"),
        "{}",
        ran.stderr()
    );
    p.assert_absent("history stderr", &ran.stderr);
    p.assert_absent("history stdout", &ran.stdout);
}
