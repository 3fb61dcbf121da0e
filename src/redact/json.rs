//! JSON: key-name rules (`password`, `dob`, `phone`, …) and the walk over a value that
//! scans every string leaf, names findings by RFC 6901 pointer and rebuilds only what changed.

use super::action::{render_into, ActionPlan};
use super::detect::evidence_r23s::{token_user_key, token_user_value};
use super::detect::{BodyTriggers, Hit, ScanContext, Scratch};
use super::entity::Entity;
use super::{Action, Finding, Redactor};
use serde_json::{Map, Value};

mod keys;
pub(crate) mod labels;
pub use keys::DEFAULT_SENSITIVE_KEYS;
pub(crate) use keys::{
    body_may_hold_pair_value, member_class_of, pair_class, pair_name, pair_name_kind,
    pair_name_read, pair_name_worth_reading, pair_reference, pair_role, sibling_class, FnvBuild,
    KeyClass, KeyFacts, KeyRules, PairRole, NOT_SECRET_KEY_WORDS, NOT_SECRET_SUFFIXES,
};

// (The streaming pass asks `KeyFacts`; `tests_cost` compares it with the function.)
#[cfg(test)]
pub(crate) use keys::{member_class, pair_type_key};

/// RFC 6901 escaping of one reference token: `~` → `~0`, `/` → `~1`.
pub(crate) fn escape_token(token: &str, out: &mut String) {
    if !token.bytes().any(|b| b == b'~' || b == b'/') {
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

/// One reference token of `Walk::path`: a member's key, a member's new name (a key holding a
/// finding), an array index.
#[derive(Debug)]
enum Token<'v> {
    Key(&'v str),
    Renamed(String),
    Index(usize),
}

/// What a string or number leaf becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leaf {
    /// The string in `Walk::rendered` (taken by the caller).
    Rendered,
    /// The leaf's object member is removed (an array element becomes `null`).
    Drop,
}

/// A change the walk decided on, applied afterwards by `apply_edits` (by node number).
#[derive(Debug)]
pub(crate) enum Edit {
    /// A string/number leaf becomes this value.
    Replace(Value),
    /// A string/number leaf's object member is removed (an array element becomes `null`).
    Drop,
    /// An object's members are renamed: (original key, new key, or `None` to remove it).
    Keys(Vec<(String, Option<String>)>),
}

/// Walk state for one document.
pub(crate) struct Walk<'r, 'p, 'v> {
    pub redactor: &'r Redactor,
    /// `None`: scan only, never change anything.
    pub plan: Option<&'p ActionPlan>,
    pub findings: Vec<Finding>,
    /// Changes by node number (every value counts, in walk order), ascending.
    pub edits: Vec<(usize, Edit)>,
    /// Number of values visited so far.
    nodes: usize,
    /// RFC 6901 pointer of the value being visited (member names as they will be written):
    /// `ptr` then the tokens of `path` (`Walk::pointer`).
    pub ptr: String,
    /// The reference tokens below `ptr` of the value the `Value` walk visits, kept as the
    /// keys and indices they are and spelled into a pointer only for a finding
    /// (`Walk::pointer`): most members hold none, and escaping each member's key into `ptr`
    /// as it was entered cost ~4.6k instructions per call on the 1 KB bench call (sixteenth
    /// round, docs/performance.md). The streaming pass (`stream`) writes `ptr` itself and
    /// leaves this empty.
    path: Vec<Token<'v>>,
    /// The last pointer spelled (`Walk::pointer`): `ptr` (its first `spelt_base` bytes),
    /// then the tokens of `path` it was spelled from, each ending at `spelt_ends[i]`; the
    /// first `spelt_valid` of them are still `path`'s (`leave` lowers it). A finding's
    /// pointer spells only the tokens entered since the last one: a PII-dense document's
    /// findings share their prefixes (spelling every pointer whole cost +6 % on
    /// `redact_profile 65536 pii value`).
    spelt: String,
    spelt_base: usize,
    spelt_ends: Vec<usize>,
    spelt_valid: usize,
    /// Per key name longer than the worker's memo keeps (`KEY_MEMO_MAX_LEN`) seen in this
    /// document: its class, and whether the detector finds anything in it (documents repeat
    /// their keys: arrays of records). Keys come from the
    /// request: the hasher is seeded per process (foldhash) and the map holds at most
    /// `KEY_CACHE` names, so colliding keys cannot make it slow.
    keys: std::collections::HashMap<&'v str, KeyInfo, foldhash::fast::RandomState>,
    /// The classes of the keys of the objects being walked (each object's, pushed when it is
    /// entered and cut off when it is left): a key is classified once per member.
    classes: Vec<(KeyClass, KeyFacts)>,
    /// Whether the object members of the objects being walked have a label naming a birth
    /// date (`own_labelled`), in member order: worked out once, by the parent that needs it
    /// for its own answers, and handed to the member's own walk (`given_label`).
    labelled: Vec<bool>,
    /// The members of the objects being walked that may be birth dates by their record
    /// (`RecordDates`), one run per object on the stack; the raw pass keeps its own here.
    pub(crate) record_dates: Vec<(usize, usize)>,
    /// The entry of `labelled` for the object about to be walked, taken when it is entered.
    given_label: Option<bool>,
    /// The worker's key memo, taken from the thread for the walk and given back when it is
    /// dropped: one thread-local access per document instead of one per key (1 KB bench call,
    /// `benches/instructions.sh` function counts, 2026-12-05: `key_info` 5.4k → 3.9k, the PII
    /// scan 45.2k → 43.9k instructions per call).
    memo: KeyMemo,
    /// Detector buffers reused across leaves.
    scratch: Scratch,
    /// The trigger candidates of the document's string leaves, found in one search
    /// (`Walk::document`); `None` for the streaming pass (it hands out its body's) and when
    /// the document has fewer than two leaves to scan.
    joined: Option<JoinedLeaves>,
    /// The new text of the last leaf that returned `Leaf::Rendered`.
    pub rendered: String,
}

/// The string leaves of a document joined for one trigger search
/// (`Detector::joined_triggers`): its candidates, and where each leaf's bytes are and where
/// it starts in the joined bytes, in walk order.
struct JoinedLeaves {
    /// The joined bytes (`join_leaves`).
    bytes: Vec<u8>,
    triggers: BodyTriggers,
    /// (address of the leaf's bytes, its offset in the joined bytes).
    at: Vec<(usize, usize)>,
    /// The next entry of `at`: leaves are met in the order they were joined.
    next: usize,
}

/// The string leaves `Walk::string` may scan (`MIN_FINDING_LEN` bytes or more) of `v`, in
/// the order the walk meets them, each after a `\0` (`Detector::joined_triggers`), with
/// their addresses and offsets in `at`.
fn join_leaves(v: &Value, bytes: &mut Vec<u8>, at: &mut Vec<(usize, usize)>) {
    match v {
        Value::String(s) if s.len() >= MIN_FINDING_LEN => {
            bytes.push(0);
            at.push((s.as_ptr() as usize, bytes.len()));
            bytes.extend_from_slice(s.as_bytes());
        }
        Value::Array(items) => items.iter().for_each(|v| join_leaves(v, bytes, at)),
        Value::Object(map) => map.values().for_each(|v| join_leaves(v, bytes, at)),
        _ => {}
    }
}

/// Distinct key names remembered per document.
const KEY_CACHE: usize = 512;

/// Key names each worker thread remembers across documents (per redactor: a reload starts
/// over), and the longest it remembers. Keys come from agents and tools: the map is bounded
/// (it starts over when full) and its hasher seeded per process, so no input makes it grow
/// or slow.
const KEY_MEMO_SIZE: usize = 4096;
const KEY_MEMO_MAX_LEN: usize = 64;

/// What a walk remembers of a key: its class, whether the detector finds anything in it,
/// and what the streaming pass asks of it besides (`keys::KeyFacts`).
type KeyInfo = (KeyClass, bool, KeyFacts);

