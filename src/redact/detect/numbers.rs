//! Number-shaped entities: number regions, phone numbers (shape and context), payment cards
//! (Luhn, issuer ranges) and IBANs (mod 97).

use super::super::entity::Entity;
use super::super::validate as v;

use super::*;

impl Detector {
    /// Handles the number region starting at digit `i`; returns where to continue.
    pub(super) fn number_region(
        &self,
        hay: &[u8],
        i: usize,
        ctx: ScanContext,
        out: &mut Vec<(Hit, usize)>,
    ) -> usize {
        let (e, digits, dots) = region_extent(hay, i);
        // Extensions ("x1234", "ext. 12") are matched by the regex itself past `e`.
        let iban_start =
            i >= 2 && hay[i - 1].is_ascii_uppercase() && hay[i - 2].is_ascii_uppercase();
        if digits < 7 && !(digits >= 4 && dots >= 3) && !iban_start {
            return e.max(i + 1);
        }
        // A Telegram bot token (`<bot id>:<secret>`: `evidence_r31g`), the `:` ending the id.
        if hay.get(e) == Some(&b':') {
            if let Some(h) = super::evidence_r31g::telegram_token(hay, i, e) {
                self.push(out, h, usize::MAX - 1);
                return h.end;
            }
        }
        // Region start: include a '+' or '(' right before the first digit.
        let mut rs = i;
        while rs > 0 && matches!(hay[rs - 1], b'+' | b'(') && i - rs < 2 {
            rs -= 1;
        }
        let mut p = if iban_start { i - 2 } else { rs };
        let mut end_reached = e;
        // Digits in hay[p..e], kept as p moves (numeric_at needs it at every token).
        let mut digits_left = digits;
        while p < e {
            // Every number rule needs four digits or more from its start (IPv4; the others
            // more), but an IBAN, which starts at its two capitals.
            if digits_left < 4 && !hay[p].is_ascii_uppercase() {
                break;
            }
            let at_token = match hay[p] {
                b'+' | b'(' => p == 0 || !v::is_word(hay[p - 1]),
                c if c.is_ascii_digit() => p == 0 || !hay[p - 1].is_ascii_digit(),
                c if c.is_ascii_uppercase() => true,
                _ => false,
            };
            if at_token {
                if let Some(h) = self.numeric_at(hay, p, e, digits_left, ctx) {
                    end_reached = end_reached.max(h.0.end);
                    // Past the region: the loop ends; inside it, count what was passed.
                    digits_left -= hay[p..h.0.end.min(e)]
                        .iter()
                        .filter(|b| b.is_ascii_digit())
                        .count()
                        .min(digits_left);
                    p = h.0.end;
                    // The card's security code written after it (`card 4111… CVV 123`,
                    // `… exp 09/27 CVC 123`): masked as GENERIC_SECRET, like `CVC: 123`.
                    let cvc = (h.0.entity == Entity::CreditCard)
                        .then(|| {
                            cvc_after_card(hay, h.0.end)
                                .or_else(|| cvc_table_cell(hay, h.0.start, h.0.end))
                        })
                        .flatten();
                    self.push(out, h.0, h.1);
                    if let Some((cs, ce)) = cvc {
                        self.push(out, Hit::new(Entity::GenericSecret, cs, ce), h.1);
                        end_reached = end_reached.max(ce);
                    }
                    continue;
                }
                // A number another validator rejected (a card number failing Luhn or its
                // issuer ranges, an IBAN failing mod 97) is not a phone either: skip all
                // of it.
                if let Some(end) = (digits_left >= 12 || !hay[p].is_ascii_digit())
                    .then(|| rejected_shape_end(hay, p))
                    .flatten()
                {
                    end_reached = end_reached.max(end);
                    digits_left -= hay[p..end.min(e)]
                        .iter()
                        .filter(|b| b.is_ascii_digit())
                        .count()
                        .min(digits_left);
                    p = end;
                    continue;
                }
            }
            if hay[p].is_ascii_digit() {
                digits_left = digits_left.saturating_sub(1);
            }
            p += 1;
        }
        end_reached.max(i + 1)
    }

    /// Tries the number rules anchored at `p`, in priority order. `region_end` bounds the
    /// run of digits and separators that `p` starts in; cheap shape checks skip rules that
    /// cannot match there before any regex runs.
    pub(super) fn numeric_at(
        &self,
        hay: &[u8],
        p: usize,
        region_end: usize,
        digits: usize,
        ctx: ScanContext,
    ) -> Option<(Hit, usize)> {
        let first = hay[p];
        let region = &hay[p..region_end.max(p)];
        debug_assert_eq!(digits, region.iter().filter(|b| b.is_ascii_digit()).count());
        let at = |i: usize| hay.get(p + i).copied().unwrap_or(0);
        // What `check` would reject on the byte before the (anchored) match, tested before
        // the regex runs: a digit after a word byte has no `\b`, and cards, SSNs and IPv4s
        // do not follow `-`, `.` or `/` (phones: nor `+` or `@`).
        let before = if p == 0 { b' ' } else { hay[p - 1] };
        let digit_start = first.is_ascii_digit() && !v::is_word(before);
        let no_sep = !matches!(before, b'-' | b'.' | b'/');
        for &rule in &self.numeric {
            let fits = match self.rules[rule].0 {
                Kind::Iban => first.is_ascii_uppercase(),
                Kind::Card => {
                    digits >= 12
                        && no_sep
                        && (digit_start
                            || (first.is_ascii_digit() && payment_card_code_before(hay, p)))
                }
                Kind::Ssn if digit_start && (no_sep || ssn_keyword_joined(hay, p)) => {
                    if matches!(at(3), b'-' | b' ') && at(6) == at(3) {
                        true
                    } else {
                        // Nine bare digits right after an SSN keyword (`SSN 123456789`).
                        if let Some(h) = bare_ssn(hay, p) {
                            if self.enabled[Entity::UsSsn.index()] {
                                return Some((h, rule));
                            }
                        }
                        false
                    }
                }
                Kind::Ipv4 => {
                    digit_start && before != b'.' && region.iter().take(4).any(|&b| b == b'.')
                }
                // A DSN's birth date after its rubric, or an HL7 `IN1` segment's Insured's
                // Date of Birth, IN1-18 (`evidence_r32f`; thirty-second round, task fmt).
                Kind::Phone
                    if digits == 8
                        && matches!(before, b'\'' | b'|')
                        && eight_digit_birth_date(hay, p, before) =>
                {
                    if self.enabled[Entity::DateOfBirth.index()] {
                        // A `PID` segment's PID-7 may be written with separators
                        // (`evidence_r41h`; forty-first round, task hl).
                        let e = p + super::evidence_r41h::pid_birth_date(hay, p).unwrap_or(8);
                        return Some((Hit::new(Entity::DateOfBirth, p, e), rule));
                    }
                    false
                }
                Kind::Phone => {
                    !first.is_ascii_uppercase()
                        && digits >= 7
                        && !v::is_word(before)
                        && no_sep
                        && !matches!(before, b'+' | b'@')
                }
                _ => false,
            };
            if fits {
                if let Some(h) = self.try_rule(rule, hay, p, ctx) {
                    return Some((h, rule));
                }
            }
        }
        None
    }
}

/// Eight digits at `p` that are a record's birth date by its position: after `'`, a French
/// DSN's rubric (`dsn_birth_date`); after `|`, an HL7 `IN1` segment's field 18
/// (`evidence_r32f::in1_birth_date`; thirty-second round, task fmt). One test of the number
/// pass for both, out of line (a second arm of its own made `byte_pass` ~25 k instructions
/// dearer per 64 KB of clean text, callgrind).
#[inline(never)]
fn eight_digit_birth_date(hay: &[u8], p: usize, before: u8) -> bool {
    if before == b'|' {
        super::evidence_r32f::in1_birth_date(hay, p)
            || super::evidence_r41h::pid_birth_date(hay, p).is_some()
    } else {
        dsn_birth_date(hay, p)
    }
}

