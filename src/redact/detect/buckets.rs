//! Teddy bucket plans for the two trigger searchers (`FastTriggers::teddy`, `more`).
//!
//! Fat Teddy (AVX2, more than 32 literals) sorts its literals into 16 buckets and reports a
//! position as a candidate when the bytes there fit the nibble masks of some bucket; each
//! candidate is then verified against that bucket's literals. A bucket's masks are the union
//! of its literals' nibbles, so a bucket holding `birth` and `AKIA` fits `bkIA`, `AiIA`, … as
//! well. Teddy assigns a new group of literals (those whose fingerprint bytes agree in their
//! low nibbles: `dob`, `Dob`, `DOB`) to bucket `15 - id % 16` of the first one it meets (the
//! longest, then the lowest id), so the order the literals are handed over in decides which
//! share a bucket. In the order `triggers` lists them, common fingerprints of clean text
//! shared buckets with the others. The plans were found by a local search over each group's
//! bucket, minimising a model of the candidates (each bucket's masks against the 3- and
//! 4-gram counts of the bench payloads' clean text, clean JSON and PII text), and checked
//! with callgrind (docs/redaction-accuracy.md, "Seventeenth round, cost").
//!
//! The order changes no finding: the searchers report the leftmost-longest match, which does
//! not depend on the literals' ids when no literal is listed twice (a test checks), and the
//! rule of each match is looked up by id in the permuted list. A literal no plan names (a new
//! trigger) joins its group's bucket if its group has one, else takes a free id.

/// Fat Teddy's bucket count. A searcher of 32 literals or fewer is slim (8 buckets: no plan).
const BUCKETS: usize = 16;

/// The first searcher's plan: one literal of each group (its case variants and the literals
/// whose fingerprint agrees with it in low nibbles follow it), by bucket.
pub(super) const FIRST_TIER: [&[&str]; BUCKETS] = [
    &["bday"],
    &["github_pat_", "AIza", "eyJ", "dob"],
    &["xoxa-", "born"],
    &["née le", "b. "],
    &["ghp_"],
    &["bearer "],
    &["sk-ant-", "ABIA"],
    // Hugging Face's `hf_` (thirty-eighth round, task vp): the empty bucket, alone; SendGrid's
    // `SG.` and Dropbox's `sl.` (fortieth round, task sg) with it, where the model of the
    // candidates adds none on the bench payloads and dev's text.
    &["hf_", "SG.", "sl."],
    &["F. nac", "d.o.b", "ASIA", "ACCA"],
    &["data di nascita", "nato/a il", "ghu_"],
    &["sk_live_", "rk_live_", "ghs_"],
    &["birt", "AKIA"],
    &["nacido el", "naiss", "gho_"],
    &["geboortedatum", "nee le", "ghr_"],
    &["fecha de nacimiento"],
    &["-----BEGIN ", "xapp-"],
];

/// The second searcher's plan (`more_triggers`), as `FIRST_TIER`.
pub(super) const SECOND_TIER: [&[&str]; BUCKETS] = [
    // PowerShell's ` -AsPlainText` (fortieth round, task pw; `evidence_r40p`): the empty bucket.
    &[" -AsPlainText"],
    &["oken "],
    &["USERPASS>", "cret "],
    &[],
    &["dentified ", "> auth "],
    &["nascita", "basic "],
    &["key 0 "],
    &["nato a "],
    &["fecha nac"],
    &["in with "],
    &["nata a ", "<Pass "],
    &["DMG*D8*"],
    &["requirepass"],
    &["D.N."],
    &["(0010,0030)"],
    &["community "],
];

