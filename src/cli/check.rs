//! `toolwall check`: compile everything, print every error as `file:line:col: message`.

use std::path::Path;

use super::{EXIT_FAILED, EXIT_OK};
use crate::config::load_snapshot;

pub fn check(config: &Path) -> i32 {
    match load_snapshot(config, false) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("warning: {w}");
            }
            let s = &loaded.snapshot;
            let tools: usize = s.adapters.iter().map(|a| a.tools.len()).sum();
            println!(
                "{}: ok — {} adapter(s), {} tool(s), {} policy file(s), policy version {}",
                config.display(),
                s.adapters.len(),
                tools,
                s.policy.files.len(),
                s.policy.version
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
