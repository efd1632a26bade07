//! Metrics for Prometheus: with an admin key here, or without one on the separate address
//! `SAMMEN_METRICS_BIND`, which only the monitoring network should reach.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{AppState, QueryParams};
use crate::auth::AdminKey;
use crate::error::ApiError;
use crate::metrics::{CONTENT_TYPE, Metrics};

/// The service's metrics in the Prometheus text format: requests by route and status with
/// latency histograms, matching time, webhook attempts and backlog, ideas by status and the
/// database pool. See docs/operations.md for a scrape configuration.
#[utoipa::path(
    tag = "health",
    security(("api_key" = [])),
    responses((status = 200, description = "The metrics (Prometheus text format 0.0.4).",
        body = String, content_type = "text/plain; version=0.0.4; charset=utf-8"))
)]
#[get("/metrics")]
pub async fn get_metrics(
    req: HttpRequest,
    _admin: AdminKey,
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    Ok(expose(state, metrics).await)
}

/// `GET /metrics` on the metrics address: no key, since only monitoring reaches it.
pub async fn expose(state: web::Data<AppState>, metrics: web::Data<Metrics>) -> HttpResponse {
    let body = metrics.render(state.store.as_ref(), &state.matcher).await;
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}
