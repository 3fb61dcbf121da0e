//! The detector's data tables: the rule kinds, their regex patterns and the literal triggers
//! of the keyword and prefix rules, the `key=value` keyword tails, the byte classes of the
//! number pass.

use super::super::entity::Entity;

/// Which rule a regex pattern belongs to. Order in `PATTERNS` is priority at equal start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    PemBegin,
    Jwt,
    Anthropic,
    OpenAi,
    Stripe,
    Github,
    Slack,
    Aws,
    Google,
    Bearer,
    AwsExampleSecret,
    AwsSecretWord,
    KeyValue,
    ProsePassword,
    SecretWord,
    Dob,
    Iban,
    Card,
    Ssn,
    Ipv4,
    Phone,
    /// A vendor's documented token prefix wherever it stands (`evidence_r38v`).
    VendorPrefix,
}

/// A date: numeric (`1984-03-02`, `02/03/1984`, `02.03.84`) or with a month's name in the
/// seven locales (`3 March 1984`, `March 3rd, 1984`, `3. März 1984`, `3 mars 1984`,
/// `3 de marzo de 1984`, `3 marzo 1984`, `3 maart 1984`): the names' first three letters
/// (`oct`/`okt`/`ott`, `dec`/`dez`/`dic`/`déc`, `ene`, `gen`, `mai`/`mei`/`mag`/`may`, Dutch
/// `mrt`, …);
/// and Oracle's `DD-MON-YYYY` (`02-NOV-1945`, `02-NOV-45`: the default `NLS_DATE_FORMAT`,
/// which database exports and forms filled from them print), English month abbreviations;
/// and the same without the dashes, as airline reservations (IATA, a GDS's PNR: `DOB
/// 10JUN79`) write it.
/// A date in ISO 8601's basic form (`19661019`), as vCard's `BDAY:` writes it.
pub(super) const YMD8: &str = r"(?:1[89]|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])";

/// A date written with blanks, as a form's boxes are (`05 17 1958`: month or day first, a
/// four-digit year): only right after a birth phrase.
pub(super) const SPACED_DATE: &str =
    r"(?:0?[1-9]|[12][0-9]|3[01]) (?:0?[1-9]|[12][0-9]|3[01]) (?:1[89]|20)[0-9]{2}";

/// A date constructor's call the date is written in (MongoDB's shell and `mongoexport`:
/// `dob: ISODate('1956-01-31T00:00:00.000Z')`, JavaScript's `new Date("1956-01-31")`): the
/// date is its argument.
const ISO_CALL: &str = r#"(?:(?:ISODate|(?:new )?Date)\(["']?)?"#;

/// A date format's hint in parentheses before the date (`(MM/DD/YYYY): `, `(TT.MM.JJJJ)`).
const FORMAT_HINT: &str = r"(?:\([A-Za-z/.\-]{1,12}\)[ \t:=]{0,4})?";

pub(super) const DATE: &str = r"(?:[0-9]{4}[\-./][0-9]{1,2}[\-./][0-9]{1,2}|[0-9]{1,2}[\-./][0-9]{1,2}[\-./](?:[0-9]{4}|[0-9]{2})|[0-9]{1,2}-?(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)-?(?:[0-9]{4}|[0-9]{2})|(?:[0-9]{1,2}\.? (?:de )?)?(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|okt|dez|m\xC3\xA4r|mai|mei|maa|mrt|jui|f\xC3\xA9v|avr|ao\xC3\xBB|d\xC3\xA9c|gen|mag|giu|lug|ago|set|ott|dic|ene|abr)[a-z]*\.?(?: [0-9]{1,2}(?:st|nd|rd|th)?,?)?(?: de)? [0-9]{4})";

