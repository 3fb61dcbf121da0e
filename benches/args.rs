//! Args benches: what the pipeline does with a ~1 KB JSON call before policy sees it, stage by
//! stage and together (target: ≤ 8 µs for the three).
//!
//! - `args/parse_strict_1kb`: the strict JSON parse alone (`json::parse_strict`: duplicate
//!   keys, depth, UTF-8 and the number rules refused), of `benches/fixtures/call.json`.
//! - `args/parse_strict_into_1kb`: the same parse into the tree the last one returned, as the
//!   pipeline parses a worker's calls (`json::parse_strict_into`: its allocations reused).
//! - `args/parse_args_1kb`: the args stage (`args::parse_args`: media type, strict parse, the
//!   argument object and what to re-encode for the upstream).
//! - `args/schema_1kb`: the tool's JSON Schema (`benches/fixtures/adapters/payments.yaml`)
//!   checked against the parsed arguments.
//! - `args/pii_scan_1kb`: the PII scan of the parsed arguments (`input.pii.found`).
//! - `args/parse_schema_scan_1kb`: the three in a row, as the pipeline runs them.
//! - `args/redact_answer`: the response path's redaction of the tool's answer to the call
//!   (`Redactor::redact_bytes` of the bench upstream's refund, as `benches/instructions.sh`'s
//!   demo upstream answers it).
//! - `args/encode_1kb`: the body forwarded in its place, re-encoded from the parsed
//!   arguments (`args::Wire::body`, `json::write`); `args/encode_serde_1kb`: the same value
//!   through `serde_json::to_vec`, what `Wire::body` used before `json::write`.
//!
//! Instruction counts (callgrind): `TOOLWALL_BENCH_ONLY=<bench name> TOOLWALL_BENCH_ITERS=N`
//! runs that closure N times and exits (see docs/performance.md).

mod support;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use http::Method;
use toolwall::stage::{args, classify, schema};

/// The product's allocator, as in `benches/pipeline.rs`.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `request.max_json_depth` of the bench config.
const MAX_DEPTH: usize = 32;

fn bench(c: &mut Criterion) {
    let (snap, body) = support::fixture();
    let (parts, ()) = http::Request::builder()
        .method("POST")
        .uri("/payments/v1/refunds")
        .header("content-type", "application/json")
        .body(())
        .expect("request")
        .into_parts();
    let headers = parts.headers;
    let adapter = &snap.adapters[0];
    let (tool_idx, params) =
        classify::classify_request(adapter, &Method::POST, "/v1/refunds").expect("classify");
    let tool = &adapter.tools[tool_idx];
    assert!(tool.schema.is_some(), "the payments tool has a schema");
    let redactor = &snap.redactor;

    let parse_strict = || toolwall::json::parse_strict(&body, MAX_DEPTH).expect("strict JSON");
    let spare = std::cell::RefCell::new(Some(parse_strict()));
    let parse_strict_into = || {
        let tree = spare.borrow_mut().take().unwrap_or_default();
        let parsed =
            toolwall::json::parse_strict_into(&body, MAX_DEPTH, tree).expect("strict JSON");
        let keys = parsed.as_object().map_or(0, serde_json::Map::len);
        *spare.borrow_mut() = Some(parsed);
        keys
    };
    let parse_args =
        || args::parse_args(tool, &headers, &body, None, params.clone(), MAX_DEPTH).expect("args");
    let parsed_args = parse_args();
    let encode = || {
        parsed_args
            .wire
            .body(tool.args_from, &parsed_args.args, None)
    };
    let parsed = parsed_args.args.clone();
    let schema_check = |v: &serde_json::Value| schema::check_schema(tool, v).expect("schema");
    let scan = |v: &serde_json::Value| toolwall::stage::redact::scan_args(redactor, v);
    let answer = br#"{"id":"re_000001","object":"refund","charge":"ch_3PqR7sLkd92Hx","amount":4200,"status":"succeeded"}"#;
    let plan = toolwall::redact::ActionPlan::mask_all();
    let redact_answer = || {
        redactor
            .redact_bytes(black_box(answer), true, &plan)
            .1
            .len()
    };
    let all = || {
        let parsed = parse_args();
        schema::check_schema(tool, &parsed.args).expect("schema");
        let (findings, found) = toolwall::stage::redact::scan_args(redactor, &parsed.args);
        (parsed, findings, found)
    };

    // sanity: the fixture is what the benches say it is
    assert_eq!(parse_strict(), parsed);
    assert_eq!(parse_strict_into(), 7);
    assert_eq!(
        spare.borrow().as_ref(),
        Some(&parsed),
        "parsed into the spare as afresh"
    );
    schema_check(&parsed);
    let (findings, found) = scan(&parsed);
    assert_eq!(found, ["email"], "{findings:?}");
    assert_eq!(all().2, found);
    assert_eq!(redact_answer(), 0, "the answer holds no PII");
    assert_eq!(
        encode().0,
        serde_json::to_vec(&parsed).expect("encode"),
        "the forwarded body is serde_json's"
    );

    if let Some((only, n)) = support::only() {
        for _ in 0..n {
            match only.as_str() {
                "args/parse_strict_1kb" => drop(black_box(parse_strict())),
                "args/parse_strict_into_1kb" => drop(black_box(parse_strict_into())),
                "args/parse_args_1kb" => drop(black_box(parse_args())),
                "args/schema_1kb" => schema_check(black_box(&parsed)),
                "args/pii_scan_1kb" => drop(black_box(scan(black_box(&parsed)))),
                "args/parse_schema_scan_1kb" => drop(black_box(all())),
                "args/redact_answer" => drop(black_box(redact_answer())),
                "args/encode_1kb" => drop(black_box(encode())),
                "args/encode_serde_1kb" => drop(black_box(serde_json::to_vec(black_box(&parsed)))),
                other => panic!("TOOLWALL_BENCH_ONLY: no closure {other}"),
            }
        }
        std::process::exit(0);
    }

    c.bench_function("args/parse_strict_1kb", |b| {
        b.iter(|| black_box(parse_strict()))
    });
    c.bench_function("args/parse_strict_into_1kb", |b| {
        b.iter(|| black_box(parse_strict_into()))
    });
    c.bench_function("args/parse_args_1kb", |b| {
        b.iter(|| black_box(parse_args()))
    });
    c.bench_function("args/schema_1kb", |b| {
        b.iter(|| schema_check(black_box(&parsed)))
    });
    c.bench_function("args/pii_scan_1kb", |b| {
        b.iter(|| black_box(scan(black_box(&parsed))))
    });
    c.bench_function("args/parse_schema_scan_1kb", |b| {
        b.iter(|| black_box(all()))
    });
    c.bench_function("args/redact_answer", |b| {
        b.iter(|| black_box(redact_answer()))
    });
    c.bench_function("args/encode_1kb", |b| b.iter(|| black_box(encode())));
    c.bench_function("args/encode_serde_1kb", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&parsed))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
