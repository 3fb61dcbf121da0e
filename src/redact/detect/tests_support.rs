//! Helpers shared by the detector's accuracy tests (`tests_accuracy`, `tests_r11a`,
//! `tests_r11b`, `tests_r12a`, `tests_r12b`, `tests_r13a`, `tests_r13c`, `tests_r14c`).

use super::*;
use crate::redact::{ActionPlan, RedactConfig, Redactor};

pub(super) fn det() -> Detector {
    Detector::new([true; Entity::COUNT], 3.0, &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// (entity, matched text, placeholder) of every hit.
pub(super) fn hits(text: &str) -> Vec<(Entity, String, bool)> {
    let d = det();
    let mut out = Vec::new();
    d.scan(text.as_bytes(), ScanContext::default(), &mut |h| {
        out.push((h.entity, text[h.start..h.end].to_string(), h.placeholder));
        true
    });
    out
}

/// The texts of the hits of `entity` that are no placeholder.
pub(super) fn found(text: &str, entity: Entity) -> Vec<String> {
    hits(text)
        .into_iter()
        .filter(|(e, _, p)| *e == entity && !p)
        .map(|(_, s, _)| s)
        .collect()
}

/// The texts of every hit of `entity`, placeholders included.
pub(super) fn found_all(text: &str, entity: Entity) -> Vec<String> {
    hits(text)
        .into_iter()
        .filter(|(e, _, _)| *e == entity)
        .map(|(_, s, _)| s)
        .collect()
}

/// The default redactor, as the proxy builds it.
pub(super) fn redactor() -> Redactor {
    Redactor::new(&RedactConfig::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// (entity, pointer, placeholder) of every finding in a JSON body, as the proxy redacts it
/// (`redact_bytes`: the raw-bytes pass, then the parsed walk).
pub(super) fn json_findings(body: &str) -> Vec<(&'static str, String, bool)> {
    let (_, findings) = redactor().redact_bytes(body.as_bytes(), true, &ActionPlan::mask_all());
    findings
        .iter()
        .map(|f| {
            (
                f.entity.name(),
                f.pointer.clone().unwrap_or_default(),
                f.placeholder,
            )
        })
        .collect()
}

/// (entity, pointer) of every finding in a JSON body as the proxy redacts it (the raw pass),
/// after checking that the `Value` walk (`redact_json`, `scan_json`) finds the same and that
/// the body is not skipped as clean when something is found.
pub(super) fn json_findings_checked(body: &str) -> Vec<(&'static str, String)> {
    let r = redactor();
    let plan = ActionPlan::mask_all();
    let (_, raw) = r.redact_bytes(body.as_bytes(), true, &plan);
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}"));
    let walk = r.redact_json(&value, &plan).findings;
    let scan = r.scan_json(&value);
    let list = |f: &[crate::redact::Finding]| {
        let mut v: Vec<(&'static str, String)> = f
            .iter()
            .map(|f| (f.entity.name(), f.pointer.clone().unwrap_or_default()))
            .collect();
        v.sort();
        v
    };
    let got = list(&raw);
    assert_eq!(got, list(&walk), "raw pass vs walk: {body}");
    assert_eq!(got, list(&scan), "raw pass vs scan: {body}");
    if !got.is_empty() {
        assert!(
            !r.json_bytes_clean(body.as_bytes()),
            "skipped as clean: {body}"
        );
    }
    got
}

/// `text` as it stands, and inside a long document (the long-text search takes other
/// paths than the short one).
pub(super) fn both(text: &str) -> [String; 2] {
    let pad = "Notes from the migration call, nothing sensitive in this paragraph at all.\n";
    [text.to_string(), format!("{}{text}{}", pad.repeat(3), pad)]
}

/// `text` cut at every byte (a char boundary), scanned as text, as a JSON string member and
/// as a JSON body cut at the same byte: each must return, whatever it finds.
pub(super) fn scan_every_cut(text: &str) {
    for cut in (0..=text.len()).filter(|&c| text.is_char_boundary(c)) {
        let t = &text[..cut];
        let _ = hits(t);
        let body = format!("{{\"k\":{}}}", serde_json::Value::from(t));
        let _ = json_findings_checked(&body);
        // A JSON body cut anywhere is text.
        let _ = json_findings(body.get(..cut).unwrap_or(&body));
    }
}

/// Each `(text, value)`: `value` is the one finding of `entity`, in the text as it stands and
/// inside a long document ([`both`]).
pub(super) fn assert_each_found(entity: Entity, cases: &[(&str, &str)]) {
    for (text, value) in cases {
        for t in both(text) {
            assert_eq!(found(&t, entity), vec![value.to_string()], "{t:?}");
        }
    }
}

/// Each text holds no finding of `entity`, as it stands and inside a long document.
pub(super) fn assert_none_found(entity: Entity, texts: &[&str]) {
    for text in texts {
        for t in both(text) {
            let got = found(&t, entity);
            assert!(got.is_empty(), "{t:?}: {got:?}");
        }
    }
}

/// Deterministic pseudo-random numbers (xorshift), so a failure replays: the generated
/// inputs of the property tests (`tests_cost`, `tests_leads`, `tests_r29c`, `json::tests`,
/// `tests::raw`).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// One of `from`, uniformly.
    pub(crate) fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }

    /// A number below `n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
