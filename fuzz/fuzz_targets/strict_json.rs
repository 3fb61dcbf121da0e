//! The strict JSON parser: never panics; accepts only what serde_json accepts, and then with
//! no duplicate keys.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = toolwall::json::parse_strict(data, 32) {
        // what the strict parser accepts, serde_json accepts too, with the same value
        let lax: serde_json::Value = serde_json::from_slice(data).expect("strict ⊆ lax");
        assert_eq!(v, lax);
    }
});
