//! Secrets in the output and configuration of common tools, found from the anchors the scan
//! already has (an AWS key id, an e-mail address, a password keyword, a `key=value`
//! keyword): `aws sts … --output text`, Postfix's `sasl_passwd`, `wp-config.php`'s
//! `define()`s, PowerShell's `ConvertTo-SecureString`, `elasticsearch-reset-password`.
//! (Thirteenth round, part B.)

use super::super::entity::Entity;
use super::super::validate as v;
use super::*;

/// The line of `hay` holding byte `i`: (start, end without its `\r\n`).
fn line_around(hay: &[u8], i: usize) -> (usize, usize) {
    let ls = hay[..i]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |k| k + 1);
    let mut le = i + hay[i..]
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(hay.len() - i);
    if le > ls && hay[le - 1] == b'\r' {
        le -= 1;
    }
    (ls, le)
}

/// The AWS CLI's text output of temporary credentials (`aws sts get-session-token --output
/// text`, `assume-role`): `CREDENTIALS<TAB>AKIA…<TAB>EXPIRATION<TAB>SECRET<TAB>TOKEN`, its
/// columns in the API's alphabetical order. After the key id ending at `end`: the secret
/// access key and the session token, each with a secret's shape (`secret_token_at`).
pub(super) fn aws_text_credentials(hay: &[u8], end: usize, threshold: f64) -> Vec<Hit> {
    let mut out = Vec::new();
    if hay.get(end) != Some(&b'\t') {
        return out;
    }
    let field = |from: usize| {
        from + hay[from..]
            .iter()
            .take_while(|&&b| !matches!(b, b'\t' | b'\r' | b'\n' | b' '))
            .count()
    };
    // The expiration: an ISO 8601 timestamp (`2026-12-10T04:42:00+00:00`, `…Z`).
    let ts = end + 1;
    let ts_end = field(ts);
    let stamp = &hay[ts..ts_end];
    if !(10..=32).contains(&stamp.len())
        || !stamp[..4].iter().all(u8::is_ascii_digit)
        || stamp[4] != b'-'
        || !stamp
            .iter()
            .all(|&b| b.is_ascii_digit() || matches!(b, b'-' | b':' | b'T' | b'Z' | b'+' | b'.'))
        || hay.get(ts_end) != Some(&b'\t')
    {
        return out;
    }
    let ks = ts_end + 1;
    let ke = field(ks);
    let Outcome::Hit(secret) = secret_token_at(hay, ks, ke, threshold) else {
        return out;
    };
    out.push(secret);
    if hay.get(ke) == Some(&b'\t') {
        let ts = ke + 1;
        if let Outcome::Hit(token) = secret_token_at(hay, ts, field(ts), threshold) {
            out.push(token);
        }
    }
    out
}

/// Postfix's `sasl_passwd` line at the `@` at `at`: (the login address, its password). The
/// address is one though `user@host:…` reads as an `scp` target elsewhere (`email_at`).
#[inline(never)]
pub(super) fn sasl_passwd_at(hay: &[u8], at: usize) -> Option<((usize, usize), Hit)> {
    let (s, e) = email_extent(hay, at);
    if s == at || hay.get(e) != Some(&b':') {
        return None;
    }
    let Outcome::Hit(email) = check_email(hay, s, e) else {
        return None;
    };
    if email.end != e {
        return None;
    }
    let pw = sasl_passwd_password(hay, email.start, e)?;
    Some(((email.start, e), pw))
}

