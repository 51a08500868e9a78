//! Outbound HTTP with an SSRF guard: every request the engine makes (webhook, Slack, PagerDuty
//! channels, the Slack OAuth exchange, monitors) goes through a client from [`client`], whose
//! DNS resolver drops addresses in loopback, link-local, private, shared (CGNAT), unique-local
//! and other non-public ranges, and through [`send`], which refuses such addresses written as IP
//! literals in the URL (those never reach a resolver). The check is made on the address the
//! connection will use, at send time, so a name that resolves differently later (DNS rebinding)
//! is checked again on every connection. SMTP targets are resolved and checked with
//! [`resolve_checked`] and then connected to by address.
//!
//! [`PrivateTargets`] lifts the guard: for all addresses, or for a list of CIDRs. Engines refuse
//! by default; the CLI and the hosts read [`ENV`] (`1` for all, or `127.0.0.1/32,10.0.0.0/8`).

use crate::{Error, Result};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The environment variable the CLI and the hosts read: `1` allows every private target, a
/// comma-separated list of CIDRs allows those.
pub const ENV: &str = "SIGNALCRAFT_ALLOW_PRIVATE_TARGETS";

/// A network: an address and a prefix length (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// The network of `addr` with `prefix` bits (host bits are cleared); `None` when the prefix
    /// is longer than the address.
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Cidr> {
        let network = match addr.to_canonical() {
            IpAddr::V4(a) if prefix <= 32 => {
                IpAddr::V4(Ipv4Addr::from_bits(a.to_bits() & mask32(prefix)))
            }
            IpAddr::V6(a) if prefix <= 128 => {
                IpAddr::V6(Ipv6Addr::from_bits(a.to_bits() & mask128(prefix)))
            }
            _ => return None,
        };
        Some(Cidr { network, prefix })
    }

    /// Whether `ip` is in the network (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => a.to_bits() & mask32(self.prefix) == n.to_bits(),
            (IpAddr::V6(n), IpAddr::V6(a)) => a.to_bits() & mask128(self.prefix) == n.to_bits(),
            _ => false,
        }
    }
}

fn mask32(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn mask128(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl std::str::FromStr for Cidr {
    type Err = Error;
    /// `addr/prefix`, or a bare address (one host).
    fn from_str(s: &str) -> Result<Cidr> {
        let s = s.trim();
        let bad = || {
            Error::invalid(
                "cidr",
                format!("expected an address or a CIDR like 127.0.0.1/32 or fd00::/8, got {s:?}"),
            )
        };
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (
                a.parse::<IpAddr>().map_err(|_| bad())?,
                Some(p.parse::<u8>().map_err(|_| bad())?),
            ),
            None => (s.parse::<IpAddr>().map_err(|_| bad())?, None),
        };
        let addr = addr.to_canonical();
        let prefix = prefix.unwrap_or(if addr.is_ipv4() { 32 } else { 128 });
        Cidr::new(addr, prefix).ok_or_else(bad)
    }
}

/// Which non-public addresses outbound requests may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PrivateTargets {
    /// None: only public addresses (the default).
    #[default]
    None,
    /// Every address (local development, tests).
    All,
    /// Public addresses and these networks.
    Cidrs(Vec<Cidr>),
}

impl PrivateTargets {
    /// Parses the value of [`ENV`]: empty or `0` for none, `1` (or `all`) for all, else a
    /// comma-separated list of CIDRs (or bare addresses).
    pub fn from_env_value(value: &str) -> Result<PrivateTargets> {
        let v = value.trim();
        match v {
            "" | "0" => return Ok(PrivateTargets::None),
            "1" | "all" => return Ok(PrivateTargets::All),
            _ => {}
        }
        let mut list = Vec::new();
        for (i, item) in v.split(',').enumerate() {
            if item.trim().is_empty() {
                continue;
            }
            let c = item.parse::<Cidr>().map_err(|_| {
                Error::invalid(
                    ENV,
                    format!(
                        "item {i} ({:?}) is not a CIDR: expected 1, or a comma-separated list \
                         like 127.0.0.1/32,10.0.0.0/8",
                        item.trim()
                    ),
                )
            })?;
            list.push(c);
        }
        Ok(if list.is_empty() {
            PrivateTargets::None
        } else {
            PrivateTargets::Cidrs(list)
        })
    }

