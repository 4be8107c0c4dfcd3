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
