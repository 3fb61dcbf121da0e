//! `toolwall run`: load config (or the embedded quickstart), start, serve until a signal.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::{EXIT_OK, EXIT_USAGE};
use crate::config::{load_snapshot, quickstart};

/// `toolwall run` options beyond the config file: where the quickstart goes and its ports.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub config: Option<PathBuf>,
    /// Quickstart directory (default `quickstart::default_dir()`).
    pub dir: Option<PathBuf>,
    pub ports: quickstart::Ports,
    /// Worker threads of the async runtime (`--workers`, `TOOLWALL_WORKERS`); `None`: one
    /// per CPU core. One: the current-thread scheduler.
    pub workers: Option<usize>,
}

pub fn run(opts: RunOptions) -> i32 {
    let overrides = opts.ports.listen.is_some()
        || opts.ports.admin.is_some()
        || opts.ports.demo.is_some()
        || opts.dir.is_some();
    let (path, quickstart_dir) = match opts.config {
        Some(p) => (p, None),
        None if PathBuf::from("toolwall.yaml").exists() => (PathBuf::from("toolwall.yaml"), None),
        None => {
            let dir = opts.dir.clone().unwrap_or_else(quickstart::default_dir);
            // A start that fails removes what it created (and only that).
            let created = !dir.exists();
            let lock = match quickstart::lock(&dir) {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("{e}");
                    if created {
                        let _ = std::fs::remove_dir_all(&dir);
                    }
                    return EXIT_USAGE;
                }
            };
            let sources = std::env::current_dir()
                .map(|cwd| quickstart::Sources::in_dir(&cwd, &opts.ports))
                .unwrap_or_default();
            match quickstart::materialize(&dir, opts.ports, &sources) {
                Ok(p) => (
                    p,
                    Some(QuickstartDir {
                        dir,
                        created,
                        sources,
                        _lock: lock,
                    }),
                ),
                Err(e) => {
                    eprintln!(
                        "cannot write the quickstart config to {}: {e}",
                        dir.display()
                    );
                    if created {
                        let _ = std::fs::remove_dir_all(&dir);
                    }
                    return EXIT_USAGE;
                }
            }
        }
    };
    if overrides && quickstart_dir.is_none() {
        eprintln!(
            "--dir, --listen, --admin and --demo apply to the embedded quickstart; \
             {} is used instead (set the addresses in it)",
            path.display()
        );
        return EXIT_USAGE;
    }
    if let Some(q) = &quickstart_dir {
        // On stderr before anything else, so scripts and the README can find it.
        eprintln!(
            "toolwall quickstart directory: {} (config, policies, adapters, keys, audit, state, admin.token)",
            q.dir.display()
        );
        let at = |served: &Option<PathBuf>, copy: &str| match served {
            Some(p) => p.display().to_string(),
            None => q.dir.join(copy).display().to_string(),
        };
        eprintln!(
            "toolwall quickstart serves policies from {} and adapters from {}: edit, save, and \
             the change applies (a broken edit keeps the last good one; `toolwall check` says why)",
            at(&q.sources.policies, "policies"),
            at(&q.sources.adapters, "adapters"),
        );
    }
    let code = run_config(&path, quickstart_dir.is_some(), opts.workers);
    if let Some(q) = quickstart_dir {
        if code != EXIT_OK && q.created {
            let _ = std::fs::remove_dir_all(&q.dir);
        }
    }
    code
}

struct QuickstartDir {
    dir: PathBuf,
    /// Whether this start created it (then a failed start removes it).
    created: bool,
    /// Policies and adapters served in place rather than copied.
    sources: quickstart::Sources,
    /// Held while this quickstart runs: a second one on the same directory is refused.
    _lock: std::fs::File,
}

