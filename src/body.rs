//! The body types of the agent listener: the response body every part of the proxy answers
//! with, and the bounded, timed read of a request body.

use std::convert::Infallible;

use bytes::Bytes;
use http::HeaderMap;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;

use crate::pipeline::reject::{Reason, Reject};

/// A boxed response body: a buffered answer or a relayed stream.
pub type ResBody = BoxBody<Bytes, hyper::Error>;

/// A whole, in-memory response body.
pub fn full(b: impl Into<Bytes>) -> ResBody {
    Full::new(b.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

/// A client has this long to send its whole body.
const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Read the whole body, refusing more than `limit` bytes. A body refused as too large is
/// drained in the background (a bounded amount, `LINGER_BYTES` within `LINGER_TIME`, as
/// nginx's lingering close) so that a client that writes its whole body before reading (most
/// HTTP clients) reads the 413 instead of a reset connection.
pub async fn read_body(body: Incoming, headers: &HeaderMap, limit: usize) -> Result<Bytes, Reject> {
    let too_large = || {
        Reject::new(
            Reason::PayloadTooLarge,
            format!("request body exceeds {limit} bytes"),
        )
    };
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        // A client that waits for `100 Continue` sends nothing more: no need to drain.
        let expects = headers
            .get(http::header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
        if !expects {
            linger(body);
        }
        return Err(too_large());
    }
    let read = async move {
        let mut body = body;
        // A body that arrives in one frame (a small one usually does) is kept as received;
        // more frames are copied into one buffer.
        let mut whole: Option<Bytes> = None;
        let mut buf = bytes::BytesMut::new();
        let mut len = 0usize;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                Reject::new(
                    Reason::IncompleteBody,
                    format!("request body could not be read: {e}"),
                )
            })?;
            if let Ok(data) = frame.into_data() {
                len += data.len();
                if len > limit {
                    linger(body);
                    return Err(too_large());
                }
                if whole.is_none() && buf.is_empty() {
                    whole = Some(data);
                } else {
                    if let Some(first) = whole.take() {
                        buf.extend_from_slice(&first);
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
        Ok(whole.unwrap_or_else(|| buf.freeze()))
    };
    match tokio::time::timeout(BODY_READ_TIMEOUT, read).await {
        Ok(r) => r,
        Err(_) => Err(Reject::new(
            Reason::IncompleteBody,
            format!("request body not received within {BODY_READ_TIMEOUT:?}"),
        )),
    }
}

/// Most bytes of a refused body read and thrown away before the connection is closed.
const LINGER_BYTES: u64 = 64 << 20;
/// Longest a refused body is drained, in all and between two reads.
const LINGER_TIME: std::time::Duration = std::time::Duration::from_secs(10);
const LINGER_IDLE: std::time::Duration = std::time::Duration::from_secs(2);

/// Drain a refused request body in the background, bounded in bytes and time; holding the
/// body keeps the connection reading while the refusal is written.
fn linger(body: Incoming) {
    tokio::spawn(async move {
        let mut body = body;
        let mut seen: u64 = 0;
        let drain = async {
            while seen < LINGER_BYTES {
                match tokio::time::timeout(LINGER_IDLE, body.frame()).await {
                    Ok(Some(Ok(frame))) => {
                        if let Some(d) = frame.data_ref() {
                            seen += d.len() as u64;
                        }
                    }
                    _ => break,
                }
            }
        };
        let _ = tokio::time::timeout(LINGER_TIME, drain).await;
    });
}
