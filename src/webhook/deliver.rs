//! Delivering webhook events off the request path. [`Deliverer::send`] puts an event on a
//! bounded queue and returns at once (a full queue drops the event, with a warning and
//! `toolwall_webhook_deliveries_total{result="dropped"}`); a background worker POSTs each
//! event, signed afresh on every attempt ([`super::sign`]), with a per-attempt timeout, and
//! retries a non-2xx answer or a connection error with exponential backoff and jitter until
//! it gives up. At most `concurrency` events are in flight at once, and each one's attempts
//! and waits are bounded, so a slow or dead receiver delays other events only by as much.
//!
//! Each event carries an id (`toolwall-webhook-id`) that stays the same across its retries:
//! receivers dedupe on it. Events are not ordered across retries.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{CONTENT_TYPE, USER_AGENT};
use http::{Request, StatusCode};
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::sync::Semaphore;

use crate::metrics::{Metrics, ResultLabels};

/// The header carrying the event's id (the same on every attempt).
pub const ID_HEADER: &str = "toolwall-webhook-id";
/// The header carrying the attempt number (1 for the first).
pub const ATTEMPT_HEADER: &str = "toolwall-webhook-attempt";

/// The HTTP(S) client deliveries use.
pub type WebhookClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// How events are queued, sent and retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Events waiting for the worker; beyond this they are dropped.
    pub queue: usize,
    /// Bytes of event bodies queued or in delivery at once; beyond this events are dropped
    /// (the count alone does not bound memory when events are large).
    pub max_bytes: usize,
    /// Events being delivered (or waiting to retry) at once.
    pub concurrency: usize,
    /// Attempts per event, the first included.
    pub attempts: u32,
    /// How long one attempt may take to get a response head.
    pub attempt_timeout: Duration,
    /// The wait after the first failed attempt; it doubles after each further one.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Policy {
    /// 1024 queued (32 MiB at most), 16 in flight, 6 attempts of at most 5 s, waits of about 0.5, 1, 2, 4 and
    /// 8 s between them: an event is given up at most about 46 s after its first attempt.
    fn default() -> Self {
        Policy {
            queue: 1024,
            max_bytes: 32 << 20,
            concurrency: 16,
            attempts: 6,
            attempt_timeout: Duration::from_secs(5),
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl Policy {
    /// The wait after failed attempt number `failed` (1-based), before jitter.
    pub fn backoff(&self, failed: u32) -> Duration {
        let factor = 1u32 << failed.saturating_sub(1).min(20);
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// `base` spread by ±25 % so that many events failing together do not retry together.
    pub fn jittered(base: Duration) -> Duration {
        base.mul_f64(rand::random_range(0.75..1.25))
    }
}

/// One event to deliver.
#[derive(Clone)]
pub struct Event {
    pub url: http::Uri,
    /// The signing key (from the config in force when the event was published).
    pub secret: Arc<[u8]>,
    /// The event's id, sent in [`ID_HEADER`].
    pub id: String,
    /// The JSON body, sent as is.
    pub body: Bytes,
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Event")
            .field("url", &origin(&self.url))
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// `scheme://authority` of a URL: what logs show (the path and query of a webhook URL often
/// carry a secret, as Slack's do).
pub fn origin(url: &http::Uri) -> String {
    format!(
        "{}://{}",
        url.scheme_str().unwrap_or_default(),
        url.authority().map(|a| a.as_str()).unwrap_or_default()
    )
}

/// The queue and its worker, started on the first event (inside the Tokio runtime that sends
/// it). Dropping the deliverer closes the queue: the worker delivers what is queued and stops.
pub struct Deliverer {
    tx: OnceLock<mpsc::Sender<Event>>,
    /// Body bytes queued or in delivery.
    bytes: Arc<AtomicUsize>,
    /// Events dropped since the last warning, and when that was (a receiver that is down
    /// must not flood the log: one warning a second at most).
    dropped: AtomicU64,
    last_warning: std::sync::Mutex<Option<std::time::Instant>>,
    metrics: Option<Arc<Metrics>>,
    policy: Policy,
}

impl Deliverer {
    pub fn new(metrics: Option<Arc<Metrics>>, policy: Policy) -> Deliverer {
        Deliverer {
            tx: OnceLock::new(),
            bytes: Arc::new(AtomicUsize::new(0)),
            dropped: AtomicU64::new(0),
            last_warning: std::sync::Mutex::new(None),
            metrics,
            policy,
        }
    }

    /// Queue `ev` for delivery; never waits. `false` (counted as dropped, with a warning) when
    /// the queue is full or no worker can run.
    pub fn send(&self, ev: Event) -> bool {
        let tx = match self.tx.get() {
            Some(tx) => tx,
            None => match tokio::runtime::Handle::try_current() {
                Ok(h) => self.tx.get_or_init(|| {
                    start(&h, self.policy, self.metrics.clone(), self.bytes.clone())
                }),
                Err(_) => {
                    self.drop_event(&ev, "no async runtime to deliver it");
                    return false;
                }
            },
        };
        let len = ev.body.len();
        let admitted = self
            .bytes
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |b| {
                b.checked_add(len).filter(|n| *n <= self.policy.max_bytes)
            })
            .is_ok();
        if !admitted {
            self.drop_event(&ev, "too many bytes waiting (the receiver is slow or down)");
            return false;
        }
        match tx.try_send(ev) {
            Ok(()) => true,
            Err(TrySendError::Full(ev)) => {
                self.bytes.fetch_sub(len, Ordering::SeqCst);
                self.drop_event(&ev, "queue full (the receiver is slow or down)");
                false
            }
            Err(TrySendError::Closed(ev)) => {
                self.bytes.fetch_sub(len, Ordering::SeqCst);
                self.drop_event(&ev, "the delivery worker stopped");
                false
            }
        }
    }

    /// Count a dropped event; warn at most once a second, with the number dropped since.
    fn drop_event(&self, ev: &Event, why: &str) {
        count(self.metrics.as_deref(), "dropped");
        let since = self.dropped.fetch_add(1, Ordering::SeqCst) + 1;
        let mut last = match self.last_warning.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let now = std::time::Instant::now();
        if last.is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1)) {
            *last = Some(now);
            self.dropped.store(0, Ordering::SeqCst);
            tracing::warn!(event_id = %ev.id, url = %origin(&ev.url), dropped = since,
                "webhook event dropped: {why}");
        }
    }
}

fn count(metrics: Option<&Metrics>, result: &'static str) {
    if let Some(m) = metrics {
        m.webhook_deliveries
            .get_or_create(&ResultLabels { result })
            .inc();
    }
}

fn start(
    h: &tokio::runtime::Handle,
    policy: Policy,
    metrics: Option<Arc<Metrics>>,
    bytes: Arc<AtomicUsize>,
) -> mpsc::Sender<Event> {
    let (tx, rx) = mpsc::channel(policy.queue.max(1));
    h.spawn(run(rx, policy, metrics, bytes));
    tx
}

async fn run(
    mut rx: mpsc::Receiver<Event>,
    policy: Policy,
    metrics: Option<Arc<Metrics>>,
    bytes: Arc<AtomicUsize>,
) {
    let client = match build_client() {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook HTTP client; events will fail");
            None
        }
    };
    let slots = Arc::new(Semaphore::new(policy.concurrency.max(1)));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let Some(ev) = rx.recv().await else {
            return;
        };
        let Some(client) = client.clone() else {
            bytes.fetch_sub(ev.body.len(), Ordering::SeqCst);
            count(metrics.as_deref(), "failed");
            continue;
        };
        let (metrics, bytes) = (metrics.clone(), bytes.clone());
        tokio::spawn(async move {
            deliver(&client, &ev, policy, metrics.as_deref()).await;
            bytes.fetch_sub(ev.body.len(), Ordering::SeqCst);
            drop(slot);
        });
    }
}

