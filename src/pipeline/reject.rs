//! Why a call was refused, and the one exhaustive `match` from reason to response.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use serde::Serialize;

/// A closed set of refusal reasons: at once the audit field, the metric label and the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// No identity method established a principal.
    Unauthenticated,
    /// A bearer token was presented but is not valid (signature, issuer, audience, expiry,
    /// algorithm).
    InvalidToken,
    /// The request names an upstream no adapter guards (toolwall is an egress allowlist).
    UnknownUpstream,
    /// A tunnel toolwall could not see into: `CONNECT` without `egress:` configured, a
    /// malformed `CONNECT` target, a redirected TLS connection without a server name (SNI),
    /// or a redirected connection that is neither TLS nor HTTP.
    ConnectRefused,
    /// A request inside an intercepted connection names another host or port than the one
    /// the connection was opened to (`CONNECT` target, SNI, original destination).
    TunnelHostMismatch,
    /// The request matches no tool declared for its adapter.
    UnknownTool,
    /// A path, header or parameter that web frameworks could read differently.
    AmbiguousRequest,
    InvalidJson,
    InvalidUtf8,
    DuplicateKey,
    TooDeep,
    /// A body sent to a tool whose arguments come from the query string only.
    UnexpectedBody,
    /// The request body could not be read to its end (client aborted, framing error).
    IncompleteBody,
    PayloadTooLarge,
    UnsupportedMediaType,
    SchemaInvalid,
    PolicyDenied,
    PolicyUndefined,
    PolicyError,
    /// A kill switch (tenant, agent, tool, workflow or all) is on.
    KillSwitch,
    /// A rate limit's bucket is empty; the response carries `Retry-After`.
    RateLimited,
    /// A spend budget (run, tenant/day, agent/day) has no room for the call.
    BudgetExceeded,
    /// The state backend did not answer; calls to limited tools fail closed.
    StateUnavailable,
    UpstreamUnavailable,
    UpstreamTimeout,
    /// More calls in flight than `request.max_in_flight`: shed before the pipeline.
    Overloaded,
    /// The audit stream cannot be written: no call is forwarded unrecorded.
    AuditUnavailable,
    /// Redaction found data whose action is `deny` (in the arguments or the response).
    PiiDenied,
    /// The tool's response had to be redacted but could not be read (compressed, too large).
    ResponseNotInspectable,
    /// An MCP tool's definition (description, schemas, annotations) differs from the pinned one.
    ToolDefinitionChanged,
    /// Not a valid MCP JSON-RPC message, or routing headers that disagree with the body.
    InvalidMcpMessage,
    /// The tool's result breaks its declared `outputSchema`.
    ToolOutputInvalid,
    /// Not a gRPC request toolwall reads exactly: a malformed or truncated length-prefixed
    /// message, one over the size limit, bytes after a unary message, a compressed message
    /// without (or with an unsupported) `grpc-encoding`, bytes that are not the method's
    /// message, fields the descriptor does not know, a gRPC content type toolwall does not
    /// serve.
    InvalidGrpcMessage,
    Internal,
    /// The call needs a human's approval (`require_approval: true`, or a spend limit with
    /// `on_exceed: require_approval`) and came without a usable one: its approval request is
    /// pending (`approval_id`).
    ApprovalRequired,
    /// A tool with `idempotency: required` called without an `Idempotency-Key` or a run id.
    IdempotencyKeyRequired,
    /// An `Idempotency-Key` that is empty, too long, not printable ASCII, or sent twice.
    IdempotencyKeyInvalid,
    /// The idempotency key was used for other arguments within its window.
    IdempotencyConflict,
    /// A call with the same key is being forwarded and did not finish in time.
    IdempotencyInFlight,
    /// The first call with the key reached the tool but its answer could not be kept (too
    /// large, cut off, outcome unknown): it is not forwarded again.
    IdempotencyReplayUnavailable,
    /// The approval presented (or waited for) was denied.
    ApprovalDenied,
    /// The approval presented (or waited for) expired: silence is never consent.
    ApprovalExpired,
    /// The approval presented was already used (single use).
    ApprovalUsed,
    /// The approval presented was given for another call (principal, tool or arguments).
    ApprovalMismatch,
    /// The approval id presented names no request.
    ApprovalUnknown,
}

