//! The one SSE relay both front ends use: the upstream's event stream parsed as a client
//! parses it, each event handed to the front end's [`EventHandler`] in order, and what it
//! returns sent on through one channel body, by a task that ends as soon as the agent goes
//! away.

use std::future::Future;

use bytes::{Bytes, BytesMut};
use http_body::Frame;
use http_body_util::BodyExt;
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

/// Relay an SSE body (the upstream's [`hyper::body::Incoming`]) through `handler`; an event
/// still incomplete past `limit` bytes ends the stream ([`EventHandler::overflow`]).
pub fn relay<B, H>(body: B, limit: usize, mut handler: H) -> ResBody
where
    B: http_body::Body<Data = Bytes, Error = hyper::Error> + Send + Unpin + 'static,
    H: EventHandler,
{
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Records every call the relay makes, and answers each event with its data.
    struct Log {
        calls: Arc<Mutex<Vec<String>>>,
    }

    impl Log {
        fn note(&self, s: String) {
            if let Ok(mut c) = self.calls.lock() {
                c.push(s);
            }
        }
    }

    impl EventHandler for Log {
        async fn event(&mut self, ev: Event) -> Bytes {
            let data = ev.data.unwrap_or_default();
            self.note(format!("event {data}"));
            Bytes::from(format!("[{data}]"))
        }

        fn flush(&mut self) -> Bytes {
            self.note("flush".into());
            Bytes::new()
        }

        async fn overflow(&mut self) -> Bytes {
            self.note("overflow".into());
            Bytes::from_static(b"<too large>")
        }

        async fn end(&mut self, tail: Option<Event>) -> Bytes {
            self.note(format!("end {:?}", tail.and_then(|t| t.data)));
            Bytes::from_static(b"<end>")
        }
    }

    impl Drop for Log {
        fn drop(&mut self) {
            self.note("dropped".into());
        }
    }

    fn body(chunks: &[&'static [u8]]) -> impl http_body::Body<Data = Bytes, Error = hyper::Error> {
        let frames: Vec<Result<Frame<Bytes>, hyper::Error>> = chunks
            .iter()
            .map(|c| Ok(Frame::data(Bytes::from_static(c))))
            .collect();
        http_body_util::StreamBody::new(futures_util::stream::iter(frames))
    }

    fn log() -> (Log, Arc<Mutex<Vec<String>>>) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        (
            Log {
                calls: calls.clone(),
            },
            calls,
        )
    }

    fn calls(c: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
        c.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// The calls once the relay's task has ended (the handler is dropped with it).
    async fn all_calls(c: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
        for _ in 0..200 {
            if calls(c).last().map(String::as_str) == Some("dropped") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        calls(c)
    }

    #[tokio::test]
    async fn events_go_through_the_handler_in_order_and_the_end_sees_the_tail() {
        let (h, log) = log();
        let out = relay(body(&[b"data: a\n\nda", b"ta: b\n\ndata: c"]), 1024, h);
        let sent = out
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        assert_eq!(&sent[..], b"[a][b]<end>");
        assert_eq!(
            calls(&log),
            [
                "event a",
                "flush",
                "event b",
                "flush",
                "end Some(\"c\")",
                "dropped"
            ]
        );
    }

    #[tokio::test]
    async fn an_event_past_the_limit_ends_the_stream() {
        let (h, log) = log();
        let out = relay(
            body(&[b"data: a\n\ndata: 0123456789", b"data: never\n\n"]),
            8,
            h,
        );
        let sent = out
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        assert_eq!(&sent[..], b"[a]<too large>");
        assert_eq!(all_calls(&log).await, ["event a", "overflow", "dropped"]);
    }

    #[tokio::test]
    async fn an_agent_that_goes_away_ends_the_relay_on_a_quiet_stream() {
        let (h, log) = log();
        // an upstream that sends one event and then nothing, ever
        let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, hyper::Error>>(1);
        let upstream = http_body_util::StreamBody::new(tokio_stream_of(rx));
        let _ = tx
            .send(Ok(Frame::data(Bytes::from_static(b"data: a\n\n"))))
            .await;
        let mut out = relay(upstream, 1024, h);
        let first = out
            .frame()
            .await
            .and_then(|f| f.ok())
            .and_then(|f| f.into_data().ok());
        assert_eq!(first.as_deref(), Some(&b"[a]"[..]));
        drop(out);
        assert_eq!(all_calls(&log).await, ["event a", "flush", "dropped"]);
        drop(tx);
    }

    fn tokio_stream_of<T: Send + 'static>(
        mut rx: mpsc::Receiver<T>,
    ) -> impl futures_util::Stream<Item = T> + Send + Unpin {
        Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
    }
}
