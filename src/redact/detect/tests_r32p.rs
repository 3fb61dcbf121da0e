//! The thirty-second round's Infisical `secretKey` / `secretValue` pair, an audit `EXECVE`
//! record's `mysql … a3="-pVALUE"` and a value between escaped quotes after `=` (SAM CLI's
//! `parameter_overrides`) (issue #20, task pw; `detect::evidence_r32p`), and their
//! look-alikes, in text and JSON.

use super::tests_support::{assert_each_found, assert_none_found, json_findings_checked};
use crate::redact::entity::Entity;

#[test]
fn an_infisical_secret_named_for_a_password_is_one() {
    let body = r#"{"secrets":[{"id":"f91f8483-ddc2-4476","secretKey":"DB_PASSWORD","secretValue":"velo-ostsee-delta-pingu28","type":"personal","version":1},{"id":"a1","secretKey":"DB_PASSWORD","secretValue":"bkDrQE^cE3j2aH","type":"personal","version":1}],"environment":"prod"}"#;
    let got = json_findings_checked(body);
    assert_eq!(
        got,
        vec![
            ("PASSWORD", "/secrets/0/secretValue".to_string()),
            ("PASSWORD", "/secrets/1/secretValue".to_string()),
        ],
        "{body}"
    );
}

#[test]
fn infisical_look_alikes_keep_their_type() {
    // A vendor's token keeps its own type under a pair's name.
    let body = r#"{"secrets":[{"id":"b0","secretKey":"GH_TOKEN","secretValue":"ghp_aNxbljqaGxXITfOWjx3awl2MaQ0R1b2c3d4E","type":"shared","version":3}]}"#;
    let got = json_findings_checked(body);
    assert_eq!(
        got,
        vec![("GITHUB_TOKEN", "/secrets/0/secretValue".to_string())],
        "{body}"
    );
    // A `secretKey` with no value member (n8n's credential data) is no pair: no password.
    let body =
        r#"{"name":"Stripe account","type":"stripeApi","data":{"secretKey":"hunter2-not-a-pair"}}"#;
    let got = json_findings_checked(body);
    assert!(
        !got.iter().any(|(t, _)| *t == "PASSWORD"),
        "{body}: {got:?}"
    );
    // A pair named for no secret: its value is none (the name under `secretKey` is judged
    // by that key, as before).
    let body =
        r#"{"secrets":[{"secretKey":"APP_NAME","secretValue":"orders-api-west","type":"shared"}]}"#;
    let got = json_findings_checked(body);
    assert!(
        !got.iter().any(|(_, p)| p.ends_with("secretValue")),
        "{body}: {got:?}"
    );
}

#[test]
fn a_mysql_password_in_an_execve_record_is_found() {
    assert_each_found(Entity::Password, &[
        (
            "type=EXECVE msg=audit(1794120569.590:71420): argc=5 a0=\"mysql\" a1=\"-u\" a2=\"root\" a3=\"-pRnwazxahb859#\" a4=\"shop\"\n",
            "Rnwazxahb859#",
        ),
        (
            "type=EXECVE msg=audit(1794120569.590:71421): argc=4 a0=\"/usr/bin/mysql\" a1=\"-uroot\" a2=\"--password=quokka-zitrone-velo-pomodoro95\" a3=\"shop\"\n",
            "quokka-zitrone-velo-pomodoro95",
        ),
    ]);
}

#[test]
fn execve_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            // A bare `-p` prompts; the next argument is the database.
            "type=EXECVE msg=audit(1794120569.590:71420): argc=5 a0=\"mysql\" a1=\"-u\" a2=\"root\" a3=\"-p\" a4=\"shop_db_2024\"\n",
            // Another client's `-p` (a port), and a `-p` of no password's shape.
            "type=EXECVE msg=audit(1794120569.590:71422): argc=3 a0=\"ssh\" a1=\"-p2222\" a2=\"root@10.0.0.5\"\n",
            "type=EXECVE msg=audit(1794120569.590:71423): argc=3 a0=\"mysql\" a1=\"-pshop\" a2=\"x\"\n",
            // Unterminated record: nothing read past it.
            "type=EXECVE msg=audit(1794120569.590:71424): argc=3 a0=\"mysql\" a1=\"-pR",
            "a0=\"mysql\"",
            "\"mysql\"",
        ],
    );
}

#[test]
fn a_value_between_escaped_quotes_is_found() {
    assert_each_found(Entity::Password, &[
        (
            "parameter_overrides = \"Stage=\\\"prod\\\" DbPassword=\\\"harbor-brioche-mar35\\\" AllowedCidr=\\\"194.24.41.171/32\\\"\"\n",
            "harbor-brioche-mar35",
        ),
        (
            "parameter_overrides = \"DbPassword=\\\"zxac54BHX!\\\"\"\n",
            "zxac54BHX!",
        ),
    ]);
}

#[test]
fn escaped_quote_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            "<user username=\\\"admin\\\" password=\\\"<must-be-changed>\\\" roles=\\\"manager-gui\\\"/>\n",
            "parameter_overrides = \"DbPassword=\\\"${DB_PASSWORD}\\\"\"\n",
            "parameter_overrides = \"DbPassword=\\\"",
            "DbPassword=\\",
            "DbPassword=\\\"\\\"",
        ],
    );
}

#[test]
fn a_samba_user_password_is_found() {
    assert_each_found(
        Entity::Password,
        &[
            (
                "$ smbclient //10.127.230.210/Public -U 'AD\\gortese%Hzoqmfqru10!7' -c 'ls'\n",
                "Hzoqmfqru10!7",
            ),
            (
                "rpcclient -U NORDWIND\\rcifuentes%berlin2117 10.0.0.4\n",
                "berlin2117",
            ),
        ],
    );
}

#[test]
fn samba_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            // No `%`: the password is prompted for.
            "$ smbclient //10.127.230.210/Public -U 'AD\\gortese' -c 'ls'\n",
            // A template, and a `%` closing the argument.
            "$ smbclient //fs01/Public -U 'AD\\gortese%%SMB_PASSWORD%' -c 'ls'\n",
            "$ smbclient //fs01/Public -U gortese% -c 'ls'\n",
            // psql's `-U` names the user only.
            "$ psql -h 10.0.0.5 -U 'report_ro' -c 'select 1'\n",
        ],
    );
}

#[test]
fn redis_masterauth_and_rabbitmq_add_user_are_found() {
    assert_each_found(Entity::Password, &[
        (
            "bind 0.0.0.0\nprotected-mode yes\nmasterauth Heidekraut*1656\nmaxmemory 2gb\n",
            "Heidekraut*1656",
        ),
        (
            "root@mq-2:~# rabbitmqctl add_user orders_svc G1r450l+79\nAdding user \"orders_svc\" ...\n",
            "G1r450l+79",
        ),
        (
            "$ rabbitmqctl add_user billing 'churro.kompass-46'\n",
            "churro.kompass-46",
        ),
    ]);
}

#[test]
fn masterauth_and_add_user_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            // A commented template, a word.
            "# masterauth <master-password>\n",
            "masterauth\n",
            // `add_user` of another tool, and `rabbitmqctl add_user` without a password.
            "django-admin add_user orders_svc G1r450l+79\n",
            "rabbitmqctl add_user orders_svc\n",
            "rabbitmqctl add_user ",
        ],
    );
}
