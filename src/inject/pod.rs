//! The injection decision and the mutation, on a Pod (or a pod template) as plain JSON.
//!
//! The answer is a list of RFC 6902 `add` operations against the object as it was given:
//! first every change to an existing container (environment, mounts, by their original
//! index), then the insertions at index 0 that shift the lists.

use serde_json::{json, Map, Value};

use super::config::{is_dns_subdomain, InjectorConfig};
use super::patch::{escape, Op};
use super::*;

/// What to do with one pod.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Inject: the operations, and warnings for the user.
    Inject { ops: Vec<Op>, warnings: Vec<String> },
    /// Leave the pod as it is (not opted in, opted out, already injected, host network).
    Skip {
        reason: String,
        warning: Option<String>,
    },
    /// The pod asked for injection but cannot be injected as it is (bad annotation value,
    /// a name the injector needs is taken, malformed spec): refuse it rather than admit it
    /// unguarded.
    Refuse(String),
}

/// The volumes the injector adds (and so the names a pod must not already use).
const VOLUMES: [&str; 8] = [
    "toolwall-config",
    "toolwall-policies",
    "toolwall-adapters",
    "toolwall-schemas",
    "toolwall-keys",
    "toolwall-state",
    "toolwall-audit",
    "toolwall-ca",
];

/// The sidecar's named admin port (≤ 15 characters).
const ADMIN_PORT_NAME: &str = "toolwall-admin";

/// Longest annotation value the injector copies into the sidecar's environment.
const MAX_VALUE: usize = 512;

/// The pod-level choices read from the annotations.
struct Choices {
    config_map: String,
    agent: Option<String>,
    tenant: Option<String>,
    mode: Option<String>,
    enforce: bool,
    service_account: String,
}

/// Decide for the pod at `base` ("" for a Pod, "/spec/template" for a workload's template):
/// the operation paths are prefixed with `base`.
pub fn decide(cfg: &InjectorConfig, pod: &Value, base: &str) -> Decision {
    match decide_inner(cfg, pod, base) {
        Ok(d) => d,
        Err(msg) => Decision::Refuse(msg),
    }
}

fn skip(reason: &str) -> Result<Decision, String> {
    Ok(Decision::Skip {
        reason: reason.to_string(),
        warning: None,
    })
}

