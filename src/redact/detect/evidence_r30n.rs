//! Precision negatives of the thirtieth round (issue #20, task prec): a finding whose value
//! a language's, a tool's or a standard's document says is no secret and no card.
//!
//! Each was measured on the **population** of its construction on every training split
//! (`benches/prec_r30_population.py`: every place of it by gold label, and every finding of
//! main's engine inside it; docs/redaction-accuracy.md, "Thirtieth round, task prec"):
//!
//! - a reference to an environment variable, the whole value, in a language's or a tool's
//!   own syntax: PowerShell's `$env:GH_TOKEN` (about_Environment_Variables), LiteLLM's
//!   `os.environ/LITELLM_MASTER_KEY` (its proxy config reads the variable so named), Ruby's
//!   `ENV['DB_PASS']`, Node's `process.env.API_KEY`, cmd.exe's `%API_KEY%`. The value is
//!   read from the variable; the text holds its name (the twenty-ninth round took POSIX's
//!   `${NAME}` the same way). 284 places in 17 writers' splits, none gold; main found 17
//!   of them as GENERIC_SECRET (blind12 1, blind29 16), all false;
//! - a Postfix lookup table, `type:/path` (`smtp_sasl_password_maps =
//!   hash:/etc/postfix/sasl_passwd`: Postfix's DATABASE_README and postconf(5), a `*_maps`
//!   parameter names the table holding the passwords by its type and file). 13 places in
//!   one writer's split (blind26), none gold; main found all 13 as PASSWORD: taken on
//!   Postfix's document, the value is a file's name;
//! - the `pass` attribute of an unattend.xml `<settings>` element (`<settings
//!   pass='oobeSystem'>`): Microsoft's "Unattended Windows Setup Reference" names the seven
//!   configuration passes it holds (windowsPE, offlineServicing, generalize, specialize,
//!   auditSystem, auditUser, oobeSystem). 36 places in one writer's split (blind15), none
//!   gold; main found 14 as PASSWORD: taken on Microsoft's document;
//! - digits that are another standard's identifier, not a card: the IDoc number after a SAP
//!   IDoc's control record `EDI_DC40` or the word `IDoc` (SAP's control record: DOCNUM,
//!   sixteen digits; 108 places in one writer's split, blind19, none gold; main found 5 as
//!   CREDIT_CARD), an OFX `<FITID>` (OFX 2.2 §3.2.1, the institution's transaction id; 34
//!   places, blind15, none gold; main found 1), and fifteen digits after `chip` or
//!   `microchip` (ISO 11784, a pet's transponder code: 153 places in six writers' splits,
//!   blind14, 19, 20, 22, 25, 28, none gold; main found 2, blind14 and blind20).

/// Whether `v`, the whole value of a PASSWORD or GENERIC_SECRET finding, is a reference to
/// an environment variable (`$env:NAME`, `os.environ/NAME`, `ENV['NAME']`,
/// `process.env.NAME`, `%NAME%`) or a Postfix lookup table (`hash:/etc/postfix/sasl_passwd`;
/// module docs). The caller asks by the value's first byte.
pub(crate) fn reference(v: &[u8]) -> bool {
    match v.first() {
        Some(b'$') => v.strip_prefix(b"$env:").is_some_and(name),
        Some(b'%') => v.len() >= 3 && v[v.len() - 1] == b'%' && upper_name(&v[1..v.len() - 1]),
        Some(b'o') => v.strip_prefix(b"os.environ/").is_some_and(name),
        Some(b'E') => v.strip_prefix(b"ENV[").is_some_and(ruby_index),
        Some(b'p') => v.strip_prefix(b"process.env.").is_some_and(name) || lookup_table(v),
        Some(b'h' | b'b' | b'l' | b'c' | b'd' | b's' | b't' | b'r') => lookup_table(v),
        _ => false,
    }
}

