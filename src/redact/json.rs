//! JSON: key-name rules (`password`, `dob`, `phone`, …) and the walk over a value that
//! scans every string leaf, names findings by RFC 6901 pointer and rebuilds only what changed.

use super::action::{render, ActionPlan};
use super::detect::ScanContext;
use super::entity::Entity;
use super::{Action, Finding, Redactor};
use serde_json::{Map, Value};

/// What a JSON key says about the value under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyClass {
    /// Nothing special: scan the value's text.
    Plain,
    /// The whole value is this entity (`password` → PASSWORD, `dob` → DATE_OF_BIRTH).
    Whole(Entity),
    /// Phone-like key: bare digit strings under it are phone numbers.
    Phone,
}

/// The default sensitive key names (matched after normalisation, see `normalize_key`).
pub const DEFAULT_SENSITIVE_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "client_secret",
    "secret_key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth_token",
    "bearer_token",
    "session_token",
    "authorization",
    "proxy_authorization",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "cookie",
    "set_cookie",
    "credentials",
    "credential",
    "ssn",
    "social_security_number",
    "cvv",
    "cvc",
    "pin",
    "dob",
    "date_of_birth",
    "birth_date",
    "birthdate",
    "birthday",
];

/// Keys ending like a secret that are not secrets (pagination cursors and the like).
const NOT_SECRET_SUFFIXES: &[&str] = &[
    "page_token",
    "next_token",
    "continuation_token",
    "sync_token",
];

/// Compiled key-name rules.
#[derive(Debug, Clone)]
pub(crate) struct KeyRules {
    names: std::collections::HashMap<String, Entity, FnvBuild>,
    /// Length of the longest name (longer suffixes cannot match).
    longest: usize,
}

impl KeyRules {
    pub(crate) fn new(extra: &[String]) -> Self {
        let mut names: std::collections::HashMap<String, Entity, FnvBuild> = Default::default();
        for n in DEFAULT_SENSITIVE_KEYS
            .iter()
            .map(|s| s.to_string())
            .chain(extra.iter().cloned())
        {
            let norm = normalize_key(&n);
            if norm.is_empty() || names.contains_key(&norm) {
                continue;
            }
            let entity = match norm.as_str() {
                "ssn" | "social_security_number" => Entity::UsSsn,
                "dob" | "date_of_birth" | "birth_date" | "birthdate" | "birthday" => {
                    Entity::DateOfBirth
                }
                _ => Entity::Password,
            };
            names.insert(norm, entity);
        }
        let longest = names.keys().map(String::len).max().unwrap_or(0);
        KeyRules { names, longest }
    }

    /// Substrings one of which every matching raw key contains (case-insensitively): the
    /// longest `_`-segment of each name, plus the phone words. Used by the raw-bytes fast path.
    pub(crate) fn triggers(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .names
            .keys()
            .filter_map(|n| n.split('_').max_by_key(|s| s.len()).map(str::to_string))
            .collect();
        out.extend(
            ["phone", "mobile", "fax", "tel", "cell"]
                .iter()
                .map(|s| s.to_string()),
        );
        out.sort();
        out.dedup();
        out
    }

    pub(crate) fn classify(&self, key: &str) -> KeyClass {
        let owned;
        let norm: &str = if key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            key
        } else {
            owned = normalize_key(key);
            &owned
        };
        if norm.ends_with("token") && NOT_SECRET_SUFFIXES.iter().any(|s| norm.ends_with(s)) {
            return KeyClass::Plain;
        }
        // Exact name, or a name after any '_' (`db_password` → `password`).
        let bytes = norm.as_bytes();
        let mut start = 0;
        loop {
            let suffix = &norm[start..];
            if suffix.len() <= self.longest {
                if let Some(entity) = self.names.get(suffix) {
                    return KeyClass::Whole(*entity);
                }
            }
            match memchr::memchr(b'_', &bytes[start..]) {
                Some(i) => start += i + 1,
                None => break,
            }
        }
        let phone_like = norm.contains("phone")
            || norm.contains("mobile")
            || norm.contains("fax")
            || norm == "tel"
            || norm.starts_with("tel_")
            || norm.ends_with("_tel")
            || norm == "cell"
            || norm.ends_with("_cell");
        if phone_like {
            KeyClass::Phone
        } else {
            KeyClass::Plain
        }
    }
}

