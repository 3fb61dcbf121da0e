//! The eighteenth round's rules for passwords and secrets (issue #20, tuned on every split's
//! misses but blind18's): a pair whose sibling names its value — Keycloak's
//! `{"type": "password", "value": …}`, a Hadoop `<property>`'s `<name>…Password</name>`
//! before its `<value>` — and the look-alikes they must leave alone.

use super::tests_support::{found, json_findings_checked};
use crate::redact::entity::Entity;

#[test]
fn a_keycloak_credential_is_a_password_not_a_secret() {
    // Keycloak's user representation: the credential's `type` names its `value`.
    let body = r#"{"users":[{"username":"jdoe","credentials":[{"type":"password","value":"Lucciola1862*","temporary":true}]}]}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![("PASSWORD", "/users/0/credentials/0/value".to_string())]
    );
    // Pairs whose type names nothing secret keep their value's own rules.
    let body =
        r#"{"attributes":[{"type":"text","value":"Winter sale"},{"type":"number","value":"42"}]}"#;
    assert_eq!(json_findings_checked(body), vec![]);
    // A type without a secret's letters is not read as a name (most types name none; the
    // clean check reads only the others), the same in every walk.
    let body = r#"{"items":[{"type":"credentials","value":"see the vault"}]}"#;
    assert_eq!(json_findings_checked(body), vec![]);
    // A type naming a token: its value is a secret.
    let body = r#"{"params":[{"type":"api_token","value":"q8Zr2mT4vN7xK1pL9sB3"}]}"#;
    assert_eq!(
        json_findings_checked(body),
        vec![("GENERIC_SECRET", "/params/0/value".to_string())]
    );
}

#[test]
fn a_keycloak_credential_in_text_is_a_password() {
    // The same pair as text (an escaped tool result, a log line).
    let text = r#"user created: {"type":"password","value":"Lucciola1862*","temporary":true}"#;
    assert_eq!(found(text, Entity::Password), vec!["Lucciola1862*"]);
    assert_eq!(found(text, Entity::GenericSecret), Vec::<String>::new());
    let text = r#"field: {"type":"color","value":"Lucciola1862"}"#;
    assert_eq!(found(text, Entity::Password), Vec::<String>::new());
}

#[test]
fn a_hadoop_property_named_for_a_password_holds_one() {
    for text in [
        "<property>\n    <name>javax.jdo.option.ConnectionPassword</name>\n    <value>Molen1949_</value>\n  </property>",
        // flattened to one line
        "<property> |     <name>javax.jdo.option.ConnectionPassword</name> |     <value>Molen1949_</value> |   </property>",
        "<property> /     <name>hive.metastore.db.password</name> /     <value>Molen1949_</value> /   </property>",
        "<property><name>ssl.server.keystore.keypass</name><value>Molen1949_</value></property>",
    ] {
        assert_eq!(found(text, Entity::Password), vec!["Molen1949_"], "{text:?}");
    }
    // An Azure storage account's key in a Hadoop `core-site.xml`: a secret.
    let text = "<property>\n    <name>fs.azure.account.key.acme.blob.core.windows.net</name>\n    <value>df6a0065703daafe8e8915758081a12c</value>\n</property>";
    assert_eq!(
        found(text, Entity::GenericSecret),
        vec!["df6a0065703daafe8e8915758081a12c"]
    );
    // A property named for no secret, or for a password setting, keeps its value.
    for text in [
        "<property>\n    <name>javax.jdo.option.ConnectionUserName</name>\n    <value>hiveuser42</value>\n  </property>",
        "<property>\n    <name>dfs.replication</name>\n    <value>M0len1949_</value>\n  </property>",
        // a `<value>` after some other element
        "<property>\n    <description>the password</description>\n    <value>M0len1949_</value>\n  </property>",
    ] {
        assert_eq!(found(text, Entity::Password), Vec::<String>::new(), "{text:?}");
        assert_eq!(found(text, Entity::GenericSecret), Vec::<String>::new(), "{text:?}");
    }
}

#[test]
fn a_currency_sign_spelling_a_letter_keeps_a_password() {
    for (text, want) in [
        ("-- Mot de passe : M0|€n74\n", "M0|€n74"),
        ("Je tijdelijke wachtwoord is V4p0r€tt038 \n", "V4p0r€tt038"),
        ("clave: b|u€b€||19 \n", "b|u€b€||19"),
        ("password: £ondon2024!\n", "£ondon2024!"),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text:?}");
    }
    // A price after the keyword is no password, nor a sign among other symbols.
    for text in [
        "password reset fee: 12,50 €\n",
        "Passwort: 10€ pro Monat\n",
        "password: ★★★★★★\n",
    ] {
        assert_eq!(
            found(text, Entity::Password),
            Vec::<String>::new(),
            "{text:?}"
        );
    }
}

