//! Validation of a candidate by rule: secrets (known prefixes, entropy, PEM blocks, JWTs),
//! `key=value` secrets, e-mail addresses, IP addresses, dates of birth, and the shape of
//! each match.

use super::super::entity::Entity;
use super::super::validate as v;

use super::*;
use regex_automata::{Anchored, Input};

impl Detector {
    pub(super) fn check(
        &self,
        kind: Kind,
        hay: &[u8],
        s: usize,
        e: usize,
        ctx: ScanContext,
    ) -> Outcome {
        let hit = |entity, start, end| Outcome::Hit(Hit::new(entity, start, end));
        let reject = Outcome::Reject;
        let text = &hay[s..e];
        let before = if s == 0 { None } else { Some(hay[s - 1]) };
        let after = hay.get(e).copied();
        let word_bounded = !before.is_some_and(v::is_word) && !after.is_some_and(v::is_word);
        // A vendor key or a JWT may also be glued to the name of the variable it is assigned
        // to (`export GH_TOKENghu_…`; `evidence_r24n::env_name_before`; twenty-fourth round,
        // task num). Asked only of those rules' matches.
        let key_bounded = || {
            word_bounded
                || (!after.is_some_and(v::is_word) && super::evidence_r24n::env_name_before(hay, s))
        };
        match kind {
            Kind::PemBegin => {
                // OpenVPN's static key (`evidence_r32g`): its hex lines, a GENERIC_SECRET.
                if hay.get(s + 12) == Some(&b'p') {
                    return super::evidence_r32g::openvpn_static_key(hay, s)
                        .map_or(reject, Outcome::Hit);
                }
                let end = find_pem_end(hay, e);
                let mut h = Hit::new(Entity::PrivateKey, s, end.unwrap_or(hay.len()));
                // A block whose body is a placeholder (`...`, `(key material omitted)`,
                // `<your key>`, `MIIE...`): a real body is base64 in lines of 64; one of
                // 40 or more is required. Without an END line the block is masked to the
                // end of the text, as before.
                h.placeholder = end.is_some_and(|end| pem_body_placeholder(&hay[e..end]));
                Outcome::Hit(h)
            }
            Kind::Jwt => match secret_if(
                key_bounded() && v::jwt_header_ok(text),
                Entity::Jwt,
                hay,
                s,
                e,
            ) {
                Outcome::Hit(mut h) => {
                    h.placeholder |= v::jwt_signature_placeholder(text, after);
                    Outcome::Hit(h)
                }
                r => r,
            },
            Kind::Anthropic => secret_if(key_bounded(), Entity::AnthropicKey, hay, s, e),
            Kind::OpenAi => {
                let body = &text[3..];
                // OpenAI's keys hold 32 bytes or more after `sk-` (48, or a project's and a
                // service account's longer ones); a shorter `sk-` token is another tool's
                // key (LiteLLM's `master_key: sk-…` of 22), a GENERIC_SECRET by its key's
                // name (`starts_with_known_secret`). (Sixteenth round, part B.)
                let ok = key_bounded()
                    && (v::secret_placeholder(text)
                        || openai_body_ok(body)
                            && body.iter().any(u8::is_ascii_digit)
                            && body.iter().any(u8::is_ascii_alphabetic)
                            && v::shannon_entropy(body) > 3.0);
                // LiteLLM's `master_key: sk-…`, the proxy's own key (`evidence_r33g`);
                // Langfuse's secret key `sk-lf-<uuid>` (`evidence_r35g`).
                if ok
                    && (super::evidence_r33g::litellm_master_key(hay, s, body)
                        || super::evidence_r35g::langfuse_secret_key(body)
                        // OpenRouter's `sk-or-v1-…` (`evidence_r38v`).
                        || super::evidence_r38v::openrouter_key(body))
                {
                    return secret_if(true, Entity::GenericSecret, hay, s, e);
                }
                secret_if(ok, Entity::OpenaiKey, hay, s, e)
            }
            // A `_` in the body (`sk_live_REPLACE_WITH_YOUR_KEY_0000`,
            // `gho_your_token_here_000…`): no generated key holds one, so it is a placeholder
            // or nothing.
            Kind::Stripe | Kind::Github
                if text[if kind == Kind::Stripe { 8 } else { 4 }..].contains(&b'_')
                    && !text.starts_with(b"github_pat_")
                    && !v::secret_placeholder(text) =>
            {
                reject
            }
            // Shorter than the vendor's tokens (`ghs_EXAMPLE…` of 34, `AIzaSyA-EXAMPLE-KEY-…`
            // of 34 after `AIza`): a documentation placeholder when the body says so, else
            // nothing.
            Kind::Github | Kind::Google
                if text.len() < if kind == Kind::Google { 39 } else { 40 }
                    && !text.starts_with(b"github_pat_") =>
            {
                let entity = if kind == Kind::Google {
                    Entity::GoogleApiKey
                } else {
                    Entity::GithubToken
                };
                // Also a body of a placeholder's shape (`AIzaSy000…` of 34 zeros,
                // `ghp_YourPersonalAccessTokenGoesHere0000`: runs, stand-in words).
                let example = example_word(text) || short_token_placeholder(text);
                match secret_if(word_bounded && example, entity, hay, s, e) {
                    Outcome::Hit(mut h) => {
                        h.placeholder = true;
                        Outcome::Hit(h)
                    }
                    r => r,
                }
            }
            Kind::Stripe | Kind::Github | Kind::Slack | Kind::Aws | Kind::Google => {
                let entity = match kind {
                    Kind::Stripe => Entity::StripeKey,
                    Kind::Github => Entity::GithubToken,
                    Kind::Slack => Entity::SlackToken,
                    Kind::Aws => Entity::AwsAccessKey,
                    _ => Entity::GoogleApiKey,
                };
                let mut out = secret_if(key_bounded(), entity, hay, s, e);
                // A Slack token with no number is a placeholder: twenty-eighth round, task prec.
                if let (Kind::Slack, Outcome::Hit(h)) = (kind, &mut out) {
                    h.placeholder |= super::evidence_r28n::slack_without_number(&hay[s..e]);
                }
                out
            }
            Kind::Bearer => {
                let vs = s + text.iter().position(|&b| b == b' ').unwrap_or(0);
                let vs = vs + hay[vs..e].iter().take_while(|&&b| b == b' ').count();
                let value = &hay[vs..e];
                // `Basic` only before base64 of `user:password` ("basic Configuration…" is a
                // word of the sentence). (Sixteenth round, part B.)
                let basic = text[0] | 0x20 == b'b' && text[1] | 0x20 == b'a';
                if starts_with_known_secret(value) || basic && !v::basic_credentials(value) {
                    Outcome::Reject
                } else if v::mixed_classes(value)
                    && v::shannon_entropy(value) >= self.entropy_threshold
                {
                    // A documentation example (`Bearer wJalrXUtnFEMI/…EXAMPLEKEY`).
                    let mut h = Hit::new(Entity::GenericSecret, vs, e);
                    h.placeholder = v::secret_placeholder(value);
                    Outcome::Hit(h)
                } else {
                    Outcome::Reject
                }
            }
            Kind::AwsExampleSecret => {
                let mut h = Hit::new(Entity::GenericSecret, s, e);
                h.placeholder = true;
                if word_bounded {
                    Outcome::Hit(h)
                } else {
                    reject
                }
            }
            Kind::AwsSecretWord => {
                let vs = s + b"s_secret_access_key".len();
                let vs = vs
                    + hay[vs..e]
                        .iter()
                        .take_while(|&&b| b == b' ' || b == b'\t')
                        .count();
                secret_token_at(hay, vs, e, self.entropy_threshold)
            }
            Kind::KeyValue => self.check_key_value(hay, s, e),
            // A `TOTP: …` label's seed (`evidence_r30g`), from the colon pass.
            Kind::ProsePassword
                if hay[s] | 0x20 == b't' && super::evidence_r30g::totp_label_before(hay, s + 4) =>
            {
                super::evidence_r30g::totp_seed(hay, s)
            }
            Kind::ProsePassword => super::evidence_r25p::or_key_value(
                hay,
                s,
                match prose_keyword(hay, s) {
                    // `api key` (`rejected request with api key …`, `API key: …`): a key.
                    Some((ks, ke))
                        if ke - ks == 7 && hay[ks..ke].eq_ignore_ascii_case(b"api key") =>
                    {
                        secret_in_prose(hay, ke, false, self.entropy_threshold)
                    }
                    Some((ks, ke)) => check_prose_password(hay, ks, ke),
                    None => reject,
                },
            ),
            // PowerShell's `ConvertTo-SecureString 'PLAIN' -AsPlainText` (`evidence_r40p`).
            Kind::SecretWord if hay[s] == b' ' && hay.get(s + 1) == Some(&b'-') => {
                super::evidence_r40p::secure_string_password(hay, s + 1)
                    .map_or(reject, Outcome::Hit)
            }
            Kind::SecretWord => match secret_word_at(hay, s) {
                // A name joined to its secret's word, then a blank (twenty-fourth round).
                Some((ks, ke))
                    if super::evidence_r24s::joined_name_at(hay, s) == Some((ks, ke)) =>
                {
                    super::evidence_r24s::blank_pair_value(hay, ke, self.entropy_threshold)
                }
                Some((ks, ke)) if hay[ks] | 0x20 == b'i' => sql_identified_by(hay, ke),
                Some((_, ke)) if hay[..ke].ends_with(b"with") => login_with(hay, ke),
                Some((ks, ke)) if hay[..ke].ends_with(b"it to") => set_it_to(hay, ks, ke),
                Some((ks, ke)) if hay[ks..ke].eq_ignore_ascii_case(b"pass") => {
                    xml_password(hay, ks, ke).unwrap_or(reject)
                }
                Some((ks, ke)) if hay[ks..ke].eq_ignore_ascii_case(b"auth") => redis_auth(hay, ke),
                Some((ks, ke)) if hay[ks] == b'/' => webhook_token(hay, ke),
                Some((ks, ke)) if hay[ks] == b'$' => {
                    cat_secret_file(hay, ke, self.entropy_threshold)
                }
                // An SNMP community shorter than a token (`evidence_r31g`).
                Some((ks, ke)) if &hay[ks..ke] == b"community" => {
                    match super::evidence_r31g::snmp_community(hay, ke) {
                        Some(h) => Outcome::Hit(h),
                        None => secret_in_prose(hay, ke, true, self.entropy_threshold),
                    }
                }
                Some((ks, ke)) if &hay[ks..ke] == b"add_user" => {
                    super::evidence_r32p::rabbitmq_add_user(hay, ke)
                }
                Some((ks, ke)) if PASSWORD_SETTINGS.contains(&&hay[ks..ke]) => {
                    password_setting_value(hay, ke)
                }
                // npm's token table, `│ token │ npm_… │` (`evidence_r34g`).
                Some((ks, ke)) if hay[ks..ke].eq_ignore_ascii_case(b"token") => {
                    match super::evidence_r34g::token_table_row(hay, ks, ke) {
                        Some(h) => Outcome::Hit(h),
                        None => secret_in_prose(hay, ke, true, self.entropy_threshold),
                    }
                }
                Some((_, ke)) => secret_in_prose(hay, ke, true, self.entropy_threshold),
                // A vendor's token after `--…-token` (`evidence_r31g`).
                None => {
                    super::evidence_r31g::flag_vendor_token(hay, s).map_or(reject, Outcome::Hit)
                }
            },
            Kind::Dob => {
                // The date part; vCard's basic `BDAY:19661019` is its last 8 digits; a date
                // written with blanks (`05 17 1958`) its last three groups.
                // UN/EDIFACT's `DTM+329:` (`evidence_r31f`): the value after it.
                let ds = if hay[s..e].starts_with(b"DTM+329:") {
                    s + 8
                } else {
                    match spaced_date_start(&hay[s..e]) {
                        Some(i) => s + i,
                        None => match self.date_re.find(&hay[s..e]) {
                            Some(m) => s + m.start(),
                            None if e - s > 8 && hay[e - 8..e].iter().all(u8::is_ascii_digit) => {
                                e - 8
                            }
                            None => s,
                        },
                    }
                };
                // `b. ` (born) stands at a line's start, after `(` or after `, ` (or a log's
                // flattened line break, `| `).
                let born_ok = !hay[s..].starts_with(b"b. ")
                    || matches!(before, None | Some(b'\n' | b'(' | b'['))
                    || (before == Some(b' ') && s >= 2 && matches!(hay[s - 2], b',' | b';' | b'|'));
                // An ISO 8601 date-time's time (`1956-01-31T00:00:00.000Z`) may follow.
                let iso_time =
                    after == Some(b'T') && hay.get(e + 1).is_some_and(u8::is_ascii_digit);
                if (after.is_some_and(|b| b.is_ascii_alphanumeric()) && !iso_time)
                    || !born_ok
                    || birthday_event(&hay[s..ds])
                {
                    reject
                } else {
                    hit(Entity::DateOfBirth, ds, e)
                }
            }
            Kind::Iban => check_iban(hay, s, e),
            Kind::Card => {
                // A 13-digit Visa grouped `4ddd dddd dddd d`: the shape ends before the last
                // group (`evidence_r30c`; thirtieth round, task cid).
                let e = if e - s == 14 {
                    super::evidence_r30c::visa13_group_end(hay, s, e).unwrap_or(e)
                } else {
                    e
                };
                // A GDS's form of payment (`FP CCVI4111…/0828`) names a card, and its expiry
                // follows the `/`.
                let fop = before.is_some_and(v::is_word) && payment_card_code_before(hay, s);
                if matches!(before, Some(b'-' | b'.' | b'/'))
                    || (followed_by_digit_after(hay, e, b"-./") && !fop)
                {
                    return reject;
                }
                // A number filling a string under an identifier's key (`"speakerId":
                // "6155428445104824"`, `"id": "4955082775064672222"`) is that identifier.
                if ctx.ident_key && s == 0 && e == hay.len() {
                    return reject;
                }
                // A field of a colon-separated id (an ARN's account, a Firebase app id):
                // twenty-seventh round, task prec.
                if super::evidence_r27n::colon_field(hay, s, e) {
                    return reject;
                }
                // Another standard's identifier (an IDoc's number, an OFX `FITID`, a pet's
                // chip): thirtieth round, task prec.
                if super::evidence_r30n::not_card(hay, s, e) {
                    return reject;
                }
                check_card(hay, s, e, ctx.card_key || fop)
            }
            Kind::Ssn => {
                if (matches!(before, Some(b'-' | b'.' | b'/')) && !ssn_keyword_joined(hay, s))
                    || followed_by_digit_after(hay, e, b"-./")
                {
                    return reject;
                }
                // The shape is fixed: `ddd-dd-dddd` or `ddd dd dddd`.
                let num = |r: std::ops::Range<usize>| {
                    text.get(r).map_or(0, |g| {
                        g.iter()
                            .fold(0u32, |a, d| a * 10 + u32::from(d.wrapping_sub(b'0')))
                    })
                };
                if text.len() == 11
                    && v::ssn_ok(num(0..3), num(4..6), num(7..11))
                    && !member_label_before(hay, s)
                {
                    hit(Entity::UsSsn, s, e)
                } else {
                    reject
                }
            }
            Kind::Ipv4 => {
                // "rv:1.9.4.20" is a browser version in a user agent, not an address.
                let ua_version = s >= 3 && &hay[s - 3..s] == b"rv:";
                // `0.0.0.0` is no host: "any address" (`0.0.0.0/0` in a firewall rule, a
                // WireGuard peer's `AllowedIPs`, `pg_hba.conf`), or a server's bind-all.
                // A dotted number under an identifier's key (`"BUILD": "9.3.6.68"`) is that
                // identifier.
                let ident_value = ctx.ident_key && s == 0;
                // The loopback network (`127.0.0.0/8`, RFC 1122) never leaves the machine:
                // like `0.0.0.0` it names no host and no one (`port=127.0.0.1:9001`,
                // `redis-cli -h 127.0.0.1`; twentieth round).
                let loopback = text.starts_with(b"127.");
                // A subnet mask (`mask = 255.255.255.0`, `netmask 255.255.0.0`: RFC 950's
                // ones then zeros) or the limited broadcast `255.255.255.255` names no host:
                // only a mask's shape, a first octet of 255 (twenty-second round, task num).
                let mask = text.starts_with(b"255.") && netmask(text);
                // Four groups of two digits (`27.10.99.76`) is how French (and Belgian)
                // phones are written with dots: after a phone's context (`Telefon:`, `mon
                // numéro`, `M:`, a mailbox beside it) it is one, not an address (eighteenth
                // round). The phone rule then takes it.
                let dotted_phone = text.len() == 11
                    && text.iter().enumerate().all(|(i, b)| {
                        if i % 3 == 2 {
                            *b == b'.'
                        } else {
                            b.is_ascii_digit()
                        }
                    })
                    && (phone_context_before(hay, s) || email_beside(hay, s, e))
                    // Not an access log's forwarded-for address: twenty-ninth round, task
                    // prec.
                    && !super::evidence_r29n::access_log_address(hay, s);
                if ua_version
                    || dotted_phone
                    || text == b"0.0.0.0"
                    // The instance-metadata address (`evidence_r40n`; fortieth round, task ph).
                    || super::evidence_r40n::metadata_address(text)
                    || loopback
                    || mask
                    || ident_value
                    || version_after(hay, e)
                    || version_word_before(hay, s)
                    || phone_word_before(hay, s)
                    || ctx.phone_key
                    || super::table::in_phone_column(hay, s)
                    || before == Some(b'.')
                    // A fifth dotted number (a version, an OID) unless it is tcpdump's port
                    // (`IP SRC.PORT > DST.PORT:`): thirty-fourth round, task cmd.
                    || (followed_by_digit_after(hay, e, b".")
                        && !super::evidence_r34c::tcpdump_address(hay, s, e, false))
                    || !v::ipv4_ok(text)
                    // A product's version in a `User-Agent:` header: twenty-ninth round,
                    // task prec.
                    || super::evidence_r29n::user_agent_header(hay, s)
                    // A network's prefix (`10.0.0.0/8`): thirty-first round, task fmt.
                    || super::evidence_r31f::network_prefix(hay, text, e)
                    // A user agent's version after a log's `ua=` key: thirty-second round,
                    // task fmt.
                    || super::evidence_r32f::ua_key_before(hay, s)
                {
                    reject
                } else {
                    hit(Entity::Ipv4, s, e)
                }
            }
            // A vendor's documented token prefix anywhere (`evidence_r38v`).
            Kind::VendorPrefix => super::evidence_r38v::vendor_prefix(hay, s, e),
            Kind::Phone => {
                let bad_before = before.is_some_and(|b| {
                    v::is_word(b) || matches!(b, b'.' | b'-' | b'/' | b'+' | b'@')
                });
                // After `hh:mm:` it is the seconds of a time (`08:56:07.147016`).
                let time = before == Some(b':') && s >= 2 && hay[s - 2].is_ascii_digit();
                // A code the dialler sends after the call connects: a conference PIN after a
                // phone and its pause commas (`+1 220-250-0046,,331911340#`), or any number
                // ended by `#` (`Konferenz-ID: 092 264 786#`, as an invitation writes the
                // keys to press).
                let dialled = before == Some(b',')
                    && s >= 3
                    && hay[s - 2] == b','
                    && hay[s - 3].is_ascii_digit();
                let keyed = after == Some(b'#') && !hay.get(e + 1).is_some_and(u8::is_ascii_digit);
                // The rest of an international number whose whole (`+1 555 0100`, tried first
                // from its `+`) was rejected: the calling code and a blank before.
                let cc = hay[..s.saturating_sub(1)]
                    .iter()
                    .rev()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                let intl_rest = before == Some(b' ')
                    && (1..=3).contains(&cc)
                    && s > cc + 1
                    && hay[s - cc - 2] == b'+';
                if bad_before || time || dialled || keyed || intl_rest {
                    return reject;
                }
                // In a blank-aligned table's phone column two blanks end the cell
                // (`+41 78 677 39 29  2025-01-05`: the next column's date is no group).
                let gap = text.windows(2).position(|w| w == b"  ");
                let (e, text, after) = match gap {
                    Some(g) if super::table::in_blank_phone_column(hay, s) => {
                        (s + g, &text[..g], Some(b' '))
                    }
                    _ => (e, text, after),
                };
                // An "extension" of more than six digits (`+447401699087 #7921709`: a
                // message or ticket number after the phone) is none: the phone ends before it.
                let (e, text, after) = match after {
                    Some(b) if b.is_ascii_digit() => {
                        let core_end = phone_core_end(text);
                        if core_end < text.len() {
                            (
                                s + core_end,
                                &text[..core_end],
                                hay.get(s + core_end).copied(),
                            )
                        } else {
                            (e, text, after)
                        }
                    }
                    _ => (e, text, after),
                };
                // Digits right before a mask (`143319******8553`) are the visible part of a
                // masked card or account number.
                // (An X12 segment's `*` separator after its `*TE*` number is none.)
                if after
                    .is_some_and(|b| v::is_word(b) || (b == b'*' && !x12_phone_qualifier(hay, s)))
                {
                    return reject;
                }
                let core_end = phone_core_end(text);
                let shape = |context| v::PhoneShape {
                    text: &text[..core_end],
                    context,
                };
                // The context words are only looked up when they would change the answer.
                // A text table's phone column (`| phone |`, `;Telefon;`) is context too.
                let ok = v::phone_ok(&shape(ctx.phone_key))
                    || (!ctx.phone_key
                        && v::phone_ok(&shape(true))
                        && ((phone_context_before(hay, s)
                            && !super::table::starts_non_phone_row(hay, s))
                            || super::table::in_phone_column(hay, s)
                            || x12_phone_qualifier(hay, s)
                            || email_beside(hay, s, e)));
                // An identifier's label right before (`lot 338 820 3724`, `order no. …`)
                // makes it that identifier, whatever its digits fit.
                // So does an identifier's JSON key (`"order_id": "0510 488 5827"`) for a number
                // opening its string, unless written international (`+44 …`).
                let ident_value = ctx.ident_key
                    && hay[s] != b'+'
                    && hay[..s].iter().all(|&b| matches!(b, b' ' | b'#'));
                // So does a text table's identifier column (`customer_no;…;last_order;…` then
                // `…;705 039 091;…`), unless written international.
                let ok = ok
                    && (ctx.phone_key
                        || !(ident_value
                            || identifier_label_before(hay, s)
                            || (hay[s] != b'+' && super::table::in_ident_column(hay, s))));
                // A card word right before (a card number failing its checks), or a decimal
                // comma and cents right after a number with a `.` (`052 82.850,93 €`: an
                // amount after a CVV column) make no phone.
                // (The amount's last group has three digits after a `.`, its cents end it:
                // not `0121.226.0840,18/06/1948` in a CSV row.)
                let amount = after == Some(b',')
                    && hay
                        .get(e + 1..e + 3)
                        .is_some_and(|c| c.iter().all(u8::is_ascii_digit))
                    && !hay
                        .get(e + 3)
                        .is_some_and(|b| b.is_ascii_alphanumeric() || b"/.-,".contains(b))
                    && text.len() >= 4
                    && text[text.len() - 4] == b'.'
                    && text[text.len() - 3..].iter().all(u8::is_ascii_digit);
                let ok = ok && (ctx.phone_key || !(amount || card_label_before(hay, s)));
                // A GDS segment's departure and arrival times (`AMSFCO HK2  0715 0955`;
                // twenty-third round, task num): asked last, of a phone found; only of nine
                // bytes, the two times' (`gds_segment_times` refuses any other length; its
                // out-of-line call for every phone was ~21 instructions: twenty-sixth round,
                // task cost).
                // A grouping no numbering plan uses, or a field of a colon-separated id
                // (`arn:aws:iam::123456789012:role/…`): twenty-seventh round, task prec.
                let ok = ok
                    && !(super::evidence_r27n::no_plan_grouping(&text[..core_end])
                        || super::evidence_r27n::colon_field(hay, s, e)
                        || super::evidence_r28n::time_member_number(hay, s, e)
                        // An access log's byte counts and durations after the status:
                        // twenty-ninth round, task prec.
                        || super::evidence_r29n::access_log_counts(hay, s, e));
                if ok
                    && !(e.wrapping_sub(s) == 9
                        && super::evidence_r23n::gds_segment_times(hay, s, e))
                {
                    hit(Entity::Phone, s, e)
                } else {
                    reject
                }
            }
        }
    }

