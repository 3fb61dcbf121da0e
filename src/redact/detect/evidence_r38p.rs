//! Thirty-eighth round, task pw (issue #20; docs/redaction-accuracy.md, "Thirty-eighth round,
//! task pw"; counted on every training split by `benches/pw_r38_population.py`).
//!
//! **A pipe table's password row whose label holds more words** (`| Portal password | X |`,
//! `| Passwort für das Portal | X |`, `| Contraseña del portal | X |`, `| Wachtwoord portaal
//! | X |`, `| Mot de passe espace client | X |`, `| Password area clienti | X |`). The
//! thirty-first round took the row whose first cell is the password keyword alone
//! (`evidence_r31p::table_row_password`, GFM's table); a label naming what the password is
//! for, in the locale's words, was read only when the value's shape alone made it a
//! password. `pw_r38_population.py` (`pipe-locale`) over every training split: 99 rows whose
//! first cell holds a password word (alone or with other words), all gold PASSWORD, none not
//! gold, on seven writers' splits (blind30 16, blind32 13, blind33 13, blind34 3, blind35 6,
//! blind36 42, blind37 6); main (`m21`) missed 59, 58 of them rows with more words in the
//! label. Taken under the three-writer clause. The label cell opens the line, holds the
//! keyword among words only (letters, digits, blanks, parentheses, `'`, `-`, `.`; 48 bytes
//! at most each side), and the second cell is read as the thirty-first round reads it (one
//! token shaped as a password). A second cell that is no password leaves the keyword to the
//! rules after this one (nothing is rejected here that was not before).
//!
//! Reached at the keyword, where the prose pass already stops; no literal is added.
//!
//! **skopeo's `--src-creds USER:PASSWORD` (`--dest-creds`, `--creds`) and libcurl's
//! `CURLOPT_USERPWD` string `"USER:PASSWORD"`** (skopeo(1); libcurl's `CURLOPT_USERPWD`),
//! the standard clause: one writer's gold (blind37: 8 places, all gold, 5 missed by main).
//! Reached at the pair's `:`, which the colon pass already hands to
//! `evidence_r30p::colon_secret_at` (`user_pass_colon_at`, `user_pass_colon_password`).
//!
//! **CloudFormation's intrinsic functions are no password** (`MasterUserPassword: !Ref
//! Param`; the CloudFormation User Guide's intrinsic function reference), the standard
//! clause: 6 values on blind37, none gold, all found by main (`cfn_intrinsic`, asked in
//! `check::check_key_value`'s list of references).

use super::check::Outcome;

/// The most bytes of label words on either side of the keyword.
const LABEL_MAX: usize = 48;

/// Whether `b` may stand in a label's words beside the keyword.
#[inline]
fn label_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || b >= 0x80
        || matches!(b, b' ' | b'\t' | b'(' | b')' | b'\'' | b'-' | b'.')
}

/// At the keyword `hay[s..e]`: when it stands among other words in the first cell of a
/// Markdown table's row (the cell's `|` opening the line), the second cell's value when it
/// is a PASSWORD; `None` otherwise (the keyword is then judged by the later rules).
#[inline(never)]
pub(super) fn label_cell_password(hay: &[u8], s: usize, e: usize) -> Option<Outcome> {
    // The cell's closing `|` after the keyword: a blank first, then words.
    if !matches!(hay.get(e), Some(b' ' | b'\t')) {
        return None;
    }
    let fwd = hay.get(e..(e + LABEL_MAX + 1).min(hay.len()))?;
    let i = e + fwd.iter().position(|&b| !label_byte(b))?;
    if hay.get(i) != Some(&b'|') {
        return None;
    }
    // The cell's opening `|` before it, first on its line.
    let from = s.saturating_sub(LABEL_MAX + 1);
    let back = hay.get(from..s)?;
    let k = from + back.iter().rposition(|&b| !label_byte(b))?;
    if hay.get(k) != Some(&b'|') || !super::evidence_r31p::row_opens(hay, k) {
        return None;
    }
    // Words beside the keyword (the keyword alone is `table_row_password`'s).
    let words = |x: &[u8]| x.iter().any(u8::is_ascii_alphanumeric);
    if !words(&hay[k + 1..s]) && !words(&hay[e..i]) {
        return None;
    }
    match super::evidence_r31p::second_cell_password(hay, i) {
        hit @ Outcome::Hit(_) => Some(hit),
        _ => None,
    }
}

/// The YAML short forms of CloudFormation's intrinsic functions (the CloudFormation User
/// Guide, "Intrinsic function reference": `!Ref`, `!Sub`, `!GetAtt`, … and the condition
/// functions), as a template spells them.
const CFN_FUNCTIONS: [&[u8]; 18] = [
    b"Base64",
    b"Cidr",
    b"FindInMap",
    b"GetAtt",
    b"GetAZs",
    b"ImportValue",
    b"Join",
    b"Select",
    b"Split",
    b"Sub",
    b"Transform",
    b"Ref",
    b"And",
    b"Equals",
    b"If",
    b"Not",
    b"Or",
    b"Condition",
];

