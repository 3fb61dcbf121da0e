//! The thirtieth round's GENERIC_SECRET rules (issue #20, task gs;
//! `detect::evidence_r30g`): an Azure AD client secret by its shape whatever key names it,
//! the `Key` of a JWT settings section; and their look-alikes.

use super::evidence_r30g::{azure_client_secret, jwt_section};
use super::tests_support::{found, json_findings_checked};
use crate::redact::entity::Entity;

#[test]
fn an_azure_client_secret_has_its_vendors_shape() {
    for v in [
        "Iqc0Q~ct7g0-pE3M0djM0D8QX78GaDg7wvWm2PEH",
        "6oL9Q~EmjC._1FaF7edpaN3NwvvWLAdJF382t3nB",
        "PPz1Q~~12R-4TF5eDqLFN~O9gs2_Kjlvcg53_kBX",
        "HKR9Q~--uEC8Bga~bCWU_yuMtyKJNZTCvSPWnbka",
        // 31 bytes after `Q~` (the shortest the shape allows).
        "abc1Q~0123456789012345678901234567890",
    ] {
        assert!(azure_client_secret(v.as_bytes()), "{v}");
    }
    for v in [
        // No digit before `Q~`, `Q~` elsewhere, too short or too long a tail.
        "IqcaQ~ct7g0-pE3M0djM0D8QX78GaDg7wvWm2PEH",
        "Iqc0Q-ct7g0-pE3M0djM0D8QX78GaDg7wvWm2PEH",
        "Iqc0Q~ct7g0-pE3M0djM0D8QX78GaDg7",
        "Iqc0Q~ct7g0-pE3M0djM0D8QX78GaDg7wvWm2PEHxyz",
        // A blank or a `/` in it; a `-` among its first three bytes.
        "Iqc0Q~ct7g0 pE3M0djM0D8QX78GaDg7wvWm2PEH",
        "Iqc0Q~ct7g0/pE3M0djM0D8QX78GaDg7wvWm2PEH",
        "I-c0Q~ct7g0-pE3M0djM0D8QX78GaDg7wvWm2PEH",
        "Kestrel1997!",
    ] {
        assert!(!azure_client_secret(v.as_bytes()), "{v}");
    }
}

#[test]
fn an_azure_client_secret_under_password_is_a_generic_secret() {
    // `az ad sp create-for-rbac`'s output as compact JSON (blind29's layout).
    let body = r#"{"appId":"fa7a3c47-4f28-463e-857f-a73d4cb9db4b","displayName":"sp-finzi-ci","password":"Iqc0Q~ct7g0-pE3M0djM0D8QX78GaDg7wvWm2PEH","tenant":"ddfa7b69-515a-4afe-8dec-1b4253b6f5a6"}"#;
    let got = json_findings_checked(body);
    assert!(
        got.contains(&("GENERIC_SECRET", "/password".to_string())),
        "{got:?}"
    );
    assert!(!got.iter().any(|(e, _)| *e == "PASSWORD"), "{got:?}");
    // In text, after any password word.
    for text in [
        "client password: Fun1Q~zLzer5NLq96mT653q_9q5mtAlJKc0ungDf\n",
        "Passwort=kW98Q~EqhRLJLaL6sI.bXKUnWmp-e9McUwzwPtZs\n",
    ] {
        let value = text.split([' ', '=']).next_back().unwrap().trim();
        assert_eq!(found(text, Entity::GenericSecret), vec![value], "{text}");
        assert!(found(text, Entity::Password).is_empty(), "{text}");
    }
}

#[test]
fn a_password_without_the_shape_stays_a_password() {
    let body = r#"{"displayName":"sp-x","password":"Kestrel1997!Q~abc"}"#;
    let got = json_findings_checked(body);
    assert_eq!(got, vec![("PASSWORD", "/password".to_string())]);
}

