//! Classify: method + path → the adapter's declared tool, with decoded path parameters.

use http::Method;

use crate::config::Adapter;
use crate::pipeline::reject::{Reason, Reject};
use crate::protocol::http::check_path;

/// The tool index and its path parameters (percent-decoded, UTF-8).
pub fn classify_request(
    adapter: &Adapter,
    method: &Method,
    path: &str,
) -> Result<(usize, Vec<(String, String)>), Reject> {
    check_path(path)?;
    let Some((tool, params)) = adapter.match_tool(method, path) else {
        return Err(Reject::new(
            Reason::UnknownTool,
            format!(
                "{method} {path} matches no tool declared by adapter `{}`",
                adapter.name
            ),
        ));
    };
    let mut decoded = Vec::with_capacity(params.len());
    for (name, raw) in params {
        let value = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| {
                Reject::new(
                    Reason::InvalidUtf8,
                    format!("path parameter `{name}` is not valid UTF-8"),
                )
            })?;
        decoded.push((name, value.into_owned()));
    }
    Ok((tool, decoded))
}