    pub(super) fn check_key_value(&self, hay: &[u8], s: usize, e: usize) -> Outcome {
        // Consul's gossip encryption key (`encrypt = "…"`; `evidence_r33g`).
        if hay[s] == b'e' {
            if let Some(h) = super::evidence_r33g::consul_gossip_key(hay, s) {
                return Outcome::Hit(h);
            }
        }
        let text = &hay[s..e];
        let Some(sep) = text.iter().position(|&b| matches!(b, b':' | b'=' | b'>')) else {
            return Outcome::Reject;
        };
        // An element named for a secret (`<apiToken>…</apiToken>`): the start tag's name
        // ends in the keyword, and the value runs to the end tag.
        if text[sep] == b'>'
            && (tag_key_start(hay, s + sep) != Some(s) || !hay[e..].starts_with(b"</"))
        {
            return Outcome::Reject;
        }
        // An array's key (`env[DB_PASSWORD] = …`): the `]` is no part of the name.
        let key: Vec<u8> = text[..sep]
            .iter()
            .filter(|&&b| b != b']')
            .map(u8::to_ascii_lowercase)
            .collect();
        // PHP's and Ruby's `=>` (`'private_key' => '…'`, Magento's `crypt key => …`): the
        // `>` is the separator's; a Laravel validation rule (`'password' =>
        // 'required|min:8'`) is no value.
        let arrow = text[sep] == b'=' && text.get(sep + 1) == Some(&b'>');
        // `token` ending a name of no secret (`ClientRequestToken`, `next_token`): the
        // JSON keys' `NOT_SECRET_SUFFIXES`.
        if key.starts_with(b"token") && not_secret_token_name(hay, s) {
            return Outcome::Reject;
        }
        // Make's and Go's `:=` (`HF_TOKEN := hf_…`): the `=` is the separator's.
        let mut vs = s
            + sep
            + 1
            + usize::from(text[sep] == b':' && text.get(sep + 1) == Some(&b'=') || arrow);
        while vs < e && matches!(hay[vs], b' ' | b'\t' | b'"' | b'\'') {
            vs += 1;
        }
        // A POSIX parameter expansion's default (`${ANTHROPIC_API_KEY:-sk-ant-…}`): the
        // `:-` is no separator, the value the word up to the `}` (`evidence_r32f`;
        // thirty-second round, task fmt).
        let shell = super::evidence_r32f::shell_default(hay, s, vs);
        if let Some((ws, _)) = shell {
            vs = ws;
        }
        // A Python bytes or raw string literal (`SECRET_KEY = b'…'`, `r"…"`) or T-SQL's
        // Unicode one (`@rmtpassword = N'…'`, `WITH PASSWORD = N'…'`): its prefix.
        if vs + 1 < e
            && matches!(hay[vs], b'b' | b'B' | b'r' | b'R' | b'u' | b'U' | b'N')
            && matches!(hay[vs + 1], b'"' | b'\'')
            && matches!(hay[vs - 1], b' ' | b'\t' | b'=' | b':')
        {
            vs += 2;
        }
        // The value may hold `&`, `,`, `;`, `<`, `>` (where the pattern stops): a quoted one
        // runs to its closing quote, an unquoted one at the start of a line (`.env`, YAML,
        // INI) to the end of the line. In a query string (`?token=…&page=2`) `&` ends it.
        let e = match shell {
            Some((_, we)) => we,
            None => extend_value(hay, s, vs, e),
        };
        // A Django secret key's shape, whatever byte opens it (`evidence_r30g`).
        if let Some(h) = super::evidence_r30g::django_key_at(hay, vs) {
            return Outcome::Hit(h);
        }
        // `New value: …` after a password reset's message: the token whole (`&` and all).
        let e = if key == b"value" && reset_password_value(hay, s) {
            e + hay[e..]
                .iter()
                .take(128)
                .take_while(|&&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .count()
        } else {
            e
        };
        // A secret's prompt answered (`Enter a secret value: … ANSWER`): the answer, named by
        // the word before `value`.
        let (vs, e, key) = match prompt_answer(hay, s, vs).filter(|_| key == b"value") {
            Some((a, b, name)) => (a, b, name),
            None => (vs, e, key),
        };
        let value = &hay[vs..e];
        // A Terraform plan's in-place change (`~ "API_TOKEN" = "[hidden]" -> "…"`): the new
        // value, judged as a token, under a name of no password (`evidence_r34g`).
        if let Some((ns, ne)) = super::evidence_r34g::plan_diff_new_value(hay, vs, e) {
            if !(key.starts_with(b"pass")
                || key.starts_with(b"pwd")
                || key.starts_with(b"psk")
                || memchr::memmem::find(&key, b"password").is_some())
            {
                return secret_token_at(hay, ns, ne, self.entropy_threshold);
            }
        }
        // age's key file (`# public key: age1…`): the identity on the next line
        // (`evidence_r34g`).
        if key == b"key"
            && value.starts_with(b"age1")
            && super::evidence_r34g::age_public_key_line(hay, s + 3, s + sep)
        {
            if let Some(h) = super::evidence_r34g::age_identity_after(hay, e) {
                return Outcome::Hit(h);
            }
        }
        // Laravel's `APP_KEY=base64:…` (`evidence_r34g`): the key after the prefix.
        if key.starts_with(b"key") && value.starts_with(b"base64:") && named_secret_key(hay, s) {
            if let Some(h) = super::evidence_r34g::laravel_key(hay, vs, e) {
                return Outcome::Hit(h);
            }
        }
        if value.is_empty() || starts_with_known_secret(value) || arrow && value.contains(&b'|') {
            return Outcome::Reject;
        }
        // A Wi-Fi network's name (`ssid = "…"`, `ssid: …`): no secret (`evidence_r36g`).
        if super::evidence_r36g::ssid_name(hay, s, &key) {
            return Outcome::Reject;
        }
        // A Tailscale key (`--authkey=tskey-auth-…`; `evidence_r33g`).
        if key.starts_with(b"key") && value.starts_with(b"tskey-") {
            if let Some(h) = super::evidence_r33g::tailscale_key(hay, vs) {
                return Outcome::Hit(h);
            }
        }
        // Any token after `tailscale up --authkey=` (Tailscale's CLI reference), ESPHome's
        // `api:` `encryption:` `key: "…"` (`evidence_r36g`).
        if key.starts_with(b"key")
            && !value.starts_with(b"tskey-")
            && super::evidence_r36g::tailscale_auth_flag(hay, s)
        {
            return super::evidence_r36g::tailscale_auth_value(hay, vs, e, self.entropy_threshold);
        }
        if key == b"key" && super::evidence_r36g::esphome_api_key(hay, s) {
            return secret_token_at(hay, vs, e, self.entropy_threshold);
        }
        // `gcloud secrets versions access … --secret=<name>`: the next line is the secret
        // (`evidence`; twenty-second round, task sec).
        if key == b"secret" {
            if let Some(o) = evidence::gcloud_secret_access(hay, s, vs, e, self.entropy_threshold) {
                return o;
            }
        }
        // A hash's name (`hashed_secret`), a SealedSecret's ciphertext, sudoers' `NOPASSWD:`
        // tag, a value spelling its key (`privateKey:PrivateKey`): no secret
        // (`evidence`; twenty-second round, task sec).
        if evidence::hashed_name_before(hay, s)
            || evidence::sudoers_nopasswd(hay, s, &key)
            || evidence::value_names_key(&key, value)
            || evidence::sealed_secret_member(hay, s, value)
            || evidence_r23s::redis_key_argument(hay, s, sep)
            || evidence_r23s::session_uuid(&key, value)
        {
            return Outcome::Reject;
        }
        // A card security code: three or four digits (`CVC: 403`, `cvv2=0712`), a
        // GENERIC_SECRET (PCI DSS forbids storing it after authorisation).
        if key.starts_with(b"cv") {
            let digits = value.iter().take_while(|b| b.is_ascii_digit()).count();
            let whole = hay
                .get(vs + digits)
                .is_none_or(|&b| !b.is_ascii_alphanumeric());
            return if (3..=4).contains(&digits) && whole {
                Outcome::Hit(Hit::new(Entity::GenericSecret, vs, vs + digits))
            } else {
                Outcome::Reject
            };
        }
        // An events API's `routing_key` (`evidence_r28g`): a token's shape, one run.
        if key.starts_with(b"key") && super::evidence_r28g::routing_key_before(hay, s) {
            return super::evidence_r28g::routing_key_value(hay, vs, self.entropy_threshold);
        }
        // A URL or a secret manager's reference (`op://vault/item/field`), not the secret.
        let scheme = value.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        if scheme > 0 && value[scheme..].starts_with(b"://") {
            return Outcome::Reject;
        }
        // `value="…"` names its secret in an attribute before (`<add key="ClientSecret"
        // value="…"/>`, `name="db_password" value="…"`).
        // A JSON pair's `"value"` after a member naming its secret (`{"key":"DB_PASSWORD",
        // "value":"…"}`): that name; any other `"value"` member is judged as before.
        let key = if key == b"value\"" {
            json_pair_name_before(hay, s).unwrap_or(key)
        } else if key == b"value" && reset_password_value(hay, s) {
            // `New value: …` after "Password for the [elastic] user successfully reset."
            b"password".to_vec()
        } else if key == b"value" {
            match attribute_name_before(hay, s)
                .or_else(|| yaml_pair_name_before(hay, s))
                .or_else(|| xml_pair_name_before(hay, s))
            {
                Some(name) => name,
                None => return Outcome::Reject,
            }
        } else {
            key
        };
        // A salt kept as an application's secret (Matomo's `[General] salt = "…"`,
        // Nextcloud's `'passwordsalt' => '…'`, WordPress's `NONCE_SALT`): a token's shape
        // (`secret_token_at`), not the rock (`basalt`). Twenty-first round, task sec: every
        // such value of that shape on the training splits is a gold secret
        // (`benches/secret_r21_population.py`).
        if key.starts_with(b"salt") {
            return if s >= 2 && hay[s - 2..s].eq_ignore_ascii_case(b"ba") {
                Outcome::Reject
            } else {
                secret_token_at(hay, vs, e, self.entropy_threshold)
            };
        }
        // A function call (`password = crypt('…', gen_salt('bf'))`: `crypt(` is none) and
        // a secret store's reference (`vault:secret/data/app#token`).
        let call = code_reference(value);
        // A SOPS-encrypted value (`ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]`): ciphertext,
        // which SOPS writes to be committed.
        let sops = value.starts_with(b"ENC[AES256_GCM");
        if matches!(value[0], b'$' | b'{' | b'*' | b'[' | b'<' | b'%' | b'(')
            || call
            || sops
            || audit_hmac(value)
            || mapbox_public_token(hay, s, value)
            || (value.len() > 6 && value[..6].eq_ignore_ascii_case(b"vault:"))
            || value.iter().all(|&b| b == b'x' || b == b'X')
            || variable_reference(value)
            || super::evidence_r28g::env_path_reference(value)
            || stand_in(value)
            || super::evidence_r24s::lowercase_path(value)
            || super::evidence_r32g::twilio_sid(value)
            || super::evidence_r32g::user_provided(value)
            || super::evidence_r38p::cfn_intrinsic(value)
            || super::evidence_r40p::key_vault_reference(value)
            || super::evidence_r40p::inline_code_stand_in(value)
        {
            return Outcome::Reject;
        }
        // `pass` as a key's last part (`"smtp_pass": "…"`, as Ansible prints a host's
        // variables): quoted, after an owner word (`PASSWORD_OWNERS`; not `boarding_pass`).
        // Unquoted, `pass` is the prose rule's (`check_prose_password`).
        if key.starts_with(b"pass") && key.get(4).is_none_or(|b| !b.is_ascii_alphabetic()) {
            let quoted = s > 0 && matches!(key.get(4), Some(b'"' | b'\'')) && {
                let w = hay[..s - 1]
                    .iter()
                    .rev()
                    .take(12)
                    .take_while(|b| b.is_ascii_alphabetic())
                    .count();
                hay[s - 1] == b'_'
                    && s > w + 1
                    && hay[s - w - 2] == key[4]
                    && PASSWORD_OWNERS
                        .iter()
                        .any(|o| o.eq_ignore_ascii_case(&hay[s - 1 - w..s - 1]))
            };
            // Or a member after the user's in the same object (`"smtp": { "user": "…",
            // "pass": "…" }`, nodemailer's `auth`). (Sixteenth round, part B.)
            let quoted_after_user =
                matches!(key.get(4), Some(b'"' | b'\'')) && user_member_before(hay, s);
            if !quoted && !quoted_after_user {
                return Outcome::Reject;
            }
        }
        // A Wi-Fi or IPsec pre-shared key (`wifi_psk=…`, `psk="…"`) is a password.
        // JNDI's `security.credentials=` and Asterisk's peer `secret=` are passwords too
        // (`evidence`; twenty-second round, task sec).
        let is_password = key.starts_with(b"pass")
            || key.starts_with(b"pwd")
            || key.starts_with(b"psk")
            || super::evidence_r28p::wifi_pre_shared_key(hay, s, &key)
            || memchr::memmem::find(&key, b"password").is_some()
            || evidence::jndi_credentials(hay, s, &key)
            || evidence::sip_peer_secret(hay, s, &key);
        // `$password = ConvertTo-SecureString '…' -AsPlainText`: the quoted plain text.
        let entity = if is_password {
            Entity::Password
        } else {
            Entity::GenericSecret
        };
        if let Some(o) = secure_string_password(hay, vs, e, entity) {
            return o;
        }
        if is_password {
            // A yes/no answer is no password (MySQL's `(using password: YES)`).
            let answer = value
                .iter()
                .position(|b| !b.is_ascii_alphabetic())
                .map_or(value, |i| &value[..i]);
            let yes_no = answer.len() == value.len()
                || matches!(value[answer.len()], b')' | b']' | b'.' | b',');
            if yes_no
                && [
                    "yes", "no", "true", "false", "on", "off", "none", "null", "required",
                ]
                .iter()
                .any(|w| w.as_bytes().eq_ignore_ascii_case(answer))
            {
                return Outcome::Reject;
            }
            // One word of letters ending the sentence (`Password: expired.`, `Password:
            // scaduta.`): a status, its `.` no part of a password.
            let status_word = value.len() > 1
                && value.ends_with(b".")
                && value[..value.len() - 1]
                    .iter()
                    .all(|b| b.is_ascii_alphabetic() || *b >= 0x80);
            if v::mixed_classes(value) && !stand_in(value) && !status_word {
                // An Azure app's client secret (`az ad sp create-for-rbac`), a vendor's token
                // (`vendor_token`).
                let entity = if azure_app_secret(hay, s)
                    || vendor_token(value)
                    || evidence_r23s::token_user_before(hay, s)
                    || super::evidence_r40p::django_key_value(hay, vs, e)
                {
                    Entity::GenericSecret
                } else {
                    Entity::Password
                };
                Outcome::Hit(Hit::new(entity, vs, e))
            } else {
                Outcome::Reject
            }
        } else if key == b"sid"
            && (value.len() < 16
                || s > 0
                    && !matches!(
                        hay[s - 1],
                        b' ' | b'\t' | b'\n' | b';' | b'.' | b'"' | b'\'' | b'?' | b'&'
                    ))
        {
            // `sid` names a session cookie alone or after a `.` (`Cookie: sid=…`,
            // `connect.sid=…`), 16 bytes or more; not the end of another name (`AccountSid`,
            // `ORACLE_SID`) nor an Oracle `SID=ORCL`.
            Outcome::Reject
        } else if whole_string_setting(hay, &key, s, vs, e) {
            // `key:` as the whole of a string (a password manager's secure note `"notes":
            // "key: …"`) whose value has a key's shape, as an INI section's `key = …`.
            if setting_key_value(value) {
                secret_token_at(hay, vs, e, self.entropy_threshold)
            } else {
                Outcome::Reject
            }
        } else if key.starts_with(b"key")
            && !(s > 0
                && matches!(hay[s - 1], b'?' | b'&')
                && value.len() >= 16
                && value.iter().any(u8::is_ascii_digit)
                && value.iter().any(u8::is_ascii_alphabetic))
        {
            // `key` alone: a URL's query parameter holding a key (`?key=…`, `&key=…`), 16
            // bytes or more with letters and digits; not `key=id`, `&key=customer_name`. Or
            // a setting named `key` in an INI/TOML section (`[providers.internal]\nkey =
            // "…"`: after a blank or at a line's start, a `[section]` header before) whose
            // value has a key's shape (`setting_key_value`, `secret_token_at`).
            // Or `key` ending a name that names no public or bookkeeping key (`DEPLOY_KEY=…`,
            // Azure's `AccountKey=…`, WireGuard's `PresharedKey = …`: `named_secret_key`).
            if (s > 0 && matches!(hay[s - 1], b'?' | b'&'))
                || !setting_key_value(value)
                || !(ini_section_before(hay, s)
                    || kv_store_path_before(hay, s, s + sep)
                    || named_secret_key(hay, s)
                    || super::evidence_r32g::dotted_secret_access_key(hay, s))
                || (s > 0
                    && (matches!(hay[s - 1], b'_' | b'-') || hay[s - 1].is_ascii_lowercase())
                    && !named_secret_key(hay, s))
            {
                Outcome::Reject
            } else {
                secret_token_at(hay, vs, e, self.entropy_threshold)
            }
        } else if value.len() >= 8
            && !v::secret_placeholder(value)
            && v::mixed_classes(value)
            && v::shannon_entropy(value) >= self.entropy_threshold
        {
            // A value that is itself a `NAME=` pair (`token: slackToken=xoxb-…`): the value
            // after its `=`, judged alone; a vendor's key is its own rule's (`evidence_r37s`).
            // Asked here, where a value is about to be reported, so that no other value pays.
            match super::evidence_r37s::pair_head(hay, vs, e) {
                None => Outcome::Hit(Hit::new(Entity::GenericSecret, vs, e)),
                Some(r) => {
                    let rest = &hay[r..e];
                    if rest.len() >= 8
                        && !starts_with_known_secret(rest)
                        && !stand_in(rest)
                        && !v::secret_placeholder(rest)
                        && v::mixed_classes(rest)
                        && v::shannon_entropy(rest) >= self.entropy_threshold
                    {
                        Outcome::Hit(Hit::new(Entity::GenericSecret, r, e))
                    } else {
                        Outcome::Reject
                    }
                }
            }
        } else {
            Outcome::Reject
        }
    }
}

/// Code reading the secret from elsewhere: a call or a subscript whose argument the value
/// stops before (`os.environ['STRIPE_API_KEY']`: the value stops at the quote,
/// `os.environ[`; `crypt(`).
pub(super) fn code_reference(value: &[u8]) -> bool {
    // A call whose argument opens an object or a list (`token = jwt.sign({ …`, `credential:
    // admin.credential.cert({`): thirty-first round, task gs (`evidence_r31g`).
    let value = match value {
        [head @ .., b'(', b'{' | b'['] => &value[..head.len() + 1],
        _ => value,
    };
    (value.ends_with(b"(") || value.ends_with(b"["))
        && value[..value.len() - 1]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
}

/// The name whose `token` starts at `s` is one of `NOT_SECRET_SUFFIXES` (an idempotency
/// token, AWS's `ClientRequestToken`; a pagination cursor, `next_token`, `nextPageToken`),
/// in any of the ways a name is written (`client_request_token`, `ClientRequestToken`,
/// `client-request-token`).
fn not_secret_token_name(hay: &[u8], s: usize) -> bool {
    // The name's letters and digits before `token`, from the end, in lower case, read once
    // into a buffer on the stack (no allocation: this runs at every `token` keyword; read
    // again for each suffix it cost the PII text case 0.7 % more instructions when two
    // suffixes were added).
    let mut buf = [0u8; 32];
    let mut n = 0;
    for &b in hay[s.saturating_sub(32)..s].iter().rev() {
        if b.is_ascii_alphanumeric() {
            buf[n] = b.to_ascii_lowercase();
            n += 1;
        } else if !matches!(b, b'_' | b'-') {
            break;
        }
    }
    // Every suffix has a word before `token`.
    if n == 0 {
        return false;
    }
    let name = &buf[..n];
    super::super::json::NOT_SECRET_SUFFIXES
        .iter()
        .any(|suffix| {
            let head = suffix.strip_suffix("token").unwrap_or(suffix);
            let mut name = name.iter();
            head.bytes()
                .rev()
                .filter(|&b| b != b'_')
                .all(|b| name.next() == Some(&b))
        })
}

/// A setting named `key` that is a whole string and nothing else: a password manager's note
/// (`"notes": "key: …"`). `key` right before its `:`, at the text's start or after a `"`
/// (the same string seen in a JSON leaf and in the raw body), the value to the text's end
/// or a `"`, with none of the bytes where the pattern stops (`extend_value` reads past them
/// at a line's start only: the leaf and the raw body would end it in different places).
/// Not `key=…`: a string `key=…` is any parameter.
fn whole_string_setting(hay: &[u8], key: &[u8], s: usize, vs: usize, e: usize) -> bool {
    key == b"key"
        && hay[s + 3] == b':'
        && (s == 0 || hay[s - 1] == b'"')
        && (e == hay.len() || hay[e] == b'"')
        && !hay[vs..e]
            .iter()
            .any(|b| matches!(b, b'&' | b',' | b';' | b'<' | b'>'))
}

/// An INI/TOML section header (`[providers.internal]`, `[web:vars]`, `[[servers]]`) in the
/// 512 bytes before `s`: a `[`, at a line's start or after a blank, a name (letters, digits,
/// `.`, `_`, `-`, `:`, `"`), `]`, then a blank or a line break. (A lone `key=…` elsewhere is
/// any parameter.)
fn ini_section_before(hay: &[u8], s: usize) -> bool {
    let from = s.saturating_sub(512);
    let name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':' | b'"');
    let mut k = s;
    while let Some(c) = memchr::memrchr(b']', &hay[from..k]) {
        let c = from + c;
        k = c;
        let after_ok = hay
            .get(c + 1)
            .is_some_and(|&b| b.is_ascii_whitespace() || b == b']');
        let n = hay[from..c].iter().rev().take_while(|&&b| name(b)).count();
        let o = c - n;
        if !after_ok || n == 0 || o == from || hay[o - 1] != b'[' {
            continue;
        }
        let o = if o >= 2 && hay[o - 2] == b'[' {
            o - 1
        } else {
            o
        };
        if o == 1 || hay[o - 2].is_ascii_whitespace() {
            return true;
        }
    }
    false
}

/// A key-value store's path ending in the `key` at `s`, printed with its value after a `:`
/// (`consul kv get -recurse`: `config/mailer/upstream/key:…`): the line up to `s` is one
/// path (letters, digits, `_`, `-`, `.`, two `/` or more, no blank) and the `:` follows
/// `key` at `sep`. (Fourteenth round, part B.)
fn kv_store_path_before(hay: &[u8], s: usize, sep: usize) -> bool {
    if s == 0 || hay[s - 1] != b'/' || hay.get(sep) != Some(&b':') {
        return false;
    }
    let path = hay[..s]
        .iter()
        .rev()
        .take(256)
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/'))
        .count();
    let ps = s - path;
    (ps == 0 || hay[ps - 1] == b'\n') && hay[ps..s].iter().filter(|&&b| b == b'/').count() >= 2
}

/// A `user`, `username` or `login` member (quoted or not, before `:`) earlier in the object
/// whose member starts at `s` (the nearest `{` in the 200 bytes before, no `}` between).
fn user_member_before(hay: &[u8], s: usize) -> bool {
    let from = s.saturating_sub(200);
    let Some(open) = hay[from..s].iter().rposition(|&b| b == b'{') else {
        return false;
    };
    let obj = &hay[from + open + 1..s];
    if obj.contains(&b'}') {
        return false;
    }
    (0..obj.len()).any(|i| {
        (i == 0
            || matches!(
                obj[i - 1],
                b'"' | b'\'' | b' ' | b'\t' | b'\n' | b',' | b'{'
            ))
            && [b"username".as_slice(), b"user", b"login"].iter().any(|w| {
                obj.get(i..i + w.len())
                    .is_some_and(|x| x.eq_ignore_ascii_case(w))
                    && {
                        let mut k = i + w.len();
                        k += usize::from(matches!(obj.get(k), Some(b'"' | b'\'')));
                        while matches!(obj.get(k), Some(b' ' | b'\t')) {
                            k += 1;
                        }
                        obj.get(k) == Some(&b':')
                    }
            })
    })
}

/// `key` at `s` ends a longer name (`DEPLOY_KEY`, `deploy-key`, `AccountKey`,
/// `PresharedKey`) whose last word is no `NOT_SECRET_KEY_WORDS`, nor holds `public`:
/// a key of the service it names. (Sixteenth round, part B.)
fn named_secret_key(hay: &[u8], s: usize) -> bool {
    let n = hay[..s]
        .iter()
        .rev()
        .take(48)
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        .count();
    let name = &hay[s - n..s];
    let name = &name[..name
        .iter()
        .rposition(u8::is_ascii_alphanumeric)
        .map_or(0, |p| p + 1)];
    if name.is_empty() || !name[0].is_ascii_alphabetic() {
        return false;
    }
    // The last word: after the last `_`/`-`/`.`, or a camelCase word's capital (one after a
    // lower-case letter: `SITE` is one word).
    let cut = name
        .iter()
        .rposition(|&b| matches!(b, b'_' | b'-' | b'.'))
        .map_or(0, |p| p + 1);
    let tail = &name[cut..];
    let camel = (1..tail.len())
        .rev()
        .find(|&k| tail[k].is_ascii_uppercase() && tail[k - 1].is_ascii_lowercase())
        .unwrap_or(0);
    let last = &tail[camel..];
    let lower: Vec<u8> = name.iter().map(u8::to_ascii_lowercase).collect();
    !last.is_empty()
        && !super::super::json::NOT_SECRET_KEY_WORDS
            .iter()
            .any(|w| w.as_bytes().eq_ignore_ascii_case(last))
        && memchr::memmem::find(&lower, b"public").is_none()
}

