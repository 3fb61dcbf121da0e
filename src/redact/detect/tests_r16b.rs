//! The sixteenth round's rules for passwords and secrets in free text (issue #20, part B):
//! each with the look-alikes it must leave alone.

use super::tests_support::{found, found_all, hits};
use super::*;

#[test]
fn short_sk_tokens_are_no_openai_keys() {
    // LiteLLM's proxy key (`sk-` and 22 bytes): a GENERIC_SECRET by its key's name.
    let text = "general_settings:\n  master_key: sk-sB83gFmUmDc6eQidUusR8f\n  database_url: postgresql://db/litellm\n";
    assert!(found_all(text, Entity::OpenaiKey).is_empty(), "{text}");
    assert_eq!(
        found(text, Entity::GenericSecret),
        vec!["sk-sB83gFmUmDc6eQidUusR8f"]
    );
    // OpenAI's own keys stay theirs: 48 bytes after `sk-`, or a project's key.
    for text in [
        "OPENAI_API_KEY=sk-Q7fV2mX9kL4pR8tZ1wB6yN3cJ5hD0gS2aE7uI9oP4lK8jH6v\n",
        "export OPENAI_API_KEY=sk-proj-abc123DEF456ghi789JKL012\n",
        "master_key: sk-Q7fV2mX9kL4pR8tZ1wB6yN3cJ5hD0gS2aE7uI9oP4lK8jH6v\n",
    ] {
        assert_eq!(found(text, Entity::OpenaiKey).len(), 1, "{text}");
        assert!(found(text, Entity::GenericSecret).is_empty(), "{text}");
    }
    // A short `sk-` word with no key's name before it is nothing.
    for text in [
        "see sk-learn docs for sk-Xw9LmQ2rT5vB8nK1pZ4cF7 samples\n",
        "the sku sk-2024-winter-collection-red is out\n",
    ] {
        assert!(found_all(text, Entity::OpenaiKey).is_empty(), "{text}");
    }
}

#[test]
fn xml_password_elements() {
    for (text, want) in [
        (
            "<UserAccounts><AdministratorPassword><Value>LIG645_cSpzF</Value><PlainText>true</PlainText></AdministratorPassword>",
            vec!["LIG645_cSpzF"],
        ),
        (
            "<AutoLogon><Username>svc_deploy</Username><Password><Value>BER150.hWayv</Value></Password></AutoLogon>\n  <RegisteredOrganization>Talleres</RegisteredOrganization>",
            vec!["BER150.hWayv"],
        ),
        ("<password>Tr0ub4dor&amp;3x</password>", vec!["Tr0ub4dor&amp;3x"]),
    ] {
        assert_eq!(found(text, Entity::Password), want, "{text}");
    }
    // Look-alikes: a closing tag, unattend's configuration passes, an element of another
    // name ending in `pass`, a placeholder, an empty element.
    for text in [
        "<unattend xmlns=\"urn:schemas-microsoft-com:unattend\">\n <settings pass=\"oobeSystem\"><component name=\"Microsoft-Windows-Shell-Setup\">",
        "<settings pass=\"specialize\">\n",
        "</Value></Password></AutoLogon>\n  <RegisteredOrganization>Talleres</RegisteredOrganization>",
        "<bypass>Proxy7Host-22</bypass>",
        "<Compass>Nord-West42</Compass>",
        "<Password><Value>${ADMIN_PW}</Value></Password>",
        "<Password></Password>\n<Name>x</Name>",
        "<AdministratorPassword><Value></Value><PlainText>false</PlainText>",
    ] {
        assert!(found(text, Entity::Password).is_empty(), "{text}: {:?}", hits(text));
    }
}

