//! Client-streaming and bidi calls: every client message is a call of its own — decoded,
//! decided (`input.grpc.message_index`), admitted, recorded under its own decision id — and
//! forwarded on one upstream stream as it is admitted. The upstream stream opens once message
//! 0 is admitted; a message refused later resets it (nothing after reaches the tool) and ends
//! the agent's call with the refusal's status.

use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Incoming;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::{decide_message, frame_refusal, relay, Answer, Head, Target};
use crate::config::grpc::{GrpcBody, GrpcBodyError};
use crate::config::Snapshot;
use crate::pipeline::reject::{Reason, Reject};
use crate::pipeline::Runtime;
use crate::protocol::grpc::{self as wire_fmt, FrameError};
use crate::stage::record::{CallRecord, Outcome};

/// A later message's refusal: it ends the call with its status and decision id.
pub(super) struct Refused {
    pub rej: Reject,
    pub decision_id: String,
}

/// Message 0 decided and forwarded, the rest pumped by [`pump`] as they come.
pub(super) async fn call(
    rt: &Arc<Runtime>,
    snap: &Arc<Snapshot>,
    rec: &mut CallRecord,
    head: Head,
    body: Incoming,
    target: Target,
) -> Result<Answer, Reject> {
    let (_, _, method) = target.resolve(snap);
    let mut reader = Reader {
        body,
        buf: BytesMut::new(),
        ended: false,
        max: snap.max_body_bytes,
        deadline: head.deadline,
    };
    let first = reader.next().await?.ok_or_else(|| {
        Reject::new(
            Reason::InvalidGrpcMessage,
            "the client stream ended before its first message: there is nothing to decide",
        )
    })?;
    let (out, plan, spend) = decide_message(rt, snap, rec, target, &head, &first, 0).await?;
    if rec.dry_run {
        return Ok(Answer::Done(super::dry_run(rec, spend).await));
    }
    let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, GrpcBodyError>>(4);
    if tx.send(Ok(Frame::data(out))).await.is_err() {
        return Err(Reject::new(Reason::Internal, "the upstream body closed"));
    }
    let messages = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let body: GrpcBody = StreamBody::new(messages).boxed();
    let req = super::outgoing(rt, snap, rec, target, &head, plan.as_ref(), body)?;
    let plan = relay::Plan::Stream(Arc::new(Mutex::new(plan)));
    let deadline = head.deadline;
    let head = Arc::new(head);
    let (refusal_tx, refusal_rx) = oneshot::channel();
    let pump = Pump {
        rt: rt.clone(),
        snap: snap.clone(),
        target,
        head,
        reader,
        tx,
        trace_id: rec.trace_id.clone(),
        plan: plan.clone(),
    };
    tokio::spawn(pump.run(refusal_tx));
    let started = std::time::Instant::now();
    let sent = super::send(target.grpc(snap), req, deadline, spend);
    tokio::pin!(sent);
    let mut refusal = Some(refusal_rx);
    loop {
        tokio::select! {
            biased;
            r = relay::recv(&mut refusal) => match r {
                Some(refused) => {
                    rec.outcome = Some(Outcome::Forwarded { status: 200 });
                    return Ok(Answer::Refused(refused));
                }
                None => refusal = None,
            },
            r = &mut sent => {
                rec.upstream_latency_us = Some(started.elapsed().as_micros() as u64);
                return Ok(Answer::Upstream(relay::Upstream {
                    resp: r?,
                    plan,
                    deadline,
                    output: method.desc.output(),
                    refusal,
                }));
            }
        }
    }
}

/// The messages of a client stream, one at a time, as sent (prefix and bytes).
struct Reader {
    body: Incoming,
    buf: BytesMut,
    ended: bool,
    max: usize,
    deadline: Instant,
}

