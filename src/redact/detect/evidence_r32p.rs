//! Constructions of blind31's PASSWORD misses (the thirty-first round's honest split, the
//! thirty-second round's new training writer), each defined by a tool's documentation and
//! reached where the scanner already stops (thirty-second round, task pw;
//! docs/redaction-accuracy.md, "Thirty-second round, task pw"; counted on every training
//! split by `benches/pw_r32_population.py`). Three literals were added, each pinned in the
//! prose searcher's bucket plan (`buckets`): ` -U ` (Samba), `masterauth` and `add_user `.
//!
//! * Infisical's secrets API: a secret is `{"secretKey": "DB_PASSWORD", "secretValue": "…",
//!   "type": "personal", …}` (Infisical's API reference, "List secrets"). `secretKey` names the
//!   pair and `secretValue` is its value (`json::keys::pair_role`), as CloudFormation's
//!   `ParameterKey` / `ParameterValue`. blind31: 55 such pairs named `DB_PASSWORD`, all gold
//!   PASSWORD (42 missed: 31 typed GENERIC_SECRET by the value's shape, 11 not found), and 218
//!   named for a vendor's token, gold that vendor's type. No other training split holds the
//!   pair (n8n's `"data": {"secretKey": "sk_live_…"}` has no value member and is no pair).
//! * The Linux audit system's `EXECVE` record (`type=EXECVE msg=audit(…): argc=5 a0="mysql"
//!   a1="-u" a2="root" a3="-pVALUE"`): each argument quoted in its own `aN` field. MySQL's
//!   client reads `-pVALUE` (glued) or `--password=VALUE` as the password (MySQL's
//!   reference, "Command Options for Connecting to the Server"); a bare `-p` prompts and the
//!   next argument is the database. Reached at the client's name, the prose searcher's
//!   literal `mysql` (`evidence_r28p::client_password`), when a quote closes it right after.
//!   blind31: 16, all gold, all missed.
//! * A value opened by an escaped quote right after `=` (`DbPassword=\"X\"`): AWS SAM CLI's
//!   `samconfig.toml` writes `parameter_overrides = "Stage=\"prod\" DbPassword=\"…\""` (the
//!   SAM CLI configuration file reference: a TOML string of `Key=\"Value\"` pairs). The
//!   key/value pattern takes no `\`; reached at the password keyword the prose searcher
//!   already stops at (`check::check_prose_password`), when `=\` follows it. blind31: 13, all gold, all missed;
//!   blind12's 10 places of the form (`password=\"<must-be-changed>\"` in a JSON string) are
//!   placeholders and stay unfound.
//!
//! * Samba's `-U [DOMAIN\\]USERNAME[%PASSWORD]` (the `smbclient`/`rpcclient` manual pages,
//!   "Common Samba options": "-U|--user=[DOMAIN\\]USERNAME[%PASSWORD] … the password may
//!   be given after a `%`"): the part after the first `%` of the argument of a capital `-U`.
//!   Reached at the `-` as ` -u ` is (`check::check_cli_flag`); in long texts the prose
//!   searcher's new literal ` -U ` (in ` -u `'s bucket). blind26 18 and blind31 8, all gold,
//!   all missed.
//!
//! * Redis' `masterauth <master-password>` (`redis.conf`; blind20 26, blind29 16, all gold, 27
//!   missed) and `rabbitmqctl add_user <username> <password>` (RabbitMQ's `rabbitmqctl`
//!   manual; blind24 19, blind26 25, all gold, 34 missed): two writers each and the standard
//!   clause, at the second tier's literals `masterauth` (a `check::PASSWORD_SETTINGS` entry)
//!   and `add_user ` (after `rabbitmqctl ` only; `rabbitmq_add_user`).
//!
//! Each value is judged by the keyword's own test (`check::password_like`).

use super::check::{password_like, Outcome};
use super::{Entity, Hit};

/// Whether a JSON member key names a name/value pair as Infisical's `secretKey` does
/// (`json::keys::pair_role`, called for 9-byte keys only).
#[inline]
pub(crate) fn pair_name_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("secretkey")
}

/// Whether a JSON member key is Infisical's `secretValue` (`json::keys::pair_role`, called
/// for 11-byte keys only).
#[inline]
pub(crate) fn pair_value_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("secretvalue")
}

/// How far along its line an `EXECVE` record's arguments are read after the client's name.
const RECORD_MAX: usize = 400;
/// The longest argument read (bytes).
const ARG_MAX: usize = 80;

/// Whether the client's name ending at `e` (`mysql`) is an `EXECVE` record's argument: `aN="`
/// (a path before the name allowed: `a0="/usr/bin/mysql"`) and a quote right after it.
fn execve_argument(hay: &[u8], e: usize) -> bool {
    if hay.get(e) != Some(&b'"') || e < 5 {
        return false;
    }
    let mut b = e - 5;
    let path = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'.' | b'_' | b'-');
    while b > 0 && e - b < 64 && path(hay[b - 1]) {
        b -= 1;
    }
    // `b` is where the argument's text starts: `="` before it, then `aN` and a blank.
    if b < 5 || hay[b - 1] != b'"' || hay[b - 2] != b'=' {
        return false;
    }
    let mut k = b - 2;
    let digits_end = k;
    while k > 0 && hay[k - 1].is_ascii_digit() {
        k -= 1;
    }
    k < digits_end && k >= 2 && hay[k - 1] == b'a' && matches!(hay[k - 2], b' ' | b'\t')
}