/// Eight digits `JJMMAAAA` (a real day and month, a year of 1900–2026) quoted after a French
/// DSN's (déclaration sociale nominative) birth-date rubric: `S21.G00.30.006 '01011965'`, the
/// employee's birth date in the norm (twenty-second round, task num). Read in the number pass
/// (an `ends_with` per eight-digit run): a trigger of its own widened the second trigger
/// searcher's Teddy buckets, +12 % on clean input. Not inlined: in the number pass's loop
/// it made `byte_pass` 28 k instructions dearer per 64 KB of clean JSON (callgrind).
#[inline(never)]
fn dsn_birth_date(hay: &[u8], p: usize) -> bool {
    let Some(d) = hay.get(p..p + 8) else {
        return false;
    };
    let n = |r: std::ops::Range<usize>| {
        d[r].iter()
            .fold(0u32, |a, b| a * 10 + u32::from(b.wrapping_sub(b'0')))
    };
    hay[..p].ends_with(b"S21.G00.30.006 '")
        && hay.get(p + 8) == Some(&b'\'')
        && d.iter().all(u8::is_ascii_digit)
        && (1..=31).contains(&n(0..2))
        && (1..=12).contains(&n(2..4))
        && (1900..=2026).contains(&n(4..8))
}

/// The length of a phone's group separator at `i`: one of ` .-/`, or a no-break space
/// (U+00A0, two bytes: `+33\u{a0}6\u{a0}10\u{a0}69\u{a0}47\u{a0}71`, as French typography and
/// copies from web pages write phones).
fn phone_sep_len(hay: &[u8], i: usize) -> Option<usize> {
    match hay.get(i)? {
        b' ' | b'.' | b'-' | b'/' => Some(1),
        0xC2 if hay.get(i + 1) == Some(&0xA0) => Some(2),
        _ => None,
    }
}

/// The phone rule's match at `p`, by hand:
/// `(?:\+(?: |\xC2\xA0)?[0-9]|\([0-9]{1,5}\)|{b}[0-9])(?:(?:[ .\-/]|\xC2\xA0){0,2}(?:\([0-9]{1,5}\)|[0-9])){4,22}`
/// `(?: ?(?:x|ext\.?|#) ?[0-9]{1,6})?`. Separators, digits and `(` are disjoint, so each
/// greedy step has one way to go and no backtracking changes the leftmost-first match.
// Not inlined: code-generation units are cut by the crate's module sizes, and a change
// elsewhere that moved this into the byte pass's unit inlined it there and made every
// clean scan 2-4 % costlier (thirteenth round, parts A and C: `redact_profile` under callgrind).
#[inline(never)]
pub(super) fn phone_end(hay: &[u8], p: usize) -> Option<usize> {
    let digit = |i: usize| hay.get(i).is_some_and(u8::is_ascii_digit);
    // `\([0-9]{1,5}\)` at `i`.
    let paren = |i: usize| {
        if hay.get(i) != Some(&b'(') {
            return None;
        }
        let r = digit_run(hay, i + 1);
        ((1..=5).contains(&r) && hay.get(i + 1 + r) == Some(&b')')).then_some(i + 2 + r)
    };
    let mut pos = match hay.get(p)? {
        b'+' => {
            let q = match hay.get(p + 1) {
                Some(b' ') => p + 2,
                Some(0xC2) if hay.get(p + 2) == Some(&0xA0) => p + 3,
                _ => p + 1,
            };
            digit(q).then_some(q + 1)?
        }
        b'(' => paren(p)?,
        b if b.is_ascii_digit() && !(p > 0 && v::is_word(hay[p - 1])) => p + 1,
        _ => return None,
    };
    let mut units = 0;
    while units < 22 {
        let mut q = pos;
        for _ in 0..2 {
            match phone_sep_len(hay, q) {
                Some(len) => q += len,
                None => break,
            }
        }
        let next = if digit(q) { Some(q + 1) } else { paren(q) };
        match next {
            Some(e) => pos = e,
            None => break,
        }
        units += 1;
    }
    if units < 4 {
        return None;
    }
    // The optional extension.
    let ext = || {
        let mut q = pos;
        if hay.get(q) == Some(&b' ') {
            q += 1;
        }
        match hay.get(q)? {
            b'x' | b'#' => q += 1,
            b'e' if hay[q..].starts_with(b"ext") => {
                q += 3;
                if hay.get(q) == Some(&b'.') {
                    q += 1;
                }
            }
            _ => return None,
        }
        if hay.get(q) == Some(&b' ') {
            q += 1;
        }
        let r = digit_run(hay, q).min(6);
        (r > 0).then_some(q + r)
    };
    Some(ext().unwrap_or(pos))
}

/// Length of a phone candidate without its extension (`x123`, `ext. 123`, `#123`).
pub(super) fn phone_core_end(text: &[u8]) -> usize {
    text.iter()
        .position(|&b| b == b'x' || b == b'e' || b == b'#')
        .map(|p| {
            let mut q = p;
            while q > 0 && text[q - 1] == b' ' {
                q -= 1;
            }
            q
        })
        .unwrap_or(text.len())
}

/// Context words in the 32 bytes before a phone candidate.
pub(super) fn phone_context_before(hay: &[u8], s: usize) -> bool {
    const WORDS: [&[u8]; 47] = [
        b"phone",
        b"tel",
        b"call",
        b"mobile",
        b"cell",
        b"fax",
        b"whatsapp",
        b"sms",
        b"text me",
        b"reach",
        b"my number",
        b"nummer",
        b"num\xc3\xa9ro",
        b"handy",
        // Dial-in lines and call-backs in the locales (`Dial-in 21 629 3045`, `Rappel …`,
        // `Richiamare …`, `Terugbellen …`, `llámame al …`), a switchboard, a reception desk,
        // an emergency contact.
        b"dial",
        b"rappel",
        b"richiam",
        b"terugbel",
        b"llama",
        b"ll\xc3\xa1m",
        b"zentrale",
        b"switchboard",
        b"reception",
        b"emergency",
        // French `Tél.` (the accented abbreviation), Italian `Recapito` (a contact number),
        // a call-back, `Contact:`, SAP's phone field `TELF1`, and asking for a call in
        // Dutch, German and French (`graag eerst bellen`, `bel me`, `bitte vorher anrufen`,
        // `ruf mich an`, `appeler avant livraison`).
        b"t\xc3\xa9l",
        b"recapito",
        b"callback",
        b"contact",
        b"telf1",
        b"bellen",
        b"bel me",
        b"anruf",
        b"ruf mich an",
        b"appeler",
        b"appelez",
        // The locales' word for a telephone written out (`Telefon:`, `Telefono:`,
        // `telefonisch bestätigt mit …`, Dutch `Telefoon`: `tel` must end a word), a French
        // mobile (`Portable (perso) :`), a direct line (`Durchwahl:`, `Direct line:`, `Ligne
        // directe :`, `Linea diretta:`, `Línea directa:`), and who called from a number (`a
        // appelé du …`, `belde vanaf …`, `llamó desde …`, `ha chiamato dal …`).
        b"telefon",
        b"telefoon",
        b"portable",
        b"durchwahl",
        b"direct line",
        b"ligne directe",
        b"linea diretta",
        b"l\xc3\xadnea directa",
        b"appel\xc3\xa9",
        b"belde",
        b"chiamato",
        // `Telephone:`, LDAP's `telephoneNumber:` (RFC 4519's attribute; `tel` must end a
        // word): fortieth round, task ph (`evidence_r40n`).
        b"telephone",
    ];
    let from = s.saturating_sub(32);
    let mut win = [0u8; 32];
    let w = &mut win[..s - from];
    w.copy_from_slice(&hay[from..s]);
    w.make_ascii_lowercase();
    // A context word starts a word ("hotel", "tellement" are not "tel"); short ones must
    // also end one ("Telmo"). The window's first byte starts a word only if the text's
    // byte before it is no letter ("Bestellnummer" cut to "nummer" is not "nummer").
    // Nor does one after `@` or `.`: a host name (`jane@telefonica.net`) is no phone word.
    let starts = |b: u8| !b.is_ascii_alphabetic() && b != b'@' && b != b'.';
    let first_starts = from == 0 || starts(hay[from - 1]);
    // A one-letter label, or "number" right before (`Best number: …`; further away it
    // is as often "social security number" or "order number").
    if signature_label_before(hay, s)
        || word_before(hay, s, false)
            .is_some_and(|(a, b)| hay[a..b].eq_ignore_ascii_case(b"number"))
    {
        return true;
    }
    // The words' first letters, as bits (`a` = bit 0): a byte no word starts with (a digit,
    // a blank, most letters) is passed over without comparing the words.
    const FIRST: u32 = {
        let mut m = 0u32;
        let mut i = 0;
        while i < WORDS.len() {
            m |= 1 << (WORDS[i][0] - b'a');
            i += 1;
        }
        m
    };
    (0..w.len()).any(|at| {
        w[at].is_ascii_lowercase()
            && FIRST >> (w[at] - b'a') & 1 == 1
            && (if at == 0 {
                first_starts
            } else {
                starts(w[at - 1])
            })
            && WORDS.iter().any(|word| {
                w[at..].starts_with(word) && {
                    let next = w.get(at + word.len()).copied();
                    (word.len() > 4 || !next.is_some_and(|b| b.is_ascii_alphabetic()))
                        && !record_word_after(w, at + word.len())
                        && !taken_by_earlier_number(&w[at + word.len()..])
                }
            })
    })
}

