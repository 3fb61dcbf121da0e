"""Shared helpers for the container tests (image_test.py, compose_test.py): run commands
loudly, build the toolwall image and the Python image the example agent and tool run on."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def require_podman():
    if shutil.which("podman") is None:
        fail("podman is not installed (apt-get install podman buildah runc); "
             "the container tests do not skip")
    os.environ.setdefault("CONTAINERS_CONF", os.path.join(REPO, "deploy", "containers.conf"))


def run(cmd, check_rc=True, timeout=180, env=None, quiet=False, **kw):
    """Run cmd; return CompletedProcess (text). Fails the test on a non-zero exit if check_rc."""
    t = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       env=env, **kw)
    if not quiet:
        print(f"$ {' '.join(cmd)}  -> {p.returncode} ({time.monotonic() - t:.1f}s)", flush=True)
    if check_rc and p.returncode != 0:
        fail(f"{' '.join(cmd)} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


def podman(*args, **kw):
    return run(["podman", *args], **kw)


def unique(prefix):
    return f"{prefix}{os.getpid()}{uuid.uuid4().hex[:6]}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_toolwall_image(binary, tag):
    t = time.monotonic()
    run([os.path.join(REPO, "deploy", "build-image.sh"), "--binary", binary,
         "--base", "scratch", "--tag", tag], timeout=300)
    print(f"image {tag} built in {time.monotonic() - t:.1f}s", flush=True)


def python_image():
    p = run([os.path.join(REPO, "tests", "deploy", "python-image.sh")], timeout=300)
    return p.stdout.strip().splitlines()[-1]


def wait_healthy(container, seconds=30):
    """`podman healthcheck run` (the image's HEALTHCHECK: toolwall healthcheck) until healthy."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        last = podman("healthcheck", "run", container, check_rc=False, quiet=True)
        if last.returncode == 0:
            return
        time.sleep(0.5)
    logs = podman("logs", container, check_rc=False, quiet=True)
    fail(f"{container} never became healthy: {last.stdout} {last.stderr}\nlogs:\n"
         f"{logs.stdout}{logs.stderr}")


def process_uid(container):
    """The real UID of the container's main process, as the host kernel sees it."""
    pid = podman("inspect", container, "--format", "{{.State.Pid}}", quiet=True).stdout.strip()
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    fail(f"no Uid line for pid {pid}")


def volume_path(volume):
    return podman("volume", "inspect", volume, "--format", "{{.Mountpoint}}",
                  quiet=True).stdout.strip()


def audit_records(directory):
    out = []
    for name in sorted(os.listdir(directory)):
        if name.endswith(".jsonl"):
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                out.extend(json.loads(line) for line in f if line.strip())
    return out


def verify_audit(image, volume, pubkey):
    """`toolwall audit verify --json` run in the image over the audit volume (read-only)."""
    p = podman("run", "--rm", "--read-only", "--health-cmd", "none", "--network", "none",
               "-v", f"{volume}:/audit:ro", "-v", f"{pubkey}:/keys/audit.pub:ro",
               image, "audit", "verify", "/audit", "--keys", "/keys/audit.pub", "--json",
               check_rc=False)
    check(p.returncode == 0, f"audit verify failed: {p.stdout}\n{p.stderr}")
    report = json.loads(p.stdout)
    check(report["valid"] is True and report["error"] is None, f"audit invalid: {report}")
    check(report["signatures"] >= 1, f"no signed checkpoint verified: {report}")
    return report