/// FNV-1a: key names are short and not attacker-chosen in a way that matters here (the table
/// is fixed at startup), so a fast non-DoS-resistant hash is fine.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvBuild = std::hash::BuildHasherDefault<Fnv>;

/// `accessToken`, `Access-Token`, `ACCESS_TOKEN`, `access.token` → `access_token`.
pub(crate) fn normalize_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for c in key.trim().chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c == '-' || c == ' ' || c == '.' {
            out.push('_');
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}

/// RFC 6901 escaping of one reference token: `~` → `~0`, `/` → `~1`.
pub(crate) fn escape_token(token: &str, out: &mut String) {
    if !token.contains(['~', '/']) {
        out.push_str(token);
        return;
    }
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            _ => out.push(c),
        }
    }
}

/// One step of the path from the root.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

pub(crate) fn pointer(path: &[Seg<'_>]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(path.len() * 8);
    for seg in path {
        out.push('/');
        match seg {
            Seg::Key(k) => escape_token(k, &mut out),
            Seg::Index(i) => {
                let _ = write!(out, "{i}");
            }
        }
    }
    out
}

/// What the walk did to one value.
pub(crate) enum Change {
    Same,
    Replace(Value),
    Drop,
}

/// Walk state for one document.
pub(crate) struct Walk<'r, 'p> {
    pub redactor: &'r Redactor,
    /// `None`: scan only, never rebuild.
    pub plan: Option<&'p ActionPlan>,
    pub findings: Vec<Finding>,
    /// Edit mode: leaf changes are recorded here (by leaf number in walk order) instead of
    /// rebuilding parents, for callers that own the value and apply them in place.
    pub edits: Option<Vec<(usize, Change)>>,
    /// Number of string/number leaves visited so far.
    pub leaves: usize,
}

impl Walk<'_, '_> {
    pub(crate) fn value<'v>(
        &mut self,
        v: &'v Value,
        path: &mut Vec<Seg<'v>>,
        key: KeyClass,
    ) -> Change {
        match v {
            Value::String(s) => {
                let c = self.string(s, path, key);
                self.leaf(c)
            }
            Value::Number(n) => {
                let c = self.number(v, n, path, key);
                self.leaf(c)
            }
            Value::Object(map) => self.object(map, path),
            Value::Array(items) => self.array(items, path, key),
            Value::Null | Value::Bool(_) => Change::Same,
        }
    }

    fn leaf(&mut self, change: Change) -> Change {
        let id = self.leaves;
        self.leaves += 1;
        match (&mut self.edits, change) {
            (_, Change::Same) => Change::Same,
            (Some(edits), c) => {
                edits.push((id, c));
                Change::Same
            }
            (None, c) => c,
        }
    }

    fn object<'v>(&mut self, map: &'v Map<String, Value>, path: &mut Vec<Seg<'v>>) -> Change {
        let mut rebuilt: Option<Map<String, Value>> = None;
        for (i, (k, child)) in map.iter().enumerate() {
            let class = self.redactor.keys.classify(k);
            path.push(Seg::Key(k));
            let change = self.value(child, path, class);
            path.pop();
            match change {
                Change::Same => {
                    if let Some(m) = rebuilt.as_mut() {
                        m.insert(k.clone(), child.clone());
                    }
                }
                Change::Replace(nv) => {
                    let m = rebuilt.get_or_insert_with(|| prefix_map(map, i));
                    m.insert(k.clone(), nv);
                }
                Change::Drop => {
                    rebuilt.get_or_insert_with(|| prefix_map(map, i));
                }
            }
        }
        match rebuilt {
            Some(m) => Change::Replace(Value::Object(m)),
            None => Change::Same,
        }
    }

    fn array<'v>(&mut self, items: &'v [Value], path: &mut Vec<Seg<'v>>, key: KeyClass) -> Change {
        let mut rebuilt: Option<Vec<Value>> = None;
        for (i, child) in items.iter().enumerate() {
            path.push(Seg::Index(i));
            // Elements inherit the array's key: `"cookies": ["a=1"]`, `"phones": ["…"]`.
            let change = self.value(child, path, key);
            path.pop();
            let nv = match change {
                Change::Same => {
                    if let Some(r) = rebuilt.as_mut() {
                        r.push(child.clone());
                    }
                    continue;
                }
                Change::Replace(nv) => nv,
                Change::Drop => Value::Null,
            };
            rebuilt.get_or_insert_with(|| items[..i].to_vec()).push(nv);
        }
        match rebuilt {
            Some(r) => Change::Replace(Value::Array(r)),
            None => Change::Same,
        }
    }

    fn whole(&mut self, entity: Entity, text: &str, path: &[Seg<'_>]) -> Change {
        let action = self.redactor.resolve(entity, self.plan);
        self.findings.push(Finding {
            entity,
            pointer: Some(pointer(path)),
            start: None,
            end: None,
            action,
        });
        match action {
            Action::Keep => Change::Same,
            Action::Drop => Change::Drop,
            a => Change::Replace(Value::String(render(
                entity,
                text,
                a,
                self.redactor.hasher.as_ref(),
            ))),
        }
    }

    fn number(
        &mut self,
        v: &Value,
        n: &serde_json::Number,
        path: &[Seg<'_>],
        key: KeyClass,
    ) -> Change {
        let text = n.to_string();
        if let KeyClass::Whole(entity) = key {
            if self.redactor.enabled(entity) {
                return self.whole(entity, &text, path);
            }
        }
        let _ = v;
        let digits = text.as_bytes();
        if n.is_u64()
            && self.redactor.enabled(Entity::CreditCard)
            && super::validate::card_ok(digits)
        {
            return self.whole(Entity::CreditCard, &text, path);
        }
        if n.is_u64()
            && key == KeyClass::Phone
            && self.redactor.enabled(Entity::Phone)
            && (7..=15).contains(&digits.len())
        {
            return self.whole(Entity::Phone, &text, path);
        }
        Change::Same
    }

    fn string(&mut self, s: &str, path: &[Seg<'_>], key: KeyClass) -> Change {
        if let KeyClass::Whole(entity) = key {
            let meaningful = match entity {
                Entity::DateOfBirth | Entity::UsSsn => s.bytes().any(|b| b.is_ascii_digit()),
                _ => !s.trim().is_empty() && !is_mask(s),
            };
            if meaningful && self.redactor.enabled(entity) {
                // A recognisable secret under a secret-named key (`GITHUB_TOKEN: ghp_…`,
                // `authorization: Bearer eyJ…`) is reported as what it is.
                if entity == Entity::Password && self.redactor.detector.any_secret(s.as_bytes()) {
                    return self.scan_string(s, path, KeyClass::Plain);
                }
                return self.whole(entity, s, path);
            }
            if !meaningful {
                return Change::Same;
            }
        }
        self.scan_string(s, path, key)
    }

    fn scan_string(&mut self, s: &str, path: &[Seg<'_>], key: KeyClass) -> Change {
        // Nothing the detectors find is shorter than 6 bytes (`a@b.io`, `1.1.1.1`).
        if s.len() < 6 {
            return Change::Same;
        }
        let ctx = ScanContext {
            phone_key: key == KeyClass::Phone,
        };
        let first = self.findings.len();
        let mut ptr: Option<String> = None;
        let findings = &mut self.findings;
        let redactor = self.redactor;
        let plan = self.plan;
        redactor.detector.scan(s.as_bytes(), ctx, &mut |hit| {
            let p = ptr.get_or_insert_with(|| pointer(path)).clone();
            findings.push(Finding {
                entity: hit.entity,
                pointer: Some(p),
                start: Some(hit.start),
                end: Some(hit.end),
                action: redactor.resolve(hit.entity, plan),
            });
            true
        });
        if self.plan.is_none() || self.findings.len() == first {
            return Change::Same;
        }
        let new = &self.findings[first..];
        if new.iter().any(|f| f.action == Action::Drop) {
            return Change::Drop;
        }
        match super::apply_spans(s, new, self.redactor.hasher.as_ref()) {
            Some(out) => Change::Replace(Value::String(out)),
            None => Change::Same,
        }
    }
}

/// Applies edits recorded by an edit-mode walk to the value it walked: a second walk in the
/// same order, counting string/number leaves. Returns true if the value itself is dropped.
pub(crate) fn apply_edits(value: &mut Value, edits: Vec<(usize, Change)>) {
    let mut edits = edits.into_iter().peekable();
    let mut leaves = 0usize;
    if apply(value, &mut edits, &mut leaves) {
        *value = Value::Null;
    }
}

fn apply(
    v: &mut Value,
    edits: &mut std::iter::Peekable<std::vec::IntoIter<(usize, Change)>>,
    leaves: &mut usize,
) -> bool {
    if edits.peek().is_none() {
        return false;
    }
    match v {
        Value::String(_) | Value::Number(_) => {
            let id = *leaves;
            *leaves += 1;
            if edits.peek().is_some_and(|(e, _)| *e == id) {
                match edits.next().map(|(_, c)| c) {
                    Some(Change::Replace(nv)) => *v = nv,
                    Some(Change::Drop) => return true,
                    _ => {}
                }
            }
            false
        }
        Value::Object(m) => {
            m.retain(|_, child| !apply(child, edits, leaves));
            false
        }
        Value::Array(a) => {
            for child in a.iter_mut() {
                if apply(child, edits, leaves) {
                    *child = Value::Null;
                }
            }
            false
        }
        Value::Null | Value::Bool(_) => false,
    }
}

/// Already a mask of ours (`[PASSWORD]`, `[EMAIL:…]`): don't report it again.
fn is_mask(s: &str) -> bool {
    s.starts_with('[') && s.ends_with(']') && s[1..].starts_with(|c: char| c.is_ascii_uppercase())
}

fn prefix_map(map: &Map<String, Value>, upto: usize) -> Map<String, Value> {
    map.iter()
        .take(upto)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_normalisation() {
        let table = [
            ("accessToken", "access_token"),
            ("Access-Token", "access_token"),
            ("ACCESS_TOKEN", "access_token"),
            ("x.api.key", "x_api_key"),
            ("password", "password"),
        ];
        for (k, want) in table {
            assert_eq!(normalize_key(k), want, "{k}");
        }
    }

    #[test]
    fn key_classes() {
        let rules = KeyRules::new(&["session_id".to_string()]);
        let table = [
            ("password", KeyClass::Whole(Entity::Password)),
            ("db_password", KeyClass::Whole(Entity::Password)),
            ("accessToken", KeyClass::Whole(Entity::Password)),
            ("Set-Cookie", KeyClass::Whole(Entity::Password)),
            ("X-Api-Key", KeyClass::Whole(Entity::Password)),
            ("sessionId", KeyClass::Whole(Entity::Password)),
            ("ssn", KeyClass::Whole(Entity::UsSsn)),
            ("birthDate", KeyClass::Whole(Entity::DateOfBirth)),
            ("dob", KeyClass::Whole(Entity::DateOfBirth)),
            ("nextPageToken", KeyClass::Plain),
            ("max_tokens", KeyClass::Plain),
            ("token_type", KeyClass::Plain),
            ("keyboard", KeyClass::Plain),
            ("mobile_number", KeyClass::Phone),
            ("phone", KeyClass::Phone),
            ("hotel", KeyClass::Plain),
        ];
        for (k, want) in table {
            assert_eq!(rules.classify(k), want, "{k}");
        }
    }

    #[test]
    fn pointers_escape() {
        let path = [
            Seg::Key("a/b"),
            Seg::Key("m~n"),
            Seg::Index(3),
            Seg::Key(""),
        ];
        assert_eq!(pointer(&path), "/a~1b/m~0n/3/");
    }
}
