//! Settings from `SAMMEN_*` environment variables, validated once at start-up.

use std::net::SocketAddr;
use std::time::Duration;

use crate::limits::AddressRange;

/// Which catalog to load into an empty database at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// The built-in Aalborg catalog.
    Aalborg,
    /// Nothing.
    None,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// How webhooks are delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// `SAMMEN_WEBHOOK_ALLOW_PRIVATE`: allow endpoints on loopback, private and link-local
    /// addresses, and plain `http` to loopback (tests and local trials only).
    pub allow_private: bool,
    /// `SAMMEN_WEBHOOK_RETRY_BASE_MS`: the first retry's delay; each next one is 4 times longer
    /// (at most 12 hours), with ±20 % jitter.
    pub retry_base: Duration,
    /// How long a delivery is retried before it is given up (72 hours).
    pub retry_for: Duration,
    /// `SAMMEN_WEBHOOK_POLL_MS`: how often the dispatcher looks for due deliveries.
    pub poll: Duration,
    /// `SAMMEN_WEBHOOK_TIMEOUT_MS`: how long one attempt may take.
    pub timeout: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            retry_base: Duration::from_secs(5),
            retry_for: Duration::from_secs(72 * 3600),
            poll: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
        }
    }
}

/// What the retention job keeps, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionSettings {
    /// `SAMMEN_CONTACT_RETENTION_DAYS`: contact data is anonymised this many days after the
    /// idea's last change.
    pub contact_days: u32,
    /// `SAMMEN_AUDIT_RETENTION_DAYS`: audit entries (reads of ideas) are deleted after this
    /// many days.
    pub audit_days: u32,
    /// `SAMMEN_RETENTION_INTERVAL_MINUTES`: how often the job runs.
    pub interval: Duration,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            contact_days: 730,
            audit_days: 1095,
            interval: Duration::from_secs(3600),
        }
    }
}

/// A number of requests in a period, for one client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// How many requests.
    pub requests: u32,
    /// In how long.
    pub per: Duration,
}

impl Rate {
    /// `requests` a minute.
    pub const fn per_minute(requests: u32) -> Self {
        Self {
            requests,
            per: Duration::from_secs(60),
        }
    }

    /// Reads `N/s`, `N/min` or `N/h`.
    fn parse(text: &str) -> Option<Self> {
        let (count, unit) = text.trim().split_once('/')?;
        let requests = count.trim().parse::<u32>().ok().filter(|n| *n > 0)?;
        let per = match unit.trim() {
            "s" => Duration::from_secs(1),
            "min" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return None,
        };
        Some(Self { requests, per })
    }
}

/// Limits that keep one client from taking the service for itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitSettings {
    /// `SAMMEN_RATE_LIMIT_DISABLED`: no rate limits at all (test and load runs).
    pub rate_limits_disabled: bool,
    /// `SAMMEN_RATE_LIMIT_IDEAS`: `POST /v1/ideas` per client address.
    pub ideas: Rate,
    /// `SAMMEN_RATE_LIMIT_MATCH`: `POST /v1/match` per client address.
    pub matching: Rate,
    /// `SAMMEN_RATE_LIMIT_FAILED_AUTH`: answers 401 per client address; past it, every request
    /// with an `Authorization` header from that address answers 429 until the period passes.
    pub failed_auth: Rate,
    /// `SAMMEN_TRUSTED_PROXIES`: the proxies whose `X-Forwarded-For` names the client; empty:
    /// the client is the peer address, whatever the headers say.
    pub trusted_proxies: Vec<AddressRange>,
    /// `SAMMEN_REQUEST_TIMEOUT_MS`: how long a request may take, from its headers to its answer.
    pub request_timeout: Duration,
    /// `SAMMEN_MAX_IN_FLIGHT`: how many API requests a process works on at once; the others wait.
    pub max_in_flight: usize,
    /// `SAMMEN_QUEUE_WAIT_MS`: how long a request may wait for its turn; beyond, it is answered
    /// 503 at once (load shed) instead of waiting in an ever longer queue.
    pub queue_wait: Duration,
}

impl Default for LimitSettings {
    fn default() -> Self {
        Self {
            rate_limits_disabled: false,
            ideas: Rate::per_minute(30),
            matching: Rate::per_minute(300),
            failed_auth: Rate::per_minute(10),
            trusted_proxies: Vec::new(),
            request_timeout: Duration::from_secs(10),
            max_in_flight: 64,
            queue_wait: Duration::from_millis(500),
        }
    }
}

