//! Documented configuration syntaxes of PASSWORD misses, reached where the scanner already
//! stops (thirtieth round, task pw; docs/redaction-accuracy.md, "Thirtieth round, task pw";
//! counted on every training split by `benches/pw_r30_population.py`).
//!
//! * A Go MySQL driver DSN's `user:PASSWORD@tcp(host:port)/db` (go-sql-driver/mysql's
//!   documented DSN, `[username[:password]@][protocol[(address)]]/dbname`; the protocol
//!   `tcp`, `tcp6` or `unix`): one token after a blank, a quote, `=`, `(`, `[` or the text's
//!   start, a user name's shape, the first `:`, the value, `@` and the protocol's name with
//!   its `(`. Reached at the `@` the byte pass already stops at (`Detector::at_sign`), after
//!   the URL's userinfo (`mysql://ci:X@tcp(…)`, found before) and the e-mail address have
//!   had it: no literal. Three writers' gold (blind23 in a URL, blind26's Telegraf
//!   `servers = ["telegraf:X@tcp(…)/"]`, blind29's `dsn = "report:X@tcp(…)/…"`): 52 taken
//!   candidates, all gold PASSWORDs, 29 of them missed.
//! * HAProxy's `stats auth <user>:<passwd>` (HAProxy's configuration manual: "Enable
//!   statistics with authentication and grant access to an account"): reached at the `:`
//!   the colon pass already stops at (`bytes::prose_colon_start`), the user a token after
//!   `stats auth` and blanks, the value glued after the `:`. Two writers' gold (blind24,
//!   blind26: 40 taken, all gold, 30 missed), taken under the standard clause.
//! * strongSwan's `ipsec.secrets` `[selectors] : EAP "password"` (and `: XAUTH "password"`;
//!   strongSwan's `ipsec.secrets` manual: "EAP defines EAP credentials", "XAUTH defines
//!   XAUTH credentials", a quoted string the secret): reached at the `:` the colon pass
//!   stops at, a blank before it. Two writers' gold (blind23, blind25: 29 taken, all gold,
//!   22 missed), taken under the standard clause.
//! * A Redis ACL rule's `>PASSWORD` (`user worker on >X ~jobs:* +@all` in an ACL file or
//!   `redis.conf`, `ACL SETUSER worker on >X`; Redis's ACL documentation: "`>`<password>: Add
//!   this password to the list of valid passwords for the user"): reached at the `>` the byte
//!   pass already stops at (`redis_acl_password`). One writer's gold (blind20: 26 taken, all
//!   gold, 20 missed), taken under the standard clause.
//! * `use PASSWORD as the password` (`use_as_password`), at the keyword the prose searcher
//!   already stops at: three writers' gold (blind4, blind23, blind26: 10 taken, all gold, 7
//!   missed).
//!
//! Not taken: Redis's `masterauth` (two writers, 42 taken candidates all gold, 27 missed)
//! needs a literal of its own; planned into the bucket of `requirepass` it cost +1.2 % of
//! the clean text's instructions (callgrind; docs/redaction-accuracy.md).
//!
//! The value is a PASSWORD when the twenty-fifth round's test says so
//! (`evidence_r26p::flag_value_password`). No vocabulary was extended, no literal added.

use super::check::Outcome;
use super::evidence_r26p::flag_value_password;
use super::evidence_r28p::value_at;
use super::{Entity, Hit};

/// The longest user name and value taken (bytes).
const USER_MAX: usize = 32;
const VALUE_MAX: usize = 64;

/// A byte of a user name (a DSN's, HAProxy's `stats auth` one).
fn user_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// A byte that ends a DSN's token going back from its `@`: a blank, a quote, one of
/// ``=([`/@``, a control byte.
fn opens_dsn(b: u8) -> bool {
    b <= b' ' || matches!(b, b'"' | b'\'' | b'`' | b'=' | b'(' | b'[' | b'/' | b'@')
}

