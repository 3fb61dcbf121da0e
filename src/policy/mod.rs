//! Rego policies: compiled once per policy version into a regorus RVM program, evaluated on a
//! VM owned by each worker thread.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use regorus::languages::rego::compiler::Compiler;
use regorus::rvm::vm::ExecutionMode;
use regorus::rvm::{Program, RegoVM};
use regorus::{Engine, Value};
use sha2::{Digest, Sha256};

use crate::diag::Diag;

pub mod explain;
mod input;
pub(crate) use input::FIELDS as INPUT_FIELDS;
pub(crate) use input::{field_index, same_short};
pub use input::{Known, Shared};
pub mod lint;
mod mode;

pub const DECISION_RULE: &str = "data.toolwall.decision";
pub const VISIBLE_RULE: &str = "data.toolwall.tool_visible";
pub const DEFAULT_MAX_INSTRUCTIONS: usize = 25_000;

/// A compiled set of policy files: what every decision in one policy version is made with.
pub struct PolicySet {
    /// Short content hash, shown in logs, metrics and decisions.
    pub version: String,
    /// Full SHA-256 over every file name and content, in order.
    pub digest: String,
    pub files: Vec<PathBuf>,
    pub dir: PathBuf,
    id: u64,
    program: Arc<Program>,
    /// `data.toolwall.decision`'s and `data.toolwall.tool_visible`'s entry point indices: the
    /// VM runs them by index (no name lookup per call).
    decision_entry: usize,
    visible_entry: Option<usize>,
    data: Value,
    max_instructions: usize,
    /// Whether the policy defines `data.toolwall.tool_visible` (MCP `tools/list` filtering).
    pub has_visible: bool,
    /// The only `input.args` fields the policy can read (each with its converted key), when
    /// it can read no other way (`input::args_fields`); `None`: `input.args` whole.
    args_fields: Option<Vec<(String, Value)>>,
    /// The top-level input fields the policy sources name, when every `input` reference names
    /// one (`input::reads`): the others are not converted. `None`: every field.
    top_fields: Option<Vec<String>>,
    /// The VM's execution mode for this program (`mode::choose`).
    mode: ExecutionMode,
}

/// What the policy said about one call.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PolicyDecision {
    pub allow: bool,
    pub require_approval: bool,
    pub reasons: Vec<String>,
    pub redact: Vec<String>,
    pub tier: Option<String>,
}

/// Why a decision could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("policy decision is undefined")]
    Undefined,
    #[error("policy evaluation failed: {0}")]
    Failed(String),
    #[error("policy decision is malformed: {0}")]
    Malformed(String),
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// One VM per worker thread, reloaded when the policy version changes.
    /// The conversions it remembers go with it: a new policy version (every reload compiles
    /// one) starts with none.
    static VM: RefCell<Option<Worker>> = const { RefCell::new(None) };
}