/// Postfix's `sasl_passwd` map (`[smtp.example.com]:587 user@example.com:PASSWORD`): the
/// password after the login address ending at `e` (an e-mail found at `s`), when the line
/// starts with the relay (`[host]`, `[host]:port`, `host:port`, `host` with a dot) and a
/// blank. The rest of the line, one token, password-shaped.
#[inline(never)]
pub(super) fn sasl_passwd_password(hay: &[u8], s: usize, e: usize) -> Option<Hit> {
    if hay.get(e) != Some(&b':') {
        return None;
    }
    let (ls, le) = line_around(hay, s);
    let lead = &hay[ls..s];
    let relay_len = lead
        .iter()
        .take_while(|&&b| b != b' ' && b != b'\t')
        .count();
    let (relay, gap) = lead.split_at(relay_len);
    if relay.is_empty() || gap.is_empty() || !gap.iter().all(|&b| b == b' ' || b == b'\t') {
        return None;
    }
    let host = match relay.strip_prefix(b"[") {
        Some(r) => {
            let close = r.iter().position(|&b| b == b']')?;
            let port = &r[close + 1..];
            let port_ok = port.is_empty()
                || (port.len() >= 2 && port[0] == b':' && port[1..].iter().all(u8::is_ascii_digit));
            if !port_ok {
                return None;
            }
            &r[..close]
        }
        None => {
            let host = relay.split(|&b| b == b':').next().unwrap_or(relay);
            let port = &relay[host.len()..];
            if !(port.is_empty() || port.len() >= 2 && port[1..].iter().all(u8::is_ascii_digit)) {
                return None;
            }
            host
        }
    };
    if host.len() < 3
        || !host.contains(&b'.')
        || !host
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
    {
        return None;
    }
    let vs = e + 1;
    let mut ve = le;
    while ve > vs && matches!(hay[ve - 1], b' ' | b'\t') {
        ve -= 1;
    }
    let value = &hay[vs..ve];
    (!value.iter().any(|&b| b == b' ' || b == b'\t') && password_like(value))
        .then(|| Hit::new(Entity::Password, vs, ve))
}

/// The name of the PHP constant quoted around the keyword at `hay[s..e]` in a `define()`
/// (`define( 'DB_PASSWORD', '…' );`): (the quote, where the name's closing quote is), when
/// the name runs from an opening quote right after `define(` to a closing quote at `e`.
fn php_define_name(hay: &[u8], s: usize, e: usize) -> Option<u8> {
    let q = *hay.get(e)?;
    if q != b'\'' && q != b'"' {
        return None;
    }
    let ns = s - hay[..s]
        .iter()
        .rev()
        .take(40)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
        .count();
    if ns == 0 || hay[ns - 1] != q {
        return None;
    }
    let mut j = ns - 1;
    while j > 0 && matches!(hay[j - 1], b' ' | b'\t') {
        j -= 1;
    }
    (j >= 7 && hay[j - 7..j].eq_ignore_ascii_case(b"define(")).then_some(q)
}