/// At the `@` at `at` (the byte pass; no URL's userinfo and no e-mail address there): the
/// password of a Go MySQL driver DSN `user:password@tcp(…)`, if the token around the `@` is
/// one.
#[inline]
pub(super) fn go_dsn_password(hay: &[u8], at: usize) -> Option<Hit> {
    // The cheapest test first: the protocol's first byte.
    if !matches!(hay.get(at + 1), Some(b't' | b'u')) {
        return None;
    }
    go_dsn_at(hay, at)
}

#[cold]
#[inline(never)]
fn go_dsn_at(hay: &[u8], at: usize) -> Option<Hit> {
    let rest = &hay[at + 1..];
    if !(rest.starts_with(b"tcp(") || rest.starts_with(b"tcp6(") || rest.starts_with(b"unix(")) {
        return None;
    }
    // The token: back from the `@` to its opener.
    let from = at.saturating_sub(USER_MAX + VALUE_MAX + 2);
    let mut ts = at;
    while ts > from && !opens_dsn(hay[ts - 1]) {
        ts -= 1;
    }
    if ts == from && ts > 0 && !opens_dsn(hay[ts - 1]) {
        return None;
    }
    // A `/` before it is a path's or a URL's (`mysql://`, found as the URL's userinfo).
    if ts > 0 && hay[ts - 1] == b'/' {
        return None;
    }
    // The user: to the first `:`, a user name's shape, a letter or digit first.
    let colon = ts + memchr::memchr(b':', &hay[ts..at])?;
    let user = &hay[ts..colon];
    if user.is_empty()
        || user.len() > USER_MAX
        || !user[0].is_ascii_alphanumeric()
        || !user.iter().all(|&b| user_byte(b))
    {
        return None;
    }
    let (vs, ve) = (colon + 1, at);
    (ve > vs && ve - vs <= VALUE_MAX && flag_value_password(&hay[vs..ve]))
        .then(|| Hit::new(Entity::Password, vs, ve))
}

/// Whether the `:` at `q` (the colon pass) opens the password of HAProxy's `stats auth
/// USER:PASSWORD` or of strongSwan's `: EAP "PASSWORD"` / `: XAUTH "PASSWORD"`.
#[inline]
pub(super) fn colon_secret_at(hay: &[u8], q: usize) -> bool {
    match hay.get(q + 1) {
        Some(b' ') => {
            ipsec_secret_open(hay, q).is_some()
                || super::evidence_r31g::ipsec_psk_open(hay, q).is_some()
        }
        Some(&b) if b > b' ' => {
            stats_auth_at(hay, q)
                // Elastic Beats' `cloud.auth: "USER:PASSWORD"` (`evidence_r36p`).
                || super::evidence_r36p::cloud_auth_at(hay, q)
                // skopeo's `--src-creds USER:PASSWORD`, libcurl's `CURLOPT_USERPWD`
                // string (`evidence_r38p`).
                || super::evidence_r38p::user_pass_colon_at(hay, q)
                // `nsupdate -y hmac-sha256:NAME:SECRET` (`evidence_r32g`).
                || (q > 0
                    && hay[q - 1].is_ascii_digit()
                    && super::evidence_r32g::tsig_colon_at(hay, q))
        }
        _ => false,
    }
}

/// The opening quote of strongSwan's `: EAP "…"` / `: XAUTH "…"` at the `:` at `q`, a blank
/// before the `:`.
fn ipsec_secret_open(hay: &[u8], q: usize) -> Option<usize> {
    if q == 0 || hay[q - 1] != b' ' {
        return None;
    }
    let rest = &hay[q + 1..];
    if rest.starts_with(b" EAP \"") {
        Some(q + 6)
    } else if rest.starts_with(b" XAUTH \"") {
        Some(q + 8)
    } else {
        None
    }
}

