//! A diagnostic at a position in a file (`file:line:col: message`): what config, adapter,
//! schema and policy loading report. A leaf: it imports nothing from the crate.

use std::fmt;
use std::path::Path;

/// An error and its sources on one line (`a: b: c`), a source whose text the line already
/// holds left out (hyper's and std's errors often repeat their source's text).
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

/// One error in a config, adapter, schema or policy file, shown as `file:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diag {
    pub file: String,
    /// 1-based; 0 when the position is unknown.
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl Diag {
    pub fn at(file: &Path, line: usize, col: usize, message: impl Into<String>) -> Self {
        Diag {
            file: file.display().to_string(),
            line,
            col,
            message: message.into(),
        }
    }

    pub fn file(file: &Path, message: impl Into<String>) -> Self {
        Self::at(file, 0, 0, message)
    }

    /// A diagnostic from a message that may carry a position: regorus reports
    /// `--> file:line:col`, a source snippet and `error: message`; others `file:line:col: message`.
    pub fn from_message(file: &str, message: &str) -> Self {
        let position = |text: &str| -> Option<(usize, usize, String)> {
            let pos = text.find(file)?;
            let rest = &text[pos + file.len()..];
            let mut parts = rest.splitn(4, ':');
            let _ = parts.next();
            let line = parts.next()?.trim().parse().ok()?;
            let col = parts
                .next()?
                .trim()
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()?;
            Some((line, col, parts.next().unwrap_or("").trim().to_string()))
        };
        for l in message.lines() {
            if let Some((line, col, tail)) = position(l) {
                let headline = message
                    .lines()
                    .find_map(|m| m.trim().strip_prefix("error:"))
                    .map(|m| m.trim().to_string())
                    .unwrap_or_else(|| tail.trim_start_matches("error:").trim().to_string());
                let snippet: Vec<&str> = message
                    .lines()
                    .skip_while(|m| !m.contains("-->"))
                    .skip(1)
                    .filter(|m| !m.trim().starts_with("error:"))
                    .collect();
                let mut text = headline;
                if !snippet.is_empty() {
                    text.push('\n');
                    text.push_str(&snippet.join("\n"));
                }
                return Diag {
                    file: file.to_string(),
                    line,
                    col,
                    message: text,
                };
            }
        }
        Diag {
            file: file.to_string(),
            line: 0,
            col: 0,
            message: message.trim().to_string(),
        }
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.col, self.message
            )
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

/// Every diagnostic of a failed load, one per line.
#[derive(Debug)]
pub struct Diags(pub Vec<Diag>);

impl fmt::Display for Diags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diags {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regorus_style_message() {
        let m = "p/b.rego: \n--> p/b.rego:5:1\n  |\n5 | \n  | ^\nerror: expecting expression";
        let d = Diag::from_message("p/b.rego", m);
        assert_eq!((d.line, d.col), (5, 1));
        assert!(
            d.to_string()
                .starts_with("p/b.rego:5:1: expecting expression"),
            "{d}"
        );
    }

    #[test]
    fn plain_message() {
        let d = Diag::from_message("x.rego", "x.rego:3:7: error: bad thing");
        assert_eq!((d.line, d.col), (3, 7));
        assert_eq!(d.message, "bad thing");
        let d = Diag::from_message("x.rego", "something else");
        assert_eq!(d.to_string(), "x.rego: something else");
    }
}
