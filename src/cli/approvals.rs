//! `toolwall approvals list|show ID|approve ID|deny ID`: the approval queue through the admin
//! API (`/admin/approvals`).
//!
//! The approver's token comes from the environment variable `--token-env` names (default
//! `TOOLWALL_APPROVER_TOKEN`): it names who decides. `list` and `show` fall back to the admin
//! token (the same flags and config lookup as `toolwall kill`); `approve` and `deny` need an
//! approver's token. Output is one line per request, or the API's JSON with `--json`.

use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};

use super::kill::AdminClient;
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// The default variable holding the approver's token.
pub const TOKEN_ENV: &str = "TOOLWALL_APPROVER_TOKEN";

#[derive(Debug, clap::Subcommand)]
pub enum ApprovalsCommand {
    /// The queue, newest first: id, state, tool, agent, tier, approvals/quorum, age, reasons.
    List {
        /// pending, approved, denied, expired, used or all.
        #[arg(long, default_value = "pending")]
        state: String,
        /// At most this many (1 to 1000; the API's default is 100).
        #[arg(long)]
        limit: Option<usize>,
        #[command(flatten)]
        client: ApproverClient,
    },
    /// One request: the call (redacted arguments), the reasons and every vote.
    Show {
        id: String,
        #[command(flatten)]
        client: ApproverClient,
    },
    /// Approve a request (counts toward its tier's quorum of distinct approvers).
    Approve {
        id: String,
        /// Recorded with your vote on the audit stream (at most 1000 characters).
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        client: ApproverClient,
    },
    /// Deny a request (one deny decides it).
    Deny {
        id: String,
        /// Recorded with your vote on the audit stream (at most 1000 characters).
        #[arg(long)]
        comment: Option<String>,
        #[command(flatten)]
        client: ApproverClient,
    },
}

/// Who is asking, and where the admin API is.
#[derive(Debug, Clone, clap::Args)]
pub struct ApproverClient {
    /// The environment variable holding your approver token.
    #[arg(long, value_name = "NAME", default_value = TOKEN_ENV)]
    pub token_env: String,
    /// Print the API's JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub admin: AdminClient,
}

/// Run one `toolwall approvals` command; returns the exit code (0 done, 1 refused by the API,
/// 2 usage or I/O error).
pub fn run(cmd: ApprovalsCommand) -> i32 {
    let (what, client, may_read_as_admin) = match &cmd {
        ApprovalsCommand::List { client, .. } => ("list", client, true),
        ApprovalsCommand::Show { client, .. } => ("show", client, true),
        ApprovalsCommand::Approve { client, .. } => ("approve", client, false),
        ApprovalsCommand::Deny { client, .. } => ("deny", client, false),
    };
    let fail = |msg: String| {
        eprintln!("toolwall approvals {what}: {msg}");
        EXIT_USAGE
    };
    let (base, admin_token) = match client.admin.resolve() {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let approver = std::env::var(&client.token_env)
        .ok()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let token = match (approver, may_read_as_admin) {
        (Some(t), _) => t,
        (None, true) => match admin_token {
            Some(t) => t,
            None => {
                return fail(format!(
                    "no token: set {} to your approver token, or give the admin token \
                     (--token, --token-file, -c)",
                    client.token_env
                ))
            }
        },
        (None, false) => {
            return fail(format!(
                "set {} to your approver token (or name another variable with --token-env); \
                 the admin token cannot decide",
                client.token_env
            ))
        }
    };
    let base = base.trim_end_matches('/').to_string();
    let (method, path, body) = match &cmd {
        ApprovalsCommand::List { state, limit, .. } => {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("state", state);
            if let Some(l) = limit {
                q.append_pair("limit", &l.to_string());
            }
            (
                Method::GET,
                format!("/admin/approvals?{}", q.finish()),
                None,
            )
        }
        ApprovalsCommand::Show { id, .. } => {
            (Method::GET, format!("/admin/approvals/{}", seg(id)), None)
        }
        ApprovalsCommand::Approve { id, comment, .. }
        | ApprovalsCommand::Deny { id, comment, .. } => {
            let verb = if matches!(cmd, ApprovalsCommand::Approve { .. }) {
                "approve"
            } else {
                "deny"
            };
            (
                Method::POST,
                format!("/admin/approvals/{}/{verb}", seg(id)),
                Some(json!({ "comment": comment }).to_string()),
            )
        }
    };
    let url = format!("{base}{path}");
    let (status, text) = match call(method, &url, &token, body) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if status != StatusCode::OK {
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let e = &v["error"];
        let detail = match (e["type"].as_str(), e["message"].as_str()) {
            (Some(t), Some(m)) => format!("{t}: {m}"),
            (Some(t), None) => t.to_string(),
            _ => text.trim().to_string(),
        };
        eprintln!("toolwall approvals {what}: {status}: {}", clean(&detail));
        return EXIT_FAILED;
    }
    if client.json {
        println!("{}", text.trim_end());
        return EXIT_OK;
    }
    let v: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            return fail(format!(
                "the admin API answered something that is not JSON: {e}"
            ))
        }
    };
    match &cmd {
        ApprovalsCommand::List { state, .. } => {
            let list = v["approvals"].as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                eprintln!("no approval requests (state: {})", clean(state));
            }
            for r in &list {
                println!("{}", line(r));
            }
        }
        ApprovalsCommand::Show { .. } => print!("{}", details(&v)),
        ApprovalsCommand::Approve { .. } | ApprovalsCommand::Deny { .. } => {
            println!("{}", line(&v["approval"]));
        }
    }
    EXIT_OK
}

