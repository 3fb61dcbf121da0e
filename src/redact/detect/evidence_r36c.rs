//! Thirty-sixth round, task cvc (issue #20): a card security code's standard names in a pipe
//! table's label cell, and a documentation placeholder given as a secret-named JSON Schema
//! property's `default` / `examples`.
//!
//! **A pipe table's security-code row by its name** (`| Security code | 424 |`,
//! `| Beveiligingscode | 0920 |`, `| Cryptogramme | 100 |`). The thirty-fourth round took the
//! row whose label cell holds one of the abbreviations (`| CVV | 925 |`,
//! `evidence_r34d::pipe_cvc_cell`); the locales' names of the same code, which the prose rule
//! already reads (`numbers::CVC_WORDS`: the card schemes' and banks' terms — security code,
//! Kartenprüfnummer, Prüfnummer, cryptogramme, código de seguridad, codice di sicurezza,
//! beveiligingscode), now name the row too (`PIPE_CVC_NAMES`, read by `pipe_cvc_cell`).
//! `benches/cvc_r36_population.py` (`pipe-std`) over every training split: 29 rows, all gold
//! GENERIC_SECRET, on five writers' splits (blind30 12, blind31 2, blind32 2, blind34 5,
//! blind35 8), 27 missed by main (`m19`); none not gold. `Prüfziffer` (a check digit's name
//! too, so the thirty-fourth round left it): 3 rows, all gold, on three writers' splits
//! (blind32, blind33, blind34), none not gold; taken under the three-writer clause. `CID`
//! (a customer id in a table as often) is not: no row on the training splits.
//!
//! **A secret-named schema property's example** (`"properties": {"webhookSecret": {"type":
//! "string", "default": "whsec_EXAMPLE0000…"}}`). JSON Schema's `default` and `examples`
//! (draft 2020-12, Validation, "Meta-Data Annotations") and OpenAPI's `example` give a value
//! of the property they annotate: under a property named for a secret (`KeyClass::Whole(
//! GenericSecret)`) they are that secret's examples. Only a documentation placeholder
//! (`validate::secret_placeholder`: `EXAMPLE`, `xxxxxx`, `000000`, `your…here`) is taken
//! from them, as the placeholder it is (`json::KeyClass::SecretExample`); any other value is
//! read as text, as before (a vendor's key by its own rule). Population (a count over every
//! training split's parsed JSON bodies; docs/redaction-accuracy.md, thirty-sixth round, task
//! cvc): 154 `default` / `examples` strings under secret-named properties on two writers' splits
//! (blind31 49 vendor keys, blind35 105 placeholders), all gold; 23 of blind35's
//! placeholders (`glpat-xxxx…`, `hf_EXAMPLEtoken…`, `whsec_EXAMPLE…`: prefixes no rule of
//! their own reads) missed by main. The standard clause (JSON Schema, OpenAPI): a reading of
//! documented keywords, not a writer's phrasing.
//!
//! **`REPLACE_WITH_YOUR_KEY`, `REPLACE_ME` under a secret's name are no finding.** An
//! instruction standing for the value (`"api_key": "REPLACE_WITH_YOUR_KEY"`,
//! `"slackToken": "REPLACE_WITH_REAL_KEY"`) was reported as a placeholder under a
//! secret-named JSON key (`validate::secret_placeholder` reads `YOUR`, `EXAMPLE`, …). No
//! writer labels such a bare instruction: `benches/cvc_r36_population.py` (`replace-with`)
//! counts 174 bare `REPLACE_WITH_…` / `REPLACE_ME…` values on sixteen training splits, none
//! gold; main reported 10 of them as placeholders (blind18 6, blind22 2, blind29 1, blind35 1:
//! four writers leaving them unlabelled). The 45 gold places of the group are a vendor's key
//! spelling the instruction inside it (`sk-proj-REPLACE_WITH_YOUR_OWN_KEY_000…`), which this
//! does not read (`replace_instruction` wants the whole value). Such a value is read as text,
//! as a stand-in is (`json::Walk::string`).

/// The names of a card security code a pipe table's label cell may hold besides
/// `evidence_r34d`'s abbreviations (lower case; matched in any ASCII case, each standing
/// alone in the cell): `numbers::CVC_WORDS`' names of the code (its words after the seven
/// abbreviations), `Prüfziffer` among them.
pub(super) const PIPE_CVC_NAMES: &[&[u8]] = super::numbers::CVC_WORDS.split_at(7).1;

/// Whether a member's name is a JSON Schema / OpenAPI keyword giving an example of the value
/// its object describes: `default`, `examples`, `example` (exact case, as the
/// specifications spell them).
#[inline]
pub(crate) fn schema_example_key(key: &str) -> bool {
    matches!(key, "default" | "examples" | "example")
}

/// Whether a value is an instruction standing for a secret and nothing else: `REPLACE_ME…`
/// or `REPLACE_WITH_…`, the rest capitals, digits and `_` (`REPLACE_WITH_YOUR_KEY`,
/// `REPLACE_ME`, `REPLACE_WITH_REAL_KEY`). A vendor's key spelling it inside
/// (`sk-proj-REPLACE_WITH_…`) is not one.
#[inline]
pub(crate) fn replace_instruction(v: &[u8]) -> bool {
    (v.starts_with(b"REPLACE_ME") || v.starts_with(b"REPLACE_WITH_"))
        && v.len() <= 64
        && v.iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}
