//! The config file's serde layer: never panics on any YAML.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = yaml_serde::from_str::<toolwall::config::raw::RawConfig>(text);
        let _ = yaml_serde::from_str::<toolwall::config::raw::RawAdapter>(text);
    }
});
