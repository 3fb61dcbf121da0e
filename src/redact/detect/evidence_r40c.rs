//! Fortieth round, task cc (issue #20; docs/redaction-accuracy.md, "Fortieth round, task cc";
//! counted on every training split by `benches/cc_r40_population.py`): a 13-digit Visa number
//! followed by its card verification code, ISO/IEC 7812's primary account number named `PAN`
//! before a 13-digit number, and a verification code quoted in backticks.
//!
//! ISO/IEC 7812-1 lets a primary account number (PAN) have 8 to 19 digits; Visa issued
//! 13-digit PANs (prefix `4`; Visa keeps account ranges of 13-digit PANs, a length references
//! on payment card numbers list beside 16 and 19). A 13-digit number opening with `4` is also an EAN-13 barcode of
//! the German GS1 prefixes 400–440, an e-ticket, an id: main takes it only with card evidence
//! (`numbers::card_context_ok`). Population (`visa13-bare`): 243 gold, 105 not.
//!
//! * **Its verification code after it** (`Application fee paid with 4502547459884 (exp 07/29,
//!   CVV 114)`, `pay: pan=4124028622649 cvv=722 exp=0927`): the code PCI DSS calls card
//!   verification code/value (CAV2/CVC2/CVV2/CID) belongs to a card; `numbers::cvc_after_card`
//!   (a code word within 48 bytes on the line, only an expiry and punctuation between) is card
//!   evidence for 13 digits, asked last. Population (`visa13-cvc`): 43 gold, 0 not, on 14
//!   writers' splits; without main's evidence (`visa13-cvc-new`) 7 gold, 0 not (blind18 3,
//!   blind38 4), all missed by main.
//! * **`PAN` before it** (`PAN=4936686703100 EXP=2709`): ISO/IEC 7812's name of the number, a
//!   card word for 13 digits when it stands alone (no letter before or after: not `company`,
//!   `Japan`, `panel`) within the 32 bytes before (`pan_word_before`). Population
//!   (`pan13-any`: `pan`, `=`/`:`/blanks, 13 digits in any grouping): 6 gold, 0 not, three
//!   writers (blind18 3, blind32 1, blind34 2), all missed by main.
//! * **A code in backticks** (``card `4448830468614` with CVC `523` ``): Markdown's code span
//!   (CommonMark) around the three or four digits after a code word; read by
//!   `numbers::code_digits_after` (an opening backtick, the closing one right after the
//!   digits) and `evidence_r29c::code_word_before` (back over the backtick), reached from the
//!   digits where the byte pass already stops (`pw_shape::SHAPE_BEFORE_CODE` holds the
//!   backtick). Population (`cvc-backtick`): 22 gold GENERIC_SECRET, 0 not, one writer
//!   (blind38); a code word and its digits (`cvc-any`) are 2,202 gold GENERIC_SECRET, 0 not,
//!   on 31 writers' splits — the quoting is the only new part.

/// Whether the word `pan` (any case), with no ASCII letter before or after it, stands within
/// the 32 bytes before `s` (ISO/IEC 7812's primary account number: `PAN=4936686703100`,
/// `pan: 4124…`). Asked by `numbers::card_context_ok` for 13 digits only.
#[inline(never)]
pub(super) fn pan_word_before(hay: &[u8], s: usize) -> bool {
    let from = s.saturating_sub(32);
    let Some(win) = hay.get(from..s) else {
        return false;
    };
    let alpha = |k: usize| hay.get(k).is_some_and(u8::is_ascii_alphabetic);
    win.windows(3).enumerate().any(|(at, x)| {
        let k = from + at;
        x.eq_ignore_ascii_case(b"pan") && (k == 0 || !alpha(k - 1)) && !alpha(k + 3)
    })
}