impl PolicySet {
    /// Load and compile every `*.rego` in `dir` (test files `*_test.rego` excluded) and the
    /// optional `data.json`.
    pub fn load(dir: &Path, max_instructions: usize) -> Result<Self, Vec<Diag>> {
        let mut files = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| {
            vec![Diag::file(
                dir,
                format!("cannot read policy directory: {e}"),
            )]
        })?;
        for entry in entries.flatten() {
            let p = entry.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".rego") && !name.ends_with("_test.rego") {
                files.push(p);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(vec![Diag::file(dir, "no .rego files found")]);
        }
        let mut sources = Vec::new();
        let mut diags = Vec::new();
        for f in &files {
            match std::fs::read_to_string(f) {
                Ok(text) => sources.push((f.display().to_string(), text)),
                Err(e) => diags.push(Diag::file(f, format!("cannot read: {e}"))),
            }
        }
        let data_path = dir.join("data.json");
        let data_text = match std::fs::read_to_string(&data_path) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                diags.push(Diag::file(&data_path, format!("cannot read: {e}")));
                None
            }
        };
        if !diags.is_empty() {
            return Err(diags);
        }
        let data_ref = data_text.as_deref().map(|t| (data_path.as_path(), t));
        Self::compile(dir, &sources, data_ref, max_instructions).map(|mut s| {
            s.files = files;
            s
        })
    }

    /// Compile sources (name, text) and optional data document.
    pub fn compile(
        dir: &Path,
        sources: &[(String, String)],
        data: Option<(&Path, &str)>,
        max_instructions: usize,
    ) -> Result<Self, Vec<Diag>> {
        let mut engine = Engine::new();
        let mut diags = Vec::new();
        let mut hasher = Sha256::new();
        for (name, text) in sources {
            // The name relative to the policy directory: the same files give the same version
            // wherever the directory is (quickstart's temp dirs, replay on another machine).
            hasher.update(hash_name(dir, name).as_bytes());
            hasher.update([0]);
            hasher.update(text.as_bytes());
            hasher.update([0]);
            if let Err(e) = engine.add_policy(name.clone(), text.clone()) {
                diags.push(Diag::from_message(name, &e.to_string()));
            }
        }
        let mut data_value = Value::new_object();
        if let Some((path, text)) = data {
            hasher.update(b"data.json\0");
            hasher.update(text.as_bytes());
            match crate::json::parse_strict(text.as_bytes(), 64) {
                Ok(v) => match Value::deserialize_from(&v) {
                    Ok(dv) => {
                        data_value = dv;
                        if let Err(e) = engine.add_data(data_value.clone()) {
                            diags.push(Diag::file(path, e.to_string()));
                        }
                    }
                    Err(e) => diags.push(Diag::file(path, e)),
                },
                Err(e) => diags.push(Diag::file(path, format!("invalid JSON: {e}"))),
            }
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        let digest = hex::encode(hasher.finalize());
        let decision: regorus::Rc<str> = regorus::Rc::from(DECISION_RULE);
        let compiled = engine.compile_with_entrypoint(&decision).map_err(|e| {
            vec![Diag::from_message(
                &dir.display().to_string(),
                &format!("cannot compile {DECISION_RULE}: {e}"),
            )]
        })?;
        let has_visible = sources.iter().any(|(_, t)| {
            t.lines()
                .any(|l| l.trim_start().starts_with("tool_visible"))
        });
        let mut entries = vec![DECISION_RULE];
        if has_visible {
            entries.push(VISIBLE_RULE);
        }
        let program = Compiler::compile_from_policy(&compiled, &entries).map_err(|e| {
            vec![Diag::from_message(
                &dir.display().to_string(),
                &format!(
                    "the policy VM (RVM) cannot compile this policy: {e}; \
                     toolwall evaluates every call on the RVM and refuses to start with a policy \
                     it cannot compile (`with` and `print` belong in *_test.rego files)"
                ),
            )]
        })?;
        let entry_index = |name: &str| program.entry_points.get_index_of(name);
        let Some(decision_entry) = entry_index(DECISION_RULE) else {
            return Err(vec![Diag::from_message(
                &dir.display().to_string(),
                &format!("the compiled policy has no entry point {DECISION_RULE}"),
            )]);
        };
        let visible_entry = if has_visible {
            entry_index(VISIBLE_RULE)
        } else {
            None
        };
        let (mode, why) = mode::choose(&program);
        tracing::debug!(policy = %dir.display(), "the policy VM runs {why}");
        let reads = input::reads(sources.iter().map(|(_, t)| t.as_str()));
        let top_fields = reads.as_ref().map(|r| r.top.clone());
        let args_fields = reads
            .and_then(|r| r.args)
            .map(|f| f.into_iter().map(|n| (n.clone(), Value::from(n))).collect());
        Ok(PolicySet {
            args_fields,
            top_fields,
            version: digest[..12].to_string(),
            digest,
            files: Vec::new(),
            dir: dir.to_path_buf(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            program,
            decision_entry,
            visible_entry,
            data: data_value,
            max_instructions,
            has_visible,
            mode,
        })
    }

    /// Whether the VM runs this policy's rule calls natively (run-to-completion) rather than
    /// on its heap stack (suspendable): see `mode`.
    pub fn runs_to_completion(&self) -> bool {
        self.mode == ExecutionMode::RunToCompletion
    }

    /// Evaluate `data.toolwall.decision` for one input document.
    pub fn decide(&self, input: &serde_json::Value) -> Result<PolicyDecision, EvalError> {
        self.decide_known(input, &input::Known::default())
    }

    /// [`Self::decide`] for a document built with the shared parts `known` ([`input::Known`]:
    /// its `input.principal` and `input.tool` are copies of theirs): a part the worker converted
    /// before is recognised by its identity, not compared.
    pub fn decide_known(
        &self,
        input: &serde_json::Value,
        known: &input::Known,
    ) -> Result<PolicyDecision, EvalError> {
        let value = self.run(self.decision_entry, input, known)?;
        parse_decision(&value)
    }

    /// Evaluate one entry point; `Undefined` is an error.
    pub fn eval(&self, rule: &str, input: &serde_json::Value) -> Result<Value, EvalError> {
        let entry = match rule {
            DECISION_RULE => Some(self.decision_entry),
            VISIBLE_RULE => self.visible_entry,
            other => self.program.entry_points.get_index_of(other),
        };
        let Some(entry) = entry else {
            return Err(EvalError::Failed(format!(
                "the policy has no entry point {rule}"
            )));
        };
        self.run(entry, input, &input::Known::default())
    }

    /// Run the entry point with index `entry` on this thread's VM.
    fn run(
        &self,
        entry: usize,
        input: &serde_json::Value,
        known: &input::Known,
    ) -> Result<Value, EvalError> {
        VM.with(|cell| {
            let mut slot = cell.borrow_mut();
            let stale = !matches!(&*slot, Some(w) if w.policy == self.id);
            if stale {
                let mut vm = RegoVM::new();
                vm.load_program(self.program.clone());
                vm.set_data(self.data.clone())
                    .map_err(|e| EvalError::Failed(e.to_string()))?;
                vm.set_max_instructions(self.max_instructions);
                // Run-to-completion when the program's rule calls cannot nest deeper than
                // `mode::MAX_RULE_DEPTH`, else suspendable (rule frames on the heap: a
                // recursive policy runs into the instruction budget instead of overflowing
                // the thread's stack). See `mode`.
                vm.set_execution_mode(self.mode);
                *slot = Some(Worker {
                    policy: self.id,
                    vm,
                    memo: input::Memo::default(),
                });
            }
            let Some(w) = slot.as_mut() else {
                return Err(EvalError::Failed("policy VM unavailable".into()));
            };
            // the previous call's document, released first: the memo then overwrites it in
            // place (`input::Memo::input`)
            w.vm.set_input(Value::Undefined);
            let input = w.memo.input(
                input,
                self.args_fields.as_deref(),
                self.top_fields.as_deref(),
                known,
            );
            w.vm.set_input(input);
            match w.vm.execute_entry_point_by_index(entry) {
                Ok(Value::Undefined) => Err(EvalError::Undefined),
                Ok(v) => Ok(v),
                Err(e) => {
                    // A failed run may leave the VM in an error state: start fresh next time.
                    *slot = None;
                    Err(EvalError::Failed(e.to_string()))
                }
            }
        })
    }
}

/// A worker thread's VM for one policy version, and the input parts it has converted.
struct Worker {
    policy: u64,
    vm: RegoVM,
    memo: input::Memo,
}

/// A source's name as the version hashes it: relative to `dir` (with `/` separators) when it
/// lies inside it, else as given.
fn hash_name(dir: &Path, name: &str) -> String {
    match Path::new(name).strip_prefix(dir) {
        Ok(rel) => rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => name.to_string(),
    }
}

trait DeserializeFrom: Sized {
    fn deserialize_from(v: &serde_json::Value) -> Result<Self, String>;
}

impl DeserializeFrom for Value {
    /// A direct walk: regorus's serde `Deserialize` goes through its arbitrary-precision number
    /// parser and costs ~10x more on a 1 KB input (benches/pipeline.rs measures both).
    fn deserialize_from(v: &serde_json::Value) -> Result<Self, String> {
        Ok(to_rego(v))
    }
}

/// Convert a JSON value to a regorus value.
pub fn to_rego(v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        J::String(s) => Value::from(s.as_str()),
        J::Array(a) => Value::from(a.iter().map(to_rego).collect::<Vec<_>>()),
        // serde_json's map is sorted like regorus's (by the keys' bytes): built in bulk
        J::Object(m) => Value::from(
            m.iter()
                .map(|(k, v)| (Value::from(k.as_str()), to_rego(v)))
                .collect::<std::collections::BTreeMap<_, _>>(),
        ),
    }
}

