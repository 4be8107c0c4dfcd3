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
