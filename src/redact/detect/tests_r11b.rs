//! The eleventh round's rules for secrets, passwords and placeholders (issue #20, part B):
//! each with the look-alikes it must leave alone.

use super::tests_support::{found, hits, json_findings};
use super::*;

/// The texts of the placeholder hits.
fn placeholders(text: &str) -> Vec<String> {
    hits(text)
        .into_iter()
        .filter(|(_, _, p)| *p)
        .map(|(_, s, _)| s)
        .collect()
}

#[test]
fn idempotency_tokens_are_no_secrets() {
    // AWS's `ClientRequestToken` (Secrets Manager, CloudFormation): a UUID the caller makes
    // up so that a retried request is not done twice.
    let body = r#"{"Name":"prod/app","VersionStage":"AWSCURRENT","ClientRequestToken":"8bbb63cd-245e-4d6d-ac30-accaa2ca03f9"}"#;
    assert_eq!(json_findings(body), vec![]);
    let body = r#"{"idempotency_token":"d5beddb3-e81b-405f-adcb-5dbc8152f483","amount":12}"#;
    assert_eq!(json_findings(body), vec![]);
    for text in [
        r#"{"VersionStage":"AWSCURRENT","ClientRequestToken":"8bbb63cd-245e-4d6d-ac30-accaa2ca03f9"}"#,
        "aws secretsmanager put-secret-value --client-request-token=df740c7e-d373-4e67-9fbb-919f7cfd33c2",
        "client_request_token: 300a3799-2cad-43aa-9a0c-428828fc1172",
        "GET /items?nextPageToken=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA",
    ] {
        assert_eq!(found(text, Entity::GenericSecret), Vec::<String>::new(), "{text}");
    }
    // Look-alikes: the tokens that are secrets stay found, in JSON and in text.
    let body = r#"{"RequestToken":"8bbb63cd-245e-4d6d-ac30-accaa2ca03f9","access_token":"x9Kq2LmP4vR8sT1wY6zB3nD5"}"#;
    assert_eq!(
        json_findings(body),
        vec![
            ("GENERIC_SECRET", "/RequestToken".to_string(), false),
            ("GENERIC_SECRET", "/access_token".to_string(), false)
        ]
    );
    for (text, want) in [
        ("ClientToken=Qx7Lm2Rt9Vb4Nc8Ws1Pz", "Qx7Lm2Rt9Vb4Nc8Ws1Pz"),
        (
            "refresh_token: 1//0gHx7Lm2Rt9Vb4Nc8Ws1Pz",
            "1//0gHx7Lm2Rt9Vb4Nc8Ws1Pz",
        ),
        (
            "X-Request-Token: 8bbb63cd-245e-4d6d-ac30-accaa2ca03f9",
            "8bbb63cd-245e-4d6d-ac30-accaa2ca03f9",
        ),
    ] {
        assert_eq!(found(text, Entity::GenericSecret), vec![want], "{text}");
    }
}

#[test]
fn license_and_signature_keys() {
    for (text, want) in [
        (
            "[web:vars]\nnewrelic_license_key=xIRLZ0DdJ9vsq9yUCAmwe/F3FCEQ+05r5vYIVDG6\nntp_server=pool.ntp.org\n",
            "xIRLZ0DdJ9vsq9yUCAmwe/F3FCEQ+05r5vYIVDG6",
        ),
        (
            "NEW_RELIC_LICENSE_KEY: 3bf8fe20aab566ece0d634f3bba4a64f1d7ec64c",
            "3bf8fe20aab566ece0d634f3bba4a64f1d7ec64c",
        ),
        (
            "POST https://hooks.internal/relay 401\nheader X-Signature-Key: 6fniL97liHJ2FNLP2AC4mz0A7kSaJRJ50IarVe3bLw94\n",
            "6fniL97liHJ2FNLP2AC4mz0A7kSaJRJ50IarVe3bLw94",
        ),
        (
            "curl -H 'X-Signature-Key: c8Qk6XyV70tm1oVxmSQ0pIeFdVz48eKdxTkp3WCYtabw' https://api.example.net",
            "c8Qk6XyV70tm1oVxmSQ0pIeFdVz48eKdxTkp3WCYtabw",
        ),
    ] {
        assert_eq!(found(text, Entity::GenericSecret), vec![want], "{text}");
    }
    // Look-alikes: the words without a value of a key's shape, a licence, a signature.
    for text in [
        "license: MIT\nlicense_file: LICENSE\n",
        "license_key: ${NEW_RELIC_LICENSE_KEY}\n",
        "license_key=your_license_key_here\n",
        "X-Signature: t=1712345678,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
        "signature_key: hmac\n",
    ] {
        assert_eq!(found(text, Entity::GenericSecret), Vec::<String>::new(), "{text}");
    }
    let body = r#"{"newrelic":{"license_key":"xIRLZ0DdJ9vsq9yUCAmwe/F3FCEQ+05r5vYIVDG6","app_name":"orders"}}"#;
    assert_eq!(
        json_findings(body),
        vec![("GENERIC_SECRET", "/newrelic/license_key".to_string(), false)]
    );
}

