//! The thirty-fifth round's PASSWORD constructions (issue #20, task pw;
//! `detect::evidence_r35p`): `echo X | docker login … --password-stdin` and HTTPie's `http
//! -a USER:X`; and their look-alikes, in text and JSON, cut and truncated.

use super::tests_support::{both, found, json_findings_checked};
use crate::redact::entity::Entity;

#[test]
fn echo_into_docker_login_password_stdin_is_found() {
    for (text, want) in [
        (
            "$ echo tulpen-naranja-girasole-fiets | docker login registry.example.fr -u ci-bot --password-stdin\nLogin Succeeded\n",
            "tulpen-naranja-girasole-fiets",
        ),
        (
            "$ echo GBuxseb171# | docker login registry.example.eu -u ci-bot --password-stdin\n",
            "GBuxseb171#",
        ),
        (
            "echo -n 'Biscuit2027+' | sudo docker login --username foo --password-stdin\n",
            "Biscuit2027+",
        ),
        (
            "set -e; echo \"SAredkk165*\" | docker login ghcr.io -u me --password-stdin && make push",
            "SAredkk165*",
        ),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, Entity::Password), vec![want], "{t:?}");
        }
    }
}

#[test]
fn the_construction_in_json_is_found() {
    let body = serde_json::json!({
        "steps": ["echo tramonto_orage23 | docker login registry.example.ai -u ci-bot --password-stdin"],
        "log": "$ echo \"$CR_PAT\" | docker login ghcr.io -u me --password-stdin\nLogin Succeeded",
        "cmd": "http -a reporting:+iqY!=3pTPHr1#z_UmxnQ* GET https://api.example.com/v1/report",
    })
    .to_string();
    // Findings as (type, JSON pointer): the two values, not the variable under `/log`.
    let got = json_findings_checked(&body);
    let pw: Vec<_> = got
        .iter()
        .filter(|(t, _)| *t == "PASSWORD")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(pw, vec!["/cmd", "/steps/0"], "{body}: {got:?}");
}

#[test]
fn look_alikes_hold_no_password() {
    for text in [
        // A shell variable, a vendor token (its own rule), a file.
        "echo \"$CR_PAT\" | docker login ghcr.io -u me --password-stdin",
        "echo $TOKEN | docker login ghcr.io -u me --password-stdin",
        "cat ~/my_password.txt | docker login --username foo --password-stdin",
        // No pipe into `docker login`; another flag.
        "echo bluefish42x | docker push --password-stdin",
        "echo bluefish42x | dockerd login --password-stdin",
        "echo bluefish42x; docker login --password-stdin",
        "echo bluefish42x | docker login --password-stdinx",
        // Not `echo`.
        "mecho bluefish42x | docker login --password-stdin",
    ] {
        for t in both(text) {
            let got = found(&t, Entity::Password);
            assert!(
                !got.iter().any(|v| v.contains("bluefish")
                    || v.contains("CR_PAT")
                    || v.contains("TOKEN")
                    || v.contains("password")),
                "{t:?}: {got:?}"
            );
        }
    }
    // A GitHub token echoed is a GitHub token, not a password.
    let t = "echo ghp_jDyyvRWUIRIINF2FQiASWdDBBdpPqvj5HWds | docker login ghcr.io -u me --password-stdin";
    assert_eq!(found(t, Entity::Password), Vec::<String>::new());
    assert_eq!(
        found(t, Entity::GithubToken),
        vec!["ghp_jDyyvRWUIRIINF2FQiASWdDBBdpPqvj5HWds"]
    );
}

#[test]
fn the_rule_reads_only_its_construction() {
    use super::evidence_r35p::docker_stdin_password;
    for t in [
        "echo bluefish42x | docker push --password-stdin",
        "echo bluefish42x | docker login --password-stdinx",
        "echo bluefish42x | docker login -password-stdin",
        "echo bluefish42x docker login --password-stdin",
        "xecho bluefish42x | docker login --password-stdin",
        "echo | docker login --password-stdin",
    ] {
        let s = t.find("password").unwrap_or(0);
        assert!(
            docker_stdin_password(t.as_bytes(), s, s + 8).is_none(),
            "{t:?}"
        );
    }
}

#[test]
fn cut_and_truncated_input_does_not_panic() {
    let full = "$ echo 'GBuxseb171#' | sudo docker login registry.example.eu -u ci-bot --password-stdin\nLogin Succeeded\n";
    for n in 0..=full.len() {
        if let Some(p) = full.get(..n) {
            let _ = found(p, Entity::Password);
            let _ = found(&format!("{{\"cmd\":\"{p}"), Entity::Password);
        }
        if let Some(p) = full.get(n..) {
            let _ = found(p, Entity::Password);
        }
    }
    for t in [
        "--password-stdin",
        "| docker login --password-stdin",
        "echo | docker login --password-stdin",
        "echo ' | docker login --password-stdin",
        "\" | docker login --password-stdin",
        "-n | docker login --password-stdin",
        "--password-",
        "--password",
    ] {
        for t in both(t) {
            let _ = found(&t, Entity::Password);
        }
    }
}

#[test]
fn httpie_auth_is_found() {
    for (text, want) in [
        (
            "$ http -a bonillaraquel:Zitrone2001! POST https://api.example.com/v1/orders\n",
            "Zitrone2001!",
        ),
        (
            "  \"status\": \"succeeded\"\n}\n$ http -a ops:TXatyaa789_JRo GET https://x.example.com\n",
            "TXatyaa789_JRo",
        ),
        (
            "https -a 'van-oostejoep:kastanie-hafen-kastanie-farfalla' pie.dev/basic-auth/x/y",
            "kastanie-hafen-kastanie-farfalla",
        ),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, Entity::Password), vec![want], "{t:?}");
        }
    }
}

#[test]
fn httpie_look_alikes_hold_no_password() {
    use super::evidence_r35p::httpie_before;
    for text in [
        // No password after the user (HTTPie prompts), a variable, not HTTPie.
        "http -a alice POST https://api.example.com/v1/orders",
        "http -a alice: GET https://api.example.com",
        "http -a \"alice:$API_PASS\" GET https://api.example.com",
        "httpd -a alice:bluefish42x",
        "curl -a alice:bluefish42x https://api.example.com",
        "see http://x -a alice:bluefish42x",
    ] {
        for t in both(text) {
            let got = found(&t, Entity::Password);
            assert!(
                !got.iter()
                    .any(|v| v.contains("bluefish") || v.contains("alice") || v.contains("API")),
                "{t:?}: {got:?}"
            );
        }
    }
    for t in ["httpd -a x", "curl -a x", "x http -a y", "$http -a y"] {
        let p = t.find("-a").unwrap_or(0);
        assert_eq!(httpie_before(t.as_bytes(), p), t == "$http -a y", "{t:?}");
    }
}

#[test]
fn httpie_cut_input_does_not_panic() {
    let full = "$ http -a 'ops:TXatyaa789_JRo' GET https://x.example.com\n";
    for n in 0..=full.len() {
        if let Some(p) = full.get(..n) {
            let _ = found(p, Entity::Password);
            let _ = found(&format!("{{\"cmd\":\"{p}"), Entity::Password);
        }
    }
    for t in [
        "http -a ",
        "http -a '",
        "http -a :",
        "http -a ':",
        "-a x:y",
        " -a ",
    ] {
        for t in both(t) {
            let _ = found(&t, Entity::Password);
        }
    }
}
