//! The enforcing mode's rules: every outbound TCP connection of the pod, except toolwall's
//! own (its UID), loopback, DNS and the configured exclusions, is redirected to toolwall's
//! transparent listener; other outbound UDP is refused; outbound IPv6 (which toolwall does
//! not listen on) is refused the same way. Written as `iptables-restore` input.

use std::io::Write;
use std::net::IpAddr;
use std::process::{Command, Stdio};

/// An address range (`10.0.0.0/8`, `fd00::/8`, or one address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an address range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// What the rules exempt and where they redirect.
#[derive(Debug, Clone)]
pub struct Rules {
    /// toolwall's UID: its own connections go out untouched.
    pub uid: u32,
    /// toolwall's transparent listener on 127.0.0.1.
    pub redirect_port: u16,
    pub exclude_ports: Vec<u16>,
    pub exclude_cidrs: Vec<Cidr>,
}

const CHAIN: &str = "TOOLWALL_OUTPUT";

impl Rules {
    fn exemptions(&self, out: &mut String, v6: bool, table_nat: bool) {
        use std::fmt::Write;
        let _ = writeln!(out, "-A {CHAIN} -o lo -j RETURN");
        let _ = writeln!(
            out,
            "-A {CHAIN} -m owner --uid-owner {} -j RETURN",
            self.uid
        );
        if !table_nat {
            // Replies to connections made to the pod (probes, its own servers).
            let _ = writeln!(
                out,
                "-A {CHAIN} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN"
            );
        }
        let protos: &[&str] = if table_nat { &["tcp"] } else { &["udp", "tcp"] };
        for proto in protos {
            let _ = writeln!(out, "-A {CHAIN} -p {proto} --dport 53 -j RETURN");
            for p in &self.exclude_ports {
                let _ = writeln!(out, "-A {CHAIN} -p {proto} --dport {p} -j RETURN");
            }
        }
        for c in self.exclude_cidrs.iter().filter(|c| c.addr.is_ipv6() == v6) {
            let _ = writeln!(out, "-A {CHAIN} -d {c} -j RETURN");
        }
    }

    /// `iptables-restore` input (IPv4): nat REDIRECT of TCP, filter REJECT of other UDP.
    pub fn v4(&self) -> String {
        let mut out = String::from("*nat\n");
        out.push_str(&format!(":{CHAIN} - [0:0]\n-A OUTPUT -p tcp -j {CHAIN}\n"));
        self.exemptions(&mut out, false, true);
        out.push_str(&format!(
            "-A {CHAIN} -p tcp -j REDIRECT --to-ports {}\nCOMMIT\n",
            self.redirect_port
        ));
        out.push_str(&format!(
            "*filter\n:{CHAIN} - [0:0]\n-A OUTPUT -j {CHAIN}\n"
        ));
        self.exemptions(&mut out, false, false);
        out.push_str(&format!(
            "-A {CHAIN} -p udp -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n"
        ));
        out
    }

    /// `ip6tables-restore` input: toolwall listens on IPv4 only, so outbound IPv6 TCP and UDP
    /// (other than the exemptions) are refused.
    pub fn v6(&self) -> String {
        let mut out = format!("*filter\n:{CHAIN} - [0:0]\n-A OUTPUT -j {CHAIN}\n");
        self.exemptions(&mut out, true, false);
        out.push_str(&format!(
            "-A {CHAIN} -p tcp -j REJECT --reject-with tcp-reset\n\
             -A {CHAIN} -p udp -j REJECT --reject-with icmp6-port-unreachable\nCOMMIT\n"
        ));
        out
    }
}

/// Whether the pod's network namespace has IPv6 (an address, even only `::1`).
pub fn has_ipv6() -> bool {
    std::fs::read_to_string("/proc/net/if_inet6").is_ok_and(|s| !s.trim().is_empty())
}

/// The restore binary: `/usr/sbin/NAME` when it exists (the image has no `PATH`), else `NAME`
/// from `PATH`.
fn binary(name: &str) -> String {
    let sbin = format!("/usr/sbin/{name}");
    if std::path::Path::new(&sbin).exists() {
        sbin
    } else {
        name.to_string()
    }
}

/// Pipe `rules` into `iptables-restore` (or `ip6tables-restore`). The tables it names are
/// replaced (the pod's network namespace is the pod's own), so re-running is idempotent.
pub fn restore(name: &str, rules: &str) -> Result<(), String> {
    let bin = binary(name);
    let mut child = Command::new(&bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run {bin}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(rules.as_bytes())
            .map_err(|e| format!("{bin}: cannot write the rules: {e}"))?;
    }
    let status = child.wait().map_err(|e| format!("{bin}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{bin} failed ({status})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            uid: 65532,
            redirect_port: 15081,
            exclude_ports: vec![5432],
            exclude_cidrs: vec![
                Cidr::parse("10.96.0.0/12").expect("cidr"),
                Cidr::parse("fd00::/8").expect("cidr"),
            ],
        }
    }

    #[test]
    fn v4_redirects_tcp_after_the_exemptions() {
        let r = rules().v4();
        let nat: Vec<&str> = r.split("COMMIT").next().expect("nat").lines().collect();
        assert_eq!(nat[0], "*nat");
        assert!(nat.contains(&"-A OUTPUT -p tcp -j TOOLWALL_OUTPUT"));
        assert_eq!(nat[3], "-A TOOLWALL_OUTPUT -o lo -j RETURN");
        assert_eq!(
            nat[4],
            "-A TOOLWALL_OUTPUT -m owner --uid-owner 65532 -j RETURN"
        );
        assert!(nat.contains(&"-A TOOLWALL_OUTPUT -p tcp --dport 53 -j RETURN"));
        assert!(nat.contains(&"-A TOOLWALL_OUTPUT -p tcp --dport 5432 -j RETURN"));
        assert!(nat.contains(&"-A TOOLWALL_OUTPUT -d 10.96.0.0/12 -j RETURN"));
        assert!(!r.contains("fd00::"), "an IPv6 range in IPv4 rules: {r}");
        assert_eq!(
            nat.last().copied(),
            Some("-A TOOLWALL_OUTPUT -p tcp -j REDIRECT --to-ports 15081")
        );
        assert!(r.contains("-A TOOLWALL_OUTPUT -p udp --dport 53 -j RETURN"));
        assert!(r.ends_with(
            "-A TOOLWALL_OUTPUT -p udp -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n"
        ));
    }

    #[test]
    fn v6_rejects_tcp_and_udp() {
        let r = rules().v6();
        assert!(r.starts_with("*filter\n"));
        assert!(r.contains("-A TOOLWALL_OUTPUT -d fd00::/8 -j RETURN"));
        assert!(!r.contains("10.96"));
        assert!(r.contains("-A TOOLWALL_OUTPUT -p tcp -j REJECT --reject-with tcp-reset"));
        assert!(r.contains("--ctstate ESTABLISHED,RELATED -j RETURN"));
    }

    #[test]
    fn cidrs_parse_strictly() {
        assert_eq!(Cidr::parse("1.2.3.4").expect("one").prefix, 32);
        assert_eq!(Cidr::parse("::1").expect("one").prefix, 128);
        for bad in [
            "1.2.3.4/33",
            "x/8",
            "1.2.3.4/",
            "10.0.0.0/8 -j ACCEPT",
            "fd00::/129",
        ] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }
}