fn run_config(path: &std::path::Path, is_quickstart: bool, workers: Option<usize>) -> i32 {
    let path = path.to_path_buf();
    let loaded = match load_snapshot(&path, true) {
        Ok(l) => l,
        Err(diags) => {
            for d in &diags.0 {
                eprintln!("{d}");
            }
            eprintln!(
                "{}: {} error(s); not starting",
                path.display(),
                diags.0.len()
            );
            return super::EXIT_FAILED;
        }
    };
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    let telemetry = match crate::telemetry::resolve(&loaded.telemetry, |k| std::env::var(k).ok()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: telemetry: {e}; not starting", path.display());
            return super::EXIT_FAILED;
        }
    };
    // One worker (`--workers 1`, or one core): the current-thread scheduler — every task on
    // the thread that runs the server, no work-stealing queues, no wake-ups across threads:
    // 75 µs of CPU per call instead of 111 µs with the multi-thread scheduler and one worker
    // (same build, same run, `docs/performance.md`). More: the multi-thread scheduler.
    let workers =
        workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut builder = if workers == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(workers);
        b
    };
    builder.enable_all().thread_stack_size(8 << 20);
    let rt = match builder.build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return EXIT_USAGE;
        }
    };
    rt.block_on(async move {
        let code = serve(&path, is_quickstart, loaded, telemetry).await;
        // The spans still queued go out: the shutdown blocks until they are exported, and the
        // export runs on this runtime (with one worker, on this very thread), so it waits off it.
        let _ = tokio::task::spawn_blocking(crate::telemetry::shutdown).await;
        code
    })
}

/// The proxy, from its loaded config until it is stopped and drained; the exit code.
async fn serve(
    path: &std::path::Path,
    is_quickstart: bool,
    loaded: crate::config::LoadedConfig,
    telemetry: Option<crate::telemetry::Settings>,
) -> i32 {
    if let Some(t) = &telemetry {
        if let Err(e) = crate::telemetry::start(t) {
            eprintln!("{e}");
            return EXIT_USAGE;
        }
        tracing::info!(protocol = ?t.protocol, service = %t.service_name, "exporting traces over OTLP");
    }
    let policies = loaded.snapshot.policy.dir.clone();
    let audit_dir = loaded
        .audit
        .as_ref()
        .map(|a| a.writer.dir.display().to_string())
        .unwrap_or_else(|| "off".into());
    // The quickstart's demo upstream is a tool like any other: started beside the proxy.
    let (demo_stop, demo_rx) = tokio::sync::watch::channel(false);
    let mut demo = None;
    if let Some(addr) = loaded.demo_upstream {
        match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => {
                let bound = l.local_addr().unwrap_or(addr);
                demo = Some((bound, tokio::spawn(crate::demo::serve(l, demo_rx))));
            }
            Err(e) => {
                eprintln!("cannot bind demo upstream on {addr}: {e}");
                return EXIT_USAGE;
            }
        }
    }
    let app = match crate::app::start(loaded).await {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e:#}");
            return EXIT_USAGE;
        }
    };
    if is_quickstart {
        tracing::info!(
            dir = %path.parent().map(|p| p.display().to_string()).unwrap_or_default(),
            "no toolwall.yaml found: running the embedded quickstart (copy that directory to start your own)"
        );
    }
    if let Some((addr, _)) = &demo {
        tracing::info!(addr = %addr, "demo payments API listening");
    }
    tracing::info!(
        agents = %format!("http://{}/<adapter>/<path>", app.listen_addr),
        admin = %format!("http://{}/metrics", app.admin_addr),
        config = %path.display(),
        policies = %policies.display(),
        audit = %audit_dir,
        "toolwall is running; reload with SIGHUP or POST /admin/reload; stop with Ctrl-C"
    );
    wait_for_stop(&app).await;
    tracing::info!("draining in-flight calls");
    app.shutdown().await;
    let _ = demo_stop.send(true);
    if let Some((_, task)) = demo {
        let _ = task.await;
    }
    EXIT_OK
}

async fn wait_for_stop(app: &crate::app::RunningApp) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return,
            _ = term.recv() => return,
            _ = hup.recv() => { let _ = app.state.reload().await; }
        }
    }
}

pub fn demo_upstream(listen: SocketAddr) -> i32 {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 << 20)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return EXIT_USAGE;
        }
    };
    rt.block_on(async move {
        let l = match tokio::net::TcpListener::bind(listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot bind {listen}: {e}");
                return EXIT_USAGE;
            }
        };
        let (tx, rx) = tokio::sync::watch::channel(false);
        tracing::info!(addr = %listen, "demo payments API listening");
        let server = tokio::spawn(crate::demo::serve(l, rx));
        let _ = tokio::signal::ctrl_c().await;
        let _ = tx.send(true);
        let _ = server.await;
        EXIT_OK
    })
}
