//! `cfscrub demo`: writes a throwaway incident folder with fake,
//! checksum-valid credentials generated on the spot, then runs the drill on
//! it with the real binary, showing each command and what it prints.

use crate::cli::DemoOptions;
use anyhow::{Context, Result};
use cfscrub::fake::FakeGen;
use cfscrub::outln;
use cfscrub::report::ColorChoice;
use std::path::Path;
use std::process::Command;

/// The example incident: templates from `fixtures/demo/`, compiled in so
/// that an installed binary can run the demo too.
const INCIDENT: &[(&str, &str)] = &[
    (
        "ci/deploy.log",
        include_str!("../../fixtures/demo/ci/deploy.log"),
    ),
    (
        "home/.bash_history",
        include_str!("../../fixtures/demo/home/.bash_history"),
    ),
    ("app/.env", include_str!("../../fixtures/demo/app/.env")),
    (
        "app/wrangler.jsonc",
        include_str!("../../fixtures/demo/app/wrangler.jsonc"),
    ),
    (
        "vault/leaked-token.txt",
        include_str!("../../fixtures/demo/vault/leaked-token.txt"),
    ),
];

/// The vault file holding the leaked value: the responder knows it, so
/// `redact` hunts it and its fragments by value, not only by shape (a shape
/// alone cannot tell a fragment such as `cfut_abcdef` from a name).
const LEAKED: &str = "vault/leaked-token.txt";

/// Writes the example incident under `root` with fakes from `seed`.
pub fn write_incident(root: &Path, seed: u64) -> Result<()> {
    let mut gen = FakeGen::new(seed);
    for (rel, template) in INCIDENT {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("relative paths have a parent"))?;
        std::fs::write(&path, gen.expand(template).text)
            .with_context(|| format!("cannot write {rel}"))?;
    }
    Ok(())
}

/// Prints the demo's own lines, bold on a terminal (unless `NO_COLOR`);
/// the commands it runs colour their output by the same rule.
struct Styled {
    on: bool,
}

impl Styled {
    fn heading(&self, text: &str) -> String {
        const BOLD: anstyle::Style = anstyle::Style::new().bold();
        if self.on {
            format!("{}{text}{}", BOLD.render(), BOLD.render_reset())
        } else {
            text.to_string()
        }
    }
}

fn step(root: &Path, style: &Styled, title: &str, args: &[&str]) -> Result<i32> {
    let exe = std::env::current_exe().context("cannot find the cfscrub binary")?;
    outln!(
        "\n{}\n$ cfscrub {}",
        style.heading(&format!("## {title}")),
        args.join(" ")
    );
    let status = Command::new(exe)
        .args(args)
        .current_dir(root)
        .status()
        .context("cannot run cfscrub")?;
    let code = status.code().unwrap_or(2);
    outln!("(exit {code})");
    Ok(code)
}

/// Runs `cfscrub demo`.
pub fn run(args: DemoOptions) -> Result<u8> {
    let dir = tempfile::Builder::new()
        .prefix("cfscrub-demo-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let root = dir.path().join("incident");
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    write_incident(&root, seed)?;
    if args.keep {
        // The same seed writes the same fakes: the folder as it was before.
        write_incident(&dir.path().join("incident-before-redaction"), seed)?;
    }
    let style = Styled {
        on: cfscrub::report::human::colour_stdout(ColorChoice::Auto),
    };
    outln!(
        "cfscrub demo: a fake incident in {} (CI log, shell history, .env, wrangler config;\n\
         every credential in it is a fake generated just now)",
        cfscrub::mask::sanitize::display_path(&root)
    );
    let scan = step(&root, &style, "1. Find every credential", &["scan", "."])?;
    outln!(
        "\n(fp:… is a fingerprint: the same value always gives the same fp, so copies can be\n\
         matched across files and named in the incident record, without the value being shown.)"
    );
    let json = step(
        &root,
        &style,
        "   ... or as JSON Lines for a machine",
        &["scan", "--format", "json", "-q", "app/.env"],
    )?;
    let dry = step(
        &root,
        &style,
        "2. See what would change (the leaked value too: read from the vault file, never argv)",
        &["redact", "--dry-run", "--secret-from", LEAKED, "ci", "app"],
    )?;
    let redact = step(
        &root,
        &style,
        "3. Rewrite in place: atomic, permissions kept, re-verified",
        &["redact", "--secret-from", LEAKED, "ci", "app"],
    )?;
    let history = step(
        &root,
        &style,
        "   ... and shell histories, keeping the commands (here the example home)",
        &["history", "--secret-from", LEAKED, "--home", "home"],
    )?;
    let verify = step(
        &root,
        &style,
        "4. Prove the leaked value and its fragments are gone",
        &["verify", "--secret-from", LEAKED, "ci", "home", "app"],
    )?;
    let diagnose = step(
        &root,
        &style,
        "5. Read the deploy error in the (now clean) log",
        &["diagnose", "ci/deploy.log"],
    )?;
    let vault = step(
        &root,
        &style,
        "6. Lock the vault file down to 0600",
        &["vault", "fix", LEAKED],
    )?;
    let checklist = step(
        &root,
        &style,
        "7. The rotation checklist, with the permissions app/wrangler.jsonc needs",
        &[
            "checklist",
            "--secret-from",
            LEAKED,
            "--wrangler",
            "app/wrangler.jsonc",
        ],
    )?;
    let ok = scan == 1
        && json == 1
        && dry == 1
        && redact == 0
        && history == 0
        && verify == 0
        && diagnose == 0
        && vault == 0
        && checklist == 0;
    if args.keep {
        let kept = dir.keep();
        outln!(
            "\nKept {} (incident/: after the drill; incident-before-redaction/: as it was)",
            cfscrub::mask::sanitize::display_path(&kept)
        );
    }
    outln!(
        "\ncfscrub demo: {}",
        if ok {
            "done"
        } else {
            "a step did not behave as expected"
        }
    );
    if ok {
        outln!(
            "\n{}\n  cfscrub scan PATH...                        # your CI logs, repositories, home\n  cfscrub redact --secret-from FILE PATH...   # FILE holds the leaked value: never on argv\n  cfscrub checklist --wrangler wrangler.jsonc",
            style.heading("Next, on your own files:")
        );
    }
    Ok(if ok { 0 } else { 2 })
}