fn decide_inner(cfg: &InjectorConfig, pod: &Value, base: &str) -> Result<Decision, String> {
    let Some(pod) = pod.as_object() else {
        return Err("the pod is not a JSON object".into());
    };
    let meta = match pod.get("metadata") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => Some(m),
        Some(_) => return Err("metadata is not an object".into()),
    };
    let ann = match meta.and_then(|m| m.get("annotations")) {
        None | Some(Value::Null) => None,
        Some(Value::Object(a)) => Some(a),
        Some(_) => return Err("metadata.annotations is not an object".into()),
    };
    let get = |key: &str| annotation(ann, key);

    if get(ANN_STATUS)? == Some(STATUS_INJECTED) {
        return skip("already injected");
    }
    match get(ANN_INJECT)? {
        Some("false") => return skip("opted out (toolwall.io/inject: \"false\")"),
        Some("true") => {}
        None if cfg.inject.default => {}
        None => return skip("not opted in (no toolwall.io/inject: \"true\")"),
        Some(other) => {
            return Err(format!(
                "annotation {ANN_INJECT} must be \"true\" or \"false\", not {other:?}"
            ))
        }
    }

    let spec = match pod.get("spec") {
        Some(Value::Object(s)) => s,
        _ => return Err("spec is missing or not an object".into()),
    };
    let containers = containers(spec, "containers")?;
    if containers.is_empty() {
        return Err("spec.containers is empty".into());
    }
    let inits = containers_opt(spec, "initContainers")?;
    let names: Vec<&str> = containers
        .iter()
        .chain(inits.iter())
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect();
    if names.contains(&SIDECAR_NAME) {
        return skip("the pod already has a container named toolwall");
    }
    if names.contains(&INIT_NAME) {
        return Err(format!(
            "the pod has a container named {INIT_NAME} but none named {SIDECAR_NAME}"
        ));
    }
    if spec.get("hostNetwork").and_then(Value::as_bool) == Some(true) {
        return Ok(Decision::Skip {
            reason: "host network".into(),
            warning: Some(
                "toolwall: not injected: the pod uses hostNetwork (its proxy ports and iptables \
                 rules would be the node's); run it without hostNetwork to guard it"
                    .into(),
            ),
        });
    }

    if spec
        .get("os")
        .and_then(|o| o.get("name"))
        .and_then(Value::as_str)
        == Some("windows")
    {
        return Ok(Decision::Skip {
            reason: "Windows pod".into(),
            warning: Some(
                "toolwall: not injected: the sidecar is a Linux container (spec.os.name: windows)"
                    .into(),
            ),
        });
    }
    let ch = choices(cfg, spec, ann)?;
    check_conflicts(spec, &containers, &inits)?;

    let mut ops = Vec::new();
    // The status annotation (and the maps it needs).
    let ann_path = format!("{base}/metadata/annotations");
    match (meta, ann) {
        (None, _) => ops.push(Op::add(
            format!("{base}/metadata"),
            json!({ "annotations": { ANN_STATUS: STATUS_INJECTED } }),
        )),
        (Some(_), None) => ops.push(Op::add(ann_path, json!({ ANN_STATUS: STATUS_INJECTED }))),
        (Some(_), Some(_)) => ops.push(Op::add(
            format!("{ann_path}/{}", escape(ANN_STATUS)),
            json!(STATUS_INJECTED),
        )),
    }
    // Volumes.
    let new_volumes = volumes(cfg, &ch);
    match spec.get("volumes") {
        None | Some(Value::Null) => ops.push(Op::add(
            format!("{base}/spec/volumes"),
            Value::Array(new_volumes),
        )),
        Some(Value::Array(_)) => {
            for v in new_volumes {
                ops.push(Op::add(format!("{base}/spec/volumes/-"), v));
            }
        }
        Some(_) => return Err("spec.volumes is not a list".into()),
    }
    // The agent containers: every regular container; with a native sidecar also the init
    // containers (they start after it); a classic sidecar starts after the init containers,
    // so they get nothing.
    let agent_env = agent_env(cfg);
    for (i, c) in containers.iter().enumerate() {
        agent_ops(
            &mut ops,
            &format!("{base}/spec/containers/{i}"),
            c,
            &agent_env,
        );
    }
    if cfg.sidecar.native {
        for (i, c) in inits.iter().enumerate() {
            agent_ops(
                &mut ops,
                &format!("{base}/spec/initContainers/{i}"),
                c,
                &agent_env,
            );
        }
    }
    // Finally the insertions (they shift indices, so they come last).
    let sidecar = sidecar_container(cfg, &ch);
    let init = ch.enforce.then(|| init_container(cfg));
    let mut first_inits = Vec::new();
    if let Some(init) = init {
        first_inits.push(init);
    }
    if cfg.sidecar.native {
        first_inits.push(sidecar);
    } else {
        ops.push(Op::add(format!("{base}/spec/containers/0"), sidecar));
    }
    if !first_inits.is_empty() {
        if spec.get("initContainers").is_none_or(Value::is_null) {
            ops.push(Op::add(
                format!("{base}/spec/initContainers"),
                Value::Array(first_inits),
            ));
        } else {
            for (i, c) in first_inits.into_iter().enumerate() {
                ops.push(Op::add(format!("{base}/spec/initContainers/{i}"), c));
            }
        }
    }
    let mut warnings = Vec::new();
    if ch.enforce && spec.get("hostPID").and_then(Value::as_bool) == Some(true) {
        warnings.push(
            "toolwall: hostPID lets the agent see other processes; enforcement relies on the \
             sidecar's UID"
                .into(),
        );
    }
    Ok(Decision::Inject { ops, warnings })
}

/// `spec.<key>` as a list of container objects with names.
fn containers<'a>(
    spec: &'a Map<String, Value>,
    key: &str,
) -> Result<Vec<&'a Map<String, Value>>, String> {
    match spec.get(key) {
        Some(Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let c = c
                    .as_object()
                    .ok_or_else(|| format!("spec.{key}[{i}] is not an object"))?;
                match c.get("name") {
                    Some(Value::String(n)) if !n.is_empty() => Ok(c),
                    _ => Err(format!("spec.{key}[{i}] has no name")),
                }
            })
            .collect(),
        _ => Err(format!("spec.{key} is missing or not a list")),
    }
}

fn containers_opt<'a>(
    spec: &'a Map<String, Value>,
    key: &str,
) -> Result<Vec<&'a Map<String, Value>>, String> {
    match spec.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(_) => containers(spec, key),
    }
}

fn annotation<'a>(
    ann: Option<&'a Map<String, Value>>,
    key: &str,
) -> Result<Option<&'a str>, String> {
    match ann.and_then(|a| a.get(key)) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(format!("annotation {key} is not a string")),
    }
}

