//! Two constructions of blind34's PASSWORD misses (the thirty-fourth round's honest split,
//! the thirty-fifth round's new training writer), each defined by a tool's documentation
//! and reached where the scanner already stops. Thirty-fifth round, task pw
//! (docs/redaction-accuracy.md, "Thirty-fifth round, task pw"; counted on every training
//! split by `benches/pw_r35_population.py`). No literal was added.
//!
//! * `docker login`'s `--password-stdin` fed by `echo`, reached at the prose searcher's
//!   password keyword inside the flag (`check::check_prose_password`).
//! * HTTPie's `http -a USER:PASSWORD` (and `https -a …`), reached at the ` -a ` literal the
//!   searcher already stops at for `redis-cli -a PASSWORD` (`check::prose_keyword`).
//!
//! The Docker CLI reference (`docker login`, "Provide a password using STDIN") reads the
//! password from standard input when `--password-stdin` is given: `cat ~/my_password.txt |
//! docker login --username foo --password-stdin`; written inline, `echo X | docker login
//! REGISTRY -u USER --password-stdin`. The echoed word is the password. Counted on every
//! training split: 186 places; blind34 7 gold PASSWORD (6 missed by main); blind26 and
//! blind32 17 vendor tokens (`ghp_…`, `github_pat_…`: their own rules, and `password_like`
//! refuses them); blind6, blind7 and blind21 162 shell variables (`"$CR_PAT"`, refused: a
//! value opening with `$` is none). So the echoed word is a PASSWORD only when it reads as
//! one (`password_like`) and opens with no `$`.
//!
//! HTTPie's documentation ("Authentication": `http -a username:password pie.dev/…`; `-a`,
//! `--auth USER[:PASS]`; with no `:PASS` it asks for the password) names the credential
//! after `-a`; its commands are `http` and `https`. Counted on every training split: 12
//! places, all gold PASSWORD, on two writers' splits (blind25 9, all missed by main;
//! blind34 3, 2 missed); no place holds anything else. The standard clause: the part after
//! the first `:` of `-a`'s argument, when the command word before `-a` on its line is
//! `http` or `https` and the part reads as a password (`password_like`).

use super::check::{password_like, Outcome};
use super::{Entity, Hit};

/// The longest line looked along (bytes).
const LINE_MAX: usize = 240;

/// `echo VALUE | [sudo] docker login … --password-stdin` at the keyword `password` of the
/// flag (`hay[s..e]`, `--` before it, `-stdin` after): the echoed word, a PASSWORD when it
/// reads as one. `None` when the line is no such pipe.
pub(super) fn docker_stdin_password(hay: &[u8], s: usize, e: usize) -> Option<Outcome> {
    if s < 2 || e - s != 8 || hay.get(s - 2..s) != Some(b"--".as_slice()) {
        return None;
    }
    if hay.get(e..e + 6) != Some(b"-stdin".as_slice())
        || hay
            .get(e + 6)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    let from = s.saturating_sub(LINE_MAX);
    let ls = match memchr::memrchr(b'\n', &hay[from..s]) {
        Some(n) => from + n + 1,
        None if from == 0 => 0,
        None => return None,
    };
    let line = &hay[ls..s - 2];
    // The pipe, and `docker login` (or `sudo docker login`) after it.
    let p = memchr::memrchr(b'|', line)?;
    let cmd = line[p + 1..].trim_ascii_start();
    let cmd = cmd
        .strip_prefix(b"sudo ")
        .map_or(cmd, <[u8]>::trim_ascii_start);
    let rest = cmd.strip_prefix(b"docker")?;
    if !rest.first().is_some_and(|&b| b == b' ' || b == b'\t') {
        return None;
    }
    let rest = rest.trim_ascii_start();
    if !rest.starts_with(b"login") || !rest.get(5).is_some_and(u8::is_ascii_whitespace) {
        return None;
    }
    // Before the pipe: `echo [-n] WORD` (the word quoted or bare), at the line's start or
    // after a blank, `$ `, `;`, `&&`.
    let t = line[..p].trim_ascii_end();
    let (as_, ae) = super::evidence_r34p::last_argument(t)?;
    let quoted = as_ > 0 && matches!(t[as_ - 1], b'\'' | b'"');
    let before = if quoted { &t[..as_ - 1] } else { &t[..as_] };
    if before.last().is_some_and(|c| !c.is_ascii_whitespace()) {
        return None;
    }
    let before = before.trim_ascii_end();
    let before = match before.strip_suffix(b"-n") {
        Some(r) if r.last().is_some_and(u8::is_ascii_whitespace) => r.trim_ascii_end(),
        _ => before,
    };
    let head = before.strip_suffix(b"echo")?;
    if head
        .last()
        .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
    {
        return None;
    }
    let v = &t[as_..ae];
    // A refused word leaves the keyword to the rules after this one (`None`).
    if v.is_empty() || v[0] == b'$' || !password_like(v) {
        return None;
    }
    let vs = ls + as_;
    Some(Outcome::Hit(Hit::new(Entity::Password, vs, vs + v.len())))
}

/// HTTPie's command before the ` -a ` whose `-` is at `p`: the line (at most `LINE_MAX`
/// bytes back) opens, after blanks and a shell prompt (`$`, `#`, `>`), with the word `http`
/// or `https` and a blank.
pub(super) fn httpie_before(hay: &[u8], p: usize) -> bool {
    let from = p.saturating_sub(LINE_MAX);
    let Some(head) = hay.get(from..p) else {
        return false;
    };
    let ls = match memchr::memrchr(b'\n', head) {
        Some(n) => n + 1,
        None if from == 0 => 0,
        None => return false,
    };
    let line = head[ls..].trim_ascii_start();
    let line = match line.first() {
        Some(b'$' | b'#' | b'>') => line[1..].trim_ascii_start(),
        _ => line,
    };
    let rest = line
        .strip_prefix(b"https")
        .or_else(|| line.strip_prefix(b"http"));
    rest.is_some_and(|r| r.first().is_some_and(|&b| b == b' ' || b == b'\t'))
}

/// HTTPie's `-a USER:PASSWORD` (the flag's `-` at `s`, its argument from `vs` to `ve`,
/// quotes taken off): the part after the first `:`, a PASSWORD when it reads as one.
pub(super) fn httpie_password(hay: &[u8], vs: usize, ve: usize) -> Outcome {
    let Some(arg) = hay.get(vs..ve) else {
        return Outcome::Reject;
    };
    match memchr::memchr(b':', arg) {
        Some(c) if c > 0 && password_like(&arg[c + 1..]) => {
            Outcome::Hit(Hit::new(Entity::Password, vs + c + 1, ve))
        }
        _ => Outcome::Reject,
    }
}
