//! The typed `decision` and `outcome` records of a call: structs the request path fills by
//! moving the call's parts in (no map of owned keys, no insert per field), written by the
//! writer thread straight as canonical JSON, their members in the order RFC 8785 gives them
//! (fixed at compile time; `KEYS` in the tests holds it to `utf16_cmp`) with the writer's
//! `kind`, `prev`, `seq` and `ts` merged at their places. Nested documents (`input`, `request`,
//! `policy.result`, …) go through the canonical writer. The proxy writes them on the request
//! thread as a [`Prebuilt`] line (the head members spliced in by the writer thread); the writer
//! writes a typed record itself only when the line cannot hold it (a number beyond ±2^53).
//!
//! The bytes are exactly those of the `serde_json::Map` the request path built before (the
//! record's [`to_map`](DecisionBody::to_map), canonicalised with its head): a record holding a
//! number the audit format cannot hold (an integer beyond ±2^53) is written through that map,
//! with `big_numbers` ([`normalize_numbers`]), the rare path. The tests in
//! `src/stage/audit.rs` compare both over generated calls.

use serde_json::{json, Map, Number, Value};

use super::canonical::{
    canonicalize_record, hex_bytes, write_head_value, write_object_strict_with, write_string,
    write_value_strict, Hash, RecordHead, MAX_SAFE_INTEGER,
};
use super::record::normalize_numbers;
use super::{AuditError, InvalidRecord, Kind};
use crate::policy::Known;

/// The body of a caller record as handed to the writer: a map (events, tests, tools), or a
/// call's typed record.
#[derive(Debug)]
pub enum Body {
    /// Any record, as a map of its members.
    Map(Map<String, Value>),
    /// A call's `decision` record.
    Decision(Box<DecisionBody>),
    /// A call's `outcome` record.
    Outcome(Box<OutcomeBody>),
    /// A call's record already written as canonical bytes on the request thread
    /// ([`Prebuilt`]): the writer splices in its head members.
    Prebuilt(Prebuilt),
}

impl Body {
    /// The record as a map (the minimal replacement record reads its identifying fields).
    pub fn to_map(&self) -> Map<String, Value> {
        match self {
            Body::Map(m) => m.clone(),
            Body::Decision(d) => d.to_map(),
            Body::Outcome(o) => o.to_map(),
            Body::Prebuilt(p) => p.to_map(),
        }
    }
}

/// A call's `decision` or `outcome` record written as its canonical line on the request
/// thread, where its parts are hot and are freed where they were allocated: the writer thread
/// gets one buffer (one block to free), splices in `kind`, `prev`, `seq` and `ts` at their
/// places and hashes the line. The bytes are those the writer would write from the typed
/// record ([`DecisionBody`], [`OutcomeBody`]); a record that cannot be written this way (a
/// number beyond ±2^53: the `big_numbers` path) is handed over typed instead.
#[derive(Debug)]
pub struct Prebuilt {
    /// The canonical line without the head members.
    line: Vec<u8>,
    /// Where `,"kind":…`, `,"prev":…`, `,"seq":…` and `,"ts":…` go (ascending: their
    /// canonical order; never at the start, as both records' first member is not a head's).
    /// (`u32`: the hand-over message stays small; a longer line goes typed.)
    at: [u32; 4],
}

/// How many bytes a decision record's line takes without its head (the bench call's is
/// ~2.2 KB): room reserved once.
const DECISION_ROOM: usize = 2560;
const OUTCOME_ROOM: usize = 320;

impl Prebuilt {
    /// The decision record's canonical line, or `None` when it holds a number the format
    /// cannot hold (or anything else the typed writer refuses): then the record goes to the
    /// writer typed, which writes it as before.
    pub fn decision(d: &DecisionBody) -> Option<Prebuilt> {
        Self::build(DECISION_ROOM, |head, out| d.write_typed(head, out))
    }

    /// The outcome record's canonical line (`None` as for [`Self::decision`]).
    pub fn outcome(o: &OutcomeBody) -> Option<Prebuilt> {
        Self::build(OUTCOME_ROOM, |head, out| o.write_typed(head, out))
    }

    fn build(
        room: usize,
        write: impl FnOnce(&mut Head<'_, '_>, &mut Vec<u8>) -> R,
    ) -> Option<Self> {
        let mut line = line_buffer(room);
        let mut marks = [0usize; 4];
        write(&mut Head::Mark(&mut marks), &mut line).ok()?;
        // (the head members are never first: each record starts with a member of its own)
        debug_assert!(marks.iter().all(|&a| a > 1) && marks.windows(2).all(|w| w[0] <= w[1]));
        u32::try_from(line.len()).ok()?;
        let at = marks.map(|a| a as u32);
        Some(Prebuilt { line, at })
    }