#[test]
fn secrets_and_tokens_named_in_prose() {
    for (text, want) in [
        (
            "2026-11-27 04:26:15 - webhook secret set: whsec_Uee6Rara44rFJGFXKdYGLr94xfNNH7GU restricted key pending\n",
            "whsec_Uee6Rara44rFJGFXKdYGLr94xfNNH7GU",
        ),
        (
            "> Ready! Your webhook signing secret is sec_Dm9eoA1ZOEXLL77HZllOsmljpqxxX2DFpS85zgQR (^C to quit)\n",
            "sec_Dm9eoA1ZOEXLL77HZllOsmljpqxxX2DFpS85zgQR",
        ),
        (
            "rotated today; new service-account token glsa_3YljOiIBvSzrwCzMNElMkdrlRNwuKa0Z_8d258813 is in vault\n",
            "glsa_3YljOiIBvSzrwCzMNElMkdrlRNwuKa0Z_8d258813",
        ),
        (
            "build 4411 · auth token 3bb574acf4d6419d435c91a7bbf960a748fc7758\n",
            "3bb574acf4d6419d435c91a7bbf960a748fc7758",
        ),
        (
            "GET /v2/orders returned 401; token in header was nK5Fohj23pC2rkz_3Sa0jyARMxBwlhij1kVT8vJC\n",
            "nK5Fohj23pC2rkz_3Sa0jyARMxBwlhij1kVT8vJC",
        ),
        (
            "here is the key I sent; API key for the sandbox: fE2td3UmhQAbpUzOEYYdf3eNJFg5gx3qQpel1nPnwS4\n",
            "fE2td3UmhQAbpUzOEYYdf3eNJFg5gx3qQpel1nPnwS4",
        ),
        (
            "Token => Qm9sdF9hcGlfdjJfN2Y0YjE5ZDhjYTQ2\n",
            "Qm9sdF9hcGlfdjJfN2Y0YjE5ZDhjYTQ2",
        ),
    ] {
        assert_eq!(found(text, Entity::GenericSecret), vec![want], "{text}");
    }
    // A key rule's value stays that rule's (not the flag before it); look-alikes: dates,
    // digests, words, a URL, words ending in `token`/`secret`, a vendor's own shape.
    assert_eq!(
        found(
            "$ kubectl create secret generic api --from-literal=API_KEY=26ae10a8762010901f5d81fd58bdd7b683da237fac8d8ea6d79f876fca6eef4a\n",
            Entity::GenericSecret
        ),
        vec!["26ae10a8762010901f5d81fd58bdd7b683da237fac8d8ea6d79f876fca6eef4a"]
    );
    for text in [
        "the refresh token expires 2026-01-01T00:00:00Z unless renewed\n",
        "image token sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n",
        "  request.client_token = hmac-sha256:65832dd8b4de8c311867d20fd2c1693e878076c72e6b47251027602cc7\n",
        "token = hmac-sha256:65832dd8b4de8c311867d20fd2c1693e878076c72e6b47251027602cc7\n",
        "the secret sauce is patience and PracticeMakesPerfect\n",
        "secret santa draw for the team is on Friday\n",
        "token endpoint https://login.example.com/oauth2/v2.0/token?tenant=Contoso01\n",
        "a broken Pipeline7Stage4Runner job\n",
        "the mytoken A1b2C3d4E5f6G7h8J9k0 variable\n",
        "the api key rotation is scheduled for 2026-03-01\n",
        "API key ID 42 was revoked\n",
    ] {
        assert!(found(text, Entity::GenericSecret).is_empty(), "{text}: {:?}", hits(text));
    }
    assert_eq!(
        found(
            "session token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\n",
            Entity::Jwt
        )
        .len(),
        1
    );
}

#[test]
fn password_after_an_address_and_a_slash() {
    for (text, want) in [
        (
            "Thanks for the PO.\nPortal login for them: payroll@hermans-srl.nl / AR8033gqv?\n",
            "AR8033gqv?",
        ),
        (
            "Identifiants du portail : emarchal@proton.me / gG5cc8jN0OXmYgwMdoqD537o\n",
            "gG5cc8jN0OXmYgwMdoqD537o",
        ),
        (
            "creds for the portal: an.hill+esign@fjord-analytics.no / Krokus9657.",
            "Krokus9657.",
        ),
        (
            "login: rafael.lorch+shop@outlook.com / berenjena-kiwano-krokus-lighthouse0\r\n",
            "berenjena-kiwano-krokus-lighthouse0",
        ),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}");
        assert_eq!(found(text, Entity::Email).len(), 1, "{text}");
    }
    // Look-alikes: a phone number, a second address, a name, words going on after it.
    for text in [
        "Customer: botellaaitor@servicios.org / +34612737071\n",
        "Contact: cmendoza@concepcion.es / 810.47.33.29\n",
        "Questions : m.faivre@hotmail.co.uk / 06-12-31-83-50\n",
        "cc: alice@example.com / bob@example.org\n",
        "Owner: sales@example.com / Support\n",
        "mail hr@example.com / Ticket4411 for the form, thanks\n",
        "Contact: ana@example.es / 2024-05-01\n",
    ] {
        assert!(
            found(text, Entity::Password).is_empty(),
            "{text}: {:?}",
            hits(text)
        );
    }
}

