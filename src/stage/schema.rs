//! Schema: the tool's JSON Schema (2020-12) checked against the merged arguments.

use crate::config::Tool;
use crate::pipeline::reject::{Reason, Reject, Violation};

const MAX_VIOLATIONS: usize = 10;

/// Validate `args`; every violation is reported with its instance path (JSON pointer).
pub fn check_schema(tool: &Tool, args: &serde_json::Value) -> Result<(), Reject> {
    let Some(validator) = &tool.schema else {
        return Ok(());
    };
    if validator.is_valid(args) {
        return Ok(());
    }
    let violations: Vec<Violation> = validator
        .iter_errors(args)
        .take(MAX_VIOLATIONS)
        .map(|e| Violation {
            instance_path: e.instance_path().as_str().to_string(),
            message: e.to_string(),
        })
        .collect();
    let summary = violations
        .first()
        .map(|v| {
            let at = if v.instance_path.is_empty() {
                "/"
            } else {
                &v.instance_path
            };
            format!(
                "arguments do not match the schema of {}: {at}: {}",
                tool.name, v.message
            )
        })
        .unwrap_or_else(|| format!("arguments do not match the schema of {}", tool.name));
    let mut reject = Reject::new(Reason::SchemaInvalid, summary);
    reject.violations = violations;
    Err(reject)
}
