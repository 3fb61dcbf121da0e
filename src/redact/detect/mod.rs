//! Text detection: one multi-pattern regex pass (regex-automata `meta::Regex`, byte mode,
//! ASCII boundaries) proposes candidates; validators in code accept, trim or reject them.
//!
//! Layout: `patterns` (the data tables), `engine` (compiling and running the scan), `check`
//! (validating secrets, e-mail, IP and date candidates), `numbers` (phones, cards, IBANs),
//! `bytes` (byte-level helpers).

use super::entity::Entity;
use aho_corasick::AhoCorasick;
use regex_automata::meta::Regex;

mod bytes;
mod check;
mod engine;
mod numbers;
mod patterns;

pub(crate) use bytes::word8;
use bytes::*;
use check::*;
use numbers::*;
use patterns::*;

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
}

/// The SIMD trigger path.
#[derive(Debug)]
struct FastTriggers {
    teddy: aho_corasick::packed::Searcher,
    /// Rule of each Teddy pattern.
    teddy_rule: Vec<usize>,
    /// The `key=value` rule, if enabled.
    key_value: Option<usize>,
    /// The first two bytes of every Teddy pattern, as a bit set over `b0 << 8 | b1`: a
    /// haystack too short for Teddy (which then falls back to Rabin-Karp) without any of
    /// these pairs holds no pattern, and is not searched. JSON leaves are mostly short.
    pairs: Box<[u64; 1024]>,
    /// The prose-password rule, searched apart from Teddy: its keywords' fingerprints
    /// (`pas`, `Pas`, …) collide with ordinary text in Teddy's nibble tables and doubled
    /// the cost of the whole literal search (callgrind, 64 KB clean text: 176 k → 344 k
    /// instructions); `memmem` on a few needles costs a fraction of that.
    prose: Option<ProseTriggers>,
}

/// `memmem` searchers for the prose-password keywords: (needle, the byte that must precede
/// it — lower case — or 0), e.g. `ass` after `p`/`P`, reported at that byte.
#[derive(Debug)]
struct ProseTriggers {
    rule: usize,
    needles: Vec<(memchr::memmem::Finder<'static>, u8)>,
    /// First two bytes of every needle (bit set as `FastTriggers::pairs`).
    pairs: Box<[u64; 1024]>,
}

impl ProseTriggers {
    fn find_into(&self, hay: &[u8], out: &mut Vec<(usize, usize)>) {
        if !hay.windows(2).any(|w| {
            let k = usize::from(w[0]) << 8 | usize::from(w[1]);
            self.pairs[k / 64] & (1 << (k % 64)) != 0
        }) {
            return;
        }
        for (f, before) in &self.needles {
            for p in f.find_iter(hay) {
                match *before {
                    0 => out.push((p, self.rule)),
                    b if p > 0 && hay[p - 1].to_ascii_lowercase() == b => {
                        out.push((p - 1, self.rule))
                    }
                    _ => {}
                }
            }
        }
    }
}

impl FastTriggers {
    /// (position, rule) of every literal match in `hay` (Teddy's, then the prose rule's).
    fn literals_into(&self, hay: &[u8], out: &mut Vec<(usize, usize)>) {
        out.extend(
            self.teddy
                .find_iter(hay)
                .map(|m| (m.start(), self.teddy_rule[m.pattern().as_usize()])),
        );
        if let Some(prose) = &self.prose {
            prose.find_into(hay, out);
        }
    }

    fn pair_at(&self, w: &[u8]) -> bool {
        let k = usize::from(w[0]) << 8 | usize::from(w[1]);
        self.pairs[k / 64] & (1 << (k % 64)) != 0
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_accuracy;