#[test]
fn references_code_and_ciphertext_are_no_secrets() {
    // A file URI under a secret-named key: where the key is kept, not the key.
    let body = r#"{"github":{"app_private_key":"file://keys/app.pem","installation_id":"4412"}}"#;
    assert_eq!(json_findings(body), vec![]);
    let body = r#"{"db":{"password":"op://Infra/postgres/password"}}"#;
    assert_eq!(json_findings(body), vec![]);
    let body = r#"{"fallback_token":"ENC[AES256_GCM,data:q9cX0mN4,iv:Zk1=,tag:Ab9=,type:str]"}"#;
    assert_eq!(json_findings(body), vec![]);
    for text in [
        // Code reading the key from the environment (a diff's removed line).
        "-STRIPE_API_KEY = os.environ['STRIPE_API_KEY']\n",
        "-STRIPE_API_KEY = os.environ[\"STRIPE_API_KEY\"]\n",
        "api_key = settings.config[\"stripe\"]\n",
        "token = os.getenv('GITHUB_TOKEN')\n",
        // SOPS ciphertext, quoted and not.
        "  fallback_token: \"ENC[AES256_GCM,data:…]\"\n",
        "  fallback_token: ENC[AES256_GCM,data:Qm9vcg==,iv:Zk1=,tag:Ab9=,type:str]\n",
        "db_password: ENC[AES256_GCM,data:Zm9vYmFyYmF6,iv:Zk1vYmFy,tag:QWJjZA==,type:str]\n",
    ] {
        assert!(
            found(text, Entity::GenericSecret).is_empty()
                && found(text, Entity::Password).is_empty(),
            "{text}: {:?}",
            hits(text)
        );
    }
    // Look-alikes: a value beside the code, a key under the same names.
    let body = r#"{"github":{"app_private_key":"keys/app.pem:Qx7Lm2Rt9Vb4Nc8Ws1Pz"}}"#;
    assert_eq!(
        json_findings(body),
        vec![(
            "GENERIC_SECRET",
            "/github/app_private_key".to_string(),
            false
        )]
    );
    for (text, want) in [
        (
            "+STRIPE_API_KEY = 'Qx7Lm2Rt9Vb4Nc8Ws1Pz3Kd'\n",
            "Qx7Lm2Rt9Vb4Nc8Ws1Pz3Kd",
        ),
        (
            "fallback_token: ENCx7Lm2Rt9Vb4Nc8Ws1Pz",
            "ENCx7Lm2Rt9Vb4Nc8Ws1Pz",
        ),
    ] {
        assert_eq!(found(text, Entity::GenericSecret), vec![want], "{text}");
    }
}

