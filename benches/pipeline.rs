//! Pipeline benches: the pre-forward stages on a ~1 KB call (including the PII scan that fills
//! `input.pii.found`), and policy evaluation alone.
//! Targets (issue 2): policy decision ≤ 10 µs, whole pre-forward pipeline ≤ 25 µs.

use std::path::Path;

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use http::Method;
use toolwall::stage::{args, classify, identify, policy, schema};

fn fixture() -> (toolwall::config::Snapshot, Bytes) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/fixtures");
    let loaded = toolwall::config::load_snapshot(&dir.join("toolwall.yaml"), true)
        .unwrap_or_else(|e| panic!("bench config: {e}"));
    let body = std::fs::read(dir.join("call.json")).expect("call.json");
    (loaded.snapshot, Bytes::from(body))
}

fn bench(c: &mut Criterion) {
    let (snap, body) = fixture();
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
        let principal = identify::identify(snap, &request_parts).expect("identity");
        let (tool_idx, params) =
            classify::classify_request(adapter, &method, path).expect("classify");
        let tool = &adapter.tools[tool_idx];
        let parsed = args::parse_args(tool, &headers, &body, None, params, 32).expect("args");
        schema::check_schema(tool, &parsed.args).expect("schema");
        let (_, found) = toolwall::stage::redact::scan_args(&snap.redactor, &parsed.args);
        let forward = parsed.wire.body(tool.args_from, &parsed.args);
        let facts = policy::RequestFacts {
            method: "POST",
            host: &adapter.upstream.host,
            path,
            now: chrono::Utc::now(),
        };
        let input =
            policy::build_input(snap, &principal, adapter, tool, parsed.args, found, &facts);
        let decision = policy::decide(snap, &input).expect("allowed");
        (forward, decision)
    };
    // sanity: the fixture is an allowed call
    let (fwd, d) = pre_forward(&snap);
    assert!(d.allow && !fwd.0.is_empty());

    c.bench_function("pipeline/pre_forward_1kb", |b| {
        b.iter(|| black_box(pre_forward(black_box(&snap))))
    });

    // policy alone, on the input the pipeline builds for this call
    let principal = identify::identify(&snap, &request_parts).expect("identity");
    let tool = &adapter.tools[0];
    let parsed = args::parse_args(tool, &headers, &body, None, Vec::new(), 32).expect("args");
    let facts = policy::RequestFacts {
        method: "POST",
        host: &adapter.upstream.host,
        path,
        now: chrono::Utc::now(),
    };
    let input = policy::build_input(
        &snap,
        &principal,
        adapter,
        tool,
        parsed.args,
        vec!["email".to_string()],
        &facts,
    );
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
