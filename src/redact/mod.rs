//! PII and secret redaction for JSON values, JSON bytes and text: detection (one multi-pattern
//! regex pass + validators), JSON key-name rules, and the mask/hash/partial/drop/deny actions.
//!
//! Clean inputs cost one scan and no allocation: `redact_bytes` returns the input borrowed
//! (no parse, no re-serialisation) when nothing is found.

mod action;
mod cli;
mod detect;
mod entity;
mod json;
mod stream;
mod tld;
mod validate;

pub use action::{Action, ActionPlan};
pub use cli::{run_cli, CliOutput};
pub use entity::Entity;
pub use json::DEFAULT_SENSITIVE_KEYS;

use detect::{Detector, ScanContext};
use json::{KeyRules, Walk};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Errors building a `Redactor` or running the CLI.
#[derive(Debug, thiserror::Error)]
pub enum RedactError {
    #[error("unknown entity `{0}`: expected one of EMAIL, PHONE, CREDIT_CARD, US_SSN, IBAN, IPV4, IPV6, DATE_OF_BIRTH, AWS_ACCESS_KEY, GITHUB_TOKEN, SLACK_TOKEN, STRIPE_KEY, OPENAI_KEY, ANTHROPIC_KEY, GOOGLE_API_KEY, JWT, PRIVATE_KEY, PASSWORD, GENERIC_SECRET (or card, ssn, ip, dob, secrets, pii, all)")]
    UnknownEntity(String),
    #[error("unknown redaction action `{0}`: expected keep, mask, hash, partial, drop or deny")]
    UnknownAction(String),
    #[error("redact.hmac_key must be set (non-empty) when an entity's action is `hash`")]
    MissingHmacKey,
    #[error("redact.entropy_threshold must be between 0 and 8 bits per character, got {0}")]
    EntropyThreshold(f64),
    #[error("internal: a redaction pattern failed to compile: {0}")]
    Pattern(String),
    #[error("cannot serialise the redacted document: {0}")]
    Json(#[from] serde_json::Error),
}

/// The `redact:` section of toolwall.yaml. Every field has a default.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedactConfig {
    /// Per-entity action used when a plan asks to redact that entity (default `mask`),
    /// e.g. `{ CREDIT_CARD: partial, EMAIL: hash }`.
    pub actions: BTreeMap<String, Action>,
    /// Extra JSON key names whose whole value is a secret (added to `DEFAULT_SENSITIVE_KEYS`).
    /// Matching is on the normalised key (`apiKey`/`Api-Key` → `api_key`), exact or as a
    /// `_`-suffix (`db_password` matches `password`).
    pub sensitive_keys: Vec<String>,
    /// Entities to detect; absent = all.
    pub enabled: Option<Vec<String>>,
    /// Entities never to detect (applied after `enabled`).
    pub disabled: Vec<String>,
    /// Shannon entropy (bits/char) a `key=value` / `Bearer` value needs to be GENERIC_SECRET.
    pub entropy_threshold: f64,
    /// HMAC-SHA256 key for the `hash` action. Without it, `hash` falls back to `mask`.
    pub hmac_key: Option<String>,
    /// Also redact documentation placeholders of secrets (`AKIAIOSFODNN7EXAMPLE`,
    /// `ghp_xxxx…`). By default they are reported (`placeholder: true`, and in
    /// `input.pii.placeholders`) but left as they are.
    pub mask_placeholders: bool,
}

impl Default for RedactConfig {
    fn default() -> Self {
        RedactConfig {
            actions: BTreeMap::new(),
            sensitive_keys: Vec::new(),
            enabled: None,
            disabled: Vec::new(),
            entropy_threshold: 3.0,
            hmac_key: None,
            mask_placeholders: false,
        }
    }
}

/// One detected entity. Serialises as
/// `{"type":"EMAIL","pointer":"/customer/email","start":0,"end":22,"action":"mask"}`;
/// `pointer` is absent for text, `start`/`end` (UTF-8 byte offsets into the decoded string)
/// are absent for whole-value findings such as a `password` field.
///
/// A finding in an object *key* has `key: true` (serialised only when true): `pointer` names
/// the member whose key holds it and `start`/`end` are offsets into the key. Pointers name
/// members as they are written out: a key that was redacted appears in its redacted form
/// (`/[EMAIL]/name`), so a pointer never carries what was redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    #[serde(rename = "type")]
    pub entity: Entity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<usize>,
    pub action: Action,
    /// The finding is in an object key (the member at `pointer` is renamed), not a value.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub key: bool,
    /// A documentation example or obvious placeholder of a secret (`AKIAIOSFODNN7EXAMPLE`,
    /// `ghp_xxxx…`, `xoxb-your-token-here`): reported, but its action is `keep` unless
    /// `redact.mask_placeholders` is set. Serialised only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub placeholder: bool,
}

