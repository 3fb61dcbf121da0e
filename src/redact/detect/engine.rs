//! The scan: compiling the rules, finding trigger candidates (SIMD or Aho-Corasick), the
//! anchored regex search at each candidate, and the hand-written pass over number regions.

use super::super::entity::Entity;
use super::super::RedactError;
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};

use super::*;

impl BodyTriggers {
    /// The candidates found in `start..start + len` (a leaf of the body or of the joined
    /// leaves), positions still the body's; leaves must come in ascending order, so the walk
    /// over the candidates is linear: each entry is passed over once per body
    /// (`Detector::leaf_candidates`, `Detector::joined_leaf_candidates`).
    fn leaf_literals(&mut self, start: usize, len: usize) -> &[(usize, usize)] {
        let lit = &self.literal;
        let mut i = self.next_literal;
        while lit.get(i).is_some_and(|&(p, _)| p < start) {
            i += 1;
        }
        let first = i;
        while lit.get(i).is_some_and(|&(p, _)| p < start + len) {
            i += 1;
        }
        self.next_literal = i;
        &lit[first..i]
    }

    /// `leaf_literals` for the `key=value` anchors of joined leaves (`anchors`).
    fn leaf_anchors(&mut self, start: usize, len: usize) -> &[usize] {
        let at = &self.anchors;
        let mut i = self.next_anchor;
        while at.get(i).is_some_and(|&q| q < start) {
            i += 1;
        }
        let first = i;
        while at.get(i).is_some_and(|&q| q < start + len) {
            i += 1;
        }
        self.next_anchor = i;
        &at[first..i]
    }
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
            for t in triggers(kind).iter().chain(more_triggers(kind)) {
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

    pub(super) fn build_fast(rules: &[(Kind, Regex)]) -> Option<FastTriggers> {
        let key_value = rules.iter().position(|(k, _)| *k == Kind::KeyValue);
        let prose_rule = rules.iter().position(|(k, _)| *k == Kind::ProsePassword);
        // Each searcher's literals in the order of its bucket plan (`buckets`), with their
        // rules in the same order.
        let [(lits, teddy_rule), (more_lits, more_rule)] = {
            let [first, second] = trigger_tiers(rules);
            [(first, &FIRST_TIER), (second, &SECOND_TIER)].map(|((lits, rule), plan)| {
                let order = bucket_order(&lits, plan);
                (
                    order.iter().map(|&i| lits[i].clone()).collect::<Vec<_>>(),
                    order.iter().map(|&i| rule[i]).collect::<Vec<_>>(),
                )
            })
        };
        if lits.is_empty() || lits.len() >= 128 || more_lits.len() >= 128 {
            return None;
        }
        let prose = prose_rule.map(|r| ProseTriggers::new(r, (&more_lits, &more_rule)));
        let teddy_of = |lits: &[String]| {
            aho_corasick::packed::Config::new()
                .match_kind(aho_corasick::packed::MatchKind::LeftmostLongest)
                .heuristic_pattern_limits(false)
                .builder()
                .extend(lits)
                .build()
        };
        let mut pairs = Box::new([0u64; 1024]);
        for l in lits.iter().chain(&more_lits) {
            let b = l.as_bytes();
            // Every pattern has at least two bytes (a one-byte one would need no prefilter).
            let k = usize::from(*b.first()?) << 8 | usize::from(*b.get(1)?);
            pairs[k / 64] |= 1 << (k % 64);
        }
        let teddy = teddy_of(&lits)?;
        let more = if more_lits.is_empty() {
            None
        } else {
            Some(Box::new(MoreTriggers {
                teddy: teddy_of(&more_lits)?,
                rule: more_rule,
            }))
        };
        let minimum_len = more.as_ref().map_or(teddy.minimum_len(), |m| {
            m.teddy.minimum_len().min(teddy.minimum_len())
        });
        let leads = LeadBytes::new(
            lits.iter()
                .chain(&more_lits)
                .map(|l| l.as_bytes())
                .chain(PROSE_LITERALS.iter().map(|&(l, _)| l)),
        );
        Some(FastTriggers {
            teddy,
            teddy_rule,
            more,
            minimum_len,
            leads,
            key_value,
            pairs,
            prose,
        })
    }

    /// The trigger candidates of a whole body, for `leaf_candidates`; `None` without the
    /// SIMD path.
    pub(crate) fn body_triggers(&self, body: &[u8]) -> Option<BodyTriggers> {
        let fast = self.fast.as_ref()?;
        let mut literal = Vec::new();
        fast.literals_into(body, &mut literal);
        literal.sort_unstable();
        Some(BodyTriggers {
            literal,
            next_literal: 0,
            anchors: Vec::new(),
            next_anchor: 0,
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
        sc.cands.clear();
        sc.cands.extend(
            body.leaf_literals(start, hay.len())
                .iter()
                .map(|&(p, rule)| (p - start, rule)),
        );
        // The `key=value` anchors are looked for in the leaf itself: a body holds a `:` per
        // member.
        if let Some(kv) = self.fast.as_ref().and_then(|f| f.key_value) {
            key_value_candidates(hay, kv, self.prose_rule(), &mut sc.cands);
        }
        sc.given = true;
    }

    /// The trigger candidates of a JSON value's string leaves, for `joined_leaf_candidates`:
    /// `joined` holds the leaves in walk order, each after a `\0` (a byte no trigger literal
    /// holds: no match crosses from one leaf into the next, and every look around an anchor
    /// that leaves a leaf fails there as at the leaf's end). One search of the document
    /// instead of three per leaf (the 1 KB bench call: 17.3k instructions of trigger
    /// searches for 20 short leaves; docs/performance.md, seventeenth round, task cost).
    /// The `key=value` anchors too (every `:`, `=` and `>`): one `memchr3` over the joined
    /// leaves instead of a SWAR pass per leaf (twenty-third round, task cost).
    /// `literal` and `anchors` are buffers to reuse (`BodyTriggers::into_buffers`). `None`
    /// without the SIMD path.
    pub(crate) fn joined_triggers(
        &self,
        joined: &[u8],
        (mut literal, mut anchors): (Vec<(usize, usize)>, Vec<usize>),
    ) -> Option<BodyTriggers> {
        let fast = self.fast.as_ref()?;
        literal.clear();
        fast.literals_into(joined, &mut literal);
        literal.sort_unstable();
        anchors.clear();
        if fast.key_value.is_some() {
            anchors.extend(memchr::memchr3_iter(b':', b'=', b'>', joined));
        }
        Some(BodyTriggers {
            literal,
            next_literal: 0,
            anchors,
            next_anchor: 0,
        })
    }

    /// Puts into `sc` what `trigger_candidates` finds in the leaf `hay == joined[start..start
    /// + hay.len()]` alone, for the next `hits_into(hay)` (leaves in ascending order; `body`
    /// from `joined_triggers` of `joined`). Both tiers' matches are the joined search's (literal matches,
    /// none across the `\0`s). The prose rule's anchors depend on the leaf's length, as
    /// `ProseTriggers::find_into` reads it: a leaf its Teddy takes gets the joined search's
    /// (that Teddy's), and `pw` opening the leaf; a shorter one its own SWAR pass's instead.
    pub(crate) fn joined_leaf_candidates(
        &self,
        body: &mut BodyTriggers,
        joined: &[u8],
        hay: &[u8],
        start: usize,
        sc: &mut Scratch,
    ) {
        sc.cands.clear();
        let prose = self.fast.as_ref().and_then(|f| f.prose.as_ref());
        let long = prose.is_some_and(|p| p.takes_second_tier(hay));
        let prose_rule = prose.map(|p| p.rule);
        sc.cands.extend(
            body.leaf_literals(start, hay.len())
                .iter()
                .filter(|&&(_, rule)| long || Some(rule) != prose_rule)
                .map(|&(p, rule)| (p - start, rule)),
        );
        if let Some(prose) = prose {
            if long {
                if pw_at(hay, 1) {
                    sc.cands.push((0, prose.rule));
                }
            } else {
                prose.find_swar_joined(joined, start, hay, &mut sc.cands);
            }
        }
        // The `key=value` anchors of the leaf, from the joined search: each looked at as
        // `key_value_candidates` looks at it, in the leaf alone.
        if let Some(kv) = self.fast.as_ref().and_then(|f| f.key_value) {
            let prose_rule = self.prose_rule();
            for &q in body.leaf_anchors(start, hay.len()) {
                key_value_anchor(hay, q - start, kv, prose_rule, &mut sc.cands);
            }
        }
        sc.given = true;
    }

    /// The prose-password rule on the SIMD path, if enabled.
    fn prose_rule(&self) -> Option<usize> {
        self.fast.as_ref()?.prose.as_ref().map(|p| p.rule)
    }

    /// (position, rule) candidates of the keyword/prefix rules, appended to `cands`.
    pub(super) fn trigger_candidates(&self, hay: &[u8], cands: &mut Vec<(usize, usize)>) {
        if let Some(fast) = &self.fast {
            if fast.may_hold(hay) {
                fast.teddy_into(hay, cands);
            }
            if let Some(prose) = &fast.prose {
                prose.find_into(hay, cands);
            }
            if let Some(kv) = fast.key_value {
                key_value_candidates(hay, kv, self.prose_rule(), cands);
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
    pub(super) fn try_rule(
        &self,
        rule: usize,
        hay: &[u8],
        p: usize,
        ctx: ScanContext,
    ) -> Option<Hit> {
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
        super::evidence_r27g::blank_table_secrets(
            hay,
            &mut sc.raw,
            &self.enabled,
            self.entropy_threshold,
        );
        super::evidence_r26n::review(hay, &mut sc.raw, &self.enabled);
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
        // A date in a record that holds the person's other PII (`records`).
        if self.enabled[Entity::DateOfBirth.index()] {
            super::records::record_birth_dates(hay, raw, &self.date_re, usize::MAX);
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
            // (Sized once, to the most it keeps; twenty-third round, task cost: its regrowths
            // and the candidates' were ~1k instructions of 4 KB of clean JSON.)
            let mut seen: Vec<(&[u8], bool)> = Vec::with_capacity(SEEN_KEYS);
            // Whether the body may hold a name/value pair's value key (looked for once, at
            // the first pair name key).
            let mut pair_values: Option<bool> = None;
            let mut cands = Vec::with_capacity(CLEAN_CHECK_CANDIDATES);
            for q in memchr::memchr3_iter(b':', b'=', b'>', raw) {
                if raw[q] == b'>' {
                    if let Some((kv, p)) = fast.key_value.zip(tag_key_start(raw, q)) {
                        cands.push((p, kv));
                    }
                    continue;
                }
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
                        // (The name key of a name/value pair is not remembered when the body
                        // may hold a pair's value: its string is read at each one.)
                        let mut remember = true;
                        if let Some(key) = key.and_then(|k| std::str::from_utf8(k).ok()) {
                            if sensitive_key(key) {
                                return true;
                            }
                            match pair_name_key(raw, q, key, &mut pair_values, sensitive_key) {
                                Some(true) => return true,
                                Some(false) => remember = false,
                                None => {}
                            }
                        }
                        let keyword = key_value_start(raw, q).is_some();
                        if let Some(key) = key.filter(|_| seen.len() < SEEN_KEYS && remember) {
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
                if let Some((rule, p)) = self.prose_rule().zip(prose_colon_start(raw, q)) {
                    cands.push((p, rule));
                }
            }
            fast.literals_into(raw, &mut cands);
            self.eval_triggers(raw, &mut cands, ScanContext::default(), &mut found, true);
            return !found.is_empty() || self.birth_label_at(raw, &cands, sensitive_key);
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
        !found.is_empty() || self.birth_label_at(raw, &cands, sensitive_key)
    }

    /// Whether a birth word among the trigger candidates `cands` of a JSON body's raw bytes
    /// is in a label naming a birth date (`json::labels::raw_label_names_birth`): its
    /// answer is one, with no birth word of its own.
    fn birth_label_at(
        &self,
        raw: &[u8],
        cands: &[(usize, usize)],
        sensitive_key: &dyn Fn(&str) -> bool,
    ) -> bool {
        cands.iter().any(|&(p, rule)| {
            self.rules[rule].0 == Kind::Dob
                && crate::redact::json::labels::raw_label_names_birth(raw, p, sensitive_key)
        })
    }

    pub(super) fn push(&self, out: &mut Vec<(Hit, usize)>, hit: Hit, prio: usize) {
        if self.enabled[hit.entity.index()] {
            out.push((hit, prio));
        }
    }

    pub(super) fn eval_triggers(
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
            if found.is_none() && self.rules[rule].0 == Kind::Dob {
                // A birth-date column of an SQL `INSERT`: its value in every tuple.
                let before = out.len();
                sql_birth_values(hay, p, &self.date_re, &mut |s, e| {
                    self.push(out, Hit::new(Entity::DateOfBirth, s, e), rule);
                });
                // A birth-date column of a CSV / TSV / pipe / Markdown table.
                if out.len() == before {
                    super::table::text_table_birth_values(hay, p, &self.date_re, &mut |s, e| {
                        self.push(out, Hit::new(Entity::DateOfBirth, s, e), rule);
                    });
                }
                // A birth-date column of a table aligned with blanks.
                if out.len() == before {
                    super::table::blank_table_birth_values(hay, p, &self.date_re, &mut |s, e| {
                        self.push(out, Hit::new(Entity::DateOfBirth, s, e), rule);
                    });
                }
                // A birth date a few words after its phrase, or a dialogue's next turn.
                if out.len() == before {
                    if let Some((s, e)) = super::prose_dob::prose_birth_date(hay, p, &self.date_re)
                    {
                        self.push(out, Hit::new(Entity::DateOfBirth, s, e), rule);
                    }
                }
                if out.len() > before {
                    done_at = p;
                    if first_only {
                        return;
                    }
                }
                continue;
            }
            if found.is_none()
                && matches!(self.rules[rule].0, Kind::ProsePassword | Kind::SecretWord)
            {
                // The password column of a CSV / pipe / Markdown table (`password_column`),
                // the secret column of a pipe / Markdown table (`secret_column`).
                let column = if self.rules[rule].0 == Kind::ProsePassword {
                    self.password_column(hay, p, rule, out)
                } else {
                    self.secret_column(hay, p, rule, out)
                };
                if column {
                    done_at = p;
                    if first_only {
                        return;
                    }
                }
                continue;
            }
            if let Some((h, rule)) = found {
                covered_to = h.end;
                done_at = p;
                self.push(
                    out,
                    super::evidence_r23p::password_hit(hay, h, &self.enabled),
                    rule,
                );
                // `AKIA… / SECRET`: the secret key written after its key id.
                if self.rules[rule].0 == Kind::Aws && !h.placeholder {
                    if let Some(s) = aws_pair_secret(hay, h.end, self.entropy_threshold) {
                        covered_to = s.end;
                        self.push(out, s, rule);
                    }
                }
                // The secrets a tool prints next to this hit (`tool_secrets`).
                if h.entity == Entity::Password {
                    covered_to = covered_to.max(self.tool_secrets(hay, h, rule, out));
                } else if covered_to == h.end && h.entity == Entity::AwsAccessKey {
                    covered_to = covered_to.max(self.tool_secrets(hay, h, rule, out));
                    // The secret key in a nearby setting, row or URL userinfo
                    // (`evidence_r27g`), where no tool's printed one: asked only of an access
                    // key id, under the test `tool_secrets` is asked under (twenty-eighth
                    // round, task cost).
                    if covered_to == h.end && !h.placeholder {
                        if let Some(s) = evidence_r27g::aws_secret_near(
                            hay,
                            h.start,
                            h.end,
                            self.entropy_threshold,
                        ) {
                            self.push(out, s, rule);
                        }
                    }
                }
                if first_only && !out.is_empty() {
                    return;
                }
            }
        }
    }

    /// At a password keyword that is no statement of one (out of line: `eval_triggers` stays
    /// as small as it was): the cells of the table column it heads (`login_password` in a
    /// password manager's CSV export), pushed; else the password of a PHP stack trace's
    /// `PDO->__construct(…)` frame after it (`pdo_trace_password`). Whether there were any.
    #[inline(never)]
    fn password_column(
        &self,
        hay: &[u8],
        p: usize,
        rule: usize,
        out: &mut Vec<(Hit, usize)>,
    ) -> bool {
        let before = out.len();
        super::table::text_table_passwords(hay, p, &mut |s, e| {
            self.push(out, Hit::new(Entity::Password, s, e), rule);
        });
        if out.len() == before {
            if let Some((s, e)) = pdo_trace_password(hay, p) {
                self.push(out, Hit::new(Entity::Password, s, e), rule);
            }
        }
        out.len() > before
    }

    /// At `secret`/`token` that states no secret (out of line, as `password_column`): the
    /// cells of the table column it heads (`table::text_table_secrets`), pushed. Whether
    /// there were any. (Sixteenth round, part B.)
    #[inline(never)]
    fn secret_column(
        &self,
        hay: &[u8],
        p: usize,
        rule: usize,
        out: &mut Vec<(Hit, usize)>,
    ) -> bool {
        let before = out.len();
        // The trigger is `cret `/`oken ` inside the word.
        let p = secret_word_at(hay, p).map_or(p, |(s, _)| s);
        super::table::text_table_secrets(hay, p, self.entropy_threshold, &mut |s, e, pw| {
            let entity = if pw {
                Entity::Password
            } else {
                Entity::GenericSecret
            };
            self.push(out, Hit::new(entity, s, e), rule);
        });
        out.len() > before
    }

    /// The secrets a tool prints next to a hit (out of line: `eval_triggers` stays as small
    /// as it was), pushed; where they end. After an AWS key id, `aws sts … --output text`'s
    /// secret and session token in the columns after it; after a password in
    /// `wp-config.php`, the keys and salts in the `define()`s that follow its `DB_PASSWORD`;
    /// after a `pulumi config --show-secrets` row's password, the table's other secret rows.
    #[inline(never)]
    fn tool_secrets(&self, hay: &[u8], h: Hit, rule: usize, out: &mut Vec<(Hit, usize)>) -> usize {
        let mut end = h.end;
        if self.rules[rule].0 == Kind::Aws {
            if !h.placeholder {
                for s in aws_text_credentials(hay, h.end, self.entropy_threshold) {
                    end = s.end;
                    self.push(out, s, rule);
                }
            }
            return end;
        }
        if self.rules[rule].0 != Kind::ProsePassword || h.start < 3 {
            return end;
        }
        let mut sink = |s| self.push(out, s, rule);
        if matches!(hay[h.start - 1], b'\'' | b'"') {
            php_define_secrets(hay, h.start, self.entropy_threshold, &mut sink);
        } else if hay[h.start - 2..h.start] == *b"  " {
            pulumi_table_secrets(hay, h.start, self.entropy_threshold, &mut sink);
        } else if hay[h.start - 1] == b':' {
            // A `chpasswd` list's later entries (`evidence_r33p`).
            if let Some(e) = super::evidence_r33p::chpasswd_later_entries(hay, h.start, &mut sink) {
                end = e;
            }
        }
        end
    }

    /// At an `@` (the byte pass, out of line: the loop stays as small as it was): a URL's
    /// userinfo (the credential in it, if any, and no e-mail address), an e-mail address,
    /// Postfix's `sasl_passwd` line (`[relay]:587 user@example.com:PASSWORD`: the address and
    /// the password, also where the password reads as an `scp` target's path to `email_at`,
    /// `…@orange.fr:Mol_6560EN`). Where the scan goes on.
    #[inline(never)]
    fn at_sign(&self, hay: &[u8], i: usize, out: &mut Vec<(Hit, usize)>) -> usize {
        if let Some(cred) = url_userinfo(hay, i) {
            if let Some(h) = cred {
                self.push(out, h, usize::MAX - 1);
            }
            return i + 1;
        }
        let email_on = self.enabled[Entity::Email.index()];
        let email = if email_on { email_at(hay, i) } else { None };
        if let Some((s, e)) = email {
            self.push(out, Hit::new(Entity::Email, s, e), usize::MAX - 1);
            if hay.get(e) == Some(&b':') {
                if let Some(pw) = sasl_passwd_password(hay, s, e) {
                    self.push(out, pw, usize::MAX - 1);
                    return pw.end;
                }
            }
            if hay.get(e) == Some(&b' ') {
                if let Some(pw) = password_after_email(hay, e) {
                    self.push(out, pw, usize::MAX - 1);
                    return pw.end;
                }
                // IMAP's `TAG LOGIN user@host PASSWORD` (`evidence_r29p`).
                if let Some(pw) = self.enabled[Entity::Password.index()]
                    .then(|| super::evidence_r29p::imap_login_password(hay, s, e))
                    .flatten()
                {
                    self.push(out, pw, usize::MAX - 1);
                    return pw.end;
                }
            }
            return e;
        }
        // A connect string's `user/password@host` (`evidence_r28p`), a Go MySQL driver DSN's
        // `user:password@tcp(…)` (`evidence_r30p`).
        if let Some(pw) = self.enabled[Entity::Password.index()]
            .then(|| {
                super::evidence_r28p::connect_password(hay, i)
                    .or_else(|| super::evidence_r30p::go_dsn_password(hay, i))
            })
            .flatten()
        {
            self.push(out, pw, usize::MAX - 1);
            return i + 1;
        }
        if !email_on {
            return i + 1;
        }
        if let Some(((s, e), pw)) = sasl_passwd_at(hay, i) {
            self.push(out, Hit::new(Entity::Email, s, e), usize::MAX - 1);
            self.push(out, pw, usize::MAX - 1);
            return pw.end;
        }
        i + 1
    }

    /// A password by its shape at the digit `i` (`shaped_password_at`), pushed; its end.
    #[cold]
    #[inline(never)]
    fn shaped_password(&self, hay: &[u8], i: usize, out: &mut Vec<(Hit, usize)>) -> Option<usize> {
        // An e-mail address's digits (`roe12@example.com`): no shape, asked before the call.
        if email_local_digits(hay, i) {
            return None;
        }
        let h = shaped_password_at(hay, i)?;
        self.push(out, h, usize::MAX - 1);
        Some(h.end)
    }

    /// The hand-written pass: numbers (cards, SSNs, phones, IPv4, IBANs), emails at `@`,
    /// IPv6 at `:`.
    pub(super) fn byte_pass(
        &self,
        hay: &[u8],
        ctx: ScanContext,
        out: &mut Vec<(Hit, usize)>,
        first_only: bool,
    ) {
        let n = hay.len();
        let ipv6_on = self.enabled[Entity::Ipv6.index()];
        let pw_on = self.enabled[Entity::Password.index()];
        let mut i = 0;
        while i < n {
            // Skip 8 bytes at a time while none is in 0x30..=0x40 (digits, ':', '@'); jump
            // straight to the first one that is (`next_scan_byte`: a loop of its own).
            i = next_scan_byte(hay, i);
            if i >= n {
                break;
            }
            let b = hay[i];
            if CLASS[usize::from(b)] == C_DIGIT {
                // The byte before the digit, classed by one load (`SHAPE_CLASS`).
                let prev = class_before(hay, i);
                // A digit inside a word (hex ids, hashes, SKUs): every number rule needs a
                // `\b` before its first byte, so nothing starts before the word ends. Skip
                // it whole. (Two capitals before the digit may open an IBAN: not skipped.)
                if digit_in_word(hay, i, prev) {
                    let digit = i;
                    i = word_end(hay, i + 1);
                    // A password by its shape alone (`pw_shape`): the word run ends in its
                    // digits (`Kanarie8102?`, `Hafenkran_Paella86`).
                    if pw_on && shape_tail(hay, digit, i) {
                        if let Some(e) = self.shaped_password(hay, digit, out) {
                            if first_only {
                                return;
                            }
                            i = e;
                        }
                    }
                    continue;
                }
                // Digits after a word and a symbol (`ALCAchoFA#27`, `Rotterdam.1337`;
                // `pw_shape::symbol_after_word`).
                if pw_on && digit_after_symbol(hay, i, prev) {
                    if let Some(e) = self.shaped_password(hay, i, out) {
                        if first_only {
                            return;
                        }
                        i = e;
                        continue;
                    }
                }
                // A card's security code later on the card's line (`card 4111… got
                // declined, cvc 459`), reached from its digits (`evidence_r29c`): one bit of
                // the class already loaded, then the digits' shape.
                if prev & SHAPE_BEFORE_CODE != 0
                    && super::evidence_r29c::code_digits_may_start(hay, i)
                {
                    self.card_code_later(hay, i, out);
                }
                i = self.number_region(hay, i, ctx, out);
                if first_only && !out.is_empty() {
                    return;
                }
                continue;
            }
            if b == b'@' {
                // A URL's userinfo, an e-mail address, a `sasl_passwd` line (`at_sign`).
                i = self.at_sign(hay, i, out);
                if first_only && !out.is_empty() {
                    return;
                }
                continue;
            } else if b == b'>' && pw_on && super::evidence_r31p::net_user_may_follow(hay, i) {
                // A Windows prompt's `net user NAME PASSWORD` (`C:\> net user …`;
                // `evidence_r31p`).
                if let Some(h) = super::evidence_r31p::net_user_password(hay, i) {
                    self.push(out, h, usize::MAX - 1);
                    if first_only {
                        return;
                    }
                    i = h.end;
                    continue;
                }
            } else if b == b'>' && pw_on && i > 3 && hay[i - 1] == b'-' && hay[i - 2] == b'I' {
                // Perl DBI's `DBI->connect(DSN, USER, 'PASSWORD', …)` (`evidence_r40p`); the
                // scan goes on after the `>` (the data source's host, an IPv4 address).
                if let Some(h) = super::evidence_r40p::dbi_connect_password(hay, i) {
                    self.push(out, h, usize::MAX - 1);
                    if first_only {
                        return;
                    }
                    i += 1;
                    continue;
                }
            } else if b == b'>' && pw_on && i > 0 && hay[i - 1] == b' ' {
                // A Redis ACL rule's `>PASSWORD` (`user worker on >…`; `evidence_r30p`).
                if let Some(h) = super::evidence_r30p::redis_acl_password(hay, i) {
                    self.push(out, h, usize::MAX - 1);
                    if first_only {
                        return;
                    }
                    i = h.end;
                    continue;
                }
            } else if b == b':' && ipv6_on && i + 1 < n && is_ipv6_byte(hay[i + 1]) {
                // An address holding this `:` has a hex digit (or `.`) before it, or
                // starts with `::` here (`":12345"` in JSON is neither); or it is glued
                // after a key's `:` (`Ip:2001:db8::1`; `evidence_r29s`).
                let found = if (i > 0 && is_ipv6_byte(hay[i - 1])) || hay[i + 1] == b':' {
                    if ipv6_after_word(hay, i) {
                        // A Telegram bot token glued after a word (the Bot API's URL,
                        // `/bot<id>:<secret>`, the secret opening with a hex digit as its
                        // `AA…` does: `evidence_r31g`), at the `:` ending the id's digits.
                        // (A test of every digit run in a word cost clean text 0.6 %, one at
                        // every `:` after a digit 2.6 %.)
                        if i >= 12
                            && hay[i - 1].is_ascii_digit()
                            && hay[i - 3].is_ascii_digit()
                            && hay[i - 8].is_ascii_digit()
                        {
                            if let Some(h) = super::evidence_r31g::telegram_token_at_colon(hay, i) {
                                self.push(out, h, usize::MAX - 1);
                                if first_only {
                                    return;
                                }
                                i = h.end;
                                continue;
                            }
                        }
                        None
                    } else {
                        ipv6_at(hay, i)
                    }
                } else if i > 0 && super::evidence_r29s::glued_key_byte(hay[i - 1]) {
                    super::evidence_r29s::glued_ipv6(hay, i)
                } else {
                    None
                };
                if let Some((s, e)) = found {
                    self.push(out, Hit::new(Entity::Ipv6, s, e), usize::MAX - 1);
                    if first_only && !out.is_empty() {
                        return;
                    }
                    // Past an unbracketed port too (`…:b989:38729`): the scan must not
                    // find the address again from the port's `:`.
                    i = e;
                    if hay.get(i) == Some(&b':') {
                        i += 1;
                        while i < n && hay[i].is_ascii_digit() {
                            i += 1;
                        }
                    }
                    continue;
                }
            }
            i += 1;
        }
    }
}

/// The literals of each trigger searcher (`triggers`, `more_triggers`, with the case
/// variants of the DOB and `Bearer` words) and the rule of each, in the rules' order; the
/// `key=value` and prose-password rules have searches of their own.
fn trigger_tiers(rules: &[(Kind, Regex)]) -> [(Vec<String>, Vec<usize>); 2] {
    let mut tiers: [(Vec<String>, Vec<usize>); 2] = Default::default();
    for (i, (kind, _)) in rules.iter().enumerate() {
        if matches!(kind, Kind::KeyValue | Kind::ProsePassword) {
            continue;
        }
        for (tier, list) in [triggers(*kind), more_triggers(*kind)]
            .into_iter()
            .enumerate()
        {
            for t in list {
                let variants = match kind {
                    Kind::Dob | Kind::Bearer => case_variants(t),
                    _ => vec![t.to_string()],
                };
                for v in variants {
                    tiers[tier].0.push(v);
                    tiers[tier].1.push(i);
                }
            }
        }
    }
    tiers
}

#[cfg(test)]
impl Detector {
    /// `trigger_tiers` of this detector's rules (before the bucket plans' order).
    pub(super) fn trigger_tiers(&self) -> [(Vec<String>, Vec<usize>); 2] {
        trigger_tiers(&self.rules)
    }
}

/// The most object keys `Detector::any_raw_json` remembers per body.
const SEEN_KEYS: usize = 64;
/// The trigger candidates `Detector::any_raw_json` makes room for at once (more grow the
/// buffer as before).
const CLEAN_CHECK_CANDIDATES: usize = 64;

/// For an object key `key` ending at the `:` at `raw[q]`: `None` when it is no name/value
/// pair's name key or the body holds no pair's value key
/// (`json::keys::body_may_hold_pair_value`, looked for once per body in `pair_values`);
/// else whether the string after it names something sensitive (`{"key": "DB_PASSWORD",
/// "value": …}`: the walks read the value as under that key) or holds an escape the raw
/// bytes cannot tell. Out of line: the clean check's loop over the colons stays as small as
/// it was.
#[inline(never)]
fn pair_name_key(
    raw: &[u8],
    q: usize,
    key: &str,
    pair_values: &mut Option<bool>,
    sensitive_key: &dyn Fn(&str) -> bool,
) -> Option<bool> {
    if crate::redact::json::pair_role(key) != crate::redact::json::PairRole::Name
        || !*pair_values.get_or_insert_with(|| crate::redact::json::body_may_hold_pair_value(raw))
    {
        return None;
    }
    let mut i = q + 1;
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = raw.get(i) {
        i += 1;
    }
    if raw.get(i) != Some(&b'"') {
        return Some(false);
    }
    let rest = &raw[i + 1..];
    Some(match memchr::memchr2(b'"', b'\\', rest) {
        Some(e) if rest[e] == b'"' => std::str::from_utf8(&rest[..e]).is_ok_and(|n| {
            crate::redact::json::pair_name_worth_reading(key, n)
                && sensitive_key(crate::redact::json::pair_name(n))
        }),
        Some(_) => true,
        None => false,
    })
}
