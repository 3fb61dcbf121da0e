//! Regressions found by the mutation smoke corpus (slices and byte mutations of the training
//! documents, docs/redaction-accuracy.md): texts that once panicked the scanner.

use super::tests_support::{det, found};
use super::ScanContext;
use crate::redact::entity::Entity;

/// A key's value that runs past 128 bytes and stops at `,`/`;`/`&`/`<`/`>` (a JWT cut off
/// by a comma): `check::extend_value` sliced `hay[e..vs + 128]` with `e` past its end.
#[test]
fn a_key_value_past_128_bytes_stopped_by_a_comma() {
    let text = "Response:\n{\n  \"refresh_token\": \"9oiWiGsKaaMzmDV2vevrMIKzyuMtwOxenrSyP9hg\",\n  \"id_token\": \"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0NzU4OTUwOTIiLCJpYXQiOjE3OTgyMzY3NjAsImV4cCI6MTc5ODMyMzE2MCwic2NvcGUiOiJ0b29sczpjYWxsIiwiaXNzIjoiaHR0cHM6Ly9hdXRoLmV4YW1wbGUtaWRwLm5ldC8ifQ.fcI3IZILRU2LrserOJaL_89tW9tBpTgG, you requested the token\n";
    // Whatever the scanner makes of the cut JWT, it answers (no panic) and still finds the
    // refresh token before it.
    assert_eq!(
        found(text, Entity::GenericSecret),
        ["9oiWiGsKaaMzmDV2vevrMIKzyuMtwOxenrSyP9hg"]
    );
    // Every value length around the 128-byte window, each stop byte, quoted or not.
    let d = det();
    let mut n_hits = 0;
    for stop in [",", ";", "&", "<", ">"] {
        for n in 100..300 {
            // A random-looking token (an LCG over letters and digits).
            let mut x: u32 = 12345 + n as u32;
            let v: String = (0..n)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        [(x >> 16) as usize % 62] as char
                })
                .collect();
            for t in [
                format!("\"api_token\": \"{v}{stop} then words\""),
                format!("api_token={v}{stop}more"),
                format!("export API_TOKEN={v}{stop}x"),
            ] {
                d.scan(t.as_bytes(), ScanContext::default(), &mut |_| {
                    n_hits += 1;
                    true
                });
            }
        }
    }
    // Most values are found (so the scans above reached the key's rule).
    assert!(n_hits > 2000, "{n_hits}");
}