/// The quoted second argument of a `define()` after its name's closing quote at `c`:
/// `, '…' )` (either quote; no line break, no template, no `' . $x`), as (start, end).
fn php_define_value(hay: &[u8], c: usize) -> Option<(usize, usize)> {
    let mut i = c + 1;
    let blanks = |mut i: usize| {
        while matches!(hay.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        i
    };
    i = blanks(i);
    if hay.get(i) != Some(&b',') {
        return None;
    }
    i = blanks(i + 1);
    let q = *hay.get(i)?;
    if q != b'\'' && q != b'"' {
        return None;
    }
    let vs = i + 1;
    let len = hay[vs..]
        .iter()
        .take(160)
        .position(|&b| b == q || b == b'\n')?;
    let ve = vs + len;
    if hay[ve] != q || hay.get(blanks(ve + 1)) != Some(&b')') {
        return None;
    }
    Some((vs, ve))
}

/// `wp-config.php`'s password: `define( 'DB_PASSWORD', '…' );` (any constant whose name ends
/// in the keyword at `hay[s..e]`). `None` when the keyword is no `define()`'s name.
pub(super) fn php_define_password(hay: &[u8], s: usize, e: usize) -> Option<Outcome> {
    php_define_name(hay, s, e)?;
    let Some((vs, ve)) = php_define_value(hay, e) else {
        return Some(Outcome::Reject);
    };
    let value = &hay[vs..ve];
    let ok = !value.is_empty()
        && !matches!(value[0], b'$' | b'{' | b'<' | b'*' | b'%')
        && !value.contains(&b' ')
        && password_like(value);
    Some(if ok {
        Outcome::Hit(Hit::new(Entity::Password, vs, ve))
    } else {
        Outcome::Reject
    })
}

/// After `wp-config.php`'s `DB_PASSWORD` (a password found in a `define()` line ending
/// before `from`): its authentication keys and salts in the `define()` lines that follow
/// (`AUTH_KEY`, `SECURE_AUTH_KEY`, …, `NONCE_SALT`: a name ending in `_KEY` or `_SALT`),
/// each value with a secret's shape (`secret_token_at`; not WordPress's stand-in `put your
/// unique phrase here`). Other lines between them (comments, `DB_HOST`) are passed over; the
/// first line of another kind ends the block.
pub(super) fn php_define_secrets(
    hay: &[u8],
    from: usize,
    threshold: f64,
    sink: &mut dyn FnMut(Hit),
) {
    let (ls, _) = line_around(hay, from.min(hay.len().saturating_sub(1)));
    let lead = &hay[ls..from];
    let lead_start = lead
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    if !lead[lead_start..].starts_with(b"define(") {
        return;
    }
    let mut i = from
        + hay[from..]
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(hay.len() - from);
    let mut other = 0;
    while i < hay.len() && other < 8 {
        let start = i + 1;
        let (_, le) = line_around(hay, start.min(hay.len()));
        if start >= hay.len() {
            break;
        }
        let line = &hay[start..le];
        let t = line
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let body = &line[t..];
        i = le + usize::from(hay.get(le) == Some(&b'\r'));
        if body.is_empty()
            || body.starts_with(b"/")
            || body.starts_with(b"*")
            || body.starts_with(b"#")
        {
            other += 1;
            continue;
        }
        if !body.starts_with(b"define(") {
            break;
        }
        let mut k = start + t + 7;
        while matches!(hay.get(k), Some(b' ' | b'\t')) {
            k += 1;
        }
        let Some(&q) = hay.get(k).filter(|&&b| b == b'\'' || b == b'"') else {
            continue;
        };
        let ns = k + 1;
        let ne = ns
            + hay[ns..le]
                .iter()
                .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
                .count();
        if hay.get(ne) != Some(&q) {
            continue;
        }
        let name = &hay[ns..ne];
        let keyed = name.len() > 4
            && (name[name.len() - 4..].eq_ignore_ascii_case(b"_KEY")
                || name.len() > 5 && name[name.len() - 5..].eq_ignore_ascii_case(b"_SALT"));
        if !keyed {
            continue;
        }
        if let Some((vs, ve)) = php_define_value(hay, ne) {
            // WordPress's 64-byte keys (`evidence_r28g`), whatever byte opens them.
            if let Some(h) = super::evidence_r28g::wordpress_key(hay, vs, ve) {
                sink(h);
            } else if super::evidence_r30g::django_secret_key(&hay[vs..ve]) {
                // A Django secret key's shape (`evidence_r30g`), whatever byte opens it.
                sink(super::Hit::new(super::Entity::GenericSecret, vs, ve));
            } else if !hay[vs..ve].contains(&b' ') {
                if let Outcome::Hit(h) = secret_token_at(hay, vs, ve, threshold) {
                    sink(h);
                }
            }
        }
    }
}

/// PowerShell's `ConvertTo-SecureString 'PLAIN' -AsPlainText` (`-Force`), the value after a
/// password keyword (`$pw = ConvertTo-SecureString …`): the quoted plain text is the
/// password, not the cmdlet's name. `None` when `hay[vs..ve]` is not that cmdlet.
pub(super) fn secure_string_password(
    hay: &[u8],
    vs: usize,
    ve: usize,
    entity: Entity,
) -> Option<Outcome> {
    if !hay[vs..ve].eq_ignore_ascii_case(b"ConvertTo-SecureString") {
        // Another cmdlet reading the password from elsewhere (`$pw = Read-Host
        // -AsSecureString`, `Get-Credential`, `Import-Clixml …`): none.
        return powershell_cmdlet(&hay[vs..ve]).then_some(Outcome::Reject);
    }
    let blanks = |mut i: usize| {
        while matches!(hay.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        i
    };
    let mut i = blanks(ve);
    if hay
        .get(i..i + 8)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"-String "))
    {
        i = blanks(i + 8);
    }
    let Some(&q) = hay.get(i).filter(|&&b| b == b'\'' || b == b'"') else {
        return Some(Outcome::Reject);
    };
    let ps = i + 1;
    let Some(len) = hay[ps..]
        .iter()
        .take(130)
        .position(|&b| b == q || b == b'\n')
    else {
        return Some(Outcome::Reject);
    };
    let pe = ps + len;
    let plain = &hay[ps..pe];
    let k = blanks(pe + 1);
    let as_plain = hay[pe] == q
        && hay
            .get(k..k + 12)
            .is_some_and(|w| w.eq_ignore_ascii_case(b"-AsPlainText"));
    let ok = as_plain
        && (4..=128).contains(&plain.len())
        && !(q == b'"' && plain.contains(&b'$'))
        && !plain.starts_with(b"<")
        && !variable_reference(plain);
    Some(if ok {
        Outcome::Hit(Hit::new(entity, ps, pe))
    } else {
        Outcome::Reject
    })
}

