//! Byte-level helpers of the scan: the `key=value` candidates, SWAR word tests, the byte
//! classes of e-mail and IPv6 text, case variants of trigger words.

use super::super::validate as v;

use super::*;

/// The `key=value` rule's candidates: where a keyword ends at a `:` or `=`.
/// With `prose`, also the prose-password keywords that end there (`prose_colon_start`).
pub(super) fn key_value_candidates(
    hay: &[u8],
    rule: usize,
    prose: Option<usize>,
    cands: &mut Vec<(usize, usize)>,
) {
    let mut found = |q: usize| key_value_anchor(hay, q, rule, prose, cands);
    // Most haystacks are short JSON leaves: 8 bytes at a time (any of `:;<=>`) beats
    // setting up a SIMD search.
    if hay.len() < 64 {
        let mut i = 0;
        while i < hay.len() {
            if let Some(w) = word8(hay, i) {
                if byte_between_mask(w, 0x39, 0x3F) == 0 {
                    i += 8;
                    continue;
                }
            }
            let stop = (i + 8).min(hay.len());
            for (q, &b) in hay[i..stop].iter().enumerate() {
                if b == b':' || b == b'=' || b == b'>' {
                    found(i + q);
                }
            }
            i = stop;
        }
    } else {
        memchr::memchr3_iter(b':', b'=', b'>', hay).for_each(found);
    }
}

/// `key_value_candidates` at one of its anchors: the `:`, `=` or `>` at `hay[q]`.
#[inline(always)]
pub(super) fn key_value_anchor(
    hay: &[u8],
    q: usize,
    rule: usize,
    prose: Option<usize>,
    cands: &mut Vec<(usize, usize)>,
) {
    // `>` ends a start tag (`<apiToken>`); `tag_key_start` out of line keeps this inlined in
    // the loops (callgrind: +60 k instructions per 64 KB of text when it was not).
    let p = if hay[q] == b'>' {
        tag_key_start(hay, q)
    } else {
        if let Some((rule, p)) = prose.zip(prose_colon_start(hay, q)) {
            cands.push((p, rule));
        }
        key_value_start(hay, q)
    };
    if let Some(p) = p {
        cands.push((p, rule));
    }
}

/// Where the `key=value` keyword naming the XML/HTML element whose start tag ends at the
/// `>` at `q` starts (`<apiToken>`, `<client_secret>`, `<password>`): the tag's name, right
/// after its `<`, must end in a keyword (`key_value_start`'s test).
#[inline(never)]
pub(super) fn tag_key_start(hay: &[u8], q: usize) -> Option<usize> {
    let p = key_value_start(hay, q)?;
    // The keyword is the tag's name or its tail (`apiToken`, `db-password`), after `<`.
    let name = hay[..p]
        .iter()
        .rev()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
        .count();
    (name <= 32 && p > name && hay[p - name - 1] == b'<').then_some(p)
}

