//! Text detection: one multi-pattern regex pass (regex-automata `meta::Regex`, byte mode,
//! ASCII boundaries) proposes candidates; validators in code accept, trim or reject them.
//!
//! Layout: `patterns` (the data tables), `engine` (compiling and running the scan), `check`
//! (validating secrets, e-mail, IP and date candidates), `numbers` (phones, cards, IBANs),
//! `bytes` (byte-level helpers).

use super::entity::Entity;
use aho_corasick::AhoCorasick;
use regex_automata::meta::Regex;

mod buckets;
mod bytes;
mod check;
mod engine;
mod evidence;
mod evidence_r23n;
pub(crate) mod evidence_r23p;
pub(crate) mod evidence_r23s;
mod evidence_r24n;
pub(crate) mod evidence_r24p;
mod evidence_r24s;
pub(crate) mod evidence_r25p;
pub(crate) mod evidence_r26n;
mod evidence_r26p;
mod evidence_r27g;
pub(crate) mod evidence_r27n;
mod evidence_r27p;
mod evidence_r28g;
pub(crate) mod evidence_r28n;
mod evidence_r28p;
mod evidence_r29c;
mod evidence_r29n;
mod evidence_r29p;
pub(crate) mod evidence_r29s;
pub(crate) mod evidence_r30c;
pub(crate) mod evidence_r30g;
mod evidence_r30n;
mod evidence_r30p;
mod evidence_r31f;
pub(crate) mod evidence_r31g;
mod evidence_r31p;
mod evidence_r32f;
pub(crate) mod evidence_r32g;
pub(crate) mod evidence_r32p;
pub(crate) mod evidence_r33d;
mod evidence_r33g;
pub(crate) mod evidence_r33p;
mod evidence_r34c;
pub(crate) mod evidence_r34d;
mod evidence_r34g;
pub(crate) mod evidence_r34p;
pub(crate) mod evidence_r35d;
mod evidence_r35g;
pub(crate) mod evidence_r35p;
pub(crate) mod evidence_r36c;
pub(crate) mod evidence_r36g;
pub(crate) mod evidence_r36p;
pub(crate) mod evidence_r37s;
pub(crate) mod evidence_r38g;
pub(crate) mod evidence_r38p;
mod evidence_r38v;
mod evidence_r39v;
mod evidence_r40c;
mod evidence_r40d;
pub(crate) mod evidence_r40n;
mod evidence_r40p;
mod evidence_r40s;
mod evidence_r41h;
mod evidence_r41p;
mod numbers;
mod patterns;
mod prose_dob;
mod pw_shape;
mod records;
mod standin;
mod table;
mod tools;

use buckets::*;
pub(crate) use bytes::word8;
use bytes::*;
use check::*;
pub(crate) use numbers::identifier_word;
use numbers::*;
use patterns::*;
use pw_shape::*;
pub(crate) use records::{may_hold_birth_year, personal_entity};
pub(crate) use standin::stand_in;
pub(crate) use table::header_cell_bits;
use tools::*;

/// One accepted detection: an entity over a byte range of the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub entity: Entity,
    pub start: usize,
    pub end: usize,
    /// A documentation example or obvious placeholder (`AKIAIOSFODNN7EXAMPLE`,
    /// `ghp_xxxx…`): reported, masked only when the config asks (`mask_placeholders`).
    pub placeholder: bool,
}

impl Hit {
    pub(crate) fn new(entity: Entity, start: usize, end: usize) -> Self {
        Hit {
            entity,
            start,
            end,
            placeholder: false,
        }
    }
}

/// What surrounds the text being scanned (a JSON key can make a bare number a phone).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ScanContext {
    /// The JSON key holding this string is phone-like (`phone`, `mobile`, `tel`, …).
    pub phone_key: bool,
    /// The JSON key holding this string is card-like (`card_number`, …).
    pub card_key: bool,
    /// The JSON key holding this string names an identifier (`order_id`, `sku`, `gtin`,
    /// `receipt_number`, `tax_id`, …): a number opening the string is that identifier, no
    /// phone (the key is its label, as `Order 0510 488 5827` is in text).
    pub ident_key: bool,
}

