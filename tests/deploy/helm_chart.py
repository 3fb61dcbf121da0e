"""Lint and render the Helm chart helm/toolwall with Helm's own engine (helm-python-sdk, which
embeds Helm's Go library), validate every rendered manifest, check what the chart promises, and
run `toolwall check` on the sidecar config it renders.

Usage: helm_chart.py REPO_ROOT WORK_DIR   (env TOOLWALL_BIN: the toolwall binary)

Built-in kinds are validated strictly against the Kubernetes 1.33 OpenAPI schemas
(kubernetes-validate). kubernetes-validate has no schemas for custom resources, so the
ServiceMonitor, PrometheusRule and cert-manager Issuer/Certificate are checked structurally by
the functions below (the fields the operators read, their types and allowed values). Prints one
JSON line of results; exits non-zero with a message on the first failure.
"""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import yaml

KUBE_VERSION = "1.33.0"
RELEASE = "tw"
NAMESPACE = "toolwall-system"
# toolwall.yaml keys of the deployment contract that the lead adds to the config loader in
# parallel; while this build does not know one, `toolwall check` runs without it (reported).
PENDING_CONTRACT_KEYS = {"reload", "mode_env", "agent_env", "tenant_env", "egress"}
CRD_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("cert-manager.io/v1", "Issuer"),
    ("cert-manager.io/v1", "Certificate"),
}

ROOT = Path(sys.argv[1]).resolve()
WORK = Path(sys.argv[2]).resolve()
CHART_DIR = ROOT / "helm" / "toolwall"
TOOLWALL = os.environ["TOOLWALL_BIN"]
results = {"cases": [], "refused": [], "pending_contract_keys": [], "injector_gaps": []}


class Failure(Exception):
    pass


def need(cond, msg):
    if not cond:
        raise Failure(msg)


# ---------------------------------------------------------------- YAML without duplicate keys


class StrictLoader(yaml.SafeLoader):
    pass