/// The value of an INI/TOML setting named `key` (`key = "…"`) that may be a key, not
/// another setting: 20 bytes or more, no `:` (a cache key `user:42:profile`, a time), no
/// call or subscript (`hashlib.sha256(…)`, `config["…"]`), no path to a file
/// (`reports/2026/05/q1.csv`); `secret_token_at` judges the rest (a dotted name of lower
/// case, `app.settings.timeout`, is none).
fn setting_key_value(value: &[u8]) -> bool {
    let ext = value.iter().rposition(|&b| b == b'.').is_some_and(|d| {
        let tail = &value[d + 1..];
        (1..=4).contains(&tail.len()) && tail.iter().all(u8::is_ascii_lowercase)
    });
    value.len() >= 20
        && !ext
        && !value
            .iter()
            .any(|b| matches!(b, b':' | b'(' | b'[' | b'\\'))
}

/// The security code in the cell after a card number at `hay[start..end]`, in a table row
/// whose header names the two columns side by side (`card_number<TAB>cvv`,
/// `card_number,cvc`, `card_holder card_number cvv amount` where a log flattened the cells
/// to blanks): three or four digits, the whole cell (`…1111<TAB>737<TAB>EUR 12,50`,
/// `… 4111 1111 1111 1111 737 $46.00`). Not an amount (`123.45`), an expiry (`09/27`), a
/// code under another header (`card_number<TAB>amount`).
#[inline(never)]
pub(super) fn cvc_table_cell(hay: &[u8], start: usize, end: usize) -> Option<(usize, usize)> {
    let blanks = |mut i: usize| {
        while hay.get(i) == Some(&b' ') {
            i += 1;
        }
        i
    };
    // Quoted cells (`"4111…","737"`): the quotes around each.
    let quoted = hay.get(end) == Some(&b'"') && start > 0 && hay[start - 1] == b'"';
    let j = blanks(end + usize::from(quoted));
    let (delim, cs) = match *hay.get(j)? {
        d @ (b'\t' | b',' | b';' | b'|') => (d, blanks(j + 1)),
        b if b.is_ascii_digit() && j > end && j - end <= 4 && !quoted => (b' ', j),
        _ => return None,
    };
    if quoted && hay.get(cs) != Some(&b'"') {
        return None;
    }
    let cs = cs + usize::from(quoted);
    let digits = digit_run(hay, cs);
    if !(3..=4).contains(&digits) {
        return None;
    }
    let ce = cs + digits;
    if quoted && hay.get(ce) != Some(&b'"') {
        return None;
    }
    let k = blanks(ce + usize::from(quoted));
    let cell_ends = match hay.get(k) {
        None | Some(b'\n' | b'\r') => true,
        Some(&b) => b == delim || (delim == b' ' && k > ce),
    };
    (cell_ends && cvc_header_before(hay, start, delim)).then_some((cs, ce))
}

/// A header in the 4 KB before `start` naming a security-code column (`cvv`, `cvc`, `csc`,
/// `cvn`, optionally with `2`, a whole cell or a cell's last word: `card_cvv`) right after a
/// card column (a cell holding `card`, `pan`, `number`, or the locales' `karte`, `carte`,
/// `tarjeta`, `carta`, `kaart`), the cells separated by `delim` (blanks around it allowed).
fn cvc_header_before(hay: &[u8], start: usize, delim: u8) -> bool {
    let from = start.saturating_sub(4096);
    let is_delim = |b: u8| b == delim || b == b'\n' || b == b'\r';
    // A cell holds blanks unless blanks separate the cells (`Card Number<TAB>CVV`).
    let cell_byte = |b: u8| !is_delim(b) && (delim != b' ' || b != b'\t');
    let win = &hay[from..start];
    for (k, w) in win.windows(3).enumerate() {
        let word = [w[0] | 0x20, w[1] | 0x20, w[2] | 0x20];
        if !matches!(&word, b"cvv" | b"cvc" | b"csc" | b"cvn") {
            continue;
        }
        let k = from + k;
        // The word ends its cell (a `2` and a closing quote may follow).
        let mut e = k + 3;
        if hay.get(e) == Some(&b'2') {
            e += 1;
        }
        if matches!(hay.get(e), Some(b'"' | b'\'')) {
            e += 1;
        }
        if !hay.get(e).is_some_and(|&b| is_delim(b) || b == b' ') {
            continue;
        }
        // It starts its cell, or ends one (`card_cvv`): the cell's start.
        if k > 0 && hay[k - 1].is_ascii_alphanumeric() {
            continue;
        }
        let mut c = k;
        while c > from && cell_byte(hay[c - 1]) {
            c -= 1;
        }
        // The delimiter before it, blanks around.
        let mut d = c;
        while d > from && hay[d - 1] == b' ' {
            d -= 1;
        }
        if delim != b' ' {
            if d == from || hay[d - 1] != delim {
                continue;
            }
            d -= 1;
            while d > from && hay[d - 1] == b' ' {
                d -= 1;
            }
        } else if d == c {
            continue;
        }
        // The cell before: a card column.
        let mut p = d;
        while p > from && cell_byte(hay[p - 1]) {
            p -= 1;
        }
        let prev = hay[p..d].to_ascii_lowercase();
        if p < d
            && [
                b"card".as_slice(),
                b"pan",
                b"number",
                b"karte",
                b"carte",
                b"tarjeta",
                b"carta",
                b"kaart",
            ]
            .iter()
            .any(|w| memchr::memmem::find(&prev, w).is_some())
        {
            return true;
        }
    }
    false
}

/// A key in prose (`rejected request with api key KUDo4F3…`, `API key: …`, `the API key is
/// …`, `API key for the sandbox: …`, `webhook signing secret is …`, `service-account token
/// …`, `token in header was …`), the keyword ending at `e`: the next token, after up to
/// three plain words (`for the sandbox`, `in header`, `set`) and an optional `:`/`=`/`=>`
/// or `is`/`was`, when it has a secret's shape (`secret_token_at`: 16 bytes or more, two of
/// lower case, upper case and digits, above the entropy threshold); a vendor-shaped key is
/// its own rule's. Not a date or a time (`token expires 2026-01-01T00:00:00Z`), a digest
/// named by its algorithm (`sha256:…`), a flag or a setting (`--from-literal=…`). "api key
/// rotation", "API key ID 42", "the api key in the vault" hold none. With `defer_pairs`
/// (`secret`, `token`), a `:`/`=` right after the keyword is left to the `key=value` rule.
/// (Words before the value: sixteenth round, part B.)
fn secret_in_prose(hay: &[u8], e: usize, defer_pairs: bool, threshold: f64) -> Outcome {
    let limit = (e + 160).min(hay.len());
    let blanks = |mut i: usize| {
        while i < limit && matches!(hay[i], b' ' | b'\t') {
            i += 1;
        }
        i
    };
    let mut i = blanks(e);
    // Cisco IOS's encryption type before the value (`key 0 …`, `secret 0 …`): 0 is clear
    // text, 7 a reversible cipher.
    let typed = i > e && matches!(hay.get(i), Some(b'0' | b'7')) && hay.get(i + 1) == Some(&b' ');
    if typed {
        i = blanks(i + 2);
    }
    let mut words = 0;
    loop {
        if let Some(c) = evidence_r23s::prompt_default(hay, i, limit).filter(|_| words > 0) {
            i = c;
        }
        if i < limit && matches!(hay[i], b':' | b'=') {
            let arrow = hay[i..limit].starts_with(b"=>");
            // `token = …`, `secret: …` right after the word: the `key=value` rule's (with
            // its look-alikes, Vault's audit HMACs), when `defer_pairs`.
            if defer_pairs && words == 0 && !arrow {
                return Outcome::Reject;
            }
            i = blanks(i + 1 + usize::from(arrow));
            break;
        }
        if hay[i..limit].starts_with(b"is ") {
            i = blanks(i + 3);
            break;
        }
        if hay[i..limit].starts_with(b"was ") {
            i = blanks(i + 4);
            break;
        }
        let w = hay[i..limit]
            .iter()
            .take(13)
            .take_while(|b| b.is_ascii_alphabetic() || **b == b'-')
            .count();
        if words < 3 && (1..=12).contains(&w) && matches!(hay.get(i + w), Some(b' ' | b'\t' | b':'))
        {
            words += 1;
            i = blanks(i + w);
            continue;
        }
        break;
    }
    let Some((vs, ve)) = value_at(hay, i, limit) else {
        return Outcome::Reject;
    };
    // IOS takes the rest of the line: a final `.` is the key's.
    let ve = if typed { token_end(hay, vs, limit) } else { ve };
    let v = &hay[vs..ve];
    let date = v.len() > 4 && v[..4].iter().all(u8::is_ascii_digit) && v[4] == b'-';
    let digest = v.iter().take(16).any(|&b| b == b':');
    // A command's flag or a setting (`kubectl create secret generic api
    // --from-literal=API_KEY=…`): the key rule reads it; base64's padding `=` ends a value.
    let setting = v[0] == b'-'
        || v.iter()
            .position(|&b| b == b'=')
            .is_some_and(|k| v[k..].iter().any(|&b| b != b'='));
    if i == e || date || digest || setting || memchr::memmem::find(v, b"://").is_some() {
        return Outcome::Reject;
    }
    match secret_token_at(hay, vs, ve, threshold) {
        // Not trimmed after IOS's encryption type (`secret_token_at` drops a final `.`).
        Outcome::Hit(mut h) if typed => {
            h.end = ve;
            Outcome::Hit(h)
        }
        o => o,
    }
}

/// A secret-named file's contents in a shell transcript: `$ cat <path>` ending at `e`, the
/// file's name holding a secret's word (`token`, `secret`, `key`, `password`, `passwd`,
/// `credentials`), and the next line one token of base64 or hex bytes, the whole line
/// (`ops@web:~$ cat /etc/app/token` then `hvs.sJ7QHsBe…`), with a secret's shape
/// (`secret_token_at`). A line break is `\n` or a flattened transcript's ` ⏎ `. A key file
/// (`-----BEGIN …`) and a credentials file (`[default]`, `https://user:…@host`) are no one
/// token: their own rules read them. Twenty-first round, task sec
/// (`benches/secret_r21_population.py`: every such line on the training splits is a gold
/// secret).
fn cat_secret_file(hay: &[u8], e: usize, threshold: f64) -> Outcome {
    let path = hay[e..]
        .iter()
        .take(256)
        .take_while(|b| !b.is_ascii_whitespace())
        .count();
    let name = &hay[e..e + path];
    let name = name
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(name, |k| &name[k + 1..]);
    let secret_name = [
        b"token".as_slice(),
        b"secret",
        b"key",
        b"password",
        b"passwd",
        b"credentials",
    ]
    .iter()
    .any(|w| name.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w)));
    if path == 0 || !secret_name {
        return Outcome::Reject;
    }
    let mut i = e + path;
    while i < hay.len() && matches!(hay[i], b' ' | b'\t' | b'\r') {
        i += 1;
    }
    const FLAT: &[u8] = " ⏎ ".as_bytes();
    let vs = if hay.get(i) == Some(&b'\n') {
        i + 1
    } else if hay[e + path..].starts_with(FLAT) {
        e + path + FLAT.len()
    } else {
        return Outcome::Reject;
    };
    let len = hay[vs..]
        .iter()
        .take(512)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b"+/=_-.~".contains(&b))
        .count();
    let ve = vs + len;
    let line_end =
        ve == hay.len() || matches!(hay[ve], b'\n' | b'\r') || hay[ve..].starts_with(FLAT);
    if !(16..512).contains(&len) || !line_end {
        return Outcome::Reject;
    }
    secret_token_at(hay, vs, ve, threshold)
}

/// The token of a webhook URL after `/webhooks/` ending at `e`: an id of digits, a `/`, then
/// the token, 20 bytes or more of base64url with two of lower case, upper case and digits
/// (Discord's `https://discord.com/api/webhooks/157810766167700656/DH_YBsGc…`: whoever holds
/// the URL posts as the hook). The URL's structure is the evidence, not a writer's words:
/// every such path on the training splits holds a gold secret (twenty-first round, task
/// sec; `benches/secret_r21_population.py`).
fn webhook_token(hay: &[u8], e: usize) -> Outcome {
    let digits = hay[e..]
        .iter()
        .take(24)
        .take_while(|b| b.is_ascii_digit())
        .count();
    let ts = e + digits + 1;
    if !(6..24).contains(&digits) || hay.get(ts - 1) != Some(&b'/') {
        return Outcome::Reject;
    }
    let len = hay[ts..]
        .iter()
        .take(256)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        .count();
    let t = &hay[ts..ts + len];
    let classes = [
        t.iter().any(u8::is_ascii_lowercase),
        t.iter().any(u8::is_ascii_uppercase),
        t.iter().any(u8::is_ascii_digit),
    ]
    .iter()
    .filter(|&&x| x)
    .count();
    let whole = hay
        .get(ts + len)
        .is_none_or(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'%' | b'.' | b'~')));
    if (20..256).contains(&len) && classes >= 2 && whole && !stand_in(t) {
        Outcome::Hit(Hit::new(Entity::GenericSecret, ts, ts + len))
    } else {
        Outcome::Reject
    }
}

/// The password of SQL's `CREATE USER … IDENTIFIED BY '…'` / `ALTER USER …` (MySQL,
/// MariaDB, Oracle; MySQL 8's `IDENTIFIED WITH caching_sha2_password BY '…'`), `IDENTIFIED`
/// ending at `e`: the quoted (or bare, Oracle's) value after `BY`, when it reads as a
/// password. Not a stored hash (`IDENTIFIED BY PASSWORD '*6BB4…'`, `IDENTIFIED WITH … AS
/// '…'`) nor a placeholder. (Sixteenth round, part B.)
fn sql_identified_by(hay: &[u8], e: usize) -> Outcome {
    let limit = (e + 120).min(hay.len());
    let word_at = |i: usize, w: &[u8]| {
        hay.get(i..i + w.len())
            .is_some_and(|x| x.eq_ignore_ascii_case(w))
    };
    let mut i = e + usize::from(hay.get(e) == Some(&b' '));
    if word_at(i, b"with ") {
        i += 5;
        i += hay[i..limit]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
            .count();
        i += usize::from(hay.get(i) == Some(&b' '));
    }
    if !word_at(i, b"by ") || word_at(i + 3, b"password ") {
        return Outcome::Reject;
    }
    i += 3;
    let (vs, ve) = match hay.get(i) {
        Some(&q @ (b'\'' | b'"')) => {
            let n = hay[i + 1..limit]
                .iter()
                .take_while(|&&b| b != q && b != b'\n')
                .count();
            if hay.get(i + 1 + n) != Some(&q) {
                return Outcome::Reject;
            }
            (i + 1, i + 1 + n)
        }
        _ => match value_at(hay, i, limit) {
            Some(v) => v,
            None => return Outcome::Reject,
        },
    };
    if password_like(&hay[vs..ve]) {
        Outcome::Hit(Hit::new(Entity::Password, vs, ve))
    } else {
        Outcome::Reject
    }
}

/// The password of `AUTH` at `redis-cli`'s prompt, `AUTH` ending at `e`: the last argument
/// (`AUTH password`, Redis 6's `AUTH username password`), when it reads as a password.
/// (Sixteenth round, part B.)
fn redis_auth(hay: &[u8], e: usize) -> Outcome {
    let limit = (e + 160).min(hay.len());
    let line = e + hay[e..limit]
        .iter()
        .take_while(|&&b| b != b'\n' && b != b'\r')
        .count();
    let args: Vec<(usize, usize)> = hay[e..line]
        .split(|&b| b == b' ')
        .scan(e, |at, w| {
            let r = (*at, *at + w.len());
            *at += w.len() + 1;
            Some(r)
        })
        .filter(|(a, b)| b > a)
        .collect();
    match args.as_slice() {
        [.., (vs, ve)] if args.len() <= 2 => {
            let (vs, ve) = (*vs, *ve);
            let quoted = matches!(hay[vs], b'"' | b'\'') && ve - vs > 2 && hay[ve - 1] == hay[vs];
            let (vs, ve) = if quoted { (vs + 1, ve - 1) } else { (vs, ve) };
            if password_like(&hay[vs..ve]) {
                Outcome::Hit(Hit::new(Entity::Password, vs, ve))
            } else {
                Outcome::Reject
            }
        }
        _ => Outcome::Reject,
    }
}

/// The password after `log in with`, `login with`, `sign in with` ending at `e` ("you can
/// log in with Kolibri1586!", "[user] login with DUiNRoOs#91 and change it"): the next
/// token when it reads as a password with no keyword (`bare_password`, `strong_password`).
/// "login with Google", "log in with your e-mail", "sign in with SSO" hold none.
/// (Sixteenth round, part B.)
fn login_with(hay: &[u8], e: usize) -> Outcome {
    token_password_after(hay, e, |v| bare_password(v) || strong_password(v))
}

/// The token after the blanks at `e` as a PASSWORD when `accept` takes it.
fn token_password_after(hay: &[u8], e: usize, accept: fn(&[u8]) -> bool) -> Outcome {
    let limit = (e + 80).min(hay.len());
    let i = e + hay[e..limit].iter().take_while(|&&b| b == b' ').count();
    match value_at(hay, i, limit) {
        Some((vs, ve)) if accept(&hay[vs..ve]) => Outcome::Hit(Hit::new(Entity::Password, vs, ve)),
        _ => Outcome::Reject,
    }
}

/// The password after `reset it to` or `set it to` ending at `e` ("root pw was rotated; I
/// reset it to KQVLe(MCVRU%", "I've set it to Zeppelin132$", a help desk's note): the next
/// token when it reads as a password with no keyword, as after `login with` (`login_with`);
/// after `set` (a setting's verb too: "set it to 2048MB", "set it to DEBUG") only with
/// three character classes and 8 bytes (`strong_password`). (Eighteenth round.)
fn set_it_to(hay: &[u8], s: usize, e: usize) -> Outcome {
    if hay[s] | 0x20 == b'r' {
        login_with(hay, e)
    } else {
        token_password_after(hay, e, strong_password)
    }
}

/// The keyword `secret` or `token` whose trigger (`cret `, `oken `: `more_triggers`) is at
/// `p`, as (start, end): a word of its own (not `mytoken`), a blank after it; or Cisco
/// IOS's `key` before an encryption type (`key 0 …`), `community` after `snmp-server `,
/// SQL's `IDENTIFIED` (from `dentified `), `log in with` and its kin (from `in with `),
/// `reset it to` and `set it to` (from `t it to `),
/// `AUTH` at `redis-cli`'s prompt (from `> AUTH `), Redis's `requirepass` and nslcd's `bindpw` (`PASSWORD_SETTINGS`), an XML element
/// named `pass` (`<Pass …>`, OFX's `<USERPASS>`).
pub(super) fn secret_word_at(hay: &[u8], p: usize) -> Option<(usize, usize)> {
    // A word of its own, not an identifier's last part (`client_token = …`, `X-Token`).
    let boundary =
        |s: usize| s == 0 || !(v::is_word(hay[s - 1]) || matches!(hay[s - 1], b'-' | b'.'));
    // Cisco IOS: `key 0 …` (a TACACS+/RADIUS server's key), `snmp-server community …`.
    if hay[p..].starts_with(b"key 0 ") || hay[p..].starts_with(b"key 7 ") {
        return boundary(p).then_some((p, p + 3));
    }
    // An element named `pass` (FileZilla's `<Pass encoding="base64">…`, `<Pass>…`) or
    // OFX's `<USERPASS>…` (`xml_password`).
    if hay[p..].starts_with(b"USERPASS>") {
        return Some((p + 4, p + 8));
    }
    if hay[p..].starts_with(b"<Pass ") || hay[p..].starts_with(b"<Pass>") {
        return Some((p + 1, p + 5));
    }
    // A password setting (`PASSWORD_SETTINGS`: Redis's `requirepass`, nslcd's `bindpw`).
    if let Some(w) = PASSWORD_SETTINGS.iter().find(|w| hay[p..].starts_with(w)) {
        return boundary(p).then_some((p, p + w.len()));
    }
    // `rabbitmqctl add_user USER PASSWORD` (`evidence_r32p`).
    if hay[p..].starts_with(b"add_user ") {
        return (p >= 12 && &hay[p - 12..p] == b"rabbitmqctl ").then_some((p, p + 8));
    }
    // `AUTH` at `redis-cli`'s prompt (`redis> AUTH …`, `127.0.0.1:6379> AUTH …`).
    if hay[p..].starts_with(b"> AUTH ") || hay[p..].starts_with(b"> auth ") {
        let line = hay[..p]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |k| k + 1);
        let prompt = &hay[line..p];
        let port = prompt.iter().rposition(|&b| b == b':').is_some_and(|c| {
            c + 1 < prompt.len() && prompt[c + 1..].iter().all(u8::is_ascii_digit)
        });
        return (prompt.eq_ignore_ascii_case(b"redis") || port).then_some((p + 2, p + 6));
    }
    // `log in with`, `login with`, `sign in with` (`login_with`).
    if hay[p..].starts_with(b"in with ") {
        let s = [b"log ".as_slice(), b"log", b"sign "]
            .iter()
            .find(|w| p >= w.len() && hay[p - w.len()..p].eq_ignore_ascii_case(w))
            .map(|w| p - w.len())?;
        return boundary(s).then_some((s, p + 7));
    }
    // `reset it to`, `set it to` (`set_it_to`).
    if hay[p..].starts_with(b"t it to ") {
        let s = [b"rese".as_slice(), b"se"]
            .iter()
            .find(|w| p >= w.len() && hay[p - w.len()..p].eq_ignore_ascii_case(w))
            .map(|w| p - w.len())?;
        return boundary(s).then_some((s, p + 7));
    }
    // SQL's `IDENTIFIED` (`sql_identified_by`).
    if hay[p..].starts_with(b"dentified ") || hay[p..].starts_with(b"DENTIFIED ") {
        let s = p.checked_sub(1)?;
        return (hay[s] | 0x20 == b'i' && boundary(s)).then_some((s, p + 9));
    }
    // IOS's `snmp-server community …`, Junos's `set snmp community … authorization …`.
    if hay[p..].starts_with(b"community ") {
        return (hay[..p].ends_with(b"snmp-server ") || hay[..p].ends_with(b"snmp "))
            .then_some((p, p + 9));
    }
    // A webhook URL's path (`https://discord.com/api/webhooks/<id>/<token>`): `webhook_token`.
    if hay[p..].starts_with(b"/webhooks/") {
        return Some((p, p + 10));
    }
    // A shell's `$ cat <file>` (`cat_secret_file`).
    if hay[p..].starts_with(b"$ cat ") {
        return Some((p, p + 6));
    }
    if let Some(r) = super::evidence_r24s::joined_name_at(hay, p) {
        return Some(r);
    }
    let back = if hay[p..].starts_with(b"cret ") {
        2
    } else if hay[p..].starts_with(b"oken ") {
        1
    } else {
        return None;
    };
    let s = p.checked_sub(back)?;
    let head = &hay[s..p];
    let ok = if back == 2 {
        head.eq_ignore_ascii_case(b"se")
    } else {
        head.eq_ignore_ascii_case(b"t")
    };
    // FortiOS's `set psksecret …` (an IPsec phase-1 interface's pre-shared key, `config vpn
    // ipsec phase1-interface`): `psk` joined to the word (`evidence::fortios_psksecret`).
    (ok && (boundary(s) || back == 2 && evidence::fortios_psksecret(hay, s))).then_some((s, p + 4))
}

/// A secret without a vendor shape at `hay[vs..e]` (`secret_access_key VALUE`, the secret
/// after an AWS key id): 16 bytes or more, two of lower case, upper case and digits (not
/// words joined by `-`), above the entropy threshold, no
/// vendor prefix (its own rule reports it), no placeholder, variable or template.
pub(super) fn secret_token_at(hay: &[u8], vs: usize, e: usize, threshold: f64) -> Outcome {
    let mut e = e;
    while e > vs && matches!(hay[e - 1], b'.' | b',' | b';' | b':' | b')' | b']' | b'}') {
        e -= 1;
    }
    let value = &hay[vs..e];
    let ok = value.len() >= 16
        && !starts_with_known_secret(value)
        && !matches!(value[0], b'$' | b'{' | b'*' | b'[' | b'<' | b'%' | b'(')
        && !variable_reference(value)
        && !stand_in(value)
        && !v::secret_placeholder(value)
        && [
            value.iter().any(u8::is_ascii_lowercase),
            value.iter().any(u8::is_ascii_uppercase),
            value.iter().any(u8::is_ascii_digit),
        ]
        .iter()
        .filter(|&&x| x)
        .count()
            >= 2
        && v::shannon_entropy(value) >= threshold;
    if ok {
        Outcome::Hit(Hit::new(Entity::GenericSecret, vs, e))
    } else {
        Outcome::Reject
    }
}

