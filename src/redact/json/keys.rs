//! Object keys: the sensitive-key list, how a key is classified (sensitive, secret-named,
//! phone-like, plain), the rules compiled from the config, and key normalisation.

use super::super::entity::Entity;
use crate::redact::detect::evidence_r35d::typed_string_key;

/// What a JSON key says about the value under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyClass {
    /// Nothing special: scan the value's text.
    Plain,
    /// The whole value is this entity (`password` → PASSWORD, `dob` → DATE_OF_BIRTH).
    Whole(Entity),
    /// Phone-like key: bare digit strings under it are phone numbers.
    Phone,
    /// Card-like key (`card_number`, `creditCard`): a 13-digit Visa number under it is a
    /// card without a card word in the text.
    Card,
    /// A key naming a birth without being a date key (`birth`, `born`, `geburt`,
    /// `naissance`, …): its own leaves are scanned as `Plain`, and an object under it has its
    /// date members (`date`, `value`, `on`, …) read as DATE_OF_BIRTH (`"birth": {"date":
    /// "1984-03-02"}`).
    BirthParent,
    /// A key naming a key by its role or version (`new_key`, `primaryKey`, `webhook_key`,
    /// `KEY_ROLES`), no secret's name of its own: a value with a secret's shape under it
    /// (`Detector::secret_shaped`) is a GENERIC_SECRET; any other is scanned as under a plain
    /// key (`primary_key: "id"`, a vendor's key by its own rule).
    ShapedSecret,
    /// A form's response (Typeform's webhook `"form_response": {"form_id": …, "token": …,
    /// "answers": […]}`): its `token` is the response's id, what Typeform also calls its
    /// `response_id`, no credential; its other members keep their own classes.
    FormResponse,
    /// A key naming an identifier (`order_id`, `order`, `sku`, `gtin`, `ean`, `cart`,
    /// `mandate_ref`, `receipt_number`, `vat_number`: its last word an identifier label, or a
    /// number word after one): a number opening its string is that identifier, no phone.
    /// Its own number member (`"order": {"number": …}`) is one too.
    Ident,
    /// A tax or national id key (`tax_id`, `tin`, `national_id`, `nationalIds`,
    /// `national_identification_number`): nine digits under it that are a valid SSN
    /// (`"tin": "623611393"`, `ddd-dd-dddd` too) are a US_SSN; anything else is read as under
    /// an identifier key (an EIN `12-3456789`, a VAT number are no phones).
    TaxId,
    /// A key naming a message's id (`message-id`, `Message-Id`, `messageId`, `msg_id`,
    /// `internetMessageId`, `in-reply-to`, `content-id`: Mailgun's and SES's events, Graph's
    /// messages): an address-shaped whole value (`"message-id":
    /// "ffd9c3ed262d32776fe7@mg.example.io"`, brackets allowed) is RFC 5322's `msg-id`, a
    /// unique id on the sender's host, no one's mailbox (as `detect::check::message_id`
    /// reads a `Message-ID: <…>` header in text). Otherwise read as under an identifier key.
    /// Twenty-first round, task num.
    MessageId,
    /// A Bitnami SealedSecret's `encryptedData` (`"encryptedData": {"password": "AgBy3i…"}`):
    /// its members are ciphertext only the cluster's controller can open, written to be
    /// committed, and are read as under a plain key whatever their names. Twenty-second
    /// round, task sec (`benches/secret_r22_population.py`: 109 such members on the training
    /// splits, none gold).
    Ciphertext,
    /// A key naming a message's endpoint (`to`, `from`, `recipient`, `recipients`, `sender`,
    /// `originator`): a whole string value that is a phone as one bare run of 9–15 digits,
    /// E.164 without its `+` or a national number (`"to": "4930180476"`, `"originator":
    /// "07439132921"`: `validate::party_number_ok`), is a PHONE, as SMS gateways' JSON APIs
    /// write numbers (Vonage's SMS API and inbound webhooks, MessageBird, an agent's
    /// `send_sms` call); any other value is read as under a plain key (`"from":
    /// "2024-01-01"`, `"to": "ops@…"`).
    /// Twenty-sixth round, task fmt.
    Party,
    /// A JWT settings section (`"Jwt": {"Issuer": …, "Key": …}`, ASP.NET Core's
    /// `appsettings.json`; `JwtSettings`, `JwtOptions`, …: `evidence_r30g::jwt_section`): its
    /// `Key` member is read as under a key naming a key's role (`ShapedSecret`: a value with
    /// a secret's shape is the signing key); its other members keep their own classes, its
    /// own text is scanned as under a plain key. Thirtieth round, task gs.
    JwtSection,
    /// A JSON Schema / OpenAPI example (`default`, `examples`, `example`) of a property named
    /// for a secret (`"webhookSecret": {"type": "string", "default": "whsec_EXAMPLE0000…"}`):
    /// a documentation placeholder (`validate::secret_placeholder`) is reported as one, as
    /// under the secret's own name; any other value is read as under a plain key.
    /// Thirty-sixth round, task cvc (`detect::evidence_r36c`).
    SecretExample,
    /// Composer's section of bearer tokens by host (`auth.json`'s `"bearer":
    /// {"repo.example.org": "…"}`; `detect::evidence_r38g::host_section_key`): a member
    /// named like a host (`evidence_r38g::section_host`) is that host's token, a
    /// GENERIC_SECRET; its other members keep their own classes, its own text is scanned as
    /// under a plain key. Thirty-eighth round, task gs.
    HostSection,
}

impl KeyClass {
    /// Whether the class can add a finding that a scan of the raw bytes would not make (an
    /// identifier key only takes phones away, so a body whose raw bytes hold no finding
    /// stays clean under it).
    #[inline]
    pub(crate) fn may_find(self) -> bool {
        !matches!(
            self,
            KeyClass::Plain | KeyClass::Ident | KeyClass::MessageId | KeyClass::Ciphertext
        )
    }
}