fn choices(
    cfg: &InjectorConfig,
    spec: &Map<String, Value>,
    ann: Option<&Map<String, Value>>,
) -> Result<Choices, String> {
    let get = |key: &str| annotation(ann, key);
    let config_map = match get(ANN_CONFIG)? {
        Some(name) if is_dns_subdomain(name) => name.to_string(),
        Some(name) => {
            return Err(format!(
                "annotation {ANN_CONFIG}: {name:?} is not a ConfigMap name"
            ))
        }
        None => cfg.config.config_map.clone(),
    };
    let text = |key: &str| -> Result<Option<String>, String> {
        match get(key)? {
            None => Ok(None),
            Some(v) if v.is_empty() || v.len() > MAX_VALUE || v.chars().any(char::is_control) => {
                Err(format!(
                    "annotation {key} must be 1 to {MAX_VALUE} printable characters"
                ))
            }
            Some(v) => Ok(Some(v.to_string())),
        }
    };
    let agent = text(ANN_AGENT)?;
    let tenant = text(ANN_TENANT)?;
    let mode = match get(ANN_MODE)? {
        None => None,
        Some(m @ ("enforce" | "shadow")) => Some(m.to_string()),
        Some(other) => {
            return Err(format!(
                "annotation {ANN_MODE} must be \"enforce\" or \"shadow\", not {other:?}"
            ))
        }
    };
    let enforce = match get(ANN_ENFORCE)? {
        None => cfg.enforce.default,
        Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(format!(
                "annotation {ANN_ENFORCE} must be \"true\" or \"false\", not {other:?}"
            ))
        }
    };
    let service_account = ["serviceAccountName", "serviceAccount"]
        .iter()
        .find_map(|k| spec.get(*k).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
        .to_string();
    Ok(Choices {
        config_map,
        agent,
        tenant,
        mode,
        enforce,
        service_account,
    })
}

/// Names the injector adds must be free; every env and mount list it appends to must be a
/// list of named objects.
fn check_conflicts(
    spec: &Map<String, Value>,
    containers: &[&Map<String, Value>],
    inits: &[&Map<String, Value>],
) -> Result<(), String> {
    if let Some(Value::Array(vols)) = spec.get("volumes") {
        for v in vols {
            let name = v.get("name").and_then(Value::as_str).unwrap_or("");
            if VOLUMES.contains(&name) {
                return Err(format!("the pod already has a volume named {name}"));
            }
        }
    }
    for c in containers.iter().chain(inits) {
        let cname = c.get("name").and_then(Value::as_str).unwrap_or("");
        for key in ["env", "volumeMounts", "ports"] {
            match c.get(key) {
                None | Some(Value::Null) => {}
                Some(Value::Array(items)) => {
                    if items.iter().any(|i| !i.is_object()) {
                        return Err(format!("container {cname}: {key} holds a non-object"));
                    }
                }
                Some(_) => return Err(format!("container {cname}: {key} is not a list")),
            }
        }
        if let Some(Value::Array(mounts)) = c.get("volumeMounts") {
            for m in mounts {
                if m.get("mountPath")
                    .and_then(Value::as_str)
                    .map(|p| p.trim_end_matches('/'))
                    == Some(CA_DIR)
                {
                    return Err(format!(
                        "container {cname} already mounts something at {CA_DIR}"
                    ));
                }
            }
        }
        if let Some(Value::Array(ports)) = c.get("ports") {
            if ports
                .iter()
                .any(|p| p.get("name").and_then(Value::as_str) == Some(ADMIN_PORT_NAME))
            {
                return Err(format!(
                    "container {cname} already names a port {ADMIN_PORT_NAME}"
                ));
            }
        }
    }
    Ok(())
}

/// The agent containers' environment, in order: the contract's proxy and CA variables, then
/// `agent_env`.
pub fn agent_env(cfg: &InjectorConfig) -> Vec<(String, String)> {
    let proxy = format!("http://127.0.0.1:{}", cfg.sidecar.ports.listen);
    let no_proxy = "localhost,127.0.0.1,::1".to_string();
    let bundle = format!("{CA_DIR}/bundle.crt");
    let mut env: Vec<(String, String)> = vec![
        ("HTTP_PROXY".into(), proxy.clone()),
        ("HTTPS_PROXY".into(), proxy.clone()),
        ("http_proxy".into(), proxy.clone()),
        ("https_proxy".into(), proxy),
        ("NO_PROXY".into(), no_proxy.clone()),
        ("no_proxy".into(), no_proxy),
        ("SSL_CERT_FILE".into(), bundle.clone()),
        ("REQUESTS_CA_BUNDLE".into(), bundle.clone()),
        ("CURL_CA_BUNDLE".into(), bundle),
        ("NODE_EXTRA_CA_CERTS".into(), format!("{CA_DIR}/ca.crt")),
    ];
    env.extend(cfg.agent_env.iter().map(|(k, v)| (k.clone(), v.clone())));
    env
}

