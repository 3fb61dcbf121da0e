//! gRPC on the wire, for the gRPC front end: the length-prefixed messages of a request body
//! (a 5-byte header — compressed flag, big-endian length — then the message), `grpc-encoding`
//! (`identity` | `gzip`), `grpc-timeout`, and a method's messages converted to and from the
//! proto3 canonical JSON mapping through a descriptor set (`protoc --include_imports
//! --descriptor_set_out`, `buf build -o`), with prost-reflect.
//!
//! Everything here refuses what it cannot read exactly: a truncated header or message, a
//! length over the limit, bytes after the message of a unary call, a compressed message
//! without an encoding, an encoding other than the two supported, a gzip stream that is
//! corrupt or inflates past the limit, fields the descriptor does not know.

use std::borrow::Cow;
use std::io::Read;
use std::time::Duration;

/// `grpc-encoding` of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
}

impl Encoding {
    /// The header's value (absent: identity).
    pub fn from_header(v: Option<&str>) -> Result<Encoding, FrameError> {
        match v.map(str::trim) {
            None | Some("identity") => Ok(Encoding::Identity),
            Some("gzip") => Ok(Encoding::Gzip),
            Some(other) => Err(FrameError::UnknownEncoding(
                other.chars().take(64).collect(),
            )),
        }
    }
}

/// Why a request body is not one readable gRPC message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("the body ends inside a message header or message")]
    Truncated,
    #[error("a message of {len} bytes is over the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("a compressed message without grpc-encoding")]
    CompressedWithoutEncoding,
    #[error("grpc-encoding `{0}` is not supported (identity, gzip)")]
    UnknownEncoding(String),
    #[error("message flag {0} is neither 0 nor 1")]
    BadFlag(u8),
    #[error("the gzip message does not inflate: {0}")]
    Gunzip(String),
    #[error("{0} bytes after the message of a unary call")]
    Trailing(usize),
    #[error("the body holds no message")]
    Empty,
}

/// One length-prefixed message of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    pub compressed: bool,
    pub payload: &'a [u8],
}

/// Read the first message of `body`; returns it and the bytes after it.
pub fn next_frame(body: &[u8], max: usize) -> Result<(Frame<'_>, &[u8]), FrameError> {
    let Some((head, rest)) = body.split_first_chunk::<5>() else {
        return Err(if body.is_empty() {
            FrameError::Empty
        } else {
            FrameError::Truncated
        });
    };
    let compressed = match head[0] {
        0 => false,
        1 => true,
        f => return Err(FrameError::BadFlag(f)),
    };
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    if rest.len() < len {
        return Err(FrameError::Truncated);
    }
    let (payload, after) = rest.split_at(len);
    Ok((
        Frame {
            compressed,
            payload,
        },
        after,
    ))
}

/// The one message of a unary request body, inflated when compressed: exactly one message,
/// nothing after it, at most `max` bytes before and after inflating.
pub fn unary_message(body: &[u8], enc: Encoding, max: usize) -> Result<Cow<'_, [u8]>, FrameError> {
    let (frame, after) = next_frame(body, max)?;
    if !after.is_empty() {
        return Err(FrameError::Trailing(after.len()));
    }
    payload(frame, enc, max)
}

/// A message's bytes, inflated when its flag says compressed (at most `max` bytes after).
pub fn payload<'a>(
    frame: Frame<'a>,
    enc: Encoding,
    max: usize,
) -> Result<Cow<'a, [u8]>, FrameError> {
    if !frame.compressed {
        return Ok(Cow::Borrowed(frame.payload));
    }
    match enc {
        Encoding::Identity => Err(FrameError::CompressedWithoutEncoding),
        Encoding::Gzip => {
            let mut out = Vec::new();
            let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
            flate2::read::GzDecoder::new(frame.payload)
                .take(limit)
                .read_to_end(&mut out)
                .map_err(|e| FrameError::Gunzip(e.to_string()))?;
            if out.len() > max {
                return Err(FrameError::TooLarge {
                    len: out.len(),
                    max,
                });
            }
            Ok(Cow::Owned(out))
        }
    }
}

