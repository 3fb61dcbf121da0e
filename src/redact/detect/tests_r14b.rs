//! The fourteenth round's rules for passwords in free text (issue #20, part B): each with
//! the look-alikes it must leave alone.

use super::tests_support::found;
use super::*;

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

fn none() -> Vec<String> {
    Vec::new()
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn dotted_password_with_capitals_and_digits() {
    for (text, want) in [
        ("uw eerste wachtwoord TOR.59603.ado.\n", "TOR.59603.ado"),
        ("ansible_become_pass=QUO.96634.kka\n", "QUO.96634.kka"),
        (
            "Results portal login: perez, her temp password is FJO.51636.ord\n",
            "FJO.51636.ord",
        ),
        ("red Casa, contrase\u{f1}a CIC.62254.ino\n", "CIC.62254.ino"),
    ] {
        assert_eq!(pw(text), strs(&[want]), "{text}");
    }
    // Look-alikes: host names and e-mail addresses stay none, capitals or not.
    for text in [
        "the password is vault.example.com\n",
        "the password is srv01.example.com\n",
        "the password is at Ops.Team2@example.com\n",
        "reset your password at id.example.org\n",
    ] {
        assert_eq!(pw(text), none(), "{text}");
    }
}

#[test]
fn password_manager_csv_export() {
    let chrome = "name,url,username,password,note\n\
        www.amazon.de,https://www.amazon.de/,ann@mailbox.org,FJO.89058.ord,\n\
        mijn.ing.nl,https://mijn.ing.nl/,bob@example.nl,Dromedaris1663+,\n\
        www.leboncoin.fr,https://www.leboncoin.fr/,ottone,bretzel-sorbetto-ribera9,\n\
        www.wallapop.com,https://www.wallapop.com/,perini,dromedaris-haring-cerise9,Password: non impostata\n";
    assert_eq!(
        pw(chrome),
        strs(&[
            "FJO.89058.ord",
            "Dromedaris1663+",
            "bretzel-sorbetto-ribera9",
            "dromedaris-haring-cerise9"
        ])
    );
    let bitwarden = "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n\
        Work,,note,insurance API,,,0,,,,\n\
        Family,,login,router,,,0,https://router.it/login,miller.b@example.de,zitrone-kolibri-calanque6,\n\
        Personal,1,login,router,\"customer no. 556138150, paid\",,0,https://router.de/login,ruiz.k@gmx.net,scwL9224*KHy,\n";
    assert_eq!(
        pw(bitwarden),
        strs(&["zitrone-kolibri-calanque6", "scwL9224*KHy"])
    );
    // KeePass quotes every cell; a Markdown table names the column too.
    assert_eq!(
        pw("\"Group\",\"Title\",\"Username\",\"Password\",\"URL\"\n\"Root\",\"NAS\",\"admin\",\"Tr0ub4dor&3\",\"http://nas.lan\"\n"),
        strs(&["Tr0ub4dor&3"])
    );
    assert_eq!(
        pw("| Host | User | Password |\n|---|---|---|\n| db1 | app | kQ7#vLm2pX |\n"),
        strs(&["kQ7#vLm2pX"])
    );
    // Look-alikes: the cells of other columns, a column about passwords (`password_hint`,
    // `timePasswordChanged`, `password_strength`), cells that are no password (a yes/no, a
    // mask, a variable, a vault's pointer), a sentence after the table.
    for text in [
        "name,url,username,password_hint,note\nbank,https://bank.example/,ann,Kq7vLm2pX9,first pet\n",
        "url,username,password,timePasswordChanged\nhttps://a.example/,ann,********,1712345678901\n",
        "url,username,password,httpRealm,formActionOrigin,guid,timeCreated,timeLastUsed,timePasswordChanged\n",
        "user,password_strength,password\nann,Strong2024,${ANN_PASSWORD}\n",
        "user,password\nann,yes\nbob,n/a\n",
        "host,password\ndb1,see vault\n\nlast rotated: 2024-01-02\n",
        "login,passwords_rotated\nann,2024-01-02\n",
    ] {
        assert_eq!(pw(text), none(), "{text}");
    }
}

#[test]
fn env_directive_password() {
    for (text, want) in [
        (
            "<VirtualHost *:443>\n    SetEnv DB_PASS mistral-haring-kolibri8\n</VirtualHost>\n",
            "mistral-haring-kolibri8",
        ),
        ("    SetEnv DB_PASS SAL.79684.dra\n", "SAL.79684.dra"),
        ("setenv DB_PASSWORD \"Kq7vLm2pX9\"\n", "Kq7vLm2pX9"),
        (
            "FROM postgres:16\nENV POSTGRES_PASSWORD Tr0ub4dor-3x\n",
            "Tr0ub4dor-3x",
        ),
    ] {
        assert_eq!(pw(text), strs(&[want]), "{text}");
    }
    // Look-alikes: a variable passed on (`PassEnv`), a reference to another variable, a
    // directive with more words after the name, a sentence.
    for text in [
        "    PassEnv DB_PASS\n",
        "    SetEnv DB_PASS ${DB_PASS}\n",
        "    SetEnvIf Request_URI \"^/pass\" nolog\n",
        "setenv DB_PASS from the vault at boot\n",
        "ENV DB_PASS_FILE /run/secrets/db\n",
        "you may pass ENV DB_PASS on the command line\n",
    ] {
        assert_eq!(pw(text), none(), "{text}");
    }
}

#[test]
fn device_word_after_the_keyword() {
    for (text, want) in [
        (
            "body=\"nouveau mdp box 2mnJbU6IBTJeFv\" read=\"1\"",
            "2mnJbU6IBTJeFv",
        ),
        (
            "body=\"nuova password router Pohax.808mdN\" read=\"1\"",
            "Pohax.808mdN",
        ),
        (
            "body=\"nueva clave del router Dromedaris972*\" read=\"1\"",
            "Dromedaris972*",
        ),
        ("body=\"nuova password router Ott3r!\"", "Ott3r!"),
    ] {
        assert_eq!(pw(text), strs(&[want]), "{text}");
    }
    // Look-alikes: a word after the device word, a sentence about the router's password.
    for text in [
        "nuova password router domani\n",
        "the password router settings page\n",
        "mdp box oubli\u{e9}, on le change demain\n",
    ] {
        assert_eq!(pw(text), none(), "{text}");
    }
}

#[test]
fn initial_password_in_french() {
    assert_eq!(
        pw("votre identifiant est guy80@example.fr et votre mot de passe initial T0rn4d0!.\n"),
        strs(&["T0rn4d0!"])
    );
    assert_eq!(
        pw("et votre mot de passe initial haring-bretzel-cerise1.\n"),
        strs(&["haring-bretzel-cerise1"])
    );
    assert_eq!(
        pw("le mot de passe initial est envoy\u{e9} par courrier.\n"),
        none()
    );
}

#[test]
fn code_and_shell_references_are_no_passwords() {
    // A value read from the environment in a diff, a shell's message for an unset variable.
    for text in [
        "-DB_PASSWORD = 'Bergamot1812*'\n+DB_PASSWORD = os.environ['DB_PASSWORD']\n",
        "        token: ${SMTP_PASS:?missing}\n",
        "# export STRIPE_KEY=${SMTP_PASS:?missing}\n",
        "Also found (ignored, docs): ${SMTP_PASS:?missing} and more\n",
        "password = settings['db']\n",
    ] {
        let got = pw(text);
        assert!(got.iter().all(|p| p == "Bergamot1812*"), "{text}: {got:?}");
    }
    // Look-alikes that stay passwords: a default after `:-`, a password with brackets.
    assert_eq!(pw("DB_PASSWORD=${DB_PASS:-Kq7vLm2pX9}\n").len(), 1);
    assert_eq!(pw("password: Kq7[vLm2pX9]\n"), strs(&["Kq7[vLm2pX9]"]));
}

#[test]
fn status_word_after_the_keyword() {
    for text in [
        "la password iniziale uZEA2Y056lWPuV.\nPassword: scaduta.\n",
        "your first-time password T3Egscne6r.\nPassword: expired.\n",
    ] {
        let got = pw(text);
        assert_eq!(got.len(), 1, "{text}: {got:?}");
        assert!(!got[0].ends_with('.'), "{text}: {got:?}");
    }
    // Look-alikes that stay passwords: a word with a digit or a capital inside.
    assert_eq!(pw("Password: scad8uta.\n"), strs(&["scad8uta."]));
}

#[test]
fn spanish_access_pair() {
    for (text, want) in [
        (
            "Portal de resultados: salmeron, acceso: admin / oUzok#366pak\n",
            "oUzok#366pak",
        ),
        (
            "* Laptop login: miguel, acceso: admin / TOR.50991.ado\n",
            "TOR.50991.ado",
        ),
    ] {
        assert_eq!(pw(text), strs(&[want]), "{text}");
    }
    // Look-alikes: access in prose, a path.
    for text in [
        "acceso: admin / password reset\n",
        "acceso denegado para admin / root\n",
    ] {
        assert_eq!(pw(text), none(), "{text}");
    }
}

#[test]
fn kv_store_key_path() {
    let text = "$ consul kv get -recurse config/\nconfig/mailer/support_phone:39 86 62 93\nconfig/mailer/upstream/key:LJr2HQipYjWHVMU8BGl0dqj8OU1UAS/ec23s5tmg\nconfig/mailer/auth_method:password\n";
    assert_eq!(
        found(text, Entity::GenericSecret),
        strs(&["LJr2HQipYjWHVMU8BGl0dqj8OU1UAS/ec23s5tmg"])
    );
    // Look-alikes: a cache key, a path's `key` with a name after it, a sentence.
    for text in [
        "config/cache/key:user:42:profile\n",
        "config/app/key:short-v2\n",
        "upstream/key:LJr2HQipYjWHVMU8BGl0dqj8OU1UAS/ec23s5tmg\n",
        "see docs/api/key: it explains the header\n",
    ] {
        assert_eq!(found(text, Entity::GenericSecret), none(), "{text}");
    }
}

#[test]
fn next_setting_after_a_status_word() {
    // A log message: the keyword, a status word, then another setting.
    for text in [
        "Password strength: weak api_key_header: X-Api-Key\n",
        "Password: expired PASSWORD_HASHER=argon2\n",
        "Passwort: abgelaufen max_password_age=180\n",
        "Contrase\u{f1}a: caducada session_timeout=30m\n",
        "Password never expires: false token_ttl: 3600\n",
    ] {
        assert_eq!(pw(text), none(), "{text}");
    }
    // Look-alikes that stay passwords: a word between the connector and the value.
    assert_eq!(
        pw("het wachtwoord is nu Kq7vLm2pX9\n"),
        strs(&["Kq7vLm2pX9"])
    );
    assert_eq!(
        pw("the password is now Tr0ub4dor&3\n"),
        strs(&["Tr0ub4dor&3"])
    );
}
