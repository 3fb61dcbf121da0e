"""The Kubernetes path end to end, with what these machines have: the Helm chart rendered with
its default values by Helm's own engine -> its injector.yaml given to the real injector
(`toolwall inject`) -> the injected agent pod run with `podman kube play` on the chart's
sidecar ConfigMaps -> a call agent -> sidecar -> tool.

  python kube_test.py --binary target/debug/toolwall

What it proves: the chart's injector.yaml is accepted by `toolwall inject`; the pod it produces
starts (the sidecar from the toolwall image on the chart's toolwall.yaml, policy, adapter and
schema, keys from a Secret, state/audit/CA on emptyDirs); the agent container sees the injected
proxy and CA variables and the CA files the sidecar wrote; a call the chart's example policy
allows, sent by the agent through HTTP_PROXY (and through the injected PAYMENTS_BASE_URL),
reaches the tool with what the agent sent; a call it denies does not reach the tool; the
sidecar's audit stream verifies.

Adaptations (each one is something podman 4.3 does differently from a kubelet, or test
plumbing); nothing else of the rendered or injected YAML is changed:
- The image: the chart's sidecar image (localhost/toolwall:<appVersion>) is replaced in the
  rendered injector.yaml by the image built for this test from the debug binary.
- `sidecar.native: false` in injector.yaml: podman 4.3 runs init containers to completion
  before the pod's containers, so a native sidecar (init container with restartPolicy: Always)
  would block the pod; the classic sidecar (first container + postStart hold) is used.
- The chart's payments adapter points at https://api.stripe.com: its `upstream` is set to the
  test tool's address (the lax example tool of examples/compose, in its own container on
  podman's default network). The policy and schema ConfigMaps are the chart's, unchanged.
- ConfigMaps are given to `podman kube play --configmap FILE` (no API server).
- The keys Secret (`toolwall keygen` + an admin token; the chart's default
  keys.existingSecret expects it to exist): podman 4.3's kube play panics on a Secret volume
  (nil pointer in VolumeFromSecret), so the same keys are given as a ConfigMap of the Secret's
  name and the pod's secret volume becomes a configMap volume; the sidecar's
  TOOLWALL_ADMIN_TOKEN (a secretKeyRef to admin.token) gets the token's value.
- Downward API: podman 4.3 refuses fieldRef metadata.namespace / spec.serviceAccountName, so
  those env entries get the values a kubelet would give (the pod's namespace and service
  account), and `$(VAR)` references are expanded as the kubelet does (podman leaves them as
  they are); the audit records then carry the SPIFFE id of the pod's service account.
- The CA volume: Kubernetes makes an emptyDir world-writable; podman's is an anonymous volume
  whose owner is copied from whichever container mounts it first (the agent image has no such
  directory -> root 0755, and the sidecar (UID 65532) cannot write the CA: a race). It becomes
  a hostPath directory made 0777 by the test. State and audit stay emptyDirs.
- The Pod, and the ConfigMaps and keys (in injector.yaml's `config` names and the ConfigMaps'
  own names), get a unique prefix: podman's pods are machine-wide, and podman 4.3 keeps each
  ConfigMap volume as a machine-wide named volume called after the ConfigMap (removed after).
Cleanup always: `podman kube down`, `podman pod rm -f`, `podman rm -f`, `podman volume rm`.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import yaml

from podman_util import (REPO, audit_records, build_toolwall_image, check, podman,
                         python_image, require_podman, unique)

import helm_python as helm

NAMESPACE = "toolwall-system"
AGENT_NS, AGENT_SA = "agents", "agent-sa"


def render_chart():
    helm.disable_logging()
    chart = helm.Chart.load(os.path.join(REPO, "helm", "toolwall"))
    out = chart.render({}, name="tw", namespace=NAMESPACE, is_install=True)
    docs = []
    for path, text in sorted(out.items()):
        if not path.endswith("NOTES.txt"):
            docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    args = ap.parse_args()
    require_podman()
    binary = os.path.abspath(args.binary)
    run_id = unique("twkube")
    tag = "localhost/toolwall:kube-e2e"
    tmp = tempfile.mkdtemp(prefix="toolwall-kube-test.")
    pod, tool = f"{run_id}-agent", f"{run_id}-tool"
    agent_ctr = f"{pod}-agent"
    pod_file = os.path.join(tmp, "agent-pod.injected.yaml")
    played = False
    admin_token = os.urandom(16).hex()
    try:
        build_toolwall_image(binary, tag)
        pyimg = python_image()

        # 1. The chart, default values.
        docs = render_chart()
        cms = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ConfigMap"}
        injector_cm = [d for n, d in cms.items() if "injector.yaml" in d.get("data", {})]
        check(len(injector_cm) == 1, f"one injector ConfigMap: {list(cms)}")
        inj = yaml.safe_load(injector_cm[0]["data"]["injector.yaml"])
        names = inj["config"]
        chart_names = dict(names)
        volume_names = []
        for key in ("config_map", "policies_config_map", "adapters_config_map",
                    "schemas_config_map"):
            check(names[key] in cms, f"the chart renders the ConfigMap {names[key]} ({key})")
        check(not any(d["kind"] == "Secret" for d in docs), "default values: existing Secret")

        # The tool: the lax example tool, recording what reaches it.
        rec = os.path.join(tmp, "rec")
        os.makedirs(rec)
        os.chmod(rec, 0o777)
        podman("run", "-d", "--name", tool, "--stop-signal", "SIGKILL",
               "-v", f"{os.path.join(REPO, 'examples', 'compose', 'tool')}:/app:ro",
               "-v", f"{rec}:/rec", "-e", "TOOL_RECORD=/rec/requests.jsonl",
               pyimg, "python3", "/app/tool.py")
        tool_ip = podman("inspect", tool, "--format",
                         "{{.NetworkSettings.IPAddress}}").stdout.strip()
        check(tool_ip, "the tool has an address on podman's network")
        tool_url = f"http://{tool_ip}:8080"

        # 2. The injector with the chart's injector.yaml: as rendered (a native sidecar), then
        # adapted for podman (the test's image, the classic sidecar).
        agent_pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod, "namespace": AGENT_NS,
                         "annotations": {"toolwall.io/inject": "true"}},
            "spec": {"serviceAccountName": AGENT_SA, "containers": [{
                "name": "agent", "image": pyimg,
                "command": ["python3", "-c", "import time; time.sleep(600)"]}]},
        }
        src = os.path.join(tmp, "agent-pod.yaml")
        with open(src, "w", encoding="utf-8") as f:
            yaml.safe_dump(agent_pod, f)
        inj_file = os.path.join(tmp, "injector.yaml")

        def inject():
            p = subprocess.run([binary, "inject", src, "--config", inj_file],
                               capture_output=True, text=True, timeout=30)
            check(p.returncode == 0, f"toolwall inject refused the injector.yaml: {p.stderr}")
            return yaml.safe_load(p.stdout)

        with open(inj_file, "w", encoding="utf-8") as f:
            f.write(injector_cm[0]["data"]["injector.yaml"])
        native = inject()["spec"]
        first = native.get("initContainers", [{}])[0]
        check(first.get("name") == "toolwall" and first.get("restartPolicy") == "Always"
              and first.get("image") == inj["sidecar"]["image"]
              and [c["name"] for c in native["containers"]] == ["agent"],
              f"the chart's injector.yaml as rendered: a native sidecar: {native}")

        check(inj["sidecar"]["native"] is True, "the chart's default is a native sidecar")
        inj["sidecar"]["image"] = tag
        inj["sidecar"]["native"] = False
        for key in ("config_map", "policies_config_map", "adapters_config_map",
                    "schemas_config_map", "keys_secret"):
            names[key] = f"{run_id}-{chart_names[key]}"
            volume_names.append(names[key])
        with open(inj_file, "w", encoding="utf-8") as f:
            yaml.safe_dump(inj, f)
        injected = inject()
        spec = injected["spec"]
        check(injected["metadata"]["annotations"].get("toolwall.io/status") == "injected",
              f"status annotation: {injected['metadata']}")
        check([c["name"] for c in spec["containers"]] == ["toolwall", "agent"],
              f"classic sidecar first: {[c['name'] for c in spec['containers']]}")
        check(spec["containers"][0]["image"] == tag, "sidecar image")
        keys_volume = None
        for v in spec["volumes"]:
            if "secret" in v:
                check(v["secret"]["secretName"] == names["keys_secret"], f"keys secret: {v}")
                keys_volume = v
                v["configMap"] = {"name": v.pop("secret")["secretName"]}
        check(keys_volume is not None, "the keys Secret volume")
        ca_dir = os.path.join(tmp, "ca")
        os.makedirs(ca_dir)
        os.chmod(ca_dir, 0o777)
        ca_volume = [v for v in spec["volumes"] if v["name"] == "toolwall-ca"]
        check(len(ca_volume) == 1 and "emptyDir" in ca_volume[0], f"CA volume: {ca_volume}")
        del ca_volume[0]["emptyDir"]
        ca_volume[0]["hostPath"] = {"path": ca_dir, "type": "Directory"}
        downward = {"metadata.namespace": AGENT_NS, "spec.serviceAccountName": AGENT_SA}
        for c in spec["containers"]:
            for e in c.get("env", []):
                src_ = e.pop("valueFrom", None)
                if src_ is None:
                    continue
                if "secretKeyRef" in src_:
                    ref = src_["secretKeyRef"]
                    check(ref == {"name": names["keys_secret"], "key": "admin.token"},
                          f"a secret env the test does not know: {e}")
                    e["value"] = admin_token
                    continue
                path = src_.get("fieldRef", {}).get("fieldPath")
                check(path in downward, f"an env source podman cannot give: {e}")
                e["value"] = downward[path]
            # The kubelet expands $(NAME) of variables defined earlier in the list; podman
            # does not.
            seen = {}
            for e in c.get("env", []):
                e["value"] = re.sub(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                                    lambda m: seen.get(m.group(1), m.group(0)), e["value"])
                seen[e["name"]] = e["value"]
        with open(pod_file, "w", encoding="utf-8") as f:
            yaml.safe_dump(injected, f)

        # 3. The sidecar's ConfigMaps (the adapter pointed at the tool) and keys.
        adapters = cms[chart_names["adapters_config_map"]]
        ad = yaml.safe_load(adapters["data"]["payments.yaml"])
        ad["upstream"] = tool_url
        adapters["data"]["payments.yaml"] = yaml.safe_dump(ad)
        cm_args = []
        for key in ("config_map", "policies_config_map", "adapters_config_map",
                    "schemas_config_map"):
            path = os.path.join(tmp, f"{key}.yaml")
            with open(path, "w", encoding="utf-8") as f:
                cm = cms[chart_names[key]]
                cm["metadata"]["name"] = names[key]
                yaml.safe_dump(cm, f)
            cm_args += ["--configmap", path]
        keys = os.path.join(tmp, "keys")
        subprocess.run([binary, "keygen", "--out", keys], check=True, capture_output=True)

        keys_cm = {"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": names["keys_secret"]},
                   "data": {n: open(os.path.join(keys, n), encoding="utf-8").read()
                            for n in ("audit.key", "hmac.key")}}
        keys_cm["data"]["admin.token"] = admin_token
        path = os.path.join(tmp, "keys.yaml")
        with open(path, "w", encoding="utf-8") as f:
            yaml.safe_dump(keys_cm, f)
        cm_args += ["--configmap", path]

        # 4. Play the injected pod.
        played = True
        t = time.monotonic()
        podman("kube", "play", *cm_args, pod_file, timeout=120)
        print(f"kube play: {time.monotonic() - t:.1f}s", flush=True)

        def agent_py(code):
            return podman("exec", agent_ctr, "python3", "-c", code, check_rc=False, quiet=True)

        def sidecar_logs():
            p = podman("logs", f"{pod}-toolwall", check_rc=False, quiet=True)
            ps = podman("ps", "-a", "--pod", "--filter", f"pod={pod}", check_rc=False,
                        quiet=True)
            return f"\n--- podman ps\n{ps.stdout}\n--- sidecar logs\n{p.stdout}{p.stderr}"

        # The agent sees the injected environment and the CA files the sidecar wrote.
        p = agent_py("import os, json; print(json.dumps(dict(os.environ)))")
        check(p.returncode == 0, f"exec in the agent: {p.stderr}")
        env = json.loads(p.stdout)
        for k in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            check(env.get(k) == "http://127.0.0.1:15080", f"{k}: {env.get(k)}")
        check(env.get("PAYMENTS_BASE_URL") == "http://127.0.0.1:15080/payments", "base URL")
        check(env.get("SSL_CERT_FILE") == "/var/run/toolwall/ca/bundle.crt", "SSL_CERT_FILE")
        deadline = time.monotonic() + 30
        while True:
            p = agent_py("import ssl, os\n"
                         "c = open('/var/run/toolwall/ca/ca.crt').read()\n"
                         "assert c.startswith('-----BEGIN CERTIFICATE-----'), c\n"
                         "ssl.create_default_context(cafile=os.environ['SSL_CERT_FILE'])\n"
                         "print('ca ok')")
            if p.returncode == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        check(p.stdout.strip() == "ca ok", f"the agent cannot use the injected CA: {p.stderr}{sidecar_logs()}")

        def call(url, body=None):
            code = ("import json, sys, urllib.request, urllib.error\n"
                    f"req = urllib.request.Request({url!r}, method={'POST' if body else 'GET'!r},"
                    f" data={json.dumps(body).encode() if body else None!r},"
                    " headers={'content-type': 'application/json'})\n"
                    "try:\n"
                    "    r = urllib.request.urlopen(req, timeout=20); print(r.status); "
                    "print(r.read().decode())\n"
                    "except urllib.error.HTTPError as e:\n"
                    "    print(e.code); print(e.read().decode())\n")
            p = agent_py(code)
            check(p.returncode == 0, f"agent call {url}: {p.stderr}")
            status, _, text = p.stdout.partition("\n")
            return int(status), text

        def recorded():
            path = os.path.join(rec, "requests.jsonl")
            if not os.path.exists(path):
                return []
            with open(path, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]

        # Allowed (the chart's policy: financial tool, amount under the threshold), through
        # HTTP_PROXY: the agent addresses the tool, urllib sends it to the sidecar.
        allowed = {"charge": "ch_kube1", "amount": 500, "reason": "duplicate"}
        status, text = call(f"{tool_url}/v1/refunds", allowed)
        check(status == 200, f"allowed call through HTTP_PROXY: {status} {text}")
        got = recorded()
        check(len(got) == 1 and got[0]["method"] == "POST" and got[0]["path"] == "/v1/refunds"
              and json.loads(got[0]["body"]) == allowed, f"the tool recorded: {got}")
        check(json.loads(text) == {"path": "/v1/refunds"}, f"the agent read: {text}")

        # Denied (amount_exceeds_threshold): refused by the sidecar, never reaches the tool.
        status, text = call(f"{tool_url}/v1/refunds", {"charge": "ch_kube2", "amount": 50000})
        check(status == 403, f"denied call: {status} {text}")
        check("amount_exceeds_threshold" in text, f"the refusal names the reason: {text}")
        check(len(recorded()) == 1, f"the denied call reached the tool: {recorded()}")

        # The injected tool base URL (reverse form, NO_PROXY covers 127.0.0.1).
        status, text = call(env["PAYMENTS_BASE_URL"] + "/v1/charges/ch_kube3")
        check(status == 200, f"call through PAYMENTS_BASE_URL: {status} {text}")
        got = recorded()
        check(len(got) == 2 and got[1]["method"] == "GET"
              and got[1]["path"] == "/v1/charges/ch_kube3", f"the tool recorded: {got}")

        # The sidecar's audit stream (an emptyDir): the three calls, and it verifies.
        side = f"{pod}-toolwall"
        mounts = json.loads(podman("inspect", side, "--format", "{{json .Mounts}}").stdout)
        audit = [m for m in mounts if m["Destination"] == "/var/lib/toolwall/audit"]
        check(len(audit) == 1, f"audit volume: {mounts}")
        deadline = time.monotonic() + 15
        while True:
            recs = [r for r in audit_records(audit[0]["Source"]) if r.get("decision")]
            if len(recs) >= 3 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        decisions = [(r.get("tool"), r.get("decision")) for r in recs]
        check(decisions == [("payments.create_refund", "allow"),
                            ("payments.create_refund", "deny"),
                            ("payments.get_charge", "allow")], f"audit decisions: {decisions}")
        want_agent = f"spiffe://cluster.local/ns/{AGENT_NS}/sa/{AGENT_SA}"
        check(all(r["agent"] == want_agent and r["input"]["principal"]["tenant"] == "default"
                  for r in recs), f"the pod's identity: {[r['agent'] for r in recs]}")
        p = subprocess.run([binary, "audit", "verify", audit[0]["Source"], "--keys",
                            os.path.join(keys, "audit.pub"), "--json"],
                           capture_output=True, text=True, timeout=30)
        check(p.returncode == 0 and json.loads(p.stdout)["valid"] is True,
              f"audit verify: {p.stdout} {p.stderr}")
        print(json.dumps({"decisions": decisions}))
        print("kube_test: passed")
    finally:
        if played:
            podman("kube", "down", pod_file, check_rc=False)
        podman("pod", "rm", "-f", pod, check_rc=False, quiet=True)
        podman("rm", "-f", tool, check_rc=False)
        # podman keeps each ConfigMap volume as a named volume called after the ConfigMap
        for v in volume_names:
            podman("volume", "rm", "-f", v, check_rc=False, quiet=True)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