impl Reason {
    /// The stable snake_case code (audit, metrics, response `reasons`).
    pub fn code(self) -> &'static str {
        match self {
            Reason::Unauthenticated => "unauthenticated",
            Reason::InvalidToken => "invalid_token",
            Reason::UnknownUpstream => "unknown_upstream",
            Reason::ConnectRefused => "connect_refused",
            Reason::TunnelHostMismatch => "tunnel_host_mismatch",
            Reason::UnknownTool => "unknown_tool",
            Reason::AmbiguousRequest => "ambiguous_request",
            Reason::InvalidJson => "invalid_json",
            Reason::InvalidUtf8 => "invalid_utf8",
            Reason::DuplicateKey => "duplicate_key",
            Reason::TooDeep => "too_deep",
            Reason::UnexpectedBody => "unexpected_body",
            Reason::IncompleteBody => "incomplete_body",
            Reason::PayloadTooLarge => "payload_too_large",
            Reason::UnsupportedMediaType => "unsupported_media_type",
            Reason::SchemaInvalid => "schema_invalid",
            Reason::PolicyDenied => "policy_denied",
            Reason::PolicyUndefined => "policy_undefined",
            Reason::PolicyError => "policy_error",
            Reason::KillSwitch => "kill_switch",
            Reason::RateLimited => "rate_limited",
            Reason::BudgetExceeded => "budget_exceeded",
            Reason::StateUnavailable => "state_unavailable",
            Reason::UpstreamUnavailable => "upstream_unavailable",
            Reason::UpstreamTimeout => "upstream_timeout",
            Reason::Overloaded => "overloaded",
            Reason::AuditUnavailable => "audit_unavailable",
            Reason::PiiDenied => "pii_denied",
            Reason::ResponseNotInspectable => "response_not_inspectable",
            Reason::ToolDefinitionChanged => "tool_definition_changed",
            Reason::InvalidMcpMessage => "invalid_mcp_message",
            Reason::ToolOutputInvalid => "tool_output_invalid",
            Reason::InvalidGrpcMessage => "invalid_grpc_message",
            Reason::Internal => "internal_error",
            Reason::ApprovalRequired => "approval_required",
            Reason::IdempotencyKeyRequired => "idempotency_key_required",
            Reason::IdempotencyKeyInvalid => "idempotency_key_invalid",
            Reason::IdempotencyConflict => "idempotency_conflict",
            Reason::IdempotencyInFlight => "idempotency_in_flight",
            Reason::IdempotencyReplayUnavailable => "idempotency_replay_unavailable",
            Reason::ApprovalDenied => "approval_denied",
            Reason::ApprovalExpired => "approval_expired",
            Reason::ApprovalUsed => "approval_used",
            Reason::ApprovalMismatch => "approval_mismatch",
            Reason::ApprovalUnknown => "approval_unknown",
        }
    }

    /// HTTP status and error `type` for the agent.
    pub fn response_class(self) -> (StatusCode, &'static str) {
        match self {
            Reason::Unauthenticated | Reason::InvalidToken => {
                (StatusCode::UNAUTHORIZED, "unauthenticated")
            }
            Reason::RateLimited => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Reason::BudgetExceeded => (StatusCode::TOO_MANY_REQUESTS, "budget_exceeded"),
            Reason::StateUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Reason::KillSwitch
            | Reason::UnknownUpstream
            | Reason::ConnectRefused
            | Reason::TunnelHostMismatch
            | Reason::UnknownTool
            | Reason::PolicyDenied
            | Reason::PolicyUndefined
            | Reason::PolicyError
            | Reason::PiiDenied
            | Reason::ToolDefinitionChanged => (StatusCode::FORBIDDEN, "denied"),
            Reason::AmbiguousRequest
            | Reason::InvalidJson
            | Reason::InvalidUtf8
            | Reason::DuplicateKey
            | Reason::TooDeep
            | Reason::UnexpectedBody
            | Reason::IncompleteBody
            | Reason::SchemaInvalid
            | Reason::InvalidMcpMessage
            | Reason::InvalidGrpcMessage => (StatusCode::BAD_REQUEST, "invalid_request"),
            Reason::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Reason::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Reason::UpstreamUnavailable
            | Reason::ResponseNotInspectable
            | Reason::ToolOutputInvalid => (StatusCode::BAD_GATEWAY, "upstream_error"),
            Reason::UpstreamTimeout => (StatusCode::GATEWAY_TIMEOUT, "upstream_timeout"),
            Reason::Overloaded => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            Reason::AuditUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "audit_unavailable"),
            Reason::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
            Reason::ApprovalRequired => (StatusCode::FORBIDDEN, "approval_required"),
            Reason::ApprovalDenied => (StatusCode::FORBIDDEN, "approval_denied"),
            Reason::ApprovalExpired => (StatusCode::FORBIDDEN, "approval_expired"),
            Reason::ApprovalUsed | Reason::ApprovalMismatch | Reason::ApprovalUnknown => {
                (StatusCode::FORBIDDEN, "approval_invalid")
            }
            Reason::IdempotencyKeyRequired => (
                StatusCode::PRECONDITION_REQUIRED,
                "idempotency_key_required",
            ),
            Reason::IdempotencyKeyInvalid => (StatusCode::BAD_REQUEST, "invalid_request"),
            Reason::IdempotencyConflict => (StatusCode::CONFLICT, "idempotency_conflict"),
            Reason::IdempotencyInFlight => (StatusCode::CONFLICT, "idempotency_in_flight"),
            Reason::IdempotencyReplayUnavailable => {
                (StatusCode::CONFLICT, "idempotency_replay_unavailable")
            }
        }
    }

    /// Whether `mode: shadow` records this refusal and forwards anyway. Refusals that leave no
    /// safe destination or no complete request (unknown upstream, oversized body) never forward.
    pub fn shadowable(self) -> bool {
        match self {
            Reason::UnknownTool
            | Reason::AmbiguousRequest
            | Reason::InvalidJson
            | Reason::InvalidUtf8
            | Reason::DuplicateKey
            | Reason::TooDeep
            | Reason::UnexpectedBody
            | Reason::UnsupportedMediaType
            | Reason::SchemaInvalid
            | Reason::PolicyDenied
            | Reason::PolicyUndefined
            | Reason::PolicyError
            | Reason::RateLimited
            | Reason::BudgetExceeded
            | Reason::StateUnavailable
            // Like any other policy refusal: recorded as what enforce mode would have done.
            | Reason::ApprovalRequired
            | Reason::ApprovalDenied
            | Reason::ApprovalExpired
            | Reason::ApprovalUsed
            | Reason::ApprovalMismatch
            | Reason::ApprovalUnknown
            // A missing or malformed key: the call goes on without idempotency.
            | Reason::IdempotencyKeyRequired
            | Reason::IdempotencyKeyInvalid => true,
            // A kill switch is an operator's stop: it holds in shadow mode too.
            Reason::KillSwitch
            | Reason::Unauthenticated
            | Reason::InvalidToken
            | Reason::UnknownUpstream
            | Reason::ConnectRefused
            | Reason::TunnelHostMismatch
            | Reason::IncompleteBody
            | Reason::PayloadTooLarge
            | Reason::UpstreamUnavailable
            | Reason::UpstreamTimeout
            | Reason::Overloaded
            | Reason::AuditUnavailable
            | Reason::PiiDenied
            | Reason::ResponseNotInspectable
            | Reason::ToolDefinitionChanged
            | Reason::InvalidMcpMessage
            | Reason::InvalidGrpcMessage
            | Reason::ToolOutputInvalid
            | Reason::Internal
            // A key already used: forwarding again is the double write idempotency prevents.
            | Reason::IdempotencyConflict
            | Reason::IdempotencyInFlight
            | Reason::IdempotencyReplayUnavailable => false,
        }
    }

    /// Label for `toolwall_tool_calls_total{decision}`.
    pub fn decision_label(self) -> &'static str {
        match self.response_class().0.as_u16() {
            500..=599 => "error",
            _ => "deny",
        }
    }
}