impl Reader {
    /// The next whole message, `None` when the stream ended between messages.
    async fn next(&mut self) -> Result<Option<Bytes>, Reject> {
        loop {
            match wire_fmt::next_frame(&self.buf, self.max) {
                Ok((_, rest)) => {
                    let n = self.buf.len() - rest.len();
                    return Ok(Some(self.buf.split_to(n).freeze()));
                }
                Err(FrameError::Empty) if self.ended => return Ok(None),
                Err(FrameError::Truncated) if self.ended => {
                    return Err(frame_refusal(FrameError::Truncated))
                }
                Err(FrameError::Empty | FrameError::Truncated) => {}
                Err(e) => return Err(frame_refusal(e)),
            }
            match tokio::time::timeout_at(self.deadline, self.body.frame()).await {
                Err(_) => {
                    return Err(Reject::new(
                        Reason::UpstreamTimeout,
                        "the call's deadline passed while the client was streaming",
                    ))
                }
                Ok(None) => self.ended = true,
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.buf.extend_from_slice(&data);
                    }
                }
                Ok(Some(Err(e))) => {
                    return Err(Reject::new(
                        Reason::IncompleteBody,
                        format!("the client stream failed: {e}"),
                    ))
                }
            }
        }
    }
}

/// What deciding messages 1.. needs; owned by its task for the life of the stream.
struct Pump {
    rt: Arc<Runtime>,
    snap: Arc<Snapshot>,
    target: Target,
    head: Arc<Head>,
    reader: Reader,
    /// The upstream request body: closed when the client's stream ends, failed (the upstream
    /// stream reset) when a message is refused.
    tx: mpsc::Sender<Result<Frame<Bytes>, GrpcBodyError>>,
    trace_id: String,
    /// What the answer is redacted by: a message's plan is added before it is forwarded.
    plan: relay::Plan,
}

impl Pump {
    /// Decide and forward messages 1.. until the client's stream ends or one is refused.
    async fn run(mut self, refusal: oneshot::Sender<Refused>) {
        for index in 1.. {
            let mut rec = self.record(index);
            let msg = match self.reader.next().await {
                Ok(Some(m)) => m,
                Ok(None) => {
                    // the end of the stream is no call
                    rec.record = false;
                    return;
                }
                Err(rej) => return self.refuse(rec, rej, refusal).await,
            };
            let decided = decide_message(
                &self.rt,
                &self.snap,
                &mut rec,
                self.target,
                &self.head,
                &msg,
                index,
            )
            .await;
            match decided {
                Ok((out, plan, spend)) => {
                    if let Some(plan) = &plan {
                        self.plan.add(plan);
                    }
                    if self.tx.send(Ok(Frame::data(out))).await.is_err() {
                        if let Some(spend) = spend {
                            spend.release().await;
                        }
                        rec.outcome = Some(Outcome::Refused(Reject::new(
                            Reason::UpstreamUnavailable,
                            "the tool's stream ended before this message",
                        )));
                        return;
                    }
                    if let Some(spend) = spend {
                        spend.commit_estimate().await;
                    }
                    rec.outcome = Some(Outcome::Forwarded { status: 200 });
                }
                Err(rej) => return self.refuse(rec, rej, refusal).await,
            }
        }
    }

    /// The record of message `index`: the same call, principal and trace as message 0.
    fn record(&self, index: usize) -> CallRecord {
        let mut rec = CallRecord::new(
            self.rt.metrics.clone(),
            &self.snap,
            self.trace_id.clone(),
            self.rt.audit_hook(&self.snap),
        );
        super::start_record(&mut rec, &self.snap, self.target, index);
        rec.principal = Some(self.head.principal.clone());
        rec
    }

    /// A refused message: the refusal reaches the agent's answer first, then the upstream
    /// stream is reset.
    async fn refuse(&self, mut rec: CallRecord, rej: Reject, refusal: oneshot::Sender<Refused>) {
        let _ = refusal.send(Refused {
            rej: rej.clone(),
            decision_id: rec.decision_id.clone(),
        });
        let _ = self
            .tx
            .send(Err(GrpcBodyError(format!(
                "message refused: {}",
                rej.reason.code()
            ))))
            .await;
        drop(super::refuse(&mut rec, rej));
    }
}
