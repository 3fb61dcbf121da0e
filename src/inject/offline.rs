//! `toolwall inject FILE`: inject the pod templates of Kubernetes manifests (multi-document
//! YAML), like `istioctl kube-inject`. Documents that hold no pod are passed through.

use serde::Deserialize;
use serde_json::Value;

use super::patch::apply;
use super::pod::{decide, Decision};
use super::InjectorConfig;

/// Where a kind keeps its pod (a JSON Pointer), or `None` for kinds without one.
pub fn pod_path(kind: &str) -> Option<&'static str> {
    match kind {
        "Pod" => Some(""),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => Some("/spec/template"),
        "CronJob" => Some("/spec/jobTemplate/spec/template"),
        _ => None,
    }
}

/// One document's result, for the messages on stderr.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// `document N` (or `document N item M` in a List).
    pub doc: String,
    pub kind: String,
    pub name: String,
    pub what: String,
}

/// Inject every document of `text`; the YAML out and one note per document that holds a pod.
/// A pod that asked for injection but cannot have it is an error (nothing is printed).
pub fn inject_yaml(cfg: &InjectorConfig, text: &str) -> Result<(String, Vec<Note>), String> {
    let mut out = String::new();
    let mut notes = Vec::new();
    for (i, de) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let mut doc = Value::deserialize(de).map_err(|e| format!("document {}: {e}", i + 1))?;
        if doc.is_null() {
            continue;
        }
        let label = format!("document {}", i + 1);
        if doc.get("kind").and_then(Value::as_str) == Some("List") {
            // `kubectl get deploy -o yaml` prints a List: inject its items.
            if let Some(Value::Array(items)) = doc.get_mut("items") {
                for (j, item) in items.iter_mut().enumerate() {
                    inject_object(cfg, item, &format!("{label} item {}", j + 1), &mut notes)?;
                }
            }
        } else {
            inject_object(cfg, &mut doc, &label, &mut notes)?;
        }
        if !out.is_empty() {
            out.push_str("---\n");
        }
        out.push_str(&yaml_serde::to_string(&doc).map_err(|e| e.to_string())?);
    }
    Ok((out, notes))
}

/// Inject one object in place when its kind holds a pod.
fn inject_object(
    cfg: &InjectorConfig,
    doc: &mut Value,
    label: &str,
    notes: &mut Vec<Note>,
) -> Result<(), String> {
    let kind = doc
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let name = doc
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(base) = pod_path(&kind) else {
        return Ok(());
    };
    let Some(pod) = doc.pointer(base) else {
        return Err(format!("{label} ({kind} {name}): no pod template"));
    };
    let what = match decide(cfg, pod, base) {
        Decision::Inject { ops, .. } => {
            apply(doc, &ops).map_err(|e| format!("{label} ({kind} {name}): {e}"))?;
            "injected".to_string()
        }
        Decision::Skip { reason, warning } => match warning {
            Some(w) => format!("not injected: {w}"),
            None => format!("not injected: {reason}"),
        },
        Decision::Refuse(msg) => return Err(format!("{label} ({kind} {name}): {msg}")),
    };
    notes.push(Note {
        doc: label.to_string(),
        kind,
        name,
        what,
    });
    Ok(())
}
