//! `toolwall policy eval`: one decision from one input document, as the proxy would make it,
//! and with `--explain` why (`policy::explain`).

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{EXIT_OK, EXIT_USAGE};
use crate::config::load_snapshot;
use crate::policy::explain::{Detail, Node};
use crate::policy::{EvalError, PolicySet, DEFAULT_MAX_INSTRUCTIONS};

/// `--explain` / `--explain=fails`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainArg {
    Held,
    Fails,
}

/// Where the input document comes from.
pub enum InputFrom {
    /// A JSON file, or stdin (`-`).
    File(PathBuf),
    /// The policy input of a recorded call (as `replay` rebuilds it).
    Audit { decision_id: String, path: PathBuf },
}

pub struct EvalArgs {
    pub input: InputFrom,
    pub explain: Option<ExplainArg>,
    pub json: bool,
}

pub fn eval(args: &EvalArgs, policies: Option<&Path>, config: &Path) -> i32 {
    let doc = match &args.input {
        InputFrom::File(input) => match read_input(input) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{e}");
                return EXIT_USAGE;
            }
        },
        InputFrom::Audit { decision_id, path } => match recorded_input(decision_id, path) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("{e}");
                return EXIT_USAGE;
            }
        },
    };
    let set = match policies {
        Some(dir) => PolicySet::load(dir, DEFAULT_MAX_INSTRUCTIONS).map_err(|d| {
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        }),
        None => load_snapshot(config, false)
            .map(|l| l.snapshot.policy)
            .map_err(|d| d.to_string()),
    };
    let set = match set {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return EXIT_USAGE;
        }
    };
    let out = match set.decide(&doc) {
        Ok(d) => serde_json::to_value(&d).unwrap_or_default(),
        Err(e) => {
            let code = match e {
                EvalError::Undefined => "policy_undefined",
                EvalError::Failed(_) | EvalError::Malformed(_) => "policy_error",
            };
            serde_json::json!({"allow": false, "reasons": [code], "error": e.to_string()})
        }
    };
    let policy = serde_json::json!({"version": set.version, "digest": set.digest});
    let Some(explain) = args.explain else {
        let doc = serde_json::json!({"decision": out, "policy": policy});
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return EXIT_OK;
    };
    let detail = match explain {
        ExplainArg::Held => Detail::Held,
        ExplainArg::Fails => Detail::Fails,
    };
    let nodes = match set.explain(&doc, detail) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("cannot explain this decision: {e}");
            return EXIT_USAGE;
        }
    };
    // the explanation is the interpreter's: say so when it decides otherwise than the RVM
    let interpreted = nodes
        .iter()
        .find(|n| n.depth == 0 && n.rule == "decision" && matches!(n.outcome, "held" | "default"))
        .and_then(|n| n.value.clone());
    let disagree = !same_verdict(&out, interpreted.as_ref());
    if disagree {
        eprintln!(
            "warning: the policy interpreter decides {} where the proxy's RVM decides {}: \
             regorus 0.14.1 evaluates this policy differently on its two engines (an assignment \
             from an undefined value does not stop a rule body on the RVM); the decision above \
             is the proxy's, the explanation the interpreter's. `toolwall check --strict` \
             names the statement.",
            interpreted
                .as_ref()
                .map(|v| serde_json::to_string(v).unwrap_or_default())
                .unwrap_or_else(|| "nothing".into()),
            serde_json::to_string(&out).unwrap_or_default()
        );
    }
    if args.json {
        let doc = serde_json::json!({
            "decision": out,
            "policy": policy,
            "explain": nodes,
            "engines_disagree": disagree,
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        print!("{}", render(&out, &set.version, &nodes));
    }
    EXIT_OK
}

/// Whether two decisions agree on `allow`, `require_approval` and the set of reasons.
fn same_verdict(rvm: &Value, interpreted: Option<&Value>) -> bool {
    let Some(i) = interpreted else {
        return false;
    };
    let reasons = |v: &Value| {
        let mut r: Vec<String> = v["reasons"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(String::from))
            .collect();
        r.sort();
        r
    };
    rvm["allow"].as_bool().unwrap_or(false) == i["allow"].as_bool().unwrap_or(false)
        && rvm["require_approval"].as_bool().unwrap_or(false)
            == i["require_approval"].as_bool().unwrap_or(false)
        && reasons(rvm) == reasons(i)
}

fn read_input(input: &Path) -> Result<Value, String> {
    let text = if input == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("stdin: {e}"))?;
        s
    } else {
        std::fs::read_to_string(input).map_err(|e| format!("{}: {e}", input.display()))?
    };
    crate::json::parse_strict(text.as_bytes(), 64)
        .map_err(|e| format!("{}: invalid JSON: {e}", input.display()))
}