/// After a client's name ending at `e` (`mysql`, the prose searcher's literal): in an audit
/// `EXECVE` record, the first argument on its line that is `-pVALUE` or `--password=VALUE`,
/// the value a PASSWORD when it reads as one. `None` when the name is no record's argument.
pub(super) fn execve_client_password(hay: &[u8], e: usize) -> Option<Outcome> {
    if !execve_argument(hay, e) {
        return None;
    }
    let end = hay[e..]
        .iter()
        .take(RECORD_MAX)
        .position(|&b| b == b'\n')
        .map_or((e + RECORD_MAX).min(hay.len()), |n| e + n);
    let mut i = e + 1;
    // Each ` aN="ARG"` in turn.
    while let Some(d) = memchr::memchr(b'"', &hay[i..end]) {
        let open = i + d;
        i = open + 1;
        if open < 2 || hay[open - 1] != b'=' || !hay[open - 2].is_ascii_digit() {
            continue;
        }
        let Some(len) = hay[open + 1..end].iter().position(|&b| b == b'"') else {
            return Some(Outcome::Reject);
        };
        let (as_, ae) = (open + 1, open + 1 + len);
        i = ae + 1;
        if len > ARG_MAX {
            continue;
        }
        let arg = &hay[as_..ae];
        let vs = if arg.len() > 2 && arg.starts_with(b"-p") && arg[2] != b'-' {
            as_ + 2
        } else if arg.len() > 11 && arg.starts_with(b"--password=") {
            as_ + 11
        } else {
            continue;
        };
        return Some(if password_like(&hay[vs..ae]) {
            Outcome::Hit(Hit::new(Entity::Password, vs, ae))
        } else {
            Outcome::Reject
        });
    }
    Some(Outcome::Reject)
}

/// After a password keyword ending at the `=` at `vs - 1`: the value between escaped quotes
/// (`escaped_quoted_value`), a PASSWORD when it reads as one. `None` when no such value.
pub(super) fn escaped_quoted_password(hay: &[u8], vs: usize) -> Option<Outcome> {
    let (a, b) = escaped_quoted_value(hay, vs)?;
    Some(if password_like(&hay[a..b]) {
        Outcome::Hit(Hit::new(Entity::Password, a, b))
    } else {
        Outcome::Reject
    })
}

/// A key/value pair's value opened by an escaped quote right after the `=` at `vs - 1`
/// (`DbPassword=\"X\"`, SAM CLI's `parameter_overrides`): (start, end) of the text between
/// the escaped quotes, on one line, up to 128 bytes; `None` otherwise.
pub(super) fn escaped_quoted_value(hay: &[u8], vs: usize) -> Option<(usize, usize)> {
    if vs == 0
        || hay[vs - 1] != b'='
        || hay.get(vs) != Some(&b'\\')
        || hay.get(vs + 1) != Some(&b'"')
    {
        return None;
    }
    let s = vs + 2;
    let limit = (s + 128).min(hay.len());
    let k = hay
        .get(s..limit)?
        .iter()
        .position(|&b| matches!(b, b'\\' | b'"' | b'\n'))?;
    (k > 0 && hay[s + k] == b'\\' && hay.get(s + k + 1) == Some(&b'"')).then_some((s, s + k))
}

/// Where the password starts in a Samba `-U` argument `arg` (`CORP\\ana%PASSWORD`,
/// `ana%PASSWORD`): after the first `%`, a user's name (no blank, no `:`) before it. `None`
/// when no `%` or nothing after it.
pub(super) fn samba_user_password(arg: &[u8]) -> Option<usize> {
    let k = arg.iter().position(|&b| b == b'%')?;
    let user = &arg[..k];
    (k > 0 && k + 1 < arg.len() && !user.iter().any(|&b| b.is_ascii_whitespace() || b == b':'))
        .then_some(k + 1)
}

/// After `rabbitmqctl add_user` ending at `e` (`rabbitmqctl add_user <username> <password>`,
/// RabbitMQ's `rabbitmqctl` manual): the second argument, quoted or not, a PASSWORD when it
/// reads as one.
pub(super) fn rabbitmq_add_user(hay: &[u8], e: usize) -> Outcome {
    let limit = (e + 160).min(hay.len());
    let blanks = |mut i: usize| {
        while i < limit && matches!(hay[i], b' ' | b'\t') {
            i += 1;
        }
        i
    };
    let arg = |i: usize| -> Option<(usize, usize, usize)> {
        let q = *hay.get(i)?;
        if matches!(q, b'\'' | b'"') {
            let len = hay
                .get(i + 1..limit)?
                .iter()
                .position(|&b| b == q || b == b'\n')?;
            (hay[i + 1 + len] == q && len > 0).then_some((i + 1, i + 1 + len, i + 2 + len))
        } else {
            let len = hay[i..limit]
                .iter()
                .take_while(|b| !b.is_ascii_whitespace())
                .count();
            (len > 0).then_some((i, i + len, i + len))
        }
    };
    let i = blanks(e);
    let Some((_, _, next)) = arg(i).filter(|_| i > e) else {
        return Outcome::Reject;
    };
    let j = blanks(next);
    match arg(j).filter(|_| j > next) {
        Some((vs, ve, _)) if password_like(&hay[vs..ve]) => {
            Outcome::Hit(Hit::new(Entity::Password, vs, ve))
        }
        _ => Outcome::Reject,
    }
}
