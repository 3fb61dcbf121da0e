//! `toolwall check --strict`: lints over the policies of a compiled config, with its adapters'
//! JSON Schemas. Each finds a mistake that compiles (so plain `check` accepts it) but makes a
//! rule never match, never be defined, decide without saying why, or allow by default.
//!
//! The policies are parsed again by regorus itself (`Engine::add_policy`, the parser and
//! settings `PolicySet::compile` uses) and its AST walked. The AST is `regorus::unstable`:
//! public, but free to change between regorus versions; regorus is pinned exactly in
//! Cargo.toml, so a change shows when the pin moves, not in a user's build.
//!
//! The lints are conservative: where the AST or a schema leaves the answer open (a reference
//! through a variable, a tool without a schema, an MCP server's tools, a `$ref` outside the
//! schema) they say nothing. What they see is listed in docs/policy-authoring.md.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use regorus::unstable::{
    AssignOp, BoolOp, Expr, Literal, Module, Query, Ref, Rule, RuleHead, Span,
};
use regorus::{Engine, Value};
use serde_json::Value as J;

use super::PolicySet;
use crate::diag::Diag;

pub const ARGS_FIELD_UNKNOWN: &str = "args-field-unknown";
pub const RULE_NEVER_DEFINED: &str = "rule-never-defined";
pub const DECISION_WITHOUT_REASONS: &str = "decision-without-reasons";
pub const UNUSED_RULE: &str = "unused-rule";
pub const DEFAULT_ALLOWS: &str = "default-allows";
pub const RVM_UNDEFINED_ASSIGNMENT: &str = "rvm-undefined-assignment";
pub const TOOL_UNKNOWN: &str = "tool-unknown";

/// The package every toolwall policy decides in (`data.toolwall.decision`).
const PACKAGE: &str = "toolwall";
/// Rules the runtime or `policy test` evaluates: never unused.
const ENTRY_RULES: [&str; 2] = ["decision", "tool_visible"];
/// The most tools named in one message.
const MAX_NAMED_TOOLS: usize = 8;
/// How deep `$ref`s and nested applicators are followed before a schema counts as open.
const MAX_SCHEMA_DEPTH: usize = 32;

/// How bad a finding is. `check --strict` fails on either: a warning is a mistake of style
/// (the policy does what it says, but says too little), an error one of meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One lint at a position: `file:line:col: error|warning: message [lint]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub file: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters (a tab is one column).
    pub col: usize,
    pub severity: Severity,
    pub lint: &'static str,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {} [{}]",
            self.file, self.line, self.col, self.severity, self.message, self.lint
        )
    }
}

/// What `input.args` can hold: every tool of the config with the JSON Schema its arguments are
/// validated with (`None`: no schema, anything passes), and the adapters whose tools are only
/// known at run time (MCP servers list theirs; a tool there is `<adapter>.<name>`).
#[derive(Debug, Clone, Default)]
pub struct ArgsSurface {
    pub tools: Vec<(String, Option<J>)>,
    pub open_adapters: Vec<String>,
}

impl ArgsSurface {
    fn tool(&self, name: &str) -> Option<&(String, Option<J>)> {
        self.tools.iter().find(|(n, _)| n == name)
    }

    /// Whether `name` may be a tool of an adapter whose tools are only known at run time.
    fn open(&self, name: &str) -> bool {
        self.open_adapters.iter().any(|a| {
            name.strip_prefix(a.as_str())
                .is_some_and(|r| r.starts_with('.'))
        })
    }
}

/// Lint the policy files of `set` (and its `data.json`) against the tools of `surface`.
pub fn lint_policy_set(set: &PolicySet, surface: &ArgsSurface) -> Result<Vec<Finding>, Vec<Diag>> {
    let mut sources = Vec::new();
    let mut diags = Vec::new();
    for f in &set.files {
        match std::fs::read_to_string(f) {
            Ok(text) => sources.push((f.display().to_string(), text)),
            Err(e) => diags.push(Diag::file(f, format!("cannot read: {e}"))),
        }
    }
    let data_path = set.dir.join("data.json");
    let data = match std::fs::read(&data_path) {
        Ok(bytes) => match crate::json::parse_strict(&bytes, 64) {
            Ok(v) => Some(v),
            Err(e) => {
                diags.push(Diag::file(&data_path, format!("invalid JSON: {e}")));
                None
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            diags.push(Diag::file(&data_path, format!("cannot read: {e}")));
            None
        }
    };
    if !diags.is_empty() {
        return Err(diags);
    }
    lint(&sources, data.as_ref(), surface)
}

/// Lint policy sources (file name, text) with the `data` document and the tools of `surface`.
/// Findings are sorted by file and position.
pub fn lint(
    sources: &[(String, String)],
    data: Option<&J>,
    surface: &ArgsSurface,
) -> Result<Vec<Finding>, Vec<Diag>> {
    let mut engine = Engine::new();
    let mut diags = Vec::new();
    for (name, text) in sources {
        if let Err(e) = engine.add_policy(name.clone(), text.clone()) {
            diags.push(Diag::from_message(name, &e.to_string()));
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let modules = engine.get_modules().clone();
    let infos: Vec<ModInfo> = modules.iter().map(ModInfo::new).collect();

    // every package and the rules (by their first name) each defines
    let mut packages: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
    for m in &infos {
        let rules = packages.entry(m.package.clone()).or_default();
        for r in &m.module.policy {
            if let Some((name, _)) = rule_name(r) {
                rules.insert(name);
            }
        }
    }
    let mut lints = Lints {
        packages,
        data,
        surface,
        findings: Vec::new(),
        refs: BTreeMap::new(),
        outside_refs: BTreeSet::new(),
        whole_package_used: false,
    };
    for m in &infos {
        for r in &m.module.policy {
            lints.rule(m, r);
        }
    }
    lints.unused(&infos);
    let mut findings = lints.findings;
    findings
        .sort_by(|a, b| (&a.file, a.line, a.col, a.lint).cmp(&(&b.file, b.line, b.col, b.lint)));
    findings.dedup();
    Ok(findings)
}

/// A parsed module with its package path and import aliases.
struct ModInfo<'m> {
    module: &'m Module,
    /// `toolwall`, `toolwall.lib` → `["toolwall"]`, `["toolwall", "lib"]`.
    package: Vec<String>,
    /// `import data.toolwall.lib` → `lib`: its path (`data`/`input` first).
    imports: HashMap<String, Vec<Seg>>,
}

impl<'m> ModInfo<'m> {
    fn new(module: &'m Ref<Module>) -> Self {
        let module: &Module = module;
        let package = match flatten(&module.package.refr, &mut Vec::new()) {
            Some((root, segs)) => std::iter::once(root.text().to_string())
                .chain(segs.iter().filter_map(|s| s.key().map(str::to_string)))
                .skip_while(|s| s == "data")
                .collect(),
            None => Vec::new(),
        };
        let mut imports = HashMap::new();
        for i in &module.imports {
            let Some((root, segs)) = flatten(&i.refr, &mut Vec::new()) else {
                continue;
            };
            if !matches!(root.text(), "data" | "input") {
                continue; // rego.v1, future.keywords
            }
            let mut path = vec![Seg::Key(root.text().to_string(), Some(root.clone()))];
            path.extend(segs);
            let alias = match &i.r#as {
                Some(a) => a.text().to_string(),
                None => match path.last().and_then(Seg::key) {
                    Some(k) => k.to_string(),
                    None => continue,
                },
            };
            imports.insert(alias, path);
        }
        ModInfo {
            module,
            package,
            imports,
        }
    }

    fn is_toolwall(&self) -> bool {
        self.package.len() == 1 && self.package[0] == PACKAGE
    }
}

/// One step of a reference: a constant key (with where it is written) or a computed one.
#[derive(Debug, Clone)]
enum Seg {
    Key(String, Option<Span>),
    Dyn,
}

impl Seg {
    fn key(&self) -> Option<&str> {
        match self {
            Seg::Key(k, _) => Some(k),
            Seg::Dyn => None,
        }
    }
}

/// `a.b["c"][x]`: the root variable's span and the steps after it, pushing the computed
/// indices (`x`) onto `dynamic`. `None` when the reference starts at something other than a
/// variable (a call, a literal).
fn flatten<'e>(e: &'e Expr, dynamic: &mut Vec<&'e Ref<Expr>>) -> Option<(&'e Span, Vec<Seg>)> {
    let mut segs = Vec::new();
    let mut cur = e;
    loop {
        match cur {
            Expr::RefDot { refr, field, .. } => {
                segs.push(Seg::Key(field.0.text().to_string(), Some(field.0.clone())));
                cur = refr;
            }
            Expr::RefBrack { refr, index, .. } => {
                match string_literal(index) {
                    Some(s) => segs.push(Seg::Key(s.to_string(), Some(index.span().clone()))),
                    None => {
                        segs.push(Seg::Dyn);
                        dynamic.push(index);
                    }
                }
                cur = refr;
            }
            Expr::Var { span, .. } => {
                segs.reverse();
                return Some((span, segs));
            }
            _ => return None,
        }
    }
}

