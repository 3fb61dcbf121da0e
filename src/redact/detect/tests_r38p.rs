//! Thirty-eighth round, task pw (`evidence_r38p`): a pipe table's password row whose label
//! holds more words than the keyword.

use super::tests_support::hits;

/// (type, text) of every hit.
fn found(text: &str) -> Vec<(String, String)> {
    hits(text)
        .into_iter()
        .map(|(e, s, _)| (e.name().to_string(), s))
        .collect()
}

fn has_password(f: &[(String, String)], v: &str) -> bool {
    f.iter().any(|(t, x)| t == "PASSWORD" && x == v)
}

const ROWS: [(&str, &str); 8] = [
    ("Passwort für das Portal", "l1gh7h0u53=36"),
    ("Contraseña del portal", "c4r4c0l-88"),
    ("Wachtwoord portaal", "NW-g^CK%kM*-MGtdrFK"),
    ("Mot de passe du portail", "marmite.hibou.boussole5"),
    ("Mot de passe espace client", "lantern-zwiebel-fahrrad"),
    ("Portal password (chosen)", "n@r@nj@46?"),
    ("Password area clienti", "DZyucqu528$"),
    ("Passwort Kundenportal", "walrus-walrus-grenouille"),
];

#[test]
fn a_label_with_more_words_names_the_row() {
    for (label, pw) in ROWS {
        let text = format!(
            "| Feld | Wert |\n|---|---|\n| ID | 5JAU S03 |\n| {label} | {pw} |\n| ID | 7 |\n"
        );
        let f = found(&text);
        assert!(has_password(&f, pw), "{text}: {f:?}");
        let json = serde_json::json!({ "body": text }).to_string();
        let f = found(&json);
        assert!(has_password(&f, pw), "{json}: {f:?}");
    }
}

#[test]
fn look_alikes_are_not_found() {
    for text in [
        // Not a password's value: a date, a word, a count, a sentence.
        "| Password last changed | 2024-03-01 |\n",
        "| Password policy | strong |\n",
        "| Password reset required | yes |\n",
        "| Password length (min) | 12 |\n",
        "| Portal password | see the vault entry |\n",
        // Not the row's first cell.
        "| Name | Portal password | Notes |\n",
        // The label is not a cell of its own (prose before the pipe).
        "the portal password is listed in | the table |\n",
        // A template.
        "| Portal password | ${PORTAL_PASSWORD} |\n",
    ] {
        let f = found(text);
        assert!(f.iter().all(|(t, _)| t != "PASSWORD"), "{text}: {f:?}");
    }
}

#[test]
fn cut_rows_do_not_panic() {
    for (label, pw) in ROWS {
        let text = format!("| {label} | {pw} |\n");
        for cut in 0..=text.len() {
            if !text.is_char_boundary(cut) {
                continue;
            }
            let part = &text[..cut];
            let _ = found(part);
            let _ = found(&serde_json::json!({ "body": part }).to_string());
        }
        let full = found(&text);
        assert!(has_password(&full, pw), "{text}: {full:?}");
    }
}

const CFN: &str = "# cfn/rds.yaml\nParameters:\n  MasterUserPassword:\n    Type: String\n    NoEcho: true\nResources:\n  Db:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      MasterUserPassword: !Ref MasterUserPassword\n";

#[test]
fn a_cloudformation_intrinsic_function_is_no_password() {
    for text in [
        CFN.to_string(),
        "Properties:\n  MasterUserPassword: !Ref DbPasswordParam\n".to_string(),
        "Properties:\n  MasterUserPassword: !Sub '{{resolve:secretsmanager:${Secret}:SecretString:password}}'\n".to_string(),
        "Properties:\n  MasterUserPassword: !Ref\n".to_string(),
    ] {
        let f = found(&text);
        assert!(f.iter().all(|(t, _)| t != "PASSWORD"), "{text}: {f:?}");
        let json = serde_json::json!({ "body": text }).to_string();
        let f = found(&json);
        assert!(f.iter().all(|(t, _)| t != "PASSWORD"), "{json}: {f:?}");
    }
    // A password spelled with an exclamation mark stays one.
    let text = "Properties:\n  MasterUserPassword: !Refund2024x\n";
    let f = found(text);
    assert!(has_password(&f, "!Refund2024x"), "{text}: {f:?}");
    for cut in 0..=CFN.len() {
        let _ = found(&CFN[..cut]);
    }
}

#[test]
fn skopeo_creds_and_libcurl_userpwd_hold_a_password() {
    for (text, pw) in [
        ("$ skopeo copy --src-creds etl_reader:Noisette2021. docker://registry.example.io/shop:4.19.13 docker://ghcr.io/x/shop:8.3.10\n", "Noisette2021."),
        ("skopeo copy --dest-creds=ci-bot:Brezel2021% docker://a/b docker://c/d\n", "Brezel2021%"),
        ("skopeo inspect --creds svc_backup:0ileVU*jiUWY2A docker://r/x\n", "0ileVU*jiUWY2A"),
        ("#define UPLOAD_USERPWD \"svc_backup:zsD4j2SxBC?B9!*2NZ\"\n", "zsD4j2SxBC?B9!*2NZ"),
        ("curl_easy_setopt(h, CURLOPT_USERPWD, \"grafana:P1??rUC3jqfO7*v9l\");\n", "P1??rUC3jqfO7*v9l"),
        ("curl_easy_setopt(h, CURLOPT_PROXYUSERPWD, \"proxy:Kx9#mPq2vL\");\n", "Kx9#mPq2vL"),
    ] {
        let f = found(text);
        assert!(has_password(&f, pw), "{text}: {f:?}");
        let json = serde_json::json!({ "cmd": text }).to_string();
        let f = found(&json);
        assert!(
            f.iter().any(|(t, _)| t == "PASSWORD"),
            "{json}: {f:?}"
        );
        for cut in 0..=text.len() {
            let _ = found(&text[..cut]);
            let _ = found(&serde_json::json!({ "cmd": &text[..cut] }).to_string());
        }
    }
}

#[test]
fn creds_and_userpwd_look_alikes_are_not_found() {
    for text in [
        "skopeo copy --src-creds etl_reader docker://a/b docker://c/d\n",
        "skopeo copy --src-creds $CREDS docker://a/b docker://c/d\n",
        "skopeo copy --src-creds user:${REGISTRY_PASSWORD} docker://a/b\n",
        "skopeo copy --src-no-creds docker://registry:5000/x docker://c/d\n",
        "#define MY_USERPWD_LEN \"user:12\"\n",
        "curl_easy_setopt(h, CURLOPT_USERPWD, UPLOAD_USERPWD);\n",
        "x --mycreds user:Kx9#mPq2vL\n",
    ] {
        let f = found(text);
        assert!(f.iter().all(|(t, _)| t != "PASSWORD"), "{text}: {f:?}");
    }
}
