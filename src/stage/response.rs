//! Response: the tool's answer checked against the output schema it declares (an HTTP tool's
//! `response_schema`, an MCP tool's `outputSchema`) before any of it reaches the agent.
//!
//! The schema is compiled once with the config (or the MCP tool listing); a check is one
//! validation of the parsed answer. A violation names where (a JSON pointer, entities in
//! member names masked) and what the schema asked, never the answer's values: the refusal
//! goes to the agent and the audit stream, and the answer is exactly what they must not see.

use bytes::Bytes;
use http::Response;
use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::pipeline::reject::{Reason, Reject, Violation};
use crate::redact::Redactor;
use crate::stage::redact::{is_compressed, is_json, read_whole};

/// Most violations a refusal lists.
const MAX_VIOLATIONS: usize = 10;

/// Check the tool's `output` against `schema` (named `schema_name` in messages:
/// `response_schema`, `outputSchema`). A mismatch is `ToolOutputInvalid`.
pub fn check_output(
    schema: &Validator,
    schema_name: &str,
    output: &Value,
    redactor: &Redactor,
) -> Result<(), Reject> {
    if schema.is_valid(output) {
        return Ok(());
    }
    let violations: Vec<Violation> = schema
        .iter_errors(output)
        .take(MAX_VIOLATIONS)
        .map(|e| Violation {
            instance_path: redactor.mask_pointer(e.instance_path().as_str()),
            message: describe(&e),
        })
        .collect();
    let summary = match violations.first() {
        Some(v) => {
            let at = if v.instance_path.is_empty() {
                "/"
            } else {
                &v.instance_path
            };
            format!(
                "the tool's output does not match its {schema_name}: {at}: {}",
                v.message
            )
        }
        None => format!("the tool's output does not match its {schema_name}"),
    };
    let mut reject = Reject::new(Reason::ToolOutputInvalid, summary);
    reject.violations = violations;
    Err(reject)
}

/// What the schema asked, without the value: the answer's member names are left out too
/// (`additionalProperties`, `propertyNames`), as they can carry data.
fn describe(e: &ValidationError<'_>) -> String {
    match e.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => format!(
            "{} propert{} not allowed by the schema",
            unexpected.len(),
            if unexpected.len() == 1 { "y" } else { "ies" }
        ),
        ValidationErrorKind::PropertyNames { .. } => {
            "a property name does not match `propertyNames`".to_string()
        }
        _ => e.masked_with("value").to_string(),
    }
}

