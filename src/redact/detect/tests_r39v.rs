//! Thirty-ninth round, task vp2 (`evidence_r39v`): more vendors' documented token prefixes
//! (Postman, Supabase, PlanetScale, Netlify, Render, Fly.io, Django's generated key) in free
//! text, command output and under keys that name no secret; look-alikes; cut inputs.

use super::tests_support::{both, hits, json_findings_checked};

const PMAK: &str = "PMAK-5764dac911a740d6738cce43-7e645181181edd50ff04dce7b309ca935d";
const SBP: &str = "sbp_3f9a1c0b7e4d2a6f8b5c9e1d0a7f3b2c4e6d8a1f";
const PSCALE: &str = "pscale_pw_PLqR3lANgPDT5Qrxdhc_kkt3PZxAToDQvFTbaI1U7-G";
const PSCALE_TKN: &str = "pscale_tkn_Xq7Lm2Pz9Rw4Tn6Vb8Kc1Hd3Jf5Gs0Ae";
const NFP: &str = "nfp_Xy8PdvEaeDaGLqbS20VcZcEuJL2r2MdMCL4j";
const RND: &str = "rnd_y7r3q4NZ976jHHvAz0XEXZukUHOHQnqq";
const FO1: &str = "fo1_9HYAk5bkbiEiP35FFVZlZJqBBWjfpzkyMuPVZzSuipl";
const DJANGO: &str = "django-insecure-g-#yxn88%8t377u7fk8=vgp_9srp(u&4j6yp7ng1f31!e-socg";
const DJANGO_PAREN: &str = "django-insecure-(59i)^5%1ps6v6j900w+if0n1)5h&^1pluq^-%2*-k^cp%=fe7";

const ALL: [&str; 9] = [
    PMAK,
    SBP,
    PSCALE,
    PSCALE_TKN,
    NFP,
    RND,
    FO1,
    DJANGO,
    DJANGO_PAREN,
];

/// (type, text, placeholder) of every hit.
fn found(text: &str) -> Vec<(&'static str, String, bool)> {
    hits(text)
        .into_iter()
        .map(|(e, s, p)| (e.name(), s, p))
        .collect()
}

fn real(v: &str) -> (&'static str, String, bool) {
    ("GENERIC_SECRET", v.to_string(), false)
}

#[test]
fn a_new_vendor_token_anywhere_is_a_secret() {
    for v in ALL {
        for text in [
            format!("my bad, it was this one: {v} — revoke it\n"),
            format!("$ az keyvault secret show --name k --query value -o tsv\n{v}\n\n"),
            format!("- tailscale auth: {v}\n- serial 0042\n"),
            format!("the homeserver admin token is {v}, registration closed\n"),
            format!("client = Client(api_key='{v}')\n"),
        ] {
            for t in both(&text) {
                let f = found(&t);
                assert!(f.contains(&real(v)), "{t}: {f:?}");
            }
        }
    }
}

#[test]
fn a_new_vendor_token_under_a_key_naming_no_secret_is_found_in_json() {
    for v in ALL {
        let body =
            serde_json::json!({ "signers": [{ "recipientId": "2", "accessCode": v }] }).to_string();
        let f = json_findings_checked(&body);
        assert_eq!(
            f,
            vec![("GENERIC_SECRET", "/signers/0/accessCode".to_string())],
            "{body}"
        );
    }
}

#[test]
fn a_stand_in_of_a_new_prefix_is_a_placeholder() {
    for v in [
        "sbp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "rnd_EXAMPLEEXAMPLEEXAMPLE1234",
    ] {
        let f = found(&format!("# from the docs: {v}\n"));
        assert!(
            f.contains(&("GENERIC_SECRET", v.to_string(), true)),
            "{v}: {f:?}"
        );
    }
}

#[test]
fn look_alikes_are_no_new_vendor_token() {
    for t in [
        // Inside a longer word or an address, or after `-`.
        "alice.rnd_y7r3q4NZ976jHHvAz0XEXZukUHOHQnqq@example.com",
        "my_rnd_y7r3q4NZ976jHHvAz0XEXZukUHOHQnqq",
        "x-sbp_3f9a1c0b7e4d2a6f8b5c9e1d0a7f3b2c4e6d8a1f",
        // Too short, one class, an identifier.
        "rnd_seed_value",
        "rnd_generator_state_buffer",
        "fo1_a1b2",
        "nfp_settings_cache_enabled",
        "pscale_password_rotation_policy",
        "pscale_pw_short",
        // The wrong case.
        "pmak-5764dac911a740d6738cce43-7e645181181edd50ff04dce7b309ca935d",
        // Django's key: too short, too long, upper case in it.
        "django-insecure-abc123",
        "django-insecure-g-#yxn88%8t377u7fk8=vgp_9srp(u&4j6yp7ng1f31!e-socgabc",
        "django-insecure-G-#YXN88%8T377U7FK8=VGP_9SRP(U&4J6YP7NG1F31!E-SOCG",
    ] {
        for t in both(&format!("{t}\n")) {
            let f = found(&t);
            assert!(
                f.iter().all(|(_, v, _)| !(v.starts_with("rnd_")
                    || v.starts_with("sbp_")
                    || v.starts_with("fo1_")
                    || v.starts_with("nfp_")
                    || v.starts_with("pscale_")
                    || v.starts_with("pmak-")
                    || v.starts_with("django-insecure-"))),
                "{t}: {f:?}"
            );
        }
    }
}

#[test]
fn every_cut_of_a_new_vendor_token_is_safe() {
    for v in ALL {
        let text = format!("deploy key: none; sample {v}. done");
        for cut in 0..=text.len() {
            if !text.is_char_boundary(cut) {
                continue;
            }
            let t = &text[..cut];
            let _ = found(t);
            let body = serde_json::json!({ "note": t, "webhook_example": t }).to_string();
            let _ = json_findings_checked(&body);
        }
        // At the very end of a body, a cut one byte short of the least length finds nothing.
        let short = &v[..v.len() - 1];
        let _ = found(short);
    }
    assert_eq!(
        super::evidence_r39v::django_key_end(b"django-insecure-", 16),
        None
    );
    assert_eq!(super::evidence_r39v::django_key_end(b"x", 16), None);
}
