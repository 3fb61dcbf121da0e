//! Secrets by evidence a writer cannot vary, twenty-third round (task sec): the structure a
//! tool or a protocol puts around a value, read where the text pass has already stopped (a
//! `key=value` keyword in `check::check_key_value`, a secret's word in
//! `check::secret_in_prose`). Each test is a closed form counted on every candidate of the
//! training splits before it was written (`benches/secret_r23_population.py`,
//! docs/redaction-accuracy.md, "Twenty-third round, task sec"):
//!
//! - a password whose object names its user `token` (Composer's `http-basic` for Private
//!   Packagist, `"username": "token", "password": "…"`; GitHub's `x-access-token`,
//!   Bitbucket's `x-token-auth`, GitLab's `oauth2`, PyPI's `__token__` are the same
//!   convention): the password is an API token, a GENERIC_SECRET (68 of 68 gold
//!   GENERIC_SECRET, two writers; the engine reported them as PASSWORD);
//! - a Redis command's key argument (`redis> GET session:9052538f…`, `TTL session:…`): the
//!   key's name, no secret (91 candidates, none gold, two writers);
//! - a UUID under a session's name (`session=b7cfa64f-b3b4-49cb-941a-f3abd2a8b00e`,
//!   `"session_id": "…"`): the taxonomy leaves UUIDs unlabelled (89 candidates, none gold,
//!   two writers);
//! - a prompt's default in brackets between a secret's words and the colon (the AWS CLI's
//!   `aws configure`: `AWS Secret Access Key [None]: …`, `[****************wxyz]`): the
//!   answer after the colon is the secret (23 of 23 gold GENERIC_SECRET).

/// The user names that say the password beside them is an API token: Composer's
/// `http-basic` for Private Packagist (`token`), PyPI's `__token__`, GitHub's
/// `x-access-token`, Bitbucket's `x-token-auth`, GitLab's `oauth2`.
const TOKEN_USERS: [&[u8]; 5] = [
    b"token",
    b"__token__",
    b"x-access-token",
    b"x-token-auth",
    b"oauth2",
];