    /// The line with `head` spliced in.
    fn write_line(&self, head: &RecordHead<'_>, out: &mut Vec<u8>) -> R {
        out.reserve(self.line.len() + 160);
        let mut from = 0;
        for (which, &at) in self.at.iter().enumerate() {
            let at = at as usize;
            let part = self.line.get(from..at).ok_or_else(unsafe_integer)?;
            out.extend_from_slice(part);
            out.extend_from_slice(HEAD_KEYS[which]);
            write_head_value(which, head, out)?;
            from = at;
        }
        out.extend_from_slice(self.line.get(from..).unwrap_or_default());
        Ok(())
    }

    /// The record as a map (the minimal replacement record reads its identifying fields):
    /// the line read back (it is a JSON object without its head members).
    pub fn to_map(&self) -> Map<String, Value> {
        serde_json::from_slice(&self.line).unwrap_or_default()
    }

    /// The line's buffer, once written: the writer hands it back to the request thread
    /// ([`give_back_lines`]).
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.line
    }
}

/// Most line buffers a thread keeps for its next records, and the most room one may have.
const MAX_SPARE_LINES: usize = 256;
const MAX_SPARE_LINE: usize = 16 << 10;

thread_local! {
    /// Line buffers the writer handed back, for this thread's next [`Prebuilt`] records.
    static SPARE_LINES: std::cell::RefCell<Vec<Vec<u8>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An empty buffer with room for `room` bytes: one handed back, else a new one.
fn line_buffer(room: usize) -> Vec<u8> {
    let mut line = SPARE_LINES
        .with(|s| s.borrow_mut().pop())
        .unwrap_or_default();
    line.reserve(room);
    line
}

/// Keep `lines` (written records' buffers, emptied) for this thread's next records: a
/// [`Prebuilt`] line is allocated on the request thread and written by the writer thread,
/// which hands the buffers back with the batch's acknowledgements instead of freeing them
/// there (a free from another thread, two a call; docs/performance.md "Fourteenth round").
/// At most [`MAX_SPARE_LINES`] are kept, none above [`MAX_SPARE_LINE`] bytes.
pub(crate) fn give_back_lines(lines: &mut Vec<Vec<u8>>) {
    SPARE_LINES.with(|s| {
        let mut spare = s.borrow_mut();
        for mut line in lines.drain(..) {
            if spare.len() < MAX_SPARE_LINES && line.capacity() <= MAX_SPARE_LINE {
                line.clear();
                spare.push(line);
            }
        }
    });
}

/// How many line buffers this thread keeps (tests).
#[cfg(test)]
pub(crate) fn spare_lines() -> usize {
    SPARE_LINES.with(|s| s.borrow().len())
}

/// `,"kind":` … as spliced into a [`Prebuilt`] line.
const HEAD_KEYS: [&[u8]; 4] = [b",\"kind\":", b",\"prev\":", b",\"seq\":", b",\"ts\":"];

/// Where the head members go: written (the writer thread), or their places marked (the
/// request thread, [`Prebuilt`]).
enum Head<'h, 'a> {
    Write(&'h RecordHead<'a>),
    Mark(&'h mut [usize; 4]),
}

/// What the writer thread completed a decision record's arguments with
/// ([`super::sink::ArgsWork`]): `input_hmac` and what `audit.args` keeps.
#[derive(Debug, Clone)]
pub struct ArgsDone {
    /// HMAC-SHA256 of the exact canonical arguments.
    pub input_hmac: Hash,
    /// What the record keeps of the arguments.
    pub kept: ArgsKept,
    /// The arguments themselves when `kept` is not them (masked, hashed, sealed or left out):
    /// read by nothing, so the request path may keep the tree as the next parse's spare
    /// (`stage::args::give_back_tree`). Never written.
    pub spare: Option<Value>,
}

/// The record's argument member.
#[derive(Debug, Clone)]
pub enum ArgsKept {
    /// `audit.args: none`: nothing.
    Nothing,
    /// `args`.
    Args(Value),
    /// `args`: the arguments as sent, with their canonical bytes (computed for `input_hmac`;
    /// the same as the record's when no number in them is beyond ±2^53, which `canonical`
    /// being `Some` says).
    AsSent {
        /// The arguments.
        value: Value,
        /// Their canonical bytes, when they hold no integer beyond ±2^53.
        canonical: Option<bytes::Bytes>,
    },
    /// `args_sealed`.
    Sealed(String),
    /// `args_sealed_error`.
    SealedError(String),
}

impl ArgsDone {
    /// The arguments' tree, taken: [`ArgsDone::spare`], or the record's `args` when they are the
    /// arguments as sent (once the record's line is written: nothing reads them afterwards).
    pub fn take_tree(&mut self) -> Option<Value> {
        match &mut self.kept {
            ArgsKept::AsSent { value, .. } if self.spare.is_none() => Some(value.take()),
            _ => self.spare.take(),
        }
    }

    pub(crate) fn insert_into(&self, r: &mut Map<String, Value>) {
        r.insert(
            "input_hmac".into(),
            Value::String(hex_string(&self.input_hmac)),
        );
        match &self.kept {
            ArgsKept::Nothing => {}
            ArgsKept::Args(v) | ArgsKept::AsSent { value: v, .. } => {
                r.insert("args".into(), v.clone());
            }
            ArgsKept::Sealed(s) => {
                r.insert("args_sealed".into(), Value::String(s.clone()));
            }
            ArgsKept::SealedError(s) => {
                r.insert("args_sealed_error".into(), Value::String(s.clone()));
            }
        }
    }
}

fn hex_string(h: &Hash) -> String {
    String::from_utf8_lossy(&hex_bytes(h)).into_owned()
}

/// A call's `decision` record (see `src/stage/audit.rs` for what each member means).
#[derive(Debug, Default, Clone)]
pub struct DecisionBody {
    pub decision_id: String,
    pub trace_id: String,
    pub run_id: Option<String>,
    pub agent: Option<String>,
    pub tenant_id: Option<String>,
    pub workflow: Option<String>,
    pub principal_source: Option<&'static str>,
    pub adapter: Option<String>,
    pub tool: Option<String>,
    pub schema: Option<String>,
    /// `request` (`null` when unset).
    pub request: Option<Value>,
    pub config_version: String,
    pub mode: &'static str,
    pub dry_run: bool,
    /// `approvals`: this one, or `[]`.
    pub approval: Option<Value>,
    pub redactions: Vec<Value>,
    pub mcp: Option<Value>,
    pub grpc: Option<Value>,
    /// `idempotency`, and `idempotent_replay: true` when its `replay` is true.
    pub idempotency: Option<Value>,
    pub decision: &'static str,
    pub status: Option<u16>,
    pub reason: Option<&'static str>,
    pub reasons: Vec<String>,
    pub shadow_would_refuse: Option<Vec<String>>,
    pub policy_version: String,
    pub policy_digest: String,
    pub policy_result: Option<Value>,
    /// The policy input without its `args` (absent with `audit.args: none`).
    pub input: Option<Value>,
    /// The shared parts `input` was built with: their canonical bytes are copied, not written
    /// again (`crate::policy::Known`).
    pub input_known: Known,
    pub latency_us: u64,
    /// Completed by the writer thread.
    pub args: Option<ArgsDone>,
}

/// A call's `outcome` record.
#[derive(Debug, Default)]
pub struct OutcomeBody {
    pub decision_id: String,
    pub tool: Option<String>,
    pub status: u16,
    pub dry_run: bool,
    pub error: Option<&'static str>,
    pub violations: Option<Value>,
    pub mcp: Option<Value>,
    pub grpc: Option<Value>,
    pub idempotency: Option<Value>,
    pub upstream_latency_us: Option<u64>,
    pub cost_usd: f64,
    pub latency_us: u64,
}

/// The members of a decision record's line that [`Written`] remembers.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// `input.request` (the audit's masked view: method, host, template, headers).
    InputRequest,
    /// `input.pii`.
    InputPii,
    /// `input.usage`.
    InputUsage,
    /// The record's `request` (`{method, host, path}`).
    Request,
    /// `policy.result`.
    PolicyResult,
    /// `redactions` (as an array).
    Redactions,
}

const SLOTS: usize = 6;

/// The largest canonical form [`Written`] keeps.
const WRITTEN_MAX: usize = 4096;

/// The canonical bytes of the decision line's nested values that repeat from call to call
/// (the client's request view, `pii`, `usage`, the policy's result, the redactions: the same
/// for every call of an agent's tool), per thread: the last value written in each [`Slot`]
/// with its bytes. A value equal to the remembered one (compared in full: `Value`'s `==`, a
/// few instructions per string against ~100–130 to scan and copy it) is copied as those bytes
/// — a pure function of the value, so the line is the same either way (pinned by
/// `src/stage/audit.rs`'s tests over generated calls). Bounded: one value per slot, none
/// whose bytes exceed [`WRITTEN_MAX`]; emptied when the configuration or the policy changes
/// (a reload: `config_version`, `policy_digest`), so nothing of an old configuration stays
/// held past the next call. docs/performance.md, "Fifteenth round".
#[derive(Default)]
pub(crate) struct Written {
    config_version: String,
    policy_digest: String,
    slots: [Option<(Value, Vec<u8>)>; SLOTS],
}

impl Written {
    /// Empties the slots unless they were filled under this configuration and policy.
    fn under(&mut self, config_version: &str, policy_digest: &str) {
        if self.config_version != config_version || self.policy_digest != policy_digest {
            self.slots = Default::default();
            config_version.clone_into(&mut self.config_version);
            policy_digest.clone_into(&mut self.policy_digest);
        }
    }

    /// `v`'s canonical bytes: copied when `slot` remembers `v`, else written and remembered.
    fn write(&mut self, slot: Slot, v: &Value, out: &mut Vec<u8>) -> R {
        let slot = &mut self.slots[slot as usize];
        if let Some((seen, bytes)) = slot {
            if seen == v {
                out.extend_from_slice(bytes);
                return Ok(());
            }
        }
        let start = out.len();
        write_value_strict(v, out)?;
        let bytes = out.get(start..).unwrap_or_default();
        *slot = (bytes.len() <= WRITTEN_MAX).then(|| (v.clone(), bytes.to_vec()));
        Ok(())
    }

    /// `[item, …]` of `items` ([`Self::write`], the slot holding them as an array).
    fn write_items(&mut self, slot: Slot, items: &[Value], out: &mut Vec<u8>) -> R {
        let held = &mut self.slots[slot as usize];
        if let Some((Value::Array(seen), bytes)) = held {
            if seen.as_slice() == items {
                out.extend_from_slice(bytes);
                return Ok(());
            }
        }
        let start = out.len();
        write_array(items, out, write_value_strict)?;
        let bytes = out.get(start..).unwrap_or_default();
        *held =
            (bytes.len() <= WRITTEN_MAX).then(|| (Value::Array(items.to_vec()), bytes.to_vec()));
        Ok(())
    }

    /// How many slots hold a value (tests).
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

thread_local! {
    static WRITTEN: std::cell::RefCell<Written> = std::cell::RefCell::new(Written::default());
}

/// This thread's [`Written`] (tests).
#[cfg(test)]
pub(crate) fn written_held() -> usize {
    WRITTEN.with(|w| w.borrow().held())
}

/// Head members, as indexes for [`write_head_value`].
const KIND: usize = 0;
const PREV: usize = 1;
const SEQ: usize = 2;
const TS: usize = 3;

/// Writes the members of one object in the order they are given (the caller gives them
/// sorted).
struct Members<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

type R = Result<(), AuditError>;

fn unsafe_integer() -> AuditError {
    AuditError::Invalid(InvalidRecord::UnsafeInteger(String::new()))
}

/// `[item, …]`, each item written by `write`.
fn write_array<T>(items: &[T], out: &mut Vec<u8>, write: impl Fn(&T, &mut Vec<u8>) -> R) -> R {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(item, out)?;
    }
    out.push(b']');
    Ok(())
}

/// `,"key":` for [`Members::key`]: the member's separator and quoted name as one slice
/// (`key` is a plain ASCII name: nothing to escape).
macro_rules! q {
    ($k:literal) => {
        concat!(",\"", $k, "\":").as_bytes()
    };
}

impl<'a> Members<'a> {
    fn open(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Members { out, first: true }
    }

    /// `"key":` from `,"key":` ([`q!`]), the comma left out before the first member: one
    /// copy of a slice built at compile time (was a `reserve`, two pushes and two copies per
    /// key: docs/performance.md, "Fifteenth round").
    #[inline]
    fn key(&mut self, quoted: &'static [u8]) -> &mut Vec<u8> {
        let from = usize::from(self.first);
        self.first = false;
        self.out
            .extend_from_slice(quoted.get(from..).unwrap_or_default());
        self.out
    }

    fn head(&mut self, key: &'static [u8], which: usize, head: &mut Head<'_, '_>) -> R {
        match head {
            Head::Write(head) => {
                let out = self.key(key);
                write_head_value(which, head, out)
            }
            Head::Mark(at) => {
                // spliced in later as `,"key":value` (the next member writes its own comma)
                debug_assert!(!self.first);
                at[which] = self.out.len();
                Ok(())
            }
        }
    }

    fn str(&mut self, key: &'static [u8], v: &str) -> R {
        let out = self.key(key);
        write_string(v, out)
    }

    fn opt_str(&mut self, key: &'static [u8], v: Option<&str>) -> R {
        let out = self.key(key);
        match v {
            Some(s) => write_string(s, out),
            None => {
                out.extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    fn value(&mut self, key: &'static [u8], v: &Value) -> R {
        let out = self.key(key);
        write_value_strict(v, out)
    }

    /// `input`: its shared parts (`principal`, `tool`, `now`) copied from their canonical
    /// bytes, the members that repeat from call to call (`request`, `pii`, `usage`) from
    /// `written`, the rest written (the same bytes as [`Self::value`]; checked in debug
    /// builds).
    fn input(&mut self, v: &Value, known: &Known, written: &mut Written) -> R {
        let out = self.key(q!("input"));
        let Value::Object(map) = v else {
            return write_value_strict(v, out);
        };
        #[cfg(debug_assertions)]
        let start = out.len();
        write_object_strict_with(map, out, |k, v, out| {
            if let Some(bytes) = known.part(k).and_then(|p| p.canonical()) {
                out.extend_from_slice(bytes);
                return Ok(true);
            }
            let slot = match k {
                "request" => Slot::InputRequest,
                "pii" => Slot::InputPii,
                "usage" => Slot::InputUsage,
                _ => return Ok(false),
            };
            written.write(slot, v, out).map(|_| true)
        })?;
        #[cfg(debug_assertions)]
        debug_assert_eq!(
            out.get(start..),
            super::canonical::canonicalize_strict(v).ok().as_deref(),
            "the shared parts are the document's"
        );
        Ok(())
    }

    /// [`Self::value`] through `written` (a value that repeats from call to call).
    fn repeated(&mut self, key: &'static [u8], v: &Value, slot: Slot, written: &mut Written) -> R {
        let out = self.key(key);
        written.write(slot, v, out)
    }

    fn opt_value(&mut self, key: &'static [u8], v: Option<&Value>) -> R {
        match v {
            Some(v) => self.value(key, v),
            None => Ok(()),
        }
    }

    fn u64(&mut self, key: &'static [u8], v: u64) -> R {
        if v > MAX_SAFE_INTEGER {
            return Err(unsafe_integer());
        }
        let out = self.key(key);
        out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        Ok(())
    }

    fn opt_u64(&mut self, key: &'static [u8], v: Option<u64>) -> R {
        match v {
            Some(v) => self.u64(key, v),
            None => {
                self.key(key).extend_from_slice(b"null");
                Ok(())
            }
        }
    }

    fn strs(&mut self, key: &'static [u8], v: &[String]) -> R {
        self.list(key, v, |s, out| write_string(s, out))
    }

    fn values(&mut self, key: &'static [u8], v: &[Value]) -> R {
        self.list(key, v, write_value_strict)
    }

    /// `key: [item, …]`, each item written by `write`.
    fn list<T>(&mut self, key: &'static [u8], v: &[T], write: impl Fn(&T, &mut Vec<u8>) -> R) -> R {
        write_array(v, self.key(key), write)
    }

    fn bool_true(&mut self, key: &'static [u8], set: bool) {
        if set {
            self.key(key).extend_from_slice(b"true");
        }
    }

    fn close(self) {
        self.out.push(b'}');
    }
}

fn idempotent_replay(idem: Option<&Value>) -> bool {
    idem.and_then(|i| i.get("replay"))
        .and_then(Value::as_bool)
        .is_some_and(|b| b)
}

/// `json!(f64)`: a finite number, else `null`.
fn f64_value(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

impl DecisionBody {
    /// The canonical line: members in RFC 8785 order (see the tests' `DECISION_KEYS`).
    fn write_typed(&self, head: &mut Head<'_, '_>, out: &mut Vec<u8>) -> R {
        WRITTEN.with(|w| match w.try_borrow_mut() {
            Ok(mut w) => {
                w.under(&self.config_version, &self.policy_digest);
                self.write_with(head, out, &mut w)
            }
            // (never: nothing writes a line while writing one) without the thread's memory
            Err(_) => self.write_with(head, out, &mut Written::default()),
        })
    }

    fn write_with(&self, head: &mut Head<'_, '_>, out: &mut Vec<u8>, w: &mut Written) -> R {
        let mut m = Members::open(out);
        m.opt_str(q!("adapter"), self.adapter.as_deref())?;
        m.opt_str(q!("agent"), self.agent.as_deref())?;
        m.values(q!("approvals"), self.approval.as_slice())?;
        if let Some(done) = &self.args {
            match &done.kept {
                ArgsKept::Nothing => {}
                ArgsKept::Args(v)
                | ArgsKept::AsSent {
                    value: v,
                    canonical: None,
                } => m.value(q!("args"), v)?,
                ArgsKept::AsSent {
                    canonical: Some(bytes),
                    ..
                } => m.key(q!("args")).extend_from_slice(bytes),
                ArgsKept::Sealed(s) => m.str(q!("args_sealed"), s)?,
                ArgsKept::SealedError(s) => m.str(q!("args_sealed_error"), s)?,
            }
        }
        m.str(q!("config_version"), &self.config_version)?;
        m.str(q!("decision"), self.decision)?;
        m.str(q!("decision_id"), &self.decision_id)?;
        m.bool_true(q!("dry_run"), self.dry_run);
        m.opt_value(q!("grpc"), self.grpc.as_ref())?;
        m.opt_value(q!("idempotency"), self.idempotency.as_ref())?;
        m.bool_true(
            q!("idempotent_replay"),
            idempotent_replay(self.idempotency.as_ref()),
        );
        if let Some(input) = &self.input {
            m.input(input, &self.input_known, w)?;
        }
        if let Some(done) = &self.args {
            let out = m.key(q!("input_hmac"));
            out.push(b'"');
            out.extend_from_slice(&hex_bytes(&done.input_hmac));
            out.push(b'"');
        }
        m.head(q!("kind"), KIND, head)?;
        m.u64(q!("latency_us"), self.latency_us)?;
        m.opt_value(q!("mcp"), self.mcp.as_ref())?;
        m.str(q!("mode"), self.mode)?;
        {
            let out = m.key(q!("policy"));
            let mut p = Members::open(out);
            p.str(q!("digest"), &self.policy_digest)?;
            if let Some(result) = &self.policy_result {
                p.repeated(q!("result"), result, Slot::PolicyResult, w)?;
            }
            p.str(q!("version"), &self.policy_version)?;
            p.close();
        }
        m.head(q!("prev"), PREV, head)?;
        m.opt_str(q!("principal_source"), self.principal_source)?;
        m.opt_str(q!("reason"), self.reason)?;
        m.strs(q!("reasons"), &self.reasons)?;
        let out = m.key(q!("redactions"));
        w.write_items(Slot::Redactions, &self.redactions, out)?;
        match &self.request {
            Some(v) => m.repeated(q!("request"), v, Slot::Request, w)?,
            None => m.key(q!("request")).extend_from_slice(b"null"),
        }
        m.opt_str(q!("run_id"), self.run_id.as_deref())?;
        m.opt_str(q!("schema"), self.schema.as_deref())?;
        m.head(q!("seq"), SEQ, head)?;
        if let Some(s) = &self.shadow_would_refuse {
            m.strs(q!("shadow_would_refuse"), s)?;
        }
        m.opt_u64(q!("status"), self.status.map(u64::from))?;
        m.opt_str(q!("tenant_id"), self.tenant_id.as_deref())?;
        m.opt_str(q!("tool"), self.tool.as_deref())?;
        m.str(q!("trace_id"), &self.trace_id)?;
        m.head(q!("ts"), TS, head)?;
        m.opt_str(q!("workflow"), self.workflow.as_deref())?;
        m.close();
        Ok(())
    }

    /// The record as the map the request path built before the typed record (before
    /// `big_numbers`): the rare path's input, and the tests' reference.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut r = Map::new();
        r.insert("decision_id".into(), json!(self.decision_id));
        r.insert("trace_id".into(), json!(self.trace_id));
        r.insert("run_id".into(), json!(self.run_id));
        r.insert("agent".into(), json!(self.agent));
        r.insert("tenant_id".into(), json!(self.tenant_id));
        r.insert("workflow".into(), json!(self.workflow));
        r.insert("principal_source".into(), json!(self.principal_source));
        r.insert("adapter".into(), json!(self.adapter));
        r.insert("tool".into(), json!(self.tool));
        r.insert("schema".into(), json!(self.schema));
        r.insert(
            "request".into(),
            self.request.clone().unwrap_or(Value::Null),
        );
        r.insert("config_version".into(), json!(self.config_version));
        r.insert("mode".into(), json!(self.mode));
        if self.dry_run {
            r.insert("dry_run".into(), json!(true));
        }
        r.insert(
            "approvals".into(),
            Value::Array(self.approval.iter().cloned().collect()),
        );
        r.insert("redactions".into(), Value::Array(self.redactions.clone()));
        if let Some(mcp) = &self.mcp {
            r.insert("mcp".into(), mcp.clone());
        }
        if let Some(grpc) = &self.grpc {
            r.insert("grpc".into(), grpc.clone());
        }
        if let Some(idem) = &self.idempotency {
            if idempotent_replay(Some(idem)) {
                r.insert("idempotent_replay".into(), Value::Bool(true));
            }
            r.insert("idempotency".into(), idem.clone());
        }
        r.insert("decision".into(), json!(self.decision));
        r.insert("status".into(), json!(self.status));
        r.insert("reason".into(), json!(self.reason));
        r.insert("reasons".into(), json!(self.reasons));
        if let Some(s) = &self.shadow_would_refuse {
            r.insert("shadow_would_refuse".into(), json!(s));
        }
        let mut policy = Map::new();
        policy.insert("version".into(), json!(self.policy_version));
        policy.insert("digest".into(), json!(self.policy_digest));
        if let Some(result) = &self.policy_result {
            policy.insert("result".into(), result.clone());
        }
        r.insert("policy".into(), Value::Object(policy));
        if let Some(input) = &self.input {
            r.insert("input".into(), input.clone());
        }
        r.insert("latency_us".into(), json!(self.latency_us));
        if let Some(done) = &self.args {
            done.insert_into(&mut r);
        }
        r
    }
}

impl OutcomeBody {
    /// The canonical line: members in RFC 8785 order (see the tests' `OUTCOME_KEYS`).
    fn write_typed(&self, head: &mut Head<'_, '_>, out: &mut Vec<u8>) -> R {
        let mut m = Members::open(out);
        m.value(q!("cost_usd"), &f64_value(self.cost_usd))?;
        m.str(q!("decision_id"), &self.decision_id)?;
        m.bool_true(q!("dry_run"), self.dry_run);
        if let Some(e) = self.error {
            m.str(q!("error"), e)?;
        }
        m.opt_value(q!("grpc"), self.grpc.as_ref())?;
        m.opt_value(q!("idempotency"), self.idempotency.as_ref())?;
        m.bool_true(
            q!("idempotent_replay"),
            idempotent_replay(self.idempotency.as_ref()),
        );
        m.head(q!("kind"), KIND, head)?;
        m.u64(q!("latency_us"), self.latency_us)?;
        m.opt_value(q!("mcp"), self.mcp.as_ref())?;
        m.head(q!("prev"), PREV, head)?;
        m.head(q!("seq"), SEQ, head)?;
        m.u64(q!("status"), u64::from(self.status))?;
        m.opt_str(q!("tool"), self.tool.as_deref())?;
        m.head(q!("ts"), TS, head)?;
        m.opt_u64(q!("upstream_latency_us"), self.upstream_latency_us)?;
        m.opt_value(q!("violations"), self.violations.as_ref())?;
        m.close();
        Ok(())
    }

    /// The record as the map the request path built before the typed record.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut r = Map::new();
        r.insert("decision_id".into(), json!(self.decision_id));
        r.insert("tool".into(), json!(self.tool));
        r.insert("status".into(), json!(self.status));
        if self.dry_run {
            r.insert("dry_run".into(), json!(true));
        }
        if let Some(e) = self.error {
            r.insert("error".into(), json!(e));
        }
        if let Some(v) = &self.violations {
            r.insert("violations".into(), v.clone());
        }
        if let Some(mcp) = &self.mcp {
            r.insert("mcp".into(), mcp.clone());
        }
        if let Some(grpc) = &self.grpc {
            r.insert("grpc".into(), grpc.clone());
        }
        if let Some(idem) = &self.idempotency {
            if idempotent_replay(Some(idem)) {
                r.insert("idempotent_replay".into(), Value::Bool(true));
            }
            r.insert("idempotency".into(), idem.clone());
        }
        r.insert(
            "upstream_latency_us".into(),
            json!(self.upstream_latency_us),
        );
        r.insert("cost_usd".into(), f64_value(self.cost_usd));
        r.insert("latency_us".into(), json!(self.latency_us));
        r
    }
}

/// A record body the chain writer can write as one canonical line.
pub trait LineBody {
    /// Whether a caller may append it as `kind` (reserved names, event shape).
    fn check(&self, kind: Kind) -> Result<(), AuditError>;
    /// Append the canonical line with `head` merged in; with `strict`, a number beyond ±2^53
    /// is an error (a typed record writes such a record through its map, with `big_numbers`).
    fn write_line(&self, head: &RecordHead<'_>, strict: bool, out: &mut Vec<u8>) -> R;
    /// The pointer of the first number beyond ±2^53 the writer would refuse, if any.
    fn unsafe_pointer(&self) -> Option<String>;
}

impl LineBody for Map<String, Value> {
    fn check(&self, kind: Kind) -> Result<(), AuditError> {
        super::chain::check_caller_record(kind, self)
    }
    fn write_line(&self, head: &RecordHead<'_>, strict: bool, out: &mut Vec<u8>) -> R {
        canonicalize_record(self, head, strict, out)
    }
    fn unsafe_pointer(&self) -> Option<String> {
        super::canonical::find_unsafe_integer_in(self)
    }
}

impl LineBody for Body {
    fn check(&self, kind: Kind) -> Result<(), AuditError> {
        match self {
            Body::Map(m) => m.check(kind),
            Body::Decision(_) | Body::Outcome(_) | Body::Prebuilt(_) if kind.is_call() => Ok(()),
            _ => Err(AuditError::Invalid(InvalidRecord::KindNotAllowed(
                kind.as_str(),
            ))),
        }
    }

    fn write_line(&self, head: &RecordHead<'_>, strict: bool, out: &mut Vec<u8>) -> R {
        let start = out.len();
        let typed = match self {
            Body::Map(m) => return m.write_line(head, strict, out),
            Body::Prebuilt(p) => return p.write_line(head, out),
            Body::Decision(d) => d.write_typed(&mut Head::Write(head), out),
            Body::Outcome(o) => o.write_typed(&mut Head::Write(head), out),
        };
        match typed {
            Err(AuditError::Invalid(InvalidRecord::UnsafeInteger(_))) => {
                // the rare path: numbers the format cannot hold become strings listed in
                // `big_numbers`, exactly as the map path does
                out.truncate(start);
                let mut map = self.to_map();
                normalize_numbers(&mut map);
                canonicalize_record(&map, head, strict, out)
            }
            other => other,
        }
    }

    fn unsafe_pointer(&self) -> Option<String> {
        match self {
            Body::Map(m) => m.unsafe_pointer(),
            // written with `big_numbers` instead
            Body::Decision(_) | Body::Outcome(_) | Body::Prebuilt(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::canonical::utf16_cmp;
    use super::{Slot, Written, WRITTEN_MAX};
    use serde_json::json;

    /// What [`Written`] remembers is emptied when the configuration or the policy changes,
    /// kept otherwise, copied only for an equal value, and bounded.
    #[test]
    fn remembered_values_are_per_configuration_and_bounded() {
        let mut w = Written::default();
        let write = |w: &mut Written, v: &serde_json::Value| {
            let mut out = Vec::new();
            w.write(Slot::PolicyResult, v, &mut out).expect("write");
            out
        };
        let a = json!({"allow": true, "reasons": ["b", "a"]});
        let b = json!({"allow": true, "reasons": ["a", "b"]});
        w.under("c1", "d1");
        assert_eq!(write(&mut w, &a), br#"{"allow":true,"reasons":["b","a"]}"#);
        assert_eq!(w.held(), 1);
        // an equal value: its bytes; another: written, and remembered instead
        assert_eq!(
            write(&mut w, &a.clone()),
            br#"{"allow":true,"reasons":["b","a"]}"#
        );
        assert_eq!(write(&mut w, &b), br#"{"allow":true,"reasons":["a","b"]}"#);
        w.under("c1", "d1");
        assert_eq!(w.held(), 1, "the same configuration keeps them");
        w.under("c2", "d1");
        assert_eq!(w.held(), 0, "a new configuration empties them");
        write(&mut w, &a);
        w.under("c2", "d2");
        assert_eq!(w.held(), 0, "a new policy empties them");
        // too large to keep
        let big = json!("x".repeat(WRITTEN_MAX));
        assert_eq!(write(&mut w, &big).len(), WRITTEN_MAX + 2);
        assert_eq!(w.held(), 0);
        // a number the format cannot hold: refused, nothing remembered
        let mut out = Vec::new();
        assert!(w
            .write(
                Slot::PolicyResult,
                &json!(9_007_199_254_740_993u64),
                &mut out
            )
            .is_err());
        assert_eq!(w.held(), 0);
    }

    /// The members of a decision record (head members included), in the order the writer
    /// writes them.
    const DECISION_KEYS: &[&str] = &[
        "adapter",
        "agent",
        "approvals",
        "args",
        "args_sealed",
        "args_sealed_error",
        "big_numbers",
        "config_version",
        "decision",
        "decision_id",
        "dry_run",
        "grpc",
        "idempotency",
        "idempotent_replay",
        "input",
        "input_hmac",
        "kind",
        "latency_us",
        "mcp",
        "mode",
        "policy",
        "prev",
        "principal_source",
        "reason",
        "reasons",
        "redactions",
        "request",
        "run_id",
        "schema",
        "seq",
        "shadow_would_refuse",
        "status",
        "tenant_id",
        "tool",
        "trace_id",
        "ts",
        "workflow",
    ];
    const POLICY_KEYS: &[&str] = &["digest", "result", "version"];
    const OUTCOME_KEYS: &[&str] = &[
        "cost_usd",
        "decision_id",
        "dry_run",
        "error",
        "grpc",
        "idempotency",
        "idempotent_replay",
        "kind",
        "latency_us",
        "mcp",
        "prev",
        "seq",
        "status",
        "tool",
        "ts",
        "upstream_latency_us",
        "violations",
    ];

    /// The order the writers write members in is RFC 8785's (UTF-16 code units); the source
    /// order of `write_typed` is checked against these lists by
    /// `stage::audit::tests::typed_records_are_the_map_records_byte_for_byte`.
    #[test]
    fn member_orders_are_canonical() {
        for keys in [DECISION_KEYS, POLICY_KEYS, OUTCOME_KEYS] {
            for pair in keys.windows(2) {
                assert_eq!(
                    utf16_cmp(pair[0], pair[1]),
                    std::cmp::Ordering::Less,
                    "{pair:?}"
                );
            }
        }
    }

    /// Every member `write_typed` writes is in the lists above, in their order.
    #[test]
    fn writers_write_the_listed_members_in_order() {
        let src = include_str!("call.rs");
        for (func, keys) in [
            ("impl DecisionBody", DECISION_KEYS),
            ("impl OutcomeBody", OUTCOME_KEYS),
        ] {
            let start = src.find(func).expect("impl");
            let body = &src[start..];
            let body = &body[..body.find("pub fn to_map").expect("to_map")];
            let mut last = None;
            for part in body.split('(').skip(1) {
                let Some(name) = part.strip_prefix('"').and_then(|p| p.split('"').next()) else {
                    continue;
                };
                let list = if POLICY_KEYS.contains(&name) && !keys.contains(&name) {
                    continue;
                } else {
                    keys
                };
                let at = list
                    .iter()
                    .position(|k| *k == name)
                    .unwrap_or_else(|| panic!("{name} is not listed"));
                // (a member written in two arms of a match appears twice in a row)
                if let Some(prev) = last {
                    assert!(at >= prev, "{name} written out of order");
                }
                last = Some(at);
            }
            assert!(last.is_some());
        }
    }
}
