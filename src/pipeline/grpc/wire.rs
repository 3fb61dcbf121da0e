//! A refusal in gRPC's own terms: `grpc-status` (the one `Reason` → code mapping,
//! [`Reason::grpc_code`]), `grpc-message`, the decision id, and a `google.rpc.Status` in
//! `grpc-status-details-bin` whose `google.rpc.ErrorInfo` carries toolwall's reason, the
//! policy's reasons and the decision id, so clients can show why.

use std::collections::BTreeMap;

use base64::Engine;
use http::{HeaderMap, HeaderValue};
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use prost::Message;

use crate::pipeline::reject::{GrpcCode, Reject};

/// `grpc-message` is percent-encoded: bytes outside printable ASCII, and `%` itself.
const GRPC_MESSAGE: &AsciiSet = &CONTROLS.add(b'%');

/// The ErrorInfo `domain` of toolwall's refusals.
pub const DOMAIN: &str = "toolwall.dev";

/// `google.rpc.Status` (google/rpc/status.proto).
#[derive(Clone, PartialEq, Message)]
pub struct Status {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<Any>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, Message)]
pub struct Any {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// `google.rpc.ErrorInfo` (google/rpc/error_details.proto).
#[derive(Clone, PartialEq, Message)]
pub struct ErrorInfo {
    #[prost(string, tag = "1")]
    pub reason: String,
    #[prost(string, tag = "2")]
    pub domain: String,
    #[prost(btree_map = "string, string", tag = "3")]
    pub metadata: BTreeMap<String, String>,
}

/// The status headers of a refusal: sent as the trailers of a stream, or as the headers of a
/// trailers-only response.
pub fn status_headers(rej: &Reject, decision_id: &str) -> HeaderMap {
    let code = rej.reason.grpc_code();
    let message = rej.mcp_text(decision_id);
    let mut info = ErrorInfo {
        reason: rej.reason.code().to_string(),
        domain: DOMAIN.to_string(),
        metadata: BTreeMap::new(),
    };
    info.metadata
        .insert("decision_id".into(), decision_id.to_string());
    info.metadata
        .insert("reasons".into(), rej.reasons().join("; "));
    if let Some(id) = &rej.approval_id {
        info.metadata.insert("approval_id".into(), id.to_string());
    }
    if let Some(secs) = rej.retry_after {
        info.metadata.insert("retry_after".into(), secs.to_string());
    }
    let status = Status {
        code: code as i32,
        message: message.clone(),
        details: vec![Any {
            type_url: "type.googleapis.com/google.rpc.ErrorInfo".into(),
            value: info.encode_to_vec(),
        }],
    };
    let mut h = HeaderMap::new();
    insert_status(&mut h, code, &message);
    let details = base64::engine::general_purpose::STANDARD_NO_PAD.encode(status.encode_to_vec());
    if let Ok(v) = HeaderValue::from_str(&details) {
        h.insert("grpc-status-details-bin", v);
    }
    crate::pipeline::set_decision_header(&mut h, decision_id);
    if let Some(id) = &rej.approval_id {
        if let Ok(v) = HeaderValue::from_str(id) {
            h.insert("toolwall-approval-id", v);
        }
    }
    h
}

/// `grpc-status` and the percent-encoded `grpc-message`.
pub fn insert_status(h: &mut HeaderMap, code: GrpcCode, message: &str) {
    h.insert("grpc-status", HeaderValue::from(code as u16));
    let encoded = utf8_percent_encode(message, GRPC_MESSAGE).to_string();
    if let Ok(v) = HeaderValue::from_str(&encoded) {
        h.insert("grpc-message", v);
    }
}

/// A `grpc-timeout` value for `d`: milliseconds, or seconds when that needs more than the 8
/// digits the header allows.
pub fn timeout_value(d: std::time::Duration) -> HeaderValue {
    let ms = d.as_millis().max(1);
    if ms <= 99_999_999 {
        HeaderValue::from_str(&format!("{ms}m")).unwrap_or(HeaderValue::from_static("1m"))
    } else {
        let s = d.as_secs().min(99_999_999);
        HeaderValue::from_str(&format!("{s}S")).unwrap_or(HeaderValue::from_static("99999999S"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::reject::Reason;

    #[test]
    fn a_refusal_carries_code_message_and_details() {
        let mut rej = Reject::new(Reason::PolicyDenied, "amount over the limit");
        rej.policy_reasons = vec!["amount_over_limit".into()];
        let h = status_headers(&rej, "dec-1");
        assert_eq!(h["grpc-status"], "7");
        let msg = h["grpc-message"].to_str().unwrap_or_default();
        assert!(msg.contains("amount_over_limit"), "{msg}");
        assert!(msg.contains("dec-1"), "{msg}");
        assert_eq!(h["toolwall-decision-id"], "dec-1");
        let bin = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(h["grpc-status-details-bin"].as_bytes())
            .unwrap_or_default();
        let status = Status::decode(bin.as_slice()).unwrap_or_default();
        assert_eq!(status.code, 7);
        let info = ErrorInfo::decode(status.details[0].value.as_slice()).unwrap_or_default();
        assert_eq!(info.reason, "policy_denied");
        assert_eq!(info.metadata["decision_id"], "dec-1");
        assert_eq!(info.metadata["reasons"], "amount_over_limit");
    }

    #[test]
    fn grpc_message_is_percent_encoded() {
        let mut h = HeaderMap::new();
        insert_status(&mut h, GrpcCode::Internal, "100% sûr\n");
        assert_eq!(h["grpc-message"], "100%25 s%C3%BBr%0A");
    }

    #[test]
    fn timeouts() {
        assert_eq!(
            timeout_value(std::time::Duration::from_millis(1500)),
            "1500m"
        );
        assert_eq!(
            timeout_value(std::time::Duration::from_secs(200_000)),
            "200000S"
        );
    }
}