#[test]
fn short_vendor_placeholders_and_bearer_examples() {
    for (text, want) in [
        (
            "For local testing you can also use AIzaSy00000000000000000000000000000000.",
            "AIzaSy00000000000000000000000000000000",
        ),
        (
            "# sample value from the vendor docs: ghp_YourPersonalAccessTokenGoesHere0000\n",
            "ghp_YourPersonalAccessTokenGoesHere0000",
        ),
        (
            "    Authorization: Bearer AIzaSy00000000000000000000000000000000\n",
            "AIzaSy00000000000000000000000000000000",
        ),
        (
            "    Authorization: Bearer ghp_YourPersonalAccessTokenGoesHere0000\n",
            "ghp_YourPersonalAccessTokenGoesHere0000",
        ),
        (
            "    Authorization: Bearer wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        (
            "token ghp_YourTokenHere1234567890abcdefgh",
            "ghp_YourTokenHere1234567890abcdefgh",
        ),
    ] {
        assert_eq!(placeholders(text), vec![want], "{text}: {:?}", hits(text));
    }
    let body = r#"{"examples":{"aws_key_id":"AIzaSy00000000000000000000000000000000","note":"-"}}"#;
    assert_eq!(
        json_findings(body),
        vec![("GOOGLE_API_KEY", "/examples/aws_key_id".to_string(), true)]
    );
    // Look-alikes: real-shaped keys stay secrets; a short body of no placeholder's shape is
    // nothing; a Bearer token of random text is a secret.
    for (text, entity, want) in [
        (
            "key AIzaSyBx3kQ9vTn2LmP8wRz5YcH1uJd7fGs4eKa end",
            Entity::GoogleApiKey,
            "AIzaSyBx3kQ9vTn2LmP8wRz5YcH1uJd7fGs4eKa",
        ),
        (
            "token ghp_16C7e42F292c6912E7710c838347Ae178B4a here",
            Entity::GithubToken,
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        ),
        (
            "Authorization: Bearer 9fQx2LmZ7vR4kT8wY1bN3cD6hJ0pS5aE",
            Entity::GenericSecret,
            "9fQx2LmZ7vR4kT8wY1bN3cD6hJ0pS5aE",
        ),
    ] {
        assert_eq!(found(text, entity), vec![want], "{text}");
    }
    for text in [
        "key AIzaSyDaGmWKa4JsXZ-HjGw7ISLn end",
        "token ghp_16C7e42F292c6912E7710c83834 end",
        "look at ghp_HeroSection1234567 in the css",
    ] {
        assert_eq!(hits(text), vec![], "{text}");
    }
}

#[test]
fn api_keys_stated_in_prose() {
    for (text, want) in [
        (
            r#"{"message":"rejected request with api key KUDo4F3bzb7vRYfWim5BsEt3nLhS (PT2H7M)"}"#,
            "KUDo4F3bzb7vRYfWim5BsEt3nLhS",
        ),
        (
            "rejected request with api key 0ca793d68df095ae5c1949a292e975e7a52910cd99387ef047ef757bec03f47c (took 390 ms)",
            "0ca793d68df095ae5c1949a292e975e7a52910cd99387ef047ef757bec03f47c",
        ),
        (
            "rejected request with api key 97021e4f-2be4.3hCUTkEI3cIxS6XZcKnGrUj5Xj0KO4 (took 739 ms)",
            "97021e4f-2be4.3hCUTkEI3cIxS6XZcKnGrUj5Xj0KO4",
        ),
        (
            "Your API key: pO5ydkJo1SsJVIJh5YvdxjHsT4NQTEITk0El-EalSlb",
            "pO5ydkJo1SsJVIJh5YvdxjHsT4NQTEITk0El-EalSlb",
        ),
        ("the API Key is `Zq81LkRt0pWm4XvB2nC7`.", "Zq81LkRt0pWm4XvB2nC7"),
        ("API KEY = 'Zq81LkRt0pWm4XvB2nC7'", "Zq81LkRt0pWm4XvB2nC7"),
        ("api key Zq81LkRt0pWm4XvB2nC7", "Zq81LkRt0pWm4XvB2nC7"),
    ] {
        assert_eq!(found(text, Entity::GenericSecret), vec![want], "{text}: {:?}", hits(text));
    }
    // Look-alikes: words, short ids, placeholders, URLs, vendor keys (their own rule).
    for text in [
        "Please rotate your api key before Friday, the api key rotation is overdue.",
        "API key ID 4412 revoked",
        "The API key in the vault is the one to use.",
        "api key your_api_key_here",
        "api key ${STRIPE_API_KEY}",
        "api key https://console.example.com/keys/Zq81LkRt0pWm4XvB2nC7",
        "api keys Zq81LkRt0pWm4XvB2nC7",
        "the api key is required",
        "api key AIzaSyBx3kQ9vTn2LmP8wRz5YcH1uJd7fGs4eKa",
    ] {
        assert_eq!(
            found(text, Entity::GenericSecret),
            Vec::<String>::new(),
            "{text}"
        );
    }
    assert_eq!(
        found(
            "api key AIzaSyBx3kQ9vTn2LmP8wRz5YcH1uJd7fGs4eKa",
            Entity::GoogleApiKey
        ),
        vec!["AIzaSyBx3kQ9vTn2LmP8wRz5YcH1uJd7fGs4eKa"]
    );
}

