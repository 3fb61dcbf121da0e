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
        ("accessToken", KeyClass::Whole(Entity::Password)),
        ("Set-Cookie", KeyClass::Whole(Entity::Password)),
        ("X-Api-Key", KeyClass::Whole(Entity::Password)),
        ("sessionId", KeyClass::Whole(Entity::Password)),
        ("ssn", KeyClass::Whole(Entity::UsSsn)),
        ("birthDate", KeyClass::Whole(Entity::DateOfBirth)),
        ("dob", KeyClass::Whole(Entity::DateOfBirth)),
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