impl Detector {
    /// Whether a whole JSON value has a secret's shape and no vendor's (`secret_token_at`: 16
    /// bytes or more, two of lower case, upper case and digits, above the entropy threshold,
    /// no vendor prefix, placeholder, variable or template) and is one word (no blank):
    /// what a key naming a key's role (`json::keys::KeyClass::ShapedSecret`) holds when it
    /// holds the key.
    pub(crate) fn secret_shaped(&self, value: &[u8]) -> bool {
        !value.iter().any(u8::is_ascii_whitespace)
            && !settings_list(value)
            && matches!(
                secret_token_at(value, 0, value.len(), self.entropy_threshold),
                Outcome::Hit(_)
            )
    }
}

/// Whether a value is a list of settings or a locator rather than one token: a `;` or `&`
/// between parts, a `=` before the end (a base64 token's `=` padding ends it), or a URL's
/// `://` (`user=app;host=10.0.0.5;password=…`, an AWS Secrets Manager `SecretString`; `a=1&b=2`;
/// `postgres://…`). Such a value is scanned as text, where its password, host and keys are
/// found by their own rules.
fn settings_list(value: &[u8]) -> bool {
    let body = value
        .strip_suffix(b"==")
        .or_else(|| value.strip_suffix(b"="))
        .unwrap_or(value);
    body.iter().any(|&b| matches!(b, b';' | b'&' | b'='))
        || memchr::memmem::find(value, b"://").is_some()
}

/// The secret written after an AWS access key id ending at `end`: `AKIA… / SECRET` (a `/`
/// with blanks around it) or `AKIA…:SECRET`. Not a SigV4 credential scope
/// (`AKIA…/20240101/us-east-1/s3/aws4_request`: no blanks around its `/`).
pub(super) fn aws_pair_secret(hay: &[u8], end: usize, threshold: f64) -> Option<Hit> {
    let vs = if hay.get(end) == Some(&b':') {
        end + 1
    } else {
        let mut i = end;
        let blanks = |mut i: usize| {
            while hay.get(i).is_some_and(|&b| b == b' ' || b == b'\t') {
                i += 1;
            }
            i
        };
        i = blanks(i);
        if i == end || hay.get(i) != Some(&b'/') || blanks(i + 1) == i + 1 {
            return None;
        }
        blanks(i + 1)
    };
    let len = hay[vs..]
        .iter()
        .take(129)
        .take_while(|&&b| {
            !matches!(
                b,
                b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'<' | b'>' | b'|'
            )
        })
        .count();
    // Another setting of a one-line `.env` (`AKIA… / SLACK_TOKEN=…`): a `=` before the
    // end (base64 padding aside) or a URL.
    let token = &hay[vs..vs + len];
    let padded = token.len() - token.iter().rev().take_while(|&&b| b == b'=').count();
    if token[..padded].contains(&b'=') || memchr::memmem::find(token, b"://").is_some() {
        return None;
    }
    match secret_token_at(hay, vs, vs + len, threshold) {
        Outcome::Hit(h) if len <= 128 => Some(h),
        _ => None,
    }
}

/// Where a `key=value` value ends (`check_key_value`): past the pattern's end `e` up to the
/// closing quote when the value is quoted, or up to a blank or a line end when the keyword
/// opens its line (after blanks or `export `); else `e`.
fn extend_value(hay: &[u8], s: usize, vs: usize, e: usize) -> usize {
    if e >= hay.len() || !matches!(hay[e], b'&' | b',' | b';' | b'<' | b'>') {
        return e;
    }
    // Never before `e`: a value already past 128 bytes is not extended (and `hay[e..limit]`
    // stays a slice).
    let limit = (vs + 128).min(hay.len()).max(e);
    if vs > 0 && matches!(hay[vs - 1], b'"' | b'\'') {
        let q = hay[vs - 1];
        return hay[e..limit]
            .iter()
            .position(|&b| b == q || b == b'\n')
            .filter(|&k| hay[e + k] == q)
            .map_or(e, |k| e + k);
    }
    let line = hay[..s]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |k| k + 1);
    let lead = &hay[line..s];
    let lead = lead.strip_prefix(b"export ").unwrap_or(lead);
    // Only where the value goes on past the stop (`r=g&yegw)…`, not "pw1, then").
    let goes_on = hay
        .get(e + 1)
        .is_some_and(|&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    if goes_on
        && (lead.iter().all(|&b| b == b' ' || b == b'\t') || lead.iter().all(|&b| v::is_word(b)))
    {
        let mut end = e + hay[e..limit]
            .iter()
            .take_while(|&&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\''))
            .count();
        while end > e && matches!(hay[end - 1], b'.' | b',' | b';' | b':') {
            end -= 1;
        }
        end
    } else {
        e
    }
}

/// The secret-like name of a `key="…"` or `name="…"` attribute in the 64 bytes before `s`
/// (lower case, `-`/`_`/`.` dropped): one holding `secret`, `password`, `passwd`, `token`,
/// `apikey`, `privatekey`, `accesskey` or `signingkey`.
fn attribute_name_before(hay: &[u8], s: usize) -> Option<Vec<u8>> {
    let win = &hay[s.saturating_sub(64)..s];
    let q = win.iter().rposition(|&b| b == b'"' || b == b'\'')?;
    let open = win[..q].iter().rposition(|&b| b == win[q])?;
    let attr = &win[..open];
    let attr = attr.strip_suffix(b"=")?;
    let attr_ok = [b"key".as_slice(), b"name"]
        .iter()
        .any(|a| attr.len() >= a.len() && attr[attr.len() - a.len()..].eq_ignore_ascii_case(a));
    if !attr_ok {
        return None;
    }
    let name: Vec<u8> = win[open + 1..q]
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect();
    [
        b"secret".as_slice(),
        b"password",
        b"passwd",
        b"token",
        b"apikey",
        b"privatekey",
        b"accesskey",
        b"signingkey",
    ]
    .iter()
    .any(|w| memchr::memmem::find(&name, w).is_some())
    .then_some(name)
}

/// The secret named by the member before a JSON `"value"` member at `s` (a Postman
/// environment's or a CI variables API's `{"key":"DB_PASSWORD","value":"…"}`, `{"name":
/// "API_TOKEN","value":"…"}`, Keycloak's `{"type":"password","value":"…"}`): `"key"`,
/// `"name"` or `"type"`, then a string naming a secret
/// (`attribute_name_before`'s words), right before `"value"`. A name ending in `pass` or
/// `pwd` (`SMTP_PASS`, `RABBITMQ_DEFAULT_PASS`) names a password.
fn json_pair_name_before(hay: &[u8], s: usize) -> Option<Vec<u8>> {
    let win = &hay[s.saturating_sub(80)..s];
    let w = win.strip_suffix(b"\"")?;
    let w = w.trim_ascii_end();
    let w = w.strip_suffix(b",")?;
    let w = w.trim_ascii_end();
    let w = w.strip_suffix(b"\"")?;
    let open = w.iter().rposition(|&b| b == b'"')?;
    let raw = &w[open + 1..];
    let w = &w[..open];
    let w = w.trim_ascii_end();
    let w = w.strip_suffix(b":")?;
    let w = w.trim_ascii_end();
    if !(w.ends_with(b"\"key\"") || w.ends_with(b"\"name\"") || w.ends_with(b"\"type\"")) {
        return None;
    }
    secret_pair_name(raw)
}

/// The secret named by an XML `<name>` element right before a `<value>` element at `s` (the
/// `value` after `<`), blanks or a line flattened to ` | ` / ` / ` between them: a Hadoop,
/// Hive or HBase `<property>` (`<name>javax.jdo.option.ConnectionPassword</name>` then
/// `<value>…</value>`), the XML form of `json_pair_name_before`'s pair; the name is judged
/// as that one's is (`secret_pair_name`). (Eighteenth round.)
fn xml_pair_name_before(hay: &[u8], s: usize) -> Option<Vec<u8>> {
    let win = &hay[s.saturating_sub(160)..s.checked_sub(1)?];
    if hay[s - 1] != b'<' {
        return None;
    }
    let w = win.trim_ascii_end();
    let w = match w.strip_suffix(b"|").or_else(|| w.strip_suffix(b"/")) {
        Some(r) => r.trim_ascii_end(),
        None => w,
    };
    let close = w.len().checked_sub(7)?;
    if !w[close..].eq_ignore_ascii_case(b"</name>") {
        return None;
    }
    let w = &w[..close];
    let open = w.iter().rposition(|&b| b == b'>')?;
    if open < 5 || !w[open - 5..open].eq_ignore_ascii_case(b"<name") {
        return None;
    }
    secret_pair_name(&w[open + 1..])
}

/// The secret named by a YAML list item's `name:` on the line right before a `value:` key
/// at `s`: a Kubernetes container's `env` (`- name: DB_PASSWORD` then `  value: …`), a
/// Tekton, Argo or GitLab `params`/`variables` list (`- name: registry-password`). The
/// `value:` stands where the item's `name:` does (the `- ` before it or not); the name is
/// judged as `json_pair_name_before`'s is (`secret_pair_name`). (Fifteenth round, part B.)
fn yaml_pair_name_before(hay: &[u8], s: usize) -> Option<Vec<u8>> {
    let ls = hay[..s].iter().rposition(|&b| b == b'\n')? + 1;
    if !hay[ls..s].iter().all(|&b| b == b' ') {
        return None;
    }
    let pe = ls - 1 - usize::from(ls >= 2 && hay[ls - 2] == b'\r');
    let ps = hay[..pe]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |k| k + 1);
    let prev = &hay[ps..pe];
    let lead = prev.iter().take_while(|&&b| b == b' ').count();
    let item = if lead + 2 == s - ls {
        prev[lead..].strip_prefix(b"- ")?
    } else if lead == s - ls {
        &prev[lead..]
    } else {
        return None;
    };
    let raw = item.strip_prefix(b"name:")?.trim_ascii();
    let raw = match raw {
        [q @ (b'"' | b'\''), inner @ .., last] if last == q => inner,
        _ => raw,
    };
    // Where the secret is kept (`DB_PASSWORD_FILE`, `token-path`): no secret's value.
    let lower = raw.to_ascii_lowercase();
    if lower.ends_with(b"file") || lower.ends_with(b"path") {
        return None;
    }
    secret_pair_name(raw)
}

/// A pair's name (`DB_PASSWORD`, `registry-password`, `SMTP_PASS`) as the secret it names,
/// lower case with its punctuation dropped: `password` for a name ending in `pass`, `pwd` or
/// `passwd`; else the name when it holds a secret's word; `None` for any other name.
fn secret_pair_name(raw: &[u8]) -> Option<Vec<u8>> {
    let name: Vec<u8> = raw
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect();
    if name.ends_with(b"pass") || name.ends_with(b"pwd") || name.ends_with(b"passwd") {
        return Some(b"password".to_vec());
    }
    // A session cookie's value (`SESSION_COOKIE`), not a setting about it (`…_name`).
    if name.ends_with(b"sessioncookie") {
        return Some(name);
    }
    [
        b"secret".as_slice(),
        b"password",
        b"token",
        b"apikey",
        b"privatekey",
        b"accesskey",
        b"signingkey",
        b"encryptionkey",
        b"hmackey",
        b"masterkey",
        // An Azure storage account's key (Hadoop's `fs.azure.account.key.ACCOUNT.blob.core.
        // windows.net`, a connection string's `AccountKey`).
        b"accountkey",
    ]
    .iter()
    .any(|w| memchr::memmem::find(&name, w).is_some())
    .then_some(name)
}

/// A PEM body that is a placeholder: no run of 40 base64 characters (`...`, `(key material
/// omitted)`, `<your private key here>`, `MIIEpAIBAAKCAQEA...`).
pub(super) fn pem_body_placeholder(body: &[u8]) -> bool {
    let mut run = 0;
    for &b in body {
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=') {
            run += 1;
            if run >= 40 {
                return false;
            }
        } else {
            run = 0;
        }
    }
    true
}

/// A version word right before a dotted number (`AssemblyVersion 4.9.0.0`, `FileVersion:
/// 1.2.0.0`, `APP_VERSION=4.1.0.0`, `version "2.0.0.1"`, `v 1.2.3.4`, `build 10.0.1.5`,
/// `release`, and `Version`/`versión`/`versione`/`versie` of the other locales): a
/// four-part version, not an IPv4 address. The word may be a key with its value after `=>`
/// (PHP's and Ruby's arrays: Nextcloud's `config.php` `'version' => '28.0.6.4'`;
/// twenty-first round, task num).
///
/// Also a product token before a `/` (a user agent's `agent/6.5.5.60`, `curl/7.68.0.1`:
/// letters only, at the start of the text or after a blank, a quote or `(`; not a path's
/// segment, `/hosts/10.1.2.3`), and a version word joined by `-` (`build-9.7.8.11.tar.gz`).
pub(super) fn version_word_before(hay: &[u8], s: usize) -> bool {
    if s >= 3 && hay[s - 1] == b'/' {
        let t = hay[..s - 1]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_alphabetic() || matches!(b, b'-' | b'_'))
            .count();
        let at = s - 1 - t;
        // Not a Squid hierarchy code (`HIER_DIRECT/10.1.2.3`: the server fetched from;
        // twenty-third round, task num).
        if t >= 2
            && hay[at].is_ascii_alphabetic()
            && (at == 0 || matches!(hay[at - 1], b' ' | b'\t' | b'"' | b'\'' | b'('))
            && !super::evidence_r23n::squid_hierarchy_code(&hay[at..s - 1])
        {
            return true;
        }
    }
    let mut j = s;
    let stop = s.saturating_sub(8);
    while j > stop
        && matches!(
            hay[j - 1],
            b' ' | b'\t' | b':' | b'=' | b'"' | b'\'' | b'(' | b'-' | b'>'
        )
    {
        j -= 1;
    }
    let e = j;
    while j > 0
        && e - j < 24
        && (hay[j - 1].is_ascii_alphanumeric() || hay[j - 1] == b'_' || hay[j - 1] >= 0x80)
    {
        j -= 1;
    }
    let w = &hay[j..e];
    let ends = |t: &[u8]| w.len() >= t.len() && w[w.len() - t.len()..].eq_ignore_ascii_case(t);
    ends(b"version")
        || ends(b"versione")
        || ends(b"versie")
        || ends(b"vers\xc3\xb3n")
        || [
            b"v".as_slice(),
            b"ver",
            b"build",
            b"release",
            b"firmware",
            b"fw",
        ]
        .iter()
        .any(|t| w.eq_ignore_ascii_case(t))
}

/// A pre-release or build suffix after a dotted number (`4.4.0.9-SNAPSHOT`, `1.2.3.4-rc1`,
/// `-beta`, `-alpha`, `-dev`): a version, not an address.
fn version_after(hay: &[u8], e: usize) -> bool {
    hay.get(e) == Some(&b'-')
        && [
            &b"snapshot"[..],
            b"rc",
            b"beta",
            b"alpha",
            b"dev",
            b"release",
        ]
        .iter()
        .any(|w| {
            hay.get(e + 1..e + 1 + w.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(w))
        })
}

/// A reference to a secret kept elsewhere, not the secret: an environment variable's name
/// (`OPENAI_API_KEY`: capitals, digits and at least one `_`), optionally after a lower-case
/// scheme and `:` or `.` (`env:OPENAI_API_KEY`, `secrets.DB_PASSWORD`, `vault:DB_PASS`),
/// or a Terraform/HCL reference (`var.db_password`).
pub(super) fn variable_reference(value: &[u8]) -> bool {
    // Terraform/HCL references (`var.db_password`, `local.creds.pw`, `module.db.password`).
    let hcl = [b"var.".as_slice(), b"local.", b"module.", b"data."]
        .into_iter()
        .find(|p| value.starts_with(p));
    if let Some(p) = hcl {
        return value.len() > p.len()
            && value[p.len()..].iter().all(|&b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
            });
    }
    let scheme = value.iter().take_while(|b| b.is_ascii_lowercase()).count();
    let name = match value.get(scheme) {
        Some(b':' | b'.') if scheme > 0 => &value[scheme + 1..],
        _ if scheme == 0 => value,
        _ => return false,
    };
    name.first().is_some_and(u8::is_ascii_uppercase)
        && name.contains(&b'_')
        && name
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

pub(super) enum Outcome {
    Hit(Hit),
    Reject,
}

/// A secret rule's hit at `hay[s..e]`, flagged when it is a documentation placeholder.
pub(super) fn secret_if(ok: bool, entity: Entity, hay: &[u8], s: usize, e: usize) -> Outcome {
    if ok {
        let mut h = Hit::new(entity, s, e);
        h.placeholder = v::secret_placeholder(&hay[s..e]);
        Outcome::Hit(h)
    } else {
        Outcome::Reject
    }
}

pub(super) fn check_email(hay: &[u8], s: usize, e: usize) -> Outcome {
    let text = &hay[s..e];
    let Some(at) = text.iter().position(|&b| b == b'@') else {
        return Outcome::Reject;
    };
    // Trim leading punctuation a sentence may put before the address.
    let mut ls = 0;
    while ls < at && matches!(text[ls], b'.' | b'-' | b'+' | b'%') {
        ls += 1;
    }
    let local = &text[ls..at];
    let domain = &text[at + 1..];
    // Longest prefix of the domain that ends in a real TLD.
    let mut end = domain.len();
    loop {
        let d = &domain[..end];
        if v::email_ok(local, d) {
            return Outcome::Hit(Hit::new(Entity::Email, s + ls, s + at + 1 + end));
        }
        match d.iter().rposition(|&b| b == b'.') {
            Some(p) if p > 0 => end = p,
            _ => return Outcome::Reject,
        }
    }
}

/// The bytes an address around the `@` at `at` could take: its local part (up to 64 bytes)
/// before, its domain (up to 255) after; not yet checked.
pub(super) fn email_extent(hay: &[u8], at: usize) -> (usize, usize) {
    let mut s = at;
    while s > 0 && at - s < 64 && is_email_local(hay[s - 1]) {
        s -= 1;
    }
    let mut e = at + 1;
    while e < hay.len() && e - at < 256 && is_email_domain(hay[e]) {
        e += 1;
    }
    (s, e)
}

/// The email around the `@` at `at`, if valid.
pub(super) fn email_at(hay: &[u8], at: usize) -> Option<(usize, usize)> {
    let (s, mut e) = email_extent(hay, at);
    // Trailing dots/hyphens belong to the sentence.
    while e > at + 1 && matches!(hay[e - 1], b'.' | b'-') {
        e -= 1;
    }
    if s == at || e == at + 1 {
        return None;
    }
    match check_email(hay, s, e) {
        Outcome::Hit(h)
            if !ssh_target(hay, h.start, h.end)
                && !message_id(hay, h.start)
                // An iCalendar `UID:` (`evidence_r31f`; thirty-first round, task fmt).
                && !super::evidence_r31f::ical_uid(hay, h.start) =>
        {
            Some((h.start, h.end))
        }
        _ => None,
    }
}

/// Whether the address-shaped token starting at `s` is a message's id, not a mailbox: in
/// angle brackets right after a header or word naming one (`Message-ID: <…@mail.example>`,
/// `In-Reply-To:`, `References:`, `Content-ID:`, a mail log's `msg-id <…>` / `msgid=<…>`).
/// RFC 5322 makes it a unique id on the sender's host, no one's address.
// Out of line: looked at only for an address found right after a `<`.
#[inline(never)]
fn message_id(hay: &[u8], s: usize) -> bool {
    if s == 0 || hay[s - 1] != b'<' {
        return false;
    }
    let head = hay[..s - 1].trim_ascii_end();
    let head = head
        .strip_suffix(b":")
        .or_else(|| head.strip_suffix(b"="))
        .unwrap_or(head)
        .trim_ascii_end();
    let word_start = head
        .iter()
        .rposition(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'))
        .map_or(0, |i| i + 1);
    let word = &head[word_start..];
    [
        &b"message-id"[..],
        b"message_id",
        b"messageid",
        b"msg-id",
        b"msgid",
        b"in-reply-to",
        b"references",
        b"content-id",
    ]
    .iter()
    .any(|w| word.eq_ignore_ascii_case(w))
}

/// The userinfo of a URL ending at the `@` at `at` (`scheme://userinfo@host`: a `://`
/// within 256 bytes before, no blank, quote, `/` or `@` between): `None` when the `@` is no
/// URL's; else the credential it holds: the password of `user:PASS` (PASSWORD; not a
/// template such as `${DB_PASSWORD}`, `<password>`, `****`), or a key standing alone
/// (`https://KEY@o123.ingest.sentry.io/…`, `https://TOKEN@github.com/…`: 16 bytes or more,
/// letters and digits, entropy 3.0 or more: GENERIC_SECRET). The whole is no e-mail address.
pub(super) fn url_userinfo(hay: &[u8], at: usize) -> Option<Option<Hit>> {
    let from = at.saturating_sub(256);
    let mut u = at;
    while u > from
        && !matches!(
            hay[u - 1],
            b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'`' | b'<' | b'>' | b'@' | b'/'
        )
    {
        u -= 1;
    }
    // `u` is past the `//` of `scheme://`.
    if !(u >= 3 && hay[u - 1] == b'/' && hay[u - 2] == b'/' && hay[u - 3] == b':') {
        return None;
    }
    let scheme_ok = u >= 4 && hay[u - 4].is_ascii_alphanumeric();
    let host_ok = hay
        .get(at + 1)
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'[');
    if !scheme_ok || !host_ok || u == at {
        return None;
    }
    let info = &hay[u..at];
    // A `,` before any `:` ends the URL: a CSV row's URL cell, then the user's address
    // (`…,https://example.com,jo@example.org,…`: Bitwarden's and browsers' password
    // exports). RFC 3986 lets userinfo hold a `,`, but a user name beginning with a host's
    // name and a `,` is none; a password with a `,` (`user:pa,ss@`) stays userinfo.
    // Twenty-sixth round, task fmt.
    if let Some(c) = memchr::memchr(b',', info) {
        if !info[..c].contains(&b':') {
            return None;
        }
    }
    let cred = match info.iter().position(|&b| b == b':') {
        Some(c) => {
            let pw = &info[c + 1..];
            let template = pw.is_empty()
                || matches!(pw[0], b'$' | b'{' | b'<' | b'*' | b'%')
                || pw.iter().all(|&b| matches!(b, b'x' | b'X' | b'*'))
                || variable_reference(pw)
                || stand_in(pw);
            // A token as the password (`https://oauth2:…@gitlab…`, `x-access-token:…`): a
            // GENERIC_SECRET.
            let entity = if token_user(&info[..c]) || vendor_token(pw) {
                Entity::GenericSecret
            } else {
                Entity::Password
            };
            (!template).then(|| Hit::new(entity, u + c + 1, at))
        }
        // A Sentry DSN's key (`https://KEY@o1.ingest.sentry.io/…`) is public: Sentry's
        // documentation says a DSN may be published (it only lets one send events), so the
        // key alone on a `sentry.io` host is no credential. A legacy DSN's `public:secret@`
        // still has its secret reported above.
        None if sentry_host(&hay[at + 1..]) => None,
        None => (info.len() >= 16
            && info
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
            && info.iter().any(u8::is_ascii_digit)
            && info.iter().any(u8::is_ascii_alphabetic)
            && v::shannon_entropy(info) >= 3.0)
            .then(|| {
                let mut h = Hit::new(Entity::GenericSecret, u, at);
                h.placeholder = v::secret_placeholder(info);
                h
            }),
    };
    Some(cred)
}

/// The end of the token at `vs`: the first blank, quote or line break (before `limit`).
fn token_end(hay: &[u8], vs: usize, limit: usize) -> usize {
    vs + hay[vs..limit]
        .iter()
        .take_while(|&&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\''))
        .count()
}

/// A table cell shaped as a token, not a password (`table::text_table_secrets`): a vendor's
/// token (`vendor_token`), a lower-case prefix and `_` before 16 bytes or more (`cs_…`,
/// `sess_…`), or 32 bytes or more of base64 / hex / URL-safe (or URL-encoded) characters; of a secret's
/// entropy (`secret_token_at`).
pub(super) fn token_cell(v: &[u8], threshold: f64) -> bool {
    let prefix = v
        .iter()
        .take(7)
        .take_while(|b| b.is_ascii_lowercase())
        .count();
    let prefixed =
        (2..=6).contains(&prefix) && v.get(prefix) == Some(&b'_') && v.len() >= prefix + 17;
    let long = v.len() >= 32
        && v.iter().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'/' | b'=' | b'.' | b'%')
        });
    (vendor_token(v) || prefixed || long)
        && matches!(secret_token_at(v, 0, v.len(), threshold), Outcome::Hit(_))
}