/// The result of `redact_json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Redacted {
    /// The rewritten document; `None` when nothing changed (use the original).
    pub value: Option<serde_json::Value>,
    pub findings: Vec<Finding>,
    /// A finding's action was `deny`: refuse the call.
    pub deny: bool,
}

/// True if any finding's action is `deny`.
pub fn denied(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.action == Action::Deny)
}

/// Key names each worker thread remembers for the raw bytes' clean check
/// (`Redactor::may_find_key`), and the longest it remembers.
const RAW_KEY_MEMO_SIZE: usize = 1024;
const RAW_KEY_MEMO_MAX_LEN: usize = 64;

/// (redactor id, key name → `KeyRules::may_find`).
type RawKeyMemo = (
    u64,
    std::collections::HashMap<Box<str>, bool, foldhash::fast::RandomState>,
);

thread_local! {
    static RAW_KEY_MEMO: std::cell::RefCell<RawKeyMemo> = std::cell::RefCell::new(Default::default());
    /// A slot table in front of `RAW_KEY_MEMO` (`Redactor::may_find_key`).
    static RAW_KEY_SLOTS: std::cell::RefCell<[RawKeySlot; RAW_KEY_SLOT_COUNT]> =
        const { std::cell::RefCell::new([RawKeySlot::EMPTY; RAW_KEY_SLOT_COUNT]) };
}

/// How many slots `RAW_KEY_SLOTS` has, and the longest key a slot holds.
const RAW_KEY_SLOT_COUNT: usize = 64;
const RAW_KEY_SLOT_LEN: usize = 24;

/// A key the raw clean check asked about, held as its length and [`key_words`], with the
/// answer of the redactor `id` (0: an empty slot; redactors are numbered from 1).
#[derive(Clone, Copy)]
struct RawKeySlot {
    id: u64,
    len: usize,
    words: [u64; 3],
    found: bool,
}

impl RawKeySlot {
    const EMPTY: RawKeySlot = RawKeySlot {
        id: 0,
        len: 0,
        words: [0; 3],
        found: false,
    };
}

/// A key of at most [`RAW_KEY_SLOT_LEN`] bytes as three words that, with its length, are its
/// bytes: the first, middle and last byte of 1 to 3 bytes, the first and last four of 4 to 7,
/// the first and last eight of 8 to 16, and the bytes 0..8, 8..16 and the last eight of 17 to
/// 24 (every byte is in one of them; the other words are zero).
fn key_words(b: &[u8]) -> [u64; 3] {
    let n = b.len();
    let w4 = |at: usize| {
        b.get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map_or(0, u32::from_le_bytes)
    };
    let w8 = |at: usize| {
        b.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    };
    match n {
        0 => [0; 3],
        1..=3 => [
            u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
            0,
            0,
        ],
        4..=7 => [u64::from(w4(0)) | u64::from(w4(n - 4)) << 32, 0, 0],
        8..=16 => [w8(0), w8(n - 8), 0],
        _ => [w8(0), w8(8), w8(n.saturating_sub(8))],
    }
}

