use super::keys::normalize_key;
use super::*;

#[test]
fn key_normalisation() {
    let table = [
        ("accessToken", "access_token"),
        ("Access-Token", "access_token"),
        ("ACCESS_TOKEN", "access_token"),
        ("x.api.key", "x_api_key"),
        ("password", "password"),
    ];
    for (k, want) in table {
        assert_eq!(normalize_key(k), want, "{k}");
    }
}

#[test]
fn key_classes() {
    let rules = KeyRules::new(&["session_id".to_string()]);
    let table = [
        ("password", KeyClass::Whole(Entity::Password)),
        ("db_password", KeyClass::Whole(Entity::Password)),
        ("accessToken", KeyClass::Whole(Entity::GenericSecret)),
        ("Set-Cookie", KeyClass::Whole(Entity::GenericSecret)),
        ("X-Api-Key", KeyClass::Whole(Entity::GenericSecret)),
        ("sessionId", KeyClass::Whole(Entity::GenericSecret)),
        // The taxonomy: password words (and the six other locales') are PASSWORD, every
        // other secret-named key GENERIC_SECRET, card security codes included.
        ("passwort", KeyClass::Whole(Entity::Password)),
        ("db_kennwort", KeyClass::Whole(Entity::Password)),
        ("contraseña", KeyClass::Whole(Entity::Password)),
        ("mot_de_passe", KeyClass::Whole(Entity::Password)),
        ("motDePasse", KeyClass::Whole(Entity::Password)),
        ("wachtwoord", KeyClass::Whole(Entity::Password)),
        ("parola_chiave", KeyClass::Whole(Entity::Password)),
        ("pin", KeyClass::Whole(Entity::Password)),
        ("client_secret", KeyClass::Whole(Entity::GenericSecret)),
        (
            "aws_secret_access_key",
            KeyClass::Whole(Entity::GenericSecret),
        ),
        ("apiKey", KeyClass::Whole(Entity::GenericSecret)),
        ("auth_token", KeyClass::Whole(Entity::GenericSecret)),
        ("signing_key", KeyClass::Whole(Entity::GenericSecret)),
        ("private_key", KeyClass::Whole(Entity::GenericSecret)),
        ("session_token", KeyClass::Whole(Entity::GenericSecret)),
        ("smtp_pass", KeyClass::Whole(Entity::Password)),
        ("db_pass", KeyClass::Whole(Entity::Password)),
        ("mysql_root_pass", KeyClass::Whole(Entity::Password)),
        ("pass", KeyClass::Whole(Entity::Password)),
        ("cvc", KeyClass::Whole(Entity::GenericSecret)),
        ("CVV2", KeyClass::Whole(Entity::GenericSecret)),
        // Compound keys whose words include a password word.
        ("wachtwoord_db", KeyClass::Whole(Entity::Password)),
        ("contraseña_bd", KeyClass::Whole(Entity::Password)),
        ("pwd_utente", KeyClass::Whole(Entity::Password)),
        ("zugangspasswort", KeyClass::Whole(Entity::Password)),
        ("smtp_pass", KeyClass::Whole(Entity::Password)),
        ("dbPassword", KeyClass::Whole(Entity::Password)),
        ("password_db_admin", KeyClass::Whole(Entity::Password)),
        // Look-alikes: names that hold a password word without being one.
        ("password_min_length", KeyClass::Plain),
        ("PASSWORD_MAX_AGE", KeyClass::Plain),
        ("pwd_reset_count", KeyClass::Plain),
        ("passwort_hint", KeyClass::Plain),
        ("password_hint", KeyClass::Plain),
        ("passport", KeyClass::Plain),
        ("session_count", KeyClass::Plain),
        // A ticket, not a password; a conversation's id, not a credential (an operator who
        // wants session ids masked lists them in `redact.sensitive_keys`).
        ("boarding_pass", KeyClass::Plain),
        ("day_pass", KeyClass::Plain),
        ("season_pass", KeyClass::Plain),
        ("bypass", KeyClass::Plain),
        ("session", KeyClass::Plain),
        ("chat_session", KeyClass::Plain),
        ("mcp_session", KeyClass::Plain),
        ("pinned", KeyClass::Plain),
        ("keyword", KeyClass::Plain),
        ("ssn", KeyClass::Whole(Entity::UsSsn)),
        ("birthDate", KeyClass::Whole(Entity::DateOfBirth)),
        ("dob", KeyClass::Whole(Entity::DateOfBirth)),
        // The other locales' birth-date keys, and compounds ending in one.
        ("geburtsdatum", KeyClass::Whole(Entity::DateOfBirth)),
        ("geb_datum", KeyClass::Whole(Entity::DateOfBirth)),
        ("Geb.Datum", KeyClass::Whole(Entity::DateOfBirth)),
        ("geboortedatum", KeyClass::Whole(Entity::DateOfBirth)),
        ("date_naissance", KeyClass::Whole(Entity::DateOfBirth)),
        ("dateDeNaissance", KeyClass::Whole(Entity::DateOfBirth)),
        ("data_nascita", KeyClass::Whole(Entity::DateOfBirth)),
        ("data_di_nascita", KeyClass::Whole(Entity::DateOfBirth)),
        ("fecha_nacimiento", KeyClass::Whole(Entity::DateOfBirth)),
        ("fecha_de_nacimiento", KeyClass::Whole(Entity::DateOfBirth)),
        ("patient_geburtsdatum", KeyClass::Whole(Entity::DateOfBirth)),
        // Look-alikes: other dates in the same locales.
        ("geburtsort", KeyClass::Plain),
        ("datum", KeyClass::Plain),
        ("data_creazione", KeyClass::Plain),
        ("fecha", KeyClass::Plain),
        ("date_naissance_enfant_count", KeyClass::Plain),
        ("nextPageToken", KeyClass::Plain),
        ("max_tokens", KeyClass::Plain),
        ("token_type", KeyClass::Plain),
        ("keyboard", KeyClass::Plain),
        ("mobile_number", KeyClass::Phone),
        ("phone", KeyClass::Phone),
        ("hotel", KeyClass::Plain),
        ("card_number", KeyClass::Card),
        ("creditCard", KeyClass::Card),
    ];
    for (k, want) in table {
        assert_eq!(rules.classify(k), want, "{k}");
    }
}

#[test]
fn pointers_escape() {
    let mut out = String::new();
    for t in ["a/b", "m~n", "3", ""] {
        out.push('/');
        escape_token(t, &mut out);
    }
    assert_eq!(out, "/a~1b/m~0n/3/");
}