/// A URL's user name that says its password is a token: GitLab's `oauth2` and
/// `gitlab-ci-token`, GitHub's `x-access-token`, Bitbucket's `x-token-auth`, `token`.
/// (Sixteenth round, part B.)
fn token_user(user: &[u8]) -> bool {
    [
        b"oauth2".as_slice(),
        b"gitlab-ci-token",
        b"x-access-token",
        b"x-token-auth",
        b"token",
    ]
    .iter()
    .any(|u| u.eq_ignore_ascii_case(user))
}

/// A value bearing the prefix of a vendor's API token that has no rule of its own (GitLab's
/// `glpat-`, `gldt-`, `glrt-`; Grafana's `glc_`, `glsa_`; npm's `npm_`, PyPI's `pypi-`,
/// Hugging Face's `hf_`, DigitalOcean's `dop_v1_`, Shopify's `shpat_`), 16 bytes or more
/// after it: a token, a GENERIC_SECRET even where a password is asked for (Grafana Cloud's
/// `basicAuthPassword: glc_…`). (Sixteenth round, part B.)
pub(super) fn vendor_token(v: &[u8]) -> bool {
    // Linear's `lin_api_` and Notion's `ntn_` (thirty-sixth round, `evidence_r36g`).
    const PREFIXES: [&[u8]; 12] = [
        b"glpat-",
        b"gldt-",
        b"glrt-",
        b"glc_",
        b"glsa_",
        b"npm_",
        b"pypi-",
        b"hf_",
        b"dop_v1_",
        b"shpat_",
        b"lin_api_",
        b"ntn_",
    ];
    PREFIXES.iter().any(|p| {
        v.strip_prefix(*p).is_some_and(|body| {
            body.len() >= 16
                && body
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        })
    })
}

/// The host at the start of `rest` (up to `/`, `:`, `?`, a blank or a quote) is Sentry's
/// (`sentry.io` or a name ending in `.sentry.io`, any case).
fn sentry_host(rest: &[u8]) -> bool {
    let host = &rest[..rest
        .iter()
        .take(256)
        .position(|&b| !(b.is_ascii_alphanumeric() || b == b'.' || b == b'-'))
        .unwrap_or(rest.len().min(256))];
    host.len() >= 9
        && host[host.len() - 9..].eq_ignore_ascii_case(b"sentry.io")
        && (host.len() == 9 || host[host.len() - 10] == b'.')
}

/// `user@host` as an SSH target, not an e-mail address: followed by `:` and a path (`git@
/// github.com:org/repo.git`, `scp f deploy@host.example.com:/tmp`), or on a line whose
/// command is `ssh`, `scp`, `sftp`, `rsync`, `mosh` or `ssh-copy-id` (after a shell
/// history number, a `$ ` prompt or `sudo`: `ssh -i key.pem admin@bastion.example.com`).
/// Only the line's first word is read: a search of the line for the commands cost ~700 k
/// instructions per 64 KB of PII-dense text (callgrind; one searcher built per e-mail).
///
/// A login's password after the `:` (`jane@example.com:Mol_6560EN` in Postfix's
/// `sasl_passwd` or a combo list: a token of six bytes or more with no `/`, not a port, after
/// an address whose user is not `git`/`hg`) leaves it an e-mail address unless a command
/// (`scp`, `rsync`, `git`, …) stands anywhere on the line before it.
fn ssh_target(hay: &[u8], s: usize, e: usize) -> bool {
    if hay.get(e) == Some(&b':')
        && hay
            .get(e + 1)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'~' | b'_' | b'.'))
    {
        return !password_after_address(hay, s, e) || ssh_command_on_line(hay, s);
    }
    let from = s.saturating_sub(120);
    let mut k = memchr::memrchr(b'\n', &hay[from..s]).map_or(from, |k| from + k + 1);
    let skip = |k: &mut usize, ok: fn(u8) -> bool| {
        while *k < s && ok(hay[*k]) {
            *k += 1;
        }
    };
    skip(&mut k, |b| {
        b.is_ascii_digit() || matches!(b, b' ' | b'\t' | b'$' | b'>' | b'#')
    });
    if hay[k..s].starts_with(b"sudo ") {
        k += 5;
    }
    let w = k;
    skip(&mut k, |b| b.is_ascii_lowercase() || b == b'-');
    matches!(
        &hay[w..k],
        b"ssh" | b"scp" | b"sftp" | b"rsync" | b"mosh" | b"ssh-copy-id"
    ) && hay.get(k) == Some(&b' ')
}

/// A login written as `ADDRESS / PASSWORD` ending its line (`Portal login for them:
/// ops@example.it / Vesuvio1971%`, `Identifiants du portail : a.b@example.fr / …`), the
/// address ending at `e`: the token after ` / ` up to the line's end, when it reads as a
/// password with no keyword (`bare_password`, `strong_password`: a phone number, a name or
/// a second address after the `/` is none). (Sixteenth round, part B.)
#[cold]
#[inline(never)]
pub(super) fn password_after_email(hay: &[u8], e: usize) -> Option<Hit> {
    if !hay[e..].starts_with(b" / ") {
        return None;
    }
    let vs = e + 3;
    let ve = token_ending_line(hay, vs)?;
    let v = &hay[vs..ve];
    ((bare_password(v) || strong_password(v)) && !super::evidence_r23p::reference_id(v))
        .then(|| Hit::new(Entity::Password, vs, ve))
}

/// The end of the token at `vs` (up to a blank, 65 bytes at most) when only blanks follow
/// it to its line's end: a final `.` is the token's then (`… / Krokus9657.`).
fn token_ending_line(hay: &[u8], vs: usize) -> Option<usize> {
    let ve = vs
        + hay[vs..]
            .iter()
            .take(65)
            .take_while(|b| !b.is_ascii_whitespace())
            .count();
    let blanks = hay[ve..]
        .iter()
        .take_while(|&&b| matches!(b, b' ' | b'\t'))
        .count();
    hay.get(ve + blanks)
        .is_none_or(|&b| matches!(b, b'\r' | b'\n'))
        .then_some(ve)
}

/// After the address `hay[s..e]` and its `:` stands a password, not a path: six bytes or
/// more up to a blank, quote or delimiter, no `/`, not starting with `.`, `~` or `_`, not
/// all digits (a port); the address's user is not `git` or `hg` (`git@host:repo`).
#[cold]
#[inline(never)]
fn password_after_address(hay: &[u8], s: usize, e: usize) -> bool {
    let tok = &hay[e + 1..];
    let tok = &tok[..tok
        .iter()
        .take(129)
        .position(|&b| {
            b.is_ascii_whitespace()
                || matches!(
                    b,
                    b'"' | b'\'' | b'`' | b'|' | b',' | b';' | b'<' | b'>' | b')' | b']' | b'\\'
                )
        })
        .unwrap_or(tok.len().min(129))];
    let user = &hay[s..e][..hay[s..e].iter().position(|&b| b == b'@').unwrap_or(0)];
    (6..=128).contains(&tok.len())
        && !tok.contains(&b'/')
        && !matches!(tok[0], b'.' | b'~' | b'_')
        && !tok.iter().all(u8::is_ascii_digit)
        && !user.eq_ignore_ascii_case(b"git")
        && !user.eq_ignore_ascii_case(b"hg")
}

/// An SSH-family or git command (`ssh`, `scp`, `sftp`, `rsync`, `mosh`, `ssh-copy-id`,
/// `git`) as a word anywhere on the line before `s` (within 240 bytes).
#[cold]
#[inline(never)]
fn ssh_command_on_line(hay: &[u8], s: usize) -> bool {
    let from = s.saturating_sub(240);
    let line =
        memchr::memrchr(b'\n', &hay[from..s]).map_or(&hay[from..s], |k| &hay[from + k + 1..s]);
    line.split(|&b| !(b.is_ascii_lowercase() || b == b'-'))
        .any(|w| {
            matches!(
                w,
                b"ssh" | b"scp" | b"sftp" | b"rsync" | b"mosh" | b"ssh-copy-id" | b"git"
            )
        })
}

/// The IPv6 address around the `:` at `i`, if valid.
pub(super) fn ipv6_at(hay: &[u8], i: usize) -> Option<(usize, usize)> {
    let mut s = i;
    while s > 0 && i - s < 45 && is_ipv6_byte(hay[s - 1]) {
        s -= 1;
    }
    let mut e = i;
    while e < hay.len() && e - s < 45 && is_ipv6_byte(hay[e]) {
        e += 1;
    }
    // tcpdump's full destination and its port (`…:c6a7.51544:`) run one byte past the bound:
    // its ending `:` joins the run (`evidence_r40n`; fortieth round, task ph).
    if e - s == 45 {
        e = super::evidence_r40n::run_colon_end(hay, e);
    }
    while s < e && hay[s] == b'.' {
        s += 1;
    }
    while e > s && hay[e - 1] == b'.' {
        e -= 1;
    }
    // scp's and rsync's `[user@]host:path` with the address as its host
    // (`admin@fd02:7f0:e2d2:6f2c::a296:/var/www/`): a single `:` right before a `/` is the
    // path's separator, no part of the address (RFC 4291 text ends in a group or `::`).
    // Twenty-sixth round, task fmt.
    // An address ended by a `:` (`from 2001:67c:ac6c::9d1d: password …`): one `:` before a
    // byte that is no word byte and no `:`, or the text's end (`evidence_r31f`; thirty-first
    // round, task fmt). The byte after it is then the address's `after`.
    let path_colon = e - s > 2
        && hay[e - 1] == b':'
        && hay[e - 2] != b':'
        && hay
            .get(e)
            .is_none_or(|&b| b == b'/' || !(v::is_word(b) || b == b':'));
    if path_colon {
        e -= 1;
    }
    let before = if s == 0 { None } else { Some(hay[s - 1]) };
    let after = if path_colon {
        hay.get(e + 1).copied()
    } else {
        hay.get(e).copied()
    };
    if before.is_some_and(|b| v::is_word(b) || b == b':')
        || after.is_some_and(|b| v::is_word(b) || b == b':')
    {
        // rsync's `USER@HOST::MODULE` with an address as its host (`evidence_r30c`;
        // thirtieth round, task cid).
        if before == Some(b'@') && after.is_some_and(v::is_word) {
            return super::evidence_r30c::rsync_daemon_host(hay, s, e, i);
        }
        return None;
    }
    if v::ipv6_ok(&hay[s..e]) {
        return Some((s, e));
    }
    // An address with its port and no brackets (haproxy's `2001:8a0:…:b989:38729`, ssh's
    // `Authenticating to 2a01:…:1b8c:22`): the last group is decimal and cannot be the
    // address's — five digits (no hex group has five), or a ninth group after eight full
    // ones, with a hex letter or `::` among them. The address alone is the finding.
    // (Cheap tests first: times like `12:30:45` come here by the thousand.)
    if e - s < 9 || !hay[e - 1].is_ascii_digit() {
        return None;
    }
    // An address, `.` and its port in tcpdump's `IP6 SRC.PORT > DST.PORT:` (`evidence_r34c`;
    // thirty-fourth round, task cmd).
    if let Some(end) = super::evidence_r34c::tcpdump_ipv6(hay, s, e) {
        return Some((s, end));
    }
    // An address ending in `::` with its port (`…:8738:::5432`; twenty-fourth round, task
    // num).
    if let Some(end) = super::evidence_r24n::ipv6_colons_port(hay, s, e) {
        return Some((s, end));
    }
    let c = s + hay[s..e].iter().rposition(|&b| b == b':')?;
    let port = &hay[c + 1..e];
    let addr = &hay[s..c];
    let groups = addr.iter().filter(|&&b| b == b':').count() + 1;
    let ported = !port.is_empty()
        && port.len() <= 5
        && port.iter().all(u8::is_ascii_digit)
        && (port.len() == 5 || (groups == 8 && memchr::memmem::find(addr, b"::").is_none()))
        && !addr.ends_with(b":")
        // An address has a hex letter or `::` (`10:20:30:40:50:60:70:80:90` is none).
        && (addr.iter().any(|b| matches!(b | 0x20, b'a'..=b'f'))
            || memchr::memmem::find(addr, b"::").is_some());
    (ported && v::ipv6_ok(addr)).then_some((s, c))
}

/// The GitHub rule's match at `p`, by hand:
/// `gh[pousr]_[A-Za-z0-9_]{36}[A-Za-z0-9_]*|github_pat_[A-Za-z0-9_]{40}[A-Za-z0-9_]*`.
/// `example` (any case) in a vendor token's body.
pub(super) fn example_word(body: &[u8]) -> bool {
    body.windows(7).any(|w| w.eq_ignore_ascii_case(b"example"))
}

/// A vendor-prefixed token shorter than the vendor's that reads as a documentation
/// placeholder: six or more of one byte (`AIzaSy` and 32 zeros) or the stand-ins `your`,
/// `here` in one case or in Title case, as CamelCase writes them
/// (`ghp_YourPersonalAccessTokenGoesHere0000`). Such a token is no key of the vendor's (too
/// short), so nothing real is taken for a placeholder; other short bodies stay nothing
/// (`ghs_abcdefghijklmnopqrstuvwx1234`, `AIzaSyA-short-key-0123456789abcd`).
pub(super) fn short_token_placeholder(token: &[u8]) -> bool {
    token.windows(6).any(|w| w.iter().all(|&b| b == w[0]))
        || token
            .windows(4)
            .any(|w| matches!(w, b"your" | b"Your" | b"YOUR" | b"here" | b"Here" | b"HERE"))
}

pub(super) fn github_end(hay: &[u8], p: usize) -> Option<usize> {
    let t = hay.get(p..)?;
    let run = |from: usize, ok: fn(u8) -> bool| t[from..].iter().take_while(|&&b| ok(b)).count();
    if t.starts_with(b"github_pat_") {
        let r = run(11, v::is_word);
        (r >= 40).then_some(p + 11 + r)
    } else if t.len() >= 4 && t[..2] == *b"gh" && b"pousr".contains(&t[2]) && t[3] == b'_' {
        // `_` too: a body holding one is a placeholder or nothing (`check`). A shorter body
        // naming an example (`ghs_EXAMPLEexampleEXAMPLEexample000000`) is a documentation
        // placeholder (`check` flags it).
        // A body of 20 to 35 bytes is matched too (the pattern's third alternative): `check`
        // keeps it only as a placeholder (`short_token_placeholder`).
        let r = run(4, v::is_word);
        (r >= 20 || example_word(&t[4..4 + r])).then_some(p + 4 + r)
    } else {
        None
    }
}

/// The end of the match the number rule's regex would give anchored at `p` (`None`: no
/// match), computed by hand for the fixed-shape rules: cards, SSNs, IPv4, IBANs, phones. Each
/// follows its pattern in `patterns()` exactly, leftmost-first and greedy; a test compares
/// them with the regexes. Other kinds return `Err(())` (use the regex).
// Offered to its callers' units (see `phone_end`): inlined, as it was before the
// thirteenth round moved the units.
#[inline]
pub(super) fn shape_end(kind: Kind, hay: &[u8], p: usize) -> Result<Option<usize>, ()> {
    match kind {
        Kind::Phone => return Ok(phone_end(hay, p)),
        Kind::ProsePassword => {
            return Ok(prose_keyword(hay, p)
                .map(|(_, e)| e)
                .or_else(|| super::evidence_r25p::trigger_end(hay, p))
                // A `TOTP` label (`evidence_r30g`), from the colon pass.
                .or_else(|| super::evidence_r30g::totp_label_before(hay, p + 4).then_some(p + 4)));
        }
        Kind::SecretWord => {
            return Ok(secret_word_at(hay, p).map(|(_, e)| e).or_else(|| {
                // A vendor's token after `--…-token` (`evidence_r31g`).
                super::evidence_r31g::flag_vendor_token(hay, p)
                    .map(|_| p + 4)
                    // PowerShell's `-AsPlainText` (`evidence_r40p`).
                    .or_else(|| {
                        hay.get(p + 1..)
                            .is_some_and(|t| t.starts_with(super::evidence_r40p::AS_PLAIN_TEXT))
                            .then_some(p + 1 + super::evidence_r40p::AS_PLAIN_TEXT.len())
                    })
            }));
        }
        Kind::Github => return Ok(github_end(hay, p)),
        Kind::VendorPrefix => return Ok(super::evidence_r38v::vendor_prefix_end(hay, p)),
        // A Django secret key as the value (`evidence_r30g`), `&` and all.
        Kind::KeyValue => {
            if let Some(e) = super::evidence_r30g::django_value_end(hay, p) {
                return Ok(Some(e));
            }
            // Consul's `encrypt = "…"` (`evidence_r33g`): no keyword of the pattern.
            if hay[p] == b'e' {
                if let Some(e) = super::evidence_r33g::consul_encrypt_end(hay, p) {
                    return Ok(Some(e));
                }
            }
        }
        _ => {}
    }
    // Every one of these starts with a word byte, so the leading `\b` needs a non-word
    // byte (or nothing) before it.
    // An IBAN may follow an MT940 `:86:` subfield code (`?31NL71…`, twenty-third round).
    if p > 0
        && v::is_word(hay[p - 1])
        && !(kind == Kind::Card && payment_card_code_before(hay, p))
        && !(kind == Kind::Iban && super::evidence_r23n::mt940_subfield_before(hay, p))
    {
        return match kind {
            Kind::Card | Kind::Ssn | Kind::Ipv4 | Kind::Iban => Ok(None),
            _ => Err(()),
        };
    }
    let sep_at = |i: usize, seps: &[u8]| hay.get(i).is_some_and(|b| seps.contains(b));
    Ok(match kind {
        // {b}(?:[0-9]{12,19}|[0-9]{4}(?:[ \-][0-9]{3,6}){2,4}){b}
        Kind::Card => {
            let run = digit_run(hay, p);
            if (12..=19).contains(&run) {
                (!word_at(hay, p + run)).then_some(p + run)
            } else if run == 4 {
                let mut ends = [0usize; 4];
                let mut n = 0;
                let mut pos = p + 4;
                while n < 4 && sep_at(pos, b" -") {
                    let r = digit_run(hay, pos + 1);
                    if !(3..=6).contains(&r) {
                        break;
                    }
                    pos += 1 + r;
                    ends[n] = pos;
                    n += 1;
                }
                // Only the last group can lack a `\b` after it (the others are followed by
                // a separator); then one group fewer.
                if n >= 2 && !word_at(hay, ends[n - 1]) {
                    Some(ends[n - 1])
                } else if n >= 3 {
                    Some(ends[n - 2])
                } else {
                    None
                }
            } else {
                None
            }
        }
        // {b}(?:[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4}){b}
        Kind::Ssn => {
            let ok = digit_run(hay, p) == 3
                && sep_at(p + 3, b"- ")
                && digit_run(hay, p + 4) == 2
                && hay.get(p + 6) == hay.get(p + 3)
                && digit_run(hay, p + 7) == 4
                && !word_at(hay, p + 11);
            ok.then_some(p + 11)
        }
        // {b}[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}{b}
        Kind::Ipv4 => {
            let mut pos = p;
            for g in 0..4 {
                let r = digit_run(hay, pos);
                if !(1..=3).contains(&r) {
                    return Ok(None);
                }
                pos += r;
                if g < 3 {
                    if hay.get(pos) != Some(&b'.') {
                        return Ok(None);
                    }
                    pos += 1;
                }
            }
            (!word_at(hay, pos)).then_some(pos)
        }
        // {b}[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}
        Kind::Iban => {
            let unit = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
            let head = hay.get(p..p + 4).is_some_and(|h| {
                h[0].is_ascii_uppercase()
                    && h[1].is_ascii_uppercase()
                    && h[2].is_ascii_digit()
                    && h[3].is_ascii_digit()
            });
            if !head {
                return Ok(None);
            }
            let mut pos = p + 4;
            let mut n = 0;
            while n < 30 {
                match (hay.get(pos).copied(), hay.get(pos + 1).copied()) {
                    (Some(b), _) if unit(b) => pos += 1,
                    (Some(b' '), Some(b)) if unit(b) => pos += 2,
                    _ => break,
                }
                n += 1;
            }
            (n >= 11).then_some(pos)
        }
        _ => return Err(()),
    })
}

/// The fewest bytes after `sk-` of an OpenAI key (legacy keys hold 48, project keys more).
const OPENAI_BODY_MIN: usize = 32;

/// Whether `body` (after `sk-`) is long enough for an OpenAI key: `OPENAI_BODY_MIN` bytes,
/// or a project's, service account's or admin key's (`proj-`, `svcacct-`, `admin-`: the
/// names are OpenAI's own) of any length the pattern takes.
fn openai_body_ok(body: &[u8]) -> bool {
    body.len() >= OPENAI_BODY_MIN
        || [b"proj-".as_slice(), b"svcacct-", b"admin-"]
            .iter()
            .any(|p| body.starts_with(p))
}