/// The slot of a key of `len` bytes and these words.
fn raw_key_slot(len: usize, words: &[u64; 3]) -> usize {
    let mixed = words[0] ^ words[1].rotate_left(21) ^ words[2].rotate_left(43) ^ len as u64;
    (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize % RAW_KEY_SLOT_COUNT
}

/// The compiled engine: build once per config, share via `Arc` (it is `Send + Sync`).
#[derive(Debug)]
pub struct Redactor {
    /// Distinguishes this compiled redactor from every other in the process (each reload
    /// builds a new one): what a worker thread remembers about keys is kept per `id`.
    id: u64,
    detector: Detector,
    keys: KeyRules,
    overrides: [Option<Action>; Entity::COUNT],
    enabled: [bool; Entity::COUNT],
    hasher: Option<action::Hasher>,
    mask_placeholders: bool,
}

impl Redactor {
    /// This compiled redactor's `id`: what a caller remembers about its answers is per `id`.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Compiles the detectors, key rules and actions of `cfg`.
    pub fn new(cfg: &RedactConfig) -> Result<Self, RedactError> {
        if !(0.0..=8.0).contains(&cfg.entropy_threshold) {
            return Err(RedactError::EntropyThreshold(cfg.entropy_threshold));
        }
        let mut enabled = [cfg.enabled.is_none(); Entity::COUNT];
        for name in cfg.enabled.iter().flatten() {
            for e in entity::expand_entity_group(name)? {
                enabled[e.index()] = true;
            }
        }
        for name in &cfg.disabled {
            for e in entity::expand_entity_group(name)? {
                enabled[e.index()] = false;
            }
        }
        let mut overrides = [None; Entity::COUNT];
        for (name, action) in &cfg.actions {
            for e in entity::expand_entity_group(name)? {
                overrides[e.index()] = Some(*action);
            }
        }
        let hasher = match cfg.hmac_key.as_deref() {
            Some(k) if !k.is_empty() => Some(action::Hasher::new(k.as_bytes())?),
            _ => None,
        };
        if hasher.is_none() && overrides.contains(&Some(Action::Hash)) {
            return Err(RedactError::MissingHmacKey);
        }
        let keys = KeyRules::new(&cfg.sensitive_keys);
        let detector = Detector::new(enabled, cfg.entropy_threshold, &keys.triggers())?;
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Ok(Redactor {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            detector,
            keys,
            overrides,
            enabled,
            hasher,
            mask_placeholders: cfg.mask_placeholders,
        })
    }

    fn enabled(&self, e: Entity) -> bool {
        self.enabled[e.index()]
    }

    /// The action actually applied to an entity under a plan (`None` plan = scan only).
    fn resolve(&self, entity: Entity, plan: Option<&ActionPlan>) -> Action {
        let Some(plan) = plan else {
            return Action::Keep;
        };
        match plan.get(entity) {
            None => Action::Keep,
            Some(Action::Mask) => match self.overrides[entity.index()] {
                Some(Action::Hash) if self.hasher.is_none() => Action::Mask,
                Some(o) => o,
                None => Action::Mask,
            },
            Some(Action::Hash) if self.hasher.is_none() => Action::Mask,
            Some(a) => a,
        }
    }

    /// The action applied to a detector hit: a placeholder is kept unless the config asks.
    fn resolve_hit(&self, hit: &detect::Hit, plan: Option<&ActionPlan>) -> Action {
        if hit.placeholder && !self.mask_placeholders {
            return Action::Keep;
        }
        self.resolve(hit.entity, plan)
    }

    /// Whether a redaction's findings (from [`Self::redact_scanned_in_place`] or
    /// [`Self::redact_json_in_place`]) carry, each, the action [`ActionPlan::mask_all`] would
    /// have taken, with no finding in an object key: then the redacted value is what
    /// `mask_all` makes of the same input (findings do not depend on the plan), and the audit
    /// record's masked arguments need no second walk.
    pub fn acted_as_mask_all(&self, found: &[Finding]) -> bool {
        let all = ActionPlan::mask_all();
        found.iter().all(|f| {
            let expected = if f.placeholder && !self.mask_placeholders {
                Action::Keep
            } else {
                self.resolve(f.entity, Some(&all))
            };
            !f.key && f.action == expected
        })
    }

    /// Every finding in a JSON value, changing nothing (for `input.pii.found`).
    /// Findings carry `action: keep`.
    pub fn scan_json(&self, value: &serde_json::Value) -> Vec<Finding> {
        let mut walk = Walk::new(self, None);
        walk.document(value);
        walk.finish().0
    }

    /// Redacts a JSON value under `plan`. `value` is `None` when nothing had to change.
    pub fn redact_json(&self, value: &serde_json::Value, plan: &ActionPlan) -> Redacted {
        let mut walk = Walk::new(self, Some(plan));
        walk.document(value);
        let (findings, edits) = walk.finish();
        let value = if edits.is_empty() {
            None
        } else {
            let mut out = value.clone();
            json::apply_edits(&mut out, edits);
            Some(out)
        };
        let deny = denied(&findings);
        Redacted {
            value,
            findings,
            deny,
        }
    }

    /// Redacts a JSON value the caller owns, in place (no copy of unchanged parts).
    /// Returns the findings and whether the value changed.
    pub fn redact_json_in_place(
        &self,
        value: &mut serde_json::Value,
        plan: &ActionPlan,
    ) -> (Vec<Finding>, bool) {
        let mut walk = Walk::new(self, Some(plan));
        walk.document(value);
        let (findings, edits) = walk.finish();
        let changed = !edits.is_empty();
        json::apply_edits(value, edits);
        (findings, changed)
    }

    /// [`Self::redact_json_in_place`] from the findings of an earlier scan of this very
    /// value ([`Self::scan_json`]) instead of a second walk: what a walk finds does not depend
    /// on the plan, only what it does with it. `None` — nothing changed, redact with the walk —
    /// where the findings alone do not settle the result: a finding in an object key (members
    /// are renamed), a `drop` or `deny` action. Hand-written: the second walk was ~50k of a
    /// 1 KB call's ~400k instructions (`benches/instructions.sh`); the differential test
    /// holds it to the walk's output.
    pub fn redact_scanned_in_place(
        &self,
        value: &mut serde_json::Value,
        plan: &ActionPlan,
        scanned: &[Finding],
    ) -> Option<(Vec<Finding>, bool)> {
        let mut found: Vec<Finding> = Vec::with_capacity(scanned.len());
        for f in scanned {
            let action = if f.placeholder && !self.mask_placeholders {
                Action::Keep
            } else {
                self.resolve(f.entity, Some(plan))
            };
            if f.key || matches!(action, Action::Drop | Action::Deny) {
                return None;
            }
            found.push(Finding {
                action,
                ..f.clone()
            });
        }
        // every new leaf computed first, from the value as it is; applied once all are known
        let mut edits: Vec<(&str, String)> = Vec::new();
        let mut i = 0;
        while i < found.len() {
            let ptr = found[i].pointer.as_deref();
            let n = found[i..]
                .iter()
                .take_while(|f| f.pointer.as_deref() == ptr)
                .count();
            let group = &found[i..i + n];
            i += n;
            if group.iter().all(|f| f.action == Action::Keep) {
                continue;
            }
            let ptr = ptr?;
            let text = match pointer(value, ptr)? {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => match n.as_u64() {
                    Some(u) => u.to_string(),
                    None => n.to_string(),
                },
                _ => return None,
            };
            let mut rendered = String::new();
            if group.len() == 1 && group[0].start.is_none() {
                action::render_into(
                    &mut rendered,
                    group[0].entity,
                    &text,
                    group[0].action,
                    self.hasher.as_ref(),
                );
            } else if group.iter().all(|f| f.start.is_some()) {
                if !apply_spans_into(&mut rendered, &text, group, self.hasher.as_ref()) {
                    continue;
                }
            } else {
                return None;
            }
            edits.push((ptr, rendered));
        }
        let changed = !edits.is_empty();
        for (ptr, new) in edits {
            if let Some(target) = pointer_mut(value, ptr) {
                *target = serde_json::Value::String(new);
            }
        }
        Some((found, changed))
    }

    /// `pointer` with every reference token that holds a finding masked (`/[EMAIL]/name`),
    /// for records that must never carry PII (the audit stream's `redactions` paths).
    pub fn mask_pointer(&self, pointer: &str) -> String {
        let plan = ActionPlan::mask_all();
        let mut out = String::with_capacity(pointer.len());
        for token in pointer.split('/').skip(1) {
            out.push('/');
            let raw = token.replace("~1", "/").replace("~0", "~");
            let (masked, _) = self.redact_text(&raw, &plan);
            json::escape_token(&masked, &mut out);
        }
        out
    }

    /// Redacts text. Findings have byte offsets into `text` and no pointer.
    pub fn redact_text<'a>(
        &self,
        text: &'a str,
        plan: &ActionPlan,
    ) -> (Cow<'a, str>, Vec<Finding>) {
        let findings = self.text_findings(text.as_bytes(), Some(plan));
        match apply_spans(text, &findings, self.hasher.as_ref()) {
            Some(out) => (Cow::Owned(out), findings),
            None => (Cow::Borrowed(text), findings),
        }
    }

    /// Every finding in text, changing nothing.
    pub fn scan_text(&self, text: &str) -> Vec<Finding> {
        self.text_findings(text.as_bytes(), None)
    }

    fn text_findings(&self, hay: &[u8], plan: Option<&ActionPlan>) -> Vec<Finding> {
        // The hits in one list, no sink called through `dyn` per hit (`Detector::scan`): what
        // it costs then depends on whether the compiler inlines `scan` here (thirty-sixth
        // round, task cvc: a build that did not cost `65536 pii text` 0.7 %).
        self.detector
            .hits(hay, ScanContext::default())
            .into_iter()
            .map(|(h, _)| Finding {
                entity: h.entity,
                pointer: None,
                start: Some(h.start),
                end: Some(h.end),
                action: self.resolve_hit(&h, plan),
                key: false,
                placeholder: h.placeholder,
            })
            .collect()
    }

    /// True when `redact_bytes` on JSON can skip parsing: no escapes (so the raw bytes are
    /// the decoded strings), no sensitive key name and no detection anywhere in the raw bytes.
    fn json_bytes_clean(&self, bytes: &[u8]) -> bool {
        memchr::memchr(b'\\', bytes).is_none()
            && !self.detector.any_raw_json(bytes, &|k| self.may_find_key(k))
            && !stream::has_birth_sheet(bytes)
    }

    /// `KeyRules::may_find`, remembered per worker thread across bodies (per redactor: a
    /// reload starts over): the clean check classifies each distinct key of every body, and
    /// bodies repeat their keys. Bounded like the walk's key memo (`RAW_KEY_MEMO_SIZE` names
    /// of `RAW_KEY_MEMO_MAX_LEN` bytes or fewer, starting over when full; hasher seeded per
    /// process), so no input makes it grow or slow. Callgrind, `redact_profile 4096 clean
    /// bytes`: see docs/redaction-accuracy.md, "Seventeenth round, cost".
    ///
    /// A slot table in front of the map (`RAW_KEY_SLOTS`: a key of up to 24 bytes found in
    /// its slot by its length and three words, no hash of its bytes, no probe): the answer's
    /// clean check asks about each of its keys every call, ~120 instructions a key through
    /// the map (docs/performance.md, "Twenty-third round"). A key whose slot holds another is
    /// answered by the map, and takes the slot.
    fn may_find_key(&self, k: &str) -> bool {
        let b = k.as_bytes();
        if b.len() > RAW_KEY_SLOT_LEN {
            return self.may_find_key_memo(k);
        }
        let words = key_words(b);
        let at = raw_key_slot(b.len(), &words);
        let kept = RAW_KEY_SLOTS
            .try_with(|cell| {
                let slots = cell.try_borrow().ok()?;
                let slot = slots.get(at)?;
                (slot.id == self.id && slot.len == b.len() && slot.words == words)
                    .then_some(slot.found)
            })
            .ok()
            .flatten();
        if let Some(found) = kept {
            return found;
        }
        let found = self.may_find_key_memo(k);
        let _ = RAW_KEY_SLOTS.try_with(|cell| {
            if let Ok(mut slots) = cell.try_borrow_mut() {
                if let Some(slot) = slots.get_mut(at) {
                    *slot = RawKeySlot {
                        id: self.id,
                        len: b.len(),
                        words,
                        found,
                    };
                }
            }
        });
        found
    }

    /// [`Redactor::may_find_key`] through the map.
    fn may_find_key_memo(&self, k: &str) -> bool {
        if k.len() > RAW_KEY_MEMO_MAX_LEN {
            return self.keys.may_find(k);
        }
        RAW_KEY_MEMO
            .try_with(|cell| {
                let mut memo = cell.try_borrow_mut().ok()?;
                if memo.0 != self.id {
                    memo.1.clear();
                    memo.0 = self.id;
                }
                if let Some(&found) = memo.1.get(k) {
                    return Some(found);
                }
                let found = self.keys.may_find(k);
                if memo.1.len() >= RAW_KEY_MEMO_SIZE {
                    memo.1.clear();
                }
                memo.1.insert(k.into(), found);
                Some(found)
            })
            .ok()
            .flatten()
            .unwrap_or_else(|| self.keys.may_find(k))
    }

    /// Redacts a body. Returns the input borrowed (zero copies, no re-serialisation) when
    /// nothing changed. A body declared JSON that does not parse is redacted as text.
    pub fn redact_bytes<'a>(
        &self,
        bytes: &'a [u8],
        content_type_is_json: bool,
        plan: &ActionPlan,
    ) -> (Cow<'a, [u8]>, Vec<Finding>) {
        if content_type_is_json {
            if self.json_bytes_clean(bytes) {
                return (Cow::Borrowed(bytes), Vec::new());
            }
            // One pass over the raw bytes; what it leaves (keys holding findings, `drop`,
            // invalid or very deep JSON) goes through a parsed `Value`.
            if let Some((out, findings)) = stream::redact_raw_json(self, bytes, plan) {
                let out = out.map_or(Cow::Borrowed(bytes), Cow::Owned);
                return (out, findings);
            }
            if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) {
                let (findings, changed) = self.redact_json_in_place(&mut value, plan);
                if !changed {
                    return (Cow::Borrowed(bytes), findings);
                }
                return match serde_json::to_vec(&value) {
                    Ok(out) => (Cow::Owned(out), findings),
                    // Cannot happen for a Value; never leak the original on failure.
                    Err(_) => (Cow::Owned(b"null".to_vec()), findings),
                };
            }
        }
        // Text (or JSON that does not parse): scan the bytes as they are, so bytes that are
        // not UTF-8 are neither an error nor rewritten.
        let findings = self.text_findings(bytes, Some(plan));
        if findings.iter().all(|f| f.action == Action::Keep) {
            return (Cow::Borrowed(bytes), findings);
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut last = 0;
        for f in &findings {
            let (Some(a), Some(b)) = (f.start, f.end) else {
                continue;
            };
            if f.action == Action::Keep || a < last || b > bytes.len() {
                continue;
            }
            out.extend_from_slice(&bytes[last..a]);
            let value = String::from_utf8_lossy(&bytes[a..b]);
            out.extend_from_slice(
                action::render(f.entity, &value, f.action, self.hasher.as_ref()).as_bytes(),
            );
            last = b;
        }
        out.extend_from_slice(&bytes[last..]);
        (Cow::Owned(out), findings)
    }
}

