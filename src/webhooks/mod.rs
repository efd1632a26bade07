//! Webhook delivery (Standard Webhooks). Changes write outbox rows in their own transaction;
//! this dispatcher, a task of every running service, claims due rows with a lease, sends them
//! signed, and records each attempt. Delivery is at least once: a row is done only when the
//! endpoint answered 2xx, and rows of a killed process are claimed again when their lease
//! runs out.

pub mod signature;
pub mod targets;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Serialize;
use uuid::Uuid;

use crate::config::WebhookSettings;
use crate::domain::{DeliveryAttempt, DeliveryOutcome, DeliveryResult, PendingDelivery};
use crate::metrics::Metrics;
use crate::store::{self, Store};

/// Deliveries claimed at a time.
const BATCH: u32 = 16;
/// The longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(12 * 3600);
/// How much longer than an attempt's timeout a lease lasts.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// The thin body of a delivery: the partner fetches the idea with its key, so that every read
/// of personal data goes through the audited API.
#[derive(Debug, Serialize)]
pub struct Payload<'a> {
    /// The event type, e.g. `idea.routed`.
    #[serde(rename = "type")]
    pub kind: &'a str,
    /// When the event happened.
    pub timestamp: DateTime<Utc>,
    /// What it is about.
    pub data: PayloadData<'a>,
}

/// The `data` of a delivery.
#[derive(Debug, Serialize)]
pub struct PayloadData<'a> {
    /// The idea: `GET /v1/partner/ideas/{idea_id}`.
    pub idea_id: Uuid,
    /// The network the event is for.
    pub network: &'a str,
    /// The idea's status after the event.
    pub status: &'a str,
}

/// The HTTP client of the dispatcher: no redirects, no proxy, a timeout, and a resolver that
/// never yields a private address unless they are allowed.
pub fn client(settings: &WebhookSettings) -> reqwest::Client {
    crate::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(settings.timeout)
        .connect_timeout(settings.timeout)
        .user_agent(concat!("sammen-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(targets::PublicResolver {
            allow_private: settings.allow_private,
        })
        .build()
        .expect("the webhook client builds")
}

/// Delivers due webhooks until the process ends.
pub async fn dispatch(store: Arc<dyn Store>, settings: WebhookSettings, metrics: Arc<Metrics>) {
    let client = client(&settings);
    let mut ticks = actix_web::rt::time::interval(settings.poll);
    loop {
        ticks.tick().await;
        loop {
            let now = store::now();
            let lease =
                chrono::Duration::from_std(settings.timeout + LEASE_MARGIN).expect("a lease fits");
            let claimed = match store.claim_deliveries(now, now + lease, BATCH).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::warn!(error = ?error, "webhook outbox could not be read");
                    break;
                }
            };
            if claimed.is_empty() {
                break;
            }
            let attempts = claimed
                .into_iter()
                .map(|pending| deliver(&client, store.as_ref(), &settings, &metrics, pending));
            futures_util::future::join_all(attempts).await;
        }
    }
}

