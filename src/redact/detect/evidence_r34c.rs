//! Addresses in tcpdump's output (thirty-fourth round, task cmd; docs/redaction-accuracy.md,
//! "Thirty-fourth round, task cmd"; counted on every training split by
//! `benches/cmd_r34_population.py`).
//!
//! tcpdump prints a TCP or UDP packet as `TIME IP SRC.SPORT > DST.DPORT: …` and an IPv6 one
//! as `TIME IP6 SRC.SPORT > DST.DPORT: …` (tcpdump(8), "Output Format": with `-n` the
//! addresses are numeric, "the port is appended to the address after a `.`"). The address
//! is then followed by `.` and a decimal port, which is how a version or an OID goes on
//! (`1.3.6.1.4.1`, `10.0.19045.3693`): the IPv4 rule rejects a dotted quad a fifth dotted
//! number follows, and an IPv6 run ending in `.443` is no address either. blind33 (the
//! thirty-third round's honest split): 40 IPv4 and 32 IPv6 addresses of this shape, all gold,
//! all missed; no other training split holds tcpdump's shape, and none of the 1,636 dotted
//! quads with a fifth number elsewhere (French phones `06.12.37.66.60`, versions, OIDs,
//! serials: 671 gold of another entity, 965 none) is in it.
//!
//! Taken on the standard clause (tcpdump's documented output format) and only with tcpdump's
//! own evidence: the word `IP` (IPv4) or `IP6` (IPv6) right before the source, ` > ` between
//! the source's port and the destination, `:` right after the destination's port.
//!   * the source: `IP `/`IP6 ` before it, `.PORT > ` and a word ended by `:` after it;
//!   * the destination: ` > ` before it, `.PORT:` after it, and before the ` > ` a source
//!     ending in `.PORT` with `IP `/`IP6 ` before it.
//!
//! Both are tested only where the rules already stopped and were about to reject: the IPv4
//! rule at its `followed_by_digit_after(…, b".")` test, the IPv6 rule (`check::ipv6_at`)
//! after an address failed whole, at a run ending in a digit (cheap tests on the bytes right
//! before the run first: times like `12:30:45.123` come there by the thousand).

use super::bytes::digit_run;
use crate::redact::validate as v;

/// The most bytes a tcpdump address token (an address and its port) is looked through.
const TOKEN_MAX: usize = 64;

/// Whether `IP ` (`v6`: `IP6 `) ends right at `s`, the word standing alone.
fn ip_word_before(hay: &[u8], s: usize, v6: bool) -> bool {
    let w: &[u8] = if v6 { b"IP6 " } else { b"IP " };
    s >= w.len() && &hay[s - w.len()..s] == w && (s == w.len() || !v::is_word(hay[s - w.len() - 1]))
}

/// The end of a `.PORT` (1 to 5 digits) at `e`, if there is one.
fn port_end(hay: &[u8], e: usize) -> Option<usize> {
    if hay.get(e) != Some(&b'.') {
        return None;
    }
    let r = digit_run(hay, e + 1);
    (1..=5).contains(&r).then_some(e + 1 + r)
}

/// Whether the address at `s..e`, followed by `.PORT`, stands in tcpdump's line
/// `IP[6] SRC.SPORT > DST.DPORT:` as its source or its destination.
pub(super) fn tcpdump_address(hay: &[u8], s: usize, e: usize, v6: bool) -> bool {
    let Some(pe) = port_end(hay, e) else {
        return false;
    };
    // The source: `IP ` before, ` > ` after the port, then the destination ended by `:`.
    if ip_word_before(hay, s, v6) {
        if hay.get(pe..pe + 3) != Some(b" > ") {
            return false;
        }
        let d = pe + 3;
        let end = (d + TOKEN_MAX).min(hay.len());
        let len = hay[d..end]
            .iter()
            .take_while(|b| !b.is_ascii_whitespace())
            .count();
        return len > 1 && hay[d + len - 1] == b':';
    }
    // The destination: ` > ` before, `:` after the port, a source with its port and `IP `
    // before the ` > `.
    if hay.get(pe) != Some(&b':') || s < 4 || &hay[s - 3..s] != b" > " {
        return false;
    }
    let te = s - 3;
    let from = te.saturating_sub(TOKEN_MAX);
    let len = hay[from..te]
        .iter()
        .rev()
        .take_while(|b| !b.is_ascii_whitespace())
        .count();
    let ts = te - len;
    // The source token ends in `.PORT`.
    let digits = hay[ts..te]
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_digit())
        .count();
    len > digits + 1
        && (1..=5).contains(&digits)
        && hay[te - digits - 1] == b'.'
        && ip_word_before(hay, ts, v6)
}

/// At an IPv6 run `s..e` (`check::ipv6_at`) that failed whole and ends in a digit: the end
/// of the address when the run is an address, `.` and a port, in tcpdump's `IP6` line.
pub(super) fn tcpdump_ipv6(hay: &[u8], s: usize, e: usize) -> Option<usize> {
    // Cheap first: `IP6 ` or ` > ` right before the run.
    if s < 4 || hay[s - 1] != b' ' || !(&hay[s - 4..s - 1] == b"IP6" || &hay[s - 3..s - 1] == b" >")
    {
        return None;
    }
    let d = s + hay[s..e].iter().rposition(|&b| b == b'.')?;
    let addr = &hay[s..d];
    (!addr.contains(&b'.')
        && port_end(hay, d) == Some(e)
        && v::ipv6_ok(addr)
        && tcpdump_address(hay, s, d, true))
    .then_some(d)
}
