//! Live matching while the citizen types.

use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde_json::Value;

use super::{AppState, QueryParams};
use crate::domain::IdeaText;
use crate::error::ApiError;
use crate::matching::Matching;
use crate::metrics::Metrics;

/// Where an idea would go, and why: the call a form makes while the citizen types. Takes the
/// body of `POST /v1/ideas` without `contact` and `consent`; stores nothing.
#[utoipa::path(
    tag = "matching",
    request_body(content = IdeaText, description = "The idea's text."),
    responses((status = 200, description = "The matching.", body = Matching))
)]
#[post("/match")]
pub async fn match_idea(
    req: HttpRequest,
    body: web::Json<Value>,
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::read(&req, &[]);
    let idea = IdeaText::parse(&body);
    query.finish()?;
    let idea = idea.map_err(ApiError::InvalidBody)?;
    let started = Instant::now();
    let matching = state.matcher.match_idea(&idea);
    metrics.observe_matching(started.elapsed());
    Ok(HttpResponse::Ok().json(matching))
}