/// All settings of the service.
#[derive(Debug, Clone)]
pub struct Config {
    /// `SAMMEN_DATABASE_URL`: `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// `SAMMEN_BIND`: the address to listen on.
    pub bind: SocketAddr,
    /// `SAMMEN_SEED`.
    pub seed: Seed,
    /// `SAMMEN_CORS_ORIGINS`: origins allowed to call from a browser.
    pub cors_origins: Vec<String>,
    /// `SAMMEN_LOG`: a tracing filter such as `info` or `sammen=debug,info`.
    pub log_filter: String,
    /// `SAMMEN_LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `SAMMEN_ROUTING_MIN_CONFIDENCE`: the least score (0..1) of the best network for an idea
    /// to be routed to it; below, the idea goes to triage.
    pub routing_min_confidence: f32,
    /// `SAMMEN_WEBHOOK_*`.
    pub webhooks: WebhookSettings,
    /// `SAMMEN_*_RETENTION_*`.
    pub retention: RetentionSettings,
    /// `SAMMEN_RATE_LIMIT_*`, `SAMMEN_TRUSTED_PROXIES`, `SAMMEN_REQUEST_TIMEOUT_MS`.
    pub limits: LimitSettings,
    /// `SAMMEN_METRICS_BIND`: a second address that serves `GET /metrics` without a key (for
    /// the monitoring network only); without it, `/metrics` needs an admin key.
    pub metrics_bind: Option<SocketAddr>,
}

/// A setting that cannot be used; start-up stops with this one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    /// The variable at fault.
    pub var: &'static str,
    /// What is wrong with it.
    pub message: String,
}

fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| match std::env::var(name) {
            Ok(value) => Ok(Some(value)),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(invalid(name, "is not valid UTF-8")),
        })
    }

    /// Reads settings through `lookup`, which returns `None` for an unset variable.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Result<Option<String>, ConfigError>,
    ) -> Result<Config, ConfigError> {
        let get = |name: &'static str| -> Result<Option<String>, ConfigError> {
            Ok(lookup(name)?.filter(|v| !v.trim().is_empty()))
        };

        let database_url =
            get("SAMMEN_DATABASE_URL")?.unwrap_or_else(|| "sqlite://sammen.db".to_owned());
        if !["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|prefix| database_url.starts_with(prefix))
        {
            return Err(invalid(
                "SAMMEN_DATABASE_URL",
                "must start with sqlite: or postgres:// (e.g. sqlite://sammen.db)",
            ));
        }

        let bind_text = get("SAMMEN_BIND")?.unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let bind = bind_text.parse().map_err(|_| {
            invalid(
                "SAMMEN_BIND",
                format!("{bind_text:?} is not an address such as 127.0.0.1:8080 or [::]:8080"),
            )
        })?;

        let seed = match get("SAMMEN_SEED")?.as_deref() {
            None | Some("aalborg") => Seed::Aalborg,
            Some("none") => Seed::None,
            Some(other) => {
                return Err(invalid(
                    "SAMMEN_SEED",
                    format!("{other:?} is not one of: aalborg, none"),
                ));
            }
        };

        let cors_origins = get("SAMMEN_CORS_ORIGINS")?
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(|origin| {
                        if is_origin(origin) {
                            Ok(origin.trim_end_matches('/').to_owned())
                        } else {
                            Err(invalid(
                                "SAMMEN_CORS_ORIGINS",
                                format!(
                                    "{origin:?} is not an origin such as https://www.aalborg.dk"
                                ),
                            ))
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();

        let log_filter = get("SAMMEN_LOG")?.unwrap_or_else(|| "info".to_owned());
        tracing_subscriber::EnvFilter::try_new(&log_filter).map_err(|e| {
            invalid(
                "SAMMEN_LOG",
                format!("{log_filter:?} is not a log filter: {e}"),
            )
        })?;

        let log_format = match get("SAMMEN_LOG_FORMAT")?.as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "SAMMEN_LOG_FORMAT",
                    format!("{other:?} is not one of: text, json"),
                ));
            }
        };

        let routing_min_confidence = match get("SAMMEN_ROUTING_MIN_CONFIDENCE")? {
            None => crate::matching::DEFAULT_MIN_CONFIDENCE,
            Some(text) => match text.trim().parse::<f32>() {
                Ok(value) if (0.0..=1.0).contains(&value) => value,
                _ => {
                    return Err(invalid(
                        "SAMMEN_ROUTING_MIN_CONFIDENCE",
                        format!("{text:?} is not a number from 0 to 1"),
                    ));
                }
            },
        };

        let flag = |var: &'static str| -> Result<bool, ConfigError> {
            match get(var)?.as_deref() {
                None | Some("false") => Ok(false),
                Some("true") => Ok(true),
                Some(other) => Err(invalid(
                    var,
                    format!("{other:?} is not one of: true, false"),
                )),
            }
        };
        let defaults = WebhookSettings::default();
        let millis = |var: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            match get(var)? {
                None => Ok(default),
                Some(text) => match text.trim().parse::<u64>() {
                    Ok(ms) if (1..=86_400_000).contains(&ms) => Ok(Duration::from_millis(ms)),
                    _ => Err(invalid(
                        var,
                        format!("{text:?} is not a number of milliseconds from 1 to 86400000"),
                    )),
                },
            }
        };
        let webhooks = WebhookSettings {
            allow_private: flag("SAMMEN_WEBHOOK_ALLOW_PRIVATE")?,
            retry_base: millis("SAMMEN_WEBHOOK_RETRY_BASE_MS", defaults.retry_base)?,
            retry_for: defaults.retry_for,
            poll: millis("SAMMEN_WEBHOOK_POLL_MS", defaults.poll)?,
            timeout: millis("SAMMEN_WEBHOOK_TIMEOUT_MS", defaults.timeout)?,
        };

        let whole = |var: &'static str, default: u32, max: u32| -> Result<u32, ConfigError> {
            match get(var)? {
                None => Ok(default),
                Some(text) => match text.trim().parse::<u32>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(n),
                    _ => Err(invalid(
                        var,
                        format!("{text:?} is not a whole number from 1 to {max}"),
                    )),
                },
            }
        };
        let kept = RetentionSettings::default();
        let retention = RetentionSettings {
            contact_days: whole("SAMMEN_CONTACT_RETENTION_DAYS", kept.contact_days, 36_500)?,
            audit_days: whole("SAMMEN_AUDIT_RETENTION_DAYS", kept.audit_days, 36_500)?,
            interval: Duration::from_secs(
                60 * u64::from(whole("SAMMEN_RETENTION_INTERVAL_MINUTES", 60, 10_080)?),
            ),
        };

        let limit_defaults = LimitSettings::default();
        let rate = |var: &'static str, default: Rate| -> Result<Rate, ConfigError> {
            match get(var)? {
                None => Ok(default),
                Some(text) => Rate::parse(&text).ok_or_else(|| {
                    invalid(
                        var,
                        format!("{text:?} is not a rate such as 30/min, 5/s or 1000/h"),
                    )
                }),
            }
        };
        let limits = LimitSettings {
            rate_limits_disabled: flag("SAMMEN_RATE_LIMIT_DISABLED")?,
            ideas: rate("SAMMEN_RATE_LIMIT_IDEAS", limit_defaults.ideas)?,
            matching: rate("SAMMEN_RATE_LIMIT_MATCH", limit_defaults.matching)?,
            failed_auth: rate("SAMMEN_RATE_LIMIT_FAILED_AUTH", limit_defaults.failed_auth)?,
            trusted_proxies: get("SAMMEN_TRUSTED_PROXIES")?
                .map(|list| {
                    list.split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(|range| {
                            range.parse::<AddressRange>().map_err(|_| {
                                invalid(
                                    "SAMMEN_TRUSTED_PROXIES",
                                    format!(
                                        "{range:?} is not an address or range such as 10.0.0.7 or 10.0.0.0/8"
                                    ),
                                )
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?
                .unwrap_or_default(),
            request_timeout: millis("SAMMEN_REQUEST_TIMEOUT_MS", limit_defaults.request_timeout)?,
            max_in_flight: match get("SAMMEN_MAX_IN_FLIGHT")? {
                None => limit_defaults.max_in_flight,
                Some(text) => match text.trim().parse::<usize>() {
                    Ok(n) if (1..=100_000).contains(&n) => n,
                    _ => {
                        return Err(invalid(
                            "SAMMEN_MAX_IN_FLIGHT",
                            format!("{text:?} is not a number of requests from 1 to 100000"),
                        ));
                    }
                },
            },
            queue_wait: millis("SAMMEN_QUEUE_WAIT_MS", limit_defaults.queue_wait)?,
        };

        let metrics_bind = get("SAMMEN_METRICS_BIND")?
            .map(|text| {
                text.parse().map_err(|_| {
                    invalid(
                        "SAMMEN_METRICS_BIND",
                        format!("{text:?} is not an address such as 127.0.0.1:9090"),
                    )
                })
            })
            .transpose()?;

        Ok(Config {
            database_url,
            bind,
            seed,
            cors_origins,
            log_filter,
            log_format,
            routing_min_confidence,
            webhooks,
            retention,
            limits,
            metrics_bind,
        })
    }
}

/// `scheme://host[:port]`, nothing after.
fn is_origin(origin: &str) -> bool {
    let origin = origin.trim_end_matches('/');
    let Some(rest) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&'static str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<&str, String> = vars.iter().map(|(k, v)| (*k, v.to_string())).collect();
        Config::from_lookup(|name| Ok(vars.get(name).cloned()))
    }

    #[test]
    fn defaults_serve_sqlite_on_localhost_with_the_aalborg_catalog() {
        let c = config(&[]).unwrap();
        assert_eq!(c.database_url, "sqlite://sammen.db");
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.seed, Seed::Aalborg);
        assert!(c.cors_origins.is_empty());
        assert_eq!(c.log_format, LogFormat::Text);
        assert_eq!(c.webhooks, WebhookSettings::default());
        assert!(!c.webhooks.allow_private);
        assert_eq!(c.retention, RetentionSettings::default());
        assert_eq!(
            (c.retention.contact_days, c.retention.audit_days),
            (730, 1095)
        );
        assert_eq!(c.limits, LimitSettings::default());
        assert_eq!(c.metrics_bind, None);
        assert!(!c.limits.rate_limits_disabled);
    }

    #[test]
    fn rates_are_a_count_per_second_minute_or_hour() {
        let c = config(&[
            ("SAMMEN_RATE_LIMIT_IDEAS", "5/s"),
            ("SAMMEN_RATE_LIMIT_MATCH", "1000/h"),
            ("SAMMEN_RATE_LIMIT_FAILED_AUTH", "3/min"),
            ("SAMMEN_RATE_LIMIT_DISABLED", "true"),
            ("SAMMEN_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
        ])
        .unwrap();
        assert_eq!(
            c.limits.ideas,
            Rate {
                requests: 5,
                per: Duration::from_secs(1)
            }
        );
        assert_eq!(c.limits.matching.per, Duration::from_secs(3600));
        assert_eq!(c.limits.failed_auth, Rate::per_minute(3));
        assert!(c.limits.rate_limits_disabled);
        assert_eq!(c.limits.trusted_proxies.len(), 2);
    }

    #[test]
    fn each_bad_setting_is_named_in_the_error() {
        for (var, value) in [
            ("SAMMEN_DATABASE_URL", "mysql://x"),
            ("SAMMEN_BIND", "localhost"),
            ("SAMMEN_SEED", "copenhagen"),
            ("SAMMEN_CORS_ORIGINS", "https://ok.dk, not an origin"),
            ("SAMMEN_LOG", "sammen=loud"),
            ("SAMMEN_LOG_FORMAT", "xml"),
            ("SAMMEN_ROUTING_MIN_CONFIDENCE", "1.5"),
            ("SAMMEN_WEBHOOK_ALLOW_PRIVATE", "yes"),
            ("SAMMEN_WEBHOOK_RETRY_BASE_MS", "0"),
            ("SAMMEN_WEBHOOK_POLL_MS", "soon"),
            ("SAMMEN_WEBHOOK_TIMEOUT_MS", "-1"),
            ("SAMMEN_CONTACT_RETENTION_DAYS", "0"),
            ("SAMMEN_AUDIT_RETENTION_DAYS", "two years"),
            ("SAMMEN_RETENTION_INTERVAL_MINUTES", "99999"),
            ("SAMMEN_RATE_LIMIT_DISABLED", "1"),
            ("SAMMEN_RATE_LIMIT_IDEAS", "30"),
            ("SAMMEN_RATE_LIMIT_MATCH", "0/min"),
            ("SAMMEN_RATE_LIMIT_FAILED_AUTH", "10/day"),
            ("SAMMEN_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("SAMMEN_REQUEST_TIMEOUT_MS", "0"),
            ("SAMMEN_METRICS_BIND", "9090"),
        ] {
            let error = config(&[(var, value)]).unwrap_err();
            assert_eq!(error.var, var);
            assert!(error.to_string().starts_with(var));
        }
    }

    #[test]
    fn cors_origins_are_a_comma_separated_list() {
        let c = config(&[(
            "SAMMEN_CORS_ORIGINS",
            "https://www.aalborg.dk/, http://localhost:3000",
        )])
        .unwrap();
        assert_eq!(
            c.cors_origins,
            ["https://www.aalborg.dk", "http://localhost:3000"]
        );
    }
}
