//! CallCtx: what is known about one call as it moves through the stages, and the guard that
//! records every exit (allow, refusal, upstream failure, client disconnect, panic).

use std::sync::Arc;
use std::time::Instant;

use crate::config::raw::Mode;
use crate::metrics::{CallLabels, Metrics, ReasonLabels};
use crate::pipeline::reject::Reject;
use crate::policy::PolicyDecision;
use crate::stage::identify::Principal;

/// How a call ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Forwarded; the upstream answered with this status.
    Forwarded {
        status: u16,
    },
    Refused(Reject),
}

pub struct CallCtx {
    pub decision_id: String,
    pub trace_id: String,
    pub started: Instant,
    pub mode: Mode,
    pub policy_version: String,
    pub adapter: Option<String>,
    pub tool: Option<&'static str>,
    /// Index of the classified tool in its adapter.
    pub tool_index: Option<usize>,
    pub principal: Option<Principal>,
    pub decision: Option<PolicyDecision>,
    /// In shadow mode: the refusal that enforce mode would have returned.
    pub shadow: Option<Reject>,
    pub outcome: Option<Outcome>,
    metrics: Arc<Metrics>,
}

impl CallCtx {
    pub fn new(metrics: Arc<Metrics>, mode: Mode, policy_version: &str, trace_id: String) -> Self {
        CallCtx {
            decision_id: uuid::Uuid::now_v7().to_string(),
            trace_id,
            started: Instant::now(),
            mode,
            policy_version: policy_version.to_string(),
            adapter: None,
            tool: None,
            tool_index: None,
            principal: None,
            decision: None,
            shadow: None,
            outcome: None,
            metrics,
        }
    }
}

impl Drop for CallCtx {
    /// Every exit path passes here exactly once: a call that never set an outcome was
    /// abandoned (client disconnect or panic) and is recorded as such.
    fn drop(&mut self) {
        let elapsed = self.started.elapsed();
        let tool = self.tool.unwrap_or("unknown");
        let mode = self.mode.as_str();
        let agent = self
            .principal
            .as_ref()
            .map(|p| p.agent.as_str())
            .unwrap_or("");
        let (decision, status, reasons): (&'static str, u16, Vec<String>) = match &self.outcome {
            Some(Outcome::Forwarded { status }) => ("allow", *status, Vec::new()),
            Some(Outcome::Refused(r)) => {
                self.metrics
                    .refusals
                    .get_or_create(&ReasonLabels {
                        reason: r.reason.code(),
                    })
                    .inc();
                (
                    r.reason.decision_label(),
                    r.reason.response_class().0.as_u16(),
                    r.reasons(),
                )
            }
            None => {
                self.metrics
                    .refusals
                    .get_or_create(&ReasonLabels { reason: "aborted" })
                    .inc();
                ("error", 499, vec!["aborted".to_string()])
            }
        };
        self.metrics
            .tool_calls
            .get_or_create(&CallLabels {
                tool,
                decision,
                mode,
            })
            .inc();
        self.metrics.request_duration.observe(elapsed.as_secs_f64());
        let shadow = self.shadow.as_ref().map(|r| r.reasons().join(","));
        tracing::info!(
            target: "toolwall::call",
            decision_id = %self.decision_id,
            trace_id = %self.trace_id,
            adapter = self.adapter.as_deref().unwrap_or(""),
            tool,
            agent,
            decision,
            status,
            reasons = %reasons.join(","),
            shadow_would_refuse = shadow.as_deref().unwrap_or(""),
            policy_version = %self.policy_version,
            mode,
            latency_us = elapsed.as_micros() as u64,
            "tool call"
        );
    }
}