/// One schema violation, located by JSON pointer into the arguments.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Violation {
    pub instance_path: String,
    pub message: String,
}

/// A refusal with its details.
#[derive(Debug, Clone)]
pub struct Reject {
    pub reason: Reason,
    pub message: String,
    /// The policy's own reasons (for `PolicyDenied`).
    pub policy_reasons: Vec<String>,
    pub violations: Vec<Violation>,
    /// Seconds for a `Retry-After` header (rate limits).
    pub retry_after: Option<u32>,
    /// An upstream failure before any byte of the request was sent (connect error): the
    /// call's spend reservation may be released. Every other upstream failure keeps it.
    pub nothing_sent: bool,
    /// For [`Reason::InvalidMcpMessage`]: the JSON-RPC error code the protocol check named
    /// (invalid params, a header mismatch, …); `None` is invalid request.
    pub rpc_code: Option<i64>,
    /// The approval request the refusal is about (`approval_required` and the other
    /// `approval_*` reasons).
    pub approval_id: Option<Box<str>>,
}

impl Reject {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Reject {
            reason,
            message: message.into(),
            policy_reasons: Vec::new(),
            violations: Vec::new(),
            retry_after: None,
            nothing_sent: false,
            rpc_code: None,
            approval_id: None,
        }
    }

    /// The `reasons` list the agent, the logs and the audit see.
    pub fn reasons(&self) -> Vec<String> {
        if self.policy_reasons.is_empty() {
            vec![self.reason.code().to_string()]
        } else {
            self.policy_reasons.clone()
        }
    }

    /// The JSON error response for the agent.
    pub fn to_response(&self, decision_id: &str) -> Response<Bytes> {
        #[derive(Serialize)]
        struct Body<'a> {
            error: ErrorBody<'a>,
        }
        #[derive(Serialize)]
        struct ErrorBody<'a> {
            #[serde(rename = "type")]
            kind: &'static str,
            reasons: Vec<String>,
            message: &'a str,
            decision_id: &'a str,
            approval_id: Option<&'a str>,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            violations: &'a [Violation],
        }
        let (status, kind) = self.reason.response_class();
        let body = Body {
            error: ErrorBody {
                kind,
                reasons: self.reasons(),
                message: &self.message,
                decision_id,
                approval_id: self.approval_id.as_deref(),
                violations: &self.violations,
            },
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = Response::new(Bytes::from(bytes));
        *resp.status_mut() = status;
        resp.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

/// What an MCP refusal answers: with the reason, it decides the refusal's MCP shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McpSubject {
    /// No JSON-RPC message: the endpoint, HTTP method, headers, identity or body of the POST,
    /// or a server that could not be reached.
    Transport,
    /// An `Mcp-Session-Id` this principal did not open.
    Session,
    /// A `tools/call` the agent sent.
    ToolCall,
    /// Any other request the agent sent (`resources/read`, `prompts/get`, `tools/list`, …),
    /// or a message that is not yet known to be one.
    Request,
    /// A request of a JSON-RPC batch that was not forwarded because another element of the
    /// batch was refused: the tool never ran and nothing was decided about it.
    BatchElement,
    /// A request the server sent the agent (sampling, elicitation, roots), answered to the
    /// server.
    ServerRequest,
}