/// `serde_json::Value::pointer`, without its two `str::replace` per reference token: a token
/// is unescaped (`~1` → `/`, `~0` → `~`, in that order, as serde_json does) only when it holds
/// a `~`, and an array index is read as serde_json reads it (no `+`, no leading zero).
/// `redact_scanned_in_place` looks each finding's leaf up twice: `benches/instructions.sh`,
/// the 1 KB bench call, 2026-12-05: serde_json's two lookups were 4.9k instructions per call,
/// `redact_scanned_in_place` 6.1k → 2.6k inclusive with these.
/// `pointer_lookups_match_serde_json` holds both to serde_json's.
fn pointer<'a>(value: &'a serde_json::Value, ptr: &str) -> Option<&'a serde_json::Value> {
    if ptr.is_empty() {
        return Some(value);
    }
    let rest = ptr.strip_prefix('/')?;
    rest.split('/')
        .try_fold(value, |target, token| match target {
            serde_json::Value::Object(map) => map.get(unescape_token(token).as_ref()),
            serde_json::Value::Array(list) => list.get(array_index(token)?),
            _ => None,
        })
}

/// [`pointer`], mutable (`serde_json::Value::pointer_mut`).
fn pointer_mut<'a>(
    value: &'a mut serde_json::Value,
    ptr: &str,
) -> Option<&'a mut serde_json::Value> {
    if ptr.is_empty() {
        return Some(value);
    }
    let rest = ptr.strip_prefix('/')?;
    rest.split('/')
        .try_fold(value, |target, token| match target {
            serde_json::Value::Object(map) => map.get_mut(unescape_token(token).as_ref()),
            serde_json::Value::Array(list) => list.get_mut(array_index(token)?),
            _ => None,
        })
}