    /// Reads [`ENV`]: unset is [`PrivateTargets::None`].
    pub fn from_env() -> Result<PrivateTargets> {
        match std::env::var(ENV) {
            Ok(v) => Self::from_env_value(&v),
            Err(std::env::VarError::NotPresent) => Ok(PrivateTargets::None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(Error::invalid(ENV, "the value is not UTF-8"))
            }
        }
    }

    /// A list of CIDR strings (what the bindings take), parsed; every item must parse.
    pub fn from_list<S: AsRef<str>>(field: &str, items: &[S]) -> Result<PrivateTargets> {
        let mut list = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let c = item.as_ref().parse::<Cidr>().map_err(|e| {
                Error::invalid(format!("{field}[{i}]"), e.to_string().replace("cidr: ", ""))
            })?;
            list.push(c);
        }
        Ok(PrivateTargets::Cidrs(list))
    }

    /// Whether a connection to `ip` is allowed: public addresses always; others only as allowed.
    pub fn permits(&self, ip: IpAddr) -> bool {
        if forbidden_range(ip).is_none() {
            return true;
        }
        match self {
            PrivateTargets::None => false,
            PrivateTargets::All => true,
            PrivateTargets::Cidrs(list) => list.iter().any(|c| c.contains(ip)),
        }
    }
}

/// The non-public range `ip` is in, named (`loopback`, `link-local`, `private`…), or `None` for
/// a public unicast address. IPv4 addresses inside IPv6 (IPv4-mapped `::ffff:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged as the IPv4
/// address they reach.
///
/// IPv4: `0.0.0.0/8` (this network; `0.0.0.0` reaches the local host), `127.0.0.0/8`,
/// `10.0.0.0/8`, `172.16.0.0/12`, `192.168.0.0/16`, `169.254.0.0/16` (incl. the cloud metadata
/// address `169.254.169.254`), `100.64.0.0/10` (shared address space: carrier-grade NAT, but
/// also cloud-internal and VPN overlay networks, so refused), `192.0.0.0/24`, `198.18.0.0/15`,
/// multicast, `240.0.0.0/4` and broadcast. IPv6: `::`, `::1`, `fe80::/10`, `fec0::/10`,
/// `fc00::/7`, multicast.
pub fn forbidden_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(a) => forbidden_v4(a),
        IpAddr::V6(a) => forbidden_v6(a),
    }
}

fn forbidden_v4(a: Ipv4Addr) -> Option<&'static str> {
    let o = a.octets();
    Some(match o {
        [0, ..] => "this-network",
        [127, ..] => "loopback",
        [10, ..] | [192, 168, ..] => "private",
        [172, b, ..] if (16..=31).contains(&b) => "private",
        [169, 254, ..] => "link-local",
        [100, b, ..] if (64..=127).contains(&b) => "shared (carrier-grade NAT)",
        [192, 0, 0, _] => "IETF protocol assignment",
        [198, b, ..] if b == 18 || b == 19 => "benchmarking",
        [255, 255, 255, 255] => "broadcast",
        [a0, ..] if (224..=239).contains(&a0) => "multicast",
        [a0, ..] if a0 >= 240 => "reserved",
        _ => return None,
    })
}

