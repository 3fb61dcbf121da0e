"""The compose recipe (examples/compose), for real with podman-compose: up; an allowed call
from the agent container reaches the tool; a denied one does not (the agent reads toolwall's
refusal); the agent cannot reach the tool directly (no name, no route); the published port is
on 127.0.0.1 only; the audit stream on the named volume verifies; down -v removes it all.

  python compose_test.py --binary target/debug/toolwall
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request

from podman_util import (REPO, audit_records, build_toolwall_image, check, free_port, podman,
                         python_image, require_podman, run, unique, verify_audit, volume_path,
                         wait_healthy)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    args = ap.parse_args()
    require_podman()
    t0 = time.monotonic()
    project = unique("twcompose")
    tag = f"localhost/toolwall:{project}"
    tmp = tempfile.mkdtemp(prefix="toolwall-compose-test.")
    ex = os.path.join(tmp, "compose")
    shutil.copytree(os.path.join(REPO, "examples", "compose"), ex,
                    ignore=shutil.ignore_patterns("secrets"))
    port = free_port()
    env = dict(os.environ, TOOLWALL_IMAGE=tag, TOOLWALL_PORT=str(port))
    compose = [sys.executable, "-m", "podman_compose", "-p", project, "-f",
               os.path.join(ex, "compose.yaml")]
    tw, agent, tool = f"{project}_toolwall_1", f"{project}_agent_1", f"{project}_tool_1"
    audit_vol = f"{project}_toolwall-audit"
    up = False
    try:
        env["PYTHON_IMAGE"] = python_image()
        build_toolwall_image(args.binary, tag)
        # The documented key step, with this build's binary.
        run([os.path.join(ex, "keygen.sh")], env=dict(env, TOOLWALL=args.binary))
        check(os.stat(os.path.join(ex, "secrets", "audit.key")).st_uid == 65532,
              "keygen.sh did not give the signing key to 65532")

        up = True
        run([*compose, "up", "-d"], env=env, timeout=120)
        wait_healthy(tw)

        def agent_call(method, url, body=None, extra_env=()):
            cmd = ["podman", "exec", *extra_env, agent, "python3", "/app/agent.py", "call",
                   method, url] + ([body] if body is not None else [])
            p = run(cmd, check_rc=False)
            try:
                return json.loads(p.stdout.strip().splitlines()[-1])
            except (ValueError, IndexError):
                check(False, f"agent printed no JSON: {p.stdout} {p.stderr}")

        def tool_saw():
            p = podman("exec", tool, "python3", "-c",
                       "import os; p='/tmp/requests.jsonl'; "
                       "print(open(p).read() if os.path.exists(p) else '', end='')", quiet=True)
            return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]

        # Allowed, through HTTP_PROXY (the agent calls the tool's own URL).
        r = agent_call("GET", "http://tool:8080/items/1")
        check(r.get("status") == 200 and json.loads(r["body"]) == {"id": "1", "name": "widget"},
              f"allowed call via the proxy: {r}")
        # Allowed, through the base URL form.
        r = agent_call("GET", "http://toolwall:15080/inventory/items/2")
        check(r.get("status") == 200 and json.loads(r["body"])["name"] == "gadget",
              f"allowed call via the base URL: {r}")
        # Denied by policy: toolwall's refusal, nothing reaches the tool.
        r = agent_call("POST", "http://tool:8080/items/7/delete", "{}")
        check(r.get("status") == 403, f"denied call: {r}")
        err = json.loads(r["body"])["error"]
        check(err["type"] == "denied" and err["reasons"] == ["no_rule_allows_this_call"], r)
        # Not an adapter's tool: refused too.
        r = agent_call("GET", "http://tool:8080/admin/dump")
        check(r.get("status") == 403 and "unknown_tool" in r["body"], f"unknown tool: {r}")
        seen = [(x["method"], x["path"]) for x in tool_saw()]
        check(seen == [("GET", "/items/1"), ("GET", "/items/2")], f"the tool saw {seen}")

        # Around toolwall: no proxy variables. The tool's name does not resolve on the agent's
        # network, and its address is not routed from there.
        no_proxy = ["-e", "HTTP_PROXY=", "-e", "http_proxy=", "-e", "AGENT_TIMEOUT=3"]
        r = agent_call("GET", "http://tool:8080/items/3", extra_env=no_proxy)
        check("error" in r and "status" not in r, f"the agent resolved the tool: {r}")
        nets = json.loads(podman("inspect", tool, quiet=True).stdout)[0]["NetworkSettings"]["Networks"]
        check(list(nets) == [f"{project}_tools"], f"tool networks {list(nets)}")
        ip = next(iter(nets.values()))["IPAddress"]
        r = agent_call("GET", f"http://{ip}:8080/items/4", extra_env=no_proxy)
        check("error" in r and "status" not in r, f"the agent reached the tool at {ip}: {r}")
        seen = [(x["method"], x["path"]) for x in tool_saw()]
        check(len(seen) == 2, f"a direct call reached the tool: {seen}")

        # The published port: on the host's loopback only.
        ports = json.loads(podman("inspect", tw, quiet=True).stdout)[0]["NetworkSettings"]["Ports"]
        bindings = ports.get("15080/tcp") or []
        check(bindings and all(b["HostIp"] == "127.0.0.1" for b in bindings), f"ports {ports}")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/inventory/items/7", timeout=10) as resp:
            check(json.loads(resp.read())["name"] == "sprocket", "call from the host")

        # Live reload: the policies directory is a read-only bind mount; an edit on the host
        # is picked up by the running toolwall (reload.watch) without a restart.
        with open(os.path.join(ex, "policies", "inventory.rego"), "w", encoding="utf-8") as f:
            f.write("package toolwall\n\nimport rego.v1\n\n"
                    'default decision := {"allow": false, "reasons": ["paused_by_operator"]}\n')
        deadline = time.monotonic() + 20
        while True:
            r = agent_call("GET", "http://tool:8080/items/5")
            if r.get("status") == 403 and "paused_by_operator" in r.get("body", ""):
                break
            check(r.get("status") == 200, f"during the reload: {r}")
            check(time.monotonic() < deadline, f"the policy edit was not picked up: {r}")
            time.sleep(1)
        n = len(tool_saw())
        r = agent_call("GET", "http://tool:8080/items/1")
        check(r.get("status") == 403 and "paused_by_operator" in r["body"], f"after reload: {r}")
        check(len(tool_saw()) == n, "a call refused by the reloaded policy reached the tool")

        # The audit stream on the named volume: a graceful stop closes it, then it verifies.
        run([*compose, "stop", "toolwall"], env=env, timeout=60)
        report = verify_audit(tag, audit_vol, os.path.join(ex, "secrets", "audit.pub"))
        recs = audit_records(volume_path(audit_vol))
        text = json.dumps(recs)
        check("inventory.delete_item" in text and "no_rule_allows_this_call" in text,
              "the refused call is not in the audit stream")
        check("paused_by_operator" in text, "the reloaded policy's refusal is not audited")
        # The identity from the compose service's environment (TOOLWALL_AGENT_ID).
        check('"inventory-agent"' in text and '"unnamed-agent"' not in text,
              "the audit does not name the agent from TOOLWALL_AGENT_ID")
        check(report["records"] >= 5, f"audit report {report}")

        run([*compose, "down", "-v"], env=env, timeout=120)
        up = False
        left = podman("volume", "ls", "--format", "{{.Name}}", quiet=True).stdout.split()
        check(not [v for v in left if v.startswith(project)], f"volumes left: {left}")
        left = podman("ps", "-a", "--format", "{{.Names}}", quiet=True).stdout.split()
        check(not [c for c in left if c.startswith(project)], f"containers left: {left}")
        print(f"compose test passed in {time.monotonic() - t0:.1f}s")
    finally:
        if up:
            run([*compose, "down", "-v", "-t", "2"], env=env, check_rc=False, timeout=120)
        podman("rmi", "-f", tag, check_rc=False, quiet=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
