//! `cfscrub vault check|fix|store`.

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use crate::cli::{VaultAction, VaultArgs};
use crate::core::finding::Fingerprint;
use crate::incident::vault;
use crate::mask::sanitize::display_path;
use anyhow::Result;
use std::io::{IsTerminal, Read};
use zeroize::Zeroizing;

/// Runs `cfscrub vault`.
pub fn run(args: VaultArgs) -> Result<u8> {
    match args.action {
        VaultAction::Check { paths } => {
            let (mut problems, mut errors) = (0, 0);
            for path in &paths {
                let name = display_path(path);
                match vault::check(path) {
                    Ok(found) if found.is_empty() => {
                        println!("{name}: ok (0600, yours, regular file)")
                    }
                    Ok(found) => {
                        problems += found.len();
                        for p in found {
                            println!("{name}: {p}");
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        eprintln!("cfscrub vault: {name}: {e}");
                    }
                }
            }
            Ok(if errors > 0 {
                EXIT_ERROR
            } else if problems > 0 {
                EXIT_FOUND
            } else {
                EXIT_CLEAN
            })
        }
        VaultAction::Fix { paths } => {
            let mut failed = false;
            for path in &paths {
                let name = display_path(path);
                match vault::fix(path) {
                    Ok(f) if f.before == f.after => {
                        println!("{name}: {:04o} (already private)", f.after)
                    }
                    Ok(f) => println!("{name}: {:04o} -> {:04o}", f.before, f.after),
                    Err(e) => {
                        failed = true;
                        eprintln!("cfscrub vault: {name}: {e}");
                    }
                }
            }
            Ok(if failed { EXIT_ERROR } else { EXIT_CLEAN })
        }
        VaultAction::Store { path, force } => {
            let value = read_one_secret()?;
            let name = display_path(&path);
            match vault::store(&path, &value, force) {
                Ok(()) => {
                    let kind = crate::incident::checklist::LeakedType::of(&value);
                    // A weak value gets none: it could be brute-forced back.
                    let fp = Fingerprint::of(&value)
                        .map_or_else(String::new, |fp| format!(" (fp:{fp})"));
                    println!("{name}: stored a {}{fp}, mode 0600", kind.name());
                    Ok(EXIT_CLEAN)
                }
                Err(e) => {
                    eprintln!("cfscrub vault: {name}: {e}");
                    Ok(EXIT_ERROR)
                }
            }
        }
    }
}

/// One secret from stdin: without echo on a terminal, else the whole
/// input with surrounding white space dropped; it must be a single line.
fn read_one_secret() -> Result<Zeroizing<Vec<u8>>> {
    let stdin = std::io::stdin();
    let raw = if stdin.is_terminal() {
        eprint!("Paste the secret (not echoed): ");
        Zeroizing::new(rpassword::read_password()?.into_bytes())
    } else {
        let mut buf = Zeroizing::new(Vec::new());
        stdin.lock().take(1 << 16).read_to_end(&mut buf)?;
        buf
    };
    let value = Zeroizing::new(raw.trim_ascii().to_vec());
    if value.contains(&b'\n') {
        anyhow::bail!("standard input holds more than one line: a vault file holds one secret");
    }
    Ok(value)
}