#[test]
fn cisco_ios_keys_communities_and_passwords() {
    let config = "hostname edge-rtr-02\n!\nusername netops privilege 15 password 0 medusa-molenwiek-hagebutte-lantaarn4\n!\ninterface Ethernet1/1\n ip address 10.20.30.1 255.255.255.0\n!\nsnmp-server community DEh2SnYDVEfXsZZmpclnsuY3jVYWS1y2311cl0fR9HXGLm6BYK2f-cMjOKIJxqfV RO\ntacacs server ISE\n address ipv4 172.20.102.103\n key 0 c9pOC4c3~mxFZ3_E1dl8BrDrnIUhL.lRAmtRQ4Y6q\n! build 91385645.30\nend\n";
    assert_eq!(
        found(config, Entity::Password),
        vec!["medusa-molenwiek-hagebutte-lantaarn4"]
    );
    assert_eq!(
        found(config, Entity::GenericSecret),
        vec![
            "DEh2SnYDVEfXsZZmpclnsuY3jVYWS1y2311cl0fR9HXGLm6BYK2f-cMjOKIJxqfV",
            "c9pOC4c3~mxFZ3_E1dl8BrDrnIUhL.lRAmtRQ4Y6q"
        ]
    );
    assert_eq!(
        found(" key 7 0822455D0A1606181C1B0D1739\n", Entity::GenericSecret),
        vec!["0822455D0A1606181C1B0D1739"]
    );
    // IOS takes the rest of the line: a final `.` belongs to the value.
    assert_eq!(
        found(
            "username netops privilege 15 password 0 Hagebutte8237.\n key 0 IF347LlD~BPiCiBciJ0amkHTNFm.swAcRfM4a0Za.\n",
            Entity::Password
        ),
        vec!["Hagebutte8237."]
    );
    assert_eq!(
        found(
            " key 0 IF347LlD~BPiCiBciJ0amkHTNFm.swAcRfM4a0Za.\n",
            Entity::GenericSecret
        ),
        vec!["IF347LlD~BPiCiBciJ0amkHTNFm.swAcRfM4a0Za."]
    );
    // Look-alikes: the usual short communities, a counter after `password 0`, other words.
    for text in [
        "snmp-server community public RO\nsnmp-server community private RW\n",
        "password 0 attempts left before lockout\n",
        "press hotkey 0 to reset the Device9Settings4Panel\n",
        "the community forum thread 8f3aKq9ZpL2mXw7RtY4v is locked\n",
        "password 7 days before expiry\n",
    ] {
        assert!(
            found(text, Entity::GenericSecret).is_empty(),
            "{text}: {:?}",
            hits(text)
        );
        assert!(
            found(text, Entity::Password).is_empty(),
            "{text}: {:?}",
            hits(text)
        );
    }
}

#[test]
fn sql_passwords() {
    for (text, want) in [
        (
            "mysql> CREATE USER 'report'@'%' IDENTIFIED BY 'qbcy14AEX^etg';\nQuery OK, 0 rows affected\n",
            "qbcy14AEX^etg",
        ),
        (
            "ALTER USER 'app'@'localhost' IDENTIFIED WITH caching_sha2_password BY 'Tr4mont4na!x';\n",
            "Tr4mont4na!x",
        ),
        ("SQL> create user scott identified by Tiger2024x;\n", "Tiger2024x"),
        (
            "INSERT INTO users (name) VALUES ('ana');\nUPDATE users SET password = crypt('EO0621lgq*', gen_salt('bf')) WHERE id = 7;\n",
            "EO0621lgq*",
        ),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}");
    }
    // Look-alikes: a stored hash, a placeholder, a column compared with a hash of itself.
    for text in [
        "CREATE USER 'u'@'%' IDENTIFIED BY PASSWORD '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9';\n",
        "CREATE USER 'u'@'%' IDENTIFIED WITH mysql_native_password AS '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9';\n",
        "CREATE USER 'u'@'%' IDENTIFIED BY '<password>';\n",
        "the user is identified by email address\n",
        "UPDATE users SET password = crypt('', gen_salt('bf'));\n",
    ] {
        assert!(found(text, Entity::Password).is_empty(), "{text}: {:?}", hits(text));
    }
}