fn string_list(v: &Value, field: &str) -> Result<Vec<String>, EvalError> {
    let strings = |items: &mut dyn Iterator<Item = &Value>| {
        items
            .map(|i| match i {
                Value::String(s) => Ok(String::from(&**s)),
                _ => Err(EvalError::Malformed(format!(
                    "`{field}` must contain only strings"
                ))),
            })
            .collect()
    };
    match v {
        Value::Undefined | Value::Null => Ok(Vec::new()),
        Value::Array(a) => strings(&mut a.iter()),
        Value::Set(s) => strings(&mut s.iter()),
        _ => Err(EvalError::Malformed(format!(
            "`{field}` must be an array or set of strings"
        ))),
    }
}

/// The decision object's fields, read in one pass over its (sorted) entries: no key values
/// built to look them up. A field it does not have is `Undefined`, as indexing gives.
fn parse_decision(v: &Value) -> Result<PolicyDecision, EvalError> {
    let Value::Object(o) = v else {
        return Err(EvalError::Malformed("decision must be an object".into()));
    };
    let undefined = Value::Undefined;
    let [mut allow, mut require_approval, mut reasons, mut redact, mut tier] = [&undefined; 5];
    for (k, x) in o.iter() {
        if let Value::String(k) = k {
            match &**k {
                "allow" => allow = x,
                "require_approval" => require_approval = x,
                "reasons" => reasons = x,
                "redact" => redact = x,
                "tier" => tier = x,
                _ => {}
            }
        }
    }
    let allow = match allow {
        Value::Bool(b) => *b,
        _ => {
            return Err(EvalError::Malformed(
                "decision needs a boolean `allow`".into(),
            ))
        }
    };
    let require_approval = match require_approval {
        Value::Bool(b) => *b,
        Value::Undefined | Value::Null => false,
        _ => {
            return Err(EvalError::Malformed(
                "`require_approval` must be a boolean".into(),
            ))
        }
    };
    let tier = match tier {
        Value::String(s) => Some(String::from(&**s)),
        Value::Undefined | Value::Null => None,
        _ => return Err(EvalError::Malformed("`tier` must be a string".into())),
    };
    Ok(PolicyDecision {
        allow,
        require_approval,
        reasons: string_list(reasons, "reasons")?,
        redact: string_list(redact, "redact")?,
        tier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(src: &str) -> Result<PolicySet, Vec<Diag>> {
        PolicySet::compile(
            Path::new("policies"),
            &[("policies/t.rego".to_string(), src.to_string())],
            None,
            DEFAULT_MAX_INSTRUCTIONS,
        )
    }

    const BASIC: &str = r#"
package toolwall
import rego.v1

default decision := {"allow": false, "reasons": ["default_deny"]}

decision := {"allow": true, "reasons": []} if input.args.amount <= 100

decision := {"allow": false, "reasons": ["amount_exceeds_threshold"]} if input.args.amount > 100
"#;

    #[test]
    fn direct_conversion_matches_serde() {
        use serde::Deserialize;
        let v = json!({"a": [1, -2, 3.5, 18446744073709551615u64, "x", null, true],
                       "b": {"c": {"d": "é"}}, "e": 1e300});
        assert_eq!(to_rego(&v), Value::deserialize(&v).expect("serde"));
    }

    #[test]
    fn top_level_fields_no_rule_names_are_left_out_and_decisions_do_not_change() {
        // reads input.args only: the rest of the document is not converted
        let p = set(BASIC).expect("compiles");
        assert_eq!(p.top_fields.as_deref(), Some(&["args".to_string()][..]));
        let doc = json!({"args": {"amount": 500}, "request": {"headers": {"a": "b"}},
                         "tool": {"name": "t"}, "v": 1});
        assert_eq!(
            p.decide(&doc).expect("decides").reasons,
            vec!["amount_exceeds_threshold"]
        );
        // a field read through `input["name"]`, another through a helper's argument
        let named = r#"
package toolwall
import rego.v1

h(r) := r.headers.x

decision := {"allow": h(input["request"]) == "ok", "reasons": [input.tool.name]}
"#;
        let p = set(named).expect("compiles");
        assert_eq!(
            p.top_fields.as_deref(),
            Some(&["request".to_string(), "tool".to_string()][..])
        );
        let doc = json!({"request": {"headers": {"x": "ok"}}, "tool": {"name": "t"}, "v": 1});
        let d = p.decide(&doc).expect("decides");
        assert!(d.allow);
        assert_eq!(d.reasons, vec!["t"]);
        // `input` as a value: every field, whatever it is called
        let whole = r#"
package toolwall
import rego.v1

decision := {"allow": count(object.keys(input)) == 3, "reasons": []}
"#;
        let p = set(whole).expect("compiles");
        assert!(p.top_fields.is_none() && p.args_fields.is_none());
        assert!(p.decide(&doc).expect("decides").allow);
    }

    #[test]
    fn args_reduced_only_where_the_policy_cannot_tell() {
        // reads one named field: converted alone, the decision unchanged
        let p = set(BASIC).expect("compiles");
        assert_eq!(
            p.args_fields
                .as_ref()
                .map(|f| f.iter().map(|(n, _)| n.as_str()).collect()),
            Some(vec!["amount"])
        );
        let d = p
            .decide(&json!({"args": {"amount": 500, "note": "x".repeat(100)}}))
            .expect("decides");
        assert_eq!(d.reasons, vec!["amount_exceeds_threshold"]);
        // reads every value: converted whole, so a field named nowhere still decides
        let scan = r#"
package toolwall
import rego.v1

default decision := {"allow": true, "reasons": []}

decision := {"allow": false, "reasons": ["evil"]} if {
	some v in input.args
	v == "evil"
}
"#;
        let p = set(scan).expect("compiles");
        assert!(p.args_fields.is_none());
        let d = p
            .decide(&json!({"args": {"amount": 5, "hidden": "evil"}}))
            .expect("decides");
        assert_eq!(d.reasons, vec!["evil"]);
        // a helper that takes input.args as a value: whole
        let helper = r#"
package toolwall
import rego.v1

f(a) := object.get(a, "hidden", "")

decision := {"allow": f(input.args) != "evil", "reasons": []}
"#;
        let p = set(helper).expect("compiles");
        assert!(p.args_fields.is_none());
        let d = p
            .decide(&json!({"args": {"hidden": "evil"}}))
            .expect("decides");
        assert!(!d.allow);
    }

    #[test]
    fn allow_and_deny() {
        let p = set(BASIC).expect("compiles");
        let d = p.decide(&json!({"args": {"amount": 5}})).expect("decides");
        assert!(d.allow);
        let d = p
            .decide(&json!({"args": {"amount": 500}}))
            .expect("decides");
        assert!(!d.allow);
        assert_eq!(d.reasons, vec!["amount_exceeds_threshold".to_string()]);
        let d = p.decide(&json!({"args": {}})).expect("decides");
        assert_eq!(d.reasons, vec!["default_deny".to_string()]);
    }

    #[test]
    fn undefined_without_default() {
        let p = set(
            "package toolwall\nimport rego.v1\ndecision := {\"allow\": true} if input.x == 1\n",
        )
        .expect("compiles");
        assert!(matches!(
            p.decide(&json!({"x": 2})),
            Err(EvalError::Undefined)
        ));
        assert!(p.decide(&json!({"x": 1})).expect("decides").allow);
    }

    #[test]
    fn malformed_decision_is_an_error() {
        let p = set("package toolwall\nimport rego.v1\ndecision := {\"allow\": \"yes\"}\n")
            .expect("compiles");
        assert!(matches!(p.decide(&json!({})), Err(EvalError::Malformed(_))));
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let errs = set("package toolwall\n\ndecision := {\"allow\": true\n")
            .err()
            .expect("fails");
        let text = errs[0].to_string();
        assert!(text.starts_with("policies/t.rego:"), "{text}");
    }

    #[test]
    fn self_recursive_policy_is_an_error_not_a_crash() {
        // OPA rejects this at compile time; the RVM would recurse on the native stack.
        let src = r#"
package toolwall
import rego.v1
threshold := data.toolwall.threshold if { data.toolwall.threshold } else := 10
decision := {"allow": input.x < threshold}
"#;
        match set(src) {
            Err(d) => assert!(d[0].to_string().contains("recurs"), "{}", d[0]),
            Ok(p) => assert!(matches!(
                p.decide(&json!({"x": 1})),
                Err(EvalError::Failed(_))
            )),
        }
    }

    #[test]
    fn version_does_not_depend_on_the_directory() {
        let compile = |dir: &str| {
            PolicySet::compile(
                Path::new(dir),
                &[(format!("{dir}/t.rego"), BASIC.to_string())],
                None,
                DEFAULT_MAX_INSTRUCTIONS,
            )
            .expect("compiles")
        };
        let a = compile("/tmp/one/policies");
        let b = compile("/srv/elsewhere/policies");
        assert_eq!(a.version, b.version);
        assert_eq!(a.digest, b.digest);
        // the file name still counts, and so does the content
        let renamed = PolicySet::compile(
            Path::new("/tmp/one/policies"),
            &[("/tmp/one/policies/u.rego".to_string(), BASIC.to_string())],
            None,
            DEFAULT_MAX_INSTRUCTIONS,
        )
        .expect("compiles");
        assert_ne!(renamed.digest, a.digest);
        let edited = PolicySet::compile(
            Path::new("/tmp/one/policies"),
            &[("/tmp/one/policies/t.rego".to_string(), format!("{BASIC}\n"))],
            None,
            DEFAULT_MAX_INSTRUCTIONS,
        )
        .expect("compiles");
        assert_ne!(edited.digest, a.digest);
    }

    #[test]
    fn version_of_loaded_directories_is_stable() {
        let base = std::env::temp_dir().join(format!("toolwall-pv-{}", std::process::id()));
        let mut versions = Vec::new();
        for sub in ["a/policies", "b/deeper/policies"] {
            let dir = base.join(sub);
            std::fs::create_dir_all(&dir).expect("mkdir");
            std::fs::write(dir.join("main.rego"), BASIC).expect("write");
            std::fs::write(dir.join("data.json"), r#"{"x": 1}"#).expect("write");
            let set = PolicySet::load(&dir, DEFAULT_MAX_INSTRUCTIONS).expect("loads");
            versions.push((set.version, set.digest));
        }
        let _ = std::fs::remove_dir_all(&base);
        assert_eq!(versions[0], versions[1]);
    }

    /// The read-out as it was: each field looked up by indexing with a string.
    fn parse_by_index(v: &Value) -> Result<PolicyDecision, String> {
        if !matches!(v, Value::Object(_)) {
            return Err("object".into());
        }
        let list = |x: &Value| -> Result<Vec<String>, String> {
            let items: Vec<&Value> = match x {
                Value::Undefined | Value::Null => return Ok(Vec::new()),
                Value::Array(a) => a.iter().collect(),
                Value::Set(s) => s.iter().collect(),
                _ => return Err("list".into()),
            };
            items
                .into_iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s.to_string()),
                    _ => Err("item".into()),
                })
                .collect()
        };
        let allow = match &v["allow"] {
            Value::Bool(b) => *b,
            _ => return Err("allow".into()),
        };
        let require_approval = match &v["require_approval"] {
            Value::Bool(b) => *b,
            Value::Undefined | Value::Null => false,
            _ => return Err("require_approval".into()),
        };
        let tier = match &v["tier"] {
            Value::String(s) => Some(s.to_string()),
            Value::Undefined | Value::Null => None,
            _ => return Err("tier".into()),
        };
        Ok(PolicyDecision {
            allow,
            require_approval,
            reasons: list(&v["reasons"])?,
            redact: list(&v["redact"])?,
            tier,
        })
    }

    #[test]
    fn the_decision_read_out_matches_indexing() {
        let mut cases = vec![
            Value::from_json_str(r#"[1]"#).expect("json"),
            Value::Undefined,
            Value::new_set(),
        ];
        for text in [
            r#"{"allow": true}"#,
            r#"{"allow": false, "reasons": ["b", "a"], "redact": ["email"], "tier": "high"}"#,
            r#"{"allow": true, "require_approval": true, "reasons": [], "extra": {"allow": 1}}"#,
            r#"{"allow": "yes"}"#,
            r#"{"allow": true, "require_approval": null, "tier": null, "reasons": null}"#,
            r#"{"allow": true, "require_approval": 1}"#,
            r#"{"allow": true, "tier": 3}"#,
            r#"{"allow": true, "reasons": "x"}"#,
            r#"{"allow": true, "reasons": ["x", 1]}"#,
            r#"{"allow": true, "redact": {"a": 1}}"#,
            r#"{"reasons": ["no allow"]}"#,
            r#"{}"#,
        ] {
            cases.push(Value::from_json_str(text).expect("json"));
        }
        // sets, and keys that are not strings
        let mut o = Value::from_json_str(r#"{"allow": false}"#).expect("json");
        let mut reasons = Value::new_set();
        for r in ["z", "a"] {
            reasons.as_set_mut().expect("set").insert(Value::from(r));
        }
        let obj = o.as_object_mut().expect("object");
        obj.insert(Value::from("reasons"), reasons);
        obj.insert(Value::from(1), Value::from("one"));
        obj.insert(Value::new_array(), Value::Bool(true));
        cases.push(o);
        for v in &cases {
            assert_eq!(
                parse_decision(v).map_err(|_| ()),
                parse_by_index(v).map_err(|_| ()),
                "{v}"
            );
        }
    }

    #[test]
    fn require_approval_is_parsed() {
        let p = set(
            "package toolwall\nimport rego.v1\ndecision := {\"allow\": true, \"require_approval\": true, \"reasons\": [\"big\"]}\n",
        )
        .expect("compiles");
        let d = p.decide(&json!({})).expect("decides");
        assert!(d.allow && d.require_approval);
        assert_eq!(d.reasons, vec!["big".to_string()]);
        let p = set("package toolwall\nimport rego.v1\ndecision := {\"allow\": true, \"require_approval\": \"yes\"}\n")
            .expect("compiles");
        assert!(matches!(p.decide(&json!({})), Err(EvalError::Malformed(_))));
    }

    #[test]
    fn runaway_policy_hits_instruction_limit() {
        let src = r#"
package toolwall
import rego.v1
decision := {"allow": count([x | some x in numbers.range(1, 1000000)]) > 0}
"#;
        let p = set(src).expect("compiles");
        match p.decide(&json!({})) {
            Err(EvalError::Failed(m)) => assert!(m.to_lowercase().contains("instruction"), "{m}"),
            other => panic!("expected instruction limit, got {other:?}"),
        }
    }
}
