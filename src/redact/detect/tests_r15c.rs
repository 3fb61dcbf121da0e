//! The fifteenth round's JSON rules for passwords and secrets (issue #20, part C): the
//! `value` member of a secret-named key's object, a payment card's vault token, OData's
//! paging cursors; each with the look-alikes it must leave alone.

use super::tests_support::{found, json_findings_checked as json_findings};
use crate::redact::entity::Entity;

fn s(e: &'static str, p: &str) -> (&'static str, String) {
    (e, p.to_string())
}

#[test]
fn the_value_member_of_a_secret_named_object_is_the_secret() {
    // Spring Boot Actuator's `/env`: each property an object with its value and origin.
    let body = r#"{"activeProfiles":["prod"],"propertySources":[{"name":"applicationConfig: [classpath:/application-prod.yml]","properties":{"spring.datasource.url":{"value":"jdbc:postgresql://db.internal:5432/dms"},"spring.datasource.password":{"value":"Lavande8901%","origin":"class path resource [application-prod.yml] - 9:15"},"security.password.min-length":{"value":"12"},"server.port":{"value":"8443","origin":"class path resource [application.yml] - 3:9"}}}]}"#;
    assert_eq!(
        json_findings(body),
        vec![s(
            "PASSWORD",
            "/propertySources/0/properties/spring.datasource.password/value"
        )]
    );
    // An ARM template's parameters file; Keycloak's credential representation (an array of
    // objects under a secret key); the origin comes before the value.
    let body = r#"{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#","parameters":{"adminUsername":{"value":"azureuser"},"adminPassword":{"value":"tramontana-pumpernickel-girasole8"},"vmSize":{"value":"Standard_B2s"}}}"#;
    assert_eq!(
        json_findings(body),
        vec![s("PASSWORD", "/parameters/adminPassword/value")]
    );
    let body = r#"{"username":"jdoe","credentials":[{"type":"password","value":"m4xcU%0pqSoRR","temporary":false}],"token":{"origin":"vault","Value":"pcEbPxEsme0a86JQ4C5PHjvoZZ"}}"#;
    // (Eighteenth round: the credential's `type` names its value, a PASSWORD.)
    assert_eq!(
        json_findings(body),
        vec![
            s("GENERIC_SECRET", "/token/Value"),
            s("PASSWORD", "/credentials/0/value"),
        ]
    );
}

#[test]
fn the_other_members_of_a_secret_named_object_stay_unfound() {
    // The origin, a setting about passwords, a masked value, a value under a plain key, a
    // deeper member named `value` under a plain member, a password policy's numbers.
    for body in [
        r#"{"spring.datasource.password":{"origin":"class path resource [application-prod.yml] - 9:15"}}"#,
        r#"{"security.password.min-length":{"value":"12"},"password_policy":{"value":"STRONG"}}"#,
        r#"{"spring.datasource.password":{"value":"******","origin":"env"}}"#,
        r#"{"spring.datasource.username":{"value":"dms_app"},"server.port":{"value":"8443"}}"#,
        r#"{"password":{"rules":{"value":"min 12 characters"},"min_length":12}}"#,
        r#"{"password":{"value":"","origin":"env"}}"#,
    ] {
        assert_eq!(json_findings(body), vec![], "{body}");
    }
}

