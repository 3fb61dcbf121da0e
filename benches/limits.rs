//! The limits stage on its own: kill switches + one rate rule + two spend budgets, reserve and
//! settle, on the embedded SQLite store and on a real Redis (started here when `redis-server`
//! is on PATH; skipped otherwise).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use futures_util::FutureExt;
use toolwall::config::raw::{
    ArgsFrom, OnExceed, RawKill, RawLimits, RawRateLimit, RawSpendLimit, SpendScope,
};
use toolwall::config::Tool;
use toolwall::stage::identify::Principal;
use toolwall::stage::limits::{enforce, Limiters, LimitsSpec};
use toolwall::state::{Clock, SharedState, SystemClock};

fn spec() -> LimitsSpec {
    let raw = RawLimits {
        rate: vec![RawRateLimit {
            key: None,
            tool: Some("bench.*".into()),
            per_second: Some(1e9),
            per_minute: None,
            per_hour: None,
            burst: Some(1_000_000),
        }],
        spend: vec![
            RawSpendLimit {
                scope: SpendScope::TenantDay,
                max_usd: 1e9,
                on_exceed: OnExceed::Deny,
                tenant: None,
                agent: None,
            },
            RawSpendLimit {
                scope: SpendScope::AgentDay,
                max_usd: 1e9,
                on_exceed: OnExceed::Deny,
                tenant: None,
                agent: None,
            },
        ],
        day_utc_offset: None,
        time_zone: None,
    };
    LimitsSpec::compile(&raw, &RawKill::default()).expect("spec")
}

fn tool(cost: f64) -> Tool {
    Tool {
        name: "bench.buy".into(),
        label: "bench.buy",
        method: http::Method::POST,
        path: "/buy".into(),
        args_from: ArgsFrom::Json,
        schema: None,
        schema_ref: None,
        coerce: HashMap::new(),
        cost_usd: cost,
        cost_pointer: None,
        response_schema: None,
        read_only: false,
        risk: serde_json::Value::Null,
        mode: None,
        dry_run: false,
        idempotency: None,
        grpc: None,
        input_part: None,
    }
}

fn principal() -> Principal {
    Principal {
        agent: "bench-agent".into(),
        tenant: Some("bench-tenant".into()),
        source: "static",
        ..Default::default()
    }
}

fn bench_sqlite(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
    let store: SharedState = Arc::new(
        toolwall::state::sqlite::SqliteStore::open(&dir.path().join("b.db"), clock.clone())
            .expect("open"),
    );
    let limiters = Limiters::new(clock, store);
    let spec = spec();
    let p = principal();
    let priced = tool(0.000001);
    let free = tool(0.0);
    // The SQLite store's futures are ready at once: no runtime needed.
    c.bench_function("limits/sqlite/priced: kill+rate+reserve+settle", |b| {
        b.iter(|| {
            let r = enforce(&limiters, &spec, &p, &priced, false)
                .now_or_never()
                .expect("ready")
                .expect("allowed")
                .expect("reservation");
            r.settle(1).now_or_never().expect("ready").expect("settled");
        })
    });
    c.bench_function("limits/sqlite/unpriced: kill+rate", |b| {
        b.iter(|| {
            enforce(&limiters, &spec, &p, &free, false)
                .now_or_never()
                .expect("ready")
                .expect("allowed");
        })
    });
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(6390)
}

fn bench_redis(c: &mut Criterion) {
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let Ok(mut child) = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .arg("--dir")
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .spawn()
    else {
        eprintln!("redis-server not found: skipping the Redis benches");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let clock: Arc<dyn Clock> = Arc::new(SystemClock::default());
    let store: SharedState = rt.block_on(async {
        Arc::new(
            toolwall::state::redis::RedisStore::connect(
                &format!("redis://127.0.0.1:{port}/0"),
                "bench:",
                toolwall::state::redis::DEFAULT_TIMEOUT,
            )
            .expect("redis"),
        ) as SharedState
    });
    let limiters = Limiters::new(clock, store);
    let spec = spec();
    let p = principal();
    let priced = tool(0.000001);
    let free = tool(0.0);
    c.bench_function("limits/redis/priced: reserve (1 round trip)", |b| {
        b.iter(|| {
            rt.block_on(async {
                let r = enforce(&limiters, &spec, &p, &priced, false)
                    .await
                    .expect("allowed")
                    .expect("reservation");
                // commit == reserve: settle is a no-op, no second round trip
                r.settle(1).await.expect("settled");
            })
        })
    });
    c.bench_function("limits/redis/unpriced: kill check (1 round trip)", |b| {
        b.iter(|| {
            rt.block_on(async {
                enforce(&limiters, &spec, &p, &free, false)
                    .await
                    .expect("allowed");
            })
        })
    });
    drop(limiters);
    let _ = child.kill();
    let _ = child.wait();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_secs(1));
    targets = bench_sqlite, bench_redis
}
criterion_main!(benches);