/// A value that a more specific secret rule will name better than GENERIC_SECRET.
pub(super) fn starts_with_known_secret(v: &[u8]) -> bool {
    // A short `sk-` token is no OpenAI key (`OPENAI_BODY_MIN`): the key's name names it.
    if v.starts_with(b"sk-") && !v.starts_with(b"sk-ant-") {
        let body = v[3..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
            .count();
        return openai_body_ok(&v[3..3 + body]);
    }
    const PREFIXES: [&[u8]; 19] = [
        b"eyJ",
        b"sk-",
        b"sk_live_",
        b"sk_test_",
        b"rk_live_",
        b"rk_test_",
        b"ghp_",
        b"gho_",
        b"ghu_",
        b"ghr_",
        b"ghs_",
        b"github_pat_",
        b"xox",
        b"xapp-",
        b"AKIA",
        b"ASIA",
        b"ABIA",
        b"ACCA",
        b"AIza",
    ];
    PREFIXES.iter().any(|p| v.starts_with(p))
}

pub(super) fn find_pem_end(hay: &[u8], from: usize) -> Option<usize> {
    let rest = &hay[from..];
    let end_at = memchr::memmem::find(rest, b"-----END ")?;
    let after = &rest[end_at + 9..];
    let close = memchr::memmem::find(after, b"-----")?;
    Some(from + end_at + 9 + close + 5)
}

/// A password stated in prose or loose key/value text, after its keyword at `hay[s..e]`
/// (`my password is …`, `passphrase: …`, `das Passwort lautet …`, `mot de passe : …`,
/// `la contraseña es …`, `la password è …`, `het wachtwoord is …`). Up to five words may
/// sit between the keyword and a connector (`:`, `=`, `is`, `was`, `to`, `ist`, `lautet`,
/// `est`, `es`, `è`, …: "the password *for the VPN* is …"), and the value after the
/// connector must look like a password (`password_like`), so "reset your password by
/// Monday" or "the password is required" hold none. Without a connector, a value right
/// after the keyword counts when it holds a letter and a digit or three character classes
/// (`bare_password`: "passwd Tr0ub4dor&3", "admin / password tiger813"). The skipped words
/// may hold apostrophes ("la password dell'account è …").
pub(super) fn check_prose_password(hay: &[u8], s: usize, e: usize) -> Outcome {
    // The keyword is a word of its own ("passwords", "mypassword" are not it), or the last
    // part of a German or Dutch compound (`Initialpasswort`, `WLAN-Kennwort`,
    // `beheerderswachtwoord`: those languages write such words as one).
    // Terraform's `ses_smtp_password_v4 = "…"` (`evidence_r32g`).
    if hay.get(e) == Some(&b'_') && s >= 9 && hay[s - 1] == b'_' {
        return super::evidence_r32g::ses_smtp_password(hay, s, e)
            .map_or(Outcome::Reject, Outcome::Hit);
    }
    // cloud-init's `chpasswd:` and its `list: |` of `NAME:PASSWORD` lines (`evidence_r33p`).
    if hay.get(e) == Some(&b':') && s >= 2 && hay[s - 2] == b'c' {
        if let Some(o) = super::evidence_r33p::chpasswd_password(hay, s, e) {
            return o;
        }
    }
    // MySQL's `SET PASSWORD FOR …`, Expect's `expect "…password…"` / `send "…"`, `echo
    // 'USER:PASSWORD' | chpasswd` (`evidence_r34p`).
    if let Some(o) = super::evidence_r34p::set_password_for(hay, s, e) {
        return o;
    }
    if let Some(o) = super::evidence_r34p::expect_send_password(hay, s, e) {
        return o;
    }
    if s >= 2 && hay[s - 2] == b'c' {
        if let Some(o) = super::evidence_r34p::chpasswd_echo_password(hay, s, e) {
            return o;
        }
    }
    // `echo X | docker login … --password-stdin` (`evidence_r35p`).
    if s >= 2 && hay[s - 1] == b'-' && hay.get(e) == Some(&b'-') {
        if let Some(o) = super::evidence_r35p::docker_stdin_password(hay, s, e) {
            return o;
        }
    }
    if hay[s] == b'-' {
        if hay.get(s + 1) == Some(&b'w') {
            return super::evidence_r29p::ldap_password(hay, s);
        }
        return check_cli_flag(hay, s);
    }
    // A value between escaped quotes right after `=` (`DbPassword=\"X\"`, SAM CLI's
    // `parameter_overrides`; `evidence_r32p`): the `key=value` pattern takes no `\`.
    if hay.get(e) == Some(&b'=') && hay.get(e + 1) == Some(&b'\\') {
        if let Some(o) = super::evidence_r32p::escaped_quoted_password(hay, e + 1) {
            return o;
        }
    }
    if e - s == 5 && hay[s..e].eq_ignore_ascii_case(b"mysql") {
        // An audit `EXECVE` record's quoted arguments (`a0="mysql" … a3="-pX"`;
        // `evidence_r32p`).
        if hay.get(e) == Some(&b'"') {
            if let Some(o) = super::evidence_r32p::execve_client_password(hay, e) {
                return o;
            }
        }
        return super::evidence_r28p::client_password(hay, e);
    }
    if hay[s] == b':' && pgpass_line_at(hay, s) {
        return pgpass_password(hay, s);
    }
    // `use VALUE as the password` (`evidence_r30p`).
    if let Some(h) = super::evidence_r30p::use_as_password(hay, s, e) {
        return Outcome::Hit(h);
    }
    // HAProxy's `stats auth USER:PASSWORD`, strongSwan's `: EAP "PASSWORD"` (`evidence_r30p`).
    if hay[s] == b':' && super::evidence_r30p::colon_secret_at(hay, s) {
        return super::evidence_r30p::colon_password(hay, s);
    }
    // `CommandLine: net user NAME PASSWORD` (`evidence_r31p`).
    if hay[s] == b':' && super::evidence_r31p::net_user_after_colon(hay, s) {
        return super::evidence_r31p::net_user_colon_password(hay, s)
            .map_or(Outcome::Reject, Outcome::Hit);
    }
    // A Wi-Fi pair `Wi-Fi: SSID / PASSWORD` (`evidence_r31p`).
    if hay[s] == b':' && super::evidence_r31p::wifi_pair_at(hay, s) {
        return super::evidence_r31p::wifi_pair_password(hay, s)
            .map_or(Outcome::Reject, Outcome::Hit);
    }
    if matches!(hay[s], b':' | b'=') {
        return super::evidence_r27p::pair_password(hay, s);
    }
    // `keytool -storepass …` (`keystore_pass_flag`): the argument after the flag.
    if e - s == 4 && keystore_pass_flag(hay, s) {
        return match arg_at(hay, e + 1, (e + 120).min(hay.len())) {
            Some((vs, ve)) if password_like(&hay[vs..ve]) => {
                Outcome::Hit(Hit::new(Entity::Password, vs, ve))
            }
            _ => Outcome::Reject,
        };
    }
    // `htpasswd -b FILE USER PASSWORD` (the keyword is `passwd` after `ht`).
    if s >= 2 && hay[s - 2..s].eq_ignore_ascii_case(b"ht") && e - s == 6 {
        return htpasswd_password(hay, e);
    }
    // `mosquitto_passwd -b FILE USER PASSWORD`, the same syntax (`evidence_r29p`).
    if e - s == 6 && super::evidence_r29p::batch_tool_before(hay, s) {
        if let hit @ Outcome::Hit(_) = htpasswd_password(hay, e) {
            return hit;
        }
    }
    // An XML element or attribute named for the password (`<Password><Value>…</Value>`,
    // `<AdministratorPassword>`, `<Pass encoding="base64">…`, OFX's `<USERPASS>…`), or a
    // closing tag (`</Password>`).
    if let Some(o) = xml_password(hay, s, e) {
        return o;
    }
    // A configuration line's key ending in `pass` (`smtppass = …`, `auth_pass …`).
    if let Some(o) = super::evidence_r24p::line_key_pass(hay, s, e) {
        return o;
    }
    let kw = &hay[s..e];
    let compound = kw.len() >= 8
        && (kw[kw.len() - 4..].eq_ignore_ascii_case(b"wort")
            || kw[kw.len() - 5..].eq_ignore_ascii_case(b"woord"));
    if hay.get(e).is_some_and(|b| b.is_ascii_alphabetic()) {
        return Outcome::Reject;
    }
    // After a backslash escape (`\nPasscode: …`, `evidence_r31p`): a word of its own.
    if s > 0 && hay[s - 1].is_ascii_alphabetic() && super::evidence_r31p::escape_before(hay, s) {
        return super::evidence_r31p::escaped_line_password(hay, e);
    }
    if s > 0 && hay[s - 1].is_ascii_alphabetic() && !compound {
        // `pulumi config --show-secrets`: `app:dbPassword   …`, a camelCase name's end.
        return pulumi_config_password(hay, s, e)
            .filter(|_| hay[s].is_ascii_uppercase())
            .unwrap_or(Outcome::Reject);
    }
    // A longer dotted or dashed setting's name (`spring.security.password-policy.min-length
    // =12`, `password.reset.ttl: 3600`): no password.
    if matches!(hay.get(e), Some(b'-' | b'.'))
        && hay.get(e + 1).is_some_and(u8::is_ascii_alphabetic)
    {
        return Outcome::Reject;
    }
    // A path's segment (`projects/…/secrets/db-password/versions/9`, a secret manager's
    // resource name): no password. Twenty-second round, task sec
    // (`benches/secret_r22_population.py`: 17 such paths on the training splits, none gold).
    // (Not a pair's `user/pass`: the keyword is the password's word.)
    if hay.get(e) == Some(&b'/')
        && hay.get(e + 1).is_some_and(u8::is_ascii_alphanumeric)
        && [
            b"password".as_slice(),
            b"passwd",
            b"passwort",
            b"kennwort",
            b"wachtwoord",
        ]
        .iter()
        .any(|w| kw.len() >= w.len() && kw[kw.len() - w.len()..].eq_ignore_ascii_case(w))
    {
        return Outcome::Reject;
    }
    // `wp-config.php`: `define( 'DB_PASSWORD', '…' );`.
    if let Some(o) = php_define_password(hay, s, e) {
        return o;
    }
    // A Markdown table's row `| Password | … |`, GNU make's `PASSWORD ?= …`
    // (`evidence_r31p`).
    if let Some(o) = super::evidence_r31p::table_row_password(hay, s, e) {
        return o;
    }
    // The same row with more words in its label (`| Portal password | … |`, `| Passwort für
    // das Portal | … |`; `evidence_r38p`).
    if let Some(o) = super::evidence_r38p::label_cell_password(hay, s, e) {
        return o;
    }
    if let Some(o) = super::evidence_r31p::make_conditional_password(hay, e) {
        return o;
    }
    // Apache's `SetEnv DB_PASS …`, csh's `setenv`, a Dockerfile's `ENV NAME value`.
    if let Some(o) = env_directive_password(hay, s, e) {
        return o;
    }
    // A credential pair: `login: admin / …`, `user/pass: admin / …`.
    if PAIR_WORDS
        .iter()
        .any(|w| w.eq_ignore_ascii_case(&hay[s..e]))
    {
        return super::evidence_r23p::net_use_password(hay, s, e)
            .unwrap_or_else(|| check_pair(hay, e));
    }
    // Dutch `ww` only before `:`/`=` (`ww: …`).
    let ww = e - s == 2 && hay[s] | 0x20 == b'w';
    // `pass` alone is a key before `:`/`=` only (`pass = …`, `Pass: …`; `prose_keyword`),
    // and a weaker one than `password`: "boarding pass: B12", "pass: 3 of 5", "pass:
    // 120/130" are no passwords. Its value must also hold a letter.
    let weak = kw.eq_ignore_ascii_case(b"pass") || kw.eq_ignore_ascii_case(b"key");
    let accept = |v: &[u8]| password_like(v) && (!weak || v.iter().any(u8::is_ascii_alphabetic));
    const CONNECTORS: [&[u8]; 17] = [
        b"a",
        b"\xc3\xa0",
        b"auf",
        b"op",
        b"is",
        b"was",
        b"to",
        b"ist",
        b"war",
        b"lautet",
        b"est",
        b"es",
        b"era",
        b"\xc3\xa8",
        b"wordt",
        b"are",
        b"c'est",
    ];
    let limit = (e + 80).min(hay.len());
    let mut i = e;
    let mut words = 0;
    // Blanks, and the no-break spaces French puts before `:` and inside « » (U+00A0,
    // U+202F).
    let skip_blanks = |mut i: usize| loop {
        if i < limit && matches!(hay[i], b' ' | b'\t') {
            i += 1;
        } else if hay[i.min(limit)..limit].starts_with(b"\xc2\xa0") {
            i += 2;
        } else if hay[i.min(limit)..limit].starts_with(b"\xe2\x80\xaf") {
            i += 3;
        } else {
            return i;
        }
    };
    // A key naming whose password it is (`PASSWORD_DB=…`, `password_utente: …`,
    // `WACHTWOORD_DB = '…'`, `CONTRASENA_BD=…`): the owner word is skipped to the `:`/`=`.
    // Any other word after `_` names a setting (`PASSWORD_MIN_LENGTH=12`, `password_file:
    // /run/secrets/db`, `password_hash: $2b$…`), not a password.
    if hay.get(i) == Some(&b'_') {
        match owner_suffix_end(hay, i) {
            Some(k) => i = k,
            None => return Outcome::Reject,
        }
    }
    // A quoted key (`"Password": "…"`, `"contraseña" = "…"`): its closing quote.
    if s > 0 && matches!(hay[s - 1], b'"' | b'\'') && hay.get(i) == Some(&hay[s - 1]) {
        i += 1;
    }
    // An XML element (`<password>…</password>`): its text, up to the closing tag. A vendor
    // token there (`<password>ghp_…</password>`) starts where this would, and its rule wins.
    if s > 0 && hay[s - 1] == b'<' && hay.get(i) == Some(&b'>') {
        let vs = i + 1;
        let ve = vs + hay[vs..limit].iter().take_while(|&&b| b != b'<').count();
        let v = &hay[vs..ve];
        return if ve < limit && password_like(v) {
            Outcome::Hit(Hit::new(Entity::Password, vs, ve))
        } else {
            Outcome::Reject
        };
    }
    i = skip_blanks(i);
    if ww && !matches!(hay.get(i), Some(b':' | b'=')) {
        return Outcome::Reject;
    }
    // Cisco IOS's encryption type before the password (`username netops privilege 15
    // password 0 …`; 0 is clear text, 7 a reversible cipher). (Sixteenth round, part B.)
    if i > e && matches!(hay.get(i), Some(b'0' | b'7')) && hay.get(i + 1) == Some(&b' ') {
        if let Some((vs, _)) = value_at(hay, skip_blanks(i + 2), limit) {
            // IOS takes the rest of the line: a final `.` is the password's.
            let ve = token_end(hay, vs, limit);
            if password_like(&hay[vs..ve]) {
                return Outcome::Hit(Hit::new(Entity::Password, vs, ve));
            }
        }
    }
    // An adjective after the keyword, as the Romance languages place it ("contraseña
    // provisional …", "mot de passe temporaire …"): the value right after it.
    let adj_end = i + hay[i..limit]
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    if i > e
        && adj_end < limit
        && hay[adj_end] == b' '
        && KEYWORD_ADJECTIVES
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&hay[i..adj_end]))
    {
        if let Some((vs, ve)) = value_at(hay, skip_blanks(adj_end), limit) {
            let v = &hay[vs..ve];
            if strong_password(v) || bare_password(v) {
                return Outcome::Hit(Hit::new(Entity::Password, vs, ve));
            }
        }
    }
    // The device whose password it is, right after the keyword ("nouveau mdp box …",
    // "nuova password router …", "nueva clave del router …"): the value after it.
    if i > e {
        if let Some(o) = device_password(hay, i, limit) {
            return o;
        }
    }
    // A Terraform/HCL variable named for a password: `variable "db_password" { default =
    // "…" }`, its default.
    if i == e && hay.get(e) == Some(&b'"') {
        if let Outcome::Hit(h) = hcl_default(hay, e + 1) {
            return Outcome::Hit(h);
        }
    }
    // Connector-less: the value right after the keyword and a blank ("passwd Tr0ub4dor&3",
    // "admin / password tiger813"), after a command-line flag (`--password …`) or quoted
    // (SQL's `WITH PASSWORD '…'`), where the shape test alone decides.
    if let Some((vs, ve)) = value_at(hay, i, limit) {
        let v = &hay[vs..ve];
        let flag = s >= 2 && &hay[s - 2..s] == b"--";
        let quoted = i > e && matches!(hay[i], b'\'' | b'"');
        // Not the next cell of a CSV header (`password,timePasswordChanged`: Firefox's export).
        // Not a command-line flag after a parameter's name (`--name /prod/db/password
        // --with-decryption`; `evidence_r34p`).
        if !matches!(hay[i], b':' | b'=' | b',' | b';')
            && !super::evidence_r34p::cli_flag(v)
            && (strong_password(v)
                || i > e && bare_password(v)
                || (flag || quoted) && i > e && password_like(v))
        {
            return Outcome::Hit(Hit::new(Entity::Password, vs, ve));
        }
    }
    while i < limit && words <= 5 {
        // One parenthesised aside before the connector ("Password (temporary): …").
        if hay[i] == b'(' {
            let close = hay[i..limit.min(i + 32)].iter().position(|&b| b == b')');
            match close {
                Some(c) if !hay[i + 1..i + c].contains(&b'(') => {
                    words += 1;
                    i = skip_blanks(i + c + 1);
                    continue;
                }
                _ => return Outcome::Reject,
            }
        }
        // A dash set off by blanks stands for the colon too ("Password \u{2014} …", en dash
        // "\u{2013}"), as chat and mail write it. (Fifteenth round, part B.)
        let arrow = [
            b"->".as_slice(),
            b"=>",
            b"\xe2\x86\x92",
            b"\xe2\x80\x94 ",
            b"\xe2\x80\x93 ",
        ]
        .into_iter()
        .find(|a| hay[i..limit].starts_with(a));
        // An opening guillemet or curly quote stands for the connector ("mot de passe
        // provisoire « … »", "Passwort „…“", "password “…”").
        let open_quote = OPEN_QUOTES
            .into_iter()
            .find(|a| hay[i..limit].starts_with(a));
        let connector_end = if let Some(a) = arrow.or(open_quote) {
            Some(i + a.len())
        } else if matches!(hay[i], b':' | b'=') {
            Some(i + 1)
        } else {
            let w_end = i + hay[i..limit]
                .iter()
                .take_while(|&&b| b.is_ascii_alphabetic() || b >= 0x80 || b == b'-' || b == b'\'')
                .count();
            if w_end == i {
                return Outcome::Reject;
            }
            let w = &hay[i..w_end];
            let lower_is = |c: &&[u8]| c.eq_ignore_ascii_case(w);
            if CONNECTORS.iter().any(lower_is)
                || (CHANGE_CONNECTORS.iter().any(lower_is) && change_verb_near(hay, s, i))
            {
                Some(w_end)
            } else if hay.get(w_end) == Some(&b':') {
                Some(w_end + 1)
            } else {
                words += 1;
                i = w_end;
                // A sentence ends: the statement is over.
                if matches!(
                    hay.get(i),
                    Some(b'.' | b',' | b';' | b'!' | b'?' | b'(' | b')')
                ) {
                    return Outcome::Reject;
                }
                i = skip_blanks(i);
                continue;
            }
        };
        let Some(c_end) = connector_end else {
            return Outcome::Reject;
        };
        let mut vs = skip_blanks(c_end);
        // A word connector and a colon ("das Passwort lautet: …").
        if vs < limit && hay[vs] == b':' && hay[c_end - 1] != b':' {
            vs = skip_blanks(vs + 1);
        }
        // pgcrypto's `crypt('…', gen_salt('bf'))`: its first argument is the plain text.
        if let Some(o) = pgcrypto_plaintext(hay, vs, limit) {
            return o;
        }
        let Some((vs, ve)) = value_at(hay, vs, limit) else {
            return Outcome::Reject;
        };
        // A closing quote and the no-break space before it (`« … »`).
        let mut ve = ve;
        while let Some(q) = CLOSE_QUOTES
            .into_iter()
            .chain([b"\xc2\xa0".as_slice(), b"\xe2\x80\xaf"])
            .find(|q| hay[vs..ve].ends_with(q))
        {
            ve -= q.len();
        }
        // `$pw = ConvertTo-SecureString '…' -AsPlainText -Force`: the quoted plain text.
        if let Some(o) = secure_string_password(hay, vs, ve, Entity::Password) {
            return o;
        }
        // Symfony's `env(NAME)` (`evidence_r40p`): a reference, no password.
        if super::evidence_r40p::env_reference(hay, vs, ve) {
            return Outcome::Reject;
        }
        // Django's generated key (`django-insecure-…`) is a GENERIC_SECRET (`evidence_r40p`).
        if super::evidence_r40p::django_key_value(hay, vs, ve) {
            return Outcome::Hit(Hit::new(Entity::GenericSecret, vs, ve));
        }
        if accept(&hay[vs..ve]) {
            return Outcome::Hit(Hit::new(Entity::Password, vs, ve));
        }
        // Not a password: the statement goes on past that word ("is not strong enough").
        words += 1;
        if ve < hay.len() && matches!(hay[ve], b'.' | b',' | b';' | b'!' | b'?') {
            return Outcome::Reject;
        }
        let plain_word = hay[vs..ve]
            .iter()
            .all(|&b| b.is_ascii_alphabetic() || b >= 0x80);
        // A pointer to where the password is kept ("password: see 1Password vault …",
        // "Passwort: siehe KeePass"), not the password: the word after it is a place.
        if plain_word && is_referral_word(&hay[vs..ve]) {
            return Outcome::Reject;
        }
        i = skip_blanks(ve);
        // One plain word between the connector and the value ("het wachtwoord is *nu* …",
        // "is now …"): the next token, with the same shape test (not after a template's
        // opening, `<see vault>`, `(see 1Password)`). Not the next setting of a log
        // message after a status word ("Password strength: weak api_key_header: …",
        // "Passwort: abgelaufen max_password_age=180"): a name before `:`, or `name=…`.
        if let Some((vs, ve)) = value_at(hay, i, limit).filter(|_| plain_word) {
            if accept(&hay[vs..ve]) && !setting_token(hay, vs, ve) {
                return Outcome::Hit(Hit::new(Entity::Password, vs, ve));
            }
        }
    }
    Outcome::Reject
}

/// Configuration keys whose value, after blanks, is a password: Redis's `requirepass`
/// (sixteenth round, part B), nslcd's and pam_ldap's `bindpw` and `rootpwmodpw`
/// (`nslcd.conf`, `ldap.conf`; blind18, read after its score). Written in lower case.
/// Redis's `masterauth` (the replica's password for its master, `redis.conf`; thirty-second
/// round, `evidence_r32p`).
pub(super) const PASSWORD_SETTINGS: [&[u8]; 4] =
    [b"requirepass", b"bindpw", b"rootpwmodpw", b"masterauth"];

/// A password setting (`PASSWORD_SETTINGS`) ending at `e`: its value in the configuration
/// file and `CONFIG SET requirepass …` (after blanks), or in `redis-cli`'s reply to `CONFIG
/// GET requirepass` (`1) "requirepass"` then `2) "…"` on the next line), when it reads as a
/// password.
fn password_setting_value(hay: &[u8], e: usize) -> Outcome {
    let limit = (e + 120).min(hay.len());
    let mut i = e;
    if hay.get(i) == Some(&b'"') {
        i += 1;
        i += usize::from(hay.get(i) == Some(&b'\r'));
        if hay.get(i) != Some(&b'\n') || !hay[i + 1..limit].starts_with(b"2) ") {
            return Outcome::Reject;
        }
        i += 4;
    } else {
        let b = hay[i..limit].iter().take_while(|&&b| b == b' ').count();
        if b == 0 {
            return Outcome::Reject;
        }
        i += b;
    }
    match value_at(hay, i, limit) {
        Some((vs, ve)) if password_like(&hay[vs..ve]) => {
            Outcome::Hit(Hit::new(Entity::Password, vs, ve))
        }
        _ => Outcome::Reject,
    }
}

/// The configuration passes of a Windows answer file (`<settings pass="oobeSystem">` in
/// `unattend.xml`): the schema's names, no password.
const WINDOWS_SETUP_PASSES: [&[u8]; 7] = [
    b"windowsPE",
    b"offlineServicing",
    b"generalize",
    b"specialize",
    b"auditSystem",
    b"auditUser",
    b"oobeSystem",
];

/// The password keyword at `hay[s..e]` in XML (Sixteenth round, part B), `None` elsewhere:
/// - a closing tag (`</Password>`, `</AdministratorPassword>`): nothing follows it;
/// - an attribute `pass="…"` naming a Windows setup pass (`WINDOWS_SETUP_PASSES`): nothing;
/// - an element's start tag: the keyword is its name or the name's tail after a word
///   (`<AdministratorPassword>`, `<DbPassword>`; `pass` only as OFX's `<USERPASS>`), with
///   attributes or not (FileZilla's `<Pass encoding="base64">`): the element's text, or the
///   text of a `<Value>` child (`unattend.xml`: `<Password><Value>…</Value>`), up to the
///   next tag or the line's end (OFX 1.x is SGML: `<USERPASS>…` has no end tag), when it
///   reads as a password (`password_like`).
fn xml_password(hay: &[u8], s: usize, e: usize) -> Option<Outcome> {
    let name = hay[..s]
        .iter()
        .rev()
        .take(24)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let open = s - name;
    if open >= 2 && hay[open - 1] == b'/' && hay[open - 2] == b'<' {
        return Some(Outcome::Reject);
    }
    if name == 0
        && s > 0
        && matches!(hay[s - 1], b' ' | b'\t')
        && hay[e..].starts_with(b"=\"")
        && e - s == 4
    {
        let v = &hay[e + 2..];
        let n = v.iter().take(24).take_while(|&&b| b != b'"').count();
        if WINDOWS_SETUP_PASSES.iter().any(|w| *w == &v[..n]) {
            return Some(Outcome::Reject);
        }
        return None;
    }
    if open == 0 || hay[open - 1] != b'<' {
        return None;
    }
    let kw = &hay[s..e];
    let word_pass = kw.eq_ignore_ascii_case(b"pass");
    if word_pass && name > 0 && !hay[open..s].eq_ignore_ascii_case(b"user") {
        return None;
    }
    // The start tag's end: at once, or after attributes on the same line.
    let limit = (e + 160).min(hay.len());
    let mut i = e;
    if matches!(hay.get(i), Some(b' ' | b'\t')) {
        i += hay[i..limit]
            .iter()
            .take(64)
            .take_while(|&&b| !matches!(b, b'>' | b'<' | b'\r' | b'\n'))
            .count();
    }
    if hay.get(i) != Some(&b'>') {
        return None;
    }
    // A `<Value>` child, on the same line or the next (`evidence_r41p`).
    let vs = super::evidence_r41p::value_child(hay, i + 1).unwrap_or(i + 1);
    let ve = vs
        + hay[vs..limit]
            .iter()
            .take_while(|&&b| !matches!(b, b'<' | b'\r' | b'\n'))
            .count();
    // A text flattened to one line (` | ` for its line breaks, as a log writes it).
    let ve = vs + memchr::memmem::find(&hay[vs..ve], b" | ").unwrap_or(ve - vs);
    let v = &hay[vs..ve];
    Some(if ve < hay.len() && ve < limit && password_like(v) {
        Outcome::Hit(Hit::new(Entity::Password, vs, ve))
    } else {
        Outcome::Reject
    })
}

/// PostgreSQL's pgcrypto hashing a password as it is stored (`UPDATE users SET password =
/// crypt('…', gen_salt('bf'))`) at `i`: the quoted first argument is the password in plain
/// text, when it reads as one. `None` for any other value. (Sixteenth round, part B.)
fn pgcrypto_plaintext(hay: &[u8], i: usize, limit: usize) -> Option<Outcome> {
    if !hay
        .get(i..i + 7)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"crypt('"))
    {
        return None;
    }
    let vs = i + 7;
    let ve = vs + hay[vs..limit].iter().take_while(|&&b| b != b'\'').count();
    let rest = &hay[ve.min(limit)..limit];
    let salted = rest.starts_with(b"',") && {
        let r = &rest[2..];
        let r = &r[r.iter().take_while(|&&b| b == b' ').count()..];
        r.len() >= 9 && r[..9].eq_ignore_ascii_case(b"gen_salt(")
    };
    Some(if salted && password_like(&hay[vs..ve]) {
        Outcome::Hit(Hit::new(Entity::Password, vs, ve))
    } else {
        Outcome::Reject
    })
}

