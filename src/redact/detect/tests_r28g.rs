//! The twenty-eighth round's GENERIC_SECRET rules (issue #20, task gs;
//! `detect::evidence_r28g`): a `routing_key`'s token, WordPress's keys whatever byte opens
//! them, in the seven locales' documents; and their look-alikes: a message broker's routing
//! key, `cvc` as a word after a card (the card's code later on its line: `tests_r29c`), an
//! environment variable's reference standing where a secret's value would.

use super::tests_support::{found, json_findings};
use crate::redact::entity::Entity;

fn gs(text: &str) -> Vec<String> {
    found(text, Entity::GenericSecret)
}

fn has(text: &str, value: &str) -> bool {
    gs(text).iter().any(|f| f == value)
}

#[test]
fn a_routing_keys_token_is_found_in_each_locale() {
    for (text, value) in [
        (
            "receivers:\n- name: oncall\n  pagerduty_configs:\n  - routing_key: 0610085296fb14134d04b51a11be064b\n  # silenced until 2026-12-09\n",
            "0610085296fb14134d04b51a11be064b",
        ),
        (
            "# Alarmierung (Bereitschaft)\n  pagerduty_configs:\n    - routing_key: '574ee9e9f611bc5f828b785c17f0892e'\n      severity: critical\n",
            "574ee9e9f611bc5f828b785c17f0892e",
        ),
        (
            "Configuration de l'astreinte : routing_key=408d6a1d2cd79e701baeeeaa5bdbb022 (ne pas partager)\n",
            "408d6a1d2cd79e701baeeeaa5bdbb022",
        ),
        (
            "integración de guardia (PagerDuty)\nROUTING_KEY=d80fbf9196f4a61cf7655e0e9f98dac0\n",
            "d80fbf9196f4a61cf7655e0e9f98dac0",
        ),
        (
            "const pd = { routingKey: \"9c60c11b98936e22ef1e203078296b77\", eventAction: \"trigger\" }; // reperibilità\n",
            "9c60c11b98936e22ef1e203078296b77",
        ),
        (
            "notificatie-instellingen\nrouting-key = ae6b853c119a8d3a97b027aee3b6437e\n",
            "ae6b853c119a8d3a97b027aee3b6437e",
        ),
        (
            "curl -X POST https://events.pagerduty.com/v2/enqueue -d '{\"routing_key\":\"d92b497c681458a854c6bdafd9258860\",\"event_action\":\"trigger\"}'\n",
            "d92b497c681458a854c6bdafd9258860",
        ),
        // A 64-hex key (blind21's layout), in Portuguese prose around it.
        (
            "chave de roteamento do pager:\n  - routing_key: 65b73fb5a235ec0132a3b18ce89238925fa89b0b03e8bcbc98fd9b8ef6a51e39\n",
            "65b73fb5a235ec0132a3b18ce89238925fa89b0b03e8bcbc98fd9b8ef6a51e39",
        ),
    ] {
        assert!(has(text, value), "{text}: {:?}", gs(text));
    }
}

#[test]
fn a_message_brokers_routing_key_is_no_secret() {
    for text in [
        "channel.basic_publish(exchange='orders', routing_key='orders.created', body=msg)\n",
        "routing_key: orders.eu-west-1.created.v2\n",
        "bindings:\n  - queue: billing-events\n    routing_key: \"#\"\n",
        "routing_key = *.error.payments\n",
        "routingKey: ${PAGERDUTY_ROUTING_KEY}\n",
        "routing_key: <your-integration-key>\n",
        "routing_key: process.env.PD_ROUTING_KEY\n",
        "routing_key: 0000000000000000000000000000000000000000\n",
        "routing_key: abcdefabcdefabcdefabcdef\n",
        // A version, an id, a short hex.
        "routing_key: 2.14.0\n",
        "routing_key: 1234567\n",
        "routing_key: 3f786850e387\n",
    ] {
        assert!(gs(text).is_empty(), "{text}: {:?}", gs(text));
    }
}

#[test]
fn a_card_security_code_word_without_its_digits_is_no_secret() {
    for text in [
        // `cvc` as a word in prose, no number after it.
        "card 4111111111111111 got declined, the cvc was wrong\n",
        "card 4111111111111111 got declined; ask for the cvc again\n",
        // Its digits on the next line, an order number, a year.
        "card 4111111111111111 got declined, cvc\n2026 was the year\n",
        "card 4111111111111111 got declined, cvc 12345\n",
        "card 4111111111111111 got declined, cvc 2026-12-01\n",
        // No card before it (a failing Luhn check): the code word alone.
        "ticket 4111111111111112 got declined, cvc 459\n",
    ] {
        assert!(gs(text).is_empty(), "{text}: {:?}", gs(text));
    }
    // Beyond the 48 bytes after the card.
    let far =
        "card 4111111111111111 got declined at the checkout page yesterday evening, cvc 459\n";
    assert!(!has(far, "459"), "{:?}", gs(far));
}

