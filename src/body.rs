//! The response body type every part of the proxy answers with, and a helper to build one.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};

/// A boxed response body: a buffered answer or a relayed stream.
pub type ResBody = BoxBody<Bytes, hyper::Error>;

/// A whole, in-memory response body.
pub fn full(b: impl Into<Bytes>) -> ResBody {
    Full::new(b.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}