#[test]
fn a_jwt_sections_key_is_its_signing_key() {
    for (body, pointer) in [
        (
            r#"{"Jwt":{"Issuer":"https://id.salas-tech.com","Key":"p3rSyDI+vGuR19D3SdTnflz8d512MzBcXIdJL2PojbpO3s3Q6JNL21bgRqQECzZ/"},"Smtp":{"Host":"mail"}}"#,
            "/Jwt/Key",
        ),
        (
            r#"{"Jwt":{"Issuer":"https://id.riley.com","Key":"1SptsFVo7KaEjUVEX7yTCl7C-R349MsCRzaq_pyMULkLvJX6"}}"#,
            "/Jwt/Key",
        ),
        (
            r#"{"JwtSettings":{"key":"98633212cc9a8fd93827ddb9da7b2c2528e59e380598f740a085d24993498662","audience":"api"}}"#,
            "/JwtSettings/key",
        ),
        (
            "{\n  \"jwt\": {\n    \"issuer\": \"clinic\",\n    \"KEY\": \"qMYnl+geeLQsvauAIDSuvZIQGfyesncKQ2z+xQ6FTio=\"\n  }\n}",
            "/jwt/KEY",
        ),
    ] {
        let got = json_findings_checked(body);
        assert_eq!(
            got,
            vec![("GENERIC_SECRET", pointer.to_string())],
            "{body}"
        );
    }
}

#[test]
fn a_key_that_is_no_jwt_sections_signing_key_stays_plain() {
    for body in [
        // `Key` under any other section: an issue's key, a map's key, an object's path.
        r#"{"issue":{"key":"OPS-2903","fields":{"summary":"x"}}}"#,
        r#"{"Cache":{"Key":"p3rSyDI+vGuR19D3SdTnflz8d512MzBcXIdJL2PojbpO3s3Q6JNL21bgRqQECzZ/"}}"#,
        r#"{"requestParameters":{"bucketName":"invoices-eu","key":"customers/192fb963.csv"}}"#,
        // Under `Jwt`, a value with no secret's shape (a name, a path, a placeholder).
        r#"{"Jwt":{"Issuer":"https://id.example.com","Key":"signing-key"}}"#,
        r#"{"Jwt":{"Key":"/run/secrets/jwt.key"}}"#,
        r#"{"Jwt":{"Key":"${JWT_KEY}"}}"#,
        r#"{"Jwt":{"Key":"<your-signing-key>"}}"#,
        // Its other plain members, and a section whose name only opens with `jwt`.
        r#"{"Jwt":{"Issuer":"https://id.example.com","Audience":"orders-api"}}"#,
        r#"{"JwtCache":{"Key":"p3rSyDI+vGuR19D3SdTnflz8d512MzBcXIdJL2PojbpO3s3Q6JNL21bgRqQECzZ/"}}"#,
    ] {
        let got = json_findings_checked(body);
        assert!(
            !got.iter().any(|(e, _)| *e == "GENERIC_SECRET"),
            "{body}: {got:?}"
        );
    }
}

#[test]
fn a_jwt_section_is_named_by_jwt_and_its_suffixes() {
    for n in [
        "jwt",
        "jwt_settings",
        "jwt_options",
        "jwt_config",
        "jwt_bearer",
    ] {
        assert!(jwt_section(n), "{n}");
    }
    for n in ["jwt_cache", "jwts", "jwt_key", "my_jwt", "j"] {
        assert!(!jwt_section(n), "{n}");
    }
}