fn string_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::String { value, .. } | Expr::RawString { value, .. } => match value {
            Value::String(s) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

/// A rule's first name (`decision`, `deny_reasons`, `f` of `f(x)`) and where it is written.
fn rule_name(rule: &Rule) -> Option<(String, Span)> {
    let refr = match rule {
        Rule::Spec { head, .. } => match head {
            RuleHead::Compr { refr, .. }
            | RuleHead::Set { refr, .. }
            | RuleHead::Func { refr, .. } => refr,
        },
        Rule::Default { refr, .. } => refr,
    };
    let (root, _) = flatten(refr, &mut Vec::new())?;
    Some((root.text().to_string(), root.clone()))
}

/// Whether the rule's head is just its name (`decision := …`, not `decision.x := …`).
fn plain_head(rule: &Rule) -> bool {
    let refr = match rule {
        Rule::Spec {
            head: RuleHead::Compr { refr, .. },
            ..
        } => refr,
        Rule::Default { refr, .. } => refr,
        _ => return false,
    };
    matches!(refr.as_ref(), Expr::Var { .. })
}

/// Every direct sub-expression and sub-query of `e`.
fn children<'e>(e: &'e Expr, exprs: &mut Vec<&'e Ref<Expr>>, queries: &mut Vec<&'e Ref<Query>>) {
    match e {
        Expr::Array { items, .. } | Expr::Set { items, .. } => exprs.extend(items),
        Expr::Object { fields, .. } => {
            for (_, k, v) in fields {
                exprs.push(k);
                exprs.push(v);
            }
        }
        Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
            exprs.push(term);
            queries.push(query);
        }
        Expr::ObjectCompr {
            key, value, query, ..
        } => {
            exprs.push(key);
            exprs.push(value);
            queries.push(query);
        }
        Expr::Call { fcn, params, .. } => {
            exprs.push(fcn);
            exprs.extend(params);
        }
        Expr::UnaryExpr { expr, .. } => exprs.push(expr),
        Expr::RefDot { refr, .. } => exprs.push(refr),
        Expr::RefBrack { refr, index, .. } => {
            exprs.push(refr);
            exprs.push(index);
        }
        Expr::BinExpr { lhs, rhs, .. }
        | Expr::BoolExpr { lhs, rhs, .. }
        | Expr::ArithExpr { lhs, rhs, .. }
        | Expr::AssignExpr { lhs, rhs, .. } => {
            exprs.push(lhs);
            exprs.push(rhs);
        }
        Expr::Membership {
            key,
            value,
            collection,
            ..
        } => {
            exprs.extend(key);
            exprs.push(value);
            exprs.push(collection);
        }
        // literals, variables (and `or`, behind a regorus feature toolwall does not enable)
        _ => {}
    }
}

/// Whether an expression's value can be undefined: anything but a literal or a comprehension.
fn may_be_undefined(e: &Expr) -> bool {
    !matches!(
        e,
        Expr::Null { .. }
            | Expr::Bool { .. }
            | Expr::Number { .. }
            | Expr::String { .. }
            | Expr::RawString { .. }
            | Expr::ArrayCompr { .. }
            | Expr::SetCompr { .. }
            | Expr::ObjectCompr { .. }
    )
}

/// Whether `e` names one of `vars`.
fn uses_any(e: &Expr, vars: &HashSet<String>) -> bool {
    if let Expr::Var { span, .. } = e {
        return vars.contains(span.text());
    }
    let (mut exprs, mut queries) = (Vec::new(), Vec::new());
    children(e, &mut exprs, &mut queries);
    exprs.iter().any(|x| uses_any(x, vars))
        || queries.iter().any(|q| {
            q.stmts.iter().any(|s| match &s.literal {
                Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => uses_any(expr, vars),
                Literal::SomeIn { collection, .. } => uses_any(collection, vars),
                Literal::Every { domain, .. } => uses_any(domain, vars),
                Literal::SomeVars { .. } => false,
            })
        })
}

