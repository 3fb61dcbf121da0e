//! The server name (SNI) of a TLS ClientHello, read from the first bytes of a redirected
//! connection before anything is answered. Every length is checked: malformed input is an
//! error, never a panic.

/// A ClientHello larger than this (over several records) is refused.
pub const MAX_HELLO: usize = 64 * 1024;
/// Largest TLS plaintext record body (2^14) plus the slack some stacks use.
const MAX_RECORD: usize = 16384 + 2048;

/// What the bytes so far say.
#[derive(Debug, PartialEq, Eq)]
pub enum Hello {
    /// More bytes are needed to read the whole ClientHello.
    Incomplete,
    /// A whole ClientHello: its server name (a DNS name, lower-case), if it sent one.
    Complete(Option<String>),
}

/// Whether the first byte of a connection starts a TLS handshake record.
pub fn looks_like_tls(first: u8) -> bool {
    first == 0x16
}

/// Read the ClientHello at the start of `buf` (one or more handshake records).
pub fn parse(buf: &[u8]) -> Result<Hello, &'static str> {
    let mut hs: Vec<u8> = Vec::new();
    let mut pos = 0usize;
    loop {
        let Some(header) = buf.get(pos..pos + 5) else {
            return Ok(Hello::Incomplete);
        };
        if header[0] != 0x16 {
            return Err("not a TLS handshake record");
        }
        if header[1] != 3 {
            return Err("not a TLS record version");
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if len == 0 || len > MAX_RECORD {
            return Err("bad TLS record length");
        }
        let Some(body) = buf.get(pos + 5..pos + 5 + len) else {
            return Ok(Hello::Incomplete);
        };
        hs.extend_from_slice(body);
        pos += 5 + len;
        if hs.len() >= 4 {
            if hs[0] != 1 {
                return Err("the first handshake message is not a ClientHello");
            }
            let hlen = (usize::from(hs[1]) << 16) | (usize::from(hs[2]) << 8) | usize::from(hs[3]);
            if hlen > MAX_HELLO {
                return Err("ClientHello too large");
            }
            if let Some(hello) = hs.get(4..4 + hlen) {
                return client_hello_sni(hello).map(Hello::Complete);
            }
        }
        if pos > MAX_HELLO + 5 * 8 {
            return Err("ClientHello too large");
        }
    }
}

/// A cursor that fails instead of reading past the end.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        let end = self.pos.checked_add(n).ok_or("truncated ClientHello")?;
        let s = self.buf.get(self.pos..end).ok_or("truncated ClientHello")?;
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<usize, &'static str> {
        Ok(usize::from(self.take(1)?[0]))
    }
    fn u16(&mut self) -> Result<usize, &'static str> {
        let b = self.take(2)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }
    fn vec8(&mut self) -> Result<&'a [u8], &'static str> {
        let n = self.u8()?;
        self.take(n)
    }
    fn vec16(&mut self) -> Result<&'a [u8], &'static str> {
        let n = self.u16()?;
        self.take(n)
    }
    fn done(&self) -> bool {
        self.pos == self.buf.len()
    }
}

/// The `server_name` extension's host name of a ClientHello body.
fn client_hello_sni(hello: &[u8]) -> Result<Option<String>, &'static str> {
    let mut r = Reader { buf: hello, pos: 0 };
    r.take(2)?; // legacy_version
    r.take(32)?; // random
    let sid = r.vec8()?;
    if sid.len() > 32 {
        return Err("bad session id");
    }
    let suites = r.vec16()?;
    if suites.is_empty() || !suites.len().is_multiple_of(2) {
        return Err("bad cipher suites");
    }
    if r.vec8()?.is_empty() {
        return Err("no compression methods");
    }
    if r.done() {
        return Ok(None); // no extensions at all
    }
    let mut exts = Reader {
        buf: r.vec16()?,
        pos: 0,
    };
    if !r.done() {
        return Err("bytes after the extensions");
    }
    let mut found = None;
    let mut seen_sni = false;
    while !exts.done() {
        let kind = exts.u16()?;
        let data = exts.vec16()?;
        if kind != 0 {
            continue;
        }
        if seen_sni {
            return Err("two server_name extensions");
        }
        seen_sni = true;
        let mut list = Reader {
            buf: Reader { buf: data, pos: 0 }.vec16_whole()?,
            pos: 0,
        };
        while !list.done() {
            let name_type = list.u8()?;
            let name = list.vec16()?;
            if name_type != 0 {
                continue;
            }
            if found.is_some() {
                return Err("two host names in server_name");
            }
            found = Some(host_name(name)?);
        }
    }
    Ok(found)
}

