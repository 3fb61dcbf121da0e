//! Thirty-fifth round, task dob (issue #20): a birth date in a typed wrapper under its key.
//!
//! Two document stores' wire formats wrap every value in a one-member object naming its type:
//! DynamoDB's `AttributeValue` (`"dob": {"S": "1994-09-27"}`; `S` a string, `N` a number, `BOOL`,
//! `M`, `L`, … in the DynamoDB API reference) and Firestore's REST `Value` (`"birthDate":
//! {"stringValue": "01.08.1964"}`; `stringValue`, `integerValue`, `timestampValue`, … in the
//! Firestore REST reference). A member named by a birth-date key (`KeyClass::Whole(DateOfBirth)`
//! or a birth parent) whose value is such a wrapper holds the date in the wrapper's string
//! member: that member is read as a date of birth, as the key's own `date` / `value` member is
//! already (`json::keys::birth_date_member`). Standard clause (both formats are documented);
//! one writer's gold so far.
//!
//! `benches/dob_r35_population.py` over every training split (`"KEY": {"WRAPPER": VALUE`):
//! under a birth-date key, `S` 15 and `stringValue` 12 places, all gold DATE_OF_BIRTH and all
//! missed by main (`m18`; blind34, a DynamoDB `GetItem` result and a Firestore document);
//! under any other key, `S` 60 and `stringValue` 421 places (e-mails, phones, IBANs, keys
//! found by their shape; blind14, blind34) and `integerValue` 77 (none gold), which this rule
//! does not read. Only the two string wrappers are taken: a birth date is a string in both
//! formats' documents; `N`, `integerValue`, `timestampValue` hold no birth date on the splits.

/// Whether a member key is a typed wrapper's string member: DynamoDB's `S`, Firestore's
/// `stringValue` (exactly: both are wire formats, spelt one way).
#[inline]
pub(crate) fn typed_string_key(key: &str) -> bool {
    key == "S" || key == "stringValue"
}

/// CREDIT_CARD: the most digits `numbers::cvc_after_card` passes over between a card and its
/// security code's word. An expiry stands there (`4111… exp 09/27 CVV 123`, `… 2027-09-30
/// …`: eight digits at most); more digits are another number, and when it is a card the code
/// is that card's: `Cards tried: 6538760398693165, 4629 873 706 115 (CVV 164 entered)`. The
/// look from the first card used to take the code across the second card and the byte pass
/// went on after the code, so the second card was never scanned (blind34: 18 cards missed so).
/// Now the look from the first card stops, the second card is scanned and takes its code.
pub(crate) const GAP_DIGITS: usize = 8;
