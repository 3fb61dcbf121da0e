//! The running proxy: agent listener, admin listener, reload, graceful drain.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use arc_swap::ArcSwap;
use futures_util::FutureExt;
use http::{Request, Response};
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::limit::ConcurrencyLimitLayer;
use tower::load_shed::LoadShedLayer;
use tower::{ServiceBuilder, ServiceExt};

use crate::audit::sink::AuditSink;
use crate::config::compile::StateSpec;
use crate::config::{load_snapshot, LoadedConfig};
use crate::metrics::Metrics;
use crate::pipeline::{self, ResBody, Runtime};
use crate::server::{serve_limited, serve_tls, ConnLimits};
use crate::stage::limits::Limiters;
use crate::stage::record::{CallRecord, Outcome};
use crate::state::{Clock, SharedState, SystemClock};

/// What every request handler shares.
pub struct AppState {
    /// What the pipeline shares (`AppState` derefs to it).
    pub rt: Arc<Runtime>,
    pub config_path: PathBuf,
    pub ready: AtomicBool,
    /// The last reload error, shown on /readyz.
    pub last_reload_error: std::sync::Mutex<Option<String>>,
    /// The admin API's bearer token and allowed `Host` names.
    pub admin: crate::admin::auth::AdminAuth,
    /// Turns `true` when the server starts shutting down (long-lived streams end then).
    pub shutdown: watch::Receiver<bool>,
}

impl std::ops::Deref for AppState {
    type Target = Runtime;
    fn deref(&self) -> &Runtime {
        &self.rt
    }
}

/// Open the configured state backend.
pub fn open_state(spec: &StateSpec, clock: Arc<dyn Clock>) -> anyhow::Result<SharedState> {
    Ok(match spec {
        StateSpec::Sqlite { path } => Arc::new(
            crate::state::sqlite::SqliteStore::open(path, clock)
                .with_context(|| format!("cannot open state database {}", path.display()))?,
        ),
        StateSpec::Redis {
            url,
            prefix,
            timeout,
        } => Arc::new(
            crate::state::redis::RedisStore::connect(url, prefix, *timeout)
                .with_context(|| format!("cannot use redis state at {url}"))?,
        ),
    })
}

impl AppState {
    /// Completes when the server starts shutting down.
    pub fn stopping(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }

    /// Recompile config off the hot path and swap it in; a bad config never replaces a good one.
    pub async fn reload(self: &Arc<Self>) -> Result<String, String> {
        let path = self.config_path.clone();
        let result = tokio::task::spawn_blocking(move || load_snapshot(&path, true))
            .await
            .map_err(|e| format!("reload task failed: {e}"))?;
        let mut last = match self.last_reload_error.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        match result {
            Ok(loaded) => {
                for w in &loaded.warnings {
                    tracing::warn!("{w}");
                }
                let version = loaded.snapshot.version.clone();
                self.metrics
                    .set_policy_version(&loaded.snapshot.policy.version);
                self.snapshot.store(Arc::new(loaded.snapshot));
                self.metrics.config_reload_success.set(1);
                *last = None;
                self.event(
                    crate::audit::event::EventRecord::new("config.reloaded")
                        .detail("version", version.clone()),
                );
                tracing::info!(version = %version, "config reloaded");
                Ok(version)
            }
            Err(diags) => {
                let msg = diags.to_string();
                self.metrics.config_reload_success.set(0);
                tracing::error!(error = %msg, "config reload failed; keeping the previous config");
                *last = Some(msg.clone());
                self.event(
                    crate::audit::event::EventRecord::new("config.reload_failed")
                        .detail("error", msg.clone()),
                );
                Err(msg)
            }
        }
    }
}

/// How often pending approval requests past their expiry are expired and announced.
pub const APPROVAL_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// A started proxy.
pub struct RunningApp {
    pub state: Arc<AppState>,
    pub listen_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningApp {
    /// Stop accepting, drain in-flight requests (up to 10 s), seal the audit stream.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        if let Some((sink, _)) = &self.state.audit {
            sink.close().await;
        }
    }
}

/// Bind the listeners and start serving.
pub async fn start(loaded: LoadedConfig) -> anyhow::Result<RunningApp> {
    start_with_clock(loaded, Arc::new(SystemClock::default())).await
}