/// The variables a pattern binds (`x`, `[a, b]`, `{"k": v}`).
fn pattern_vars(e: &Expr, out: &mut HashSet<String>) {
    match e {
        Expr::Var { span, .. } => {
            out.insert(span.text().to_string());
        }
        Expr::Array { items, .. } => items.iter().for_each(|i| pattern_vars(i, out)),
        Expr::Object { fields, .. } => fields.iter().for_each(|(_, _, v)| pattern_vars(v, out)),
        _ => {}
    }
}

/// The variables a query declares (`some`, `:=`, `every`), in it and in what it nests: a
/// local of that name hides a rule of the same name.
fn query_locals(q: &Query, out: &mut HashSet<String>) {
    for s in &q.stmts {
        match &s.literal {
            Literal::SomeVars { vars, .. } => {
                out.extend(vars.iter().map(|v| v.text().to_string()));
            }
            Literal::SomeIn {
                key,
                value,
                collection,
                ..
            } => {
                if let Some(k) = key {
                    pattern_vars(k, out);
                }
                pattern_vars(value, out);
                expr_locals(collection, out);
            }
            Literal::Every {
                key,
                value,
                domain,
                query,
                ..
            } => {
                out.extend(key.iter().map(|k| k.text().to_string()));
                out.insert(value.text().to_string());
                expr_locals(domain, out);
                query_locals(query, out);
            }
            Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => expr_locals(expr, out),
        }
    }
}

fn expr_locals(e: &Expr, out: &mut HashSet<String>) {
    if let Expr::AssignExpr {
        op: AssignOp::ColEq,
        lhs,
        ..
    } = e
    {
        pattern_vars(lhs, out);
    }
    let (mut exprs, mut queries) = (Vec::new(), Vec::new());
    children(e, &mut exprs, &mut queries);
    exprs.iter().for_each(|x| expr_locals(x, out));
    queries.iter().for_each(|q| query_locals(q, out));
}

/// What a query knows while it is walked: the tools it is pinned to and its local aliases of
/// input paths (`args := input.args`).
#[derive(Clone, Default)]
struct Env {
    /// `input.tool.name == "x"` (or `in {…}`) in this query or one enclosing it.
    pin: Option<Vec<String>>,
    aliases: HashMap<String, Vec<Seg>>,
    /// Names declared locally in the rule: never rule references.
    locals: std::rc::Rc<HashSet<String>>,
}

/// A reference after imports, aliases and the package are applied: `input…` or `data…`.
enum Target {
    Input(Vec<Seg>),
    Data(Vec<Seg>),
}

struct Lints<'a> {
    packages: BTreeMap<Vec<String>, BTreeSet<String>>,
    data: Option<&'a J>,
    surface: &'a ArgsSurface,
    findings: Vec<Finding>,
    /// Rules of package toolwall → the rules of package toolwall they reference.
    refs: BTreeMap<String, BTreeSet<String>>,
    /// Rules of package toolwall referenced from other packages.
    outside_refs: BTreeSet<String>,
    /// `data.toolwall` referenced whole or by a computed key: every rule may be used.
    whole_package_used: bool,
}

/// The rule being walked.
struct Cur<'m> {
    m: &'m ModInfo<'m>,
    name: Option<String>,
    /// Its name, when it is in package toolwall (for `unused-rule`).
    toolwall_name: Option<String>,
}

impl<'a> Lints<'a> {
    fn push(&mut self, span: &Span, severity: Severity, lint: &'static str, message: String) {
        self.push_at(span, position(span), severity, lint, message);
    }

    fn push_at(
        &mut self,
        span: &Span,
        (line, col): (usize, usize),
        severity: Severity,
        lint: &'static str,
        message: String,
    ) {
        self.findings.push(Finding {
            file: span.source.file().clone(),
            line,
            col,
            severity,
            lint,
            message,
        });
    }

    fn rule(&mut self, m: &ModInfo, rule: &Ref<Rule>) {
        let name = rule_name(rule).map(|(n, _)| n);
        let cur = Cur {
            m,
            name: name.clone(),
            toolwall_name: name.clone().filter(|_| m.is_toolwall()),
        };
        if let Some(n) = &cur.toolwall_name {
            self.refs.entry(n.clone()).or_default();
        }
        let mut locals = HashSet::new();
        let base = Env::default();
        match rule.as_ref() {
            Rule::Spec { head, bodies, .. } => {
                for b in bodies {
                    query_locals(&b.query, &mut locals);
                }
                if let RuleHead::Func { args, .. } = head {
                    args.iter().for_each(|a| pattern_vars(a, &mut locals));
                }
                let base = Env {
                    locals: std::rc::Rc::new(locals),
                    ..base
                };
                // the head's value is computed in the first body's scope
                let first = match bodies.first() {
                    Some(b) => self.enter(&cur, &base, &b.query),
                    None => base.clone(),
                };
                match head {
                    RuleHead::Compr { assign, .. } | RuleHead::Func { assign, .. } => {
                        if let Some(a) = assign {
                            self.expr(&cur, &first, &a.value);
                        }
                    }
                    RuleHead::Set { key, .. } => {
                        if let Some(k) = key {
                            self.expr(&cur, &first, k);
                        }
                    }
                }
                // what the head computes from the body's variables counts as using them
                let mut head_uses: Vec<&Ref<Expr>> = Vec::new();
                match head {
                    RuleHead::Compr { assign, .. } | RuleHead::Func { assign, .. } => {
                        head_uses.extend(assign.iter().map(|a| &a.value));
                    }
                    RuleHead::Set { key, .. } => head_uses.extend(key.iter()),
                }
                for b in bodies {
                    let env = self.enter(&cur, &base, &b.query);
                    self.body_never_true(&cur, &b.query);
                    let mut uses = head_uses.clone();
                    uses.extend(b.assign.iter().map(|a| &a.value));
                    self.undefined_assignments(&b.query, &uses);
                    self.query_in(&cur, &env, &b.query);
                    if let Some(a) = &b.assign {
                        self.expr(&cur, &env, &a.value);
                    }
                }
            }
            Rule::Default { value, .. } => self.expr(&cur, &base, value),
        }
        if m.is_toolwall() && plain_head(rule) {
            match name.as_deref() {
                Some("decision") => self.decision(rule),
                Some("allow") => self.default_allow(rule),
                _ => {}
            }
        }
    }

