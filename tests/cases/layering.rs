//! The module layering (docs/pipeline.md, "How the code is laid out"): each layer imports only
//! from the layers below it (or its own). This test fails on any upward import.

use std::collections::BTreeSet;
use std::path::Path;

/// Layer of a top-level module (`crate::<name>`), lowest first.
fn layer(path: &str) -> Option<u8> {
    // `pipeline::reject` is a leaf that still lives under `pipeline`
    if path == "pipeline::reject" {
        return Some(0);
    }
    Some(match path.split("::").next()? {
        "json" | "metrics" | "body" | "diag" | "webhook" => 0,
        "redact" | "audit" | "policy" | "state" | "proto" => 1,
        "config" => 2,
        "protocol" => 3,
        "stage" | "mcp" | "approvals" => 4,
        "pipeline" => 5,
        "app" | "admin" | "server" | "egress" | "inject" => 6,
        "cli" | "demo" => 7,
        _ => return None,
    })
}

/// `src/a/b.rs` → `a::b`, `src/a/mod.rs` → `a`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read src").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::x` / `crate::x::y` named in code (not comments, not test modules).
fn imports(code: &str) -> BTreeSet<String> {
    let code = code.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let path: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_' || *c == ':')
                .collect();
            let mut segs = path.split("::").filter(|s| !s.is_empty());
            if let Some(first) = segs.next() {
                match segs.next() {
                    Some(second) => out.insert(format!("{first}::{second}")),
                    None => out.insert(first.to_string()),
                };
            }
        }
    }
    out
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = BTreeSet::new();
    for f in &files {
        let module = module_of(&src, f);
        let Some(own) = layer(&module) else { continue };
        let code = std::fs::read_to_string(f).expect("read");
        for target in imports(&code) {
            let Some(theirs) = layer(&target) else {
                continue;
            };
            if theirs > own {
                let top = if target == "pipeline::reject" {
                    target.clone()
                } else {
                    target.split("::").next().unwrap_or_default().to_string()
                };
                upward.insert((module.clone(), top));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "modules importing from a layer above them (see docs/pipeline.md): {upward:?}"
    );
}