/// The prose searcher's plan (`ProseTriggers`: `PROSE_LITERALS`, then `more_triggers`'), as
/// `FIRST_TIER`.
///
/// The vendors' token prefixes (thirty-eighth round, task vp; `evidence_r38v`: `glpat-`,
/// `whsec_`, `ya29.`, …) and `s_secret_access_key ` (moved here from the first tier) are
/// pinned where a model of the candidates (each bucket's masks against the bench payloads'
/// clean and PII-dense JSON, each candidate weighed by its bucket's literals to verify) added
/// none, in buckets no bench payload's text fits: unplanned, they took the free ids and cost
/// 64 KB of clean text +13 % (callgrind); in the bucket of `oken ` (which every PII record's
/// `"token"` fits) the PII-dense bytes +0.36 %.
///
/// The thirty-ninth round's prefixes (task vp2; `evidence_r39v`: `PMAK-`, `sbp_`, `pscale_`,
/// `nfp_`, `rnd_`, `fo1_`, `django-insecure-`) are pinned by the same model, each where it
/// added no candidate on the bench payloads (`django-insecure-` not in the bucket of `oken `,
/// where the PII-dense JSON's candidates would each verify one literal more).
///
/// AWS's example secrets (`wJalrXUtnFEMI/`, `je7MtGbClwBF/`; fortieth round, task sg: moved
/// from the first tier to make room for `SG.` and `sl.`) are pinned by the same model in
/// buckets 7 and 11 (bench clean JSON +1 weighed candidate per 64 KB, PII JSON none).
///
/// Azure CLI's ` tsv⏎` (fortieth round, task sg; `evidence_r40s::az_tsv_value`) in bucket 15,
/// where the model adds no candidate on the bench payloads (dev's text +158 weighed).
///
/// ` -U ` (thirty-second round, task pw; `evidence_r32p`) shares ` -u `'s low nibbles and
/// joins its bucket, pinned there; `masterauth` and `add_user ` (the same round) are pinned
/// where they landed unplanned, in the buckets of `community ` and ` -a `.
///
/// `DTM+329:` (thirty-first round, task fmt; `evidence_r31f`) is pinned where it landed
/// unplanned, in the bucket of `de-pas` and `clave`.
///
/// The last literal of buckets 1 to 5 is one no plan named before the twenty-sixth round: they
/// took the ids left over, and one more literal (` -P `) moved them (`rootpwmodpw` into
/// bucket 0: clean text +6 %, callgrind), so each is pinned where it sat.
pub(super) const PROSE_AND_SECOND_TIER: [&[&str]; BUCKETS] = [
    &[
        "dentified ",
        "\npw ",
        "\"pw ",
        " -p'",
        "D.N.",
        "ntn_",
        "nfp_",
    ],
    &[
        "in with ",
        "<Pass ",
        "rootpwmodpw",
        "lin_api_",
        "rnd_",
        "fo1_",
    ],
    &["de_pas", "basic ", "mdp ", "bindpw"],
    &["(0010,0030)", "ss phr", "ss -p ", "ssco", "t it to "],
    &["de pas", "$ cat "],
    &["key 0 ", "cret ", "/webhooks/"],
    &["chiave", "ssph", "señ", " pw ", "shpat_", "pscale_"],
    &[
        "ennwort",
        "wachtw",
        "glpat-",
        "glsa_",
        "dop_v1_",
        "django-insecure-",
        "wJalrXUtnFEMI/",
    ],
    &["oken ", "mysql"],
    &[
        "sswo",
        " -u ",
        " -U ",
        "pypi-",
        "whsec_",
        "s_secret_access_key ",
    ],
    &["> auth ", "pwd ", " -a ", " -P ", " -w ", "add_user "],
    &["community ", "fecha nac", "masterauth", "je7MtGbClwBF/"],
    &["requirepass", "USERPASS>", "depas", "sswd", "sbp_"],
    &[
        "de-pas", "clave", "DTM+329:", "gldt-", "glc_", "npm_", "PMAK-",
    ],
    &["login is ", "nascita", "nata a ", " key ", "pass ", "ya29."],
    // PowerShell's ` -AsPlainText` (fortieth round, task pw; `evidence_r40p`): where the model
    // of the candidates adds none on the bench payloads' clean and PII-dense JSON (18 on 1 MB
    // of dev's text); in the bucket of ` -a ` it added ~230 per 64 KB of clean JSON (the ids'
    // `…0-a…`) and cost clean text +1.7 % (callgrind, `pw40b`). Azure CLI's ` tsv\n` (task sg,
    // `evidence_r40s`) shares the bucket (merged; counted together, below the docs' round).
    &[
        "nato a ",
        "DMG*D8*",
        " -p\"",
        "glrt-",
        " tsv\n",
        " -AsPlainText",
    ],
];