    /// The environment of query `q` inside `env`: its pin (else the enclosing one) and its
    /// aliases of input paths.
    fn enter(&self, cur: &Cur, env: &Env, q: &Query) -> Env {
        let mut inner = env.clone();
        for s in &q.stmts {
            let Literal::Expr { expr, .. } = &s.literal else {
                continue;
            };
            if let Some(pin) = self.pin(cur, env, expr) {
                inner.pin = Some(pin);
            }
            if let Expr::AssignExpr {
                op: AssignOp::ColEq,
                lhs,
                rhs,
                ..
            } = expr.as_ref()
            {
                if let (Expr::Var { span, .. }, Some(Target::Input(path))) =
                    (lhs.as_ref(), self.target(cur, env, rhs))
                {
                    inner.aliases.insert(span.text().to_string(), path);
                }
            }
        }
        inner
    }

    /// The tool names `e` pins its query to: `input.tool.name == "x"` (either side, `=` too)
    /// or `input.tool.name in {"x", "y"}`.
    fn pin(&self, cur: &Cur, env: &Env, e: &Expr) -> Option<Vec<String>> {
        let is_tool_name = |this: &Self, x: &Ref<Expr>| {
            matches!(this.target(cur, env, x), Some(Target::Input(p))
                if p.len() == 2 && p[0].key() == Some("tool") && p[1].key() == Some("name"))
        };
        match e {
            Expr::BoolExpr {
                op: BoolOp::Eq,
                lhs,
                rhs,
                ..
            }
            | Expr::AssignExpr {
                op: AssignOp::Eq,
                lhs,
                rhs,
                ..
            } => {
                if is_tool_name(self, lhs) {
                    string_literal(rhs).map(|s| vec![s.to_string()])
                } else if is_tool_name(self, rhs) {
                    string_literal(lhs).map(|s| vec![s.to_string()])
                } else {
                    None
                }
            }
            Expr::Membership {
                key: None,
                value,
                collection,
                ..
            } if is_tool_name(self, value) => match collection.as_ref() {
                Expr::Set { items, .. } | Expr::Array { items, .. } => items
                    .iter()
                    .map(|i| string_literal(i).map(str::to_string))
                    .collect(),
                _ => None,
            },
            _ => None,
        }
    }