#[test]
fn tokens_where_a_password_goes() {
    for (text, want) in [
        (
            "$ cat ~/.git-credentials\nhttps://oauth2:glpat-JJCoFSA4EFNGwNIe7MUF@gitlab.corp.example\n",
            "glpat-JJCoFSA4EFNGwNIe7MUF",
        ),
        (
            "git clone https://gitlab-ci-token:8e70ef8651b0102ca1f4659cc662d83f@gitlab.example.com/g/p.git\n",
            "8e70ef8651b0102ca1f4659cc662d83f",
        ),
        (
            "    basicAuth: true\n    basicAuthUser: 854420\n    secureJsonData:\n      basicAuthPassword: glc_ONd9WDDhhSpVirOUf-BZYkfMfmO4J7OObNICMcJa1Edvh4MIzXmpKs4gIcZG\n",
            "glc_ONd9WDDhhSpVirOUf-BZYkfMfmO4J7OObNICMcJa1Edvh4MIzXmpKs4gIcZG",
        ),
    ] {
        assert_eq!(found(text, Entity::GenericSecret), vec![want], "{text}");
        assert!(found(text, Entity::Password).is_empty(), "{text}");
    }
    // A person's password in a URL or a field stays a password, `glc` words too.
    for (text, want) in [
        (
            "DATABASE_URL=postgres://app:7cl_97r_2L8uNitB@db.internal:5432/app\n",
            "7cl_97r_2L8uNitB",
        ),
        ("password: glc_Summer2024!\n", "glc_Summer2024!"),
        (
            "https://oauth:Tr0ub4dor-x9@legacy.example.com/\n",
            "Tr0ub4dor-x9",
        ),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}");
    }
}

#[test]
fn http_basic_credentials() {
    let basic = "cGstbGYtOWE1ZGM4OTAtYmRiYS00Yjg3LWE5YzktOGNjYmNmYTEwM2QzOnNrLWxmLTE0MTk2NGEwLTE5ZmYtNDRmNi1iMGU5LTJjNWFiMjdjMTgyMQ==";
    for text in [
        format!(
            "  otlphttp/langfuse:\n    headers:\n      Authorization: Basic {basic}\nservice:\n"
        ),
        format!("curl -H 'Authorization: basic {basic}' https://cloud.example.com/api\n"),
        // `admin:Tr0ub4dor&3`.
        "AUTHORIZATION: BASIC YWRtaW46VHIwdWI0ZG9yJjM=\n".to_string(),
    ] {
        assert_eq!(found(&text, Entity::GenericSecret).len(), 1, "{text}");
    }
    // Look-alikes: the word in a sentence, base64 of text with no `:`, a placeholder.
    for text in [
        "basic Configuration1234567890 of the service\n",
        "Basic SGVsbG8gV29ybGQgZnJvbSB0aGUgdGVzdHM=\n",
        "Authorization: Basic <base64 of user:password>\n",
        "the basic auth header is built at runtime\n",
    ] {
        assert!(
            found(text, Entity::GenericSecret).is_empty(),
            "{text}: {:?}",
            hits(text)
        );
    }
}

