//! The thirteenth round's JSON rules for passwords and secrets (issue #20, part C): name/value
//! pair objects whose name member names the secret, and key names that mean one; each with
//! the look-alikes it must leave alone.

use super::tests_support::{json_findings_checked as json_findings, redactor};

fn s(e: &'static str, p: &str) -> (&'static str, String) {
    (e, p.to_string())
}

#[test]
fn a_pair_whose_name_names_a_secret_holds_one() {
    // A Postman environment: the value's sensitivity is given by its `key` sibling.
    let body = r#"{"name":"Local","values":[{"key":"baseUrl","value":"https://api.example.com","type":"default","enabled":true},{"key":"password","value":"Sar#3768DEGNA","type":"secret","enabled":true},{"key":"clientSecret","value":"97596a518a034140bd8891d003146326","type":"secret","enabled":true},{"key":"token_ttl","value":"3600","type":"default","enabled":true},{"key":"password_policy","value":"min12-upper-digit","type":"default","enabled":true},{"key":"API_KEY_ID","value":"kid-2024-07","type":"default","enabled":true}]}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("GENERIC_SECRET", "/values/2/value"),
            s("PASSWORD", "/values/1/value"),
        ]
    );
    // A CI variables API, a Kubernetes env list, CloudFormation parameters, an SSM
    // parameter named by its path; the name may come after the value.
    let body = r#"{"variables":[{"variable_type":"env_var","key":"DB_PASSWORD","value":"h7Rt_92kLmQ","protected":true},{"key":"SMTP_PASS","value":"Lavanda1065_"},{"value":"zcdj9lme21mvrlp0wxjp68m04ko80itm","key":"session_cookie"}],"env":[{"name":"REDIS_PASSWORD","value":"Kookaburra688*"},{"name":"LOG_LEVEL","value":"debug"}],"Parameters":[{"ParameterKey":"DbPassword","ParameterValue":"Granada491_x"},{"ParameterKey":"InstanceType","ParameterValue":"t3.micro"}],"Parameter":{"Name":"/prod/db/password","Type":"SecureString","Value":"molen-hortensia-vlinder9"}}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("GENERIC_SECRET", "/variables/2/value"),
            s("PASSWORD", "/Parameter/Value"),
            s("PASSWORD", "/Parameters/0/ParameterValue"),
            s("PASSWORD", "/env/0/value"),
            s("PASSWORD", "/variables/0/value"),
            s("PASSWORD", "/variables/1/value"),
        ]
    );
    // A HAR's headers and form fields: the cookie header's value is a secret as a whole (as
    // under a `cookie` key), a recognised secret is reported as what it is.
    let body = r#"{"request":{"headers":[{"name":"Authorization","value":"Bearer ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"},{"name":"Cookie","value":"csrftoken=3kovdswV7waIFmuaxDTvQwL0KX45JdxX; sessionid=S8QeqMsXUk8rkGOcQBG5flpBZn5kJ"},{"name":"User-Agent","value":"Mozilla/5.0"}],"params":[{"name":"password","value":"L4v4nd42024"},{"name":"remember","value":"1"}]}}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("GENERIC_SECRET", "/request/headers/1/value"),
            s("GITHUB_TOKEN", "/request/headers/0/value"),
            s("PASSWORD", "/request/params/0/value"),
        ]
    );
}

#[test]
fn a_pair_whose_name_names_no_secret_is_read_as_before() {
    // Settings about secrets, key ids, and names that only hold a secret word.
    for body in [
        r#"{"values":[{"key":"token_ttl","value":"3600"},{"key":"password_policy","value":"min12-upper-digit"},{"key":"PASSWORD_MIN_LENGTH","value":"12"},{"key":"SECRET_NAME","value":"prod/db"},{"key":"API_KEY_ID","value":"AKID-2024-7"},{"key":"TOKEN_TYPE","value":"Bearer"}]}"#,
        r#"{"tags":[{"Key":"Name","Value":"web-1"},{"Key":"team","Value":"payments"}]}"#,
        r#"{"env":[{"name":"GITHUB_TOKEN","value":"***"},{"name":"DB_PASSWORD","value":""}]}"#,
        // A name that is not a string, a value that is an object of its own.
        r#"{"items":[{"key":7,"value":"Sar#3768DEGNA1"},{"name":{"first":"password"},"value":"x"}]}"#,
        // No value member: the name alone says nothing.
        r#"{"fields":[{"name":"password","type":"string","required":true}]}"#,
    ] {
        assert_eq!(json_findings(body), vec![], "{body}");
    }
    // A value member that is itself an object: its members are read by their own keys.
    let body = r#"{"key":"password","value":{"hint":"first pet","note":"none"}}"#;
    assert_eq!(json_findings(body), vec![]);
}