/// Environment and the CA mount for one agent container at `path`. A variable the container
/// already sets in `env` is left as it is (its own value wins).
fn agent_ops(ops: &mut Vec<Op>, path: &str, c: &Map<String, Value>, env: &[(String, String)]) {
    let existing: Vec<&str> = match c.get("env") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.get("name").and_then(Value::as_str))
            .collect(),
        _ => Vec::new(),
    };
    let add: Vec<Value> = env
        .iter()
        .filter(|(k, _)| !existing.contains(&k.as_str()))
        .map(|(k, v)| json!({ "name": k, "value": v }))
        .collect();
    if matches!(c.get("env"), Some(Value::Array(_))) {
        for v in add {
            ops.push(Op::add(format!("{path}/env/-"), v));
        }
    } else if !add.is_empty() {
        ops.push(Op::add(format!("{path}/env"), Value::Array(add)));
    }
    let mount = json!({ "name": "toolwall-ca", "mountPath": CA_DIR, "readOnly": true });
    if matches!(c.get("volumeMounts"), Some(Value::Array(_))) {
        ops.push(Op::add(format!("{path}/volumeMounts/-"), mount));
    } else {
        ops.push(Op::add(format!("{path}/volumeMounts"), json!([mount])));
    }
}

/// `$` starts a variable reference in a container's env value; `$$` is a literal `$`.
fn literal(v: &str) -> String {
    v.replace('$', "$$")
}

fn volumes(cfg: &InjectorConfig, ch: &Choices) -> Vec<Value> {
    let c = &cfg.config;
    let audit = if c.audit_volume == "emptyDir" {
        json!({ "name": "toolwall-audit", "emptyDir": {} })
    } else {
        json!({ "name": "toolwall-audit", "persistentVolumeClaim": {
            "claimName": c.audit_volume.replace("{service_account}", &ch.service_account) } })
    };
    vec![
        json!({ "name": "toolwall-config", "configMap": { "name": ch.config_map } }),
        json!({ "name": "toolwall-policies", "configMap": { "name": c.policies_config_map } }),
        json!({ "name": "toolwall-adapters", "configMap": { "name": c.adapters_config_map } }),
        json!({ "name": "toolwall-schemas",
                "configMap": { "name": c.schemas_config_map, "optional": true } }),
        json!({ "name": "toolwall-keys", "secret": { "secretName": c.keys_secret } }),
        json!({ "name": "toolwall-state", "emptyDir": {} }),
        audit,
        json!({ "name": "toolwall-ca", "emptyDir": { "sizeLimit": "1Mi" } }),
    ]
}

fn locked_down(uid: u32) -> Value {
    json!({
        "runAsUser": uid,
        "runAsGroup": uid,
        "runAsNonRoot": true,
        "readOnlyRootFilesystem": true,
        "allowPrivilegeEscalation": false,
        "privileged": false,
        "capabilities": { "drop": ["ALL"] },
        "seccompProfile": { "type": "RuntimeDefault" },
    })
}