#[test]
fn keys_named_by_their_service() {
    for (text, want) in [
        (
            "2025-01-14T12:01:40.6125319Z DEBUG env: DEPLOY_KEY=baePntupZ7Np3J61pqIgsWob\n",
            "baePntupZ7Np3J61pqIgsWob",
        ),
        (
            "AzureWebJobsStorage=DefaultEndpointsProtocol=https;AccountName=rvqmcipbkx;AccountKey=L21WjELJSxMOj9Y9TQ9MHqxrdCQnrRnuuEb2vua5f3jbLzzJTvqn2mkp6hUUe+sbCQrpi8Cqymi3XBC8wZk7iQ==;EndpointSuffix=core.windows.net\n",
            "L21WjELJSxMOj9Y9TQ9MHqxrdCQnrRnuuEb2vua5f3jbLzzJTvqn2mkp6hUUe+sbCQrpi8Cqymi3XBC8wZk7iQ==",
        ),
        (
            "[Peer]\nPublicKey = dsvU2u1Qox8NQs9xymG8y7daBZoYYY6em3yWgPn4AN4=\nPresharedKey = GIouYIzreNQ4LDEfR0S4O/kAlXpEiR64J6mvng+o56Q=\nEndpoint = 94.1.2.3:51820\n",
            "GIouYIzreNQ4LDEfR0S4O/kAlXpEiR64J6mvng+o56Q=",
        ),
    ] {
        assert_eq!(found(text, Entity::GenericSecret), vec![want], "{text}");
    }
    // Look-alikes: public keys, bookkeeping keys, paths, low-entropy names, URL parameters.
    for text in [
        "VAPID_PUBLIC_KEY=BEl62iUYgUivxIkv69yViEuiBIa40HI80NM9LUnlCr3nQYyCVPeJk1Z6Ua8vUjEBfHX3rGzyJ5iAp3XVtvzTbpk\n",
        "RECAPTCHA_SITE_KEY=6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI\n",
        "idempotency_key=4cbd87ad-5c90-4958-b403-e430ec66a787\n",
        "PartitionKey=Tenant4Orders2026Q1Shard7\n",
        "CACHE_KEY=Ab12Cd34Ef56Gh78Ij90Kl12\n",
        "vapidPublicKey=BEl62iUYgUivxIkv69yViEuiBIa40HI80NM9LUnlCr3nQYyCVPeJk1Z6Ua8vUjEBfHX3rGzyJ5iAp3XVtvzTbpk\n",
        "ssh_host_key=AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n",
        "DEPLOY_KEY=keys/deploy_ed25519.pem\n",
        "tls_key=managed-by-cert-manager-in-cluster\n",
        "https://maps.example.com/api?sort=asc&cache_key=Ab12Cd34Ef56Gh78Ij90\n",
    ] {
        assert!(found(text, Entity::GenericSecret).is_empty(), "{text}: {:?}", hits(text));
    }
}

#[test]
fn pass_after_the_user_in_an_object() {
    for (text, want) in [
        (
            "{\n  \"smtp\": { \"user\": \"Ninobal92@northwind-logistics.com\", \"pass\": \"Kompass123_\" },\n  \"twilio\": { \"from\": \"+39 312 027 5507\" }\n}\n",
            "Kompass123_",
        ),
        (
            "transporter = nodemailer.createTransport({ host: 'smtp.example.com', auth: { user: 'ops', 'pass': 'heidelbeere.trinidad.mandarino98' } });\n",
            "heidelbeere.trinidad.mandarino98",
        ),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}");
    }
    // Look-alikes: a pass of another kind (no user member before it in its object).
    for text in [
        "{ \"flight\": \"LH 441\", \"pass\": \"B12-Gate4x\" }\n",
        "{ \"user\": \"ana\" }, { \"pass\": \"Seat14C-x9\" }\n",
        "{ \"username_policy\": \"strict\", \"pass\": \"Round2-Step7\" }\n",
    ] {
        assert!(
            found(text, Entity::Password).is_empty(),
            "{text}: {:?}",
            hits(text)
        );
    }
}

#[test]
fn passwords_to_log_in_with() {
    for (text, want) in [
        (
            "* laptop login: linda, you can log in with Kolibri1586!\n* VPN gateway: vpn.example.com\n",
            "Kolibri1586!",
        ),
        (
            "[user] my e-mail is sbyrne@gmx.net\n[user] login with DUiNRoOs#91 and change it later\n",
            "DUiNRoOs#91",
        ),
        (
            "- Initial SSO login with VW2233dnru% until Monday\n",
            "VW2233dnru%",
        ),
        ("Sign in with Tr0ub4dor-x9 once, then reset.\n", "Tr0ub4dor-x9"),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}");
    }
    for text in [
        "You can log in with Google or with your e-mail address.\n",
        "login with your badge number 4411 at the kiosk\n",
        "Sign in with SSO2 from the portal\n",
        "the plugin with OAuth2 support\n",
    ] {
        assert!(
            found(text, Entity::Password).is_empty(),
            "{text}: {:?}",
            hits(text)
        );
    }
}

