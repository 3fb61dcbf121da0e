//! Birth dates in the rows of a table whose header names a birth-date column: CSV, TSV,
//! semicolon- and pipe-separated text and Markdown tables whose header line precedes the
//! rows (also where a log flattened the line breaks to ` | `, ` ⏎ `, ` ¶ ` or ` / `), and JSON arrays of
//! arrays whose first row is the header (a sheet's `values`: see `json::Walk` and `stream`).
//!
//! Only the cells of that column, and (in text) only a cell that is a date as a whole: an
//! order date, a hire date or a `created_at` column beside it is not touched. The pass runs
//! only at a birth word the trigger search found (no birth word in the document, no work).

use regex_automata::{meta::Regex, Anchored, Input};

/// The column names (`dob`, `birth_date`, `Geburtsdatum`, `date de naissance`, …) a
/// header cell must have, normalised: ASCII lower case, words joined by `_`.
const NAMES: &[&str] = &[
    "dob",
    "d_o_b",
    "date_of_birth",
    "birth_date",
    "birthdate",
    "birthday",
    "geburtsdatum",
    "geb_datum",
    "geboortedatum",
    "date_naissance",
    "date_de_naissance",
    "datenaissance",
    "data_nascita",
    "data_di_nascita",
    "fecha_nacimiento",
    "fecha_de_nacimiento",
    // A column headed by the birth verb (`Born`, German and Dutch `Geboren`), as a register
    // or a sheet of people writes it: the column holds the birth dates.
    "born",
    "geboren",
];

/// Whether a header cell (or a JSON sheet's header string) names a birth-date column: one of
/// `NAMES`, or a compound ending in one (`patient_dob`, `customer_birth_date`) or one
/// followed by a format word (`dob_iso`), or the birth verb (`Born`, `Geboren`), or the
/// birth noun alone (`Nacimiento`, `Nascita`, `Naissance`), or one of the `/`-separated
/// names of a header in two languages (`Geb./DOB`); not
/// `birth_place`, `birth_year`, `birthday_party`, `born_in` or `adobe_id`.
pub(crate) fn birth_date_header(cell: &str) -> bool {
    if cell.len() > 40 {
        return false;
    }
    // A header in two languages (`Geb./DOB`, `DOB / Geburtsdatum`): either name will do.
    if cell.contains('/') {
        return cell.split('/').any(birth_date_header);
    }
    let mut norm = String::with_capacity(cell.len() + 4);
    let mut prev_lower = false;
    for c in cell.trim().chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                norm.push('_');
            }
            norm.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if matches!(c, '-' | ' ' | '.' | '_') {
            if !norm.ends_with('_') {
                norm.push('_');
            }
            prev_lower = false;
        } else {
            norm.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    let norm = norm.trim_matches('_');
    // The birth noun alone (`Nacimiento`, `Nascita`, `Naissance`, `Birth`): a column of a
    // register or a sheet of people, the dates of birth; only as the whole cell, as
    // `lieu de naissance` or `place_of_birth` heads a column of places.
    if [
        "birth",
        "naissance",
        "nascita",
        "nacimiento",
        "geboorte",
        "geburt",
    ]
    .contains(&norm)
    {
        return true;
    }
    NAMES.iter().any(|n| {
        norm == *n
            || norm.strip_suffix(n).is_some_and(|head| head.ends_with('_'))
            || norm.strip_prefix(n).is_some_and(|tail| {
                matches!(tail, "_iso" | "_raw" | "_text" | "_str" | "_value" | "_utc")
            })
    })
}

/// A JSON sheet's header cell `j` as column bits (`json::birth_columns`): `1 << j` for a
/// birth-date column (`birth_date_header`), `1 << (64 + j)` for a phone column
/// (`phone_header`), both for an identifier's column (`ident_header`: `order`, `Ref`,
/// eighteenth round), 0 for any other (and from the 65th column on).
pub(crate) fn header_cell_bits(cell: &str, j: usize) -> u128 {
    if j >= 64 {
        0
    } else if birth_date_header(cell) {
        1 << j
    } else if phone_header(cell) {
        1 << (64 + j)
    } else if ident_header(cell) {
        1 << j | 1 << (64 + j)
    } else {
        0
    }
}

/// Whether a header cell names a phone column: `phone`, `Phone number`, `mobile`, `tel`,
/// `fax`, `cell`, `Telefon`, `Handy`, `téléphone`, `portable`, `telefono`, `cellulare`,
/// `teléfono`/`Teléfono` (fourteenth round: the accented `é` kept it from `telef`), `móvil`,
/// `telefoon`, `mobiel` (as a word of the cell or its start: `phone_1`,
/// `Telefonnummer`), or a call record's `a_number`/`b_number` (the calling and the called
/// party); not `phone_verified`-style flags' values, which hold no number anyway, nor a
/// column of ids named after a phone word (`cell_id`: a mobile network cell's, `phone_id`).
pub(super) fn phone_header(cell: &str) -> bool {
    if cell.len() > 32 {
        return false;
    }
    let starts = |w: &[u8], p: &[u8]| w.len() >= p.len() && w[..p.len()].eq_ignore_ascii_case(p);
    let words = || {
        cell.as_bytes()
            .split(|&b| b.is_ascii_punctuation() || b.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
    };
    if words()
        .next_back()
        .is_some_and(|w| w.eq_ignore_ascii_case(b"id") || w.eq_ignore_ascii_case(b"ids"))
    {
        return false;
    }
    let mut w = words();
    if let (Some(party), Some(number), None) = (w.next(), w.next(), w.next()) {
        if (party.eq_ignore_ascii_case(b"a") || party.eq_ignore_ascii_case(b"b"))
            && number.eq_ignore_ascii_case(b"number")
        {
            return true;
        }
    }
    words().any(|w| {
        w.windows(5).any(|x| x.eq_ignore_ascii_case(b"phone"))
            || starts(w, b"telef")
            || starts(w, b"mobil")
            || starts(w, "m\u{f3}vil".as_bytes())
            || starts(w, "tel\u{e9}f".as_bytes())
            || starts(w, b"cellular")
            || [
                &b"tel"[..],
                b"fax",
                b"cell",
                b"handy",
                b"portable",
                b"gsm",
                b"mobiel",
            ]
            .iter()
            .any(|k| w.eq_ignore_ascii_case(k))
    })
}

/// `⏎`, which some logs put for a line break.
const RETURN_SYMBOL: &[u8] = "\u{23ce}".as_bytes();

/// `↵`, which other logs (and browsers' consoles) put for a line break; read as `⏎`.
const RETURN_ARROW: &[u8] = "\u{21b5}".as_bytes();

/// `¶` (the pilcrow), which editors show and some exports put for a line break.
pub(super) const PILCROW: &[u8] = "\u{b6}".as_bytes();

fn is_delim(b: u8) -> bool {
    matches!(b, b',' | b';' | b'\t' | b'|')
}

/// How the table's lines are separated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Lines {
    /// `\n` (or `\r\n`).
    Newline,
    /// A flattened ` | ` (only where the cells are not `|`-separated).
    Pipe,
    /// A flattened ` ⏎ ` (or ` ↵ `).
    Return,
    /// A flattened ` ¶ `.
    Pilcrow,
    /// A flattened ` / ` (blanks on both sides: no date is written so).
    Slash,
}

