//! `cfscrub rules export --format vector`: the VRL program compiled and run
//! by the `vrl` crate (Vector's own language crate) over every rule's
//! examples expanded with fresh fakes, in nested fields of an event.
//! Behind the `vrl-tests` feature (the crate takes minutes to build):
//! `cargo test --features vrl-tests --test vector_vrl`; `.ci/run` runs it.

mod common;
use cfscrub::core::rules::RULES;
use common::*;
use std::collections::BTreeMap;
use vrl::compiler::{state::RuntimeState, Context, Program, TargetValue, TimeZone};
use vrl::value::{Secrets, Value};

/// The exported program, compiled; a compile error fails here.
fn program() -> Program {
    let source = run(cfscrub().args(["rules", "export", "--format", "vector"])).expect(0);
    let source = String::from_utf8(source.stdout).unwrap();
    let compiled = vrl::compiler::compile(&source, &vrl::stdlib::all())
        .unwrap_or_else(|d| panic!("the program does not compile: {d:?}"));
    assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
    compiled.program
}

/// Runs `program` on an event holding `text` at the top and nested, and a
/// number; returns both strings after it.
fn mask(program: &Program, text: &str) -> (String, String) {
    let mut event = BTreeMap::new();
    event.insert("message".into(), Value::from(text));
    let mut nested = BTreeMap::new();
    nested.insert("line".into(), Value::Array(vec![Value::from(text)]));
    event.insert("nested".into(), Value::Object(nested));
    event.insert("count".into(), Value::from(7));
    let mut target = TargetValue {
        value: Value::Object(event),
        metadata: Value::Object(BTreeMap::new()),
        secrets: Secrets::default(),
    };
    let mut state = RuntimeState::default();
    let tz = TimeZone::default();
    let mut ctx = Context::new(&mut target, &mut state, &tz);
    program.resolve(&mut ctx).expect("the program runs");
    let Value::Object(out) = target.value else {
        panic!("the event is no longer an object")
    };
    assert_eq!(out["count"], Value::from(7), "a number changed");
    let top = out["message"]
        .to_str_lossy()
        .expect("message stays a string")
        .into_owned();
    let inner = match &out["nested"] {
        Value::Object(n) => match &n["line"] {
            Value::Array(a) => a[0].to_str_lossy().expect("a string").into_owned(),
            _ => panic!("nested.line is no longer an array"),
        },
        _ => panic!("nested is no longer an object"),
    };
    (top, inner)
}

/// Whether `text` holds `secret` or any 8-character window of it.
fn holds_a_window_of(text: &str, secret: &str) -> bool {
    let w = 8.min(secret.len());
    secret
        .as_bytes()
        .windows(w)
        .any(|win| text.as_bytes().windows(w).any(|t| t == win))
}

#[test]
fn vector_program_masks_every_rule_example_at_any_depth() {
    let program = program();
    let mut failures = Vec::new();
    for seed in [1616, 1617, 1618] {
        let mut gen = FakeGen::new(seed);
        for rule in RULES {
            for template in rule.positives {
                let e = gen.expand(template);
                let text = String::from_utf8(e.text.clone()).unwrap();
                let span = e
                    .marked
                    .clone()
                    .or_else(|| (e.values.len() == 1).then(|| e.values[0].clone()))
                    .expect("a positive example marks one span");
                let (top, inner) = mask(&program, &text);
                assert_eq!(top, inner, "nested and top-level differ");
                let leaked = holds_a_window_of(&top, &text[span.clone()]);
                if leaked || !top.contains("[REDACTED_CF_TOKEN]") {
                    failures.push(format!(
                        "{} positive {template:?} (seed {seed}): not masked",
                        rule.kind.id()
                    ));
                }
                // What stands before the credential is kept.
                if !top.starts_with(&text[..span.start]) {
                    failures.push(format!(
                        "{} positive {template:?} (seed {seed}): the text before it changed",
                        rule.kind.id()
                    ));
                }
            }
            for template in rule.negatives {
                let text = String::from_utf8(gen.expand(template).text).unwrap();
                if mask(&program, &text).0 != text {
                    failures.push(format!(
                        "{} negative {template:?} (seed {seed}): changed",
                        rule.kind.id()
                    ));
                }
            }
        }
    }
    // The list quotes templates (placeholders), never their values.
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