#[test]
fn ini_settings_named_key() {
    for (text, want) in [
        (
            "[providers.internal]\nkey = \"bf8b9339-216d.w5rVtQP8Iwi4PMZ3Nn2GnrHgdgqsji\"\nrelease = \"v6.17.32\"\n",
            "bf8b9339-216d.w5rVtQP8Iwi4PMZ3Nn2GnrHgdgqsji",
        ),
        (
            "[providers.internal] ¶ key = 'bf8b9339-216d.w5rVtQP8Iwi4PMZ3Nn2GnrHgdgqsji' ¶ release = '2.10.3'",
            "bf8b9339-216d.w5rVtQP8Iwi4PMZ3Nn2GnrHgdgqsji",
        ),
        ("[aes]\nkey=9f86d081884c7d659a2feaa0c55ad015\n", "9f86d081884c7d659a2feaa0c55ad015"),
        (
            "[[servers]]\nname = \"eu\"\nkey = \"Qx7Lm2Rt9Vb4Nc8Ws1Pz3Kd\"\n",
            "Qx7Lm2Rt9Vb4Nc8Ws1Pz3Kd",
        ),
        (
            "[stripe]\n  key = sk9Qm2Lx7Rt4Vb8Nc1Ws5Pz\n",
            "sk9Qm2Lx7Rt4Vb8Nc1Ws5Pz",
        ),
    ] {
        assert_eq!(found(text, Entity::GenericSecret), vec![want], "{text}: {:?}", hits(text));
    }
    // Look-alikes: map keys (`key:`), names and paths, cache keys, code, short ids, a key
    // that ends another name.
    for text in [
        "- key: node-role.kubernetes.io/master\n  operator: Exists\n",
        "tolerations:\n- key: Qx7Lm2Rt9Vb4Nc8Ws1Pz3Kd\n",
        "key = \"app.settings.timeout_ms\"\n",
        "key = \"reports/2026/05/Q1-Summary-v2.csv\"\n",
        "key = \"user:1234567:profile:v2\"\n",
        "key = hashlib.sha256(Seed2024).hexdigest()\n",
        "key = \"ORD-2026-004512\"\n",
        "partition_key = \"Tenant42AccountPrimary2026\"\n",
        "sort-key=Tenant42AccountPrimary2026\n",
        "key = \"orders-service-primary-replica\"\n",
        "the cache key=2026-05-04T00:15:18Z\n",
        // Outside an INI/TOML section: any parameter (tenth round's look-alike).
        "key=Tr0ub4dorXY9kq2mZ8vLp",
        "key=9f86d081884c7d659a2feaa0c55ad015\n",
        "see config[0] key = Qx7Lm2Rt9Vb4Nc8Ws1Pz3Kd\n",
    ] {
        assert_eq!(
            found(text, Entity::GenericSecret),
            Vec::<String>::new(),
            "{text}"
        );
    }
    // The URL parameter's rule is unchanged.
    assert_eq!(
        found(
            "GET /maps?key=Qx7Lm2Rt9Vb4Nc8Ws1Pz&q=x",
            Entity::GenericSecret
        ),
        vec!["Qx7Lm2Rt9Vb4Nc8Ws1Pz"]
    );
    assert!(found("GET /v1/items?key=customer_name", Entity::GenericSecret).is_empty());
}

