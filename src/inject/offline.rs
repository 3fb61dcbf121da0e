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
    pub doc: usize,
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
        if let Some(base) = pod_path(&kind) {
            let what = {
                let Some(pod) = doc.pointer(base) else {
                    return Err(format!(
                        "document {} ({kind} {name}): no pod template",
                        i + 1
                    ));
                };
                match decide(cfg, pod, base) {
                    Decision::Inject { ops, .. } => {
                        apply(&mut doc, &ops)
                            .map_err(|e| format!("document {} ({kind} {name}): {e}", i + 1))?;
                        "injected".to_string()
                    }
                    Decision::Skip { reason, warning } => match warning {
                        Some(w) => format!("not injected: {w}"),
                        None => format!("not injected: {reason}"),
                    },
                    Decision::Refuse(msg) => {
                        return Err(format!("document {} ({kind} {name}): {msg}", i + 1))
                    }
                }
            };
            notes.push(Note {
                doc: i + 1,
                kind,
                name,
                what,
            });
        }
        if !out.is_empty() {
            out.push_str("---\n");
        }
        out.push_str(&yaml_serde::to_string(&doc).map_err(|e| e.to_string())?);
    }
    Ok((out, notes))
}