/// An RFC 6901 reference token unescaped, borrowed when it holds no `~`.
fn unescape_token(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// An array index as `serde_json::Value::pointer` reads one (its `parse_index`; the token is
/// not unescaped: a `~` makes it no index, as there).
fn array_index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod pointer_tests {
    use super::{pointer, pointer_mut};
    use serde_json::json;

    /// The lookups find what serde_json's find, for every pointer of a document with escaped,
    /// numeric and empty member names, and for malformed ones.
    #[test]
    fn pointer_lookups_match_serde_json() {
        let doc = json!({
            "a": {"b/c": [10, {"d~e": "x", "": "empty", "~1": "tilde-one"}], "0": "zero"},
            "list": ["p", "q", ["r", "s"]],
            "": {"": "nested-empty"},
            "01": "leading-zero-key",
            "m~n/o": 1.5,
        });
        let mut pointers: Vec<String> = Vec::new();
        fn all(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
            out.push(at.clone());
            match v {
                serde_json::Value::Object(m) => {
                    for (k, c) in m {
                        let t = k.replace('~', "~0").replace('/', "~1");
                        all(c, format!("{at}/{t}"), out);
                    }
                }
                serde_json::Value::Array(l) => {
                    for (i, c) in l.iter().enumerate() {
                        all(c, format!("{at}/{i}"), out);
                    }
                }
                _ => {}
            }
        }
        all(&doc, String::new(), &mut pointers);
        assert!(pointers.len() > 15, "{pointers:?}");
        let malformed = [
            "a",
            "/list/01",
            "/list/+1",
            "/list/-1",
            "/list/3",
            "/list/1/0",
            "/a/b~1c/01",
            "/a/b~1c/1/d~e",
            "/a/b/c",
            "/a/b~1c/1/~01",
            "/a/b~1c/1/~1",
            "/m~0n~1o/x",
            "//",
            "/list/",
            "/list/ 1",
            "/list/18446744073709551616",
            "/a/0",
            "/01",
        ];
        let mut found = 0;
        for p in pointers.iter().map(String::as_str).chain(malformed) {
            let want = doc.pointer(p);
            assert_eq!(pointer(&doc, p), want, "{p}");
            found += usize::from(want.is_some());
            let mut mine = doc.clone();
            let mut theirs = doc.clone();
            let got = pointer_mut(&mut mine, p).map(|v| {
                *v = json!("changed");
            });
            let expected = theirs.pointer_mut(p).map(|v| {
                *v = json!("changed");
            });
            assert_eq!(got, expected, "{p}");
            assert_eq!(mine, theirs, "{p}");
        }
        // every pointer of the document, and of the others "/a/b~1c/1/d~e" (a `~` not followed
        // by 0 or 1 stays), "/a/b~1c/1/~01" (the member "~1"), "//", "/a/0" and "/01"
        assert_eq!(found, pointers.len() + 5);
    }
}

/// Rewrites `s` with each finding's span replaced per its action; `None` if nothing changes.
/// Findings must be sorted by start and not overlap (the detector guarantees both).
pub(crate) fn apply_spans(
    s: &str,
    findings: &[Finding],
    hasher: Option<&action::Hasher>,
) -> Option<String> {
    let mut out = String::new();
    apply_spans_into(&mut out, s, findings, hasher).then_some(out)
}

/// `apply_spans` into `out` (appended); false, and nothing written, when no span changes
/// anything.
pub(crate) fn apply_spans_into(
    out: &mut String,
    s: &str,
    findings: &[Finding],
    hasher: Option<&action::Hasher>,
) -> bool {
    apply_span_list_into(
        out,
        s,
        findings
            .iter()
            .filter_map(|f| Some((f.entity, f.start?, f.end?, f.action))),
        hasher,
    )
}

/// `apply_spans_into` over (entity, start, end, action) spans.
pub(crate) fn apply_span_list_into<I>(
    out: &mut String,
    s: &str,
    spans: I,
    hasher: Option<&action::Hasher>,
) -> bool
where
    I: Iterator<Item = (Entity, usize, usize, Action)> + Clone,
{
    if spans.clone().all(|sp| sp.3 == Action::Keep) {
        return false;
    }
    out.reserve(s.len());
    let mut last = 0;
    for (entity, mut a, mut b, act) in spans {
        if act == Action::Keep || a < last || b > s.len() {
            continue;
        }
        // Spans are always on char boundaries; widen rather than ever leak part of one.
        while !s.is_char_boundary(a) {
            a -= 1;
        }
        while !s.is_char_boundary(b) {
            b += 1;
        }
        out.push_str(&s[last..a]);
        action::render_into(out, entity, &s[a..b], act, hasher);
        last = b;
    }
    out.push_str(&s[last..]);
    true
}

#[cfg(test)]
mod tests;
