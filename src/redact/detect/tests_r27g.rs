//! The twenty-seventh round's GENERIC_SECRET recall (issue #20, task gs;
//! `detect::evidence_r27g`): an AWS secret access key written in the setting, row or URL
//! userinfo after its access key id, in the seven locales' documents, and the 40-byte
//! look-alikes near a key id that are no secret.

use super::tests_support::found;
use crate::redact::entity::Entity;

fn gs(text: &str) -> Vec<String> {
    found(text, Entity::GenericSecret)
}

#[test]
fn a_secret_key_after_its_access_key_id_is_found_in_each_locale() {
    for (text, value) in [
        (
            "variable \"aws_access_key\" {\n  default = \"AKIA3BKT24EI2RKIQN2N\"\n}\nvariable \"aws_secret_key\" {\n  default = \"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\"\n}\n",
            "79iakBRKW2W2X1ueWFtPD0916A2MoWfORDyKbnZr",
        ),
        (
            "# Zugang für den Build (bitte rotieren)\n$ export AIRFLOW_CONN_S3_RAW='aws://AKIAMC2RKXX7KP2UFP5P:hfNyBnhzLa7jAHKOftKu51VRBlIiz1QsFq9W%2FRwH@/?region_name=eu-central-1'\n",
            "hfNyBnhzLa7jAHKOftKu51VRBlIiz1QsFq9W%2FRwH",
        ),
        (
            "Variables du projet :\nKEY\tPROTECTED\tMASKED\tVALUE\nAWS_ACCESS_KEY_ID\ttrue\tfalse\tASIANZLUXTXEBGUICYJG\nAWS_SECRET_ACCESS_KEY\ttrue\ttrue\tQu2OM9pMdVtLihoDWfs3C92NMVqyx4Vr8QGOQI0m\n",
            "Qu2OM9pMdVtLihoDWfs3C92NMVqyx4Vr8QGOQI0m",
        ),
        (
            "credenciales temporales: aws sts get-session-token --output text | CREDENTIALS ASIAUTFJ5MMNNXZ3UAA2 2026-12-10T08:56:00+00:00 Y5X+Pe2t+UjPFr87U3rCFk3Qsslwn0Gur5w4a9SY\n",
            "Y5X+Pe2t+UjPFr87U3rCFk3Qsslwn0Gur5w4a9SY",
        ),
        (
            "[22:20] Emilio: la chiave è AKIAKFWTRPZWR4E634VY\n[22:21] Emilio: è quello di produzione!! ruotalo. staging: G/0YbCj+vmbleimFamKlPwnYV0ptkBwUSZCDRlTB\n",
            "G/0YbCj+vmbleimFamKlPwnYV0ptkBwUSZCDRlTB",
        ),
        (
            "sleutel-ID AKIAJFCNMS6PJYYTMDHE, en de geheime sleutel staat hieronder\n> dWJ+UYXTHEKt2xQPPE+3j9CuIA78STHaS77W+B6F\n",
            "dWJ+UYXTHEKt2xQPPE+3j9CuIA78STHaS77W+B6F",
        ),
        (
            "access key AKIAUCJAWDEVE7ZJZXYZ; secret (rotate today!) 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\n",
            "a8yXOL9uLzbJ9f5dqYwUAeWPpTnTS1oasJYDyWbw",
        ),
        // The row above the key id's (a CI variables table).
        (
            "$ glab variable list -R shop/infra\nKEY\tPROTECTED\tMASKED\tEXPANDED\tSCOPE\tVALUE\nAWS_SECRET_ACCESS_KEY\tfalse\ttrue\tfalse\t*\tv6fntymoS1JR8j+LyavqKJ3tcMKXUFpzw1Xe9HDS\nAWS_ACCESS_KEY_ID\ttrue\tfalse\tfalse\t*\tAKIAHC5GXTNAWRV3KGDJ\n",
            "v6fntymoS1JR8j+LyavqKJ3tcMKXUFpzw1Xe9HDS",
        ),
    ] {
        assert!(gs(text).iter().any(|f| f == value), "{text}: {:?}", gs(text));
    }
}

#[test]
fn forty_byte_look_alikes_near_an_access_key_id_are_no_secret() {
    for (text, value) in [
        // A log event's id (a member named `id`).
        (
            "{\"message\":\"key AKIAAUA6Z4PQOZWJISY6 rejected\",\"host\":\"ip-42-06-45-11\"}},{\"id\":\"XcSnWIPEDZ7e8JjVxtrhFWTlNEpOki6liysqQ2YI\",\"type\":\"log\"}",
            "XcSnWIPEDZ7e8JjVxtrhFWTlNEpOki6liysqQ2YI",
        ),
        (
            "key AKIAUCJAWDEVE7ZJZXYZ rejected; request_id=Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq\n",
            "Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq",
        ),
        (
            "{\"id\":\"XcSnWIPEDZ7e8JjVxtrhFWTlNEpOki6liysqQ2YI\",\"message\":\"key AKIAAUA6Z4PQOZWJISY6 rejected\"}",
            "XcSnWIPEDZ7e8JjVxtrhFWTlNEpOki6liysqQ2YI",
        ),
        // A commit hash (no capital), AWS's documentation example, a template, a longer token.
        (
            "AKIAUCJAWDEVE7ZJZXYZ rotated in commit 3f786850e387550fdab836ed7e6dc881de23001b\n",
            "3f786850e387550fdab836ed7e6dc881de23001b",
        ),
        (
            "AKIAUCJAWDEVE7ZJZXYZ\nsecret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        (
            "AKIAUCJAWDEVE7ZJZXYZ rotated, trace Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnqX7\n",
            "Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnqX7",
        ),
        // A JWT's segment and a version-like run are no whole token.
        (
            "AKIAUCJAWDEVE7ZJZXYZ eyJhbGciOiJIUzI1NiJ9.Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq.abc\n",
            "Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq",
        ),
    ] {
        assert!(!gs(text).iter().any(|f| f.contains(value)), "{text}: {:?}", gs(text));
    }
    // Beyond the window: a secret-shaped token 200 bytes later is another matter.
    let far = format!(
        "AKIAUCJAWDEVE7ZJZXYZ {} Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq\n",
        "lorem ipsum ".repeat(17)
    );
    assert!(gs(&far).is_empty(), "{:?}", gs(&far));
}

