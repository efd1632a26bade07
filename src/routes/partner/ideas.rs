//! The partner feed and single ideas.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{PartnerIdea, partner_idea, partner_ideas, read_by, visible_idea};
use crate::auth::PartnerKey;
use crate::domain::decisions::Plan;
use crate::domain::{EventType, HistoryEntry, NewDecision, ProblemCode};
use crate::error::ApiError;
use crate::routes::{AppState, QueryParams, encode_cursor};
use crate::store;

const FEED_CURSOR: &str = "feed";

/// One entry of the feed. Entries are never edited: a later change is a later entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedItem {
    /// The idea the entry is about.
    pub idea_id: Uuid,
    /// What happened.
    pub event: EventType,
    /// When.
    pub at: DateTime<Utc>,
    /// The idea as it is now; null when it is no longer with the key's networks (declined,
    /// forwarded elsewhere) or was erased.
    pub idea: Option<PartnerIdea>,
}

/// A page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedPage {
    /// The entries, in the order they happened.
    pub items: Vec<FeedItem>,
    /// Pass as `after` to read on. Always present, also on an empty page: it is where to
    /// resume polling, and no entry after it has been shown yet.
    pub next_cursor: String,
}

/// Paging of the feed.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// `next_cursor` of the previous page; from the beginning when absent.
    #[param(max_length = 200)]
    pub after: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
}

/// The feed: ideas routed to the key's networks and what happened to them since, in order.
///
/// Poll with `after` = the last `next_cursor`: every entry comes exactly once, also while
/// ideas arrive. Every idea shown is written to the audit log.
#[utoipa::path(
    tag = "partner",
    security(("api_key" = [])),
    params(FeedQuery),
    responses((status = 200, description = "A page of the feed.", body = FeedPage))
)]
#[get("/partner/ideas")]
pub async fn list_partner_ideas(
    req: HttpRequest,
    key: PartnerKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::read(&req, &["after", "limit"]);
    let limit = query.limit();
    let after = query
        .cursor_named("after", FEED_CURSOR)
        .map(|raw| raw.parse::<i64>().ok().filter(|p| *p >= 0));
    if let Some(None) = after {
        query.add_problem("after", ProblemCode::InvalidCursor);
    }
    query.finish()?;
    let after = after.flatten().unwrap_or(0);

    let page = state.store.read_feed(&key.0.networks, after, limit).await?;
    let mut entries_about: HashMap<Uuid, usize> = HashMap::new();
    for entry in &page.entries {
        *entries_about.entry(entry.event.idea_id).or_default() += 1;
    }
    let ids: Vec<Uuid> = entries_about.keys().copied().collect();
    let mut ideas = partner_ideas(state.store.as_ref(), &key, &ids).await?;
    let reads: Vec<_> = ideas
        .values()
        .map(|idea| read_by(&key, idea, "feed"))
        .collect();
    state.store.record_partner_reads(&reads).await?;
    let items = page
        .entries
        .into_iter()
        .map(|entry| {
            let id = entry.event.idea_id;
            let left = entries_about.get_mut(&id).expect("every entry is counted");
            *left -= 1;
            // The last entry about an idea takes it; only earlier ones need a copy.
            let idea = if *left == 0 {
                ideas.remove(&id)
            } else {
                ideas.get(&id).cloned()
            };
            FeedItem {
                idea_id: id,
                event: entry.event.event,
                at: entry.event.at,
                idea,
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(FeedPage {
            items,
            next_cursor: encode_cursor(FEED_CURSOR, &page.resume_after.to_string()),
        }))
}

/// One idea routed to the key's networks, with its history. Written to the audit log.
#[utoipa::path(
    tag = "partner",
    security(("api_key" = [])),
    params(("id" = Uuid, Path, description = "The idea's id.")),
    responses((status = 200, description = "The idea.", body = PartnerIdea))
)]
#[get("/partner/ideas/{id}")]
pub async fn get_partner_idea(
    req: HttpRequest,
    key: PartnerKey,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let idea = partner_idea(state.store.as_ref(), &key, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound)?;
    state
        .store
        .record_partner_reads(&[read_by(&key, &idea, "idea")])
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(idea))
}

/// Decides on an idea routed to the key's networks: `accept` it (status `accepted`),
/// `decline` it (it goes to the next confident network that has not had it, or to `triage`),
/// or `forward` it to another `network`. The change is kept in the idea's history with the
/// note, which the citizen reads, and every network concerned gets a feed entry.
#[utoipa::path(
    tag = "partner",
    security(("api_key" = [])),
    params(("id" = Uuid, Path, description = "The idea's id.")),
    request_body(content = NewDecision, description = "The decision, the network of a forward, and a note."),
    responses(
        (status = 200, description = "Done: the history entry it made. Its `network` is null \
            when the idea went to a network outside the key's own.", body = HistoryEntry),
        (status = 409, description = "The idea changed meanwhile, or is accepted already.",
            body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/partner/ideas/{id}/decision")]
pub async fn decide_on_idea(
    req: HttpRequest,
    key: PartnerKey,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let decision = NewDecision::parse(&body).map_err(ApiError::InvalidBody)?;
    let store = state.store.as_ref();
    let idea = visible_idea(store, &key, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound)?;
    let history = store.idea_history(idea.id).await?;
    let known_networks = store.network_slugs().await?;
    let plan = Plan {
        idea: &idea,
        history: &history,
        known_networks: &known_networks,
        min_confidence: state.config.routing_min_confidence,
    };
    let change = plan.change(decision, key.0.id, store::now())?;
    if !store.apply_change(&change).await? {
        return Err(ApiError::IdeaChanged);
    }
    tracing::info!(
        idea_id = %idea.id,
        key_id = %key.0.id,
        decision = change.entry.decision.map(|d| d.code()),
        status = change.entry.status.code(),
        "partner decision"
    );
    if let Some(feedback) = change.feedback() {
        state.matcher.learn(
            idea.id,
            &idea.idea.text(),
            feedback.toward(),
            feedback.away(),
        );
    }
    let mut entry = change.entry;
    entry.network = entry.network.filter(|n| key.0.holds(n));
    Ok(HttpResponse::Ok().json(entry))
}
