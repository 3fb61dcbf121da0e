//! The MCP 2026-07-28 way of asking for approval: a multi round-trip `input_required` result.
//!
//! A `tools/call` refused `approval_required` from a client on the 2026-07-28 protocol that
//! declares URL-mode elicitation (`_meta["io.modelcontextprotocol/clientCapabilities"]
//! .elicitation.url`) is answered, when the approval page's URL is configured
//! (`approvals.ui_url`, or `<notify.admin_url>/ui`), with
//!
//! ```json
//! {"resultType": "input_required",
//!  "inputRequests": {"toolwall_approval": {"method": "elicitation/create",
//!    "params": {"mode": "url", "message": "…", "url": "<ui_url>#<approval id>"}}},
//!  "requestState": "toolwall.v1.<payload>.<mac>",
//!  "_meta": {"toolwall/refusal": {"reasons", "decision_id", "approval_id"}}}
//! ```
//!
//! The client shows the page, then retries the same call with `params.requestState` and
//! `params.inputResponses`. The state is toolwall's own (the `toolwall.v1.` prefix; any other
//! `requestState` belongs to the server and is forwarded untouched): base64url JSON
//! `{a: approval id, t: tool, k: binding key, x: expiry}` and an HMAC-SHA256 over it under a
//! key derived from the deployment's HMAC key (a random per-process key when there is none).
//! [`open`] checks it; the approval id inside is then presented like
//! `_meta["toolwall/approval"]`, and only the stored approval decides. Neither the state nor
//! the responses reach the tool.

use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use crate::pipeline::reject::{Reason, Reject};
use crate::protocol::mcp as proto;

/// What every toolwall `requestState` starts with.
const PREFIX: &str = "toolwall.v1.";
/// The key of toolwall's input request in `inputRequests` / `inputResponses`.
pub(super) const INPUT_KEY: &str = "toolwall_approval";
/// Longest `requestState` toolwall reads as its own.
const MAX_STATE_LEN: usize = 2048;

/// What a `requestState` carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct State {
    /// The approval request's id.
    #[serde(rename = "a")]
    pub approval_id: String,
    /// The tool's qualified name.
    #[serde(rename = "t")]
    pub tool: String,
    /// The call's binding key (principal, tool, arguments' HMAC).
    #[serde(rename = "k")]
    pub key: String,
    /// Unix seconds after which the state is refused.
    #[serde(rename = "x")]
    pub exp: i64,
}

/// The client declared URL-mode elicitation in this request's `_meta`.
pub(super) fn url_elicitation(meta: Option<&Value>) -> bool {
    meta.and_then(|m| m.get(proto::META_CLIENT_CAPABILITIES))
        .and_then(|c| c.get("elicitation"))
        .and_then(|e| e.get("url"))
        .is_some_and(Value::is_object)
}

/// The `requestState` MAC over `payload`: under a key derived from the deployment's HMAC key
/// (the key that signs `input_hmac` is never used as is for another purpose), or a random
/// per-process key without one. `None` only if no key can be made: the caller then sends the
/// `isError` refusal, or refuses the state.
fn tag(deployment: Option<&[u8]>, payload: &str) -> Option<Vec<u8>> {
    static PROCESS: OnceLock<Option<[u8; 32]>> = OnceLock::new();
    let base: &[u8] = match deployment {
        Some(k) => k,
        None => PROCESS
            .get_or_init(|| {
                let mut k = [0u8; 32];
                getrandom::getrandom(&mut k).ok().map(|()| k)
            })
            .as_ref()?,
    };
    let mut derive = Hmac::<Sha256>::new_from_slice(base).ok()?;
    derive.update(b"toolwall mcp requestState v1");
    let key = derive.finalize().into_bytes();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(PREFIX.as_bytes());
    mac.update(payload.as_bytes());
    Some(mac.finalize().into_bytes().to_vec())
}

/// Seal `state` as a `requestState`.
pub(super) fn seal(deployment: Option<&[u8]>, state: &State) -> Option<String> {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(state).ok()?);
    let tag = URL_SAFE_NO_PAD.encode(tag(deployment, &payload)?);
    Some(format!("{PREFIX}{payload}.{tag}"))
}

/// A `requestState` toolwall issued (by its prefix): any other belongs to the server.
pub(super) fn is_ours(s: &str) -> bool {
    s.starts_with(PREFIX)
}

