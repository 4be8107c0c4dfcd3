//! `cfscrub diagnose [LOG|-]`: the first Cloudflare API error in a log, its
//! cause, the missing permission, and what the later errors mean.

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FOUND};
use crate::cli::{DiagnoseOptions, DocFormat};
use anyhow::Result;
use cfscrub::incident::diagnose::{explain, find_errors, is_known, DiagnoseDocument};
use cfscrub::{errln, outln};
use std::io::{BufReader, IsTerminal};

/// Runs `cfscrub diagnose`.
pub fn run(args: DiagnoseOptions) -> Result<u8> {
    let name = match &args.log {
        None => "standard input".to_string(),
        Some(log) => cfscrub::mask::sanitize::display_path(log),
    };
    let found = match &args.log {
        None => {
            if std::io::stdin().is_terminal() {
                errln!("cfscrub diagnose: reading the log from the terminal: paste it, then press Ctrl-D (or give a file: cfscrub diagnose LOG)");
            }
            find_errors(std::io::stdin().lock())
        }
        Some(log) => match cfscrub::source::open::open_regular(log, true) {
            Ok((file, _)) => find_errors(BufReader::new(file)),
            Err(e @ cfscrub::source::open::OpenError::NotRegular(_)) => {
                errln!("cfscrub diagnose: {name}: {e}");
                return Ok(EXIT_ERROR);
            }
            Err(cfscrub::source::open::OpenError::Io(e)) => Err(e),
        },
    };
    let (errors, hint) = match found {
        Ok(v) => v,
        Err(e) => {
            errln!("cfscrub diagnose: {name}: {e}");
            return Ok(EXIT_ERROR);
        }
    };
    let diagnoses: Vec<_> = errors
        .iter()
        .enumerate()
        .map(|(i, e)| explain(e, i == 0, hint))
        .collect();
    match args.format {
        DocFormat::Json => {
            let doc = DiagnoseDocument {
                first: diagnoses.first(),
                follow_on: diagnoses.get(1..).unwrap_or(&[]),
            };
            outln!("{}", serde_json::to_string_pretty(&doc)?);
        }
        DocFormat::Human => match diagnoses.split_first() {
            None => outln!("No Cloudflare API error ([code: N] or \"code\": N) in {name}."),
            Some((first, rest)) => {
                let e = &first.error;
                outln!(
                    "First Cloudflare API error (line {}): code {} on {}",
                    e.line,
                    e.code,
                    e.path.as_deref().unwrap_or("an unnamed path")
                );
                outln!("  log:     {}", e.quote.trim());
                outln!("  cause:   {}", first.cause);
                if let Some(p) = &first.missing_permission {
                    outln!("  missing: {p}");
                }
                outln!("  fix:     {}", first.fix);
                if !rest.is_empty() {
                    outln!("\nLater errors:");
                    for d in rest {
                        outln!(
                            "  line {}: code {} on {}: {}",
                            d.error.line,
                            d.error.code,
                            d.error.path.as_deref().unwrap_or("?"),
                            d.cause
                        );
                    }
                }
            }
        },
    }
    Ok(match diagnoses.first() {
        None => EXIT_FOUND,
        Some(d) if is_known(d) => EXIT_CLEAN,
        Some(_) => EXIT_FOUND,
    })
}