/// A PowerShell cmdlet's name (`Verb-Noun`, capitalised) with one of the verbs that read or
/// build a value: `Read-Host`, `Get-Credential`, `Get-Secret`, `Import-Clixml`,
/// `ConvertFrom-SecureString`, `New-Object`.
fn powershell_cmdlet(v: &[u8]) -> bool {
    let Some(dash) = v.iter().position(|&b| b == b'-') else {
        return false;
    };
    let (verb, noun) = (&v[..dash], &v[dash + 1..]);
    [
        b"Get".as_slice(),
        b"Read",
        b"New",
        b"Import",
        b"ConvertFrom",
        b"ConvertTo",
        b"Unprotect",
        b"Invoke",
    ]
    .contains(&verb)
        && noun.len() >= 3
        && noun[0].is_ascii_uppercase()
        && noun.iter().all(u8::is_ascii_alphanumeric)
}

/// `New value:` on the line after a password reset's message (`elasticsearch-reset-password`:
/// "Password for the [elastic] user successfully reset.\nNew value: …"): the `value`
/// keyword at `s` names a password there.
pub(super) fn reset_password_value(hay: &[u8], s: usize) -> bool {
    let (ls, _) = line_around(hay, s);
    if s < ls + 4 || !hay[s - 4..s].eq_ignore_ascii_case(b"new ") || ls == 0 {
        return false;
    }
    let mut pe = ls - 1;
    // Blank lines between are passed over (two at most).
    for _ in 0..3 {
        let (ps, _) = line_around(hay, pe);
        let prev = &hay[ps..pe];
        if prev.iter().all(|b| b.is_ascii_whitespace()) {
            if ps == 0 {
                return false;
            }
            pe = ps - 1;
            continue;
        }
        let lower = prev.to_ascii_lowercase();
        return prev.len() <= 160
            && memchr::memmem::find(&lower, b"password").is_some()
            && memchr::memmem::find(&lower, b"reset").is_some();
    }
    false
}

/// A value a secret store wrote in place of the secret: Vault's audit log HMACs every
/// secret (`client_token = hmac-sha256:0f21…`), a digest, not the secret.
pub(super) fn audit_hmac(value: &[u8]) -> bool {
    let Some(rest) = value
        .get(..12)
        .filter(|p| p.eq_ignore_ascii_case(b"hmac-sha256:"))
        .map(|_| &value[12..])
    else {
        return false;
    };
    rest.len() >= 32 && rest.iter().all(u8::is_ascii_hexdigit)
}

