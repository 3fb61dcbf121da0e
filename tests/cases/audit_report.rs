//! `toolwall audit report` and the cost sums of `audit show --run`: a real toolwall with a
//! signed audit stream, two tenants (two runs of the proxy on one stream, one static tenant
//! each), priced and unpriced tools, refusals and approvals; the real binary reads the stream.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::Value;

use crate::common::*;

/// `shop.buy` needs an approval when `big`; `shop.free` is always refused.
const REPORT_POLICY: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

decision := {"allow": false, "reasons": ["no_free_lunch"]} if input.tool.name == "shop.free"

decision := {"allow": false, "require_approval": true, "reasons": ["big_buy"]} if {
	input.tool.name == "shop.buy"
	input.args.big == true
	not input.approval.approved
}
"#;

const ALICE_TOKEN: &str = "report-alice-9b3";

fn adapter(up: std::net::SocketAddr) -> String {
    format!(
        r#"name: shop
upstream: http://{up}
timeout: 2s
tools:
  - name: shop.buy
    match: {{ method: POST, path: /buy }}
    args: json
    cost_usd: 0.01
  - name: shop.look
    match: {{ method: GET, path: /look }}
    args: query
    read_only: true
    cost_usd: 0.02
  - name: shop.free
    match: {{ method: GET, path: /free }}
    args: query
"#
    )
}

/// What the test sent and what it expects each call to count as.
#[derive(Default, Debug, PartialEq)]
struct Expect {
    calls: u64,
    allowed: u64,
    refused: u64,
    requested: u64,
    approved: u64,
    denied: u64,
    cost_micros: i64,
}

fn with_run(mut r: http::Request<Full<Bytes>>, run: &str) -> http::Request<Full<Bytes>> {
    r.headers_mut()
        .insert("toolwall-run-id", run.parse().expect("header"));
    r
}

fn approval_id(r: &Reply) -> String {
    let v = r.json();
    assert_eq!(v["error"]["type"], "approval_required", "{v}");
    v["error"]["approval_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no approval id in {v}"))
        .to_string()
}

/// One run of the proxy as `tenant`: two buys, a look, a refused free call and a big buy that
/// needs an approval (approved and retried when `approve`, else denied). Returns what the
/// report must count for this tenant, and per tool into `tools`.
async fn session(
    up: std::net::SocketAddr,
    keys: &Path,
    tenant: &str,
    run: &str,
    approve: bool,
    tools: &mut BTreeMap<&'static str, Expect>,
) -> Expect {
    std::env::set_var("TW_REPORT_ALICE", ALICE_TOKEN);
    let config = format!(
        "identity:\n  static: {{ agent: bot-{tenant}, tenant: {tenant} }}\n\
         approvals:\n  ttl: 1h\n  approvers:\n    - {{ name: alice, token_env: TW_REPORT_ALICE }}\n\
         audit: {{ dir: {0}/audit, key: {0}/keys/audit.key, hmac_key: {0}/keys/hmac.key }}\n",
        keys.display()
    );
    let h = Harness::start_with(&[("shop", adapter(up))], REPORT_POLICY, &config, None).await;
    let mut e = Expect::default();
    let mut count = |e: &mut Expect, tool: &'static str, allowed: bool, price: i64| {
        let t = tools.entry(tool).or_default();
        for x in [&mut *e, t] {
            x.calls += 1;
            if allowed {
                x.allowed += 1;
                x.cost_micros += price;
            } else {
                x.refused += 1;
            }
        }
    };
    for _ in 0..2 {
        let r = send(h.agent(), with_run(json_post("/shop/buy", "{}"), run)).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        count(&mut e, "shop.buy", true, 10_000);
    }
    let r = send(h.agent(), with_run(get("/shop/look?q=1"), run)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    count(&mut e, "shop.look", true, 20_000);
    let r = send(h.agent(), with_run(get("/shop/free?q=1"), run)).await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert_eq!(r.reasons(), vec!["no_free_lunch"]);
    count(&mut e, "shop.free", false, 0);

    let big = r#"{"big":true}"#;
    let r = send(h.agent(), with_run(json_post("/shop/buy", big), run)).await;
    let id = approval_id(&r);
    count(&mut e, "shop.buy", false, 0);
    e.requested += 1;
    let verb = if approve { "approve" } else { "deny" };
    let v = admin_post(
        h.admin(),
        &format!("/admin/approvals/{id}/{verb}"),
        "",
        Some(ALICE_TOKEN),
    )
    .await;
    assert_eq!(v.status, 200, "{:?}", v.body);
    if approve {
        e.approved += 1;
        let mut retry = with_run(json_post("/shop/buy", big), run);
        retry
            .headers_mut()
            .insert("toolwall-approval", id.parse().expect("header"));
        let r = send(h.agent(), retry).await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        count(&mut e, "shop.buy", true, 10_000);
    } else {
        e.denied += 1;
    }
    let t = tools.entry("shop.buy").or_default();
    t.requested += 1;
    t.approved += u64::from(approve);
    t.denied += u64::from(!approve);
    let Harness { app, dir } = h;
    app.shutdown().await;
    drop(dir);
    e
}

fn row_of(v: &Value) -> Expect {
    let n = |f: &str| v[f].as_u64().unwrap_or_else(|| panic!("{f} in {v}"));
    let a = |f: &str| {
        v["approvals"][f]
            .as_u64()
            .unwrap_or_else(|| panic!("{f} in {v}"))
    };
    let usd = v["cost_usd"]
        .as_f64()
        .unwrap_or_else(|| panic!("cost in {v}"));
    Expect {
        calls: n("calls"),
        allowed: n("allowed"),
        refused: n("refused"),
        requested: a("requested"),
        approved: a("approved"),
        denied: a("denied"),
        cost_micros: (usd * 1e6).round() as i64,
    }
}

