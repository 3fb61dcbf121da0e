//! Three constructions of the training splits' CREDIT_CARD misses, all 13-digit Visa numbers
//! (ISO/IEC 7812 allows 13 digits; Visa's old length, prefix `4`) that main's 13-digit rule
//! (`numbers::card_context_ok`: a card word within 32 bytes before, a card key, a card
//! column) would take but never sees or has no evidence for, and one of IPV6's (rsync's
//! daemon target; `rsync_daemon_host`) (thirtieth round, task cid; docs/redaction-accuracy.md,
//! "Thirtieth round, task cid"; counted on every training split by
//! `benches/cid_r30_population.py`).
//!
//! * **The four-digit grouping with a last group of one digit** (`4681 2885 3720 5`,
//!   `4072-3361-4609-2`): the card shape (`check::shape_end`, groups of 3-6 after the first
//!   four) ends before the one-digit group, and the 12 digits left are no card. Reached where
//!   the scanner already stops, the card rule's check of a 14-byte `dddd S dddd S dddd`
//!   match (one length compare per card candidate first): the same separator and one digit
//!   follow, then no digit or word byte (`visa13_group_end`), and the 13 digits go to
//!   `numbers::check_card` as one number, which asks main's evidence. Population
//!   (`visa13-grouped`): 25 gold, 5 not (two IBANs' and three RF references' tails, `RF42 4426
//!   4382 7922 9`: no card evidence); with the evidence (`visa13-grouped-evidence`) 24 gold,
//!   0 not, all missed, two writers (blind19 10, blind29 14). Taken as a defect of the
//!   scanner's shape under an existing rule, whose construction (13 digits opening with 4,
//!   card evidence) holds gold on eleven writers' splits bare (`visa13-bare`, 130 gold).
//! * **A card object's `number` / `pan` member** (`"card": {"number": "4400503624270",
//!   "exp_month": …}`, `"card": {"pan": …}`): the member under a key of class `Card` read as
//!   under a card key itself (`json::keys::member_class_of_parent`, the fact
//!   `KeyFacts::CARD_MEMBER` from `card_number_member`). The card number is the card
//!   object's `number` in Stripe's API (`payment_method_data[card][number]`), `pan` is ISO
//!   7812's primary account number. Population (`card-member`, any length 13-19): 684 gold,
//!   0 not, nine writers; 13 digits (`card-member-13`): 14 gold, 0 not, all missed, three
//!   writers (blind18 1, blind25 1, blind29 12). Only a 13-digit value changes: a `Card` key
//!   only lets 13 digits be a card (`json`'s number path, `numbers::card_context_ok`).
//!   Stripe's `"object": "card"` sibling (`stripe-object`: 107 gold, 0 not, 5 of 13 digits
//!   missed, all blind10) is not read: a sibling's value, one writer.
//! * **An expiry date right after the number** (`manual entry: 4281942251218 04/31`, `Es
//!   la 4492 7743 2594 3, caduca 07/28`) is card evidence for 13 digits as a card word before
//!   is (`expiry_after`, asked last by `numbers::card_context_ok`): within four bytes
//!   (blanks, `,`), `MM/YY` or `MM/YYYY`, an expiry word and `:` before it or none. A card's
//!   number and its expiry are what ISO/IEC 7813's track 2 holds together. Population
//!   (`visa13-expiry`): 17 gold, 0 not, six writers (blind10 7, blind11 3, blind18 2,
//!   blind19 2, blind25 1, blind29 2); without the evidence main asks (`visa13-expiry-new`)
//!   2 gold, 0 not, both missed (blind11, blind29).

/// At a card candidate `s..e` (the card shape's match, `check::shape_end`): if it is `4ddd
/// S dddd S dddd` (S one blank or one `-`) and the same separator, one digit and no digit or
/// word byte follow (nor a `-`, `.` or `/` and a digit: a longer number), the end of the
/// 13-digit number `4ddd S dddd S dddd S d`. The caller tests `e - s == 14` first.
#[inline(never)]
pub(super) fn visa13_group_end(hay: &[u8], s: usize, e: usize) -> Option<usize> {
    let sep = hay[s + 4];
    let digit = |k: usize| hay.get(k).is_some_and(u8::is_ascii_digit);
    let ok = hay[s] == b'4'
        && matches!(sep, b' ' | b'-')
        && hay[s + 9] == sep
        && hay.get(e) == Some(&sep)
        && digit(e + 1)
        && match hay.get(e + 2) {
            None => true,
            Some(&b) if b.is_ascii_alphanumeric() || b == b'_' => false,
            Some(b'-' | b'.' | b'/') => !digit(e + 3),
            Some(_) => true,
        };
    ok.then_some(e + 2)
}

