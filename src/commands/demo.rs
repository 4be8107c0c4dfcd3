//! `cfscrub demo`: writes a throwaway incident folder with fake,
//! checksum-valid credentials generated on the spot, then runs the drill on
//! it with the real binary, showing each command and what it prints.

use crate::cli::DemoArgs;
use crate::fake::FakeGen;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

/// The files of the example incident, relative to its root.
fn incident_files(gen: &mut FakeGen) -> Vec<(&'static str, String)> {
    let leaked = gen.scannable("cfut_", true);
    let account_token = gen.scannable("cfat_", true);
    let legacy = gen.legacy_token();
    let global_key = gen.hex(37);
    let account_id = gen.hex(32);
    let partial = &leaked[..11];
    let deploy_log = format!(
        "2026-11-24T08:01:02.113Z ##[group]Run npx wrangler deploy\n\
         2026-11-24T08:01:02.114Z \x1b[36;1menv:\x1b[0m\n\
         2026-11-24T08:01:02.115Z   CLOUDFLARE_API_TOKEN: \x1b[33m{leaked}\x1b[0m\n\
         2026-11-24T08:01:02.116Z   CLOUDFLARE_ACCOUNT_ID: {account_id}\n\
         2026-11-24T08:01:04.900Z  \u{26c5}\u{fe0f} wrangler 3.90.0\n\
         2026-11-24T08:01:05.002Z Checking out {sha}\n\
         2026-11-24T08:01:07.441Z > curl -H 'Authorization: Bearer {legacy}' https://api.cloudflare.com/client/v4/user/tokens/verify\n\
         2026-11-24T08:01:09.020Z \u{2718} [ERROR] A request to the Cloudflare API (/accounts/{account_id}/d1/database/{db}) failed.\n\
         2026-11-24T08:01:09.021Z   not authorized [code: 7403]\n\
         2026-11-24T08:01:12.500Z $ grep {partial} deploy.log\n",
        sha = gen.hex(40),
        db = gen.hex(32),
    );
    let history = format!(
        "ls -la\ncd ~/src/api-gateway\nexport CLOUDFLARE_API_TOKEN={leaked}\nnpx wrangler deploy\n\
         curl -H \"X-Auth-Email: ops@example.com\" -H \"X-Auth-Key: {global_key}\" https://api.cloudflare.com/client/v4/zones\n\
         git log --oneline -n 5\n"
    );
    let env = format!(
        "NODE_ENV=production\nCLOUDFLARE_ACCOUNT_ID={account_id}\nCLOUDFLARE_API_TOKEN={account_token}\nCF_PAGES_COMMIT_SHA={}\n",
        gen.hex(40)
    );
    let wrangler = format!(
        "// wrangler.jsonc\n{{\n  \"name\": \"api-gateway\",\n  \"main\": \"src/index.ts\",\n  \"account_id\": \"{account_id}\",\n\
         \"d1_databases\": [{{ \"binding\": \"DB\", \"database_name\": \"prod\", \"database_id\": \"{}\" }}],\n\
         \"r2_buckets\": [{{ \"binding\": \"ASSETS\", \"bucket_name\": \"assets\" }}],\n}}\n",
        gen.hex(32)
    );
    vec![
        ("ci/deploy.log", deploy_log),
        ("home/.bash_history", history),
        ("app/.env", env),
        ("app/wrangler.jsonc", wrangler),
        ("vault/leaked-token.txt", format!("{leaked}\n")),
    ]
}

fn step(root: &Path, title: &str, args: &[&str]) -> Result<i32> {
    let exe = std::env::current_exe().context("cannot find the cfscrub binary")?;
    println!("\n## {title}\n$ cfscrub {}", args.join(" "));
    let status = Command::new(exe)
        .args(args)
        .current_dir(root)
        .env("NO_COLOR", "1")
        .status()
        .context("cannot run cfscrub")?;
    let code = status.code().unwrap_or(2);
    println!("(exit {code})");
    Ok(code)
}

/// Runs `cfscrub demo`.
pub fn run(args: DemoArgs) -> Result<u8> {
    let dir = tempfile::Builder::new()
        .prefix("cfscrub-demo-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let root = dir.path().join("incident");
    let mut gen = FakeGen::new(args.seed);
    for (rel, content) in incident_files(&mut gen) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("relative paths have a parent"))?;
        std::fs::write(&path, content)?;
    }
    println!(
        "cfscrub demo: a fake incident in {} (CI log, shell history, .env, wrangler config;\n\
         every credential in it is a fake generated just now)",
        crate::sanitize::display_path(&root)
    );
    let scan = step(&root, "1. Find every credential", &["scan", "."])?;
    let json = step(
        &root,
        "   ... or as JSON Lines for a machine",
        &["scan", "--format", "json", "-q", "app/.env"],
    )?;
    let ok = scan == 1 && json == 1;
    if args.keep {
        let kept = dir.keep();
        println!("\nKept {}", crate::sanitize::display_path(&kept));
    }
    println!(
        "\ncfscrub demo: {}",
        if ok {
            "done"
        } else {
            "a step did not behave as expected"
        }
    );
    Ok(if ok { 0 } else { 2 })
}
