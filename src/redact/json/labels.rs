//! Labelled answers: an object whose label member names what its answer member holds, as
//! forms and signing services write their fields: a booking form's `{"question": "Date of
//! birth", "answer": "16/02/1972"}` (Calendly's `questions_and_answers`), an envelope's
//! `{"tabLabel": "birth_date", "value": "8/21/1969"}` (DocuSign's tabs), a form response's
//! `{"type": "date", "date": "1985-01-06", "field": {"ref": "date_of_birth"}}` (Typeform's
//! answers, whose label is a member of the answer's `field`), a custom field's `{"name":
//! "Date of Birth", "value": …}`. When a label names a birth date (a name the key rules read
//! as one: `Date of birth`, `Geburtsdatum`, `fecha_de_nacimiento`), the answer members are
//! DATE_OF_BIRTH values, in whatever order the members come.
//!
//! A title is no label: a calendar entry's `{"title": "Birthday", "date": …}` is the day of
//! the party, not of the birth.

use super::KeyClass;
use crate::redact::entity::Entity;

/// Whether a member key holds the label of its object's answer (any case): `question`,
/// `label`, `tabLabel`, `ref`, `name`, `key`, `shortname`.
#[inline]
pub(crate) fn label_key(key: &str) -> bool {
    let is = |w: &str| key.eq_ignore_ascii_case(w);
    match key.len() {
        3 => is("ref") || is("key"),
        4 => is("name"),
        5 => is("label"),
        8 => is("question") || is("tablabel"),
        // Moodle's custom profile fields (`core_user_get_users`' `customfields`: `{"type":
        // "text", "value": "1996-07-19", "name": "…", "shortname": "dob"}`; twenty-second
        // round, task num).
        9 => is("shortname"),
        _ => false,
    }
}

/// Whether a member key holds its object's answer (any case): `answer`, `value`, `date`,
/// `text`.
#[inline]
pub(crate) fn answer_key(key: &str) -> bool {
    let is = |w: &str| key.eq_ignore_ascii_case(w);
    match key.len() {
        4 => is("date") || is("text"),
        5 => is("value"),
        6 => is("answer"),
        _ => false,
    }
}

/// Whether a label's text may name a birth date: short, and holding a birth word (`birth`,
/// `dob`, `geb`, `naiss`, `nasc`, `naci`; any case). Only such a label is classified like a
/// key (`birth_label`), so the labels of other fields (`"name": "Jane Doe"`) cost a short
/// look.
#[inline]
fn may_name_birth(label: &str) -> bool {
    let b = label.as_bytes();
    let at = |i: usize, w: &[u8]| {
        b.get(i..i + w.len())
            .is_some_and(|x| x.eq_ignore_ascii_case(w))
    };
    // One look at each byte: only a word's first letter (any case) is compared further.
    b.len() <= 40
        && (0..b.len()).any(|i| match b[i] | 0x20 {
            b'b' => at(i, b"birth"),
            b'd' => at(i, b"dob"),
            b'g' => at(i, b"geb"),
            b'n' => at(i, b"naiss") || at(i, b"nasc") || at(i, b"naci"),
            _ => false,
        })
}

/// Whether a label names a birth date: read like a key (`classify`), it is one.
pub(crate) fn birth_label(label: &str, classify: impl FnOnce(&str) -> KeyClass) -> bool {
    may_name_birth(label) && classify(label) == KeyClass::Whole(Entity::DateOfBirth)
}

/// The class of an answer member (`answer_key`) of an object whose labels name a birth date:
/// a DATE_OF_BIRTH, unless its own key gave it a class.
#[inline]
pub(crate) fn answer_class(class: KeyClass) -> KeyClass {
    match class {
        KeyClass::Plain => KeyClass::Whole(Entity::DateOfBirth),
        c => c,
    }
}

/// For the clean check over a body's raw bytes (no escapes in it): whether the birth word
/// the trigger search found at `raw[p]` lies in a string that is a label member's value
/// (`"question": "Date of birth"`) naming something sensitive (`sensitive`, as the key rules
/// read it). Then the body is no clean one: its answer is a birth date with no birth word
/// of its own.
#[inline(never)]
pub(crate) fn raw_label_names_birth(
    raw: &[u8],
    p: usize,
    sensitive: &dyn Fn(&str) -> bool,
) -> bool {
    let (Some(open), Some(close)) = (
        memchr::memrchr(b'"', &raw[..p]),
        memchr::memchr(b'"', &raw[p..]).map(|c| p + c),
    ) else {
        return false;
    };
    let mut j = open;
    while j > 0 && matches!(raw[j - 1], b' ' | b'\t' | b'\n' | b'\r') {
        j -= 1;
    }
    if j == 0 || raw[j - 1] != b':' {
        return false;
    }
    j -= 1;
    while j > 0 && matches!(raw[j - 1], b' ' | b'\t' | b'\n' | b'\r') {
        j -= 1;
    }
    if j == 0 || raw[j - 1] != b'"' {
        return false;
    }
    let Some(k) = memchr::memrchr(b'"', &raw[..j - 1]) else {
        return false;
    };
    let (key, label) = (&raw[k + 1..j - 1], &raw[open + 1..close]);
    match (
        std::str::from_utf8(key).ok(),
        std::str::from_utf8(label).ok(),
    ) {
        (Some(key), Some(label)) => label_key(key) && may_name_birth(label) && sensitive(label),
        _ => false,
    }
}