/// Compiled detector; shared read-only between threads.
#[derive(Debug)]
pub(crate) struct Detector {
    /// One regex per rule, always searched anchored (at a trigger or a number's first byte).
    rules: Vec<(Kind, Regex)>,
    /// The date part of a DOB match (the keyword stays visible).
    date_re: Regex,
    /// Keyword / prefix triggers → positions for anchored searches.
    trigger_ac: Option<AhoCorasick>,
    /// For each trigger literal: the rule it starts, and whether it is (also) part of a
    /// sensitive JSON key name (for the raw-bytes fast path).
    trigger_meta: Vec<(Option<usize>, bool)>,
    /// SIMD (Teddy) searcher over the secret prefixes and DOB keywords (in lower, Capitalised
    /// and UPPER case), with `key=value` rules anchored at `:`/`=` instead; `None` where the
    /// CPU has no SIMD support, and the Aho-Corasick automaton above is used.
    fast: Option<FastTriggers>,
    /// Rule indices of the number-shaped rules, in priority order.
    numeric: Vec<usize>,
    enabled: [bool; Entity::COUNT],
    entropy_threshold: f64,
}

/// Buffers a scan reuses between haystacks (one per JSON walk).
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// Accepted hits with their rule priority (the result of `hits_into`).
    pub raw: Vec<(Hit, usize)>,
    cands: Vec<(usize, usize)>,
    /// `cands` already holds the next haystack's trigger candidates (from `BodyTriggers`).
    given: bool,
}

impl Scratch {
    /// Forgets candidates given by `leaf_candidates` that no scan used.
    pub(crate) fn forget_given(&mut self) {
        self.given = false;
    }

    /// The buffers emptied for the next walk on this thread, or new ones when either grew
    /// past `max` entries.
    pub(crate) fn spare(mut self, max: usize) -> Self {
        if self.raw.capacity() > max || self.cands.capacity() > max {
            return Scratch::default();
        }
        self.raw.clear();
        self.cands.clear();
        self.given = false;
        self
    }
}

/// The trigger candidates of a whole JSON body, found in one search and handed to its
/// string leaves in order (a search per leaf costs more than the leaf: most are short).
/// No trigger literal holds a `"` or `\`, so a match never crosses a string's quotes and
/// a leaf gets exactly the candidates a search of the leaf alone would find.
#[derive(Debug, Default)]
pub(crate) struct BodyTriggers {
    /// (position in the body, rule) of every Teddy match, ascending.
    literal: Vec<(usize, usize)>,
    next_literal: usize,
    /// Joined leaves only (`Detector::joined_triggers`): the position of every `:`, `=` and
    /// `>` (the `key=value` anchors, `key_value_candidates`), ascending; empty for a body
    /// (its leaves look for their own: a body holds a `:` per member).
    anchors: Vec<usize>,
    next_anchor: usize,
}

impl BodyTriggers {
    /// The candidates' and anchors' buffers, for the next `Detector::joined_triggers`.
    pub(crate) fn into_buffers(self) -> (Vec<(usize, usize)>, Vec<usize>) {
        (self.literal, self.anchors)
    }
}

/// The SIMD trigger path.
#[derive(Debug)]
struct FastTriggers {
    teddy: aho_corasick::packed::Searcher,
    /// Rule of each Teddy pattern.
    teddy_rule: Vec<usize>,
    /// The second tier (`more_triggers`: Teddy takes fewer than 128 literals); `None` when
    /// there are none. Left to `prose` where it `takes_second_tier`.
    more: Option<Box<MoreTriggers>>,
    /// The `key=value` rule, if enabled.
    key_value: Option<usize>,
    /// The first two bytes of every pattern of both tiers, as a bit set over `b0 << 8 |
    /// b1`: a haystack too short for Teddy (which then falls back to Rabin-Karp) without
    /// any of these pairs holds no pattern, and is not searched. JSON leaves are mostly
    /// short. (A prefilter of its own for the second tier cost the JSON walk more than its
    /// searcher: callgrind, +4.9 % against +2.5 % on PII-dense values.)
    pairs: Box<[u64; 1024]>,
    /// The shortest haystack either tier's searcher takes on its SIMD path.
    minimum_len: usize,
    /// Where no literal of any of the three searchers (both tiers', the prose searcher's)
    /// starts: `literals_into`'s answer for a short text without searching (`LeadBytes`).
    /// `None` when a literal has fewer than three bytes.
    leads: Option<LeadBytes>,
    /// The prose-password rule, searched apart from Teddy: its keywords' fingerprints
    /// (`pas`, `Pas`, …) collide with ordinary text in Teddy's nibble tables and doubled
    /// the cost of the whole literal search (callgrind, 64 KB clean text: 176 k → 344 k
    /// instructions); `memmem` on a few needles costs a fraction of that.
    prose: Option<ProseTriggers>,
}