/// Whether the password key starting at `s` follows, in the same object, a user member
/// whose quoted value is one of `TOKEN_USERS` (`"username": "token", "password": "…"`):
/// only blanks, line breaks, a `,` and the key's opening quote between that value's closing
/// quote and `s`; the member's key `username`, `user` or `login`, quoted or not, before `:`
/// or `=`.
pub(super) fn token_user_before(hay: &[u8], s: usize) -> bool {
    let from = s.saturating_sub(96);
    // Back over the key's opening quote, blanks, line breaks and one `,` to the user value's
    // closing quote.
    let mut j = s;
    let mut commas = 0;
    while j > from {
        match hay[j - 1] {
            b' ' | b'\t' | b'\r' | b'\n' => j -= 1,
            b',' if commas == 0 => {
                commas += 1;
                j -= 1;
            }
            b'"' | b'\'' if j == s => j -= 1,
            _ => break,
        }
    }
    if j <= from || !matches!(hay[j - 1], b'"' | b'\'') {
        return false;
    }
    let quote = hay[j - 1];
    let close = j - 1;
    let Some(open) = hay[from..close].iter().rposition(|&b| b == quote) else {
        return false;
    };
    let open = from + open;
    let user = &hay[open + 1..close];
    if !TOKEN_USERS.iter().any(|w| user.eq_ignore_ascii_case(w)) {
        return false;
    }
    // The user member's key: `:` or `=` (blanks around) before the value's quote, then the
    // key's name, quoted or not.
    let mut k = open;
    while k > from && matches!(hay[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    if k <= from || !matches!(hay[k - 1], b':' | b'=') {
        return false;
    }
    k -= 1;
    while k > from && matches!(hay[k - 1], b' ' | b'\t') {
        k -= 1;
    }
    if k > from && matches!(hay[k - 1], b'"' | b'\'') {
        k -= 1;
    }
    [b"username".as_slice(), b"user", b"login"].iter().any(|w| {
        k >= from + w.len()
            && hay[k - w.len()..k].eq_ignore_ascii_case(w)
            && (k == w.len() || !hay[k - w.len() - 1].is_ascii_alphanumeric())
    })
}

/// Redis commands whose first argument is a key (`GET session:…`, `TTL session:…`).
const REDIS_KEY_COMMANDS: [&[u8]; 16] = [
    b"get", b"set", b"setex", b"getdel", b"ttl", b"pttl", b"del", b"unlink", b"expire", b"persist",
    b"exists", b"type", b"dump", b"hgetall", b"hget", b"hset",
];

/// Whether the keyword at `s` opens a Redis key given to a command (`redis> GET
/// session:9052538f…`, `> TTL session:…`): a command of `REDIS_KEY_COMMANDS` and one blank
/// right before, at a line's start or after a prompt's `>` or a blank, and the key's name
/// (`key_len` bytes of letters, digits, `_`, `-`, `.`) joined to its id by `:` with no blank.
pub(super) fn redis_key_argument(hay: &[u8], s: usize, key_len: usize) -> bool {
    let name_ok = hay.get(s..s + key_len).is_some_and(|k| {
        k.iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    });
    if !name_ok
        || hay.get(s + key_len) != Some(&b':')
        || hay
            .get(s + key_len + 1)
            .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-'))
        || s < 2
        || hay[s - 1] != b' '
    {
        return false;
    }
    let w = hay[..s - 1]
        .iter()
        .rev()
        .take(8)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let c = s - 1 - w;
    w > 0
        && (c == 0 || matches!(hay[c - 1], b'\n' | b' ' | b'\t' | b'>'))
        && REDIS_KEY_COMMANDS
            .iter()
            .any(|cmd| hay[c..s - 1].eq_ignore_ascii_case(cmd))
}

/// Whether `value` under the key `key` (lower case) is a UUID (`8-4-4-4-12` hex digits, whole)
/// under a session's name (`session`, `sessionid`, `session_id`, `sid`): an identifier the
/// taxonomy leaves unlabelled.
pub(super) fn session_uuid(key: &[u8], value: &[u8]) -> bool {
    (key.starts_with(b"session") || key.starts_with(b"sid"))
        && (value.len() == 36
            || value.len() > 36 && matches!(value[36], b';' | b',' | b'&' | b'"' | b'\'' | b' '))
        && value[..36].iter().enumerate().all(|(i, &b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// A prompt's default in brackets at `i` after a secret's words (`AWS Secret Access Key
/// [None]: …`, `[****************wxyz]: …`, the AWS CLI's `aws configure`): the position of
/// the colon after the `]` (48 bytes at most in the brackets, no line break), where the
/// answer's value starts to be read.
pub(super) fn prompt_default(hay: &[u8], i: usize, limit: usize) -> Option<usize> {
    if hay.get(i) != Some(&b'[') {
        return None;
    }
    let end = (i + 50).min(limit);
    let close = hay[i + 1..end]
        .iter()
        .position(|&b| matches!(b, b']' | b'\n' | b'[' | b'\r'))?;
    let c = i + 1 + close;
    (hay[c] == b']' && hay.get(c + 1) == Some(&b':')).then_some(c + 1)
}

/// Whether a name/value pair's name (`{"name": "sid", "value": "…"}`, a HAR request's
/// `cookies`) is a session cookie's name as a framework sets it: `sid` (Express and others),
/// Express's `connect.sid`, Django's `sessionid`, PHP's `PHPSESSID`, Java servlets'
/// `JSESSIONID`, ASP.NET's `ASP.NET_SessionId` (any case). Such a pair's value is read as a
/// session token's (`json::keys::pair_name`): 46 of 46 gold GENERIC_SECRET on the training
/// splits, where a JSON member named `sid` (Twilio's message ids, 67, none gold) stays plain.
pub(crate) fn session_cookie_name(name: &str) -> bool {
    matches!(name.len(), 3 | 9..=17)
        && [
            "sid",
            "connect.sid",
            "sessionid",
            "phpsessid",
            "jsessionid",
            "asp.net_sessionid",
        ]
        .iter()
        .any(|w| name.eq_ignore_ascii_case(w))
}

/// Whether a JSON member's key names a user (`username`, `user`, `login`, any case): the
/// member `token_user_value` reads (`json.rs`, `stream.rs`).
/// (One comparison by the key's length: the streaming pass asks it of every string member,
/// and the three-word search, out of line, was ~30 instructions a member; twenty-fourth
/// round, task cost; inlined always: out of line, its call was most of its cost.)
#[inline(always)]
pub(crate) fn token_user_key(key: &str) -> bool {
    let is = |w: &str| key.eq_ignore_ascii_case(w);
    match key.len() {
        4 => is("user"),
        5 => is("login"),
        8 => is("username"),
        _ => false,
    }
}

/// Whether a user member's value is one of `TOKEN_USERS` (`"username": "token"`): the
/// object's password members are tokens, GENERIC_SECRETs (`token_user_before` in text).
pub(crate) fn token_user_value(value: &str) -> bool {
    TOKEN_USERS
        .iter()
        .any(|w| value.as_bytes().eq_ignore_ascii_case(w))
}
