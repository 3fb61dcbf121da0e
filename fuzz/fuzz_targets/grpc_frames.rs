//! gRPC request bodies over arbitrary bytes: reading the one message of a unary call (both
//! encodings) never panics, never returns more than the limit, and a returned identity
//! message is exactly the bytes after the 5-byte header; reading a client stream's messages
//! one after another accounts for every byte (header + payload each, until the rest is
//! empty or refused); a framed payload reads back as itself; `grpc-timeout` and
//! `grpc-encoding` parsing never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use toolwall::protocol::grpc::{frame, next_frame, parse_timeout, unary_message, Encoding};

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

    // a stream of messages: each read consumes its header and payload, nothing else
    let mut rest = data;
    let mut consumed = 0usize;
    while let Ok((f, after)) = next_frame(rest, MAX) {
        assert!(f.payload.len() <= MAX);
        assert_eq!(rest.len(), 5 + f.payload.len() + after.len());
        consumed += 5 + f.payload.len();
        rest = after;
    }
    assert_eq!(consumed + rest.len(), data.len());

    // framing is the inverse of reading
    if data.len() <= MAX {
        let framed = frame(data);
        assert_eq!(
            unary_message(&framed, Encoding::Identity, MAX)
                .expect("a framed payload reads back")
                .as_ref(),
            data
        );
    }

    if let Ok(s) = std::str::from_utf8(data) {
        let _ = parse_timeout(s);
        let _ = Encoding::from_header(Some(s));
    }
});