/// `payload` as one uncompressed length-prefixed message.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 5);
    out.push(0);
    out.extend_from_slice(
        &u32::try_from(payload.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    out.extend_from_slice(payload);
    out
}

/// `grpc-timeout`: 1 to 8 digits and a unit (`H` `M` `S` `m` `u` `n`); anything else is
/// `None` (the caller refuses it).
pub fn parse_timeout(v: &str) -> Option<Duration> {
    let unit = v.chars().last()?;
    let digits = &v[..v.len() - unit.len_utf8()];
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        'H' => Duration::from_secs(n * 3600),
        'M' => Duration::from_secs(n * 60),
        'S' => Duration::from_secs(n),
        'm' => Duration::from_millis(n),
        'u' => Duration::from_micros(n),
        'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

pub use crate::proto::{from_json, to_json, Descriptors};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_exactly() {
        let one = frame(b"abc");
        assert_eq!(one, [0, 0, 0, 0, 3, b'a', b'b', b'c']);
        assert_eq!(
            unary_message(&one, Encoding::Identity, 3)
                .expect("ok")
                .as_ref(),
            b"abc"
        );
        let e = |b: &[u8], enc, max| unary_message(b, enc, max).expect_err("refused");
        assert_eq!(
            e(&one, Encoding::Identity, 2),
            FrameError::TooLarge { len: 3, max: 2 }
        );
        assert_eq!(e(&one[..6], Encoding::Identity, 9), FrameError::Truncated);
        assert_eq!(e(&one[..3], Encoding::Identity, 9), FrameError::Truncated);
        assert_eq!(e(b"", Encoding::Identity, 9), FrameError::Empty);
        let mut two = one.clone();
        two.extend_from_slice(&one);
        assert_eq!(e(&two, Encoding::Identity, 9), FrameError::Trailing(8));
        let mut flagged = one.clone();
        flagged[0] = 2;
        assert_eq!(e(&flagged, Encoding::Identity, 9), FrameError::BadFlag(2));
        flagged[0] = 1;
        assert_eq!(
            e(&flagged, Encoding::Identity, 9),
            FrameError::CompressedWithoutEncoding
        );
        assert!(matches!(
            e(&flagged, Encoding::Gzip, 9),
            FrameError::Gunzip(_)
        ));
    }

    #[test]
    fn gzip_messages_inflate_within_the_limit() {
        use std::io::Write;
        let gz = |data: &[u8]| {
            let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            w.write_all(data).expect("gz");
            let mut f = frame(&w.finish().expect("gz"));
            f[0] = 1;
            f
        };
        let body = gz(b"hello");
        assert_eq!(
            unary_message(&body, Encoding::Gzip, 64)
                .expect("ok")
                .as_ref(),
            b"hello"
        );
        // a small body that inflates past the limit (a zip bomb) stops at the limit
        let bomb = gz(&vec![0u8; 1 << 20]);
        assert!(bomb.len() < 4096);
        assert_eq!(
            unary_message(&bomb, Encoding::Gzip, 4096).expect_err("bomb"),
            FrameError::TooLarge {
                len: 4097,
                max: 4096
            }
        );
        assert_eq!(
            Encoding::from_header(Some("br")),
            Err(FrameError::UnknownEncoding("br".into()))
        );
        assert_eq!(Encoding::from_header(None), Ok(Encoding::Identity));
    }

    #[test]
    fn timeouts_follow_the_grpc_spec() {
        assert_eq!(parse_timeout("1S"), Some(Duration::from_secs(1)));
        assert_eq!(parse_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(
            parse_timeout("99999999n"),
            Some(Duration::from_nanos(99_999_999))
        );
        for bad in ["", "S", "1", "123456789S", "1s", "-1S", "1.5S", "1 S", "١S"] {
            assert_eq!(parse_timeout(bad), None, "{bad:?}");
        }
    }
}
