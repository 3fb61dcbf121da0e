//! Precision negatives of the twenty-ninth round (issue #20, task prec): a finding that sits
//! where a standard or a vendor's document says what the thing is, and it is no secret, phone
//! or address.
//!
//! Each was measured on the **population** of its construction on every training split
//! (`benches/prec_r29_population.py`: every place of it by gold label, and every finding of
//! main's engine inside it; docs/redaction-accuracy.md, "Twenty-ninth round, task prec"):
//!
//! - `<digits>-<letters and digits>.apps.googleusercontent.com` is a Google OAuth 2.0 client
//!   id (Google's "Using OAuth 2.0 to Access Google APIs": the project number, `-`, 32
//!   lower-case letters and digits, `.apps.googleusercontent.com`; the client id is the
//!   public half, sent in every authorization request's URL, the client secret is the
//!   other). 105 places in six writers' splits (blind6, 15, 21, 24, 25, 28), none gold; main
//!   found 11 of them as GENERIC_SECRET (blind28), all false;
//! - the fields after an access log's request line and status (`"GET /p HTTP/2" 401 - 0 2184
//!   736 "10.1.2.3"`) are the response flags, byte counts and durations: Envoy's default
//!   format (`"%REQ(:METHOD)% … %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS%
//!   %BYTES_RECEIVED% %BYTES_SENT% %DURATION% …`), the Common / Combined Log Format's `%>s
//!   %b`. 656 places in eight writers' splits, none holding gold; main found 12 phones there
//!   (blind28), all false. The quoted field right after them (Envoy's
//!   `"%REQ(X-FORWARDED-FOR)%"`) is the client's address: a dotted quad there is no French
//!   phone written with dots (`87.58.20.86` after `GET /api/v3/tools/call`, whose `call`
//!   read as a phone's context). 52 places in one writer's split (blind28), all gold IPV4;
//!   main found 51 as IPV4 and 1 as PHONE: taken on Envoy's documented format;
//! - a dotted quad in a `User-Agent:` header's value is a product's version (RFC 9110
//!   §10.1.5 and RFC 3261 §20.41: `User-Agent = product *( RWS ( product / comment ) )`;
//!   a Yealink phone sends `User-Agent: Yealink SIP-T46U 66.86.0.15`). One writer's split
//!   (blind28, 3 places, none gold; main found all 3 as IPV4): taken on the standard's word;
//! - a password finding that opens at the `}` of a `${NAME}` reference (`postgres://app:
//!   ${DB_PASSWORD}@localhost:5432/app`: the name `DB_PASSWORD` inside a POSIX parameter
//!   expansion, a Compose or Helm variable, is no assignment, and `}@localhost:5432/app` no
//!   value of it). 658 references in 21 writers' splits, no gold opening at or after a `}`;
//!   main found 8 such passwords (blind28), all false;
//! - the password of a netrc entry whose login is `anonymous` (`machine h login anonymous
//!   password anonymous@`): anonymous FTP, whose password is by convention the user's mail
//!   address or a stand-in (RFC 1635, "How to Use Anonymous FTP"), a placeholder or a
//!   reference (`vault:secret/data/app#token`). 50 places in three writers' splits (blind21,
//!   24, 28), none gold; main found 6 (blind24 3, blind28 3), all false;
//! - a field of an HL7 v2 segment (`PV1|1|O|CLINIC^299||||3020^BOSCH`: a line opening with a
//!   segment id and `|`, in a message whose header names its encoding characters,
//!   `MSH|^~\&`) holds one of the standard's data types (PV1-3 a patient's location, point
//!   of care `^` room), and no segment of the standard's carries a password. 321 segments in
//!   three writers' splits (blind11, 21, 28), none holding a gold PASSWORD or GENERIC_SECRET
//!   (their phones, birth dates, SSNs and e-mail addresses are found as before); main found
//!   20 passwords there (blind21), all false.

/// The Google OAuth client id's domain (module docs).
const OAUTH_DOMAIN: &[u8] = b".apps.googleusercontent.com";