/// The class of a member of an object under a key of class `parent`: a date member
/// (`date`, `value`, `on`, `text`, …) of a birth (`"birth": {"date": …}`, `"dob": {"value":
/// …}`, Google People's `"birthdays": [{"text": …}]`) is a DATE_OF_BIRTH; the number member
/// (`number`, `value`) of a phone (`"phones": [{"label": "mobile", "number": …}]`, Google
/// People's `"phoneNumbers": [{"value": …}]`) is read as under a phone key; every other
/// member keeps its own class.
///
/// The `value` member of a secret (`"spring.datasource.password": {"value": "…", "origin":
/// "…"}`, Spring Boot Actuator's `/env`; an ARM template parameters file's `"adminPassword":
/// {"value": "…"}`; `"credentials": [{"type": "password", "value": "…"}]`) is that
/// secret, and so is its `plaintext` (Pulumi's stack export with `--show-secrets`: a secret
/// output is `{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
/// "plaintext": "…"}`); its other members keep their own classes.
///
/// The `token` member of a payment card (Braintree's `"credit_card": {"bin": …, "last_4": …,
/// "token": "wpp4xsk"}`, a gateway's vault reference to the card, what tokenisation stores
/// in place of its number) names the card, no credential: its text is scanned like any other
/// (a network token that is a card number is still one). Any other secret name under a card
/// (`cvv`, `access_token`) keeps its class. So does the `token` of a form's response
/// (Typeform's `"form_response": {"token": …}`, the response's id).
///
/// A member named by a host under a secret (Composer's `auth.json`: `"gitlab-token":
/// {"gitlab.com": "…"}`, `"bearer": {"repo.example.com": "…"}`; a registry's credentials
/// by host) is that secret: the host names where the secret is used, not what it is.
/// Twenty-first round, task sec (`benches/secret_r21_population.py`: every such member on
/// the training splits holds a gold secret).
/// (The walks answer it from the key's facts, `member_class_of`; this is the reference the
/// tests hold that to.)
#[cfg(test)]
pub(crate) fn member_class(parent: KeyClass, class: KeyClass, key: &str) -> KeyClass {
    if parent == KeyClass::Ciphertext {
        return KeyClass::Plain;
    }
    if matches!(
        parent,
        KeyClass::Whole(Entity::Password | Entity::GenericSecret)
    ) && class == KeyClass::Plain
        && host_name(key)
    {
        return parent;
    }
    if parent == KeyClass::HostSection {
        return if class == KeyClass::Plain
            && crate::redact::detect::evidence_r38g::section_host(key)
        {
            KeyClass::Whole(Entity::GenericSecret)
        } else {
            class
        };
    }
    // libphonenumber's `national_number` under a phone (PayPal's `"phone_number":
    // {"national_number": …}`): the phone, not a national id (`evidence_r40n`).
    if parent == KeyClass::Phone
        && crate::redact::detect::evidence_r40n::national_number_member(key)
    {
        return KeyClass::Phone;
    }
    if class != KeyClass::Plain || (key.len() > 9 && !typed_string_key(key)) {
        if matches!(parent, KeyClass::Card | KeyClass::FormResponse)
            && key.eq_ignore_ascii_case("token")
        {
            return KeyClass::Plain;
        }
        return class;
    }
    match parent {
        KeyClass::Whole(Entity::Password | Entity::GenericSecret)
            if key.eq_ignore_ascii_case("value") || key.eq_ignore_ascii_case("plaintext") =>
        {
            parent
        }
        KeyClass::BirthParent | KeyClass::Whole(Entity::DateOfBirth)
            if birth_date_member(&normalize_key(key)) || typed_string_key(key) =>
        {
            KeyClass::Whole(Entity::DateOfBirth)
        }
        KeyClass::Phone if phone_number_member(key) => KeyClass::Phone,
        KeyClass::Card if crate::redact::detect::evidence_r30c::card_number_member(key) => {
            KeyClass::Card
        }
        KeyClass::Ident | KeyClass::TaxId if ident_number_member(key) => parent,
        KeyClass::JwtSection if crate::redact::detect::evidence_r30g::jwt_key_member(key) => {
            KeyClass::ShapedSecret
        }
        KeyClass::Whole(Entity::GenericSecret)
            if crate::redact::detect::evidence_r36c::schema_example_key(key) =>
        {
            KeyClass::SecretExample
        }
        _ => class,
    }
}

/// What the streaming pass (`stream::Pass::object`) asks of a member key besides its class,
/// answered once per distinct key and remembered beside its class (`json::Walk::key_facts`):
/// its `pair_role`, whether it is a `labels::answer_key`, a `labels::label_key`, a
/// `evidence_r23s::token_user_key` or a `pair_type_key`, and the key's part of `member_class`
/// (`member_class_of`). Each bit is the function's own answer for the key, so a rule changed
/// there changes it here. Twenty-fifth round, task cost: these tests were ~80 instructions a
/// member on `redact_profile 65536 pii bytes` (1,854 members a pass), one load now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct KeyFacts(u32);

impl KeyFacts {
    const PAIR_NAME: u32 = 1;
    const PAIR_VALUE: u32 = 1 << 1;
    const ANSWER: u32 = 1 << 2;
    const LABEL: u32 = 1 << 3;
    const TOKEN_USER: u32 = 1 << 4;
    const PAIR_TYPE: u32 = 1 << 5;
    // `member_class`'s tests of the key.
    const HOST: u32 = 1 << 6;
    const LONG: u32 = 1 << 7;
    const TOKEN: u32 = 1 << 8;
    const SECRET_VALUE: u32 = 1 << 9;
    const BIRTH_MEMBER: u32 = 1 << 10;
    const PHONE_MEMBER: u32 = 1 << 11;
    const IDENT_MEMBER: u32 = 1 << 12;
    const JWT_KEY: u32 = 1 << 13;
    const CARD_MEMBER: u32 = 1 << 14;
    // A table's list of column names (`detect::evidence_r34d::header_key`).
    const TABLE_HEADER: u32 = 1 << 15;
    // A JSON Schema / OpenAPI example keyword (`detect::evidence_r36c::schema_example_key`).
    const SCHEMA_EXAMPLE: u32 = 1 << 16;
    // A dotted member name of Composer's `bearer` section (`detect::evidence_r38g::section_host`).
    const SECTION_HOST: u32 = 1 << 17;
    // libphonenumber's `national_number` (`detect::evidence_r40n::national_number_member`).
    const NATIONAL_NUMBER: u32 = 1 << 18;

    /// The facts of `key` (the decoded key), each from the function it stands for.
    pub(crate) fn of(key: &str) -> KeyFacts {
        let bits = [
            (pair_role(key) == PairRole::Name, Self::PAIR_NAME),
            (pair_role(key) == PairRole::Value, Self::PAIR_VALUE),
            (super::labels::answer_key(key), Self::ANSWER),
            (super::labels::label_key(key), Self::LABEL),
            (
                crate::redact::detect::evidence_r23s::token_user_key(key),
                Self::TOKEN_USER,
            ),
            (pair_type_key(key), Self::PAIR_TYPE),
            (host_name(key), Self::HOST),
            (key.len() > 9 && !typed_string_key(key), Self::LONG),
            (key.eq_ignore_ascii_case("token"), Self::TOKEN),
            (
                key.eq_ignore_ascii_case("value") || key.eq_ignore_ascii_case("plaintext"),
                Self::SECRET_VALUE,
            ),
            (
                birth_date_member(&normalize_key(key)) || typed_string_key(key),
                Self::BIRTH_MEMBER,
            ),
            (phone_number_member(key), Self::PHONE_MEMBER),
            (ident_number_member(key), Self::IDENT_MEMBER),
            (
                crate::redact::detect::evidence_r30g::jwt_key_member(key),
                Self::JWT_KEY,
            ),
            (
                crate::redact::detect::evidence_r30c::card_number_member(key),
                Self::CARD_MEMBER,
            ),
            (
                crate::redact::detect::evidence_r34d::header_key(key),
                Self::TABLE_HEADER,
            ),
            (
                crate::redact::detect::evidence_r36c::schema_example_key(key),
                Self::SCHEMA_EXAMPLE,
            ),
            (
                crate::redact::detect::evidence_r38g::section_host(key),
                Self::SECTION_HOST,
            ),
            (
                crate::redact::detect::evidence_r40n::national_number_member(key),
                Self::NATIONAL_NUMBER,
            ),
        ];
        KeyFacts(
            bits.iter()
                .filter(|(yes, _)| *yes)
                .fold(0, |acc, (_, bit)| acc | bit),
        )
    }

