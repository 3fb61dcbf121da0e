//! `toolwall adapters describe NAME`: what an adapter guards, as JSON — a gRPC adapter's
//! services and methods with the schema each call's arguments are checked against (derived
//! from the request message, `allOf` the explicit one), an HTTP adapter's routes and schemas.
//! `toolwall adapters import-openapi SPEC --name N`: an adapter from an OpenAPI document
//! (`openapi.rs`).

use std::path::Path;

use clap::Subcommand;
use serde_json::{json, Value};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};
use crate::config::{load_snapshot, Adapter};

#[derive(Debug, Subcommand)]
pub enum AdaptersCommand {
    /// Print an adapter's tools (gRPC: services, methods, message types, derived schemas).
    Describe {
        /// The adapter's `name`.
        name: String,
        #[arg(short, long, default_value = "toolwall.yaml")]
        config: std::path::PathBuf,
    },
    /// Write an adapter and one JSON Schema per operation from an OpenAPI 3.0 / 3.1 document
    /// (YAML or JSON); operations toolwall cannot check are skipped with a warning.
    ImportOpenapi {
        /// The OpenAPI document.
        spec: std::path::PathBuf,
        /// The adapter's name: tools are `<name>.<operationId in snake_case>`.
        #[arg(long)]
        name: String,
        /// Only operations whose operationId or path matches this regex.
        #[arg(long, value_name = "REGEX")]
        include: Option<String>,
        /// Where to write: `<out>/<name>.yaml` and `<out>/schemas/<tool>.json`.
        #[arg(long, value_name = "DIR", default_value = "adapters")]
        out: std::path::PathBuf,
        /// The upstream URL; default the document's `servers[0].url`.
        #[arg(long, value_name = "URL")]
        upstream: Option<String>,
        /// Replace files that exist.
        #[arg(long)]
        force: bool,
        /// Leave each argument object open (no `additionalProperties: false`).
        #[arg(long)]
        allow_additional: bool,
    },
}

pub fn run(cmd: AdaptersCommand) -> i32 {
    match cmd {
        AdaptersCommand::Describe { name, config } => describe(&name, &config),
        AdaptersCommand::ImportOpenapi {
            spec,
            name,
            include,
            out,
            upstream,
            force,
            allow_additional,
        } => super::openapi::import(&super::openapi::ImportArgs {
            spec,
            name,
            include,
            out,
            upstream,
            force,
            allow_additional,
        }),
    }
}

fn describe(name: &str, config: &Path) -> i32 {
    let loaded = match load_snapshot(config, false) {
        Ok(l) => l,
        Err(diags) => {
            for d in &diags.0 {
                eprintln!("{d}");
            }
            eprintln!("{}: {} error(s)", config.display(), diags.0.len());
            return EXIT_FAILED;
        }
    };
    let snap = &loaded.snapshot;
    let Some(idx) = snap.adapter_by_name(name) else {
        let mut names: Vec<&str> = snap.adapters.iter().map(|a| a.name.as_str()).collect();
        names.sort_unstable();
        eprintln!(
            "no adapter `{name}` in {} (adapters: {})",
            config.display(),
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        );
        return EXIT_USAGE;
    };
    let doc = describe_adapter(&snap.adapters[idx]);
    match serde_json::to_string_pretty(&doc) {
        Ok(text) => {
            println!("{text}");
            EXIT_OK
        }
        Err(e) => {
            eprintln!("cannot print the description: {e}");
            EXIT_FAILED
        }
    }
}

/// The JSON description of one adapter.
pub fn describe_adapter(a: &Adapter) -> Value {
    let scheme = if a.upstream.https { "https" } else { "http" };
    let upstream = format!(
        "{scheme}://{}{}",
        a.upstream.authority, a.upstream.base_path
    );
    let schema = |i: usize| a.schemas.get(i).cloned().flatten().unwrap_or(Value::Null);
    let tools: Vec<Value> = a
        .tools
        .iter()
        .enumerate()
        .map(|(i, t)| match &t.grpc {
            Some(g) => json!({
                "name": t.name,
                "service": g.service,
                "method": g.method,
                "path": g.path,
                "client_streaming": g.desc.is_client_streaming(),
                "server_streaming": g.desc.is_server_streaming(),
                "input": g.desc.input().full_name(),
                "output": g.desc.output().full_name(),
                "schema_ref": t.schema_ref,
                "schema": schema(i),
            }),
            None => json!({
                "name": t.name,
                "method": t.method.as_str(),
                "path": t.path,
                "schema_ref": t.schema_ref,
                "schema": schema(i),
            }),
        })
        .collect();
    let mut doc = json!({
        "adapter": a.name,
        "kind": a.kind.as_str(),
        "upstream": upstream,
    });
    if let (Some(g), Some(o)) = (&a.grpc, doc.as_object_mut()) {
        o.insert("services".into(), json!(g.services));
        o.insert("reflection".into(), json!(g.reflection));
        let unknown = if g.deny_unknown_fields {
            "refuse"
        } else {
            "allow"
        };
        o.insert("unknown_fields".into(), json!(unknown));
    }
    if let Some(o) = doc.as_object_mut() {
        o.insert("tools".into(), Value::Array(tools));
    }
    doc
}
