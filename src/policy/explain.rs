//! `toolwall policy eval --explain`: why a decision came out as it did.
//!
//! regorus 0.14.1 has no explanations API, so one is built from what it has: the parsed
//! policy (`Engine::get_ast_as_json`, with file, line and column of every rule and statement)
//! and evaluation on the interpreter. Each rule body of the policy is lifted into a marker rule
//! of its own (`__toolwall_explain_N if { <the body's statements> }`, in the body's package
//! with its module's imports) and evaluated with the call's input: a body held when its marker
//! is true. For bodies that did not hold (`--explain=fails`), prefixes of the statements are
//! evaluated the same way, and the first statement whose prefix fails is the condition that
//! did not hold. What a statement read is shown beside it: the `input.…` paths it names and
//! the values of the rules it refers to.
//!
//! Limits (docs/policy-authoring.md): functions are listed by name but not explained (their
//! bodies need arguments); an `else` branch is shown as holding when its own body holds and
//! no branch before it did; statements that bind variables used by later ones are explained
//! together (a prefix is always evaluated from the body's first statement); `with` modifiers
//! are evaluated as written.

use std::collections::{BTreeMap, BTreeSet};

use regorus::Engine;
use serde::Serialize;
use serde_json::Value;

use super::PolicySet;

/// How much an explanation covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// The rule bodies that held, from the decision down.
    Held,
    /// Also the bodies that did not hold, each with the first condition that failed.
    Fails,
}

