//! The fifteenth round's rules for passwords and secrets in free text (issue #20, part B):
//! each with the look-alikes it must leave alone.

use super::tests_support::{found, found_all, hits};
use super::*;

#[test]
fn keystore_password_flags() {
    for (text, want) in [
        (
            "$ keytool -list -v -keystore server.jks -storepass Anatnomart_019.\n",
            vec!["Anatnomart_019."],
        ),
        (
            "keytool -importkeystore -srckeystore old.p12 -srcstorepass heuschrecke-duinroos7 -destkeystore server.jks -deststorepass 'Lav4nde!x9'\n",
            vec!["heuschrecke-duinroos7", "Lav4nde!x9"],
        ),
        (
            "jarsigner -keystore rel.jks -storepass Tramontana9843! -keypass KSEIC_OMCtGGV app.apk rel\n",
            vec!["Tramontana9843!", "KSEIC_OMCtGGV"],
        ),
    ] {
        assert_eq!(found(text, Entity::Password), want, "{text}");
    }
    // Look-alikes: the password kept elsewhere, a variable, other words ending in `pass`.
    for text in [
        "keytool -list -keystore server.jks -storepass:env STORE_PASS\n",
        "keytool -list -keystore server.jks -storepass:file /run/secrets/ks\n",
        "keytool -list -keystore server.jks -storepass \"$KEYSTORE_PASSWORD\"\n",
        "keytool -list -keystore server.jks -storepass ${STORE_PASS}\n",
        "curl --bypass Proxy7Host-22 https://example.com\n",
        "the compass heading was Nord-West42 today\n",
        "they took the bypass Route-66b north\n",
    ] {
        assert!(found(text, Entity::Password).is_empty(), "{text}");
    }
}

#[test]
fn yaml_name_value_pairs() {
    for (text, entity, want) in [
        (
            "spec:\n  params:\n    - name: registry-password\n      value: Soorniud_135.\n    - name: git-token\n      value: 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\n    - name: password-rotation-days\n      value: \"30\"\n",
            Entity::Password,
            vec!["Soorniud_135."],
        ),
        (
            "        env:\n        - name: DB_PASSWORD\n          value: \"kanarie-alcachofa-pumpernickel9\"\n        - name: LOG_LEVEL\n          value: debug\n",
            Entity::Password,
            vec!["kanarie-alcachofa-pumpernickel9"],
        ),
        (
            "env:\n  - name: SESSION_SECRET\n    value: 9f8a7c6b5d4e3f2a1b0c9d8e7f6a5b4c\n",
            Entity::GenericSecret,
            vec!["9f8a7c6b5d4e3f2a1b0c9d8e7f6a5b4c"],
        ),
    ] {
        assert_eq!(found(text, entity), want, "{text}");
    }
    // Look-alikes: names of no secret, where a secret is kept, a value not under the name.
    for text in [
        "env:\n  - name: IMAGE_DIGEST\n    value: 9f8a7c6b5d4e3f2a1b0c9d8e7f6a5b4c\n",
        "env:\n  - name: DB_PASSWORD_FILE\n    value: /run/secrets/Db-Pass_2024\n",
        "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n",
        "params:\n  - name: db-password\n  - name: other\n    value: Soorniud_135.\n",
        "- name: DB_PASSWORD\n  description: the value: Soorniud_135.\n",
    ] {
        assert!(found(text, Entity::Password).is_empty(), "{text}");
        assert!(found(text, Entity::GenericSecret).is_empty(), "{text}");
    }
}