/// A Mapbox public token (`pk.…`) under a name or on a line naming Mapbox
/// (`MAPBOX_TOKEN = 'pk.…'`, `mapboxgl.accessToken = "pk.…"`): Mapbox's access tokens
/// start with `pk.` (public: made to ship in web pages and apps, scoped to reading maps),
/// `sk.` (secret) or `tk.` (temporary); only the public one is no secret. The line from its
/// start to the key at `s` must name Mapbox: `pk.` alone proves nothing. (Fifteenth round,
/// part B.)
pub(super) fn mapbox_public_token(hay: &[u8], s: usize, value: &[u8]) -> bool {
    if !value.starts_with(b"pk.") || value.len() < 40 {
        return false;
    }
    let (ls, _) = line_around(hay, s);
    hay[ls..s]
        .windows(6)
        .any(|w| w.eq_ignore_ascii_case(b"mapbox"))
}

/// The password of a PHP stack trace's `PDO->__construct('DSN', 'USER', 'PASSWORD', …)`
/// frame within 600 bytes after a password keyword that states none: MySQL's access-denied
/// message (`SQLSTATE[HY000] [1045] Access denied for user 'forge'@'…' (using password:
/// YES)`) is logged with the trace of the failed connection, whose frame prints the
/// constructor's arguments (Laravel's and Monolog's logs, PHP's uncaught-exception page).
/// The third argument, single-quoted as PHP prints strings; none when the frame is cut or
/// the value is a stand-in. (Fifteenth round, part B.)
pub(super) fn pdo_trace_password(hay: &[u8], p: usize) -> Option<(usize, usize)> {
    const FRAME: &[u8] = b"PDO->__construct(";
    let limit = (p + 600).min(hay.len());
    let mut i = p + memchr::memmem::find(&hay[p..limit], FRAME)? + FRAME.len();
    for arg in 0..3 {
        while hay.get(i) == Some(&b' ') {
            i += 1;
        }
        if hay.get(i) != Some(&b'\'') {
            return None;
        }
        let len = hay[i + 1..].iter().take(256).position(|&b| b == b'\'')?;
        let (s, e) = (i + 1, i + 1 + len);
        if arg == 2 {
            let v = &hay[s..e];
            return (!v.is_empty() && !stand_in(v) && !variable_reference(v)).then_some((s, e));
        }
        i = e + 1;
        if hay.get(i) != Some(&b',') {
            return None;
        }
        i += 1;
    }
    None
}