/// Whether a member key of a card object holds the card's number: `number` or `pan` (any
/// case). Asked by `json::keys::KeyFacts::of` once per distinct key.
pub(crate) fn card_number_member(key: &str) -> bool {
    key.eq_ignore_ascii_case("number") || key.eq_ignore_ascii_case("pan")
}

/// At an IPv6 run `s..e` (`check::ipv6_at`) after an `@` and glued to a word byte: rsync's
/// daemon target `USER@HOST::MODULE[/PATH]` (rsync(1), "Access via rsync daemon:
/// `[USER@]HOST::SRC`") with an address as its host (`backup@2001:db8::3c33::www/`). The
/// module's `::` is the run's last; the address is the run before it, valid by
/// `validate::ipv6_ok` (one `::` at most: an address's own `::` stays with it); after the
/// `::` the module's name (hex bytes the run took, then the word byte that ended it, then
/// word bytes, `.`, `-`) ends at `/`, a blank, a quote or the text's end. One writer's gold
/// (blind29, 8 candidates, all gold; no `ADDRESS::NAME` anywhere else in training, with or
/// without the `@`): taken as a defect of the address's boundary, as the twenty-sixth
/// round's `host:path` (`ipv6_at`'s `path_colon`) and the twenty-ninth's `Ip:` were.
///
/// Asked at the `:` at `i`; only a `:` of the address (before the module's `::`) finds it:
/// the byte pass goes on from the address's end, the module's `::`, and must not find the
/// address again from there (it would go back to it).
#[cold]
#[inline(never)]
pub(super) fn rsync_daemon_host(
    hay: &[u8],
    s: usize,
    e: usize,
    i: usize,
) -> Option<(usize, usize)> {
    let m = s + memchr::memmem::rfind(&hay[s..e], b"::")?;
    if m == s || i >= m || !hay[m + 2..e].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let name = hay[e..]
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        .count();
    let ends = hay
        .get(e + name)
        .is_none_or(|&b| b == b'/' || b.is_ascii_whitespace() || b == b'"' || b == b'\'');
    (ends && crate::redact::validate::ipv6_ok(&hay[s..m])).then_some((s, m))
}

/// Expiry words (lower case; matched in any case) that may stand between a card's number and
/// its expiry date.
const EXPIRY_WORDS: [&[u8]; 10] = [
    b"expiration",
    b"expires",
    b"expiry",
    b"exp",
    b"scadenza",
    b"caduca",
    b"vence",
    b"valid",
    b"g\xc3\xbcltig",
    b"geldig",
];

/// Whether an expiry date follows the card number ending at `e`: one to four blanks or `,`,
/// an expiry word (`EXPIRY_WORDS`, any case, no letter after it), blanks and one `:` and
/// blanks, or none, then `MM/YY` or `MM/YYYY` (month 01-12; a year `20YY`), no digit or `/`
/// after.
#[cold]
#[inline(never)]
pub(super) fn expiry_after(hay: &[u8], e: usize) -> bool {
    let gap = hay[e..]
        .iter()
        .take(5)
        .take_while(|&&b| matches!(b, b' ' | b'\t' | b','))
        .count();
    if !(1..=4).contains(&gap) {
        return false;
    }
    let mut i = e + gap;
    if let Some(w) = EXPIRY_WORDS.iter().find(|w| {
        hay.get(i..i + w.len())
            .is_some_and(|x| x.eq_ignore_ascii_case(w))
            && !hay.get(i + w.len()).is_some_and(u8::is_ascii_alphabetic)
    }) {
        i += w.len();
        let blanks = |mut k: usize| {
            while matches!(hay.get(k), Some(b' ' | b'\t')) {
                k += 1;
            }
            k
        };
        i = blanks(i);
        if hay.get(i) == Some(&b':') {
            i = blanks(i + 1);
        }
    }
    let digit = |k: usize| hay.get(k).is_some_and(u8::is_ascii_digit);
    let month = matches!(
        (hay.get(i), hay.get(i + 1)),
        (Some(b'0'), Some(b'1'..=b'9')) | (Some(b'1'), Some(b'0'..=b'2'))
    );
    if !month || hay.get(i + 2) != Some(&b'/') || !digit(i + 3) || !digit(i + 4) {
        return false;
    }
    let year_end = if hay[i + 3..].starts_with(b"20") && digit(i + 5) && digit(i + 6) {
        i + 7
    } else {
        i + 5
    };
    !hay.get(year_end)
        .is_some_and(|&b| b.is_ascii_digit() || b == b'/')
}