/// `start` with a given clock (tests move time with a `FakeClock`).
pub async fn start_with_clock(
    loaded: LoadedConfig,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<RunningApp> {
    writable_dirs(&loaded)?;
    let state_store = open_state(&loaded.state, clock.clone())?;
    let admin = crate::admin::resolve_auth(&loaded)?;
    let metrics = Arc::new(Metrics::new());
    metrics.set_policy_version(&loaded.snapshot.policy.version);
    metrics.runtime_workers.set(
        tokio::runtime::Handle::current()
            .metrics()
            .num_workers()
            .try_into()
            .unwrap_or(i64::MAX),
    );
    let mut loaded = loaded;
    let audit = match loaded.audit.take() {
        None => None,
        Some(settings) => {
            let dir = settings.writer.dir.clone();
            let sink = AuditSink::start(
                settings.writer,
                settings.hmac_key,
                settings.auditor,
                metrics.clone(),
            )
            .with_context(|| format!("cannot open the audit stream in {}", dir.display()))?;
            Some((sink, settings.args))
        }
    };
    let (tx, rx) = watch::channel(false);
    let state = Arc::new(AppState {
        rt: Arc::new(Runtime {
            audit,
            snapshot: Arc::new(ArcSwap::from_pointee(loaded.snapshot)),
            metrics: metrics.clone(),
            limiters: Limiters::new(clock, state_store),
            mcp: crate::mcp::Catalog::default(),
            approvals: crate::approvals::Hub::with_metrics(metrics),
        }),
        config_path: loaded.path.clone(),
        ready: AtomicBool::new(false),
        last_reload_error: std::sync::Mutex::new(None),
        admin,
        shutdown: rx.clone(),
    });
    // the pending gauge from the start, not only after the first change
    if let Ok(n) = state.state().approvals_pending_count().await {
        state
            .metrics
            .approvals_pending
            .set(i64::try_from(n).unwrap_or(i64::MAX));
    }
    let mut tasks = Vec::new();

    let bound = async {
        let agent = TcpListener::bind(loaded.listen)
            .await
            .with_context(|| format!("cannot bind agent listener on {}", loaded.listen))?;
        let admin = TcpListener::bind(loaded.admin)
            .await
            .with_context(|| format!("cannot bind admin listener on {}", loaded.admin))?;
        let (listen_addr, admin_addr) = (agent.local_addr()?, admin.local_addr()?);
        anyhow::Ok((agent, admin, listen_addr, admin_addr))
    };
    let (agent, admin, listen_addr, admin_addr) = match bound.await {
        Ok(b) => b,
        Err(e) => return Err(abandon(&state, e).await),
    };

    // The generic outer shell (tower): shed load beyond `max_in_flight` instead of queueing.
    let st = state.clone();
    let agent_svc = ServiceBuilder::new()
        .layer(LoadShedLayer::new())
        .layer(ConcurrencyLimitLayer::new(loaded.max_in_flight))
        .service(tower::service_fn(move |req| {
            let st = st.clone();
            async move { Ok::<_, Infallible>(handle_agent(st, req).await) }
        }));
    let st = state.clone();
    let agent_handler = move |req: Request<Incoming>| {
        let svc = agent_svc.clone();
        let st = st.clone();
        // Kept for the record of a shed call (both clones are reference counts), and with
        // tracing on the agent's trace context, for its span.
        let (method, uri) = (req.method().clone(), req.uri().clone());
        let trace =
            crate::telemetry::enabled().then(|| crate::telemetry::trace_context(req.headers()));
        async move {
            Ok::<_, Infallible>(match svc.oneshot(req).await {
                Ok(resp) => resp,
                Err(_) => shed(&st, &method, &uri, trace.as_ref()),
            })
        }
    };
    let agent_limits = ConnLimits {
        header_read_timeout: loaded.listener.header_read_timeout,
        max_connections: loaded.listener.max_connections,
    };
    // CONNECT interception and the transparent listener (`egress:`; docs/egress.md)
    let (agent_handler, egress_tasks) = match crate::egress::wire(
        loaded.egress.take(),
        state.rt.clone(),
        rx.clone(),
        agent_limits,
        agent_handler,
    )
    .await
    {
        Ok(w) => w,
        Err(e) => return Err(abandon(&state, e).await),
    };
    tasks.extend(egress_tasks);
    match loaded.agent_tls.clone() {
        Some(first) => {
            // Each new connection uses the TLS config of the current snapshot, so rotated
            // certificates and CAs apply after a reload; a reload without mtls keeps the last.
            let snapshot = state.snapshot.clone();
            let last = Arc::new(std::sync::Mutex::new(first));
            let current = move || {
                let mut g = match last.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                if let Some(t) = &snapshot.load().agent_tls {
                    *g = t.clone();
                }
                tokio_rustls::TlsAcceptor::from(g.clone())
            };
            tasks.push(tokio::spawn(serve_tls(
                agent,
                current,
                rx.clone(),
                agent_limits,
                agent_handler,
            )))
        }
        None => tasks.push(tokio::spawn(serve_limited(
            agent,
            rx.clone(),
            agent_limits,
            agent_handler,
        ))),
    }
    let st = state.clone();
    let admin_limits = ConnLimits {
        header_read_timeout: loaded.listener.header_read_timeout,
        max_connections: loaded.listener.admin_max_connections,
    };
    tasks.push(tokio::spawn(serve_limited(
        admin,
        rx.clone(),
        admin_limits,
        move |req| {
            let st = st.clone();
            async move { Ok::<_, Infallible>(crate::admin::handle(&st, req).await) }
        },
    )));
    // Expire approval requests nobody decided in time, and announce each once.
    let rt = state.rt.clone();
    let mut stop = rx.clone();
    tasks.push(tokio::spawn(async move {
        let mut tick = tokio::time::interval(APPROVAL_SWEEP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // one warning per outage, not one per sweep
        let mut failing = false;
        loop {
            tokio::select! {
                _ = tick.tick() => match rt.sweep_expired().await {
                    Ok(_) if failing => {
                        failing = false;
                        tracing::info!("approval expiry sweep works again");
                    }
                    Ok(_) => {}
                    Err(e) if !failing => {
                        failing = true;
                        tracing::warn!(error = %e, "approval expiry sweep failed; retrying every {}s", APPROVAL_SWEEP_EVERY.as_secs());
                    }
                    Err(_) => {}
                },
                r = stop.changed() => {
                    if r.is_err() || *stop.borrow() {
                        return;
                    }
                }
            }
        }
    }));
    tasks.push(tokio::spawn(watch_config(state.clone(), rx.clone())));
    state.ready.store(true, Ordering::SeqCst);
    Ok(RunningApp {
        state,
        listen_addr,
        admin_addr,
        shutdown: tx,
        tasks,
    })
}

/// A start that fails once the audit stream is open ends the stream first: its writer thread
/// is done with the audit directory when `start` returns (`toolwall run` then removes a
/// quickstart directory it created for this start, and nothing writes into it after that).
async fn abandon(state: &AppState, e: anyhow::Error) -> anyhow::Error {
    if let Some((sink, _)) = &state.rt.audit {
        sink.close().await;
    }
    e
}

/// The directories toolwall writes to (the SQLite state, the audit stream) must be writable:
/// say which one is not, and which setting names it, before anything starts. A config mounted
/// read-only (a ConfigMap, a `:ro` bind mount) with the default state path beside it is the
/// usual cause.
fn writable_dirs(loaded: &LoadedConfig) -> anyhow::Result<()> {
    let mut dirs: Vec<(&str, std::path::PathBuf)> = Vec::new();
    if let StateSpec::Sqlite { path } = &loaded.state {
        if let Some(d) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            dirs.push(("state.path", d.to_path_buf()));
        }
    }
    if let Some(a) = &loaded.audit {
        dirs.push(("audit.dir", a.writer.dir.clone()));
    }
    let mut bad = Vec::new();
    for (key, dir) in dirs {
        let probe = dir.join(format!(".toolwall-write-test-{}", std::process::id()));
        let r = std::fs::create_dir_all(&dir).and_then(|()| {
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .open(&probe)
                .map(drop)
        });
        let _ = std::fs::remove_file(&probe);
        if let Err(e) = r {
            bad.push(format!("{key}: {} is not writable ({e})", dir.display()));
        }
    }
    if bad.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "{}: {}; toolwall writes its state and audit stream there: mount writable volumes at \
         those paths or set them elsewhere in the config (a config mounted read-only cannot \
         hold them)",
        loaded.path.display(),
        bad.join("; ")
    )
}