    #[inline(always)]
    fn has(self, bit: u32) -> bool {
        self.0 & bit != 0
    }

    /// `detect::evidence_r34d::header_key(key)`: a table's list of column names.
    #[inline(always)]
    pub(crate) fn table_header(self) -> bool {
        self.has(Self::TABLE_HEADER)
    }

    /// The bits (for the tests' counts of keys holding each).
    #[cfg(test)]
    pub(crate) fn bits(self) -> u32 {
        self.0
    }

    /// `pair_role(key)`.
    #[inline(always)]
    pub(crate) fn pair_role(self) -> PairRole {
        if self.has(Self::PAIR_NAME) {
            PairRole::Name
        } else if self.has(Self::PAIR_VALUE) {
            PairRole::Value
        } else {
            PairRole::Other
        }
    }

    /// `labels::answer_key(key)`.
    #[inline(always)]
    pub(crate) fn answer_key(self) -> bool {
        self.has(Self::ANSWER)
    }

    /// `labels::label_key(key)`.
    #[inline(always)]
    pub(crate) fn label_key(self) -> bool {
        self.has(Self::LABEL)
    }

    /// `evidence_r23s::token_user_key(key)`.
    #[inline(always)]
    pub(crate) fn token_user_key(self) -> bool {
        self.has(Self::TOKEN_USER)
    }

    /// `pair_type_key(key)`.
    #[inline(always)]
    pub(crate) fn pair_type_key(self) -> bool {
        self.has(Self::PAIR_TYPE)
    }
}

/// `member_class(parent, class, key)` from the key's facts (`KeyFacts::of(key)`), test for
/// test in `member_class`'s order (`json::tests::member_class_of_the_facts_is_member_class`
/// pins the two together over every parent and class).
#[inline(always)]
pub(crate) fn member_class_of(parent: KeyClass, class: KeyClass, key: KeyFacts) -> KeyClass {
    // Most members' parent is a plain key, which none of the tests below reads.
    if parent == KeyClass::Plain {
        return class;
    }
    member_class_of_parent(parent, class, key)
}

fn member_class_of_parent(parent: KeyClass, class: KeyClass, key: KeyFacts) -> KeyClass {
    if parent == KeyClass::Ciphertext {
        return KeyClass::Plain;
    }
    let secret = matches!(
        parent,
        KeyClass::Whole(Entity::Password | Entity::GenericSecret)
    );
    if secret && class == KeyClass::Plain && key.has(KeyFacts::HOST) {
        return parent;
    }
    if parent == KeyClass::HostSection {
        return if class == KeyClass::Plain && key.has(KeyFacts::SECTION_HOST) {
            KeyClass::Whole(Entity::GenericSecret)
        } else {
            class
        };
    }
    if parent == KeyClass::Phone && key.has(KeyFacts::NATIONAL_NUMBER) {
        return KeyClass::Phone;
    }
    if class != KeyClass::Plain || key.has(KeyFacts::LONG) {
        if matches!(parent, KeyClass::Card | KeyClass::FormResponse) && key.has(KeyFacts::TOKEN) {
            return KeyClass::Plain;
        }
        return class;
    }
    match parent {
        KeyClass::Whole(Entity::Password | Entity::GenericSecret)
            if key.has(KeyFacts::SECRET_VALUE) =>
        {
            parent
        }
        KeyClass::BirthParent | KeyClass::Whole(Entity::DateOfBirth)
            if key.has(KeyFacts::BIRTH_MEMBER) =>
        {
            KeyClass::Whole(Entity::DateOfBirth)
        }
        KeyClass::Phone if key.has(KeyFacts::PHONE_MEMBER) => KeyClass::Phone,
        KeyClass::Card if key.has(KeyFacts::CARD_MEMBER) => KeyClass::Card,
        KeyClass::Ident | KeyClass::TaxId if key.has(KeyFacts::IDENT_MEMBER) => parent,
        KeyClass::JwtSection if key.has(KeyFacts::JWT_KEY) => KeyClass::ShapedSecret,
        KeyClass::Whole(Entity::GenericSecret) if key.has(KeyFacts::SCHEMA_EXAMPLE) => {
            KeyClass::SecretExample
        }
        _ => class,
    }
}

/// A member's class given whether its object has a member of its own for the SSN
/// (`own_ssn`: a key classified `Whole(UsSsn)`, `"ssn"`, `"social_security_number"`): a
/// tax or national id beside it is another number — a non-US person's national id in an
/// onboarding record whose `ssn` is empty (`"ssn": "", "national_id": "499812408"`) — and
/// is read as under an identifier key. Twenty-first round, task num.
#[inline]
pub(crate) fn sibling_class(class: KeyClass, own_ssn: bool) -> KeyClass {
    if own_ssn && class == KeyClass::TaxId {
        KeyClass::Ident
    } else {
        class
    }
}

/// Whether a key is a host name: two labels or more of letters, digits and `-`, joined by
/// `.`, the last one of two letters or more (`gitlab.com`, `repo.packagist.com`).
fn host_name(key: &str) -> bool {
    let b = key.as_bytes();
    let Some(dot) = memchr::memrchr(b'.', b) else {
        return false;
    };
    let tld = &b[dot + 1..];
    b.len() <= 253
        && tld.len() >= 2
        && tld.iter().all(u8::is_ascii_alphabetic)
        && b.split(|&c| c == b'.').all(|label| {
            !label.is_empty()
                && label
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        })
}

/// The part a member plays in a name/value pair object, where a sibling member names what
/// the value is: a Postman environment's `{"key": "password", "value": "…", "type":
/// "secret"}`, a CI variables API's `{"key": "DB_PASSWORD", "value": "…"}`, a Kubernetes or
/// ECS `env` entry's and a HAR header's `{"name": "Cookie", "value": "…"}`, CloudFormation's
/// `{"ParameterKey": "DbPassword", "ParameterValue": "…"}`, Keycloak's credentials
/// `{"type": "password", "value": "…", "temporary": true}` (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PairRole {
    Other,
    /// `key`, `name`, `type`, `ParameterKey`: its string names the pair.
    Name,
    /// `value`, `ParameterValue`: the pair's value.
    Value,
}