#[test]
fn a_login_named_for_its_owner_before_the_colon_is_a_pair() {
    for (text, want) in [
        (
            "EDC login for the coordinator: melissa.bokenkamp+hr@proton.me / Str00pw4f|85\n",
            "Str00pw4f|85",
        ),
        (
            "# Login fürs Portal: samuel.mangold@virginmedia.com / ULbBuZcxX00HwB | next",
            "ULbBuZcxX00HwB",
        ),
        (
            "Portal login for them: alicia+shop@hotmail.com / LwZrQ&CN@?0jnFZ / Birthday",
            "LwZrQ&CN@?0jnFZ",
        ),
        (
            "# acceso al portal: plinio_badia@example.co.uk / CIP000.oT0p0 |",
            "CIP000.oT0p0",
        ),
        // a password word further back still wins over the user word
        ("mdp du compte utilisateur : Tr0ub4dor&3\n", "Tr0ub4dor&3"),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text:?}");
    }
    // Look-alikes: no `/` and password after the user, a plain word after the `/`, a
    // sentence between the user word and the colon.
    for text in [
        "The user said to the team: see page 4 / section 2\n",
        "login for the coordinator: jane@example.com / pending\n",
        "User manual for the router: chapter 3 / appendix B\n",
        // (`Tr0ub4dor&3` here until the twentieth round: a word in leet is a password by its
        // shape, `pw_shape::leet_password`; the pair rule is what this pins.)
        "Login failed. Reason code: ERR_42 / falcon313\n",
    ] {
        assert_eq!(
            found(text, Entity::Password),
            Vec::<String>::new(),
            "{text:?}"
        );
    }
    // Windows' `cmdkey`: the password after `/pass:`, not with it.
    let text = "C:\\> cmdkey /add:fileserv02 /user:CORP\\linus /pass:HAR481ght-\nCMDKEY: done";
    assert_eq!(found(text, Entity::Password), vec!["HAR481ght-"]);
}

#[test]
fn a_password_reset_or_set_to_a_value_is_one() {
    for (text, want) in [
        (
            "# note: root pw was rotated; I reset it to KQVLe(MCVRU%\n",
            "KQVLe(MCVRU%",
        ),
        (
            "Kyle - \n I reset it to cerise.lampione.tortuga42 for now \n",
            "cerise.lampione.tortuga42",
        ),
        (
            r#"{"facts":["I've set it to Zeppelin132$","IMEI 1"]}"#,
            "Zeppelin132$",
        ),
        ("first-login I've set it to lxlAEAK0g0hZ\n", "lxlAEAK0g0hZ"),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text:?}");
    }
    // A setting set to a value, a reset to a default: no password.
    for text in [
        "I set it to 2048MB and restarted\n",
        "I reset it to default values\n",
        "we set it to DEBUG for now\n",
        "reset it to factory settings (v2)\n",
        "the offset it to 30s\n",
        "set it to 100ms\n",
    ] {
        assert_eq!(
            found(text, Entity::Password),
            Vec::<String>::new(),
            "{text:?}"
        );
    }
}

#[test]
fn an_array_key_and_an_arrow_separate_a_secret_from_its_name() {
    for (text, entity, want) in [
        (
            "pm = dynamic\nenv[DB_HOST] = 10.0.0.5\nenv[DB_PASSWORD] = lavande-lavande-brezel9\n",
            Entity::Password,
            "lavande-lavande-brezel9",
        ),
        (
            "$config = ['payment' => ['braintree' => ['private_key' => 'oxfWkpR_bz2dpXOYRxdIj7CxCZ0BC0wfibPBGp3iYsZ']]];",
            Entity::GenericSecret,
            "oxfWkpR_bz2dpXOYRxdIj7CxCZ0BC0wfibPBGp3iYsZ",
        ),
        (
            // (a bare `key` still needs the key rule's evidence: here the section-like
            // `[HY000]` of Magento's error)
            "SQLSTATE[HY000] [2002] Connection refused\napp/etc/env.php: password=lantaarn.2026\ncrypt key => TCccBAR5V4kdW-PNqcHF9OvmAmh_yCzoiL2EC2H9Whx2oEBbjxHqdlyra875rXI9\n",
            Entity::GenericSecret,
            "TCccBAR5V4kdW-PNqcHF9OvmAmh_yCzoiL2EC2H9Whx2oEBbjxHqdlyra875rXI9",
        ),
    ] {
        assert!(found(text, entity).contains(&want.to_string()), "{text:?}");
    }
    // Look-alikes: a Laravel validation rule, an array key naming no secret, a Ruby
    // hash's symbol that is a setting. (`'password' => 'required|…'` is still taken by the
    // prose rule, as before this round.)
    for text in [
        "$rules = ['email' => 'required|email', 'api_key' => 'required|string|size:32'];",
        "env[APP_ENV] = production\nenv[DB_NAME] = orders_2024\n",
        "validates :password, length: { minimum: 12 }\n",
    ] {
        assert_eq!(
            found(text, Entity::Password),
            Vec::<String>::new(),
            "{text:?}"
        );
        assert_eq!(
            found(text, Entity::GenericSecret),
            Vec::<String>::new(),
            "{text:?}"
        );
    }
}
