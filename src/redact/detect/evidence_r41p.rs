//! Forty-first round, task pw (issue #20; docs/redaction-accuracy.md, "Forty-first round,
//! task pw"; counted on every training split by `benches/pw_r41_population.py`).
//!
//! **net-snmp's SNMPv3 pass phrases** (snmpcmd(1), "SNMPv3 options": `-A AUTHPASSPHRASE`
//! sets the authentication pass phrase, `-X PRIVPASSPHRASE` the privacy pass phrase; `-a`
//! and `-x` name the protocols, MD5/SHA and DES/AES, no secret): `snmpwalk -v3 -l authPriv
//! -u monitor -a SHA -A 'X' -x AES -X 'Y' HOST`. `pw_r41_population.py` (`snmp-A`, `snmp-X`)
//! over every training split: 9 + 9 places, all gold PASSWORD, on two writers' splits
//! (blind24 7 + 7, blind39 2 + 2), main (`m29`) missed 6 + 7; `-a`'s 9 arguments none gold.
//! Taken under the standard clause. Reached at the prose searcher's ` -a ` (an snmp command
//! line gives its protocol before its pass phrase): on a line of a net-snmp command the
//! anchor adds the `-A` and `-X` flags after it as candidates of the prose rule
//! (`ProseTriggers::check_at`); no literal is added. The argument is quoted (single or
//! double, `\"` in a JSON document's raw bytes) or bare, and holds at least 8 bytes (the
//! USM's minimum: net-snmp refuses a shorter pass phrase) and reads as a password
//! (`password_like`).
//!
//! **Windows answer files' password `<Value>` on its own line** (Microsoft's unattend.xml
//! schema: `UserAccounts/AdministratorPassword/Value`, `LocalAccounts/LocalAccount/Password/
//! Value`, `AutoLogon/Password/Value`, with `PlainText`): `unattend`, 103 places, all gold
//! PASSWORD, on four writers' splits (blind15 72, blind32 20, blind35 4, blind39 7); main
//! missed 11, each a `<Value>` after a line break and indentation (`xml_password` read the
//! `<Value>` child only right after the start tag). `value_child` skips those blanks.

use super::check::password_like;
use super::{Entity, Hit};

/// net-snmp's commands (snmpcmd(1)'s "SEE ALSO"), after `snmp`.
const SNMP_COMMANDS: [&[u8]; 16] = [
    b"walk",
    b"get",
    b"getnext",
    b"bulkwalk",
    b"bulkget",
    b"set",
    b"table",
    b"trap",
    b"inform",
    b"delta",
    b"df",
    b"netstat",
    b"status",
    b"test",
    b"usm",
    b"vacm",
];

/// The most bytes looked back for the command, and on for the flags.
const LINE_MAX: usize = 300;

/// A net-snmp command (`snmpwalk`, `snmpget`, …) before `p` on its line, as a word.
pub(super) fn snmp_command_before(hay: &[u8], p: usize) -> bool {
    let from = p.saturating_sub(LINE_MAX);
    let Some(head) = hay.get(from..p) else {
        return false;
    };
    // A line ends at a line break, or at a JSON string's `\n` (a document's raw bytes).
    let real = head.iter().rposition(|&b| b == b'\n').map_or(0, |k| k + 1);
    let escaped = memchr::memmem::rfind(head, b"\\n").map_or(0, |k| k + 2);
    let head = &head[real.max(escaped)..];
    memchr::memmem::find_iter(head, b"snmp").any(|k| {
        let word_start = k == 0 || !head[k - 1].is_ascii_alphanumeric();
        let rest = &head[k + 4..];
        let n = rest.iter().take_while(|b| b.is_ascii_lowercase()).count();
        word_start && rest.get(n) == Some(&b' ') && SNMP_COMMANDS.iter().any(|c| *c == &rest[..n])
    })
}

/// At the ` -a ` anchor `q` (its `-`) on a net-snmp command line: the `-` of each ` -A ` and
/// ` -X ` after it on the line, pushed to `out` with `rule`.
pub(super) fn snmp_pass_flags(hay: &[u8], q: usize, rule: usize, out: &mut Vec<(usize, usize)>) {
    if !snmp_command_before(hay, q) {
        return;
    }
    let end = q.saturating_add(LINE_MAX).min(hay.len());
    let Some(tail) = hay.get(q..end) else { return };
    let real = memchr::memchr(b'\n', tail).unwrap_or(tail.len());
    let escaped = memchr::memmem::find(tail, b"\\n").unwrap_or(tail.len());
    let tail = &tail[..real.min(escaped)];
    for k in memchr::memmem::find_iter(tail, b" -") {
        if matches!(tail.get(k + 2), Some(b'A' | b'X')) && tail.get(k + 3) == Some(&b' ') {
            out.push((q + k + 1, rule));
        }
    }
}

/// `-A ` or `-X ` at `p` on a net-snmp command line (the prose rule's keyword).
pub(super) fn snmp_pass_flag_at(hay: &[u8], p: usize) -> bool {
    hay.get(p) == Some(&b'-')
        && matches!(hay.get(p + 1), Some(b'A' | b'X'))
        && hay.get(p + 2) == Some(&b' ')
        && snmp_command_before(hay, p)
}

/// The pass phrase after the `-A` / `-X` flag at `s` on a net-snmp command line (`None`
/// elsewhere): a PASSWORD when it reads as one, else nothing.
pub(super) fn snmp_pass_phrase(hay: &[u8], s: usize) -> Option<Option<Hit>> {
    if !snmp_pass_flag_at(hay, s) {
        return None;
    }
    let mut i = s + 3;
    while matches!(hay.get(i), Some(b' ')) {
        i += 1;
    }
    let limit = i.saturating_add(128).min(hay.len());
    let rest = hay.get(i..limit)?;
    let (vs, ve) = match rest {
        [b'\\', q @ (b'"' | b'\''), ..] => {
            let body = &rest[2..];
            let n = memchr::memchr(b'\\', body)?;
            (body.get(n + 1) == Some(q)).then_some((i + 2, i + 2 + n))?
        }
        [q @ (b'"' | b'\''), ..] => {
            let n = memchr::memchr(*q, &rest[1..])?;
            (i + 1, i + 1 + n)
        }
        _ => {
            let n = rest
                .iter()
                .take_while(|&&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'\\'))
                .count();
            (n > 0).then_some((i, i + n))?
        }
    };
    let v = hay.get(vs..ve)?;
    Some((v.len() >= 8 && password_like(v)).then(|| Hit::new(Entity::Password, vs, ve)))
}

/// Where the text of a `<Value>` child starts, when one follows the start tag ending before
/// `i` after blanks and line breaks (also a JSON string's `\n`, `\r`, `\t`), else `None`.
pub(super) fn value_child(hay: &[u8], mut i: usize) -> Option<usize> {
    let end = i.saturating_add(64);
    while i < end {
        match hay.get(i)? {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'\\' if matches!(hay.get(i + 1), Some(b'n' | b'r' | b't')) => i += 2,
            _ => break,
        }
    }
    hay.get(i..i + 7)?
        .eq_ignore_ascii_case(b"<Value>")
        .then_some(i + 7)
}