#[test]
fn a_table_column_named_secret() {
    let table = "# Runbook: billing-api\n\n| System | User | Secret | Notes |\n|---|---|---|---|\n| Postgres | app | salamandra-sorbetto-fjord3 | secret_store=aws-secretsmanager |\n| Redis | app | Papaver188* | db 0 |\n| SMTP relay | gabriele.finzi@bouwbedrijf-smit.nl | RgDvp!821iyP | port 587 |\n| Vendor API | - | cs_1i3nyAt2bAZYC8AXL1PYK8J6FE08PGWc | build 4329.4 |\n| Session | - | s%3AZQ9kHfqw1P656ISMjX1Ur5eFdla6JHoL | cookie |\n| Maps | - | AIzaSyFTdNI7XTrBIbZuEPTIv7oKD6J4rq-n40K | 3.20.6-beta.1 |\n| Legacy | ops | - | retired |\n| Vault | ops | ******** | sealed |\n";
    assert_eq!(
        found(table, Entity::Password),
        vec!["salamandra-sorbetto-fjord3", "Papaver188*", "RgDvp!821iyP"]
    );
    assert_eq!(
        found(table, Entity::GenericSecret),
        vec![
            "cs_1i3nyAt2bAZYC8AXL1PYK8J6FE08PGWc",
            "s%3AZQ9kHfqw1P656ISMjX1Ur5eFdla6JHoL"
        ]
    );
    assert_eq!(found(table, Entity::GoogleApiKey).len(), 1);
    // Look-alikes: a column about secrets, not of them; words in a secret column.
    let other =
        "| Secret store | Rotation |\n|---|---|\n| aws-secretsmanager | Every90Days2026 |\n";
    assert!(
        found(other, Entity::Password).is_empty(),
        "{:?}",
        hits(other)
    );
    let words = "| Name | Secret |\n|---|---|\n| db | stored in vault |\n| api | n/a |\n";
    assert!(hits(words).is_empty(), "{:?}", hits(words));
}

#[test]
fn redis_passwords() {
    let session = "$ redis-cli -h 78.20.128.93 -p 6379\nredis> AUTH pfefferminz-fjord-sprookje4\nOK\nredis> CONFIG GET requirepass\n1) \"requirepass\"\n2) \"HR!~5VS9n385Uy-MjMKIgHL~\"\nredis> TTL ratelimit:163828650\n(integer) 766\n";
    assert_eq!(
        found(session, Entity::Password),
        vec!["pfefferminz-fjord-sprookje4", "HR!~5VS9n385Uy-MjMKIgHL~"]
    );
    for (text, want) in [
        (
            "127.0.0.1:6379> AUTH default Tr0ub4dor-x9\nOK\n",
            "Tr0ub4dor-x9",
        ),
        (
            "# redis.conf\nrequirepass Kx7!mQ2pZr9w\nmaxmemory 2gb\n",
            "Kx7!mQ2pZr9w",
        ),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}");
    }
    for text in [
        "redis> CONFIG GET requirepass\n1) \"requirepass\"\n2) \"\"\n",
        "# requirepass foobared\n",
        "> AUTH headers are sent by the client9Library2 module\n",
        "requirepass_file /run/secrets/redis\n",
    ] {
        assert!(
            found(text, Entity::Password).is_empty(),
            "{text}: {:?}",
            hits(text)
        );
    }
}

#[test]
fn pass_elements_of_config_files() {
    for (text, want) in [
        (
            "<Server>\n   <User>segreteria@xs4all.nl</User>\n   <Pass encoding=\"base64\">TEFOMTMwXWkxaGlv</Pass>\n   <Name>NAS</Name>",
            "TEFOMTMwXWkxaGlv",
        ),
        ("<Server><Pass>Kx7!mQ2pZr9w</Pass></Server>", "Kx7!mQ2pZr9w"),
        (
            "<SONRQ><USERID>billing@att.net\n<USERPASS>harbour.2026!\n</SONRQ>",
            "harbour.2026!",
        ),
        (
            "<SONRQ> | <USERID>billing@att.net | <USERPASS>MED266!LKOnL | </SONRQ>",
            "MED266!LKOnL",
        ),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}");
    }
    for text in [
        "<Pass encoding=\"base64\"></Pass>\n",
        "<Pass>yes</Pass>\n",
        "<USERPASS>\n</SONRQ>",
    ] {
        assert!(
            found(text, Entity::Password).is_empty(),
            "{text}: {:?}",
            hits(text)
        );
    }
}
