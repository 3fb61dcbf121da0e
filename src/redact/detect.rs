//! Text detection: one multi-pattern regex pass (regex-automata `meta::Regex`, byte mode,
//! ASCII boundaries) proposes candidates; validators in code accept, trim or reject them.

use super::entity::Entity;
use super::validate as v;
use super::RedactError;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};

/// One accepted detection: an entity over a byte range of the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub entity: Entity,
    pub start: usize,
    pub end: usize,
}

/// What surrounds the text being scanned (a JSON key can make a bare number a phone).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ScanContext {
    /// The JSON key holding this string is phone-like (`phone`, `mobile`, `tel`, …).
    pub phone_key: bool,
}

/// Which rule a regex pattern belongs to. Order in `PATTERNS` is priority at equal start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    PemBegin,
    Jwt,
    Anthropic,
    OpenAi,
    Stripe,
    Github,
    Slack,
    Aws,
    Google,
    Bearer,
    KeyValue,
    Dob,
    Iban,
    Card,
    Ssn,
    Ipv4,
    Phone,
}

const DATE: &str = r"(?:[0-9]{4}[\-./][0-9]{1,2}[\-./][0-9]{1,2}|[0-9]{1,2}[\-./][0-9]{1,2}[\-./](?:[0-9]{4}|[0-9]{2})|(?:[0-9]{1,2}\.? )?(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?: [0-9]{1,2}(?:st|nd|rd|th)?,?)? [0-9]{4})";

