//! `toolwall policy test`: run the Rego `test_*` rules of a policy directory, OPA style, on the
//! regorus interpreter (which supports `with`, `print` and coverage).

use std::path::{Path, PathBuf};
use std::time::Instant;

use regorus::{Engine, Value};

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

/// One test rule: `data.<package>.<rule>` and the file it is in.
struct TestRule {
    file: PathBuf,
    package: String,
    rule: String,
}

pub fn test(dir: &Path, verbose: bool, run: Option<&str>, coverage: bool) -> i32 {
    let filter = match run.map(regex::Regex::new).transpose() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("--run: {e}");
            return EXIT_USAGE;
        }
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "rego"))
            .collect(),
        Err(e) => {
            eprintln!("{}: {e}", dir.display());
            return EXIT_USAGE;
        }
    };
    files.sort();
    let mut engine = Engine::new();
    let mut tests = Vec::new();
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                return EXIT_USAGE;
            }
        };
        if let Err(e) = engine.add_policy(f.display().to_string(), text.clone()) {
            eprintln!(
                "{}",
                crate::diag::Diag::from_message(&f.display().to_string(), &e.to_string())
            );
            return EXIT_FAILED;
        }
        tests.extend(test_rules(f, &text));
    }
    let data = dir.join("data.json");
    if let Ok(text) = std::fs::read_to_string(&data) {
        match Value::from_json_str(&text).and_then(|v| engine.add_data(v)) {
            Ok(()) => {}
            Err(e) => {
                eprintln!("{}: {e}", data.display());
                return EXIT_FAILED;
            }
        }
    }
    engine.set_enable_coverage(coverage);
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut last_file: Option<&Path> = None;
    for t in &tests {
        let path = format!("data.{}.{}", t.package, t.rule);
        if filter.as_ref().is_some_and(|f| !f.is_match(&path)) {
            continue;
        }
        let started = Instant::now();
        let result = engine.eval_rule(path.clone());
        let took = started.elapsed();
        let ok = matches!(result, Ok(Value::Bool(true)));
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
        if verbose || !ok {
            if last_file != Some(t.file.as_path()) {
                println!("{}:", t.file.display());
                last_file = Some(t.file.as_path());
            }
            let status = if ok { "PASS" } else { "FAIL" };
            println!("{path}: {status} ({took:.1?})");
            match result {
                Ok(Value::Bool(true)) => {}
                Ok(Value::Undefined) | Ok(Value::Bool(false)) => {}
                Ok(v) => println!("  result: {v}"),
                Err(e) => println!("  error: {e}"),
            }
        }
        if let Ok(prints) = engine.take_prints() {
            for p in prints {
                if verbose || !ok {
                    println!("  {p}");
                }
            }
        }
    }
    if coverage {
        match engine.get_coverage_report() {
            Ok(report) => {
                for f in &report.files {
                    let total = f.covered.len() + f.not_covered.len();
                    let pct = if total == 0 {
                        100.0
                    } else {
                        100.0 * f.covered.len() as f64 / total as f64
                    };
                    let missed: Vec<String> = f.not_covered.iter().map(|l| l.to_string()).collect();
                    println!(
                        "coverage {}: {pct:.1}% of {total} lines{}",
                        f.path,
                        if missed.is_empty() {
                            String::new()
                        } else {
                            format!("; not covered: {}", missed.join(","))
                        }
                    );
                }
            }
            Err(e) => eprintln!("coverage: {e}"),
        }
    }
    println!("--------------------------------------------------------------------------------");
    if failed == 0 {
        println!("PASS: {passed}/{}", passed + failed);
        EXIT_OK
    } else {
        println!("PASS: {passed}/{}", passed + failed);
        println!("FAIL: {failed}/{}", passed + failed);
        EXIT_FAILED
    }
}

/// `test_*` rules defined at the top level of a file (OPA's convention), with its package.
fn test_rules(file: &Path, text: &str) -> Vec<TestRule> {
    let mut package = String::new();
    let mut out: Vec<TestRule> = Vec::new();
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("package ") {
            package = p.trim().to_string();
            continue;
        }
        if !line.starts_with("test_") {
            continue;
        }
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !out.iter().any(|t| t.rule == name && t.package == package) {
            out.push(TestRule {
                file: file.to_path_buf(),
                package: package.clone(),
                rule: name,
            });
        }
    }
    out
}
