//! The formats blind31's writer brought for US_SSN, PHONE, DATE_OF_BIRTH, ANTHROPIC_KEY and
//! IPV4 (thirty-second round, task fmt; docs/redaction-accuracy.md, "Thirty-second round, task
//! fmt"; every count below by `benches/fmt_r32_population.py` over every training split, gold
//! / not gold / gold missed by main's engine `m15`).
//!
//! * **An ASC X12 `NM1` segment's Social Security Number** (`NM1*IL*1*DOE*JANE****34*
//!   123456789~`, an 834 enrolment's member): the identification code qualifier NM108 `34` is
//!   "Social Security Number" in X12's code list (data element 66), and NM109 is the number.
//!   Standard clause. Population (`x12-nm1-34`): 25 gold, 0 not, 25 missed (blind31); every
//!   other NM108 qualifier (`x12-nm1-other`: `MI`, `ZZ`, `XX` …, 38, of which blind28's 12
//!   `MI` values are gold — not taken in the twenty-ninth round) is not read. Reached where
//!   the number pass already asks for nine bare digits (`numbers::bare_ssn`, beside X12's
//!   `REF*SY*`).
//! * **An X12 `PER` segment's home and work phones** (`PER*IP**HP*6177956828*EM*…`): the
//!   communication number qualifiers (data element 365) `HP` "Home Phone Number" and `WP`
//!   "Work Phone Number" join `TE`, `CP`, `FX` (`numbers::x12_phone_qualifier`). Standard
//!   clause. Population (`x12-per-HP`): 25 gold, 0 not, 25 missed (blind31).
//! * **An HL7 v2 `IN1` segment's insured's birth date** (`IN1|1|AETNA|…||DOE^JANE|01|
//!   19770220`): field IN1-18, "Insured's Date of Birth" (DT, `YYYYMMDD`), in HL7 v2.5
//!   chapter 6. The record rule (`records`) found PID-7 on the PID line, which holds the
//!   patient's phone and mailbox; the IN1 line holds no other PII, so its date was missed.
//!   Standard clause. Population (`hl7-in1-18`): 13 gold, 0 not, 13 missed (blind31); the
//!   segment's other eight-digit fields (`hl7-in1-date`) are not read. Reached from the number
//!   pass: eight digits after a `|` (`numbers::numeric_at`), no new trigger literal.
//! * **A record's cell that is the birth date's key** (`{'email': 'a@example.com',
//!   'date_of_birth': '1949-02-10'}`, a Python dict's repr): the record rule read the key's
//!   `date` as an event's word before the date (`records::no_event_before`); a key naming
//!   the birth date (`table::birth_date_header`, as a text table's header already is) names
//!   none. A defect of the event test. Population (`dob-key-text-sq`): 15 gold, 0 not, 15
//!   missed (blind31).
//! * **A shell parameter's default** (`API_KEY="${ANTHROPIC_API_KEY:-sk-ant-api03-…}"`): the
//!   key/value rule read `API_KEY` inside the expansion as a key and `-sk-ant-…}` as its
//!   value (GENERIC_SECRET, starting one byte before the vendor's key, so it won). In POSIX
//!   `${parameter:-word}` the `:-` is no separator: the value is `word`, up to the `}`; a
//!   vendor's key there is then the vendor rule's (`shell_default`). Population
//!   (`shell-default-any`): 9, all gold ANTHROPIC_KEY, all missed (blind31). A type/boundary
//!   defect.
//! * **A user agent's version is no address** (`ua=Yealink SIP-T46U 108.86.0.118`): the
//!   twenty-ninth round rejected a dotted quad in a `User-Agent:` header's value
//!   (`evidence_r29n::user_agent_header`; RFC 3261 §20.41, RFC 9110 §10.1.5: product tokens
//!   and their versions); a log's `ua=` key (Kamailio's `$ua`, the User-Agent header) names
//!   the same value. Population (`ua-version-ipv4`): 0 gold, 13 not (blind28 3 under
//!   `User-Agent:`, rejected already; blind31 10 under `ua=`).
//! * **A Markdown table row's phone** (`| Telefoon | 078.158.30.67 |`): a phone word in the
//!   row's first cell is the number's context, but `table::starts_non_phone_row` read the
//!   ` | ` before the second cell as a flattened log's line break and the label cell as
//!   another row's, and rejected it. In a row opening with `|` (GFM's table), the ` | ` after
//!   its first cell is the cell delimiter (`pipe_row_second_cell`). A defect of the
//!   separator, as the thirty-first round's birth-date row. Population (pipe row, first
//!   cell a phone word): 132 gold (blind30 60, blind31 72), 0 not, 5 missed (blind30 2,
//!   blind31 3).

/// Whether the nine digits at `p` are an X12 `NM1` segment's NM109 after the qualifier `34`
/// (Social Security Number): `NM1*` opening the segment (at the text's or a line's start, or
/// after the segment terminator `~`), then eight elements, the last `34`.
pub(super) fn x12_nm1_ssn(hay: &[u8], p: usize) -> bool {
    if p < 12 || !hay[..p].ends_with(b"*34*") {
        return false;
    }
    // Back over the segment's elements (at most 128 bytes) to its start.
    let from = p.saturating_sub(128);
    let Some(seg) = hay[from..p]
        .iter()
        .rposition(|&b| matches!(b, b'~' | b'\n' | b'\r'))
        .map(|i| from + i + 1)
        .or((from == 0).then_some(0))
    else {
        return false;
    };
    let seg = &hay[seg..p];
    seg.starts_with(b"NM1*") && seg.iter().filter(|&&b| b == b'*').count() == 9
}