/// An X12 `PER` segment's communication number qualifier right before (`PER*IC*BILLING*TE*
/// 4844486507*EM*…`: `TE` telephone, `CP` cell phone, `FX` fax; `HP` home phone and `WP`
/// work phone, data element 365's codes: `evidence_r32f`, thirty-second round, task fmt).
pub(super) fn x12_phone_qualifier(hay: &[u8], s: usize) -> bool {
    s >= 4
        && hay[s - 1] == b'*'
        && hay[s - 4] == b'*'
        && matches!(&hay[s - 3..s - 1], b"TE" | b"CP" | b"FX" | b"HP" | b"WP")
}

/// An e-mail address right beside the number, one separator between (` / `, `, `, ` · `,
/// ` — `, ` – `, `; `): a contact's two ways of being reached (`Contact: jane@example.org /
/// 3121640695`, `Service desk: 034274313 / j@example.es`, `Esila Wolters, 0616704131,
/// wolters.e@example.it`), which is the number's context as a phone word is.
// Out of line: looked at only for a phone-shaped number without a phone word.
#[inline(never)]
pub(super) fn email_beside(hay: &[u8], s: usize, e: usize) -> bool {
    // The separator's length at `i` going forward (`fwd`) or ending at `i` going back.
    let sep = |i: usize, fwd: bool| -> Option<usize> {
        let seps: [&[u8]; 6] = [
            b"/",
            b",",
            b";",
            "\u{b7}".as_bytes(),
            "\u{2014}".as_bytes(),
            "\u{2013}".as_bytes(),
        ];
        seps.iter().find_map(|p| {
            let hit = if fwd {
                hay.get(i..i + p.len()) == Some(*p)
            } else {
                i >= p.len() && &hay[i - p.len()..i] == *p
            };
            hit.then_some(p.len())
        })
    };
    // After: blanks, a separator, one blank or more, the address.
    let mut i = e;
    while hay.get(i) == Some(&b' ') && i - e < 2 {
        i += 1;
    }
    if let Some(n) = sep(i, true) {
        let a = i + n;
        let mut j = a;
        while hay.get(j) == Some(&b' ') && j - a < 2 {
            j += 1;
        }
        if j > a {
            let local = hay[j..]
                .iter()
                .take(64)
                .take_while(|&&b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
                .count();
            if local > 0 && hay.get(j + local) == Some(&b'@') && email_at(hay, j + local).is_some()
            {
                return true;
            }
        }
    }
    // Before: one blank or more, a separator, blanks, the address ending there.
    let mut i = s;
    while i > 0 && hay[i - 1] == b' ' && s - i < 2 {
        i -= 1;
    }
    if i == s {
        return false;
    }
    let Some(n) = sep(i, false) else {
        return false;
    };
    let mut j = i - n;
    while j > 0 && hay[j - 1] == b' ' && i - n - j < 2 {
        j -= 1;
    }
    let domain = hay[..j]
        .iter()
        .rev()
        .take(255)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        .count();
    domain > 0
        && j > domain
        && hay[j - domain - 1] == b'@'
        && email_at(hay, j - domain - 1).is_some_and(|(_, end)| end == j)
}

/// Between a phone word and the candidate stands a number and then a `;`: the word is that
/// number's (`bitte vorher anrufen 030 985189; 684787554472`: the parcel's tracking number
/// after the phone is none).
fn taken_by_earlier_number(between: &[u8]) -> bool {
    between
        .iter()
        .position(u8::is_ascii_digit)
        .is_some_and(|d| between[d..].contains(&b';'))
}

/// The word after a phone word at `w[from..]` (the window, lower case) names a record of the
/// call, not a number to call: "Call summary 1712345678:", "call log", "call ID", "phone
/// notes", "cell ID", "SMS log", and the locales' words for them. The number after it is
/// whatever the record is numbered by (a time, a ticket), so the phone word is no evidence.
fn record_word_after(w: &[u8], from: usize) -> bool {
    let mut i = from;
    // The rest of a longer phone word (`calls`, `phones`), then blanks and punctuation.
    while i < w.len() && w[i].is_ascii_alphabetic() {
        i += 1;
    }
    while i < w.len() && matches!(w[i], b' ' | b'-' | b'_' | b'.') {
        i += 1;
    }
    let e = i + w[i..]
        .iter()
        .take_while(|&&b| b.is_ascii_alphabetic() || b >= 0x80)
        .count();
    // A word cut by the window's end is the number's own label, not known whole.
    e < w.len()
        && matches!(
            &w[i..e],
            b"summary"
                | b"log"
                | b"logs"
                | b"notes"
                | b"note"
                | b"id"
                | b"ref"
                | b"reference"
                | b"record"
                | b"recording"
                | b"history"
                | b"transcript"
                | b"duration"
                | b"time"
                | b"date"
                | b"notiz"
                | b"protokoll"
                | b"dauer"
                | b"r\xc3\xa9sum\xc3\xa9"
                | b"journal"
                | b"compte"
                | b"dur\xc3\xa9e"
                | b"resumen"
                | b"registro"
                | b"nota"
                | b"riepilogo"
                | b"verslag"
                | b"notitie"
                | b"logboek"
                | b"samenvatting"
        )
}

/// A one-letter label of a signature or contact line right before a number (`T 030 …`,
/// `M: 06 …`, `| F 0 …`): a capital `T`, `M`, `F`, `P`, `H`, `W`, `O` or `C` standing alone
/// (at the start of the text or a line, or after a blank, `|`, `,`, `;` or `/`), then `:`,
/// `.` and blanks.
fn signature_label_before(hay: &[u8], s: usize) -> bool {
    let mut j = s;
    while j > 0 && matches!(hay[j - 1], b' ' | b'\t' | b':' | b'.') && s - j < 3 {
        j -= 1;
    }
    j < s
        && j > 0
        && matches!(
            hay[j - 1],
            b'T' | b'M' | b'F' | b'P' | b'H' | b'W' | b'O' | b'C'
        )
        && (j == 1 || matches!(hay[j - 2], b' ' | b'\t' | b'\n' | b'|' | b',' | b';' | b'/'))
}

/// The word right before a number (blanks, `:`, `#`, `.` between), or the word before a
/// `no.`/`nr.`/`number`/`#`/`code`/`id` there, labels an identifier: `lot`, `order`,
/// `invoice`, `case`, `claim`, `policy`, `ticket`, `tracking`, `part`, `SKU`, `PO`, `ref`,
/// barcodes, … (any case).
pub(super) fn identifier_label_before(hay: &[u8], s: usize) -> bool {
    label_before(hay, s, is_label)
}

/// Whether a JSON key's word (lower case) is an identifier label (`is_label`: `order`,
/// `sku`, `gtin`, `ean`, `cart`, `ref`, `receipt`, …): the key of an identifier.
pub(crate) fn identifier_word(w: &[u8]) -> bool {
    is_label(w)
}

/// Identifier labels: the words that name a number as something other than a phone
/// (lower case; a `match` on the word compiles to a length switch and a few compares, where
/// a list of 50 cost ~450 instructions per phone found).
fn is_label(w: &[u8]) -> bool {
    matches!(
        w,
        b"ean"
            | b"upc"
            | b"gtin"
            | b"barcode"
            | b"isbn"
            | b"ean13"
            // A shipping container's code (`SSCC (00) 3953 …`, GS1's application id `(00)`).
            | b"sscc"
            | b"lot"
            | b"order"
            | b"invoice"
            | b"case"
            | b"ticket"
            | b"part"
            | b"sku"
            | b"po"
            | b"ref"
            | b"reference"
            | b"build"
            | b"version"
            | b"imei"
            | b"tracking"
            | b"shipment"
            | b"parcel"
            | b"rechnung"
            | b"mrn"
            | b"bestellnummer"
            | b"claim"
            | b"policy"
            | b"account"
            | b"member"
            | b"membership"
            | b"customer"
            | b"contract"
            | b"serial"
            | b"docket"
            | b"batch"
            | b"rma"
            | b"confirmation"
            | b"booking"
            | b"reservation"
            | b"transaction"
            | b"kunde"
            | b"kunden"
            | b"auftrag"
            | b"vertrag"
            | b"commande"
            | b"facture"
            | b"pedido"
            | b"factura"
            | b"ordine"
            | b"fattura"
            | b"dossier"
            | b"aktenzeichen"
            | b"az"
            | b"expediente"
            | b"pratica"
            | b"zaak"
            | b"zaaknummer"
            | b"dossiernummer"
            | b"kenmerk"
            | b"waybill"
            | b"awb"
            | b"fedex"
            | b"dhl"
            | b"ups"
            | b"usps"
            | b"ts"
            | b"timestamp"
            | b"epoch"
            // Tax and company registration numbers (`EIN 12-3456789`, `KvK 68982594`),
            // ISO 11649 creditor references (`RF18 5390 0754`: the label with its check
            // digits, which `word_before` skips).
            | b"ein"
            | b"tin"
            | b"itin"
            | b"vat"
            | b"tax"
            | b"taxid"
            | b"kvk"
            | b"btw"
            | b"siren"
            | b"siret"
            | b"nif"
            | b"cif"
            | b"iva"
            | b"ust"
            | b"steuernummer"
            | b"rf"
            // Customer, contract and policy numbers in the locales (`Klantnummer 123.456.789`,
            // `Vertragsnr. …`, `Contrat n° …`), a cart, a mandate reference. Not `client` or
            // `cliente` alone (`Teléfono del cliente: 612 345 678` is a phone).
            | b"klantnummer"
            | b"kundennummer"
            | b"vertragsnr"
            | b"vertragsnummer"
            | b"contrat"
            | b"contratto"
            | b"contrato"
            | b"polizza"
            | b"polis"
            | b"cart"
            | b"mandate"
            // Meeting and conference-call ids and PINs (`Meeting ID: 080 2037 2537`, `conf.
            // code 0422 119`, `PIN 0079500`), an insurance plan's group number (`Group no. 017725-386`), claims in the
            // locales (`Fall 05/3598416`, `sinistro 68/9252161`, `siniestro`, `sinistre`,
            // `Schaden`).
            | b"meeting"
            | b"webinar"
            | b"pin"
            | b"passcode"
            | b"conf"
            | b"conference"
            | b"group"
            | b"fall"
            | b"sinistro"
            | b"siniestro"
            | b"sinistre"
            | b"schaden"
            | b"schadennummer"
            // Video-meeting ids (`Zoom 532 0198 1899`, `Webex 2828 030 2581`); Dutch
            // contract, order, invoice and customer numbers (`Contractnr. 730-052-233`,
            // `Bestelnummer 0944794632`, `Factuurnr. 002723250`).
            | b"zoom"
            | b"webex"
            | b"contractnr"
            | b"contractnummer"
            | b"bestelnummer"
            | b"bestelnr"
            | b"ordernummer"
            | b"ordernr"
            | b"factuurnr"
            | b"factuurnummer"
            | b"klantnr"
            // A customer number's German abbreviation (`Kundennr. 0448-7317402`), a case or
            // an incident in German, Spanish and Dutch tickets (`Vorgang #349 018 5737`,
            // `Incidencia #067 847 7025`, `Melding #922 080 8141`).
            | b"kundennr"
            | b"vorgang"
            | b"incidencia"
            | b"melding"
            // An order in German and Dutch (`Bestellnr. 0288 684 2823`, `meiner Bestellung
            // 0442 015 9943`, `Bestelling (413) 230-7455`); a Teams meeting's id (`Teams ID
            // 299 803 313 075`) and a conference call's in German and Italian (`Konferenz-ID:
            // 092 264 786#`, `ID conferenza: 928 311 151#`); a German tax id (`Steuer-ID 07
            // 560 030 447`); an NHS number (`NHS no. 391 958 8686`); a release's number
            // (`release:0380.354`); an item's (`item 3737450723334`).
            | b"bestellnr"
            | b"bestellung"
            | b"bestelling"
            | b"teams"
            | b"konferenz"
            | b"conferenza"
            | b"steuer"
            | b"nhs"
            | b"release"
            | b"item"
            // A form's id (`Form ID 698-678-845`, `form no. …`).
            | b"form"
            // A real-estate listing's number (`MLS# 286666749`).
            | b"mls"
            // A receipt's number (`"receipt_number": "0592-9675"`, `Receipt #0592-9675`), a
            // reference in Italian (`rif. 639-205-2404`).
            | b"receipt"
            | b"rif"
            // A delivery note in German, Dutch and Italian (`Lieferschein 866.807.994`,
            // `Pakbon 944 666 641`, `DDT 780 893 350`) and Spanish without its accent
            // (`Albaran …`); a policy number in Dutch (`Polisnummer 043.002.595`).
            | b"lieferschein"
            | b"pakbon"
            | b"ddt"
            | b"albaran"
            | b"polisnummer"
            // A booking or reservation number in the locales (`Buchungsnr. 4 917 209 555`,
            // `Boekingsnr. 2 348 719 667`, `Codice prenotazione 4 841 380 123`, `Localizador
            // 5 720 487 909`, `N.º de reserva …`), as `booking` and `reservation` in English.
            | b"buchung"
            | b"buchungsnr"
            | b"buchungsnummer"
            | b"reservierung"
            | b"boeking"
            | b"boekingsnr"
            | b"boekingsnummer"
            | b"reservering"
            | b"prenotazione"
            | b"localizador"
            | b"reserva"
            // An identification number (`Employer identification number: 17-4007087`, a
            // W-9's line; `Taxpayer Identification Number`): an id, no phone (twenty-third
            // round, task num).
            | b"identification"
    )
}

/// A claim's or a member number's label (`claim 864-87-2737`, `Member no. …`, and in the
/// locales `Mitgliedsnr.`, `Lidnummer`, `N.º socio`, `Tessera n.`, `N° adhérent`) right
/// before an SSN-shaped number: the number is that identifier, not an SSN (an SSN keyword
/// before it is looked for first). Only these: an SSN-shaped number after the other
/// identifier labels (`ticket`, `order`, `case`, …: `type:ticket 536-22-8814` is a search for
/// an SSN) stays an SSN — fail closed. Not for phones: `socio`, `tessera` and `adhérent`
/// alone also name the person a phone belongs to.
pub(super) fn member_label_before(hay: &[u8], s: usize) -> bool {
    // An SSN keyword before the number wins (`Member SSN: …`).
    if ssn_context_before(hay, s) {
        return false;
    }
    label_before(hay, s, |w| {
        matches!(
            w,
            b"claim"
                | b"member"
                | b"membership"
                | b"mitgliedsnr"
                | b"mitgliedsnummer"
                | b"lidnummer"
                | b"lidnr"
                | b"socio"
                | b"tessera"
        )
    }) || {
        let head = hay[..s].trim_ascii_end();
        head.len() >= 9 && head[head.len() - 9..].eq_ignore_ascii_case("adh\u{e9}rent".as_bytes())
    }
}

/// A reservation's form of payment as a GDS (Amadeus, Sabre) writes it: `FP CCVI4111…/0828`,
/// `CC`, the card brand's two-letter code, then the card number glued to it (the expiry
/// after a `/`). Whether the number at `p` follows such a `CC??` word.
// Out of line: it is looked at only for digits after a word byte.
#[inline(never)]
pub(super) fn payment_card_code_before(hay: &[u8], p: usize) -> bool {
    p >= 4
        && p <= hay.len()
        && &hay[p - 4..p - 2] == b"CC"
        && hay[p - 2].is_ascii_uppercase()
        && hay[p - 1].is_ascii_uppercase()
        && (p == 4 || !v::is_word(hay[p - 5]))
}

/// Carrier names and waybill labels (lower case): a carrier's tracking number is no card.
fn is_carrier_label(w: &[u8]) -> bool {
    matches!(
        w,
        b"fedex" | b"dhl" | b"ups" | b"usps" | b"waybill" | b"awb" | b"tracking"
    )
}

/// A card word right before a number (`carte 4668342229141 (ancienne carte)`, `tarjeta 3431
/// 194470 01039`): a card number, valid or not, is no phone even after a call-back word.
pub(super) fn card_label_before(hay: &[u8], s: usize) -> bool {
    label_before(hay, s, |w| {
        matches!(
            w,
            b"card" | b"carte" | b"carta" | b"tarjeta" | b"kaart" | b"karte" | b"visa" | b"amex"
        )
    })
}

/// Barcode labels (lower case; GS1's SSCC, `SSCC (00) 395387504244570550`, passes Luhn as its
/// check digit is GS1's).
fn is_barcode_label(w: &[u8]) -> bool {
    matches!(
        w,
        b"ean" | b"upc" | b"gtin" | b"barcode" | b"isbn" | b"ean13" | b"sscc"
    )
}

/// The word right before `s` is a label (`is_label`), or a number word (`no.`, `nr`,
/// `number`, `#`, `code`, `id`) whose word before is one (`claim no. …`, `EAN code …`).
fn label_before(hay: &[u8], s: usize, is_label: fn(&[u8]) -> bool) -> bool {
    let lower = |(a, b): (usize, usize)| {
        let mut buf = [0u8; 16];
        let w = &mut buf[..b - a];
        w.copy_from_slice(&hay[a..b]);
        w.make_ascii_lowercase();
        buf
    };
    // Digit groups between count as part of the identifier (`lot 791 209 6196`: a phone
    // looked for from `209` on, after the label's number was rejected; `Order (448)
    // 023-9686` from `023` on).
    let Some(w) = label_word_before(hay, s, true) else {
        return false;
    };
    let lw = lower(w);
    let lw = &lw[..w.1 - w.0];
    if is_label(lw) {
        return true;
    }
    // `EIN on file 12-3456789`, `KvK on record …`.
    if matches!(lw, b"file" | b"record") {
        let on = label_word_before(hay, w.0, false)
            .filter(|o| hay[o.0..o.1].eq_ignore_ascii_case(b"on"));
        return on
            .and_then(|o| label_word_before(hay, o.0, false))
            .is_some_and(|w2| {
                let l2 = lower(w2);
                is_label(&l2[..w2.1 - w2.0])
            });
    }
    // A customer number in the locales (`N° client 02 245 8404`, `N.º de cliente …`,
    // `Codice cliente …`, `Numero cliente …`); `client`/`cliente` alone is no label
    // (`Teléfono del cliente: 612 345 678`). A meeting's access code (`Webex access code
    // 0233 776 2296`; `access number` stays a dial-in's phone).
    let word2 = |at: usize| {
        label_word_before(hay, at, false).map(|w2| {
            let l2 = lower(w2);
            (w2, l2)
        })
    };
    // `Cod. cliente 0846-6489251` (Italian's abbreviated `codice`).
    let number_word = |l: &[u8]| {
        matches!(
            l,
            b"n" | b"no" | b"nr" | b"num" | b"numero" | b"codice" | b"cod"
        )
    };
    if matches!(lw, b"client" | b"cliente") {
        return word2(w.0).is_some_and(|(w2, l2)| {
            let l2 = &l2[..w2.1 - w2.0];
            number_word(l2)
                || (l2 == b"de"
                    && word2(w2.0).is_some_and(|(w3, l3)| number_word(&l3[..w3.1 - w3.0])))
        });
    }
    if lw == b"code" && word2(w.0).is_some_and(|(w2, l2)| &l2[..w2.1 - w2.0] == b"access") {
        return true;
    }
    // The label may be joined to the number word by a hyphen (`Steuer-ID`, `Konferenz-ID`).
    matches!(
        lw,
        b"no" | b"nr" | b"n" | b"number" | b"nummer" | b"num" | b"code" | b"id"
    ) && label_word_before(hay, w.0, false)
        .or_else(|| {
            (w.0 > 0 && hay[w.0 - 1] == b'-')
                .then(|| label_word_before(hay, w.0 - 1, false))
                .flatten()
        })
        .is_some_and(|w2| {
            let l2 = lower(w2);
            is_label(&l2[..w2.1 - w2.0])
        })
}

/// The word ending at `j` after skipping blanks, `:`, `#`, `.` and `=` (and digit groups with
/// `digits`), within 24 bytes: (start, end).
pub(super) fn word_before(hay: &[u8], mut j: usize, digits: bool) -> Option<(usize, usize)> {
    let stop = j.saturating_sub(24);
    while j > stop
        && (matches!(hay[j - 1], b' ' | b'\t' | b':' | b'#' | b'.' | b'=')
            || (digits && hay[j - 1].is_ascii_digit()))
    {
        j -= 1;
    }
    let e = j;
    while j > 0 && e - j < 16 && hay[j - 1].is_ascii_alphabetic() {
        j -= 1;
    }
    (e > j && (j == 0 || !hay[j - 1].is_ascii_alphanumeric())).then_some((j, e))
}

/// `word_before` for identifier labels: also past quotes, `_`, no-break spaces and the number
/// signs `°`/`º` (`order_no = '…'`, `Contrat n° …`, `"order":"…"` in raw JSON); with
/// `digits`, past digit groups and a parenthesised one (`Order (448) 023-9686`).
fn label_word_before(hay: &[u8], mut j: usize, digits: bool) -> Option<(usize, usize)> {
    let stop = j.saturating_sub(24);
    while j > stop
        && (matches!(
            hay[j - 1],
            b' ' | b'\t'
                | b':'
                | b'#'
                | b'.'
                | b'='
                | b'\''
                | b'"'
                | b'_'
                | 0xC2
                | 0xB0
                | 0xBA
                | 0xA0
        ) || (digits && matches!(hay[j - 1], b'0'..=b'9' | b'(' | b')')))
    {
        j -= 1;
    }
    let e = j;
    while j > 0 && e - j < 16 && hay[j - 1].is_ascii_alphabetic() {
        j -= 1;
    }
    (e > j && (j == 0 || !(hay[j - 1].is_ascii_alphanumeric() || hay[j - 1] >= 0x80)))
        .then_some((j, e))
}

pub(super) fn followed_by_digit_after(hay: &[u8], e: usize, seps: &[u8]) -> bool {
    match (hay.get(e), hay.get(e + 1)) {
        (Some(c), Some(d)) => seps.contains(c) && d.is_ascii_digit(),
        _ => false,
    }
}

// Out of line, as the compiler placed it before the thirteenth round: inlined into the
// byte pass it cost clean text 4 % (callgrind).
#[inline(never)]
pub(super) fn check_iban(hay: &[u8], s: usize, e: usize) -> Outcome {
    let text = &hay[s..e];
    let Some(len) = v::iban_length(&text[..2]) else {
        return Outcome::Reject;
    };
    let mut compact = [0u8; 40];
    let mut n = 0;
    let mut end = s;
    for (i, &b) in text.iter().enumerate() {
        if b == b' ' {
            continue;
        }
        if n == len {
            break;
        }
        compact[n] = b;
        n += 1;
        end = s + i + 1;
    }
    if n < len {
        return Outcome::Reject;
    }
    // The IBAN must end at a word boundary (end of text, or a separator before more text).
    if hay.get(end).is_some_and(|&b| b.is_ascii_alphanumeric()) {
        return Outcome::Reject;
    }
    if v::iban_ok(&compact[..n]) {
        Outcome::Hit(Hit::new(Entity::Iban, s, end))
    } else {
        Outcome::Reject
    }
}

/// Cards: the whole candidate, or (for grouped numbers followed by e.g. a CVV) the longest
/// prefix of whole groups that is a valid card.
// Out of line, as the compiler placed it before the thirteenth round: inlined into the
// byte pass it cost clean text 4 % (callgrind).
#[inline(never)]
pub(super) fn check_card(hay: &[u8], s: usize, e: usize, card_key: bool) -> Outcome {
    let text = &hay[s..e];
    let card = |end: usize| Outcome::Hit(Hit::new(Entity::CreditCard, s, end));
    // Most cards are written as one run of digits.
    if text.iter().all(u8::is_ascii_digit) {
        return if v::card_ok(text) && card_context_ok(hay, s, e, text.len(), card_key) {
            card(e)
        } else {
            Outcome::Reject
        };
    }
    // Mixed separators ("4111 1111-1111 1111") are not how cards are written: the number
    // ends where its first separator changes (`4140-9221-2348-5094 140`: a CVV in the next
    // column of a table).
    let text = match text.iter().find(|b| !b.is_ascii_digit()) {
        Some(&first) => {
            let cut = text
                .iter()
                .position(|&b| !b.is_ascii_digit() && b != first)
                .unwrap_or(text.len());
            &text[..cut]
        }
        None => text,
    };
    let mut digits = [0u8; 40];
    let mut n = 0;
    let mut group_ends: [(usize, usize); 8] = [(0, 0); 8];
    let mut ng = 0;
    for (i, &b) in text.iter().enumerate() {
        if b.is_ascii_digit() {
            if n < digits.len() {
                digits[n] = b;
                n += 1;
            }
            let last = i + 1 == text.len() || !text[i + 1].is_ascii_digit();
            if last && ng < group_ends.len() {
                group_ends[ng] = (i + 1, n);
                ng += 1;
            }
        }
    }
    for &(end_off, nd) in group_ends[..ng].iter().rev() {
        if nd < 12 {
            break;
        }
        // A card followed by one more group (a CVV, an expiry) is a card; one followed by
        // two groups or more is the start of a longer number (a tracking number).
        if groups_after(hay, s + end_off) >= 2 {
            return Outcome::Reject;
        }
        if v::card_ok(&digits[..nd]) {
            return if card_context_ok(hay, s, s + end_off, nd, card_key) {
                card(s + end_off)
            } else {
                Outcome::Reject
            };
        }
    }
    Outcome::Reject
}

/// What a valid card number at `s` with `nd` digits still needs from its context: no
/// barcode label right before (`EAN 4006381333931`, `UPC: …`, `GTIN code …`, `ISBN …`: a
/// GS1 code passes Luhn one time in ten), and for 13 digits a card word within the 32 bytes
/// before (or a card-like JSON key, or a text table's card-number column, or an expiry date
/// right after the number ending at `e`: `evidence_r30c::expiry_after`, thirtieth round).
/// 13-digit numbers are Visa's old length, no longer
/// issued; the same shape is an EAN-13 barcode, and German ones (prefixes 400–440) start
/// with the `4` of Visa.
fn card_context_ok(hay: &[u8], s: usize, e: usize, nd: usize, card_key: bool) -> bool {
    if label_before(hay, s, is_barcode_label) || label_before(hay, s, is_carrier_label) {
        return false;
    }
    nd != 13
        || card_key
        || card_word_before(hay, s)
        || super::table::in_card_column(hay, s)
        || super::evidence_r30c::expiry_after(hay, e)
        // ISO/IEC 7812's `PAN` before, the card's verification code after (`evidence_r40c`).
        || super::evidence_r40c::pan_word_before(hay, s)
        || cvc_after_card(hay, e).is_some()
}

/// A card word (`card`, `visa`, `credit`, `debit`, `cc`, `Karte`, `carte`, `tarjeta`,
/// `carta`, `kaart`) within the 32 bytes before `s`; the longer ones may end a word
/// (`Kreditkarte`, `creditcard`).
fn card_word_before(hay: &[u8], s: usize) -> bool {
    const WORDS: [&[u8]; 10] = [
        b"card", b"visa", b"credit", b"debit", b"karte", b"carte", b"tarjeta", b"carta", b"kaart",
        b"cc",
    ];
    let from = s.saturating_sub(32);
    let mut win = [0u8; 32];
    let w = &mut win[..s - from];
    w.copy_from_slice(&hay[from..s]);
    w.make_ascii_lowercase();
    WORDS.iter().any(|word| {
        w.windows(word.len()).enumerate().any(|(at, x)| {
            x == *word
                && (word.len() > 2
                    || ((at > 0 && !w[at - 1].is_ascii_alphabetic())
                        || (at == 0 && (from == 0 || !hay[from - 1].is_ascii_alphabetic())))
                        && !w.get(at + 2).is_some_and(u8::is_ascii_alphabetic))
        })
    })
}

/// The end of a card- or IBAN-shaped number at `p` (12+ digits in card groups not starting
/// with 0, or an IBAN's shape), for numbers that rule rejected.
// Out of line, as the compiler placed it before the thirteenth round: inlined into the
// byte pass it cost clean text 4 % (callgrind).
#[inline(never)]
pub(super) fn rejected_shape_end(hay: &[u8], p: usize) -> Option<usize> {
    let kind = match hay[p] {
        b'1'..=b'9' => Kind::Card,
        // Not a GDS's `CCVI` before a card number (`payment_card_code_before`): the card
        // is tried from its first digit.
        b'A'..=b'Z' if !payment_card_code_before(hay, p + 2) => Kind::Iban,
        _ => return None,
    };
    let end = shape_end(kind, hay, p).ok()??;
    let digits = hay[p..end].iter().filter(|b| b.is_ascii_digit()).count();
    (kind == Kind::Iban || digits >= 12).then_some(end)
}

/// An SSN keyword (`SSN`, `social security`, `SS#`) ends within the 40 bytes before `p`,
/// with only separators and connectors between it and the number: a verb (`is`, `was`), a
/// number word (`number`, `no.`, `nr`, `#`), `on file`, a trace's `trace result`, or a
/// parenthesised word or two or
/// three (`SSN (verified) …`, `SSN (legacy field): …`, `tax id (SSN) …`). Up to three connectors, so `social security
/// number is …` and `SSN on file: …` count; any other word between does not.
pub(super) fn ssn_context_before(hay: &[u8], p: usize) -> bool {
    const WIN: usize = 40;
    let from = p.saturating_sub(WIN);
    let mut win = [0u8; WIN];
    let w = &mut win[..p - from];
    w.copy_from_slice(&hay[from..p]);
    w.make_ascii_lowercase();
    // The window's first byte starts a word only if the text's byte before it is no letter.
    let first_starts = from == 0 || !hay[from - 1].is_ascii_alphabetic();
    // Quotes too: SQL (`WHERE ssn = '123456789'`, `ssn IN ('…'`).
    let is_sep = |b: u8| {
        matches!(
            b,
            b' ' | b':' | b'#' | b'-' | b'=' | b'(' | b'/' | b'\t' | b'.' | b'\'' | b'"'
        )
    };
    // The number follows a colon: `on` and up to two words may qualify the keyword
    // (`SSN on W-4: …`, `SSN on intake form: …`).
    let mut colon = w.iter().rev().find(|&&b| b != b' ' && b != b'\t') == Some(&b':');
    let ends_word = |w: &[u8], k: &[u8]| {
        w.ends_with(k)
            && if w.len() == k.len() {
                first_starts
            } else {
                !w[w.len() - k.len() - 1].is_ascii_alphabetic()
            }
    };
    const KEYS: [&[u8]; 7] = [
        b"ssn",
        b"ss",
        b"social security",
        b"ssn/tin",
        b"soc sec",
        b"soc. sec",
        b"social sec",
    ];
    const CONNECTORS: [&[u8]; 16] = [
        // A background check's `SSN trace result: …` (the number the trace found).
        b"trace",
        b"result",
        b"in",
        b"is",
        b"was",
        b"number",
        b"no",
        b"nr",
        b"num",
        b"on file",
        b"on record",
        b"provided",
        b"given",
        b"supplied",
        b"verified",
        b"entered",
    ];
    let mut w: &[u8] = w;
    for _ in 0..4 {
        let mut end = w.len();
        while end > 0 && is_sep(w[end - 1]) {
            end -= 1;
        }
        w = &w[..end];
        if KEYS.iter().any(|k| ends_word(w, k)) {
            return true;
        }
        // `(SSN)`: the keyword inside the parentheses.
        if ends_word(w, b"ssn)") {
            return true;
        }
        if let Some(c) = CONNECTORS.iter().find(|c| ends_word(w, c)) {
            w = &w[..w.len() - c.len()];
        } else if let Some(k) = colon.then(|| on_phrase(w)).flatten() {
            colon = false;
            w = &w[..k];
        } else if w.last() == Some(&b')') {
            // A parenthesised word or two (`(verified)`, `(legacy field)`), skipped.
            let open = w.iter().rposition(|&b| b == b'(');
            match open {
                // Up to three words (`(legacy field)`, `(as on file)`), 24 bytes at most.
                Some(o)
                    if w.len() - o <= 26
                        && w[o + 1..w.len() - 1]
                            .iter()
                            .all(|&b| b.is_ascii_alphabetic() || b == b' ' || b == b'-')
                        && w[o + 1..w.len() - 1].iter().filter(|&&b| b == b' ').count() <= 2 =>
                {
                    w = &w[..o]
                }
                _ => return false,
            }
        } else {
            return false;
        }
    }
    false
}

/// `w` (lower case) ends in `on` and one or two words, or `for` and up to three (`SSN for
/// the credit application: …`) (letters, digits, `-`; one blank between): where the `on` or
/// `for` starts.
fn on_phrase(w: &[u8]) -> Option<usize> {
    let mut k = w.len();
    for words in 0..4 {
        let e = k;
        while k > 0 && (w[k - 1].is_ascii_alphanumeric() || w[k - 1] == b'-') {
            k -= 1;
        }
        if k == e || k == 0 || w[k - 1] != b' ' {
            return None;
        }
        if (&w[k..e] == b"on" && words < 3) || &w[k..e] == b"for" {
            return Some(k);
        }
        k -= 1;
    }
    None
}

/// `SSN-123-45-6789`: the `-` (or `/`) before the number joins it to an SSN keyword.
pub(super) fn ssn_keyword_joined(hay: &[u8], p: usize) -> bool {
    p >= 4
        && matches!(hay[p - 1], b'-' | b'/')
        && hay[p - 4..p - 1].eq_ignore_ascii_case(b"ssn")
        && (p == 4 || !hay[p - 5].is_ascii_alphabetic())
}

/// Nine bare digits at `p` after an SSN keyword or in a text table's SSN column, valid by the
/// SSN rules.
// Not inlined, as `phone_end`.
#[inline(never)]
pub(super) fn bare_ssn(hay: &[u8], p: usize) -> Option<Hit> {
    if digit_run(hay, p) != 9 || word_at(hay, p + 9) || followed_by_digit_after(hay, p + 9, b"-./")
    {
        return None;
    }
    // An X12 claim's or enrolment's `REF*SY*` segment: reference qualifier `SY` is the
    // subscriber's Social Security Number (837, 834).
    // An X12 `NM1` segment's NM109 after the qualifier `34`, Social Security Number
    // (`evidence_r32f`; thirty-second round, task fmt).
    // An HL7 v2 `PID` segment's PID-19, SSN Number – Patient (`evidence_r41h`; forty-first
    // round, task hl).
    let x12 = hay[..p].ends_with(b"REF*SY*")
        || super::evidence_r32f::x12_nm1_ssn(hay, p)
        || super::evidence_r41h::pid_ssn(hay, p);
    if !x12
        && !ssn_context_before(hay, p)
        && !super::table::in_ssn_column(hay, p)
        && !ssn_clause_before(hay, p)
    {
        return None;
    }
    v::ssn_digits_ok(&hay[p..p + 9]).then(|| Hit::new(Entity::UsSsn, p, p + 9))
}

/// An SSN keyword opening the clause that a colon ends right before `p`, whatever few words
/// qualify it between (`SSN provided by caller: …`, `SSN (last 4 not accepted, full
/// required): …`, `SSN (last verified 2024): …`, `SSN meines Ehepartners: …`): up to six
/// words, on the same line, no sentence end, no other colon, within 56 bytes; none pointing
/// elsewhere (`see`, `attached`, `below`, and the locales' `siehe`, `voir`, `vedi`, `zie`,
/// `ver`).
fn ssn_clause_before(hay: &[u8], p: usize) -> bool {
    let head = hay[..p].trim_ascii_end();
    let Some(colon) = head.len().checked_sub(1).filter(|&c| head[c] == b':') else {
        return false;
    };
    let from = colon.saturating_sub(56);
    let seg = &hay[from..colon];
    // The clause starts after the last line break, `|`, `;`, `:` or sentence end, or a comma
    // outside parentheses (`SSN was checked, ticket on hold: …` is the ticket's).
    let mut depth = 0i32;
    let start = seg
        .iter()
        .rposition(|&b| {
            match b {
                b')' => depth += 1,
                b'(' => depth -= 1,
                _ => {}
            }
            matches!(b, b'\n' | b'|' | b';' | b':' | b'.' | b'!' | b'?')
                || (b == b',' && depth <= 0)
        })
        .map_or(0, |i| i + 1);
    let clause = &seg[start..];
    let Some(k) = clause
        .windows(3)
        .position(|w| w.eq_ignore_ascii_case(b"ssn"))
    else {
        return false;
    };
    let at = from + start + k;
    let word_start = at == 0 || !hay[at - 1].is_ascii_alphanumeric();
    let word_end = !clause.get(k + 3).is_some_and(u8::is_ascii_alphanumeric);
    let words = || {
        clause[k + 3..]
            .split(|b| !(b.is_ascii_alphanumeric() || *b >= 0x80))
            .filter(|w| !w.is_empty())
    };
    // A remark pointing elsewhere (`SSN (see the form attached below): …`) says the SSN is
    // not what follows.
    let pointer = |w: &[u8]| {
        [
            &b"see"[..],
            b"siehe",
            b"voir",
            b"vedi",
            b"zie",
            b"ver",
            b"attached",
            b"below",
            b"above",
        ]
        .iter()
        .any(|p| w.eq_ignore_ascii_case(p))
    };
    word_start && word_end && words().count() <= 6 && !words().any(pointer)
}

/// Groups of two digits or more that follow `end`, each after one space or `-`; not the
/// integer part of an amount (`734 38.253,54 €`: a CVV, then the next column's amount).
fn groups_after(hay: &[u8], mut end: usize) -> usize {
    let mut n = 0;
    while n < 2 && matches!(hay.get(end), Some(b' ' | b'-')) {
        let r = digit_run(hay, end + 1);
        if r < 2 || followed_by_digit_after(hay, end + 1 + r, b".,'") {
            break;
        }
        end += 1 + r;
        n += 1;
    }
    n
}

/// Words naming a card's security code (lower case; matched in any case), in the seven
/// locales: `CVV`, `CVC`, `CVV2`, `CID`, `CSC`, `security code`, `Prüfnummer`,
/// `Kartenprüfnummer`, `Prüfziffer`, `cryptogramme`, `código de seguridad`, `codice di sicurezza`,
/// `beveiligingscode`.
pub(super) const CVC_WORDS: [&[u8]; 15] = [
    b"cvv2",
    b"cvc2",
    b"cvv",
    b"cvc",
    b"cvn",
    b"cid",
    b"csc",
    b"security code",
    b"kartenpr\xc3\xbcfnummer",
    b"pr\xc3\xbcfnummer",
    b"pr\xc3\xbcfziffer",
    b"cryptogramme",
    b"c\xc3\xb3digo de seguridad",
    b"codice di sicurezza",
    b"beveiligingscode",
];

/// Words that may stand between a card number and its security code: an expiry and its
/// label (`exp 09/27`, `expires 09/2027`, `gültig bis 09/27`, `scad. 09/27`, `vence
/// 09/27`, `geldig tot 09/27`), `and`, `und`, `et`, `y`, `e`, `en`.
const CARD_GAP_WORDS: [&[u8]; 20] = [
    b"exp",
    b"expiry",
    b"expires",
    b"expiration",
    b"valid",
    b"thru",
    b"until",
    b"g\xc3\xbcltig",
    b"bis",
    b"ablauf",
    b"scad",
    b"scadenza",
    b"vence",
    b"venc",
    b"geldig",
    b"tot",
    b"and",
    b"und",
    b"et",
    b"y",
];

/// The security code after a card number ending at `end` (within 48 bytes, with only an
/// expiry, blanks, line breaks and punctuation between: `Card: 4111…\nSecurity code: 123`): three or four digits after a word of
/// `CVC_WORDS`, an optional `(CVC)` and `:`/`=`/`#`.
#[inline(never)]
pub(super) fn cvc_after_card(hay: &[u8], end: usize) -> Option<(usize, usize)> {
    let limit = (end + 48).min(hay.len());
    let mut i = end;
    // Digits between card and code: an expiry's (`09/27`, `2027-09-30`: eight at most);
    // more are another number, a card's whose code it is (`evidence_r35d`).
    let mut digits = 0;
    while i < limit {
        let b = hay[i];
        if !(b.is_ascii_alphabetic() || b >= 0x80) {
            if b.is_ascii_digit() {
                digits += 1;
                if digits > super::evidence_r35d::GAP_DIGITS {
                    return None;
                }
                i += 1;
                continue;
            }
            if matches!(
                b,
                b' ' | b'\t'
                    | b','
                    | b';'
                    | b':'
                    | b'/'
                    | b'.'
                    | b'-'
                    | b'('
                    | b')'
                    | b'|'
                    | b'\r'
                    | b'\n'
            ) {
                i += 1;
                continue;
            }
            return None;
        }
        // A word: a security-code word (some are several words), or one that may stand
        // between (an expiry's label).
        if i > 0 && hay[i - 1].is_ascii_alphanumeric() {
            return None;
        }
        let we = i + hay[i..limit]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b >= 0x80)
            .count();
        let code_word = CVC_WORDS.iter().find(|w| {
            hay.get(i..i + w.len())
                .is_some_and(|x| x.eq_ignore_ascii_case(w))
                && !hay.get(i + w.len()).is_some_and(u8::is_ascii_alphanumeric)
        });
        if let Some(w) = code_word {
            return code_digits_after(hay, i + w.len());
        }
        if !CARD_GAP_WORDS
            .iter()
            .any(|g| g.eq_ignore_ascii_case(&hay[i..we]))
            && !super::evidence_r24s::expiry_word(&hay[i..we])
        {
            return None;
        }
        i = we;
    }
    None
}

