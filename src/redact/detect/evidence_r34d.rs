//! Thirty-fourth round, task dob (issue #20): a JSON table's rows whose columns are named by a
//! sibling list, and Authorize.net's card code.
//!
//! **A table named by its `columns`.** Query APIs return a table as a list of column names
//! beside the rows, each row an array of cells: `{"columns": ["name", "email", "birth_date"],
//! "rows": [["Jane Doe", "jane@example.com", "1984-03-02"]]}` (Azure Monitor Logs' and Kusto's
//! `columns` + `rows`, Trino's client protocol `columns` + `data`, ClickHouse's `JSONCompact`
//! `meta` + `data`). A sheet whose first row is its header (`values`: `[["name", "dob"],
//! ["Jane", "1984-03-02"]]`) is read already (`json::birth_columns`, `table::header_cell_bits`):
//! a birth-date column's cells are DATE_OF_BIRTH values. The same column names, given by a
//! sibling member `columns` / `header` / `headers` / `fields` / `cols` that is a list of strings,
//! now name the rows' columns the same way. Only birth-date columns are taken (the phone and
//! identifier columns a header row also names are not: the population holds no phone missed).
//! `benches/dob_r34_population.py` over every training split: 75 cells under a sibling-named
//! `birth_date` column, all gold DATE_OF_BIRTH (blind33, a `postgres.query` tool's `columns` /
//! `rows`), none not gold; the header-row form it extends holds 1,180 (five writers). A list
//! of column objects (`[{"name": "dob", "type": "date"}]`: Trino, Azure) is not read (no place
//! on the training splits).
//!
//! The `Value` walk reads the sibling (`json::Walk::object`); the streaming pass reads rows
//! that come after such a list with its columns and hands an object whose rows came before
//! it to the `Value` walk (`stream`'s object member loop), and the clean check does not skip a body holding such a list
//! (`stream::has_birth_sheet`).
//!
//! **Authorize.net's `cardCode`** (`createTransaction`: `payment.creditCard.cardCode`, the
//! card code, CVV2/CVC2/CID) is a card security code, labelled GENERIC_SECRET as `cvc`/`cvv`
//! are (`json::keys`, the sensitive names: `card_code`). 59 places on two writers' splits
//! (blind26 41, blind33 18), all gold GENERIC_SECRET, every one missed by main; no other
//! spelling of a card code key on the training splits.

/// Whether a member's name is one a table's list of column names is given under
/// (`columns`, `header`, `headers`, `fields`, `cols`; any case).
#[inline]
pub(crate) fn header_key(key: &str) -> bool {
    let is = |n: &str| key.eq_ignore_ascii_case(n);
    match key.len() {
        4 => is("cols"),
        6 => is("header") || is("fields"),
        7 => is("columns") || is("headers"),
        _ => false,
    }
}

/// The birth-date columns of `table::header_cell_bits`' bits (the low 64, less an
/// identifier's column, which sets both halves): the phone and identifier columns dropped.
#[inline]
pub(crate) fn birth_only(bits: u128) -> u128 {
    let low = bits as u64;
    let high = (bits >> 64) as u64;
    u128::from(low & !high)
}

/// The birth-date columns named by a sibling of the rows member `rows_key` in `map`: a
/// header member (`header_key`) that is a non-empty list of strings (as bits, `birth_only`).
#[cold]
#[inline(never)]
pub(crate) fn sibling_birth_columns(
    map: &serde_json::Map<String, serde_json::Value>,
    rows_key: &str,
) -> u128 {
    for (k, v) in map {
        if k == rows_key || !header_key(k) {
            continue;
        }
        let Some(names) = v.as_array().filter(|a| !a.is_empty()) else {
            continue;
        };
        let mut bits = 0u128;
        for (j, name) in names.iter().enumerate() {
            match name.as_str() {
                Some(s) => bits |= super::header_cell_bits(s, j),
                None => {
                    bits = 0;
                    break;
                }
            }
        }
        let bits = birth_only(bits);
        if bits != 0 {
            return bits;
        }
    }
    0
}

/// The raw pass's reading of a header member's value at `raw[at..]`: the birth-date
/// columns of a flat list of strings (`stream::json_header_columns`, `birth_only`), 0 for
/// anything else. The streaming pass reads the rows after it with them, and hands an object
/// whose rows came before it to the `Value` walk.
#[inline]
pub(crate) fn raw_columns(raw: &[u8], at: usize) -> u128 {
    if raw.get(at) == Some(&b'[') {
        birth_only(crate::redact::stream::json_header_columns(raw, at))
    } else {
        0
    }
}