fn report(args: &[&str]) -> Value {
    let mut all = vec!["audit", "report"];
    all.extend_from_slice(args);
    all.push("--json");
    let (code, out, err) = toolwall(&all);
    assert_eq!(code, 0, "{out}{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn groups(v: &Value, key: &str) -> BTreeMap<String, Expect> {
    v["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| (g[key].as_str().expect("name").to_string(), row_of(g)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_counts_calls_refusals_approvals_and_cost_per_tenant_and_tool() {
    let up = fixed_upstream(r#"{"ok":true}"#).await;
    let keys = tempfile::tempdir().expect("tmp");
    assert_eq!(
        toolwall::cli::audit::keygen(&keys.path().join("keys"), "t"),
        0
    );
    let mut tools = BTreeMap::new();
    let acme = session(up.addr, keys.path(), "acme", "run-a", true, &mut tools).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let globex = session(up.addr, keys.path(), "globex", "run-g", false, &mut tools).await;
    let audit_dir = keys.path().join("audit");
    let dir = audit_dir.to_str().expect("utf8");
    let pubkey = keys.path().join("keys/audit.pub");
    let pubkey = pubkey.to_str().expect("utf8");

    // by tenant: every count and the exact cost of what each tenant sent
    let v = report(&[dir, "--by", "tenant", "--keys", pubkey]);
    let by_tenant = groups(&v, "tenant");
    assert_eq!(by_tenant.len(), 2, "{v}");
    assert_eq!(by_tenant["acme"], acme, "{v}");
    assert_eq!(by_tenant["globex"], globex, "{v}");
    assert_eq!(acme.cost_micros, 50_000);
    let total = row_of(&v["totals"]);
    assert_eq!(total.calls, acme.calls + globex.calls);
    assert_eq!(total.cost_micros, acme.cost_micros + globex.cost_micros);
    assert_eq!(total.requested, 2);
    let acme_row = &v["groups"][0];
    assert_eq!(acme_row["tenant"], "acme");
    let reasons: Vec<(&str, u64)> = acme_row["top_refusal_reasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| {
            (
                r["reason"].as_str().expect("r"),
                r["count"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(reasons, vec![("big_buy", 1), ("no_free_lunch", 1)], "{v}");

    // by tool
    let v = report(&[dir, "--by", "tool"]);
    let by_tool = groups(&v, "tool");
    let want: BTreeMap<String, Expect> =
        tools.into_iter().map(|(k, e)| (k.to_string(), e)).collect();
    assert_eq!(by_tool, want, "{v}");
    assert_eq!(by_tool["shop.look"].cost_micros, 40_000);

    // --since: only the second run of the proxy
    let v = report(&[dir, "--by", "tenant", "--since", &since]);
    let later = groups(&v, "tenant");
    assert_eq!(later.len(), 1, "{v}");
    assert_eq!(later["globex"], globex, "{v}");

    // text: a row per group and a totals row
    let (code, out, err) = toolwall(&["audit", "report", dir, "--by", "agent"]);
    assert_eq!(code, 0, "{err}");
    let total_usd = format!(
        "{:.6}",
        (acme.cost_micros + globex.cost_micros) as f64 / 1e6
    );
    assert!(out.lines().any(|l| l.starts_with("bot-acme ")), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("TOTAL ") && l.contains(&total_usd)),
        "{out}"
    );

    // audit show --run: the cost of the run, per tenant
    let (code, out, err) = toolwall(&["audit", "show", dir, "--run", "run-a", "--json"]);
    assert_eq!(code, 0, "{err}");
    let last: Value = serde_json::from_str(out.lines().last().expect("a line")).expect("json");
    assert_eq!(last["kind"], "cost_summary", "{out}");
    let usd = acme.cost_micros as f64 / 1e6;
    assert_eq!(last["cost_usd"].as_f64(), Some(usd), "{out}");
    assert_eq!(last["runs"]["run-a"].as_f64(), Some(usd), "{out}");
    assert_eq!(last["tenants"]["acme"].as_f64(), Some(usd), "{out}");
    assert!(last["tenants"].get("globex").is_none(), "{out}");
    let (code, out, _) = toolwall(&["audit", "show", dir, "--run", "run-g"]);
    assert_eq!(code, 0);
    let g = format!("${:.6}", globex.cost_micros as f64 / 1e6);
    assert!(
        out.contains(&format!(
            "tenant globex  ({} call(s))  cost {g}",
            globex.calls
        )) && out.contains(&format!("cost  tenant globex  {g}")),
        "{out}"
    );

    // a tampered stream is not reported
    let copy = tempfile::tempdir().expect("tmp");
    let mut tampered = false;
    for f in std::fs::read_dir(&audit_dir).expect("dir").flatten() {
        let text = std::fs::read_to_string(f.path()).unwrap_or_default();
        let text = if !tampered && text.contains("\"cost_usd\":0.01") {
            tampered = true;
            text.replacen("\"cost_usd\":0.01", "\"cost_usd\":0.0001", 1)
        } else {
            text
        };
        std::fs::write(copy.path().join(f.file_name()), text).expect("write");
    }
    assert!(tampered, "no priced outcome to tamper with");
    let (code, out, err) = toolwall(&[
        "audit",
        "report",
        copy.path().to_str().expect("utf8"),
        "--by",
        "tenant",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("does not verify"), "{err}");
}
