//! gRPC messages over arbitrary bytes, typed by fixed descriptors (the bench's refund request,
//! and a message with every kind of field the canonical JSON mapping treats differently:
//! scalars of each width, bytes, enums, oneof, maps with non-string keys, recursion,
//! well-known types): decoding to canonical JSON never panics; a message with no unknown
//! fields reads the same whether unknown fields are refused or allowed; a message refused for
//! unknown fields decodes when they are allowed (it may still fail to render); and the JSON a
//! message becomes encodes back to a message that reads as the same JSON (what the redaction
//! path relies on: re-encoding what policy saw changes nothing it did not change).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use toolwall::protocol::grpc::{from_json, to_json, Descriptors};

const PAYMENTS: &[u8] = include_bytes!("../../benches/fixtures/grpc/payments.pb");
const EVERYTHING: &[u8] = include_bytes!("../../benches/fixtures/grpc/everything.pb");

/// The two descriptor sets and the method whose input message the bytes are read as.
fn sets() -> &'static [(Descriptors, &'static str, &'static str); 2] {
    static SETS: OnceLock<[(Descriptors, &'static str, &'static str); 2]> = OnceLock::new();
    SETS.get_or_init(|| {
        let set = |bytes: &[u8]| Descriptors::decode(bytes).expect("fixture descriptor set");
        [
            (set(PAYMENTS), "bench.payments.v1.Payments", "CreateRefund"),
            (set(EVERYTHING), "bench.everything.v1.Kitchen", "Call"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let (set, service, method) = &sets()[usize::from(pick & 1)];
    let desc = &set.method(service, method).expect("fixture method").input();
    let strict = to_json(desc, bytes, true);
    let lax = to_json(desc, bytes, false);
    match &strict {
        Ok(json) => {
            assert_eq!(
                lax.as_ref().ok(),
                Some(json),
                "no unknown fields: same JSON"
            );
            let again = from_json(desc, json).expect("canonical JSON encodes back");
            let back = to_json(desc, &again, true).expect("re-encoded message decodes");
            assert_eq!(&back, json, "round trip through the wire form");
        }
        Err(e) if e.contains("is not in the descriptor") => {
            // the bytes decoded: allowed, they render, or fail only in rendering (an `Any`
            // of a type the set does not have, say), never in decoding
            if let Err(lax) = &lax {
                assert!(lax.contains(" to JSON: "), "strict: {e}; lax: {lax}");
            }
        }
        Err(_) => {}
    }
    if let Ok(json) = &lax {
        // what an `unknown_fields: allow` adapter forwards after redaction: the known fields
        let again = from_json(desc, json).expect("canonical JSON encodes back");
        let back = to_json(desc, &again, true).expect("known fields only");
        assert_eq!(&back, json);
    }
});