#[test]
fn a_totp_labels_seed_is_a_generic_secret() {
    for (text, value) in [
        (
            "Bitwarden Send — Shop admin\nGebruikersnaam: maxim@fiere-consult.nl\nWachtwoord: kestrel1997=\nTOTP: 3RVRX7UYYIUHXLGT\nURL: https://10.207.0.235:8443/\n",
            "3RVRX7UYYIUHXLGT",
        ),
        (
            "Usuario: ana\nContraseña: alhambra@Quokka28\nTOTP: TZEA2KCD66S6HWVFPVSENYAO4QVSALLB\n",
            "TZEA2KCD66S6HWVFPVSENYAO4QVSALLB",
        ),
        ("totp = jbswy3dpehpk3pxp\n", "jbswy3dpehpk3pxp"),
        ("TOTP:JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP==== (rotate monthly)", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP===="),
    ] {
        for t in super::tests_support::both(text) {
            assert_eq!(found(&t, Entity::GenericSecret), vec![value], "{t}");
        }
    }
}

#[test]
fn a_totp_label_without_a_seed_finds_nothing() {
    for text in [
        // A code, not a seed; a word; mixed case; a `1`/`8` (no base32 digits); too short.
        "TOTP: 492817\n",
        "TOTP: enabled\n",
        "TOTP: JbSwY3DpEhPk3PxP\n",
        "TOTP: JBSWY3DPEHPK3PX1\n",
        "TOTP: JBSWY3DPEHPK3\n",
        // Glued to more text, or a longer name ending in `totp`.
        "TOTP: JBSWY3DPEHPK3PXP/backup\n",
        "mytotp: JBSWY3DPEHPK3PXP\n",
    ] {
        for t in super::tests_support::both(text) {
            assert!(found(&t, Entity::GenericSecret).is_empty(), "{t}");
            assert!(found(&t, Entity::Password).is_empty(), "{t}");
        }
    }
}

#[test]
fn a_django_secret_key_is_found_whatever_byte_opens_it() {
    for (text, value) in [
        (
            "# settings/production.py\nDEBUG = False\nSECRET_KEY = '%pcoe^6inyd3+v70^x%%lfj-po%-z=es)i5ou@ipb@sp)52r=*'\n",
            "%pcoe^6inyd3+v70^x%%lfj-po%-z=es)i5ou@ipb@sp)52r=*",
        ),
        (
            "SECRET_KEY = \"v(&&1wr482erjmscjdy-0kufopzdi=oncj9pn+-ewq&0a+&l^4\"\nDATABASES = {}\n",
            "v(&&1wr482erjmscjdy-0kufopzdi=oncj9pn+-ewq&0a+&l^4",
        ),
        (
            "integrations:\n  webhook_secret: zmcl&k_h@y14&mr79%rejwlmx_qw)-wecsreae*e(x__e5()zv\n  sample_key: none\n",
            "zmcl&k_h@y14&mr79%rejwlmx_qw)-wecsreae*e(x__e5()zv",
        ),
        (
            "JWT_SIGNING_KEY=j&try&)s0z@u)&)6g@9f2^dyrj5=hycfftos%3g=uhg(grr(1l\n",
            "j&try&)s0z@u)&)6g@9f2^dyrj5=hycfftos%3g=uhg(grr(1l",
        ),
        (
            "extraEnv:\n  - name: OAUTH_CLIENT_SECRET\n    value: (x32a-qouk42zl!ygmlylt+!v6_p%d=hc!(q_a!hd+ojoiic6g\n",
            "(x32a-qouk42zl!ygmlylt+!v6_p%d=hc!(q_a!hd+ojoiic6g",
        ),
        (
            "define( 'DB_NAME', 'wp' );\ndefine( 'DB_PASSWORD', 'Kestrel1997!' );\ndefine( 'DB_HOST', '10.50.52.242:3306' );\ndefine( 'LOGGED_IN_KEY', '%j*pgg!%gp@2zzjm6p0i67x5%ntf^vn9sdnvy4jlf5fs!9*y+4' );\n",
            "%j*pgg!%gp@2zzjm6p0i67x5%ntf^vn9sdnvy4jlf5fs!9*y+4",
        ),
    ] {
        for t in super::tests_support::both(text) {
            assert_eq!(found(&t, Entity::GenericSecret), vec![value], "{t}");
        }
    }
}

#[test]
fn a_django_shape_needs_its_length_alphabet_and_symbols() {
    use super::evidence_r30g::django_secret_key;
    assert!(django_secret_key(
        b"(wwa=9@7q1+dsf@!%!0hkx-tvcpqb0w^d0#=#3(lj#-4uz0k86"
    ));
    for v in [
        // A query string of the alphabet's `=&_` only (blind15's JDBC URL's tail).
        "user=analyst&password=krokus_2026_&sslmode=require",
        // 49 and 51 bytes; a capital; a `/`.
        "(wwa=9@7q1+dsf@!%!0hkx-tvcpqb0w^d0#=#3(lj#-4uz0k8",
        "(wwa=9@7q1+dsf@!%!0hkx-tvcpqb0w^d0#=#3(lj#-4uz0k866",
        "(wwa=9@7q1+dsf@!%!0hkx-tvcpqb0w^d0#=#3(lj#-4uz0K86",
        "(wwa=9@7q1+dsf@!%!0hkx-tvcpqb0w^d0#=#3(lj#-4uz0/86",
        // A passphrase of words and hyphens.
        "kestrel-saffron-zugspitze-cobalt-lavender-2026-abc",
    ] {
        assert!(!django_secret_key(v.as_bytes()), "{v}");
    }
}
