//! Forty-first round, task pw (`evidence_r41p`): net-snmp's `-A` / `-X` pass phrases, an
//! unattend.xml password `<Value>` on the line after its element's start tag.

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

fn no_password(f: &[(String, String)], v: &str) -> bool {
    !f.iter().any(|(t, x)| t == "PASSWORD" && x.contains(v))
}

/// The text, and the text as a JSON string's value.
fn both(text: &str) -> [String; 2] {
    [
        text.to_string(),
        serde_json::json!({ "body": text }).to_string(),
    ]
}

/// Padding that makes a text long (the prose searcher's Teddy path) or leaves it short.
fn short_and_long(text: &str) -> Vec<String> {
    let pad = "The weekly report lists the hosts polled and the interfaces seen. ".repeat(30);
    let mut v = both(text).to_vec();
    v.extend(both(&format!("{pad}\n{text}\n{pad}")));
    v
}

#[test]
fn snmp_v3_pass_phrases_found() {
    for (t, a, x) in [
        (
            "$ snmpwalk -v3 -l authPriv -u monitor -a SHA -A 'Fqevij-643' -x AES -X 'Tyltxt-1413' 10.16.24.7 ifDescr",
            "Fqevij-643",
            "Tyltxt-1413",
        ),
        (
            "snmpget -v3 -l authPriv -u monitor -a SHA -A P1ngu1n.55 -x AES -X Quokka2013= 10.1.2.3 sysUpTime.0",
            "P1ngu1n.55",
            "Quokka2013=",
        ),
        (
            "/usr/bin/snmpbulkwalk -v 3 -u ops -l authPriv -a SHA -A \"Papillon1964?\" -x AES -X \"Oreuxki.92744\" core-sw1",
            "Papillon1964?",
            "Oreuxki.92744",
        ),
    ] {
        for text in short_and_long(t) {
            let f = found(&text);
            assert!(has_password(&f, a), "{text}: {f:?}");
            assert!(has_password(&f, x), "{text}: {f:?}");
            assert!(no_password(&f, "SHA") && no_password(&f, "AES"), "{f:?}");
        }
    }
}

#[test]
fn snmp_look_alikes_not_found() {
    for t in [
        // Not a net-snmp command: `-A`/`-X` mean other things.
        "grep -A 'Fqevij-643' -a SHA -X 'Tyltxt-1413' log.txt",
        "tar -a -cf out.tar -X 'exclude-list.txt' src",
        // A pass phrase shorter than the USM's minimum, variables.
        "snmpwalk -v3 -u monitor -a SHA -A 'short' -x AES -X \"$PRIV_PASS\" 10.0.0.1",
        "snmpwalk -v3 -u monitor -a SHA -A <auth-pass> -x AES -X <priv-pass> 10.0.0.1",
        // `-A` on another line than the snmp command.
        "snmpwalk -v2c -c public 10.0.0.1\nls -a -A 'Fqevij-643x'",
    ] {
        for text in short_and_long(t) {
            let f = found(&text);
            for v in [
                "Fqevij-643",
                "Tyltxt-1413",
                "short",
                "PRIV_PASS",
                "auth-pass",
                "priv-pass",
                "exclude-list",
                "SHA",
                "AES",
            ] {
                assert!(no_password(&f, v), "{text}: {f:?}");
            }
        }
    }
}

#[test]
fn snmp_cut_bodies_do_not_panic() {
    let t = "snmpwalk -v3 -l authPriv -u monitor -a SHA -A 'Fqevij-643' -x AES -X 'Tyltxt-1413' 10.16.24.7";
    for cut in 0..=t.len() {
        if let Some(head) = t.get(..cut) {
            for text in short_and_long(head) {
                let _ = found(&text);
            }
            let _ = found(&format!("{{\"cmd\": \"{head}"));
        }
    }
}

#[test]
fn unattend_value_on_next_line_found() {
    let t = "<!-- autounattend.xml (excerpt) -->\n<UserAccounts>\n  <AdministratorPassword>\n    <Value>harbour-meerkat68</Value>\n    <PlainText>true</PlainText>\n  </AdministratorPassword>\n  <LocalAccounts>\n    <LocalAccount wcm:action=\"add\">\n      <Name>yslzxz</Name>\n      <Password><Value>82OJ0zDC_kdSoQgIPpOM</Value><PlainText>true</PlainText></Password>\n    </LocalAccount>\n  </LocalAccounts>\n</UserAccounts>\n<AutoLogon>\n  <Password>\r\n    <Value>M^YUm2CA#kd02wG?oe=F</Value>\n  </Password>\n</AutoLogon>";
    for text in both(t) {
        let f = found(&text);
        for v in [
            "harbour-meerkat68",
            "82OJ0zDC_kdSoQgIPpOM",
            "M^YUm2CA#kd02wG?oe=F",
        ] {
            assert!(has_password(&f, v), "{v}: {f:?}");
        }
        assert!(
            no_password(&f, "true") && no_password(&f, "yslzxz"),
            "{f:?}"
        );
    }
}

#[test]
fn unattend_look_alikes_not_found() {
    for t in [
        // A `<Value>` under another element, a stand-in, an empty value.
        "<ProductKey>\n  <Value>962QY-YMGP8-8MBC2-3F8D2-99RRC</Value>\n</ProductKey>",
        "<AdministratorPassword>\n  <Value>YOUR_PASSWORD_HERE</Value>\n</AdministratorPassword>",
        "<AdministratorPassword>\n  <Value></Value>\n</AdministratorPassword>",
        "<Password>\n  <PlainText>false</PlainText>\n</Password>",
    ] {
        for text in both(t) {
            let f = found(&text);
            for v in ["962QY", "YOUR_PASSWORD", "PlainText", "false"] {
                assert!(no_password(&f, v), "{text}: {f:?}");
            }
        }
    }
}

#[test]
fn unattend_cut_bodies_do_not_panic() {
    let t =
        "<AdministratorPassword>\n    <Value>harbour-meerkat68</Value>\n</AdministratorPassword>";
    for cut in 0..=t.len() {
        if let Some(head) = t.get(..cut) {
            let _ = found(head);
            let _ = found(&format!("{{\"xml\": \"{}", head.replace('\n', "\\n")));
        }
    }
}