fn sidecar_container(cfg: &InjectorConfig, ch: &Choices) -> Value {
    let s = &cfg.sidecar;
    let admin = s.ports.admin;
    let agent_id = match &ch.agent {
        Some(a) => literal(a),
        None => format!(
            "spiffe://{}/ns/$(TOOLWALL_POD_NAMESPACE)/sa/$(TOOLWALL_POD_SERVICE_ACCOUNT)",
            cfg.identity.trust_domain
        ),
    };
    let mut env = vec![
        json!({ "name": "TOOLWALL_POD_NAMESPACE",
                "valueFrom": { "fieldRef": { "fieldPath": "metadata.namespace" } } }),
        json!({ "name": "TOOLWALL_POD_SERVICE_ACCOUNT",
                "valueFrom": { "fieldRef": { "fieldPath": "spec.serviceAccountName" } } }),
        json!({ "name": "TOOLWALL_AGENT_ID", "value": agent_id }),
        // The admin API's token (the chart's toolwall.yaml says `admin_token_env:
        // TOOLWALL_ADMIN_TOKEN`; without it a sidecar whose admin port is not on loopback
        // refuses to start). Not optional: no keys Secret, no sidecar (fail closed).
        json!({ "name": "TOOLWALL_ADMIN_TOKEN",
                "valueFrom": { "secretKeyRef": { "name": cfg.config.keys_secret,
                                                 "key": "admin.token" } } }),
    ];
    let tenant = match &ch.tenant {
        Some(t) => Some(literal(t)),
        None if !cfg.identity.tenant.is_empty() => Some(literal(&cfg.identity.tenant)),
        None => None,
    };
    if let Some(t) = tenant {
        env.push(json!({ "name": "TOOLWALL_TENANT", "value": t }));
    }
    if let Some(m) = &ch.mode {
        env.push(json!({ "name": "TOOLWALL_MODE", "value": m }));
    }
    let probe = |path: &str, period: u32, failures: u32| {
        json!({
            "httpGet": { "path": path, "port": admin },
            "periodSeconds": period,
            "timeoutSeconds": 2,
            "failureThreshold": failures,
        })
    };
    let ro = |name: &str, path: &str| json!({ "name": name, "mountPath": path, "readOnly": true });
    let mut c = json!({
        "name": SIDECAR_NAME,
        "image": s.image,
        "imagePullPolicy": s.image_pull_policy,
        "command": [BINARY],
        "args": ["run", "--config", "/etc/toolwall/config/toolwall.yaml"],
        "env": env,
        "ports": [{ "name": ADMIN_PORT_NAME, "containerPort": admin, "protocol": "TCP" }],
        "resources": cfg.resources_json(),
        "securityContext": locked_down(s.uid),
        "startupProbe": probe("/readyz", 1, 120),
        "readinessProbe": probe("/readyz", 5, 3),
        "livenessProbe": probe("/healthz", 10, 3),
        "volumeMounts": [
            ro("toolwall-config", "/etc/toolwall/config"),
            ro("toolwall-policies", "/etc/toolwall/policies"),
            ro("toolwall-adapters", "/etc/toolwall/adapters"),
            ro("toolwall-schemas", "/etc/toolwall/schemas"),
            ro("toolwall-keys", "/etc/toolwall/keys"),
            { "name": "toolwall-state", "mountPath": "/var/lib/toolwall/state" },
            { "name": "toolwall-audit", "mountPath": "/var/lib/toolwall/audit" },
            { "name": "toolwall-ca", "mountPath": CA_DIR },
        ],
        "terminationMessagePolicy": "FallbackToLogsOnError",
    });
    if let Some(obj) = c.as_object_mut() {
        if s.native {
            obj.insert("restartPolicy".into(), json!("Always"));
        } else {
            // A classic sidecar: the kubelet starts the next container only when postStart
            // returns, so the agent starts once toolwall answers /readyz.
            obj.insert(
                "lifecycle".into(),
                json!({ "postStart": { "exec": { "command": [
                    BINARY, "inject", "wait",
                    "--url", format!("http://127.0.0.1:{admin}/readyz"),
                    "--timeout", "120",
                ] } } }),
            );
        }
    }
    c
}

fn init_container(cfg: &InjectorConfig) -> Value {
    let e = &cfg.enforce;
    let mut args = vec![
        "inject".to_string(),
        "iptables".into(),
        "--uid".into(),
        cfg.sidecar.uid.to_string(),
        "--redirect-port".into(),
        cfg.sidecar.ports.transparent.to_string(),
    ];
    if !e.exclude_outbound_ports.is_empty() {
        args.push("--exclude-ports".into());
        args.push(
            e.exclude_outbound_ports
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    if !e.exclude_outbound_cidrs.is_empty() {
        args.push("--exclude-cidrs".into());
        args.push(e.exclude_outbound_cidrs.join(","));
    }
    let image = if e.init_image.is_empty() {
        &cfg.sidecar.image
    } else {
        &e.init_image
    };
    json!({
        "name": INIT_NAME,
        "image": image,
        "imagePullPolicy": cfg.sidecar.image_pull_policy,
        "command": [BINARY],
        "args": args,
        "resources": {
            "requests": { "cpu": "10m", "memory": "16Mi" },
            "limits": { "cpu": "100m", "memory": "64Mi" },
        },
        "securityContext": {
            "runAsUser": 0,
            "runAsGroup": 0,
            "runAsNonRoot": false,
            "readOnlyRootFilesystem": true,
            "allowPrivilegeEscalation": false,
            "privileged": false,
            "capabilities": { "drop": ["ALL"], "add": ["NET_ADMIN", "NET_RAW"] },
            "seccompProfile": { "type": "RuntimeDefault" },
        },
        "terminationMessagePolicy": "FallbackToLogsOnError",
    })
}

#[cfg(test)]
mod tests;
