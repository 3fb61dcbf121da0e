//! Identify: which principal is acting. This version knows the sidecar's `static` identity.

use http::HeaderMap;
use serde::Serialize;

use crate::config::Snapshot;
use crate::pipeline::reject::{Reason, Reject};

pub const RUN_ID_HEADER: &str = "toolwall-run-id";
pub const WORKFLOW_HEADER: &str = "toolwall-workflow";

/// The acting principal, as policy sees it (`input.principal`).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Principal {
    pub agent: String,
    pub tenant: Option<String>,
    pub workflow: Option<String>,
    pub run_id: Option<String>,
    pub source: &'static str,
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// Establish the principal for one request.
pub fn identify(snap: &Snapshot, headers: &HeaderMap) -> Result<Principal, Reject> {
    let Some(s) = &snap.static_principal else {
        return Err(Reject::new(
            Reason::Unauthenticated,
            "no identity method is configured (identity.static)",
        ));
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .map(str::to_string)
    };
    Ok(Principal {
        agent: s.agent.clone(),
        tenant: s.tenant.clone(),
        // In sidecar mode the pod is the agent: it may label its own runs and workflow.
        workflow: header(WORKFLOW_HEADER).or_else(|| s.workflow.clone()),
        run_id: header(RUN_ID_HEADER),
        source: "static",
        claims: serde_json::Map::new(),
    })
}
