//! `toolwall redact [FILE] [--json]`: redact a JSON document or text and list the findings.

use super::{ActionPlan, Finding, RedactConfig, RedactError, Redactor};

/// What the command prints: `stdout` (the redacted document, or with `--json` one object
/// `{"redacted": …, "findings": [...]}`) and `stderr` (the findings table; empty with `--json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliOutput {
    pub stdout: String,
    pub stderr: String,
}

/// Runs the command on `input`: input that parses as JSON is redacted as JSON (findings
/// named by pointer), anything else as text (findings by byte span). Every enabled entity is
/// redacted, with the config's per-entity actions (mask by default).
pub fn run_cli(input: &[u8], json: bool, cfg: &RedactConfig) -> Result<CliOutput, RedactError> {
    let redactor = Redactor::new(cfg)?;
    let plan = ActionPlan::mask_all();
    let (redacted, findings) = match serde_json::from_slice::<serde_json::Value>(input) {
        Ok(value) => {
            let r = redactor.redact_json(&value, &plan);
            (r.value.unwrap_or(value), r.findings)
        }
        Err(_) => {
            let text = String::from_utf8_lossy(input);
            let (out, findings) = redactor.redact_text(&text, &plan);
            (serde_json::Value::String(out.into_owned()), findings)
        }
    };
    if json {
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            redacted: &'a serde_json::Value,
            findings: &'a [Finding],
        }
        let doc = Doc {
            redacted: &redacted,
            findings: &findings,
        };
        return Ok(CliOutput {
            stdout: format!("{}\n", serde_json::to_string(&doc)?),
            stderr: String::new(),
        });
    }
    let mut stdout = match redacted {
        serde_json::Value::String(s)
            if serde_json::from_slice::<serde_json::Value>(input).is_err() =>
        {
            s
        }
        v => serde_json::to_string_pretty(&v)?,
    };
    if !stdout.ends_with('\n') {
        stdout.push('\n');
    }
    Ok(CliOutput {
        stdout,
        stderr: findings_table(&findings),
    })
}

/// Fixed-width table: TYPE, WHERE (pointer or `text`), START, END, ACTION.
fn findings_table(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "no findings\n".to_string();
    }
    let rows: Vec<[String; 5]> = findings
        .iter()
        .map(|f| {
            [
                f.entity.name().to_string(),
                f.pointer.clone().unwrap_or_else(|| "text".to_string()),
                f.start.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                f.end.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                f.action.name().to_string(),
            ]
        })
        .collect();
    let header = ["TYPE", "WHERE", "START", "END", "ACTION"];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: [&str; 5]| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(widths.iter()).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                l.push_str(&format!("{c:<w$}  "));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header);
    for r in &rows {
        line([&r[0], &r[1], &r[2], &r[3], &r[4]]);
    }
    out.push_str(&format!("{} finding(s)\n", findings.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_reported_and_kept_unless_configured() {
        let input = b"export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n";
        let out = run_cli(input, true, &RedactConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_default();
        assert_eq!(
            v,
            serde_json::json!({
                "redacted": "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n",
                "findings": [{"type":"AWS_ACCESS_KEY","start":25,"end":45,"action":"keep","placeholder":true}]
            })
        );
        let cfg = RedactConfig {
            mask_placeholders: true,
            ..RedactConfig::default()
        };
        let out = run_cli(input, true, &cfg).unwrap_or_else(|e| panic!("{e}"));
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_default();
        assert_eq!(v["redacted"], "export AWS_ACCESS_KEY_ID=[AWS_ACCESS_KEY]\n");
        assert_eq!(v["findings"][0]["placeholder"], true);
        assert_eq!(v["findings"][0]["action"], "mask");
    }

    #[test]
    fn json_mode_is_one_object() {
        let input = br#"{"customer":{"email":"jane.doe@example.com"},"password":"x1"}"#;
        let out = run_cli(input, true, &RedactConfig::default()).unwrap_or_else(|e| panic!("{e}"));
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_default();
        assert_eq!(v["redacted"]["customer"]["email"], "[EMAIL]");
        assert_eq!(v["redacted"]["password"], "[PASSWORD]");
        assert_eq!(
            v["findings"][0],
            serde_json::json!({"type":"EMAIL","pointer":"/customer/email","start":0,"end":20,"action":"mask"})
        );
        assert_eq!(
            v["findings"][1],
            serde_json::json!({"type":"PASSWORD","pointer":"/password","action":"mask"})
        );
        assert!(out.stderr.is_empty());
    }

    #[test]
    fn text_mode_prints_text_and_table() {
        let out = run_cli(
            b"mail bob@example.org please",
            false,
            &RedactConfig::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.stdout, "mail [EMAIL] please\n");
        assert!(
            out.stderr.contains("EMAIL  text   5      20   mask"),
            "{}",
            out.stderr
        );
        let out = run_cli(b"nothing here", true, &RedactConfig::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            out.stdout,
            "{\"redacted\":\"nothing here\",\"findings\":[]}\n"
        );
    }
}
