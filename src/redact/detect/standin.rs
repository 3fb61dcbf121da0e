//! What a secret-named key or `name=value` holds when it holds no secret: a stand-in for the
//! value (`your_api_key_here`, `${GITHUB_TOKEN}`, `<secret>`, `sk_live_...`, `changeme`) or
//! the name of a secret kept elsewhere (`db-password`, `prod/smtp-wiL36a`). One test for the
//! text path (`check_key_value`, `secret_token_at`, the password rules) and the JSON path
//! (a member under a secret-named key), so both read a value the same way. Nineteenth round,
//! task G: every shape here was measured on the training splits' population of values under
//! secret names (`benches/secret_standin_population.py`: no shape below holds a gold secret
//! more than 2 % of the time; docs/redaction-accuracy.md).
//!
//! Fail closed: a value that merely holds a template, an elision or a bracket is a stand-in
//! only when the rest holds nothing secret-shaped (`secret_material`): `sk-proj-AbC123...`
//! (a secret's prefix shown in full) and `Xy7kP9qR2${SUFFIX}` are still secrets.

/// A stand-in for a value, or a reference to a secret, not a secret.
pub(crate) fn stand_in(v: &[u8]) -> bool {
    // One pass notes the bytes the forms need, so a real secret (most values under a secret
    // name) costs one loop and no searcher (`memmem`'s is built per call).
    const DOLLAR: u16 = 1;
    const BRACE: u16 = 2;
    const PERCENT: u16 = 4;
    const ANGLE: u16 = 8;
    const HASH: u16 = 16;
    const DOT: u16 = 32;
    const SLASH: u16 = 64;
    const COLON: u16 = 128;
    const STAR: u16 = 256;
    const ELLIPSIS: u16 = 512;
    const JOIN: u16 = 1024;
    let mut seen = 0u16;
    for &b in v {
        seen |= match b {
            b'$' => DOLLAR,
            b'{' => BRACE,
            b'%' => PERCENT,
            b'<' => ANGLE,
            b'#' => HASH,
            b'.' => DOT,
            b'/' => SLASH,
            b':' => COLON,
            b'*' => STAR,
            0xE2 => ELLIPSIS,
            b'-' | b'_' => JOIN,
            _ => 0,
        };
    }
    // The forms of the first rounds: `your…`, `…here`, `…` and `***` anywhere.
    if (v.len() >= 4 && v[..4].eq_ignore_ascii_case(b"your"))
        || (v.len() >= 4 && v[v.len() - 4..].eq_ignore_ascii_case(b"here"))
        || (seen & ELLIPSIS != 0 && memchr::memmem::find(v, "…".as_bytes()).is_some())
        || (seen & STAR != 0 && v.windows(3).any(|w| w == b"***"))
    {
        return true;
    }
    let t = v.trim_ascii();
    // A Stripe publishable key (`pk_live_…`), Ansible's `!vault |` tag, Symfony's
    // `env(NAME)`, Python's `%(name)s`: no secret (`evidence_r36g`).
    if seen & JOIN != 0 && t.first() == Some(&b'p') && super::evidence_r36g::publishable_key(t) {
        return true;
    }
    if matches!(t.first(), Some(b'!' | b'e' | b'%')) && super::evidence_r36g::named_stand_in(t) {
        return true;
    }
    !t.is_empty()
        && ((seen & (DOLLAR | BRACE | PERCENT | ANGLE | HASH) != 0 && template(t))
            || (seen & DOT != 0 && elided(t))
            || bracketed(t)
            || (t.len() <= 11 && stand_in_word(t))
            || (seen & JOIN != 0 && secret_name(t))
            || (seen & (SLASH | COLON) != 0 && store_path(t))
            || (seen & COLON != 0 && code_path(t)))
}

/// Template or variable syntax, the whole value (`%PASSWORD%`, `$API_TOKEN`) or parts of
/// it (`${GITHUB_TOKEN}`, `{{ .Values.password }}`, `{{ vault 'kv/app' }}`, `$(cat key)`,
/// `<%= ENV['KEY'] %>`, `#{secret}`, `Bearer ${TOKEN}`) with nothing secret-shaped around
/// them. `$` before a random word (`$DpM2T2NYS5YjnNTGR0`, a password) is no variable: a
/// variable's name is in one case.
fn template(t: &[u8]) -> bool {
    // `%NAME%` (a Windows variable) and `$NAME` whole.
    let name = |n: &[u8]| {
        n.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && n.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
            && (!n.iter().any(u8::is_ascii_lowercase) || !n.iter().any(u8::is_ascii_uppercase))
    };
    if t.len() > 2 && t[0] == b'%' && t[t.len() - 1] == b'%' && name(&t[1..t.len() - 1]) {
        return true;
    }
    if t.len() > 1 && t[0] == b'$' && name(&t[1..]) {
        return true;
    }
    // Delimited templates anywhere: cut them out and judge the rest.
    const OPEN_CLOSE: [(&[u8], &[u8]); 6] = [
        (b"${", b"}"),
        (b"{{", b"}}"),
        (b"{%", b"%}"),
        (b"<%", b"%>"),
        (b"$(", b")"),
        (b"#{", b"}"),
    ];
    let mut rest = Vec::with_capacity(t.len());
    let mut i = 0;
    let mut cut = false;
    'outer: while i < t.len() {
        for (open, close) in OPEN_CLOSE {
            if t[i..].starts_with(open) {
                if let Some(j) = memchr::memmem::find(&t[i + open.len()..], close) {
                    i += open.len() + j + close.len();
                    cut = true;
                    rest.push(b' ');
                    continue 'outer;
                }
            }
        }
        rest.push(t[i]);
        i += 1;
    }
    cut && !secret_material(&rest)
}

