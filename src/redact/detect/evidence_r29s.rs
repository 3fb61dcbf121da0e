//! Two constructions of blind28's US_SSN and IPV6 misses (twenty-ninth round, task ssn;
//! docs/redaction-accuracy.md, "Twenty-ninth round, task ssn"; counted on every training
//! split by `benches/ssn_r29_population.py`).
//!
//! * A name/value pair whose name names the SSN (`{"name": "ssn", "value": "…"}`, read as
//!   under a tax id's key since the twenty-fourth round: `json::keys::pair_class`), with two
//!   more name keys: FHIR's identifier `system` when it is
//!   `http://hl7.org/fhir/sid/us-ssn` (the identifier system HL7 FHIR publishes for the US
//!   Social Security Number: what the `value` beside it holds is defined; 106 such values in
//!   seven writers' splits, every one gold US_SSN; ten of blind28's are nine bare digits, all
//!   missed), and DocuSign's `tabLabel` (the tab's name in the eSignature API; already a
//!   label key of the birth-date labels, `json::labels`): 28 values under a `tabLabel`
//!   naming the SSN, one writer's (blind24), every one gold, three bare and missed. A
//!   `system` key's name is read only when it is that URI (`json::keys::pair_name_kind`):
//!   FHIR's other systems (`phone`, `email`, `urn:oid:…`) name nothing here.
//! * An IPv6 address glued to a key's `:` (`Ip:2a00:23c5::1`, `addr:fe80::1`): the byte
//!   pass stops at every `:` between hex digits, but the address's `:`s all have the key's
//!   word before them (an address glued to a word is none) and the key's own `:` has a
//!   letter before it, so none was tried. Tried now at the key's `:` when the byte before it
//!   is a letter that is no hex digit or `_` (the words `Ip`, `addr`, `host`; a key ending in
//!   a hex digit, `ipv6:`, `src:`, is not tried: its last bytes could be the address's
//!   first group) and a first group of one to four hex digits and its `:` follow: the
//!   address is the run of address bytes after the key's `:`, valid by `v::ipv6_ok` and
//!   ended by no word byte and no `:`. The `:` of an IPv4 address needs nothing: a digit
//!   after `:` already starts a number. 27 candidates on the training splits, all blind28's,
//!   all gold; no look-alike (a time `at:12:30:45`, a MAC `mac:00:1a:…`, a path `::`) is
//!   an address.
//!
//! Not taken (counts in the docs): HL7 v2 PID-18 (blind28's writer put the SSN in the
//! Patient Account Number field; two other writers' nine-digit PID-18 values, 45, are no
//! SSN), X12 `NM1*IL` with `MI` (Member Identification Number: no SSN by X12 5010, which
//! moved the subscriber's SSN to `REF*SY`; one writer), a text table's `TIN` column (one
//! writer), Workday's `National_ID_Type` / `ID` (one writer, one miss).

use super::super::validate as v;
use super::bytes::is_ipv6_byte;

/// Whether a JSON member key is a pair's name key of this round (`json::keys::pair_role`):
/// FHIR's identifier `system` (its names read only when they are the SSN's system,
/// `json::keys::pair_name_kind`) and DocuSign's `tabLabel` (any case).
#[inline]
pub(crate) fn names_pair(key: &str) -> bool {
    key.eq_ignore_ascii_case("system") || key.eq_ignore_ascii_case("tablabel")
}

/// Whether a pair's name is FHIR's identifier system for the US Social Security Number,
/// `http://hl7.org/fhir/sid/us-ssn` (`https` too).
#[inline]
pub(crate) fn fhir_ssn_system(name: &str) -> bool {
    name.strip_suffix("hl7.org/fhir/sid/us-ssn")
        .is_some_and(|head| head == "http://" || head == "https://")
}

/// At the `:` at `i` with a letter that is no hex digit (or `_`) before it (the byte pass):
/// the IPv6 address glued after it (`Ip:2001:db8::1`), if one is.
#[inline(never)]
pub(super) fn glued_ipv6(hay: &[u8], i: usize) -> Option<(usize, usize)> {
    let s = i + 1;
    // The first group and its `:` (the cheap look: `Port:8080`, `sha:abc…` end here).
    let g = hay[s..]
        .iter()
        .take(5)
        .take_while(|b| b.is_ascii_hexdigit())
        .count();
    if g == 0 || g > 4 || hay.get(s + g) != Some(&b':') {
        return None;
    }
    let mut e = s + g;
    while e < hay.len() && e - s < 45 && is_ipv6_byte(hay[e]) {
        e += 1;
    }
    while hay[e - 1] == b'.' {
        e -= 1;
    }
    if hay.get(e).is_some_and(|&b| v::is_word(b) || b == b':') {
        return None;
    }
    v::ipv6_ok(&hay[s..e]).then_some((s, e))
}

/// Whether the byte before a `:` may end a key an IPv6 address is glued to (`glued_ipv6`):
/// a letter that is no hex digit, or `_`.
#[inline(always)]
pub(super) fn glued_key_byte(b: u8) -> bool {
    (b.is_ascii_alphabetic() && !b.is_ascii_hexdigit()) || b == b'_'
}