/// `PairRole` of a member key (a length test first: most keys are none of these). A value
/// key ends in `alue` or `ALUE` (`value`, `Value`, `VALUE`, `ParameterValue`), which is what
/// the clean check looks for in a body before it reads any pair's name
/// (`body_may_hold_pair_value`).
#[inline(always)]
pub(crate) fn pair_role(key: &str) -> PairRole {
    let is = |w: &str| key.eq_ignore_ascii_case(w);
    let value_tail = || key.ends_with("alue") || key.ends_with("ALUE");
    match key.len() {
        3 if is("key") => PairRole::Name,
        4 if is("name") || is("type") => PairRole::Name,
        5 if is("value") && value_tail() => PairRole::Value,
        5 | 7 if crate::redact::detect::evidence_r23p::label_names_pair(key) => PairRole::Name,
        // FHIR's identifier `system` and DocuSign's `tabLabel` (`evidence_r29s`).
        6 | 8 if crate::redact::detect::evidence_r29s::names_pair(key) => PairRole::Name,
        // Infisical's secrets API (`{"secretKey": "DB_PASSWORD", "secretValue": "…", "type":
        // "personal"}`; `detect::evidence_r32p`). Its `type` names no secret
        // (`pair_type_names_secret`); an object with a `secretKey` and no value member (n8n's
        // `"data": {"secretKey": "sk_live_…"}`) is no pair, and its key classifies its value.
        9 if crate::redact::detect::evidence_r32p::pair_name_key(key) => PairRole::Name,
        11 if crate::redact::detect::evidence_r32p::pair_value_key(key) && value_tail() => {
            PairRole::Value
        }
        12 if is("parameterkey") => PairRole::Name,
        14 if is("parametervalue") && value_tail() => PairRole::Value,
        _ => PairRole::Other,
    }
}

/// Whether the string `name` under a pair's name key `key` is worth classifying: under
/// `type` (`pair_type_key`) only a name holding a secret's letters (`pass`, `pwd`, `secret`,
/// `token`, `key`: Keycloak's `{"type": "password", …}`), as most types name no secret
/// (`text`, `number`, `object`) and the clean check reads every one; under `system` only
/// FHIR's SSN system (`evidence_r29s::fhir_ssn_system`); under `key` and `name` always. The
/// three walks (the raw clean check, the `Value` walk, the streaming pass) ask the same.
#[inline]
pub(crate) fn pair_name_worth_reading(key: &str, name: &str) -> bool {
    pair_name_read(pair_name_kind(key), name)
}

/// Which names a pair's name key has read (`pair_name_worth_reading`): 0 every one (`key`,
/// `name`, `label`, …), 1 a secret's (`type`: `pair_type_key`), 2 FHIR's SSN system's
/// (`system`).
#[inline]
pub(crate) fn pair_name_kind(key: &str) -> u8 {
    if pair_type_key(key) {
        1
    } else if key.len() == 6 && key.eq_ignore_ascii_case("system") {
        2
    } else {
        0
    }
}

/// Whether `name` under a pair's name key of kind `kind` (`pair_name_kind`) is read.
#[inline]
pub(crate) fn pair_name_read(kind: u8, name: &str) -> bool {
    match kind {
        0 => true,
        1 => pair_type_names_secret(name),
        _ => crate::redact::detect::evidence_r29s::fhir_ssn_system(name),
    }
}

/// Whether a pair's name key is `type` (any case).
#[inline]
pub(crate) fn pair_type_key(key: &str) -> bool {
    key.len() == 4 && key.eq_ignore_ascii_case("type")
}

/// Whether a `type` pair name holds a secret's letters (`pair_name_worth_reading`).
pub(crate) fn pair_type_names_secret(name: &str) -> bool {
    name.len() <= 64
        && ["pass", "pwd", "secret", "token", "key"].iter().any(|w| {
            name.as_bytes()
                .windows(w.len())
                .any(|x| x.eq_ignore_ascii_case(w.as_bytes()))
        })
}

/// Whether a body may hold a pair's value key (`pair_role`): a `alue"` or `ALUE"` anywhere.
/// Without one no pair's name matters, and the clean check reads no name.
pub(crate) fn body_may_hold_pair_value(raw: &[u8]) -> bool {
    memchr::memmem::find(raw, b"alue\"").is_some() || memchr::memmem::find(raw, b"ALUE\"").is_some()
}

/// The part of a pair's name that is classified like a key: the last segment of a path
/// (AWS SSM's `"Name": "/prod/db/password"`, Secret Manager's `projects/p/secrets/API_TOKEN`).
#[inline]
pub(crate) fn pair_name(name: &str) -> &str {
    // A session cookie's name (`{"name": "sid", "value": "…"}`): a session token's
    // (twenty-third round, task sec).
    if crate::redact::detect::evidence_r23s::session_cookie_name(name) {
        return "session_token";
    }
    // FHIR's identifier system for the US Social Security Number (`evidence_r29s`).
    if crate::redact::detect::evidence_r29s::fhir_ssn_system(name) {
        return "ssn";
    }
    match name.rsplit('/').next() {
        Some(last) if !last.is_empty() => last,
        _ => name,
    }
}

/// The class a pair's value takes from the class of its name (`pair_name` classified like a
/// key): a password or a secret name makes the value one (`{"key": "clientSecret",
/// "value": "…"}`); any other name leaves the value to its own key's rules. With several
/// names in one object the secret wins, a password over any other secret (the same in
/// whatever order the members come).
///
/// A name naming the SSN (`{"name": "ssn", "type": "string", "value": "062625366"}`, a
/// Bedrock agent's action parameters) makes the value read as under a tax id's key
/// (`KeyClass::TaxId`): nine digits that are a valid SSN, bare or `ddd-dd-dddd`, are a
/// US_SSN, anything else an identifier; a secret's name wins over it. Twenty-fourth round,
/// task num (`benches/pii_r24n_population.py`: 35 such values on the training splits, all
/// gold).
#[inline]
pub(crate) fn pair_class(acc: Option<KeyClass>, name: KeyClass) -> Option<KeyClass> {
    match (acc, name) {
        // A secret store's reference type (`pair_reference`) stays, whatever name comes.
        (Some(KeyClass::Plain), _) => acc,
        (_, KeyClass::Whole(Entity::Password)) => Some(name),
        (None | Some(KeyClass::TaxId), KeyClass::Whole(Entity::GenericSecret)) => Some(name),
        (None, KeyClass::Whole(Entity::UsSsn)) => Some(KeyClass::TaxId),
        _ => acc,
    }
}

/// The class a pair takes from a `type` name saying its value is a reference to a secret
/// kept elsewhere (AWS CodeBuild's `{"name": "DB_PASSWORD", "value": "prod/db:password",
/// "type": "SECRETS_MANAGER"}`; `detect::evidence_r36p`): `Some(KeyClass::Plain)`, which
/// `pair_class` keeps whatever name comes before or after (a plain name never puts `Plain`
/// there). `None` for any other name.
#[inline]
pub(crate) fn pair_reference(kind: u8, name: &str) -> Option<KeyClass> {
    (kind == 1 && crate::redact::detect::evidence_r36p::codebuild_reference_type(name))
        .then_some(KeyClass::Plain)
}

