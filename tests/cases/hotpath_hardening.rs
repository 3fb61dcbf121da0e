//! `toolwall run` as a process: `--workers` / `TOOLWALL_WORKERS` size the runtime, the per-call
//! log line goes through a non-blocking writer (a stuck stderr never blocks a call, dropped lines
//! are counted in `toolwall_log_lines_dropped_total`, a clean stop writes every queued line), and
//! the log formats are unchanged.

use std::io::{BufRead, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;

/// A config directory for a spawned `toolwall run`: adapter `echo` in front of `upstream`, the
/// allow-all policy, fixed loopback ports.
struct Spawned {
    dir: tempfile::TempDir,
    agent: SocketAddr,
    admin: SocketAddr,
}

impl Spawned {
    fn new(upstream: SocketAddr) -> Spawned {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("adapters")).expect("mkdir");
        std::fs::create_dir_all(root.join("policies")).expect("mkdir");
        std::fs::write(
            root.join("adapters/echo.yaml"),
            echo_adapter(&format!("http://{upstream}"), ""),
        )
        .expect("write");
        std::fs::write(root.join("policies/toolwall.rego"), ALLOW_ALL).expect("write");
        let agent: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let admin: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        std::fs::write(
            root.join("toolwall.yaml"),
            format!("listen: {agent}\nadmin: {admin}\n{STATIC_IDENTITY}"),
        )
        .expect("write");
        Spawned { dir, agent, admin }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_toolwall"));
        c.current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .env_remove("TOOLWALL_WORKERS")
            .env_remove("TOOLWALL_LOG_BUFFER_LINES")
            .args(args)
            .arg("run")
            .arg("-c")
            .arg(self.dir.path().join("toolwall.yaml"))
            .stdout(Stdio::null());
        c
    }
}

/// Kills the child if the test ends early.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits until `child` listens on `addr`: up to 60 s (a debug build starting on a loaded
/// machine), and says so at once if the child exited instead (its status: a port taken
/// between `free_port` and the bind, a configuration error).
async fn wait_listening(addr: SocketAddr, child: &mut Child) {
    for _ in 0..1200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return;
        }
        if let Some(status) = child.try_wait().expect("wait") {
            panic!("toolwall exited ({status}) before listening on {addr}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing listens on {addr} after 60 s");
}

async fn metrics(admin: SocketAddr) -> String {
    let r = send(
        admin,
        admin_req("GET", admin, "/metrics")
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .expect("request"),
    )
    .await;
    assert_eq!(r.status, 200);
    String::from_utf8_lossy(&r.body).to_string()
}

