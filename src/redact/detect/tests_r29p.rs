//! The twenty-ninth round's batch-mode password file tool, IMAP `LOGIN` and an OpenLDAP
//! client's `-w` (issue #20, task pw; `detect::evidence_r29p`), and their look-alikes.

use super::tests_support::{both, found};
use crate::redact::entity::Entity;

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

#[test]
fn a_batch_password_file_tools_password_is_found() {
    for (text, value) in [
        (
            "site/40/temp -9.7\n$ mosquitto_passwd -b /etc/mosquitto/passwd dashboard Jfwlibnbw308-\n# firmware 5.1\n",
            "Jfwlibnbw308-",
        ),
        (
            "$ mosquitto_passwd -b /etc/mosquitto/passwd dashboard x9qp*R6UG!u4DM\n",
            "x9qp*R6UG!u4DM",
        ),
        (
            "sudo mosquitto_passwd -c -b /etc/mosquitto/passwd sensor01 'kuckuck-quokka3'\n",
            "kuckuck-quokka3",
        ),
        (
            "  146  htpasswd -b /etc/nginx/.htpasswd francoise umrq8k8j5h1l0th6\n",
            "umrq8k8j5h1l0th6",
        ),
    ] {
        for t in both(text) {
            assert_eq!(pw(&t), vec![value.to_string()], "{t:?}");
        }
    }
}

#[test]
fn a_batch_password_file_tools_look_alikes_are_no_password() {
    for text in [
        // No `-b`: the tool prompts.
        "$ mosquitto_passwd /etc/mosquitto/passwd dashboard\nPassword:\n",
        "$ mosquitto_passwd -c /etc/mosquitto/passwd dashboard\n",
        // `-U` rewrites a file's passwords as hashes; `-D` deletes a user.
        "$ mosquitto_passwd -U /etc/mosquitto/passwd\n",
        "$ mosquitto_passwd -D /etc/mosquitto/passwd dashboard\n",
        // A variable, not the password.
        "$ mosquitto_passwd -b /etc/mosquitto/passwd dashboard \"$MQTT_PASS\"\n",
        // A name that is no tool's (`db_passwd` a setting) and a word before `_`.
        "db_passwd -b is not a flag we use here at all\n",
    ] {
        for t in both(text) {
            assert!(pw(&t).is_empty(), "{t:?}: {:?}", pw(&t));
        }
    }
}

#[test]
fn an_imap_login_password_is_found() {
    for (text, value) in [
        (
            "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\na1 LOGIN lucia-villalobos@telefonica.net ve9h*LIPA~ew21\na1 OK LOGIN completed\n",
            "ve9h*LIPA~ew21",
        ),
        (
            "* OK ready\na1 LOGIN Raffaele.Galli@gmail.com srLHHAa4BM2bX3x4D7toNPCV\n",
            "srLHHAa4BM2bX3x4D7toNPCV",
        ),
        (
            "* OK ready\nA001 LOGIN jana@mailbox.org \"Kayak-1985x\"\nA001 OK\n",
            "Kayak-1985x",
        ),
    ] {
        for t in both(text) {
            assert_eq!(pw(&t), vec![value.to_string()], "{t:?}");
        }
    }
}

#[test]
fn an_imap_login_look_alikes_are_no_password() {
    for text in [
        // The server's answer and a login in prose.
        "a1 OK LOGIN completed for jana@mailbox.org\n",
        "Last LOGIN jana@mailbox.org from 10.0.0.1\n",
        // Not the line's start; more words after the value.
        "note: a1 LOGIN jana@mailbox.org Kayak-1985x\n",
        "a1 LOGIN jana@mailbox.org Kayak-1985x extra\n",
        // A literal's size, a variable.
        "a1 LOGIN jana@mailbox.org {11}\n",
        "a1 LOGIN jana@mailbox.org $IMAP_PASS\n",
    ] {
        for t in both(text) {
            assert!(pw(&t).is_empty(), "{t:?}: {:?}", pw(&t));
        }
    }
}

#[test]
fn an_ldap_clients_password_is_found() {
    for (text, value) in [
        (
            "$ ldapsearch -x -H ldaps://172.29.182.5 -D \"cn=admin,dc=corp,dc=local\" -w Oregano.Kayak.Lavande.6 -b \"ou=people,dc=corp,dc=local\" \"(uid=jdoe)\"\n",
            "Oregano.Kayak.Lavande.6",
        ),
        (
            "ldapsearch -x -H ldap://10.92.159.64 -D \"cn=admin,dc=kestrel,dc=de\" -w copper%Ms9xQ -b \"ou=people\"\n",
            "copper%Ms9xQ",
        ),
        (
            "/usr/bin/ldapmodify -x -D cn=admin,dc=example,dc=org -w 'Tr0ub4dor&3x' -f change.ldif\n",
            "Tr0ub4dor&3x",
        ),
        ("ldapwhoami -x -D uid=svc,ou=apps -w G1r450l.60\n", "G1r450l.60"),
    ] {
        for t in both(text) {
            assert_eq!(pw(&t), vec![value.to_string()], "{t:?}");
        }
    }
}

#[test]
fn an_ldap_clients_look_alikes_are_no_password() {
    for text in [
        // `-W` prompts; `-y` reads a file; `-w` of other tools.
        "$ ldapsearch -x -H ldaps://10.0.0.5 -D \"cn=admin,dc=corp,dc=local\" -W -b \"ou=people\"\n",
        "$ ldapsearch -x -D \"cn=admin,dc=corp\" -y /root/.ldap.pw -b \"ou=people\"\n",
        "$ grep -w Kayak1985 words.txt | wc -w\n",
        "$ ping -w 5 ldap01.corp.local\n",
        "$ curl -s -w \"%{http_code}\" https://ldap.example.org/health\n",
        // The client's name on another line; a variable; a word holding `ldap`.
        "$ ldapsearch -x -b \"ou=people\"\n$ watch -w Kayak-1985x\n",
        "$ ldapsearch -x -D \"cn=admin\" -w \"$LDAP_PW\" -b \"ou=people\"\n",
        "$ openldap-tools -w Kayak-1985x\n",
    ] {
        for t in both(text) {
            assert!(pw(&t).is_empty(), "{t:?}: {:?}", pw(&t));
        }
    }
}