/// A client for http:// and https:// (web PKI roots, rustls with `ring`), HTTP/1.1 and
/// HTTP/2, connecting within the attempt timeout.
pub fn build_client() -> Result<WebhookClient, rustls::Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    // (config's `tcp_connector` sits a layer above webhook: docs/pipeline.md)
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(Policy::default().attempt_timeout));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(https))
}

/// Deliver one event: attempts until a 2xx answer or `policy.attempts` are spent, waiting
/// between them. `true` when delivered.
pub async fn deliver(
    client: &WebhookClient,
    ev: &Event,
    policy: Policy,
    metrics: Option<&Metrics>,
) -> bool {
    let attempts = policy.attempts.max(1);
    for attempt in 1..=attempts {
        let why = match attempt_once(client, ev, attempt, policy.attempt_timeout).await {
            Ok(status) if status.is_success() => {
                tracing::debug!(event_id = %ev.id, url = %origin(&ev.url), attempt,
                    "webhook delivered");
                count(metrics, "delivered");
                return true;
            }
            Ok(status) => format!("answered {status}"),
            Err(e) => e,
        };
        if attempt == attempts {
            tracing::warn!(event_id = %ev.id, url = %origin(&ev.url), attempt, reason = %why,
                "webhook delivery failed; giving up");
            count(metrics, "failed");
            return false;
        }
        let wait = Policy::jittered(policy.backoff(attempt));
        tracing::info!(event_id = %ev.id, url = %origin(&ev.url), attempt, reason = %why,
            retry_in_ms = wait.as_millis() as u64, "webhook delivery failed; retrying");
        count(metrics, "retried");
        tokio::time::sleep(wait).await;
    }
    false
}