/// Whether the eight digits at `p` (after a `|`) are an HL7 v2 `IN1` segment's field 18,
/// Insured's Date of Birth: the line opens `IN1|` and 18 field separators stand before `p`;
/// the digits are a date `YYYYMMDD` with a plausible age (`records::compact_date`), ended by
/// the field's `|`, a component's `^`, a line's end or the text's.
pub(super) fn in1_birth_date(hay: &[u8], p: usize) -> bool {
    if p < 22 || hay[p - 1] != b'|' {
        return false;
    }
    let Some(d) = hay.get(p..p + 8) else {
        return false;
    };
    if !matches!(hay.get(p + 8), None | Some(b'|' | b'^' | b'\r' | b'\n'))
        || !super::records::compact_date(d)
    {
        return false;
    }
    let from = p.saturating_sub(256);
    let Some(ls) = hay[from..p]
        .iter()
        .rposition(|&b| matches!(b, b'\n' | b'\r'))
        .map(|i| from + i + 1)
        .or((from == 0).then_some(0))
    else {
        return false;
    };
    hay[ls..p].starts_with(b"IN1|") && hay[ls..p].iter().filter(|&&b| b == b'|').count() == 18
}

/// At a key/value match whose key's `:` is followed by `-` (`vs` the `-`): when the key is a
/// POSIX parameter expansion's name (`${NAME:-word}`, the name right after `${`), the default
/// word's start and end (the `}` excluded).
pub(super) fn shell_default(hay: &[u8], s: usize, vs: usize) -> Option<(usize, usize)> {
    if vs < 2 || hay.get(vs) != Some(&b'-') || hay[vs - 1] != b':' {
        return None;
    }
    // The name: word bytes back from the `:` to the `${`, the key's start among them.
    let name = hay[..vs - 1]
        .iter()
        .rev()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
        .count();
    let ns = vs - 1 - name;
    if name == 0 || ns > s || ns < 2 || &hay[ns - 2..ns] != b"${" {
        return None;
    }
    let ws = vs + 1;
    let len = hay[ws..]
        .iter()
        .take(512)
        .take_while(|&&b| !matches!(b, b'}' | b'\n' | b'\r' | b'"' | b'\'' | b' ' | b'\t'))
        .count();
    (hay.get(ws + len) == Some(&b'}') && len > 0).then_some((ws, ws + len))
}

/// Whether the dotted quad at `s` (after a blank) follows a log's `ua=` key on its line, with
/// product tokens between (no other `=`, within 64 bytes): a user agent's version.
pub(super) fn ua_key_before(hay: &[u8], s: usize) -> bool {
    if s == 0 || hay[s - 1] != b' ' {
        return false;
    }
    let from = s.saturating_sub(64);
    let w = &hay[from..s];
    let Some(eq) = w.iter().rposition(|&b| b == b'=') else {
        return false;
    };
    eq >= 2
        && w[eq - 2..eq].eq_ignore_ascii_case(b"ua")
        && (eq == 2 && from == 0 || eq > 2 && matches!(w[eq - 3], b' ' | b'\t' | b',' | b';'))
        && w[eq + 1..].iter().any(u8::is_ascii_alphabetic)
        && !w[eq + 1..].iter().any(|&b| matches!(b, b'\n' | b'\r'))
}

/// Whether a record's cell before a date is the birth date's key alone (`'date_of_birth': '`,
/// `date_of_birth=`, `birth_date: `): blanks, quotes and one `:` or `=` around a name
/// `table::birth_date_header` takes.
pub(super) fn birth_key_cell(cell: &[u8]) -> bool {
    let trim = |c: &[u8]| -> (usize, usize) {
        let s = c
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\'' | b'"'))
            .unwrap_or(c.len());
        let e = c
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t' | b'\'' | b'"'))
            .map_or(s, |i| i + 1);
        (s, e.max(s))
    };
    let (s, e) = trim(cell);
    let c = &cell[s..e];
    let Some((&last, head)) = c.split_last() else {
        return false;
    };
    if !matches!(last, b':' | b'=') {
        return false;
    }
    let (hs, he) = trim(head);
    let name = &head[hs..he];
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        && std::str::from_utf8(name).is_ok_and(super::table::birth_date_header)
}

/// Whether `s` (right after a ` | `) opens the second cell of a Markdown/GFM table row: the
/// line holds, before it, only blanks, a `|`, one cell with no `|`, and the ` | ` (at most 64
/// bytes of cell).
pub(super) fn pipe_row_second_cell(hay: &[u8], s: usize) -> bool {
    if s < 4 || !hay[..s].ends_with(b" | ") {
        return false;
    }
    let end = s - 3;
    let from = end.saturating_sub(64);
    let Some(open) = hay[from..end]
        .iter()
        .rposition(|&b| b == b'|')
        .map(|i| from + i)
    else {
        return false;
    };
    let cell = &hay[open + 1..end];
    !cell.is_empty()
        && !cell.iter().any(|&b| matches!(b, b'\n' | b'\r'))
        && cell.iter().any(u8::is_ascii_alphabetic)
        && hay[..open]
            .iter()
            .rev()
            .take_while(|&&b| b != b'\n')
            .all(|&b| matches!(b, b' ' | b'\t'))
}
