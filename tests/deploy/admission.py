"""Play the API server's part against `toolwall inject serve`.

Connects over TLS with the webhook's caBundle as the only trust root and the Service's DNS
name as the server name, POSTs real admission.k8s.io/v1 AdmissionReviews, checks the
envelope, applies the patch with `jsonpatch`, validates the patched Pod strictly against the
Kubernetes 1.33 schema, and calls again with the patched pod (no patch expected). Hostile
inputs must get an error answer and leave the server answering.

Usage: admission.py PORT CA_PEM SERVER_NAME [full|smoke]
Prints one JSON summary line; exits non-zero on the first failed check.
"""

import base64
import copy
import http.client
import json
import socket
import ssl
import sys
import time

import jsonpatch
import kubernetes_validate

PORT = int(sys.argv[1])
CA = open(sys.argv[2]).read()
SNI = sys.argv[3]
MODE = sys.argv[4] if len(sys.argv) > 4 else "full"
K8S = "1.33.0"


class Conn(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1, verifying the certificate for the Service's name."""

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", PORT), timeout=20)
        self.sock = self._context.wrap_socket(sock, server_hostname=SNI)


def ctx():
    c = ssl.create_default_context(cadata=CA)  # the caBundle is the only root
    c.check_hostname = True
    return c


def post(body, content_type="application/json"):
    conn = Conn(SNI, PORT, context=ctx(), timeout=20)
    try:
        conn.request("POST", "/inject?timeout=10s", body=body,
                     headers={"Content-Type": content_type, "Accept": "application/json"})
        res = conn.getresponse()
        data = res.read()
        return res.status, data
    finally:
        conn.close()


def healthz():
    conn = Conn(SNI, PORT, context=ctx(), timeout=20)
    try:
        conn.request("GET", "/healthz")
        res = conn.getresponse()
        res.read()
        return res.status
    finally:
        conn.close()


def review_doc(pod, uid="705ab4f5-6393-11e8-b7cc-42010a800002", **over):
    req = {
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
        "requestResource": {"group": "", "version": "v1", "resource": "pods"},
        "name": "",
        "namespace": "agents",
        "operation": "CREATE",
        "userInfo": {
            "username": "system:serviceaccount:kube-system:replicaset-controller",
            "uid": "0d3a2c7e-8e61-4f51-9a0e-6a4b1e2f3c4d",
            "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system",
                       "system:authenticated"],
        },
        "object": pod,
        "oldObject": None,
        "dryRun": False,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
    }
    req.update(over)
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}