/// Whether the token at `hay[vs..ve]` is a setting's name or a whole setting: a `:` right
/// after it (`api_key_header:`), or an identifier holding `_` before a `=` in it
/// (`PASSWORD_HASHER=argon2`, `session_timeout=30m`).
fn setting_token(hay: &[u8], vs: usize, ve: usize) -> bool {
    let v = &hay[vs..ve];
    let name = v
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    hay.get(ve) == Some(&b':')
        || (v.get(name) == Some(&b'=') && v[..name].contains(&b'_') && v[0].is_ascii_alphabetic())
}

/// Adjectives placed after a password keyword (`contraseña provisional …`, `mot de passe
/// temporaire …`, `password temporanea …`): the value follows them.
const KEYWORD_ADJECTIVES: [&[u8]; 13] = [
    // French `mot de passe initial` (the noun is masculine; `initiale` below).
    b"initial",
    b"provisional",
    b"provisoire",
    b"provvisoria",
    b"temporal",
    b"temporaire",
    b"temporanea",
    b"temporary",
    b"tijdelijk",
    b"tijdelijke",
    b"inicial",
    b"initiale",
    b"iniziale",
];

/// After a password keyword and a blank, at `i`: a network device's word (`router`, `box`,
/// `modem`, `wifi`, `wlan`; an article before it, `del router`) and the value after it, a
/// password when it reads as one with no connector (`strong_password`, `bare_password`).
/// `None` otherwise (the statement is read on).
fn device_password(hay: &[u8], i: usize, limit: usize) -> Option<Outcome> {
    let word_at = |i: usize| {
        let n = hay[i..limit]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic() || **b == b'-')
            .count();
        (hay.get(i + n) == Some(&b' ')).then(|| (&hay[i..i + n], i + n + 1))
    };
    let (mut w, mut next) = word_at(i)?;
    if ["del", "du", "de", "della", "des", "der", "van"]
        .iter()
        .any(|a| a.as_bytes().eq_ignore_ascii_case(w))
    {
        (w, next) = word_at(next)?;
    }
    if !["router", "routeur", "box", "modem", "wifi", "wi-fi", "wlan"]
        .iter()
        .any(|d| d.as_bytes().eq_ignore_ascii_case(w))
    {
        return None;
    }
    let (vs, ve) = value_at(hay, next, limit)?;
    let v = &hay[vs..ve];
    (strong_password(v) || bare_password(v))
        .then(|| Outcome::Hit(Hit::new(Entity::Password, vs, ve)))
}

/// A word that points elsewhere for the value (`see`, `siehe`, `voir`, `zie`, `ver`, `vedi`).
fn is_referral_word(word: &[u8]) -> bool {
    [
        b"see".as_slice(),
        b"siehe",
        b"voir",
        b"zie",
        b"ver",
        b"vedi",
    ]
    .iter()
    .any(|w| word.eq_ignore_ascii_case(w))
}

/// A `.pgpass` line (`hostname:port:database:username:password`) whose username ends at the
/// `:` at `q`: the password after it, to the end of the line. The line is the whole of it:
/// a host (a name with a letter or a `.`, an address, `*`) at the start of a line, a port
/// (digits or `*`), a database (a name or `*`), a user name; the password reads as one
/// (`password_like`).
pub(super) fn pgpass_line_at(hay: &[u8], q: usize) -> bool {
    let field = |e: usize, ok: fn(u8) -> bool| {
        let n = hay[..e]
            .iter()
            .rev()
            .take(64)
            .take_while(|&&b| ok(b))
            .count();
        (n > 0 && n < 64 && e > n).then(|| e - n)
    };
    let name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'*');
    let Some(user) = field(q, name) else {
        return false;
    };
    if hay[user - 1] != b':' {
        return false;
    }
    let Some(db) = field(user - 1, name) else {
        return false;
    };
    if hay[db - 1] != b':' {
        return false;
    }
    let Some(port) = field(db - 1, |b| b.is_ascii_digit() || b == b'*') else {
        return false;
    };
    if hay[port - 1] != b':' || !(2..=5).contains(&(db - 1 - port)) && hay[port] != b'*' {
        return false;
    }
    let host_end = port - 1;
    let n = hay[..host_end]
        .iter()
        .rev()
        .take(254)
        .take_while(|&&b| name(b))
        .count();
    let host = &hay[host_end - n..host_end];
    let line_start =
        host_end - n == 0 || matches!(hay[host_end - n - 1], b'\n' | b'\r' | b' ' | b'\t');
    n > 0
        && line_start
        && (host == b"*" || host.iter().any(|&b| b == b'.' || b.is_ascii_alphabetic()))
}

/// The password of the `.pgpass` line whose username ends at the `:` at `q`
/// (`pgpass_line_at`).
fn pgpass_password(hay: &[u8], q: usize) -> Outcome {
    let vs = q + 1;
    let ve = vs
        + hay[vs..]
            .iter()
            .take(128)
            .take_while(|&&b| !matches!(b, b'\n' | b'\r' | b' ' | b'\t' | b'"' | b'|' | b'<'))
            .count();
    // A `:` in it is escaped in a `.pgpass` file (`\:`): a bare one makes the line
    // something else (a MAC address `3c:36:b9:0c:2c:8a`, a time).
    let bare_colon = hay[vs..ve]
        .iter()
        .enumerate()
        .any(|(k, &b)| b == b':' && (k == 0 || hay[vs + k - 1] != b'\\'));
    if !bare_colon && pgpass_line_at(hay, q) && password_like(&hay[vs..ve]) {
        Outcome::Hit(Hit::new(Entity::Password, vs, ve))
    } else {
        Outcome::Reject
    }
}

/// Words after `password_` naming whose password it is (a database, a user, a service) in
/// the seven locales: `PASSWORD_DB`, `password_utente`, `MOT_DE_PASSE_BDD`.
const PASSWORD_OWNERS: [&[u8]; 32] = [
    b"db",
    b"bd",
    b"bdd",
    b"database",
    b"user",
    b"utente",
    b"usuario",
    b"utilisateur",
    b"benutzer",
    b"gebruiker",
    b"admin",
    b"root",
    b"app",
    b"smtp",
    b"mail",
    b"email",
    b"ftp",
    b"sftp",
    b"ssh",
    b"ldap",
    b"redis",
    b"mysql",
    b"postgres",
    b"pg",
    b"sql",
    b"service",
    b"svc",
    b"wifi",
    b"wlan",
    b"vpn",
    b"proxy",
    b"amqp",
];

/// The start (its `_`) of `_OWNER` ending at `j` (`PASSWORD_OWNERS`, any case).
pub(super) fn owner_suffix_start(hay: &[u8], j: usize) -> Option<usize> {
    let w = hay[..j]
        .iter()
        .rev()
        .take(12)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    (w >= 2
        && j > w
        && hay[j - w - 1] == b'_'
        && PASSWORD_OWNERS
            .iter()
            .any(|o| o.eq_ignore_ascii_case(&hay[j - w..j])))
    .then(|| j - w - 1)
}

/// The end of `_OWNER` at `i` (its `_`) when an owner word (`PASSWORD_OWNERS`, any case)
/// follows and then, after an optional closing quote and blanks, a `:` or `=`.
fn owner_suffix_end(hay: &[u8], i: usize) -> Option<usize> {
    let w = hay[i + 1..]
        .iter()
        .take(12)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let word = &hay[i + 1..i + 1 + w];
    if !PASSWORD_OWNERS.iter().any(|o| o.eq_ignore_ascii_case(word)) {
        return None;
    }
    let end = i + 1 + w;
    let mut k = end + usize::from(matches!(hay.get(end), Some(b'"' | b'\'')));
    while matches!(hay.get(k), Some(b' ' | b'\t')) {
        k += 1;
    }
    matches!(hay.get(k), Some(b':' | b'=')).then_some(end)
}

/// Opening guillemets and curly quotes (`«`, `“`, `‘`, `„`).
const OPEN_QUOTES: [&[u8]; 4] = [
    b"\xc2\xab",
    b"\xe2\x80\x9c",
    b"\xe2\x80\x98",
    b"\xe2\x80\x9e",
];

/// Closing guillemets and curly quotes (`»`, `”`, `’`, `“`), taken off a value's end.
const CLOSE_QUOTES: [&[u8]; 4] = [
    b"\xc2\xbb",
    b"\xe2\x80\x9d",
    b"\xe2\x80\x99",
    b"\xe2\x80\x9c",
];

/// The default of an HCL block opening after the closing quote of a password-named label
/// at `i` (`variable "db_password" {\n  default = "…"\n}`): the quoted string after
/// `default =` before the block's `}`, if it reads as a password.
fn hcl_default(hay: &[u8], mut i: usize) -> Outcome {
    let ws = |mut i: usize| {
        while hay.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        i
    };
    i = ws(i);
    if hay.get(i) != Some(&b'{') {
        return Outcome::Reject;
    }
    let limit = (i + 400).min(hay.len());
    let block = &hay[i..limit];
    let Some(end) = block.iter().position(|&b| b == b'}') else {
        return Outcome::Reject;
    };
    let Some(d) = memchr::memmem::find(&block[..end], b"default") else {
        return Outcome::Reject;
    };
    let mut j = ws(i + d + 7);
    if hay.get(j) != Some(&b'=') {
        return Outcome::Reject;
    }
    j = ws(j + 1);
    if hay.get(j) != Some(&b'"') {
        return Outcome::Reject;
    }
    let vs = j + 1;
    match hay[vs..i + end]
        .iter()
        .position(|&b| b == b'"' || b == b'\n')
    {
        Some(len) if hay[vs + len] == b'"' && password_like(&hay[vs..vs + len]) => {
            Outcome::Hit(Hit::new(Entity::Password, vs, vs + len))
        }
        _ => Outcome::Reject,
    }
}

/// Connectors that are prepositions as often: "into" / "to" only after a verb of change
/// (`change_verb_near`): "j'ai changé le mot de passe en …", "ho cambiato la password
/// in …", "ik heb het wachtwoord veranderd in …", "gewijzigd naar …", "cambiada por …",
/// "changé pour …"; not "the password in KeePass", "le mot de passe en clair".
const CHANGE_CONNECTORS: [&[u8]; 5] = [b"en", b"in", b"naar", b"por", b"pour"];

/// A verb of change (any inflection: the stem is looked for, any case) between 40 bytes
/// before the keyword at `s` and the connector at `i`: `changed`, `changé`, `modifié`,
/// `modificato`, `cambiato`, `cambiado`, `veranderd`, `gewijzigd`, `omgezet`, `aggiornato`,
/// `geändert`, `converted`.
fn change_verb_near(hay: &[u8], s: usize, i: usize) -> bool {
    const STEMS: [&[u8]; 9] = [
        b"chang",
        b"modifi",
        b"cambi",
        b"verander",
        b"wijzig",
        b"omgezet",
        b"aggiorn",
        b"\xc3\xa4nder",
        b"convert",
    ];
    let win = &hay[s.saturating_sub(40)..i];
    STEMS
        .iter()
        .any(|st| win.windows(st.len()).any(|x| x.eq_ignore_ascii_case(st)))
}

/// The user words that open a credential pair (`login: admin / …`), longest first where one
/// starts another (lower case; matched in any case).
pub(super) const PAIR_WORDS: [&[u8]; 21] = [
    b"username",
    b"user",
    b"login",
    b"benutzername",
    b"benutzer",
    b"utilisateur",
    b"identifiants",
    b"identifiant",
    b"usuario",
    b"utente",
    b"gebruikersnaam",
    b"gebruiker",
    // Words for the access or the credentials themselves (`Zugang: admin / …`, `inlog:
    // beheer / …`, `credenziali: admin / …`, `creds: admin / …`).
    b"zugangsdaten",
    b"zugang",
    b"inloggegevens",
    b"inlog",
    b"credenziali",
    b"credentials",
    b"creds",
    b"accesso",
    // Spanish (`acceso: admin / …`).
    b"acceso",
];

/// The password words that may follow a pair's user word after a `/` (`user/pass: …`).
const PAIR_SECRET_WORDS: [&[u8]; 6] = [b"pass", b"pw", b"pwd", b"password", b"passwort", b"mdp"];

/// A credential pair after its user word ending at `e`: optionally `/pass` (or another
/// password word), `:`/`=`, the user name, `/` (blanks around it allowed), and the secret,
/// which must hold a letter and a digit or three character classes (`bare_password`,
/// `strong_password`): "login: admin / Tr0ub4dor3" holds one, "login: admin / password
/// reset" none.
fn check_pair(hay: &[u8], e: usize) -> Outcome {
    let limit = (e + 120).min(hay.len());
    let blanks = |mut i: usize| {
        while i < limit && matches!(hay[i], b' ' | b'\t') {
            i += 1;
        }
        i
    };
    let mut i = e;
    if hay.get(i) == Some(&b'/') {
        let w = hay[i + 1..limit]
            .iter()
            .take_while(|b| b.is_ascii_alphabetic())
            .count();
        if !PAIR_SECRET_WORDS
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&hay[i + 1..i + 1 + w]))
        {
            return Outcome::Reject;
        }
        i += 1 + w;
    }
    i = blanks(i);
    // Up to four words naming whose login it is, then the `:` ("EDC login for the
    // coordinator: …", "Login fürs Portal: …", "acceso al portal: …"; the colon pass finds
    // the user word that far back, `prose_colon_words`). (Eighteenth round.)
    let mut k = i;
    for _ in 0..4 {
        let w = hay[k..limit]
            .iter()
            .take_while(|&&b| b.is_ascii_alphabetic() || b >= 0x80 || b == b'-')
            .count();
        if w == 0 {
            break;
        }
        k = blanks(k + w);
        if hay.get(k) == Some(&b':') {
            i = k;
            break;
        }
    }
    if hay
        .get(i..i + 3)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"is "))
    {
        // `login is admin / …`.
        i += 2;
    } else if !matches!(hay.get(i), Some(b':' | b'=')) || i >= limit {
        return Outcome::Reject;
    } else {
        i += 1;
    }
    i = blanks(i);
    let user = hay[i..limit]
        .iter()
        .take_while(|&&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'/' | b'"' | b',' | b';'))
        .count();
    if user == 0 || user > 64 {
        return Outcome::Reject;
    }
    i = blanks(i + user);
    if hay.get(i) != Some(&b'/') || i >= limit {
        return Outcome::Reject;
    }
    let Some((vs, ve)) = value_at(hay, blanks(i + 1), limit) else {
        return Outcome::Reject;
    };
    // A `.` ending the line is the password's (`password_after_email` reads it so).
    let ve = token_ending_line(hay, vs)
        .filter(|&t| t > ve && hay[ve..t].iter().all(|&b| b == b'.'))
        .unwrap_or(ve);
    let v = &hay[vs..ve];
    if bare_password(v) || strong_password(v) {
        Outcome::Hit(Hit::new(Entity::Password, vs, ve))
    } else {
        Outcome::Reject
    }
}

/// The token at `i` (an opening quote skipped; up to a blank or a quote, sentence
/// punctuation trimmed from its end).
fn value_at(hay: &[u8], mut i: usize, limit: usize) -> Option<(usize, usize)> {
    if matches!(hay.get(i), Some(b'"' | b'\'' | b'`')) {
        i += 1;
    }
    let mut e = i;
    while e < hay.len()
        && e - i < 80
        && !matches!(hay[e], b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\'' | b'`')
    {
        e += 1;
    }
    while e > i && matches!(hay[e - 1], b'.' | b',' | b';' | b':' | b')') {
        e -= 1;
    }
    (e > i && i < limit).then_some((i, e))
}

/// Character classes of a password candidate: lower, upper (a capital that is not just the
/// first letter of a word), digit, symbol (hyphens, dots and apostrophes inside words are
/// spelling, not symbols).
fn password_classes(v: &[u8]) -> (usize, bool) {
    let lower = v.iter().any(|&b| b.is_ascii_lowercase() || b >= 0x80);
    let upper = v.iter().skip(1).any(u8::is_ascii_uppercase)
        || (!lower && v.iter().any(u8::is_ascii_uppercase));
    let digit = v.iter().any(u8::is_ascii_digit);
    let symbol = v
        .iter()
        .any(|&b| b.is_ascii_punctuation() && !matches!(b, b'-' | b'.' | b'\''));
    let n = [lower, upper, digit, symbol].iter().filter(|&&x| x).count();
    (n, digit || symbol || upper)
}

/// A value that reads as a password, not as a word of the sentence or a placeholder: 6 to 64
/// bytes, two character classes or more with a digit, a symbol or an inner capital
/// (`hunter22`, `Summer2024!`), not a URL, an e-mail address or a placeholder (`<…>`,
/// `${…}`, `****`, `xxxx`, `changeme`).
pub(super) fn password_like(v: &[u8]) -> bool {
    // Non-ASCII letters count as letters (`Schlüssel&528`, `montaña6SEVI*`): a word of the
    // sentence still holds one class only. So do the currency signs written for a letter
    // (`€` for `e`: `V4p0r€tt038`, `H0rt€n$1€98`, `£` for `L`), as leet spelling does
    // `4` for `a` (eighteenth round: 46 of the PASSWORD misses, in five splits).
    if !(6..=64).contains(&v.len()) {
        return false;
    }
    if v.iter().any(|&b| b >= 0x80)
        && !std::str::from_utf8(v).is_ok_and(|t| {
            t.chars()
                .all(|c| c.is_ascii() || c.is_alphabetic() || matches!(c, '€' | '£'))
        })
    {
        return false;
    }
    // A vendor-shaped secret (`ghp_…`, `xoxb-…`) is reported by its own rule; a stand-in
    // or a secret's name (`your_api_key_here`, `changeme`, `db-password`, `prod/smtp-wiL36a`:
    // `stand_in`, the test the key rules and JSON use); a query string (`lat=54.2&lon=-6.1`).
    let lower_starts = |w: &[u8]| v.len() >= w.len() && v[..w.len()].eq_ignore_ascii_case(w);
    let query = v.windows(2).enumerate().any(|(k, w)| {
        w[0] == b'&'
            && w[1].is_ascii_alphabetic()
            && v[k + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count()
                < v.len() - k - 1
            && v[k + 1..]
                .iter()
                .find(|b| !(b.is_ascii_alphanumeric() || **b == b'_'))
                == Some(&b'=')
    });
    // A SOPS-encrypted value (`ENC[AES256_GCM,data:…]`) is ciphertext.
    if starts_with_known_secret(v) || stand_in(v) || query || v.starts_with(b"ENC[AES256_GCM") {
        return false;
    }
    // Templates and variables (`<…>`, `{{…}}`, `${…}`, `$DB_PASSWORD`, `%s`), masks.
    let variable = v[0] == b'$'
        && v[1..].iter().all(|&b| {
            b.is_ascii_uppercase()
                || b.is_ascii_digit()
                || matches!(b, b'_' | b'{' | b'}' | b'(' | b')')
        });
    // `%s`, `%(password)s`, `%DB_PASS%`; a password may start with `%` (`%CY42imQJq$t1`).
    let percent = v[0] == b'%'
        && (v[1] == b'('
            || v.ends_with(b"%")
            || v[1..].iter().all(|&b| b.is_ascii_uppercase() || b == b'_'));
    // The rest of an identifier naming a setting (`PASSWORD_MIN_LENGTH=12` read from the
    // keyword on) and a function call (`password = crypt('…')`: `crypt(` is none).
    let setting = v[0] == b'_' && v.contains(&b'=');
    // The message of a shell's `${SMTP_PASS:?missing}` (the value read from the `:`): an
    // error to print when the variable is unset, no password.
    let unset_message = v[0] == b'?' && v.ends_with(b"}");
    if variable
        || percent
        || setting
        || unset_message
        || v.ends_with(b"(")
        || code_reference(v)
        || lower_starts(b"vault:")
        || matches!(v[0], b'<' | b'{' | b'[' | b'(')
        || v.starts_with(b"${")
        || v.iter().all(|&b| matches!(b, b'x' | b'X' | b'*' | b'.'))
        || memchr::memmem::find(v, b"://").is_some()
        || variable_reference(v)
    {
        return false;
    }
    // An e-mail address or a host name (`…@example.com`, `vault.example.com`). Not a dotted
    // value with a capital and a digit before its last dot (`TOR.59603.ado`, `Sor.4531.tto`):
    // host names are written in lower case, and no TLD follows a label of digits and capitals.
    if let Some(dot) = v.iter().rposition(|&b| b == b'.') {
        let tld = &v[dot + 1..];
        let head = &v[..dot];
        let mixed = !v.contains(&b'@')
            && head.iter().any(u8::is_ascii_uppercase)
            && head.iter().any(u8::is_ascii_digit);
        if (2..=6).contains(&tld.len()) && tld.iter().all(u8::is_ascii_lowercase) && !mixed {
            return false;
        }
    }
    const NOT_PASSWORDS: [&[u8]; 8] = [
        b"changeme",
        b"password",
        b"redacted",
        b"required",
        b"incorrect",
        b"placeholder",
        b"undefined",
        b"********",
    ];
    if NOT_PASSWORDS.iter().any(|w| w.eq_ignore_ascii_case(v)) {
        return false;
    }
    // MySQL's stored hash (`*` and 40 hex digits: `IDENTIFIED BY PASSWORD '*6BB4…'`).
    if v.len() == 41 && v[0] == b'*' && v[1..].iter().all(u8::is_ascii_hexdigit) {
        return false;
    }
    let (classes, strong_class) = password_classes(v);
    (classes >= 2 && strong_class && v::shannon_entropy(v) >= 2.0) || passphrase(v)
}

/// A passphrase of words (diceware style, `otter-violin-meadow-granite`): four words or
/// more of 3 to 12 lower-case letters, joined by `-`, or three of 5 to 12
/// (`heron-kanaalboot-lebkuchen`: blind18, read after its score). Shorter words read as a
/// compound of the sentence (`self-service`, `one-time-only`, `end-to-end`).
pub(super) fn passphrase(v: &[u8]) -> bool {
    let (mut words, mut short) = (0, false);
    for w in v.split(|&b| b == b'-') {
        if !(3..=12).contains(&w.len()) || !w.iter().all(u8::is_ascii_lowercase) {
            return false;
        }
        short |= w.len() < 5;
        words += 1;
    }
    words >= 4 || (words == 3 && !short)
}

/// A password right after its keyword with no connector: 8+ bytes and three classes.
fn strong_password(v: &[u8]) -> bool {
    v.len() >= 8 && password_like(v) && password_classes(v).0 >= 3
}

/// A password after its keyword and a blank, with no connector: password-like
/// (`password_like`) with a letter and a digit (`tiger813`). A word of the sentence holds
/// no digit ("password reset", "password policy"); one that does ("password v2") is under
/// 6 bytes.
/// Random letters of both cases count too (`ygaYoGHHld`, `nqspFEHFwK`: `random_letters`).
fn bare_password(v: &[u8]) -> bool {
    password_like(v)
        && (v.iter().any(u8::is_ascii_digit) && v.iter().any(u8::is_ascii_alphabetic)
            || random_letters(v))
}

/// 8+ ASCII letters of both cases that are no CamelCase words (`KeePass`, `LastPass`,
/// `iCloud`, `PostgreSQL`: optional capitals, lower case, then capitalised words of 3+
/// letters, then optional capitals): a generator's output (`ygaYoGHHld`, `NWrDtPOnTNxdry`).
/// Nineteenth round: 8 of 8 such tokens right after a password keyword and a blank in the
/// training splits are passwords, all missed before (`benches/pii_shapes.py`).
fn random_letters(v: &[u8]) -> bool {
    if v.len() < 8
        || !v.iter().all(u8::is_ascii_alphabetic)
        || !v.iter().any(u8::is_ascii_lowercase)
        || !v.iter().any(u8::is_ascii_uppercase)
    {
        return false;
    }
    let mut i = v.iter().take_while(|b| b.is_ascii_uppercase()).count();
    i += v[i..].iter().take_while(|b| b.is_ascii_lowercase()).count();
    loop {
        let caps = v[i..].iter().take_while(|b| b.is_ascii_uppercase()).count();
        if i + caps == v.len() {
            return caps == 1;
        }
        let lower = v[i + caps..]
            .iter()
            .take_while(|b| b.is_ascii_lowercase())
            .count();
        if caps != 1 || lower < 2 {
            return true;
        }
        i += caps + lower;
    }
}

/// The password keyword around the trigger literal at `p` (see `triggers`), as
/// (start, end): `pass` + `word`/`wd`/`wort`/`phrase`/`code`, `pass phrase`, `mot de passe`, `Kennwort`,
/// `wachtwoord`, `mdp`, `contraseña`/`contrasena`, the short forms `pw`, `pwd`, `ww`, `clave`,
/// and the user words of credential pairs (`PAIR_WORDS`), in any case.
/// A network word in the 60 bytes before `p` (any case): `wifi`, `wi-fi`, `wlan`, `wpa`,
/// `ssid`, `router`, `hub`, `network`, `réseau`, `red`, `rete`, `netwerk`.
fn wifi_before(hay: &[u8], p: usize) -> bool {
    wifi_in(&hay[p.saturating_sub(60)..p])
}

/// A network word (`wifi_before`'s) in the 40 bytes before the keyword at `p` or the 24
/// after it (`WLAN-Schlüssel`, `Clé Wi-Fi`).
pub(super) fn wifi_word_near(hay: &[u8], p: usize) -> bool {
    wifi_in(&hay[p.saturating_sub(40)..(p + 24).min(hay.len())])
}

fn wifi_in(win: &[u8]) -> bool {
    [
        b"wifi".as_slice(),
        b"wi-fi",
        b"wlan",
        b"wpa",
        b"ssid",
        b"router",
        b"hub",
        b"network",
        b"r\xc3\xa9seau",
        b"rete",
        b"netwerk",
    ]
    .iter()
    .any(|w| win.windows(w.len()).any(|x| x.eq_ignore_ascii_case(w)))
}

/// A shell argument at `i`: quoted (to its closing quote) or to the next blank (a `;`
/// ending it taken off; a password may end in `.`, unlike a word of prose).
fn arg_at(hay: &[u8], i: usize, limit: usize) -> Option<(usize, usize)> {
    match hay.get(i) {
        Some(&q @ (b'\'' | b'"')) => {
            let len = hay[i + 1..limit].iter().position(|&b| b == q)?;
            Some((i + 1, i + 1 + len))
        }
        Some(_) => {
            let mut e = i + hay[i..limit]
                .iter()
                .take_while(|&&b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'\''))
                .count();
            if e > i && hay[e - 1] == b';' {
                e -= 1;
            }
            (e > i).then_some((i, e))
        }
        None => None,
    }
}