/// The order to hand `lits` to Teddy in (`order[id]` is an index into `lits`) so that each
/// group the plan names lands in its bucket; the identity for a slim searcher.
pub(super) fn bucket_order<L: AsRef<[u8]>>(lits: &[L], plan: &[&[&str]; BUCKETS]) -> Vec<usize> {
    let n = lits.len();
    let identity: Vec<usize> = (0..n).collect();
    // Teddy's fingerprint: the first bytes, as many as the shortest literal has, at most 4.
    let Some(mask) = lits
        .iter()
        .map(|l| l.as_ref().len())
        .min()
        .map(|m| m.min(4))
    else {
        return identity;
    };
    if n <= 32 {
        return identity;
    }
    let key = |i: usize| -> Vec<u8> {
        lits[i]
            .as_ref()
            .iter()
            .take(mask)
            .map(|b| b & 0xF)
            .collect()
    };
    let mut groups: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
    for i in 0..n {
        let k = key(i);
        match groups.iter_mut().find(|g| g.0 == k) {
            Some(g) => g.1.push(i),
            None => groups.push((k, vec![i])),
        }
    }
    let mut slot: Vec<Option<usize>> = vec![None; n];
    let mut placed = vec![false; n];
    // First every planned group's leader (Teddy meets the longest literal first, then the
    // lowest id) at the first free id of its bucket's residue; then the literals as long as
    // a leader, each after it; then the rest, in order.
    let mut ties: Vec<(usize, usize)> = Vec::new();
    for (_, members) in &groups {
        let named = |b: &[&str]| {
            b.iter()
                .any(|p| members.iter().any(|&i| lits[i].as_ref() == p.as_bytes()))
        };
        let Some(bucket) = plan.iter().position(|b| named(b)) else {
            continue;
        };
        let longest = members
            .iter()
            .map(|&i| lits[i].as_ref().len())
            .max()
            .unwrap_or(0);
        let mut equal = members
            .iter()
            .copied()
            .filter(|&i| lits[i].as_ref().len() == longest);
        let residue = BUCKETS - 1 - bucket;
        let (Some(leader), Some(lead)) = (
            equal.next(),
            (residue..n).step_by(BUCKETS).find(|&s| slot[s].is_none()),
        ) else {
            continue;
        };
        slot[lead] = Some(leader);
        placed[leader] = true;
        ties.extend(equal.map(|t| (lead, t)));
    }
    for (lead, t) in ties {
        if let Some(s) = (lead + 1..n).find(|&s| slot[s].is_none()) {
            slot[s] = Some(t);
            placed[t] = true;
        }
    }
    let mut rest = (0..n).filter(|&i| !placed[i]);
    slot.iter()
        .map(|s| s.or_else(|| rest.next()))
        .collect::<Option<Vec<usize>>>()
        .unwrap_or(identity)
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::det;
    use super::super::ProseTriggers;
    use super::*;

    /// Teddy's assignment (aho-corasick 1.1's `Teddy::new`, leftmost-longest): literals
    /// longest first, then by id; a new low-nibble group goes to bucket `15 - id % 16`.
    fn teddy_buckets(lits: &[&[u8]]) -> Vec<usize> {
        let mask = lits.iter().map(|l| l.len()).min().unwrap_or(0).min(4);
        let mut ids: Vec<usize> = (0..lits.len()).collect();
        ids.sort_by_key(|&i| std::cmp::Reverse(lits[i].len()));
        let mut groups: Vec<(Vec<u8>, usize)> = Vec::new();
        let mut bucket = vec![0; lits.len()];
        for i in ids {
            let k: Vec<u8> = lits[i].iter().take(mask).map(|b| b & 0xF).collect();
            bucket[i] = match groups.iter().find(|g| g.0 == k) {
                Some(g) => g.1,
                None => {
                    groups.push((k, BUCKETS - 1 - i % BUCKETS));
                    BUCKETS - 1 - i % BUCKETS
                }
            };
        }
        bucket
    }

    /// `lits` ordered by `plan` is a permutation, with every literal the plan names in its
    /// bucket; no literal is listed twice (or the order would decide which rule reports it).
    fn check_plan(lits: &[&[u8]], plan: &[&[&str]; BUCKETS]) {
        assert!(lits.len() > 32, "a fat searcher: {}", lits.len());
        let mut sorted = lits.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), lits.len(), "a literal listed twice");
        let order = bucket_order(lits, plan);
        let mut seen = order.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..lits.len()).collect::<Vec<_>>(), "a permutation");
        let ordered: Vec<&[u8]> = order.iter().map(|&i| lits[i]).collect();
        let got = teddy_buckets(&ordered);
        for (bucket, names) in plan.iter().enumerate() {
            for name in *names {
                let id = ordered.iter().position(|l| *l == name.as_bytes());
                assert_eq!(id.map(|id| got[id]), Some(bucket), "{name}");
            }
        }
    }

    #[test]
    fn every_searcher_lands_in_its_planned_buckets() {
        let [(first, _), (second, rules)] = det().trigger_tiers();
        fn bytes(l: &[String]) -> Vec<&[u8]> {
            l.iter().map(|l| l.as_bytes()).collect()
        }
        check_plan(&bytes(&first), &FIRST_TIER);
        check_plan(&bytes(&second), &SECOND_TIER);
        let (joint, _) = ProseTriggers::literals((&second, &rules));
        check_plan(&joint, &PROSE_AND_SECOND_TIER);
        // One searcher for both lists takes the same matches as two only if no literal is a
        // prefix of another (at most one matches at any position).
        for a in &joint {
            for b in &joint {
                assert!(a == b || !b.starts_with(a), "{a:?} opens {b:?}");
            }
        }
    }

    /// Whether the prose searcher's literal `lit`, planned into `bucket`, moves no other
    /// literal: every other literal lands in the same bucket with it as without it.
    fn assert_moves_no_other_literal(lit: &str, bucket: usize) {
        let [_, (second, rules)] = det().trigger_tiers();
        let (joint, _) = ProseTriggers::literals((&second, &rules));
        let without: Vec<&[u8]> = joint
            .iter()
            .copied()
            .filter(|l| *l != lit.as_bytes())
            .collect();
        assert_eq!(without.len() + 1, joint.len());
        let names: Vec<Vec<&str>> = PROSE_AND_SECOND_TIER
            .iter()
            .map(|b| b.iter().copied().filter(|&n| n != lit).collect())
            .collect();
        let plan: [&[&str]; BUCKETS] = std::array::from_fn(|i| names[i].as_slice());
        let buckets = |lits: &[&[u8]], plan: &[&[&str]; BUCKETS]| {
            let ordered: Vec<&[u8]> = bucket_order(lits, plan).iter().map(|&i| lits[i]).collect();
            let got = teddy_buckets(&ordered);
            ordered
                .into_iter()
                .map(<[u8]>::to_vec)
                .zip(got)
                .collect::<std::collections::HashMap<Vec<u8>, usize>>()
        };
        let before = buckets(&without, &plan);
        let after = buckets(&joint, &PROSE_AND_SECOND_TIER);
        for l in &without {
            assert_eq!(
                before.get(*l),
                after.get(*l),
                "{:?}",
                String::from_utf8_lossy(l)
            );
        }
        assert_eq!(after.get(lit.as_bytes()), Some(&bucket));
    }

    /// The twenty-eighth round's literal `mysql` (`evidence_r28p`), planned into the bucket
    /// of `oken `, moves no other literal of the prose searcher.
    #[test]
    fn the_client_literal_moves_no_other_literal() {
        assert_moves_no_other_literal("mysql", 8);
    }

    /// The twenty-ninth round's literal ` -w ` (`evidence_r29p`), planned into the bucket of
    /// ` -a ` and ` -P `, moves no other literal of the prose searcher.
    #[test]
    fn the_ldap_flag_literal_moves_no_other_literal() {
        assert_moves_no_other_literal(" -w ", 10);
    }

    /// The thirty-second round's literal ` -U ` (`evidence_r32p`: Samba's `-U USER%PASSWORD`),
    /// in the bucket of ` -u `, moves no other literal of the prose searcher.
    #[test]
    fn the_samba_user_literal_moves_no_other_literal() {
        assert_moves_no_other_literal(" -U ", 9);
    }

    /// The thirty-second round's literal `masterauth` (`evidence_r32p`: Redis's replica
    /// password), in the bucket of `community `, moves no other literal of the prose searcher.
    #[test]
    fn the_masterauth_literal_moves_no_other_literal() {
        assert_moves_no_other_literal("masterauth", 11);
    }

    /// The thirty-second round's literal `add_user ` (`evidence_r32p`: `rabbitmqctl add_user`),
    /// in the bucket of ` -a `, moves no other literal of the prose searcher.
    #[test]
    fn the_add_user_literal_moves_no_other_literal() {
        assert_moves_no_other_literal("add_user ", 10);
    }

    /// The fortieth round's literals (`evidence_r40p`): ` -AsPlainText` (PowerShell), in the
    /// bucket of `glrt-`, and `cret|` (a wiki-markup table's `Secret||` header cell), in its
    /// fingerprint's group with `cret `, move no other literal of the prose searcher.
    #[test]
    fn the_fortieth_round_literals_move_no_other_literal() {
        assert_moves_no_other_literal(" -AsPlainText", 15);
        assert_moves_no_other_literal("cret|", 5);
    }

    #[test]
    fn a_slim_searcher_or_an_unplanned_one_keeps_its_order() {
        let lits: Vec<String> = ["dob", "birth", "born"].map(String::from).to_vec();
        assert_eq!(bucket_order(&lits, &FIRST_TIER), vec![0, 1, 2]);
        let many: Vec<String> = (0..40).map(|i| format!("x{i:03}")).collect();
        assert_eq!(
            bucket_order(&many, &FIRST_TIER),
            (0..40).collect::<Vec<_>>()
        );
        // 40 literals, one of them named by the plan: moved to its bucket's first free id.
        let mut named = many.clone();
        named[39] = "bday".to_string();
        let order = bucket_order(&named, &FIRST_TIER);
        assert_eq!(order[15], 39, "bucket 0 is id 15's");
    }
}
