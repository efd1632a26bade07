//! Live matching while the citizen types.

use std::time::Instant;

use actix_web::error::JsonPayloadError;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, ResponseError, post, web};
use serde_json::Value;

use super::{AppState, QueryParams};
use crate::domain::IdeaText;
use crate::error::ApiError;
use crate::matching::Matching;
use crate::metrics::Metrics;

/// Bytes a matching's JSON usually takes: every network with its reasons, five initiatives
/// and similar ideas with theirs (3.5 KB for the Aalborg catalog).
const ANSWER_CAPACITY: usize = 6 * 1024;

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
    // Written into a buffer the size of a usual answer, which then need not grow.
    let mut body = Vec::with_capacity(ANSWER_CAPACITY);
    Ok(match serde_json::to_writer(&mut body, &matching) {
        Ok(()) => HttpResponse::Ok()
            .content_type(ContentType::json())
            .body(body),
        // As actix-web answers a value that does not serialise; a matching always does.
        Err(error) => JsonPayloadError::Serialize(error).error_response(),
    })
}
