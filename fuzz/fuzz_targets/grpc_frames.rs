//! gRPC request bodies over arbitrary bytes: reading the one message of a unary call (both
//! encodings) never panics, never returns more than the limit, and a returned identity
//! message is exactly the bytes after the 5-byte header; `grpc-timeout` parsing never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use toolwall::protocol::grpc::{parse_timeout, unary_message, Encoding};

fuzz_target!(|data: &[u8]| {
    const MAX: usize = 1 << 16;
    for enc in [Encoding::Identity, Encoding::Gzip] {
        if let Ok(msg) = unary_message(data, enc, MAX) {
            assert!(msg.len() <= MAX);
            if data.first() == Some(&0) {
                assert_eq!(msg.as_ref(), &data[5..]);
            }
        }
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_timeout(s);
    }
});
