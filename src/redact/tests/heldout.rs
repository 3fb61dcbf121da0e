//! A regression check on a committed sample of the held-out split of the realistic corpus
//! (docs/redaction-accuracy.md): the first 500 free-text documents of
//! `benches/pii_corpus_real.py OUT 3000 202 heldout`, with their labels. Every entity with
//! enough gold spans must keep its precision and recall.

use super::*;

/// (type, start, end) spans in UTF-8 bytes; findings that are placeholders are typed
/// `PLACEHOLDER`, as the bench scores them.
type Span = (String, usize, usize);

#[derive(serde::Deserialize)]
struct Doc {
    text: String,
    spans: Vec<Span>,
}

#[test]
fn heldout_sample_keeps_precision_and_recall() {
    let redactor = Redactor::new(&RedactConfig::default()).unwrap_or_else(|e| panic!("{e}"));
    // (tp, fp, fn) per type
    let mut stats: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    for line in include_str!("heldout_sample.jsonl").lines() {
        let doc: Doc = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
        let mut used = vec![false; doc.spans.len()];
        for f in redactor.scan_text(&doc.text) {
            let (Some(s), Some(e)) = (f.start, f.end) else {
                continue;
            };
            let t = if f.placeholder {
                "PLACEHOLDER"
            } else {
                f.entity.name()
            };
            let hit = doc
                .spans
                .iter()
                .enumerate()
                .position(|(i, (gt, gs, ge))| !used[i] && gt == t && s < *ge && *gs < e);
            let st = stats.entry(t.to_string()).or_default();
            match hit {
                Some(i) => {
                    used[i] = true;
                    st[0] += 1;
                }
                None => st[1] += 1,
            }
        }
        for (i, (gt, _, _)) in doc.spans.iter().enumerate() {
            if !used[i] {
                stats.entry(gt.clone()).or_default()[2] += 1;
            }
        }
    }
    let mut report = String::new();
    let mut bad = Vec::new();
    for (t, [tp, fp, fn_]) in &stats {
        let p = *tp as f64 / (tp + fp).max(1) as f64;
        let r = *tp as f64 / (tp + fn_).max(1) as f64;
        report.push_str(&format!(
            "{t}: P {p:.3} R {r:.3} (tp {tp} fp {fp} fn {fn_})\n"
        ));
        // Entities with few gold spans in the sample are not judged (one miss is 5 %).
        // PHONE is held at 0.99: it scores 1.000 / 1.000 on this sample and on the whole
        // held-out split since the second round of rules (docs/redaction-accuracy.md).
        // PLACEHOLDER holds shapes no secret rule matches (see there): recall is not judged.
        let floor = if t == "PHONE" { 0.99 } else { 0.97 };
        if tp + fn_ >= 20 && (p < floor || (r < floor && t != "PLACEHOLDER")) {
            bad.push(t.clone());
        }
    }
    assert!(bad.is_empty(), "below the floor: {bad:?}\n{report}");
}