#[test]
fn make_assignments_and_python_bytes_literals() {
    for (text, entity, want) in [
        (
            "DB_URL ?= mysql://db:3306/shop\nHF_TOKEN := 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\n.PHONY: seed\n",
            Entity::GenericSecret,
            vec!["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"],
        ),
        (
            "\tapiToken := \"7aIieeyJEsIG97DmU6NTAoflAQXhlnvnigqp\"\n",
            Entity::GenericSecret,
            vec!["7aIieeyJEsIG97DmU6NTAoflAQXhlnvnigqp"],
        ),
        (
            "\tsecret := \"Ut4j9hDVHMF8LeCoHlm0unz3DzNom+u7T1sJw0ag\"\n",
            Entity::GenericSecret,
            vec!["Ut4j9hDVHMF8LeCoHlm0unz3DzNom+u7T1sJw0ag"],
        ),
        (
            "# instance/config.py\nSECRET_KEY = b'1f6e9fc5b4b96e2b5840b65547bcacc7d31c73b6b8ebbd61'\n",
            Entity::GenericSecret,
            vec!["1f6e9fc5b4b96e2b5840b65547bcacc7d31c73b6b8ebbd61"],
        ),
        (
            "DB_PASSWORD = b\"Tramontana9843!\"\n",
            Entity::Password,
            vec!["Tramontana9843!"],
        ),
    ] {
        assert_eq!(found(text, entity), want, "{text}");
    }
    // Look-alikes: a variable, a call, a placeholder, a short or low-entropy value, a word
    // starting with `b` or `r`.
    for text in [
        "HF_TOKEN := $(shell cat ~/.hf_token)\n",
        "HF_TOKEN := ${HF_TOKEN}\n",
        "SECRET_KEY = b'changeme'\n",
        "SECRET_KEY = os.environ['SECRET_KEY'].encode()\n",
        "token := r'xxxxxxxxxxxxxxxx'\n",
        "token_kind := bearer\n",
        "token: rotated\n",
    ] {
        assert!(found(text, Entity::GenericSecret).is_empty(), "{text}");
        assert!(found(text, Entity::Password).is_empty(), "{text}");
    }
}

#[test]
fn mapbox_public_tokens_are_no_secret() {
    // Look-alikes of a secret: Mapbox's public tokens, under a name or on a line naming Mapbox.
    for text in [
        "MAPBOX_TOKEN = 'pk.JItrDPsnupmDEibIzJGBd7mjfsCJDzgUPkDIqJIHcIlIkyP5zXVYd5KHn3lv'  # public token, fine\n",
        "mapboxgl.accessToken = \"pk.eyJ1IjoiZXhhbXBsZSIsImEiOiJjbDJ4eTNxZjMwMDFoM2xvZ2RkZ3Z6eHZ2In0.Qm9vdHN0cmFwcGVk\";\n",
    ] {
        assert!(found(text, Entity::GenericSecret).is_empty(), "{text}");
    }
    // Mapbox's secret tokens, and `pk.` under a name of no Mapbox, stay secrets.
    for (text, want) in [
        (
            "MAPBOX_TOKEN = 'sk.JItrDPsnupmDEibIzJGBd7mjfsCJDzgUPkDIqJIHcIlIkyP5zXVYd5KHn3lv'\n",
            "sk.JItrDPsnupmDEibIzJGBd7mjfsCJDzgUPkDIqJIHcIlIkyP5zXVYd5KHn3lv",
        ),
        (
            "DEPLOY_TOKEN = 'pk.JItrDPsnupmDEibIzJGBd7mjfsCJDzgUPkDIqJIHcIlIkyP5zXVYd5KHn3lv'\n",
            "pk.JItrDPsnupmDEibIzJGBd7mjfsCJDzgUPkDIqJIHcIlIkyP5zXVYd5KHn3lv",
        ),
    ] {
        assert_eq!(found(text, Entity::GenericSecret), vec![want], "{text}");
    }
}

#[test]
fn dash_before_a_password() {
    for (text, want) in [
        ("<Marie> Password \u{2014} mBs21>jRYG6T1\n", "mBs21>jRYG6T1"),
        ("[user] Password \u{2014} Brezel6178?\n", "Brezel6178?"),
        ("Passwort \u{2013} Kanarie5468%\n", "Kanarie5468%"),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}");
    }
    // Look-alikes: a dash before words, a dash inside a word.
    for text in [
        "the password \u{2014} which nobody wrote down \u{2014} expired\n",
        "Password \u{2014} see the vault entry\n",
        "password\u{2014}reset flow shipped in v2.3.1\n",
    ] {
        assert!(found(text, Entity::Password).is_empty(), "{text}");
    }
}

#[test]
fn az_variable_group_table() {
    let text = "$ az pipelines variable-group variable list --group-id 20 -o table\nName                  Is Secret    Value\n--------------------  -----------  ------------------------------\nsqlAdminPassword      False        narwhal6215?\nstorageKey            False        ivNtJmhl0Z8K0FiUu2hsffZ7VnlsTOHv9Dp+vo0x68cfJSBTrOYVw1NmsabhfN1tHsuSgLzi2gbBKKkDKay5oA==\ntenantId              False        42859094-750a-8e40-0886-03280b74b37f\npasswordExpiryDays    False        90\ngraphToken            True         None\n";
    assert_eq!(found(text, Entity::Password), vec!["narwhal6215?"]);
    assert_eq!(
        found(text, Entity::GenericSecret),
        vec!["ivNtJmhl0Z8K0FiUu2hsffZ7VnlsTOHv9Dp+vo0x68cfJSBTrOYVw1NmsabhfN1tHsuSgLzi2gbBKKkDKay5oA=="]
    );
    // Look-alikes: a secret variable's hidden value, a row of no password's name, a
    // sentence with a `False` in it.
    for text in [
        "Name              Is Secret    Value\nsqlAdminPassword  True         None\n",
        "Name              Is Secret    Value\nbuildConfig       False        Release-x64_v2\n",
        "adminPassword  False  means the check failed\n",
    ] {
        assert!(found(text, Entity::Password).is_empty(), "{text}");
        assert!(found(text, Entity::GenericSecret).is_empty(), "{text}");
    }
}

