//! The thirty-third round's cloud-init `chpasswd` list (issue #20, task pw;
//! `detect::evidence_r33p`), and its look-alikes, in text and JSON.

use super::tests_support::{both, found, json_findings_checked};
use crate::redact::entity::Entity;

const CLOUD_CONFIG: &str = "#cloud-config\nhostname: worker-38\nusers:\n  - name: bvial\n    gecos: Britt Vial\nchpasswd:\n  list: |\n    root:yX^aqB#H8lJqoQd=ahd59\n    bvial:harbour_pretzel13\n  expire: false\nwrite_files:\n  - path: /etc/motd\n";

#[test]
fn each_entry_of_a_chpasswd_list_is_a_password() {
    for t in both(CLOUD_CONFIG) {
        assert_eq!(
            found(&t, Entity::Password),
            vec!["yX^aqB#H8lJqoQd=ahd59", "harbour_pretzel13"],
            "{t:?}"
        );
    }
    // Three entries, CRLF line ends, `|-`, a `:` inside the password (all after the first).
    let text = "chpasswd:\r\n    list: |-\r\n        root:velvet-thunder75\r\n        ops:Tr0ub4:dor&3\r\n        gstephens:Iprkdx088%\r\n    expire: False\r\n";
    for t in both(text) {
        assert_eq!(
            found(&t, Entity::Password),
            vec!["velvet-thunder75", "Tr0ub4:dor&3", "Iprkdx088%"],
            "{t:?}"
        );
    }
}

#[test]
fn a_chpasswd_list_in_json_is_found() {
    let body = serde_json::json!({ "user_data": CLOUD_CONFIG }).to_string();
    let got = json_findings_checked(&body);
    let pw = got.iter().filter(|(t, _)| *t == "PASSWORD").count();
    assert_eq!(pw, 2, "{body}: {got:?}");
}

#[test]
fn chpasswd_look_alikes_hold_no_password() {
    for text in [
        // Random passwords asked of cloud-init.
        "chpasswd:\n  list: |\n    root:RANDOM\n    ops:R\n  expire: true\n",
        // No literal block under the key.
        "chpasswd:\n  expire: false\nruncmd:\n  - echo root:not-a-list-value\n",
        // `list:` at the key's own depth is another key's (no entry deeper).
        "chpasswd:\nlist: |\n  root:velvet-thunder75\n",
        // A word ending in `chpasswd` is no key of its own.
        "notchpasswd:\n  list: |\n    root:velvet-thunder75\n",
        // Sibling keys after the list are no entries.
        "chpasswd:\n  list: |\n    root:RANDOM\n  expire: false\n  other: cobalt_orchid66\n",
    ] {
        for t in both(text) {
            let got = found(&t, Entity::Password);
            assert!(
                !got.iter().any(|v| v == "velvet-thunder75"
                    || v == "RANDOM"
                    || v == "R"
                    || v == "false"
                    || v == "cobalt_orchid66"),
                "{t:?}: {got:?}"
            );
        }
    }
}

#[test]
fn chpasswd_entries_on_hostile_input_do_not_panic() {
    for text in [
        "chpasswd:",
        "chpasswd:\n",
        "chpasswd:\n  list:",
        "chpasswd:\n  list: |",
        "chpasswd:\n  list: |\n",
        "chpasswd:\n  list: |\n    :",
        "chpasswd:\n  list: |\n    a:",
        "chpasswd:\n  list: |\n    a:\r",
        "\nchpasswd:  \r\n\t\tlist:|\n\t\t\tx:Tr0ub4dor&3",
    ] {
        for t in both(text) {
            let _ = found(&t, Entity::Password);
        }
    }
}