/// One rule body (or default) in the explanation, in the order the decision depends on it.
#[derive(Debug, Clone, Serialize)]
pub struct Node {
    /// How far below `decision` (0 = a definition of `decision` itself).
    pub depth: usize,
    /// The rule's name in its package (`deny_reasons`, `decision`).
    pub rule: String,
    pub file: String,
    pub line: u32,
    pub col: u32,
    /// `held`, `failed`, `default` (the rule's default applies), or `function`.
    pub outcome: &'static str,
    /// The rule's value after evaluation (for a default: the value it gives).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The body's statements as explained: all of them for a body that held, up to the one
    /// that failed for one that did not.
    pub conditions: Vec<Condition>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Condition {
    pub line: u32,
    pub text: String,
    /// Whether the statements up to and including this one held; absent when unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<bool>,
    /// The input paths and rules the statement reads, with their values (absent = undefined).
    pub reads: BTreeMap<String, Value>,
}

/// A rule definition found in the parsed policy.
struct Def {
    package: String,
    name: String,
    file: String,
    line: u32,
    col: u32,
    kind: DefKind,
    /// The definition's source text (to find the rules it refers to).
    text: String,
}

enum DefKind {
    Default,
    Function,
    /// Bodies: (is_else, statements as (line, text)).
    Bodies(Vec<(bool, Vec<(u32, String)>)>),
}

impl PolicySet {
    /// Explain `input`'s decision. The decision itself is what [`PolicySet::decide`] says; the
    /// explanation is computed on the interpreter from the same files.
    pub fn explain(&self, input: &Value, detail: Detail) -> Result<Vec<Node>, String> {
        let mut sources = Vec::new();
        for f in &self.files {
            let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
            sources.push((f.display().to_string(), text));
        }
        explain_sources(&sources, &self.data, input, detail)
    }
}

/// The engine's JSON value of a serde_json value.
fn to_regorus(v: &Value) -> Result<regorus::Value, String> {
    regorus::Value::from_json_str(&v.to_string()).map_err(|e| e.to_string())
}

fn to_json(v: &regorus::Value) -> Option<Value> {
    if *v == regorus::Value::Undefined {
        return None;
    }
    v.to_json_str()
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
}

pub(crate) fn explain_sources(
    sources: &[(String, String)],
    data: &regorus::Value,
    input: &Value,
    detail: Detail,
) -> Result<Vec<Node>, String> {
    let mut engine = Engine::new();
    for (name, text) in sources {
        engine
            .add_policy(name.clone(), text.clone())
            .map_err(|e| e.to_string())?;
    }
    let defs = definitions(&engine)?;
    engine.add_data(data.clone()).map_err(|e| e.to_string())?;
    engine.set_input(to_regorus(input)?);

    // the marker rules: one per body, and with --explain=fails one per statement prefix of
    // the bodies that do not hold (added in a second round, once they are known)
    let imports = imports_by_file(&engine)?;
    let mut markers: Vec<(usize, usize, usize, String)> = Vec::new(); // (def, body, stmts, name)
    let mut modules: BTreeMap<(String, String), String> = BTreeMap::new();
    for (d, def) in defs.iter().enumerate() {
        if let DefKind::Bodies(bodies) = &def.kind {
            for (b, (_, stmts)) in bodies.iter().enumerate() {
                let name = format!("__toolwall_explain_{d}_{b}");
                push_marker(&mut modules, def, &imports, &name, stmts);
                markers.push((d, b, usize::MAX, name));
            }
        }
    }
    let held = eval_markers(&mut engine, "body", &modules, &markers);

    // a body "counts" when it held and, for an else branch, no branch before it did
    let mut counts: BTreeMap<(usize, usize), bool> = BTreeMap::new();
    for (d, def) in defs.iter().enumerate() {
        if let DefKind::Bodies(bodies) = &def.kind {
            let mut earlier = false;
            for (b, (is_else, _)) in bodies.iter().enumerate() {
                let h = held.get(&(d, b, usize::MAX)).copied().flatten() == Some(true);
                let c = h && !(*is_else && earlier);
                earlier |= h;
                counts.insert((d, b), c);
            }
        }
    }

    // where a failing body stopped: the shortest failing prefix
    // else branches after one that held were never evaluated: nothing to say about them
    let mut skipped: BTreeSet<(usize, usize)> = BTreeSet::new();
    for (d, def) in defs.iter().enumerate() {
        if let DefKind::Bodies(bodies) = &def.kind {
            let mut earlier = false;
            for (b, (is_else, _)) in bodies.iter().enumerate() {
                if *is_else && earlier {
                    skipped.insert((d, b));
                }
                earlier |= counts.get(&(d, b)) == Some(&true);
            }
        }
    }
    let mut stopped: BTreeMap<(usize, usize), Vec<Option<bool>>> = BTreeMap::new();
    if detail == Detail::Fails {
        let mut modules = BTreeMap::new();
        let mut prefixes = Vec::new();
        for (d, def) in defs.iter().enumerate() {
            if let DefKind::Bodies(bodies) = &def.kind {
                for (b, (_, stmts)) in bodies.iter().enumerate() {
                    if counts.get(&(d, b)) == Some(&true)
                        || skipped.contains(&(d, b))
                        || stmts.len() < 2
                    {
                        continue;
                    }
                    for k in 1..stmts.len() {
                        let name = format!("__toolwall_explain_{d}_{b}_{k}");
                        push_marker(&mut modules, def, &imports, &name, &stmts[..k]);
                        prefixes.push((d, b, k, name));
                    }
                }
            }
        }
        let got = eval_markers(&mut engine, "prefix", &modules, &prefixes);
        for (d, def) in defs.iter().enumerate() {
            if let DefKind::Bodies(bodies) = &def.kind {
                for (b, (_, stmts)) in bodies.iter().enumerate() {
                    if counts.get(&(d, b)) == Some(&true) || skipped.contains(&(d, b)) {
                        continue;
                    }
                    let whole = held.get(&(d, b, usize::MAX)).copied().flatten();
                    let v: Vec<Option<bool>> = (1..=stmts.len())
                        .map(|k| {
                            if k == stmts.len() {
                                whole
                            } else {
                                got.get(&(d, b, k)).copied().flatten()
                            }
                        })
                        .collect();
                    stopped.insert((d, b), v);
                }
            }
        }
    }

    // every rule's value, once
    let mut values: BTreeMap<(String, String), Option<Value>> = BTreeMap::new();
    for def in &defs {
        let key = (def.package.clone(), def.name.clone());
        if values.contains_key(&key) || matches!(def.kind, DefKind::Function) {
            continue;
        }
        let v = engine
            .eval_rule(format!("data.{}.{}", def.package, def.name))
            .ok()
            .and_then(|v| to_json(&v));
        values.insert(key, v);
    }

    // from `decision` down: the rules each definition's text names, depth first
    let rule_names: BTreeSet<(String, String)> = defs
        .iter()
        .map(|d| (d.package.clone(), d.name.clone()))
        .collect();
    let mut out = Vec::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let root = ("toolwall".to_string(), "decision".to_string());
    let mut stack = vec![(root, 0usize)];
    while let Some((rule, depth)) = stack.pop() {
        if !seen.insert(rule.clone()) {
            continue;
        }
        let mut children: Vec<(String, String)> = Vec::new();
        let value = values.get(&rule).cloned().flatten();
        let has_held = defs.iter().enumerate().any(|(d, def)| {
            (def.package.clone(), def.name.clone()) == rule
                && matches!(&def.kind, DefKind::Bodies(b) if (0..b.len()).any(|i| counts.get(&(d, i)) == Some(&true)))
        });
        for (d, def) in defs.iter().enumerate() {
            if (def.package.clone(), def.name.clone()) != rule {
                continue;
            }
            match &def.kind {
                DefKind::Default => {
                    if !has_held && value.is_some() {
                        out.push(node(def, depth, "default", value.clone(), Vec::new()));
                    }
                }
                DefKind::Function => {
                    out.push(node(def, depth, "function", None, Vec::new()));
                    children.extend(refers_to(&def.text, &def.package, &rule_names, &rule));
                }
                DefKind::Bodies(bodies) => {
                    for (b, (_, stmts)) in bodies.iter().enumerate() {
                        let reads = |text: &str| reads_of(text, input, &def.package, &values);
                        // a body-less definition whose value is undefined did not define it
                        let defined = !stmts.is_empty() || value.is_some();
                        if counts.get(&(d, b)) == Some(&true) && defined {
                            let conds = stmts
                                .iter()
                                .map(|(line, text)| Condition {
                                    line: *line,
                                    text: text.clone(),
                                    held: Some(true),
                                    reads: reads(text),
                                })
                                .collect();
                            out.push(node(def, depth, "held", value.clone(), conds));
                            children.extend(refers_to(&def.text, &def.package, &rule_names, &rule));
                        } else if let Some(v) = stopped.get(&(d, b)) {
                            // up to the first statement whose prefix did not hold
                            let upto = v
                                .iter()
                                .position(|h| *h != Some(true))
                                .map_or(stmts.len(), |i| i + 1);
                            let conds: Vec<Condition> = stmts
                                .iter()
                                .zip(v.iter())
                                .take(upto)
                                .map(|((line, text), h)| Condition {
                                    line: *line,
                                    text: text.clone(),
                                    held: *h,
                                    reads: reads(text),
                                })
                                .collect();
                            // the rules the statements up to the failing one read
                            for c in &conds {
                                children.extend(refers_to(
                                    &c.text,
                                    &def.package,
                                    &rule_names,
                                    &rule,
                                ));
                            }
                            out.push(node(def, depth, "failed", None, conds));
                        }
                    }
                }
            }
        }
        // visit in source order: push reversed
        children.sort();
        children.dedup();
        let mut ordered: Vec<(u32, String, (String, String))> = children
            .into_iter()
            .filter(|c| !seen.contains(c))
            .map(|c| {
                let first = defs
                    .iter()
                    .filter(|d| (d.package.clone(), d.name.clone()) == c)
                    .map(|d| (d.line, d.file.clone()))
                    .min()
                    .unwrap_or_default();
                (first.0, first.1, c)
            })
            .collect();
        ordered.sort();
        for (_, _, c) in ordered.into_iter().rev() {
            stack.push((c, depth + 1));
        }
    }
    Ok(out)
}

fn node(
    def: &Def,
    depth: usize,
    outcome: &'static str,
    value: Option<Value>,
    conditions: Vec<Condition>,
) -> Node {
    Node {
        depth,
        rule: def.name.clone(),
        file: def.file.clone(),
        line: def.line,
        col: def.col,
        outcome,
        value,
        conditions,
    }
}

fn push_marker(
    modules: &mut BTreeMap<(String, String), String>,
    def: &Def,
    imports: &BTreeMap<String, Vec<String>>,
    name: &str,
    stmts: &[(u32, String)],
) {
    let module = modules
        .entry((def.file.clone(), def.package.clone()))
        .or_insert_with(|| {
            let mut m = format!("package {}\n", def.package);
            for i in imports.get(&def.file).into_iter().flatten() {
                m.push_str(i);
                m.push('\n');
            }
            if !m.contains("import rego.v1") {
                m.push_str("import rego.v1\n");
            }
            m
        });
    module.push_str(&format!("\n{name} if {{\n"));
    if stmts.is_empty() {
        module.push_str("\ttrue\n");
    }
    for (_, s) in stmts {
        module.push('\t');
        module.push_str(s);
        module.push('\n');
    }
    module.push_str("}\n");
}

/// Evaluate marker rules; `(def, body, k)` → true / false / unknown (the marker could not be
/// compiled or evaluated). `k` is the number of statements of a prefix marker, `usize::MAX`
/// for a whole body's.
fn eval_markers(
    engine: &mut Engine,
    round: &str,
    modules: &BTreeMap<(String, String), String>,
    markers: &[(usize, usize, usize, String)],
) -> BTreeMap<(usize, usize, usize), Option<bool>> {
    let mut out = BTreeMap::new();
    let mut package_of = BTreeMap::new();
    for (i, ((file, package), text)) in modules.iter().enumerate() {
        // a module of markers that does not parse: its markers stay unknown
        if engine
            .add_policy(format!("{file}#explain-{round}-{i}"), text.clone())
            .is_ok()
        {
            for (_, _, _, name) in markers {
                if text.contains(&format!("\n{name} if {{")) {
                    package_of.insert(name.as_str(), package.clone());
                }
            }
        }
    }
    for (d, b, k, name) in markers {
        let held = match package_of.get(name.as_str()) {
            None => None,
            Some(package) => match engine.eval_rule(format!("data.{package}.{name}")) {
                Ok(regorus::Value::Bool(b)) => Some(b),
                Ok(regorus::Value::Undefined) => Some(false),
                _ => None,
            },
        };
        out.insert((*d, *b, *k), held);
    }
    out
}

/// Every rule definition of every module, from the parsed policy.
fn definitions(engine: &Engine) -> Result<Vec<Def>, String> {
    let ast: Value = serde_json::from_str(&engine.get_ast_as_json().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let mut defs = Vec::new();
    for module in ast.as_array().into_iter().flatten() {
        let file = module["source"]["file"].as_str().unwrap_or("").to_string();
        let contents = module["source"]["contents"].as_str().unwrap_or("");
        let slice = |span: &Value| -> String {
            let (Some(s), Some(e)) = (span["start"].as_u64(), span["end"].as_u64()) else {
                return String::new();
            };
            let (mut s, mut e) = (s as usize, e as usize);
            // regorus 0.14.1 spans leave out the quotes of a string literal at either end
            let b = contents.as_bytes();
            if s > 0 && matches!(b.get(s - 1), Some(b'"' | b'`')) {
                s -= 1;
            }
            let odd = |t: &str| t.matches('"').count() % 2 == 1 || t.matches('`').count() % 2 == 1;
            if matches!(b.get(e), Some(b'"' | b'`')) && contents.get(s..e).is_some_and(odd) {
                e += 1;
            }
            contents.get(s..e).unwrap_or("").to_string()
        };
        let ast = &module["ast"];
        let package = slice(&ast["package"]["span"])
            .trim_start_matches("package")
            .trim()
            .to_string();
        for rule in ast["rules"].as_array().into_iter().flatten() {
            let (kind_name, r) = match rule.as_object().and_then(|o| o.iter().next()) {
                Some((k, v)) => (k.as_str(), v),
                None => continue,
            };
            let span = &r["span"];
            let text = slice(span);
            let name = rule_name(&text);
            if name.is_empty() {
                continue;
            }
            let kind = match kind_name {
                "Default" => DefKind::Default,
                _ if r["head"].get("Func").is_some() => DefKind::Function,
                _ => {
                    let bodies = r["bodies"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|b| {
                            let stmts = b["query"]["stmts"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|s| {
                                    (
                                        s["span"]["line"].as_u64().unwrap_or(0) as u32,
                                        slice(&s["span"]),
                                    )
                                })
                                .filter(|(_, t)| !t.is_empty())
                                .collect();
                            (b["is_else"].as_bool().unwrap_or(false), stmts)
                        })
                        .collect::<Vec<_>>();
                    // `name := value` with no `if`: one body that always holds (the value
                    // may still be undefined)
                    if bodies.is_empty() {
                        DefKind::Bodies(vec![(false, Vec::new())])
                    } else {
                        DefKind::Bodies(bodies)
                    }
                }
            };
            defs.push(Def {
                package: package.clone(),
                name,
                file: file.clone(),
                line: span["line"].as_u64().unwrap_or(0) as u32,
                col: span["col"].as_u64().unwrap_or(0) as u32,
                kind,
                text,
            });
        }
    }
    Ok(defs)
}

/// The import lines of each file, as written.
fn imports_by_file(engine: &Engine) -> Result<BTreeMap<String, Vec<String>>, String> {
    let ast: Value = serde_json::from_str(&engine.get_ast_as_json().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for module in ast.as_array().into_iter().flatten() {
        let file = module["source"]["file"].as_str().unwrap_or("").to_string();
        let contents = module["source"]["contents"].as_str().unwrap_or("");
        let lines = module["ast"]["imports"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| {
                let (s, e) = (i["span"]["start"].as_u64()?, i["span"]["end"].as_u64()?);
                contents.get(s as usize..e as usize).map(str::to_string)
            })
            .collect();
        out.insert(file, lines);
    }
    Ok(out)
}

/// The name a rule's text defines: `default name …`, `name contains …`, `name[k] …`,
/// `name := …`, `name if …`, `a.b.c if …` (its first component).
fn rule_name(text: &str) -> String {
    let t = text.trim_start();
    let t = t.strip_prefix("default ").unwrap_or(t).trim_start();
    t.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// Identifiers of `text` (not after a `.`, not in a string) that name rules of `package`.
fn refers_to(
    text: &str,
    package: &str,
    rules: &BTreeSet<(String, String)>,
    own: &(String, String),
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (ident, after_dot) in identifiers(text) {
        if after_dot {
            continue;
        }
        let key = (package.to_string(), ident.to_string());
        if rules.contains(&key) && &key != own {
            out.push(key);
        }
    }
    out
}

/// `(identifier, preceded by '.')` for every identifier outside string literals and comments.
fn identifiers(text: &str) -> Vec<(&str, bool)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c == b'`' {
            i += 1;
            while i < b.len() && b[i] != b'`' {
                i += 1;
            }
            i += 1;
        } else if c == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let after_dot = start > 0 && b[start - 1] == b'.';
            if let Some(s) = text.get(start..i) {
                out.push((s, after_dot));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// What a statement reads: its `input.a.b["c"]` paths (as far as they are plain fields) and
/// the rules of `package` it names, with their values.
fn reads_of(
    text: &str,
    input: &Value,
    package: &str,
    values: &BTreeMap<(String, String), Option<Value>>,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let ids = identifiers(text);
    let mut i = 0;
    while i < ids.len() {
        let (id, after_dot) = ids[i];
        if id == "input" && !after_dot {
            // the path: input followed by identifiers each after a dot
            let mut path = vec![];
            let mut j = i + 1;
            while j < ids.len() && ids[j].1 && text_follows(text, ids[j - 1].0, ids[j].0) {
                path.push(ids[j].0);
                j += 1;
            }
            let mut v = Some(input);
            for p in &path {
                v = v.and_then(|x| x.get(*p));
            }
            let name = std::iter::once("input")
                .chain(path.iter().copied())
                .collect::<Vec<_>>()
                .join(".");
            if let Some(v) = v {
                out.insert(name, v.clone());
            }
            i = j;
            continue;
        }
        if !after_dot {
            if let Some(Some(v)) = values.get(&(package.to_string(), id.to_string())) {
                out.insert(id.to_string(), v.clone());
            }
        }
        i += 1;
    }
    out
}

/// Whether `next` comes right after `prev` + '.' in `text` (a path, not two separate refs).
fn text_follows(text: &str, prev: &str, next: &str) -> bool {
    let (p, n) = (prev.as_ptr() as usize, next.as_ptr() as usize);
    let base = text.as_ptr() as usize;
    let end_prev = p + prev.len() - base;
    n - base == end_prev + 1 && text.as_bytes().get(end_prev) == Some(&b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"package toolwall
import rego.v1

default decision := {"allow": false, "reasons": ["no_rule"]}

decision := {"allow": false, "reasons": sort([r | some r in deny])} if {
	count(deny) > 0
}

decision := {"allow": true, "reasons": []} if {
	count(deny) == 0
	input.tool.read_only
}

deny contains "too_much" if {
	input.tool.name == "refund"
	over_limit
}

deny contains "wrong_tenant" if {
	input.args.tenant != input.principal.tenant
}

over_limit if {
	input.args.amount > limit
}

default limit := 100
"#;

    fn explain(input: Value, detail: Detail) -> Vec<Node> {
        explain_sources(
            &[("p/toolwall.rego".into(), POLICY.into())],
            &regorus::Value::new_object(),
            &input,
            detail,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_denial_two_helpers_down_names_each_rule_and_what_it_read() {
        let input = serde_json::json!({
            "tool": {"name": "refund", "read_only": false},
            "principal": {"tenant": "a"},
            "args": {"amount": 500, "tenant": "a"},
        });
        let nodes = explain(input, Detail::Held);
        let summary: Vec<(usize, &str, u32, &str)> = nodes
            .iter()
            .map(|n| (n.depth, n.rule.as_str(), n.line, n.outcome))
            .collect();
        assert_eq!(
            summary,
            vec![
                (0, "decision", 6, "held"),
                (1, "deny", 15, "held"),
                (2, "over_limit", 24, "held"),
                (3, "limit", 28, "default"),
            ],
            "{nodes:#?}"
        );
        let over = &nodes[2];
        assert_eq!(over.conditions[0].text, "input.args.amount > limit");
        assert_eq!(over.conditions[0].line, 25);
        assert_eq!(over.conditions[0].reads["input.args.amount"], 500);
        assert_eq!(over.conditions[0].reads["limit"], 100);
        assert_eq!(nodes[3].value, Some(serde_json::json!(100)));
        assert_eq!(
            nodes[0].value,
            Some(serde_json::json!({"allow": false, "reasons": ["too_much"]}))
        );
    }

    #[test]
    fn fails_shows_where_a_body_stopped() {
        let input = serde_json::json!({
            "tool": {"name": "refund", "read_only": false},
            "principal": {"tenant": "a"},
            "args": {"amount": 5, "tenant": "a"},
        });
        let nodes = explain(input, Detail::Fails);
        // the allow body stopped at read_only; the deny body at over_limit
        let allow = nodes
            .iter()
            .find(|n| n.rule == "decision" && n.line == 10)
            .unwrap_or_else(|| panic!("{nodes:#?}"));
        assert_eq!(allow.outcome, "failed");
        let last = allow.conditions.last().expect("conditions");
        assert_eq!((last.line, last.held), (12, Some(false)), "{allow:#?}");
        assert_eq!(allow.conditions[0].held, Some(true));
        let deny = nodes
            .iter()
            .find(|n| n.rule == "deny" && n.line == 15)
            .unwrap_or_else(|| panic!("{nodes:#?}"));
        assert_eq!(deny.outcome, "failed");
        assert_eq!(deny.conditions.last().map(|c| c.line), Some(17));
        // the default decision applied
        assert!(nodes
            .iter()
            .any(|n| n.rule == "decision" && n.outcome == "default"));
    }
}