/// Whether `raw_columns` names a birth-date column.
#[inline]
pub(crate) fn raw_birth_columns(raw: &[u8], at: usize) -> bool {
    raw_columns(raw, at) != 0
}

/// Whether the `[` at `raw[q]` is the value of a header member (`"columns": [`, blanks
/// allowed): the clean check's look back.
pub(crate) fn after_header_key(raw: &[u8], q: usize) -> bool {
    let mut i = q;
    let back = |i: &mut usize| {
        while *i > 0 && matches!(raw[*i - 1], b' ' | b'\t' | b'\n' | b'\r') {
            *i -= 1;
        }
    };
    back(&mut i);
    if i == 0 || raw[i - 1] != b':' {
        return false;
    }
    i -= 1;
    back(&mut i);
    if i == 0 || raw[i - 1] != b'"' {
        return false;
    }
    let end = i - 1;
    // Every header name ends in `s` or `r` (any case): one test before the name is read.
    if end == 0 || !matches!(raw[end - 1] | 0x20, b's' | b'r') {
        return false;
    }
    // (A header name is 7 bytes at most: the opening quote is looked for no further back.)
    let from = end.saturating_sub(8);
    let Some(open) = raw[from..end].iter().rposition(|&b| b == b'"') else {
        return false;
    };
    std::str::from_utf8(&raw[from + open + 1..end]).is_ok_and(header_key)
}

/// The words of a card security code a pipe table's label cell names (`CVV`, `CVC-code`,
/// `Prüfziffer (CVC)`): each standing alone in the cell, any case.
const PIPE_CVC_WORDS: [&[u8]; 6] = [b"cvv2", b"cvc2", b"cvv", b"cvc", b"csc", b"cvn"];

/// A card security code in a pipe / Markdown table row, `| CVV | 925 |`: the digits starting
/// at `hay[i]` (three or four, `evidence_r29c::code_digits_may_start` already asked, one blank
/// after the `|`: the caller tests the byte) are a
/// cell of their own, and the cell before them (at most 40 bytes, on the line) holds a word of
/// `PIPE_CVC_WORDS` standing alone. Population (`benches/dob_r34_population.py`, `pipe-cvc`):
/// 21 places on four writers' splits (blind30 9, blind31 7, blind32 3, blind33 2), all gold
/// GENERIC_SECRET, all missed by main; the 174 other `| <label> | ddd |` rows (`| Qty | 120 |`)
/// are not read. The thirty-sixth round added the code's names in the locales and
/// `Prüfziffer` (`evidence_r36c::PIPE_CVC_NAMES`: `| Security code | 424 |`). Asked from
/// `Detector::card_code_later`, where the byte pass already stops at such digits (out of
/// line: that caller's frame stays as small as it was).
#[inline(never)]
pub(super) fn pipe_cvc_cell(hay: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut e = i;
    while hay.get(e).is_some_and(u8::is_ascii_digit) {
        e += 1;
    }
    if !(3..=4).contains(&(e - i)) {
        return None;
    }
    let mut k = e;
    while matches!(hay.get(k), Some(b' ' | b'\t')) {
        k += 1;
    }
    if hay.get(k) != Some(&b'|') {
        return None;
    }
    let mut b = i;
    while b > 0 && matches!(hay[b - 1], b' ' | b'\t') {
        b -= 1;
    }
    if b == 0 || hay[b - 1] != b'|' {
        return None;
    }
    let cell_end = b - 1;
    let from = cell_end.saturating_sub(41);
    let open = from + memchr::memrchr(b'|', &hay[from..cell_end])?;
    let cell = &hay[open + 1..cell_end];
    if cell.contains(&b'\n') {
        return None;
    }
    // The abbreviations, and the code's names in the locales (`evidence_r36c`; thirty-sixth
    // round, task cvc).
    let named = (0..cell.len()).any(|s| {
        (s == 0 || !cell[s - 1].is_ascii_alphanumeric())
            && PIPE_CVC_WORDS
                .iter()
                .chain(super::evidence_r36c::PIPE_CVC_NAMES)
                .any(|w| {
                    cell.get(s..s + w.len())
                        .is_some_and(|x| x.eq_ignore_ascii_case(w))
                        && cell
                            .get(s + w.len())
                            .is_none_or(|c| !c.is_ascii_alphanumeric())
                })
    });
    named.then_some((i, e))
}