/// `reload: { watch: true }`: poll the files the current snapshot was read from and reload
/// when they change. A change that fails to load is reported once (the last good config
/// stays) and tried again only when the files change again.
async fn watch_config(state: Arc<AppState>, mut stop: watch::Receiver<bool>) {
    let mut failed: Option<u64> = None;
    loop {
        let snap = state.snapshot.load_full();
        let every = snap
            .reload_every
            .unwrap_or(crate::config::watch::DEFAULT_INTERVAL);
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            r = stop.changed() => {
                if r.is_err() || *stop.borrow() {
                    return;
                }
                continue;
            }
        }
        if snap.reload_every.is_none() {
            continue;
        }
        let watched = snap.watched.clone();
        let Ok(now) = tokio::task::spawn_blocking(move || watched.fingerprint()).await else {
            continue;
        };
        // Back to the files of the running config after a failed change: reload once more so
        // the reported error clears.
        if failed == Some(now) || (now == snap.watched_fingerprint && failed.is_none()) {
            continue;
        }
        tracing::info!("config files changed on disk; reloading");
        failed = match state.reload().await {
            Ok(_) => None,
            Err(_) => Some(now),
        };
    }
}

/// The answer to a call shed by the load-shed layer, recorded like every other exit: the
/// record carries what is known before the pipeline ran (method, adapter, path with PII
/// masked; no principal, no tool).
fn shed(
    st: &AppState,
    method: &http::Method,
    uri: &http::Uri,
    trace: Option<&http::HeaderMap>,
) -> Response<ResBody> {
    let snap = st.snapshot.load_full();
    let mut ctx = CallRecord::new(
        st.metrics.clone(),
        &snap,
        format!("{:032x}", rand::random::<u128>() | 1),
        st.audit_hook(&snap),
    );
    // tracing on: a span in the agent's trace, ended when the record is written
    ctx.defer_span(trace.unwrap_or(&http::HeaderMap::new()));
    // Decoded first, so an escaped `%40` cannot hide an email from the mask.
    let decoded = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
    let (path, _) = snap
        .redactor
        .redact_text(&decoded, &crate::redact::ActionPlan::mask_all());
    let mut request = serde_json::json!({"method": method.as_str(), "path": path});
    if let Ok(route) = crate::protocol::http::route(&snap, method, uri) {
        if let Some(adapter) = snap.adapters.get(route.adapter) {
            ctx.adapter = Some(adapter.name.clone());
            request["host"] = serde_json::json!(adapter.upstream.host);
        }
    }
    ctx.request = Some(request);
    let rej = pipeline::reject::Reject::new(
        pipeline::reject::Reason::Overloaded,
        "too many calls in flight; retry later",
    );
    let (mut parts, body) = rej.to_response(&ctx.decision_id).into_parts();
    parts.headers.insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("1"),
    );
    if let Ok(v) = http::HeaderValue::from_str(&ctx.decision_id) {
        parts.headers.insert(pipeline::DECISION_HEADER, v);
    }
    // The guard writes the record and counts the refusal when it drops.
    ctx.outcome = Some(Outcome::Refused(rej));
    drop(ctx);
    Response::from_parts(parts, pipeline::full(body))
}

/// The agent handler with panics caught: a panic becomes a 500 and the call's guard records it.
async fn handle_agent(st: Arc<AppState>, req: Request<Incoming>) -> Response<ResBody> {
    // boxed once here: the futures around it (the tower layers, the connection's service)
    // are then moved with a pointer in them, not the pipeline's whole state (docs/
    // performance.md, "Eighteenth round")
    match std::panic::AssertUnwindSafe(Box::pin(pipeline::handle(&st.rt, req)))
        .catch_unwind()
        .await
    {
        Ok(resp) => resp,
        Err(_) => {
            tracing::error!("request handler panicked");
            let rej =
                pipeline::reject::Reject::new(pipeline::reject::Reason::Internal, "internal error");
            let (parts, body) = rej.to_response("").into_parts();
            Response::from_parts(parts, pipeline::full(body))
        }
    }
}
