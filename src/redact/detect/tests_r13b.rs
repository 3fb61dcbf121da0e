//! The thirteenth round's rules for secrets and passwords in free text (issue #20, part B):
//! each with the look-alikes it must leave alone.

use super::tests_support::found;
use super::*;

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

fn gs(text: &str) -> Vec<String> {
    found(text, Entity::GenericSecret)
}

#[test]
fn aws_cli_text_credentials() {
    let text = "$ aws sts get-session-token --duration-seconds 3600 --output text\nCREDENTIALS\tAKIAXQSXVKK6MFQQXY55\t2026-12-10T04:42:00+00:00\ttpdyPM9GpgCSn847uDj3RRid5Y67FIcNWX6fDCO8\tIQoJb3JpZ2luX2VjM4Es0ePToLXWhzsGrQNk2Yf3hvtcjfIOVMvspEWvRv0lJrrhq9FknZ1ZYJd/QaBbqBzA1GhLQZdXvAxiFATEmGOZyEdPQKLc5MmdC4xjbFj0lkkVE2VapfrIfatT5LZ4cxmW929vegPBpr58VdupGFr5Gb2z\n";
    assert_eq!(
        gs(text),
        vec![
            "tpdyPM9GpgCSn847uDj3RRid5Y67FIcNWX6fDCO8".to_string(),
            "IQoJb3JpZ2luX2VjM4Es0ePToLXWhzsGrQNk2Yf3hvtcjfIOVMvspEWvRv0lJrrhq9FknZ1ZYJd/QaBbqBzA1GhLQZdXvAxiFATEmGOZyEdPQKLc5MmdC4xjbFj0lkkVE2VapfrIfatT5LZ4cxmW929vegPBpr58VdupGFr5Gb2z".to_string(),
        ]
    );
    assert_eq!(
        found(text, Entity::AwsAccessKey),
        vec!["AKIAXQSXVKK6MFQQXY55".to_string()]
    );
    // Look-alikes: a key id in a TSV report (no expiration column after it), an access-key
    // listing (`list-access-keys --output text`: a status and a date, no secret).
    for text in [
        "USER\tAKIAXQSXVKK6MFQQXY55\talice\tActive\n",
        "ACCESSKEYMETADATA\tAKIAXQSXVKK6MFQQXY55\t2024-01-02T10:00:00Z\tActive\talice\n",
    ] {
        assert_eq!(gs(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn postfix_sasl_passwd() {
    let text = "# /etc/postfix/sasl_passwd\n[smtp.office365.com]:587 maike.haering+kids@orange.fr:Mol_6560EN\n# postmap /etc/postfix/sasl_passwd\n";
    assert_eq!(pw(text), vec!["Mol_6560EN".to_string()]);
    assert_eq!(
        found(text, Entity::Email),
        vec!["maike.haering+kids@orange.fr".to_string()]
    );
    assert_eq!(
        pw("smtp.mailgun.org:587   ops@example-shop.de:Granada.croissant40\n"),
        vec!["Granada.croissant40".to_string()]
    );
    // Look-alikes: a log line's address and a time, a mail header, a sentence.
    for text in [
        "2024-05-01 10:00:01 from=<ann@example.org>:queued as 4F2A\n",
        "[mail.example.com]:25 bob@example.com:25\n",
        "To: bob@example.com:\n",
        "write to support@example.com: we answer within a day\n",
    ] {
        assert_eq!(pw(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn wp_config_defines() {
    let text = "define( 'DB_NAME', 'wp_ccvba' );\ndefine( 'DB_USER', 'wp_admin' );\ndefine( 'DB_PASSWORD', 'Lindwurm1923_' );\ndefine( 'DB_HOST', '172.20.1.4' );\ndefine( 'AUTH_KEY',         '30b343c549cb41b35550726e8eaf04a2bb845185176a5cd01f642d80b5d00b2e' );\ndefine( 'SECURE_AUTH_KEY',  'P3Q2X28ZYPVRw8pPoE2_IRGOSkGlztU6dGdhvodkbNUPN_jhpDuYR7fL8ttaDyewN58tcLcH2bDbReFZWzwsbQ' );\ndefine( 'NONCE_SALT',       'K7Zz2U7Eq_8Ukc_9rTn3TgpAZx0RX8CBxjc8-R5HZSJ' );\n";
    assert_eq!(pw(text), vec!["Lindwurm1923_".to_string()]);
    assert_eq!(
        gs(text),
        vec![
            "30b343c549cb41b35550726e8eaf04a2bb845185176a5cd01f642d80b5d00b2e".to_string(),
            "P3Q2X28ZYPVRw8pPoE2_IRGOSkGlztU6dGdhvodkbNUPN_jhpDuYR7fL8ttaDyewN58tcLcH2bDbReFZWzwsbQ"
                .to_string(),
            "K7Zz2U7Eq_8Ukc_9rTn3TgpAZx0RX8CBxjc8-R5HZSJ".to_string(),
        ]
    );
    assert_eq!(
        pw("define(\"DB_PASSWORD\", \"hortensia-kookaburra-quokka8\");"),
        vec!["hortensia-kookaburra-quokka8".to_string()]
    );
    // Look-alikes: WordPress's shipped stand-ins, a constant read from the environment, a
    // setting named after passwords, keys without a password define before them.
    for text in [
        "define( 'DB_PASSWORD', 'password_here' );\ndefine( 'AUTH_KEY', 'put your unique phrase here' );\n",
        "define( 'DB_PASSWORD', getenv('WP_DB_PASSWORD') );\n",
        "define( 'DB_PASSWORD', $_ENV['DB_PASSWORD'] );\n",
        "define( 'PASSWORD_MIN_LENGTH', '12' );\n",
    ] {
        assert_eq!(pw(text), Vec::<String>::new(), "{text}");
        assert_eq!(gs(text), Vec::<String>::new(), "{text}");
    }
    assert_eq!(
        gs("define( 'AUTH_KEY', 'zeVpcnJGhZbszSB80Di73hTQuOD6GYeY6HcLMrflf_z' );\ndefine( 'CACHE_KEY', 'x' );\n"),
        Vec::<String>::new()
    );
}

#[test]
fn powershell_secure_string() {
    let text = "PS C:\\ops> $pw = ConvertTo-SecureString '0fEob*IDoTJ#' -AsPlainText -Force\nPS C:\\ops> $cred = New-Object PSCredential('CORP\\jill', $pw)\n";
    assert_eq!(pw(text), vec!["0fEob*IDoTJ#".to_string()]);
    assert_eq!(
        pw("$password = ConvertTo-SecureString -String \"Lindwurm2024\" -AsPlainText -Force"),
        vec!["Lindwurm2024".to_string()]
    );
    // Look-alikes: an encrypted standard string (no `-AsPlainText`), a variable, the prompt.
    for text in [
        "$pw = ConvertTo-SecureString $encrypted -Key $key",
        "$pw = ConvertTo-SecureString '01000000d08c9ddf0115d1118c7a00c04fc297eb' -Key (1..16)",
        "$pw = ConvertTo-SecureString \"$env:DB_PASS\" -AsPlainText -Force",
        "$pw = Read-Host -AsSecureString",
    ] {
        assert_eq!(pw(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn pre_shared_keys() {
    assert_eq!(
        pw("provisioning therm-bc7c40: wifi_ssid=FRITZ!Box 3280 wifi_psk=Lavanda169_ fw=v10.22.161"),
        vec!["Lavanda169_".to_string()]
    );
    assert_eq!(
        pw("network={\n  ssid=\"home\"\n  psk=\"Hortensia.eisvogel53\"\n}\n"),
        vec!["Hortensia.eisvogel53".to_string()]
    );
    // Look-alikes: the key management's name, a stand-in.
    for text in ["key_mgmt=WPA-PSK\n", "psk=none\n", "wifi_psk=********\n"] {
        assert_eq!(pw(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn vault_audit_hmacs_are_no_secrets() {
    let text = "  request.client_token = hmac-sha256:0f21010149cc13213ce4336340e783cffc6dfebea8261d4fc5a1cebca744465b\n  request.data.data.db_password = 635PZbhHWAzxXGqvu5SNY7\n";
    assert_eq!(gs(text), Vec::<String>::new());
    assert_eq!(pw(text), vec!["635PZbhHWAzxXGqvu5SNY7".to_string()]);
    // A token that merely starts with letters (no `hmac-sha256:` digest) is still one.
    assert_eq!(
        gs("client_token = s.Kx9Tq2LmV7pZ3rWc8NbY4hJd"),
        vec!["s.Kx9Tq2LmV7pZ3rWc8NbY4hJd".to_string()]
    );
}

#[test]
fn ansible_owner_pass_keys() {
    let text = "ok: [172.20.93.248] => {\"smtp_pass\": \"wGCzK$RlZ2W*\", \"password_max_age\": 90}";
    assert_eq!(pw(text), vec!["wGCzK$RlZ2W*".to_string()]);
    assert_eq!(
        pw("ok: [db1] => {'db_pass': 'quokka-molen-vlinder5'}"),
        vec!["quokka-molen-vlinder5".to_string()]
    );
    // Look-alikes: a pass that is no login's (`boarding_pass`, `day_pass`), a count.
    for text in [
        "{\"boarding_pass\": \"B12-SEAT-14C\"}",
        "{\"day_pass\": \"Adult2024\"}",
        "{\"smtp_pass\": \"none\"}",
    ] {
        assert_eq!(pw(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn elasticsearch_reset_password() {
    let text = "This tool will reset the password of the [elastic] user to an autogenerated value.\nDo you want to continue [y/N]y\n\n\nPassword for the [elastic] user successfully reset.\nNew value: VOVKf^IezjX7\n";
    assert_eq!(pw(text), vec!["VOVKf^IezjX7".to_string()]);
    // Look-alikes: a setting's new value, a changelog.
    for text in [
        "Setting updated.\nNew value: 30s\n",
        "Password reset requests per hour changed.\nOld value: 5\nNew value: Limit10x\n",
        "max_connections\nNew value: 250\n",
    ] {
        assert_eq!(pw(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn rails_secret_key_base() {
    let text = "$ bin/rails credentials:show --environment production\nsecret_key_base: 0176f43fba1d44c77e53506703933b24cf09f128a4e3960b78e5f5356231c25e\naws:\n";
    assert_eq!(
        gs(text),
        vec!["0176f43fba1d44c77e53506703933b24cf09f128a4e3960b78e5f5356231c25e".to_string()]
    );
    // Look-alikes: a database's name, a base URL, a stand-in.
    for text in [
        "database: app_production\n",
        "base: https://api.example.com\n",
        "secret_key_base: <%= ENV[\"SECRET_KEY_BASE\"] %>\n",
    ] {
        assert_eq!(gs(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn dotted_password_settings_are_no_passwords() {
    for text in [
        "spring.security.password-policy.min-length=12\n",
        "password.reset.ttl: 3600\n",
        "app.password-encoder.strength=10\n",
    ] {
        assert_eq!(pw(text), Vec::<String>::new(), "{text}");
    }
    // The keyword before its value still is one.
    assert_eq!(
        pw("spring.datasource.password=Tr0ub4dor#3x\n"),
        vec!["Tr0ub4dor#3x".to_string()]
    );
}

#[test]
fn azure_app_passwords_are_client_secrets() {
    let text = "{\n  \"appId\": \"03867ee0-01c0-4661-8974-a03c20b4c57d\",\n  \"password\": \"1am8q5c7~LZt85A1IOsKIN3_7yFeEIAwCq616ocwW\",\n  \"tenant\": \"eef2ea44-5962-4f12-94e9-861d1bf32505\"\n}";
    assert_eq!(
        gs(text),
        vec!["1am8q5c7~LZt85A1IOsKIN3_7yFeEIAwCq616ocwW".to_string()]
    );
    assert_eq!(pw(text), Vec::<String>::new());
    // Without `appId` before it a password stays one.
    assert_eq!(
        pw("{\n  \"user\": \"ann\",\n  \"password\": \"Lindwurm1923_\"\n}"),
        vec!["Lindwurm1923_".to_string()]
    );
}

#[test]
fn pulumi_config_rows() {
    let text = "$ pulumi config --show-secrets -s staging\nKEY                         VALUE\naws:region                  eu-west-1\napp:dbPassword              Z0nn€b10€m2024\napp:sessionSecret           H3V0X0xAUinVBvX0EPeyEqR8fOcSKOT+F8CE9hKL\napp:adminEmail              ann@example.com\napp:imageTag                v3.40.37\n";
    assert_eq!(pw(text), vec!["Z0nn€b10€m2024".to_string()]);
    assert_eq!(
        gs(text),
        vec!["H3V0X0xAUinVBvX0EPeyEqR8fOcSKOT+F8CE9hKL".to_string()]
    );
    // Look-alikes: the secrets hidden (no `--show-secrets`), a camelCase word in prose.
    for text in [
        "KEY                         VALUE\napp:dbPassword              [secret]\napp:sessionSecret           [secret]\n",
        "the resetPassword  flow sends a link\n",
        "set newPassword to S4mmer2024! in the form\n",
    ] {
        assert_eq!(pw(text), Vec::<String>::new(), "{text}");
        assert_eq!(gs(text), Vec::<String>::new(), "{text}");
    }
}

#[test]
fn chat_passwords() {
    assert_eq!(
        pw("Alma: user admin, contraseña provisional Lav#6430ANDA\n"),
        vec!["Lav#6430ANDA".to_string()]
    );
    // Look-alikes: `WW` in prose, an adjective and no value.
    for text in [
        "la contraseña provisional caduca mañana\n",
        "the password temporary storage is cleared\n",
    ] {
        assert_eq!(pw(text), Vec::<String>::new(), "{text}");
    }
}
