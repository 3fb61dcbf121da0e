use super::*;
use std::fs;

use super::super::chain::list_streams;
use super::super::keys::TrustedKeys;
use crate::audit::chain::tests::{test_key, write_stream};

/// Flip single bytes at pseudo-random positions anywhere in the stream (except the final
/// checkpoint line, whose `ts` no later record seals): verification must fail, and must
/// never panic.
#[test]
fn any_flipped_byte_is_detected() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_stream(dir.path(), 60);
    let mut keys = TrustedKeys::new();
    keys.add(test_key(1).verifier());
    let files = list_streams(dir.path()).expect("list")["audit"].clone();
    let originals: Vec<Vec<u8>> = files
        .iter()
        .map(|(_, p)| fs::read(p).expect("read"))
        .collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for round in 0..60 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let fi = (x % files.len() as u64) as usize;
        let bytes = &originals[fi];
        let mut limit = bytes.len();
        if fi + 1 == files.len() {
            // Exclude the final line.
            limit = bytes[..bytes.len() - 1]
                .iter()
                .rposition(|&b| b == b'\n')
                .expect("lines")
                + 1;
        }
        let pos = ((x >> 17) % limit as u64) as usize;
        let mut tampered = bytes.clone();
        tampered[pos] ^= 1 << (round % 7);
        fs::write(&files[fi].1, &tampered).expect("write");
        let report = verify_path(dir.path(), &keys);
        assert!(
            !report.valid,
            "flip at {}:{pos} went undetected: {report}",
            files[fi].1.display()
        );
        fs::write(&files[fi].1, bytes).expect("restore");
    }
    assert!(verify_path(dir.path(), &keys).valid);
}