/// (kind, entities it can yield, pattern). ASCII-only, byte mode; `\b` is ASCII.
pub(super) fn patterns() -> Vec<(Kind, &'static [Entity], String)> {
    use Entity as E;
    let b = r"(?-u:\b)";
    vec![
        (Kind::PemBegin, &[E::PrivateKey, E::GenericSecret], r"-----BEGIN (?:(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?|OpenVPN Static key V1)-----".into()),
        (Kind::Jwt, &[E::Jwt], r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*".into()),
        (Kind::Anthropic, &[E::AnthropicKey], r"sk-ant-[A-Za-z0-9_\-]{20,}".into()),
        (Kind::OpenAi, &[E::OpenaiKey], r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}".into()),
        (Kind::Stripe, &[E::StripeKey], r"(?:sk|rk)_(?:live|test)_[A-Za-z0-9_]{16,}".into()),
        // A shorter body naming an example, or of 20 bytes or more, is a documentation
        // placeholder when it reads as one (`check`), else nothing.
        (Kind::Github, &[E::GithubToken], r"(?:gh[pousr]_[A-Za-z0-9_]{36}[A-Za-z0-9_]*|gh[pousr]_[A-Za-z0-9_]*(?i:example)[A-Za-z0-9_]*|gh[pousr]_[A-Za-z0-9_]{20,35}|github_pat_[A-Za-z0-9_]{40}[A-Za-z0-9_]*)".into()),
        // `xoxe-1-…`: a refresh token of Slack's token rotation (twenty-sixth round, task
        // fmt); its rotating access tokens (`xoxe.xoxp-1-…`) are found from their `xoxp-`.
        (Kind::Slack, &[E::SlackToken], r"(?:xox[abposre]-[A-Za-z0-9\-]{10,}|xapp-[0-9]+-[A-Za-z0-9\-]{10,})".into()),
        (Kind::Aws, &[E::AwsAccessKey], r"(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}".into()),
        // A shorter body is a documentation placeholder when it names an example (`check`).
        (Kind::Google, &[E::GoogleApiKey], r"AIza[0-9A-Za-z_\-]{35}|AIza[0-9A-Za-z_\-]{16,34}".into()),
        // And HTTP Basic credentials (`Authorization: Basic …`: base64 of `user:password`).
        (Kind::Bearer, &[E::GenericSecret], r"(?i:bearer|basic) +[A-Za-z0-9\-._~+/]{16,}=*".into()),
        // AWS's documented example secret access keys, wherever they stand: placeholders.
        (Kind::AwsExampleSecret, &[E::GenericSecret], r"(?:wJalrXUtnFEMI/K7MDENG/bPxRfiCY|je7MtGbClwBF/2Zp9Utk/h3yCo8nvb)EXAMPLEKEY".into()),
        // The AWS CLI's and credentials files' blank-separated form (`aws configure set
        // aws_secret_access_key VALUE`); the `=`/`:` forms are `key=value` ones.
        (Kind::AwsSecretWord, &[E::GenericSecret], r#"s_secret_access_key[ \t]+[^ \t\r\n"'<>]{16,128}"#.into()),
        (
            Kind::KeyValue,
            &[E::Password, E::GenericSecret],
            r#"(?i:api[_\-]?key|secret[_\-]?key(?:[_\-]?base)?|secret|token|passwd|password|pwd|access[_\-]?key|client[_\-]?secret|private[_\-]?key|signing[_\-]?key|(?:hmac|encryption|master|license|signature)[_\-]?key|credentials?|key|session(?:id)?|sid|value|cvc2?|cvv2?|psk|pass|salt)["']?\]?[ \t]*(?::=|=>|[:=>])[ \t]*(?:[bBrRuUN]?["'])?[^ \t\r\n"'&,;<>\\]{3,}"#.into(),
        ),
        (
            Kind::ProsePassword,
            &[E::Password, E::GenericSecret],
            // Matched by hand (`prose_keyword`); the pattern documents what it accepts.
            r"(?i:password|passwort|kennwort|passphrase|passcode|passwd|mot de passe|mdp|wachtwoord|contrase(?:\xC3\xB1|\xC3\x91|n)a)".into(),
        ),
        // `secret`/`token` in prose, a blank after it (`webhook signing secret is …`,
        // `service-account token …`), Cisco IOS's `key 0 …` and `snmp-server community …`;
        // SQL's `IDENTIFIED BY '…'`, `log in with …`, `redis> AUTH …`, `requirepass …`,
        // `<Pass …>`, `<USERPASS>` (passwords): matched by hand (`secret_word_at`,
        // `secret_in_prose`); the pattern documents what it accepts.
        (
            Kind::SecretWord,
            &[E::GenericSecret, E::Password],
            r"(?i:secret|token)[ \t]|key [07] |snmp-server community |snmp community |\$ cat |/webhooks/[0-9]{6,}/[A-Za-z0-9_\-]{20,}|(?i:identified) |(?i:log ?|sign )in with |> (?i:auth) |requirepass|USERPASS>|<Pass[ >]".into(),
        ),
        (
            Kind::Dob,
            &[E::DateOfBirth],
            // `>` ends an element's start tag (`<birthDate>1952-05-02`); vCard's `BDAY:` (with
            // parameters, `BDAY;VALUE=date:`) also takes the basic form `19661019`; `b. ` (born)
            // only right before the date. A format hint may stand before the date (`Date of
            // birth (MM/DD/YYYY): …`), and a form's boxes may be written with blanks
            // (`Patient birth date: 05 17 1958`, `SPACED_DATE`). `Birth` alone needs a `:`/`=`
            // after it (`Date of Birth: …`, `Birth: …`; not "birth announcement 2024-01-02"),
            // the locales' nouns alone no word before the date (`Naissance : …`, `F. de
            // nacimiento: …`, `data nascita …`; not "certificado de nacimiento emitido el …").
            // Italian `D.N.` (data di nascita) in capitals right before the date, and `nata a
            // Roma il …` (a place, then the date), Spanish `fecha nac.`. The birth date of
            // records: a SAML assertion's `<Attribute Name="birthdate"><AttributeValue>…`, an
            // HL7 CDA document's `<birthTime value="19830808"/>`, an X12 837 claim's
            // demographic segment `DMG*D8*19961128*F~`, a DICOM dump's `(0010,0030) DA
            // [20050223]` (PatientBirthDate's tag).
            // A `_` joins the run-up's words as a blank does (a key=value log's `dob_check=
            // 29/03/1933`), and Spanish `nacido/a` needs no `el` after it (`nacido/a
            // 26/07/1939`; twenty-second round, task num).
            format!(r#"(?:{b}(?:(?i:dob|d\.o\.b\.?|date of birth|birth ?date|birthday|born on|born|geburtsdatum|geburtstag|geb\.[ \-]?datum|geb\.|f\. ?nac\.?|geboren|geboortedatum|date de naiss(?:ance|\.)?|n(?:\xC3\xA9|e)(?:e|\(e\))? le|nat[oa](?:/a)? il|data (?:di )?nascita|nacid[oa](?:/a)?|naci(?:\xC3\xB3|\xC3\x93|o) el|fecha de nacimiento)[ \t:=\-"'>A-Za-z_]{{0,16}}{ISO_CALL}{FORMAT_HINT}(?:{DATE}|{SPACED_DATE})|(?i:naissance(?: le)?|naiss\.|nascita|nacimiento)[ \t:=\-"'>]{{0,6}}{FORMAT_HINT}(?:{DATE}|{SPACED_DATE})|(?i:birth)[ \t]*{FORMAT_HINT}[:=][ \t]*(?:{DATE}|{SPACED_DATE})|b\. {DATE}|(?i:bday)[;A-Za-z=\-]{{0,24}}:(?:{DATE}|{YMD8})|D\.N\.[ \t:]{{0,3}}{DATE}|(?i:fecha nac\.?)[ \t:]{{0,3}}{DATE}|(?i:nat[oa](?:/a)? a )[^\n0-9,;:.]{{1,30}}? (?i:il) {DATE}|(?i:birth ?date|dob|date ?of ?birth)["']>[ \t\r\n]*<(?:saml2?:)?AttributeValue[^>]{{0,80}}>[ \t]*{DATE}|(?i:birthtime) value=["']{YMD8}|DMG\*D8\*{YMD8}|BIRT\r?\n2 DATE (?:(?:ABT|EST|CAL|BEF|AFT) )?{DATE}|DTM\+329:(?:{YMD8}|[0-9]{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])))|\(0010,0030\) DA \[{YMD8})"#),
        ),
        (Kind::Iban, &[E::Iban], format!(r"{b}[A-Z]{{2}}[0-9]{{2}}(?: ?[A-Z0-9]){{11,30}}")),
        (Kind::Card, &[E::CreditCard], format!(r"{b}(?:[0-9]{{12,19}}|[0-9]{{4}}(?:[ \-][0-9]{{3,6}}){{2,4}}){b}")),
        (Kind::Ssn, &[E::UsSsn], format!(r"{b}(?:[0-9]{{3}}-[0-9]{{2}}-[0-9]{{4}}|[0-9]{{3}} [0-9]{{2}} [0-9]{{4}}){b}")),
        (Kind::Ipv4, &[E::Ipv4], format!(r"{b}[0-9]{{1,3}}\.[0-9]{{1,3}}\.[0-9]{{1,3}}\.[0-9]{{1,3}}{b}")),
        (
            Kind::Phone,
            &[E::Phone],
            // A no-break space (U+00A0) separates groups too.
            format!(r"(?:\+(?: |\xC2\xA0)?[0-9]|\([0-9]{{1,5}}\)|{b}[0-9])(?:(?:[ .\-/]|\xC2\xA0){{0,2}}(?:\([0-9]{{1,5}}\)|[0-9])){{4,22}}(?: ?(?:x|ext\.?|#) ?[0-9]{{1,6}})?"),
        ),
        // Vendors' documented token prefixes in free text, comments and code (thirty-eighth
        // round, task vp): matched by hand (`evidence_r38v::vendor_prefix_end`); the pattern
        // documents what it accepts.
        (
            Kind::VendorPrefix,
            &[E::GenericSecret],
            r"(?:glpat-|gldt-|glrt-|glc_|glsa_|npm_|pypi-|hf_|dop_v1_|shpat_|lin_api_|ntn_)[A-Za-z0-9_\-]{16,}|whsec_[A-Za-z0-9_\-+/=]{16,}|ya29\.[A-Za-z0-9_.\-]{20,}|SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}|sl\.[A-Za-z0-9_.\-]{100,}".into(),
        ),
    ]
}

/// Literal triggers of the keyword/prefix rules: an anchored regex search runs only where
/// one of these occurs (ASCII case-insensitive).
pub(super) fn triggers(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::PemBegin => &["-----BEGIN "],
        Kind::Jwt => &["eyJ"],
        Kind::Anthropic => &["sk-ant-"],
        Kind::OpenAi => &["sk-"],
        Kind::Stripe => &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
        Kind::Github => &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        // `xapp-1-…`: app-level tokens (Socket Mode); `xoxe-1-…`: token rotation's refresh
        // tokens (the same first three bytes as the others: Teddy's buckets do not change).
        Kind::Slack => &[
            "xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xoxe-", "xapp-",
        ],
        Kind::Aws => &["AKIA", "ASIA", "ABIA", "ACCA"],
        Kind::Google => &["AIza"],
        Kind::Bearer => &["bearer "],
        // AWS's example secrets (`wJalrXUtnFEMI/`, `je7MtGbClwBF/`) are the second tier's
        // (`more_triggers`): their places here are SendGrid's `SG.` and Dropbox's `sl.`
        // (below; fortieth round, task sg).
        // `s_secret_access_key ` is the second tier's (`more_triggers`): its place here is
        // Hugging Face's `hf_` (below), whose three bytes need this searcher's three-byte
        // fingerprint (thirty-eighth round, task vp).
        Kind::KeyValue => &[
            "api_key",
            "api-key",
            "apikey",
            "secret",
            "token",
            "passwd",
            "password",
            "pwd",
            "access_key",
            "access-key",
            "accesskey",
            "client_secret",
            "client-secret",
            "clientsecret",
            "private_key",
            "private-key",
            "privatekey",
            "signing_key",
            "signing-key",
            "signingkey",
            // `secret_key=…`, `HMAC_KEY=…`, `encryption_key: …`, `credential=…`.
            "secret_key",
            "secret-key",
            "secretkey",
            "hmac_key",
            "hmac-key",
            "hmackey",
            "encryption_key",
            "encryption-key",
            "encryptionkey",
            "master_key",
            "master-key",
            "masterkey",
            // A licence key (`newrelic_license_key=…`) and a header naming a signing key
            // (`X-Signature-Key: …`).
            "license_key",
            "license-key",
            "licensekey",
            "signature_key",
            "signature-key",
            "signaturekey",
            "credential",
            "credentials",
            "session",
            "sessionid",
            // A session cookie (`Cookie: sid=…`, `connect.sid=…`): a name of its own only
            // (`check_key_value`).
            "sid",
            // `<add key="ClientSecret" value="…"/>`: `check_key_value` reads the name.
            "value",
            // Card security codes (`CVC: 403`): masked, PCI DSS forbids keeping them.
            "cvc",
            "cvc2",
            "cvv",
            "cvv2",
            // A pre-shared key (`wifi_psk=…`, wpa_supplicant's `psk="…"`): a password.
            "psk",
            // Rails' `secret_key_base: …` (`rails credentials:show`).
            "secret_key_base",
            // `pass` ending a quoted key after an owner word (`"smtp_pass": "…"`;
            // `check_key_value`).
            "pass",
            // A salt kept as an application's secret (Matomo's `salt = "…"`, Nextcloud's
            // `'passwordsalt' => '…'`): a token's shape only (`check_key_value`; twenty-first
            // round, task sec).
            "salt",
        ],
        // Few literals, chosen for rare first bytes (Teddy's fingerprint): `pass` covers
        // password, passwd, passwort, passphrase, passcode and `mot de passe`; the
        // keyword itself is matched by hand (`prose_keyword`). Every literal in each case
        // it is written in (the scan is case-sensitive).
        Kind::ProsePassword => &[
            "pass",
            "Pass",
            "PASS",
            "ennwort",
            "ENNWORT",
            "wachtwoord",
            "Wachtwoord",
            "WACHTWOORD",
            "mdp",
            "MDP",
            "ase\u{f1}a",
            "ASE\u{d1}A",
            "rasena",
            "RASENA",
            "pw ",
            "pwd ",
            // `api key …` (a GENERIC_SECRET in prose; the SIMD pass finds it at ` key `).
            "api key",
        ],
        Kind::Dob => &[
            "dob",
            "d.o.b",
            "date of birth",
            // `birth`, and GEDCOM's birth event `1 BIRT⏎2 DATE …` (`evidence_r31f`;
            // thirty-first round, task fmt): `birt` prefixes `birth`, so it keeps its
            // Teddy bucket and fingerprint.
            "birt",
            "born",
            // `Geburtsdatum`, `Geburtstag`.
            "geburt",
            // `geboren am`, `Geboren: …`.
            "geboren",
            "date de naiss",
            "n\u{e9}e le",
            "n\u{e9} le",
            "n\u{e9}(e) le",
            "nee le",
            // The other locales' phrases (German, Dutch, French, Italian, Spanish).
            "geb.",
            "geboortedatum",
            "nato il",
            "nata il",
            "nato/a il",
            "data di nascita",
            "data nascita",
            // vCard's birthday property, and `b. ` (born) right before a date.
            "bday",
            "b. ",
            "nacido el",
            "nacida el",
            "fecha de nacimiento",
            // Spanish `F. nac.` (fecha de nacimiento), capitalised as written: Teddy's
            // lower-case `f. ` fingerprint cost +83 k instructions per 64 KB of PII text.
            "F. nac",
            // Last, so the literals above keep their Teddy buckets (ids): `nació el`, `F. de
            // nacimiento`, `fecha_nacimiento`; `Naissance :`, `date_naissance` (a table's
            // header). Teddy takes fewer than 128 literals: 126 with these, 127 with `nascita` below.
            "naci",
            "naiss",
        ],
        // Hugging Face's `hf_` (`evidence_r38v`; thirty-eighth round, task vp): three bytes,
        // so here, where the fingerprint is three bytes long already (`eyJ`, `b. `), alone in
        // a bucket (`FIRST_TIER`); this searcher takes 127 literals at most, so
        // `s_secret_access_key ` left it for the second tier. SendGrid's `SG.` and Dropbox's
        // `sl.` (`evidence_r40s`; fortieth round, task sg), three bytes too, in `hf_`'s
        // bucket, where AWS's example secrets left room.
        Kind::VendorPrefix => &["hf_", "SG.", "sl."],
        _ => &[],
    }
}

/// More trigger literals of the same rules, searched by a second SIMD (Teddy) searcher: the
/// first holds `triggers`' literals (with their case variants) and takes fewer than 128 —
/// it holds 126 —, so a rule's new trigger words go here. Each list is appended at its end,
/// so the first searcher's literals keep their ids and Teddy buckets (callgrind: moving
/// them once cost clean text 40 %). The Aho-Corasick fallback searches both lists.
pub(super) fn more_triggers(kind: Kind) -> &'static [&'static str] {
    match kind {
        // `D. nascita: …`, `Nascita:` (the noun alone before the date); Italian `D.N.` (data
        // di nascita: `D.N.: 26/03/1973`, capitals only) and `nata a Roma il …` (born in a
        // place on a date); an X12 claim's `DMG*D8*` and a DICOM dump's `(0010,0030)` tag;
        // Spanish `fecha nac.:` (fecha de nacimiento shortened).
        Kind::Dob => &[
            "nascita",
            "D.N.",
            "nata a ",
            "nato a ",
            "DMG*D8*",
            "(0010,0030)",
            "fecha nac",
            // UN/EDIFACT's birth date, `DTM+329:990920'` (`evidence_r31f`; thirty-first
            // round, task fmt).
            "DTM+329:",
        ],
        // `Authorization: Basic …` (its case variants are added as `bearer`'s).
        Kind::Bearer => &["basic "],
        // (Sixteenth round, part B.)
        Kind::SecretWord => &[
            // `secret ` and `token ` (any first letter's case) from their second and third
            // letters: `se`/`to` open too many words of clean text for the short-text
            // prefilter (`pairs`), `cr`/`ok` open few.
            "cret ",
            "oken ",
            // Cisco IOS's keys and communities (`tacacs server …\n key 0 …`, `snmp-server
            // community … RO`): `0` (or `7`) is the encryption type before the value.
            "key 0 ",
            "key 7 ",
            "community ",
            // A webhook URL's token (`/api/webhooks/<id>/<token>`; `webhook_token`) and a
            // shell's `$ cat` of a secret-named file (`cat_secret_file`): `/` and `$` open
            // no word of clean text. Twenty-first round, task sec.
            "/webhooks/",
            "$ cat ",
            // SQL's `CREATE USER … IDENTIFIED BY '…'` (MySQL, Oracle): a password.
            "dentified ",
            "DENTIFIED ",
            // `log in with …`, `login with …`, `sign in with …` (a password; `login_with`).
            "in with ",
            // `redis> AUTH …` (a password; `redis_auth`).
            "> AUTH ",
            "> auth ",
            // Redis's `requirepass …` (`password_setting_value`).
            "requirepass",
            // FileZilla's `<Pass encoding="base64">…`, OFX's `<USERPASS>…` (`xml_password`).
            "USERPASS>",
            "<Pass ",
            "<Pass>",
            // `I reset it to …`, `I've set it to …` (a password; `set_it_to`; eighteenth
            // round). From `t it to `: `set ` opens too many words of clean text.
            "t it to ",
            // nslcd's and pam_ldap's `bindpw …` and `rootpwmodpw …` (`nslcd.conf`,
            // `ldap.conf`: the LDAP bind's password; `PASSWORD_SETTINGS`).
            "bindpw",
            "rootpwmodpw",
            // Redis's `masterauth …` and `rabbitmqctl add_user USER …` (passwords;
            // `evidence_r32p`).
            "masterauth",
            "add_user ",
            // PowerShell's `ConvertTo-SecureString 'PLAIN' -AsPlainText` without a password
            // keyword (`New-Object PSCredential('USER', (ConvertTo-SecureString …))`;
            // `evidence_r40p`; fortieth round, task pw): the switch after its blank (a
            // command line's), pinned where it adds no candidate (`buckets`).
            " -AsPlainText",
            // A table's `Secret` header cell closed by its `|` with no blank (Confluence's
            // wiki markup `||Service||User||Secret||`; `evidence_r40p`): `cret `'s fingerprint.
            "cret|",
        ],
        // From `aws_…`: `s_s` is a rarer fingerprint for Teddy than `sec` (callgrind); a
        // first-tier literal until the thirty-eighth round (task vp: its place went to `hf_`).
        Kind::AwsSecretWord => &["s_secret_access_key "],
        // AWS's documented example secret access keys: first-tier literals until the
        // fortieth round (task sg: their places went to `SG.` and `sl.`); fourteen and
        // thirteen bytes, pinned in the prose searcher's plan (`buckets`).
        Kind::AwsExampleSecret => &["wJalrXUtnFEMI/", "je7MtGbClwBF/"],
        // Vendors' documented token prefixes (`evidence_r38v`; thirty-eighth round, task vp):
        // written in lower case only, as the vendors issue them. Each of four bytes or more,
        // so that Teddy's fingerprint stays four bytes long (`hf_` is the first tier's).
        Kind::VendorPrefix => &super::evidence_r38v::MORE_PREFIXES,
        _ => &[],
    }
}

/// The last three letters of the `key=value` keywords (a test checks them against the list).
pub(super) const KEY_VALUE_TAILS: [[u8; 3]; 21] = [
    *b"key", *b"ret", *b"ken", *b"swd", *b"ord", *b"pwd", *b"ion", *b"nid", *b"lue", *b"cvc",
    *b"vc2", *b"cvv", *b"vv2", *b"ial", *b"als", *b"sid", *b"psk", *b"ase", *b"ass", *b"alt",
    // Consul's `encrypt = "…"` (`evidence_r33g`; no keyword of the pattern ends in it).
    *b"ypt",
];

/// Byte classes for the hand-written pass.
pub(super) const C_DIGIT: u8 = 1;

pub(super) const C_NUMSEP: u8 = 2; // inside a number region: space . - / ( ) +

pub(super) static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = b'0';
    while i <= b'9' {
        t[i as usize] = C_DIGIT;
        i += 1;
    }
    t[b' ' as usize] = C_NUMSEP;
    t[b'.' as usize] = C_NUMSEP;
    t[b'-' as usize] = C_NUMSEP;
    t[b'/' as usize] = C_NUMSEP;
    t[b'(' as usize] = C_NUMSEP;
    t[b')' as usize] = C_NUMSEP;
    t[b'+' as usize] = C_NUMSEP;
    // A no-break space (U+00A0 = C2 A0) between a phone's groups.
    t[0xC2] = C_NUMSEP;
    t[0xA0] = C_NUMSEP;
    t
};
