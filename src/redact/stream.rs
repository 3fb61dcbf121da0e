//! JSON bodies redacted in one pass over the raw bytes: every string (and number) is scanned
//! where it lies, the bytes between changes are copied as they are, and nothing is parsed into
//! a `Value` or re-serialised. The leaf rules are the `Value` walk's own (`json::Walk`), so the
//! findings are the same; the output keeps the body's member order and whitespace.
//!
//! The pass validates the JSON grammar as it goes (strings: UTF-8, no raw control characters,
//! escapes decoded by serde_json) and gives up — `None`, the caller takes the `Value` path —
//! on anything it does not rewrite itself: invalid JSON (which the caller then redacts as
//! text), nesting deeper than `MAX_DEPTH`, a key that holds a finding (the member is renamed),
//! and a `drop` action (the member is removed).
//!
//! A duplicate key is scanned (and redacted) at every occurrence, where a `Value` would keep
//! only the last one.

use super::action::ActionPlan;
use super::detect::evidence_r23s::token_user_value;
use super::detect::{header_cell_bits, word8, BodyTriggers};
use super::entity::Entity;
use super::json::{
    birth_cell_class, escape_token, labels, member_class_of, pair_class, pair_name, pair_name_kind,
    pair_name_read, pair_reference, sibling_class, KeyClass, Leaf, PairRole, RecordDates, Walk,
};
use super::{Finding, Redactor};
use std::borrow::Cow;

/// Deeper documents take the `Value` path (serde_json refuses past 128 levels).
const MAX_DEPTH: usize = 100;

/// Not rewritten here: the caller takes the `Value` path.
struct GiveUp;

type Step<T> = Result<T, GiveUp>;

/// Redacts a JSON body under `plan`: the rewritten body (`None` when nothing changed) and the
/// findings, or `None` when the `Value` path must do it (see the module doc).
pub(crate) fn redact_raw_json(
    redactor: &Redactor,
    raw: &[u8],
    plan: &ActionPlan,
) -> Option<(Option<Vec<u8>>, Vec<Finding>)> {
    // One UTF-8 check for the whole body (serde_json refuses invalid UTF-8 anywhere);
    // strings are then sliced out of it at their quotes.
    let text = std::str::from_utf8(raw).ok()?;
    let mut pass = Pass {
        walk: Walk::new(redactor, Some(plan)),
        text,
        raw,
        i: 0,
        out: None,
        copied: 0,
        triggers: redactor.detector.body_triggers(raw),
        // Compact JSON has no control bytes at all: then no string needs the check.
        // (In chunks, each folded without branches, so the compiler vectorises it.)
        controls: raw
            .chunks(256)
            .any(|c| c.iter().fold(false, |any, &b| any | (b < 0x20))),
        birth_label: false,
    };
    pass.value(KeyClass::Plain, 0).ok()?;
    pass.blanks();
    if pass.i != raw.len() {
        return None;
    }
    let out = pass.out.map(|mut out| {
        out.extend_from_slice(&raw[pass.copied..]);
        out
    });
    Some((out, pass.walk.finish().0))
}

struct Pass<'r, 'p, 'v> {
    walk: Walk<'r, 'p, 'v>,
    /// The body (valid UTF-8), and as bytes.
    text: &'v str,
    raw: &'v [u8],
    /// The next byte to read.
    i: usize,
    /// The rewritten body, from the first change on.
    out: Option<Vec<u8>>,
    /// `raw[..copied]` is accounted for in `out`.
    copied: usize,
    /// The body's trigger candidates, handed to its escape-free string leaves.
    triggers: Option<BodyTriggers>,
    /// The body holds a byte below 0x20 somewhere (blanks between tokens, or an invalid
    /// raw control character in a string).
    controls: bool,
    /// The object just passed has a label member naming a birth date (`json::labels`): its
    /// parent's answer members are birth dates (a form answer's `field`).
    birth_label: bool,
}