#[test]
fn card_codes_in_table_rows() {
    let tsv = "card_holder\tcard_number\tcvv\tamount\tstatus\n\
               Mercedes Riccardi\t4111 1111 1111 1111\t203\tEUR 67879,41\tcaptured\n\
               Dina Rossi\t5555-5555-5555-4444\t-\tEUR 12,00\tinvalid_number\n\
               Tara de Roo\t378282246310005\t3121\t\u{a3}474.81\tcaptured\n";
    assert_eq!(found(tsv, Entity::GenericSecret), vec!["203", "3121"]);
    assert_eq!(
        found(tsv, Entity::CreditCard),
        vec![
            "4111 1111 1111 1111",
            "5555-5555-5555-4444",
            "378282246310005"
        ]
    );
    // A log that flattened the lines and the tabs to blanks.
    let flat = "card_holder card_number cvv amount status \u{b6} Brandon Valencia 4242 4242 4242 4242 656 $46,357.00 captured \u{b6} Jari Miner 5555555555554444 416 CHF 4'567.84 captured";
    assert_eq!(found(flat, Entity::GenericSecret), vec!["656", "416"]);
    let csv = "\"name\",\"card_number\",\"cvc\",\"amount\"\n\"Ann Lee\",\"4111111111111111\",\"737\",\"12.50\"\n";
    // Quoted cells: the code is the cell's text.
    assert_eq!(found(csv, Entity::GenericSecret), vec!["737"]);
    let csv = "name,card_number,card_cvc,amount\nAnn Lee,4111111111111111,737,12.50\n";
    assert_eq!(found(csv, Entity::GenericSecret), vec!["737"]);
    // Look-alikes: another column after the card, amounts, expiries, a code column that is
    // not next to the card, no header.
    for text in [
        "card_holder\tcard_number\tamount\tstatus\nAnn Lee\t4111 1111 1111 1111\t203\tcaptured\n",
        "card_holder\tcard_number\tcvv\tamount\nAnn Lee\t4111 1111 1111 1111\t12/27\t203\n",
        "card_number,amount,cvv\n4111111111111111,120,737\n",
        "name card_number cvv amount\nAnn Lee 4111 1111 1111 1111 123.45 EUR\n",
        "Ann Lee 4111 1111 1111 1111 203 captured\n",
        "We never store the CVV. card 4111 1111 1111 1111 203 orders shipped\n",
    ] {
        assert_eq!(
            found(text, Entity::GenericSecret),
            Vec::<String>::new(),
            "{text}"
        );
    }
}

#[test]
fn password_keys_of_the_locales() {
    for (text, want) in [
        (
            "[alerts]\nsmtp_user=rico@example.com\nContrasenya=regenboog+papillon+61\n",
            "regenboog+papillon+61",
        ),
        (
            "[database]\nuser = \"ledger\"\nContrasenya = \"Mandarina.107!\"\n",
            "Mandarina.107!",
        ),
        (
            "    username: crm_app\n    Contrasenya: BAGU7646opus-\n",
            "BAGU7646opus-",
        ),
        (
            "[alerts]\nwachtw=Klomp_359*\nrecipients=x@example.com\n",
            "Klomp_359*",
        ),
        (
            "[database]\nuser = 'ledger'\nwachtw = 'OCTO5340lejo!'\n",
            "OCTO5340lejo!",
        ),
        ("    wachtw: Jxewek_dq03IX\n  mail:\n", "Jxewek_dq03IX"),
        (
            "    clave_acceso: Y7tZWh1SLHYnj9oI\n  mail:\n",
            "Y7tZWh1SLHYnj9oI",
        ),
        ("la clave de acceso: Kx7!pq2Lm\n", "Kx7!pq2Lm"),
        (
            "smtp_user=s@example.com\nparola_segreta=tortellini-octopus-88\n",
            "tortellini-octopus-88",
        ),
        (
            "[database]\nparola_segreta = \"R7f53V9cXJDqYi3R\"\n",
            "R7f53V9cXJDqYi3R",
        ),
        (
            "    username: crm_app\n    MotDePasse: aardbei+baguette-23\n",
            "aardbei+baguette-23",
        ),
        (
            "smtp_user=g@example.com\nMotDePasse=R3g3nb00g66\n",
            "R3g3nb00g66",
        ),
    ] {
        assert_eq!(
            found(text, Entity::Password),
            vec![want],
            "{text}: {:?}",
            hits(text)
        );
    }
    for (body, pointer) in [
        (
            r#"{"db":{"user":"svc_orders","Contrasenya":"Z9ULTX;Bo6xYy"}}"#,
            "/db/Contrasenya",
        ),
        (
            r#"{"sso":{"username":"alyssa","wachtw":"TORT0008boog%"}}"#,
            "/sso/wachtw",
        ),
        (
            r#"{"sso":{"username":"aura","clave_acceso":"p@p!ll0n59"}}"#,
            "/sso/clave_acceso",
        ),
        (
            r#"{"sso":{"username":"fredo","parola_segreta":"REGE7744stle%"}}"#,
            "/sso/parola_segreta",
        ),
        (
            r#"{"db":{"contrasenya_bd":"Z9ULTX;Bo6xYy"}}"#,
            "/db/contrasenya_bd",
        ),
    ] {
        assert_eq!(
            json_findings(body),
            vec![("PASSWORD", pointer.to_string(), false)],
            "{body}"
        );
    }
    // Look-alikes: the words in prose, settings about passwords, words that only start so.
    for text in [
        "La contrasenya ha de tenir 10 car\u{e0}cters.\n",
        "wachtwoorden: 12 tekens minimum\n",
        "wachtwacht: Kx7!pq2Lm\n",
        "clave_publica: MIIBIjANBgkqh\n",
        "la clave del \u{e9}xito: constancia\n",
        "parola_segreta_hint: il nome del gatto\n",
        "MotDePasseOublie: https://example.com/reset\n",
        "contrasenya_min_length=12\n",
    ] {
        assert_eq!(
            found(text, Entity::Password),
            Vec::<String>::new(),
            "{text}"
        );
    }
    for body in [
        r#"{"policy":{"contrasenya_min_length":12,"wachtw_hint":"de kat"}}"#,
        r#"{"clave_publica":"MIIBIjANBgkqh"}"#,
    ] {
        assert_eq!(json_findings(body), vec![], "{body}");
    }
}