/// The three or four digits of a security code after its word ending at `j`: an optional
/// `(CVC)`, `:`/`=`/`#`, blanks.
pub(super) fn code_digits_after(hay: &[u8], mut j: usize) -> Option<(usize, usize)> {
    let blanks = |mut j: usize| {
        while hay.get(j).is_some_and(|&b| b == b' ' || b == b'\t') {
            j += 1;
        }
        j
    };
    j = blanks(j);
    // `Prüfnummer (CVC): 123`.
    if hay.get(j) == Some(&b'(') {
        let c = hay[j..(j + 10).min(hay.len())]
            .iter()
            .position(|&b| b == b')')?;
        j = blanks(j + c + 1);
    }
    if matches!(hay.get(j), Some(b':' | b'=' | b'#')) {
        j = blanks(j + 1);
    }
    // A code in backticks (`` CVC `093` ``): the closing one right after the digits
    // (`evidence_r40c`).
    let tick = hay.get(j) == Some(&b'`');
    j += usize::from(tick);
    let digits = hay
        .get(j..)
        .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count());
    let whole = if tick {
        hay.get(j + digits) == Some(&b'`')
    } else {
        hay.get(j + digits)
            .is_none_or(|&b| !b.is_ascii_alphanumeric() && b != b'/' && b != b'-')
    };
    ((3..=4).contains(&digits) && whole).then_some((j, j + digits))
}

