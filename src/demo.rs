//! A small built-in "payments" API for the quickstart and the load script: the tools upstream
//! the README's curl lines talk to (`toolwall demo-upstream` runs it alone).

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use http::{header, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::body::{full, ResBody};

/// Serve the demo API until shutdown.
pub async fn serve(listener: TcpListener, shutdown: watch::Receiver<bool>) {
    let counter = Arc::new(AtomicU64::new(0));
    crate::server::serve(listener, shutdown, move |req| {
        let counter = counter.clone();
        async move { Ok::<_, Infallible>(handle(req, &counter).await) }
    })
    .await;
}

async fn handle(req: Request<Incoming>, counter: &AtomicU64) -> Response<ResBody> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return json_response(StatusCode::BAD_REQUEST, json!({"error": "bad body"})),
    };
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (&method, segments.as_slice()) {
        (&Method::POST, ["v1", "refunds"]) => {
            let args: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
            json_response(
                StatusCode::OK,
                json!({
                    "id": format!("re_{n:06}"),
                    "object": "refund",
                    "charge": args.get("charge"),
                    "amount": args.get("amount"),
                    "status": "succeeded",
                }),
            )
        }
        (&Method::GET, ["v1", "charges", id]) => json_response(
            StatusCode::OK,
            json!({
                "id": id,
                "object": "charge",
                "amount": 12000,
                "currency": "usd",
                "customer": "cus_demo",
                "receipt_email": "jane.doe@example.com",
                "status": "succeeded",
            }),
        ),
        _ => json_response(
            StatusCode::NOT_FOUND,
            json!({"error": format!("no such endpoint: {method} {path}")}),
        ),
    }
}

fn json_response(status: StatusCode, v: Value) -> Response<ResBody> {
    let mut r = Response::new(full(v.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r
}