/// A gRPC status code (`grpc-status`), as the gRPC specification numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrpcCode {
    InvalidArgument = 3,
    DeadlineExceeded = 4,
    PermissionDenied = 7,
    ResourceExhausted = 8,
    FailedPrecondition = 9,
    Aborted = 10,
    Unimplemented = 12,
    Internal = 13,
    Unavailable = 14,
    Unauthenticated = 16,
}

impl Reason {
    /// The one mapping from a refusal to its gRPC status (docs/grpc.md, "Refusals").
    pub fn grpc_code(self) -> GrpcCode {
        match self {
            Reason::Unauthenticated | Reason::InvalidToken => GrpcCode::Unauthenticated,
            Reason::KillSwitch
            | Reason::PolicyDenied
            | Reason::PolicyUndefined
            | Reason::PolicyError
            | Reason::PiiDenied
            | Reason::ConnectRefused
            | Reason::TunnelHostMismatch
            | Reason::ToolDefinitionChanged
            | Reason::ApprovalRequired
            | Reason::ApprovalDenied
            | Reason::ApprovalExpired
            | Reason::ApprovalUsed
            | Reason::ApprovalMismatch
            | Reason::ApprovalUnknown => GrpcCode::PermissionDenied,
            Reason::AmbiguousRequest
            | Reason::InvalidJson
            | Reason::InvalidUtf8
            | Reason::DuplicateKey
            | Reason::TooDeep
            | Reason::UnexpectedBody
            | Reason::IncompleteBody
            | Reason::UnsupportedMediaType
            | Reason::SchemaInvalid
            | Reason::InvalidMcpMessage
            | Reason::InvalidGrpcMessage
            | Reason::IdempotencyKeyInvalid => GrpcCode::InvalidArgument,
            Reason::RateLimited | Reason::BudgetExceeded | Reason::PayloadTooLarge => {
                GrpcCode::ResourceExhausted
            }
            Reason::UnknownTool | Reason::UnknownUpstream => GrpcCode::Unimplemented,
            Reason::UpstreamUnavailable
            | Reason::StateUnavailable
            | Reason::Overloaded
            | Reason::AuditUnavailable => GrpcCode::Unavailable,
            Reason::UpstreamTimeout => GrpcCode::DeadlineExceeded,
            Reason::ResponseNotInspectable | Reason::ToolOutputInvalid | Reason::Internal => {
                GrpcCode::Internal
            }
            Reason::IdempotencyKeyRequired => GrpcCode::FailedPrecondition,
            Reason::IdempotencyConflict
            | Reason::IdempotencyInFlight
            | Reason::IdempotencyReplayUnavailable => GrpcCode::Aborted,
        }
    }
}

