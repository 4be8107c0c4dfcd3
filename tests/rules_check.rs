//! Every rule's positive examples give exactly the expected finding, and its
//! negative examples give none. Examples are templates expanded with fresh
//! fakes, under several seeds.

use cfscrub::core::detect::Detector;
use cfscrub::core::rules::{Confidence, RULES};
use cfscrub::core::secrets::KnownSecrets;
use cfscrub::core::stream::scan_bytes;
use cfscrub::fake::FakeGen;

#[test]
fn rules_check() {
    let detector = Detector::new(&KnownSecrets::new());
    let mut failures = Vec::new();
    for seed in 0..20 {
        let mut gen = FakeGen::new(seed);
        for rule in RULES {
            for template in rule.positives {
                let e = gen.expand(template);
                let expected = e
                    .marked
                    .clone()
                    .or_else(|| (e.values.len() == 1).then(|| e.values[0].clone()))
                    .expect("a positive example marks one span");
                let confidence = if template.contains("!}") {
                    Confidence::Low
                } else {
                    rule.confidence
                };
                let found = scan_bytes(&detector, &e.text);
                let ok = found.len() == 1
                    && found[0].kind == rule.kind
                    && found[0].confidence == confidence
                    && found[0].offset as usize == expected.start
                    && found[0].length == expected.len();
                if !ok {
                    let got: Vec<_> = found
                        .iter()
                        .map(|f| (f.kind.id(), f.confidence, f.offset, f.length))
                        .collect();
                    failures.push(format!(
                        "{} positive {template:?} (seed {seed}): want {:?} at {expected:?}, got {got:?}",
                        rule.kind.id(),
                        confidence
                    ));
                }
            }
            for template in rule.negatives {
                let e = gen.expand(template);
                let found = scan_bytes(&detector, &e.text);
                if !found.is_empty() {
                    let got: Vec<_> = found
                        .iter()
                        .map(|f| (f.kind.id(), f.offset, f.length))
                        .collect();
                    failures.push(format!(
                        "{} negative {template:?} (seed {seed}): got {got:?}",
                        rule.kind.id()
                    ));
                }
            }
        }
    }
    failures.dedup();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every encoded form's positive examples give one finding of their kind
/// with the form's encoding, inside the placeholder and ending with it;
/// negatives give none.
#[test]
fn encoded_forms_check() {
    use cfscrub::core::rules::ENCODED_FORMS;
    let detector = Detector::new(&KnownSecrets::new());
    let mut failures = Vec::new();
    for seed in 0..20 {
        let mut gen = FakeGen::new(seed);
        for form in ENCODED_FORMS {
            for (kind, template) in form.positives {
                let e = gen.expand(template);
                assert_eq!(e.values.len(), 1, "{template:?} has one placeholder");
                let value = e.values[0].clone();
                let found = scan_bytes(&detector, &e.text);
                let ok = found.len() == 1
                    && found[0].kind == *kind
                    && found[0].encoding == Some(form.encoding)
                    && value.start <= found[0].offset as usize
                    && found[0].end() as usize == value.end;
                if !ok {
                    let got: Vec<_> = found
                        .iter()
                        .map(|f| (f.kind.id(), f.encoding, f.offset, f.length))
                        .collect();
                    failures.push(format!(
                        "{:?} positive {template:?} (seed {seed}): want {} in {value:?}, got {got:?}",
                        form.encoding,
                        kind.id()
                    ));
                }
            }
            for template in form.negatives {
                let found = scan_bytes(&detector, &gen.expand(template).text);
                if !found.is_empty() {
                    failures.push(format!(
                        "{:?} negative {template:?} (seed {seed}): {} findings",
                        form.encoding,
                        found.len()
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