/// The separator starting at `i`, if any, and its length.
fn separator_at(hay: &[u8], i: usize, delim: u8) -> Option<(Lines, usize)> {
    match hay.get(i)? {
        b'\n' => Some((Lines::Newline, 1)),
        b'\r' if hay.get(i + 1) == Some(&b'\n') => Some((Lines::Newline, 2)),
        b'|' if delim != b'|' => Some((Lines::Pipe, 1)),
        0xE2 if hay[i..].starts_with(RETURN_SYMBOL) || hay[i..].starts_with(RETURN_ARROW) => {
            Some((Lines::Return, RETURN_SYMBOL.len()))
        }
        0xC2 if hay[i..].starts_with(PILCROW) => Some((Lines::Pilcrow, PILCROW.len())),
        b' ' if hay[i..].starts_with(b" / ") => Some((Lines::Slash, 3)),
        _ => None,
    }
}

/// Birth dates in the rows of a text table whose header cell at the trigger `p` names a
/// birth-date column, as (start, end) of each date.
pub(super) fn text_table_birth_values(
    hay: &[u8],
    p: usize,
    date_re: &Regex,
    found: &mut dyn FnMut(usize, usize),
) {
    let mut date = |start, end| {
        if whole_date(hay, start, end, date_re) {
            found(start, end);
        }
    };
    column_cells(hay, p, &birth_date_header, &mut date);
    flat_column_cells(
        hay,
        p,
        &birth_date_header,
        &|start, end| whole_date(hay, start, end, date_re),
        &mut date,
    );
    // A column of the date and the place of birth together: the cell's date before its `,`
    // and the place (`24/08/1997, Cagliari`).
    column_cells(hay, p, &date_place_header, &mut |start, end| {
        if let Some(m) = date_re.search(
            &Input::new(&hay[..end])
                .range(start..)
                .anchored(Anchored::Yes),
        ) {
            if hay.get(m.end()) == Some(&b',') {
                found(start, m.end());
            }
        }
    });
}

/// Whether a header cell names a column of the date and the place of birth together, as the
/// IMO's FAL Form 5 (a ship's crew list, in its three languages) and ID-card forms head it:
/// `Date and place of birth`, `Date et lieu de naissance`, `Fecha y lugar de nacimiento`
/// (twenty-second round, task num). The date opens each cell.
fn date_place_header(cell: &str) -> bool {
    cell.len() <= 32
        && [
            "date and place of birth",
            "date et lieu de naissance",
            "fecha y lugar de nacimiento",
        ]
        .iter()
        .any(|h| cell.trim().eq_ignore_ascii_case(h))
}

/// The cells of a `|` table's column whose rows were flattened onto the header's line with
/// the cell delimiter itself (`Membership roll | Nr | Name | Geb./DOB | Tel | 6179 | Steven
/// Banks | 06/11/2007 | …`, a `cqlsh` result ` id | dob | email | ----+----- | 7b5b… |
/// 1945-01-19 | …`; eighteenth round): no line break is left, the rows are counted in cells.
/// The header is a run of short cells without a digit from the trigger's cell's left (three
/// or more; a rule after it is passed over) — as long as puts a cell `fits` takes (a date)
/// under the trigger's column in the first row — the rows are the cells after it, `N` to a
/// row for a header of `N`, up to an empty cell (the table's end). A line holding only the
/// header has no such cells: its rows are `column_cells`'.
fn flat_column_cells(
    hay: &[u8],
    p: usize,
    is_header: &dyn Fn(&str) -> bool,
    fits: &dyn Fn(usize, usize) -> bool,
    cell: &mut dyn FnMut(usize, usize),
) {
    let ls = memchr::memrchr(b'\n', &hay[p.saturating_sub(4096)..p])
        .map_or(p.saturating_sub(4096), |i| p.saturating_sub(4096) + i + 1);
    let le = memchr::memchr(b'\n', &hay[p..hay.len().min(p + 65536)])
        .map_or(hay.len().min(p + 65536), |i| p + i);
    let line = &hay[ls..le];
    if memchr::memchr(b'|', line).is_none() {
        return;
    }
    let trim = |b: &u8| matches!(b, b' ' | b'"' | b'\'' | b'`' | b'*' | b'\r');
    let row: Vec<(usize, usize)> = cells(line, b'|')
        .map(|(a, b)| {
            let lead = line[a..b].iter().take_while(|b| trim(b)).count();
            (a + lead, a + lead + trim_by(&line[a + lead..b], trim).len())
        })
        .collect();
    let Some(t) = row
        .iter()
        .position(|&(a, b)| ls + a <= p && p < ls + b.max(a + 1))
    else {
        return;
    };
    let rule = |c: &[u8]| {
        !c.is_empty()
            && c.iter()
                .all(|b| matches!(b, b'-' | b'+' | b'=' | b':' | b' '))
    };
    // A column's name: short, no digit, three words at most, no title's dash or colon
    // (`Liste des adhérents — Nancy | Nr | …`: the title is no column).
    let head = |i: usize| {
        let c = &line[row[i].0..row[i].1];
        !c.is_empty()
            && c.len() <= 32
            && !c.iter().any(|&b| b.is_ascii_digit() || b == b':')
            && c.iter().filter(|&&b| b == b' ').count() <= 2
            && memchr::memmem::find(c, "\u{2014}".as_bytes()).is_none()
            && memchr::memmem::find(c, "\u{2013}".as_bytes()).is_none()
            && !rule(c)
    };
    if !head(t) || !std::str::from_utf8(&line[row[t].0..row[t].1]).is_ok_and(is_header) {
        return;
    }
    let h0 = (0..t).rev().take_while(|&i| head(i)).last().unwrap_or(t);
    let h1 = (t..row.len())
        .take_while(|&i| head(i))
        .last()
        .map_or(t, |i| i + 1);
    // The header may run on into a first row of words (`Name | DOB | Hired | Ann | 1980-…`):
    // its length is the shortest (three or more, past the column) whose first row has a
    // cell the column takes (`fits`) under the column's name.
    let c = t - h0;
    let rule_at = |i: usize| i < row.len() && rule(&line[row[i].0..row[i].1]);
    let Some((n, k)) = (c.max(2) + 1..=h1 - h0)
        .map(|n| (n, h0 + n + usize::from(rule_at(h0 + n))))
        .find(|&(n, k)| row.len() >= k + n && fits(ls + row[k + c].0, ls + row[k + c].1))
    else {
        return;
    };
    for (j, &(a, b)) in row[k..].iter().enumerate() {
        if a == b {
            return;
        }
        if j % n == c {
            cell(ls + a, ls + b);
        }
    }
}

