//! A `user / password` pair right after a `:` or `=` (`Notfallkonto: breakglass / X`,
//! `Zugang zum Router: admin / X`, `creds = app / X`), judged by the value's shape
//! (twenty-seventh round, task pair; docs/redaction-accuracy.md, "Twenty-seventh round, task
//! pair"; counted on every training split by `benches/pair_r27_population.py`).
//!
//! The pair has no fixed bytes but ` / `, and a pass of its own over all text cost +1.6–1.8 %
//! on clean input (twenty-sixth round). This one is reached where the scanner already
//! stops: the `key=value` pass visits every `:` and `=` (`bytes::key_value_anchor`), and
//! where one is followed by a blank and a small letter, `pair_after` reads on: a user name's
//! shape (small letters, digits, `._-`, a letter first, 2 to 24 bytes), ` / `, a value. The
//! `:`'s key needs no word of any vocabulary (the pairs after a user word, `login: admin /
//! X`, are `check::check_pair`'s, and the colon pass's candidate there wins). The value is a
//! PASSWORD when the twenty-fifth round's test says so (`evidence_r26p::flag_value_password`:
//! no look-alike, no vendor's key, no regular expression, a shape score of at least 3) and
//! it opens with no vendor's id (`ch_…`, `txn_…`).

use super::check::Outcome;
use super::evidence_r26p::flag_value_password;
use super::{Entity, Hit};

/// The longest user name the pair takes (bytes), and the longest value.
const USER_MAX: usize = 24;
const VALUE_MAX: usize = 65;

/// Whether the `:` or `=` at `q` (its next byte a blank, the one after a small letter:
/// `bytes::key_value_anchor` tests both inline) opens a `user / value` pair.
#[inline(never)]
pub(super) fn pair_after(hay: &[u8], q: usize) -> bool {
    pair_value(hay, q).is_some()
}

/// The value's span of the pair after the `:` or `=` at `q`, if one is there: blanks, a
/// user name's shape, ` / `, and a quoted string (one line) or a token up to a blank or one
/// of `"'`<>|;,)]}` (a final `.` trimmed).
fn pair_value(hay: &[u8], q: usize) -> Option<(usize, usize)> {
    let mut i = q + 1;
    while matches!(hay.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if i == q + 1 || !hay.get(i).is_some_and(u8::is_ascii_lowercase) {
        return None;
    }
    let user = hay[i..]
        .iter()
        .take(USER_MAX + 1)
        .take_while(|&&b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
        .count();
    if !(2..=USER_MAX).contains(&user) || hay.get(i + user..i + user + 3) != Some(b" / ") {
        return None;
    }
    let vs = i + user + 3;
    match *hay.get(vs)? {
        q @ (b'"' | b'\'') => {
            let end = hay[vs + 1..]
                .iter()
                .take(VALUE_MAX)
                .position(|&b| b == q || b == b'\n')?;
            (end > 0 && hay[vs + 1 + end] == q).then_some((vs + 1, vs + 1 + end))
        }
        b if b.is_ascii_whitespace() => None,
        _ => {
            let mut ve = vs
                + hay[vs..]
                    .iter()
                    .take(VALUE_MAX)
                    .take_while(|&&b| {
                        !b.is_ascii_whitespace()
                            && !matches!(
                                b,
                                b'"' | b'\''
                                    | b'`'
                                    | b'<'
                                    | b'>'
                                    | b'|'
                                    | b';'
                                    | b','
                                    | b')'
                                    | b']'
                                    | b'}'
                            )
                    })
                    .count();
            if ve > vs && hay[ve - 1] == b'.' {
                ve -= 1;
            }
            (ve > vs).then_some((vs, ve))
        }
    }
}

/// A vendor's id (`ch_…`, `txn_…`, `pi_…`): two to four small letters and `_`.
fn vendor_id(v: &[u8]) -> bool {
    let n = v
        .iter()
        .take(5)
        .take_while(|b| b.is_ascii_lowercase())
        .count();
    (2..=4).contains(&n) && v.get(n) == Some(&b'_')
}

/// The outcome at a pair's `:` or `=` at `s` (`check::check_prose_password`): a PASSWORD
/// for the value shaped as one, else none.
pub(super) fn pair_password(hay: &[u8], s: usize) -> Outcome {
    match pair_value(hay, s) {
        Some((vs, ve)) if !vendor_id(&hay[vs..ve]) && flag_value_password(&hay[vs..ve]) => {
            Outcome::Hit(Hit::new(Entity::Password, vs, ve))
        }
        _ => Outcome::Reject,
    }
}
