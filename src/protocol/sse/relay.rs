//! The one SSE relay both front ends use: the upstream's event stream parsed as a client
//! parses it, each event handed to the front end's [`EventHandler`] in order, and what it
//! returns sent on through one channel body, by a task that ends as soon as the agent goes
//! away.

use std::future::Future;

use bytes::{Bytes, BytesMut};
use http_body::Frame;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::mpsc;

use super::{Event, Parser};
use crate::body::ResBody;

/// What one relay does with the events it reads (the MCP front end reads each event's
/// JSON-RPC message; the HTTP front end redacts each event).
pub trait EventHandler: Send + 'static {
    /// One complete event: the bytes to send for it now (empty: withheld, or held back).
    fn event(&mut self, ev: Event) -> impl Future<Output = Bytes> + Send;

    /// After the events of one chunk: what was held back that may go now.
    fn flush(&mut self) -> Bytes {
        Bytes::new()
    }

    /// The event being read outgrew the relay's limit: what to send before the stream ends
    /// (nothing of that event is sent).
    fn overflow(&mut self) -> impl Future<Output = Bytes> + Send;

    /// The upstream ended; `tail` is an unterminated last event (a client discards it, and
    /// so does the relay): what to send last.
    fn end(&mut self, tail: Option<Event>) -> impl Future<Output = Bytes> + Send;

    /// The upstream body broke (`tail` as for [`EventHandler::end`]): nothing more is sent
    /// but the error.
    fn failed(&mut self, tail: Option<Event>) {
        let _ = tail;
    }
}

/// Relay an SSE body through `handler`; an event still incomplete past `limit` bytes ends
/// the stream ([`EventHandler::overflow`]).
pub fn relay<H: EventHandler>(body: Incoming, limit: usize, mut handler: H) -> ResBody {
    use futures_util::StreamExt;
    let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, hyper::Error>>(16);
    tokio::spawn(async move {
        let mut data = body.into_data_stream();
        let mut parser = Parser::new();
        loop {
            // an agent that went away ends the relay at once, even on a quiet stream
            let chunk = tokio::select! {
                c = data.next() => c,
                _ = tx.closed() => return,
            };
            let mut out = BytesMut::new();
            let stop = match chunk {
                Some(Ok(c)) => {
                    for ev in parser.push(&c) {
                        out.extend_from_slice(&handler.event(ev).await);
                    }
                    if parser.buffered() > limit {
                        out.extend_from_slice(&handler.overflow().await);
                        true
                    } else {
                        out.extend_from_slice(&handler.flush());
                        false
                    }
                }
                Some(Err(e)) => {
                    handler.failed(parser.finish());
                    let _ = tx.send(Err(e)).await;
                    return;
                }
                None => {
                    out.extend_from_slice(&handler.end(parser.finish()).await);
                    true
                }
            };
            if !out.is_empty() && tx.send(Ok(Frame::data(out.freeze()))).await.is_err() {
                return; // the agent went away
            }
            if stop {
                return;
            }
        }
    });
    BodyExt::boxed(ChannelBody { rx })
}

/// A response body fed by the relay's task through a channel.
struct ChannelBody {
    rx: mpsc::Receiver<Result<Frame<Bytes>, hyper::Error>>,
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        self.rx.poll_recv(cx)
    }
}