/// Birth dates in a table aligned with blanks (a data frame's print, `column -t`, a fixed-
/// width report) whose header cell at the trigger `p` names a birth-date column: cells split
/// at runs of two blanks or more, lines at line breaks or at a log's flattened ` | `. The
/// column is counted from the right, as a data frame's unnamed index column is a row's
/// first cell; a row with another number of cells (not one more: the index) ends the table.
/// Only a cell that is a date as a whole.
pub(super) fn blank_table_birth_values(
    hay: &[u8],
    p: usize,
    date_re: &Regex,
    found: &mut dyn FnMut(usize, usize),
) {
    // The header line: up to the first line break or ` | ` after the trigger.
    let window = &hay[p..hay.len().min(p + 1024)];
    let (he, sep): (usize, &[u8]) = match (
        memchr::memchr(b'\n', window),
        memchr::memmem::find(window, b" | "),
    ) {
        (Some(n), Some(b)) if b < n => (p + b, b" | "),
        (Some(n), _) => (p + n, b"\n"),
        (None, Some(b)) => (p + b, b" | "),
        (None, None) => return,
    };
    let from = p.saturating_sub(1024);
    let hs = memchr::memmem::rfind(&hay[from..p], sep).map_or(from, |k| from + k + sep.len());
    let split = |line: &[u8]| -> Vec<(usize, usize)> {
        if line.contains(&b'\t') {
            return Vec::new();
        }
        copy_cells(line)
            .into_iter()
            .map(|(a, b)| {
                let t = |b: &u8| matches!(b, b' ' | b'\r');
                let lead = line[a..b].iter().take_while(|b| t(b)).count();
                (a + lead, a + lead + trim_by(&line[a + lead..b], t).len())
            })
            .filter(|(a, b)| b > a)
            .collect()
    };
    let head = split(&hay[hs..he]);
    let Some(col) = head.iter().position(|&(a, b)| hs + a <= p && p < hs + b) else {
        return;
    };
    let name = &hay[hs + head[col].0..hs + head[col].1];
    if head.len() < 2 || !std::str::from_utf8(name).is_ok_and(birth_date_header) {
        return;
    }
    let from_right = head.len() - 1 - col;
    let mut i = he + sep.len();
    let limit = hay.len().min(i + 65536);
    while i < limit {
        let e = memchr::memmem::find(&hay[i..limit], sep).map_or(limit, |k| i + k);
        let row = split(&hay[i..e]);
        if row.len() != head.len() && row.len() != head.len() + 1 {
            return;
        }
        let (a, b) = row[row.len() - 1 - from_right];
        if whole_date(hay, i + a, i + b, date_re) {
            found(i + a, i + b);
        }
        i = e + sep.len();
    }
}

/// Whether the cell `hay[start..end]` is a date as a whole (`date_re` anchored at its start,
/// ending at its end).
fn whole_date(hay: &[u8], start: usize, end: usize, date_re: &Regex) -> bool {
    date_re
        .search(
            &Input::new(&hay[..end])
                .range(start..)
                .anchored(Anchored::Yes),
        )
        .is_some_and(|m| m.end() == end)
}