/// Whether a value opens with a CloudFormation intrinsic function's YAML short form, a blank
/// or the value's end after it (`MasterUserPassword: !Ref MasterUserPasswordParam`): a
/// reference the stack resolves, no password. `!Refund2024` is not one.
///
/// `pw_r38_population.py` (`cfn-intrinsic`): 6 such values on the training splits, all on
/// blind37 (`MasterUserPassword: !Ref MasterUserPassword`), none gold, all found as
/// PASSWORD by main (`m21`); taken under the standard clause.
#[inline]
pub(crate) fn cfn_intrinsic(v: &[u8]) -> bool {
    v.first() == Some(&b'!')
        && CFN_FUNCTIONS.iter().any(|f| {
            v.get(1..1 + f.len()) == Some(f)
                && v.get(1 + f.len())
                    .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        })
}

/// The longest user name and value of a `USER:PASSWORD` pair read here (bytes).
const USER_MAX: usize = 32;
const VALUE_MAX: usize = 64;

/// A byte of a user name.
fn user_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')
}

/// Which documented `USER:PASSWORD` pair the `:` at `q` ends the user of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UserPass {
    /// skopeo's `--src-creds USER:PASSWORD`, `--dest-creds`, `--creds` (`=` or blanks
    /// after the flag; the value an argument, to a blank or a quote).
    Creds,
    /// libcurl's `CURLOPT_USERPWD` string `"USER:PASSWORD"` (`curl_easy_setopt(h,
    /// CURLOPT_USERPWD, "…")`, `#define UPLOAD_USERPWD "…"`; the value to the closing quote).
    /// `true` when the quotes are escaped (`\"`, the string inside a JSON document's raw
    /// bytes).
    Userpwd(bool),
}

/// The pair whose user the `:` at `q` (the colon pass) ends, if any.
fn user_pass_at(hay: &[u8], q: usize) -> Option<UserPass> {
    // The cheapest test first: a URL's `scheme://` is the commonest such `:`.
    if matches!(hay.get(q + 1), None | Some(b'/' | b'"' | b' ')) {
        return None;
    }
    let user = hay[..q]
        .iter()
        .rev()
        .take(USER_MAX + 1)
        .take_while(|&&b| user_byte(b))
        .count();
    if user == 0 || user > USER_MAX || user == q {
        return None;
    }
    let us = q - user;
    match hay[us - 1] {
        b'"' => {
            // `CURLOPT_USERPWD, "` or `#define NAME_USERPWD "`: blanks, an optional `,`.
            let mut k = us - 1;
            let escaped = k > 0 && hay[k - 1] == b'\\';
            k -= usize::from(escaped);
            while k > 0 && matches!(hay[k - 1], b' ' | b'\t') {
                k -= 1;
            }
            if k > 0 && hay[k - 1] == b',' {
                k -= 1;
                while k > 0 && matches!(hay[k - 1], b' ' | b'\t') {
                    k -= 1;
                }
            }
            const NAME: &[u8] = b"USERPWD";
            let before = &hay[..k];
            (before.ends_with(NAME) && {
                let head = &before[..k - NAME.len()];
                head.last().is_none_or(|b| !b.is_ascii_alphanumeric()) || head.ends_with(b"PROXY")
            })
            .then_some(UserPass::Userpwd(escaped))
        }
        b'=' | b' ' | b'\t' => {
            // The flag ends right before the `=`, or before the blanks.
            let mut k = us - 1;
            if hay[k] != b'=' {
                while k > 0 && matches!(hay[k - 1], b' ' | b'\t') {
                    k -= 1;
                }
            }
            let flag = &hay[..k];
            [b"--src-creds".as_slice(), b"--dest-creds", b"--creds"]
                .iter()
                .any(|f| {
                    flag.ends_with(f)
                        && (flag.len() == f.len()
                            || matches!(flag[flag.len() - f.len() - 1], b' ' | b'\t'))
                })
                .then_some(UserPass::Creds)
        }
        _ => None,
    }
}

/// Whether the `:` at `q` (the colon pass, `evidence_r30p::colon_secret_at`) ends the user of
/// skopeo's `--src-creds USER:PASSWORD` / `--dest-creds` / `--creds` (skopeo(1): "
/// --src-creds username[:password]") or of libcurl's `CURLOPT_USERPWD` string (libcurl's
/// CURLOPT_USERPWD: "user:password").
#[inline]
pub(super) fn user_pass_colon_at(hay: &[u8], q: usize) -> bool {
    user_pass_at(hay, q).is_some()
}

/// The password after the `:` at `q` when `user_pass_colon_at`: a PASSWORD when shaped as
/// one (`flag_value_password`, as `cloud.auth`'s), else a rejection; `None` for another `:`.
pub(super) fn user_pass_colon_password(hay: &[u8], q: usize) -> Option<Outcome> {
    let kind = user_pass_at(hay, q)?;
    let vs = q + 1;
    let rest = hay.get(vs..)?;
    let n = match kind {
        UserPass::Userpwd(escaped) => rest
            .iter()
            .take(VALUE_MAX + 2)
            .position(|&b| b == b'"' || b == b'\n')
            .filter(|&n| rest[n] == b'"')
            .map(|n| n - usize::from(escaped && n > 0 && rest[n - 1] == b'\\')),
        UserPass::Creds => Some(
            rest.iter()
                .take(VALUE_MAX + 1)
                .take_while(|&&b| !(b.is_ascii_whitespace() || matches!(b, b'"' | b'\'')))
                .count(),
        ),
    };
    let ve = match n {
        Some(n) if n > 0 && n <= VALUE_MAX => vs + n,
        _ => return Some(Outcome::Reject),
    };
    Some(if super::evidence_r26p::flag_value_password(&hay[vs..ve]) {
        Outcome::Hit(super::Hit::new(super::Entity::Password, vs, ve))
    } else {
        Outcome::Reject
    })
}