impl<'a> Reader<'a> {
    /// A 16-bit-length vector that must fill the whole buffer.
    fn vec16_whole(mut self) -> Result<&'a [u8], &'static str> {
        let v = self.vec16()?;
        if !self.done() {
            return Err("bytes after the server_name list");
        }
        Ok(v)
    }
}

/// A DNS host name as SNI carries it: ASCII letters, digits, `-`, `_`, dots between
/// non-empty labels; lower-cased, without a trailing dot.
fn host_name(raw: &[u8]) -> Result<String, &'static str> {
    let s = std::str::from_utf8(raw).map_err(|_| "server name is not ASCII")?;
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() || s.len() > 253 {
        return Err("bad server name length");
    }
    for label in s.split('.') {
        if label.is_empty()
            || label.len() > 63
            || !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("server name is not a DNS name");
        }
    }
    Ok(s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ClientHello as rustls sends it for `name` (None: an IP address, no SNI).
    fn rustls_hello(name: &str) -> Vec<u8> {
        use std::sync::Arc;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let cfg = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        let server = rustls_pki_types::ServerName::try_from(name.to_string()).expect("name");
        let mut conn = rustls::ClientConnection::new(Arc::new(cfg), server).expect("conn");
        let mut out = Vec::new();
        conn.write_tls(&mut out).expect("hello");
        out
    }

    #[test]
    fn reads_the_sni_of_a_real_client_hello() {
        let hello = rustls_hello("API.Example.com");
        assert_eq!(
            parse(&hello),
            Ok(Hello::Complete(Some("api.example.com".into())))
        );
        // an IP address: rustls sends no SNI
        let hello = rustls_hello("127.0.0.1");
        assert_eq!(parse(&hello), Ok(Hello::Complete(None)));
        // every strict prefix is incomplete, never an error or a panic
        let hello = rustls_hello("a.example");
        for n in 0..hello.len() {
            assert_eq!(parse(&hello[..n]), Ok(Hello::Incomplete), "prefix {n}");
        }
    }

    #[test]
    fn split_over_two_records() {
        let hello = rustls_hello("split.example.com");
        let body = &hello[5..];
        let (a, b) = body.split_at(40);
        let mut two = Vec::new();
        for part in [a, b] {
            two.extend_from_slice(&[0x16, 3, 1]);
            two.extend_from_slice(&(part.len() as u16).to_be_bytes());
            two.extend_from_slice(part);
        }
        assert_eq!(
            parse(&two),
            Ok(Hello::Complete(Some("split.example.com".into())))
        );
    }

    #[test]
    fn malformed_input_never_panics() {
        let hello = rustls_hello("fuzz.example.com");
        // every single-byte corruption, every truncation of the record length, random bytes
        for i in 0..hello.len() {
            for v in [0u8, 1, 0x7f, 0xff] {
                let mut m = hello.clone();
                m[i] = v;
                let _ = parse(&m);
            }
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 300) as usize;
            let mut m: Vec<u8> = (0..len)
                .map(|i| (seed.rotate_left(i as u32 % 64) & 0xff) as u8)
                .collect();
            if m.len() > 5 && seed.is_multiple_of(2) {
                m[0] = 0x16;
                m[1] = 3;
            }
            let _ = parse(&m);
        }
        assert!(parse(b"GET / HTTP/1.1\r\n").is_err());
        assert!(parse(&[0x16, 3, 1, 0, 0]).is_err(), "empty record");
        assert!(parse(&[0x16, 3, 1, 0xff, 0xff]).is_err(), "record too long");
        // a handshake that is not a ClientHello
        assert!(parse(&[0x16, 3, 1, 0, 4, 2, 0, 0, 0]).is_err());
        // a ClientHello announcing 16 MiB
        assert!(parse(&[0x16, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]).is_err());
    }

    #[test]
    fn host_names() {
        assert_eq!(host_name(b"Api.Example.COM."), Ok("api.example.com".into()));
        for bad in [&b""[..], b".", b"a..b", b"a b", b"\xff", b"a/b", b"a:443"] {
            assert!(host_name(bad).is_err(), "{bad:?}");
        }
    }
}
