//! Metrics in the Prometheus text format (`GET /metrics`): requests by route and status with
//! latency histograms, matching time, webhook attempts, and at each scrape ideas by status,
//! the webhook outbox and the database pool. Counters are atomics, written without locks on the
//! request path; the few values read from the database are read only when scraped.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web;

use crate::domain::DeliveryOutcome;
use crate::matching::Matcher;
use crate::store::Store;

/// The media type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram.
#[derive(Default)]
pub struct Histogram {
    /// Observations per bucket (not cumulative; summed when rendered).
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|le| seconds <= *le) {
            self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// How many observations.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let separator = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (le, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{separator}le=\"{le}\"}} {cumulative}"
            );
        }
        let count = self.count();
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{separator}le=\"+Inf\"}} {count}"
        );
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let braces = |labels: &str| {
            if labels.is_empty() {
                String::new()
            } else {
                format!("{{{labels}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {count}", braces(labels));
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct RequestKey {
    method: String,
    route: String,
    status: u16,
}

/// The metrics of one running service.
#[derive(Default)]
pub struct Metrics {
    requests: RwLock<HashMap<RequestKey, Arc<Histogram>>>,
    matching: Histogram,
    webhook_attempts: [AtomicU64; 4],
}

const OUTCOMES: [DeliveryOutcome; 4] = [
    DeliveryOutcome::Delivered,
    DeliveryOutcome::Retry,
    DeliveryOutcome::Failed,
    DeliveryOutcome::Disabled,
];

impl Metrics {
    /// Records a request's answer. `route` is the pattern that matched (`/v1/ideas/{id}`), so
    /// that ids and unknown paths do not each make a series.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let key = RequestKey {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        let known = self
            .requests
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        let histogram = match known {
            Some(histogram) => histogram,
            None => self
                .requests
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .entry(key)
                .or_default()
                .clone(),
        };
        histogram.observe(elapsed);
    }

    /// Records how long the matching engine took for one idea.
    pub fn observe_matching(&self, elapsed: Duration) {
        self.matching.observe(elapsed);
    }

    /// How many ideas were matched.
    pub fn matchings(&self) -> u64 {
        self.matching.count()
    }

    /// Counts a webhook delivery attempt by its outcome.
    pub fn count_webhook_attempt(&self, outcome: DeliveryOutcome) {
        let index = OUTCOMES.iter().position(|o| *o == outcome).unwrap_or(0);
        self.webhook_attempts[index].fetch_add(1, Ordering::Relaxed);
    }

    /// The whole exposition: this process's counters, then what the store and the matcher
    /// hold now. When the database does not answer, `sammen_database_up` says so and its
    /// series are left out.
    pub async fn render(&self, store: &dyn Store, matcher: &Matcher) -> String {
        let mut out = String::with_capacity(16 * 1024);
        out.push_str(
            "# HELP sammen_http_request_duration_seconds Time from a request's arrival to its answer, by method, route and status.\n\
             # TYPE sammen_http_request_duration_seconds histogram\n",
        );
        let mut requests: Vec<(RequestKey, Arc<Histogram>)> = self
            .requests
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(k, h)| (k.clone(), h.clone()))
            .collect();
        requests.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, histogram) in requests {
            let labels = format!(
                "method=\"{}\",route=\"{}\",status=\"{}\"",
                escape(&key.method),
                escape(&key.route),
                key.status
            );
            histogram.render(&mut out, "sammen_http_request_duration_seconds", &labels);
        }

        out.push_str(
            "# HELP sammen_matching_duration_seconds Time the matching engine took for one idea (live matching and submissions).\n\
             # TYPE sammen_matching_duration_seconds histogram\n",
        );
        self.matching
            .render(&mut out, "sammen_matching_duration_seconds", "");

        out.push_str(
            "# HELP sammen_webhook_attempts_total Webhook delivery attempts made by this process, by outcome.\n\
             # TYPE sammen_webhook_attempts_total counter\n",
        );
        for (outcome, count) in OUTCOMES.iter().zip(&self.webhook_attempts) {
            let _ = writeln!(
                out,
                "sammen_webhook_attempts_total{{outcome=\"{}\"}} {}",
                outcome.code(),
                count.load(Ordering::Relaxed)
            );
        }

        out.push_str(
            "# HELP sammen_similar_ideas_indexed Published ideas this process can show as similar ideas.\n\
             # TYPE sammen_similar_ideas_indexed gauge\n",
        );
        let _ = writeln!(
            out,
            "sammen_similar_ideas_indexed {}",
            matcher.published_ideas()
        );

        let pool = store.pool_usage();
        out.push_str(
            "# HELP sammen_db_pool_connections Connections of this process's database pool, by state.\n\
             # TYPE sammen_db_pool_connections gauge\n",
        );
        let _ = writeln!(
            out,
            "sammen_db_pool_connections{{state=\"in_use\"}} {}\nsammen_db_pool_connections{{state=\"idle\"}} {}",
            pool.size.saturating_sub(pool.idle),
            pool.idle
        );
        out.push_str(
            "# HELP sammen_db_pool_max_connections The most connections the pool opens.\n\
             # TYPE sammen_db_pool_max_connections gauge\n",
        );
        let _ = writeln!(out, "sammen_db_pool_max_connections {}", pool.max);

        let counts = match store.operational_counts().await {
            Ok(counts) => Some(counts),
            Err(error) => {
                tracing::warn!(error = ?error, "metrics: the database does not answer");
                None
            }
        };
        out.push_str(
            "# HELP sammen_database_up Whether the database answered this scrape.\n\
             # TYPE sammen_database_up gauge\n",
        );
        let _ = writeln!(out, "sammen_database_up {}", u8::from(counts.is_some()));
        if let Some(counts) = counts {
            out.push_str(
                "# HELP sammen_ideas Stored ideas, by status (all replicas).\n\
                 # TYPE sammen_ideas gauge\n",
            );
            for (status, count) in &counts.ideas_by_status {
                let _ = writeln!(out, "sammen_ideas{{status=\"{}\"}} {count}", escape(status));
            }
            out.push_str(
                "# HELP sammen_webhook_outbox_pending Webhook deliveries not yet delivered and still being tried (all replicas); failures are sammen_webhook_attempts_total.\n\
                 # TYPE sammen_webhook_outbox_pending gauge\n",
            );
            let _ = writeln!(
                out,
                "sammen_webhook_outbox_pending {}",
                counts.outbox_pending
            );
            out.push_str(
                "# HELP sammen_webhook_outbox_oldest_pending_seconds Age of the oldest pending webhook delivery (0 when none).\n\
                 # TYPE sammen_webhook_outbox_oldest_pending_seconds gauge\n",
            );
            let _ = writeln!(
                out,
                "sammen_webhook_outbox_oldest_pending_seconds {}",
                counts.outbox_oldest_pending_seconds
            );
        }
        out
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: records every answer in [`Metrics`] (needs `web::Data<Metrics>`).
pub async fn record_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let method = req.method().as_str().to_owned();
    let result = next.call(req).await;
    let Some(metrics) = metrics else {
        return result.map(ServiceResponse::map_into_boxed_body);
    };
    let (route, status) = match &result {
        Ok(response) => (
            response
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned()),
            response.status(),
        ),
        Err(error) => (
            "unmatched".to_owned(),
            error.as_response_error().status_code(),
        ),
    };
    // A 404 from the fallback matched no route; its path is not a label.
    let route = if status == StatusCode::NOT_FOUND && route.contains("{_") {
        "unmatched".to_owned()
    } else {
        route
    };
    metrics.observe_request(&method, &route, status.as_u16(), started.elapsed());
    result.map(ServiceResponse::map_into_boxed_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_render_cumulative_buckets_a_sum_and_a_count() {
        let histogram = Histogram::default();
        histogram.observe(Duration::from_micros(300));
        histogram.observe(Duration::from_millis(3));
        histogram.observe(Duration::from_secs(20));
        let mut out = String::new();
        histogram.render(&mut out, "x", "route=\"/a\"");
        assert!(out.contains("x_bucket{route=\"/a\",le=\"0.0005\"} 1\n"));
        assert!(out.contains("x_bucket{route=\"/a\",le=\"0.005\"} 2\n"));
        assert!(out.contains("x_bucket{route=\"/a\",le=\"10\"} 2\n"));
        assert!(out.contains("x_bucket{route=\"/a\",le=\"+Inf\"} 3\n"));
        assert!(out.contains("x_count{route=\"/a\"} 3\n"));
        assert!(out.contains("x_sum{route=\"/a\"} 20.0033\n"));
        let mut bare = String::new();
        histogram.render(&mut bare, "y", "");
        assert!(bare.contains("y_bucket{le=\"+Inf\"} 3\n") && bare.contains("y_count 3\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
