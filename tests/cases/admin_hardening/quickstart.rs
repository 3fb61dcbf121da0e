//! The quickstart's ports and directory, and the CLI finding them.

use super::*;

/// `toolwall run` (the quickstart) in an empty directory with `HOME` = `home`; stderr lines are
/// collected.
struct Quickstart {
    child: std::process::Child,
    stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Quickstart {
    fn spawn(home: &std::path::Path, cwd: &std::path::Path, args: &[String]) -> Quickstart {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
            .current_dir(cwd)
            .env("HOME", home)
            .env_remove("XDG_STATE_HOME")
            .env_remove("TOOLWALL_ADMIN_TOKEN")
            .env_remove("TOOLWALL_ADMIN_TOKEN_FILE")
            .arg("run")
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn toolwall run");
        let err = child.stderr.take().expect("stderr");
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let lines = stderr.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for l in std::io::BufReader::new(err).lines().map_while(Result::ok) {
                lines.lock().expect("lock").push(l);
            }
        });
        Quickstart { child, stderr }
    }

    fn stderr(&self) -> Vec<String> {
        self.stderr.lock().expect("lock").clone()
    }
}

impl Drop for Quickstart {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_listening(addr: SocketAddr) -> bool {
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_moves_its_ports_names_its_directory_and_the_cli_finds_it() {
    let home = tempfile::tempdir().expect("home");
    let cwd = tempfile::tempdir().expect("cwd");
    let (listen, admin, demo) = (free_port(), free_port(), free_port());
    let addr = |p: u16| -> SocketAddr { format!("127.0.0.1:{p}").parse().expect("addr") };
    let qs = Quickstart::spawn(
        home.path(),
        cwd.path(),
        &[
            "--listen".into(),
            addr(listen).to_string(),
            "--admin".into(),
            addr(admin).to_string(),
            "--demo".into(),
            addr(demo).to_string(),
        ],
    );
    assert!(wait_listening(addr(admin)).await, "{:?}", qs.stderr());
    let dir = home.path().join(".local/state/toolwall/quickstart");
    assert!(
        qs.stderr()
            .first()
            .is_some_and(|l| l.contains(&format!("quickstart directory: {}", dir.display()))),
        "{:?}",
        qs.stderr()
    );
    assert!(dir.join("toolwall.yaml").exists());
    assert!(dir.join("state/admin.token").exists());
    // through the moved agent port to the moved demo API
    let ok = send(
        addr(listen),
        json_post("/payments/v1/refunds", r#"{"charge":"ch_1","amount":500}"#),
    )
    .await;
    assert_eq!(ok.status, 200, "{:?}", ok.body);
    assert_eq!(ok.json()["status"], "succeeded");
    // `toolwall kill` with no flags, from anywhere: the quickstart directory's admin address
    // and token file
    let kill = |state: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_toolwall"))
            .current_dir(cwd.path())
            .env("HOME", home.path())
            .env_remove("XDG_STATE_HOME")
            .env_remove("TOOLWALL_ADMIN_TOKEN")
            .env_remove("TOOLWALL_ADMIN_TOKEN_FILE")
            .args(["kill", state, "--tenant", "acme_co"])
            .output()
            .expect("toolwall kill")
    };
    let out = kill("on");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = send(
        addr(listen),
        json_post("/payments/v1/refunds", r#"{"charge":"ch_1","amount":500}"#),
    )
    .await;
    assert_eq!(r.reasons(), vec!["kill_switch"]);
    assert!(kill("off").status.success());
    // an admin request without the token is refused
    let no_token = admin_req("GET", addr(admin), "/admin/kill")
        .body(Full::new(Bytes::new()))
        .expect("req");
    assert_eq!(send(addr(admin), no_token).await.status, 401);
    // a second quickstart on the same directory is refused and rewrites nothing
    let before = std::fs::read_to_string(dir.join("toolwall.yaml")).expect("config");
    let mut second = Quickstart::spawn(
        home.path(),
        cwd.path(),
        &["--admin".into(), addr(free_port()).to_string()],
    );
    assert_eq!(second.child.wait().expect("exits").code(), Some(2));
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(
        second
            .stderr()
            .iter()
            .any(|l| l.contains("another toolwall quickstart is running")),
        "{:?}",
        second.stderr()
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("toolwall.yaml")).expect("config"),
        before
    );
    assert!(before.contains(&format!("admin: 127.0.0.1:{admin}")));
    drop(qs);

    // a second quickstart while the first's ports are taken by someone else fails and leaves
    // no directory behind
    let squatter = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let taken = squatter.local_addr().expect("addr");
    let fresh = home.path().join("fresh-quickstart");
    let mut failed = Quickstart::spawn(
        home.path(),
        cwd.path(),
        &[
            "--dir".into(),
            fresh.display().to_string(),
            "--listen".into(),
            taken.to_string(),
            "--admin".into(),
            addr(free_port()).to_string(),
            "--demo".into(),
            addr(free_port()).to_string(),
        ],
    );
    let status = failed.child.wait().expect("exits");
    assert!(!status.success());
    assert!(!fresh.exists(), "a failed start left {}", fresh.display());
    // the default directory of the first run is kept (it existed before this start)
    assert!(dir.join("state/admin.token").exists());
    // the flags are for the quickstart only
    std::fs::write(cwd.path().join("toolwall.yaml"), "listen: 127.0.0.1:0\n").expect("write");
    let mut with_config = Quickstart::spawn(
        home.path(),
        cwd.path(),
        &["--listen".into(), addr(free_port()).to_string()],
    );
    assert_eq!(with_config.child.wait().expect("exits").code(), Some(2));
}

/// Run from a directory with `policies/` (the repository, or a user's policy project), the
/// quickstart serves those policies in place and says so: an edit, saved, decides the next
/// calls; a broken save keeps the last good one. A directory without them gets copies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quickstart_serves_the_policies_beside_it_and_a_saved_edit_applies() {
    let home = tempfile::tempdir().expect("home");
    let cwd = tempfile::tempdir().expect("cwd");
    let repo_policy = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/toolwall.rego");
    let policy = cwd.path().join("policies/toolwall.rego");
    std::fs::create_dir_all(policy.parent().expect("parent")).expect("mkdir");
    std::fs::copy(repo_policy, &policy).expect("copy");
    let (listen, admin, demo) = (free_port(), free_port(), free_port());
    let addr = |p: u16| -> SocketAddr { format!("127.0.0.1:{p}").parse().expect("addr") };
    let qs = Quickstart::spawn(
        home.path(),
        cwd.path(),
        &[
            "--listen".into(),
            addr(listen).to_string(),
            "--admin".into(),
            addr(admin).to_string(),
            "--demo".into(),
            addr(demo).to_string(),
        ],
    );
    assert!(wait_listening(addr(admin)).await, "{:?}", qs.stderr());
    let dir = home.path().join(".local/state/toolwall/quickstart");
    let served = format!(
        "serves policies from {} and adapters from {}",
        cwd.path().join("policies").display(),
        dir.join("adapters").display()
    );
    assert!(
        qs.stderr().iter().any(|l| l.contains(&served)),
        "{served}: {:?}",
        qs.stderr()
    );
    assert!(!dir.join("policies").exists(), "policies were copied");
    let refund = || json_post("/payments/v1/refunds", r#"{"charge":"ch_1","amount":5000}"#);
    let ok = send(addr(listen), refund()).await;
    assert_eq!(ok.status, 200, "{:?}", String::from_utf8_lossy(&ok.body));

    // the author lowers the threshold and saves: the next calls are decided by the edit
    let text = std::fs::read_to_string(&policy).expect("read");
    let edited = text.replace(
        "default refund_threshold_cents := 10000",
        "default refund_threshold_cents := 1000",
    );
    assert_ne!(text, edited, "the example policy's threshold line moved");
    std::fs::write(&policy, &edited).expect("save");
    let mut denied = None;
    for _ in 0..40 {
        // under the quickstart's rate limit (5/s)
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let r = send(addr(listen), refund()).await;
        if r.status == 403 {
            denied = Some(r);
            break;
        }
        assert_eq!(r.status, 200, "{:?}", String::from_utf8_lossy(&r.body));
    }
    let denied = denied.expect("the saved edit never applied");
    assert_eq!(denied.reasons(), vec!["amount_exceeds_threshold"]);

    // a broken save: the edit before it keeps deciding, and the log says where it broke
    std::fs::write(&policy, format!("{edited}\nthis is not rego\n")).expect("save");
    let mut logged = false;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        if qs.stderr().iter().any(|l| l.contains("toolwall.rego:")) {
            logged = true;
            break;
        }
    }
    assert!(logged, "{:?}", qs.stderr());
    let still = send(addr(listen), refund()).await;
    assert_eq!(still.reasons(), vec!["amount_exceeds_threshold"]);
    let small = send(
        addr(listen),
        json_post("/payments/v1/refunds", r#"{"charge":"ch_1","amount":500}"#),
    )
    .await;
    assert_eq!(small.status, 200);
}
