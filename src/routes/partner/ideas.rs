//! The partner feed and single ideas.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{PartnerIdea, read_by, visible_to};
use crate::auth::PartnerKey;
use crate::domain::{EventType, ProblemCode};
use crate::error::ApiError;
use crate::routes::{AppState, QueryParams, encode_cursor};

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
    let mut ideas: HashMap<Uuid, Option<PartnerIdea>> = HashMap::new();
    for entry in &page.entries {
        let id = entry.event.idea_id;
        if let Entry::Vacant(slot) = ideas.entry(id) {
            let stored = state.store.get_idea(id).await?;
            slot.insert(
                stored
                    .and_then(|s| visible_to(&key, s))
                    .map(PartnerIdea::from),
            );
        }
    }
    let reads: Vec<_> = ideas
        .values()
        .flatten()
        .map(|idea| read_by(&key, idea, "feed"))
        .collect();
    state.store.record_partner_reads(&reads).await?;
    let items = page
        .entries
        .into_iter()
        .map(|entry| FeedItem {
            idea_id: entry.event.idea_id,
            event: entry.event.event,
            at: entry.event.at,
            idea: ideas[&entry.event.idea_id].clone(),
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(FeedPage {
            items,
            next_cursor: encode_cursor(FEED_CURSOR, &page.resume_after.to_string()),
        }))
}
