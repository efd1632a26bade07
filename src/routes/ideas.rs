//! Citizens' ideas: submission and reading back with the citizen token.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AppState, QueryParams};
use crate::auth::bearer_token;
use crate::domain::{
    Answers, Consent, Contact, HistoryEntry, IdeaStatus, Language, Location, NewIdea, StoredIdea,
};
use crate::error::ApiError;
use crate::matching::Matching;
use crate::metrics::Metrics;
use crate::secrets::{CitizenToken, matches_hash, sha256};
use crate::store::{self, StoreError};
use crate::submission::{self, KeyedRequest};

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_WINDOW_HOURS: i64 = 24;
const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// The answer to a submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdeaCreated {
    /// The idea's id (UUIDv7).
    pub id: Uuid,
    /// Where the idea is in its life: `routed` or `triage`.
    pub status: IdeaStatus,
    /// The network it was routed to; null in triage.
    pub network: Option<String>,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// Where it belongs and why: networks, related initiatives, similar ideas, beacons.
    pub matching: Option<Matching>,
    /// The secret that lets the citizen read the idea back. Shown only here: keep it.
    #[schema(example = "sct_Q2l0aXplbiB0b2tlbiBleGFtcGxlIG9ubHkgLSBub3QgcmVhbA")]
    pub citizen_token: String,
}

/// Everything stored about an idea, for its author.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdeaView {
    /// The idea's id (UUIDv7).
    pub id: Uuid,
    /// Where the idea is in its life.
    pub status: IdeaStatus,
    /// The network that has it; null in triage.
    pub network: Option<String>,
    /// Where it belongs and why, as matched when it was received.
    pub matching: Option<Matching>,
    /// Title.
    pub title: String,
    /// The answers to the five questions.
    pub answers: Answers,
    /// Where the idea is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The language the citizen wrote in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// How to reach the citizen, when they gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// What the citizen agreed to.
    pub consent: Consent,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Every change of its status and network, oldest first: when, by whom, and why.
    pub history: Vec<HistoryEntry>,
}

impl IdeaView {
    /// The view of a stored idea with its history.
    pub fn new(stored: StoredIdea, history: Vec<HistoryEntry>) -> Self {
        let idea = stored.idea;
        IdeaView {
            id: stored.id,
            status: stored.status,
            network: stored.network,
            matching: stored.matching,
            title: idea.title,
            answers: idea.answers,
            location: idea.location,
            language: idea.language,
            contact: idea.contact,
            consent: idea.consent,
            created_at: stored.created_at,
            updated_at: stored.updated_at,
            history,
        }
    }
}

/// Submits an idea.
///
/// Send an `Idempotency-Key` to retry safely: the same key and body within 24 hours answer with
/// the first response and store nothing new.
#[utoipa::path(
    tag = "ideas",
    request_body(content = NewIdea, description = "The idea, its contact data and consent."),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters, unique per submission.", min_length = 1, max_length = 255),
    ),
    responses(
        (status = 201, description = "Stored. Keep `citizen_token`.", body = IdeaCreated,
            headers(("Location" = String, description = "The idea's URL."))),
        (status = 409, description = "A request with the same Idempotency-Key is in progress.", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/ideas")]
pub async fn create_idea(
    req: HttpRequest,
    body: web::Json<Value>,
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::read(&req, &[]);
    let key = idempotency_key(&req);
    let idea = NewIdea::parse(&body);
    query.finish()?;
    let key = key?;
    let idea = idea.map_err(ApiError::InvalidBody)?;

    let Some(key) = key else {
        return submit(&state, &metrics, idea, None).await;
    };
    let key_hash = sha256(key.as_bytes());
    let request_hash = sha256(&serde_json::to_vec(&*body).expect("a JSON value serializes"));
    let _in_flight = InFlight::enter(&state, key_hash.clone())?;
    if let Some(response) = replay(&state, &key, &key_hash, &request_hash).await? {
        return Ok(response);
    }
    let request = KeyedRequest {
        key: &key,
        key_hash: key_hash.clone(),
        request_hash: request_hash.clone(),
    };
    match submit(&state, &metrics, idea, Some(request)).await {
        // Another process stored the same key between our lookup and our write.
        Err(ApiError::Store(StoreError::Conflict)) => {
            replay(&state, &key, &key_hash, &request_hash)
                .await?
                .ok_or(ApiError::IdempotencyKeyInUse)
        }
        other => other,
    }
}

/// Reads an idea back: everything stored about it. A wrong or missing token answers 404,
/// exactly like an unknown id.
#[utoipa::path(
    tag = "ideas",
    params(("id" = Uuid, Path, description = "The idea's id.")),
    security(("citizen_token" = [])),
    responses((status = 200, description = "The idea.", body = IdeaView))
)]
#[get("/ideas/{id}")]
pub async fn get_idea(
    req: HttpRequest,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let stored = citizen_idea(&req, &state, id.into_inner()).await?;
    let history = state.store.idea_history(stored.id).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(IdeaView::new(stored, history)))
}