/// The cells of a text table's column whose header cell is the one around the trigger `p`
/// and is named as `is_header` wants: each non-empty cell of the rows (trimmed of blanks,
/// quotes and `*`) to `cell` as (start, end), up to a line without the delimiter (the
/// table's end).
fn column_cells(
    hay: &[u8],
    p: usize,
    is_header: &dyn Fn(&str) -> bool,
    cell: &mut dyn FnMut(usize, usize),
) {
    // The header cell around `p`.
    let stop = |b: u8| is_delim(b) || matches!(b, b'\n' | b'\r' | 0xE2 | 0xC2 | 0xB6);
    let mut cs = p;
    while cs > 0 && p - cs < 40 && !stop(hay[cs - 1]) {
        cs -= 1;
    }
    let ce = p + hay[p..].iter().take(40).take_while(|&&b| !stop(b)).count();
    let trim = |b: &u8| matches!(b, b' ' | b'"' | b'\'' | b'`' | b'*');
    let name = trim_by(&hay[cs..ce], trim);
    if !std::str::from_utf8(name).is_ok_and(is_header) {
        return;
    }
    // The cells' delimiter: the byte after the cell, or before it for the last one.
    let delim = match (hay.get(ce), cs.checked_sub(1).map(|i| hay[i])) {
        (Some(&d), _) if is_delim(d) => d,
        (_, Some(d)) if is_delim(d) => d,
        _ => return,
    };
    // The header line: its start (the column's index) and its end (how lines are separated).
    let mut ls = cs;
    while ls > 0 && cs - ls < 2048 {
        let b = hay[ls - 1];
        if b == b'\n'
            || (b == b'|' && delim != b'|')
            || hay[..ls].ends_with(RETURN_SYMBOL)
            || hay[..ls].ends_with(RETURN_ARROW)
            || hay[..ls].ends_with(PILCROW)
            || hay[..ls].ends_with(b" / ")
        {
            break;
        }
        ls -= 1;
    }
    // Confluence's wiki markup opens a header cell with `||` (`||Service||User||Secret||`)
    // and a row's cell with `|` (`|Postgres|app|…|`): its column is the count of `||` before
    // the cell (`evidence_r40p`; fortieth round, task pw).
    let head = &hay[ls..cs];
    let col = if delim == b'|' && head.starts_with(b"||") {
        head.windows(2).filter(|w| w == b"||").count()
            - head.windows(3).filter(|w| w == b"|||").count()
    } else {
        cells(head, delim).count() - 1
    };
    let mut i = ce;
    let lines = loop {
        if i >= hay.len() || i - ce > 2048 {
            return;
        }
        if let Some((lines, len)) = separator_at(hay, i, delim) {
            i += len;
            break lines;
        }
        i += 1;
    };
    // The rows, up to a line without the delimiter (the table's end).
    let limit = (i + 65536).min(hay.len());
    while i < limit {
        let mut re = i;
        let mut next = None;
        while re < limit {
            if let Some((l, len)) = separator_at(hay, re, delim) {
                if l == lines {
                    next = Some(re + len);
                    break;
                }
            }
            re += 1;
        }
        let row = &hay[i..re];
        // A rule under the header (`----+----`, `|---|:--:|`) is passed over.
        let rule = !row.is_empty()
            && row
                .iter()
                .all(|b| matches!(b, b'-' | b'+' | b'=' | b':' | b'|' | b' ' | b'\r'));
        if !rule && !row.contains(&delim) {
            return;
        }
        if let Some((a, b)) = cells(row, delim).nth(col) {
            let c = &row[a..b];
            let lead = c.iter().take_while(|b| trim(b)).count();
            let value = trim_by(c, trim);
            let start = i + a + lead;
            if !value.is_empty() {
                cell(start, start + value.len());
            }
        }
        match next {
            Some(n) => i = n,
            None => return,
        }
    }
}