fn forbidden_v6(a: Ipv6Addr) -> Option<&'static str> {
    let bits = a.to_bits();
    if bits == 0 {
        return Some("unspecified");
    }
    if bits == 1 {
        return Some("loopback");
    }
    let seg = a.segments();
    // IPv4-mapped ::ffff:0:0/96 and IPv4-compatible ::/96
    if bits >> 32 == 0xffff || bits >> 32 == 0 {
        return forbidden_v4(Ipv4Addr::from_bits(bits as u32));
    }
    // NAT64 64:ff9b::/96
    if bits >> 32 == 0x0064_ff9b_0000_0000_0000_0000 {
        return forbidden_v4(Ipv4Addr::from_bits(bits as u32));
    }
    // 6to4 2002:V4ADDR::/48
    if seg[0] == 0x2002 {
        return forbidden_v4(Ipv4Addr::from_bits(((bits >> 80) & 0xffff_ffff) as u32));
    }
    Some(match seg[0] {
        s if s & 0xffc0 == 0xfe80 => "link-local",
        s if s & 0xffc0 == 0xfec0 => "site-local",
        s if s & 0xfe00 == 0xfc00 => "unique-local",
        s if s & 0xff00 == 0xff00 => "multicast",
        _ => return None,
    })
}

/// A target the guard refused. Its text names the host (as the channel gave it) and the kind
/// of range, never the resolved address (which would tell a tenant what an internal name
/// resolves to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The host as written in the URL or config.
    pub host: String,
    /// The range of the (first) refused address.
    pub range: &'static str,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "refused: {} is a {} address, and private targets are not allowed \
             (allow_private_targets / {ENV})",
            self.host, self.range
        )
    }
}

impl std::error::Error for Refused {}

/// Checks one address.
pub fn check(policy: &PrivateTargets, host: &str, ip: IpAddr) -> std::result::Result<(), Refused> {
    if policy.permits(ip) {
        return Ok(());
    }
    Err(Refused {
        host: host.to_string(),
        range: forbidden_range(ip).unwrap_or("private"),
    })
}

/// Checks a URL whose host is an IP literal (a name is checked by the resolver when it
/// connects). `[v6]` hosts are understood.
pub fn check_url(policy: &PrivateTargets, url: &reqwest::Url) -> std::result::Result<(), Refused> {
    let Some(host) = url.host_str() else {
        return Ok(());
    };
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) => check(policy, host, ip),
        Err(_) => Ok(()),
    }
}

/// Resolves `host` (a name or an IP literal) at `port` and keeps the addresses the policy
/// permits; none left is [`Refused`] (as a [`SendError`]).
pub async fn resolve_checked(
    policy: &PrivateTargets,
    host: &str,
    port: u16,
) -> std::result::Result<Vec<SocketAddr>, SendError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((bare, port))
            .await
            .map_err(|_| SendError::Resolve(host.to_string()))?
            .collect(),
    };
    filter(policy, host, addrs).map_err(SendError::Refused)
}

fn filter(
    policy: &PrivateTargets,
    host: &str,
    addrs: Vec<SocketAddr>,
) -> std::result::Result<Vec<SocketAddr>, Refused> {
    let mut refused = None;
    let mut kept = Vec::with_capacity(addrs.len());
    for a in addrs {
        match check(policy, host, a.ip()) {
            Ok(()) => kept.push(a),
            Err(r) => refused = refused.or(Some(r)),
        }
    }
    match (kept.is_empty(), refused) {
        (true, Some(r)) => Err(r),
        _ => Ok(kept),
    }
}

/// The resolver of guarded clients: the system's (`getaddrinfo`, via tokio), filtered.
struct GuardedResolver {
    policy: Arc<PrivateTargets>,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = Arc::clone(&self.policy);
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept = filter(&policy, &host, addrs)?;
            let out: reqwest::dns::Addrs = Box::new(kept.into_iter());
            Ok(out)
        })
    }
}

/// The timeouts of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Connecting (DNS and TCP and TLS).
    pub connect: Duration,
    /// The whole request, answer included (requests may set a shorter one).
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            total: Duration::from_secs(15),
        }
    }
}

