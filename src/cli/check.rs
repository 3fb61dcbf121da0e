//! `toolwall check`: compile everything, print every error as `file:line:col: message`.
//! `--strict` also lints the policies against the adapters' schemas (`policy::lint`).

use std::path::Path;

use super::{EXIT_FAILED, EXIT_OK};
use crate::config::raw::AdapterKind;
use crate::config::{load_snapshot, Snapshot};
use crate::policy::lint::{lint_policy_set, ArgsSurface, Severity};

pub fn check(config: &Path, strict: bool) -> i32 {
    match load_snapshot(config, false) {
        Ok(loaded) => {
            // --strict reports the RVM trap itself, as an error
            let rvm_tag = format!("[{}]", crate::policy::lint::RVM_UNDEFINED_ASSIGNMENT);
            for w in &loaded.warnings {
                if !(strict && w.to_string().ends_with(&rvm_tag)) {
                    eprintln!("warning: {w}");
                }
            }
            let s = &loaded.snapshot;
            if strict && !lint(config, s) {
                return EXIT_FAILED;
            }
            let tools: usize = s.adapters.iter().map(|a| a.tools.len()).sum();
            println!(
                "{}: ok — {} adapter(s), {} tool(s), {} policy file(s), policy version {}{}",
                config.display(),
                s.adapters.len(),
                tools,
                s.policy.files.len(),
                s.policy.version,
                if strict { ", strict checks passed" } else { "" }
            );
            EXIT_OK
        }
        Err(diags) => {
            for d in &diags.0 {
                eprintln!("{d}");
            }
            eprintln!("{}: {} error(s)", config.display(), diags.0.len());
            EXIT_FAILED
        }
    }
}

/// The strict lints of a compiled snapshot, printed; whether there were none. Warnings fail
/// too: `--strict` is the gate a policy change passes before it ships.
fn lint(config: &Path, s: &Snapshot) -> bool {
    let findings = match lint_policy_set(&s.policy, &surface(s)) {
        Ok(f) => f,
        Err(diags) => {
            for d in &diags {
                eprintln!("{d}");
            }
            eprintln!("{}: {} error(s)", config.display(), diags.len());
            return false;
        }
    };
    if findings.is_empty() {
        return true;
    }
    for f in &findings {
        eprintln!("{f}");
    }
    let errors = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    eprintln!(
        "{}: compiles, but --strict found {} problem(s): {} error(s), {} warning(s)",
        config.display(),
        findings.len(),
        errors,
        findings.len() - errors
    );
    false
}

/// Every tool of the config with the schema its arguments are validated with; MCP adapters'
/// tools are listed by their servers at run time.
fn surface(s: &Snapshot) -> ArgsSurface {
    let mut surface = ArgsSurface::default();
    for a in &s.adapters {
        if a.kind == AdapterKind::Mcp {
            surface.open_adapters.push(a.name.clone());
        }
        for (t, schema) in a.tools.iter().zip(&a.schemas) {
            surface.tools.push((t.name.clone(), schema.clone()));
        }
    }
    surface
}