#[test]
fn a_payment_cards_vault_token_is_no_secret() {
    // Braintree's webhook: the card's bin, last four and vault token.
    let body = r#"{"kind":"subscription_charged_successfully","subscription":{"id":"nmoxeo","transactions":[{"id":"zil452l1","credit_card":{"bin":"371137","last_4":"7830","token":"wpp4xsk"},"ip_address":"10.174.58.212"}]},"merchant":{"private_key":"pcEbPxEsme0a86JQ4C5PHjvoZZrlbR44iZQiMZBR"}}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("GENERIC_SECRET", "/merchant/private_key"),
            s("IPV4", "/subscription/transactions/0/ip_address"),
        ]
    );
    // Any case; a network token that is a card number is still a card.
    assert_eq!(
        json_findings(r#"{"card":{"Token":"k2x9qv7","brand":"visa"}}"#),
        vec![]
    );
    assert_eq!(
        json_findings(r#"{"card":{"token":"4111111111111111"}}"#),
        vec![s("CREDIT_CARD", "/card/token")]
    );
}

#[test]
fn other_secrets_under_a_card_and_tokens_elsewhere_stay_found() {
    let body = r#"{"credit_card":{"cvv":"123","access_token":"Qx7Lm2Rt9Vb4Nc8Ws1Pz","card_token":"Zr8Kp3Lq9Wt2Vn5"},"payment":{"token":"wpp4xsk"},"token":"ebqbpvt","card":{"meta":{"token":"28iwoaw"}}}"#;
    assert_eq!(
        json_findings(body),
        vec![
            s("GENERIC_SECRET", "/card/meta/token"),
            s("GENERIC_SECRET", "/credit_card/access_token"),
            s("GENERIC_SECRET", "/credit_card/card_token"),
            s("GENERIC_SECRET", "/credit_card/cvv"),
            s("GENERIC_SECRET", "/payment/token"),
            s("GENERIC_SECRET", "/token"),
        ]
    );
}

#[test]
fn odata_paging_cursors_are_no_secret() {
    // Microsoft Graph's next page and delta links; Azure's `$skipToken`; a JSON key.
    let body = r#"{"value":[{"userPrincipalName":"x"}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=FnCDbI3cVb9rn8cjFDjUDRiu"}"#;
    assert_eq!(json_findings(body), vec![]);
    let body = r#"{"@odata.deltaLink":"https://graph.microsoft.com/v1.0/users/delta?$deltatoken=oEcOySpF_hWYmTIUZBOIfPzcwisr_rPe8o9M54L45qEXQGmvQC6T2dbL-9O7nSU-njKhFiGlAZqewNAThmCVnNxqPu5gOBegrm1CaVZ-ZtFZ2tPOAO98OD9y0ao460"}"#;
    assert_eq!(json_findings(body), vec![]);
    let body = r#"{"nextLink":"https://management.azure.com/subscriptions/x/resources?api-version=2021-04-01&$skipToken=eyJuZXh0TWFya2VyIjoiMiEyODghTURBd01EYzFJWFJ2YTJWdUlUSXdNalk9In0","skipToken":"Y2FiY2RlZmdoaWprbG1ub3A"}"#;
    assert_eq!(json_findings(body), vec![]);
    assert_eq!(
        found(
            "GET /v1.0/users?$skiptoken=X8Rk2LmP4vQ9sT1wY6zB",
            Entity::GenericSecret
        ),
        Vec::<String>::new()
    );
}

#[test]
fn tokens_beside_a_paging_cursor_stay_found() {
    // A query string's own token, a skip count before it, an access token in the same link.
    assert_eq!(
        found(
            "https://api.example.com/items?skip=20&token=Qx7Lm2Rt9Vb4Nc8Ws1Pz",
            Entity::GenericSecret
        ),
        vec!["Qx7Lm2Rt9Vb4Nc8Ws1Pz"]
    );
    assert_eq!(
        found(
            "https://graph.example.com/v1.0/users?$skiptoken=FnCDbI3cVb9rn8cj&access_token=x9Kq2LmP4vR8sT1wY6zB3nD5",
            Entity::GenericSecret
        ),
        vec!["x9Kq2LmP4vR8sT1wY6zB3nD5"]
    );
    let body = r#"{"skipToken":"Y2FiY2RlZmdoaWprbG1ub3A","token":"Qx7Lm2Rt9Vb4Nc8Ws1Pz"}"#;
    assert_eq!(json_findings(body), vec![s("GENERIC_SECRET", "/token")]);
}
