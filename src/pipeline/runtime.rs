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
}

impl Runtime {
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.limiters.clock
    }

    pub fn state(&self) -> &SharedState {
        &self.limiters.state
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

    /// Where a call's records go under `snap` (none when the audit stream is off).
    pub fn audit_hook(&self, snap: &Snapshot) -> Option<AuditHook> {
        self.audit.as_ref().map(|(sink, args)| AuditHook {
            sink: sink.clone(),
            args: *args,
            redactor: snap.redactor.clone(),
        })
    }
}