/// The slots of the memo's table in front of its map (`KeySlots`), and the longest key a
/// slot holds.
const KEY_SLOTS: usize = 256;
const KEY_SLOT_LEN: usize = 24;

/// One slot of `KeySlots`: a key (its length and `key_words`) and what the memo knows of it
/// (`None`: empty).
#[derive(Clone, Copy)]
struct KeySlot {
    len: u8,
    words: [u64; 3],
    info: Option<KeyInfo>,
}

const EMPTY_SLOT: KeySlot = KeySlot {
    len: 0,
    words: [0; 3],
    info: None,
};

/// The keys of `KEY_SLOT_LEN` bytes or fewer the memo answered last, one per slot, a slot
/// chosen by the key's words (`key_words`, `key_slot`): a key found in its slot is answered
/// with two or three word loads and a comparison of the words with the slot's, no hash of
/// its bytes and no probe of the map (~84 instructions a member with the map alone, the 1 KB
/// bench call, twenty-first round, docs/performance.md). A key whose slot holds another goes
/// to the map and takes the slot; the table's size is fixed, so no input makes it grow, and
/// a key colliding with another only costs the map's look-up it cost before.
struct KeySlots(Box<[KeySlot]>);

impl Default for KeySlots {
    fn default() -> Self {
        KeySlots(Box::new([]))
    }
}

impl KeySlots {
    /// What the slot of `k` knows of it, when it holds `k`.
    #[inline(always)]
    fn get(&self, k: &[u8]) -> Option<KeyInfo> {
        let words = key_words(k);
        let slot = self.0.get(key_slot(&words, k.len()))?;
        // (a slot holds a key of `KEY_SLOT_LEN` bytes or fewer, which its length and words
        // are: the words of a key that long or shorter, `key_words`)
        match usize::from(slot.len) == k.len() && slot.words == words {
            true => slot.info,
            false => None,
        }
    }

    /// `k` and its `info` into its slot (a key longer than a slot holds is not kept).
    #[inline(never)]
    fn put(&mut self, k: &[u8], info: KeyInfo) {
        if k.len() > KEY_SLOT_LEN {
            return;
        }
        if self.0.is_empty() {
            self.0 = vec![EMPTY_SLOT; KEY_SLOTS].into_boxed_slice();
        }
        let words = key_words(k);
        if let Some(slot) = self.0.get_mut(key_slot(&words, k.len())) {
            *slot = KeySlot {
                len: k.len() as u8,
                words,
                info: Some(info),
            };
        }
    }

    fn clear(&mut self) {
        self.0.fill(EMPTY_SLOT);
    }
}

/// A key of `KEY_SLOT_LEN` bytes or fewer as three words which, with its length, are the
/// key: its first and last bytes as one word or two, as `json::same_bytes` compares them
/// (the first, middle and last byte of 1 to 3 bytes; the first and last 4 of 4 to 7; the
/// first and last 8 of 8 to 16; and of 17 to 24 the bytes 8 to 16 besides), the second word
/// shifted or rotated as `key_slot` mixes it, the rest zero. A slot compares a key's words
/// with its own instead of the key's bytes with a copy of them (twenty-second round). A
/// longer key's words are not all of it (no slot holds one).
#[inline(always)]
fn key_words(k: &[u8]) -> [u64; 3] {
    let n = k.len();
    let w4 = |at: usize| {
        k.get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map_or(0, |w| u64::from(u32::from_le_bytes(w)))
    };
    let w8 = |at: usize| {
        k.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_le_bytes)
    };
    match n {
        0 => [0; 3],
        1..=3 => [
            u64::from(k[0]) | u64::from(k[n / 2]) << 8 | u64::from(k[n - 1]) << 16,
            0,
            0,
        ],
        4..=7 => [w4(0), w4(n - 4) << 32, 0],
        8..=16 => [w8(0), w8(n - 8).rotate_left(29), 0],
        _ => [w8(0), w8(n - 8).rotate_left(29), w8(8)],
    }
}

/// The slot in `KeySlots` (`KEY_SLOTS` of them) of the key of `n` bytes with the words
/// `w` (`key_words`): its first and last bytes (the first two words) and its length, mixed
/// by one multiplication — the twenty-first round's choice of slot, which spreads the
/// bench call's keys over distinct slots (a third word mixed in made two of its keys share
/// one, and each took the other's slot on every call: +640 instructions a scan). Not seeded:
/// a slot only saves the map's look-up, it never decides what a key is.
#[inline(always)]
fn key_slot(w: &[u64; 3], n: usize) -> usize {
    let h = (w[0] ^ w[1] ^ (n as u64) << 59).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 56) as usize % KEY_SLOTS
}

#[derive(Default)]
struct KeyMemo {
    redactor: u64,
    /// The keys answered last, one a slot, looked at before `keys`.
    slots: KeySlots,
    keys: std::collections::HashMap<Box<str>, KeyInfo, foldhash::fast::RandomState>,
    /// The last walk's `classes`, `labelled` and `record_dates`, emptied, for the next walk
    /// on this thread (three to six allocations and regrowths a document; none kept above
    /// `SPARE_MAX` entries).
    classes: Vec<(KeyClass, KeyFacts)>,
    labelled: Vec<bool>,
    record_dates: Vec<(usize, usize)>,
    /// The last document's joined leaves (`Walk::document`): their bytes, their entries and
    /// the search's candidates, emptied (none kept above `SPARE_MAX` entries or
    /// `SPARE_MAX_BYTES` bytes).
    joined: Vec<u8>,
    leaf_at: Vec<(usize, usize)>,
    literal: Vec<(usize, usize)>,
    anchors: Vec<usize>,
    /// The last walk's detector buffers (`Scratch`), emptied: the hits' and candidates'
    /// allocations and regrowths once per thread instead of once per document.
    scratch: Scratch,
}

/// The most entries a walk's buffer may hold to be kept for the next walk.
const SPARE_MAX: usize = 1024;
/// The most bytes the joined leaves' buffer may hold to be kept for the next walk.
const SPARE_MAX_BYTES: usize = 64 << 10;

/// `buf` emptied, or a new one when it grew past [`SPARE_MAX`].
fn spare<T>(mut buf: Vec<T>) -> Vec<T> {
    if buf.capacity() > SPARE_MAX {
        return Vec::new();
    }
    buf.clear();
    buf
}

/// The joined leaves' `buf` emptied, or a new one when it grew past [`SPARE_MAX_BYTES`].
fn spare_bytes(mut buf: Vec<u8>) -> Vec<u8> {
    if buf.capacity() > SPARE_MAX_BYTES {
        return Vec::new();
    }
    buf.clear();
    buf
}

thread_local! {
    static KEY_MEMO: std::cell::RefCell<KeyMemo> = std::cell::RefCell::new(KeyMemo::default());
}

impl Drop for Walk<'_, '_, '_> {
    /// The key memo back to the thread (a walk nested in this one found it taken and walked
    /// with an empty one, which this replaces).
    fn drop(&mut self) {
        let mut memo = std::mem::take(&mut self.memo);
        memo.classes = spare(std::mem::take(&mut self.classes));
        memo.labelled = spare(std::mem::take(&mut self.labelled));
        memo.record_dates = spare(std::mem::take(&mut self.record_dates));
        memo.scratch = std::mem::take(&mut self.scratch).spare(SPARE_MAX);
        if let Some(joined) = self.joined.take() {
            memo.joined = spare_bytes(joined.bytes);
            memo.leaf_at = spare(joined.at);
            let (literal, anchors) = joined.triggers.into_buffers();
            memo.literal = spare(literal);
            memo.anchors = spare(anchors);
        }
        let _ = KEY_MEMO.try_with(|cell| {
            if let Ok(mut slot) = cell.try_borrow_mut() {
                *slot = memo;
            }
        });
    }
}