/// The params carry a `requestState` toolwall issued.
pub(super) fn has_state(params: &Map<String, Value>) -> bool {
    params
        .get("requestState")
        .and_then(Value::as_str)
        .is_some_and(is_ours)
}

/// Check a `requestState` toolwall issued: its MAC (`approval_unknown` when it does not
/// verify) and its expiry (`approval_expired`).
pub(super) fn open(deployment: Option<&[u8]>, token: &str, now: i64) -> Result<State, Reject> {
    let forged = || {
        Reject::new(
            Reason::ApprovalUnknown,
            "params.requestState is not one toolwall issued (altered or from another deployment)",
        )
    };
    if token.len() > MAX_STATE_LEN {
        return Err(forged());
    }
    let (payload, tag) = token
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once('.'))
        .ok_or_else(forged)?;
    let presented = URL_SAFE_NO_PAD.decode(tag).map_err(|_| forged())?;
    let expected = self::tag(deployment, payload).ok_or_else(forged)?;
    let same = presented.len() == expected.len()
        && bool::from(subtle::ConstantTimeEq::ct_eq(&presented[..], &expected[..]));
    if !same {
        return Err(forged());
    }
    let state: State = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(forged)?;
    if now > state.exp {
        let mut rej = Reject::new(
            Reason::ApprovalExpired,
            "params.requestState has expired: call again without it for a new approval request",
        );
        rej.approval_id = Some(state.approval_id.as_str().into());
        return Err(rej);
    }
    Ok(state)
}

/// What the client answered to toolwall's input request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    /// No answer for `toolwall_approval` (the store decides, as on any retry).
    None,
    Accept,
    Decline,
    Cancel,
}

/// Read `params.inputResponses` for toolwall's key: an object, whose `toolwall_approval`
/// entry (when there is one) is an elicitation result with a known `action`.
pub(super) fn answer(responses: Option<&Value>) -> Result<Answer, Reject> {
    let bad = |why: &str| {
        let mut rej = Reject::new(Reason::InvalidMcpMessage, why.to_string());
        rej.rpc_code = Some(proto::INVALID_PARAMS);
        rej
    };
    let entry = match responses {
        None | Some(Value::Null) => return Ok(Answer::None),
        Some(Value::Object(m)) => m.get(INPUT_KEY),
        Some(_) => return Err(bad("params.inputResponses must be an object")),
    };
    let Some(entry) = entry else {
        return Ok(Answer::None);
    };
    match entry.get("action").and_then(Value::as_str) {
        Some("accept") => Ok(Answer::Accept),
        Some("decline") => Ok(Answer::Decline),
        Some("cancel") => Ok(Answer::Cancel),
        _ => Err(bad(
            "params.inputResponses.toolwall_approval must be an elicitation result with action accept, decline or cancel",
        )),
    }
}