/// Read a tool's HTTP answer whole and check it against `schema`: what passes is returned
/// as read (byte for byte). Refused, fail closed: a compressed or oversized answer
/// (`ResponseNotInspectable`), one that is not JSON by media type or by parse — duplicate
/// member names and nesting beyond `max_depth` included — or that breaks the schema
/// (`ToolOutputInvalid`).
pub async fn check_http<B>(
    resp: Response<B>,
    schema: &Validator,
    max_depth: usize,
    redactor: &Redactor,
) -> Result<(http::response::Parts, Bytes), Reject>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (parts, body) = resp.into_parts();
    if is_compressed(&parts.headers) {
        return Err(Reject::new(
            Reason::ResponseNotInspectable,
            "the tool answered with a compressed body that must be checked against its \
             response_schema",
        ));
    }
    if !is_json(&parts.headers) {
        return Err(Reject::new(
            Reason::ToolOutputInvalid,
            "the tool's output is not JSON (by its media type), as its response_schema requires",
        ));
    }
    let bytes = read_whole(body, "to check its response_schema").await?;
    let output = crate::json::parse_strict(&bytes, max_depth).map_err(|e| {
        // positions and kinds only: a duplicate member's name is the answer's text
        let why = match e.kind {
            crate::json::JsonErrorKind::DuplicateKey => "a member name appears twice".to_string(),
            _ => e.message,
        };
        Reject::new(
            Reason::ToolOutputInvalid,
            format!("the tool's output is not JSON, as its response_schema requires: {why}"),
        )
    })?;
    check_output(schema, "response_schema", &output, redactor)?;
    Ok((parts, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redactor() -> Redactor {
        Redactor::new(&crate::redact::RedactConfig::default()).expect("redactor")
    }

    fn schema() -> Validator {
        jsonschema::draft202012::new(&json!({
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "amount": {"type": "integer", "maximum": 100},
                "by_owner": {"type": "object", "additionalProperties": {"type": "integer"}}
            },
            "required": ["id", "amount"],
            "additionalProperties": false
        }))
        .expect("schema")
    }

    #[test]
    fn a_conforming_output_passes() {
        let out = json!({"id": "ch_1", "amount": 5, "by_owner": {"x": 1}});
        assert!(check_output(&schema(), "response_schema", &out, &redactor()).is_ok());
    }

    #[test]
    fn violations_name_pointer_and_rule_never_the_value() {
        let out = json!({
            "id": "secret-id-4711",
            "amount": 123456789,
            "by_owner": {"jane.doe@example.com": "card 4242 4242 4242 4242"},
            "leaked_member_name_xyz": true
        });
        let rej = check_output(&schema(), "response_schema", &out, &redactor()).unwrap_err();
        assert_eq!(rej.reason, Reason::ToolOutputInvalid);
        assert!(rej.message.contains("response_schema"), "{}", rej.message);
        let pointers: Vec<&str> = rej
            .violations
            .iter()
            .map(|v| v.instance_path.as_str())
            .collect();
        assert!(pointers.contains(&"/amount"), "{pointers:?}");
        assert!(pointers.contains(&"/by_owner/[EMAIL]"), "{pointers:?}");
        let all = format!("{} {:?}", rej.message, rej.violations);
        for value in [
            "123456789",
            "jane.doe",
            "4242",
            "leaked_member_name_xyz",
            "secret-id",
        ] {
            assert!(!all.contains(value), "{value} leaked: {all}");
        }
        // what the schema asked is named
        assert!(
            rej.violations
                .iter()
                .any(|v| v.message.contains("maximum of 100")),
            "{:?}",
            rej.violations
        );
    }

    #[test]
    fn a_missing_member_and_a_wrong_type_are_refused() {
        let rej =
            check_output(&schema(), "outputSchema", &json!({"id": 7}), &redactor()).unwrap_err();
        assert_eq!(rej.reason, Reason::ToolOutputInvalid);
        let v = &rej.violations;
        assert!(v.iter().any(|v| v.message.contains("\"amount\"")), "{v:?}");
        assert!(
            v.iter()
                .any(|v| v.instance_path == "/id" && v.message.contains("\"string\"")),
            "{v:?}"
        );
        assert!(!format!("{v:?}").contains('7'), "{v:?}");
    }

    fn answer(
        ct: &str,
        encoding: Option<&str>,
        body: &'static str,
    ) -> Response<http_body_util::Full<Bytes>> {
        let mut b = Response::builder().header("content-type", ct);
        if let Some(enc) = encoding {
            b = b.header("content-encoding", enc);
        }
        b.body(http_body_util::Full::new(Bytes::from_static(
            body.as_bytes(),
        )))
        .expect("response")
    }

    #[tokio::test]
    async fn an_http_answer_is_checked_whole_and_returned_byte_for_byte() {
        let (s, r) = (schema(), redactor());
        let body = "{ \"id\" : \"ch_1\",\n \"amount\": 5 }";
        let (_, bytes) = check_http(answer("application/json", None, body), &s, 64, &r)
            .await
            .expect("conforming");
        assert_eq!(&bytes[..], body.as_bytes());
        let refused = [
            (answer("text/plain", None, body), Reason::ToolOutputInvalid),
            (
                answer("application/json", None, "{\"id\":"),
                Reason::ToolOutputInvalid,
            ),
            (
                answer(
                    "application/json",
                    None,
                    "{\"id\":\"a\",\"id\":\"b\",\"amount\":1}",
                ),
                Reason::ToolOutputInvalid,
            ),
            (
                answer("application/json", Some("gzip"), body),
                Reason::ResponseNotInspectable,
            ),
            (
                answer("application/json", None, "{\"id\":\"ch_1\"}"),
                Reason::ToolOutputInvalid,
            ),
        ];
        for (resp, reason) in refused {
            let rej = check_http(resp, &s, 64, &r).await.unwrap_err();
            assert_eq!(rej.reason, reason, "{}", rej.message);
        }
    }
}
