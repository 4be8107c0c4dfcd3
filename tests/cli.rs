//! Command-line validation: values that would harm the machine or make no
//! sense are refused before any work starts, with exit code 2.

mod common;
use common::*;

#[test]
fn absurd_thread_counts_are_refused() {
    let t = Tree::new();
    let token = FakeGen::new(1).scannable("cfut_", true);
    t.write("a.log", format!("deploy {token}\n"));
    for command in ["scan", "verify", "redact"] {
        // Just past the bound, zero, nonsense. (Not 100000 itself: a build
        // without the bound would start that many threads and stall the
        // machine before failing.)
        for n in ["257", "0", "-1", "many", "99999999999999999999999"] {
            let ran = run(cfscrub().args([command, "-j", n, "--"]).arg(t.path())).expect(2);
            assert!(
                ran.stderr().contains("from 1 to 256")
                    || ran.stderr().contains("unexpected argument"),
                "{command} -j {n}: {}",
                ran.stderr()
            );
        }
        // The bound itself is accepted and does the work.
        let args = match command {
            "redact" => vec![command, "--dry-run", "-q", "-j", "256"],
            _ => vec![command, "-q", "-j", "256"],
        };
        run(cfscrub().args(args).arg(t.path())).expect(1);
    }
}

#[test]
fn every_subcommand_help_states_its_exit_codes() {
    for command in [
        "scan",
        "redact",
        "verify",
        "filter",
        "run",
        "vault",
        "checklist",
        "diagnose",
        "history",
        "demo",
    ] {
        for flag in ["--help", "-h"] {
            let ran = run(cfscrub().args([command, flag])).expect(0);
            assert!(ran.stdout().contains("Exit codes: "), "{command} {flag}");
        }
    }
}

#[test]
fn help_offers_only_what_each_command_accepts() {
    for flag in ["--help", "-h"] {
        let redact = run(cfscrub().args(["redact", flag])).expect(0).stdout();
        assert!(!redact.contains("sarif"), "redact refuses sarif:\n{redact}");
        assert!(
            !redact.contains("Files or directories (`-` = stdin)"),
            "{redact}"
        );
        assert!(redact.contains("not `-`"), "{redact}");
        let verify = run(cfscrub().args(["verify", flag])).expect(0).stdout();
        assert!(
            !verify.contains("fp:"),
            "verify prints no fingerprint:\n{verify}"
        );
    }
}

#[test]
fn bad_flag_combinations_are_refused_before_any_work() {
    let t = Tree::new();
    let token = FakeGen::new(2).scannable("cfut_", true);
    let log = t.write("a.log", format!("deploy {token}\n"));
    let before = std::fs::read(&log).unwrap();
    let secret = t.write("secret.txt", format!("{token}\n"));
    let refusals: &[(&[&str], &str)] = &[
        (
            &["redact", "--format", "sarif"],
            "--format sarif is for scan",
        ),
        (&["redact", "-"], "to mask a stream use `cfscrub filter`"),
        (&["scan", "--exclude", "a[", "--"], "--exclude"),
        (&["redact", "--exclude", "a[", "--"], "--exclude"),
        (&["scan", "--secret-from", "-", "-"], "reads standard input"),
        (&["filter", "--secret-from", "-"], "reads standard input"),
        (
            &["verify", "--secret-from", "-", "--secret-from", "-"],
            "given twice",
        ),
    ];
    for (args, message) in refusals {
        let mut cmd = cfscrub();
        cmd.current_dir(t.path()).args(*args);
        if args[0] != "filter" && !args.contains(&"-") {
            cmd.arg(t.path());
        }
        let ran = run(cmd.write_stdin(format!("{token}\n"))).expect(2);
        assert!(
            ran.stderr().contains(message),
            "{args:?}: expected {message:?} on stderr, got {}",
            ran.stderr()
        );
        // Refused before any work: no finding printed, no file changed.
        assert_eq!(ran.stdout(), "", "{args:?} printed something");
        let mut planted = Planted::default();
        planted.add(token.clone());
        planted.assert_absent("stderr of a refused command line", ran.stderr().as_bytes());
    }
    assert!(
        std::fs::read(&log).unwrap() == before,
        "a refused redact changed the file"
    );
    // The same flags one at a time are accepted.
    run(cfscrub()
        .args(["verify", "-q", "--secret-from"])
        .arg(&secret)
        .arg(&log))
    .expect(1);
}