/// Whether a birth parent's member key (normalised) holds the date itself.
fn birth_date_member(key: &str) -> bool {
    matches!(
        key,
        "date" | "value" | "on" | "datum" | "fecha" | "data" | "dt" | "iso" | "date_iso" | "text"
    )
}

/// Whether a phone parent's member key holds the number itself (`number`, `value`, and
/// Plaid Identity's `"phone_numbers": [{"data": …, "type": "mobile"}]`; any case).
fn phone_number_member(key: &str) -> bool {
    key.eq_ignore_ascii_case("number")
        || key.eq_ignore_ascii_case("value")
        || key.eq_ignore_ascii_case("data")
}

/// Whether an identifier parent's member key holds the identifier itself (`"order":
/// {"number": …}`, `"nationalIds": [{"type": "SSN", "value": …}]`; any case).
fn ident_number_member(key: &str) -> bool {
    ["number", "value", "id", "no", "nr"]
        .iter()
        .any(|w| key.eq_ignore_ascii_case(w))
}

/// The class of an identifier key (`KeyClass::Ident`, `KeyClass::TaxId`), from its words
/// (normalised), if it is one; with `ident` false only a tax or national id key's.
fn identifier_key(norm: &str, ident: bool) -> Option<KeyClass> {
    // (One look for the last `_`: the clean check classifies every key of a body.)
    let (head, last) = match norm.bytes().rposition(|b| b == b'_') {
        Some(i) => (&norm[..i], &norm[i + 1..]),
        None => ("", norm),
    };
    let number_word = matches!(
        last,
        "id" | "ids" | "number" | "no" | "nr" | "num" | "code" | "identifier"
    );
    let tax = matches!(last, "tin" | "itin" | "taxid")
        || (number_word && head.split('_').any(|w| w == "tax" || w == "national"));
    if tax {
        return Some(KeyClass::TaxId);
    }
    if !ident {
        return None;
    }
    if message_id_key(norm) {
        return Some(KeyClass::MessageId);
    }
    let prev = || head.rsplit('_').next().filter(|p| !p.is_empty());
    // A record's own id, or a thing's (`id`, `speakerId`, `callId`: eighteenth round): a
    // number filling it is that id, whatever its digits fit (a Luhn-valid 16-digit speaker
    // id is no card).
    let own_id = matches!(last, "id" | "ids");
    (own_id
        || crate::redact::detect::identifier_word(last.as_bytes())
        || (number_word
            && prev().is_some_and(|p| crate::redact::detect::identifier_word(p.as_bytes()))))
    .then_some(KeyClass::Ident)
}

/// Whether a key (normalised) names a message's id (`KeyClass::MessageId`).
fn message_id_key(norm: &str) -> bool {
    matches!(
        norm,
        "message_id" | "messageid" | "msg_id" | "msgid" | "in_reply_to" | "content_id"
    ) || norm.ends_with("_message_id")
}

/// A key naming a birth, not a date: `birth`, `born`, the locales' words, or a compound
/// ending in one (`patient_birth`). (Pinned inline: `classify` calls it for every plain
/// key, and out of line — where `classify`'s growth in the sixteenth round put it — it cost
/// the clean check of a 4 KB body 0.4 % more instructions.)
#[inline(always)]
fn birth_parent_key(norm: &str) -> bool {
    let last = norm.rsplit('_').next().unwrap_or(norm);
    matches!(
        last,
        "birth" | "born" | "geburt" | "naissance" | "nascita" | "nacimiento" | "geboorte"
    )
}

/// The default sensitive key names (matched after normalisation, see `normalize_key`).
pub const DEFAULT_SENSITIVE_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "pass",
    // The six other locales' words (`normalize_key` form): German, French, Spanish,
    // Italian, Dutch.
    "passwort",
    "kennwort",
    "mot_de_passe",
    "motdepasse",
    "mdp",
    "contrasena",
    "contraseña",
    "clave",
    "parola_d'ordine",
    "parola_d_ordine",
    "parola_chiave",
    "wachtwoord",
    "ww",
    // Catalan `contrasenya`, Dutch `wachtw` (short for `wachtwoord`), Spanish `clave de
    // acceso`, Italian `parola segreta`.
    "contrasenya",
    "wachtw",
    "clave_acceso",
    "clave_de_acceso",
    "parola_segreta",
    // A pre-shared key: a Wi-Fi network's WPA passphrase (`"wifi": {"ssid": …, "psk": …}`,
    // `wpa_psk`), an IPsec or WireGuard tunnel's shared secret.
    "psk",
    "pre_shared_key",
    "preshared_key",
    "secret",
    "client_secret",
    "secret_key",
    "token",
    "access_token",
    "refresh_token",
    "id_token",
    "auth_token",
    "bearer_token",
    "session_token",
    "authorization",
    "proxy_authorization",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "cookie",
    "set_cookie",
    "credentials",
    "credential",
    "ssn",
    "social_security_number",
    "cvv",
    "cvv2",
    "cvc",
    "cvc2",
    "card_cvc",
    "security_code",
    // The card security code's other names (CSC, card verification number) and Rails'
    // `SECRET_KEY_BASE`.
    "csc",
    "cvn",
    // Authorize.net's `createTransaction` `creditCard.cardCode` (the card code: CVV2, CVC2,
    // CID; thirty-fourth round, `detect::evidence_r34d`).
    "card_code",
    "secret_key_base",
    "pin",
    "signing_key",
    // A licence key (`newrelic_license_key`) and a signing key named for its signature.
    "license_key",
    "signature_key",
    // Keys that encrypt or sign data (`encryption_key`, `HMAC_KEY`, `master_key`), as the
    // `key=value` pass already names them.
    "encryption_key",
    "hmac_key",
    "master_key",
    "dob",
    "date_of_birth",
    "birth_date",
    "birthdate",
    "birthday",
    // A list of them (Google People's `birthdays: [{"text": …}]`).
    "birthdays",
    // The other locales' birth-date keys (`normalize_key` form; a compound such as
    // `patient_geburtsdatum` matches by its last words): German, Dutch, French, Italian,
    // Spanish.
    "geburtsdatum",
    "geb_datum",
    "geboortedatum",
    "date_naissance",
    "date_de_naissance",
    "datenaissance",
    "data_nascita",
    "data_di_nascita",
    "fecha_nacimiento",
    "fecha_de_nacimiento",
];

