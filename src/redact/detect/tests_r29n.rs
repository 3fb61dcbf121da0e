//! The twenty-ninth round's precision negatives (issue #20, task prec;
//! `detect::evidence_r29n`): each removed look-alike, and the real values beside it that must
//! still be found.

use super::evidence_r29n::{
    access_log_address, access_log_counts, oauth_client_id, user_agent_header,
};
use super::tests_support::{both, found};
use crate::redact::entity::Entity;

#[test]
fn google_oauth_client_ids() {
    assert!(oauth_client_id(
        b"236678004859-6mr1xni5zidz3rts74dd7a8cdnl4nkzs.apps.googleusercontent.com"
    ));
    // Another domain, capitals, or no project number: not Google's client id.
    for v in [
        "005378017975-wszzx7rirajkiacdmogkoid2wtpjkplr.apps.example",
        "236678004859-6MR1xni5zidz3rts74dd7a8cdnl4nkzs.apps.googleusercontent.com",
        "-6mr1xni5zidz3rts74dd7a8cdnl4nkzs.apps.googleusercontent.com",
        "236678004859.apps.googleusercontent.com",
    ] {
        assert!(!oauth_client_id(v.as_bytes()), "{v}");
    }
}

#[test]
fn a_google_oauth_client_id_is_no_secret() {
    let text = "2026-12-01 INFO auth: requested the token for client 236678004859-6mr1xni5zidz3rts74dd7a8cdnl4nkzs.apps.googleusercontent.com\n";
    for text in both(text) {
        assert!(found(&text, Entity::GenericSecret).is_empty(), "{text}");
        assert!(found(&text, Entity::Password).is_empty(), "{text}");
    }
    // Its client secret beside it is still one.
    let text = "GOOGLE_CLIENT_ID=236678004859-6mr1xni5zidz3rts74dd7a8cdnl4nkzs.apps.googleusercontent.com\nGOOGLE_CLIENT_SECRET=GOCSPX-q8Zr2LkT4vBn7WcYe1HsDf0JmPa\n";
    for text in both(text) {
        let mut got = found(&text, Entity::GenericSecret);
        got.extend(found(&text, Entity::Password));
        assert_eq!(got, ["GOCSPX-q8Zr2LkT4vBn7WcYe1HsDf0JmPa"], "{text}");
    }
}

#[test]
fn access_log_fields() {
    let hay = br#""GET /api/v3/tools/call HTTP/2" 401 - 0 2184 736 "10.205.1.4""#;
    let s = hay.windows(8).position(|w| w == b"2184 736").unwrap_or(0);
    assert!(access_log_counts(hay, s, s + 8));
    let hay = br#"\"POST /x HTTP/1.1\" 200 UF,URX 0 2184 736 \"-\""#;
    let s = hay.windows(8).position(|w| w == b"2184 736").unwrap_or(0);
    assert!(access_log_counts(hay, s, s + 8));
    // No request line's quote and status before: not this rule's.
    let hay = b"HTTP/2 401 - 0 2184 736";
    assert!(!access_log_counts(hay, 15, 23));
    let hay = b"call me on 2184 736 123";
    assert!(!access_log_counts(hay, 11, 23));
}

#[test]
fn an_access_logs_byte_counts_are_no_phone() {
    let text = "[2026-12-27T18:49:07.954Z] \"GET /api/v3/tools/call HTTP/2\" 401 - 0 2184 736 \"10.205.1.4\" \"okhttp/4.12.0\" \"eb4c0f1f-a4e6-49b9-85f0-2c88da2a6566\" \"api.internal\"\n";
    for text in both(text) {
        assert!(found(&text, Entity::Phone).is_empty(), "{text}");
        assert_eq!(found(&text, Entity::Ipv4), ["10.205.1.4"], "{text}");
    }
    // The phones in the same log line are still found; its status and byte count
    // (`200 5120`, a phone to main's engine) no longer.
    let text = "\"GET /call?to=+442079460958 HTTP/1.1\" 200 5120 \"-\" \"curl/8.4.0\" callback +44 20 7946 0958\n";
    for text in both(text) {
        assert_eq!(
            found(&text, Entity::Phone),
            ["+442079460958", "+44 20 7946 0958"],
            "{text}"
        );
    }
}

