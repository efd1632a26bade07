//! Abuse limits: per-client-address rate limits on the routes that cost the most
//! (`POST /v1/ideas`, `POST /v1/match`), a stricter one on failed key authentications, and a
//! time limit on every request. Answers beyond a limit are problems (429 with `Retry-After`,
//! or 503), rendered inside the CORS middleware so that browsers can read them.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::web;

use crate::config::{LimitSettings, Rate};
use crate::domain::Language;
use crate::error::ApiError;

/// An address or a CIDR range of addresses, such as `10.0.0.7` or `10.0.0.0/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRange {
    network: IpAddr,
    prefix: u8,
}

impl AddressRange {
    /// Whether `address` is in the range.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for AddressRange {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network = address
            .trim()
            .parse::<IpAddr>()
            .map_err(|_| ())?
            .to_canonical();
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p.trim().parse::<u8>().map_err(|_| ())?,
        };
        if prefix > bits {
            return Err(());
        }
        Ok(Self { network, prefix })
    }
}

/// What a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Counted {
    Ideas,
    Matching,
    FailedAuth,
}

/// Rate limits per client address, by the generic cell rate algorithm: a limit of N requests
/// per period allows a burst of N, then one request every period / N. Unlike fixed windows,
/// it never lets 2 N through around a window's edge. One entry per address and limit, an
/// `Instant` each; entries that have run out are swept as the table grows.
pub struct Limiter {
    settings: LimitSettings,
    buckets: Mutex<Buckets>,
    /// One permit per API request being worked on (`max_in_flight`).
    in_flight: tokio::sync::Semaphore,
}

struct Buckets {
    /// When each (limit, address) is next entirely free again ("theoretical arrival time").
    free_at: HashMap<(Counted, IpAddr), Instant>,
    /// Sweep when the table reaches this size.
    sweep_at: usize,
}

const FIRST_SWEEP: usize = 4096;

impl Limiter {
    /// Limits as configured.
    pub fn new(settings: LimitSettings) -> Self {
        Self {
            in_flight: tokio::sync::Semaphore::new(settings.max_in_flight),
            settings,
            buckets: Mutex::new(Buckets {
                free_at: HashMap::new(),
                sweep_at: FIRST_SWEEP,
            }),
        }
    }

    fn rate(&self, counted: Counted) -> Rate {
        match counted {
            Counted::Ideas => self.settings.ideas,
            Counted::Matching => self.settings.matching,
            Counted::FailedAuth => self.settings.failed_auth,
        }
    }

    /// Counts a request, or says how long to wait when the limit is reached. With `peek`,
    /// only checks.
    fn take(
        &self,
        counted: Counted,
        client: IpAddr,
        now: Instant,
        peek: bool,
    ) -> Result<(), Duration> {
        let rate = self.rate(counted);
        let interval = rate.per / rate.requests;
        let tolerance = rate.per - interval;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let free_at = buckets
            .free_at
            .get(&(counted, client))
            .copied()
            .unwrap_or(now)
            .max(now);
        let wait = free_at - now;
        if wait > tolerance {
            return Err(wait - tolerance);
        }
        if !peek {
            buckets
                .free_at
                .insert((counted, client), free_at + interval);
            if buckets.free_at.len() >= buckets.sweep_at {
                buckets.free_at.retain(|_, free_at| *free_at > now);
                buckets.sweep_at = (buckets.free_at.len() * 2).max(FIRST_SWEEP);
            }
        }
        Ok(())
    }

    /// Notes a failed authentication without refusing anything.
    fn note_failure(&self, client: IpAddr, now: Instant) {
        let rate = self.rate(Counted::FailedAuth);
        let interval = rate.per / rate.requests;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let free_at = buckets
            .free_at
            .entry((Counted::FailedAuth, client))
            .or_insert(now);
        *free_at = (*free_at).max(now) + interval;
    }

