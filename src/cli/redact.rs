//! `toolwall redact`: redact a JSON document or text, for policy authors and for measuring.

use std::io::Read;
use std::path::Path;

use super::{EXIT_OK, EXIT_USAGE};
use crate::redact::{run_cli, RedactConfig};

pub fn redact(file: Option<&Path>, json: bool, config: Option<&Path>) -> i32 {
    let mut input = Vec::new();
    let read = match file {
        None => std::io::stdin().read_to_end(&mut input).map(|_| ()),
        Some(p) if p == Path::new("-") => std::io::stdin().read_to_end(&mut input).map(|_| ()),
        Some(p) => std::fs::read(p).map(|b| input = b),
    };
    if let Err(e) = read {
        eprintln!("redact: {e}");
        return EXIT_USAGE;
    }
    let cfg = match config {
        None => RedactConfig::default(),
        Some(path) => match crate::config::load_snapshot(path, false) {
            Ok(_) => match read_redact_section(path) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("{e}");
                    return EXIT_USAGE;
                }
            },
            Err(d) => {
                eprintln!("{d}");
                return EXIT_USAGE;
            }
        },
    };
    match run_cli(&input, json, &cfg) {
        Ok(out) => {
            print!("{}", out.stdout);
            eprint!("{}", out.stderr);
            EXIT_OK
        }
        Err(e) => {
            eprintln!("redact: {e}");
            EXIT_USAGE
        }
    }
}

fn read_redact_section(path: &Path) -> Result<RedactConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let raw: crate::config::raw::RawConfig =
        yaml_serde::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(raw.redact)
}
