//! Which endpoint URLs webhooks may go to: `https` on public addresses only, checked when an
//! endpoint is registered and again on every connection (the host may resolve elsewhere
//! later). `SAMMEN_WEBHOOK_ALLOW_PRIVATE` lifts the address rule and allows plain `http` to
//! loopback, for tests and local trials.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::ProblemCode;

/// Whether an address is on the public internet: not loopback, private, link-local, shared,
/// documentation, multicast, broadcast or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || first == 0x2001 && ip.segments()[1] == 0x0db8)
}

/// Checks an endpoint URL and resolves its host: the URL when it may be a target, else why not.
pub async fn check_target(raw: &str, allow_private: bool) -> Result<Url, ProblemCode> {
    let url = Url::parse(raw).map_err(|_| ProblemCode::InvalidFormat)?;
    let Some(host) = url.host_str() else {
        return Err(ProblemCode::InvalidFormat);
    };
    let port = url
        .port_or_known_default()
        .ok_or(ProblemCode::InvalidFormat)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<IpAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| ProblemCode::UnresolvableHost)?
        .map(|a| a.ip())
        .collect();
    if addresses.is_empty() {
        return Err(ProblemCode::UnresolvableHost);
    }
    let allowed = match url.scheme() {
        "https" => allow_private || addresses.iter().all(|ip| is_public(*ip)),
        "http" => allow_private && addresses.iter().all(IpAddr::is_loopback),
        _ => false,
    };
    if allowed {
        Ok(url)
    } else {
        Err(ProblemCode::ForbiddenTarget)
    }
}

/// A resolver that gives only public addresses (all of them when private ones are allowed),
/// so that a connection never reaches a private address, whatever the host resolves to now.
pub struct PublicResolver {
    /// `SAMMEN_WEBHOOK_ALLOW_PRIVATE`.
    pub allow_private: bool,
}

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if addresses.is_empty() {
                return Err("the host resolves to no public address".into());
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "192.0.2.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.215.14", "2a00:1450:4001:80b::200e"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[actix_web::test]
    async fn only_https_to_public_addresses_is_a_target_unless_private_is_allowed() {
        for (url, allow, expected) in [
            (
                "https://127.0.0.1/hook",
                false,
                Err(ProblemCode::ForbiddenTarget),
            ),
            (
                "https://localhost:8443/hook",
                false,
                Err(ProblemCode::ForbiddenTarget),
            ),
            (
                "https://[::1]/hook",
                false,
                Err(ProblemCode::ForbiddenTarget),
            ),
            (
                "https://10.0.0.7/hook",
                false,
                Err(ProblemCode::ForbiddenTarget),
            ),
            (
                "http://93.184.215.14/hook",
                false,
                Err(ProblemCode::ForbiddenTarget),
            ),
            (
                "ftp://93.184.215.14/hook",
                false,
                Err(ProblemCode::ForbiddenTarget),
            ),
            ("not a url", false, Err(ProblemCode::InvalidFormat)),
            ("https://93.184.215.14/hook", false, Ok(())),
            ("http://127.0.0.1:9/hook", true, Ok(())),
            ("https://10.0.0.7/hook", true, Ok(())),
            (
                "http://10.0.0.7/hook",
                true,
                Err(ProblemCode::ForbiddenTarget),
            ),
        ] {
            assert_eq!(
                check_target(url, allow).await.map(|_| ()),
                expected,
                "{url}"
            );
        }
    }
}