async fn attempt_once(
    client: &WebhookClient,
    ev: &Event,
    attempt: u32,
    timeout: Duration,
) -> Result<StatusCode, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let req = Request::post(ev.url.clone())
        .header(CONTENT_TYPE, "application/json")
        .header(USER_AGENT, concat!("toolwall/", env!("CARGO_PKG_VERSION")))
        .header(super::HEADER, super::sign(&ev.secret, now, &ev.body))
        .header(ID_HEADER, ev.id.as_str())
        .header(ATTEMPT_HEADER, attempt)
        .body(Full::new(ev.body.clone()))
        .map_err(|e| format!("cannot build the request: {e}"))?;
    match tokio::time::timeout(timeout, client.request(req)).await {
        Err(_) => Err(format!("no answer within {}ms", timeout.as_millis())),
        Ok(Err(e)) => Err(format!("{e}")),
        Ok(Ok(resp)) => Ok(resp.status()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_half_a_second_and_is_capped() {
        let p = Policy::default();
        let waits: Vec<u128> = (1..=8).map(|n| p.backoff(n).as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        assert_eq!(p.backoff(u32::MAX), p.max_backoff);
        for _ in 0..100 {
            let j = Policy::jittered(Duration::from_secs(4)).as_millis();
            assert!((3000..5000).contains(&j), "{j}");
        }
    }

    fn event(id: &str) -> Event {
        Event {
            // nothing listens on the discard port of loopback: attempts fail fast
            url: "http://127.0.0.1:9/hook".parse().expect("uri"),
            secret: Arc::from(&b"k"[..]),
            id: id.into(),
            body: Bytes::from_static(b"{}"),
        }
    }

    fn counted(m: &Metrics, result: &'static str) -> u64 {
        m.webhook_deliveries
            .get_or_create(&ResultLabels { result })
            .get()
    }

    #[test]
    fn outside_a_runtime_an_event_is_dropped_and_counted() {
        let m = Arc::new(Metrics::new());
        let d = Deliverer::new(Some(m.clone()), Policy::default());
        assert!(!d.send(event("e1")));
        assert_eq!(counted(&m, "dropped"), 1);
    }

    #[tokio::test]
    async fn a_full_queue_drops_without_waiting() {
        let m = Arc::new(Metrics::new());
        let policy = Policy {
            queue: 2,
            max_bytes: 1 << 20,
            concurrency: 1,
            attempts: 2,
            attempt_timeout: Duration::from_millis(200),
            first_backoff: Duration::from_secs(30),
            max_backoff: Duration::from_secs(30),
        };
        let d = Deliverer::new(Some(m.clone()), policy);
        let t = std::time::Instant::now();
        let sent: Vec<bool> = (0..50).map(|i| d.send(event(&format!("e{i}")))).collect();
        assert!(
            t.elapsed() < Duration::from_millis(200),
            "{:?}",
            t.elapsed()
        );
        // one in flight (its retry waits 30 s), at most two queued behind it: the rest dropped
        let accepted = sent.iter().filter(|s| **s).count();
        assert!((2..=3).contains(&accepted), "{accepted} accepted");
        assert_eq!(counted(&m, "dropped"), (50 - accepted) as u64);
    }

    #[tokio::test]
    async fn an_unreachable_receiver_is_retried_then_given_up() {
        let m = Metrics::new();
        let policy = Policy {
            attempts: 3,
            attempt_timeout: Duration::from_millis(500),
            first_backoff: Duration::from_millis(10),
            ..Policy::default()
        };
        let client = build_client().expect("client");
        assert!(!deliver(&client, &event("e1"), policy, Some(&m)).await);
        assert_eq!(counted(&m, "retried"), 2);
        assert_eq!(counted(&m, "failed"), 1);
        assert_eq!(counted(&m, "delivered"), 0);
    }

    #[tokio::test]
    async fn large_events_are_bounded_by_bytes_not_only_by_count() {
        let m = Arc::new(Metrics::new());
        let policy = Policy {
            max_bytes: 10_000,
            first_backoff: Duration::from_secs(30),
            ..Policy::default()
        };
        let d = Deliverer::new(Some(m.clone()), policy);
        let big = |id: &str| Event {
            body: Bytes::from(vec![b' '; 4_000]),
            ..event(id)
        };
        assert!(d.send(big("a")));
        assert!(d.send(big("b")));
        // 8,000 bytes held: a third 4,000 would pass 10,000
        assert!(!d.send(big("c")));
        assert!(d.send(event("small")));
        assert_eq!(counted(&m, "dropped"), 1);
        assert_eq!(d.bytes.load(Ordering::SeqCst), 8_002);
    }
}
