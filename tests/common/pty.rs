//! A command run on a terminal (under `script`), and waiting on what the
//! terminal shows — never on fixed sleeps.

use std::io::Read;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a command may take to show something (the machine may be busy).
pub const DEADLINE: Duration = Duration::from_secs(60);

/// What the terminal showed so far and whether it has closed.
type Screen = Arc<(Mutex<(Vec<u8>, bool)>, Condvar)>;

/// `sh -c COMMAND` on a pseudo-terminal: its stdin, stdout and stderr are
/// the terminal, which the test reads through `script`.
pub struct Pty {
    child: Child,
    /// What is typed on the terminal.
    pub stdin: ChildStdin,
    screen: Screen,
}

impl Pty {
    /// Starts `command` (a shell command line) with `env` set on top of a
    /// minimal environment (PATH, TERM=dumb; no NO_COLOR).
    pub fn start(command: &str, env: &[(&str, &str)]) -> Pty {
        let mut cmd = Command::new("script");
        cmd.args(["-qec", command, "/dev/null"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("TERM", "dumb");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("script (util-linux) is required: bash .ci/run installs it");
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
        Pty {
            child,
            stdin,
            screen,
        }
    }

    /// Waits until what the terminal showed satisfies `done`; returns it.
    pub fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let (lock, changed) = &*self.screen;
        let start = Instant::now();
        let mut state = lock.lock().unwrap();
        loop {
            let text = String::from_utf8_lossy(&state.0).into_owned();
            if done(&text) {
                return text;
            }
            let left = DEADLINE.saturating_sub(start.elapsed());
            assert!(
                !state.1 && !left.is_zero(),
                "{what} not shown within {DEADLINE:?} (or the terminal closed); shown: {text:?}"
            );
            state = changed.wait_timeout(state, left).unwrap().0;
        }
    }

    /// Waits for the command to end (its stdin closed); returns its exit
    /// code and all it showed.
    pub fn finish(mut self) -> (Option<i32>, String) {
        drop(self.stdin);
        let (lock, changed) = &*self.screen;
        let start = Instant::now();
        let mut state = lock.lock().unwrap();
        while !state.1 {
            let left = DEADLINE.saturating_sub(start.elapsed());
            assert!(
                !left.is_zero(),
                "the command did not end within {DEADLINE:?}"
            );
            state = changed.wait_timeout(state, left).unwrap().0;
        }
        let text = String::from_utf8_lossy(&state.0).into_owned();
        drop(state);
        let status = self.child.wait().unwrap();
        (status.code(), text)
    }
}
