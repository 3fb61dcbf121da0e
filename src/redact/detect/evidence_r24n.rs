//! Evidence of the twenty-fourth round, task num (issue #20): a vendor key glued to the
//! name of the variable it is assigned to (`export GH_TOKENghu_…`, `- S3_ACCESS_KEYASIA…`),
//! and an IPv6 address that ends in `::` written with a port and no brackets
//! (`@2a03:2880:fd0e:8bd9:0:8738:::5432/db`). Counted on every candidate of the training
//! splits before it was written (`benches/pii_r24n_population.py`,
//! docs/redaction-accuracy.md, "Twenty-fourth round, task num").

use super::super::validate as v;

/// The longest variable name read before a glued key (a name longer than this is text of
/// another kind: a base64 blob's run).
const ENV_NAME_MAX: usize = 64;

/// Whether the vendor key starting at `s` (its prefix matched, its length and alphabet
/// checked by its rule, no word byte after it) is glued to an environment variable's name in
/// capitals right before it: the run of word bytes before `s` is a capital, capitals, digits
/// and `_` with at least one `_`, and a capital last (`GH_TOKEN`, `AWS_ACCESS_KEY_ID`,
/// `SERVICE_JWT`), of at most `ENV_NAME_MAX` bytes, with no word byte before it. The key's
/// prefix and shape are the evidence (a key glued to anything is still a key); the name's
/// shape is what keeps out the prefixes that random base64, hashes and signatures hold by
/// chance (`…Zsk-FPX9…` inside a token, `…XgHo_…` inside another key's body): their runs
/// are mixed-case or far longer.
pub(super) fn env_name_before(hay: &[u8], s: usize) -> bool {
    if s == 0 || !hay[s - 1].is_ascii_uppercase() {
        return false;
    }
    let mut j = s;
    let mut underscore = false;
    while j > 0 && v::is_word(hay[j - 1]) {
        let b = hay[j - 1];
        if s - j >= ENV_NAME_MAX || b.is_ascii_lowercase() {
            return false;
        }
        underscore |= b == b'_';
        j -= 1;
    }
    underscore && hay[j].is_ascii_uppercase()
}

/// The address of an IPv6 candidate `hay[s..e]` (an address-byte run around a `:`) that is
/// an address ending in `::` and then `:` and a port of one to five digits, with no brackets
/// (`2a03:2880:fd0e:8bd9:0:8738:::5432`, a database URL's host a writer wrote without them):
/// no address holds `:::`, so the address ends at its `::` and the digits are a port. The
/// address must pass the IPv6 check on its own. `None` for any other run.
pub(super) fn ipv6_colons_port(hay: &[u8], s: usize, e: usize) -> Option<usize> {
    let run = &hay[s..e];
    let at = memchr::memmem::find(run, b":::")?;
    let port = &run[at + 3..];
    let addr = &run[..at + 2];
    (!port.is_empty() && port.len() <= 5 && port.iter().all(u8::is_ascii_digit) && v::ipv6_ok(addr))
        .then_some(s + at + 2)
}
