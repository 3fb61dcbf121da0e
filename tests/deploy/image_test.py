"""The toolwall image, for real with podman: built FROM scratch from the given binary by
deploy/build-image.sh, run with a read-only root, the config/policies/adapters/schemas and keys
mounted read-only at the documented paths, state and audit on named volumes, as UID 65532, in a
pod beside a lax tool (the sidecar model). Its HEALTHCHECK passes, an allowed call from the host
reaches the tool, a denied one does not, and the audit stream on the volume verifies.

  python image_test.py --binary target/debug/toolwall
"""

import argparse
import json
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request

from podman_util import (REPO, build_toolwall_image, check, free_port, podman,
                         process_uid, python_image, require_podman, run, unique,
                         verify_audit, volume_path, audit_records, wait_healthy)


def http(method, url, body=None):
    req = urllib.request.Request(url, data=body, method=method)
    if body is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def tool_records(container):
    p = podman("exec", container, "python3", "-c",
               "import os; p='/tmp/requests.jsonl'; "
               "print(open(p).read() if os.path.exists(p) else '', end='')", quiet=True)
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    args = ap.parse_args()
    require_podman()
    t0 = time.monotonic()
    name = unique("twimg")
    tag = f"localhost/toolwall:{name}"
    based = f"localhost/toolwall:{name}-based"
    pod, tw, tool = f"{name}-pod", f"{name}-toolwall", f"{name}-tool"
    state_vol, audit_vol = f"{name}-state", f"{name}-audit"
    tmp = tempfile.mkdtemp(prefix="toolwall-image-test.")
    try:
        pyimg = python_image()
        build_toolwall_image(args.binary, tag)

        meta = json.loads(podman("image", "inspect", tag, quiet=True).stdout)[0]
        cfg = meta["Config"]
        check(cfg.get("User") == "65532:65532", f"image user: {cfg.get('User')}")
        check(cfg.get("Entrypoint") == ["/usr/local/bin/toolwall"], f"entrypoint {cfg}")
        check(cfg.get("Cmd") == ["run", "--config", "/etc/toolwall/config/toolwall.yaml"],
              f"cmd {cfg.get('Cmd')}")
        hc = meta.get("Healthcheck") or cfg.get("Healthcheck") or {}
        check(hc.get("Test") == ["CMD", "/usr/local/bin/toolwall", "healthcheck"],
              f"healthcheck {hc}")
        # The enforcing init container's tool is in the image and runs.
        p = podman("run", "--rm", "--read-only", "--network", "none", "--health-cmd", "none",
                   "--entrypoint", "/usr/sbin/iptables-restore", tag, "--version")
        check("iptables-restore" in p.stdout, p.stdout)
        # ... and loads the extension modules the enforcing rules use, in a container's own
        # network namespace (root with NET_ADMIN/NET_RAW only, as the init container runs).
        rules = {
            "iptables-restore": "*nat\n:OUTPUT ACCEPT [0:0]\n"
            "-A OUTPUT -o lo -m comment --comment toolwall -j RETURN\n"
            "-A OUTPUT -m owner --uid-owner 65532 -j RETURN\n"
            "-A OUTPUT -p udp --dport 53 -j RETURN\n"
            "-A OUTPUT -p tcp -m multiport --dports 53,9000 -j RETURN\n"
            "-A OUTPUT -p tcp -j REDIRECT --to-ports 15081\nCOMMIT\n",
            "ip6tables-restore": "*filter\n:OUTPUT ACCEPT [0:0]\n"
            "-A OUTPUT -o lo -j RETURN\n-A OUTPUT -m owner --uid-owner 65532 -j RETURN\n"
            "-A OUTPUT -p tcp -j REJECT --reject-with tcp-reset\nCOMMIT\n",
        }
        bogus = "*nat\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -m nosuchmatch -j RETURN\nCOMMIT\n"
        for tool_name, text in [*rules.items(), ("iptables-restore", bogus)]:
            p = podman("run", "--rm", "-i", "--user", "0", "--cap-drop", "ALL", "--cap-add",
                       "NET_ADMIN,NET_RAW", "--health-cmd", "none", "--entrypoint",
                       f"/usr/sbin/{tool_name}", tag, input=text, check_rc=False)
            if text is bogus:
                check(p.returncode != 0 and "nosuchmatch" in p.stderr,
                      f"iptables-restore accepted a missing module: {p}")
            else:
                check(p.returncode == 0, f"{tool_name} refused the enforcing rules: {p.stderr}")

        # The example's config, policies, adapters and schemas; keys made for this run.
        ex = os.path.join(tmp, "compose")
        shutil.copytree(os.path.join(REPO, "examples", "compose"), ex,
                        ignore=shutil.ignore_patterns("secrets"))
        keys = os.path.join(tmp, "keys")
        run([args.binary, "keygen", "--out", keys, "--name", "image-test"])
        for k in ("audit.key", "hmac.key"):
            os.chown(os.path.join(keys, k), 65532, 65532)

        port = free_port()
        podman("pod", "create", "--name", pod, "-p", f"127.0.0.1:{port}:15080",
               "--add-host", "tool:127.0.0.1")
        podman("volume", "create", state_vol)
        podman("volume", "create", audit_vol)
        podman("run", "-d", "--pod", pod, "--name", tool, "--read-only", "--tmpfs", "/tmp",
               "-v", f"{ex}/tool:/app:ro", "--stop-signal", "SIGKILL", pyimg,
               "python3", "/app/tool.py")
        mounts = []
        for d in ("config", "policies", "adapters", "schemas"):
            mounts += ["-v", f"{ex}/{d}:/etc/toolwall/{d}:ro"]
        podman("run", "-d", "--pod", pod, "--name", tw, "--read-only", "--cap-drop", "ALL",
               "--security-opt", "no-new-privileges", *mounts,
               "-v", f"{keys}:/etc/toolwall/keys:ro",
               "-v", f"{state_vol}:/var/lib/toolwall/state",
               "-v", f"{audit_vol}:/var/lib/toolwall/audit", tag)
        wait_healthy(tw)

        info = json.loads(podman("inspect", tw, quiet=True).stdout)[0]
        check(info["HostConfig"]["ReadonlyRootfs"] is True, "root filesystem is not read-only")
        uids = process_uid(tw)
        check(uids[:2] == [65532, 65532], f"toolwall runs as UIDs {uids}, not 65532")
        # The healthcheck fails on an endpoint that does not answer 200 (no shell needed).
        p = podman("exec", tw, "/usr/local/bin/toolwall", "healthcheck", "--url",
                   "http://127.0.0.1:15901/admin/usage", check_rc=False)
        check(p.returncode == 1 and "401" in p.stderr, f"healthcheck on a 401: {p}")
        # The root filesystem refuses writes, the state volume takes them.
        p = podman("exec", tw, "/usr/local/bin/toolwall", "keygen", "--out", "/etc/x",
                   check_rc=False)
        check(p.returncode != 0 and "Read-only file system" in p.stderr, f"write to /: {p}")

        base = f"http://127.0.0.1:{port}"
        status, body = http("GET", f"{base}/inventory/items/1")
        check(status == 200 and json.loads(body) == {"id": "1", "name": "widget"},
              f"allowed call: {status} {body}")
        status, body = http("POST", f"{base}/inventory/items/7/delete", b"{}")
        check(status == 403, f"denied call: {status} {body}")
        check(json.loads(body)["error"]["reasons"] == ["no_rule_allows_this_call"], body)
        seen = [(r["method"], r["path"]) for r in tool_records(tool)]
        check(seen == [("GET", "/items/1")], f"the tool saw {seen}")

        state_dir = volume_path(state_vol)
        check(os.path.exists(os.path.join(state_dir, "toolwall.db")), "no SQLite state on the volume")
        check(os.stat(state_dir).st_uid == 65532, "the state volume is not owned by 65532")

        podman("stop", "-t", "10", tw)
        report = verify_audit(tag, audit_vol, os.path.join(keys, "audit.pub"))
        recs = audit_records(volume_path(audit_vol))
        text = json.dumps(recs)
        check("inventory.get_item" in text and "inventory.delete_item" in text,
              f"the audit stream lacks the calls: {text[:2000]}")
        check("no_rule_allows_this_call" in text, "the refusal's reason is not audited")
        # The injector's enforcing init container: the real command, as the init container
        # runs it (root with NET_ADMIN/NET_RAW only), installs its rules with the image's
        # iptables-restore / ip6tables-restore.
        p = podman("run", "--rm", "--user", "0", "--cap-drop", "ALL", "--cap-add",
                   "NET_ADMIN,NET_RAW", "--health-cmd", "none", "--read-only", tag,
                   "inject", "iptables", "--uid", "65532", "--redirect-port", "15081",
                   "--exclude-ports", "9000", "--exclude-cidrs", "10.0.0.0/8,fd00::/8",
                   check_rc=False)
        check(p.returncode == 0, f"toolwall inject iptables in the image: {p.stdout} {p.stderr}")

        # The same script on a glibc base image (the distroless path; here the local Python
        # image stands in for it, no registry being reachable): glibc comes from the base,
        # the rest (libgcc_s, the xtables libraries) from the build.
        run([os.path.join(REPO, "deploy", "build-image.sh"), "--binary", args.binary,
             "--base", pyimg, "--tag", based], timeout=300)
        p = podman("run", "--rm", "--read-only", "--network", "none", "--health-cmd", "none",
                   based, "--version")
        check(p.stdout.startswith("toolwall "), f"on a glibc base: {p.stdout} {p.stderr}")
        p = podman("run", "--rm", "-i", "--user", "0", "--cap-drop", "ALL", "--cap-add",
                   "NET_ADMIN,NET_RAW", "--health-cmd", "none", "--entrypoint",
                   "/usr/sbin/iptables-restore", based, input=rules["iptables-restore"],
                   check_rc=False)
        check(p.returncode == 0, f"iptables-restore on a glibc base: {p.stderr}")
        print(f"image test passed in {time.monotonic() - t0:.1f}s: {report['records']} audit records")
    finally:
        podman("pod", "rm", "-f", pod, check_rc=False, quiet=True)
        podman("volume", "rm", "-f", state_vol, audit_vol, check_rc=False, quiet=True)
        podman("rmi", "-f", tag, based, check_rc=False, quiet=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