#[test]
fn an_access_logs_forwarded_address_is_no_dotted_phone() {
    let hay = br#""GET /api/v3/tools/call HTTP/2" 403 - 0 1494 17 "87.58.20.86" "okhttp/4.12.0""#;
    let s = hay
        .windows(11)
        .position(|w| w == b"87.58.20.86")
        .unwrap_or(0);
    assert!(access_log_address(hay, s));
    assert!(!access_log_address(b"call me \"87.58.20.86\"", 10));
    let text = "[2026-12-27T18:49:07.954Z] \"GET /api/v3/tools/call HTTP/2\" 403 - 0 1494 17 \"87.58.20.86\" \"okhttp/4.12.0\"\n";
    for text in both(text) {
        assert!(found(&text, Entity::Phone).is_empty(), "{text}");
        assert_eq!(found(&text, Entity::Ipv4), ["87.58.20.86"], "{text}");
    }
    // A French phone written with dots after a phone's word is still one.
    for text in both("Rappel demandé, tél. 06.12.45.27.56 merci\n") {
        assert_eq!(found(&text, Entity::Phone), ["06.12.45.27.56"], "{text}");
    }
}

#[test]
fn a_user_agents_four_part_version_is_no_address() {
    let hay = b"REGISTER sip:x SIP/2.0\nUser-Agent: Yealink SIP-T46U 2.5.5.138\n";
    let s = hay.len() - 10;
    assert!(user_agent_header(hay, s));
    let hay = b"Via: SIP/2.0/UDP 10.1.2.3:5060\n";
    assert!(!user_agent_header(hay, 17));
    let text = "REGISTER sip:2001@pbx.example SIP/2.0\nVia: SIP/2.0/UDP 192.168.40.12:5060;branch=z9hG4bK776\nUser-Agent: Yealink SIP-T46U 2.5.5.138\nContact: <sip:2001@192.168.40.12:5060>\nExpires: 3600\n";
    for text in both(text) {
        assert_eq!(
            found(&text, Entity::Ipv4),
            ["192.168.40.12", "192.168.40.12"],
            "{text}"
        );
    }
}

#[test]
fn a_references_closing_brace_opens_no_password() {
    for text in both("DATABASE_URL=postgres://app:${DB_PASSWORD}@localhost:5432/app\n") {
        assert!(found(&text, Entity::Password).is_empty(), "{text}");
    }
    // A literal password in the same URL is still one.
    for text in both("DATABASE_URL=postgres://app:Tr0ub4dor-x9Kq@localhost:5432/app\n") {
        assert_eq!(found(&text, Entity::Password), ["Tr0ub4dor-x9Kq"], "{text}");
    }
}

#[test]
fn an_anonymous_logins_password_is_no_secret() {
    let text = "machine ftp.example.org login anonymous password anonymous@\nmachine example.invalid login anonymous password vault:secret/data/app#token\nmachine git.example.org login deploy password Hagebutte2017@\n";
    for text in both(text) {
        assert_eq!(found(&text, Entity::Password), ["Hagebutte2017@"], "{text}");
    }
}

#[test]
fn an_hl7_segments_fields_are_no_password() {
    let text = "MSH|^~\\&|EPIC|NWH|LAB|HUB|20261202083000||ADT^A04|MSG00001|P|2.5\nPID|1||852504660^^^NWH^MR||Bosch^Tijn||19810412|M|||Hoofdstraat 12^^Zwolle||0031 6 12376947\nPV1|1|O|CLINIC^299||||3020^BOSCH\n";
    for text in both(text) {
        assert!(found(&text, Entity::Password).is_empty(), "{text}");
        assert_eq!(found(&text, Entity::Phone), ["0031 6 12376947"], "{text}");
    }
    // A password beside the message, on a line of its own, is still one.
    let text = "MSH|^~\\&|EPIC|NWH|LAB|HUB|20261202083000||ADT^A04|MSG00001|P|2.5\nPV1|1|O|CLINIC^299||||3020^BOSCH\ninterface login: hl7feed password: Kx9#mPq2vLr7\n";
    for text in both(text) {
        assert_eq!(found(&text, Entity::Password), ["Kx9#mPq2vLr7"], "{text}");
    }
}
