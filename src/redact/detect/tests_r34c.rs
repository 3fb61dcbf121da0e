//! The thirty-fourth round's rules (issue #20, task cmd; `detect::evidence_r34c`): IPv4 and
//! IPv6 addresses in tcpdump's output (`IP SRC.PORT > DST.PORT:`), and their look-alikes.

use super::tests_support::{assert_none_found, both, found, json_findings_checked};
use crate::redact::entity::Entity;

const V4: &str = "$ sudo tcpdump -ni eth0 -c 4 'tcp port 443 or udp port 53'\n\
02:23:06.649018 IP 183.55.210.153.28327 > 172.26.28.198.443: Flags [S], seq 3031320772, win 64240, length 0\n\
02:28:53.575902 IP 210.20.215.123.41750 > 44.228.193.160.53: 4711+ A? example.org. (29)\n";

const V6: &str = "14:51:42.537630 IP6 2a02:8109:cc79:10cc::e52a.53583 > 2600:B149:3BDC:98A9:D6F4:B698:ADD8:2347.443: Flags [S], seq 1202032566, win 64240, length 0\n\
19:44:00.231737 IP6 fd49:2bf4:3066:7003::51b.3912 > fdbb:25a9:6bf9:5ec5::3d7.443: Flags [S], seq 2085317519, win 64240, length 0\n\
01:12:59.451616 IP6 2A0E:D5B7:4561:7ED2:AF40:510D:D67A:E9EB.36498 > 2a02:cdfd:e6b0:81c5:da18:ddd5:bc34:a2a7.443: Flags [S]\n";

#[test]
fn tcpdump_ipv4_source_and_destination_are_found() {
    for t in both(V4) {
        assert_eq!(
            found(&t, Entity::Ipv4),
            vec![
                "183.55.210.153",
                "172.26.28.198",
                "210.20.215.123",
                "44.228.193.160"
            ],
            "{t}"
        );
    }
    // A line alone, at the text's start.
    assert_eq!(
        found("IP 10.0.0.7.22 > 10.0.0.9.51514: Flags [P.]", Entity::Ipv4),
        vec!["10.0.0.7", "10.0.0.9"]
    );
    // Without ports (ICMP), as before.
    assert_eq!(
        found(
            "12:00:01.000001 IP 10.1.2.3 > 10.1.2.4: ICMP echo request",
            Entity::Ipv4
        ),
        vec!["10.1.2.3", "10.1.2.4"]
    );
}

#[test]
fn tcpdump_ipv6_source_and_destination_are_found() {
    for t in both(V6) {
        assert_eq!(
            found(&t, Entity::Ipv6),
            vec![
                "2a02:8109:cc79:10cc::e52a",
                "2600:B149:3BDC:98A9:D6F4:B698:ADD8:2347",
                "fd49:2bf4:3066:7003::51b",
                "fdbb:25a9:6bf9:5ec5::3d7",
                "2A0E:D5B7:4561:7ED2:AF40:510D:D67A:E9EB",
                "2a02:cdfd:e6b0:81c5:da18:ddd5:bc34:a2a7",
            ],
            "{t}"
        );
        assert!(found(&t, Entity::Ipv4).is_empty(), "{t}");
    }
}

#[test]
fn tcpdump_lines_in_json_are_found() {
    let body = serde_json::json!({
        "tool": "shell",
        "stdout": format!("{V4}{V6}"),
    })
    .to_string();
    let got = json_findings_checked(&body);
    assert_eq!(
        got.iter().filter(|(e, _)| *e == "IPV4").count(),
        4,
        "{got:?}"
    );
    assert_eq!(
        got.iter().filter(|(e, _)| *e == "IPV6").count(),
        6,
        "{got:?}"
    );
}

#[test]
fn dotted_numbers_outside_tcpdumps_shape_stay_unfound() {
    assert_none_found(
        Entity::Ipv4,
        &[
            // OIDs, versions, serials: a fifth dotted number, no tcpdump line.
            "sysObjectID.0 = OID: 1.3.6.1.4.1.8072.3.2.10",
            "Windows version 10.0.19045.3693 installed",
            "build 2024.05.12.1433 of the agent",
            "snmpget -v2c -c public host 1.3.6.1.2.1.1.3.0",
            "release 4.12.3.7.2 shipped",
            // Half of tcpdump's shape only.
            "IP 10.4.5.6.7 was the version",
            "XIP 10.4.5.6.443 > 10.4.5.7.80: Flags",
            "IP 10.4.5.6.443 > 10.4.5.7.80 Flags",
            "IP 10.4.5.6.443 -> 10.4.5.7.80: Flags",
            "ver 10.4.5.6.443 > 10.4.5.7.80: Flags",
            "IP 10.4.5.6.123456 > 10.4.5.7.80: Flags",
            // IPv6's word before an IPv4 line.
            "IP6 10.4.5.6.443 > 10.4.5.7.80: Flags",
        ],
    );
    assert_none_found(
        Entity::Ipv6,
        &[
            "IP 2a02:8109:cc79:10cc::e52a.53583 > 2a02:8109:cc79:10cc::e52b.443: Flags",
            "IP6 2a02:8109:cc79:10cc::e52a.53583 2a02:8109:cc79:10cc::e52b.443 Flags",
            "at 14:51:42.537630 > 12:30:45.123: later",
            "IP6 12:30:45.123 > 12:30:46.124: Flags",
        ],
    );
}

#[test]
fn hostile_tcpdump_fragments_do_not_panic() {
    for t in [
        "IP 1.2.3.4.5",
        "IP 1.2.3.4.5 >",
        "IP 1.2.3.4.5 > ",
        "IP 1.2.3.4.5 > :",
        " > 1.2.3.4.5:",
        "> 1.2.3.4.5:",
        "1.2.3.4.5:",
        ".1.2.3.4.5:",
        "IP6 ::1.5",
        "IP6 a::b.1 > ",
        " > a::b.1:",
        "> ::1.2:",
        "IP6 ::.1 > ::.2:",
        "IP6 fd00::1.443 > fd00::2.",
    ] {
        let _ = found(t, Entity::Ipv4);
        let _ = found(t, Entity::Ipv6);
    }
}