    fn query_in(&mut self, cur: &Cur, env: &Env, q: &Query) {
        self.unknown_tools(cur, env, q);
        for s in &q.stmts {
            match &s.literal {
                Literal::Expr { expr, .. } | Literal::NotExpr { expr, .. } => {
                    self.expr(cur, env, expr)
                }
                Literal::SomeVars { .. } => {}
                Literal::SomeIn { collection, .. } => self.expr(cur, env, collection),
                Literal::Every { domain, query, .. } => {
                    self.expr(cur, env, domain);
                    let inner = self.enter(cur, env, query);
                    self.query_in(cur, &inner, query);
                }
            }
            for w in &s.with_mods {
                self.expr(cur, env, &w.r#as);
            }
        }
    }

    fn expr(&mut self, cur: &Cur, env: &Env, e: &Ref<Expr>) {
        match e.as_ref() {
            Expr::Var { .. } | Expr::RefDot { .. } | Expr::RefBrack { .. } => {
                self.reference(cur, env, e)
            }
            Expr::AssignExpr {
                op: AssignOp::ColEq,
                rhs,
                ..
            } => self.expr(cur, env, rhs), // the left side is a pattern
            Expr::Call { fcn, params, .. } => {
                self.reference(cur, env, fcn);
                self.object_get(cur, env, fcn, params);
                params.iter().for_each(|p| self.expr(cur, env, p));
            }
            Expr::ArrayCompr { term, query, .. } | Expr::SetCompr { term, query, .. } => {
                let inner = self.enter(cur, env, query);
                self.undefined_assignments(query, &[term]);
                self.query_in(cur, &inner, query);
                self.expr(cur, &inner, term);
            }
            Expr::ObjectCompr {
                key, value, query, ..
            } => {
                let inner = self.enter(cur, env, query);
                self.undefined_assignments(query, &[key, value]);
                self.query_in(cur, &inner, query);
                self.expr(cur, &inner, key);
                self.expr(cur, &inner, value);
            }
            other => {
                let (mut exprs, mut queries) = (Vec::new(), Vec::new());
                children(other, &mut exprs, &mut queries);
                for x in exprs {
                    self.expr(cur, env, x);
                }
                for q in queries {
                    let inner = self.enter(cur, env, q);
                    self.query_in(cur, &inner, q);
                }
            }
        }
    }

    /// `object.get(input.args, "field", default)`: the field read as `input.args.field`.
    fn object_get(&mut self, cur: &Cur, env: &Env, fcn: &Ref<Expr>, params: &[Ref<Expr>]) {
        if fcn.span().text() != "object.get" || params.len() != 3 {
            return;
        }
        let Some(Target::Input(p)) = self.target(cur, env, &params[0]) else {
            return;
        };
        if p.len() == 1 && p[0].key() == Some("args") {
            if let Some(field) = string_literal(&params[1]) {
                let seg = Seg::Key(field.to_string(), Some(params[1].span().clone()));
                self.args_fields(env, &[seg]);
            }
        }
    }

    /// Where a reference leads, after imports, local aliases and the package.
    fn target(&self, cur: &Cur, env: &Env, e: &Ref<Expr>) -> Option<Target> {
        let (root, segs) = flatten(e, &mut Vec::new())?;
        self.resolve(cur, env, root, segs)
    }

    fn resolve(&self, cur: &Cur, env: &Env, root: &Span, segs: Vec<Seg>) -> Option<Target> {
        let name = root.text();
        let join = |mut base: Vec<Seg>, rest: Vec<Seg>| {
            base.extend(rest);
            base
        };
        match name {
            "input" => return Some(Target::Input(segs)),
            "data" => return Some(Target::Data(segs)),
            _ => {}
        }
        if let Some(path) = env.aliases.get(name) {
            return Some(Target::Input(join(path.clone(), segs)));
        }
        if env.locals.contains(name) {
            return None;
        }
        if let Some(path) = cur.m.imports.get(name) {
            let rest = join(path[1..].to_vec(), segs);
            return match path.first().and_then(Seg::key) {
                Some("input") => Some(Target::Input(rest)),
                _ => Some(Target::Data(rest)),
            };
        }
        let own = self.packages.get(&cur.m.package)?;
        if !own.contains(name) {
            return None; // a local variable or a builtin
        }
        let mut path: Vec<Seg> = cur
            .m
            .package
            .iter()
            .map(|p| Seg::Key(p.clone(), None))
            .collect();
        path.push(Seg::Key(name.to_string(), Some(root.clone())));
        Some(Target::Data(join(path, segs)))
    }

    fn reference(&mut self, cur: &Cur, env: &Env, e: &Ref<Expr>) {
        let mut dynamic = Vec::new();
        let Some((root, segs)) = flatten(e, &mut dynamic) else {
            // rooted in a call or a literal: walk its parts
            let (mut exprs, mut queries) = (Vec::new(), Vec::new());
            children(e, &mut exprs, &mut queries);
            exprs.iter().for_each(|x| self.expr(cur, env, x));
            return;
        };
        for d in dynamic {
            self.expr(cur, env, d);
        }
        match self.resolve(cur, env, root, segs) {
            Some(Target::Input(path)) => self.input(env, &path),
            Some(Target::Data(path)) => self.data_ref(cur, &path),
            None => {}
        }
    }

    /// `input.<key>…`: the key must be in the input document; `input.args.<field>` must be
    /// possible for some tool.
    fn input(&mut self, env: &Env, path: &[Seg]) {
        let Some(Seg::Key(key, Some(span))) = path.first() else {
            return;
        };
        if !super::input::FIELDS.contains(&key.as_str()) {
            let args_hint = if self.some_tool_may_have(key) {
                format!(" (the call's arguments are `input.args`: `input.args.{key}`?)")
            } else {
                String::new()
            };
            self.push(
                span,
                Severity::Error,
                RULE_NEVER_DEFINED,
                format!(
                    "`input.{key}` is never defined: the input document (version 1) has no \
                     `{key}`; its keys are {}{args_hint}",
                    super::input::FIELDS.join(", ")
                ),
            );
            return;
        }
        if key == "args" {
            self.args_fields(env, &path[1..]);
        }
    }

    fn some_tool_may_have(&self, key: &str) -> bool {
        let path = [key.to_string()];
        self.surface
            .tools
            .iter()
            .any(|(_, s)| s.as_ref().is_some_and(|s| declares(s, &path)))
    }

    /// `input.args.<f1>.<f2>…`: some tool the rule can be about must accept that path.
    fn args_fields(&mut self, env: &Env, segs: &[Seg]) {
        let fields: Vec<(String, Span)> = segs
            .iter()
            .map_while(|s| match s {
                Seg::Key(k, Some(span)) => Some((k.clone(), span.clone())),
                _ => None,
            })
            .collect();
        if fields.is_empty() {
            return;
        }
        // the tools this reference can be about
        let pinned: Option<Vec<&(String, Option<J>)>> = match &env.pin {
            Some(names) => {
                if names
                    .iter()
                    .any(|n| self.surface.open(n) && self.surface.tool(n).is_none())
                {
                    return; // an MCP server's tool: its schema is known at run time only
                }
                let known: Vec<_> = names.iter().filter_map(|n| self.surface.tool(n)).collect();
                // pinned to no tool of the config: judged against every tool
                (!known.is_empty()).then_some(known)
            }
            None => None,
        };
        let is_pinned = pinned.is_some();
        let tools = match pinned {
            Some(t) => t,
            None => {
                if !self.surface.open_adapters.is_empty() {
                    return;
                }
                self.surface.tools.iter().collect()
            }
        };
        if tools.iter().any(|(_, s)| s.is_none()) {
            return; // a tool without a schema takes any argument
        }
        let names: Vec<String> = fields.iter().map(|(k, _)| k.clone()).collect();
        // the shortest path no tool accepts
        let Some(depth) = (1..=names.len()).find(|&n| {
            !tools
                .iter()
                .any(|(_, s)| s.as_ref().is_some_and(|s| possible(s, &names[..n])))
        }) else {
            return;
        };
        let field = names[..depth].join(".");
        let full = names.join(".");
        let considered = name_list(tools.iter().map(|(n, _)| n.as_str()));
        let why = match (is_pinned, tools.len()) {
            (_, 0) => "no tool is configured".to_string(),
            (true, 1) => format!(
                "the schema of {considered} (the tool this rule is for) does not allow `{field}`"
            ),
            (true, _) => format!(
                "none of the schemas of the tools this rule is for ({considered}) allows `{field}`"
            ),
            (false, _) => {
                format!("no tool's schema allows `{field}` (tools considered: {considered})")
            }
        };
        let span = fields[depth - 1].1.clone();
        self.push(
            &span,
            Severity::Error,
            ARGS_FIELD_UNKNOWN,
            format!("`input.args.{full}` can never be defined: {why}, so this never matches"),
        );
    }

    /// `data.<package>.<rule>…`: the rule must be defined (by a rule, a package under it or
    /// `data.json`); references into package toolwall are remembered for `unused-rule`.
    fn data_ref(&mut self, cur: &Cur, path: &[Seg]) {
        let keys: Vec<&str> = path.iter().map_while(Seg::key).collect();
        let best = self
            .packages
            .iter()
            .filter(|(p, _)| keys.len() >= p.len() && p.iter().zip(&keys).all(|(a, b)| a == b))
            .max_by_key(|(p, _)| p.len());
        let Some((package, rules)) = best else {
            // `data` or `data.toolwall` above the packages
            if keys.len() <= 1 && keys.first().is_none_or(|k| *k == PACKAGE) {
                self.whole_package_used = true;
            }
            return;
        };
        let toolwall = package.len() == 1 && package[0] == PACKAGE;
        let Some(Seg::Key(name, span)) = path.get(package.len()) else {
            if toolwall {
                self.whole_package_used = true;
            }
            return;
        };
        if toolwall {
            match &cur.toolwall_name {
                Some(from) => {
                    self.refs
                        .entry(from.clone())
                        .or_default()
                        .insert(name.clone());
                }
                None => {
                    self.outside_refs.insert(name.clone());
                }
            }
        }
        let mut below = package.clone();
        below.push(name.clone());
        let defined = rules.contains(name)
            || self.packages.keys().any(|p| p.starts_with(&below))
            || self.data.is_some_and(|d| data_has(d, &below));
        if !defined {
            if let Some(span) = span {
                let pkg = package.join(".");
                self.push(
                    span,
                    Severity::Error,
                    RULE_NEVER_DEFINED,
                    format!(
                        "`data.{pkg}.{name}` is never defined: no policy file defines a rule \
                         `{name}` in package {pkg} (and data.json has no such value), so what \
                         depends on it never holds"
                    ),
                );
            }
        }
    }

    /// A rule body with a condition on constants that is always false: the rule is never
    /// defined (by this body).
    fn body_never_true(&mut self, cur: &Cur, q: &Query) {
        for s in &q.stmts {
            let Literal::Expr { expr, .. } = &s.literal else {
                continue;
            };
            let never = match expr.as_ref() {
                Expr::Bool {
                    value: Value::Bool(false),
                    ..
                } => true,
                Expr::BoolExpr { op, lhs, rhs, .. } => match (constant(lhs), constant(rhs)) {
                    (Some(a), Some(b)) => !compare(op, a, b).unwrap_or(true),
                    _ => false,
                },
                Expr::AssignExpr {
                    op: AssignOp::Eq,
                    lhs,
                    rhs,
                    ..
                } => matches!((constant(lhs), constant(rhs)), (Some(a), Some(b)) if a != b),
                _ => false,
            };
            if never {
                let rule = cur
                    .name
                    .as_deref()
                    .map(|n| format!("`{n}` "))
                    .unwrap_or_default();
                self.push(
                    expr.span(),
                    Severity::Error,
                    RULE_NEVER_DEFINED,
                    format!(
                        "`{}` is always false: this rule {rule}is never defined by this body",
                        source_text(expr.span())
                    ),
                );
            }
        }
    }

    /// `v := <a value that may be undefined>` where nothing after it in the body uses `v`
    /// outside a `not`: in OPA and on regorus's interpreter (`policy test`) an undefined value
    /// stops the body there; on the regorus 0.14.1 RVM — what the proxy decides with — the
    /// body goes on, so `not v == …` and statements that do not use `v` hold and the rule
    /// fires on inputs that lack the value. A statement naming the value first (a guard) is
    /// enough.
    fn undefined_assignments(&mut self, q: &Query, also: &[&Ref<Expr>]) {
        let mut guards: HashSet<&str> = HashSet::new();
        for (i, st) in q.stmts.iter().enumerate() {
            let Literal::Expr { expr, .. } = &st.literal else {
                continue;
            };
            let Expr::AssignExpr {
                op: AssignOp::ColEq,
                lhs,
                rhs,
                ..
            } = expr.as_ref()
            else {
                guards.insert(source_text(expr.span()).trim());
                continue;
            };
            let rhs_text = source_text(rhs.span()).trim();
            if !may_be_undefined(rhs) || guards.contains(rhs_text) {
                continue;
            }
            let mut vars = HashSet::new();
            pattern_vars(lhs, &mut vars);
            vars.retain(|v| v != "_");
            let used = q.stmts[i + 1..].iter().any(|later| match &later.literal {
                Literal::NotExpr { .. } => false,
                Literal::Expr { expr, .. } => uses_any(expr, &vars),
                Literal::SomeIn {
                    key,
                    value,
                    collection,
                    ..
                } => {
                    uses_any(collection, &vars)
                        || uses_any(value, &vars)
                        || key.as_ref().is_some_and(|k| uses_any(k, &vars))
                }
                Literal::Every { domain, .. } => uses_any(domain, &vars),
                Literal::SomeVars { .. } => false,
            }) || also.iter().any(|e| uses_any(e, &vars));
            if !used && !vars.is_empty() {
                let mut names: Vec<&String> = vars.iter().collect();
                names.sort();
                let names = names
                    .iter()
                    .map(|v| format!("`{v}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                self.push(
                    expr.span(),
                    Severity::Error,
                    RVM_UNDEFINED_ASSIGNMENT,
                    format!(
                        "`{}`: when `{rhs_text}` is undefined, regorus's RVM (what the proxy \
                         decides with) does not stop this body as OPA and `policy test` do, and \
                         nothing after it uses {names} outside a `not`: the rule can fire on \
                         inputs without the value; state `{rhs_text}` as a statement of its \
                         own before the assignment, or use `object.get` with a default",
                        source_text(expr.span()).trim()
                    ),
                );
            }
        }
    }

    /// `input.tool.name == "x"` (or `in {…}`) naming a tool no adapter has: the condition never
    /// holds (a typo, a renamed tool, another environment's config). Tools of MCP adapters are
    /// only known at run time: names under such an adapter are not judged.
    fn unknown_tools(&mut self, cur: &Cur, env: &Env, q: &Query) {
        for st in &q.stmts {
            let Literal::Expr { expr, .. } = &st.literal else {
                continue;
            };
            let Some(names) = self.pin(cur, env, expr) else {
                continue;
            };
            for name in names {
                if self.surface.tool(&name).is_some() || self.surface.open(&name) {
                    continue;
                }
                let known = name_list(self.surface.tools.iter().map(|(n, _)| n.as_str()));
                self.push(
                    expr.span(),
                    Severity::Error,
                    TOOL_UNKNOWN,
                    format!(
                        "no adapter has a tool `{name}`: this condition never holds (tools: {known})"
                    ),
                );
            }
        }
    }

    /// `decision` values without `reasons`; a default (or unconditional) decision that allows.
    fn decision(&mut self, rule: &Rule) {
        let mut values: Vec<(&Ref<Expr>, bool)> = Vec::new(); // (value, unconditional)
        match rule {
            Rule::Default { value, .. } => values.push((value, true)),
            Rule::Spec { head, bodies, .. } => {
                if let RuleHead::Compr {
                    assign: Some(a), ..
                } = head
                {
                    values.push((&a.value, bodies.is_empty()));
                }
                values.extend(
                    bodies
                        .iter()
                        .filter_map(|b| b.assign.as_ref())
                        .map(|a| (&a.value, false)),
                );
            }
        }
        let is_default = matches!(rule, Rule::Default { .. });
        for (value, unconditional) in values {
            let Expr::Object { fields, span, .. } = value.as_ref() else {
                continue; // computed: not judged
            };
            let field = |name: &str| {
                fields
                    .iter()
                    .find(|(_, k, _)| string_literal(k) == Some(name))
                    .map(|(_, _, v)| v)
            };
            if field("reasons").is_none() {
                self.push_at(
                    span,
                    lexer_position(span),
                    Severity::Warning,
                    DECISION_WITHOUT_REASONS,
                    "this `decision` has no `reasons`: the agent, the audit record and \
                     `replay` get no why; add `\"reasons\": [\"…\"]` (`[]` for an allow)"
                        .to_string(),
                );
            }
            if let Some(allow) = field("allow") {
                if unconditional
                    && matches!(
                        allow.as_ref(),
                        Expr::Bool {
                            value: Value::Bool(true),
                            ..
                        }
                    )
                {
                    let what = if is_default {
                        "`default decision` allows"
                    } else {
                        "this `decision` has no condition and allows"
                    };
                    self.push(
                        allow.span(),
                        Severity::Error,
                        DEFAULT_ALLOWS,
                        format!(
                            "{what}: every call no other rule decides is forwarded (fail open); \
                             default to `\"allow\": false` and allow with explicit rules"
                        ),
                    );
                }
            }
        }
    }

    /// `default allow := true`.
    fn default_allow(&mut self, rule: &Rule) {
        if let Rule::Default { value, .. } = rule {
            if matches!(
                value.as_ref(),
                Expr::Bool {
                    value: Value::Bool(true),
                    ..
                }
            ) {
                self.push(
                    value.span(),
                    Severity::Error,
                    DEFAULT_ALLOWS,
                    "`default allow` is true: every call no other rule decides is allowed (fail \
                     open); default to false and allow with explicit rules"
                        .to_string(),
                );
            }
        }
    }

    /// Rules of package toolwall that neither `decision`, `tool_visible`, a `test_*` rule nor
    /// another package reaches.
    fn unused(&mut self, infos: &[ModInfo]) {
        if self.whole_package_used {
            return;
        }
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut todo: Vec<String> = self
            .refs
            .keys()
            .filter(|n| ENTRY_RULES.contains(&n.as_str()) || n.starts_with("test_"))
            .cloned()
            .chain(self.outside_refs.iter().cloned())
            .collect();
        while let Some(n) = todo.pop() {
            if seen.insert(n.clone()) {
                todo.extend(self.refs.get(&n).into_iter().flatten().cloned());
            }
        }
        let mut reported = BTreeSet::new();
        for m in infos.iter().filter(|m| m.is_toolwall()) {
            for r in &m.module.policy {
                let Some((name, span)) = rule_name(r) else {
                    continue;
                };
                if seen.contains(&name) || !reported.insert(name.clone()) {
                    continue;
                }
                self.push(
                    &span,
                    Severity::Warning,
                    UNUSED_RULE,
                    format!(
                        "rule `{name}` is never used: neither `decision` nor `tool_visible` \
                         depends on it; use it or remove it"
                    ),
                );
            }
        }
    }
}

/// The byte range of `span` in its source, with the quotes of a string literal at either end
/// (regorus's spans of string literals leave them out).
fn range(span: &Span) -> (usize, usize) {
    let text = span.source.contents().as_bytes();
    let (mut start, mut end) = (span.start as usize, span.end as usize);
    let quote = |b: Option<&u8>| matches!(b, Some(b'"' | b'`'));
    if start > 0 && quote(text.get(start - 1)) {
        start -= 1;
    }
    if end > start && quote(text.get(end)) && end < text.len() {
        end += 1;
    }
    (start, end.min(text.len()))
}

/// 1-based line and character column of `span` (regorus counts a tab as four columns).
fn position(span: &Span) -> (usize, usize) {
    let text = span.source.contents();
    let col = text
        .get(..range(span).0)
        .map(|before| {
            let line = before.rfind('\n').map_or(before, |i| &before[i + 1..]);
            line.chars().count() + 1
        })
        .unwrap_or(span.col as usize);
    (span.line as usize, col)
}

/// 1-based line and character column of `span` from its line and column as regorus's lexer
/// counts them (bytes, a tab as four): for object literals, whose `start` regorus 0.14.1 moves
/// to their last field.
fn lexer_position(span: &Span) -> (usize, usize) {
    let line = span
        .source
        .contents()
        .lines()
        .nth((span.line as usize).saturating_sub(1));
    let mut width = 1usize;
    let mut col = 1usize;
    for ch in line.unwrap_or("").chars() {
        if width >= span.col as usize {
            break;
        }
        width += if ch == '\t' { 4 } else { ch.len_utf8() };
        col += 1;
    }
    (span.line as usize, col)
}

/// The source text of `span`, quotes included.
fn source_text(span: &Span) -> &str {
    let (start, end) = range(span);
    span.source
        .contents()
        .get(start..end)
        .unwrap_or_else(|| span.text())
}

fn constant(e: &Expr) -> Option<&Value> {
    match e {
        Expr::String { value, .. }
        | Expr::RawString { value, .. }
        | Expr::Number { value, .. }
        | Expr::Bool { value, .. }
        | Expr::Null { value, .. } => Some(value),
        _ => None,
    }
}

/// `a op b` on constants; `None` when the kinds differ for an ordering (not judged).
fn compare(op: &BoolOp, a: &Value, b: &Value) -> Option<bool> {
    let same_kind = std::mem::discriminant(a) == std::mem::discriminant(b);
    Some(match op {
        BoolOp::Eq => a == b,
        BoolOp::Ne => a != b,
        _ if !same_kind => return None,
        BoolOp::Lt => a < b,
        BoolOp::Le => a <= b,
        BoolOp::Gt => a > b,
        BoolOp::Ge => a >= b,
    })
}

fn name_list<'n>(names: impl Iterator<Item = &'n str>) -> String {
    let names: Vec<&str> = names.collect();
    let shown = names
        .iter()
        .take(MAX_NAMED_TOOLS)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    match names.len().saturating_sub(MAX_NAMED_TOOLS) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

fn data_has(data: &J, path: &[String]) -> bool {
    let mut cur = data;
    for k in path {
        match cur.get(k) {
            Some(v) => cur = v,
            None => return false,
        }
    }
    true
}

/// A JSON Schema document and the resources in it (`$id` → schema), for `$ref`.
struct Doc<'s> {
    ids: HashMap<&'s str, &'s J>,
}

impl<'s> Doc<'s> {
    fn new(root: &'s J) -> Self {
        fn collect<'s>(v: &'s J, ids: &mut HashMap<&'s str, &'s J>, depth: usize) {
            if depth > 64 {
                return;
            }
            match v {
                J::Object(o) => {
                    if let Some(J::String(id)) = o.get("$id") {
                        ids.insert(id.trim_end_matches('#'), v);
                    }
                    o.values().for_each(|c| collect(c, ids, depth + 1));
                }
                J::Array(a) => a.iter().for_each(|c| collect(c, ids, depth + 1)),
                _ => {}
            }
        }
        let mut ids = HashMap::new();
        collect(root, &mut ids, 0);
        Doc { ids }
    }