/// The first bytes of every literal the trigger searchers look for (`FastTriggers::leads`):
/// a text none of whose positions starts with a literal's first three bytes holds no
/// literal, and each searcher finds nothing in it. Looked at byte pair by byte pair (a bit
/// set over `b0 << 8 | b1`, as `pairs`, with the prose searcher's literals too); at a pair
/// some literal opens with, its third byte among those literals' (sorted three-byte
/// prefixes). For a short text this costs a fraction of the searchers' setup: the answer of
/// the bench call, 99 bytes of clean JSON, ~2.4k instructions in the two Teddy searches and
/// ~0.8k in the prose triggers' (docs/performance.md, twenty-third and twenty-fourth rounds).
#[derive(Debug)]
struct LeadBytes {
    pairs: Box<[u64; 1024]>,
    /// `b0 << 16 | b1 << 8 | b2` of every literal, sorted, no repeats.
    triples: Box<[u32]>,
}

/// The longest text `FastTriggers::literals_into` looks at through `LeadBytes` before
/// searching: past it the searchers' SIMD passes cost less per byte than the pairs' test.
const LEAD_TEST_MAX: usize = 256;

impl LeadBytes {
    /// `None` if a literal has fewer than three bytes.
    fn new<'a>(lits: impl IntoIterator<Item = &'a [u8]>) -> Option<Self> {
        let mut pairs = Box::new([0u64; 1024]);
        let mut triples = Vec::new();
        for l in lits {
            let [b0, b1, b2, ..] = *l else { return None };
            let k = usize::from(b0) << 8 | usize::from(b1);
            pairs[k / 64] |= 1 << (k % 64);
            triples.push(u32::from(b0) << 16 | u32::from(b1) << 8 | u32::from(b2));
        }
        triples.sort_unstable();
        triples.dedup();
        Some(LeadBytes {
            pairs,
            triples: triples.into_boxed_slice(),
        })
    }

    /// True if no literal starts anywhere in `hay` (false may still hold none).
    fn none_in(&self, hay: &[u8]) -> bool {
        for (i, w) in hay.windows(2).enumerate() {
            let k = usize::from(w[0]) << 8 | usize::from(w[1]);
            if self.pairs[k / 64] & (1 << (k % 64)) != 0 {
                if let Some(&b2) = hay.get(i + 2) {
                    let t = (k as u32) << 8 | u32::from(b2);
                    if self.triples.binary_search(&t).is_ok() {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// The second trigger tier's searcher, for text the prose searcher does not take (shorter
/// than its Teddy's minimum, ~19 bytes, or with the prose rule off): on longer text its literals are searched in
/// the prose keywords' Teddy (`ProseTriggers`), which saves a pass. (That joint searcher cost
/// clean text +12.7 % in the sixteenth round, in the literals' own order — the fat buckets
/// collided; in its bucket plan it costs ~2 k instructions per 64 KB more than the prose
/// literals alone: `buckets`.)
#[derive(Debug)]
struct MoreTriggers {
    teddy: aho_corasick::packed::Searcher,
    /// Rule of each pattern.
    rule: Vec<usize>,
}

/// The prose-password keywords, found in one pass over the text: a Teddy searcher of its
/// own over the literals of `PROSE_LITERALS` (in the cases keywords are written in: lower,
/// Capitalised, UPPER), or for text shorter than its minimum (where Teddy falls back to
/// Rabin-Karp) a pass 8 bytes at a time (SWAR) that
/// stops at a doubled `s`, a `v` or `w`, a `dp` or a non-ASCII byte. Both report the same
/// anchors, each checked against the literals there (`check_at`); the keyword's trigger
/// position is reported (see `prose_keyword`). `mdp`, `pw`, `pwd`, `ww`, the ASCII spelling
/// `contrasena` and credential pairs are found where they end at a `:` or `=`
/// (`prose_colon_start`, in the `key=value` pass). This replaced
/// six `memmem` passes and their two-byte prefilter, which did not see UPPER-case keywords
/// (callgrind figures in docs/redaction-accuracy.md, Throughput).
#[derive(Debug)]
struct ProseTriggers {
    rule: usize,
    /// Over `PROSE_LITERALS` and the second tier's literals (`more_triggers`): for text of
    /// its Teddy's minimum length or more this one pass finds both (see `ProseId`).
    teddy: Option<aho_corasick::packed::Searcher>,
    /// What each of the searcher's patterns is, by id (the ids follow `buckets`' plan).
    ids: Vec<ProseId>,
}

/// A pattern of the prose searcher: a prose literal (its anchor offset, as in
/// `PROSE_LITERALS`) or a second-tier trigger (its rule).
#[derive(Debug, Clone, Copy)]
enum ProseId {
    Prose(usize),
    SecondTier(usize),
}

/// (literal, offset of the anchor in it): the anchor is where the SWAR pass stops (the
/// first `s` of `ss`, the `w`, the `\xC3` of `ñ`, the `v`, the `d` of `dp`).
const PROSE_LITERALS: [(&[u8], usize); 59] = [
    (b"sswo", 0),
    (b"sswd", 0),
    (b"ssph", 0),
    (b"ssco", 0),
    (b"SSWO", 0),
    (b"SSWD", 0),
    (b"SSPH", 0),
    (b"SSCO", 0),
    (b"ss phr", 0),
    (b"SS PHR", 0),
    (b"de pas", 5),
    (b"DE PAS", 5),
    (b"ennwort", 3),
    (b"ENNWORT", 3),
    (b"wachtw", 0),
    (b"Wachtw", 0),
    (b"WACHTW", 0),
    (b"se\xc3\xb1", 2),
    (b"SE\xc3\x91", 2),
    // 19..22: Spanish `clave`.
    (b"clave", 3),
    (b"Clave", 3),
    (b"CLAVE", 3),
    // 22..25: French `mdp` before a word (`le mdp est …`).
    (b"mdp ", 1),
    (b"Mdp ", 1),
    (b"MDP ", 1),
    // 25..34: `pw`, `pwd` before a blank (`new pw for the router is …`, `pw Tr0ub4dor3`)
    // after a blank, a line break or a quote (the SWAR pass, and `find_into` at the start
    // of the text, take any byte before). Before `:`/`=`, `pw`, `pwd` and Dutch `ww` are
    // found by the colon pass (`prose_colon_start`). Every literal has 4 bytes or more, so
    // Teddy keeps its 4-byte fingerprint. With the 34 literals of the fifth round the slim
    // form was forced (4 k instructions fewer per 64 KB of clean bytes than 32); with the 51
    // of the sixth its buckets collide: slim 1,888,539 instructions per 64 KB of clean text,
    // fat 1,679,925 (callgrind), so the fat form is forced now (`new`). 3-byte literals made it fat with 3-byte
    // fingerprints (+40 k per 64 KB of clean text), and `pw ` in the main searcher (fat
    // and 3-byte already) cost +280 k there (callgrind).
    (b" pw ", 2),
    (b" Pw ", 2),
    (b" PW ", 2),
    (b"\npw ", 2),
    (b"\"pw ", 2),
    (b"\"PW ", 2),
    (b"pwd ", 1),
    (b"Pwd ", 1),
    (b"PWD ", 1),
    // 34..37: Italian `chiave` (`chiave di accesso`, `parola_chiave`; `prose_keyword`).
    (b"chiave", 4),
    (b"Chiave", 4),
    (b"CHIAVE", 4),
    // 37..42: `motdepasse`, `mot_de_passe`, `mot-de-passe` (keys and INI names).
    (b"depas", 4),
    (b"DEPAS", 4),
    (b"de_pas", 5),
    (b"DE_PAS", 5),
    (b"de-pas", 5),
    // 42..46: command-line flags (`mysql -p'…'`, `sshpass -p …`, `curl -u user:…`), anchored
    // at the `-` (the SWAR pass stops at `-p`, `-u`).
    (b" -p'", 1),
    (b" -p\"", 1),
    (b"ss -p ", 3),
    (b" -u ", 1),
    // 46..49: a Wi-Fi key (`…, key …` with a network word before; `prose_keyword`).
    (b" key ", 1),
    (b" Key ", 1),
    (b" KEY ", 1),
    // 49..51: a credential pair stated with `is` (`login is admin / …`).
    (b"login is ", 0),
    (b"Login is ", 0),
    // 51..54: `pass` before a blank, a keyword after a network word only (`wifi pass for
    // the office is …`; `prose_keyword`).
    (b"pass ", 2),
    (b"Pass ", 2),
    (b"PASS ", 2),
    // 54: `redis-cli … -a PASSWORD` (`prose_keyword` looks for `redis-cli` before it).
    (b" -a ", 1),
    // 55: a `-P` flag's argument (`sqlcmd -U sa -P …`, `ipmitool -U root -P …`, `bcp … -P
    // …`; `evidence_r26p`: judged by the value's shape). In the bucket of ` -a `
    // (`buckets`), whose masks it widens at its third byte only (no new candidate on the
    // bench payloads); unplanned, it moved other literals' buckets: clean text +6 to +12 %.
    (b" -P ", 1),
    // 56: a client's name (`mysql -uroot -pX`, `mysqldump … -uroot -pX`; `evidence_r28p`:
    // the glued `-uUSER -pVALUE` on its line). In the bucket of `oken ` (`buckets`), where
    // the bucket model puts the fewest new candidates; every literal's bucket is pinned
    // (`tests_r28p`).
    (b"mysql", 0),
    // 57: an OpenLDAP client's `-w PASSWORD` (`ldapsearch … -D "cn=admin,…" -w …`;
    // `evidence_r29p`: `ldap` and letters earlier on its line), anchored at the `w` (where
    // the SWAR pass stops). In the bucket of ` -a ` and ` -P ` (`buckets`), whose masks it
    // widens at its third byte only; every literal's bucket is pinned (`tests_r29p`).
    (b" -w ", 2),
    // 58: Samba's `-U DOMAIN\\USER%PASSWORD` (`smbclient //host/share -U 'CORP\\ana%…'`;
    // `evidence_r32p`), anchored at the `-` as ` -u `. Its fingerprint's low nibbles are
    // ` -u `'s: it joins that literal's bucket (`buckets`), widening its third byte's mask.
    (b" -U ", 1),
];

impl ProseTriggers {
    /// `more`: the second tier's literals and their rules. Its own searcher made a third
    /// pass over every text: callgrind, 64 KB of clean text 131 k
    /// instructions for that pass, against 2 k more for this one with its literals added
    /// (both in their bucket plans; in `patterns`' order the joint searcher cost +12.7 %).
    fn new(rule: usize, more: (&[String], &[usize])) -> Self {
        let (lits, ids) = Self::literals(more);
        let order = bucket_order(&lits, &PROSE_AND_SECOND_TIER);
        // No literal of either list is a prefix of another (a test checks), so at most one
        // matches at any position and the match kind and ids decide nothing.
        let teddy = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
            .heuristic_pattern_limits(false)
            .only_teddy_fat(Some(true))
            .builder()
            .extend(order.iter().map(|&i| lits[i]))
            .build();
        let ids = order.iter().map(|&i| ids[i]).collect();
        ProseTriggers { rule, teddy, ids }
    }

    /// The joint searcher's literals (the prose literals, then the second tier's) and what
    /// each is.
    fn literals<'a>((lits, rules): (&'a [String], &[usize])) -> (Vec<&'a [u8]>, Vec<ProseId>) {
        PROSE_LITERALS
            .iter()
            .map(|&(l, off)| (l, ProseId::Prose(off)))
            .chain(
                lits.iter()
                    .zip(rules)
                    .map(|(l, &r)| (l.as_bytes(), ProseId::SecondTier(r))),
            )
            .unzip()
    }

    /// Whether `find_into` reports the second tier's literals in `hay` (then
    /// `FastTriggers::teddy_into` leaves them to it): from the joint Teddy's minimum length.
    /// (From 64 bytes, with the SWAR pass and the second searcher below: callgrind, 64 KB of
    /// PII-dense JSON values 8,894,606 instructions against 8,736,893 — a JSON leaf of 19 to
    /// 63 bytes took both, now one Teddy pass.)
    fn takes_second_tier(&self, hay: &[u8]) -> bool {
        self.teddy
            .as_ref()
            .is_some_and(|t| hay.len() >= t.minimum_len())
    }

    fn find_into(&self, hay: &[u8], out: &mut Vec<(usize, usize)>) {
        match &self.teddy {
            Some(t) if self.takes_second_tier(hay) => {
                // `pw` opening the text (no byte before it for a literal).
                if pw_at(hay, 1) {
                    out.push((0, self.rule));
                }
                // Every position where a literal starts, searching on from the next byte
                // after each match: a searcher of either list alone reports non-overlapping
                // matches, so a match of one list must not hide one of the other that starts
                // inside it (`<Pass ` holds `Pass `). Each list's own matches are then taken
                // as its own searcher would: leftmost, each past the end of the last.
                let (mut at, mut prose_end, mut second_end) = (0, 0, 0);
                while let Some(m) = t.find_in(hay, aho_corasick::Span::from(at..hay.len())) {
                    let p = m.start();
                    match self.ids.get(m.pattern().as_usize()) {
                        Some(&ProseId::Prose(off)) if p >= prose_end => {
                            self.check_at(hay, p + off, out);
                            prose_end = m.end();
                        }
                        Some(&ProseId::SecondTier(rule)) if p >= second_end => {
                            out.push((p, rule));
                            second_end = m.end();
                        }
                        _ => {}
                    }
                    at = p + 1;
                }
            }
            _ => self.find_swar(hay, out),
        }
    }

    fn find_swar(&self, hay: &[u8], out: &mut Vec<(usize, usize)>) {
        self.swar_anchors(
            hay,
            |i| word8(hay, i).unwrap_or_else(|| padded(hay, i)),
            out,
        );
    }

    /// `find_swar` of the leaf `hay == joined[start..start + hay.len()]` (joined leaves,
    /// `Detector::joined_leaf_candidates`): the leaf's last word read from the joined bytes
    /// with the bytes past the leaf zeroed — the same word as `padded`'s, without its copy
    /// (twenty-third round, task cost).
    fn find_swar_joined(
        &self,
        joined: &[u8],
        start: usize,
        hay: &[u8],
        out: &mut Vec<(usize, usize)>,
    ) {
        let n = hay.len();
        self.swar_anchors(
            hay,
            |i| match word8(joined, start + i) {
                Some(w) if n - i >= 8 => w,
                Some(w) => w & ((1u64 << (8 * (n - i))) - 1),
                None => padded(hay, i),
            },
            out,
        );
    }

    /// The SWAR pass over `hay`, its 8-byte word at each `i` (a multiple of 7 below
    /// `hay.len()`) from `word`: `hay[i..i + 8]`, zero-padded past the end.
    #[inline(always)]
    fn swar_anchors(&self, hay: &[u8], word: impl Fn(usize) -> u64, out: &mut Vec<(usize, usize)>) {
        const ONES: u64 = u64::MAX / 255;
        const HIGH: u64 = ONES * 128;
        // Exactly the zero bytes of `t` (no borrow between bytes).
        let zero = |t: u64| !(((t & (ONES * 127)) + ONES * 127) | t) & HIGH;
        let n = hay.len();
        let mut i = 0;
        while i < n {
            let w = word(i);
            let x = w | (ONES * 0x20);
            let eq = |c: u8| zero(x ^ (ONES * u64::from(c)));
            let s = eq(b's');
            let p = eq(b'p');
            // Bytes 0..7 only: a pair needs the next byte, and byte 7 starts the next word.
            // `ss`, `v` or `w` (one test: `v | 1 == w`), non-ASCII, `dp` (mdp), `-p`/`-u`/`-a`
            // (command-line flags), `ey` (a Wi-Fi `key`), `gi` (`login is`).
            let mut m = ((s & (s >> 8))
                | zero((x | ONES) ^ (ONES * u64::from(b'w')))
                | (w & HIGH)
                | (eq(b'd') & (p >> 8))
                | (eq(b'-') & ((p | eq(b'u') | eq(b'a')) >> 8))
                | (eq(b'e') & (eq(b'y') >> 8))
                | (eq(b'g') & (eq(b'i') >> 8)))
                & (HIGH >> 8);
            while m != 0 {
                self.check_at(hay, i + (m.trailing_zeros() / 8) as usize, out);
                m &= m - 1;
            }
            i += 7;
        }
    }

    /// The keyword at the anchor `q`, if one of `PROSE_LITERALS` holds it there.
    fn check_at(&self, hay: &[u8], q: usize, out: &mut Vec<(usize, usize)>) {
        let lit_at = |i: usize, q: usize| {
            let (l, off) = PROSE_LITERALS[i];
            q >= off && hay.get(q - off..q - off + l.len()) == Some(l)
        };
        let lit = |i: usize| lit_at(i, q);
        let ci = |from: usize, w: &[u8]| {
            hay.get(from..from + w.len())
                .is_some_and(|x| x.eq_ignore_ascii_case(w))
        };
        // `q` can be the text's end: `pass ` closing the text sends its next byte here.
        let Some(&at) = hay.get(q) else { return };
        let p = match at {
            // `pass` (the keyword's tail is checked by `prose_keyword`).
            b's' | b'S'
                if q >= 2
                    && ci(q - 2, b"pa")
                    && ci(q, b"ss")
                    && ((0..12).any(lit) || (37..42).any(lit) || (51..54).any(lit)) =>
            {
                q - 2
            }
            b'w' | b'W' if pw_at(hay, q) => q - 1,
            b'w' | b'W' if (12..14).any(lit) => q - 3,
            b'w' | b'W' if (14..17).any(lit) => q,
            b'w' if lit(57) => q - 1,
            b'v' | b'V' if (19..22).any(lit) => q - 3,
            b'v' | b'V' if (34..37).any(lit) => q - 4,
            b'-' if (42..46).any(lit) || lit(54) || lit(55) || lit(58) => q,
            b'm' if lit(56) => q,
            // The SWAR pass stops at the `e` of `ey` and the `g` of `gi`.
            b'e' | b'E' if q >= 1 && (46..49).any(|i| lit_at(i, q - 1)) => q - 1,
            b'g' | b'G' if q >= 2 && (49..51).any(|i| lit_at(i, q - 2)) => q - 2,
            b'k' | b'K' if (46..49).any(lit) => q,
            b'l' | b'L' if (49..51).any(lit) => q,
            b'd' | b'D' if (22..25).any(lit) => q - 1,
            // `contraseña`: reported at the `a` before `señ`.
            0xC3 if (17..19).any(lit)
                && q >= 8
                && ci(q - 8, b"contra")
                && hay.get(q + 2).is_some_and(|&c| c | 0x20 == b'a') =>
            {
                q - 3
            }
            _ => return,
        };
        out.push((p, self.rule));
        // `-a` of a net-snmp command: its `-A` / `-X` pass phrases after it (`evidence_r41p`).
        if at == b'-' && lit(54) {
            evidence_r41p::snmp_pass_flags(hay, q, self.rule, out);
        }
        // `pass ` hides a literal starting inside it from Teddy (its matches do not
        // overlap): `sshpass -p …` (`ss -p `), `pass -u …`. The byte after the blank is
        // checked as its own anchor.
        if at | 0x20 == b's' && (51..54).any(lit) {
            self.check_at(hay, q + 3, out);
        }
    }
}

/// The last 7 bytes or fewer of `hay` from `i` (no more: callers read a whole word where
/// there is one): one word, zero-padded (a zero byte is none
/// of the SWAR pass's anchors, and a pair needs two real bytes). A byte-at-a-time tail cost
/// more than the words on short JSON leaves.
#[inline(always)]
fn padded(hay: &[u8], i: usize) -> u64 {
    let mut buf = [0u8; 8];
    buf[..hay.len() - i].copy_from_slice(&hay[i..]);
    u64::from_le_bytes(buf)
}

/// `pw` or `pwd` (`Pw`, `PW`, `PWD`) as a word, followed by a blank, with its `w` at `q`.
fn pw_at(hay: &[u8], q: usize) -> bool {
    q >= 1
        && matches!(
            (hay[q - 1], hay.get(q)),
            (b'p' | b'P', Some(b'w')) | (b'P', Some(b'W'))
        )
        && (q == 1 || !hay[q - 2].is_ascii_alphabetic())
        && match hay.get(q + 1) {
            Some(b' ') => true,
            Some(b'd' | b'D') => hay.get(q + 2) == Some(&b' '),
            _ => false,
        }
}

impl FastTriggers {
    /// (position, rule) of every literal match in `hay` (Teddy's, then the prose rule's).
    fn literals_into(&self, hay: &[u8], out: &mut Vec<(usize, usize)>) {
        // A short text the prose searcher takes (its Teddy path: the SWAR pass of a shorter
        // one stops at more than literals) in which no literal starts: no searcher finds a
        // match, and what is left is `find_into`'s `pw` opening the text (twenty-fourth
        // round; pinned to the searches by `tests_leads`).
        if hay.len() <= LEAD_TEST_MAX
            && self.prose.as_ref().is_none_or(|p| p.takes_second_tier(hay))
            && self.leads.as_ref().is_some_and(|l| l.none_in(hay))
        {
            if let Some(prose) = &self.prose {
                if pw_at(hay, 1) {
                    out.push((0, prose.rule));
                }
            }
            return;
        }
        self.literals_searched(hay, out);
    }

    /// `literals_into` by the searchers, whatever the text.
    fn literals_searched(&self, hay: &[u8], out: &mut Vec<(usize, usize)>) {
        self.teddy_into(hay, out);
        if let Some(prose) = &self.prose {
            prose.find_into(hay, out);
        }
    }

    /// (position, rule) of every match of the two trigger tiers in `hay`, unordered
    /// (`eval_triggers` sorts).
    fn teddy_into(&self, hay: &[u8], out: &mut Vec<(usize, usize)>) {
        out.extend(
            self.teddy
                .find_iter(hay)
                .map(|m| (m.start(), self.teddy_rule[m.pattern().as_usize()])),
        );
        if let Some(more) = self.more.as_deref().filter(|_| {
            !self
                .prose
                .as_ref()
                .is_some_and(|p| p.takes_second_tier(hay))
        }) {
            out.extend(
                more.teddy
                    .find_iter(hay)
                    .map(|m| (m.start(), more.rule[m.pattern().as_usize()])),
            );
        }
    }

    /// Whether `hay` may hold a literal of either tier: long enough for a SIMD search, or
    /// holding a pattern's first two bytes.
    fn may_hold(&self, hay: &[u8]) -> bool {
        hay.len() >= self.minimum_len
            || hay.windows(2).any(|w| {
                let k = usize::from(w[0]) << 8 | usize::from(w[1]);
                self.pairs[k / 64] & (1 << (k % 64)) != 0
            })
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_accuracy;
#[cfg(test)]
mod tests_cost;
#[cfg(test)]
mod tests_dob;
#[cfg(test)]
mod tests_leads;
#[cfg(test)]
mod tests_mut;
#[cfg(test)]
mod tests_r11a;
#[cfg(test)]
mod tests_r11b;
#[cfg(test)]
mod tests_r12a;
#[cfg(test)]
mod tests_r12b;
#[cfg(test)]
mod tests_r13a;
#[cfg(test)]
mod tests_r13b;
#[cfg(test)]
mod tests_r13c;
#[cfg(test)]
mod tests_r14a;
#[cfg(test)]
mod tests_r14b;
#[cfg(test)]
mod tests_r14c;
#[cfg(test)]
mod tests_r15a;
#[cfg(test)]
mod tests_r15b;
#[cfg(test)]
mod tests_r15c;
#[cfg(test)]
mod tests_r16b;
#[cfg(test)]
mod tests_r16c;
#[cfg(test)]
mod tests_r16d;
#[cfg(test)]
mod tests_r16n;
#[cfg(test)]
mod tests_r17c;
#[cfg(test)]
mod tests_r17l;
#[cfg(test)]
mod tests_r18l;
#[cfg(test)]
mod tests_r18p;
#[cfg(test)]
mod tests_r18q;
#[cfg(test)]
mod tests_r19d;
#[cfg(test)]
mod tests_r19g;
#[cfg(test)]
mod tests_r19p;
#[cfg(test)]
mod tests_r20n;
#[cfg(test)]
mod tests_r20s;
#[cfg(test)]
mod tests_r21n;
#[cfg(test)]
mod tests_r21s;
#[cfg(test)]
mod tests_r22n;
#[cfg(test)]
mod tests_r22s;
#[cfg(test)]
mod tests_r23n;
#[cfg(test)]
mod tests_r23p;
#[cfg(test)]
mod tests_r23s;
#[cfg(test)]
mod tests_r24n;
#[cfg(test)]
mod tests_r24p;
#[cfg(test)]
mod tests_r24s;
#[cfg(test)]
mod tests_r25p;
#[cfg(test)]
mod tests_r26f;
#[cfg(test)]
mod tests_r26n;
#[cfg(test)]
mod tests_r26p;
#[cfg(test)]
mod tests_r27g;
#[cfg(test)]
mod tests_r27n;
#[cfg(test)]
mod tests_r27p;
#[cfg(test)]
mod tests_r28g;
#[cfg(test)]
mod tests_r28n;
#[cfg(test)]
mod tests_r28p;
#[cfg(test)]
mod tests_r29c;
#[cfg(test)]
mod tests_r29n;
#[cfg(test)]
mod tests_r29p;
#[cfg(test)]
mod tests_r29s;
#[cfg(test)]
mod tests_r30c;
#[cfg(test)]
mod tests_r30g;
#[cfg(test)]
mod tests_r30n;
#[cfg(test)]
mod tests_r30p;
#[cfg(test)]
mod tests_r31f;
#[cfg(test)]
mod tests_r31g;
#[cfg(test)]
mod tests_r31p;
#[cfg(test)]
mod tests_r32f;
#[cfg(test)]
mod tests_r32g;
#[cfg(test)]
mod tests_r32p;
#[cfg(test)]
mod tests_r33d;
#[cfg(test)]
mod tests_r33g;
#[cfg(test)]
mod tests_r33p;
#[cfg(test)]
mod tests_r34c;
#[cfg(test)]
mod tests_r34d;
#[cfg(test)]
mod tests_r34g;
#[cfg(test)]
mod tests_r34p;
#[cfg(test)]
mod tests_r35d;
#[cfg(test)]
mod tests_r35g;
#[cfg(test)]
mod tests_r35p;
#[cfg(test)]
mod tests_r36c;
#[cfg(test)]
mod tests_r36g;
#[cfg(test)]
mod tests_r36p;
#[cfg(test)]
mod tests_r37s;
#[cfg(test)]
mod tests_r38g;
#[cfg(test)]
mod tests_r38p;
#[cfg(test)]
mod tests_r38v;
#[cfg(test)]
mod tests_r39v;
#[cfg(test)]
mod tests_r40c;
#[cfg(test)]
mod tests_r40d;
#[cfg(test)]
mod tests_r40n;
#[cfg(test)]
mod tests_r40p;
#[cfg(test)]
mod tests_r40s;
#[cfg(test)]
mod tests_r41h;
#[cfg(test)]
mod tests_r41p;
#[cfg(test)]
pub(crate) mod tests_support;
