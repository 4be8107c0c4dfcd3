//! `cfscrub man`: the manual page in roff, generated from the clap
//! definition in [`crate::cli::flags`] (`clap_mangen`): one page with every
//! subcommand and its options, and the exit codes.

use super::EXIT_CLEAN;
use crate::cli::Cli;
use anyhow::{Context, Result};
use cfscrub::out;
use clap::CommandFactory;
use clap_mangen::roff::{roman, Roff};
use clap_mangen::Man;

/// Runs `cfscrub man`: prints the page on stdout (`cfscrub man | man -l -`).
pub fn run() -> Result<u8> {
    let page = render().context("cannot render the manual page")?;
    out!("{page}");
    Ok(EXIT_CLEAN)
}

/// The whole page: name, synopsis, description, options, then one section
/// per subcommand, exit codes, version.
fn render() -> Result<String> {
    let cli = Cli::command();
    let man = Man::new(cli.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    let mut commands = Roff::new();
    commands.control("SH", ["COMMANDS"]);
    for sub in cli.get_subcommands() {
        append_command(&mut commands, "cfscrub", sub);
    }
    commands.control("SH", ["EXIT STATUS"]);
    for (code, meaning) in [
        ("0", "nothing found"),
        (
            "1",
            "a credential was found (or masked, with filter --fail-on-find)",
        ),
        ("2", "an error; it outranks a finding"),
    ] {
        commands.control("TP", []);
        commands.text([roman(code)]);
        commands.text([roman(meaning)]);
    }
    commands.to_writer(&mut page)?;
    man.render_version_section(&mut page)?;
    Ok(String::from_utf8(page)?)
}

/// One subcommand (and its own subcommands): its usage line, what it does,
/// and each argument with its help.
fn append_command(roff: &mut Roff, parent: &str, cmd: &clap::Command) {
    let name = format!("{parent} {}", cmd.get_name());
    roff.control("SS", [name.as_str()]);
    let usage = cmd.clone().bin_name(&name).render_usage().to_string();
    roff.text([roman(usage.trim_start_matches("Usage: "))]);
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        roff.control("PP", []);
        roff.text([roman(about.to_string())]);
    }
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let value = arg.get_value_names().map(|names| names.join(" "));
        let mut head = Vec::new();
        if let Some(short) = arg.get_short() {
            head.push(format!("-{short}"));
        }
        if let Some(long) = arg.get_long() {
            head.push(format!("--{long}"));
        }
        let mut head = head.join(", ");
        match (head.is_empty(), arg.get_action().takes_values(), value) {
            (true, _, Some(value)) => head = value,
            (true, _, None) => head = arg.get_id().to_string().to_uppercase(),
            (false, true, Some(value)) => head = format!("{head} {value}"),
            (false, true, None) => {
                head = format!("{head} {}", arg.get_id().as_str().to_uppercase())
            }
            (false, false, _) => {}
        }
        roff.control("TP", []);
        roff.text([roman(head)]);
        let help = arg.get_long_help().or(arg.get_help());
        let mut help = help.map_or_else(String::new, |h| h.to_string());
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_string())
            .collect();
        if arg.get_action().takes_values() && !values.is_empty() {
            help.push_str(&format!(" [one of: {}]", values.join(", ")));
        }
        roff.text([roman(help)]);
    }
    for sub in cmd.get_subcommands() {
        append_command(roff, &name, sub);
    }
}
