//! `toolwall policy eval`: one decision from one input document, as the proxy would make it.

use std::io::Read;
use std::path::Path;

use super::{EXIT_OK, EXIT_USAGE};
use crate::config::load_snapshot;
use crate::policy::{EvalError, PolicySet, DEFAULT_MAX_INSTRUCTIONS};

pub fn eval(input: &Path, policies: Option<&Path>, config: &Path) -> i32 {
    let text = if input == Path::new("-") {
        let mut s = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut s) {
            eprintln!("stdin: {e}");
            return EXIT_USAGE;
        }
        s
    } else {
        match std::fs::read_to_string(input) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{}: {e}", input.display());
                return EXIT_USAGE;
            }
        }
    };
    let doc = match crate::json::parse_strict(text.as_bytes(), 64) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("{}: invalid JSON: {e}", input.display());
            return EXIT_USAGE;
        }
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
    println!(
        "{}",
        serde_json::to_string_pretty(&serde_json::json!({
            "decision": out,
            "policy": {"version": set.version, "digest": set.digest},
        }))
        .unwrap_or_default()
    );
    EXIT_OK
}