/// Whether a PASSWORD or GENERIC_SECRET finding `hay[s..e]` is no secret by the constructions
/// of the module docs: a Google OAuth client id, a finding opening at a `${NAME}`
/// reference's `}`, the password of a netrc entry logged in as `anonymous`, a field of an
/// HL7 v2 segment. By the first byte: a client id opens with a digit, a reference's end
/// with `}`.
pub(crate) fn not_secret(hay: &[u8], s: usize, e: usize) -> bool {
    let v = &hay[s..e];
    match v.first() {
        None => false,
        Some(b'}') => reference_close(hay, s),
        Some(b) => {
            (b.is_ascii_digit() && oauth_client_id(v))
                || anonymous_login(hay, s)
                || hl7_segment(hay, s)
        }
    }
}

/// Whether the value at `s` is a field (or a component) of an HL7 v2 segment: a field
/// separator or a component, repetition or subcomponent separator right before it (`|`, `^`,
/// `~`, `&`: the cheapest byte first), its line opening with a segment id (a capital, two
/// capitals or digits) and `|`, and the text holding the message header's encoding
/// characters `MSH|^~` (module docs).
pub(crate) fn hl7_segment(hay: &[u8], s: usize) -> bool {
    if s == 0 || !matches!(hay[s - 1], b'|' | b'^' | b'~' | b'&') {
        return false;
    }
    let Some(i) = line_start(hay, s, 1024) else {
        return false;
    };
    let id = &hay[i..];
    id.len() >= 4
        && id[0].is_ascii_uppercase()
        && id[1..3]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && id[3] == b'|'
        && memchr::memmem::find(hay, b"MSH|^~").is_some()
}

/// The start of the line holding `s`, looked for in the `window` bytes before it: after a
/// newline or a carriage return (HL7's segment terminator), or after an escaped one inside a
/// JSON string (`\n`, `\r`); the text's start. `None` when the window holds no line break
/// and does not reach the text's start.
fn line_start(hay: &[u8], s: usize, window: usize) -> Option<usize> {
    let from = s.saturating_sub(window);
    let mut end = s;
    while let Some(p) = memchr::memrchr3(b'\n', b'\r', b'\\', &hay[from..end]) {
        let p = from + p;
        match hay[p] {
            b'\\' if matches!(hay.get(p + 1), Some(b'n' | b'r')) => return Some(p + 2),
            b'\\' => end = p,
            _ => return Some(p + 1),
        }
    }
    (from == 0).then_some(0)
}