    /// `$ref` from inside resource `base`: `(target, its resource)`; `None` when it points
    /// outside the document (then anything may be allowed).
    fn resolve(&self, base: &'s J, r: &str) -> Option<(&'s J, &'s J)> {
        let (resource, fragment) = match r.split_once('#') {
            Some(("", f)) => (base, f),
            Some((id, f)) => (*self.ids.get(id)?, f),
            None => (*self.ids.get(r)?, ""),
        };
        if fragment.is_empty() {
            return Some((resource, resource));
        }
        let pointer = percent_encoding::percent_decode_str(fragment)
            .decode_utf8()
            .ok()?;
        let target = resource.pointer(&pointer)?;
        // a target with its own `$id` is its own resource
        let resource = if target.get("$id").is_some() {
            target
        } else {
            resource
        };
        Some((target, resource))
    }
}

/// Whether an object valid against `schema` can have a value at `path` (a property, then a
/// property of it, …). Over-approximates: whatever is not understood allows.
fn possible(schema: &J, path: &[String]) -> bool {
    let doc = Doc::new(schema);
    Walk { doc: &doc }.possible(schema, schema, path, 0)
}

/// Whether `schema` (or what it applies in place) names `path[0]` in `properties`: a likely
/// argument, for the hint on `input.<key>`.
fn declares(schema: &J, path: &[String]) -> bool {
    let doc = Doc::new(schema);
    Walk { doc: &doc }.evaluates(schema, schema, &path[0], 0, true)
}