/// Whether the `:` at `q` ends the user of `stats auth USER:` (blanks between the words, the
/// directive first on its line after blanks).
fn stats_auth_at(hay: &[u8], q: usize) -> bool {
    let us = q - hay[..q]
        .iter()
        .rev()
        .take(USER_MAX + 1)
        .take_while(|&&b| user_byte(b))
        .count();
    if us == q || q - us > USER_MAX || us == 0 || !matches!(hay[us - 1], b' ' | b'\t') {
        return false;
    }
    let mut k = us;
    while k > 0 && matches!(hay[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    if k < 10 || &hay[k - 4..k] != b"auth" || !matches!(hay[k - 5], b' ' | b'\t') {
        return false;
    }
    let mut k = k - 5;
    while k > 0 && matches!(hay[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    if k < 5 || &hay[k - 5..k] != b"stats" {
        return false;
    }
    let mut k = k - 5;
    while k > 0 && matches!(hay[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    k == 0 || hay[k - 1] == b'\n'
}

/// The password at the `:` at `q` (`colon_secret_at`), when shaped as one.
pub(super) fn colon_password(hay: &[u8], q: usize) -> Outcome {
    // A TSIG key's secret after `-y hmac-…:NAME:` (`evidence_r32g`).
    if q > 0 && hay[q - 1].is_ascii_digit() {
        if let Some(h) = super::evidence_r32g::tsig_secret(hay, q) {
            return Outcome::Hit(h);
        }
    }
    // strongSwan's `: PSK "…"`, a pre-shared key (`evidence_r31g`).
    if let Some(open) = super::evidence_r31g::ipsec_psk_open(hay, q) {
        return super::evidence_r31g::ipsec_psk(hay, open).map_or(Outcome::Reject, Outcome::Hit);
    }
    // skopeo's `--src-creds USER:…`, libcurl's `CURLOPT_USERPWD` string (`evidence_r38p`).
    if let Some(o) = super::evidence_r38p::user_pass_colon_password(hay, q) {
        return o;
    }
    let value = match ipsec_secret_open(hay, q) {
        Some(open) => value_at(hay, open),
        None if stats_auth_at(hay, q) || super::evidence_r36p::cloud_auth_at(hay, q) => {
            value_at(hay, q + 1)
        }
        None => None,
    };
    match value {
        Some((vs, ve)) if ve - vs <= VALUE_MAX && flag_value_password(&hay[vs..ve]) => {
            Outcome::Hit(Hit::new(Entity::Password, vs, ve))
        }
        _ => Outcome::Reject,
    }
}

/// At the keyword `password` at `hay[s..e]` (`check::check_prose_password`): the value of
/// `use VALUE as the password` (`as your`, `as a`), `use` a word of its own, when shaped as
/// one. Three writers' gold (blind4, blind23, blind26: 10 taken, all gold, 7 missed); the
/// same words before `example`, `sample key` (blind21's and blind26's placeholders) are no
/// password's and not reached.
pub(super) fn use_as_password(hay: &[u8], s: usize, e: usize) -> Option<Hit> {
    // The cheapest tests first: a blank before the keyword, the keyword `password` itself.
    if s < 12 || hay[s - 1] != b' ' || !hay[s..e].eq_ignore_ascii_case(b"password") {
        return None;
    }
    let before = &hay[..s - 1];
    let art = [b"as the".as_slice(), b"as your", b"as a"]
        .into_iter()
        .find(|a| before.ends_with(a))?;
    let ve = s - 1 - art.len();
    if hay[ve - 1] != b' ' {
        return None;
    }
    let ve = ve - 1;
    let vs = ve
        - hay[..ve]
            .iter()
            .rev()
            .take(VALUE_MAX + 1)
            .take_while(|b| !b.is_ascii_whitespace())
            .count();
    if vs == ve || ve - vs > VALUE_MAX || vs < 4 || hay[vs - 1] != b' ' {
        return None;
    }
    let w = vs - 4;
    let word = &hay[w..vs - 1];
    let opens = w == 0 || !hay[w - 1].is_ascii_alphanumeric();
    (opens && (word == b"use" || word == b"Use") && flag_value_password(&hay[vs..ve]))
        .then(|| Hit::new(Entity::Password, vs, ve))
}

/// How far back along its line a Redis ACL rule's `user NAME` is looked for before `>`.
const ACL_LINE_MAX: usize = 160;

/// Whether `t` is one of a Redis ACL rule list's rules other than a password (`on`, `off`,
/// `nopass`, `reset…`, `all…`, `nocommands`, or a key, channel, command or selector rule
/// opening with one of `~%&+-<>#(`).
fn acl_rule(t: &[u8]) -> bool {
    matches!(
        t,
        b"on"
            | b"off"
            | b"nopass"
            | b"reset"
            | b"resetpass"
            | b"resetkeys"
            | b"resetchannels"
            | b"allkeys"
            | b"allchannels"
            | b"allcommands"
            | b"nocommands"
    ) || t.first().is_some_and(|b| {
        matches!(
            b,
            b'~' | b'%' | b'&' | b'+' | b'-' | b'<' | b'>' | b'#' | b'('
        )
    })
}

/// At a `>` after a blank (the byte pass stops at it): the password a Redis ACL rule adds
/// (`user worker on >PASSWORD ~jobs:* +@all` in an ACL file or `redis.conf`, `ACL SETUSER
/// worker on >PASSWORD`; Redis's ACL documentation: "`>`<password>: Add this password to the
/// list of valid passwords for the user"), when shaped as one: `user` (or `SETUSER`, any
/// case) and the user's name earlier on the line, only ACL rules between the name and the
/// `>`. One writer's gold (blind20: 26 taken, all gold, 20 missed), taken under the standard
/// clause; the other `>` after a blank on the training splits are shell redirections
/// (`>/dev/null`, 47), none after a `user NAME`.
#[cold]
#[inline(never)]
pub(super) fn redis_acl_password(hay: &[u8], gt: usize) -> Option<Hit> {
    let vs = gt + 1;
    let n = hay[vs..]
        .iter()
        .take(VALUE_MAX + 1)
        .take_while(|b| !b.is_ascii_whitespace())
        .count();
    if n == 0 || n > VALUE_MAX {
        return None;
    }
    // Back over the rules, token by token, to the user's name and `user` / `SETUSER`.
    let from = gt.saturating_sub(ACL_LINE_MAX);
    let mut tokens: [(usize, usize); 12] = [(0, 0); 12];
    let mut count = 0;
    let mut k = gt;
    while count < tokens.len() {
        while k > from && matches!(hay[k - 1], b' ' | b'\t') {
            k -= 1;
        }
        let te = k;
        while k > from && !hay[k - 1].is_ascii_whitespace() {
            k -= 1;
        }
        if k == te || (k == from && from > 0) {
            return None;
        }
        tokens[count] = (k, te);
        count += 1;
        let word = &hay[k..te];
        if count >= 2 && (word == b"user" || word.eq_ignore_ascii_case(b"setuser")) {
            break;
        }
        if count >= 2 && !acl_rule(&hay[tokens[count - 2].0..tokens[count - 2].1]) {
            // The token after this one is no rule: it must be the user's name, this `user`.
            return None;
        }
    }
    let (ws, we) = tokens[count - 1];
    let word = &hay[ws..we];
    if count < 2 || !(word == b"user" || word.eq_ignore_ascii_case(b"setuser")) {
        return None;
    }
    // `user` opens its line (blanks or a flattened line's mark before it), `SETUSER` follows
    // `ACL `.
    let opens = if word == b"user" {
        ws == 0 || matches!(hay[ws - 1], b'\n' | b' ' | b'\t')
    } else {
        ws >= 4 && hay[ws - 4..ws].eq_ignore_ascii_case(b"acl ")
    };
    let ve = vs + n;
    (opens && flag_value_password(&hay[vs..ve])).then(|| Hit::new(Entity::Password, vs, ve))
}