/// A header cell's name as the column rules compare it: trimmed, lower case, blanks, `-` and
/// `.` as `_`; `None` for a cell over 32 bytes (no header name).
fn header_name(cell: &str) -> Option<String> {
    (cell.len() <= 32).then(|| {
        cell.trim()
            .chars()
            .map(|c| match c {
                ' ' | '-' | '.' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect()
    })
}

/// Whether a header cell names a secret column: `secret` or `token`, alone or after one word
/// (`Secret`, `client_secret`, `api token`); not `secret_store`, `token_ttl`.
/// (Sixteenth round, part B.)
fn secret_header(cell: &str) -> bool {
    let Some(norm) = header_name(cell) else {
        return false;
    };
    ["secret", "token"].iter().any(|w| {
        norm == *w
            || norm.strip_suffix(w).is_some_and(|head| {
                head.len() > 1 && head.ends_with('_') && !head[..head.len() - 1].contains('_')
            })
    })
}

/// The secrets in the rows of a text table whose header cell at the trigger `p` names a
/// secret column (`secret_header`: a runbook's `| System | User | Secret | Notes |`): a
/// token-shaped cell (`token_cell`) is a GENERIC_SECRET, any other that reads as a password
/// (`password_like`) a PASSWORD; a vendor's key there is left to its own rule, a mask or a
/// `-` is none. (Sixteenth round, part B.)
pub(super) fn text_table_secrets(
    hay: &[u8],
    p: usize,
    threshold: f64,
    found: &mut dyn FnMut(usize, usize, bool),
) {
    column_cells(hay, p, &secret_header, &mut |start, end| {
        // A `*` ending the cell is the value's when none opens it (Markdown's `**bold**`).
        let end = if start.checked_sub(1).and_then(|i| hay.get(i)) == Some(&b'*') {
            end
        } else {
            end + hay[end..].iter().take_while(|&&b| b == b'*').count()
        };
        let v = &hay[start..end];
        if super::check::starts_with_known_secret(v) {
            return;
        }
        if super::check::token_cell(v, threshold) {
            found(start, end, false);
        } else if super::check::password_like(v) {
            found(start, end, true);
        }
    });
}

/// Whether a header cell names a password column: `password` (`passwd`, `Passwort`,
/// `Kennwort`, `wachtwoord`, `mot de passe`, `contraseña`), alone or after one word
/// (`login_password`, a password manager's export; `db_password`); not `password_hint`,
/// `timePasswordChanged` or `password_strength`.
fn password_header(cell: &str) -> bool {
    let Some(norm) = header_name(cell) else {
        return false;
    };
    [
        "password",
        "passwd",
        "passwort",
        "kennwort",
        "wachtwoord",
        "mot_de_passe",
        "contrase\u{f1}a",
        "contrasena",
    ]
    .iter()
    .any(|w| {
        norm == *w
            || norm.strip_suffix(w).is_some_and(|head| {
                head.len() > 1 && head.ends_with('_') && !head[..head.len() - 1].contains('_')
            })
    })
}

/// Passwords in the rows of a text table whose header cell at the trigger `p` names a
/// password column (`password_header`): a password manager's CSV export (`name,url,
/// username,password,note`; Bitwarden's `login_password`), a Markdown or pipe table. A
/// cell must read as a password (`password_like`: not `yes`, `n/a`, `********`, a
/// variable); a vendor's token there is left to its own rule.
pub(super) fn text_table_passwords(hay: &[u8], p: usize, found: &mut dyn FnMut(usize, usize)) {
    column_cells(hay, p, &password_header, &mut |start, end| {
        // A bcrypt hash in the column (a database dump's `password` column): no password
        // (`evidence_r36p`).
        if super::check::password_like(&hay[start..end])
            && !super::evidence_r36p::bcrypt_hash(&hay[start..end])
        {
            found(start, end);
        }
    });
}

/// After a `COPY` statement's column list (ending before `i`): ` FROM stdin;` (any case), and
/// where the data rows start, past the line break after the `;` (or a log's flattened ` | `,
/// ` ⏎ `, ` ¶ `), with how the lines are separated.
pub(super) fn copy_from_stdin_end(hay: &[u8], i: usize) -> Option<(usize, Lines)> {
    let blanks = |i: usize| {
        i + hay
            .get(i..)
            .map_or(0, |t| t.iter().take_while(|&&b| b == b' ').count())
    };
    let word = |i: usize, w: &[u8]| {
        hay.get(i..i + w.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(w))
    };
    let i = blanks(i);
    let j = blanks(i + 4);
    if !word(i, b"from") || j == i + 4 || !word(j, b"stdin") {
        return None;
    }
    let k = blanks(j + 5);
    if hay.get(k) != Some(&b';') {
        return None;
    }
    let k = blanks(k + 1);
    let (lines, len) = separator_at(hay, k, b'\t')?;
    Some((k + len, lines))
}

/// The cells of a `COPY` data row as (start, end) ranges: split at tabs, or where a log turned
/// the tabs into blanks (a row without a tab), at runs of two blanks or more.
fn copy_cells(row: &[u8]) -> Vec<(usize, usize)> {
    let tabs = row.contains(&b'\t');
    let mut out = Vec::new();
    let (mut start, mut k) = (0, 0);
    while k < row.len() {
        let gap = if tabs {
            usize::from(row[k] == b'\t')
        } else if row[k] == b' ' && row.get(k + 1) == Some(&b' ') {
            row[k..].iter().take_while(|&&b| b == b' ').count()
        } else {
            0
        };
        if gap > 0 {
            out.push((start, k));
            k += gap;
            start = k;
        } else {
            k += 1;
        }
    }
    out.push((start, row.len()));
    out
}

/// Birth dates in the data rows of a PostgreSQL `COPY t (…) FROM stdin;` (a `pg_dump`)
/// starting at `rows` (`copy_from_stdin_end`): the cell at the birth-date column's index
/// `col` of each row, when it is a date as a whole, up to the end-of-data line `\.` (or a line
/// with one cell).
pub(super) fn copy_birth_values(
    hay: &[u8],
    (mut i, lines): (usize, Lines),
    col: usize,
    date_re: &Regex,
    found: &mut dyn FnMut(usize, usize),
) {
    let limit = (i + 65536).min(hay.len());
    while i < limit {
        let mut re = i;
        let mut next = None;
        while re < limit {
            if let Some((l, len)) = separator_at(hay, re, b'\t') {
                if l == lines {
                    next = Some(re + len);
                    break;
                }
            }
            re += 1;
        }
        let lead = hay[i..re].iter().take_while(|&&b| b == b' ').count();
        let row = trim_by(&hay[i..re], |b| matches!(b, b' ' | b'\r'));
        let cells = copy_cells(row);
        if cells.len() < 2 {
            return;
        }
        if let Some(&(a, b)) = cells.get(col) {
            let start = i + lead + a;
            let end = i + lead + b;
            if whole_date(hay, start, end, date_re) {
                found(start, end);
            }
        }
        match next {
            Some(n) => i = n,
            None => return,
        }
    }
}

/// The column name, from the `COPY t (…) FROM stdin;` statement above, of the cell starting
/// at `s` in a `COPY` data row (after a tab, or two blanks where a log turned tabs into
/// blanks; lines separated by line breaks or a flattened ` | `): every line between is a data
/// row. Bounded to 8 KB and 64 lines above.
fn copy_column(hay: &[u8], s: usize) -> Option<&[u8]> {
    if !(hay[..s].ends_with(b"\t") || hay[..s].ends_with(b"  ")) {
        return None;
    }
    let floor = s.saturating_sub(8192);
    // The start of the line holding `i` and the length of the separator before it (none at
    // the text's start).
    let line_start = |i: usize| -> Option<(usize, usize)> {
        let mut k = i;
        while k > floor {
            if hay[k - 1] == b'\n' {
                return Some((k, 1));
            }
            if hay[..k].ends_with(b" | ") {
                return Some((k, 3));
            }
            k -= 1;
        }
        (k == 0).then_some((0, 0))
    };
    let (mut ls, mut sep) = line_start(s)?;
    let lead = hay[ls..s].iter().take_while(|&&b| b == b' ').count();
    let col = copy_cells(&hay[ls + lead..s]).len() - 1;
    for _ in 0..64 {
        let end = ls - sep;
        let (st, sep2) = line_start(end)?;
        let line = trim_by(&hay[st..end], |b| matches!(b, b' ' | b'\r'));
        let head = line
            .get(..5)
            .is_some_and(|h| h.eq_ignore_ascii_case(b"copy "));
        if head && line.len() >= 6 && line[line.len() - 6..].eq_ignore_ascii_case(b"stdin;") {
            let open = memchr::memchr(b'(', line)?;
            let close = open + memchr::memchr(b')', &line[open..])?;
            let name = line[open + 1..close].split(|&b| b == b',').nth(col)?;
            return Some(trim_by(name, |b| matches!(b, b' ' | b'"')));
        }
        if st == 0 || !(line.contains(&b'\t') || line.windows(2).any(|w| w == b"  ")) {
            return None;
        }
        (ls, sep) = (st, sep2);
    }
    None
}

fn trim_by(s: &[u8], trim: impl Fn(&u8) -> bool) -> &[u8] {
    let a = s.iter().take_while(|b| trim(b)).count();
    let b = s[a..].iter().rev().take_while(|b| trim(b)).count();
    &s[a..s.len() - b]
}

/// The cells of a line as (start, end) ranges, split at `delim` outside double quotes
/// (`"Smith, Jane"` is one CSV cell; a `|` table has no quoting).
fn cells(line: &[u8], delim: u8) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut at = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let start = at;
        let mut quoted = false;
        while at < line.len() {
            let b = line[at];
            if b == b'"' && delim != b'|' {
                quoted = !quoted;
            } else if b == delim && !quoted {
                let cell = (start, at);
                at += 1;
                return Some(cell);
            }
            at += 1;
        }
        done = true;
        Some((start, line.len()))
    })
}