#[test]
fn answered_secret_prompts() {
    for (text, entity, want) in [
        (
            "$ npx wrangler secret put SESSION_HMAC\n\u{2714} Enter a secret value: \u{2026} hmac-Phk6F5B8mgQg12HiTNDrg2t8N2Synqv4gqq4Nf3o\n$ cat wrangler.toml\n",
            Entity::GenericSecret,
            "hmac-Phk6F5B8mgQg12HiTNDrg2t8N2Synqv4gqq4Nf3o",
        ),
        (
            "\u{2714} Enter a secret value: \u{2026} 19ab40814a9fc7733b08ef73d3ca6634\n",
            Entity::GenericSecret,
            "19ab40814a9fc7733b08ef73d3ca6634",
        ),
        (
            "\u{2714} Database password value: \u{2026} Tramontana9843!\n",
            Entity::Password,
            "Tramontana9843!",
        ),
    ] {
        assert_eq!(found(text, entity), vec![want], "{text}");
    }
    // Look-alikes: a prompt of no secret, an unanswered one, a masked answer.
    for text in [
        "\u{2714} Enter a default value: \u{2026} 19ab40814a9fc7733b08ef73d3ca6634\n",
        "? Enter a secret value: \u{203a}\n",
        "\u{2714} Enter a secret value: \u{2026} ********\n",
        "\u{2714} Enter a secret value: \u{2026} changeme\n",
    ] {
        assert!(found(text, Entity::GenericSecret).is_empty(), "{text}");
        assert!(found(text, Entity::Password).is_empty(), "{text}");
    }
}

#[test]
fn pdo_trace_after_access_denied() {
    let text = "[2026-12-13 09:37:53] production.ERROR: SQLSTATE[HY000] [1045] Access denied for user 'forge'@'10.0.0.7' (using password: YES) {\"exception\":\"[object] (PDOException(code: 1045)\"}\n#0 /home/forge/app/vendor/laravel/framework/src/Illuminate/Database/Connectors/Connector.php(65): PDO->__construct('mysql:host=10.0.0.7;port=3306;dbname=forge', 'forge', 'uOoXxwvdRv6v3J', Array)\n#1 {main}\n";
    assert_eq!(found(text, Entity::Password), vec!["uOoXxwvdRv6v3J"]);
    // Look-alikes: no password keyword before the frame, an empty or masked password, a
    // frame whose arguments PHP left out.
    for text in [
        "#0 Connector.php(65): PDO->__construct('mysql:host=db;dbname=forge', 'forge', 'uOoXxwvdRv6v3J', Array)\n",
        "Access denied for user 'forge'@'db' (using password: NO)\n#0 Connector.php(65): PDO->__construct('mysql:host=db;dbname=forge', 'forge', '', Array)\n",
        "Access denied for user 'forge'@'db' (using password: YES)\n#0 Connector.php(65): PDO->__construct('mysql:host=db;dbname=forge', 'forge', '********', Array)\n",
        "Access denied for user 'forge'@'db' (using password: YES)\n#0 Connector.php(65): PDO->__construct()\n",
    ] {
        assert!(found(text, Entity::Password).is_empty(), "{text}");
    }
}

/// `pass ` closing a text of 64 bytes or more (the prose searcher's Teddy path) sends the
/// byte after it — the text's end — to the anchor check: no panic, and nothing found there.
/// Found by slicing the splits' documents at random offsets (`ProxyPass ` at a slice's end).
#[test]
fn pass_and_a_blank_closing_the_text_is_no_anchor_past_its_end() {
    let head = "    RequestHeader set X-Trace \"abc\"\n    ProxyPreserveHost On\n";
    for tail in ["ProxyPass ", "wifi pass ", "PASS ", "Pass "] {
        let text = format!("{head}{tail}");
        assert!(text.len() >= 64, "{text}");
        assert!(found_all(&text, Entity::Password).is_empty(), "{text}");
        assert!(hits(&text).is_empty(), "{text}");
    }
}