def rs_pod(annotations=None, **spec_over):
    """A Pod as the ReplicaSet controller creates it (after the ServiceAccount plugin)."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "agent-7d4b9c6f5-",
            "namespace": "agents",
            "labels": {"app": "agent", "pod-template-hash": "7d4b9c6f5"},
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "agent-7d4b9c6f5",
                "uid": "b1e0f6a2-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
                "controller": True, "blockOwnerDeletion": True,
            }],
        },
        "spec": {
            "containers": [{
                "name": "agent",
                "image": "registry.example.com/agent:1.4.2",
                "ports": [{"containerPort": 8000, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File",
                "imagePullPolicy": "IfNotPresent",
                "volumeMounts": [{
                    "name": "kube-api-access-x7k2p",
                    "readOnly": True,
                    "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                }],
            }],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "agent",
            "serviceAccount": "agent",
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": [
                {"key": "node.kubernetes.io/not-ready", "operator": "Exists",
                 "effect": "NoExecute", "tolerationSeconds": 300},
            ],
            "priority": 0,
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
            "volumes": [{
                "name": "kube-api-access-x7k2p",
                "projected": {
                    "sources": [
                        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                        {"configMap": {"name": "kube-root-ca.crt",
                                       "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
                            "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
                    ],
                    "defaultMode": 420,
                },
            }],
        },
        "status": {},
    }
    if annotations is not None:
        pod["metadata"]["annotations"] = annotations
    pod["spec"].update(spec_over)
    return pod


def check(cond, msg):
    if not cond:
        print(f"FAILED: {msg}", file=sys.stderr)
        sys.exit(1)


def admit(pod, uid="705ab4f5-6393-11e8-b7cc-42010a800002", **over):
    status, data = post(json.dumps(review_doc(pod, uid, **over)).encode())
    check(status == 200, f"status {status}: {data[:300]!r}")
    doc = json.loads(data)
    check(doc.get("apiVersion") == "admission.k8s.io/v1", f"apiVersion: {doc}")
    check(doc.get("kind") == "AdmissionReview", f"kind: {doc}")
    resp = doc["response"]
    check(resp.get("uid") == uid, f"uid not echoed: {resp}")
    return resp


def patched(pod, resp, name):
    check(resp["allowed"] is True, f"{name}: not allowed: {resp}")
    check(resp.get("patchType") == "JSONPatch", f"{name}: patchType: {resp}")
    ops = json.loads(base64.b64decode(resp["patch"]))
    check(all(o["op"] == "add" for o in ops), f"{name}: ops {ops}")
    out = jsonpatch.JsonPatch(ops).apply(copy.deepcopy(pod))
    try:
        kubernetes_validate.validate(out, K8S, strict=True)
    except Exception as e:  # noqa: BLE001 - any schema failure is the finding
        check(False, f"{name}: the patched pod does not validate: {e}")
    again = admit(out, uid="second-" + name)
    check(again["allowed"] is True and "patch" not in again,
          f"{name}: injected twice: {again}")
    return out


def names(lst):
    return [c["name"] for c in lst or []]


def env(c, key):
    for e in c.get("env", []):
        if e["name"] == key:
            return e.get("value")
    return None


summary = {}


def full():
    check(healthz() == 200, "healthz")
    # 1. The ReplicaSet pod: native sidecar first, env, CA mount, volumes, status annotation.
    pod = rs_pod()
    out = patched(pod, admit(pod), "rs")
    sc = out["spec"]["initContainers"][0]
    check(sc["name"] == "toolwall" and sc["restartPolicy"] == "Always", f"sidecar {sc}")
    check(out["metadata"]["annotations"]["toolwall.io/status"] == "injected", "status")
    agent = out["spec"]["containers"][0]
    check(env(agent, "HTTP_PROXY") == "http://127.0.0.1:15080", f"agent env {agent}")
    check(env(agent, "PAYMENTS_BASE_URL") == "http://127.0.0.1:15080/payments", "agent_env")
    check({"name": "toolwall-ca", "mountPath": "/var/run/toolwall/ca", "readOnly": True}
          in agent["volumeMounts"], f"CA mount {agent['volumeMounts']}")
    check(names(out["spec"]["volumes"])[0] == "kube-api-access-x7k2p", "volume order")
    summary["rs"] = {"init": names(out["spec"]["initContainers"]),
                     "containers": names(out["spec"]["containers"])}

    # 2. dryRun: same answer.
    resp = admit(rs_pod(), dryRun=True)
    check("patch" in resp, f"dryRun: {resp}")

    # 3. Init containers and an existing native sidecar, enforcing mode, annotations.
    pod = rs_pod({"toolwall.io/enforce": "true", "toolwall.io/agent": "spiffe://acme/agent/7",
                  "toolwall.io/tenant": "acme", "toolwall.io/mode": "shadow"},
                 initContainers=[
                     {"name": "migrate", "image": "migrate:1", "command": ["migrate"]},
                     {"name": "log-shipper", "image": "fluent-bit:3", "restartPolicy": "Always"},
                 ])
    out = patched(pod, admit(pod), "init")
    inits = out["spec"]["initContainers"]
    check(names(inits) == ["toolwall-init", "toolwall", "migrate", "log-shipper"],
          f"init order {names(inits)}")
    check(inits[0]["securityContext"]["capabilities"]["add"] == ["NET_ADMIN", "NET_RAW"],
          "init caps")
    check(env(inits[1], "TOOLWALL_AGENT_ID") == "spiffe://acme/agent/7", "agent id")
    check(env(inits[1], "TOOLWALL_MODE") == "shadow", "mode")
    check(env(inits[3], "HTTPS_PROXY") == "http://127.0.0.1:15080", "existing sidecar env")
    summary["init"] = {"init": names(inits)}

    # 4. The container's own proxy variable is kept.
    pod = rs_pod()
    pod["spec"]["containers"][0]["env"] = [{"name": "HTTPS_PROXY", "value": "http://corp:3128"}]
    out = patched(pod, admit(pod), "own-env")
    check(env(out["spec"]["containers"][0], "HTTPS_PROXY") == "http://corp:3128", "own env")

    # 5. Not injected: opted out, already injected, host network (with a warning).
    for name, pod in [
        ("opt-out", rs_pod({"toolwall.io/inject": "false"})),
        ("injected", rs_pod({"toolwall.io/status": "injected"})),
        ("host-network", rs_pod(hostNetwork=True)),
    ]:
        resp = admit(pod)
        check(resp["allowed"] is True and "patch" not in resp and "patchType" not in resp,
              f"{name}: {resp}")
        summary[name] = {"allowed": True, "warnings": resp.get("warnings", [])}
    check(any("hostNetwork" in w for w in summary["host-network"]["warnings"]),
          f"no hostNetwork warning: {summary['host-network']}")

    # 6. Refused with an admission error (uid echoed): bad annotation, wrong kinds, junk pod.
    bad_cases = [
        ("bad-annotation", rs_pod({"toolwall.io/inject": "yes"}), {}),
        ("deployment", {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {}, "spec": {}},
         {"kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
          "resource": {"group": "apps", "version": "v1", "resource": "deployments"}}),
        ("object-kind", dict(rs_pod(), kind="Secret"), {}),
        ("containers-not-list", rs_pod(containers={"name": "x"}), {}),
        ("subresource", rs_pod(), {"subResource": "ephemeralcontainers"}),
    ]
    for name, pod, over in bad_cases:
        resp = admit(pod, uid="bad-" + name, **over)
        check(resp["allowed"] is False and "patch" not in resp, f"{name}: {resp}")
        check(isinstance(resp.get("status", {}).get("message"), str), f"{name}: no message")
        summary[name] = {"allowed": False, "code": resp["status"].get("code")}
    resp = admit("not a pod", uid="bad-string")
    check(resp["allowed"] is False, f"string object: {resp}")

    # 7. Hostile bodies: HTTP 400/413, never a crash.
    deep = b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"d","object":' \
        + b"[" * 100000 + b"]" * 100000 + b"}}"
    hostile = {
        "garbage": b"\x00\xff garbage {",
        "empty": b"",
        "array": b"[]",
        "v1beta1": json.dumps(dict(review_doc(rs_pod()), apiVersion="admission.k8s.io/v1beta1")).encode(),
        "no-uid": json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                              "request": {"object": rs_pod()}}).encode(),
        "uid-number": json.dumps(review_doc(rs_pod(), uid=7)).encode(),
        "duplicate-key": b'{"apiVersion":"admission.k8s.io/v1","apiVersion":"x","kind":"AdmissionReview"}',
        "deep": deep,
        "huge": b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"h","x":"'
                + b"a" * (6 << 20) + b'"}}',
    }
    for name, body in hostile.items():
        status, data = post(body)
        check(status in (400, 413), f"{name}: status {status} {data[:200]!r}")
        summary["hostile-" + name] = status
    # Still answering.
    resp = admit(rs_pod(), uid="after-hostile")
    check("patch" in resp, f"after hostile: {resp}")
    summary["after-hostile"] = "patched"


def smoke():
    # With --self-signed, /healthz turns 200 once the injector has read the PATCH's answer.
    for _ in range(100):
        if healthz() == 200:
            break
        time.sleep(0.1)
    check(healthz() == 200, "healthz")
    pod = rs_pod()
    patched(pod, admit(pod), "smoke")
    summary["smoke"] = "patched"


full() if MODE == "full" else smoke()
print(json.dumps(summary, sort_keys=True))
