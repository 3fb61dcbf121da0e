//! Three JSON constructions of blind32's US_SSN and CREDIT_CARD errors (thirty-third round,
//! task dob; docs/redaction-accuracy.md, "Thirty-third round, task dob"; counted on every
//! training split by `benches/dob_r33_population.py`).
//!
//! * **ADP's government id** (`"governmentIDs": [{"idValue": "302299285", "nameCode":
//!   {"codeValue": "SSN"}}]`): ADP's Workforce Now worker API (`/hr/v2/workers`) gives a
//!   person's government ids as `governmentIDs` entries, each an `idValue` and a `nameCode`
//!   whose `codeValue` names the id (`SSN`). An `idValue` beside a `nameCode` naming `SSN`
//!   is read as under a tax id key (`json::keys::KeyClass::TaxId`: nine digits that are a
//!   valid SSN, bare or `ddd-dd-dddd`). Population (`adp-govid-ssn`): 80 gold, 0 not, three
//!   writers (blind23 34, blind29 8, blind32 38); 9 missed by main, all blind32's bare nine
//!   digits (the dashed ones were found by their shape). No `idValue` in training holds
//!   anything else (`idvalue-any`: 80, all gold US_SSN).
//! * **A card object's `number` by its siblings** (Stripe's `"source": {"object": "card",
//!   "number": "4999240560978", "cvc": …, "exp_month": …}`, Checkout.com's `"source":
//!   {"type": "card", "number": …, "expiry_month": …}`): a `number` member beside a card
//!   verification code (`cvc`, `cvv`, `cvc2`, `cvv2`, `csc`), an expiry month (`exp_month`,
//!   `expiry_month`, `expMonth`, `expiryMonth`) or a `type`/`object` naming `card` is read as
//!   under a card key (`KeyClass::Card`: 13 digits, Visa's old length under ISO/IEC 7812,
//!   may then be a card). The thirtieth round read a card object's `number` under a card key
//!   (`evidence_r30c`) and left the sibling's value (blind10 only) to a second writer;
//!   blind32 brings 15 more. Population (`card13-number`): 30 gold, 0 not, four writers
//!   (blind10 5, blind25 1, blind29 4, blind32 20), 21 missed (blind10 5, blind32 16).
//! * **A German pension insurance number under an `ssn` key** (`"ssn": "12 140568 G
//!   711"`): the Versicherungsnummer of the German pension insurance (SGB VI §147; VKVV §2:
//!   the area number, two digits; the birth date `DDMMYY`; the birth name's initial; a
//!   serial of two digits and a check digit), what a German record calls its social
//!   security number. It holds a letter and twelve characters: no US SSN, whatever its key
//!   says. Population (`de-rvnr`, the shape anywhere): 51, none gold (blind19 3 in text,
//!   `SV-Nr.: 44030332D210`, never found; blind32 48 under `ssn`, 24 found by main).

/// Whether a member key is ADP's government id value, `idValue` (any case).
#[inline]
pub(crate) fn adp_id_value_key(key: &str) -> bool {
    key.len() == 7 && key.eq_ignore_ascii_case("idvalue")
}

/// Whether a member `nameCode` (any case) holds an object whose `codeValue` is `SSN`.
pub(crate) fn adp_ssn_name_code(key: &str, value: &serde_json::Value) -> bool {
    key.len() == 8
        && key.eq_ignore_ascii_case("namecode")
        && value.as_object().is_some_and(|code| {
            code.iter().any(|(k, v)| {
                k.eq_ignore_ascii_case("codeValue")
                    && v.as_str()
                        .is_some_and(|s| s.trim().eq_ignore_ascii_case("ssn"))
            })
        })
}

/// Whether an object's members hold an `idValue` beside a `nameCode` naming `SSN`: then
/// its `idValue` is read as a tax id.
pub(crate) fn adp_ssn_entry(map: &serde_json::Map<String, serde_json::Value>) -> bool {
    map.keys().any(|k| adp_id_value_key(k)) && map.iter().any(|(k, v)| adp_ssn_name_code(k, v))
}

/// Whether a member key is a card object's `number` (any case).
#[inline]
pub(crate) fn number_key(key: &str) -> bool {
    key.len() == 6 && key.eq_ignore_ascii_case("number")
}

/// Whether a sibling member names the object a payment card's: a card verification code
/// key, an expiry month key, or `type`/`object` whose string is `card`.
fn card_sibling(key: &str, value: &serde_json::Value) -> bool {
    const CODE: [&str; 5] = ["cvc", "cvv", "cvc2", "cvv2", "csc"];
    const EXPIRY: [&str; 4] = ["exp_month", "expiry_month", "expmonth", "expirymonth"];
    let is = |w: &&str| key.eq_ignore_ascii_case(w);
    if CODE.iter().any(is) || EXPIRY.iter().any(is) {
        return true;
    }
    (key.eq_ignore_ascii_case("type") || key.eq_ignore_ascii_case("object"))
        && value
            .as_str()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("card"))
}

/// Whether an object is a payment card's: a `number` member and a card sibling
/// (`card_sibling`). Its `number` is then read as under a card key.
pub(crate) fn card_object(map: &serde_json::Map<String, serde_json::Value>) -> bool {
    map.keys().any(|k| number_key(k)) && map.iter().any(|(k, v)| card_sibling(k, v))
}

/// Whether the raw JSON value at `raw[at..]` is exactly 13 digits, a string or a number
/// (what a card key changes: `json`'s 13-digit card test). The streaming pass hands such a
/// `number` to the `Value` walk, which sees the siblings.
#[inline]
pub(crate) fn thirteen_digits_at(raw: &[u8], at: usize) -> bool {
    let digits = |from: usize| {
        raw.get(from..from + 13)
            .is_some_and(|v| v.iter().all(u8::is_ascii_digit))
    };
    match raw.get(at) {
        Some(b'"') => digits(at + 1) && raw.get(at + 14) == Some(&b'"'),
        Some(b) if b.is_ascii_digit() => {
            digits(at)
                && !raw
                    .get(at + 13)
                    .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E'))
        }
        _ => false,
    }
}

/// Whether a value under an SSN key is a German pension insurance number: two digits, a
/// birth date `DDMMYY` (day 01-31, month 01-12), an ASCII capital letter, three digits;
/// one blank allowed between the parts (`12 140568 G 711`, `12140568G711`), blanks around
/// the whole.
pub(crate) fn de_pension_number(s: &[u8]) -> bool {
    let s = s.trim_ascii();
    let mut parts = [0usize; 4];
    let want = [2usize, 6, 1, 3];
    let mut i = 0;
    for (n, &len) in want.iter().enumerate() {
        if n > 0 && s.get(i) == Some(&b' ') {
            i += 1;
        }
        let Some(part) = s.get(i..i + len) else {
            return false;
        };
        let ok = if n == 2 {
            part[0].is_ascii_uppercase()
        } else {
            part.iter().all(u8::is_ascii_digit)
        };
        if !ok {
            return false;
        }
        parts[n] = i;
        i += len;
    }
    if i != s.len() {
        return false;
    }
    let two = |a: usize| (s[a] - b'0') * 10 + (s[a + 1] - b'0');
    let (day, month) = (two(parts[1]), two(parts[1] + 2));
    (1..=31).contains(&day) && (1..=12).contains(&month)
}
