//! Form / query string parsing: never panics; every accepted pair decodes to UTF-8.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(pairs) = toolwall::stage::args::parse_pairs(text, "fuzz") {
            for (k, _) in pairs {
                assert!(!k.contains('[') && !k.contains(']'));
            }
        }
    }
});
