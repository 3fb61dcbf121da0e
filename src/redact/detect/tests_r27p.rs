//! The twenty-seventh round's `user / password` pair after a `:` or `=` (issue #20, task
//! pair; `detect::evidence_r27p`): pairs in the seven locales, and the look-alikes of a
//! pair — two words, numbers, a date, a path, a template, a redaction mark.

use super::tests_support::{both, found};
use crate::redact::entity::Entity;

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

#[test]
fn a_pair_after_a_colon_is_found_in_each_locale() {
    for (text, value) in [
        (
            "4. Break-glass account: breakglass / K4y4k.93x\n5. Primary: 10.0.0.4\n",
            "K4y4k.93x",
        ),
        (
            "4. Notfallkonto: breakglass / Cactus.Nuvola.Churro.5\n5. Prim\u{e4}r: 10.0.0.4\n",
            "Cactus.Nuvola.Churro.5",
        ),
        (
            "4. Compte d'urgence : secours / mistral-lavande.658\n5. Primaire : 10.0.0.4\n",
            "mistral-lavande.658",
        ),
        (
            "4. Cuenta de emergencia: breakglass / Velvet.Girasol.Oregano.1\n",
            "Velvet.Girasol.Oregano.1",
        ),
        (
            "4. Account di emergenza: emergenza / gelato.escargot-898\n",
            "gelato.escargot-898",
        ),
        (
            "4. Noodaccount: nood_beheer / y8ppPAW4jk.39v4qI\n",
            "y8ppPAW4jk.39v4qI",
        ),
        (
            "4. Conta de emerg\u{ea}ncia: admin / \"Pinguim#2024x\"\n",
            "Pinguim#2024x",
        ),
        ("fallback_account = admin / Qu0kk4_43.\n", "Qu0kk4_43"),
    ] {
        for t in both(text) {
            assert!(pw(&t).iter().any(|f| f == value), "{t:?}: {:?}", pw(&t));
        }
    }
}

#[test]
fn a_pair_look_alike_holds_none() {
    for text in [
        "Direction: input / output\n",
        "Mode: read / write\n",
        "Answer: yes / no\n",
        "Score: 1 / 2\n",
        "Terms: and/or as agreed\n",
        "Path: a/b/c\n",
        "Date: 12 / 05 / 2026\n",
        "Login: user / ${PASSWORD}\n",
        "Creds: admin / ****\n",
        "Konto: admin / ********\n",
        "Account: admin / <password>\n",
        "Account: admin / $DB_PASSWORD\n",
        "Units: km / h\n",
        "Route: home / about-us\n",
        "Release: v1.2 / v1.3.0-rc1\n",
        "Owner: ops / platform-team\n",
        "Regex: re / [A-Z]+\n",
        "Payment: stripe / ch_3MqLiu2eZvKYlo2C1FhV3rWk\n",
        "Build: ci / 2026-12-06T10:00:00Z\n",
        "Share: files / /srv/export/data\n",
        "Fallback: admin / admin\n",
    ] {
        for t in both(text) {
            assert!(pw(&t).is_empty(), "{t:?}: {:?}", pw(&t));
        }
    }
}

#[test]
fn a_pair_needs_its_shape() {
    for text in [
        // No blank after the `:` (a URL's port, a time, a JSON member).
        "Host:admin / Qu0kk4_43x\n",
        // Blanks glued to the `/` on one side only: a path or a fraction.
        "Konto: admin/ Qu0kk4_43x\n",
        "Konto: admin /Qu0kk4_43x\n",
        // A capital or a digit opening the user: a sentence, a number.
        "Note: Admin / Qu0kk4_43x\n",
        "Ratio: 3x / Qu0kk4_43x\n",
        // A user name longer than 24 bytes.
        "Konto: abcdefghijklmnopqrstuvwxyz / Qu0kk4_43x\n",
    ] {
        for t in both(text) {
            assert!(pw(&t).is_empty(), "{t:?}: {:?}", pw(&t));
        }
    }
}