/// The header cell of the table column that the cell starting at `s` is in: `s` follows a
/// delimiter (`|`, tab, `;`, `,`; blanks between) on a line of a text table, and the table's
/// first line — the topmost of the lines above that hold the same delimiter, lines separated
/// by line breaks or a flattened ` ¶ ` / ` ⏎ ` (or ` | ` where the cells are not
/// `|`-separated) — has a cell at that column. Trimmed of blanks,
/// quotes and `*`. For the rules that need a column's name as evidence (`| phone |`,
/// `card_number`); bounded to 8 KB and 64 lines above.
pub(super) fn column_header(hay: &[u8], s: usize) -> Option<&[u8]> {
    let mut j = s;
    while j > 0 && hay[j - 1] == b' ' {
        j -= 1;
    }
    let delim = *hay.get(j.checked_sub(1)?)?;
    if !is_delim(delim) {
        return None;
    }
    let floor = s.saturating_sub(8192);
    // The start of the line holding `i` and the end of the line before (its separator's
    // start), if there is one above `floor`.
    let line_start = |i: usize| -> (usize, Option<usize>) {
        let mut k = i;
        while k > floor {
            if hay[k - 1] == b'\n' {
                let mut end = k - 1;
                if end > 0 && hay[end - 1] == b'\r' {
                    end -= 1;
                }
                return (k, Some(end));
            }
            for sym in [PILCROW, RETURN_SYMBOL, RETURN_ARROW] {
                if hay[..k].ends_with(sym) {
                    return (k, Some(k - sym.len()));
                }
            }
            // A log's flattened ` | ` (only where the cells are not `|`-separated).
            if delim != b'|' && hay[..k].ends_with(b" | ") {
                return (k, Some(k - 3));
            }
            k -= 1;
        }
        (k, None)
    };
    let (ls, mut above) = line_start(j);
    let col = hay[ls..j].iter().filter(|&&b| b == delim).count();
    let mut header = (ls, j);
    for _ in 0..64 {
        let Some(end) = above else { break };
        let (start, next) = line_start(end);
        let line = &hay[start..end];
        if !line.contains(&delim) {
            break;
        }
        header = (start, end);
        above = next;
    }
    if header.0 == ls {
        return None;
    }
    let line = &hay[header.0..header.1];
    let (a, b) = cells(line, delim).nth(col)?;
    let trim = |b: &u8| matches!(b, b' ' | b'"' | b'\'' | b'`' | b'*' | b'\t');
    Some(trim_by(&line[a..b], trim))
}

/// Whether the cell at `s` is in a text table's phone column (`column_header`, `phone_header`;
/// or a `COPY` data row's, `copy_column`).
pub(super) fn in_phone_column(hay: &[u8], s: usize) -> bool {
    let phone = |h: Option<&[u8]>| {
        h.and_then(|h| std::str::from_utf8(h).ok())
            .is_some_and(phone_header)
    };
    // A `COPY` row's first line is a delimited table's header to `column_header`.
    phone(column_header(hay, s).or_else(|| blank_column_header(hay, s)))
        || phone(copy_column(hay, s))
}