#[test]
fn pgpass_lines_whose_user_ends_in_a_digit() {
    for (text, want) in [
        (
            "$ cat ~/.pgpass\ndb.prod.lan:5432:*:berend29:St0ll3n8\n$ cat ~/.aws/credentials\n",
            "St0ll3n8",
        ),
        (
            "$ cat ~/.pgpass \u{b6} warehouse:5432:*:max35:Kl0mp53 \u{b6} $ cat",
            "Kl0mp53",
        ),
        (
            "66.192.247.42:5432:*:andrew69:Zeppelin.850-\n",
            "Zeppelin.850-",
        ),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}");
    }
    // Look-alikes: times, MAC addresses, IPv6 addresses, ports.
    for text in [
        "2026-12-03T09:42:02.2649007Z warning: example\n",
        "at 10:15:30:45:12 the job restarted\n",
        "mac 3c:36:b9:0c:2c:8a up\n",
        "host db.prod.lan:5432:orders:report1:\n",
        "listen [2a01:bee:8a00:8659::7fd9]:443\n",
    ] {
        assert_eq!(
            found(text, Entity::Password),
            Vec::<String>::new(),
            "{text}"
        );
    }
}

#[test]
fn wifi_keys_in_german_and_french() {
    for (text, want) in [
        ("B\u{fc}ro-Infos\nWLAN/Wi-Fi: Kantoor-Gast\nWLAN-Schl\u{fc}ssel: E!chh0rn32\nEmpfang: +4915126756506\n", "E!chh0rn32"),
        ("Infos bureau\nWLAN/Wi-Fi: Ufficio-Ospiti\nCl\u{e9} Wi-Fi : Z0kFOp]0Hj0P9\nAccueil : 01 20 06 34 12\n", "Z0kFOp]0Hj0P9"),
        ("CL\u{c9} WPA: PTyNEApPZV1kdkYo\n", "PTyNEApPZV1kdkYo"),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}: {:?}", hits(text));
    }
    for text in [
        "Schl\u{fc}ssel: im Briefkasten\n",
        "Schl\u{fc}ssel: A17-42\n",
        "cl\u{e9} USB: K3y-2024!x\n",
        "la cl\u{e9} : sous le paillasson\n",
    ] {
        assert_eq!(
            found(text, Entity::Password),
            Vec::<String>::new(),
            "{text}"
        );
    }
}
