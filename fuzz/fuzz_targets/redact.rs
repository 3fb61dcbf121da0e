//! Redaction over arbitrary bytes (as JSON and as text): never panics; a JSON body redacted
//! in one pass over its bytes gives the same document as the parsed-`Value` path, and a body
//! declared JSON that is not JSON is redacted exactly as text.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use toolwall::redact::{ActionPlan, RedactConfig, Redactor};

fn redactor() -> &'static Redactor {
    static R: OnceLock<Redactor> = OnceLock::new();
    R.get_or_init(|| Redactor::new(&RedactConfig::default()).expect("default config"))
}

fuzz_target!(|data: &[u8]| {
    let plan = ActionPlan::mask_all();
    let (out, _) = redactor().redact_bytes(data, true, &plan);
    let (as_text, _) = redactor().redact_bytes(data, false, &plan);
    match serde_json::from_slice::<serde_json::Value>(data) {
        Ok(mut value) => {
            // (A duplicated key is redacted at every occurrence in the bytes; parsing keeps
            // the last one either way, so the documents still agree.)
            let got: serde_json::Value = serde_json::from_slice(&out).expect("redacted JSON");
            redactor().redact_json_in_place(&mut value, &plan);
            assert_eq!(got, value);
        }
        Err(_) => assert_eq!(out, as_text),
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = redactor().redact_text(text, &plan);
    }
});
