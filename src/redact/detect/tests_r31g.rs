//! The thirty-first round's GENERIC_SECRET rules (issue #20, task gs;
//! `detect::evidence_r31g`): a Telegram bot token, strongSwan's `: PSK "…"`, a vendor's token
//! after `--…-token`, a call opening an object as no secret, a password hash's salt as no
//! secret; and their look-alikes.

use super::tests_support::{both, found, json_findings_checked};
use crate::redact::entity::Entity;

const BOT: &str = "2512074224:AA1bCK_CAVKLJ12dkUkb3UqBuANubeEV9lc";

#[test]
fn a_telegram_bot_token_is_found_alone_and_in_the_bot_apis_url() {
    for text in [
        format!("Use this token to access the HTTP API:\n{BOT}\nKeep your token secure.\n"),
        format!("curl https://api.telegram.org/bot{BOT}/getMe returns ok\n"),
        format!("token {BOT}\n"),
        format!("[{BOT}]\n"),
    ] {
        for t in both(&text) {
            assert_eq!(found(&t, Entity::GenericSecret), vec![BOT], "{t}");
            assert!(found(&t, Entity::Phone).is_empty(), "{t}");
        }
    }
}

#[test]
fn a_telegram_tokens_look_alikes_are_not_found() {
    for text in [
        // 34 or 36 bytes after the `:`, 7 or 11 digits before it.
        "2512074224:AA1bCK_CAVKLJ12dkUkb3UqBuANubeEV9l\n",
        "2512074224:AA1bCK_CAVKLJ12dkUkb3UqBuANubeEV9lcX\n",
        "2512074:AA1bCK_CAVKLJ12dkUkb3UqBuANubeEV9lc\n",
        "25120742241:AA1bCK_CAVKLJ12dkUkb3UqBuANubeEV9lc\n",
        // Glued to a word that is not the URL's `bot`, or after a `:`.
        "id2512074224:AA1bCK_CAVKLJ12dkUkb3UqBuANubeEV9lc\n",
        "x:2512074224:AA1bCK_CAVKLJ12dkUkb3UqBuANubeEV9lc\n",
        // A time, a port, a count.
        "at 2512074224: job finished\n",
        "2512074224:\n",
    ] {
        for t in both(text) {
            assert!(found(&t, Entity::GenericSecret).is_empty(), "{t}");
        }
    }
}

#[test]
fn an_ipsec_pre_shared_key_is_a_generic_secret() {
    for (text, key) in [
        (
            "80.99.31.237 62.141.90.159 : PSK \"sYnli89EbDWsquMelWqbxsZoPx9S+aHQsrvi1ZEB\"\n",
            "sYnli89EbDWsquMelWqbxsZoPx9S+aHQsrvi1ZEB",
        ),
        (
            "# /etc/ipsec.secrets\n: RSA vpn-gw.key\n54.135.228.95 93.239.217.132 : PSK \"772291a59c354b5b38551a1dcae59dff\"\n",
            "772291a59c354b5b38551a1dcae59dff",
        ),
        ("gw.example.org : PSK \"Tr0ub4dor&3xyz\"", "Tr0ub4dor&3xyz"),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, Entity::GenericSecret), vec![key], "{t}");
            assert!(found(&t, Entity::Password).is_empty(), "{t}");
        }
    }
    for text in [
        // An RSA key's file, an empty or too short key, no blank before the `:`.
        ": RSA vpn-gw.key\n",
        "1.2.3.4 : PSK \"\"\n",
        "1.2.3.4 : PSK \"abc\"\n",
        "host: PSK \"sYnli89EbDWsquMelWqbxsZoPx9S\"\n",
        "the PSK \"is rotated\" weekly\n",
    ] {
        for t in both(text) {
            assert!(found(&t, Entity::GenericSecret).is_empty(), "{t}");
        }
    }
}

#[test]
fn a_vendor_token_after_a_token_flag_is_found() {
    let dop = "dop_v1_01d027339f2a054fa51f1947c786856d198815634768ef5e33f5a0a145e6ea4f";
    for text in [
        format!("$ doctl auth init --access-token {dop}\nValidating token... OK\n"),
        format!("doctl auth init --access-token {dop} --context prod\n"),
        "glab auth login --token glpat-JJCoFSA4EFNGwNIe7MUF --hostname gitlab.example\n"
            .to_string(),
    ] {
        let want = if text.contains("glpat") {
            "glpat-JJCoFSA4EFNGwNIe7MUF"
        } else {
            dop
        };
        for t in both(&text) {
            assert_eq!(found(&t, Entity::GenericSecret), vec![want], "{t}");
        }
    }
    for text in [
        // No vendor prefix, a prefix with too short a body, a flag not naming a token.
        "doctl auth init --access-token 01d027339f2a054fa51f1947c786856d\n",
        "doctl auth init --access-token dop_v1_01d0\n",
        // (A `dop_v1_…` token after it is found by its prefix alone since the thirty-eighth
        // round, `evidence_r38v`: the value here has none.)
        "tool --refresh-tokens 01d027339f2a054fa51f1947c786856d198815634768ef5e\n",
        "--access-token $DO_TOKEN\n",
    ] {
        for t in both(text) {
            assert!(found(&t, Entity::GenericSecret).is_empty(), "{t}");
        }
    }
}