/// (kind, entities it can yield, pattern). ASCII-only, byte mode; `\b` is ASCII.
fn patterns() -> Vec<(Kind, &'static [Entity], String)> {
    use Entity as E;
    let b = r"(?-u:\b)";
    vec![
        (Kind::PemBegin, &[E::PrivateKey], r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----".into()),
        (Kind::Jwt, &[E::Jwt], r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*".into()),
        (Kind::Anthropic, &[E::AnthropicKey], r"sk-ant-[A-Za-z0-9_\-]{20,}".into()),
        (Kind::OpenAi, &[E::OpenaiKey], r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}".into()),
        (Kind::Stripe, &[E::StripeKey], r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}".into()),
        (Kind::Github, &[E::GithubToken], r"(?:gh[pousr]_[A-Za-z0-9]{36}[A-Za-z0-9]*|github_pat_[A-Za-z0-9_]{40}[A-Za-z0-9_]*)".into()),
        (Kind::Slack, &[E::SlackToken], r"xox[abposr]-[A-Za-z0-9\-]{10,}".into()),
        (Kind::Aws, &[E::AwsAccessKey], r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}".into()),
        (Kind::Google, &[E::GoogleApiKey], r"AIza[0-9A-Za-z_\-]{35}".into()),
        (Kind::Bearer, &[E::GenericSecret], r"(?i:bearer) +[A-Za-z0-9\-._~+/]{16,}=*".into()),
        (
            Kind::KeyValue,
            &[E::Password, E::GenericSecret],
            r#"(?i:api[_\-]?key|secret[_\-]?key|secret|token|passwd|password|pwd|access[_\-]?key|client[_\-]?secret|private[_\-]?key)["']?[ \t]*[:=][ \t]*["']?[^ \t\r\n"'&,;<>\\]{4,}"#.into(),
        ),
        (
            Kind::Dob,
            &[E::DateOfBirth],
            format!(r#"{b}(?i:dob|d\.o\.b\.?|date of birth|birth ?date|birthday|born on|born|geburtsdatum|geboren am|date de naissance|n(?:\xC3\xA9|e)e? le)[ \t:=\-"'A-Za-z]{{0,16}}{DATE}"#),
        ),
        (Kind::Iban, &[E::Iban], format!(r"{b}[A-Z]{{2}}[0-9]{{2}}(?: ?[A-Z0-9]){{11,30}}")),
        (Kind::Card, &[E::CreditCard], format!(r"{b}(?:[0-9]{{12,19}}|[0-9]{{4}}(?:[ \-][0-9]{{3,6}}){{2,4}}){b}")),
        (Kind::Ssn, &[E::UsSsn], format!(r"{b}(?:[0-9]{{3}}-[0-9]{{2}}-[0-9]{{4}}|[0-9]{{3}} [0-9]{{2}} [0-9]{{4}}){b}")),
        (Kind::Ipv4, &[E::Ipv4], format!(r"{b}[0-9]{{1,3}}\.[0-9]{{1,3}}\.[0-9]{{1,3}}\.[0-9]{{1,3}}{b}")),
        (
            Kind::Phone,
            &[E::Phone],
            format!(r"(?:\+ ?[0-9]|\([0-9]{{1,5}}\)|{b}[0-9])(?:[ .\-/]{{0,2}}(?:\([0-9]{{1,5}}\)|[0-9])){{4,22}}(?: ?(?:x|ext\.?|#) ?[0-9]{{1,6}})?"),
        ),
    ]
}

/// Literal triggers of the keyword/prefix rules: an anchored regex search runs only where
/// one of these occurs (ASCII case-insensitive).
fn triggers(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::PemBegin => &["-----BEGIN "],
        Kind::Jwt => &["eyJ"],
        Kind::Anthropic => &["sk-ant-"],
        Kind::OpenAi => &["sk-"],
        Kind::Stripe => &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
        Kind::Github => &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        Kind::Slack => &["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"],
        Kind::Aws => &["AKIA", "ASIA", "ABIA", "ACCA"],
        Kind::Google => &["AIza"],
        Kind::Bearer => &["bearer "],
        Kind::KeyValue => &[
            "api_key",
            "api-key",
            "apikey",
            "secret",
            "token",
            "passwd",
            "password",
            "pwd",
            "access_key",
            "access-key",
            "accesskey",
            "client_secret",
            "client-secret",
            "clientsecret",
            "private_key",
            "private-key",
            "privatekey",
        ],
        Kind::Dob => &[
            "dob",
            "d.o.b",
            "date of birth",
            "birth",
            "born",
            "geburtsdatum",
            "geboren am",
            "date de naissance",
            "n\u{e9}e le",
            "n\u{e9} le",
            "nee le",
        ],
        _ => &[],
    }
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
}

impl FastTriggers {
    /// (position, rule) of every literal match in `hay`.
    fn literals<'h>(&'h self, hay: &'h [u8]) -> impl Iterator<Item = (usize, usize)> + 'h {
        self.teddy
            .find_iter(hay)
            .map(|m| (m.start(), self.teddy_rule[m.pattern().as_usize()]))
    }

    fn pair_at(&self, w: &[u8]) -> bool {
        let k = usize::from(w[0]) << 8 | usize::from(w[1]);
        self.pairs[k / 64] & (1 << (k % 64)) != 0
    }
}

/// The `key=value` rule's candidates: where a keyword ends at a `:` or `=`.
fn key_value_candidates(hay: &[u8], rule: usize, cands: &mut Vec<(usize, usize)>) {
    let mut found = |q: usize| {
        if let Some(p) = key_value_start(hay, q) {
            cands.push((p, rule));
        }
    };
    // Most haystacks are short JSON leaves: 8 bytes at a time (any of `:;<=`) beats
    // setting up a SIMD search.
    if hay.len() < 64 {
        let mut i = 0;
        while i < hay.len() {
            if let Some(w) = word8(hay, i) {
                if byte_between_mask(w, 0x39, 0x3E) == 0 {
                    i += 8;
                    continue;
                }
            }
            let stop = (i + 8).min(hay.len());
            for (q, &b) in hay[i..stop].iter().enumerate() {
                if b == b':' || b == b'=' {
                    found(i + q);
                }
            }
            i = stop;
        }
    } else {
        memchr::memchr2_iter(b':', b'=', hay).for_each(found);
    }
}

/// The last three letters of the `key=value` keywords (a test checks them against the list).
const KEY_VALUE_TAILS: [[u8; 3]; 6] = [*b"key", *b"ret", *b"ken", *b"swd", *b"ord", *b"pwd"];

/// Where the `key=value` keyword ending just before the `:`/`=` at `q` starts (regex shape:
/// keyword, optional quote, blanks, `:`/`=`); the longest keyword wins.
fn key_value_start(hay: &[u8], q: usize) -> Option<usize> {
    let mut j = q;
    while j > 0 && matches!(hay[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    if j > 0 && matches!(hay[j - 1], b'"' | b'\'') {
        j -= 1;
    }
    // Every keyword ends in one of these (`| 0x20` lower-cases letters and makes no letter
    // of anything else): most `:`/`=` (JSON members, times, URLs) are rejected here.
    if j < 3
        || !KEY_VALUE_TAILS.contains(&[hay[j - 3] | 0x20, hay[j - 2] | 0x20, hay[j - 1] | 0x20])
    {
        return None;
    }
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
}

/// `word`, `Word`, `Title Words`, `WORD` (for the case-sensitive SIMD searcher).
fn case_variants(word: &str) -> Vec<String> {
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

/// Byte classes for the hand-written pass.
const C_DIGIT: u8 = 1;
const C_NUMSEP: u8 = 2; // inside a number region: space . - / ( ) +
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = b'0';
    while i <= b'9' {
        t[i as usize] = C_DIGIT;
        i += 1;
    }
    t[b' ' as usize] = C_NUMSEP;
    t[b'.' as usize] = C_NUMSEP;
    t[b'-' as usize] = C_NUMSEP;
    t[b'/' as usize] = C_NUMSEP;
    t[b'(' as usize] = C_NUMSEP;
    t[b')' as usize] = C_NUMSEP;
    t[b'+' as usize] = C_NUMSEP;
    t
};

/// SWAR: the high bit of each byte `x` of `w` with `m < x < n` is set, exactly, byte by byte
/// (0 <= m <= 127, n <= 128; bytes >= 0x80 are never set). Each byte is masked to 7 bits
/// before the add and the subtract, so neither carries nor borrows into its neighbour.
fn byte_between_mask(w: u64, m: u64, n: u64) -> u64 {
    const ONES: u64 = u64::MAX / 255;
    (ONES * (127 + n)).wrapping_sub(w & (ONES * 127))
        & !w
        & ((w & (ONES * 127)).wrapping_add(ONES * (127 - m)))
        & (ONES * 128)
}

/// The 8 bytes at `hay[i..]` as a little-endian word; `None` when fewer are left.
pub(crate) fn word8(hay: &[u8], i: usize) -> Option<u64> {
    hay.get(i..i + 8)?.try_into().ok().map(u64::from_le_bytes)
}

/// The end of the run of word bytes (`[0-9A-Za-z_]`) from `i`, 8 bytes at a time.
fn word_end(hay: &[u8], mut i: usize) -> usize {
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

fn is_email_local(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-') || b >= 0x80
}

fn is_email_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b >= 0x80
}

fn is_ipv6_byte(b: u8) -> bool {
    b.is_ascii_hexdigit() || b == b':' || b == b'.'
}

impl Detector {
    /// Compiles the patterns and triggers of the enabled entities.
    /// `key_literals`: substrings of sensitive JSON key names, reported by `any_raw_json`.
    pub(crate) fn new(
        enabled: [bool; Entity::COUNT],
        entropy_threshold: f64,
        key_literals: &[String],
    ) -> Result<Self, RedactError> {
        let syntax = syntax::Config::new().unicode(false).utf8(false);
        let build = |pat: &str| {
            Regex::builder()
                .syntax(syntax)
                .configure(Regex::config().utf8_empty(false))
                .build(pat)
                .map_err(|e| RedactError::Pattern(e.to_string()))
        };
        let mut rules = Vec::new();
        let mut lits: Vec<String> = Vec::new();
        let mut trigger_meta: Vec<(Option<usize>, bool)> = Vec::new();
        let mut numeric = Vec::new();
        for (kind, ents, pat) in patterns() {
            if !ents.iter().any(|e| enabled[e.index()]) {
                continue;
            }
            if matches!(
                kind,
                Kind::Iban | Kind::Card | Kind::Ssn | Kind::Ipv4 | Kind::Phone
            ) {
                numeric.push(rules.len());
            }
            for t in triggers(kind) {
                lits.push(t.to_string());
                trigger_meta.push((Some(rules.len()), false));
            }
            rules.push((kind, build(&pat)?));
        }
        for k in key_literals {
            match lits.iter().position(|l| l.eq_ignore_ascii_case(k)) {
                Some(i) => trigger_meta[i].1 = true,
                None => {
                    lits.push(k.clone());
                    trigger_meta.push((None, true));
                }
            }
        }
        let date_re = build(DATE)?;
        let trigger_ac = if lits.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(&lits)
                    .map_err(|e| RedactError::Pattern(e.to_string()))?,
            )
        };
        let fast = Self::build_fast(&rules);
        Ok(Detector {
            rules,
            date_re,
            trigger_ac,
            trigger_meta,
            fast,
            numeric,
            enabled,
            entropy_threshold,
        })
    }

    fn build_fast(rules: &[(Kind, Regex)]) -> Option<FastTriggers> {
        let mut lits = Vec::new();
        let mut teddy_rule = Vec::new();
        let mut key_value = None;
        for (i, (kind, _)) in rules.iter().enumerate() {
            if *kind == Kind::KeyValue {
                key_value = Some(i);
                continue;
            }
            for t in triggers(*kind) {
                let variants = match kind {
                    Kind::Dob | Kind::Bearer => case_variants(t),
                    _ => vec![t.to_string()],
                };
                for v in variants {
                    lits.push(v);
                    teddy_rule.push(i);
                }
            }
        }
        if lits.is_empty() || lits.len() >= 128 {
            return None;
        }
        let mut pairs = Box::new([0u64; 1024]);
        for l in &lits {
            let b = l.as_bytes();
            // Every pattern has at least two bytes (a one-byte one would need no prefilter).
            let k = usize::from(*b.first()?) << 8 | usize::from(*b.get(1)?);
            pairs[k / 64] |= 1 << (k % 64);
        }
        let teddy = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
            .heuristic_pattern_limits(false)
            .builder()
            .extend(&lits)
            .build()?;
        Some(FastTriggers {
            teddy,
            teddy_rule,
            key_value,
            pairs,
        })
    }

    /// The trigger candidates of a whole body, for `leaf_candidates`; `None` without the
    /// SIMD path.
    pub(crate) fn body_triggers(&self, body: &[u8]) -> Option<BodyTriggers> {
        let fast = self.fast.as_ref()?;
        let literal = fast.literals(body).collect();
        Some(BodyTriggers {
            literal,
            next_literal: 0,
        })
    }

    /// Puts the candidates of the leaf `hay == body[start..start + hay.len()]` into `sc`
    /// for the next `hits_into(hay)`. Leaves must come in ascending order.
    pub(crate) fn leaf_candidates(
        &self,
        body: &mut BodyTriggers,
        hay: &[u8],
        start: usize,
        sc: &mut Scratch,
    ) {
        let end = start + hay.len();
        sc.cands.clear();
        // Linear: leaves come in order, so every entry is passed over once per body.
        let lit = &body.literal;
        let mut i = body.next_literal;
        while lit.get(i).is_some_and(|&(p, _)| p < start) {
            i += 1;
        }
        while let Some(&(p, rule)) = lit.get(i).filter(|&&(p, _)| p < end) {
            sc.cands.push((p - start, rule));
            i += 1;
        }
        body.next_literal = i;
        // The `key=value` anchors are looked for in the leaf itself: a body holds a `:` per
        // member.
        if let Some(kv) = self.fast.as_ref().and_then(|f| f.key_value) {
            key_value_candidates(hay, kv, &mut sc.cands);
        }
        sc.given = true;
    }

    /// (position, rule) candidates of the keyword/prefix rules, appended to `cands`.
    fn trigger_candidates(&self, hay: &[u8], cands: &mut Vec<(usize, usize)>) {
        if let Some(fast) = &self.fast {
            if hay.len() >= fast.teddy.minimum_len() || hay.windows(2).any(|w| fast.pair_at(w)) {
                cands.extend(fast.literals(hay));
            }
            if let Some(kv) = fast.key_value {
                key_value_candidates(hay, kv, cands);
            }
            return;
        }
        let Some(ac) = &self.trigger_ac else {
            return;
        };
        cands.extend(ac.find_overlapping_iter(hay).filter_map(|m| {
            self.trigger_meta[m.pattern().as_usize()]
                .0
                .map(|rule| (m.start(), rule))
        }));
    }

    /// Anchored search of one rule at `p`, then its validator.
    fn try_rule(&self, rule: usize, hay: &[u8], p: usize, ctx: ScanContext) -> Option<Hit> {
        let (kind, re) = &self.rules[rule];
        let (s, e) = match shape_end(*kind, hay, p) {
            Ok(end) => (p, end?),
            Err(()) => {
                let m = re.search(&Input::new(hay).range(p..).anchored(Anchored::Yes))?;
                (m.start(), m.end())
            }
        };
        match self.check(*kind, hay, s, e, ctx) {
            Outcome::Hit(h) => Some(h),
            Outcome::Reject => None,
        }
    }

    /// Every accepted hit with its rule priority, sorted by start, without overlaps
    /// (earlier start wins, then rule priority).
    pub(crate) fn hits(&self, hay: &[u8], ctx: ScanContext) -> Vec<(Hit, usize)> {
        let mut sc = Scratch::default();
        self.hits_into(hay, ctx, &mut sc);
        sc.raw
    }

    /// `hits` into `sc.raw`, reusing the scratch buffers' allocations.
    pub(crate) fn hits_into(&self, hay: &[u8], ctx: ScanContext, sc: &mut Scratch) {
        sc.raw.clear();
        if !std::mem::take(&mut sc.given) {
            sc.cands.clear();
            self.trigger_candidates(hay, &mut sc.cands);
        }
        self.eval_triggers(hay, &mut sc.cands, ctx, &mut sc.raw, false);
        self.byte_pass(hay, ctx, &mut sc.raw, false);
        let raw = &mut sc.raw;
        if raw.len() > 1 {
            raw.sort_by_key(|(h, prio)| (h.start, *prio));
            let mut last_end: Option<usize> = None;
            raw.retain(|(h, _)| {
                let keep = last_end.is_none_or(|e| h.start >= e);
                if keep {
                    last_end = Some(h.end);
                }
                keep
            });
        }
    }

    /// Calls `sink` for every accepted hit, in order; stops when `sink` returns false.
    pub(crate) fn scan(&self, hay: &[u8], ctx: ScanContext, sink: &mut dyn FnMut(Hit) -> bool) {
        for (h, _) in self.hits(hay, ctx) {
            if !sink(h) {
                return;
            }
        }
    }

    /// True if anything is found in `hay`.
    pub(crate) fn any(&self, hay: &[u8], ctx: ScanContext) -> bool {
        let mut found = false;
        self.scan(hay, ctx, &mut |_| {
            found = true;
            false
        });
        found
    }

    /// For escape-free raw JSON: true if anything is found, or a sensitive key name occurs
    /// (a superset of what the JSON walk can find, so "false" means the walk finds nothing).
    pub(crate) fn any_raw_json(&self, raw: &[u8], sensitive_key: &dyn Fn(&str) -> bool) -> bool {
        let mut found = Vec::new();
        self.byte_pass(raw, ScanContext::default(), &mut found, true);
        if !found.is_empty() {
            return true;
        }
        if let Some(fast) = &self.fast {
            // One pass over every `:` and `=`, each a possible `key=value` anchor. A `:` after
            // a `"` (and blanks) may also end an object key: classify the key exactly.
            // Documents repeat their keys (arrays of records): remember each one's class and
            // whether a `key=value` keyword ends it (that depends on the key's bytes only, as
            // no keyword holds a `"`), so a repeated key costs one comparison.
            let mut seen: Vec<(&[u8], bool)> = Vec::new();
            let mut cands = Vec::new();
            for q in memchr::memchr2_iter(b':', b'=', raw) {
                let mut j = q;
                while j > 0 && matches!(raw[j - 1], b' ' | b'\t' | b'\n' | b'\r') {
                    j -= 1;
                }
                let key = (raw[q] == b':' && j > 0 && raw[j - 1] == b'"')
                    .then(|| memchr::memrchr(b'"', &raw[..j - 1]).map(|k| &raw[k + 1..j - 1]))
                    .flatten();
                let keyword = match key.and_then(|key| seen.iter().find(|(k, _)| *k == key)) {
                    Some(&(_, keyword)) => keyword,
                    None => {
                        if let Some(key) = key {
                            if std::str::from_utf8(key).is_ok_and(sensitive_key) {
                                return true;
                            }
                        }
                        let keyword = key_value_start(raw, q).is_some();
                        if let Some(key) = key.filter(|_| seen.len() < 64) {
                            seen.push((key, keyword));
                        }
                        keyword
                    }
                };
                if keyword {
                    if let Some((kv, p)) = fast.key_value.zip(key_value_start(raw, q)) {
                        cands.push((p, kv));
                    }
                }
            }
            cands.extend(fast.literals(raw));
            self.eval_triggers(raw, &mut cands, ScanContext::default(), &mut found, true);
            return !found.is_empty();
        }
        let mut cands = Vec::new();
        if let Some(ac) = &self.trigger_ac {
            for m in ac.find_overlapping_iter(raw) {
                let (rule, key) = self.trigger_meta[m.pattern().as_usize()];
                if key {
                    return true;
                }
                if let Some(rule) = rule {
                    cands.push((m.start(), rule));
                }
            }
        }
        self.eval_triggers(raw, &mut cands, ScanContext::default(), &mut found, true);
        !found.is_empty()
    }

    fn push(&self, out: &mut Vec<(Hit, usize)>, hit: Hit, prio: usize) {
        if self.enabled[hit.entity.index()] {
            out.push((hit, prio));
        }
    }

    fn eval_triggers(
        &self,
        hay: &[u8],
        cands: &mut [(usize, usize)],
        ctx: ScanContext,
        out: &mut Vec<(Hit, usize)>,
        first_only: bool,
    ) {
        if cands.is_empty() {
            return;
        }
        cands.sort_unstable();
        let mut covered_to = 0;
        let mut done_at = usize::MAX;
        for &(p, rule) in cands.iter() {
            if p < covered_to || p == done_at {
                continue;
            }
            let found = self
                .try_rule(rule, hay, p, ctx)
                .map(|h| (h, rule))
                .or_else(|| {
                    let openai = self.rules.iter().position(|(k, _)| *k == Kind::OpenAi)?;
                    (self.rules[rule].0 == Kind::Anthropic).then_some(())?;
                    self.try_rule(openai, hay, p, ctx).map(|h| (h, openai))
                });
            if let Some((h, rule)) = found {
                covered_to = h.end;
                done_at = p;
                self.push(out, h, rule);
                if first_only && !out.is_empty() {
                    return;
                }
            }
        }
    }

    /// The hand-written pass: numbers (cards, SSNs, phones, IPv4, IBANs), emails at `@`,
    /// IPv6 at `:`.
    fn byte_pass(
        &self,
        hay: &[u8],
        ctx: ScanContext,
        out: &mut Vec<(Hit, usize)>,
        first_only: bool,
    ) {
        let n = hay.len();
        let email_on = self.enabled[Entity::Email.index()];
        let ipv6_on = self.enabled[Entity::Ipv6.index()];
        let mut i = 0;
        while i < n {
            // Skip 8 bytes at a time while none is in 0x30..=0x40 (digits, ':', '@'); jump
            // straight to the first one that is.
            if let Some(w) = word8(hay, i) {
                let mask = byte_between_mask(w, 0x2F, 0x41);
                if mask == 0 {
                    i += 8;
                    continue;
                }
                i += (mask.trailing_zeros() / 8) as usize;
            }
            let b = hay[i];
            if CLASS[usize::from(b)] == C_DIGIT {
                // A digit inside a word (hex ids, hashes, SKUs): every number rule needs a
                // `\b` before its first byte, so nothing starts before the word ends. Skip
                // it whole. (Two capitals before the digit may open an IBAN: not skipped.)
                if i > 0
                    && v::is_word(hay[i - 1])
                    && !(i >= 2
                        && hay[i - 1].is_ascii_uppercase()
                        && hay[i - 2].is_ascii_uppercase())
                {
                    i += 1;
                    i = word_end(hay, i);
                    continue;
                }
                i = self.number_region(hay, i, ctx, out);
                if first_only && !out.is_empty() {
                    return;
                }
                continue;
            }
            if b == b'@' && email_on {
                if let Some((s, e)) = email_at(hay, i) {
                    self.push(
                        out,
                        Hit {
                            entity: Entity::Email,
                            start: s,
                            end: e,
                        },
                        usize::MAX - 1,
                    );
                    if first_only && !out.is_empty() {
                        return;
                    }
                    i = e;
                    continue;
                }
            } else if b == b':'
                && ipv6_on
                && i + 1 < n
                && is_ipv6_byte(hay[i + 1])
                // An address holding this `:` has a hex digit (or `.`) before it, or
                // starts with `::` here (`":12345"` in JSON is neither).
                && ((i > 0 && is_ipv6_byte(hay[i - 1])) || hay[i + 1] == b':')
            {
                if let Some((s, e)) = ipv6_at(hay, i) {
                    self.push(
                        out,
                        Hit {
                            entity: Entity::Ipv6,
                            start: s,
                            end: e,
                        },
                        usize::MAX - 1,
                    );
                    if first_only && !out.is_empty() {
                        return;
                    }
                    i = e;
                    continue;
                }
            }
            i += 1;
        }
    }

    /// Handles the number region starting at digit `i`; returns where to continue.
    fn number_region(
        &self,
        hay: &[u8],
        i: usize,
        ctx: ScanContext,
        out: &mut Vec<(Hit, usize)>,
    ) -> usize {
        let n = hay.len();
        let mut e = i;
        let mut digits = 0usize;
        let mut dots = 0usize;
        while e < n {
            match CLASS[usize::from(hay[e])] {
                C_DIGIT => digits += 1,
                C_NUMSEP => {
                    if hay[e] == b'.' {
                        dots += 1;
                    }
                    // Phones use at most two separators in a row (") ", " -"); three end
                    // the region.
                    if e + 2 < n
                        && CLASS[usize::from(hay[e + 1])] == C_NUMSEP
                        && CLASS[usize::from(hay[e + 2])] == C_NUMSEP
                    {
                        break;
                    }
                }
                _ => break,
            }
            e += 1;
        }
        // Extensions ("x1234", "ext. 12") are matched by the regex itself past `e`.
        let iban_start =
            i >= 2 && hay[i - 1].is_ascii_uppercase() && hay[i - 2].is_ascii_uppercase();
        if digits < 7 && !(digits >= 4 && dots >= 3) && !iban_start {
            return e.max(i + 1);
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
                    self.push(out, h.0, h.1);
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
    fn numeric_at(
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
                Kind::Card => digit_start && no_sep && digits >= 12,
                Kind::Ssn => {
                    digit_start && no_sep && matches!(at(3), b'-' | b' ') && at(6) == at(3)
                }
                Kind::Ipv4 => {
                    digit_start && before != b'.' && region.iter().take(4).any(|&b| b == b'.')
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

    fn check(&self, kind: Kind, hay: &[u8], s: usize, e: usize, ctx: ScanContext) -> Outcome {
        let hit = |entity, start, end| Outcome::Hit(Hit { entity, start, end });
        let reject = Outcome::Reject;
        let text = &hay[s..e];
        let before = if s == 0 { None } else { Some(hay[s - 1]) };
        let after = hay.get(e).copied();
        let word_bounded = !before.is_some_and(v::is_word) && !after.is_some_and(v::is_word);
        match kind {
            Kind::PemBegin => {
                let end = find_pem_end(hay, e).unwrap_or(hay.len());
                hit(Entity::PrivateKey, s, end)
            }
            Kind::Jwt => {
                if word_bounded && v::jwt_header_ok(text) {
                    hit(Entity::Jwt, s, e)
                } else {
                    reject
                }
            }
            Kind::Anthropic => secret_if(word_bounded, Entity::AnthropicKey, s, e),
            Kind::OpenAi => {
                let body = &text[3..];
                let ok = word_bounded
                    && body.iter().any(u8::is_ascii_digit)
                    && body.iter().any(u8::is_ascii_alphabetic)
                    && v::shannon_entropy(body) > 3.0;
                secret_if(ok, Entity::OpenaiKey, s, e)
            }
            Kind::Stripe | Kind::Github | Kind::Slack | Kind::Aws | Kind::Google => {
                let entity = match kind {
                    Kind::Stripe => Entity::StripeKey,
                    Kind::Github => Entity::GithubToken,
                    Kind::Slack => Entity::SlackToken,
                    Kind::Aws => Entity::AwsAccessKey,
                    _ => Entity::GoogleApiKey,
                };
                secret_if(word_bounded, entity, s, e)
            }
            Kind::Bearer => {
                let vs = s + text.iter().position(|&b| b == b' ').unwrap_or(0);
                let vs = vs + hay[vs..e].iter().take_while(|&&b| b == b' ').count();
                let value = &hay[vs..e];
                if starts_with_known_secret(value) {
                    Outcome::Reject
                } else if v::mixed_classes(value)
                    && v::shannon_entropy(value) >= self.entropy_threshold
                {
                    hit(Entity::GenericSecret, vs, e)
                } else {
                    Outcome::Reject
                }
            }
            Kind::KeyValue => self.check_key_value(hay, s, e),
            Kind::Dob => {
                let ds = self.date_re.find(&hay[s..e]).map_or(s, |m| s + m.start());
                if after.is_some_and(|b| b.is_ascii_alphanumeric()) {
                    reject
                } else {
                    hit(Entity::DateOfBirth, ds, e)
                }
            }
            Kind::Iban => check_iban(hay, s, e),
            Kind::Card => {
                if matches!(before, Some(b'-' | b'.' | b'/'))
                    || followed_by_digit_after(hay, e, b"-./")
                {
                    return reject;
                }
                check_card(hay, s, e)
            }
            Kind::Ssn => {
                if matches!(before, Some(b'-' | b'.' | b'/'))
                    || followed_by_digit_after(hay, e, b"-./")
                {
                    return reject;
                }
                // The shape is fixed: `ddd-dd-dddd` or `ddd dd dddd`.
                let num = |r: std::ops::Range<usize>| {
                    text.get(r).map_or(0, |g| {
                        g.iter()
                            .fold(0u32, |a, d| a * 10 + u32::from(d.wrapping_sub(b'0')))
                    })
                };
                if text.len() == 11 && v::ssn_ok(num(0..3), num(4..6), num(7..11)) {
                    hit(Entity::UsSsn, s, e)
                } else {
                    reject
                }
            }
            Kind::Ipv4 => {
                // "rv:1.9.4.20" is a browser version in a user agent, not an address.
                let ua_version = s >= 3 && &hay[s - 3..s] == b"rv:";
                if ua_version
                    || before == Some(b'.')
                    || followed_by_digit_after(hay, e, b".")
                    || !v::ipv4_ok(text)
                {
                    reject
                } else {
                    hit(Entity::Ipv4, s, e)
                }
            }
            Kind::Phone => {
                let bad_before = before.is_some_and(|b| {
                    v::is_word(b) || matches!(b, b'.' | b'-' | b'/' | b'+' | b'@')
                });
                if bad_before || after.is_some_and(v::is_word) {
                    return reject;
                }
                let core_end = phone_core_end(text);
                let shape = |context| v::PhoneShape {
                    text: &text[..core_end],
                    context,
                };
                // The context words are only looked up when they would change the answer.
                let ok = v::phone_ok(&shape(ctx.phone_key))
                    || (!ctx.phone_key
                        && v::phone_ok(&shape(true))
                        && phone_context_before(hay, s));
                if ok {
                    hit(Entity::Phone, s, e)
                } else {
                    reject
                }
            }
        }
    }

    fn check_key_value(&self, hay: &[u8], s: usize, e: usize) -> Outcome {
        let text = &hay[s..e];
        let Some(sep) = text.iter().position(|&b| b == b':' || b == b'=') else {
            return Outcome::Reject;
        };
        let key = text[..sep].to_ascii_lowercase();
        let mut vs = s + sep + 1;
        while vs < e && matches!(hay[vs], b' ' | b'\t' | b'"' | b'\'') {
            vs += 1;
        }
        let value = &hay[vs..e];
        if value.is_empty() || starts_with_known_secret(value) {
            return Outcome::Reject;
        }
        if matches!(value[0], b'$' | b'{' | b'*' | b'[' | b'<' | b'%' | b'(')
            || value.iter().all(|&b| b == b'x' || b == b'X')
        {
            return Outcome::Reject;
        }
        let is_password = key.starts_with(b"pass") || key.starts_with(b"pwd");
        if is_password {
            if v::mixed_classes(value) {
                Outcome::Hit(Hit {
                    entity: Entity::Password,
                    start: vs,
                    end: e,
                })
            } else {
                Outcome::Reject
            }
        } else if value.len() >= 8
            && v::mixed_classes(value)
            && v::shannon_entropy(value) >= self.entropy_threshold
        {
            Outcome::Hit(Hit {
                entity: Entity::GenericSecret,
                start: vs,
                end: e,
            })
        } else {
            Outcome::Reject
        }
    }
}

fn check_email(hay: &[u8], s: usize, e: usize) -> Outcome {
    let text = &hay[s..e];
    let Some(at) = text.iter().position(|&b| b == b'@') else {
        return Outcome::Reject;
    };
    // Trim leading punctuation a sentence may put before the address.
    let mut ls = 0;
    while ls < at && matches!(text[ls], b'.' | b'-' | b'+' | b'%') {
        ls += 1;
    }
    let local = &text[ls..at];
    let domain = &text[at + 1..];
    // Longest prefix of the domain that ends in a real TLD.
    let mut end = domain.len();
    loop {
        let d = &domain[..end];
        if v::email_ok(local, d) {
            return Outcome::Hit(Hit {
                entity: Entity::Email,
                start: s + ls,
                end: s + at + 1 + end,
            });
        }
        match d.iter().rposition(|&b| b == b'.') {
            Some(p) if p > 0 => end = p,
            _ => return Outcome::Reject,
        }
    }
}

/// The email around the `@` at `at`, if valid.
fn email_at(hay: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut s = at;
    while s > 0 && at - s < 64 && is_email_local(hay[s - 1]) {
        s -= 1;
    }
    let mut e = at + 1;
    while e < hay.len() && e - at < 256 && is_email_domain(hay[e]) {
        e += 1;
    }
    // Trailing dots/hyphens belong to the sentence.
    while e > at + 1 && matches!(hay[e - 1], b'.' | b'-') {
        e -= 1;
    }
    if s == at || e == at + 1 {
        return None;
    }
    match check_email(hay, s, e) {
        Outcome::Hit(h) => Some((h.start, h.end)),
        Outcome::Reject => None,
    }
}

/// The IPv6 address around the `:` at `i`, if valid.
fn ipv6_at(hay: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut s = i;
    while s > 0 && i - s < 45 && is_ipv6_byte(hay[s - 1]) {
        s -= 1;
    }
    let mut e = i;
    while e < hay.len() && e - s < 45 && is_ipv6_byte(hay[e]) {
        e += 1;
    }
    while s < e && hay[s] == b'.' {
        s += 1;
    }
    while e > s && hay[e - 1] == b'.' {
        e -= 1;
    }
    let before = if s == 0 { None } else { Some(hay[s - 1]) };
    let after = hay.get(e).copied();
    if before.is_some_and(|b| v::is_word(b) || b == b':')
        || after.is_some_and(|b| v::is_word(b) || b == b':')
    {
        return None;
    }
    v::ipv6_ok(&hay[s..e]).then_some((s, e))
}

/// The phone rule's match at `p`, by hand:
/// `(?:\+ ?[0-9]|\([0-9]{1,5}\)|{b}[0-9])(?:[ .\-/]{0,2}(?:\([0-9]{1,5}\)|[0-9])){4,22}`
/// `(?: ?(?:x|ext\.?|#) ?[0-9]{1,6})?`. Separators, digits and `(` are disjoint, so each
/// greedy step has one way to go and no backtracking changes the leftmost-first match.
fn phone_end(hay: &[u8], p: usize) -> Option<usize> {
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
            let q = if hay.get(p + 1) == Some(&b' ') {
                p + 2
            } else {
                p + 1
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
        while q < pos + 2 && matches!(hay.get(q), Some(b' ' | b'.' | b'-' | b'/')) {
            q += 1;
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

/// The GitHub rule's match at `p`, by hand:
/// `gh[pousr]_[A-Za-z0-9]{36}[A-Za-z0-9]*|github_pat_[A-Za-z0-9_]{40}[A-Za-z0-9_]*`.
fn github_end(hay: &[u8], p: usize) -> Option<usize> {
    let t = hay.get(p..)?;
    let run = |from: usize, ok: fn(u8) -> bool| t[from..].iter().take_while(|&&b| ok(b)).count();
    if t.starts_with(b"github_pat_") {
        let r = run(11, v::is_word);
        (r >= 40).then_some(p + 11 + r)
    } else if t.len() >= 4 && t[..2] == *b"gh" && b"pousr".contains(&t[2]) && t[3] == b'_' {
        let r = run(4, |b| b.is_ascii_alphanumeric());
        (r >= 36).then_some(p + 4 + r)
    } else {
        None
    }
}

/// Length of the run of ASCII digits at `i`.
fn digit_run(hay: &[u8], i: usize) -> usize {
    hay.get(i..)
        .map_or(0, |t| t.iter().take_while(|b| b.is_ascii_digit()).count())
}

fn word_at(hay: &[u8], i: usize) -> bool {
    hay.get(i).is_some_and(|&b| v::is_word(b))
}

/// The end of the match the number rule's regex would give anchored at `p` (`None`: no
/// match), computed by hand for the fixed-shape rules: cards, SSNs, IPv4, IBANs, phones. Each
/// follows its pattern in `patterns()` exactly, leftmost-first and greedy; a test compares
/// them with the regexes. Other kinds return `Err(())` (use the regex).
fn shape_end(kind: Kind, hay: &[u8], p: usize) -> Result<Option<usize>, ()> {
    match kind {
        Kind::Phone => return Ok(phone_end(hay, p)),
        Kind::Github => return Ok(github_end(hay, p)),
        _ => {}
    }
    // Every one of these starts with a word byte, so the leading `\b` needs a non-word
    // byte (or nothing) before it.
    if p > 0 && v::is_word(hay[p - 1]) {
        return match kind {
            Kind::Card | Kind::Ssn | Kind::Ipv4 | Kind::Iban => Ok(None),
            _ => Err(()),
        };
    }
    let sep_at = |i: usize, seps: &[u8]| hay.get(i).is_some_and(|b| seps.contains(b));
    Ok(match kind {
        // {b}(?:[0-9]{12,19}|[0-9]{4}(?:[ \-][0-9]{3,6}){2,4}){b}
        Kind::Card => {
            let run = digit_run(hay, p);
            if (12..=19).contains(&run) {
                (!word_at(hay, p + run)).then_some(p + run)
            } else if run == 4 {
                let mut ends = [0usize; 4];
                let mut n = 0;
                let mut pos = p + 4;
                while n < 4 && sep_at(pos, b" -") {
                    let r = digit_run(hay, pos + 1);
                    if !(3..=6).contains(&r) {
                        break;
                    }
                    pos += 1 + r;
                    ends[n] = pos;
                    n += 1;
                }
                // Only the last group can lack a `\b` after it (the others are followed by
                // a separator); then one group fewer.
                if n >= 2 && !word_at(hay, ends[n - 1]) {
                    Some(ends[n - 1])
                } else if n >= 3 {
                    Some(ends[n - 2])
                } else {
                    None
                }
            } else {
                None
            }
        }
        // {b}(?:[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4}){b}
        Kind::Ssn => {
            let ok = digit_run(hay, p) == 3
                && sep_at(p + 3, b"- ")
                && digit_run(hay, p + 4) == 2
                && hay.get(p + 6) == hay.get(p + 3)
                && digit_run(hay, p + 7) == 4
                && !word_at(hay, p + 11);
            ok.then_some(p + 11)
        }
        // {b}[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}{b}
        Kind::Ipv4 => {
            let mut pos = p;
            for g in 0..4 {
                let r = digit_run(hay, pos);
                if !(1..=3).contains(&r) {
                    return Ok(None);
                }
                pos += r;
                if g < 3 {
                    if hay.get(pos) != Some(&b'.') {
                        return Ok(None);
                    }
                    pos += 1;
                }
            }
            (!word_at(hay, pos)).then_some(pos)
        }
        // {b}[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}
        Kind::Iban => {
            let unit = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
            let head = hay.get(p..p + 4).is_some_and(|h| {
                h[0].is_ascii_uppercase()
                    && h[1].is_ascii_uppercase()
                    && h[2].is_ascii_digit()
                    && h[3].is_ascii_digit()
            });
            if !head {
                return Ok(None);
            }
            let mut pos = p + 4;
            let mut n = 0;
            while n < 30 {
                match (hay.get(pos).copied(), hay.get(pos + 1).copied()) {
                    (Some(b), _) if unit(b) => pos += 1,
                    (Some(b' '), Some(b)) if unit(b) => pos += 2,
                    _ => break,
                }
                n += 1;
            }
            (n >= 11).then_some(pos)
        }
        _ => return Err(()),
    })
}

enum Outcome {
    Hit(Hit),
    Reject,
}

fn secret_if(ok: bool, entity: Entity, s: usize, e: usize) -> Outcome {
    if ok {
        Outcome::Hit(Hit {
            entity,
            start: s,
            end: e,
        })
    } else {
        Outcome::Reject
    }
}

/// A value that a more specific secret rule will name better than GENERIC_SECRET.
fn starts_with_known_secret(v: &[u8]) -> bool {
    const PREFIXES: [&[u8]; 12] = [
        b"eyJ",
        b"sk-",
        b"sk_live_",
        b"sk_test_",
        b"rk_live_",
        b"ghp_",
        b"gho_",
        b"ghs_",
        b"github_pat_",
        b"xox",
        b"AKIA",
        b"AIza",
    ];
    PREFIXES.iter().any(|p| v.starts_with(p))
}

fn followed_by_digit_after(hay: &[u8], e: usize, seps: &[u8]) -> bool {
    match (hay.get(e), hay.get(e + 1)) {
        (Some(c), Some(d)) => seps.contains(c) && d.is_ascii_digit(),
        _ => false,
    }
}

fn find_pem_end(hay: &[u8], from: usize) -> Option<usize> {
    let rest = &hay[from..];
    let end_at = memchr::memmem::find(rest, b"-----END ")?;
    let after = &rest[end_at + 9..];
    let close = memchr::memmem::find(after, b"-----")?;
    Some(from + end_at + 9 + close + 5)
}

/// Length of a phone candidate without its extension (`x123`, `ext. 123`, `#123`).
fn phone_core_end(text: &[u8]) -> usize {
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
fn phone_context_before(hay: &[u8], s: usize) -> bool {
    const WORDS: [&[u8]; 14] = [
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
    ];
    let from = s.saturating_sub(32);
    let mut win = [0u8; 32];
    let w = &mut win[..s - from];
    w.copy_from_slice(&hay[from..s]);
    w.make_ascii_lowercase();
    // A context word starts a word ("hotel", "tellement" are not "tel"); short ones must
    // also end one ("Telmo").
    (0..w.len()).any(|at| {
        (at == 0 || !w[at - 1].is_ascii_alphabetic())
            && WORDS.iter().any(|word| {
                w[at..].starts_with(word) && {
                    let next = w.get(at + word.len()).copied();
                    word.len() > 4 || !next.is_some_and(|b| b.is_ascii_alphabetic())
                }
            })
    })
}

fn check_iban(hay: &[u8], s: usize, e: usize) -> Outcome {
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
        Outcome::Hit(Hit {
            entity: Entity::Iban,
            start: s,
            end,
        })
    } else {
        Outcome::Reject
    }
}

/// Cards: the whole candidate, or (for grouped numbers followed by e.g. a CVV) the longest
/// prefix of whole groups that is a valid card.
fn check_card(hay: &[u8], s: usize, e: usize) -> Outcome {
    let text = &hay[s..e];
    let card = |end: usize| {
        Outcome::Hit(Hit {
            entity: Entity::CreditCard,
            start: s,
            end,
        })
    };
    // Most cards are written as one run of digits.
    if text.iter().all(u8::is_ascii_digit) {
        return if v::card_ok(text) {
            card(e)
        } else {
            Outcome::Reject
        };
    }
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
    // Mixed separators ("4111 1111-1111 1111") are not how cards are written.
    let mut seps = text.iter().filter(|b| !b.is_ascii_digit());
    if let Some(first) = seps.next() {
        if seps.any(|b| b != first) {
            return Outcome::Reject;
        }
    }
    for &(end_off, nd) in group_ends[..ng].iter().rev() {
        if nd < 12 {
            break;
        }
        if v::card_ok(&digits[..nd]) {
            return card(s + end_off);
        }
    }
    Outcome::Reject
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det() -> Detector {
        Detector::new([true; Entity::COUNT], 3.0, &[]).unwrap_or_else(|e| panic!("{e}"))
    }

    fn hits(text: &str) -> Vec<(Entity, String)> {
        let d = det();
        let mut out = Vec::new();
        d.scan(text.as_bytes(), ScanContext::default(), &mut |h| {
            out.push((h.entity, text[h.start..h.end].to_string()));
            true
        });
        out
    }

    fn one(entity: Entity, s: &str) -> Vec<(Entity, String)> {
        vec![(entity, s.to_string())]
    }

    #[test]
    fn true_positives() {
        use Entity as E;
        let table: &[(&str, Entity, &str)] = &[
            (
                "mail john.doe@example.com now",
                E::Email,
                "john.doe@example.com",
            ),
            (
                "<anna-lena.müller@firma.de>",
                E::Email,
                "anna-lena.müller@firma.de",
            ),
            ("x@sub.mail.co.uk.", E::Email, "x@sub.mail.co.uk"),
            (
                "card 4111 1111 1111 1111 exp",
                E::CreditCard,
                "4111 1111 1111 1111",
            ),
            (
                "card 4111-1111-1111-1111",
                E::CreditCard,
                "4111-1111-1111-1111",
            ),
            ("mc 2221000000000009.", E::CreditCard, "2221000000000009"),
            ("mc 2720992720992729", E::CreditCard, "2720992720992729"),
            ("amex 3782 822463 10005", E::CreditCard, "3782 822463 10005"),
            (
                "4111 1111 1111 1111 123",
                E::CreditCard,
                "4111 1111 1111 1111",
            ),
            ("ssn 536-22-1234", E::UsSsn, "536-22-1234"),
            (
                "iban DE89 3704 0044 0532 0130 00 ok",
                E::Iban,
                "DE89 3704 0044 0532 0130 00",
            ),
            ("GB82WEST12345698765432", E::Iban, "GB82WEST12345698765432"),
            // After words with digits in them (skipped whole by the byte pass).
            (
                "sha 9fceb02d0ae5 call +44 20 7946 0018",
                E::Phone,
                "+44 20 7946 0018",
            ),
            (
                "id a1b2 card 4111 1111 1111 1111",
                E::CreditCard,
                "4111 1111 1111 1111",
            ),
            (
                "ref X9 GB82WEST12345698765432",
                E::Iban,
                "GB82WEST12345698765432",
            ),
            ("user j1234@mail.co.uk", E::Email, "j1234@mail.co.uk"),
            (
                "ip fe80::1ff:fe23:4567:890a",
                E::Ipv6,
                "fe80::1ff:fe23:4567:890a",
            ),
            ("from 10.0.0.1:443", E::Ipv4, "10.0.0.1"),
            (
                "v6 2001:db8::8a2e:370:7334 up",
                E::Ipv6,
                "2001:db8::8a2e:370:7334",
            ),
            (
                "call +1-780-563-6083x7783 today",
                E::Phone,
                "+1-780-563-6083x7783",
            ),
            ("tel (0161) 4960066", E::Phone, "(0161) 4960066"),
            (
                "ring +33 (0)1 41 63 60 83",
                E::Phone,
                "+33 (0)1 41 63 60 83",
            ),
            ("phone: 3420837783", E::Phone, "3420837783"),
            (
                "key AKIAIOSFODNN7EXAMPLE",
                E::AwsAccessKey,
                "AKIAIOSFODNN7EXAMPLE",
            ),
            (
                "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                E::GithubToken,
                "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            ),
            (
                "xoxb-123456789012-abcdefghij",
                E::SlackToken,
                "xoxb-123456789012-abcdefghij",
            ),
            (
                "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
                E::StripeKey,
                "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            ),
            (
                "sk-proj-abc123DEF456ghi789JKL012",
                E::OpenaiKey,
                "sk-proj-abc123DEF456ghi789JKL012",
            ),
            (
                "sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345",
                E::AnthropicKey,
                "sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345",
            ),
            (
                "AIzaSyA1234567890abcdefghijklmnopqrstuv",
                E::GoogleApiKey,
                "AIzaSyA1234567890abcdefghijklmnopqrstuv",
            ),
            ("password=Hunter2!x", E::Password, "Hunter2!x"),
            (
                "api_key: \"q8Zr2LmX9pWv4Tn7\"",
                E::GenericSecret,
                "q8Zr2LmX9pWv4Tn7",
            ),
            (
                "Authorization: Bearer q8Zr2LmX9pWv4Tn7aB3c",
                E::GenericSecret,
                "q8Zr2LmX9pWv4Tn7aB3c",
            ),
            ("DOB: 1985-03-12.", E::DateOfBirth, "1985-03-12"),
            ("born on March 3, 1985", E::DateOfBirth, "March 3, 1985"),
        ];
        for (text, entity, want) in table {
            assert_eq!(hits(text), one(*entity, want), "{text}");
        }
    }

    #[test]
    fn simd_triggers_build_here() {
        let d = det();
        if cfg!(target_arch = "x86_64") {
            assert!(
                d.fast.is_some(),
                "Teddy unavailable: the slower Aho-Corasick path is in use"
            );
        }
        // The fallback path finds the same things.
        let mut slow = det();
        slow.fast = None;
        let text = "password=Hunter2!x DOB: 1985-03-12 Bearer q8Zr2LmX9pWv4Tn7aB3c ghp_abcdefghijklmnopqrstuvwxyz0123456789 sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345";
        let a: Vec<Hit> = d
            .hits(text.as_bytes(), ScanContext::default())
            .into_iter()
            .map(|h| h.0)
            .collect();
        let b: Vec<Hit> = slow
            .hits(text.as_bytes(), ScanContext::default())
            .into_iter()
            .map(|h| h.0)
            .collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 5);
    }

    #[test]
    fn short_haystacks_still_find_every_trigger() {
        let d = det();
        let Some(fast) = &d.fast else {
            return; // no SIMD here: the Aho-Corasick path has no prefilter
        };
        let mut lits = Vec::new();
        for (kind, _) in &d.rules {
            for t in triggers(*kind) {
                match kind {
                    Kind::KeyValue => {}
                    Kind::Dob | Kind::Bearer => lits.extend(case_variants(t)),
                    _ => lits.push(t.to_string()),
                }
            }
        }
        assert!(lits.len() > 40);
        for lit in &lits {
            for hay in [lit.clone(), format!("a {lit}"), format!("{lit}x")] {
                let mut cands = Vec::new();
                d.trigger_candidates(hay.as_bytes(), &mut cands);
                let at = hay.find(lit.as_str()).unwrap_or(usize::MAX);
                assert!(cands.iter().any(|c| c.0 == at), "{hay:?}: {cands:?}");
            }
        }
        // Short haystacks without a pattern's first two bytes are not searched at all.
        assert!(fast.teddy.minimum_len() > 8);
        let mut cands = Vec::new();
        d.trigger_candidates(b"Jane Roe 42", &mut cands);
        assert!(cands.is_empty());
    }

    #[test]
    fn hand_written_shapes_match_their_regexes() {
        let d = det();
        const PIECES: &[&[u8]] = &[
            b"0",
            b"1",
            b"12",
            b"123",
            b"4111",
            b"12345",
            b"123456",
            b"1234567",
            b"4111111111111111",
            b"41111111111111111111",
            b" ",
            b"-",
            b".",
            b"/",
            b"_",
            b"a",
            b"x",
            b"GB",
            b"DE",
            b"82",
            b"WEST",
            b"Z",
            b"\xc3\xa9",
            b"536",
            b"22",
            b"10",
            b"255",
            b"  ",
            b"+",
            b"+4",
            b"(",
            b")",
            b"(212)",
            b"(123456)",
            b"ext",
            b"ext.",
            b"#",
            b"e",
            b"ghp_",
            b"gho_",
            b"github_pat_",
            b"aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5",
            b"Xy_9",
        ];
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut checked = 0;
        for _ in 0..20_000 {
            let mut hay = Vec::new();
            for _ in 0..(1 + next() % 12) {
                hay.extend_from_slice(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            for (kind, re) in &d.rules {
                for p in 0..hay.len() {
                    let Ok(got) = shape_end(*kind, &hay, p) else {
                        continue;
                    };
                    let want = re
                        .search(&Input::new(&hay).range(p..).anchored(Anchored::Yes))
                        .map(|m| m.end());
                    assert_eq!(
                        got,
                        want,
                        "{kind:?} at {p} in {:?}",
                        String::from_utf8_lossy(&hay)
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn swar_range_check() {
        for b in 0u8..=255 {
            for pos in 0..8 {
                let mut bytes = *b"abcdefgh";
                bytes[pos] = b;
                let mask = byte_between_mask(u64::from_le_bytes(bytes), 0x2F, 0x41);
                let want = (0x30..=0x40).contains(&b);
                assert_eq!(mask != 0, want, "{b:#x}");
                if want {
                    assert_eq!((mask.trailing_zeros() / 8) as usize, pos, "{b:#x} at {pos}");
                }
            }
        }
        // Several matches: the first is reported.
        let mask = byte_between_mask(u64::from_le_bytes(*b"ab1:@x9z"), 0x2F, 0x41);
        assert_eq!(mask.trailing_zeros() / 8, 2);
    }

    #[test]
    fn key_value_tails_cover_every_keyword() {
        for w in triggers(Kind::KeyValue) {
            let b = w.as_bytes();
            assert!(b.len() >= 3, "{w}");
            let tail = [b[b.len() - 3], b[b.len() - 2], b[b.len() - 1]];
            assert!(KEY_VALUE_TAILS.contains(&tail), "{w}");
        }
        for (text, want) in [
            ("Password: x", Some(0)),
            ("db_PWD=x", Some(3)),
            ("created_at: x", None),
            ("amount=x", None),
            ("a-key: x", None),
        ] {
            let q = text.find([':', '=']).unwrap_or_default();
            assert_eq!(key_value_start(text.as_bytes(), q), want, "{text}");
        }
    }

    #[test]
    fn word_end_stops_at_the_first_non_word_byte() {
        for b in 0u8..=255 {
            for pos in 0..12 {
                let mut hay = *b"aZ09_zzAA_9xyz";
                hay[pos] = b;
                let want = if v::is_word(b) { hay.len() } else { pos };
                assert_eq!(word_end(&hay, 0), want, "{b:#x} at {pos}");
                assert_eq!(
                    word_end(&hay, pos),
                    if v::is_word(b) { hay.len() } else { pos }
                );
            }
        }
        assert_eq!(word_end(b"", 0), 0);
        assert_eq!(word_end(b"abc", 3), 3);
    }

    #[test]
    fn jwt_and_pem() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        assert_eq!(hits(&format!("Bearer {jwt}")), one(Entity::Jwt, jwt));
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----";
        assert_eq!(hits(&format!("k={pem} tail")), one(Entity::PrivateKey, pem));
    }

    #[test]
    fn false_positives() {
        let table: &[&str] = &[
            "4111111111111112",                        // Luhn fails
            "2721000000000007",                        // outside MC 2-series
            "ssn 000-12-3456",                         // area 000
            "ssn 666-12-3456",                         // area 666
            "ssn 912-12-3456",                         // area 9xx
            "ssn 536-00-1234",                         // group 00
            "ssn 536-22-0000",                         // serial 0000
            "GB82WEST12345698765433",                  // IBAN checksum
            "john@example.invalid",                    // bad TLD
            "img logo@2x.png",                         // not a TLD
            "id 550e8400-e29b-41d4-a716-446655440000", // UUID
            "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
            "at 2024-01-15T10:30:00Z and 2024-01-15 10:30:00.123+01:00",
            "order ORD-2024-004512 and #100023456 and INV-88213",
            "ts 1732190400 epoch ms 1732190400123",
            "total 1234567.89 EUR, qty 12 345 678",
            "version 1.2.3 and 10.2.1",
            "std::io::Result and Foo::Bar and a::b",
            "mac 00:1a:2b:3c:4d:5e time 10:30:00",
            "token=abc and password: required",
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "tracking 1Z999AA10123456784",
            "max_tokens=4096 tokens: 1200",
            "sku ab4111111111111111 and x4111-1111-1111-1111z", // cards inside words
            "ref a536-22-1234 and v10.0.0.1",                   // SSN / IPv4 glued to a word
        ];
        for text in table {
            assert_eq!(hits(text), vec![], "{text}");
        }
    }
}