/// A path segment: the id percent-encoded (an id with `/` or `?` must not pick another route).
fn seg(id: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(id, SEGMENT).to_string()
}

/// One request to the admin API: (status, body), or an I/O error.
fn call(
    method: Method,
    url: &str,
    token: &str,
    body: Option<String>,
) -> Result<(StatusCode, String), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let mut req = Request::builder()
            .method(method)
            .uri(url)
            .header("authorization", format!("Bearer {token}"));
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| format!("bad admin URL {url}: {e}"))?;
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let resp = match tokio::time::timeout(Duration::from_secs(10), client.request(req)).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => return Err(format!("cannot reach the admin API at {url}: {e}")),
            Err(_) => return Err(format!("the admin API at {url} did not answer in 10s")),
        };
        let status = resp.status();
        let body = http_body_util::Limited::new(resp.into_body(), 64 * 1024 * 1024)
            .collect()
            .await
            .map_err(|e| format!("cannot read the answer: {e}"))?
            .to_bytes();
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    })
}

/// `id  state  tool  agent  tier  approvals/quorum  age  reasons`.
pub fn line(r: &Value) -> String {
    let s = |k: &str| clean(r[k].as_str().unwrap_or("-"));
    let reasons = reasons(r);
    format!(
        "{}  {}  {}  {}  {}  {}/{}  {}  {}",
        s("id"),
        s("state"),
        s("tool"),
        s("agent"),
        s("tier"),
        r["approvals"].as_u64().unwrap_or(0),
        r["quorum"].as_u64().unwrap_or(0),
        age(r["age_seconds"].as_i64().unwrap_or(0)),
        if reasons.is_empty() {
            "-".into()
        } else {
            reasons
        },
    )
}

fn reasons(r: &Value) -> String {
    r["reasons"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(clean)
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The `show` text: every field a reviewer needs, one per line, then the votes.
fn details(r: &Value) -> String {
    let s = |k: &str| clean(r[k].as_str().unwrap_or("-"));
    let ts = |k: &str| {
        r[k].as_i64()
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(|| "-".into())
    };
    let mut out = String::new();
    let mut add = |k: &str, v: String| out.push_str(&format!("{k:<12}{v}\n"));
    add("id", s("id"));
    add("state", s("state"));
    add("tool", s("tool"));
    add("agent", s("agent"));
    add("principal", clean(&r["principal"].to_string()));
    add("summary", s("summary"));
    add("reasons", reasons(r));
    add(
        "tier",
        format!(
            "{} ({}/{} approvals)",
            s("tier"),
            r["approvals"].as_u64().unwrap_or(0),
            r["quorum"].as_u64().unwrap_or(0)
        ),
    );
    add(
        "created",
        format!(
            "{} ({} ago)",
            ts("created_unix"),
            age(r["age_seconds"].as_i64().unwrap_or(0))
        ),
    );
    add("expires", ts("expires_unix"));
    add("decision", s("decision_id"));
    add("policy", s("policy_version"));
    if let Some(u) = r["used_by"].as_str() {
        add("used by", clean(u));
    }
    add("args", clean(&r["args_redacted"].to_string()));
    for v in r["votes"].as_array().into_iter().flatten() {
        let verdict = if v["approve"].as_bool() == Some(true) {
            "approved"
        } else {
            "denied"
        };
        let at = v["at_unix"]
            .as_i64()
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        let comment = v["comment"]
            .as_str()
            .map(|c| format!(": {}", clean(c)))
            .unwrap_or_default();
        add(
            "vote",
            format!(
                "{} {verdict} at {at}{comment}",
                clean(v["approver"].as_str().unwrap_or("?"))
            ),
        );
    }
    out
}

/// `42s`, `5m`, `3h`, `2d`.
pub fn age(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Text from the agent's side (tool names, agents, reasons, comments) with control characters
/// escaped, so it cannot drive the terminal.
pub fn clean(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_request() {
        let r = json!({"id": "0193-ab", "state": "pending", "tool": "pay.refund",
            "agent": "bot\u{1b}[31m", "tier": "high", "approvals": 1, "quorum": 2,
            "age_seconds": 125, "reasons": ["over_threshold", "new_payee"]});
        assert_eq!(
            line(&r),
            "0193-ab  pending  pay.refund  bot\\u{1b}[31m  high  1/2  2m  over_threshold,new_payee"
        );
        assert_eq!(age(59), "59s");
        assert_eq!(age(7200), "2h");
        assert_eq!(age(-3), "0s");
        assert_eq!(age(200_000), "2d");
        assert_eq!(seg("a/b?c"), "a%2Fb%3Fc");
        assert_eq!(seg("0193a1b2-c3d4"), "0193a1b2-c3d4");
    }
}