/// An elided value (`sk_live_...`, `ghp_…`, `AKIA...`) whose shown part is no secret.
fn elided(t: &[u8]) -> bool {
    t.windows(3).any(|w| w == b"...") && !secret_material(t)
}

/// A value in brackets, the whole (`<secret>`, `<your-token>`, `[removed]`, `[REDACTED]`,
/// `(uses public key auth)`, `(rotated)`), holding nothing secret-shaped.
fn bracketed(t: &[u8]) -> bool {
    let pair = matches!(
        (t[0], t[t.len() - 1]),
        (b'<', b'>') | (b'[', b']') | (b'(', b')')
    );
    pair && t.len() > 2 && {
        let inner = &t[1..t.len() - 1];
        !inner
            .iter()
            .any(|b| matches!(b, b'<' | b'>' | b'[' | b']' | b'(' | b')'))
            && inner.iter().any(u8::is_ascii_alphabetic)
            && !secret_material(inner)
    }
}

/// The words written where a value is still to come or was taken out (a closed set: what a
/// stand-in says).
fn stand_in_word(t: &[u8]) -> bool {
    // `n/a` (not applicable: `password: n/a` on a form; twenty-first round, task sec: 64
    // values under a secret's name in 6 training splits, none gold).
    const WORDS: [&[u8]; 17] = [
        b"n/a",
        b"changeme",
        b"change_me",
        b"change-me",
        b"changeit",
        b"todo",
        b"tbd",
        b"fixme",
        b"redacted",
        b"removed",
        b"hidden",
        b"masked",
        b"omitted",
        b"placeholder",
        b"dummy",
        b"notset",
        b"not_set",
    ];
    WORDS.iter().any(|w| t.eq_ignore_ascii_case(w))
}

/// The nouns a secret's name ends in (the taxonomy's own words).
const SECRET_NOUNS: [&[u8]; 14] = [
    b"password",
    b"passwd",
    b"pwd",
    b"pass",
    b"passphrase",
    b"token",
    b"key",
    b"apikey",
    b"secret",
    b"secrets",
    b"creds",
    b"credential",
    b"credentials",
    b"cert",
];

/// Words joined by `-` or `_` (each two letters or more, then digits), in one case.
fn words(t: &[u8]) -> Option<usize> {
    if t.iter().any(u8::is_ascii_lowercase) && t.iter().any(u8::is_ascii_uppercase) {
        return None;
    }
    let mut n = 0;
    for part in t.split(|b| matches!(b, b'-' | b'_')) {
        let letters = part.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        if letters < 2 || !part[letters..].iter().all(u8::is_ascii_digit) {
            return None;
        }
        n += 1;
    }
    Some(n)
}

/// The name of a secret where the secret would stand: words joined by `-`/`_` ending in a
/// secret's noun (`db-password`, `api-token`, `partner-tls-key`, `OPENAI_API_KEY`,
/// `github_personal_access_token`). A passphrase's words (`otter-violin-meadow`) end in no
/// such noun.
fn secret_name(t: &[u8]) -> bool {
    let last = t
        .rsplit(|b| matches!(b, b'-' | b'_'))
        .next()
        .unwrap_or_default();
    last.len() < t.len()
        && SECRET_NOUNS.iter().any(|w| last.eq_ignore_ascii_case(w))
        && words(t).is_some_and(|n| n >= 2)
}

/// A secret store's path or an ARN: two or more `/` segments of lower-case words
/// (`prod/db`, `kv/data/payments`), the last one may end in AWS Secrets Manager's
/// six-character suffix (`prod/smtp-wiL36a`); or `arn:…`.
fn store_path(t: &[u8]) -> bool {
    if t.starts_with(b"arn:") {
        return true;
    }
    let Some(cut) = t.iter().rposition(|&b| b == b'/') else {
        return false;
    };
    let lower_words = |s: &[u8]| words(s).is_some() && !s.iter().any(u8::is_ascii_uppercase);
    let last = &t[cut + 1..];
    let suffixed = last.len() > 7
        && last[last.len() - 7] == b'-'
        && last[last.len() - 6..].iter().all(u8::is_ascii_alphanumeric)
        && lower_words(&last[..last.len() - 7]);
    (lower_words(last) || suffixed) && t[..cut].split(|&b| b == b'/').all(lower_words)
}

/// A code path where a value would stand (`PrivateKey::sign`, `Secret::new()`): names
/// joined by `::`, an optional `()` after.
fn code_path(t: &[u8]) -> bool {
    let t = t.strip_suffix(b"()").unwrap_or(t);
    let ident = |s: &[u8]| {
        s.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    let mut n = 0;
    for part in t.split(|&b| b == b':') {
        // `::` splits into a name and an empty part.
        if n % 2 == 1 {
            if !part.is_empty() {
                return false;
            }
        } else if !ident(part) {
            return false;
        }
        n += 1;
    }
    n >= 3 && n % 2 == 1
}

/// Something secret-shaped: a run of a token's bytes (letters, digits, `_-+/=`) of 8 or more
/// holding a letter and a digit, or a lower-case letter and a later capital (random case, as
/// in `xQ7…`, not a word's initial capital).
fn secret_material(s: &[u8]) -> bool {
    s.split(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'/' | b'=')))
        .any(|run| {
            run.len() >= 8 && {
                let letter = run.iter().any(u8::is_ascii_alphabetic);
                let digit = run.iter().any(u8::is_ascii_digit);
                let camel = run
                    .iter()
                    .position(u8::is_ascii_lowercase)
                    .is_some_and(|i| run[i..].iter().any(u8::is_ascii_uppercase));
                (letter && digit) || camel
            }
        })
}