/// The key names whose value is a password or passphrase (PASSWORD); every other sensitive
/// name is a GENERIC_SECRET. A PIN is a numeric password.
pub(crate) fn password_key(norm: &str) -> bool {
    matches!(
        norm,
        "password"
            | "passwd"
            | "pwd"
            | "pass"
            | "passphrase"
            | "passwort"
            | "kennwort"
            | "mot_de_passe"
            | "motdepasse"
            | "mdp"
            | "contrasena"
            | "contraseña"
            | "clave"
            | "parola_d'ordine"
            | "parola_d_ordine"
            | "parola_chiave"
            | "wachtwoord"
            | "ww"
            | "contrasenya"
            | "wachtw"
            | "clave_acceso"
            | "clave_de_acceso"
            | "parola_segreta"
            | "pin"
            | "psk"
            | "pre_shared_key"
            | "preshared_key"
    )
}

/// A key whose words include a password word before a qualifier (`wachtwoord_db`,
/// `pwd_utente`, `contraseña_bd`) or that ends in one as a compound (`zugangspasswort`,
/// `dbpassword`); not when a later word makes it a setting about passwords
/// (`password_min_length`, `password_hint`, `pwd_reset_at`).
/// Whether the key's part before `_pass` names something one logs in to: its last word is a
/// system, a protocol or an account (`smtp_pass`, `db_pass`, `mysql_root_pass`).
fn login_word(before: &str) -> bool {
    let last = before.rsplit('_').next().unwrap_or(before);
    matches!(
        last,
        "db" | "database"
            | "sql"
            | "mysql"
            | "pg"
            | "postgres"
            | "redis"
            | "mongo"
            | "mongodb"
            | "smtp"
            | "imap"
            | "pop"
            | "pop3"
            | "mail"
            | "email"
            | "ftp"
            | "sftp"
            | "ssh"
            | "ldap"
            | "proxy"
            | "vpn"
            | "rdp"
            | "wifi"
            | "wlan"
            | "root"
            | "admin"
            | "user"
            | "login"
            | "account"
            | "auth"
            | "api"
            | "app"
            | "service"
            | "svc"
            | "bind"
            | "master"
            | "basic"
            | "sa"
            // Message brokers (`mqtt_pass`, `amqp_pass`, RabbitMQ's `RABBITMQ_DEFAULT_PASS`,
            // Kafka's `sasl_pass`).
            | "mqtt"
            | "amqp"
            | "rabbitmq"
            | "broker"
            | "default"
            | "sasl"
    )
}

fn compound_password_key(norm: &str) -> bool {
    const WORDS: [&str; 11] = [
        "password",
        "motdepasse",
        "passwd",
        "pwd",
        "passwort",
        "kennwort",
        "wachtwoord",
        "contrasena",
        "contraseña",
        "contrasenya",
        "wachtw",
    ];
    const SETTINGS: [&str; 26] = [
        "hint",
        "min",
        "max",
        "length",
        "len",
        "policy",
        "reset",
        "expiry",
        "expires",
        "expired",
        "changed",
        "change",
        "age",
        "strength",
        "rule",
        "rules",
        "required",
        "complexity",
        "history",
        "attempts",
        "count",
        "last",
        "updated",
        "enabled",
        "label",
        "prompt",
    ];
    // The locales' password names of several words (`mot_de_passe_admin`,
    // `clave_de_acceso_bd`), looked for where a word that opens one stands.
    const PHRASES: [&str; 5] = [
        "mot_de_passe",
        "clave_de_acceso",
        "clave_acceso",
        "parola_d_ordine",
        "parola_segreta",
    ];
    if ["passwort", "kennwort", "wachtwoord", "password"]
        .iter()
        .any(|w| norm.ends_with(w))
    {
        return true;
    }
    let qualifiers = |rest: &str| rest.split('_').all(|q| !SETTINGS.contains(&q));
    let mut at = 0;
    for p in norm.split('_') {
        if WORDS.contains(&p) {
            return qualifiers(&norm[(at + p.len()).min(norm.len())..]);
        }
        if matches!(p, "mot" | "clave" | "parola") {
            let rest = &norm[at..];
            if let Some(w) = PHRASES.iter().find(|w| {
                rest.len() > w.len() + 1 && rest.starts_with(*w) && rest.as_bytes()[w.len()] == b'_'
            }) {
                return qualifiers(&rest[w.len()..]);
            }
        }
        at += p.len() + 1;
    }
    false
}

/// The key names whose value is a date of birth.
fn dob_key(norm: &str) -> bool {
    matches!(
        norm,
        "dob"
            | "date_of_birth"
            | "birth_date"
            | "birthdate"
            | "birthday"
            | "birthdays"
            | "geburtsdatum"
            | "geb_datum"
            | "geboortedatum"
            | "date_naissance"
            | "date_de_naissance"
            | "datenaissance"
            | "data_nascita"
            | "data_di_nascita"
            | "fecha_nacimiento"
            | "fecha_de_nacimiento"
    )
}

/// The words before `_key` that name a key's version or its role in authentication or
/// encryption (`KeyClass::ShapedSecret`): a rotation's `new_key` / `old_key`, Azure's
/// `primaryKey` / `secondaryKey`, a storage account's `account_key`, API Management's
/// `subscription_key`, a webhook's or an integration's key. Not the words of keys that are
/// ids, paths or cursors (`idempotency_key`, `issue_key`, `object_key`, `next_key`,
/// `partition_key`, `public_key`), which stay plain.
const KEY_ROLES: &[&str] = &[
    "new",
    "old",
    "current",
    "previous",
    "rotated",
    "active",
    "primary",
    "secondary",
    "shared",
    "app",
    "application",
    "account",
    "storage",
    "subscription",
    "client",
    "server",
    "service",
    "webhook",
    "integration",
    "auth",
    "session",
    "jwt",
    "aes",
    "kms",
    "decryption",
    "wrapping",
    "root",
    "admin",
    "deploy",
    "push",
    "cipher",
    "crypto",
    "symmetric",
    "activation",
    "registration",
];

/// Whether a key ending in `_key` names a key by its role (`KEY_ROLES`: `new_key`,
/// `primary_key`). Out of line: `classify` stays small enough to keep its other tests inline.
#[inline(never)]
fn role_key(norm: &str) -> bool {
    norm.strip_suffix("_key")
        .and_then(|q| q.rsplit('_').next())
        .is_some_and(|q| KEY_ROLES.contains(&q))
}

/// Whether a key holds the letters of a credential word (`key`, `token`, `secret`, `salt`):
/// the cheap test before `compound_secret_key` reads its words.
#[inline]
fn credential_letters(bytes: &[u8]) -> bool {
    bytes
        .windows(3)
        .any(|w| matches!(w, b"key" | b"oke" | b"cre" | b"alt"))
}

/// The words of a name (`normalize_key` form) that make it a credential's when another word
/// comes with them (`KeyClass::ShapedSecret`): a key, a token, a secret, a salt, or a list of
/// keys or secrets. (Seventeenth round: the name's words, not its last one, carry the
/// evidence — Segment's `writeKey`, Strapi's `APP_KEYS` and `API_TOKEN_SALT`, a bot's
/// `bot_token_used`.) Not `tokens`: a model's token counts (`max_tokens`, `input_tokens`).
const CREDENTIAL_WORDS: &[&str] = &["key", "keys", "token", "secret", "secrets", "salt"];