/// A variable's name: a letter or `_`, then letters, digits and `_`.
fn name(n: &[u8]) -> bool {
    n.first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && n.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// A cmd.exe variable's name as written between `%`s: capitals, digits and `_`, opening with
/// a capital or `_` (`%API_KEY%`; not `%20%`).
fn upper_name(n: &[u8]) -> bool {
    n.first()
        .is_some_and(|b| b.is_ascii_uppercase() || *b == b'_')
        && n.iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
}

/// After `ENV[`: a name, bare or quoted, and `]` ending the value.
fn ruby_index(t: &[u8]) -> bool {
    let Some(t) = t.strip_suffix(b"]") else {
        return false;
    };
    let t = match (t.first(), t.last()) {
        (Some(b'\'' | b'"'), Some(b'\'' | b'"')) if t.len() >= 2 => &t[1..t.len() - 1],
        _ => t,
    };
    name(t)
}

/// Postfix's lookup table types whose table is a file (DATABASE_README).
const TABLE_TYPES: &[&[u8]] = &[
    b"hash",
    b"btree",
    b"lmdb",
    b"cdb",
    b"dbm",
    b"sdbm",
    b"texthash",
    b"regexp",
    b"pcre",
    b"cidr",
];

/// Whether `v` is a Postfix lookup table: a file-based type (or `proxy:` and one), `:`, an
/// absolute path of letters, digits, `_`, `.`, `-` and `/` (module docs).
fn lookup_table(v: &[u8]) -> bool {
    let v = v.strip_prefix(b"proxy:").unwrap_or(v);
    let Some(c) = v.iter().position(|b| *b == b':') else {
        return false;
    };
    let path = &v[c + 1..];
    TABLE_TYPES.contains(&&v[..c])
        && path.len() >= 2
        && path[0] == b'/'
        && path[1] != b'/'
        && path
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/'))
}

/// The seven configuration passes of an unattend.xml `<settings pass=…>` (module docs).
const PASSES: &[&[u8]] = &[
    b"windowsPE",
    b"offlineServicing",
    b"generalize",
    b"specialize",
    b"auditSystem",
    b"auditUser",
    b"oobeSystem",
];

/// Whether the PASSWORD or GENERIC_SECRET finding `hay[s..e]` is the configuration pass of
/// an unattend.xml `<settings pass='…'>` (module docs): a quote before it (the cheapest byte
/// first; its `\` when the document is JSON-escaped), `pass=` before that, and the value one
/// of the seven passes.
pub(crate) fn unattend_pass(hay: &[u8], s: usize, e: usize) -> bool {
    if s < 6 || !matches!(hay[s - 1], b'\'' | b'"') {
        return false;
    }
    let q = if hay[s - 2] == b'\\' { s - 2 } else { s - 1 };
    q >= 5 && &hay[q - 5..q] == b"pass=" && PASSES.contains(&&hay[s..e])
}

/// Whether the card candidate `hay[s..e]` (digits alone) is another standard's identifier
/// (module docs): an IDoc's number after `EDI_DC40` or `IDoc` (sixteen digits), an OFX
/// `<FITID>`, a pet's transponder code after `chip` or `microchip` (fifteen digits). The
/// cheapest byte first: a blank or `>` before the number.
pub(crate) fn not_card(hay: &[u8], s: usize, e: usize) -> bool {
    // Fifteen or sixteen digits, or an OFX element's: the length and the byte before first.
    let n = e - s;
    if s == 0
        || !((matches!(hay[s - 1], b' ' | b'\t') && (n == 15 || n == 16)) || hay[s - 1] == b'>')
    {
        return false;
    }
    let v = &hay[s..e];
    if !v.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if hay[s - 1] == b'>' {
        return hay[..s].ends_with(b"<FITID>");
    }
    // Back over the blanks to the word before.
    let blanks = hay[..s]
        .iter()
        .rev()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    let before = &hay[..s - blanks];
    let word_start = |w: &[u8]| {
        let i = before.len() - w.len();
        i == 0 || !hay[i - 1].is_ascii_alphanumeric()
    };
    match v.len() {
        16 => [&b"EDI_DC40"[..], b"IDoc"]
            .iter()
            .any(|w| before.ends_with(w) && word_start(w)),
        15 => {
            let before = before.strip_suffix(b":").unwrap_or(before);
            before.len() >= 4 && before[before.len() - 4..].eq_ignore_ascii_case(b"chip") && {
                let i = before.len() - 4;
                let micro = i >= 5 && before[i - 5..i].eq_ignore_ascii_case(b"micro");
                let i = if micro { i - 5 } else { i };
                i == 0 || !before[i - 1].is_ascii_alphanumeric()
            }
        }
        _ => false,
    }
}