/// The JSON-RPC error a malformed MCP message gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpcError {
    /// -32700: the body is not JSON toolwall reads.
    Parse,
    /// -32600 (or the code the protocol check named, [`Reject::rpc_code`]).
    InvalidRequest,
}

impl RpcError {
    pub fn code(self) -> i64 {
        match self {
            RpcError::Parse => -32700,
            RpcError::InvalidRequest => -32600,
        }
    }
}

/// The MCP shape of a refusal (docs/mcp.md, "Refusals").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum McpRefusal {
    /// The HTTP front end's JSON error ([`Reject::to_response`]), with its status.
    Http,
    /// HTTP 404 with a JSON-RPC invalid request "session not found", the same whoever holds
    /// the session (as MCP answers an ended one: the client starts a new session).
    SessionNotFound,
    /// A JSON-RPC error with the refusal's message, HTTP 400: the message is not MCP.
    Malformed(RpcError),
    /// A `tools/call` result with `isError: true` and a text the model reads (reasons, why,
    /// decision id), HTTP 200.
    ToolError,
    /// A JSON-RPC error -32003 with the same text and `data: {reasons, decision_id}`, HTTP
    /// 200: the request's result type has no `isError`.
    Refused,
    /// A JSON-RPC error -32003 naming only the reasons: the server does not see the policy's
    /// message or the decision id.
    RefusedToServer,
}