/// Words that say a name with a credential word in it holds no secret: what the secret is
/// called, where it is kept or found, its kind, size, age or policy, a reference to it (`id`,
/// `name`, `arn`, `uri`), its hash or fingerprint, a page or request cursor, a form's field.
/// The look-alikes of every split under such names (`private_key_id` with a hex id,
/// `token_uri`, `secret_type: aws_access_key_id`, a commit's SHA, `SecretId: prod/…`, `api_key_header:
/// X-Api-Key`, `ParameterKey: PasswordMinLength`, `nextSyncToken`) are why.
const BOOKKEEPING_WORDS: &[&str] = &[
    "id",
    "ids",
    "name",
    "names",
    "type",
    "kind",
    "uri",
    "url",
    "urls",
    "endpoint",
    "policy",
    "header",
    "file",
    "path",
    "store",
    "placeholder",
    "sync",
    "page",
    "next",
    "progress",
    "cursor",
    "issue",
    "request",
    "length",
    "count",
    "expires",
    "expiry",
    "expiration",
    "at",
    "ttl",
    "version",
    "arn",
    "ref",
    "hash",
    "digest",
    "checksum",
    "format",
    "algorithm",
    "alg",
    "label",
    "mode",
    "field",
    "prefix",
    "parameter",
    "size",
    "source",
    "location",
    "hint",
    "env",
    "var",
    "status",
    "created",
    "updated",
    "last",
    "rotation",
    "sha",
    "sha1",
    "sha256",
    "md5",
    "commit",
];

/// A name of two words or more, one of them a `CREDENTIAL_WORDS`, none of them a public or
/// bookkeeping word (`NOT_SECRET_KEY_WORDS`, `BOOKKEEPING_WORDS`): a value with a secret's
/// shape under it is a GENERIC_SECRET (`KeyClass::ShapedSecret`). `key` alone stays plain
/// (any map's key), as does `keys` alone.
#[inline(never)]
fn compound_secret_key(norm: &str) -> bool {
    let mut credential = false;
    let mut words = 0;
    for w in norm.split('_').filter(|w| !w.is_empty()) {
        words += 1;
        if CREDENTIAL_WORDS.contains(&w) {
            credential = true;
        } else if NOT_SECRET_KEY_WORDS.contains(&w) || BOOKKEEPING_WORDS.contains(&w) {
            return false;
        }
    }
    credential && words >= 2
}

/// Words naming a key that is no secret, as the last word of a name before `key`
/// (`VAPID_PUBLIC_KEY`, `idempotency_key`, `PartitionKey`, `ssh_host_key`, `gpg_key`: public
/// keys, their fingerprints, a database's or a cache's keys, an object's path).
pub(crate) const NOT_SECRET_KEY_WORDS: &[&str] = &[
    "public",
    "publishable",
    "pub",
    "site",
    "host",
    "idempotency",
    "primary",
    "foreign",
    "sort",
    "partition",
    "row",
    "cache",
    "routing",
    "object",
    "ssh",
    "gpg",
    "pgp",
    "kms",
    "fingerprint",
    // An OAuth consumer key: the client's identifier, no secret (RFC 5849 §3.1, RFC 6749
    // §2.2; Salesforce's connected app `consumerKey` is its `client_id`). Thirty-eighth
    // round, task gs (`detect::evidence_r38g`).
    "consumer",
];

/// Keys ending like a secret that are not secrets (pagination cursors and the like, and
/// idempotency tokens: AWS's `ClientRequestToken`, a UUID the caller makes up so a retried
/// request is not done twice).
pub(crate) const NOT_SECRET_SUFFIXES: &[&str] = &[
    "page_token",
    "next_token",
    "continuation_token",
    "sync_token",
    "client_request_token",
    "idempotency_token",
    // MCP's `_meta.progressToken`: the number or string a client picks to match progress
    // notifications to its request, no credential.
    "progress_token",
    // OData's paging cursors, in a Microsoft Graph or Azure `@odata.nextLink` /
    // `@odata.deltaLink` (`…/signIns?$skiptoken=…`, `…/delta?$deltatoken=…`): where the next
    // page or the next round of changes starts, no credential.
    "skip_token",
    "delta_token",
    // Cognito's `ListUsers` `PaginationToken` and its kin: a paging cursor under the
    // pagination's own name (twenty-fourth round, task sec: 226 paging tokens on the
    // training splits, three writers, none gold; `benches/secret_r24_population.py`).
    "pagination_token",
    "paging_token",
];

/// Compiled key-name rules.
#[derive(Debug, Clone)]
pub(crate) struct KeyRules {
    names: std::collections::HashMap<String, Entity, FnvBuild>,
    /// Length of the longest name (longer suffixes cannot match).
    longest: usize,
}

impl KeyRules {
    pub(crate) fn new(extra: &[String]) -> Self {
        let mut names: std::collections::HashMap<String, Entity, FnvBuild> = Default::default();
        for n in DEFAULT_SENSITIVE_KEYS
            .iter()
            .map(|s| s.to_string())
            .chain(extra.iter().cloned())
        {
            let norm = normalize_key(&n);
            if norm.is_empty() || names.contains_key(&norm) {
                continue;
            }
            let entity = match norm.as_str() {
                "ssn" | "social_security_number" => Entity::UsSsn,
                n if dob_key(n) => Entity::DateOfBirth,
                n if password_key(n) => Entity::Password,
                // Every other secret-named key (`client_secret`, `api_key`, `token`,
                // `cookie`, `cvc`, …) and any name added by the config.
                _ => Entity::GenericSecret,
            };
            names.insert(norm, entity);
        }
        let longest = names.keys().map(String::len).max().unwrap_or(0);
        KeyRules { names, longest }
    }

