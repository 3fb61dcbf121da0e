//! A tool's `-P` flag and its argument, judged by the value's shape (twenty-sixth round, task
//! pw; docs/redaction-accuracy.md, "Twenty-sixth round, task pw"; counted on every training
//! split by `benches/password_r26_population.py`).
//!
//! The capital `-P` takes the password in the database and management tools that give the
//! user with `-U` (`sqlcmd -U sa -P …`, `bcp … -U export -P …`, `ipmitool -U root -P …`,
//! `mysql -P` is the port). The scanner stops at ` -P ` (`mod.rs`'s `PROSE_LITERALS`, in the
//! prose searcher's bucket of ` -p'`: no fingerprint byte there but the capital) and
//! `check::check_cli_flag` reads the argument; where it has no rule of its own (no `sshpass`
//! before, no `-u USER`), the argument is a password when last round's value test says so:
//! no look-alike (`evidence_r25p::look_alike`: a port, a path, a template, a word, an
//! identifier, a version, a redaction mark, …), no other flag (`-P -c`), no regular
//! expression's class (`grep -P '^[A-Z]+$'`), no vendor's prefix,
//! and a score (`evidence_r25p::shape_score`: character classes, length, entropy) of at least
//! `THRESHOLD`. Leave-one-writer-out over the last eight blind splits chose 3 on every
//! held-out writer (docs).

use super::check::{starts_with_known_secret, Outcome};
use super::evidence_r25p::{look_alike, shape_score};
use super::{Entity, Hit};

/// The score a value needs (leave-one-writer-out: 3 on each held-out writer).
const THRESHOLD: u32 = 3;

/// A regular expression's character class with a quantifier (`grep -P '^[A-Z]+$'`,
/// `[0-9]{4}`): none of the training splits' 29,953 gold passwords holds one.
fn regex_class(v: &[u8]) -> bool {
    v.windows(2)
        .any(|w| w[0] == b']' && matches!(w[1], b'+' | b'*' | b'?' | b'{'))
}

/// Whether `v`, a `-P` flag's argument, is shaped as a password.
pub(crate) fn flag_value_password(v: &[u8]) -> bool {
    v.first().is_some_and(|&b| b != b'-')
        && !regex_class(v)
        && !look_alike(v)
        && !starts_with_known_secret(v)
        && shape_score(v) >= THRESHOLD
}

/// The outcome at the argument `hay[vs..ve]` of the flag at `s` (`check::check_cli_flag`,
/// where its own rules took no `-p`): a PASSWORD for the capital `-P`'s argument shaped as
/// one, else none.
pub(super) fn capital_p_argument(hay: &[u8], s: usize, vs: usize, ve: usize) -> Outcome {
    if hay.get(s + 1) == Some(&b'P') && flag_value_password(&hay[vs..ve]) {
        Outcome::Hit(Hit::new(Entity::Password, vs, ve))
    } else {
        Outcome::Reject
    }
}