/// Erases an idea and everything stored with it. The networks that had it get an
/// `idea.erased` feed entry and webhook, which name only its id. A wrong or missing token
/// answers 404, exactly like an unknown id.
#[utoipa::path(
    tag = "ideas",
    params(("id" = Uuid, Path, description = "The idea's id.")),
    security(("citizen_token" = [])),
    responses((status = 204, description = "Erased."))
)]
#[delete("/ideas/{id}")]
pub async fn delete_idea(
    req: HttpRequest,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let stored = citizen_idea(&req, &state, id.into_inner()).await?;
    if !state.store.erase_idea(stored.id, store::now()).await? {
        return Err(ApiError::NotFound);
    }
    state.matcher.remove_idea(stored.id);
    tracing::info!(idea_id = %stored.id, "idea erased");
    Ok(HttpResponse::NoContent().finish())
}

/// The idea whose citizen token the request carries.
async fn citizen_idea(
    req: &HttpRequest,
    state: &AppState,
    id: Uuid,
) -> Result<StoredIdea, ApiError> {
    let token = bearer_token(req).ok_or(ApiError::NotFound)?;
    state
        .store
        .get_idea(id)
        .await?
        .filter(|stored| matches_hash(token, &stored.citizen_token_hash))
        .ok_or(ApiError::NotFound)
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| ApiError::InvalidIdempotencyKey)?;
    let valid = (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(Some(key.to_owned()))
    } else {
        Err(ApiError::InvalidIdempotencyKey)
    }
}

async fn submit(
    state: &AppState,
    metrics: &Metrics,
    idea: NewIdea,
    request: Option<KeyedRequest<'_>>,
) -> Result<HttpResponse, ApiError> {
    let submitted = submission::submit(state.store.as_ref(), &state.matcher, idea, request).await?;
    metrics.observe_matching(submitted.matched_in);
    if submitted.stored.idea.consent.publish {
        state.local_ideas.note(submitted.stored.id);
    }
    Ok(created(&submitted.stored, &submitted.token, false))
}

/// The first response again, when `key` was used with the same body within the window.
async fn replay(
    state: &AppState,
    key: &str,
    key_hash: &[u8],
    request_hash: &[u8],
) -> Result<Option<HttpResponse>, ApiError> {
    let cutoff = Utc::now() - Duration::hours(IDEMPOTENCY_WINDOW_HOURS);
    let Some(record) = state.store.find_idempotency_key(key_hash).await? else {
        return Ok(None);
    };
    if record.created_at < cutoff {
        state.store.delete_idempotency_keys_before(cutoff).await?;
        return Ok(None);
    }
    if record.request_hash != request_hash {
        return Err(ApiError::IdempotencyKeyReused);
    }
    let stored = state
        .store
        .get_idea(record.idea_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let token = CitizenToken::unseal(&record.sealed_token, key)
        .ok_or_else(|| StoreError::Corrupt("sealed citizen token".into()))?;
    Ok(Some(created(&stored, &token, true)))
}

fn created(stored: &StoredIdea, token: &CitizenToken, replayed: bool) -> HttpResponse {
    let mut response = HttpResponse::Created();
    response
        .insert_header((header::LOCATION, format!("/v1/ideas/{}", stored.id)))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.json(IdeaCreated {
        id: stored.id,
        status: stored.status,
        network: stored.network.clone(),
        created_at: stored.created_at,
        matching: stored.matching.clone(),
        citizen_token: token.reveal(),
    })
}

/// Marks an idempotency key as being handled by this process until dropped.
struct InFlight<'a> {
    state: &'a AppState,
    key_hash: Vec<u8>,
}

impl<'a> InFlight<'a> {
    fn enter(state: &'a AppState, key_hash: Vec<u8>) -> Result<Self, ApiError> {
        let mut in_flight = state
            .idempotency_in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if in_flight.insert(key_hash.clone()) {
            Ok(Self { state, key_hash })
        } else {
            Err(ApiError::IdempotencyKeyInUse)
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.state
            .idempotency_in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key_hash);
    }
}