/// Whether the number at `s` starts a row of a delimited text table (`|`, `;`, tab or `,` in its
/// line and in the line above) whose first cell above names no phone (`MLS_ID|…|AGENT_PHONE|…`
/// then `308831858|P|…`): a phone word on the line above is another column's, or another
/// row's, not this number's context. Lines end at a line break, or at a log's flattened
/// ` | `, ` / `, ` ⏎ `, ` ↵ ` or ` ¶ ` (eighteenth round: `…,Cell Phone,Barcode # |
/// 8256388227,2026-11-25,…`, `LISTING_ID|…|AGENT_PHONE|LOCKBOX | 670147502|S|…`), the same
/// one above and after the row.
// Out of line: looked at only when a phone word was the evidence.
#[inline(never)]
pub(super) fn starts_non_phone_row(hay: &[u8], s: usize) -> bool {
    if s == 0 {
        return false;
    }
    let flat: [&[u8]; 5] = [
        b" | ",
        b" / ",
        " \u{23ce} ".as_bytes(),
        " \u{21b5} ".as_bytes(),
        " \u{b6} ".as_bytes(),
    ];
    let sep: &[u8] = if hay[s - 1] == b'\n' {
        b"\n"
    } else {
        match flat.into_iter().find(|f| hay[..s].ends_with(f)) {
            // A Markdown/GFM table row's second cell (`| Telefoon | 078.158.30.67 |`): its
            // ` | ` is the cell delimiter after the label, no flattened line break
            // (`evidence_r32f`; thirty-second round, task fmt).
            Some(f) if f == b" | " && super::evidence_r32f::pipe_row_second_cell(hay, s) => {
                return false
            }
            Some(f) => f,
            None => return false,
        }
    };
    // (A line break's row and line above are read whole, a flattened one's 4 KB at most.)
    let nl = sep == b"\n";
    let row = &hay[s..if nl {
        hay.len()
    } else {
        hay.len().min(s + 4096)
    }];
    let row = &row[..memchr::memchr(b'\n', row).unwrap_or(row.len())];
    let row = &row[..memchr::memmem::find(row, sep).unwrap_or(row.len())];
    let mut above_end = s - sep.len();
    if nl && above_end > 0 && hay[above_end - 1] == b'\r' {
        above_end -= 1;
    }
    let from = if nl {
        0
    } else {
        above_end.saturating_sub(4096)
    };
    let above_start = [
        memchr::memrchr(b'\n', &hay[from..above_end]).map(|i| from + i + 1),
        memchr::memmem::rfind(&hay[from..above_end], sep).map(|i| from + i + sep.len()),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(from);
    let above = &hay[above_start..above_end];
    // A comma-separated table too (`Order #,Order Date,…,Cell Phone,…` then
    // `3671763924,2026-11-09,…`), where prose has commas as well: three or more, as many in
    // the row as in the header.
    let count = |l: &[u8]| l.iter().filter(|&&b| b == b',').count();
    let csv = count(above) >= 3 && count(above) == count(row);
    [b'|', b';', b'\t', b','].into_iter().any(|d| {
        (d != b',' || csv)
            && row.contains(&d)
            && above.contains(&d)
            && above
                .split(|&b| b == d)
                .next()
                .and_then(|c| std::str::from_utf8(c).ok())
                .is_some_and(|c| !phone_header(c))
    })
}

/// Whether the cell at `s` is in a blank-aligned text table's phone column
/// (`blank_column_header`, `phone_header`), or a `COPY` data row's (`copy_column`).
pub(super) fn in_blank_phone_column(hay: &[u8], s: usize) -> bool {
    blank_column_header(hay, s)
        .or_else(|| copy_column(hay, s))
        .and_then(|h| std::str::from_utf8(h).ok())
        .is_some_and(phone_header)
}

/// The cells of a blank-aligned line: split at runs of two or more blanks (or a tab),
/// leading and trailing blanks dropped (`Gary Diaz`, `+41 78 677 39 29` stay one cell).
fn blank_cells(line: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut start = None;
    while i < line.len() {
        let gap = line[i] == b'\t'
            || (line[i] == b' '
                && (start.is_none() || line.get(i + 1).is_some_and(|&b| b == b' ' || b == b'\t')));
        if gap {
            if let Some(a) = start.take() {
                out.push(&line[a..i]);
            }
        } else if start.is_none() {
            start = Some(i);
        }
        i += 1;
    }
    if let Some(a) = start {
        out.push(trim_by(&line[a..], |b| *b == b' ' || *b == b'\r'));
    }
    out
}

/// The header cell of a blank-aligned text table's column (pandas' `df.head()`, `psql`,
/// `docker ps`-style listings) that the cell starting at `s` is in: `s` follows two or more
/// blanks on a line, the table's header is the topmost of the lines right above with two or
/// more such cells, and the row has as many cells as the header or one more (pandas' unnamed
/// index column). Columns are counted from the right, as a row's left cells may hold blanks
/// of their own. Bounded to 8 KB and 64 lines above.
fn blank_column_header(hay: &[u8], s: usize) -> Option<&[u8]> {
    if s < 2 || hay[s - 1] != b' ' || !matches!(hay[s - 2], b' ' | b'\t') {
        return None;
    }
    let floor = s.saturating_sub(8192);
    // The length of the line break ending at `hay[k]`: a `\n`, or where a log or a JSON
    // string flattened the lines (twenty-first round: a sheet's rows joined by ` ⏎ `), a
    // `⏎`, `↵` or `¶`; 0 for none.
    let break_before = |k: usize| -> usize {
        match hay[k - 1] {
            b'\n' => 1,
            0x8E | 0xB5 | 0xB6 => [RETURN_SYMBOL, RETURN_ARROW, PILCROW]
                .iter()
                .find(|sym| hay[..k].ends_with(sym))
                .map_or(0, |sym| sym.len()),
            _ => 0,
        }
    };
    // The start of the line holding `i`, and the length of the break before it.
    let line_start = |i: usize| -> (usize, usize) {
        let mut k = i;
        while k > floor {
            let b = break_before(k);
            if b > 0 {
                return (k, b);
            }
            k -= 1;
        }
        (k, 0)
    };
    let (ls, mut brk) = line_start(s);
    if ls <= floor {
        return None;
    }
    let limit = hay.len().min(s + 4096);
    let le = hay[s..limit]
        .iter()
        .enumerate()
        .position(|(i, &b)| {
            b == b'\n'
                || (b == 0xE2 || b == 0xC2)
                    && [RETURN_SYMBOL, RETURN_ARROW, PILCROW]
                        .iter()
                        .any(|sym| hay[s + i..].starts_with(sym))
        })
        .map_or(limit, |i| s + i);
    let row = &hay[ls..le];
    let n_row = blank_cells(row).len();
    let right = blank_cells(&hay[s..le]).len();
    let mut header = None;
    let mut end = ls - brk;
    for _ in 0..64 {
        let (st, b) = line_start(end);
        let line = &hay[st..end];
        if blank_cells(line).len() < 2 {
            break;
        }
        header = Some(line);
        if st <= floor || b == 0 {
            break;
        }
        brk = b;
        end = st - brk;
    }
    let cells = blank_cells(header?);
    if n_row != cells.len() && n_row != cells.len() + 1 {
        return None;
    }
    Some(cells[cells.len().checked_sub(right)?])
}

/// Whether a header cell names an identifier's column: it names no phone (`phone_header`) and
/// a word of it is an identifier label (`identifier_word`: `order`, `customer_no`, `Barcode
/// #`, `last_order`) or its last word is `id`/`uid`/`no`/`nr` (`LISTING_ID`, `Backer UID`).
/// A number in such a column is that identifier, not a phone, as after the same label in
/// prose (`identifier_label_before`).
fn ident_header(h: &str) -> bool {
    let words = || {
        h.as_bytes()
            .split(|b| !b.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
    };
    let label = words().any(|w| {
        let mut lower = [0u8; 32];
        w.len() <= lower.len() && {
            let l = &mut lower[..w.len()];
            l.copy_from_slice(w);
            l.make_ascii_lowercase();
            super::numbers::identifier_word(l)
        }
    });
    let id_last = words().next_back().is_some_and(|w| {
        [&b"id"[..], b"ids", b"uid", b"no", b"nr"]
            .iter()
            .any(|k| w.eq_ignore_ascii_case(k))
    });
    h.len() <= 32 && (label || id_last) && !phone_header(h)
}

/// Whether the cell at `s` is in a text table's identifier column (`ident_header`).
// Out of line: looked at only for a number that would otherwise be a phone.
#[inline(never)]
pub(super) fn in_ident_column(hay: &[u8], s: usize) -> bool {
    column_header(hay, s)
        .or_else(|| blank_column_header(hay, s))
        .and_then(|h| std::str::from_utf8(h).ok())
        .is_some_and(ident_header)
}

/// Whether the cell at `s` is in a text table's SSN column: a word of its header is `ssn`
/// (`ssn`, `employee_ssn`, `SSN (masked)`).
pub(super) fn in_ssn_column(hay: &[u8], s: usize) -> bool {
    // A blank-aligned table's too (`Employee  Gross  Net  SSN  Bank`: a payroll run's
    // print; twenty-first round), and a COBOL copybook's field (`05 CUST-SSN PIC 9(9).`;
    // twenty-second round).
    column_header(hay, s)
        .or_else(|| blank_column_header(hay, s))
        .or_else(|| copybook_field(hay, s))
        .is_some_and(|h| {
            h.split(|b| !b.is_ascii_alphanumeric())
                .any(|w| w.eq_ignore_ascii_case(b"ssn"))
        })
}

/// The start of the line holding `hay[end - 1]` (after a `\n`, or a log's flattened ` | `),
/// no further back than `floor`.
fn record_line_start(hay: &[u8], end: usize, floor: usize) -> usize {
    let seg = &hay[floor..end];
    let nl = memchr::memrchr(b'\n', seg).map_or(0, |i| i + 1);
    let pipe = memchr::memmem::rfind(seg, b" | ").map_or(0, |i| i + 3);
    floor + nl.max(pipe)
}

/// The field a COBOL copybook names for the token at `s` of a record line under it: the
/// copybook's elementary items (`05 CUST-ID PIC 9(9).`, `05 CUST-SSN PIC 9(9).`, …, each a
/// level number, a name and a `PIC` clause) in order, and its sample records as comment
/// lines below (`* 040804707 431862222 1990-08-29 …`: `*` is the comment's indicator), one
/// blank-separated token a field. The `n`-th token is the `n`-th item's: the layout is the
/// records' header, as a table's header line is its rows' (twenty-second round, task num).
/// Bounded to 4 KB and 32 lines above.
pub(super) fn copybook_field(hay: &[u8], s: usize) -> Option<&[u8]> {
    // The cheap look first (every bare nine digits asks): a `*` within 256 bytes before,
    // opening its line (only blanks between it and a `\n`, a flattened ` | ` or the start).
    let w = s.saturating_sub(256);
    let star = w + memchr::memrchr(b'*', &hay[w..s])?;
    let mut ls = star;
    while ls > 0 && matches!(hay[ls - 1], b' ' | b'\t') {
        ls -= 1;
    }
    let opens = ls == 0 || hay[ls - 1] == b'\n' || (ls < star && hay[..ls].ends_with(b" |"));
    if !opens
        || !matches!(hay.get(star + 1), Some(b' ' | b'\t'))
        || !matches!(hay[s - 1], b' ' | b'\t')
    {
        return None;
    }
    // The line's start: after its break (a flattened ` | `'s last blank too).
    let ls = if ls > 0 && hay[ls - 1] == b'|' {
        ls + 1
    } else {
        ls
    };
    let floor = s.saturating_sub(4096);
    let head = hay[ls..s].trim_ascii_start();
    // Up the lines: the records' comment lines, then the items (read bottom up) with their
    // `PIC` clauses.
    let mut end = ls;
    let mut items: Vec<(&[u8], &[u8])> = Vec::new();
    for _ in 0..32 {
        let sep = if hay[..end].ends_with(b" | ") {
            3
        } else if hay[..end].ends_with(b"\n") {
            1
        } else {
            break;
        };
        let le = end - sep;
        let start = record_line_start(hay, le, floor);
        let line = hay[start..le].trim_ascii();
        end = start;
        if line.starts_with(b"*") {
            if items.is_empty() {
                continue;
            }
            break;
        }
        let mut words = line
            .split(|b| matches!(b, b' ' | b'\t'))
            .filter(|w| !w.is_empty());
        let (Some(level), Some(name), Some(pic), Some(clause)) =
            (words.next(), words.next(), words.next(), words.next())
        else {
            break;
        };
        let elementary = level.len() == 2
            && level.iter().all(u8::is_ascii_digit)
            && level != b"01"
            && (pic.eq_ignore_ascii_case(b"pic") || pic.eq_ignore_ascii_case(b"picture"));
        if !elementary {
            break;
        }
        items.push((name, clause));
    }
    items.reverse();
    // The record line fills every item, a numeric one (`PIC 9…`) with digits: a line of
    // other words under the records (`* claim 536915376`, `* routing 031176110`) is none.
    let line_end = {
        let rest = &hay[s..hay.len().min(s + 512)];
        let nl = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let pipe = memchr::memmem::find(rest, b" | ").unwrap_or(rest.len());
        s + nl.min(pipe)
    };
    let mut index = None;
    let mut count = 0;
    let at = ls + (hay[ls..s].len() - head.len()) + 1;
    let mut i = at;
    while i < line_end {
        if matches!(hay[i], b' ' | b'\t') {
            i += 1;
            continue;
        }
        let t0 = i;
        while i < line_end && !matches!(hay[i], b' ' | b'\t') {
            i += 1;
        }
        if t0 == s {
            index = Some(count);
        }
        if let Some((_, clause)) = items.get(count) {
            if clause.first() == Some(&b'9') && !hay[t0..i].iter().all(u8::is_ascii_digit) {
                return None;
            }
        }
        count += 1;
    }
    if count < items.len() {
        return None;
    }
    items.get(index?).map(|(name, _)| *name)
}

/// Whether the cell at `s` is in a text table's card-number column: its header names a card
/// (`card_number`, `Kartennummer`, `numéro de carte`, `tarjeta`, `cc_number`, `PAN`).
pub(super) fn in_card_column(hay: &[u8], s: usize) -> bool {
    column_header(hay, s)
        .or_else(|| copybook_field(hay, s))
        .is_some_and(|h| {
            let h = h.to_ascii_lowercase();
            ["card", "karte", "carte", "tarjeta", "carta", "kaart"]
                .iter()
                .any(|w| memchr::memmem::find(&h, w.as_bytes()).is_some())
                || h.split(|b| !b.is_ascii_alphanumeric())
                    .any(|w| matches!(w, b"pan" | b"cc"))
        })
}