#[test]
fn a_secret_name_after_the_value_gives_the_same_findings_in_every_layout() {
    for body in [
        r#"{"value":"Sar#3768DEGNA","key":"password"}"#,
        r#"{"value":"Sar#3768DEGNA","key":"password","name":"api_token"}"#,
        r#"{"name":"api_token","value":"Sar#3768DEGNA","key":"password"}"#,
        r#"{"key":"password","value":"Sar#3768DEGNA","name":"api_token"}"#,
        r#"{"key":"pass\u0077ord","value":"Sar#3768DEGNA"}"#,
        r#"{"ke\u0079":"password","value":"Sar#3768DEGNA"}"#,
    ] {
        assert_eq!(json_findings(body), vec![s("PASSWORD", "/value")], "{body}");
    }
}

#[test]
fn a_pre_shared_key_is_a_password() {
    // A device shadow's Wi-Fi settings, hostapd's and NetworkManager's names, an IPsec or
    // WireGuard peer's pre-shared key.
    let body = r#"{"state":{"reported":{"fw":"v16.26.283","wifi":{"ssid":"Home-O9OH","psk":"zpg1cMpfhzTcqymA2Y","rssi":-44}}},"hostapd":{"wpa_psk":"Tramonto421_x","wifi_psk":"molen-hortensia-vlinder9"},"vpn":{"pre_shared_key":"q8Hk2LmZp4Rt7Vw1","PresharedKey":"bxRe0_CcLAG_Q"}}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("PASSWORD", "/hostapd/wifi_psk"),
            s("PASSWORD", "/hostapd/wpa_psk"),
            s("PASSWORD", "/state/reported/wifi/psk"),
            s("PASSWORD", "/vpn/PresharedKey"),
            s("PASSWORD", "/vpn/pre_shared_key"),
        ]
    );
    // Settings about a pre-shared key, and the word as a value.
    let body = r#"{"wifi":{"key_mgmt":"WPA-PSK","security":"wpa2-psk","psk_identity":"device-42","pskEnabled":true,"psk_hint":"on the router"},"tls":{"psk_identity_hint":"gw-1"}}"#;
    assert_eq!(json_findings(body), vec![]);
}

#[test]
fn a_message_brokers_pass_is_a_password() {
    let body = r#"{"mqtt_pass":"Lavanda1065_","amqp_pass":"Granada491_x","RABBITMQ_DEFAULT_PASS":"Kookaburra688*","sasl_pass":"Sar#3768DEGNA"}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("PASSWORD", "/RABBITMQ_DEFAULT_PASS"),
            s("PASSWORD", "/amqp_pass"),
            s("PASSWORD", "/mqtt_pass"),
            s("PASSWORD", "/sasl_pass"),
        ]
    );
    // `pass` after a word that names no login stays none (`boarding_pass`, `season_pass`),
    // and a broker's setting is no password.
    let body = r#"{"boarding_pass":"BA0117-22C","season_pass":"gold","mqtt_password_min_length":"12","default_passenger":"adult","broker_pass_rate":"0.97"}"#;
    assert_eq!(json_findings(body), vec![]);
}

#[test]
fn a_clean_body_with_names_and_no_pair_value_stays_clean() {
    use crate::redact::json::{pair_role, PairRole};
    let r = redactor();
    // Names alone (no `value` key anywhere): the clean check reads none of them.
    let body = br#"{"products":[{"name":"Widget","sku":"SKU-1","price":3},{"name":"Gadget","sku":"SKU-2","price":4}],"key":"catalogue"}"#;
    assert!(r.json_bytes_clean(body));
    // With a value key, a name naming nothing keeps the body clean, one naming a secret
    // does not.
    let body = br#"{"tags":[{"Key":"team","Value":"payments"},{"Key":"env","Value":"prod"}]}"#;
    assert!(r.json_bytes_clean(body));
    let body = br#"{"tags":[{"Key":"team","Value":"payments"},{"Key":"db_password","Value":"Lavanda1065_"}]}"#;
    assert!(!r.json_bytes_clean(body));
    // The spellings a pair's keys take.
    for (k, role) in [
        ("key", PairRole::Name),
        ("Name", PairRole::Name),
        ("ParameterKey", PairRole::Name),
        ("value", PairRole::Value),
        ("Value", PairRole::Value),
        ("VALUE", PairRole::Value),
        ("ParameterValue", PairRole::Value),
        ("vaLUE", PairRole::Other),
        ("values", PairRole::Other),
        ("keys", PairRole::Other),
        ("key_id", PairRole::Other),
    ] {
        assert_eq!(pair_role(k), role, "{k}");
    }
}