impl<'r, 'p, 'v> Walk<'r, 'p, 'v> {
    pub(crate) fn new(redactor: &'r Redactor, plan: Option<&'p ActionPlan>) -> Self {
        let mut memo = KEY_MEMO
            .try_with(|cell| {
                cell.try_borrow_mut()
                    .map(|mut slot| std::mem::take(&mut *slot))
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        // what a key is depends on the redactor: a reload starts over
        if memo.redactor != redactor.id {
            memo.keys.clear();
            memo.slots.clear();
            memo.redactor = redactor.id;
        }
        Walk {
            classes: std::mem::take(&mut memo.classes),
            labelled: std::mem::take(&mut memo.labelled),
            record_dates: std::mem::take(&mut memo.record_dates),
            scratch: std::mem::take(&mut memo.scratch),
            memo,
            redactor,
            plan,
            findings: Vec::new(),
            edits: Vec::new(),
            nodes: 0,
            ptr: String::new(),
            path: Vec::new(),
            spelt: String::new(),
            spelt_base: 0,
            spelt_ends: Vec::new(),
            spelt_valid: 0,
            keys: Default::default(),
            given_label: None,
            joined: None,
            rendered: String::new(),
        }
    }

    /// Walks a whole document: its string leaves' trigger candidates found first, in one
    /// search of the leaves joined (`Detector::joined_triggers`), then `value`.
    pub(crate) fn document(&mut self, v: &'v Value) {
        if !per_leaf_triggers() {
            self.join_leaves(v);
        }
        self.value(v, KeyClass::Plain);
    }

    /// `joined` for the document `v`, when it has two leaves to scan or more.
    fn join_leaves(&mut self, v: &Value) {
        let mut bytes = std::mem::take(&mut self.memo.joined);
        let mut at = std::mem::take(&mut self.memo.leaf_at);
        join_leaves(v, &mut bytes, &mut at);
        if at.len() >= 2 {
            let buffers = (
                std::mem::take(&mut self.memo.literal),
                std::mem::take(&mut self.memo.anchors),
            );
            if let Some(triggers) = self.redactor.detector.joined_triggers(&bytes, buffers) {
                self.joined = Some(JoinedLeaves {
                    bytes,
                    triggers,
                    at,
                    next: 0,
                });
                return;
            }
        }
        self.memo.leaf_at = spare(at);
        self.memo.joined = spare_bytes(bytes);
    }

    /// The string leaf `s` is about to be walked: its candidates from the joined search,
    /// when it is the next joined leaf.
    fn leaf_candidates(&mut self, s: &str) {
        let Some(joined) = self.joined.as_mut() else {
            return;
        };
        match joined.at.get(joined.next) {
            Some(&(addr, start)) if addr == s.as_ptr() as usize => {
                joined.next += 1;
                self.redactor.detector.joined_leaf_candidates(
                    &mut joined.triggers,
                    &joined.bytes,
                    s.as_bytes(),
                    start,
                    &mut self.scratch,
                );
            }
            _ => {}
        }
    }

    /// The pointer of the value being visited: `ptr`, then `path` spelled as RFC 6901
    /// reference tokens (from the last pointer spelled, as far as its tokens are still
    /// `path`'s).
    ///
    /// The streaming pass has no `path` (its `ptr` is spelled as it goes): its pointer is a
    /// copy of `ptr`, made where the finding is (twenty-fifth round, task cost: the call was
    /// ~20 instructions a leaf with findings on `redact_profile 65536 pii bytes`).
    #[inline]
    fn pointer(&mut self) -> String {
        if self.path.is_empty() {
            return self.ptr.clone();
        }
        self.spelt_pointer()
    }

    /// `pointer` of a non-empty `path`.
    #[inline(never)]
    fn spelt_pointer(&mut self) -> String {
        if self.spelt_base != self.ptr.len() || !self.spelt.starts_with(self.ptr.as_str()) {
            self.spelt.clear();
            self.spelt.push_str(&self.ptr);
            self.spelt_base = self.ptr.len();
            self.spelt_ends.clear();
            self.spelt_valid = 0;
        }
        let keep = self.spelt_valid.min(self.spelt_ends.len());
        let end = match keep {
            0 => self.spelt_base,
            _ => self.spelt_ends[keep - 1],
        };
        self.spelt.truncate(end);
        self.spelt_ends.truncate(keep);
        let mut buf = itoa::Buffer::new();
        for token in &self.path[keep..] {
            self.spelt.push('/');
            match token {
                Token::Key(k) => escape_token(k, &mut self.spelt),
                Token::Renamed(k) => escape_token(k, &mut self.spelt),
                Token::Index(i) => self.spelt.push_str(buf.format(*i)),
            }
            self.spelt_ends.push(self.spelt.len());
        }
        self.spelt_valid = self.path.len();
        // (every test that walks a document pins the spelling to the whole one)
        #[cfg(test)]
        assert_eq!(self.spelt, self.spelled_whole());
        self.spelt.clone()
    }

    /// `ptr` then every token of `path`, spelled from the start: what `pointer` gives.
    #[cfg(test)]
    fn spelled_whole(&self) -> String {
        let mut out = self.ptr.clone();
        for token in &self.path {
            out.push('/');
            match token {
                Token::Key(k) => escape_token(k, &mut out),
                Token::Renamed(k) => escape_token(k, &mut out),
                Token::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }

    /// Leaves the member or element `path` ends with.
    fn leave(&mut self) {
        self.path.pop();
        self.spelt_valid = self.spelt_valid.min(self.path.len());
    }

    /// The detector buffers (the raw pass hands them trigger candidates).
    pub(crate) fn scratch(&mut self) -> &mut Scratch {
        &mut self.scratch
    }

    /// The findings and the edits to apply.
    pub(crate) fn finish(mut self) -> (Vec<Finding>, Vec<(usize, Edit)>) {
        (
            std::mem::take(&mut self.findings),
            std::mem::take(&mut self.edits),
        )
    }

    /// The class of a key and whether it holds a finding: from the worker's memo for keys it
    /// remembers (`KEY_MEMO_MAX_LEN` bytes or fewer), else cached per document.
    ///
    /// The per-document map was in front of the worker's memo for every key; with the memo
    /// warm it only added its own insert per distinct key (the table grown from nothing each
    /// document) to a lookup the memo answers as cheaply: `benches/instructions.sh`, the 1 KB
    /// bench call, 2026-12-05, `Walk::key_info` inclusive 15.2k → 5.4k instructions per call
    /// (with `object` classifying each key once instead of twice), the PII scan 54.1k → 45.2k.
    pub(crate) fn key_info(&mut self, k: &'v str) -> (KeyClass, bool) {
        let (class, dirty, _) = self.key_facts(k);
        (class, dirty)
    }

    /// `key_info` with the key's `KeyFacts` (the streaming pass's per-member tests, answered
    /// once per distinct key: twenty-fifth round, task cost).
    #[inline]
    pub(crate) fn key_facts(&mut self, k: &'v str) -> KeyInfo {
        if k.len() <= KEY_MEMO_MAX_LEN {
            return self.key_facts_uncached(k);
        }
        if let Some(info) = self.keys.get(k) {
            return *info;
        }
        let info = self.key_facts_uncached(k);
        if self.keys.len() < KEY_CACHE {
            self.keys.insert(k, info);
        }
        info
    }

    /// `key_info` for a key that does not live as long as the document (decoded escapes).
    /// What a key is depends only on the redactor and the key, and calls repeat their keys
    /// from document to document: each worker thread remembers the answers per redactor
    /// (`args/pii_scan_1kb`: about half of that bench's instructions were this per-key work).
    pub(crate) fn key_info_uncached(&mut self, k: &str) -> (KeyClass, bool) {
        let (class, dirty, _) = self.key_facts_uncached(k);
        (class, dirty)
    }

    /// `key_info_uncached` with the key's `KeyFacts`.
    #[inline]
    pub(crate) fn key_facts_uncached(&mut self, k: &str) -> KeyInfo {
        if let Some(info) = self.memo.slots.get(k.as_bytes()) {
            return info;
        }
        self.key_facts_mapped(k)
    }

    /// `key_facts_uncached` of a key its slot does not hold: from the memo's map, or
    /// classified; then into its slot.
    #[inline(never)]
    fn key_facts_mapped(&mut self, k: &str) -> KeyInfo {
        if let Some(info) = self.memo.keys.get(k) {
            let info = *info;
            self.memo.slots.put(k.as_bytes(), info);
            return info;
        }
        let info = self.classify_key(k);
        if k.len() <= KEY_MEMO_MAX_LEN {
            if self.memo.keys.len() >= KEY_MEMO_SIZE {
                self.memo.keys.clear();
            }
            self.memo.keys.insert(k.into(), info);
            self.memo.slots.put(k.as_bytes(), info);
        }
        info
    }

    fn classify_key(&self, k: &str) -> KeyInfo {
        let class = self.redactor.keys.classify(k);
        let dirty = k.len() >= MIN_FINDING_LEN
            && self
                .redactor
                .detector
                .any(k.as_bytes(), ScanContext::default());
        (class, dirty, KeyFacts::of(k))
    }

    /// The value `v` under a key of class `key`: a container walked by `object` or
    /// `array`, a leaf by `leaf`. Each out of line, so a leaf does not pay a container's
    /// frame (its saves and its stack) on its way in: `object` was inlined into this
    /// function and every leaf reached through it entered `object`'s frame (twenty-second
    /// round, docs/performance.md).
    #[inline]
    pub(crate) fn value(&mut self, v: &'v Value, key: KeyClass) {
        match v {
            Value::Object(map) => {
                let id = self.nodes;
                self.nodes += 1;
                self.object(id, map, key);
            }
            Value::Array(items) => {
                self.nodes += 1;
                self.array(items, key);
            }
            Value::Null | Value::Bool(_) => self.nodes += 1,
            Value::String(_) | Value::Number(_) => self.leaf(v, key),
        }
    }

    /// A string or number leaf (its node counted here), with its edit.
    #[inline(never)]
    fn leaf(&mut self, v: &'v Value, key: KeyClass) {
        let id = self.nodes;
        self.nodes += 1;
        let leaf = match v {
            Value::String(s) => {
                self.leaf_candidates(s);
                let leaf = self.string(s, key);
                self.scratch.forget_given();
                leaf
            }
            Value::Number(n) => self.number(n, key),
            _ => None,
        };
        let edit = match leaf {
            None => return,
            Some(Leaf::Drop) => Edit::Drop,
            Some(Leaf::Rendered) => {
                Edit::Replace(Value::String(std::mem::take(&mut self.rendered)))
            }
        };
        self.edits.push((id, edit));
    }

    /// The elements of an array (its node already counted).
    #[inline(never)]
    fn array(&mut self, items: &'v [Value], key: KeyClass) {
        let birth_cols = birth_columns(items);
        for (i, child) in items.iter().enumerate() {
            self.path.push(Token::Index(i));
            // Elements inherit the array's key: `"cookies": ["a=1"]`, `"phones": ["…"]`.
            match child {
                Value::Array(row) if birth_cols != 0 && i > 0 => {
                    self.birth_row(row, key, birth_cols)
                }
                _ => self.value(child, key),
            }
            self.leave();
        }
    }

    /// The rows of a table whose columns a sibling list names (`birth_cols`: its birth-date
    /// columns, `detect::evidence_r34d`): every element that is an array is a row.
    #[inline(never)]
    fn named_rows(&mut self, items: &'v [Value], key: KeyClass, birth_cols: u128) {
        for (i, child) in items.iter().enumerate() {
            self.path.push(Token::Index(i));
            match child {
                Value::Array(row) => self.birth_row(row, key, birth_cols),
                _ => self.value(child, key),
            }
            self.leave();
        }
    }

    /// A row of a table whose header row names birth-date or phone columns
    /// (`birth_columns`): the cells of those columns are DATE_OF_BIRTH values or read as
    /// under a phone key, the others inherit the array's key.
    fn birth_row(&mut self, row: &'v [Value], key: KeyClass, birth_cols: u128) {
        // The row array is a node (with no edit of its own), as in `value`.
        self.nodes += 1;
        for (j, cell) in row.iter().enumerate() {
            self.path.push(Token::Index(j));
            self.value(cell, birth_cell_class(birth_cols, j, key));
            self.leave();
        }
    }

    #[inline(never)]
    fn object(&mut self, id: usize, map: &'v Map<String, Value>, parent: KeyClass) {
        // Object keys are scanned like string leaves; a finding in a key renames the member
        // (`"jane@example.com"` → `"[EMAIL]"`). Key-name rules apply to the value as before.
        let mut key_hits: Vec<(usize, Hit)> = Vec::new();
        let base = self.classes.len();
        // A label naming a birth date (`labels`), of this object (worked out by its parent
        // if it is an object's member) or of an object member: the answer members are birth
        // dates. One pass over the members with the keys' (eighteenth round: a pass of its
        // own, and each object's labels looked at twice — by its parent and by itself —
        // made PII JSON 2.3 % dearer).
        let given = self.given_label.take();
        let mut birth = given.unwrap_or(false);
        let lbase = self.labelled.len();
        // Which pair roles the keys play (`keys::pair_role`): bit 0 a name, bit 1 a value.
        let mut roles = 0u8;
        // Whether a member's key is classified `Whole(UsSsn)` / `Whole(Password)` (`own_ssn`,
        // `token_user` below).
        let (mut ssn_member, mut password_member) = (false, false);
        // Whether a member's name ends in `hash` (a password hash's record: its `salt` is no
        // secret, `detect::evidence_r31g`).
        // (Read only when a member's class is `ShapedSecret`, as a salt's is: a test per
        // member of every object cost the PII JSON case 0.5 %.)
        let mut salt_member = false;
        // Whether a member holds an answer (`labels::answer_key`): only then does this
        // object's `birth` change a class, and its object members' labels (`own_labelled`)
        // are worked out here, for `birth` and for the members' own walks (`given_label`).
        // Without one, each object member works out its own label in its own pass over its
        // members (the same answer: `KeyFacts::label_key` is `labels::label_key`), and this
        // object's members are not read a third time (twenty-second round).
        let mut answers = eager_labels();
        for (i, (k, v)) in map.iter().enumerate() {
            // (the key's tests — its class, `pair_role`, `label_key`, … — are answered once
            // per distinct key by the memo: `KeyFacts`, each bit the function's own answer)
            let (class, dirty, facts) = self.key_facts(k);
            if given.is_none() && !birth {
                birth = facts.label_key() && self.labels_birth(v);
            }
            answers |= facts.answer_key();
            roles |= match facts.pair_role() {
                PairRole::Other => 0,
                PairRole::Name => 1,
                PairRole::Value => 2,
            };
            ssn_member |= class == KeyClass::Whole(Entity::UsSsn);
            password_member |= class == KeyClass::Whole(Entity::Password);
            salt_member |= class == KeyClass::ShapedSecret;
            self.classes.push((class, facts));
            if dirty {
                self.redactor
                    .detector
                    .scan(k.as_bytes(), ScanContext::default(), &mut |h| {
                        key_hits.push((i, h));
                        true
                    });
            }
        }
        if answers {
            for v in map.values() {
                if let Value::Object(m) = v {
                    let l = self.own_labelled(m);
                    self.labelled.push(l);
                    birth |= l;
                }
            }
        }
        let names = if key_hits.is_empty() {
            Vec::new()
        } else {
            self.rename_keys(id, map, &key_hits)
        };
        // A name/value pair whose name names a secret: its value is one (the raw pass does the
        // same, in whatever order the members come).
        let pair = if roles == 3 {
            self.pair_secret(map)
        } else {
            None
        };
        // A record with a member of its own for the SSN (`"ssn": …`): its tax or national
        // id is another number (`keys::sibling_class`).
        let own_ssn = ssn_member;
        let hash_member = salt_member
            && map
                .keys()
                .any(|k| crate::redact::detect::evidence_r31g::hash_key(k));
        // A password beside a user named `token` (Composer's `"username": "token"`) is a
        // token (`detect::evidence_r23s`; twenty-third round, task sec).
        let token_user = password_member
            && map.iter().any(
                |(k, v)| matches!(v, Value::String(s) if token_user_key(k) && token_user_value(s)),
            );
        let mut next_hit = 0;
        let mut next_label = lbase;
        let mut record = RecordDates::new(&self.record_dates);
        for (i, (k, child)) in map.iter().enumerate() {
            self.path.push(match names.iter().find(|(j, _)| *j == i) {
                Some((_, name)) => Token::Renamed(name.clone()),
                None => Token::Key(k),
            });
            while let Some((_, h)) = key_hits.get(next_hit).filter(|(j, _)| *j == i) {
                let pointer = self.pointer();
                self.findings.push(Finding {
                    entity: h.entity,
                    pointer: Some(pointer),
                    start: Some(h.start),
                    end: Some(h.end),
                    action: self.redactor.resolve_hit(h, self.plan),
                    key: true,
                    placeholder: h.placeholder,
                });
                next_hit += 1;
            }
            let (class, facts) = match self.classes.get(base + i) {
                Some(&(class, facts)) => (class, facts),
                None => {
                    let (class, _, facts) = self.key_facts(k);
                    (class, facts)
                }
            };
            let class = match pair {
                Some(secret) if facts.pair_role() == PairRole::Value => secret,
                _ => sibling_class(member_class_of(parent, class, facts), own_ssn),
            };
            // The name of an Infisical secret record (`detect::evidence_r32g`): no secret.
            let class = if roles == 3
                && facts.pair_role() == PairRole::Name
                && crate::redact::detect::evidence_r32g::secret_record_name(k)
            {
                KeyClass::Plain
            } else {
                class
            };
            let class = match class {
                KeyClass::Whole(Entity::Password) if token_user => {
                    KeyClass::Whole(Entity::GenericSecret)
                }
                // A Bugsnag notifier's `apiKey` beside its `events` (`detect::evidence_r32g`).
                KeyClass::Whole(Entity::GenericSecret)
                    if crate::redact::detect::evidence_r32g::notifier_api_key(k)
                        && map.get("events").is_some_and(Value::is_array) =>
                {
                    KeyClass::Plain
                }
                // A password hash's salt (`detect::evidence_r31g`).
                KeyClass::ShapedSecret
                    if hash_member && crate::redact::detect::evidence_r31g::salt_key(k) =>
                {
                    KeyClass::Plain
                }
                _ => class,
            };
            // ADP's government id naming `SSN` is a tax id; a payment card object's
            // `number` (by its siblings) is a card's (`detect::evidence_r33d`).
            let class = match class {
                KeyClass::Plain | KeyClass::Ident
                    if crate::redact::detect::evidence_r33d::adp_id_value_key(k)
                        && crate::redact::detect::evidence_r33d::adp_ssn_entry(map) =>
                {
                    KeyClass::TaxId
                }
                KeyClass::Plain | KeyClass::Ident
                    if crate::redact::detect::evidence_r33d::number_key(k)
                        && crate::redact::detect::evidence_r33d::card_object(map) =>
                {
                    KeyClass::Card
                }
                _ => class,
            };
            let class = if birth && facts.answer_key() {
                labels::answer_class(class)
            } else {
                class
            };
            if let (Value::Object(_), true) = (child, answers) {
                self.given_label = self.labelled.get(next_label).copied();
                next_label += 1;
            }
            let (node, first) = (self.nodes, self.findings.len());
            // Rows whose columns a sibling list names (`"columns": [...]`, the birth-date
            // columns: `detect::evidence_r34d`).
            let table_cols = match child {
                Value::Array(items) if matches!(items.first(), Some(Value::Array(_))) => {
                    crate::redact::detect::evidence_r34d::sibling_birth_columns(map, k)
                }
                _ => 0,
            };
            match child {
                Value::Array(items) if table_cols != 0 => {
                    self.nodes += 1;
                    self.named_rows(items, class, table_cols);
                }
                _ => self.value(child, class),
            }
            if let Value::String(s) = child {
                let found = &self.findings[first..];
                let noted = (node, i);
                if eager_record_dates() {
                    record.member(&mut self.record_dates, found, noted, s.as_bytes(), class);
                } else {
                    record.note(&mut self.record_dates, found, noted, s.as_bytes(), class);
                }
            }
            self.leave();
        }
        self.classes.truncate(base);
        self.labelled.truncate(lbase);
        // (the list is taken out while its candidates are judged: `record_dates` adds none)
        let mut list = std::mem::take(&mut self.record_dates);
        if let Some(dates) = record.candidates(&list) {
            self.record_dates(map, dates);
        }
        record.end(&mut list);
        self.record_dates = list;
    }

    /// The date members of a person's record (`RecordDates`) as DATE_OF_BIRTH values, each
    /// with its edit in node order.
    fn record_dates(&mut self, map: &'v Map<String, Value>, dates: &[(usize, usize)]) {
        // (the candidates come in member order: one pass over the members finds them all)
        let mut members = map.iter().enumerate();
        for &(node, i) in dates {
            let Some((_, (k, Value::String(s)))) = members.find(|(j, _)| *j == i) else {
                continue;
            };
            // (the look `RecordDates::note` left for a person's record)
            if !super::detect::may_hold_birth_year(s.as_bytes())
                || !self.redactor.detector.record_date_member(k, s)
            {
                continue;
            }
            self.path.push(Token::Key(k));
            let leaf = self.whole(Entity::DateOfBirth, s);
            self.leave();
            let edit = match leaf {
                None => continue,
                Some(Leaf::Drop) => Edit::Drop,
                Some(Leaf::Rendered) => {
                    Edit::Replace(Value::String(std::mem::take(&mut self.rendered)))
                }
            };
            let at = self.edits.partition_point(|(id, _)| *id < node);
            self.edits.insert(at, (node, edit));
        }
    }

    /// The secret class the name members of a name/value pair object give its value
    /// (`keys::pair_class`), `None` when no name names one.
    fn pair_secret(&mut self, map: &'v Map<String, Value>) -> Option<KeyClass> {
        let mut acc = None;
        for (k, v) in map {
            if let (PairRole::Name, Value::String(name)) = (pair_role(k), v) {
                if let Some(reference) = pair_reference(pair_name_kind(k), name) {
                    acc = Some(reference);
                } else if pair_name_worth_reading(k, name) {
                    acc = pair_class(acc, self.key_info(pair_name(name)).0);
                }
            }
        }
        acc
    }

    /// Whether the member `k`: `v` is a label naming a birth date (`labels::birth_label`).
    fn own_label(&self, k: &str, v: &Value) -> bool {
        labels::label_key(k) && self.labels_birth(v)
    }

    /// Whether `v`, the value of a label member, names a birth date (`own_label`'s test of
    /// the value).
    fn labels_birth(&self, v: &Value) -> bool {
        let keys = &self.redactor.keys;
        matches!(v, Value::String(s) if labels::birth_label(s, |l| keys.classify(l)))
    }

    /// Whether a label member of the object names a birth date (`own_label`); with those of
    /// its object members (a form answer's `field`), what makes the object's answers birth
    /// dates (`object`).
    fn own_labelled(&self, map: &Map<String, Value>) -> bool {
        map.iter().any(|(k, v)| self.own_label(k, v))
    }

    /// New names for the members whose keys hold findings (an `Edit::Keys` is recorded for
    /// the object when any changes), as (member index, name used in pointers).
    fn rename_keys(
        &mut self,
        id: usize,
        map: &Map<String, Value>,
        key_hits: &[(usize, Hit)],
    ) -> Vec<(usize, String)> {
        let hasher = self.redactor.hasher.as_ref();
        let mut renamed: Vec<(usize, &str, String, bool)> = Vec::new();
        for (i, k) in map.keys().enumerate() {
            let spans = key_hits.iter().filter(|(j, _)| *j == i).map(|(_, h)| {
                (
                    h.entity,
                    h.start,
                    h.end,
                    self.redactor.resolve_hit(h, self.plan),
                )
            });
            let drop = spans.clone().any(|sp| sp.3 == Action::Drop);
            // A dropped member is named as if masked (its pointer must not carry the value).
            let spans = spans.map(|(e, a, b, act)| {
                let act = if act == Action::Drop {
                    Action::Mask
                } else {
                    act
                };
                (e, a, b, act)
            });
            let mut new = String::new();
            if super::apply_span_list_into(&mut new, k, spans, hasher) {
                renamed.push((i, k.as_str(), new, drop));
            }
        }
        if renamed.is_empty() {
            return Vec::new();
        }
        // Collisions: names that stay, and names already given, are taken; a later member
        // gets `#2`, `#3`, … appended (in the object's member order).
        let mut given: Vec<String> = Vec::new();
        let mut names = Vec::with_capacity(renamed.len());
        let mut edit = Vec::with_capacity(renamed.len());
        for (i, old, want, drop) in renamed.iter() {
            let taken = |n: &str, given: &[String]| {
                given.iter().any(|g| g == n)
                    || (map.contains_key(n) && !renamed.iter().any(|r| r.1 == n))
            };
            let mut name = want.clone();
            let mut suffix = 2usize;
            while taken(&name, &given) {
                name = format!("{want}#{suffix}");
                suffix += 1;
            }
            given.push(name.clone());
            edit.push((old.to_string(), (!drop).then(|| name.clone())));
            names.push((*i, name));
        }
        if self.plan.is_some() {
            self.edits.push((id, Edit::Keys(edit)));
        }
        names
    }

    fn whole(&mut self, entity: Entity, text: &str) -> Option<Leaf> {
        // A documentation placeholder under a secret-named key (`"api_key":
        // "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"`) is reported as one, like the same
        // value found by a secret rule (a password is a password whatever it reads).
        let placeholder =
            entity == Entity::GenericSecret && super::validate::secret_placeholder(text.as_bytes());
        let action = if placeholder && !self.redactor.mask_placeholders {
            Action::Keep
        } else {
            self.redactor.resolve(entity, self.plan)
        };
        let pointer = self.pointer();
        self.findings.push(Finding {
            entity,
            pointer: Some(pointer),
            start: None,
            end: None,
            action,
            key: false,
            placeholder,
        });
        match action {
            Action::Keep => None,
            Action::Drop => Some(Leaf::Drop),
            a => {
                self.rendered.clear();
                render_into(
                    &mut self.rendered,
                    entity,
                    text,
                    a,
                    self.redactor.hasher.as_ref(),
                );
                Some(Leaf::Rendered)
            }
        }
    }

    pub(crate) fn number(&mut self, n: &serde_json::Number, key: KeyClass) -> Option<Leaf> {
        let Some(u) = n.as_u64() else {
            return match key {
                KeyClass::Whole(entity) if self.redactor.enabled(entity) => {
                    self.whole(entity, &n.to_string())
                }
                _ => None,
            };
        };
        let mut buf = itoa::Buffer::new();
        let text = buf.format(u);
        if let KeyClass::Whole(entity) = key {
            if self.redactor.enabled(entity) {
                return self.whole(entity, text);
            }
        }
        let digits = text.as_bytes();
        // 13 digits: Visa's old length, and an EAN-13 barcode's (see `check_card`).
        if self.redactor.enabled(Entity::CreditCard)
            && super::validate::card_ok(digits)
            && (digits.len() != 13 || key == KeyClass::Card)
        {
            return self.whole(Entity::CreditCard, text);
        }
        if key == KeyClass::Phone
            && self.redactor.enabled(Entity::Phone)
            && (7..=15).contains(&digits.len())
        {
            return self.whole(Entity::Phone, text);
        }
        if key == KeyClass::TaxId && self.redactor.enabled(Entity::UsSsn) && tax_id_ssn(text) {
            return self.whole(Entity::UsSsn, text);
        }
        None
    }

    pub(crate) fn string(&mut self, s: &str, key: KeyClass) -> Option<Leaf> {
        if let KeyClass::Whole(entity) = key {
            let meaningful = match entity {
                Entity::DateOfBirth => s.bytes().any(|b| b.is_ascii_digit()),
                // A German pension insurance number under an `ssn` key is no US SSN
                // (`detect::evidence_r33d`).
                Entity::UsSsn => {
                    s.bytes().any(|b| b.is_ascii_digit())
                        && !super::detect::evidence_r33d::de_pension_number(s.as_bytes())
                }
                _ => {
                    let reference = matches!(entity, Entity::Password | Entity::GenericSecret)
                        && secret_reference(s);
                    !s.trim().is_empty()
                        && !is_mask(s)
                        && !is_sentinel(s)
                        && !reference
                        && !super::detect::evidence_r26n::look_alike(entity, s.as_bytes())
                }
            };
            if meaningful && self.redactor.enabled(entity) {
                // A recognisable secret under a secret-named key (`GITHUB_TOKEN: ghp_…`,
                // `authorization: Bearer eyJ…`) is reported as what it is.
                // One scan serves both the check and the findings.
                if matches!(entity, Entity::Password | Entity::GenericSecret)
                    && s.len() >= MIN_FINDING_LEN
                {
                    let redactor = self.redactor;
                    redactor.detector.hits_into(
                        s.as_bytes(),
                        ScanContext::default(),
                        &mut self.scratch,
                    );
                    if self
                        .scratch
                        .raw
                        .iter()
                        .any(|(h, _)| specific_secret(h.entity))
                    {
                        return self.emit_hits(s);
                    }
                }
                // A stand-in or a secret's name under a secret-named key (`"token":
                // "${GITHUB_TOKEN}"`, `"password": "changeme"`, `"secret": "db-password"`) is
                // no secret: read as text, as `token=${GITHUB_TOKEN}` is (`detect::stand_in`,
                // one test for both; the scan above is the text's). A documentation
                // placeholder stays a placeholder finding (`whole`). Nineteenth round, task G.
                // (A template in angle brackets, `<your-token>`, `<<paste here>>`, is read as
                // text even where it reads as a placeholder: `evidence_r27n::angle_template`.)
                // (`REPLACE_WITH_YOUR_KEY`, `REPLACE_ME`: an instruction standing in for the
                // value, read as text too, placeholder or not: `detect::evidence_r36c`.)
                if matches!(entity, Entity::Password | Entity::GenericSecret)
                    && ((super::detect::stand_in(s.as_bytes())
                        && !super::validate::secret_placeholder(s.as_bytes()))
                        || super::detect::evidence_r27n::angle_template(s.as_bytes())
                        || (entity == Entity::GenericSecret
                            && super::detect::evidence_r36c::replace_instruction(s.as_bytes())))
                {
                    return if s.len() >= MIN_FINDING_LEN {
                        self.emit_hits(s)
                    } else {
                        None
                    };
                }
                let entity =
                    super::detect::evidence_r23p::password_entity(entity, s.as_bytes(), |e| {
                        self.redactor.enabled(e)
                    });
                let entity =
                    super::detect::evidence_r26n::whole_entity(entity, s.as_bytes(), |e| {
                        self.redactor.enabled(e)
                    });
                return self.whole(entity, s);
            }
            if !meaningful {
                return None;
            }
        }
        if key == KeyClass::SecretExample {
            return self.secret_example(s);
        }
        if key == KeyClass::ShapedSecret
            && self.redactor.enabled(Entity::GenericSecret)
            && self.redactor.detector.secret_shaped(s.as_bytes())
        {
            return self.whole(Entity::GenericSecret, s);
        }
        if key == KeyClass::TaxId && self.redactor.enabled(Entity::UsSsn) && tax_id_ssn(s.trim()) {
            return self.whole(Entity::UsSsn, s);
        }
        if key == KeyClass::Party && self.redactor.enabled(Entity::Phone) {
            return self.party(s);
        }
        self.scan_string(s, key)
    }

    /// A value under a message's endpoint key (`KeyClass::Party`): a bare run of digits that
    /// is a phone (`validate::party_number_ok`) is one; a formatted number (`"to": "078 122 89
    /// 78"`, `evidence_r40n::party_formatted`) is scanned as under a phone key and kept when
    /// the scan finds one phone that is the whole value; anything else is scanned as any
    /// value of the key. (Out of line: few members are an endpoint's; fortieth round, task
    /// ph.)
    #[cold]
    #[inline(never)]
    fn party(&mut self, s: &str) -> Option<Leaf> {
        if super::validate::party_number_ok(s.as_bytes()) {
            return self.whole(Entity::Phone, s);
        }
        if !crate::redact::detect::evidence_r40n::party_formatted(s.as_bytes()) {
            return self.scan_string(s, KeyClass::Party);
        }
        let ctx = ScanContext {
            phone_key: true,
            ..ScanContext::default()
        };
        let redactor = self.redactor;
        redactor
            .detector
            .hits_into(s.as_bytes(), ctx, &mut self.scratch);
        let whole = matches!(
            self.scratch.raw.as_slice(),
            [(h, _)] if h.entity == Entity::Phone && h.start == 0 && h.end == s.len()
        );
        if whole {
            return self.emit_hits(s);
        }
        self.scan_string(s, KeyClass::Party)
    }

    /// A secret-named schema property's example (`KeyClass::SecretExample`,
    /// `detect::evidence_r36c`): a documentation placeholder is reported as one (a
    /// GENERIC_SECRET placeholder, as under the secret's own name), unless the scan finds a
    /// vendor's key in it (reported as what it is); anything else is read as text.
    #[cold]
    #[inline(never)]
    fn secret_example(&mut self, s: &str) -> Option<Leaf> {
        if s.len() < MIN_FINDING_LEN {
            return None;
        }
        let redactor = self.redactor;
        redactor
            .detector
            .hits_into(s.as_bytes(), ScanContext::default(), &mut self.scratch);
        let placeholder = redactor.enabled(Entity::GenericSecret)
            && !is_mask(s)
            && !is_sentinel(s)
            && super::validate::secret_placeholder(s.as_bytes())
            && !self
                .scratch
                .raw
                .iter()
                .any(|(h, _)| specific_secret(h.entity));
        if placeholder {
            return self.whole(Entity::GenericSecret, s);
        }
        self.emit_hits(s)
    }

    fn scan_string(&mut self, s: &str, key: KeyClass) -> Option<Leaf> {
        if s.len() < MIN_FINDING_LEN {
            return None;
        }
        let ctx = ScanContext {
            phone_key: key == KeyClass::Phone,
            card_key: key == KeyClass::Card,
            ident_key: matches!(key, KeyClass::Ident | KeyClass::TaxId | KeyClass::MessageId),
        };
        let redactor = self.redactor;
        redactor
            .detector
            .hits_into(s.as_bytes(), ctx, &mut self.scratch);
        if key == KeyClass::MessageId {
            // A message's id filling its member is no address (`KeyClass::MessageId`).
            self.scratch
                .raw
                .retain(|(h, _)| !(h.entity == Entity::Email && whole_value(s, h.start, h.end)));
        }
        self.emit_hits(s)
    }

    /// Findings for the hits of the last scan of `s` (in `self.scratch`), and the edit.
    fn emit_hits(&mut self, s: &str) -> Option<Leaf> {
        let redactor = self.redactor;
        let first = self.findings.len();
        let mut pointer = match self.scratch.raw.is_empty() {
            true => String::new(),
            false => self.pointer(),
        };
        let last = self.scratch.raw.len().saturating_sub(1);
        for (i, (hit, _)) in self.scratch.raw.iter().enumerate() {
            self.findings.push(Finding {
                entity: hit.entity,
                pointer: Some(match i == last {
                    true => std::mem::take(&mut pointer),
                    false => pointer.clone(),
                }),
                start: Some(hit.start),
                end: Some(hit.end),
                action: redactor.resolve_hit(hit, self.plan),
                key: false,
                placeholder: hit.placeholder,
            });
        }
        if self.plan.is_none() || self.findings.len() == first {
            return None;
        }
        let new = &self.findings[first..];
        if new.iter().any(|f| f.action == Action::Drop) {
            return Some(Leaf::Drop);
        }
        self.rendered.clear();
        super::apply_spans_into(&mut self.rendered, s, new, self.redactor.hasher.as_ref())
            .then_some(Leaf::Rendered)
    }
}

/// Whether `s[start..end]` is all of `s` but blanks and a pair of angle brackets around it.
fn whole_value(s: &str, start: usize, end: usize) -> bool {
    match (s.get(..start), s.get(end..)) {
        (Some(before), Some(after)) => {
            let (before, after) = (before.trim_start(), after.trim_end());
            (before.is_empty() && after.is_empty()) || (before == "<" && after == ">")
        }
        _ => false,
    }
}

/// A tax or national id's value that is a US SSN: nine digits, bare or as `ddd-dd-dddd` /
/// `ddd dd dddd`, valid by the SSN rules (`"tin": "623611393"`).
fn tax_id_ssn(t: &str) -> bool {
    let b = t.as_bytes();
    let digits: Vec<u8> = match b.len() {
        9 => b.to_vec(),
        11 if matches!(b[3], b'-' | b' ') && b[6] == b[3] => [&b[..3], &b[4..6], &b[7..]].concat(),
        _ => return false,
    };
    digits.iter().all(u8::is_ascii_digit) && super::validate::ssn_digits_ok(&digits)
}

/// A secret more specific than PASSWORD / GENERIC_SECRET (reported as what it is even under
/// a secret-named key).
fn specific_secret(e: Entity) -> bool {
    e.is_secret() && !matches!(e, Entity::Password | Entity::GenericSecret)
}

/// Nothing the detectors find is shorter than 6 bytes (`a@b.io`, `1.1.1.1`).
const MIN_FINDING_LEN: usize = 6;

/// Applies the edits of a walk to the value it walked (a second walk in the same order,
/// counting nodes). A dropped root becomes `null`.
pub(crate) fn apply_edits(value: &mut Value, edits: Vec<(usize, Edit)>) {
    let mut edits = edits.into_iter().peekable();
    let mut nodes = 0usize;
    if apply(value, &mut edits, &mut nodes) {
        *value = Value::Null;
    }
}

fn apply(
    v: &mut Value,
    edits: &mut std::iter::Peekable<std::vec::IntoIter<(usize, Edit)>>,
    nodes: &mut usize,
) -> bool {
    let Some((next, _)) = edits.peek() else {
        return false;
    };
    let id = *nodes;
    *nodes += 1;
    let mine = if *next == id {
        edits.next().map(|(_, e)| e)
    } else {
        None
    };
    match v {
        Value::String(_) | Value::Number(_) => match mine {
            Some(Edit::Replace(nv)) => *v = nv,
            Some(Edit::Drop) => return true,
            _ => {}
        },
        Value::Object(m) => {
            m.retain(|_, child| !apply(child, edits, nodes));
            if let Some(Edit::Keys(renames)) = mine {
                // Take every renamed member out first: a new name may be another's old one.
                let moved: Vec<(Option<String>, Value)> = renames
                    .into_iter()
                    .filter_map(|(old, new)| m.remove(&old).map(|v| (new, v)))
                    .collect();
                for (new, v) in moved {
                    if let Some(n) = new {
                        m.insert(n, v);
                    }
                }
            }
        }
        Value::Array(a) => {
            for child in a.iter_mut() {
                if apply(child, edits, nodes) {
                    *child = Value::Null;
                }
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
    false
}

/// Already a mask of ours (`[PASSWORD]`, `[EMAIL:…]`): don't report it again.
/// A value standing for "no secret here" under a secret-named key (`old_password:
/// "(rotated)"`, `"n/a"`, `"********"`, `"none"`, `"-"`): a word in parentheses, a mask of
/// `*`/`x`/`•`, or one of the usual null words.
fn is_sentinel(s: &str) -> bool {
    let t = s.trim();
    if t.len() > 16 {
        return false;
    }
    let paren = t.len() > 2
        && t.starts_with('(')
        && t.ends_with(')')
        && t[1..t.len() - 1]
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b' ');
    paren
        || t.chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '\u{2022}' | '-' | '.'))
        || [
            "n/a", "na", "none", "null", "nil", "unset", "redacted", "rotated", "empty",
        ]
        .iter()
        .any(|w| t.eq_ignore_ascii_case(w))
}

/// Where a secret is kept, or what it was encrypted to, not the secret: a file URI
/// (`"app_private_key": "file://keys/app.pem"`), a 1Password secret reference
/// (`op://vault/item/field`), a SOPS-encrypted value (`ENC[AES256_GCM,data:…]`: ciphertext,
/// which SOPS writes to be committed).
fn secret_reference(s: &str) -> bool {
    let t = s.trim_start().as_bytes();
    let starts = |p: &[u8]| t.len() > p.len() && t[..p.len()].eq_ignore_ascii_case(p);
    starts(b"file://")
        || starts(b"op://")
        || t.starts_with(b"ENC[AES256_GCM")
        // A Stripe publishable key (`pk_live_…`, `pk_test_…`): public, no secret
        // (`detect::evidence_r36g`).
        || super::detect::evidence_r36g::publishable_key(t)
}

fn is_mask(s: &str) -> bool {
    s.starts_with('[') && s.ends_with(']') && s[1..].starts_with(|c: char| c.is_ascii_uppercase())
}

#[cfg(test)]
mod tests;

#[cfg(test)]
thread_local! {
    /// Tests: the walk looks at each candidate date's bytes as it notes it
    /// (`RecordDates::member`, as before the sixteenth round), the reference `note` is held to.
    static EAGER_RECORD_DATES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(test)]
thread_local! {
    /// Tests: the walk searches each leaf for its trigger candidates alone
    /// (`Detector::trigger_candidates`, as before the twenty-second round), the reference
    /// `Walk::document`'s joined search is held to.
    static PER_LEAF_TRIGGERS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(test)]
fn per_leaf_triggers() -> bool {
    PER_LEAF_TRIGGERS.with(std::cell::Cell::get)
}

#[cfg(not(test))]
#[inline(always)]
fn per_leaf_triggers() -> bool {
    false
}

#[cfg(test)]
thread_local! {
    /// Tests: every object works out its object members' labels (`own_labelled`) whether or
    /// not a member holds an answer (as before the twenty-second round), the reference
    /// `Walk::object`'s labels left to the members' own passes are held to.
    static EAGER_LABELS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

#[cfg(test)]
fn eager_labels() -> bool {
    EAGER_LABELS.with(std::cell::Cell::get)
}

#[cfg(not(test))]
#[inline(always)]
fn eager_labels() -> bool {
    false
}

#[cfg(test)]
fn eager_record_dates() -> bool {
    EAGER_RECORD_DATES.with(std::cell::Cell::get)
}

#[cfg(not(test))]
#[inline(always)]
fn eager_record_dates() -> bool {
    false
}

/// The columns of an array of arrays whose first row is a header naming birth-date or
/// phone columns (`[["name", "dob", "Phone"], ["Jane", "1984-03-02", "32 68 14 78"]]`, a
/// sheet's `values`), as bits (`detect::header_cell_bits`: birth-date columns in the low 64,
/// phone columns in the high 64); 0 when the first element is no such header (a header
/// holding an array or an object is none). `stream` reads the same from the raw bytes.
fn birth_columns(items: &[Value]) -> u128 {
    let Some(Value::Array(head)) = items.first() else {
        return 0;
    };
    let mut cols = 0u128;
    for (j, cell) in head.iter().enumerate() {
        match cell {
            Value::Array(_) | Value::Object(_) => return 0,
            Value::String(s) => cols |= crate::redact::detect::header_cell_bits(s, j),
            _ => {}
        }
    }
    cols
}

/// The class of cell `j` of a row under a header with the columns `birth_cols`
/// (`birth_columns`): a birth-date column's cell is a DATE_OF_BIRTH, a phone column's is
/// read as under a phone key.
pub(crate) fn birth_cell_class(birth_cols: u128, j: usize, key: KeyClass) -> KeyClass {
    if j >= 64 {
        key
    } else if birth_cols >> j & 1 == 1 && birth_cols >> (64 + j) & 1 == 1 {
        // Both bits: an identifier's column (`header_cell_bits`).
        KeyClass::Ident
    } else if birth_cols >> j & 1 == 1 {
        KeyClass::Whole(Entity::DateOfBirth)
    } else if birth_cols >> (64 + j) & 1 == 1 {
        KeyClass::Phone
    } else {
        key
    }
}

/// A JSON object as a person's record (nineteenth round, `detect::records`): whether a
/// member's string holds the person's PII (an e-mail address, a phone, an SSN, a card, an
/// IBAN found in it), and the members that may then be birth dates by their shape (`T`
/// says where each is; `Detector::record_date_member` judges them once the object is
/// walked: a date as a whole, a plausible age, no event's word in the key). The `Value`
/// walk reads them; the raw pass hands such an object to it.
pub(crate) struct RecordDates {
    personal: bool,
    /// Where this object's run starts in the shared list.
    base: usize,
}

impl RecordDates {
    /// An object whose candidates go to `list` (the walk's `record_dates`) after its end.
    pub(crate) fn new<T>(list: &[T]) -> Self {
        RecordDates {
            personal: false,
            base: list.len(),
        }
    }

    /// Notes a string member `s` of class `class` at `at`, given the findings its walk made:
    /// a cheap look at its bytes (6 or more, a year of a plausible age or an escape) only —
    /// the raw pass's escaped bytes pass it wherever the decoded string does, so both note
    /// what the judge needs.
    pub(crate) fn member<T>(
        &mut self,
        list: &mut Vec<T>,
        found: &[Finding],
        at: T,
        s: &[u8],
        class: KeyClass,
    ) {
        if self.personal_or_candidate(found, s, class) && super::detect::may_hold_birth_year(s) {
            list.push(at);
        }
    }

    /// [`RecordDates::member`] without the look at the bytes: the `Value` walk notes every
    /// candidate by its length and class, and looks (`may_hold_birth_year`) only at the
    /// candidates of a record that turns out to be a person's (`Walk::record_dates`), where
    /// `member` looked at every plain string of every object. The same candidates reach the
    /// judge (the look is a filter that depends on the string alone), so the same dates are
    /// found; most objects hold no PII and their strings are never looked at. On the 1 KB
    /// bench call `member` was 9.8k instructions per call (`may_hold_birth_year` splits a
    /// string at every non-digit: ~300 runs per call), ~3.8 % of the whole call (sixteenth
    /// round, docs/performance.md).
    pub(crate) fn note<T>(
        &mut self,
        list: &mut Vec<T>,
        found: &[Finding],
        at: T,
        s: &[u8],
        class: KeyClass,
    ) {
        if self.personal_or_candidate(found, s, class) {
            list.push(at);
        }
    }

    /// Notes whether `found` makes the record a person's; true for a candidate date (no
    /// finding, a plain member, 6 bytes or more) whose bytes are still to be looked at.
    fn personal_or_candidate(&mut self, found: &[Finding], s: &[u8], class: KeyClass) -> bool {
        if found
            .iter()
            .any(|f| super::detect::personal_entity(f.entity))
        {
            self.personal = true;
            false
        } else {
            found.is_empty() && class == KeyClass::Plain && s.len() >= 6
        }
    }

    /// This object's candidates in `list`, when the record holds PII and has any (`None`
    /// most of the time); [`RecordDates::end`] takes them off after.
    pub(crate) fn candidates<'a, T>(&self, list: &'a [T]) -> Option<&'a [T]> {
        list.get(self.base..)
            .filter(|dates| self.personal && !dates.is_empty())
    }

    /// This object's candidates taken off `list` (those of the objects around it stay).
    pub(crate) fn end<T>(self, list: &mut Vec<T>) {
        list.truncate(self.base);
    }

    /// This object's candidates, taken off `list`, when the record holds PII and has any
    /// (`None` most of the time: then nothing is allocated).
    pub(crate) fn take<T>(self, list: &mut Vec<T>) -> Option<Vec<T>> {
        let base = self.base.min(list.len());
        if self.personal && list.len() > base {
            Some(list.split_off(base))
        } else {
            list.truncate(base);
            None
        }
    }
}