#[test]
fn a_call_opening_an_object_is_no_secret() {
    for text in [
        "const token = jwt.sign({ sub: 'CS-909252' }, privateKey, { algorithm: 'PS256' });\n",
        "admin.initializeApp({\n  credential: admin.credential.cert({\n    projectId: \"x\",\n",
        "secret = build.secret([\n",
    ] {
        for t in both(text) {
            assert!(found(&t, Entity::GenericSecret).is_empty(), "{t}");
            assert!(found(&t, Entity::Password).is_empty(), "{t}");
        }
    }
    // A value with a bracket and more after it is still read.
    let t = "token = Xk9(qLm2{Pw7vRt5sNb3Hy8\n";
    assert!(!found(t, Entity::GenericSecret).is_empty(), "{t}");
}

#[test]
fn a_password_hashs_salt_is_no_secret() {
    // Firebase's `auth:export`: the salt beside the user's `passwordHash`, either order.
    for body in [
        r#"{"users":[{"localId":"dfpAd9SDNR1xf9eP8sfDAybGVWle","email":"kuno51@gmail.com","passwordHash":"nJOtaB+W2SynvDpZ4cIbSkv+6yJrTAc+WI+up7beksxPDsn/hB/YferNAOh9BArXpfbHRfx0DPQVV8+FS8D/bA==","salt":"br6TtzTrWXYdPWHq","createdAt":"1797936934247"}]}"#,
        r#"{"users":[{"localId":"dfpAd9SDNR1xf9eP8sfDAybGVWle","salt":"br6TtzTrWXYdPWHq","passwordHash":"nJOtaB+W2SynvDpZ4cIbSkv+6yJrTAc+WI+up7beksxPDsn/hB/YferNAOh9BArXpfbHRfx0DPQVV8+FS8D/bA=="}]}"#,
        r#"{"hash":"6JsGFZ/lTKU6Mgkrxbk6vzlwF3ETpLXwFPIUh77EGfYibLV5omj5GL","salt":"bNir7CVUrmCF4s9f"}"#,
    ] {
        let got = json_findings_checked(body);
        assert!(
            !got.iter()
                .any(|(e, p)| *e == "GENERIC_SECRET" && p.ends_with("/salt")),
            "{got:?}"
        );
    }
    // A salt kept as an application's secret (no hash beside it) is still one.
    for (body, ptr) in [
        (
            r#"{"system":{"passwordsalt":"3Jq9sKd8LmW2xYz7PqR4tVb6NcE1","secret":"x"}}"#,
            "/system/passwordsalt",
        ),
        (r#"{"salt":"e4e55caa97a57640860ece1a6d2c09fa"}"#, "/salt"),
    ] {
        let got = json_findings_checked(body);
        assert!(
            got.contains(&("GENERIC_SECRET", ptr.to_string())),
            "{body}: {got:?}"
        );
    }
}

#[test]
fn a_short_snmp_community_is_a_secret() {
    for (text, want) in [
        (
            "snmp-server community y7s6zbJz0XIY group network-operator\n",
            "y7s6zbJz0XIY",
        ),
        ("snmp-server community hCkhesnBgXi RO\n", "hCkhesnBgXi"),
        (
            "set snmp community Rw7kQp2Lx authorization read-only\n",
            "Rw7kQp2Lx",
        ),
        // A long one, as before.
        (
            "snmp-server community Xk9qLm2Pw7vRt5sNb3Hy8 RO\n",
            "Xk9qLm2Pw7vRt5sNb3Hy8",
        ),
    ] {
        for t in both(text) {
            assert_eq!(found(&t, Entity::GenericSecret), vec![want], "{t}");
        }
    }
    for text in [
        // The defaults and other words, too short a string, a variable, prose.
        "snmp-server community public RO\n",
        "snmp-server community private RW\n",
        "snmp-server community abc123 RO\n",
        "snmp-server community $SNMP_RO group network-operator\n",
        "the community forum is open\n",
        "snmp-server community strings are rotated yearly\n",
    ] {
        for t in both(text) {
            assert!(found(&t, Entity::GenericSecret).is_empty(), "{t}");
        }
    }
}
