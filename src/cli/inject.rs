//! `toolwall inject`: the sidecar injector (offline on files, or as an admission webhook),
//! the enforcing mode's iptables rules, and the classic sidecar's start-up hold.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::inject::iptables::{self, Cidr, Rules};
use crate::inject::{offline, selfsigned, serve, InjectorConfig};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct InjectArgs {
    #[command(subcommand)]
    pub command: Option<InjectCommand>,
    /// Manifests to inject (multi-document YAML: Pods, Deployments, StatefulSets, DaemonSets,
    /// ReplicaSets, Jobs, CronJobs); `-` for stdin. The result goes to stdout.
    #[arg(required = true)]
    pub file: Option<PathBuf>,
    /// The injector's configuration (injector.yaml); default: built-in defaults.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum InjectCommand {
    /// Serve the mutating admission webhook (AdmissionReview v1) over HTTPS: POST /inject.
    Serve(ServeArgs),
    /// The enforcing mode's init container: redirect the pod's outbound TCP to toolwall.
    Iptables(IptablesArgs),
    /// Wait until a URL answers 200 (the classic sidecar's postStart hold).
    Wait(WaitArgs),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The injector's configuration (injector.yaml); default: built-in defaults.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub listen: SocketAddr,
    /// Serving certificate chain (PEM), e.g. cert-manager's tls.crt; reloaded when it changes.
    #[arg(long, requires = "tls_key", conflicts_with = "self_signed")]
    pub tls_cert: Option<PathBuf>,
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Make a CA and serving certificate in memory and install the CA in the webhook
    /// configuration's caBundle through the API server.
    #[arg(long, requires_all = ["webhook_config", "service", "namespace"])]
    pub self_signed: bool,
    /// The MutatingWebhookConfiguration whose webhooks get the caBundle.
    #[arg(long)]
    pub webhook_config: Option<String>,
    /// The injector's Service name (the certificate is for <service>.<namespace>.svc).
    #[arg(long)]
    pub service: Option<String>,
    #[arg(long)]
    pub namespace: Option<String>,
    /// The API server (default https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT).
    #[arg(long, env = "TOOLWALL_KUBE_API")]
    pub kube_api: Option<String>,
    /// The service account's token and ca.crt.
    #[arg(
        long,
        env = "TOOLWALL_SERVICE_ACCOUNT_DIR",
        default_value = "/var/run/secrets/kubernetes.io/serviceaccount"
    )]
    pub service_account_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct IptablesArgs {
    /// toolwall's UID (its own connections are not redirected).
    #[arg(long, default_value_t = 65532)]
    pub uid: u32,
    /// toolwall's transparent listener port on 127.0.0.1.
    #[arg(long, default_value_t = 15081)]
    pub redirect_port: u16,
    /// Outbound ports left alone (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub exclude_ports: Vec<u16>,
    /// Outbound address ranges left alone (comma-separated CIDRs).
    #[arg(long, value_delimiter = ',')]
    pub exclude_cidrs: Vec<String>,
    /// Print the rules instead of installing them.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    #[arg(long, default_value = "http://127.0.0.1:15901/readyz")]
    pub url: String,
    /// Give up (exit 1) after this many seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
}

pub fn run(args: InjectArgs) -> i32 {
    match args.command {
        Some(InjectCommand::Serve(a)) => serve_cmd(a),
        Some(InjectCommand::Iptables(a)) => iptables_cmd(&a),
        Some(InjectCommand::Wait(a)) => wait_cmd(&a),
        None => match args.file {
            Some(file) => file_cmd(&file, args.config.as_deref()),
            None => {
                eprintln!("toolwall inject: name a FILE (or -), or a subcommand");
                EXIT_USAGE
            }
        },
    }
}

fn load_config(path: Option<&Path>) -> Result<InjectorConfig, String> {
    match path {
        Some(p) => InjectorConfig::load(p),
        None => Ok(InjectorConfig::default()),
    }
}

fn file_cmd(file: &Path, config: Option<&Path>) -> i32 {
    let cfg = match load_config(config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let text = if file == Path::new("-") {
        let mut s = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut s) {
            eprintln!("error: stdin: {e}");
            return EXIT_FAILED;
        }
        s
    } else {
        match std::fs::read_to_string(file) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {}: {e}", file.display());
                return EXIT_FAILED;
            }
        }
    };
    match offline::inject_yaml(&cfg, &text) {
        Ok((out, notes)) => {
            for n in notes {
                eprintln!("{} {}: {}", n.kind, n.name, n.what);
            }
            print!("{out}");
            EXIT_OK
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_FAILED
        }
    }
}