impl<'v> Pass<'_, '_, 'v> {
    fn peek(&self) -> Option<u8> {
        self.raw.get(self.i).copied()
    }

    fn blanks(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn expect(&mut self, b: u8) -> Step<()> {
        self.blanks();
        if self.peek() != Some(b) {
            return Err(GiveUp);
        }
        self.i += 1;
        Ok(())
    }

    fn value(&mut self, class: KeyClass, depth: usize) -> Step<()> {
        self.blanks();
        let start = self.i;
        match self.peek() {
            Some(b'{') => self.object(class, depth + 1),
            Some(b'[') => self.array(class, depth + 1),
            Some(b'"') => {
                let s = self.string()?;
                if let (Cow::Borrowed(b), Some(t)) = (&s, self.triggers.as_mut()) {
                    let detector = &self.walk.redactor.detector;
                    detector.leaf_candidates(t, b.as_bytes(), start + 1, self.walk.scratch());
                }
                let leaf = self.walk.string(&s, class);
                self.walk.scratch().forget_given();
                self.replace(start, leaf)
            }
            Some(b'-' | b'0'..=b'9') => {
                let leaf = self.number(class)?;
                self.replace(start, leaf)
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            _ => Err(GiveUp),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Step<()> {
        if !self.raw[self.i..].starts_with(word) {
            return Err(GiveUp);
        }
        self.i += word.len();
        Ok(())
    }

    /// Enters the object or array under the cursor: false when it is empty (and passed).
    fn open(&mut self, close: u8, depth: usize) -> Step<bool> {
        if depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        self.i += 1;
        self.blanks();
        if self.peek() == Some(close) {
            self.i += 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// After a member or an element: true at `,` (another follows), false at `close`.
    fn next(&mut self, close: u8) -> Step<bool> {
        self.blanks();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.i += 1;
                Ok(false)
            }
            _ => Err(GiveUp),
        }
    }

    fn object(&mut self, parent: KeyClass, depth: usize) -> Step<()> {
        let mut more = self.open(b'}', depth)?;
        let len = self.walk.ptr.len();
        // A name/value pair (`json::keys::pair_role`): the name strings met and not yet read
        // (at most two; read when a value member comes, so an object with a name and no
        // value costs nothing), the secret class the names read give its value, and whether
        // a value member came already (a secret name after it: the `Value` walk, which sees
        // the whole object first, does it).
        // (Each with which names its key has read, `json::keys::pair_name_kind`: `type`'s
        // and `system`'s only some, `json::keys::pair_name_worth_reading`.)
        let mut names: [(usize, u8); 2] = [(0, 0); 2];
        let mut pending = 0usize;
        let mut pair: Option<KeyClass> = None;
        let mut value_seen = false;
        // Labelled answers (`json::labels`): whether a label of this object (`own`) or of an
        // object member names a birth date, and whether an answer member was read as plain
        // before one did (then the `Value` walk, which sees the whole object first, does it).
        let (mut birth, mut own, mut answered) = (false, false, false);
        let mut record = RecordDates::new(&self.walk.record_dates);
        // A member of the object's own for the SSN (`json::sibling_class`) met, and a tax or
        // national id read as an SSN before one came (then the `Value` walk, which sees the
        // whole object first, does it).
        let (mut own_ssn, mut tax_ssn) = (false, false);
        // A table's list of column names met before its rows (the birth-date columns it
        // names), and rows met before any such list (then a list naming a birth-date column
        // after them is the `Value` walk's): `detect::evidence_r34d`.
        let (mut table_cols, mut rows_seen) = (0u128, false);
        // A user named `token` met (its passwords are tokens: `detect::evidence_r23s`), and
        // a password read as one before it came (then the `Value` walk does it).
        let (mut token_user, mut password_read) = (false, false);
        while more {
            self.blanks();
            if self.peek() != Some(b'"') {
                return Err(GiveUp);
            }
            let key_at = self.i;
            let key = self.string()?;
            // The key's class and, answered once per distinct key, its part in the tests
            // below (`json::keys::KeyFacts`).
            let (class, dirty, facts) = match key {
                Cow::Borrowed(k) => self.walk.key_facts(k),
                Cow::Owned(ref k) => self.walk.key_facts_uncached(k),
            };
            if dirty {
                // A finding in the key renames the member: the `Value` path does that.
                return Err(GiveUp);
            }
            let role = facts.pair_role();
            // An Infisical secret record's name (`detect::evidence_r32g`): whether a value
            // member stands beside it is the `Value` walk's, which sees the whole object.
            if role == PairRole::Name
                && crate::redact::detect::evidence_r32g::secret_record_name(&key)
            {
                return Err(GiveUp);
            }
            if role == PairRole::Value {
                for &(at, type_key) in &names[..pending] {
                    pair = self.pair_name_class(pair, at, type_key)?;
                }
                pending = 0;
                value_seen = true;
            }
            if class == KeyClass::Whole(Entity::UsSsn) {
                if tax_ssn {
                    return Err(GiveUp);
                }
                own_ssn = true;
            }
            let class = match pair {
                Some(secret) if role == PairRole::Value => secret,
                _ => sibling_class(member_class_of(parent, class, facts), own_ssn),
            };
            let class = if facts.answer_key() {
                answered |= !birth && class == KeyClass::Plain;
                if birth {
                    labels::answer_class(class)
                } else {
                    class
                }
            } else {
                class
            };
            let class = match class {
                KeyClass::Whole(Entity::Password) if token_user => {
                    KeyClass::Whole(Entity::GenericSecret)
                }
                KeyClass::Whole(Entity::Password) => {
                    password_read = true;
                    class
                }
                // A salt: whether a password hash stands beside it (then it is no secret,
                // `detect::evidence_r31g`) is the `Value` walk's, which sees the whole object
                // first (a test of every member's name here cost the PII bytes case 0.5 %).
                KeyClass::ShapedSecret if crate::redact::detect::evidence_r31g::salt_key(&key) => {
                    return Err(GiveUp);
                }
                // A notifier's `apiKey` in a body naming `events`: whether they stand beside
                // it (`detect::evidence_r32g`) is the `Value` walk's too.
                KeyClass::Whole(Entity::GenericSecret)
                    if key.len() == 6
                        && crate::redact::detect::evidence_r32g::notifier_report(
                            &key, self.raw,
                        ) =>
                {
                    return Err(GiveUp);
                }
                _ => class,
            };
            self.expect(b':')?;
            self.walk.ptr.push('/');
            escape_token(&key, &mut self.walk.ptr);
            self.blanks();
            let at = self.i;
            // ADP's government id and a payment card object's 13-digit `number`: whether a
            // sibling names an SSN or a card is the `Value` walk's, which sees the whole
            // object (`detect::evidence_r33d`).
            if matches!(key.len(), 6 | 7)
                && class != KeyClass::Card
                && (crate::redact::detect::evidence_r33d::adp_id_value_key(&key)
                    || (crate::redact::detect::evidence_r33d::number_key(&key)
                        && crate::redact::detect::evidence_r33d::thirteen_digits_at(self.raw, at)))
            {
                return Err(GiveUp);
            }
            // A list of column names naming a birth-date column: the rows after it are read
            // with its columns; rows before it are the `Value` walk's (`detect::evidence_r34d`).
            let rows = self.raw.get(at) == Some(&b'[') && {
                let mut r = at + 1;
                while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.raw.get(r) {
                    r += 1;
                }
                self.raw.get(r) == Some(&b'[')
            };
            if facts.table_header() && !rows {
                let cols = crate::redact::detect::evidence_r34d::raw_columns(self.raw, at);
                if cols != 0 {
                    if rows_seen {
                        return Err(GiveUp);
                    }
                    table_cols = cols;
                }
            }
            self.birth_label = false;
            let first = self.walk.findings.len();
            if rows && table_cols != 0 {
                self.named_rows(class, table_cols, depth + 1)?;
            } else {
                rows_seen |= rows;
                self.value(class, depth)?;
            }
            self.walk.ptr.truncate(len);
            if class == KeyClass::TaxId {
                tax_ssn |= self.walk.findings[first..]
                    .iter()
                    .any(|f| f.entity == Entity::UsSsn);
            }
            if self.raw[at] == b'"' {
                // (The string's raw bytes: its length and digits are all `member` reads.)
                let raw = self
                    .raw
                    .get(at + 1..self.i.saturating_sub(1))
                    .unwrap_or_default();
                let found = &self.walk.findings[first..];
                record.member(&mut self.walk.record_dates, found, (key_at, at), raw, class);
            }
            if self.raw[at] == b'"'
                && facts.token_user_key()
                && token_user_value(&self.string_at(at)?)
            {
                if password_read {
                    return Err(GiveUp);
                }
                token_user = true;
            }
            let labelled = match self.raw[at] {
                b'"' if facts.label_key() => {
                    let keys = &self.walk.redactor.keys;
                    let yes = labels::birth_label(&self.string_at(at)?, |l| keys.classify(l));
                    own |= yes;
                    yes
                }
                b'{' => self.birth_label,
                _ => false,
            };
            if labelled && !birth {
                if answered {
                    return Err(GiveUp);
                }
                birth = true;
            }
            if role == PairRole::Name && self.raw[at] == b'"' {
                let type_key = if facts.pair_type_key() {
                    1
                } else {
                    pair_name_kind(&key)
                };
                if value_seen {
                    let before = pair;
                    pair = self.pair_name_class(pair, at, type_key)?;
                    if pair != before {
                        return Err(GiveUp);
                    }
                } else if pending < names.len() {
                    names[pending] = (at, type_key);
                    pending += 1;
                } else {
                    pair = self.pair_name_class(pair, at, type_key)?;
                }
            }
            more = self.next(b'}')?;
        }
        // A person's record with a birth date by its shape (`json::RecordDates`): the
        // `Value` walk, which sees the whole object first, reads it.
        if let Some(dates) = record.take(&mut self.walk.record_dates) {
            let detector = &self.walk.redactor.detector;
            for &(key_at, at) in &dates {
                if detector.record_date_member(&self.string_at(key_at)?, &self.string_at(at)?) {
                    return Err(GiveUp);
                }
            }
        }
        self.birth_label = own;
        Ok(())
    }

    /// The string whose opening `"` is at `raw[at]` (a string the pass has read already),
    /// decoded.
    fn string_at(&self, at: usize) -> Step<Cow<'v, str>> {
        let mut end = at + 1;
        loop {
            end += quote_or_backslash(self.raw.get(end..).ok_or(GiveUp)?).ok_or(GiveUp)?;
            if self.raw[end] == b'"' {
                break;
            }
            end += 2;
        }
        let raw = &self.raw[at..=end];
        if memchr::memchr(b'\\', raw).is_some() {
            Ok(Cow::Owned(
                serde_json::from_slice::<String>(raw).map_err(|_| GiveUp)?,
            ))
        } else {
            // Quotes are ASCII: both ends are on char boundaries.
            Ok(Cow::Borrowed(self.text.get(at + 1..end).ok_or(GiveUp)?))
        }
    }

    /// `pair` after the name member whose string value starts at `raw[at]` (its `"`; a
    /// string the pass has read already) (`json::keys::pair_class`).
    /// A `type` name without a secret's letters, a `system` name other than FHIR's SSN
    /// system, is not read (`kind`: `json::keys::pair_name_kind`,
    /// `json::keys::pair_name_worth_reading`).
    fn pair_name_class(
        &mut self,
        pair: Option<KeyClass>,
        at: usize,
        kind: u8,
    ) -> Step<Option<KeyClass>> {
        let name = self.string_at(at)?;
        if let Some(reference) = pair_reference(kind, &name) {
            return Ok(Some(reference));
        }
        if kind != 0 && !pair_name_read(kind, &name) {
            return Ok(pair);
        }
        let class = match name {
            Cow::Borrowed(n) => self.walk.key_info(pair_name(n)).0,
            Cow::Owned(ref n) => self.walk.key_info_uncached(pair_name(n)).0,
        };
        Ok(pair_class(pair, class))
    }

    /// Elements inherit the array's key class (`"phones": ["…"]`), as in the `Value` walk.
    /// A first element that is a header row naming birth-date columns makes the following
    /// rows' cells in those columns DATE_OF_BIRTH values (`json::birth_columns`).
    fn array(&mut self, class: KeyClass, depth: usize) -> Step<()> {
        let mut more = self.open(b']', depth)?;
        let len = self.walk.ptr.len();
        let mut index = itoa::Buffer::new();
        let mut n = 0usize;
        let mut birth_cols = 0u128;
        while more {
            self.walk.ptr.push('/');
            self.walk.ptr.push_str(index.format(n));
            self.blanks();
            if self.peek() == Some(b'[') {
                if n == 0 {
                    birth_cols = self.birth_columns();
                } else if birth_cols != 0 {
                    self.birth_row(class, birth_cols, depth + 1)?;
                    self.walk.ptr.truncate(len);
                    more = self.next(b']')?;
                    n += 1;
                    continue;
                }
            }
            self.value(class, depth)?;
            self.walk.ptr.truncate(len);
            more = self.next(b']')?;
            n += 1;
        }
        Ok(())
    }

    /// The rows of a table whose columns a sibling list names (`json::Walk::named_rows`):
    /// every element that is an array is a row.
    fn named_rows(&mut self, class: KeyClass, birth_cols: u128, depth: usize) -> Step<()> {
        let mut more = self.open(b']', depth)?;
        let len = self.walk.ptr.len();
        let mut index = itoa::Buffer::new();
        let mut n = 0usize;
        while more {
            self.walk.ptr.push('/');
            self.walk.ptr.push_str(index.format(n));
            self.blanks();
            if self.peek() == Some(b'[') {
                self.birth_row(class, birth_cols, depth + 1)?;
            } else {
                self.value(class, depth)?;
            }
            self.walk.ptr.truncate(len);
            more = self.next(b']')?;
            n += 1;
        }
        Ok(())
    }

    /// A table row under a header with birth-date columns (`json::Walk::birth_row`).
    fn birth_row(&mut self, class: KeyClass, birth_cols: u128, depth: usize) -> Step<()> {
        let mut more = self.open(b']', depth)?;
        let len = self.walk.ptr.len();
        let mut index = itoa::Buffer::new();
        let mut j = 0usize;
        while more {
            self.walk.ptr.push('/');
            self.walk.ptr.push_str(index.format(j));
            self.value(birth_cell_class(birth_cols, j, class), depth)?;
            self.walk.ptr.truncate(len);
            more = self.next(b']')?;
            j += 1;
        }
        Ok(())
    }

    /// `json::birth_columns` of the array under the cursor, read ahead without moving it.
    fn birth_columns(&self) -> u128 {
        json_header_columns(self.raw, self.i)
    }

    /// The string starting at the `"` under the cursor, decoded: borrowed from the body when
    /// it has no escapes (the common case), decoded by serde_json when it has.
    fn string(&mut self) -> Step<Cow<'v, str>> {
        let raw = self.raw;
        let start = self.i + 1;
        let mut j = start;
        let mut escaped = false;
        loop {
            j += quote_or_backslash(raw.get(j..).ok_or(GiveUp)?).ok_or(GiveUp)?;
            if raw[j] == b'"' {
                break;
            }
            // Skip the escaped byte (a `\"` is not the end); serde_json checks the escape.
            escaped = true;
            j += 2;
        }
        self.i = j + 1;
        if escaped {
            return serde_json::from_slice::<String>(&raw[start - 1..=j])
                .map(Cow::Owned)
                .map_err(|_| GiveUp);
        }
        if self.controls && raw[start..j].iter().any(|&b| b < 0x20) {
            return Err(GiveUp);
        }
        // Quotes are ASCII, so both ends are on char boundaries.
        self.text.get(start..j).map(Cow::Borrowed).ok_or(GiveUp)
    }

    /// The number under the cursor (JSON grammar), and the walk's edit for it. Only a
    /// non-negative integer can be a card or phone number; other numbers matter only under a
    /// key whose whole value is an entity (then serde_json reads them as a `Value` would).
    fn number(&mut self, class: KeyClass) -> Step<Option<Leaf>> {
        let raw = self.raw;
        let start = self.i;
        let digits = |i: &mut usize| {
            let from = *i;
            while raw.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        let mut i = start;
        if raw[i] == b'-' {
            i += 1;
        }
        match raw.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                digits(&mut i);
            }
            _ => return Err(GiveUp),
        }
        let int_end = i;
        if raw.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return Err(GiveUp);
            }
        }
        if let Some(b'e' | b'E') = raw.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = raw.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                return Err(GiveUp);
            }
        }
        self.i = i;
        let token = &raw[start..i];
        let unsigned = raw[start] != b'-' && int_end == i;
        let n = match unsigned.then(|| parse_u64(token)).flatten() {
            Some(u) => serde_json::Number::from(u),
            None if matches!(class, KeyClass::Whole(_)) => {
                serde_json::from_slice::<serde_json::Number>(token).map_err(|_| GiveUp)?
            }
            None => return Ok(None),
        };
        Ok(self.walk.number(&n, class))
    }

    /// Applies the walk's edit of the value at `raw[start..self.i]`: the leaf becomes the
    /// string the walk rendered.
    fn replace(&mut self, start: usize, leaf: Option<Leaf>) -> Step<()> {
        match leaf {
            None => return Ok(()),
            Some(Leaf::Rendered) => {}
            Some(Leaf::Drop) => return Err(GiveUp),
        }
        let raw = self.raw;
        let out = self
            .out
            .get_or_insert_with(|| Vec::with_capacity(raw.len() + 64));
        out.extend_from_slice(&raw[self.copied..start]);
        let text = self.walk.rendered.as_bytes();
        // Masks and the unchanged parts of an escape-free string need no escaping.
        // (Folded without an early exit, so the compiler vectorises it.)
        let plain = text
            .iter()
            .fold(true, |ok, &b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
        if plain {
            out.push(b'"');
            out.extend_from_slice(text);
            out.push(b'"');
        } else {
            serde_json::to_writer(&mut *out, self.walk.rendered.as_str()).map_err(|_| GiveUp)?;
        }
        self.copied = self.i;
        Ok(())
    }
}