/// The number region from the digit at `i` (`Detector::number_region`): where it ends (the
/// first byte of `CLASS` neither `C_DIGIT` nor `C_NUMSEP`, or the first of three separators
/// in a row, a no-break space counting as one), its digits and its dots. Each run of digits in
/// a loop of its own, one range test a digit (thirtieth round, task cost: the class load and
/// two class tests a digit were ten instructions a byte, ~75k a pass on `redact_profile 65536
/// clean bytes`); `tests_cost` pins it against the walk over `CLASS` it replaces.
#[inline(always)]
pub(super) fn region_extent(hay: &[u8], i: usize) -> (usize, usize, usize) {
    let n = hay.len();
    let mut e = i;
    let mut digits = 0usize;
    let mut dots = 0usize;
    loop {
        // A run of digits, in a loop of its own over the rest of the text (`CLASS` holds
        // `C_DIGIT` for the ASCII digits alone).
        let run = hay[e..]
            .iter()
            .position(|b| !b.is_ascii_digit())
            .unwrap_or(n - e);
        e += run;
        digits += run;
        let Some(&b) = hay.get(e) else {
            break;
        };
        if CLASS[usize::from(b)] != C_NUMSEP {
            break;
        }
        if b == b'.' {
            dots += 1;
        }
        // Phones use at most two separators in a row (") ", " -"); three end the region. A
        // no-break space (C2 A0) counts as one.
        if e + 2 < n
            && CLASS[usize::from(hay[e + 1])] == C_NUMSEP
            && CLASS[usize::from(hay[e + 2])] == C_NUMSEP
            && b != 0xC2
            && hay[e + 1] != 0xC2
        {
            break;
        }
        e += 1;
    }
    (e, digits, dots)
}