/// Where the `key=value` keyword ending just before the `:`/`=` at `q` starts (regex shape:
/// keyword, optional quote, blanks, `:`/`=`); the longest keyword wins.
pub(super) fn key_value_start(hay: &[u8], q: usize) -> Option<usize> {
    let mut j = q;
    while j > 0 && matches!(hay[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    if j > 0 && matches!(hay[j - 1], b'"' | b'\'') {
        j -= 1;
    } else if j > 0 && hay[j - 1] == b']' {
        return array_key_start(hay, j - 1, q);
    }
    key_value_tail(hay, j, q)
}

/// `key_value_start` for an array's key (`env[DB_PASSWORD] = …`, `$settings['hash_salt'] =
/// …`: php-fpm's and PHP's forms; eighteenth round), its `]` ending at `j`: out of line, the
/// common `:`/`=` never reach it.
#[cold]
#[inline(never)]
fn array_key_start(hay: &[u8], mut j: usize, q: usize) -> Option<usize> {
    if j > 0 && matches!(hay[j - 1], b'"' | b'\'') {
        j -= 1;
    }
    key_value_tail(hay, j, q)
}

/// `key_value_start` from the keyword's end `j` (blanks and a quote skipped).
#[inline(always)]
fn key_value_tail(hay: &[u8], j: usize, q: usize) -> Option<usize> {
    // Every keyword ends in one of these (`| 0x20` lower-cases letters and makes no letter
    // of anything else): most `:`/`=` (JSON members, times, URLs) are rejected here, with
    // the three bytes compared as one word.
    if j < 3 {
        return None;
    }
    // The last two bytes first, hashed into a 256-bit set (`TAIL_PAIRS`): one test turns
    // away most `:`/`=` before the tails are compared one by one (19 of them).
    let h = tail_pair_hash(hay[j - 2] | 0x20, hay[j - 1] | 0x20);
    if (TAIL_PAIRS[h >> 6] >> (h & 63)) & 1 == 0 {
        return None;
    }
    let tail = u32::from_le_bytes([hay[j - 3] | 0x20, hay[j - 2] | 0x20, hay[j - 1] | 0x20, 0]);
    if !KEY_VALUE_TAILS
        .iter()
        .any(|t| u32::from_le_bytes([t[0], t[1], t[2], 0]) == tail)
    {
        return None;
    }
    key_value_keyword(hay, j, q)
}

/// A 256-bit set's index for a tail's last two bytes (lower-cased).
#[inline(always)]
const fn tail_pair_hash(b1: u8, b2: u8) -> usize {
    (((b1 as usize) << 3) ^ b2 as usize) & 255
}

/// The `KEY_VALUE_TAILS`' last two bytes, hashed (`tail_pair_hash`).
const TAIL_PAIRS: [u64; 4] = {
    let mut set = [0u64; 4];
    let mut i = 0;
    while i < KEY_VALUE_TAILS.len() {
        let h = tail_pair_hash(KEY_VALUE_TAILS[i][1], KEY_VALUE_TAILS[i][2]);
        set[h >> 6] |= 1 << (h & 63);
        i += 1;
    }
    set
};

/// `key_value_start` past its tail test: the longest keyword ending at `j` (out of line, so
/// the callers' loops over every `:`/`=` stay small enough to inline).
#[inline(never)]
fn key_value_keyword(hay: &[u8], j: usize, q: usize) -> Option<usize> {
    let last = hay[j - 1] | 0x20;
    triggers(Kind::KeyValue)
        .iter()
        .filter(|w| {
            w.as_bytes().last() == Some(&last)
                && j >= w.len()
                && hay[j - w.len()..j].eq_ignore_ascii_case(w.as_bytes())
        })
        .map(|w| j - w.len())
        .min()
        // Consul's gossip key `encrypt = "…"` (`evidence_r33g`), at its tail `ypt`.
        .or_else(|| {
            // (`then`, not `then_some`: `j - 7` only once `encrypt` was seen, `j` ≥ 7)
            (&hay[j - 3..j] == b"ypt" && super::evidence_r33g::consul_encrypt_at(hay, j))
                .then(|| j - 7)
        })
        // `routing_key` (`routingKey`) before `:`/`=`: its `key` (`evidence_r28g`).
        .or_else(|| super::evidence_r28g::routing_key_at(hay, j).then_some(j - 3))
        // `key` alone as a URL's query parameter (`?key=…`, `&key=…`) or an INI/TOML
        // setting (`key = "…"`, after a blank or at a line's start; `check_key_value` wants a
        // key's shape there); not a keyword elsewhere (`key: value` is any map's key).
        // Or a key-value store's path ending in `key` before its `:` (`consul kv get
        // -recurse`: `config/app/upstream/key:…`; `check_key_value` wants the path).
        .or_else(|| {
            let before = |set: &[u8]| j == 3 || set.contains(&hay[j - 4]);
            // Or `key` ending a longer name before `=` (`DEPLOY_KEY=…`, `AccountKey=…`, a
            // dotted setting's `…s3a.secret.key=…`; the name is judged by
            // `check_key_value`'s `named_secret_key`).
            let named = j > 3
                && (matches!(hay[j - 4], b'_' | b'-' | b'.')
                    || hay[j - 3] == b'K' && hay[j - 4].is_ascii_lowercase());
            (hay[j - 3..j].eq_ignore_ascii_case(b"key")
                && (hay[q] == b'=' && (before(b"?& \t\n\r") || named)
                    || hay[q] == b':'
                        && (before(b"/")
                            // Kafka Connect's `aws.secret.access.key` (`evidence_r32g`).
                            || super::evidence_r32g::dotted_secret_access_key(hay, j - 3))
                    // A Tailscale key after any `…key=`/`…key:` (`--authkey=tskey-…`;
                    // `evidence_r33g`).
                    || super::evidence_r33g::tailscale_key_after(hay, q)
                    // Any token after `tailscale up --authkey=`, ESPHome's `api:`
                    // `encryption:` `key:` (`evidence_r36g`).
                    || hay[q] == b'=' && super::evidence_r36g::tailscale_auth_flag(hay, j - 3)
                    || hay[q] == b':' && super::evidence_r36g::esphome_api_key(hay, j - 3)
                    // age's key file, `# public key: age1…` (`evidence_r34g`).
                    || hay[q] == b':' && super::evidence_r34g::age_public_key_line(hay, j, q)))
            .then_some(j - 3)
        })
        // Or `key:` as the whole of a string (`"notes": "key: …"`), unquoted: at the text's
        // start or after a `"`, so a JSON leaf seen alone and the same string in the raw body
        // agree (`check_key_value`'s `whole_string_setting` wants the rest).
        .or_else(|| {
            (hay[q] == b':'
                && hay[j - 3..j].eq_ignore_ascii_case(b"key")
                && !matches!(hay[j], b'"' | b'\'')
                && (j == 3 || hay[j - 4] == b'"'))
                .then_some(j - 3)
        })
}

/// The prose-password keywords the SWAR pass does not stop at (`mdp`, `contrasena`, `pw`,
/// `pwd`, `ww`, `pass` alone, any case), ending just before the `:`/`=` at `q` (blanks between), the user
/// word of a credential pair (`login: …`), or a few words before it
/// (`mdp du compte admin: …`): their trigger position.
#[inline]
pub(super) fn prose_colon_start(hay: &[u8], q: usize) -> Option<usize> {
    // Most `:` follow a `"` (JSON): one byte rejects them, inline. (After a digit: a
    // `.pgpass` user name, `prose_colon_words`.)
    if q == 0 || !matches!(hay[q - 1] | 0x20, b' ' | b')' | b'0'..=b'9' | b'a'..=b'z') {
        return None;
    }
    prose_colon_words(hay, q)
}

/// `prose_colon_start` past its one-byte test: a keyword's start, or the `:`/`=` itself
/// where no keyword ends there and a `user / password` pair follows it (`Notfallkonto:
/// breakglass / …`; `evidence_r27p`, tested after every keyword, so only on the `:` and `=`
/// that pass the one-byte test and end no keyword).
#[inline(never)]
fn prose_colon_words(hay: &[u8], q: usize) -> Option<usize> {
    prose_colon_keyword(hay, q).or_else(|| {
        (hay.get(q + 1) == Some(&b' ')
            && hay.get(q + 2).is_some_and(u8::is_ascii_lowercase)
            && (super::evidence_r27p::pair_after(hay, q)
                // `CommandLine: net user NAME PASSWORD` (`evidence_r31p`).
                || hay[q + 2] == b'n' && super::evidence_r31p::net_user_after_colon(hay, q)))
        .then_some(q)
    })
}

/// `prose_colon_words`' keywords.
#[inline(always)]
fn prose_colon_keyword(hay: &[u8], q: usize) -> Option<usize> {
    // A `.pgpass` line whose user name ends in a digit (`…:5432:*:berend29:PASSWORD`); a
    // time's `:` (`09:42:02`) has a digit after it too. No keyword ends in a digit.
    // (Control bytes 0x10–0x19 pass the one-byte test as digits do.)
    if matches!(hay[q - 1], 0x10..=0x19 | b'0'..=b'9') {
        return (hay[q - 1].is_ascii_digit()
            && hay[q] == b':'
            && !hay.get(q + 1).is_some_and(u8::is_ascii_digit)
            && (pgpass_line_at(hay, q) || super::evidence_r30p::colon_secret_at(hay, q)))
        .then_some(q);
    }
    let mut j = q;
    while j > 0 && matches!(hay[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    // A `.pgpass` line (`db.internal:5432:*:report:PASSWORD`), at its user name's `:`.
    if hay[q] == b':' && pgpass_line_at(hay, q) {
        return Some(q);
    }
    // HAProxy's `stats auth USER:PASSWORD`, strongSwan's `: EAP "PASSWORD"` (`evidence_r30p`).
    if hay[q] == b':' && super::evidence_r30p::colon_secret_at(hay, q) {
        return Some(q);
    }
    // Windows' `net use … /user:NAME PASSWORD` (twenty-third round, task pw).
    if let Some(k) = super::evidence_r23p::net_use_user_word(hay, q) {
        return Some(k);
    }
    // A key naming whose password it is (`CONTRASENA_BD=…`, `mdp_admin: …`): the keyword
    // before its owner word (`check_prose_password` skips the same word).
    if let Some(k) = owner_suffix_start(hay, j) {
        j = k;
    }
    let tail = |w: &[u8]| j >= w.len() && hay[j - w.len()..j].eq_ignore_ascii_case(w);
    // A one-time password's seed after its label (`TOTP: …`; `evidence_r30g`).
    if super::evidence_r30g::totp_label_before(hay, j) {
        return Some(j - 4);
    }
    if tail(b"mdp") {
        return Some(j - 3);
    } else if tail(b"contrasena") {
        return Some(j - 6);
    } else if tail(b"pwd") {
        return Some(j - 3);
    } else if tail(b"pw") || tail(b"ww") {
        return Some(j - 2);
    } else if tail(b"parola d'ordine") || tail(b"parola_d'ordine") || tail(b"parola_d_ordine") {
        return Some(j - 15);
    } else if tail(b"contrasenya") || tail(b"motdepasse") {
        // Catalan `Contrasenya=…`; `MotDePasse: …` in CamelCase (the SWAR pass looks for
        // `depas`/`DEPAS` only).
        return Some(j - if tail(b"contrasenya") { 11 } else { 10 });
    } else if tail(b"parola_segreta") || tail(b"parola segreta") {
        return Some(j - 14);
    } else if tail(b"api key") {
        // `API key: …` (a key in prose; `secret_in_prose`).
        return Some(j - 7);
    }
    // A Wi-Fi key in German and French (`WLAN-Schlüssel: …`, `Clé Wi-Fi : …`).
    if let Some(p) = wifi_key_word_before(hay, j) {
        return Some(p);
    }
    // A Wi-Fi pair `Wi-Fi: SSID / PASSWORD` (`evidence_r31p`): at the `:`.
    if super::evidence_r31p::wifi_pair_before(hay, j, q) {
        return Some(q);
    }
    // `user/pass: …` is a pair (before `pass` alone).
    if let Some(p) = pair_word_before(hay, j) {
        return Some(p);
    }
    if tail(b"pass") {
        return Some(j - 4);
    }
    // Up to five words back (letters, apostrophes, non-ASCII), blanks between, within 48
    // bytes: `check_prose_password` skips the same words to the connector. A credential
    // pair's user word that far back ("EDC login for the coordinator: …", "Login fürs
    // Portal: …"; `check_pair` skips the same words) is the start when no password word is;
    // right before the `:` it is `pair_word_before`'s to judge (`/user:CORP\bob` is none).
    let stop = j.saturating_sub(48);
    let mut k = j;
    let mut pair = None;
    for n in 0..6 {
        let we = k;
        while k > stop
            && (hay[k - 1].is_ascii_alphabetic() || hay[k - 1] == b'\'' || hay[k - 1] >= 0x80)
        {
            k -= 1;
        }
        // A word, whole (not cut by the window).
        if k == we || (k == stop && k > 0 && hay[k - 1].is_ascii_alphabetic()) {
            return pair;
        }
        let word = &hay[k..we];
        if word.eq_ignore_ascii_case(b"mdp") {
            return Some(k);
        }
        if word.eq_ignore_ascii_case(b"contrasena") {
            return Some(k + 4);
        }
        if pair.is_none()
            && n > 0
            && (4..=14).contains(&word.len())
            && PAIR_WORDS.iter().any(|w| w.eq_ignore_ascii_case(word))
        {
            pair = Some(k);
        }
        let ws = k;
        while k > stop && matches!(hay[k - 1], b' ' | b'\t') {
            k -= 1;
        }
        if k == ws {
            return pair;
        }
    }
    pair
}

/// `Schlüssel` ending at `j` after a network word (`WLAN-Schlüssel`, `WPA Schlüssel`), or
/// `clé` and a network word ending at `j` (`Clé Wi-Fi`, `clé WPA`): the keyword's start.
/// The last byte is tested first: most `:` end no such word.
fn wifi_key_word_before(hay: &[u8], j: usize) -> Option<usize> {
    const SCHLUESSEL: &[u8] = b"schl\xc3\xbcssel";
    let tail = |w: &[u8]| j >= w.len() && hay[j - w.len()..j].eq_ignore_ascii_case(w);
    match hay[j.checked_sub(1)?] | 0x20 {
        b'l' if tail(SCHLUESSEL) && wifi_word_near(hay, j - SCHLUESSEL.len()) => {
            Some(j - SCHLUESSEL.len())
        }
        b'i' | b'n' | b'a' => {
            let net = [b"wi-fi".as_slice(), b"wifi", b"wlan", b"wpa"]
                .into_iter()
                .find(|w| tail(w))?;
            let mut k = j - net.len();
            while k > 0 && hay[k - 1] == b' ' {
                k -= 1;
            }
            let cle = k >= 4
                && k < j - net.len()
                && (hay[k - 4..k].eq_ignore_ascii_case(b"cl\xc3\xa9")
                    || &hay[k - 4..k] == b"CL\xc3\x89")
                && (k == 4 || !hay[k - 5].is_ascii_alphabetic());
            // (`k - 4` only when `cle` holds: `k` may be under 4, as in `wifi:` opening the text)
            if cle {
                Some(k - 4)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// The user word of a credential pair ending at `j` (`login`, `user`, …: `PAIR_WORDS`), or
/// `user/pass` ending there: its start.
fn pair_word_before(hay: &[u8], j: usize) -> Option<usize> {
    let word_start = |e: usize| {
        let mut k = e;
        while k > 0 && e - k < 16 && hay[k - 1].is_ascii_alphabetic() {
            k -= 1;
        }
        (k < e && (k == 0 || !hay[k - 1].is_ascii_alphabetic())).then_some(k)
    };
    let mut k = word_start(j)?;
    if k > 0 && hay[k - 1] == b'/' {
        k = word_start(k - 1)?;
    }
    let w = &hay[k..];
    PAIR_WORDS
        .iter()
        .any(|p| {
            w.len() > p.len()
                && w[..p.len()].eq_ignore_ascii_case(p)
                && !w[p.len()].is_ascii_alphabetic()
        })
        .then_some(k)
}

/// `word`, `Word`, `Title Words`, `WORD` (for the case-sensitive SIMD searcher).
pub(super) fn case_variants(word: &str) -> Vec<String> {
    let mut cap = word.to_string();
    if let Some(first) = cap.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    let title: String = word
        .split(' ')
        .map(|w| {
            let mut w = w.to_string();
            if let Some(first) = w.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            w
        })
        .collect::<Vec<_>>()
        .join(" ");
    let mut out = vec![word.to_string(), cap, title, word.to_ascii_uppercase()];
    out.sort();
    out.dedup();
    out
}

/// SWAR: the high bit of each byte `x` of `w` with `m < x < n` is set, exactly, byte by byte
/// (0 <= m <= 127, n <= 128; bytes >= 0x80 are never set). Each byte is masked to 7 bits
/// before the add and the subtract, so neither carries nor borrows into its neighbour.
pub(super) fn byte_between_mask(w: u64, m: u64, n: u64) -> u64 {
    const ONES: u64 = u64::MAX / 255;
    (ONES * (127 + n)).wrapping_sub(w & (ONES * 127))
        & !w
        & ((w & (ONES * 127)).wrapping_add(ONES * (127 - m)))
        & (ONES * 128)
}

/// The byte pass's skip (`Detector::byte_pass`): the first byte at or after `i` in
/// 0x30..=0x40 (a digit, `:`, `@`, the pass's only stops), 8 bytes at a time; where fewer
/// than 8 bytes are left before it, the first of them (the pass goes on byte by byte), or
/// `hay.len()`. Its own loop, one bound test a word (thirtieth round, task cost: the pass's
/// outer loop tested `i < n` and `i + 8 <= n` at every word); `tests_cost` pins it
/// against the outer loop's word-by-word skip it replaces.
#[inline(always)]
pub(super) fn next_scan_byte(hay: &[u8], mut i: usize) -> usize {
    while i + 8 <= hay.len() {
        let w = u64::from_le_bytes(hay[i..i + 8].try_into().unwrap_or([0; 8]));
        let mask = byte_between_mask(w, 0x2F, 0x41);
        if mask != 0 {
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i
}

/// The 8 bytes at `hay[i..]` as a little-endian word; `None` when fewer are left.
pub(crate) fn word8(hay: &[u8], i: usize) -> Option<u64> {
    hay.get(i..i + 8)?.try_into().ok().map(u64::from_le_bytes)
}

/// The end of the run of word bytes (`[0-9A-Za-z_]`) from `i`, 8 bytes at a time.
pub(super) fn word_end(hay: &[u8], mut i: usize) -> usize {
    const HIGH: u64 = u64::MAX / 255 * 128;
    while let Some(w) = word8(hay, i) {
        // Digits, capitals, `_`, lower case.
        let words = byte_between_mask(w, 0x2F, 0x3A)
            | byte_between_mask(w, 0x40, 0x5B)
            | byte_between_mask(w, 0x5E, 0x60)
            | byte_between_mask(w, 0x60, 0x7B);
        let others = !words & HIGH;
        if others != 0 {
            return i + (others.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < hay.len() && v::is_word(hay[i]) {
        i += 1;
    }
    i
}

pub(super) fn is_email_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-') || b >= 0x80
}

pub(super) fn is_email_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b >= 0x80
}

/// The hex digits and `:` before the `:` at `i` (up to 12 bytes) follow a word byte that
/// is none of an address's (`T05:12:00Z`, `id_3f:…`): `ipv6_at` would expand back to it and
/// reject the candidate, so it is not called (times in timestamps are the common case).
pub(super) fn ipv6_after_word(hay: &[u8], i: usize) -> bool {
    let mut k = i;
    while k > 0 && i - k < 12 && (hay[k - 1].is_ascii_hexdigit() || hay[k - 1] == b':') {
        k -= 1;
    }
    k > 0 && i - k < 12 && v::is_word(hay[k - 1])
}

pub(super) fn is_ipv6_byte(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b':' || b == b'.'
}

/// Length of the run of ASCII digits at `i`.
pub(super) fn digit_run(hay: &[u8], i: usize) -> usize {
    hay.get(i..)
        .map_or(0, |t| t.iter().take_while(|b| b.is_ascii_digit()).count())
}

pub(super) fn word_at(hay: &[u8], i: usize) -> bool {
    hay.get(i).is_some_and(|&b| v::is_word(b))
}
