//! `cfscrub history` against real shells: bash, zsh and fish run
//! interactively under `script` with a temporary HOME, a command holding a
//! generated token is typed, and the history files are checked after the
//! scrub — and with the capture-time hook installed.

mod common;
use common::*;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

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

/// What every test shell prints once before each prompt (a hook set by
/// `prepare_home`; the prompt itself can be redrawn as input arrives):
/// seeing the next one is seeing the shell ready for the next line.
const READY: &str = "cfscrub-test-ready";

/// The `script` process of a session: killed if the test fails before the
/// shell has exited, so that no shell is left waiting for input.
struct Session(std::process::Child);

impl Drop for Session {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs `shell -i` under `script` with HOME=`home`, typing each of `lines`
/// once the shell is ready for it, then `exit`; returns what it printed.
fn interactive(shell: &str, home: &Path, lines: &[String]) -> String {
    require("script");
    require(shell);
    let mut session = Session(
        Command::new("script")
            .args(["-qec", &format!("{shell} -i"), "/dev/null"])
            .env_clear()
            .env("HOME", home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TERM", "dumb")
            .env("PAGER", "cat") // fish pages `history` on a terminal
            .env("SHELL", format!("/bin/{shell}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut stdin = session.0.stdin.take().unwrap();
    let mut stdout = session.0.stdout.take().unwrap();
    let printed = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let printed = Arc::clone(&printed);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stdout.read(&mut buf) {
                printed.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let ready = || {
        let printed = printed.lock().unwrap();
        printed
            .windows(READY.len())
            .filter(|w| *w == READY.as_bytes())
            .count()
    };
    for (k, line) in lines.iter().chain([&"exit".to_string()]).enumerate() {
        wait_until(&format!("{shell} is ready for line #{}", k + 1), || {
            ready() > k
        });
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }
    drop(stdin);
    wait_until(&format!("{shell} exits"), || {
        session.0.try_wait().unwrap().is_some()
    });
    reader.join().unwrap();
    let printed = printed.lock().unwrap();
    String::from_utf8_lossy(&printed).into_owned()
}

fn prepare_home(shell: &str, hook: Option<&str>) -> Tree {
    let t = Tree::new();
    match shell {
        "zsh" => {
            t.write(".zshrc", format!("HISTFILE=$HOME/.zsh_history\nSAVEHIST=1000\nHISTSIZE=1000\nsetopt EXTENDED_HISTORY\nPROMPT='%% '\nprecmd() {{ print -n '{READY}'; }}\n"));
        }
        "bash" => {
            t.write(
                ".bashrc",
                format!("HISTFILE=$HOME/.bash_history\nHISTTIMEFORMAT='%s '\nPS1='$ '\nPROMPT_COMMAND=\"printf '{READY}'\"\n"),
            );
        }
        _ => {
            t.write(
                ".config/fish/config.fish",
                format!("function __test_ready --on-event fish_prompt; printf '{READY}'; end\n"),
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
        // fish leaves out entries stamped in the second it started or later
        // (it takes them for another session's): start it after the last.
        let last = String::from_utf8_lossy(&after)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("when: ")?.parse::<u64>().ok())
            .max()
            .expect("fish history entries carry a time");
        wait_until("the clock passes the last fish history entry", || {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
            now.unwrap().as_secs() > last
        });
    }
    let listing = match shell {
        "zsh" => "fc -l 1",
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