async fn deliver(
    client: &reqwest::Client,
    store: &dyn Store,
    settings: &WebhookSettings,
    metrics: &Metrics,
    pending: PendingDelivery,
) {
    let event = &pending.event;
    let body = serde_json::to_vec(&Payload {
        kind: event.event.code(),
        timestamp: event.at,
        data: PayloadData {
            idea_id: event.idea_id,
            network: &event.network,
            status: event.status.code(),
        },
    })
    .expect("a payload serializes");
    let started = Instant::now();
    let answer = send(client, settings, &pending, body).await;
    let at = store::now();
    let (status_code, error, retry_after) = match &answer {
        Ok((status, retry_after)) => (Some(i32::from(status.as_u16())), None, *retry_after),
        Err(error) => (None, Some(error.clone()), None),
    };
    let outcome = match answer {
        Ok((status, _)) if status.is_success() => DeliveryOutcome::Delivered,
        Ok((StatusCode::GONE, _)) => DeliveryOutcome::Disabled,
        _ if (at - pending.created_at).to_std().unwrap_or_default() >= settings.retry_for => {
            DeliveryOutcome::Failed
        }
        _ => DeliveryOutcome::Retry,
    };
    let next_attempt_at = (outcome == DeliveryOutcome::Retry).then(|| {
        let delay = retry_after.unwrap_or_else(|| backoff(settings.retry_base, pending.attempt));
        at + chrono::Duration::from_std(delay.min(MAX_DELAY)).expect("a delay fits")
    });
    metrics.count_webhook_attempt(outcome);
    tracing::info!(
        webhook_id = %pending.webhook_id,
        message_id = %pending.message_id,
        attempt = pending.attempt,
        status_code,
        outcome = outcome.code(),
        "webhook attempt"
    );
    let result = DeliveryResult {
        outbox_id: pending.outbox_id,
        webhook_id: pending.webhook_id,
        attempt: DeliveryAttempt {
            id: Uuid::now_v7(),
            message_id: pending.message_id.clone(),
            event: event.event,
            attempt: pending.attempt,
            at,
            outcome,
            status_code,
            error,
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            next_attempt_at,
        },
    };
    if let Err(error) = store.finish_delivery(&result).await {
        // The lease runs out and the delivery is made again: at least once.
        tracing::warn!(error = ?error, webhook_id = %pending.webhook_id, "webhook attempt not recorded");
    }
}

/// Sends one attempt: the endpoint's status and `Retry-After`, or why no answer came.
async fn send(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    pending: &PendingDelivery,
    body: Vec<u8>,
) -> Result<(StatusCode, Option<Duration>), String> {
    // Checked again at each attempt; the resolver then keeps the connection itself on public
    // addresses, should the name resolve elsewhere in between.
    let url = targets::check_target(&pending.url, settings.allow_private)
        .await
        .map_err(|code| format!("the endpoint may not be used now ({})", code.as_str()))?;
    let timestamp = Utc::now().timestamp();
    let signature = signature::sign(&pending.secret, &pending.message_id, timestamp, &body);
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &pending.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| describe(&e))?;
    Ok((response.status(), retry_after(response.headers())))
}

/// An error without the URL, which may hold the partner's own secrets.
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut cause = std::error::Error::source(error);
    let mut detail = String::new();
    while let Some(c) = cause {
        detail = c.to_string();
        cause = c.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind}: {detail}")
    }
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    (date.with_timezone(&Utc) - Utc::now()).to_std().ok()
}

/// The delay before attempt `attempt + 1`: `base` × 4^(attempt − 1), at most 12 hours,
/// ±20 % jitter so that endpoints that came back are not hit by every retry at once.
pub fn backoff(base: Duration, attempt: i32) -> Duration {
    let exponent = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    let delay = base
        .saturating_mul(4u32.saturating_pow(exponent))
        .min(MAX_DELAY);
    delay.mul_f64(rand::rng().random_range(0.8..1.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_with_jitter_for_about_three_days() {
        let base = Duration::from_secs(5);
        let mut total = Duration::ZERO;
        let mut attempts = 0;
        while total < Duration::from_secs(72 * 3600) {
            attempts += 1;
            let delay = backoff(base, attempts);
            let nominal = base
                .saturating_mul(4u32.pow((attempts as u32 - 1).min(16)))
                .min(MAX_DELAY);
            assert!(delay >= nominal.mul_f64(0.8) && delay <= nominal.mul_f64(1.2));
            total += delay;
        }
        assert!(
            (10..=16).contains(&attempts),
            "{attempts} attempts in three days"
        );
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = (Utc::now() + chrono::Duration::seconds(60)).to_rfc2822();
        headers.insert(RETRY_AFTER, later.parse().unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(50) && wait <= Duration::from_secs(60));
    }
}