    /// The address a request comes from: the peer, or, when the peer is a trusted proxy, the
    /// nearest address in `X-Forwarded-For` that is not one. IPv6 clients count by their /64
    /// network, which one subscriber usually holds whole.
    pub fn client(&self, req: &ServiceRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip().to_canonical();
        let trusted = |address: IpAddr| {
            self.settings
                .trusted_proxies
                .iter()
                .any(|range| range.contains(address))
        };
        let mut client = peer;
        if trusted(peer) {
            let forwarded = req
                .headers()
                .get_all("x-forwarded-for")
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
                .map(|address| address.to_canonical())
                .collect::<Vec<_>>();
            for hop in forwarded.into_iter().rev() {
                client = hop;
                if !trusted(hop) {
                    break;
                }
            }
        }
        Some(match client {
            IpAddr::V6(v6) => {
                let network = u128::from(v6) & (u128::MAX << 64);
                IpAddr::V6(Ipv6Addr::from(network))
            }
            v4 => v4,
        })
    }
}

/// Middleware: the rate limits. Needs `web::Data<Limiter>` among the app data.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limiter = req
        .app_data::<web::Data<Limiter>>()
        .expect("the limiter is registered")
        .clone();
    if limiter.settings.rate_limits_disabled {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let Some(client) = limiter.client(&req) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let now = Instant::now();
    let counted = match (req.method(), req.path()) {
        (&Method::POST, "/v1/ideas") => Some(Counted::Ideas),
        (&Method::POST, "/v1/match") => Some(Counted::Matching),
        _ => None,
    };
    let with_credentials = req.headers().contains_key(header::AUTHORIZATION);
    let refused = if with_credentials {
        limiter.take(Counted::FailedAuth, client, now, true).err()
    } else {
        None
    }
    .or_else(|| counted.and_then(|c| limiter.take(c, client, now, false).err()));
    if let Some(wait) = refused {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        tracing::info!(client = %client, "rate limited");
        let (req, _) = req.into_parts();
        return Ok(ServiceResponse::from_err(
            ApiError::TooManyRequests(seconds),
            req,
        ));
    }
    let response = next.call(req).await?.map_into_boxed_body();
    if response.status() == StatusCode::UNAUTHORIZED {
        limiter.note_failure(client, Instant::now());
    }
    Ok(response)
}

/// Middleware: a request that takes longer than `SAMMEN_REQUEST_TIMEOUT_MS` (reading its body
/// included) is dropped and answered 503. A write that was cut off is rolled back; one that
/// committed stays, and a retry with the same `Idempotency-Key` answers with it.
pub async fn time_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limit = req
        .app_data::<web::Data<Limiter>>()
        .expect("the limiter is registered")
        .settings
        .request_timeout;
    // The request cannot be kept for the answer (routing needs it unshared), so the answer is
    // an error carrying its own response, rendered here in the request's language.
    let language = Language::negotiate(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let path = req.path().to_owned();
    match actix_web::rt::time::timeout(limit, next.call(req)).await {
        Ok(response) => Ok(response?.map_into_boxed_body()),
        Err(_) => {
            tracing::warn!(path, "request timed out");
            let mut response = ApiError::Timeout.render(language);
            response.headers_mut().insert(
                header::X_CONTENT_TYPE_OPTIONS,
                header::HeaderValue::from_static("nosniff"),
            );
            Err(InternalError::from_response("request timed out", response).into())
        }
    }
}

/// Paths that never wait for a turn: probes, metrics and the documentation must answer however
/// busy the API is.
fn always_admitted(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics" | "/openapi.json")
        || path.starts_with("/docs")
}

