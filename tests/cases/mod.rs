mod admin_hardening;
mod approvals_config;
mod audit;
mod audit_backpressure;
mod audit_events;
// the committed stream of tests/fixtures/audit-v1 verifies and is written again byte for byte
mod audit_format;
mod audit_report;
// `toolwall audit export --format ocsf`: OCSF API Activity events, schema-validated
mod audit_export;
mod audit_hardening;
mod audit_verify_stream;
mod check_strict;
mod cli;
mod config_positions;
mod http_hardening;
mod identity;
mod layering;
mod limits;
// /metrics, parsed by the Prometheus client library
mod mcp;
mod mcp_hardening;
mod metrics;
mod openapi_import;
mod operator_events;
mod parsing;
mod pipeline_order;
mod policy_explain;
mod policy_hardening;
mod proxy;
mod redact;
// redaction accuracy: look-alikes kept, prose passwords masked, placeholders to policy
mod redact_accuracy;
mod redis;
mod response_schema;
// `toolwall eval`: the scenario bank
mod scenarios;
mod shadow;
mod sse_hardening;
mod staged_autonomy;
mod upstream;

// traces over OTLP: a real receiver gets the spans of HTTP tool calls
mod telemetry;
// spans of requests refused before routing, MCP resources/read and prompts/get
mod telemetry_spans;
// OTLP over TLS (gRPC and HTTP, mTLS) to real receivers
mod telemetry_tls;

// the approval store (state backend) on a real redis-server
mod approval_store;

// the approval flow through the proxy
mod approvals_flow;
mod approvals_mrtr;

// idempotent writes (HTTP front end, SQLite and Redis stores)
mod idempotency;

// deciding approvals: the admin API, the event stream and `toolwall approvals`
mod approvals_admin;

// approval notifications: the signed webhook and the expiry sweep
mod approvals_webhook;

// the approval web page (/ui), in headless Chromium
mod approvals_ui;
mod deploy_config;

// the Helm chart: lint, render, Kubernetes schema validation, `toolwall check` of its config
mod deploy_helm;
// the container image, the compose recipe (podman) and `toolwall healthcheck`
mod deploy_image;

// transparent HTTPS: CONNECT interception, passthrough, the transparent listener
mod egress_https;

// the sidecar injector: webhook, offline injection, self-signed CA, enforcing-mode iptables
mod deploy_inject;

// the Kubernetes path end to end: chart -> `toolwall inject` -> `podman kube play` -> a call
mod deploy_kube;
mod grpc_config;

// gRPC through the proxy: grpcio client and server (tests/grpc), raw HTTP/2 frames
mod grpc;

// the policy input parts each worker remembers follow reloads
mod policy_cache;
// toolwall run as a process: workers, the non-blocking log writer
mod hotpath_hardening;

// the policy library, its adapters and example config, through the real binary
mod policy_library;