    /// Substrings one of which every matching raw key contains (case-insensitively): the
    /// longest `_`-segment of each name, plus the phone words and the birth words. Used by the raw-bytes fast path.
    pub(crate) fn triggers(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .names
            .keys()
            .filter_map(|n| n.split('_').max_by_key(|s| s.len()).map(str::to_string))
            .collect();
        out.extend(
            [
                "phone",
                "mobile",
                "fax",
                "tel",
                "cell",
                "msisdn",
                "card",
                "birth",
                "born",
                "geburt",
                "naissance",
                "nascita",
                "nacimiento",
                "geboorte",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        out.sort();
        out.dedup();
        out
    }

    /// A password or secret name with an ordinal after it (`hmac_secret_2`, `password2`,
    /// `api_key_1`: the second of two, a numbered list of keys): the name's class. Only the
    /// secret classes: `address_line_1`, `ipv4`, `sha256`, `customfield_10045` stay what
    /// their words are.
    #[inline(never)]
    fn numbered_secret(&self, norm: &str) -> Option<KeyClass> {
        let name = norm.trim_end_matches(|c: char| c.is_ascii_digit());
        if name.len() == norm.len() {
            return None;
        }
        let name = name.strip_suffix('_').unwrap_or(name);
        if name.is_empty() || name.ends_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        match self.classify(name) {
            class @ KeyClass::Whole(Entity::Password | Entity::GenericSecret) => Some(class),
            _ => None,
        }
    }

    pub(crate) fn classify(&self, key: &str) -> KeyClass {
        self.classify_as(key, true)
    }

    /// Whether the key's class can add a finding (`KeyClass::may_find`), for the raw bytes'
    /// clean check: the identifier-label look-up, which only takes findings away, is skipped.
    pub(crate) fn may_find(&self, key: &str) -> bool {
        self.classify_as(key, false).may_find()
            || crate::redact::detect::evidence_r33d::adp_id_value_key(key)
    }

    /// `classify`; with `ident` false a key that is only an identifier's is `Plain`.
    fn classify_as(&self, key: &str, ident: bool) -> KeyClass {
        // A Salesforce custom field (`SSN__c`, `Mobile_Phone__c`) is named by what comes
        // before its `__c`.
        if let Some(base) = key.strip_suffix("__c").filter(|b| b.len() > 1) {
            return self.classify_as(base, ident);
        }
        // A member named in brackets, as form encodings write nested fields
        // (`user[password]`, `order[customer][phone]`) and Power BI's `executeQueries` its
        // columns (`Members[BirthDate]`): named by its last bracketed part, or by what
        // stands before the brackets when that part is an index (`phones[0]`, `tags[]`).
        if let Some((before, last)) = key.strip_suffix(']').and_then(|k| k.rsplit_once('[')) {
            let name = if last.bytes().all(|b| b.is_ascii_digit()) {
                before
            } else {
                last
            };
            if !name.is_empty() {
                return self.classify_as(name, ident);
            }
        }
        let owned;
        let norm: &str = if key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            key
        } else {
            owned = normalize_key(key);
            &owned
        };
        if norm.ends_with("token") && NOT_SECRET_SUFFIXES.iter().any(|s| norm.ends_with(s)) {
            return KeyClass::Plain;
        }
        // Exact name, or a name after any '_' (`db_password` → `password`).
        let bytes = norm.as_bytes();
        let mut start = 0;
        loop {
            let suffix = &norm[start..];
            if suffix.len() <= self.longest {
                if let Some(entity) = self.names.get(suffix) {
                    // `pass` after another word is a password only when that word names
                    // something one logs in to (`smtp_pass`, `db_pass`), not a ticket
                    // (`boarding_pass`, `day_pass`).
                    // A hash of the secret (detect-secrets' `hashed_secret`,
                    // `hashed_password`): a digest, no secret. Twenty-second round, task sec
                    // (`benches/secret_r22_population.py`: 226 such values on the training
                    // splits, none gold).
                    if start > 0 && norm[..start - 1].rsplit('_').next() == Some("hashed") {
                        return KeyClass::Plain;
                    }
                    if start == 0 || suffix != "pass" || login_word(&norm[..start - 1]) {
                        return KeyClass::Whole(*entity);
                    }
                }
            }
            match memchr::memchr(b'_', &bytes[start..]) {
                Some(i) => start += i + 1,
                None => break,
            }
        }
        // A salt kept as an application's secret (Nextcloud's `passwordsalt`, Matomo's
        // `salt`, WordPress's `NONCE_SALT`): a value with a secret's shape under it is a
        // GENERIC_SECRET (`KeyClass::ShapedSecret`), as `salt = "…"` is in text. Not the
        // rock (`basalt`). Twenty-first round, task sec.
        if norm.ends_with("salt") && !norm.ends_with("basalt") {
            return KeyClass::ShapedSecret;
        }
        if norm == "encrypted_data" {
            return KeyClass::Ciphertext;
        }
        // A password's hash (`password_hash`, `pwdHash`): no password (`evidence_r24p`).
        if compound_password_key(norm)
            && !crate::redact::detect::evidence_r24p::password_hash_name(norm)
        {
            return KeyClass::Whole(Entity::Password);
        }
        // (The two tests below read a key only when its last byte can start them: most keys
        // end in neither a digit nor `_key`, and the clean check classifies every key.)
        if bytes.last().is_some_and(u8::is_ascii_digit) {
            if let Some(class) = self.numbered_secret(norm) {
                return class;
            }
        }
        if norm.ends_with("_key") && role_key(norm) {
            return KeyClass::ShapedSecret;
        }
        // A credential word inside a longer name (`write_key`, `app_keys`, `bot_token_used`,
        // `api_token_salt`): read only when the name has two words or more and holds one of
        // the words' letters (`ey`, `oken`, `ecret`, `alt`), so most keys pass by.
        if bytes.contains(&b'_') && credential_letters(bytes) && compound_secret_key(norm) {
            return KeyClass::ShapedSecret;
        }
        // (Keys are short: a plain window compare beats setting up a substring search.)
        let has = |word: &[u8]| bytes.windows(word.len()).any(|w| w == word);
        let phone_like = has(b"phone")
            || has(b"mobile")
            || has(b"fax")
            || norm == "tel"
            || norm.starts_with("tel_")
            || norm.ends_with("_tel")
            || norm == "cell"
            || norm.ends_with("_cell")
            // A mobile subscriber's number (`msisdn`, as SMS gateways name sender and
            // recipient), and FHIR's `telecom` list, whose entries' `value` is a phone
            // (`{"system": "phone", "value": …}`; an e-mail entry's is found as one anyway).
            || norm.starts_with("msisdn")
            || norm.ends_with("msisdn")
            || norm == "telecom";
        if phone_like {
            KeyClass::Phone
        } else if matches!(
            norm,
            "to" | "from" | "recipient" | "recipients" | "sender" | "originator"
        ) {
            KeyClass::Party
        } else if norm == "form_response" {
            KeyClass::FormResponse
        } else if crate::redact::detect::evidence_r38g::host_section_key(norm) {
            KeyClass::HostSection
        } else if birth_parent_key(norm) {
            KeyClass::BirthParent
        } else if crate::redact::detect::evidence_r30g::jwt_section(norm) {
            KeyClass::JwtSection
        } else if has(b"card") {
            KeyClass::Card
        } else {
            identifier_key(norm, ident).unwrap_or(KeyClass::Plain)
        }
    }
}

/// FNV-1a: key names are short and not attacker-chosen in a way that matters here (the table
/// is fixed at startup), so a fast non-DoS-resistant hash is fine.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub(crate) type FnvBuild = std::hash::BuildHasherDefault<Fnv>;

/// `accessToken`, `Access-Token`, `ACCESS_TOKEN`, `access.token` → `access_token`.
pub(crate) fn normalize_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for c in key.trim().chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c == '-' || c == ' ' || c == '.' {
            out.push('_');
            prev_lower = false;
        } else {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        }
    }
    out
}