/// Whether the `pass` at `p` ends a password flag of Java's `keytool` and `jarsigner` (and
/// the tools that copied them: `apksigner`, Android's Gradle, `openssl pkcs12`'s docs):
/// `-storepass`, `-keypass`, with `src`/`dest` before them (`keytool -importkeystore
/// -srcstorepass … -deststorepass …`), a single or double dash at a word's start. The
/// password is the next argument. `-storepass:env NAME` and `-storepass:file PATH` name
/// where it is kept (no blank after `pass`: not this flag's form). (Fifteenth round, part B.)
fn keystore_pass_flag(hay: &[u8], p: usize) -> bool {
    let head = &hay[p.saturating_sub(10)..p];
    let letters = head
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let mut dash = p - letters;
    if dash == 0 || hay[dash - 1] != b'-' {
        return false;
    }
    dash -= 1;
    if dash > 0 && hay[dash - 1] == b'-' {
        dash -= 1;
    }
    if dash > 0 && !matches!(hay[dash - 1], b' ' | b'\t' | b'\n') {
        return false;
    }
    let word = head[head.len() - letters..].to_ascii_lowercase();
    let word = word
        .strip_prefix(b"src")
        .or_else(|| word.strip_prefix(b"dest"))
        .unwrap_or(&word);
    word == b"store" || word == b"key"
}

/// `redis-cli` before the `-a` at `p`, on the same line, within 120 bytes.
fn redis_cli_before(hay: &[u8], p: usize) -> bool {
    let from = p.saturating_sub(120);
    let line = hay[from..p]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(from, |k| from + k + 1);
    memchr::memmem::find(&hay[line..p], b"redis-cli").is_some()
}

/// The password of `htpasswd -b [-c…] FILE USER PASSWORD` (`-b` takes it from the command
/// line; `-n` writes to standard output, with no file) after `htpasswd` ending at `e`.
fn htpasswd_password(hay: &[u8], e: usize) -> Outcome {
    let limit = (e + 200).min(hay.len());
    let mut i = e;
    let mut batch = false;
    let mut no_file = false;
    let mut args = 0;
    loop {
        while i < limit && matches!(hay[i], b' ' | b'\t') {
            i += 1;
        }
        let Some((vs, ve)) = arg_at(hay, i, limit) else {
            return Outcome::Reject;
        };
        let quoted = vs > i;
        let arg = &hay[vs..ve];
        if !quoted && arg.len() > 1 && arg[0] == b'-' {
            if !arg[1..].iter().all(u8::is_ascii_alphabetic) {
                return Outcome::Reject;
            }
            batch |= arg.contains(&b'b');
            no_file |= arg.contains(&b'n');
        } else {
            args += 1;
            if batch && args == if no_file { 2 } else { 3 } {
                return if password_like(arg) {
                    Outcome::Hit(Hit::new(Entity::Password, vs, ve))
                } else {
                    Outcome::Reject
                };
            }
        }
        if args > 3 {
            return Outcome::Reject;
        }
        i = ve + usize::from(quoted);
    }
}

/// A password in a command-line flag at `s` (`-p` or `-u`): `-p'…'`/`-p"…"` (quoted, as
/// `mysql -p'…'`), `-pSECRET` (attached, with a letter and a digit: `mysql -pTr0ub4dor`;
/// `-pthread`, `-p8080` hold none), `sshpass -p …` (after a blank), `-u user:SECRET`
/// (`curl -u 'admin:…'`: the part after the first `:`). Every value must read as a
/// password (`password_like`).
fn check_cli_flag(hay: &[u8], s: usize) -> Outcome {
    let limit = (s + 120).min(hay.len());
    let found = |vs: usize, ve: usize, ok: bool| {
        if ok && password_like(&hay[vs..ve]) {
            Outcome::Hit(Hit::new(Entity::Password, vs, ve))
        } else {
            Outcome::Reject
        }
    };
    let quoted = |i: usize| -> Option<(usize, usize)> {
        let q = *hay.get(i)?;
        if !matches!(q, b'\'' | b'"') {
            return None;
        }
        let len = hay[i + 1..limit].iter().position(|&b| b == q)?;
        Some((i + 1, i + 1 + len))
    };
    // net-snmp's `-A` / `-X` pass phrases (`evidence_r41p`).
    if let Some(h) = super::evidence_r41p::snmp_pass_phrase(hay, s) {
        return h.map_or(Outcome::Reject, Outcome::Hit);
    }
    let flag = hay[s + 1] | 0x20;
    let i = s + 2;
    // `redis-cli -h HOST -a PASSWORD` (`prose_keyword` saw `redis-cli` before it).
    // HTTPie's `http -a USER:PASSWORD` (`evidence_r35p`).
    if flag == b'a' {
        return match quoted(i + 1).or_else(|| arg_at(hay, i + 1, limit)) {
            Some((vs, ve)) if super::evidence_r35p::httpie_before(hay, s) => {
                super::evidence_r35p::httpie_password(hay, vs, ve)
            }
            Some((vs, ve)) => found(vs, ve, true),
            None => Outcome::Reject,
        };
    }
    if flag == b'p' {
        if let Some((vs, ve)) = quoted(i) {
            return found(vs, ve, true);
        }
        if hay.get(i) == Some(&b' ') {
            let sshpass = s >= 8 && hay[s - 8..s].eq_ignore_ascii_case(b"sshpass ");
            // `docker login -u ci -p SECRET` (registry logins: `-p` right after `-u USER`).
            let after_user = {
                let head = &hay[s.saturating_sub(80)..s];
                let head = head.strip_suffix(b" ").unwrap_or(head);
                let user = head
                    .iter()
                    .rposition(|&b| b == b' ')
                    .map_or(head, |k| &head[..k + 1]);
                user.len() < head.len() && user.ends_with(b" -u ")
            };
            let vs = i + 1;
            // A vendor's token after `-u USER` (`twine upload -u __token__ -p pypi-…`,
            // `evidence_r35g`): a GENERIC_SECRET.
            if after_user {
                if let Some(h) = super::evidence_r35g::vendor_token_after_user(hay, vs) {
                    return Outcome::Hit(h);
                }
            }
            return match quoted(vs).or_else(|| value_at(hay, vs, limit)) {
                // A capital `-P`'s argument by its shape (twenty-sixth round).
                Some((vs, ve)) if !(sshpass || after_user) => {
                    super::evidence_r26p::capital_p_argument(hay, s, vs, ve)
                }
                Some((vs, ve)) => found(vs, ve, sshpass || after_user),
                None => Outcome::Reject,
            };
        }
        return match value_at(hay, i, limit) {
            Some((vs, ve)) => found(vs, ve, bare_password(&hay[vs..ve])),
            None => Outcome::Reject,
        };
    }
    // `-u user:SECRET`, quoted or not.
    let vs = i + 1;
    let Some((us, ue)) = quoted(vs).or_else(|| value_at(hay, vs, limit)) else {
        return Outcome::Reject;
    };
    // Samba's `-U [DOMAIN\\]USER%PASSWORD` (`evidence_r32p`).
    if hay[s + 1] == b'U' {
        if let Some(vs) = super::evidence_r32p::samba_user_password(&hay[us..ue]) {
            return found(us + vs, ue, true);
        }
    }
    match hay[us..ue].iter().position(|&b| b == b':') {
        Some(c) if c > 0 && us + c + 1 < ue => found(us + c + 1, ue, true),
        // `mysql -u root -pSECRET`: the `-p` after the user (the long-text search has no
        // literal for an attached `-p`).
        Some(_) => Outcome::Reject,
        None => {
            let mut k = ue + usize::from(hay.get(ue).is_some_and(|&b| b == b'\'' || b == b'"'));
            while k < limit && hay[k] == b' ' {
                k += 1;
            }
            if k > ue
                && hay
                    .get(k..k + 2)
                    .is_some_and(|f| f.eq_ignore_ascii_case(b"-p"))
            {
                check_cli_flag(hay, k)
            } else {
                Outcome::Reject
            }
        }
    }
}

pub(super) fn prose_keyword(hay: &[u8], p: usize) -> Option<(usize, usize)> {
    let at = |from: usize, w: &[u8]| {
        hay.get(from..from + w.len())
            .is_some_and(|x| x.eq_ignore_ascii_case(w))
    };
    let before = |w: &[u8]| p >= w.len() && at(p - w.len(), w);
    match hay.get(p)?.to_ascii_lowercase() {
        // `pw`, `pwd`.
        b'p' if at(p, b"pw") => Some((p, p + if at(p + 2, b"d") { 3 } else { 2 })),
        // `parola d'ordine` (from the colon pass).
        b'p' if at(p, b"parola d'ordine")
            || at(p, b"parola_d'ordine")
            || at(p, b"parola_d_ordine") =>
        {
            Some((p, p + 15))
        }
        // `parola segreta` (from the colon pass).
        b'p' if at(p, b"parola_segreta") || at(p, b"parola segreta") => Some((p, p + 14)),
        // German `Schlüssel` of a Wi-Fi network (`WLAN-Schlüssel: …`, from the colon pass).
        b's' if at(p, b"schl\xc3\xbcssel") && wifi_word_near(hay, p) => Some((p, p + 10)),
        b'p' => {
            for tail in [
                b"word".as_slice(),
                b"wd",
                b"wort",
                b"phrase",
                b"code",
                b" phrase",
            ] {
                if at(p + 4, tail) {
                    return Some((p, p + 4 + tail.len()));
                }
            }
            if at(p + 4, b"e") {
                // `mot de passe`, and as one word or a key: `motdepasse`, `mot_de_passe`,
                // `mot-de-passe`.
                for head in [b"mot de ".as_slice(), b"motde", b"mot_de_", b"mot-de-"] {
                    if before(head) {
                        return Some((p - head.len(), p + 5));
                    }
                }
            }
            // `pass` after a network word (`wifi pass for the office is …`; `wifi_before`).
            // `pass` ending a variable's name set by a directive (`SetEnv DB_PASS …`).
            if at(p, b"pass ") && (wifi_before(hay, p) || env_directive_name_before(hay, p)) {
                return Some((p, p + 4));
            }
            // A keystore's password flag (`keytool -storepass …`, `-keypass …`).
            if at(p, b"pass ") && keystore_pass_flag(hay, p) {
                return Some((p, p + 4));
            }
            // `pass` alone, as a key: before `:`/`=` (blanks between), found by the colon
            // pass (`pass = …` in INI sections, `Pass: …`).
            let mut k = p + 4;
            while matches!(hay.get(k), Some(b' ' | b'\t')) {
                k += 1;
            }
            (at(p, b"pass")
                && (matches!(hay.get(k), Some(b':' | b'='))
                    || super::evidence_r24p::line_key_pass_at(hay, p)))
            .then_some((p, p + 4))
        }
        b'e' => before(b"k").then(|| (p - 1, p + 7)),
        b'w' if at(p, b"ww") => Some((p, p + 2)),
        b'w' if at(p, b"wachtwoord") => Some((p, p + 10)),
        // `wachtw` (short for `wachtwoord`) as a key: before `:`/`=` (a closing quote and
        // blanks between) or an owner's `_`.
        b'w' if at(p, b"wachtw") => {
            let mut k = p + 6;
            k += usize::from(matches!(hay.get(k), Some(b'"' | b'\'')));
            while matches!(hay.get(k), Some(b' ' | b'\t')) {
                k += 1;
            }
            matches!(hay.get(k), Some(b':' | b'=' | b'_')).then_some((p, p + 6))
        }
        // `MotDePasse` (from the colon pass).
        b'm' if at(p, b"motdepasse") => Some((p, p + 10)),
        // A client's name (`mysql -uroot -pX`; `evidence_r28p`).
        b'm' if at(p, b"mysql") => Some((p, p + 5)),
        b'm' => Some((p, p + 3)),
        // The `:` before a `.pgpass` line's password (from the colon pass); a `user /
        // password` pair's `:` or `=` (`evidence_r27p`, from the `key=value` pass).
        b':' | b'=' => (hay[p] == b':'
            && (pgpass_line_at(hay, p)
                || super::evidence_r30p::colon_secret_at(hay, p)
                || super::evidence_r31p::wifi_pair_at(hay, p)
                || super::evidence_r31p::net_user_after_colon(hay, p))
            || super::evidence_r27p::pair_after(hay, p))
        .then_some((p, p + 1)),
        // Command-line flags: `-p'…'`, `-p"…"`, `-pSECRET`, `sshpass -p …`, `-u user:…`.
        b'-' if at(p, b"-p")
            || at(p, b"-u ")
            || at(p, b"-a ")
                && (redis_cli_before(hay, p) || super::evidence_r35p::httpie_before(hay, p))
            || at(p, b"-w ") && super::evidence_r29p::ldap_client_before(hay, p)
            // net-snmp's `-A` / `-X` pass phrases (`evidence_r41p`).
            || super::evidence_r41p::snmp_pass_flag_at(hay, p) =>
        {
            Some((p, p + 2))
        }
        // `api key` before a blank (the ` key ` literal): a key in prose
        // (`secret_in_prose`).
        b'k' if at(p, b"key ") && before(b"api ") => Some((p - 4, p + 3)),
        // A Wi-Fi key: `key` after a network word (`wifi`, `WLAN`, `WPA`, `SSID`, `router`,
        // `hub`, `network`) in the 60 bytes before.
        b'k' if at(p, b"key ") && wifi_before(hay, p) => Some((p, p + 3)),
        b'c' if at(p, b"chiave") => {
            // Italian: `chiave di accesso` ("access key", said of passwords) and
            // `parola chiave` / `parola_chiave`; `chiave` alone is any key (`chiave API`).
            if at(p + 6, b" di accesso") {
                Some((p, p + 17))
            } else if before(b"parola_") || before(b"parola ") {
                Some((p - 7, p + 6))
            } else {
                None
            }
        }
        // Spanish `clave`, and `clave de acceso` (`clave_acceso: …`).
        b'c' if at(p, b"clave") => {
            let tail = [
                b"_acceso".as_slice(),
                b" de acceso",
                b"_de_acceso",
                b"-acceso",
            ]
            .into_iter()
            .find(|t| at(p + 5, t))
            .map_or(0, <[u8]>::len);
            Some((p, p + 5 + tail))
        }
        // Catalan `contrasenya` (from the colon pass).
        b'c' if at(p, b"contrasenya") => Some((p, p + 11)),
        // French `clé` of a Wi-Fi network (`Clé Wi-Fi : …`, from the colon pass).
        b'c' if (at(p, b"cl\xc3\xa9") || hay[p..].starts_with(b"CL\xc3\x89"))
            && wifi_word_near(hay, p) =>
        {
            Some((p, p + 4))
        }
        // `api key` before `:`/`=` (from the colon pass).
        b'a' if at(p, b"api key") => Some((p, p + 7)),
        // The user word of a credential pair (`login: admin / …`).
        b'l' | b'u' | b'b' | b'g' | b'i' | b'c' | b'z' | b'a' if !before(b"contr") => PAIR_WORDS
            .iter()
            .find(|w| at(p, w))
            .map(|w| (p, p + w.len())),
        // `ase` + ñ/Ñ (two bytes) + `a`, after `contr`.
        b'a' => before(b"contr").then(|| (p - 5, p + 6)),
        b'r' => before(b"cont").then(|| (p - 4, p + 6)),
        _ => None,
    }
}

/// Birth dates in an SQL `INSERT … (cols) VALUES (…), (…)` whose column list names a
/// birth-date column at the trigger `p` (`birth_date`, `date_of_birth`, `dob`,
/// `geburtsdatum`, …): the quoted date at that column's place in each tuple (`'1985-03-02'`,
/// `DATE '1985-03-02'`), as (start, end) of the date; and in the data rows of a
/// `COPY … (cols) FROM stdin;` (`table::copy_birth_values`).
pub(super) fn sql_birth_values(
    hay: &[u8],
    p: usize,
    date_re: &Regex,
    found: &mut dyn FnMut(usize, usize),
) {
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut ns = p;
    while ns > 0 && ident(hay[ns - 1]) {
        ns -= 1;
    }
    let ne = p + hay[p..].iter().take_while(|&&b| ident(b)).count();
    // A date column (`birth_date`, `date_of_birth`, `dob`, `birthday`, `geburtsdatum`), not
    // `birth_place` or `birth_year`.
    let name = hay[ns..ne].to_ascii_lowercase();
    if ![
        "date",
        "dob",
        "datum",
        "birthday",
        "nascita",
        "nacimiento",
        "naissance",
    ]
    .iter()
    .any(|w| memchr::memmem::find(&name, w.as_bytes()).is_some())
    {
        return;
    }
    // The column list around the name: `(` before, `)` after, only names, quotes, commas.
    let list_byte = |b: &u8| {
        ident(*b)
            || matches!(
                b,
                b',' | b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'`' | b'[' | b']'
            )
    };
    let before = hay[ns.saturating_sub(400)..ns]
        .iter()
        .rev()
        .take_while(|b| list_byte(b))
        .count();
    let open = ns - before;
    if open == 0 || hay[open - 1] != b'(' {
        return;
    }
    let after = hay[ne..(ne + 400).min(hay.len())]
        .iter()
        .take_while(|b| list_byte(b))
        .count();
    let close = ne + after;
    if hay.get(close) != Some(&b')') {
        return;
    }
    let head = &hay[open.saturating_sub(120)..open];
    let col = hay[open..ns].iter().filter(|&&b| b == b',').count();
    if !head.windows(6).any(|w| w.eq_ignore_ascii_case(b"insert")) {
        // PostgreSQL's `COPY t (…, birth_date, …) FROM stdin;` (`pg_dump`): the rows follow.
        if let Some(rows) = head
            .windows(4)
            .any(|w| w.eq_ignore_ascii_case(b"copy"))
            .then(|| super::table::copy_from_stdin_end(hay, close + 1))
            .flatten()
        {
            super::table::copy_birth_values(hay, rows, col, date_re, found);
        }
        return;
    }
    // Blanks and line breaks, also where a log flattened them to ` | `, ` / ` or ` ¶ `.
    let ws = |mut i: usize| loop {
        match hay.get(i) {
            Some(&b) if b.is_ascii_whitespace() || b == b'|' || b == b'/' => i += 1,
            Some(0xC2) if hay[i..].starts_with(super::table::PILCROW) => i += 2,
            _ => return i,
        }
    };
    let mut i = ws(close + 1);
    if !hay
        .get(i..i + 6)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"values"))
    {
        return;
    }
    i = ws(i + 6);
    let limit = (i + 8192).min(hay.len());
    // Each tuple: values split at commas outside quotes.
    while i < limit && hay[i] == b'(' {
        i += 1;
        let mut k = 0;
        loop {
            i = ws(i);
            let vs = i;
            // A quoted string ('' is a quote inside it), or anything up to `,` / `)`.
            let mut date: Option<(usize, usize)> = None;
            loop {
                match hay.get(i) {
                    None => return,
                    Some(b'\'') => {
                        let qs = i + 1;
                        let mut j = qs;
                        loop {
                            match hay[j.min(limit)..limit].iter().position(|&b| b == b'\'') {
                                None => return,
                                Some(l) if hay.get(j + l + 1) == Some(&b'\'') => j += l + 2,
                                Some(l) => {
                                    j += l;
                                    break;
                                }
                            }
                        }
                        let prefix = hay[vs..i].trim_ascii_end();
                        if prefix.is_empty() || prefix.eq_ignore_ascii_case(b"date") {
                            date = Some((qs, j));
                        }
                        i = j + 1;
                    }
                    Some(b',' | b')') => break,
                    Some(_) => i += 1,
                }
                if i >= limit {
                    return;
                }
            }
            if k == col {
                if let Some((qs, qe)) = date {
                    if date_re
                        .search(&Input::new(&hay[qs..qe]).anchored(Anchored::Yes))
                        .is_some_and(|m| m.end() == qe - qs)
                    {
                        found(qs, qe);
                    }
                }
            }
            k += 1;
            if hay[i] == b')' {
                i += 1;
                break;
            }
            i += 1;
        }
        i = ws(i);
        if hay.get(i) != Some(&b',') {
            return;
        }
        i = ws(i + 1);
    }
}

/// A phone word right before a dotted number (`Fax 34.41.82.27`, `Tel.: 27.12.63.80`): four
/// pairs of digits after it are a phone number written with dots, not an IPv4 address.
fn phone_word_before(hay: &[u8], s: usize) -> bool {
    word_before(hay, s, false).is_some_and(|(a, b)| {
        let w = &hay[a..b];
        [
            &b"fax"[..],
            b"tel",
            b"phone",
            b"mobile",
            b"mob",
            b"cell",
            b"handy",
            b"gsm",
        ]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
    })
}

/// Where a date written with blanks (`05 17 1958`: two groups of one or two digits, a year of
/// four) starts at the end of `t`, if `t` ends in one.
fn spaced_date_start(t: &[u8]) -> Option<usize> {
    let n = t.len();
    if n < 8 || t[n - 5] != b' ' || !t[n - 4..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let digits_before = |i: usize| {
        t[..i]
            .iter()
            .rev()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let second = digits_before(n - 5);
    if !(1..=2).contains(&second) {
        return None;
    }
    let j = n - 5 - second;
    if j == 0 || t[j - 1] != b' ' {
        return None;
    }
    let first = digits_before(j - 1);
    (1..=2).contains(&first).then(|| j - 1 - first)
}

/// `birthday` (`Geburtstag`) followed by a word naming a celebration before the date (`Beau's
/// birthday drinks are on 26/11/2026`, `birthday party on …`, `Geburtstagsfeier am …`,
/// `Geburtstag Feier …`): the date of the event, not a birth.
pub(super) fn birthday_event(keyword_to_date: &[u8]) -> bool {
    let k = keyword_to_date;
    if k.len() > 10 && k[..10].eq_ignore_ascii_case(b"geburtstag") && k[10].is_ascii_alphabetic() {
        // A compound: `Geburtstagsfeier`, `Geburtstagsparty`, `Geburtstagskuchen`.
        return true;
    }
    let Some(rest) = k
        .get(..8)
        .filter(|k| k.eq_ignore_ascii_case(b"birthday"))
        .map(|_| &k[8..])
        .or_else(|| {
            k.get(..10)
                .filter(|k| k.eq_ignore_ascii_case(b"geburtstag"))
                .map(|_| &k[10..])
        })
    else {
        return false;
    };
    rest.split(|b| !b.is_ascii_alphabetic()).any(|w| {
        [
            &b"party"[..],
            b"parties",
            b"drinks",
            b"cake",
            b"lunch",
            b"dinner",
            b"celebration",
            b"bash",
            b"event",
            b"feier",
            b"fest",
        ]
        .iter()
        .any(|e| w.eq_ignore_ascii_case(e))
    })
}

/// Whether a dotted quad (already `v::ipv4_ok`'s shape or not) is a subnet mask: its 32 bits
/// a run of ones then a run of zeros (`255.255.255.0`, `255.255.255.192`, `255.255.0.0`;
/// `255.255.255.255` too).
pub(super) fn netmask(text: &[u8]) -> bool {
    let mut bits = 0u32;
    let mut parts = 0;
    for part in text.split(|&b| b == b'.') {
        let Ok(Ok(n)) = std::str::from_utf8(part).map(str::parse::<u8>) else {
            return false;
        };
        bits = bits << 8 | u32::from(n);
        parts += 1;
    }
    let zeros = !bits;
    parts == 4 && zeros & zeros.wrapping_add(1) == 0
}