#[test]
fn a_secret_row_of_a_blank_aligned_table_with_a_finding_is_found_in_each_locale() {
    for (text, value) in [
        (
            "$ vault kv get secret/prod/payments\n======= Data =======\nKey                   Value\n---                   -----\ndb_password           saffron-quartz-thunder15\nwebhook_signing_key   6c20ab4988f76aeb0ca601db7f8e90faa090d29819823b0a2f524a7c5a3edceb\n",
            "6c20ab4988f76aeb0ca601db7f8e90faa090d29819823b0a2f524a7c5a3edceb",
        ),
        (
            "Variablen für api (staging)\nDATABASE_URL          postgresql://postgres:cobalt9793@10.153.162.32:5432/railway\nSESSION_SECRET        BN6KPAQ37PSYYFTSTUHJILFA53SZOFYO\nSUPPORT_EMAIL         victordavis@example.de\n",
            "BN6KPAQ37PSYYFTSTUHJILFA53SZOFYO",
        ),
        (
            "Configuration de l'application :\n  MAIL_URL            smtp://postmaster:m4rbl3240@78.100.183.7:587\n  APP_SECRET          9a75c01697187f4c1ad16225f4f5369e\n",
            "9a75c01697187f4c1ad16225f4f5369e",
        ),
        (
            "relé de correo:\n              user      smtp-relay\n              password  3xTqIgMqS9yDer\n              api_key   003da303RJOSG92W8X7RFEL0I9AKW6JH\n",
            "003da303RJOSG92W8X7RFEL0I9AKW6JH",
        ),
        (
            "variabili (produzione)\nstripe_secret_key     sk_live_9PEzEtuWZeUGqVOzUg1cOVbt\nsigningKey            TXgaajcx2jpTIGNH8OBougmdDt1Of1gQ\n",
            "TXgaajcx2jpTIGNH8OBougmdDt1Of1gQ",
        ),
        (
            "omgevingsvariabelen:\nDB_PASSWORD       Fietsbel!Dijk42\nCSRF_TOKEN        q8Rk2mVx7LpN4sWd9TzYb3HcJ6fGa1Ue\n",
            "q8Rk2mVx7LpN4sWd9TzYb3HcJ6fGa1Ue",
        ),
    ] {
        assert!(gs(text).iter().any(|f| f == value), "{text}: {:?}", gs(text));
    }
}

#[test]
fn rows_that_name_no_secret_or_hold_no_secret_are_left() {
    for (text, value) in [
        // Bookkeeping names, a short digest, a template, a placeholder, a time stamp.
        (
            "db_password           saffron-quartz-thunder15\nsort_key              Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq\n",
            "Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq",
        ),
        (
            "db_password           saffron-quartz-thunder15\npublic_key            Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq\n",
            "Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq",
        ),
        (
            "db_password           saffron-quartz-thunder15\nGITHUB_TOKEN          5bf973cd69f016dd\n",
            "5bf973cd69f016dd",
        ),
        (
            "db_password           saffron-quartz-thunder15\nWEBHOOK_SECRET        ${WEBHOOK_SECRET}\n",
            "${WEBHOOK_SECRET}",
        ),
        (
            "db_password           saffron-quartz-thunder15\napi_key               <your-api-key>\n",
            "<your-api-key>",
        ),
        (
            "db_password           saffron-quartz-thunder15\nsession_token         2026-11-13T00:25:13.554491Z\n",
            "2026-11-13T00:25:13.554491Z",
        ),
        // A name that only ends in the letters (`monkey`), a header row.
        (
            "db_password           saffron-quartz-thunder15\nmonkey                Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq\n",
            "Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq",
        ),
        // A table that holds no finding: not read (no trigger of its own).
        (
            "Key                   Value\nrelease               v2.4.1\nbuild_key             Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq\n",
            "Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq",
        ),
        // A row across a line that is no row (another table).
        (
            "db_password           saffron-quartz-thunder15\n\nnotes: rotate\napp_key               Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq\n",
            "Hqo4vMUnMc3yZpmeafueenWVttglVEUHjnDh9tnq",
        ),
    ] {
        assert!(!gs(text).iter().any(|f| f.contains(value)), "{text}: {:?}", gs(text));
    }
}