def _no_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise Failure(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def load_all(text, where):
    try:
        return [d for d in yaml.load_all(text, Loader=StrictLoader) if d is not None]
    except (yaml.YAMLError, Failure) as e:
        raise Failure(f"{where}: not valid YAML: {e}\n{text}")


# ---------------------------------------------------------------- render, lint, validate


helm.disable_logging()  # `fail` during lint logs at INFO; the refusals are asserted below
CHART = helm.Chart.load(str(CHART_DIR))


def lint(values):
    report = helm.lint(str(CHART_DIR), values, strict=True, namespace=NAMESPACE,
                       kube_version="v" + KUBE_VERSION)
    bad = [m for m in report["messages"] if m["severity"] >= 2] + report["errors"]
    return bad


def render(values):
    out = CHART.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    docs = []
    for path, text in sorted(out.items()):
        if path.endswith("NOTES.txt"):
            continue
        docs.extend(load_all(text, path))
    return docs, out


DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
GO_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$")
PROM_DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")


def str_map(v, where):
    need(isinstance(v, dict) and all(isinstance(k, str) and isinstance(x, str) for k, x in v.items()),
         f"{where}: must map strings to strings, got {v!r}")


def only_keys(obj, allowed, where):
    extra = set(obj) - set(allowed)
    need(not extra, f"{where}: unknown fields {sorted(extra)}")


def label_selector_ok(sel, where):
    need(isinstance(sel, dict), f"{where}: a label selector is an object")
    only_keys(sel, {"matchLabels", "matchExpressions"}, where)
    if "matchLabels" in sel:
        str_map(sel["matchLabels"], where + ".matchLabels")
    for i, e in enumerate(sel.get("matchExpressions", [])):
        need(e.get("operator") in {"In", "NotIn", "Exists", "DoesNotExist"}, f"{where}[{i}] operator")
        need(isinstance(e.get("key"), str) and e["key"], f"{where}[{i}] key")


def check_service_monitor(doc):
    spec = doc["spec"]
    only_keys(spec, {"selector", "namespaceSelector", "endpoints", "jobLabel", "targetLabels",
                     "podTargetLabels", "sampleLimit"}, "ServiceMonitor.spec")
    label_selector_ok(spec["selector"], "ServiceMonitor.spec.selector")
    ns = spec.get("namespaceSelector", {})
    only_keys(ns, {"any", "matchNames"}, "ServiceMonitor.spec.namespaceSelector")
    need(ns.get("any") is True or (isinstance(ns.get("matchNames"), list) and ns["matchNames"]),
         "ServiceMonitor.spec.namespaceSelector: any: true or matchNames")
    need(isinstance(spec["endpoints"], list) and spec["endpoints"], "ServiceMonitor: endpoints")
    for ep in spec["endpoints"]:
        only_keys(ep, {"port", "path", "scheme", "interval", "scrapeTimeout", "relabelings",
                       "metricRelabelings", "honorLabels"}, "ServiceMonitor endpoint")
        need(isinstance(ep.get("port"), str) and ep["port"], "ServiceMonitor endpoint: a port name")
        need(ep.get("path", "/metrics").startswith("/"), "ServiceMonitor endpoint: path")
        need(ep.get("scheme", "http") in {"http", "https"}, "ServiceMonitor endpoint: scheme")
        need(PROM_DURATION.match(str(ep.get("interval", "30s"))), "ServiceMonitor endpoint: interval")


def exported_metrics():
    """The metric names src/metrics.rs registers (prefix toolwall_, counters end in _total)."""
    src = (ROOT / "src" / "metrics.rs").read_text()
    types = dict(re.findall(r"pub (\w+): (?:Family<\w+, )?(Counter|Gauge|Histogram)", src))
    names = set()
    for name, var in re.findall(r'register\(\s*"(\w+)",\s*"[^"]*",\s*(\w+)\.clone\(\)', src):
        kind = types.get(var)
        need(kind, f"metrics.rs: cannot tell the type of {var}")
        base = "toolwall_" + name
        if kind == "Counter":
            names.add(base + "_total")
        elif kind == "Histogram":
            names.update({base + "_bucket", base + "_sum", base + "_count"})
        else:
            names.add(base)
    # metrics a Collector computes at each scrape (`encode_descriptor("name", …)`)
    for block in re.split(r"\nimpl Collector for ", src)[1:]:
        block = block.split("\n}\n")[0]
        for name in re.findall(r'encode_descriptor\(\s*"(\w+)"', block):
            suffix = "_total" if "ConstCounter" in block else ""
            names.add("toolwall_" + name + suffix)
    need(len(names) >= 10, f"metrics.rs: only {sorted(names)} found")
    return names


# promtool unit tests of the rendered alerts: synthetic series in, the alerts that must fire out
ALERT_TESTS = """
rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'toolwall_audit_seconds_since_checkpoint{namespace="a", pod="p"}'
        values: '700+60x20'
      - series: 'toolwall_audit_unsealed_records{namespace="a", pod="p"}'
        values: '5x20'
      - series: 'toolwall_audit_seconds_since_checkpoint{namespace="a", pod="sealed"}'
        values: '700+60x20'
      - series: 'toolwall_audit_unsealed_records{namespace="a", pod="sealed"}'
        values: '0x20'
      - series: 'toolwall_refusals_total{namespace="a", pod="p", reason="budget_exceeded"}'
        values: '0 0 0 1 2 3'
    alert_rule_test:
      - eval_time: 10m
        alertname: ToolwallAuditCheckpointStale
        exp_alerts:
          - exp_labels: {severity: warning, namespace: a, pod: p}
            exp_annotations:
              summary: "toolwall in a/p has 1300s of unsealed audit records"
              description: "Records written since the last signed checkpoint are not sealed yet: the audit writer may be stuck, or audit.checkpoint.every is longer than meant. `toolwall audit verify` reports them as unsealed."
      - eval_time: 5m
        alertname: ToolwallBudgetExhausted
        exp_alerts:
          - exp_labels: {severity: warning, namespace: a, pod: p}
            exp_annotations:
              summary: "toolwall in a/p refuses calls over budget"
              description: "A spend budget (run or tenant-day) is used up: calls to priced tools are refused budget_exceeded. `toolwall audit report --by tenant` shows where the money went."
  - interval: 10m
    input_series:
      # a day at 1 refusal per 10 minutes, then 60 in the last 10 minutes
      - series: 'toolwall_refusals_total{namespace="a", pod="p", reason="policy_denied"}'
        values: '0+1x144 205'
    alert_rule_test:
      - eval_time: 1450m
        alertname: ToolwallDenySpike
        exp_alerts:
          - exp_labels: {severity: warning, namespace: a, pod: p}
            exp_annotations:
              summary: "toolwall in a/p refuses far more calls than usual"
              description: "Refusals in the last 10 minutes are over 5× the pod's daily rate: an agent probing its limits, a prompt injection, or a policy or adapter change refusing legitimate calls. toolwall_refusals_total by reason says which."
      - eval_time: 1440m
        alertname: ToolwallDenySpike
        exp_alerts: []
"""


def promtool_rules(doc):
    """`promtool check rules` and `promtool test rules` on the rendered PrometheusRule."""
    promtool = shutil.which("promtool")
    need(promtool, "promtool is not installed (.ci/run installs Debian's prometheus package)")
    d = WORK / "promtool"
    d.mkdir(exist_ok=True)
    (d / "rules.yaml").write_text(yaml.safe_dump(doc["spec"], sort_keys=False))
    (d / "tests.yaml").write_text(ALERT_TESTS)
    for args in (["check", "rules", "rules.yaml"], ["test", "rules", "tests.yaml"]):
        r = subprocess.run([promtool, *args], cwd=d, capture_output=True, text=True)
        need(r.returncode == 0, f"promtool {' '.join(args)}:\n{r.stdout}\n{r.stderr}")


def check_dashboard(doc, metrics):
    """The Grafana dashboard's ConfigMap: JSON, and every expression names exported metrics."""
    dash = json.loads(doc["data"]["toolwall.json"])
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    need(len(exprs) >= 10, f"dashboard: {len(exprs)} queries")
    for e in exprs:
        used = set(re.findall(r"\btoolwall_\w+", e))
        need(used, f"dashboard query names no toolwall metric: {e}")
        need(used <= metrics, f"dashboard: {sorted(used - metrics)} are not exported by src/metrics.rs")
    return len(exprs)


def check_prometheus_rule(doc, metrics):
    spec = doc["spec"]
    only_keys(spec, {"groups"}, "PrometheusRule.spec")
    alerts = []
    for g in spec["groups"]:
        only_keys(g, {"name", "interval", "rules"}, "PrometheusRule group")
        need(isinstance(g.get("name"), str) and g["name"], "PrometheusRule group: name")
        for r in g["rules"]:
            only_keys(r, {"alert", "record", "expr", "for", "labels", "annotations"}, "rule")
            need(("alert" in r) != ("record" in r), f"rule {r}: exactly one of alert, record")
            expr = r.get("expr")
            need(isinstance(expr, str) and expr.strip(), f"rule {r.get('alert')}: expr")
            need(expr.count("(") == expr.count(")") and expr.count("[") == expr.count("]")
                 and expr.count("{") == expr.count("}"), f"rule {r.get('alert')}: unbalanced {expr}")
            used = set(re.findall(r"\btoolwall_\w+", expr))
            need(used, f"rule {r.get('alert')}: names no toolwall metric")
            need(used <= metrics, f"rule {r.get('alert')}: {sorted(used - metrics)} are not exported "
                                  f"by src/metrics.rs")
            if "for" in r:
                need(PROM_DURATION.match(r["for"]), f"rule {r['alert']}: for {r['for']}")
            str_map(r.get("labels", {}), f"rule {r.get('alert')}.labels")
            str_map(r.get("annotations", {}), f"rule {r.get('alert')}.annotations")
            alerts.append(r.get("alert"))
    return alerts


def check_cert_manager(doc):
    spec = doc["spec"]
    if doc["kind"] == "Issuer":
        only_keys(spec, {"selfSigned", "ca", "acme", "vault", "venafi"}, "Issuer.spec")
        need(len(spec) == 1, "Issuer: exactly one issuer type")
        if "ca" in spec:
            only_keys(spec["ca"], {"secretName", "crlDistributionPoints"}, "Issuer.spec.ca")
            need(DNS1123.match(spec["ca"].get("secretName", "")), "Issuer.spec.ca.secretName")
        return
    only_keys(spec, {"secretName", "commonName", "dnsNames", "isCA", "duration", "renewBefore",
                     "privateKey", "usages", "issuerRef", "secretTemplate"}, "Certificate.spec")
    need(DNS1123.match(spec.get("secretName", "")), "Certificate.spec.secretName")
    need(spec.get("dnsNames") or spec.get("commonName"), "Certificate: dnsNames or commonName")
    for k in ("duration", "renewBefore"):
        if k in spec:
            need(GO_DURATION.match(str(spec[k])), f"Certificate.spec.{k}: {spec[k]}")
    need(isinstance(spec.get("isCA", False), bool), "Certificate.spec.isCA")
    pk = spec.get("privateKey", {})
    only_keys(pk, {"algorithm", "size", "rotationPolicy", "encoding"}, "Certificate.spec.privateKey")
    need(pk.get("algorithm", "RSA") in {"RSA", "ECDSA", "Ed25519"}, "privateKey.algorithm")
    need(pk.get("rotationPolicy", "Never") in {"Never", "Always"}, "privateKey.rotationPolicy")
    for u in spec.get("usages", []):
        need(u in {"server auth", "client auth", "digital signature", "key encipherment",
                   "cert sign", "crl sign"}, f"Certificate usage {u}")
    ref = spec["issuerRef"]
    only_keys(ref, {"name", "kind", "group"}, "Certificate.spec.issuerRef")
    need(ref.get("name") and ref.get("kind", "Issuer") in {"Issuer", "ClusterIssuer"}, "issuerRef")


def validate_all(docs, metrics):
    """Every manifest: metadata sane; built-in kinds against the 1.33 schemas (strict)."""
    for d in docs:
        kind, api = d.get("kind"), d.get("apiVersion")
        meta = d.get("metadata", {})
        where = f"{kind}/{meta.get('name')}"
        need(DNS1123.match(meta.get("name", "")) and len(meta["name"]) <= 253, f"{where}: name")
        for k in ("labels", "annotations"):
            if k in meta:
                str_map(meta[k], f"{where}.metadata.{k}")
        for k, v in meta.get("labels", {}).items():
            need(len(v) <= 63 and re.match(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$", v),
                 f"{where}: label {k}={v!r} is not a valid label value")
        if (api, kind) in CRD_KINDS:
            only_keys(d, {"apiVersion", "kind", "metadata", "spec"}, where)
            need(meta.get("namespace"), f"{where}: namespaced")
            if kind == "ServiceMonitor":
                check_service_monitor(d)
            elif kind == "PrometheusRule":
                check_prometheus_rule(d, metrics)
            else:
                check_cert_manager(d)
            continue
        try:
            kubernetes_validate.validate(d, KUBE_VERSION, strict=True)
        except kubernetes_validate.utils.ValidationError as e:
            raise Failure(f"{where}: invalid against Kubernetes {KUBE_VERSION}: {e.message} at "
                          f"{'/'.join(map(str, e.absolute_path))}")
        except kubernetes_validate.utils.SchemaNotFoundError as e:
            raise Failure(f"{where}: no Kubernetes {KUBE_VERSION} schema: {e.message}")


# ---------------------------------------------------------------- selectors


def selector_matches(sel, labels):
    """A Kubernetes LabelSelector evaluated as the API server does."""
    for k, v in (sel or {}).get("matchLabels", {}).items():
        if labels.get(k) != v:
            return False
    for e in (sel or {}).get("matchExpressions", []):
        k, op, vals = e["key"], e["operator"], e.get("values", [])
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def webhooks_for(mwc, ns_labels, pod_labels):
    return [w["name"] for w in mwc["webhooks"]
            if selector_matches(w.get("namespaceSelector"), ns_labels)
            and selector_matches(w.get("objectSelector"), pod_labels)]


def ns(name, **labels):
    return {"kubernetes.io/metadata.name": name, **labels}


# ---------------------------------------------------------------- helpers on a render


def one(docs, kind, name=None, namespace=None):
    found = [d for d in docs if d["kind"] == kind
             and (name is None or d["metadata"]["name"] == name)
             and (namespace is None or d["metadata"].get("namespace") == namespace)]
    need(len(found) == 1, f"expected one {kind} {name or ''} in {namespace or 'any namespace'}, "
                          f"found {len(found)}")
    return found[0]


def all_of(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def parse_args(args):
    """The injector's argv after the image's entrypoint: global flags, `inject serve`, flags."""
    glob, i = {}, 0
    while i < len(args) and args[i].startswith("--"):
        glob[args[i]] = args[i + 1]
        i += 2
    need(args[i:i + 2] == ["inject", "serve"], f"injector args: `inject serve` expected: {args}")
    flags, rest = {}, args[i + 2:]
    j = 0
    while j < len(rest):
        need(rest[j].startswith("--"), f"injector args: stray {rest[j]!r}")
        if rest[j] == "--self-signed":
            flags[rest[j]] = True
            j += 1
        else:
            need(j + 1 < len(rest) and not rest[j + 1].startswith("--"), f"{rest[j]} needs a value")
            need(rest[j] not in flags, f"{rest[j]} given twice")
            flags[rest[j]] = rest[j + 1]
            j += 2
    return glob, flags


INJECTOR_SHAPE = {
    "sidecar": {"image", "image_pull_policy", "uid", "ports", "resources", "native"},
    "config": {"config_map", "policies_config_map", "adapters_config_map", "schemas_config_map",
               "keys_secret", "audit_volume"},
    "identity": {"trust_domain", "tenant"},
    "agent_env": None,
    "enforce": {"default", "exclude_outbound_ports", "exclude_outbound_cidrs", "init_image"},
    "inject": {"default"},
}


def check_injector(docs, tls_mode, values):
    """The Deployment, its Service, PDB, ServiceAccount and injector.yaml (the contract)."""
    dep = one(docs, "Deployment", f"{RELEASE}-toolwall-injector", NAMESPACE)
    pod = dep["spec"]["template"]
    labels = pod["metadata"]["labels"]
    need(dep["spec"]["replicas"] == values.get("injector", {}).get("replicas", 2), "replicas")
    need(selector_matches(dep["spec"]["selector"], labels), "Deployment selector vs pod labels")
    spec = pod["spec"]
    psc = spec["securityContext"]
    need(psc["runAsNonRoot"] is True and psc["runAsUser"] == 65532
         and psc["seccompProfile"] == {"type": "RuntimeDefault"}, f"pod securityContext {psc}")
    terms = spec["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]
    need(any(t["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
             and selector_matches(t["podAffinityTerm"]["labelSelector"], labels) for t in terms),
         "preferred anti-affinity across nodes against the injector's own pods")
    need(len(spec["containers"]) == 1 and not spec.get("initContainers"), "one container")
    c = spec["containers"][0]
    sc = c["securityContext"]
    need(sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
         and sc["runAsNonRoot"] is True and sc["capabilities"] == {"drop": ["ALL"]}
         and sc["seccompProfile"] == {"type": "RuntimeDefault"}
         and sc.get("runAsUser", 65532) == 65532 and not sc.get("privileged"),
         f"container securityContext {sc}")
    port = {p["name"]: p["containerPort"] for p in c["ports"]}
    need(port == {"webhook": 8443}, f"container ports {port}")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        g = c[probe]["httpGet"]
        need(g["path"] == "/healthz" and g["port"] in ("webhook", 8443) and g["scheme"] == "HTTPS",
             f"{probe} {g}")
    svc = one(docs, "Service", f"{RELEASE}-toolwall-injector", NAMESPACE)
    need(selector_matches({"matchLabels": svc["spec"]["selector"]}, labels), "Service selects pods")
    sp = svc["spec"]["ports"]
    need(len(sp) == 1 and sp[0]["port"] == 443 and sp[0]["targetPort"] in ("webhook", 8443),
         f"Service ports {sp}")
    pdb = one(docs, "PodDisruptionBudget", f"{RELEASE}-toolwall-injector", NAMESPACE)
    need(pdb["spec"]["minAvailable"] == 1 and selector_matches(pdb["spec"]["selector"], labels),
         "PDB minAvailable 1 over the injector pods")
    sa = one(docs, "ServiceAccount", spec["serviceAccountName"], NAMESPACE)
    need(sa["automountServiceAccountToken"] == (tls_mode == "self-managed")
         and spec["automountServiceAccountToken"] == (tls_mode == "self-managed"),
         "the API token is mounted only when the injector patches its webhook (self-managed)")

    glob, flags = parse_args(c.get("command", [])[1:] + c["args"] if c.get("command") else c["args"])
    need(set(glob) <= {"--log-format", "--log-level"}, f"global flags {glob}")
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in spec["volumes"]}
    cfg_path = Path(flags["--config"])
    need(cfg_path.name == "injector.yaml" and str(cfg_path.parent) in mounts,
         f"--config {cfg_path} is not in a mounted directory")
    cm_name = vols[mounts[str(cfg_path.parent)]["name"]]["configMap"]["name"]
    cm = one(docs, "ConfigMap", cm_name, NAMESPACE)
    need(flags["--listen"] == "0.0.0.0:8443", f"--listen {flags['--listen']}")
    mwc = one(docs, "MutatingWebhookConfiguration")
    if tls_mode == "self-managed":
        need(set(flags) == {"--config", "--listen", "--self-signed", "--webhook-config",
                            "--service", "--namespace"}, f"self-managed flags {sorted(flags)}")
        need(flags["--webhook-config"] == mwc["metadata"]["name"], "--webhook-config names the MWC")
        need(flags["--service"] == svc["metadata"]["name"], "--service names the Service")
        need(flags["--namespace"] == NAMESPACE, "--namespace")
        need("/tls" not in mounts, "no TLS Secret in self-managed mode")
    else:
        need(set(flags) == {"--config", "--listen", "--tls-cert", "--tls-key"},
             f"cert-manager flags {sorted(flags)}")
        cert_dir = str(Path(flags["--tls-cert"]).parent)
        need(Path(flags["--tls-cert"]).name == "tls.crt" and Path(flags["--tls-key"]).name == "tls.key"
             and str(Path(flags["--tls-key"]).parent) == cert_dir and cert_dir in mounts,
             "--tls-cert/--tls-key in the mounted Secret")
        secret = vols[mounts[cert_dir]["name"]]["secret"]["secretName"]
        certs = [d for d in all_of(docs, "Certificate") if d["spec"]["secretName"] == secret]
        need(len(certs) == 1, f"no Certificate writes the Secret {secret}")
    inj = yaml.load(cm["data"]["injector.yaml"], Loader=StrictLoader)
    need(set(inj) == set(INJECTOR_SHAPE), f"injector.yaml sections {sorted(inj)}")
    for k, keys in INJECTOR_SHAPE.items():
        if keys is not None:
            need(set(inj[k]) == keys, f"injector.yaml {k}: {sorted(inj[k])} != {sorted(keys)}")
    need(set(inj["sidecar"]["ports"]) == {"listen", "transparent", "admin"}, "sidecar.ports")
    need(inj["sidecar"]["uid"] == 65532, "sidecar.uid")
    need(inj["sidecar"]["image"] == c["image"], "the sidecar runs the injector's image by default")
    return dep, mwc, inj


def check_webhook(docs, mwc, failure_policy, tls_mode):
    svc = one(docs, "Service", f"{RELEASE}-toolwall-injector", NAMESPACE)
    dep = one(docs, "Deployment", f"{RELEASE}-toolwall-injector", NAMESPACE)
    injector_labels = dep["spec"]["template"]["metadata"]["labels"]
    need(len(mwc["webhooks"]) == 2, "two webhooks (labelled namespaces, opted-in pods)")
    for w in mwc["webhooks"]:
        need(w["sideEffects"] == "None", f"{w['name']}: sideEffects")
        need(w["admissionReviewVersions"] == ["v1"], f"{w['name']}: admissionReviewVersions")
        need(w["failurePolicy"] == failure_policy, f"{w['name']}: failurePolicy {w['failurePolicy']}")
        need(w["reinvocationPolicy"] == "IfNeeded" and 1 <= w["timeoutSeconds"] <= 30,
             f"{w['name']}: reinvocation/timeout")
        need(w["rules"] == [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                             "resources": ["pods"], "scope": "Namespaced"}], f"{w['name']}: rules")
        s = w["clientConfig"]["service"]
        need(s == {"name": svc["metadata"]["name"], "namespace": NAMESPACE, "path": "/inject",
                   "port": 443}, f"{w['name']}: clientConfig {s}")
        need("caBundle" not in w["clientConfig"] and "url" not in w["clientConfig"],
             "caBundle is left to the injector / cert-manager (an upgrade must not blank it)")
    first = mwc["webhooks"][0]
    need(first["namespaceSelector"] == {"matchLabels": {"toolwall-injection": "enabled"}},
         "namespace selector toolwall-injection=enabled")
    enabled = ns("agents", **{"toolwall-injection": "enabled"})
    plain = ns("other")
    agent = {"app": "billing-agent"}
    # who is sent to the injector, as the API server would decide
    need(webhooks_for(mwc, enabled, agent) == ["namespace.inject.toolwall.io"], "labelled ns")
    need(webhooks_for(mwc, enabled, {**agent, "toolwall.io/inject": "false"}) == [], "opt-out")
    need(webhooks_for(mwc, enabled, injector_labels) == [], "the injector is never sent to itself")
    # each guard holds alone: its name label, and its toolwall.io/inject: "false" label
    need(injector_labels.get("app.kubernetes.io/name") == "toolwall-injector", "injector name label")
    bare = {k: v for k, v in injector_labels.items() if k != "toolwall.io/inject"}
    need(webhooks_for(mwc, enabled, bare) == [], "the objectSelector skips app.kubernetes.io/name "
                                                 "toolwall-injector")
    need(webhooks_for(mwc, enabled, {**agent, "toolwall.io/inject": "false"}) == [], "opt-out label")
    need(webhooks_for(mwc, ns(NAMESPACE, **{"toolwall-injection": "enabled"}), injector_labels) == [],
         "not even in a labelled release namespace")
    need(webhooks_for(mwc, plain, agent) == [], "unlabelled namespaces are left alone")
    need(webhooks_for(mwc, plain, {**agent, "toolwall.io/inject": "true"}) == ["pod.inject.toolwall.io"],
         "a pod outside labelled namespaces opts in by label, once")
    need(webhooks_for(mwc, enabled, {**agent, "toolwall.io/inject": "true"}) == ["namespace.inject.toolwall.io"],
         "an opted-in pod in a labelled namespace is sent once")
    for system in ("kube-system", "kube-public", "kube-node-lease", NAMESPACE):
        need(webhooks_for(mwc, ns(system), {**agent, "toolwall.io/inject": "true"}) == [],
             f"{system}: never injected by pod opt-in")
    for d in all_of(docs, "Deployment"):
        lab = d["spec"]["template"]["metadata"]["labels"]
        need(webhooks_for(mwc, ns(NAMESPACE, **{"toolwall-injection": "enabled"}), lab) == [],
             f"the chart's own pods ({d['metadata']['name']}) are never injected")
    ann = mwc["metadata"].get("annotations", {})
    if tls_mode == "cert-manager":
        target = ann.get("cert-manager.io/inject-ca-from", "")
        cns, _, cname = target.partition("/")
        need(cns == NAMESPACE, f"inject-ca-from {target}")
        cert = one(docs, "Certificate", cname, NAMESPACE)
        need(f"{svc['metadata']['name']}.{NAMESPACE}.svc" in cert["spec"]["dnsNames"],
             "the serving certificate names the Service's DNS name")
        need("server auth" in cert["spec"]["usages"], "server auth usage")
        # the issuer chain: the serving cert's Issuer is a CA Issuer whose Secret a CA
        # Certificate writes, itself issued by a self-signed Issuer
        ca_issuer = one(docs, "Issuer", cert["spec"]["issuerRef"]["name"], NAMESPACE)
        ca_cert = [c for c in all_of(docs, "Certificate")
                   if c["spec"]["secretName"] == ca_issuer["spec"]["ca"]["secretName"]]
        need(len(ca_cert) == 1 and ca_cert[0]["spec"]["isCA"] is True, "the CA certificate")
        root = one(docs, "Issuer", ca_cert[0]["spec"]["issuerRef"]["name"], NAMESPACE)
        need(root["spec"] == {"selfSigned": {}}, "the root is self-signed")
        need(not all_of(docs, "ClusterRole") and not all_of(docs, "ClusterRoleBinding"),
             "cert-manager mode needs no cluster RBAC")
    else:
        need("cert-manager.io/inject-ca-from" not in ann, "no cert-manager annotation")
        need(not all_of(docs, "Certificate") and not all_of(docs, "Issuer"), "no cert-manager objects")
        check_rbac(docs, mwc, dep)


def check_rbac(docs, mwc, dep):
    roles, bindings = all_of(docs, "ClusterRole"), all_of(docs, "ClusterRoleBinding")
    need(len(roles) == 1 and len(bindings) == 1, "one ClusterRole and its binding")
    need(not all_of(docs, "Role") and not all_of(docs, "RoleBinding"), "no namespaced RBAC")
    rules = roles[0]["rules"]
    need(rules == [{"apiGroups": ["admissionregistration.k8s.io"],
                    "resources": ["mutatingwebhookconfigurations"],
                    "resourceNames": [mwc["metadata"]["name"]],
                    "verbs": ["get", "patch"]}],
         f"the ClusterRole may get/patch the one webhook configuration only: {rules}")
    b = bindings[0]
    need(b["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                          "name": roles[0]["metadata"]["name"]}, "roleRef")
    need(b["subjects"] == [{"kind": "ServiceAccount", "namespace": NAMESPACE,
                            "name": dep["spec"]["template"]["spec"]["serviceAccountName"]}],
         f"bound to the injector's ServiceAccount only: {b['subjects']}")


# ---------------------------------------------------------------- the sidecar's files


def sidecar_files(docs, inj, namespace):
    cm = {d["metadata"]["name"]: d for d in all_of(docs, "ConfigMap")
          if d["metadata"]["namespace"] == namespace}
    c = inj["config"]
    out = {}
    for key, sub in (("config_map", "config"), ("policies_config_map", "policies"),
                     ("adapters_config_map", "adapters"), ("schemas_config_map", "schemas")):
        need(c[key] in cm, f"{namespace}: the ConfigMap {c[key]} the injector mounts is not rendered")
        out[sub] = cm[c[key]].get("data") or {}
    need(list(out["config"]) == ["toolwall.yaml"], "the config ConfigMap holds toolwall.yaml")
    return out


def run_check(files, keys_dir, label):
    """Write the ConfigMaps in the contract's layout and run `toolwall check` on them."""
    etc = WORK / label / "etc" / "toolwall"
    for sub, data in files.items():
        d = etc / sub
        d.mkdir(parents=True, exist_ok=True)
        for name, content in data.items():
            need("/" not in name and name not in (".", ".."), f"file name {name}")
            (d / name).write_text(content)
    keys = etc / "keys"
    keys.mkdir(exist_ok=True)
    for name in ("audit.key", "hmac.key", "admin.token"):
        (keys / name).write_bytes((keys_dir / name).read_bytes())
        os.chmod(keys / name, 0o600)
    cfg_file = etc / "config" / "toolwall.yaml"
    cfg = yaml.load(cfg_file.read_text(), Loader=StrictLoader)
    env = {**os.environ, "TOOLWALL_ADMIN_TOKEN": (keys / "admin.token").read_text().strip(),
           "TOOLWALL_AGENT_ID": "spiffe://cluster.local/ns/agents/sa/billing", "TOOLWALL_TENANT": "acme"}
    stripped = []
    for _ in range(len(PENDING_CONTRACT_KEYS) + 1):
        p = subprocess.run([TOOLWALL, "check", "-c", str(cfg_file)], capture_output=True,
                           text=True, env=env, timeout=60)
        if p.returncode == 0:
            break
        unknown = re.findall(r"unknown field `(\w+)`", p.stdout + p.stderr)
        pending = [u for u in unknown if u in PENDING_CONTRACT_KEYS]
        need(pending, f"{label}: toolwall check refused the chart's config:\n{p.stdout}{p.stderr}")
        for key in pending:  # this build predates the key: check the rest without it
            if key in cfg:
                del cfg[key]
            elif key in cfg.get("identity", {}).get("static", {}):
                del cfg["identity"]["static"][key]
            stripped.append(key)
        cfg_file.write_text(yaml.safe_dump(cfg))
    need(p.returncode == 0, f"{label}: toolwall check:\n{p.stdout}{p.stderr}")
    need(" ok " in p.stdout + p.stderr and "1 adapter(s)" in p.stdout + p.stderr,
         f"{label}: toolwall check output {p.stdout}{p.stderr}")
    need("warning" not in p.stdout + p.stderr, f"{label}: warnings {p.stdout}{p.stderr}")
    for k in stripped:
        if k not in results["pending_contract_keys"]:
            results["pending_contract_keys"].append(k)
    return cfg


SAMPLE_WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: billing-agent, namespace: NS}
spec:
  selector: {matchLabels: {app: billing-agent}}
  template:
    metadata: {labels: {app: billing-agent}}
    spec:
      serviceAccountName: billing
      containers: [{name: agent, image: registry.example.com/billing-agent:1.4}]
"""


def inject_offline(docs, inj, cfg, namespace, label):
    """The chart's injector.yaml through the real injector (`toolwall inject FILE`, offline):
    the injected workload is valid, mounts exactly what the chart renders in its namespace,
    and gives the sidecar every path and variable the chart's toolwall.yaml names."""
    d = WORK / label
    d.mkdir(parents=True, exist_ok=True)
    (d / "injector.yaml").write_text(yaml.safe_dump(inj))
    (d / "workload.yaml").write_text(SAMPLE_WORKLOAD.replace("NS", namespace))
    p = subprocess.run([TOOLWALL, "inject", str(d / "workload.yaml"), "--config", str(d / "injector.yaml")],
                       capture_output=True, text=True, timeout=60)
    need(p.returncode == 0, f"{label}: toolwall inject refused the chart's injector.yaml:\n{p.stderr}")
    out = load_all(p.stdout, f"{label}: toolwall inject output")
    need(len(out) == 1, f"{label}: one workload back")
    validate_all(out, METRICS)
    spec = out[0]["spec"]["template"]["spec"]
    sidecars = [c for c in spec.get("initContainers", []) + spec["containers"] if c["name"] == "toolwall"]
    need(len(sidecars) == 1, f"{label}: one toolwall sidecar")
    sc = sidecars[0]
    need(sc["image"] == inj["sidecar"]["image"], f"{label}: sidecar image")
    rendered = {(x["kind"], x["metadata"]["name"]) for x in docs
                if x["metadata"].get("namespace") == namespace}
    keys_secret = inj["config"]["keys_secret"]
    vols = {v["name"]: v for v in spec["volumes"]}
    for v in vols.values():
        if "configMap" in v:
            need(("ConfigMap", v["configMap"]["name"]) in rendered or v["configMap"].get("optional"),
                 f"{label}: the pod mounts ConfigMap {v['configMap']['name']}, not rendered in {namespace}")
        if "secret" in v:
            need(v["secret"]["secretName"] == keys_secret, f"{label}: secret {v['secret']}")
    mounts = {m["mountPath"]: m for m in sc["volumeMounts"]}
    need(vols[mounts["/etc/toolwall/config"]["name"]]["configMap"]["name"] == inj["config"]["config_map"]
         and sc["args"][-1] == "/etc/toolwall/config/toolwall.yaml", f"{label}: config mount and args")
    base = Path("/etc/toolwall/config")

    def mounted(path, writable):
        path = Path(os.path.normpath(base / path))
        hit = [m for m in mounts if path == Path(m) or Path(m) in path.parents]
        need(hit, f"{label}: {path} (from toolwall.yaml) is on no volume of the sidecar")
        if writable:
            need(not mounts[max(hit, key=len)].get("readOnly"), f"{label}: {path} must be writable")

    mounted(cfg["policies"], False)
    mounted(cfg["adapters"], False)
    mounted(cfg["audit"]["key"], False)
    mounted(cfg["audit"]["hmac_key"], False)
    mounted(cfg["audit"]["dir"], True)
    if cfg["state"]["backend"] == "sqlite":
        mounted(os.path.dirname(cfg["state"]["path"]), True)
    mounted(cfg["egress"]["ca_out"], True)
    env = {e["name"] for e in sc.get("env", [])}
    need(cfg["identity"]["static"]["agent_env"] in env, f"{label}: the sidecar gets no agent id")
    if cfg["admin_token_env"] not in env:
        gap = f"the injected sidecar has no {cfg['admin_token_env']} (admin_token_env)"
        if gap not in results["injector_gaps"]:
            results["injector_gaps"].append(gap)
    agent = [c for c in spec["containers"] if c["name"] == "agent"][0]
    agent_env = {e["name"]: e.get("value") for e in agent.get("env", [])}
    for k, v in inj["agent_env"].items():
        need(agent_env.get(k) == v, f"{label}: agent env {k}")
    need(agent_env.get("HTTPS_PROXY") == f"http://127.0.0.1:{inj['sidecar']['ports']['listen']}"
         and cfg["listen"].endswith(f":{inj['sidecar']['ports']['listen']}"), f"{label}: proxy port")


def contract_config(cfg, label):
    """The sidecar's toolwall.yaml uses the contract's ports and paths."""
    need(cfg["listen"] == "127.0.0.1:15080" and cfg["admin"] == "0.0.0.0:15901",
         f"{label}: listeners {cfg['listen']} {cfg['admin']}")
    need(cfg["policies"] == "../policies" and cfg["adapters"] == "../adapters", "dirs")
    need(cfg["audit"]["dir"] == "/var/lib/toolwall/audit" and cfg["audit"]["key"] == "../keys/audit.key"
         and cfg["audit"]["hmac_key"] == "../keys/hmac.key", f"audit {cfg['audit']}")
    need(cfg["admin_token_env"] == "TOOLWALL_ADMIN_TOKEN", "a non-loopback admin needs the token env")
    need(cfg["identity"]["static"]["agent_env"] == "TOOLWALL_AGENT_ID"
         and cfg["identity"]["static"]["tenant_env"] == "TOOLWALL_TENANT", "identity env")
    need(cfg["mode_env"] == "TOOLWALL_MODE", "mode_env")
    need(cfg["reload"] == {"watch": True, "interval": "2s"}, f"reload {cfg['reload']}")
    need(cfg["egress"]["transparent_listen"] == "127.0.0.1:15081"
         and cfg["egress"]["ca_out"] == "/var/run/toolwall/ca", f"egress {cfg['egress']}")


# ---------------------------------------------------------------- the cases


def keygen():
    d = WORK / "keys"
    if not (d / "audit.key").exists():
        subprocess.run([TOOLWALL, "keygen", "--out", str(d)], check=True, capture_output=True)
        (d / "admin.token").write_text(base64.b16encode(os.urandom(32)).decode().lower())
    return d


def sync_with_repository():
    """The chart's example files are the repository's, with only the documented rewrites."""
    f = CHART_DIR / "files"
    need((f / "policies" / "toolwall.rego").read_text() == (ROOT / "policies" / "toolwall.rego").read_text(),
         "files/policies/toolwall.rego differs from policies/toolwall.rego")
    need((f / "schemas" / "payments.create_refund.json").read_text()
         == (ROOT / "adapters" / "schemas" / "payments.create_refund.json").read_text(),
         "files/schemas/payments.create_refund.json differs from the repository's")
    ours = (f / "adapters" / "payments.yaml").read_text().splitlines()
    theirs = (ROOT / "adapters" / "payments.yaml").read_text().splitlines()
    need(len(ours) == len(theirs), "files/adapters/payments.yaml: lines added or removed")
    diff = [(a, b) for a, b in zip(theirs, ours) if a != b]
    for a, b in diff:
        ok = (a.replace("schema: schemas/", "schema: ../schemas/") == b
              or (a.startswith("upstream:") and b == "upstream: https://api.stripe.com")
              or (a.startswith("# The demo payments API") and b.startswith("# The payments API")))
        need(ok, f"files/adapters/payments.yaml: unexpected change {a!r} -> {b!r}")


def case(label, values, tls_mode="self-managed", failure_policy="Fail"):
    bad = lint(values)
    need(not bad, f"{label}: helm lint --strict: {bad}")
    docs, raw = render(values)
    validate_all(docs, METRICS)
    dep, mwc, inj = check_injector(docs, tls_mode, values)
    check_webhook(docs, mwc, failure_policy, tls_mode)
    namespaces = values.get("sidecarConfig", {}).get("namespaces") or [NAMESPACE]
    cfgs = {}
    for n in namespaces:
        files = sidecar_files(docs, inj, n)
        cfg = yaml.load(files["config"]["toolwall.yaml"], Loader=StrictLoader)
        contract_config(cfg, label)
        cfgs[n] = (files, cfg)
    first_files, first_cfg = cfgs[namespaces[0]]
    checked = run_check(first_files, keygen(), label)
    inject_offline(docs, inj, first_cfg, namespaces[0], label + "-inject")
    results["cases"].append({"case": label, "manifests": len(docs),
                             "kinds": sorted({d["kind"] for d in docs})})
    return docs, inj, cfgs, checked, raw


def refused(label, values, expect, schema=True):
    """The schema refuses values (lint, validation and render fail), or a template check does
    (render fails; Helm's lint turns `fail` into a log line)."""
    if schema:
        bad = lint(values)
        need(any(expect in str(b) for b in bad), f"{label}: lint did not refuse it ({bad})")
        try:
            CHART.validate_schema(values)
        except helm.HelmValuesError as e:
            need(expect in str(e), f"{label}: schema refused it for another reason: {e}")
        else:
            raise Failure(f"{label}: the schema accepts {values}")
    try:
        CHART.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    except (helm.HelmValuesError, helm.HelmRenderError) as e:
        need(expect in str(e), f"{label}: refused for another reason: {e}")
    else:
        raise Failure(f"{label}: {values} rendered")
    results["refused"].append(label)


METRICS = exported_metrics()


def documented_values():
    """Every value in values.yaml has a `# --` comment (on it or a parent) and a row in
    docs/helm.md."""
    text = (CHART_DIR / "values.yaml").read_text()
    documented, path, pending = set(), [], False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# --"):
            pending = True
            continue
        m = re.match(r"^( *)([A-Za-z0-9_.-]+):", line)
        if not m or stripped.startswith("#"):
            continue
        path = path[:len(m.group(1)) // 2] + [m.group(2)]
        if pending:
            documented.add(".".join(path))
        pending = False

    def leaves(v, prefix):
        if isinstance(v, dict) and v and not any(p in documented for p in prefix_paths(prefix)):
            for k, x in v.items():
                yield from leaves(x, prefix + [k])
        else:
            yield ".".join(prefix)

    def prefix_paths(prefix):
        return [".".join(prefix[:i]) for i in range(1, len(prefix) + 1)]

    values = yaml.safe_load(text)
    for leaf in leaves(values, []):
        need(any(p in documented for p in prefix_paths(leaf.split("."))),
             f"values.yaml: {leaf} has no `# --` comment")
    doc = (ROOT / "docs" / "helm.md").read_text()
    for p in sorted(documented):
        need(f"| `{p}` |" in doc, f"docs/helm.md: no row for the value {p}")
    results["documented_values"] = len(documented)


def main():
    sync_with_repository()
    meta = CHART.metadata
    cargo = (ROOT / "Cargo.toml").read_text()
    app = re.search(r'^version = "([^"]+)"', cargo, re.M).group(1)
    need(meta["apiVersion"] == "v2" and meta["version"] == "0.1.0" and meta["appVersion"] == app,
         f"Chart.yaml {meta}")

    # defaults: self-managed TLS, failurePolicy Fail, keys from an existing Secret
    docs, inj, cfgs, cfg, raw = case("default", {})
    kinds = sorted(d["kind"] for d in docs)
    need(kinds == sorted(["ClusterRole", "ClusterRoleBinding", "ConfigMap", "ConfigMap", "ConfigMap",
                          "ConfigMap", "ConfigMap", "Deployment", "MutatingWebhookConfiguration",
                          "PodDisruptionBudget", "Service", "ServiceAccount"]),
         f"default kinds {kinds}")
    need(inj["config"]["keys_secret"] == "toolwall-keys" and inj["sidecar"]["native"] is True
         and inj["enforce"]["default"] is False, f"injector.yaml defaults {inj}")
    need(inj["config"]["config_map"] == "toolwall-config", "contract ConfigMap names")
    _, c0 = cfgs[NAMESPACE]
    need(c0["state"] == {"backend": "sqlite", "path": "/var/lib/toolwall/state/toolwall.db"}, "sqlite")
    need(c0["identity"]["static"] == {"agent_env": "TOOLWALL_AGENT_ID", "tenant_env": "TOOLWALL_TENANT",
                                      "tenant": "default"},
         f"no fallback agent id by default: {c0['identity']}")
    # a sidecar without TOOLWALL_AGENT_ID is not attributed to a made-up agent: `run` refuses
    # to start (and `check`, which holds no pod environment, says so as a warning)
    cfg_file = WORK / "default" / "etc" / "toolwall" / "config" / "toolwall.yaml"
    env = {k: v for k, v in os.environ.items() if k != "TOOLWALL_AGENT_ID"}
    env["TOOLWALL_ADMIN_TOKEN"] = "x" * 64
    p = subprocess.run([TOOLWALL, "check", "-c", str(cfg_file)], capture_output=True, text=True,
                       env=env, timeout=60)
    need(re.search(r"warning: .*identity\.static.*TOOLWALL_AGENT_ID is not set", p.stdout + p.stderr),
         f"check without TOOLWALL_AGENT_ID: {p.stdout}{p.stderr}")
    need(not [d for d in docs if "redis" in d["metadata"]["name"]], "no Redis by default")
    need(not raw["toolwall/templates/servicemonitor.yaml"].strip()
         and not raw["toolwall/templates/prometheusrule.yaml"].strip()
         and not raw["toolwall/templates/networkpolicy.yaml"].strip(), "optional parts off by default")

    case("failurePolicy Ignore", {"webhook": {"failurePolicy": "Ignore"}}, failure_policy="Ignore")
    case("cert-manager", {"webhook": {"tls": {"mode": "cert-manager"}}}, tls_mode="cert-manager")

    # cert-manager with the user's ClusterIssuer: only the serving Certificate is rendered
    values = {"webhook": {"tls": {"mode": "cert-manager", "certManager": {
        "issuerRef": {"name": "corp-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}}}}}
    need(not lint(values), "lint: cert-manager with a ClusterIssuer")
    docs, _ = render(values)
    validate_all(docs, METRICS)
    need(not all_of(docs, "Issuer") and len(all_of(docs, "Certificate")) == 1, "only the serving cert")
    need(all_of(docs, "Certificate")[0]["spec"]["issuerRef"]["kind"] == "ClusterIssuer", "issuerRef")
    results["cases"].append({"case": "cert-manager with a ClusterIssuer", "manifests": len(docs)})

    # Redis run by the chart: the sidecar config points at its Service, its pods are never injected
    docs, inj, cfgs, cfg, _ = case("redis", {"redis": {"enabled": True}})
    rsvc = one(docs, "Service", f"{RELEASE}-toolwall-redis", NAMESPACE)
    rdep = one(docs, "Deployment", f"{RELEASE}-toolwall-redis", NAMESPACE)
    need(selector_matches({"matchLabels": rsvc["spec"]["selector"]},
                          rdep["spec"]["template"]["metadata"]["labels"]), "Redis Service selects it")
    _, c = cfgs[NAMESPACE]
    need(c["state"]["backend"] == "redis" and c["state"]["url"]
         == f"redis://{RELEASE}-toolwall-redis.{NAMESPACE}.svc:{rsvc['spec']['ports'][0]['port']}/0",
         f"state {c['state']}")
    rc = rdep["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    need(rc["readOnlyRootFilesystem"] and rc["capabilities"] == {"drop": ["ALL"]}, "Redis locked down")

    docs, inj, cfgs, cfg, _ = case("external redis", {"redis": {"url": "redis://redis.shared.svc:6379/2"}})
    need(not [d for d in docs if "redis" in d["metadata"]["name"]], "no Redis objects")
    need(cfgs[NAMESPACE][1]["state"]["url"] == "redis://redis.shared.svc:6379/2", "external url")

    # monitoring: ServiceMonitor and PrometheusRule render only when enabled
    docs, *_ = case("monitoring", {"monitoring": {"serviceMonitor": {"enabled": True},
                                                  "prometheusRule": {"enabled": True},
                                                  "grafanaDashboard": {"enabled": True}}})
    sm = one(docs, "ServiceMonitor")
    need(sm["spec"]["endpoints"][0]["port"] == "toolwall-admin"
         and sm["spec"]["endpoints"][0]["path"] == "/metrics", "scrapes /metrics")
    rule = one(docs, "PrometheusRule")
    alerts = check_prometheus_rule(rule, METRICS)
    need({"ToolwallConfigReloadFailing", "ToolwallAuditWriteErrors", "ToolwallHighRefusalRate",
          "ToolwallAuditCheckpointStale", "ToolwallDenySpike", "ToolwallBudgetExhausted"}
         <= set(alerts), f"alerts {alerts}")
    promtool_rules(rule)
    dash = [d for d in all_of(docs, "ConfigMap") if d["metadata"]["name"].endswith("-dashboard")]
    need(len(dash) == 1, "one dashboard ConfigMap")
    need(dash[0]["metadata"]["labels"].get("grafana_dashboard") == "1", "the sidecar's label")
    results["dashboard_queries"] = check_dashboard(dash[0], METRICS)

    # the enforcing mode's NetworkPolicy, in every listed namespace, with Redis allowed
    extra_rule = {"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}], "ports": [{"port": 443, "protocol": "TCP"}]}
    values = {"networkPolicy": {"enabled": True, "egress": [extra_rule]},
              "sidecarConfig": {"namespaces": ["agents-a", "agents-b"]},
              "sidecar": {"enforce": {"default": True, "excludeOutboundPorts": [5432]}},
              "redis": {"enabled": True}}
    docs, inj, cfgs, cfg, _ = case("enforce", values)
    need(inj["enforce"]["default"] is True and inj["enforce"]["exclude_outbound_ports"] == [5432],
         f"enforce {inj['enforce']}")
    pols = all_of(docs, "NetworkPolicy")
    need(sorted(p["metadata"]["namespace"] for p in pols) == ["agents-a", "agents-b"], "one per ns")
    for p in pols:
        spec = p["spec"]
        need(spec["podSelector"] == {} and spec["policyTypes"] == ["Egress"], "egress policy")
        need(all(r.get("to") for r in spec["egress"]), "no egress rule open to everything")
        dns = spec["egress"][0]
        need(sorted((x["port"], x["protocol"]) for x in dns["ports"]) == [(53, "TCP"), (53, "UDP")],
             "DNS")
        need(spec["egress"][1]["to"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
             == "toolwall-redis", "Redis reachable")
        need(spec["egress"][2] == extra_rule and len(spec["egress"]) == 3, "the listed rule, no more")
    for n in ("agents-a", "agents-b"):
        need(n in cfgs, f"the sidecar ConfigMaps in {n}")
    need(not [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["namespace"] == NAMESPACE
              and d["metadata"]["name"].startswith("toolwall-")], "not in the release namespace")

    # rendered into the release namespace, it never selects the chart's own pods (the injector
    # must reach the API server), and still every agent pod there
    values = {"networkPolicy": {"enabled": True, "podSelector": {"matchLabels": {"tier": "agent"}}},
              "redis": {"enabled": True}}
    need(not lint(values), "lint: NetworkPolicy in the release namespace")
    docs, _ = render(values)
    validate_all(docs, METRICS)
    pol = one(docs, "NetworkPolicy", f"{RELEASE}-toolwall-enforce", NAMESPACE)
    for d in all_of(docs, "Deployment"):
        lab = {**d["spec"]["template"]["metadata"]["labels"], "tier": "agent"}
        need(not selector_matches(pol["spec"]["podSelector"], lab), f"selects {d['metadata']['name']}")
    need(selector_matches(pol["spec"]["podSelector"], {"app": "billing", "tier": "agent"}), "agents")
    need(not selector_matches(pol["spec"]["podSelector"], {"app": "billing"}), "the podSelector value")

    # keys from values: the Secret's data is what keygen wrote, and `toolwall check` takes it
    k = keygen()
    values = {"keys": {"existingSecret": "", "auditKey": (k / "audit.key").read_text(),
                       "hmacKey": (k / "hmac.key").read_text(),
                       "adminToken": (k / "admin.token").read_text()},
              "sidecarConfig": {"policies": {"data.json": '{"config": {"refund_threshold_cents": 5000}}'},
                                "extra": {"kill": {"tools": ["payments.create_refund"]}}}}
    docs, inj, cfgs, cfg, _ = case("keys from values", values)
    sec = one(docs, "Secret", "toolwall-keys", NAMESPACE)
    got = {n: base64.b64decode(v).decode() for n, v in sec["data"].items()}
    need(got["audit.key"].strip() == (k / "audit.key").read_text().strip()
         and got["hmac.key"].strip() == (k / "hmac.key").read_text().strip()
         and got["admin.token"] == (k / "admin.token").read_text().strip(), "Secret data")
    from_secret = WORK / "secret-keys"
    from_secret.mkdir(exist_ok=True)
    for n, v in got.items():
        (from_secret / n).write_text(v)
    files, c = cfgs[NAMESPACE]
    need(c["kill"] == {"tools": ["payments.create_refund"]}, "extra merged into toolwall.yaml")
    need("data.json" in files["policies"] and "toolwall.rego" in files["policies"], "policies")
    run_check(files, from_secret, "keys-from-secret")

    # example files dropped one by one (null) or all at once
    docs, _ = render({"sidecarConfig": {"adapters": {"payments.yaml": None, "crm.yaml": "name: crm"}}})
    ad = one(docs, "ConfigMap", "toolwall-adapters", NAMESPACE)["data"]
    need(ad == {"crm.yaml": "name: crm"}, f"a null file drops the example: {ad}")
    docs, _ = render({"sidecarConfig": {"exampleFiles": False}})
    for name in ("toolwall-policies", "toolwall-adapters", "toolwall-schemas"):
        need(not one(docs, "ConfigMap", name, NAMESPACE).get("data"), f"{name}: no example files")
    docs, _ = render({"sidecarConfig": {"create": False}})
    need(len(all_of(docs, "ConfigMap")) == 1, "sidecarConfig.create: false renders no sidecar ConfigMaps")

    documented_values()

    # refused values
    refused("replicas -1", {"injector": {"replicas": -1}}, "replicas")
    refused("failurePolicy Maybe", {"webhook": {"failurePolicy": "Maybe"}}, "failurePolicy")
    refused("tls mode", {"webhook": {"tls": {"mode": "vault"}}}, "mode")
    refused("timeoutSeconds 31", {"webhook": {"timeoutSeconds": 31}}, "timeoutSeconds")
    refused("admin port 70000", {"sidecar": {"ports": {"admin": 70000}}}, "admin")
    refused("a typo", {"injector": {"replica": 3}}, "replica")
    refused("refusalRatio 2", {"monitoring": {"prometheusRule": {"refusalRatio": 2}}}, "refusalRatio")
    refused("mode audit", {"sidecarConfig": {"mode": "audit"}}, "mode")
    refused("namespace name", {"sidecarConfig": {"namespaces": ["Agents"]}}, "namespaces")
    refused("port clash", {"sidecar": {"ports": {"admin": 15080}}}, "three different ports", schema=False)
    refused("pdb vs replicas", {"injector": {"replicas": 1}}, "minAvailable", schema=False)
    refused("both redis", {"redis": {"enabled": True, "url": "redis://x:6379/0"}}, "not both", schema=False)
    refused("no keys", {"keys": {"existingSecret": ""}}, "keys.existingSecret", schema=False)
    print(json.dumps(results))


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
