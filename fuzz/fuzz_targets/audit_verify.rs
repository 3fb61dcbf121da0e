//! `audit verify` on arbitrary file contents: never panics (the file is external data).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("toolwall-fuzz-audit-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let file = dir.join("toolwall-000001.jsonl");
    if std::fs::write(&file, data).is_err() {
        return;
    }
    let _ = toolwall::audit::verify_path(&dir, &toolwall::audit::TrustedKeys::new());
});