fn iptables_cmd(a: &IptablesArgs) -> i32 {
    if a.uid == 0 || a.redirect_port == 0 || a.exclude_ports.contains(&0) {
        eprintln!("error: --uid, --redirect-port and --exclude-ports must be non-zero");
        return EXIT_USAGE;
    }
    let mut cidrs = Vec::new();
    for c in &a.exclude_cidrs {
        match Cidr::parse(c) {
            Ok(c) => cidrs.push(c),
            Err(e) => {
                eprintln!("error: --exclude-cidrs: {e}");
                return EXIT_USAGE;
            }
        }
    }
    let rules = Rules {
        uid: a.uid,
        redirect_port: a.redirect_port,
        exclude_ports: a.exclude_ports.clone(),
        exclude_cidrs: cidrs,
    };
    if a.dry_run {
        print!(
            "# iptables-restore\n{}# ip6tables-restore\n{}",
            rules.v4(),
            rules.v6()
        );
        return EXIT_OK;
    }
    if let Err(e) = iptables::restore("iptables-restore", &rules.v4()) {
        eprintln!("error: {e}");
        return EXIT_FAILED;
    }
    if iptables::has_ipv6() {
        // IPv6 exists: without these rules it would be a way around the redirect.
        if let Err(e) = iptables::restore("ip6tables-restore", &rules.v6()) {
            eprintln!("error: {e}");
            return EXIT_FAILED;
        }
    }
    eprintln!(
        "toolwall: outbound TCP redirected to 127.0.0.1:{} (UID {} exempt)",
        a.redirect_port, a.uid
    );
    EXIT_OK
}

fn runtime() -> Result<tokio::runtime::Runtime, i32> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("cannot start the runtime: {e}");
            EXIT_FAILED
        })
}

fn wait_cmd(a: &WaitArgs) -> i32 {
    let uri: http::Uri = match a.url.parse() {
        Ok(u) => u,
        Err(e) => {
            eprintln!("error: --url: {e}");
            return EXIT_USAGE;
        }
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let deadline = Instant::now() + Duration::from_secs(a.timeout);
    rt.block_on(async {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Empty<bytes::Bytes>>();
        loop {
            let attempt = tokio::time::timeout(Duration::from_secs(2), client.get(uri.clone()));
            if let Ok(Ok(res)) = attempt.await {
                if res.status() == http::StatusCode::OK {
                    return EXIT_OK;
                }
            }
            if Instant::now() >= deadline {
                eprintln!(
                    "toolwall: {} did not answer 200 within {} s",
                    a.url, a.timeout
                );
                return EXIT_FAILED;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
}

fn serve_cmd(a: ServeArgs) -> i32 {
    let cfg = match load_config(a.config.as_deref()) {
        Ok(c) => Arc::new(c),
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let ready = Arc::new(AtomicBool::new(false));
    let mut installer = None;
    let (tls, files) = if a.self_signed {
        let (Some(name), Some(service), Some(namespace)) = (
            a.webhook_config.clone(),
            a.service.as_deref(),
            a.namespace.as_deref(),
        ) else {
            eprintln!("error: --self-signed needs --webhook-config, --service and --namespace");
            return EXIT_USAGE;
        };
        let id = match selfsigned::generate(service, namespace) {
            Ok(id) => id,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_FAILED;
            }
        };
        let api = match selfsigned::KubeApi::new(a.kube_api.clone(), a.service_account_dir.clone())
        {
            Ok(api) => api,
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        };
        installer = Some((api, name, id.ca_pem.clone()));
        match serve::server_config(id.chain, id.key) {
            Ok(t) => (t, None),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_FAILED;
            }
        }
    } else {
        let (Some(cert), Some(key)) = (a.tls_cert.clone(), a.tls_key.clone()) else {
            eprintln!("error: give --tls-cert and --tls-key, or --self-signed");
            return EXIT_USAGE;
        };
        ready.store(true, std::sync::atomic::Ordering::SeqCst);
        match serve::load_pem(&cert, &key) {
            Ok(t) => (t, Some((cert, key))),
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        }
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(a.listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {}: {e}", a.listen);
                return EXIT_FAILED;
            }
        };
        let tls = Arc::new(arc_swap::ArcSwap::new(tls));
        if let Some((cert, key)) = files {
            tokio::spawn(serve::watch_files(cert, key, tls.clone()));
        }
        if let Some((api, name, ca)) = installer {
            tokio::spawn(selfsigned::keep_installed(
                api,
                name,
                ca,
                ready.clone(),
                Duration::from_secs(60),
            ));
        }
        tracing::info!(listen = %a.listen, "toolwall injector listening (POST /inject)");
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = tx.send(true);
        });
        serve::serve(listener, tls, cfg, ready, rx).await;
        EXIT_OK
    })
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
