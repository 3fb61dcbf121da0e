//! The narrow runtime handle the pipeline takes: what every call shares and what outlives a
//! config reload (the snapshot, metrics, the audit sink, rate buckets and state, MCP pins and
//! sessions). The server (`app`) owns one and adds what only it needs (readiness, the admin
//! token, reload); the pipeline never sees those.

use std::sync::Arc;

use crate::audit::sink::AuditSink;
use crate::config::compile::SharedSnapshot;
use crate::config::raw::AuditArgs;
use crate::config::Snapshot;
use crate::metrics::Metrics;
use crate::stage::limits::Limiters;
use crate::stage::record::AuditHook;
use crate::state::{Clock, SharedState};

pub struct Runtime {
    pub snapshot: SharedSnapshot,
    pub metrics: Arc<Metrics>,
    /// The audit stream, when configured.
    pub audit: Option<(AuditSink, AuditArgs)>,
    /// Rate-limit buckets, the state backend and the clock: outlive config reloads.
    pub limiters: Limiters,
    /// MCP tool definitions seen, their pins and the sessions: outlive config reloads.
    pub mcp: crate::mcp::Catalog,
    /// Where approval changes are announced (live feed, webhook).
    pub approvals: crate::approvals::Hub,
}

impl Runtime {
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.limiters.clock
    }

    pub fn state(&self) -> &SharedState {
        &self.limiters.state
    }

    /// The deployment's HMAC key (the audit stream's), when there is one: approvals bind
    /// calls by the same `input_hmac` the audit record carries.
    pub fn hmac_key(&self) -> Option<&[u8]> {
        self.audit.as_ref().map(|(sink, _)| &sink.hmac_key[..])
    }

    /// Record something that is not a call (an operator action, an MCP re-pin) on the audit
    /// stream, stamped with the config and policy versions in force. It counts in no call
    /// metric.
    pub fn event(&self, ev: crate::audit::event::EventRecord) {
        if let Some((sink, _)) = &self.audit {
            let snap = self.snapshot.load();
            sink.event(
                ev.config_version(snap.version.clone())
                    .policy_version(snap.policy.version.clone()),
            );
        }
    }

    /// Announce a change to an approval request: an audit event linked by approval and
    /// decision id, the `toolwall_approvals_total` counter and the pending gauge, the live feed
    /// and the webhook. Never fails the caller.
    pub async fn approval_changed(&self, change: crate::approvals::Change) {
        use crate::audit::event::EventRecord;
        if let Some(outcome) = change.kind.outcome() {
            self.metrics
                .approvals
                .get_or_create(&crate::metrics::OutcomeLabels { outcome })
                .inc();
        }
        let req = &change.request;
        let mut ev = EventRecord::new(change.kind.event_name())
            .tool(req.tool.clone())
            .principal(change.principal())
            .detail("approval_id", req.id.clone())
            .detail("decision_id", req.decision_id.clone())
            .detail("state", req.state.as_str())
            .detail("tier", req.tier.clone())
            .detail("quorum", req.quorum)
            .detail("approvals", req.approvals())
            .detail("reasons", req.reasons.clone());
        if let Some(by) = &change.by {
            ev = ev.detail("by", by.clone());
        }
        if let Some(c) = &change.comment {
            ev = ev.detail("comment", c.clone());
        }
        if let Some(u) = &change.used_by {
            ev = ev.detail("used_by", u.clone());
        }
        self.event(ev);
        if let Ok(n) = self.state().approvals_pending_count().await {
            self.metrics
                .approvals_pending
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        let snap = self.snapshot.load();
        self.approvals
            .publish(change, snap.approvals.notify.as_ref());
    }

    /// Where a call's records go under `snap` (none when the audit stream is off).
    pub fn audit_hook(&self, snap: &Snapshot) -> Option<AuditHook> {
        self.audit.as_ref().map(|(sink, args)| AuditHook {
            sink: sink.clone(),
            args: *args,
            redactor: snap.redactor.clone(),
        })
    }

    /// Expire every pending approval request whose time ran out (by the state backend's
    /// clock) and announce each once: audit event `approval.expired`, metrics, live feed,
    /// webhook. Two sidecars on one Redis sweeping at once announce each expiry once (the
    /// backend hands each to one of them). Returns how many were announced; a backend error
    /// stops the sweep (the next one carries on where it stopped).
    pub async fn sweep_expired(&self) -> Result<usize, crate::state::StateError> {
        /// Requests expired per backend round trip, and round trips per sweep at most.
        const BATCH: usize = 100;
        const MAX_BATCHES: usize = 50;
        let mut announced = 0;
        for _ in 0..MAX_BATCHES {
            let due = self.state().approval_expire_due(BATCH).await?;
            let n = due.len();
            for req in due {
                let change =
                    crate::approvals::Change::new(crate::approvals::ChangeKind::Expired, req);
                self.approval_changed(change).await;
            }
            announced += n;
            if n < BATCH {
                break;
            }
        }
        Ok(announced)
    }
}
