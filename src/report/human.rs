//! Human output: `path:line:column: kind (confidence) encoding:… fp:…`
//! (`encoding:` only for a value found encoded), styled with
//! `anstyle` when colour is on (the path magenta, the kind red, yellow or
//! cyan by confidence), and whether colour is on.

use super::ColorChoice;
use crate::core::finding::Finding;
use crate::core::rules::Confidence;
use anstyle::{AnsiColor, Style};
use std::io::Write;

const PATH: Style = AnsiColor::Magenta.on_default();
const HIGH: Style = AnsiColor::Red.on_default().bold();
const MEDIUM: Style = AnsiColor::Yellow.on_default();
const LOW: Style = AnsiColor::Cyan.on_default();

/// Whether to colour standard output: `always`, `never`, or for `auto`
/// what `anstream` decides for it (a terminal, `NO_COLOR` unset or empty,
/// `TERM` not `dumb`; `CLICOLOR_FORCE` forces it).
pub fn colour_stdout(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
        }
    }
}

/// Appends the line of `f` in the file shown as `path` to `buf`.
pub fn finding_line(buf: &mut Vec<u8>, path: &str, f: &Finding, fingerprint: bool, colour: bool) {
    let (path_style, kind_style) = if colour {
        let kind = match f.confidence {
            Confidence::High => HIGH,
            Confidence::Medium => MEDIUM,
            Confidence::Low => LOW,
        };
        (PATH, kind)
    } else {
        (Style::new(), Style::new())
    };
    let _ = write!(
        buf,
        "{path_style}{path}{path_style:#}:{}:{}: {kind_style}{}{kind_style:#} ({})",
        f.line,
        f.column,
        f.kind.id(),
        f.confidence.name()
    );
    if let Some(encoding) = f.encoding {
        let _ = write!(buf, " encoding:{}", encoding.name());
    }
    if let Some(fp) = f.fingerprint.filter(|_| fingerprint) {
        let _ = write!(buf, " fp:{fp}");
    }
    buf.push(b'\n');
}