/// The answer to a secret's prompt as the `prompts` library prints it once answered
/// (Cloudflare's `wrangler secret put`: `✔ Enter a secret value: … ANSWER`; `…` stands
/// between question and answer): with `secret`, `password` or `token` right before the
/// `value` key at `s` and `… ` at `vs`, the answer (to the next blank) and that word, which
/// names what it is. (Fifteenth round, part B.)
pub(super) fn prompt_answer(hay: &[u8], s: usize, vs: usize) -> Option<(usize, usize, Vec<u8>)> {
    let rest = hay.get(vs..)?.strip_prefix("\u{2026} ".as_bytes())?;
    let word = [b"secret ".as_slice(), b"password ", b"token "]
        .into_iter()
        .find(|w| s >= w.len() && hay[s - w.len()..s].eq_ignore_ascii_case(w))?;
    let len = rest
        .iter()
        .take(256)
        .take_while(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .count();
    let a = vs + 4;
    (len > 0).then(|| (a, a + len, word[..word.len() - 1].to_ascii_lowercase()))
}

/// The `"password"` of an Azure app's credentials as `az ad sp create-for-rbac` and `az ad
/// app credential reset` print them (`"appId": "…"` a member before): a client secret,
/// GENERIC_SECRET, not a person's password.
pub(super) fn azure_app_secret(hay: &[u8], s: usize) -> bool {
    let from = s.saturating_sub(200);
    let before = &hay[from..s];
    s > 0
        && hay[s - 1] == b'"'
        && memchr::memmem::find(before, b"\"appId\":").is_some()
        && !before.contains(&b'}')
}

/// A row of `pulumi config` output (`app:dbPassword              VALUE`): a namespace, `:`,
/// a name, two blanks or more, one value token to the line's end; (name start, name end,
/// value start, value end) of the line `ls..le`.
fn pulumi_row(hay: &[u8], ls: usize, le: usize) -> Option<(usize, usize, usize, usize)> {
    let line = &hay[ls..le];
    let ns = line
        .iter()
        .take_while(|&&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        .count();
    if ns == 0 || line.get(ns) != Some(&b':') {
        return az_variable_row(hay, ls, le);
    }
    let name_s = ns + 1;
    let name_e = name_s
        + line[name_s..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
            .count();
    let gap = line[name_e..].iter().take_while(|&&b| b == b' ').count();
    if name_e == name_s || gap < 2 {
        return None;
    }
    let vs = name_e + gap;
    let mut ve = line.len();
    while ve > vs && line[ve - 1] == b' ' {
        ve -= 1;
    }
    if ve == vs || line[vs..ve].iter().any(|&b| b == b' ' || b == b'\t') {
        return None;
    }
    Some((ls + name_s, ls + name_e, ls + vs, ls + ve))
}

/// A row of `az pipelines variable-group variable list -o table` (`sqlAdminPassword
/// False        VALUE`): a name at the line's start, two blanks or more, the `Is Secret`
/// column (`True`/`False`), two blanks or more, one value token to the line's end; as
/// `pulumi_row` gives one. (Fifteenth round, part B.)
fn az_variable_row(hay: &[u8], ls: usize, le: usize) -> Option<(usize, usize, usize, usize)> {
    let line = &hay[ls..le];
    let gap = |from: usize| line[from..].iter().take_while(|&&b| b == b' ').count();
    let name_e = line
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        .count();
    let flag_s = name_e + gap(name_e);
    let flag = [b"False".as_slice(), b"True"]
        .into_iter()
        .find(|w| line[flag_s..].starts_with(w))?;
    let vs = flag_s + flag.len() + gap(flag_s + flag.len());
    if name_e == 0 || flag_s < name_e + 2 || vs < flag_s + flag.len() + 2 {
        return None;
    }
    let ve = line.len() - line.iter().rev().take_while(|&&b| b == b' ').count();
    if ve <= vs || line[vs..ve].iter().any(|&b| b == b' ' || b == b'\t') {
        return None;
    }
    Some((ls, ls + name_e, ls + vs, ls + ve))
}

/// A password in `pulumi config --show-secrets` output: the row whose name ends in the
/// keyword at `hay[s..e]` (`app:dbPassword`, `db:password`). `None` when the line is no
/// such row. A `[secret]` (the value hidden) is none.
pub(super) fn pulumi_config_password(hay: &[u8], s: usize, e: usize) -> Option<Outcome> {
    let (ls, le) = line_around(hay, s);
    let (name_s, name_e, vs, ve) = pulumi_row(hay, ls, le)?;
    if name_e != e || s < name_s {
        return None;
    }
    let value = &hay[vs..ve];
    // Judged as a `key=value` password is (`€` and all: `Z0nn€b10€m2024`).
    // `None`: the value `az` hides (a secret variable's, `Is Secret` `True`).
    let ok = !matches!(value[0], b'[' | b'$' | b'<' | b'{' | b'*')
        && !value.eq_ignore_ascii_case(b"none")
        && value.len() <= 128
        && v::mixed_classes(value)
        && !stand_in(value)
        && !variable_reference(value);
    Some(if ok {
        Outcome::Hit(Hit::new(Entity::Password, vs, ve))
    } else {
        Outcome::Reject
    })
}

/// After a password found in a `pulumi config` row starting its value at `vs`: the table's
/// other rows whose name ends in `secret`, `token` or `key` (`app:sessionSecret`), each
/// value with a secret's shape (`secret_token_at`; a vendor's key is its own rule's).
pub(super) fn pulumi_table_secrets(
    hay: &[u8],
    vs: usize,
    threshold: f64,
    sink: &mut dyn FnMut(Hit),
) {
    let (ls, le) = line_around(hay, vs);
    if pulumi_row(hay, ls, le).is_none_or(|r| r.2 != vs) {
        return;
    }
    let mut row = |ls: usize, le: usize| -> bool {
        let header = hay[ls..le].starts_with(b"KEY ");
        let Some((name_s, name_e, vs, ve)) = pulumi_row(hay, ls, le) else {
            return header;
        };
        let name = hay[name_s..name_e].to_ascii_lowercase();
        if name.ends_with(b"secret") || name.ends_with(b"token") || name.ends_with(b"key") {
            if let Outcome::Hit(h) = secret_token_at(hay, vs, ve, threshold) {
                sink(h);
            }
        }
        true
    };
    // Up to the header, then down to the table's end.
    let mut s = ls;
    while s > 0 {
        let (ps, pe) = line_around(hay, s - 1);
        if !row(ps, pe) {
            break;
        }
        s = ps;
    }
    let mut e = le + usize::from(hay.get(le) == Some(&b'\r'));
    while e < hay.len() {
        let (ns, ne) = line_around(hay, e + 1);
        if e + 1 >= hay.len() || !row(ns, ne) {
            break;
        }
        e = ne + usize::from(hay.get(ne) == Some(&b'\r'));
    }
}

/// A variable set by a directive on its own line, name and value separated by blanks:
/// Apache's `SetEnv DB_PASS …`, csh's `setenv DB_PASSWORD …`, a Dockerfile's legacy `ENV
/// DB_PASSWORD …`, where the keyword at `hay[s..e]` ends the name. The value is the rest of
/// the line (one token, quotes taken off), a password when it reads as one
/// (`password_like`). `None` when the keyword is no such variable's name. (Fourteenth
/// round, part B.)
pub(super) fn env_directive_password(hay: &[u8], s: usize, e: usize) -> Option<Outcome> {
    if !matches!(hay.get(e), Some(b' ' | b'\t')) || !env_directive_name_before(hay, s) {
        return None;
    }
    let (_, le) = line_around(hay, e);
    let vs = e + hay[e..le]
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    let quote = hay.get(vs).filter(|b| matches!(b, b'"' | b'\''));
    let (vs, ve) = match quote {
        Some(&q) => {
            let len = hay[vs + 1..le].iter().position(|&b| b == q)?;
            (vs + 1, vs + 1 + len)
        }
        None => (vs, le),
    };
    let rest = &hay[ve + usize::from(quote.is_some())..le];
    let value = &hay[vs..ve];
    Some(
        if rest.iter().all(|b| matches!(b, b' ' | b'\t'))
            && !value.iter().any(|b| matches!(b, b' ' | b'\t'))
            && password_like(value)
        {
            Outcome::Hit(Hit::new(Entity::Password, vs, ve))
        } else {
            Outcome::Reject
        },
    )
}

/// Whether the name ending with the keyword that starts at `s` is the variable of a
/// `SetEnv`/`setenv`/`ENV` directive opening its line (blanks before it; `env_directive_password`).
pub(super) fn env_directive_name_before(hay: &[u8], s: usize) -> bool {
    let name = hay[..s]
        .iter()
        .rev()
        .take(48)
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    let ns = s - name;
    let (ls, _) = line_around(hay, ns);
    let head = &hay[ls..ns];
    let head = &head[head
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count()..];
    let Some(dir) = head.strip_suffix(b" ").or_else(|| head.strip_suffix(b"\t")) else {
        return false;
    };
    let dir = dir.trim_ascii_end();
    dir.eq_ignore_ascii_case(b"setenv") || dir == b"ENV"
}