/// A guarded HTTP client: the resolver refuses what `policy` does not permit, proxies from the
/// environment are not used (a proxy would connect on our behalf, out of the guard's sight) and
/// redirects are not followed. Send with [`send`] so IP-literal URLs are checked too.
///
/// On a system without CA certificates (a minimal container) the platform's verifier cannot
/// start: the client then trusts no certificate at all, so plain HTTP still works and every
/// HTTPS request fails its certificate check (instead of the engine failing to start, or
/// `reqwest`'s default client panicking). A client that cannot be built even so (a TLS backend
/// that does not start) is an `internal` error: never an unguarded client in its place.
pub fn client(policy: &Arc<PrivateTargets>, timeouts: Timeouts) -> Result<reqwest::Client> {
    let build = |b: reqwest::ClientBuilder| {
        b.connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .redirect(reqwest::redirect::Policy::none())
            .build()
    };
    build(guarded_builder(policy))
        .or_else(|_| build(guarded_builder(policy).tls_certs_only([])))
        .map_err(|e| Error::Internal(format!("cannot build the HTTP client: {e}")))
}

/// A client builder with the guard in place (the filtering resolver, no proxies from the
/// environment), for clients that need more settings (a CA, their own redirect policy). Send
/// with [`send`] (or check each URL with [`check_url`]): IP literals never reach the resolver,
/// and neither do IP-literal redirect targets, so a redirect policy must check them too.
pub fn guarded_builder(policy: &Arc<PrivateTargets>) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver {
            policy: Arc::clone(policy),
        }))
}

/// Why a request got no answer. Its text is safe to show a tenant: no URL (which may hold a
/// token), no answer body, no resolved address.
#[derive(Debug)]
pub enum SendError {
    /// The guard refused the target.
    Refused(Refused),
    /// The name did not resolve.
    Resolve(String),
    /// The request could not be built (a bad URL).
    Build,
    /// No answer: timeout, connection refused or reset, TLS.
    Transport(reqwest::Error),
}

impl SendError {
    /// Whether trying again later may help (a transport failure; not a refusal or a bad URL).
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transport(_) | SendError::Resolve(_))
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Refused(r) => r.fmt(f),
            SendError::Resolve(h) => write!(f, "cannot resolve {h}"),
            SendError::Build => f.write_str("not a valid URL"),
            SendError::Transport(e) => f.write_str(&transport_reason(e)),
        }
    }
}

impl std::error::Error for SendError {}

/// A short reason for a transport error, from its kind and the I/O error under it.
fn transport_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            let what = match io.kind() {
                std::io::ErrorKind::ConnectionRefused => "connection refused",
                std::io::ErrorKind::ConnectionReset => "connection reset",
                std::io::ErrorKind::ConnectionAborted => "connection aborted",
                std::io::ErrorKind::TimedOut => "timed out",
                std::io::ErrorKind::UnexpectedEof => "connection closed early",
                _ => "I/O error",
            };
            return what.into();
        }
        source = s.source();
    }
    if e.is_connect() {
        "cannot connect".into()
    } else if e.is_body() || e.is_decode() {
        "bad answer body".into()
    } else {
        "request failed".into()
    }
}

/// The refusal inside a reqwest error (the resolver's), if that is what it is.
fn refusal(e: &reqwest::Error) -> Option<Refused> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return Some(r.clone());
        }
        source = s.source();
    }
    None
}

/// Sends a request built on a [`client`], refusing an IP-literal target the policy does not
/// permit before anything is sent.
pub async fn send(
    policy: &PrivateTargets,
    req: reqwest::RequestBuilder,
) -> std::result::Result<reqwest::Response, SendError> {
    let (client, req) = req.build_split();
    let req = req.map_err(|_| SendError::Build)?;
    check_url(policy, req.url()).map_err(SendError::Refused)?;
    client.execute(req).await.map_err(|e| match refusal(&e) {
        Some(r) => SendError::Refused(r),
        None => SendError::Transport(e.without_url()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn masks() {
        assert_eq!(mask32(0), 0);
        assert_eq!(mask32(32), u32::MAX);
        assert_eq!(mask32(8), 0xff00_0000);
        assert_eq!(mask128(0), 0);
        assert_eq!(mask128(128), u128::MAX);
        assert_eq!(forbidden_range(ip("::ffff:127.0.0.1")), Some("loopback"));
    }
}