/// The `input_required` answer to a call refused `approval_required` (`rej`, with its
/// approval id): a URL-mode elicitation pointing at `page`, and the sealed state.
pub(super) fn input_required(
    id: &Value,
    rej: &Reject,
    decision_id: &str,
    tool: &str,
    page: &str,
    state: &str,
) -> Value {
    let approval = rej.approval_id.as_deref().unwrap_or_default();
    let why: Vec<String> = rej
        .reasons()
        .into_iter()
        .filter(|r| r != "approval_required")
        .collect();
    let why = if why.is_empty() {
        String::new()
    } else {
        format!(" ({})", why.join(", "))
    };
    let message = format!(
        "toolwall: the call to `{tool}` needs a human's approval{why}. Approval request \
         {approval} is pending: open the page to follow it; an approver decides there. The call \
         is retried when you continue, and goes through only once the approvers have approved it."
    );
    let mut params = Map::new();
    params.insert("mode".into(), json!("url"));
    params.insert("message".into(), json!(message));
    params.insert("url".into(), json!(format!("{page}#{approval}")));
    json!({"jsonrpc": "2.0", "id": id, "result": {
        "resultType": "input_required",
        "inputRequests": {INPUT_KEY: {"method": "elicitation/create", "params": params}},
        "requestState": state,
        "_meta": {"toolwall/refusal": {
            "reasons": rej.reasons(),
            "decision_id": decision_id,
            "approval_id": approval,
        }},
    }})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(exp: i64) -> State {
        State {
            approval_id: "0190-a".into(),
            tool: "crm.refund".into(),
            key: "ab".repeat(32),
            exp,
        }
    }

    #[test]
    fn a_sealed_state_opens_only_unaltered_and_in_time() {
        let key = Some(&b"0123456789abcdef0123456789abcdef"[..]);
        let token = seal(key, &state(100)).unwrap_or_default();
        assert!(is_ours(&token) && !is_ours("server-state"));
        assert_eq!(open(key, &token, 100).ok(), Some(state(100)));
        let expired = open(key, &token, 101).err().map(|r| r.reason);
        assert_eq!(expired, Some(Reason::ApprovalExpired));
        // another deployment's key, the per-process key, a flipped byte, a swapped payload
        let other = open(Some(b"another key of enough length!!!!"), &token, 0);
        assert_eq!(other.err().map(|r| r.reason), Some(Reason::ApprovalUnknown));
        assert!(open(None, &token, 0).is_err());
        let mut bytes = token.clone().into_bytes();
        let i = PREFIX.len() + 3;
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(bytes).unwrap_or_default();
        assert!(open(key, &flipped, 0).is_err());
        let later = seal(key, &state(10_000)).unwrap_or_default();
        let (_, tag) = token.rsplit_once('.').unwrap_or_default();
        let (payload, _) = later.rsplit_once('.').unwrap_or_default();
        assert!(open(key, &format!("{payload}.{tag}"), 0).is_err());
        for junk in [
            "toolwall.v1.",
            "toolwall.v1.x",
            "toolwall.v1.a.b",
            &"x".repeat(5000),
        ] {
            assert!(open(key, junk, 0).is_err(), "{junk}");
        }
        // without a deployment key, this process's own key
        let local = seal(None, &state(100)).unwrap_or_default();
        assert_eq!(open(None, &local, 0).ok(), Some(state(100)));
    }

    #[test]
    fn capabilities_and_answers() {
        let caps = |c: Value| json!({proto::META_CLIENT_CAPABILITIES: c});
        assert!(url_elicitation(Some(&caps(
            json!({"elicitation": {"form": {}, "url": {}}})
        ))));
        assert!(!url_elicitation(Some(&caps(json!({"elicitation": {}})))));
        assert!(!url_elicitation(Some(&caps(
            json!({"elicitation": {"url": true}})
        ))));
        assert!(!url_elicitation(Some(&json!({}))));
        assert!(!url_elicitation(None));
        assert_eq!(answer(None).ok(), Some(Answer::None));
        let a = |v: Value| answer(Some(&v)).map_err(|r| r.reason);
        assert_eq!(
            a(json!({"toolwall_approval": {"action": "accept"}})),
            Ok(Answer::Accept)
        );
        assert_eq!(
            a(json!({"toolwall_approval": {"action": "decline"}})),
            Ok(Answer::Decline)
        );
        assert_eq!(a(json!({"other": {}})), Ok(Answer::None));
        assert_eq!(
            a(json!({"toolwall_approval": {"action": "yes"}})),
            Err(Reason::InvalidMcpMessage)
        );
        assert_eq!(a(json!([])), Err(Reason::InvalidMcpMessage));
    }

    #[test]
    fn the_answer_names_the_page_and_the_approval() {
        let mut rej = Reject::new(Reason::ApprovalRequired, "needs approval");
        rej.policy_reasons = vec!["approval_required".into(), "large_refund".into()];
        rej.approval_id = Some("0190-a".into());
        let m = input_required(&json!(3), &rej, "d-1", "crm.refund", "https://tw/ui", "st");
        let r = &m["result"];
        assert_eq!(r["resultType"], "input_required");
        assert_eq!(r["requestState"], "st");
        let ask = &r["inputRequests"][INPUT_KEY];
        assert_eq!(ask["method"], "elicitation/create");
        assert_eq!(ask["params"]["mode"], "url");
        assert_eq!(ask["params"]["url"], "https://tw/ui#0190-a");
        let text = ask["params"]["message"].as_str().unwrap_or_default();
        assert!(
            text.contains("large_refund") && text.contains("0190-a"),
            "{text}"
        );
        assert_eq!(r["_meta"]["toolwall/refusal"]["approval_id"], "0190-a");
        assert!(r.get("isError").is_none());
    }
}
