//! HL7 v2 `PID` segments' patient fields by position (forty-first round, task hl;
//! docs/redaction-accuracy.md, "Forty-first round, task hl"; every count below by
//! `benches/hl_r41_population.py` over every training split, gold / not gold / gold missed
//! by main's engine `m29`).
//!
//! HL7 v2.5 chapter 3 (3.4.2, PID — Patient Identification Segment) defines the segment's
//! fields by position: PID-7 "Date/Time of Birth" (TS, `YYYYMMDD[HHMM…]`) and PID-19 "SSN
//! Number – Patient". Standard clause; the population stands on several writers too:
//!
//! * **PID-7** (`pid-7`): 79 gold, 0 not gold, on five writers' splits (blind21, 28, 31, 35,
//!   39). Main's record rule (`records`) found the compact `YYYYMMDD` ones beside the line's
//!   phone; 5 written `DD/MM/YYYY` / `DD-MM-YYYY` (blind39) were missed. Taken by position:
//!   the field's value whole, eight digits `YYYYMMDD` (a real month and day, a year of
//!   1900–2026: a newborn's record holds this year's date) or two-digit day and month and a
//!   four-digit year joined by one separator used twice (`/`, `.`, `-`; either order of day
//!   and month), or `YYYY-MM-DD`.
//! * **PID-19** (`pid-19`): 41 gold, 0 not gold, on four writers' splits (blind21, 31, 35,
//!   39); 7 nine-digit values missed (blind35 2, blind39 5); the dashed `123-45-6789` ones
//!   main found already. Taken by position: nine digits valid by the SSN rules
//!   (`validate::ssn_digits_ok`).
//!
//! Not read: PID-3 (patient identifier list, 110 places, none gold), PID-18 (patient account
//! number: 88 not gold on five writers' splits; blind28's writer put the SSN there, 18,
//! left as in the twenty-ninth round), field 7 or 19 of any other segment (86 places, none
//! gold). A field is PID-*n* when its line (after a `\r` or `\n`, a JSON string's escaped
//! `\r` / `\n`, or the text's start, within 512 bytes) opens `PID|` and `n` field
//! separators stand before it, and the text holds a message header declaring HL7's encoding
//! characters (`MSH|^~`, MSH-1/MSH-2). The value ends at the field's `|`, a component's
//! `^`, a line's end, a JSON string's `\` or `"`, or the text's end. Reached where the
//! number pass already stops: a nine-digit run (`numbers::bare_ssn`) and an eight-digit run
//! after `|` (`numbers::eight_digit_birth_date`); no new trigger literal.

/// Whether the byte at `i` (or the text's end) ends an HL7 field's value.
fn field_end(hay: &[u8], i: usize) -> bool {
    matches!(
        hay.get(i),
        None | Some(b'|' | b'^' | b'\r' | b'\n' | b'\\' | b'"')
    )
}

/// Whether the value at `p` is field `n` of an HL7 v2 `PID` segment (module docs).
pub(super) fn pid_field(hay: &[u8], p: usize, n: usize) -> bool {
    if p < n + 4 || hay.get(p - 1) != Some(&b'|') {
        return false;
    }
    let from = p.saturating_sub(512);
    let mut end = p;
    let ls = loop {
        match memchr::memrchr3(b'\n', b'\r', b'\\', &hay[from..end]) {
            Some(i) => {
                let i = from + i;
                match hay[i] {
                    b'\\' if matches!(hay.get(i + 1), Some(b'n' | b'r')) => break i + 2,
                    b'\\' => end = i,
                    _ => break i + 1,
                }
            }
            None if from == 0 => break 0,
            None => return false,
        }
    };
    let line = &hay[ls..p];
    line.starts_with(b"PID|")
        && line.iter().filter(|&&b| b == b'|').count() == n
        && memchr::memmem::find(hay, b"MSH|^~").is_some()
}

/// Whether the nine digits at `p` are a `PID` segment's PID-19, the patient's SSN (module
/// docs); the caller has checked the run and the SSN rules.
pub(super) fn pid_ssn(hay: &[u8], p: usize) -> bool {
    field_end(hay, p + 9) && pid_field(hay, p, 19)
}

/// The length of the date at `p` when it is a `PID` segment's PID-7, date of birth, whole
/// (module docs): 8 (`YYYYMMDD`) or 10 (`DD/MM/YYYY`, `MM/DD/YYYY`, `YYYY-MM-DD`, with `/`,
/// `.` or `-`).
pub(super) fn pid_birth_date(hay: &[u8], p: usize) -> Option<usize> {
    let len = date_len(hay, p)?;
    (field_end(hay, p + len) && pid_field(hay, p, 7)).then_some(len)
}

/// The length of a date at `p` in the shapes of `pid_birth_date`, by its digits alone.
fn date_len(hay: &[u8], p: usize) -> Option<usize> {
    let d = |i: usize| {
        hay.get(p + i)
            .filter(|b| b.is_ascii_digit())
            .map(|b| u16::from(b - b'0'))
    };
    let num = |r: std::ops::Range<usize>| r.map(d).try_fold(0u16, |a, x| Some(a * 10 + x?));
    let years = 1900..=2026;
    let month = 1..=12;
    let day = 1..=31;
    if let (Some(y), Some(m), Some(dd)) = (num(0..4), num(4..6), num(6..8)) {
        let days = match m {
            2 => 29,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let ok = years.contains(&y) && month.contains(&m) && (1..=days).contains(&dd);
        return ok.then_some(8);
    }
    let sep = *hay.get(p + 2)?;
    if matches!(sep, b'/' | b'.' | b'-') && hay.get(p + 5) == Some(&sep) {
        let (a, b, y) = (num(0..2)?, num(3..5)?, num(6..10)?);
        let ok = years.contains(&y)
            && day.contains(&a)
            && day.contains(&b)
            && (month.contains(&a) || month.contains(&b));
        return ok.then_some(10);
    }
    if hay.get(p + 4) == Some(&b'-') && hay.get(p + 7) == Some(&b'-') {
        let (y, m, dd) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let ok = years.contains(&y) && month.contains(&m) && day.contains(&dd);
        return ok.then_some(10);
    }
    None
}
