//! Configuration: raw serde structs (`raw`) compile into an immutable [`Snapshot`] (`compile`);
//! the embedded quickstart lives in `quickstart`.

pub mod compile;
pub mod quickstart;
pub mod raw;

use std::fmt;
use std::path::Path;

pub use compile::{load_snapshot, Adapter, LoadedConfig, Snapshot, Tool, Upstream};

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

    /// A diagnostic for a message that may already carry `file:line:col:` (regorus errors do).
    pub fn from_message(file: &str, message: &str) -> Self {
        let first = message.lines().next().unwrap_or("").trim();
        if let Some(pos) = first.find(file) {
            let rest = &first[pos + file.len()..];
            let mut parts = rest.splitn(4, ':');
            let _ = parts.next();
            if let (Some(l), Some(c), Some(msg)) = (parts.next(), parts.next(), parts.next()) {
                if let (Ok(line), Ok(col)) = (l.trim().parse(), c.trim().parse()) {
                    let msg = msg.trim().trim_start_matches("error:").trim();
                    let detail: Vec<&str> = message.lines().skip(1).collect();
                    let mut text = msg.to_string();
                    if !detail.is_empty() {
                        text.push('\n');
                        text.push_str(&detail.join("\n"));
                    }
                    return Diag {
                        file: file.to_string(),
                        line,
                        col,
                        message: text,
                    };
                }
            }
        }
        Diag {
            file: file.to_string(),
            line: 0,
            col: 0,
            message: message.to_string(),
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

/// 1-based line and column of the first occurrence of `needle` at or after line `from_line`.
pub fn locate(text: &str, needle: &str, from_line: usize) -> (usize, usize) {
    for (i, line) in text.lines().enumerate() {
        if i + 1 < from_line {
            continue;
        }
        if let Some(col) = line.find(needle) {
            return (i + 1, col + 1);
        }
    }
    (0, 0)
}
