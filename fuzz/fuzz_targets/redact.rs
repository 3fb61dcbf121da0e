//! Redaction over arbitrary bytes (as JSON and as text): never panics, and a redacted JSON
//! document is still JSON.
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
    if serde_json::from_slice::<serde_json::Value>(data).is_ok() {
        assert!(serde_json::from_slice::<serde_json::Value>(&out).is_ok());
    }
    let _ = redactor().redact_bytes(data, false, &plan);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = redactor().redact_text(text, &plan);
    }
});