#[test]
fn wordpress_keys_opening_with_any_byte_are_found() {
    let text = "define( 'DB_NAME', 'wp_shop' );\ndefine( 'DB_USER', 'wp_admin' );\ndefine( 'DB_PASSWORD', 'Qu8#rT2!mZp4' );\ndefine( 'DB_HOST', '172.29.163.40:3306' );\n\ndefine( 'AUTH_KEY', '[Kco#:(PP=!,RZUrfjViu?I-p=r!uv_F}97t~}k73)89LG!K<6hTaLfu-HZqRtb=' );\ndefine( 'SECURE_AUTH_KEY', '<iW~6D*b[^$0hVyI,l(JdBaaAq_A_PWYA$.>,_rdOR0#JD1[4UABax(igDqoe=^A' );\ndefine( 'LOGGED_IN_KEY', '%1%L,Xp!Xt%IoYwJRb,[ce1GVr1fqlEbc#%&nR#(2QQ<WD9cKvrp#Q>%k}FLuZPE' );\ndefine( 'NONCE_KEY', 'c5e4f204597219dd9bf62225d86849086566560f0f6da0c44c51ddb45404945f' );\ndefine( 'AUTH_SALT', '*z&U${z.Ckl9VvV+^Ho|ehtsL?IK}Vf_Fnsw5CT>&prcPI%&n{kMO[!RYZwa y9I' );\n";
    for value in [
        "[Kco#:(PP=!,RZUrfjViu?I-p=r!uv_F}97t~}k73)89LG!K<6hTaLfu-HZqRtb=",
        "<iW~6D*b[^$0hVyI,l(JdBaaAq_A_PWYA$.>,_rdOR0#JD1[4UABax(igDqoe=^A",
        "%1%L,Xp!Xt%IoYwJRb,[ce1GVr1fqlEbc#%&nR#(2QQ<WD9cKvrp#Q>%k}FLuZPE",
        "c5e4f204597219dd9bf62225d86849086566560f0f6da0c44c51ddb45404945f",
        "*z&U${z.Ckl9VvV+^Ho|ehtsL?IK}Vf_Fnsw5CT>&prcPI%&n{kMO[!RYZwa y9I",
    ] {
        assert!(has(text, value), "{value}: {:?}", gs(text));
    }
}

#[test]
fn wordpress_stand_ins_are_no_secret() {
    let text = "define( 'DB_PASSWORD', 'Qu8#rT2!mZp4' );\ndefine( 'AUTH_KEY', 'put your unique phrase here' );\ndefine( 'SECURE_AUTH_KEY', '****************************************************************' );\ndefine( 'NONCE_KEY', '<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>>' );\ndefine( 'AUTH_SALT', '${WORDPRESS_AUTH_SALT}' );\n";
    assert!(gs(text).is_empty(), "{:?}", gs(text));
}

#[test]
fn an_environment_variables_reference_is_no_secret() {
    for text in [
        "export const openai = new OpenAI({ apiKey: process.env.OPENAI_API_KEY });\n",
        "const client = new Client({ token: import.meta.env.VITE_API_TOKEN })\n",
        "secret_key: config.SECRET_KEY\n",
        "api_key = settings.STRIPE_API_KEY\n",
        "WEBHOOK_SECRET=${WEBHOOK_SECRET}\n",
        "api_key = os.environ[\"OPENAI_API_KEY\"]\n",
        "token = os.getenv(\"GITHUB_TOKEN\")\n",
        "secret = ENV[\"APP_SECRET\"]\n",
        "String apiKey = System.getenv(\"API_KEY\");\n",
        "api_key: <your-key>\n",
    ] {
        assert!(gs(text).is_empty(), "{text}: {:?}", gs(text));
    }
}

#[test]
fn a_real_value_beside_an_environment_variables_reference_is_still_found() {
    // The fallback after the reference is a vendor key (its own rule) or a secret.
    let text = "export const openai = new OpenAI({ apiKey: process.env.OPENAI_API_KEY ?? 'sk-proj-KESXw9yJgEPevyRN1aB3cD4eF5gH6iJ7kL8mN9oP' });\n";
    assert!(gs(text).is_empty(), "{:?}", gs(text));
    assert!(
        !found(text, Entity::OpenaiKey).is_empty(),
        "{:?}",
        found(text, Entity::OpenaiKey)
    );
    let text = "api_key: process.env.API_KEY\nwebhook_secret: Zx8fQ2mW9pLr4TtB7vKc3NdY6hJs1GaE\n";
    assert_eq!(gs(text), ["Zx8fQ2mW9pLr4TtB7vKc3NdY6hJs1GaE"], "{text}");
    // A secret whose tail reads as a reference is a secret (the whole value is judged).
    let text = "auth_token: w7CUpJ.SZ_S-I4p8SFucnJM0YGSjFplydz.8953038519774131\n";
    assert!(!gs(text).is_empty(), "{text}");
}

#[test]
fn a_message_brokers_routing_key_in_a_json_body_is_no_secret() {
    for body in [
        r#"{"exchange":"orders","routing_key":"orders.created","body":"{}"}"#,
        r#"{"exchange":"events","routingKey":"billing.invoice.paid.v2","payload":{"id":"in_1"}}"#,
    ] {
        let f = json_findings(body);
        assert!(
            f.iter().all(|(e, _, _)| *e != "GENERIC_SECRET"),
            "{body}: {f:?}"
        );
    }
}