impl Reject {
    /// The one mapping from a refusal to its MCP shape: what the reason says about the
    /// message (unreadable, not MCP, or decided) and what the refusal answers.
    pub fn to_mcp(&self, subject: McpSubject) -> McpRefusal {
        enum Class {
            /// The bytes are not JSON toolwall reads.
            Unparsable,
            /// JSON, but not an MCP message toolwall accepts.
            NotMcp,
            /// A well-formed message, refused by a stage.
            Decided,
        }
        let class = match self.reason {
            Reason::InvalidJson | Reason::InvalidUtf8 | Reason::DuplicateKey | Reason::TooDeep => {
                Class::Unparsable
            }
            Reason::InvalidMcpMessage => Class::NotMcp,
            Reason::Unauthenticated
            | Reason::InvalidToken
            | Reason::UnknownUpstream
            | Reason::ConnectRefused
            | Reason::TunnelHostMismatch
            | Reason::UnknownTool
            | Reason::AmbiguousRequest
            | Reason::UnexpectedBody
            | Reason::IncompleteBody
            | Reason::PayloadTooLarge
            | Reason::UnsupportedMediaType
            | Reason::SchemaInvalid
            | Reason::PolicyDenied
            | Reason::PolicyUndefined
            | Reason::PolicyError
            | Reason::KillSwitch
            | Reason::RateLimited
            | Reason::BudgetExceeded
            | Reason::StateUnavailable
            | Reason::UpstreamUnavailable
            | Reason::UpstreamTimeout
            | Reason::Overloaded
            | Reason::AuditUnavailable
            | Reason::PiiDenied
            | Reason::ResponseNotInspectable
            | Reason::ToolDefinitionChanged
            | Reason::ToolOutputInvalid
            | Reason::InvalidGrpcMessage
            | Reason::Internal
            | Reason::ApprovalRequired
            | Reason::ApprovalDenied
            | Reason::ApprovalExpired
            | Reason::ApprovalUsed
            | Reason::ApprovalMismatch
            | Reason::ApprovalUnknown
            | Reason::IdempotencyKeyRequired
            | Reason::IdempotencyKeyInvalid
            | Reason::IdempotencyConflict
            | Reason::IdempotencyInFlight
            | Reason::IdempotencyReplayUnavailable => Class::Decided,
        };
        match (subject, class) {
            (McpSubject::Transport, _) => McpRefusal::Http,
            (McpSubject::Session, _) => McpRefusal::SessionNotFound,
            (McpSubject::ServerRequest, _) => McpRefusal::RefusedToServer,
            (_, Class::Unparsable) => McpRefusal::Malformed(RpcError::Parse),
            (_, Class::NotMcp) => McpRefusal::Malformed(RpcError::InvalidRequest),
            (McpSubject::ToolCall, Class::Decided) => McpRefusal::ToolError,
            (McpSubject::Request | McpSubject::BatchElement, Class::Decided) => McpRefusal::Refused,
        }
    }

    /// The JSON-RPC error code of a [`McpRefusal::Malformed`] refusal.
    pub fn rpc_error_code(&self, kind: RpcError) -> i64 {
        match kind {
            RpcError::InvalidRequest => self.rpc_code.unwrap_or(kind.code()),
            RpcError::Parse => kind.code(),
        }
    }