/// Whether `v` is a Google OAuth client id: digits, `-`, lower-case letters and digits,
/// `.apps.googleusercontent.com` (module docs).
pub(crate) fn oauth_client_id(v: &[u8]) -> bool {
    let Some(head) = v.strip_suffix(OAUTH_DOMAIN) else {
        return false;
    };
    let digits = head.iter().take_while(|b| b.is_ascii_digit()).count();
    let rest = &head[digits..];
    digits >= 1
        && rest.len() >= 2
        && rest[0] == b'-'
        && rest[1..]
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Whether `hay[s]` is the `}` closing a `${NAME}` reference (module docs).
fn reference_close(hay: &[u8], s: usize) -> bool {
    let name = hay[..s]
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    name >= 1 && s >= name + 2 && &hay[s - name - 2..s - name] == b"${"
}

/// Whether the value at `s` is (or lies in) the token after `login anonymous password`
/// (blanks between; netrc's tokens: module docs): `anonymous@`, and the `secret/data/app#token`
/// of `vault:secret/data/app#token`.
fn anonymous_login(hay: &[u8], s: usize) -> bool {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    // Back to the start of the token holding the value (within 64 bytes).
    let from = s.saturating_sub(64);
    let mut i = match memchr::memrchr3(b' ', b'\t', b'\n', &hay[from..s]) {
        Some(p) => from + p + 1,
        None if from == 0 => 0,
        None => return false,
    };
    // Each of the three words, back from the value, after at least one blank.
    for word in [&b"password"[..], b"anonymous", b"login"] {
        let blanks = hay[..i].iter().rev().take_while(|b| blank(b)).count();
        if blanks == 0
            || i - blanks < word.len()
            || &hay[i - blanks - word.len()..i - blanks] != word
        {
            return false;
        }
        i -= blanks + word.len();
    }
    i == 0 || blank(&hay[i - 1])
}

/// Whether the phone candidate `hay[s..e]` (digits and blanks) lies in the fields after an
/// access log's request line and status (`after_access_status`; module docs).
pub(crate) fn access_log_counts(hay: &[u8], s: usize, e: usize) -> bool {
    // The cheapest byte first: a blank before the candidate, as every field is led by one.
    s > 0
        && hay[s - 1] == b' '
        && hay[s..e].iter().all(|b| b.is_ascii_digit() || *b == b' ')
        && after_access_status(hay, s)
}

/// Whether the dotted quad at `s` is the quoted field right after those fields (Envoy's
/// `"%REQ(X-FORWARDED-FOR)%"`): an address, not a French phone written with dots after a
/// path's word (`/tools/call`) that reads as a phone's context (module docs).
pub(crate) fn access_log_address(hay: &[u8], s: usize) -> bool {
    if s < 2 || hay[s - 1] != b'"' {
        return false;
    }
    let j = if hay[s - 2] == b'\\' { s - 2 } else { s - 1 };
    j > 0 && hay[j - 1] == b' ' && after_access_status(hay, j)
}

/// Whether `hay[..i]` ends with an access log's request line, status and fields:
/// `HTTP/x[.y]"` (its quote may be escaped, `\"`: a log line inside JSON), a blank, a
/// three-digit status, then fields of digits, `-` or response flags (`UF`, `UF,URX`), each
/// led by a blank, up to `i`.
fn after_access_status(hay: &[u8], i: usize) -> bool {
    // Back over the fields (at most a few dozen bytes) to the status.
    let mut i = i;
    let stop = i.saturating_sub(64);
    while i > stop
        && (hay[i - 1].is_ascii_digit()
            || hay[i - 1].is_ascii_uppercase()
            || matches!(hay[i - 1], b' ' | b'-' | b','))
    {
        i -= 1;
    }
    // `" ddd ` (or `\" ddd `): the quote closing the request line, then the status.
    let fields = &hay[i..];
    if fields.len() < 5
        || fields[0] != b' '
        || !fields[1..4].iter().all(u8::is_ascii_digit)
        || !(b'1'..=b'5').contains(&fields[1])
        || fields[4] != b' '
        || i == 0
        || hay[i - 1] != b'"'
    {
        return false;
    }
    let mut j = i - 1;
    if j > 0 && hay[j - 1] == b'\\' {
        j -= 1;
    }
    // `HTTP/d` or `HTTP/d.d` before the quote.
    let h = &hay[..j];
    let version = |n: usize| {
        h.len() >= 5 + n
            && &h[h.len() - 5 - n..h.len() - n] == b"HTTP/"
            && h[h.len() - n..].iter().enumerate().all(|(k, b)| {
                if k == 1 {
                    *b == b'.'
                } else {
                    b.is_ascii_digit()
                }
            })
    };
    version(1) || version(3)
}

/// Whether the dotted quad at `s` is in a `User-Agent:` header's value: a blank before it
/// (the cheapest byte first: a product token follows one), its line opening with the
/// header's name, in any case (module docs).
pub(crate) fn user_agent_header(hay: &[u8], s: usize) -> bool {
    const NAME: &[u8] = b"user-agent:";
    if s == 0 || hay[s - 1] != b' ' {
        return false;
    }
    let Some(i) = line_start(hay, s, 256) else {
        return false;
    };
    let line = &hay[i..s];
    let blanks = line
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t'))
        .count();
    line.len() >= blanks + NAME.len()
        && line[blanks..blanks + NAME.len()].eq_ignore_ascii_case(NAME)
}