/// Middleware: at most `SAMMEN_MAX_IN_FLIGHT` API requests are worked on at once, the others
/// wait their turn in arrival order; one that waited `SAMMEN_QUEUE_WAIT_MS` is answered 503
/// (`overloaded`, with `Retry-After`) at once. Under a spike beyond what the machine can do, the
/// service so sheds what it cannot serve in time instead of letting every answer grow late.
pub async fn admission(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if always_admitted(req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let limiter = req
        .app_data::<web::Data<Limiter>>()
        .expect("the limiter is registered")
        .clone();
    let turn =
        actix_web::rt::time::timeout(limiter.settings.queue_wait, limiter.in_flight.acquire())
            .await;
    let Ok(Ok(_permit)) = turn else {
        tracing::debug!(
            path = req.path(),
            "request shed: no turn within the queue wait"
        );
        // As an error response, so that the outer middleware treat it like any other problem
        // (language, CORS, default headers).
        return Ok(req
            .error_response(ApiError::Overloaded)
            .map_into_boxed_body());
    };
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rate: Rate) -> Limiter {
        Limiter::new(LimitSettings {
            ideas: rate,
            ..LimitSettings::default()
        })
    }

    #[test]
    fn a_burst_of_the_limit_passes_then_one_per_interval() {
        let limiter = limiter(Rate::per_minute(6));
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let start = Instant::now();
        for _ in 0..6 {
            assert!(limiter.take(Counted::Ideas, client, start, false).is_ok());
        }
        let wait = limiter
            .take(Counted::Ideas, client, start, false)
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(10));
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limiter.take(Counted::Ideas, other, start, false).is_ok());
        let later = start + Duration::from_secs(10);
        assert!(limiter.take(Counted::Ideas, client, later, false).is_ok());
        assert!(limiter.take(Counted::Ideas, client, later, false).is_err());
    }

    #[test]
    fn a_peek_counts_nothing_and_failures_block_after_the_limit() {
        let limiter = Limiter::new(LimitSettings {
            ideas: Rate::per_minute(1),
            failed_auth: Rate::per_minute(2),
            ..LimitSettings::default()
        });
        let client: IpAddr = "192.0.2.1".parse().unwrap();
        let now = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take(Counted::Ideas, client, now, true).is_ok());
        }
        assert!(limiter.take(Counted::Ideas, client, now, false).is_ok());
        assert!(limiter.take(Counted::Ideas, client, now, true).is_err());

        limiter.note_failure(client, now);
        assert!(limiter.take(Counted::FailedAuth, client, now, true).is_ok());
        limiter.note_failure(client, now);
        let wait = limiter
            .take(Counted::FailedAuth, client, now, true)
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(30));
    }

    #[test]
    fn the_table_is_swept_of_addresses_whose_limits_ran_out() {
        let limiter = limiter(Rate {
            requests: 1,
            per: Duration::from_millis(1),
        });
        let start = Instant::now();
        for i in 0..FIRST_SWEEP as u32 - 1 {
            let client = IpAddr::from(i.to_be_bytes());
            limiter.take(Counted::Ideas, client, start, false).unwrap();
        }
        let later = start + Duration::from_secs(1);
        limiter
            .take(Counted::Ideas, "192.0.2.1".parse().unwrap(), later, false)
            .unwrap();
        assert!(limiter.buckets.lock().unwrap().free_at.len() < 10);
    }

    #[test]
    fn address_ranges_contain_their_addresses() {
        let range: AddressRange = "10.0.0.0/8".parse().unwrap();
        assert!(range.contains("10.200.3.4".parse().unwrap()));
        assert!(range.contains("::ffff:10.1.1.1".parse().unwrap()));
        assert!(!range.contains("11.0.0.1".parse().unwrap()));
        let one: AddressRange = "2001:db8::1".parse().unwrap();
        assert!(one.contains("2001:db8::1".parse().unwrap()));
        assert!(!one.contains("2001:db8::2".parse().unwrap()));
        let all: AddressRange = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("203.0.113.9".parse().unwrap()));
        for bad in ["10.0.0.0/33", "example.org", "10.0.0.0/x", ""] {
            assert!(bad.parse::<AddressRange>().is_err(), "{bad}");
        }
    }
}