    /// What the model reads when toolwall refuses on MCP: reasons, why, and the decision id.
    pub fn mcp_text(&self, decision_id: &str) -> String {
        match &self.approval_id {
            Some(id) => format!(
                "toolwall refused this call ({}): {} [decision_id {decision_id}, approval_id {id}]",
                self.reasons().join(", "),
                self.message
            ),
            None => format!(
                "toolwall refused this call ({}): {} [decision_id {decision_id}]",
                self.reasons().join(", "),
                self.message
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let table = [
            (Reason::PolicyDenied, 403, "denied"),
            (Reason::UnknownTool, 403, "denied"),
            (Reason::UnknownUpstream, 403, "denied"),
            (Reason::ConnectRefused, 403, "denied"),
            (Reason::TunnelHostMismatch, 403, "denied"),
            (Reason::SchemaInvalid, 400, "invalid_request"),
            (Reason::DuplicateKey, 400, "invalid_request"),
            (Reason::PayloadTooLarge, 413, "payload_too_large"),
            (Reason::UnsupportedMediaType, 415, "unsupported_media_type"),
            (Reason::UpstreamUnavailable, 502, "upstream_error"),
            (Reason::UpstreamTimeout, 504, "upstream_timeout"),
            (Reason::Unauthenticated, 401, "unauthenticated"),
            (Reason::InvalidToken, 401, "unauthenticated"),
            (Reason::RateLimited, 429, "rate_limited"),
            (Reason::BudgetExceeded, 429, "budget_exceeded"),
            (Reason::KillSwitch, 403, "denied"),
            (Reason::StateUnavailable, 503, "unavailable"),
            (Reason::ApprovalRequired, 403, "approval_required"),
            (Reason::ApprovalDenied, 403, "approval_denied"),
            (Reason::ApprovalExpired, 403, "approval_expired"),
            (Reason::ApprovalUsed, 403, "approval_invalid"),
            (Reason::ApprovalMismatch, 403, "approval_invalid"),
            (Reason::ApprovalUnknown, 403, "approval_invalid"),
            (
                Reason::IdempotencyKeyRequired,
                428,
                "idempotency_key_required",
            ),
            (Reason::IdempotencyKeyInvalid, 400, "invalid_request"),
            (Reason::IdempotencyConflict, 409, "idempotency_conflict"),
            (Reason::IdempotencyInFlight, 409, "idempotency_in_flight"),
            (
                Reason::IdempotencyReplayUnavailable,
                409,
                "idempotency_replay_unavailable",
            ),
        ];
        for (r, status, kind) in table {
            assert_eq!(
                r.response_class(),
                (StatusCode::from_u16(status).unwrap(), kind)
            );
        }
    }

    #[test]
    fn body_shape() {
        let mut r = Reject::new(Reason::PolicyDenied, "denied by policy");
        r.policy_reasons = vec!["amount_exceeds_threshold".into()];
        let resp = r.to_response("0190-abc");
        assert_eq!(resp.status(), 403);
        let v: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
        assert_eq!(v["error"]["type"], "denied");
        assert_eq!(v["error"]["reasons"][0], "amount_exceeds_threshold");
        assert_eq!(v["error"]["decision_id"], "0190-abc");
        assert!(v["error"]["approval_id"].is_null());
    }

    const ALL: [Reason; 44] = [
        Reason::Unauthenticated,
        Reason::InvalidToken,
        Reason::UnknownUpstream,
        Reason::ConnectRefused,
        Reason::TunnelHostMismatch,
        Reason::UnknownTool,
        Reason::AmbiguousRequest,
        Reason::InvalidJson,
        Reason::InvalidUtf8,
        Reason::DuplicateKey,
        Reason::TooDeep,
        Reason::UnexpectedBody,
        Reason::IncompleteBody,
        Reason::PayloadTooLarge,
        Reason::UnsupportedMediaType,
        Reason::SchemaInvalid,
        Reason::PolicyDenied,
        Reason::PolicyUndefined,
        Reason::PolicyError,
        Reason::KillSwitch,
        Reason::RateLimited,
        Reason::BudgetExceeded,
        Reason::StateUnavailable,
        Reason::UpstreamUnavailable,
        Reason::UpstreamTimeout,
        Reason::Overloaded,
        Reason::AuditUnavailable,
        Reason::PiiDenied,
        Reason::ResponseNotInspectable,
        Reason::ToolDefinitionChanged,
        Reason::InvalidMcpMessage,
        Reason::ToolOutputInvalid,
        Reason::Internal,
        Reason::ApprovalRequired,
        Reason::IdempotencyKeyRequired,
        Reason::IdempotencyKeyInvalid,
        Reason::IdempotencyConflict,
        Reason::IdempotencyInFlight,
        Reason::IdempotencyReplayUnavailable,
        Reason::ApprovalDenied,
        Reason::ApprovalExpired,
        Reason::ApprovalUsed,
        Reason::ApprovalMismatch,
        Reason::ApprovalUnknown,
    ];

    #[test]
    fn every_reason_has_one_mcp_shape_per_subject() {
        use McpRefusal as R;
        use McpSubject as S;
        let unreadable = [
            Reason::InvalidJson,
            Reason::InvalidUtf8,
            Reason::DuplicateKey,
            Reason::TooDeep,
        ];
        for reason in ALL {
            let rej = Reject::new(reason, "why");
            // not JSON-RPC at all: the HTTP error, whatever the reason
            assert_eq!(rej.to_mcp(S::Transport), R::Http, "{reason:?}");
            assert_eq!(rej.to_mcp(S::Session), R::SessionNotFound, "{reason:?}");
            assert_eq!(
                rej.to_mcp(S::ServerRequest),
                R::RefusedToServer,
                "{reason:?}"
            );
            let message = if unreadable.contains(&reason) {
                Some(R::Malformed(RpcError::Parse))
            } else if reason == Reason::InvalidMcpMessage {
                Some(R::Malformed(RpcError::InvalidRequest))
            } else {
                None
            };
            match message {
                // a message toolwall cannot take is a JSON-RPC error, even for tools/call
                Some(m) => {
                    for subject in [S::ToolCall, S::Request, S::BatchElement] {
                        assert_eq!(rej.to_mcp(subject), m, "{reason:?} {subject:?}");
                    }
                }
                // a decided refusal: the model reads it as the tool's result, else an error
                None => {
                    assert_eq!(rej.to_mcp(S::ToolCall), R::ToolError, "{reason:?}");
                    assert_eq!(rej.to_mcp(S::Request), R::Refused, "{reason:?}");
                    assert_eq!(rej.to_mcp(S::BatchElement), R::Refused, "{reason:?}");
                }
            }
        }
        assert_eq!(
            ALL.iter()
                .map(|r| r.code())
                .collect::<std::collections::HashSet<_>>()
                .len(),
            ALL.len()
        );
    }

    #[test]
    fn json_rpc_codes_of_malformed_messages() {
        let mut rej = Reject::new(Reason::InvalidMcpMessage, "x");
        assert_eq!(rej.rpc_error_code(RpcError::InvalidRequest), -32600);
        rej.rpc_code = Some(-32602);
        assert_eq!(rej.rpc_error_code(RpcError::InvalidRequest), -32602);
        // a body that is not JSON is a parse error whatever code was noted
        assert_eq!(rej.rpc_error_code(RpcError::Parse), -32700);
    }

    #[test]
    fn the_mcp_text_names_reasons_why_and_decision() {
        let mut rej = Reject::new(Reason::PolicyDenied, "denied by policy");
        assert_eq!(
            rej.mcp_text("d-1"),
            "toolwall refused this call (policy_denied): denied by policy [decision_id d-1]"
        );
        rej.policy_reasons = vec!["a".into(), "b".into()];
        assert!(rej
            .mcp_text("d-1")
            .starts_with("toolwall refused this call (a, b): "));
    }
}