/// The first `"` or `\\` in `hay`. Strings are mostly short: the first 32 bytes are looked
/// at 8 at a time (a SIMD search costs more to set up than that), the rest by memchr.
fn quote_or_backslash(hay: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::MAX / 255;
    let mut i = 0;
    while i < 32 {
        let Some(w) = word8(hay, i) else {
            return hay[i..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\')
                .map(|p| i + p);
        };
        // The high bit of each byte equal to `"` or `\\` (`x - 1 & !x` per byte: cheaper than
        // a range mask). Only the lowest set bit is exact (a borrow from a match may set bits
        // above it), and only the lowest is used.
        let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & (ONES * 0x80);
        let m = zero_byte(w ^ (ONES * u64::from(b'"'))) | zero_byte(w ^ (ONES * u64::from(b'\\')));
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr2(b'"', b'\\', &hay[i..]).map(|p| i + p)
}

/// Digits → u64, `None` on overflow (serde_json reads those as floats).
fn parse_u64(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// `json::birth_columns` read from the raw bytes of the array at `raw[i] == b'['`: 0 for
/// anything but a flat row (a nested array or object, invalid JSON).
pub(crate) fn json_header_columns(raw: &[u8], i: usize) -> u128 {
    let mut i = i + 1;
    let mut cols = 0u128;
    let mut j = 0usize;
    let blanks = |i: &mut usize| {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = raw.get(*i) {
            *i += 1;
        }
    };
    loop {
        blanks(&mut i);
        match raw.get(i) {
            Some(b'"') => {
                let start = i + 1;
                let mut e = start;
                let mut escaped = false;
                loop {
                    let Some(k) = raw.get(e..).and_then(quote_or_backslash) else {
                        return 0;
                    };
                    e += k;
                    if raw[e] == b'"' {
                        break;
                    }
                    escaped = true;
                    e += 2;
                }
                let cell: Option<Cow<'_, str>> = if escaped {
                    serde_json::from_slice::<String>(&raw[start - 1..=e])
                        .ok()
                        .map(Cow::Owned)
                } else {
                    std::str::from_utf8(&raw[start..e]).ok().map(Cow::Borrowed)
                };
                if let Some(c) = cell {
                    cols |= header_cell_bits(&c, j);
                }
                i = e + 1;
            }
            Some(b'[' | b'{') | None => return 0,
            Some(b']') if j == 0 => return 0,
            Some(_) => {
                while raw
                    .get(i)
                    .is_some_and(|b| !matches!(b, b',' | b']' | b'[' | b'{'))
                {
                    i += 1;
                }
            }
        }
        blanks(&mut i);
        match raw.get(i) {
            Some(b',') => {
                i += 1;
                j += 1;
            }
            Some(b']') => return cols,
            _ => return 0,
        }
    }
}

/// Whether a JSON body holds an array of arrays whose first row names a birth-date or a phone
/// column (then its rows' cells are findings with no trigger in the raw bytes), or a header
/// member's list of column names naming a birth-date column (`"columns": ["name", "dob"]`:
/// `detect::evidence_r34d`).
pub(crate) fn has_birth_sheet(raw: &[u8]) -> bool {
    memchr::memchr_iter(b'[', raw).any(|q| {
        let mut r = q + 1;
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = raw.get(r) {
            r += 1;
        }
        (raw.get(r) == Some(&b'[') && json_header_columns(raw, r) != 0)
            || (raw.get(r) == Some(&b'"')
                && q >= 4
                && matches!(raw[q - 1], b':' | b' ' | b'\t' | b'\n' | b'\r')
                && crate::redact::detect::evidence_r34d::after_header_key(raw, q)
                && crate::redact::detect::evidence_r34d::raw_birth_columns(raw, q))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_or_backslash_finds_the_first_one() {
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let alphabet = b"a\"\\\x00\x7f\x80\xff\x22\x5c\x21\x23\x5b\x5d ";
        let mut checked = 0;
        for _ in 0..20_000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let len = (rng % 80) as usize;
            let hay: Vec<u8> = (0..len)
                .map(|i| {
                    // Mostly plain bytes, so the first hit lands anywhere in the 80.
                    let r = rng.rotate_left(i as u32 * 7) % 97;
                    if r < alphabet.len() as u64 {
                        alphabet[r as usize]
                    } else {
                        b'x'
                    }
                })
                .collect();
            let want = hay.iter().position(|&b| b == b'"' || b == b'\\');
            assert_eq!(quote_or_backslash(&hay), want, "{hay:?}");
            checked += usize::from(want.is_some_and(|p| p >= 8));
        }
        assert!(checked > 1000, "{checked}");
    }
}