/// The policy input of the decision record `decision_id` in the audit stream at `path` (the
/// stream must verify; its arguments as the record holds them, per `audit.args`).
fn recorded_input(decision_id: &str, path: &Path) -> Result<Value, String> {
    if !path.exists() {
        return Err(format!("{}: no such file or directory", path.display()));
    }
    let mut found: Option<Result<Option<Value>, String>> = None;
    let report =
        crate::audit::verify_path_with(path, &crate::audit::TrustedKeys::default(), &mut |_, r| {
            if found.is_none()
                && r.get("kind").and_then(Value::as_str) == Some("decision")
                && r.get("decision_id").and_then(Value::as_str) == Some(decision_id)
            {
                found = Some(super::audit::replay_input(r, None).map(|x| x.map(|(i, _)| i)));
            }
        });
    if report.io_error.is_some() || !report.valid {
        return Err(format!(
            "{report}{}: the audit stream does not verify; not reading it",
            path.display()
        ));
    }
    match found {
        None => Err(format!(
            "{}: no decision record with decision_id {decision_id}",
            path.display()
        )),
        Some(Ok(Some(input))) => Ok(input),
        Some(Ok(None)) => Err(format!(
            "decision {decision_id} was refused before policy ran: it has no policy input"
        )),
        Some(Err(e)) => Err(format!("decision {decision_id}: {e}")),
    }
}

/// The explanation as text: each rule body from the decision down, indented by depth.
fn render(decision: &Value, version: &str, nodes: &[Node]) -> String {
    let mut out = String::new();
    let verdict = match (
        decision["allow"].as_bool(),
        decision["require_approval"].as_bool(),
    ) {
        (_, Some(true)) => "approval required",
        (Some(true), _) => "allow",
        _ => "deny",
    };
    let reasons: Vec<&str> = decision["reasons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    out.push_str(&format!(
        "decision: {verdict} [{}]  (policy version {version})\n{}\n",
        reasons.join(", "),
        serde_json::to_string(decision).unwrap_or_default()
    ));
    out.push_str("why, from the decision down:\n");
    for n in nodes {
        let pad = "  ".repeat(n.depth + 1);
        let value = n
            .value
            .as_ref()
            .map(|v| format!(" = {}", serde_json::to_string(v).unwrap_or_default()))
            .unwrap_or_default();
        out.push_str(&format!(
            "{pad}{}:{}:{}  {}  {}{value}\n",
            n.file, n.line, n.col, n.rule, n.outcome
        ));
        for c in &n.conditions {
            let mark = match c.held {
                Some(true) => "",
                Some(false) => "  <- did not hold",
                None => "  <- could not be evaluated",
            };
            let reads: Vec<String> = c
                .reads
                .iter()
                .map(|(k, v)| format!("{k} = {}", serde_json::to_string(v).unwrap_or_default()))
                .collect();
            let reads = if reads.is_empty() {
                String::new()
            } else {
                format!("    [{}]", reads.join(", "))
            };
            out.push_str(&format!(
                "{pad}    {:>4}  {}{reads}{mark}\n",
                c.line,
                c.text.replace('\n', " ")
            ));
        }
    }
    if nodes.is_empty() {
        out.push_str("  (no rule of package toolwall decided it)\n");
    }
    out
}
