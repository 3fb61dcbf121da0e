//! Pipeline benches: the pre-forward stages on a ~1 KB call (including the PII scan that fills
//! `input.pii.found`), and policy evaluation alone.
//! Targets (issue 2): policy decision ≤ 10 µs, whole pre-forward pipeline ≤ 25 µs.
//! Issue 5: the same call as an MCP `tools/call` (JSON-RPC envelope parsed once, `arguments`
//! moved out of it and shared by schema, policy and the forwarded body), against the HTTP path.

use std::path::Path;

use bytes::Bytes;
mod support;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use http::Method;
use toolwall::stage::{args, classify, identify, policy, schema};

/// The product's allocator (mimalloc: fewer instructions per allocation than glibc's
/// malloc; see docs/performance.md), so measurements match what `toolwall run` does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let (snap, body) = support::fixture();
    let (request_parts, ()) = http::Request::builder()
        .method("POST")
        .uri("/payments/v1/refunds")
        .header("content-type", "application/json")
        .body(())
        .expect("request")
        .into_parts();
    let headers = request_parts.headers.clone();
    let adapter = &snap.adapters[0];
    let method = Method::POST;
    let path = "/v1/refunds";

    let pre_forward = |snap: &toolwall::config::Snapshot| {
        let principal = identify::identify(&snap.identity, &request_parts).expect("identity");
        let (tool_idx, params) =
            classify::classify_request(adapter, &method, path).expect("classify");
        let tool = &adapter.tools[tool_idx];
        let parsed = args::parse_args(tool, &headers, &body, None, params, 32).expect("args");
        schema::check_schema(tool, &parsed.args).expect("schema");
        let (_, found) = toolwall::stage::redact::scan_args(&snap.redactor, &parsed.args);
        let forward = parsed.wire.body(tool.args_from, &parsed.args, None);
        let facts = policy::RequestFacts {
            method: "POST",
            host: &adapter.upstream.host,
            path,
            now: chrono::Utc::now(),
        };
        let input = policy::build_input(
            snap.mode,
            &principal,
            adapter,
            tool,
            parsed.args,
            found,
            &facts,
        );
        let decision = policy::decide(&snap.policy, &input).expect("allowed");
        (forward, decision)
    };
    // sanity: the fixture is an allowed call
    let (fwd, d) = pre_forward(&snap);
    assert!(d.allow && !fwd.0.is_empty());

    // The MCP path: the same arguments inside a tools/call, the tool's definition from a
    // tools/list the catalog has seen (inputSchema = the HTTP tool's schema).
    let mcp_idx = snap.adapter_by_name("refunds_mcp").expect("mcp adapter");
    let mcp_adapter = &snap.adapters[mcp_idx];
    let http_schema: serde_json::Value = {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixtures/adapters");
        let text = std::fs::read_to_string(dir.join("payments.yaml")).expect("payments.yaml");
        let y: yaml_serde::Value = yaml_serde::from_str(&text).expect("yaml");
        serde_json::to_value(&y["tools"][0]["schema"]).expect("schema")
    };
    let def = serde_json::json!({"name": "create_refund", "description": "Refund a charge", "inputSchema": http_schema});
    let catalog = toolwall::mcp::Catalog::default();
    let state_dir = tempfile::tempdir().expect("tmp");
    let state: toolwall::state::SharedState = std::sync::Arc::new(
        toolwall::state::sqlite::SqliteStore::open(
            &state_dir.path().join("s.db"),
            std::sync::Arc::new(toolwall::state::SystemClock::default()),
        )
        .expect("state"),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("rt");
    rt.block_on(catalog.observe(&state, &snap, mcp_adapter, std::slice::from_ref(&def)))
        .expect("observe");
    let mcp_body = Bytes::from(format!(
        r#"{{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{{"name":"create_refund","arguments":{},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}}}}}}}}"#,
        String::from_utf8_lossy(&body)
    ));
    let (mcp_parts, ()) = http::Request::builder()
        .method("POST")
        .uri("/refunds_mcp/mcp")
        .header("content-type", "application/json")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "create_refund")
        .body(())
        .expect("request")
        .into_parts();
    use toolwall::protocol::mcp as proto;
    let mcp_pre_forward = |snap: &toolwall::config::Snapshot| {
        let principal = identify::identify(&snap.identity, &mcp_parts).expect("identity");
        let mut msg = toolwall::json::parse_strict(&mcp_body, 32).expect("json");
        let shape = proto::shape(&msg).expect("shape");
        proto::check_routing_headers(&mcp_parts.headers, &msg, shape).expect("headers");
        let params = msg
            .get_mut("params")
            .and_then(|p| p.as_object_mut())
            .expect("params");
        let name = params
            .get("name")
            .and_then(|n| n.as_str())
            .expect("name")
            .to_string();
        let args = params.remove("arguments").expect("arguments");
        let (tool, _) = catalog.lookup(snap, mcp_adapter, &name).expect("listed");
        proto::check_param_headers(&tool.params, &args, &mcp_parts.headers, true).expect("params");
        schema::check_schema(tool.input_schema_tool(mcp_adapter), &args).expect("schema");
        let (_, found) = toolwall::stage::redact::scan_args(&snap.redactor, &args);
        let facts = policy::RequestFacts {
            method: "POST",
            host: &mcp_adapter.upstream.host,
            path: &mcp_adapter.upstream.base_path,
            now: chrono::Utc::now(),
        };
        let input = policy::build_input(
            snap.mode,
            &principal,
            mcp_adapter,
            &tool.tool,
            args,
            found,
            &facts,
        );
        let decision = policy::decide(&snap.policy, &input).expect("allowed");
        let rest = msg["params"].as_object().expect("params");
        let forward = proto::encode_request(&msg, rest, Some(&input["args"]), None);
        (forward, decision)
    };
    let (fwd, d) = mcp_pre_forward(&snap);
    assert!(d.allow && fwd.len() > body.len(), "{:?}", d);

    // policy alone, on the input the pipeline builds for this call
    let principal = identify::identify(&snap.identity, &request_parts).expect("identity");
    let tool = &adapter.tools[0];
    let parsed = args::parse_args(tool, &headers, &body, None, Vec::new(), 32).expect("args");
    let facts = policy::RequestFacts {
        method: "POST",
        host: &adapter.upstream.host,
        path,
        now: chrono::Utc::now(),
    };
    let input = policy::build_input(
        snap.mode,
        &principal,
        adapter,
        tool,
        parsed.args,
        vec!["email".to_string()],
        &facts,
    );
    // Instruction counts (callgrind), steadier than wall time on a shared machine:
    // `TOOLWALL_BENCH_ITERS=N TOOLWALL_BENCH_ONLY=<bench name>` runs that closure N times and
    // exits; the difference between two N, divided, is the cost of one call (see
    // docs/performance.md).
    if let Some((only, n)) = support::only() {
        for _ in 0..n {
            match only.as_str() {
                "pipeline/pre_forward_1kb" => drop(black_box(pre_forward(&snap))),
                "pipeline/pre_forward_1kb_mcp" => drop(black_box(mcp_pre_forward(&snap))),
                "policy/decide" => drop(black_box(snap.policy.decide(black_box(&input)))),
                other => panic!("TOOLWALL_BENCH_ONLY: no closure {other}"),
            }
        }
        std::process::exit(0);
    }

    c.bench_function("pipeline/pre_forward_1kb", |b| {
        b.iter(|| black_box(pre_forward(black_box(&snap))))
    });
    c.bench_function("pipeline/pre_forward_1kb_mcp", |b| {
        b.iter(|| black_box(mcp_pre_forward(black_box(&snap))))
    });
    c.bench_function("policy/decide", |b| {
        b.iter(|| black_box(snap.policy.decide(black_box(&input)).expect("decides")))
    });

    c.bench_function("policy/input_to_rego_direct", |b| {
        b.iter(|| black_box(toolwall::policy::to_rego(black_box(&input))))
    });
    c.bench_function("policy/input_to_rego_via_serde", |b| {
        b.iter(|| {
            use serde::Deserialize;
            black_box(regorus::Value::deserialize(black_box(&input)).expect("value"))
        })
    });

    c.bench_function("args/parse_strict_1kb", |b| {
        b.iter(|| black_box(toolwall::json::parse_strict(black_box(&body), 32).expect("json")))
    });
    c.bench_function("schema/validate_1kb", |b| {
        let args = toolwall::json::parse_strict(&body, 32).expect("json");
        b.iter(|| black_box(schema::check_schema(tool, black_box(&args)).is_ok()))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