struct Walk<'d, 's> {
    doc: &'d Doc<'s>,
}

impl<'s> Walk<'_, 's> {
    fn possible(&self, base: &'s J, s: &'s J, path: &[String], depth: usize) -> bool {
        // `false` allows no value at all, not even at the end of the path
        let o = match s {
            J::Bool(b) => return *b,
            J::Object(o) => o,
            _ => return true,
        };
        let Some((field, rest)) = path.split_first() else {
            return true;
        };
        if depth > MAX_SCHEMA_DEPTH {
            return true;
        }
        let base = if o.contains_key("$id") { s } else { base };
        // a value that is never an object has no properties
        match o.get("type") {
            Some(J::String(t)) if t != "object" => return false,
            Some(J::Array(ts)) if !ts.iter().any(|t| t == "object") => return false,
            _ => {}
        }
        if let Some(J::Array(all)) = o.get("allOf") {
            if !all.iter().all(|b| self.possible(base, b, path, depth + 1)) {
                return false;
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(J::Array(any)) = o.get(key) {
                if !any.is_empty() && !any.iter().any(|b| self.possible(base, b, path, depth + 1)) {
                    return false;
                }
            }
        }
        if let Some(J::String(r)) = o.get("$ref") {
            if let Some((target, resource)) = self.doc.resolve(base, r) {
                if !self.possible(resource, target, path, depth + 1) {
                    return false;
                }
            }
        }
        let mut declared = false;
        if let Some(p) = o.get("properties").and_then(|p| p.get(field)) {
            declared = true;
            if !self.possible(base, p, rest, depth + 1) {
                return false;
            }
        }
        if let Some(J::Object(patterns)) = o.get("patternProperties") {
            for (pattern, sub) in patterns {
                // a pattern the regex crate cannot read may match
                if regex::Regex::new(pattern).map_or(true, |re| re.is_match(field)) {
                    declared = true;
                    if !self.possible(base, sub, rest, depth + 1) {
                        return false;
                    }
                }
            }
        }
        if !declared {
            if let Some(extra) = o.get("additionalProperties") {
                return self.possible(base, extra, rest, depth + 1);
            }
            if let Some(extra) = o.get("unevaluatedProperties") {
                if !self.evaluated_in_place(base, o, field, depth + 1, false) {
                    return self.possible(base, extra, rest, depth + 1);
                }
            }
        }
        true
    }

    /// Whether a subschema `o` applies in place (`allOf`, `$ref`, `then`, …) evaluates
    /// `field` (see [`Self::evaluates`]).
    fn evaluated_in_place(
        &self,
        base: &'s J,
        o: &'s serde_json::Map<String, J>,
        field: &str,
        depth: usize,
        named_only: bool,
    ) -> bool {
        let mut subs: Vec<&J> = Vec::new();
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(J::Array(a)) = o.get(key) {
                subs.extend(a);
            }
        }
        for key in ["if", "then", "else"] {
            subs.extend(o.get(key));
        }
        if let Some(J::Object(d)) = o.get("dependentSchemas") {
            subs.extend(d.values());
        }
        if subs
            .into_iter()
            .any(|sub| self.evaluates(base, sub, field, depth, named_only))
        {
            return true;
        }
        match o.get("$ref") {
            Some(J::String(r)) => match self.doc.resolve(base, r) {
                Some((target, resource)) => {
                    self.evaluates(resource, target, field, depth, named_only)
                }
                // outside the document: it may
                None => !named_only,
            },
            _ => false,
        }
    }

    /// Whether `s` evaluates property `field`: names it, or (unless `named_only`) lets
    /// other properties through.
    fn evaluates(
        &self,
        base: &'s J,
        s: &'s J,
        field: &str,
        depth: usize,
        named_only: bool,
    ) -> bool {
        let o = match s {
            J::Object(o) => o,
            J::Bool(_) => return !named_only,
            _ => return false,
        };
        if depth > MAX_SCHEMA_DEPTH {
            return true;
        }
        let base = if o.contains_key("$id") { s } else { base };
        if o.get("properties").and_then(|p| p.get(field)).is_some() {
            return true;
        }
        if !named_only {
            if let Some(J::Object(patterns)) = o.get("patternProperties") {
                if patterns
                    .keys()
                    .any(|p| regex::Regex::new(p).map_or(true, |re| re.is_match(field)))
                {
                    return true;
                }
            }
            if ["additionalProperties", "unevaluatedProperties"]
                .iter()
                .any(|k| o.get(*k).is_some_and(|v| *v != J::Bool(false)))
            {
                return true;
            }
        }
        self.evaluated_in_place(base, o, field, depth + 1, named_only)
    }
}

#[cfg(test)]
mod tests;
