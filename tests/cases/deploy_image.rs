//! The container image and the compose recipe, for real with podman (tests/deploy/*.py), and
//! `toolwall healthcheck` (the image's HEALTHCHECK) against a running toolwall.
//!
//! The `podman_` tests share one image store: nextest runs them one at a time
//! (.config/nextest.toml). They fail, not skip, when podman is missing.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::Ordering;

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_toolwall");

/// Run one tests/deploy script with the debug binary; its output is shown on failure.
fn deploy_script(script: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/deploy");
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/containers.conf");
    let out = Command::new(python())
        .arg(dir.join(script))
        .args(["--binary", BIN])
        .current_dir(&dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env(
            "CONTAINERS_CONF",
            std::env::var_os("CONTAINERS_CONF").unwrap_or_else(|| conf.into()),
        )
        .output()
        .unwrap_or_else(|e| panic!("cannot run {script} with {}: {e}", python().display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{script} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
    assert!(stdout.contains("passed"), "{script}: {stdout}");
}

#[test]
fn podman_image_runs_read_only_as_nonroot_healthy_and_guards_a_tool() {
    deploy_script("image_test.py");
}

#[test]
fn podman_compose_agent_reaches_the_tool_only_through_toolwall() {
    deploy_script("compose_test.py");
}

async fn healthcheck(url: String) -> (i32, String, String) {
    tokio::task::spawn_blocking(move || toolwall(&["healthcheck", "--url", &url]))
        .await
        .expect("join")
}

#[tokio::test]
async fn healthcheck_exits_0_when_ready_and_1_when_not() {
    let up = http_upstream().await;
    let h = Harness::start(
        &[("echo", echo_adapter(&format!("http://{}", up.addr), ""))],
        POLICY,
        "",
    )
    .await;
    let readyz = format!("http://{}/readyz", h.admin());

    let (code, _, err) = healthcheck(readyz.clone()).await;
    assert_eq!(code, 0, "ready toolwall: {err}");
    assert!(err.is_empty(), "{err}");

    // Not ready (starting, or draining): /readyz answers 503.
    h.app.state.ready.store(false, Ordering::SeqCst);
    let (code, _, err) = healthcheck(readyz.clone()).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("503"), "{err}");
    h.app.state.ready.store(true, Ordering::SeqCst);
    assert_eq!(healthcheck(readyz).await.0, 0);

    // Anything but 200 is unhealthy: the admin API's 401 on an /admin path.
    let (code, _, err) = healthcheck(format!("http://{}/admin/usage", h.admin())).await;
    assert_eq!(code, 1);
    assert!(err.contains("401"), "{err}");

    // Nothing listening.
    let port = free_port();
    let (code, _, err) = healthcheck(format!("http://127.0.0.1:{port}/readyz")).await;
    assert_eq!(code, 1);
    assert!(err.contains("cannot reach"), "{err}");
}

#[test]
fn healthcheck_default_url_is_the_images_admin_port() {
    let (code, _, err) = toolwall(&["healthcheck", "--help"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = toolwall(&["healthcheck", "--help"]);
    assert!(out.contains("http://127.0.0.1:15901/readyz"), "{out}");
    let (code, _, err) = toolwall(&["healthcheck", "--url", "ftp://x/readyz"]);
    assert_eq!(code, 1);
    assert!(err.contains("bad URL"), "{err}");
}
