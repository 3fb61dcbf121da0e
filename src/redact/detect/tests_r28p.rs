//! The twenty-eighth round's connect string and glued `-uUSER -pVALUE` (issue #20, task pw;
//! `detect::evidence_r28p`), and their look-alikes.

use super::tests_support::{both, found};
use crate::redact::entity::Entity;

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

#[test]
fn a_connect_strings_password_is_found() {
    for (text, value) in [
        (
            "$ sqlplus hr_admin/5t7B3TwcRYXco@//192.168.93.128:1521/ORCLPDB1\nSQL*Plus: Release 19.0.0.0.0\n",
            "5t7B3TwcRYXco",
        ),
        (
            "$ sqlplus care_owner/Hafenkran5811!@CAREPRD\nSQL*Plus: Release 19.0.0.0.0\n",
            "Hafenkran5811!",
        ),
        (
            "$ sqlplus system/walnut_klompen_saffron84@//10.221.165.2:1521/ORCLPDB1\n",
            "walnut_klompen_saffron84",
        ),
        ("expdp system/Tr0ub4dor.93@orcl schemas=HR directory=DP\n", "Tr0ub4dor.93"),
        ("conn=\"app_rw/Kayak-1985x@db01\"\n", "Kayak-1985x"),
    ] {
        for t in both(text) {
            assert_eq!(pw(&t), vec![value.to_string()], "{t:?}");
        }
    }
}

#[test]
fn a_connect_strings_look_alikes_are_no_password() {
    for text in [
        "$ sqlplus / as sysdba\nSQL> select 1 from dual;\n",
        "$ sqlplus scott@orcl\nEnter password:\n",
        "$ sqlplus hr_admin@//10.0.0.5:1521/ORCLPDB1\n",
        "$ sqlplus hr_admin/$ORACLE_PW@//10.0.0.5:1521/ORCLPDB1\n",
        "$ sqlplus hr_admin/%ORACLE_PW%@//10.0.0.5:1521/ORCLPDB1\n",
        "$ sqlplus hr_admin/********@//10.0.0.5:1521/ORCLPDB1\n",
        "      - uses: actions/checkout@v4\n      - uses: actions/setup-node@v4\n",
        "docker pull library/nginx@sha256:0d17b565c37bcbd895e9d92315a05c1c3c9a29f762b011a10c54a66cd53c9b31\n",
        "npm install @scope/widget@1.2.3 --save\n",
        "see docs/setup for the steps, then a/b testing@scale\n",
        "pip install git+https://github.com/org/repo@v1.2.0\n",
        "$ sqlplus hr_admin/-x@db\n",
    ] {
        for t in both(text) {
            assert!(pw(&t).is_empty(), "{t:?}: {:?}", pw(&t));
        }
    }
}

#[test]
fn a_glued_password_after_a_glued_user_is_found() {
    for (text, value) in [
        (
            "Dec 11 06:41:50 bastion sudo:   deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; COMMAND=/usr/bin/mysql -uroot -pSN9241dase!\n",
            "SN9241dase!",
        ),
        (
            "30 2 * * 0 mysqldump --all-databases -uroot -pcactus-mistral.422 | gzip > /srv/backup/all.sql.gz\n",
            "cactus-mistral.422",
        ),
        (
            "    mysql -uroot -pSonnenblume1030~ -e \"CREATE DATABASE shop\"\n",
            "Sonnenblume1030~",
        ),
        ("mysqladmin -uadmin -p'Copper_harbour4' status\n", "Copper_harbour4"),
    ] {
        for t in both(text) {
            assert_eq!(pw(&t), vec![value.to_string()], "{t:?}");
        }
    }
}

#[test]
fn a_glued_flags_look_alikes_are_no_password() {
    for text in [
        // Prompting: no value.
        "$ mysql -uroot -p\nEnter password:\n",
        "$ mysql -uroot -p -h db.internal shop\n",
        // A port, a word, a variable, a redaction mark.
        "$ mysql -uroot -P 3306 -h db.internal shop\n",
        "$ mysql -uroot -pretty -h db.internal shop\n",
        "$ mysql -uroot -p$MYSQL_ROOT_PASSWORD shop\n",
        "$ mysql -uroot -p******** shop\n",
        // No glued user.
        "$ mysql --user=root --batch -pretty shop\n",
    ] {
        for t in both(text) {
            assert!(pw(&t).is_empty(), "{t:?}: {:?}", pw(&t));
        }
    }
}

#[test]
fn a_wifi_pre_shared_key_is_a_password() {
    for (text, value) in [
        (
            "/interface wireless security-profiles\nset [ find default=yes ] wpa2-pre-shared-key=orch!d5826\n/system identity set name=ap1\n",
            "orch!d5826",
        ),
        (
            "/interface wireless security-profiles\nset [ find default=yes ] wpa2-pre-shared-key=Sonnenblume_sonnenblume7\n/system identity set name=ap1\n",
            "Sonnenblume_sonnenblume7",
        ),
        ("set [ find default=yes ] wpa-pre-shared-key=Tr0ub4dor#3x\n", "Tr0ub4dor#3x"),
    ] {
        for t in both(text) {
            assert_eq!(pw(&t), vec![value.to_string()], "{t:?}");
            assert!(found(&t, Entity::GenericSecret).is_empty(), "{t:?}");
        }
    }
    // No Wi-Fi word: an IPsec peer's key is no password here.
    for t in both("set peer-pre-shared-key=Xk9mQ2vL7pR4tZ8wB3nC\n") {
        assert!(pw(&t).is_empty(), "{t:?}: {:?}", pw(&t));
    }
}

#[test]
fn a_base64_run_with_an_at_sign_is_no_connect_string() {
    for text in [
        "sig mDkHpXfNxHm/2g+m8nMk8jWQjOWMN05SSAh8VnpMS@88/\n",
        "{\"office\":\"mKy/DRqV6rfH5:4@41ui\"}\n",
    ] {
        for t in both(text) {
            assert!(pw(&t).is_empty(), "{t:?}: {:?}", pw(&t));
        }
    }
    // One case, either: a user name.
    for t in both("$ sqlplus SYSTEM/Tr0ub4dor.93@ORCL\n") {
        assert_eq!(pw(&t), vec!["Tr0ub4dor.93".to_string()], "{t:?}");
    }
}