/// The value of the sample `name` (no labels) in a Prometheus text exposition.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// `line` without its terminal colour codes (`ESC [ … m`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find('\u{1b}') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        rest = rest.find('m').map_or("", |j| &rest[j + 1..]);
    }
    out.push_str(rest);
    out
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok);
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s;
        }
        assert!(start.elapsed() < within, "toolwall run did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_workers_sizes_the_runtime_by_flag_and_environment() {
    let up = http_upstream().await;
    let s = Spawned::new(up.addr);
    for (args, env, want) in [
        (vec!["--workers", "1"], None, 1.0),
        (vec![], Some("3"), 3.0),
        // the flag wins over the environment
        (vec!["--workers", "2"], Some("5"), 2.0),
    ] {
        let mut c = s.command(&[]);
        c.args(&args).stderr(Stdio::null());
        if let Some(e) = env {
            c.env("TOOLWALL_WORKERS", e);
        }
        let mut child = Reap(c.spawn().expect("spawn"));
        wait_listening(s.admin, &mut child.0).await;
        let m = metrics(s.admin).await;
        assert_eq!(
            sample(&m, "toolwall_runtime_workers"),
            Some(want),
            "{args:?} {env:?}"
        );
        // and it serves calls
        let r = send(s.agent, get("/echo/v1/charges/ch_1")).await;
        assert_eq!(r.status, 200, "{args:?}");
        drop(child);
        // the ports are free again for the next start
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // 0 workers is a usage error, from the flag and from the environment
    let out = s
        .command(&[])
        .args(["--workers", "0"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = s
        .command(&[])
        .env("TOOLWALL_WORKERS", "0")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}

/// Every call's log line, and the lines logged while stopping, reach stderr when the process
/// stops on SIGTERM right after the last answer: the writer thread's queue is written out
/// before the process exits. Both formats keep their shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_writes_every_queued_log_line_in_both_formats() {
    let up = http_upstream().await;
    let s = Spawned::new(up.addr);
    for format in ["text", "json"] {
        let mut child = Reap(
            s.command(&["--log-format", format])
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn"),
        );
        let err = child.0.stderr.take().expect("stderr");
        let reader = std::thread::spawn(move || {
            std::io::BufReader::new(err)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        wait_listening(s.agent, &mut child.0).await;
        let mut ids = Vec::new();
        for i in 0..60 {
            let r = send(
                s.agent,
                json_post(
                    "/echo/v1/refunds",
                    &format!(r#"{{"charge":"ch_{i}","amount":5}}"#),
                ),
            )
            .await;
            assert_eq!(r.status, 200);
            let id = r
                .headers
                .get("toolwall-decision-id")
                .and_then(|v| v.to_str().ok())
                .expect("decision id")
                .to_string();
            ids.push(id);
        }
        sigterm(&child.0);
        assert!(wait_exit(&mut child.0, Duration::from_secs(20)).success());
        let lines = reader.join().expect("reader");
        let calls: Vec<&String> = lines.iter().filter(|l| l.contains("tool call")).collect();
        assert_eq!(calls.len(), ids.len(), "{format}: {lines:#?}");
        for id in &ids {
            assert!(
                calls.iter().any(|l| l.contains(id.as_str())),
                "{format}: no log line for {id}"
            );
        }
        let draining = lines
            .iter()
            .position(|l| l.contains("draining in-flight calls"))
            .expect("the line logged on SIGTERM");
        // the lines come out in the order they were logged
        let last_call = lines
            .iter()
            .rposition(|l| l.contains("tool call"))
            .expect("a call line");
        assert!(last_call < draining, "{format}: {lines:#?}");
        match format {
            "json" => {
                for l in &calls {
                    let v: Value = serde_json::from_str(l).expect("a JSON log line");
                    assert_eq!(v["target"], "toolwall::call");
                    assert_eq!(v["level"], "INFO");
                    assert_eq!(v["fields"]["message"], "tool call");
                    assert_eq!(v["fields"]["decision"], "allow");
                    assert_eq!(v["fields"]["tool"], "echo.refund");
                    assert!(v["timestamp"].is_string());
                }
            }
            _ => {
                for l in &calls {
                    let plain = strip_ansi(l);
                    assert!(
                        plain.contains(" INFO toolwall::call: tool call "),
                        "{plain}"
                    );
                    assert!(plain.contains("decision=\"allow\""), "{plain}");
                    assert!(plain.contains("tool=\"echo.refund\""), "{plain}");
                }
            }
        }
    }
}

/// A stderr nobody reads (a full pipe) does not block calls: the writer thread's queue fills,
/// further lines are dropped and counted in `toolwall_log_lines_dropped_total`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_stderr_never_blocks_calls_and_dropped_lines_are_counted() {
    let up = http_upstream().await;
    let s = Spawned::new(up.addr);
    let mut child = Reap(
        s.command(&[])
            .args(["--log-buffer-lines", "8"])
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    // held open and never read until the end: the pipe fills
    let mut err = child.0.stderr.take().expect("stderr");
    wait_listening(s.admin, &mut child.0).await;
    let before = metrics(s.admin).await;
    assert_eq!(
        sample(&before, "toolwall_log_lines_dropped_total"),
        Some(0.0),
        "{before}"
    );
    // each call logs a line of ~300 bytes: 1,000 calls are several times a pipe's 64 KiB
    for i in 0..1000 {
        let r = tokio::time::timeout(
            Duration::from_secs(10),
            send(s.agent, get(&format!("/echo/v1/charges/ch_{i}"))),
        )
        .await
        .unwrap_or_else(|_| panic!("call {i} blocked behind a stuck stderr"));
        assert_eq!(r.status, 200);
    }
    let after = metrics(s.admin).await;
    let dropped = sample(&after, "toolwall_log_lines_dropped_total").expect("the counter");
    assert!(dropped > 0.0, "{after}");
    assert!(dropped < 1000.0, "{after}");
    // the upstream got every call
    assert_eq!(up.requests().len(), 1000);
    // what was written is whole lines, fewer than the calls (the rest were dropped)
    sigterm(&child.0);
    let mut text = String::new();
    err.read_to_string(&mut text).expect("read stderr");
    assert!(wait_exit(&mut child.0, Duration::from_secs(20)).success());
    let written: Vec<&str> = text.lines().filter(|l| l.contains("tool call")).collect();
    assert!(!written.is_empty());
    assert!(written.len() < 1000, "{}", written.len());
    for l in &written {
        assert!(strip_ansi(l).contains(" latency_us="), "a torn line: {l}");
    }
}

/// Secrets an agent sends — in arguments, in headers, in the invalid value a schema refuses, in
/// a path — never reach the log, whatever the outcome and at any level up to debug; each call
/// is still one JSON line with its decision id and the agent's trace id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_sent_in_a_call_never_reaches_the_log() {
    let up = http_upstream().await;
    let s = Spawned::new(up.addr);
    // refunds over 100 are denied
    std::fs::write(s.dir.path().join("policies/toolwall.rego"), POLICY).expect("write");
    const AWS: &str = "AKIAZ7QWERTYUIOP2XYZ";
    const STRIPE: &str = "sk_live_51HqLyjWDarjtT1zdp7dcTrUx";
    const PASSWORD: &str = "Tr0ub4dor&3-horse";
    const BEARER: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA";
    const CARD: &str = "4111111111111111";
    let secrets = [AWS, STRIPE, PASSWORD, BEARER, CARD];
    let mut child = Reap(
        s.command(&["--log-format", "json", "--log-level", "debug"])
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    let err = child.0.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        let _ = std::io::BufReader::new(err).read_to_string(&mut all);
        all
    });
    wait_listening(s.agent, &mut child.0).await;
    let trace = "0af7651916cd43dd8448eb211c80319c";
    let call = |body: String| {
        req("POST", "/echo/v1/refunds")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {BEARER}"))
            .header("x-api-key", STRIPE)
            .header("traceparent", format!("00-{trace}-b7ad6b7169203331-01"))
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .expect("request")
    };
    let meta = format!(r#"{{"note":"the password is {PASSWORD}","key":"{AWS}","card":"{CARD}"}}"#);
    let mut ids = Vec::new();
    for (body, status) in [
        (
            format!(r#"{{"charge":"ch_1","amount":5,"meta":{meta}}}"#),
            200,
        ),
        (
            format!(r#"{{"charge":"ch_1","amount":500,"meta":{meta}}}"#),
            403,
        ),
        (format!(r#"{{"charge":"ch_1","amount":"{STRIPE}"}}"#), 400),
        (
            format!(r#"{{"charge":"{AWS}","amount":5,"amount":7}}"#),
            400,
        ),
    ] {
        let r = send(s.agent, call(body)).await;
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
        let id = r
            .headers
            .get("toolwall-decision-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .or_else(|| {
                r.json()["error"]["decision_id"]
                    .as_str()
                    .map(str::to_string)
            })
            .expect("decision id");
        ids.push(id);
    }
    // a secret in the path of a read
    let r = send(s.agent, get(&format!("/echo/v1/charges/ch_{AWS}?limit=1"))).await;
    assert_eq!(r.status, 200);
    sigterm(&child.0);
    assert!(wait_exit(&mut child.0, Duration::from_secs(20)).success());
    let log = reader.join().expect("reader");
    for secret in secrets {
        assert!(
            !log.contains(secret),
            "{secret} is in the log:\n{}",
            log.lines()
                .filter(|l| l.contains(secret))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    // one JSON line per decision, with its id and the agent's trace id
    let calls: Vec<Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["fields"]["message"] == "tool call")
        .collect();
    assert_eq!(calls.len(), 5, "{log}");
    for id in &ids {
        let line = calls
            .iter()
            .find(|v| v["fields"]["decision_id"] == id.as_str())
            .unwrap_or_else(|| panic!("no log line for {id}:\n{log}"));
        assert_eq!(line["fields"]["trace_id"], trace, "{line}");
        assert_eq!(line["level"], "INFO");
    }
}
