//! Citizens' ideas: submission and reading back with the citizen token.

use actix_web::http::header;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{AppState, Page, QueryParams};
use crate::auth::bearer_token;
use crate::domain::formats::is_slug;
use crate::domain::masking::mask_idea_text;
use crate::domain::{
    Answers, ApiKey, Consent, ConsentChange, Contact, EventType, Hidden, HistoryEntry, IdeaStatus,
    Language, LocalizedText, Location, Moderation, NewIdea, ProblemCode, Role, StoredIdea,
};
use crate::error::ApiError;
use crate::matching::{Matcher, Matching};
use crate::metrics::Metrics;
use crate::secrets::{CitizenToken, matches_hash, sha256};
use crate::store::{self, PublicIdea, Store, StoreError};
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
    /// Title; empty once the idea is erased.
    pub title: String,
    /// The answers to the five questions; empty once the idea is erased.
    #[schema(value_type = crate::domain::idea::StoredAnswers)]
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

const PUBLISHED_CURSOR: &str = "published";

/// How to reach the network that has an idea.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkContact {
    /// The network's slug.
    pub slug: String,
    /// Its name.
    pub name: LocalizedText,
    /// Its web page.
    pub url: Option<String>,
    /// Where it is reached.
    pub contact_email: Option<String>,
}

/// An idea as its author reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CitizenIdea {
    /// The idea, its contact data and history.
    #[serde(flatten)]
    pub idea: IdeaView,
    /// The status for a person, in Danish and English.
    pub status_label: LocalizedText,
    /// The network that has the idea and how to reach it; null in triage.
    pub network_contact: Option<NetworkContact>,
    /// Why staff hid the idea from the public list, when they did.
    pub hidden: Option<Hidden>,
}

impl CitizenIdea {
    /// The view of a stored idea, with its history and its network's contact details (from
    /// the catalog matching holds, as `GET /v1/networks/{slug}` gives them).
    pub async fn read(
        store: &dyn Store,
        matcher: &Matcher,
        stored: StoredIdea,
    ) -> Result<Self, ApiError> {
        let network_contact = stored
            .network
            .as_deref()
            .and_then(|slug| matcher.network(slug))
            .map(|n| NetworkContact {
                slug: n.slug,
                name: n.name,
                url: n.url,
                contact_email: n.contact_email,
            });
        let history = store.idea_history(stored.id).await?;
        Ok(CitizenIdea {
            status_label: stored.status.label(),
            hidden: stored.hidden.clone(),
            network_contact,
            idea: IdeaView::new(stored, history),
        })
    }
}

/// One read of an idea by a partner network or municipal staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadRecord {
    /// When.
    pub at: DateTime<Utc>,
    /// How: `feed` or `idea` (a partner), `admin` (staff read the idea), `admin_export`
    /// (staff exported it with contact data).
    pub access: String,
    /// Whether the contact data was in what they received.
    pub contact: bool,
    /// `partner` or `admin`.
    pub reader_role: Option<Role>,
    /// The name of the key that read (a network's or a staff member's).
    pub reader_name: Option<String>,
    /// The networks a partner key reads for.
    pub reader_networks: Vec<String>,
}

/// What a network was told about the idea (the message names only its id).
#[derive(Debug, Serialize, ToSchema)]
pub struct Notification {
    /// The network.
    pub network: String,
    /// What it was told.
    pub event: EventType,
    /// When.
    pub at: DateTime<Utc>,
}

/// Everything stored about an idea and its author.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdeaExport {
    /// When this export was made.
    pub exported_at: DateTime<Utc>,
    /// The idea with its contact data, consent, matching and history.
    pub idea: CitizenIdea,
    /// Every read of the idea by a partner network or staff, oldest first.
    pub reads: Vec<ReadRecord>,
    /// What the networks were told, in order (feed entries and webhooks).
    pub notifications: Vec<Notification>,
    /// Every hide and unhide by staff.
    pub moderation: Vec<Moderation>,
}

/// A published idea, as anyone may read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublishedIdea {
    /// The idea's id.
    pub id: Uuid,
    /// A short title.
    pub title: String,
    /// The answers to the five questions.
    pub answers: Answers,
    /// Where the idea is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The language the citizen wrote in, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// Where it is in its life.
    pub status: IdeaStatus,
    /// The network that has it; null in triage.
    pub network: Option<String>,
    /// The beacons it serves.
    pub beacons: Vec<String>,
    /// When it was received.
    pub created_at: DateTime<Utc>,
}

impl PublishedIdea {
    fn new(public: PublicIdea) -> Self {
        let mut text = public.text;
        mask_idea_text(&mut text.title, &mut text.answers, text.location.as_mut());
        PublishedIdea {
            id: public.id,
            title: text.title,
            answers: text.answers,
            location: text.location,
            language: text.language,
            status: public.status,
            network: public.network,
            beacons: public.beacons,
            created_at: public.created_at,
        }
    }
}

/// Filters and paging of the published ideas.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublishedQuery {
    /// Only ideas with this network.
    #[param(
        pattern = "^[a-z0-9][a-z0-9-]{1,62}$",
        max_length = 63,
        example = "groenne-agenter"
    )]
    pub network: Option<String>,
    /// Only ideas that serve this beacon.
    #[param(
        pattern = "^[a-z0-9][a-z0-9-]{1,62}$",
        max_length = 63,
        example = "i-groen-balance"
    )]
    pub beacon: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 200)]
    pub cursor: Option<String>,
}

/// Submits an idea.
///
/// Send an `Idempotency-Key` to retry safely: the same key and body within 24 hours answer with
/// the first response and store nothing new.
#[utoipa::path(
    tag = "ideas",
    request_body(content = NewIdea, description = "The idea, its contact data and consent."),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1-255 visible ASCII characters, unique per submission.", min_length = 1, max_length = 255, pattern = "^[!-~]{1,255}$"),
    ),
    responses(
        (status = 201, description = "Stored. Keep `citizen_token`.", body = IdeaCreated,
            headers(("Location" = String, description = "The idea's URL.")),
            links(
                ("GetIdea" = (operation_id = "get_idea", parameters(("id" = "$response.body#/id")),
                    description = "Read it back, with `citizen_token` as bearer credentials.")),
                ("ExportIdea" = (operation_id = "export_idea", parameters(("id" = "$response.body#/id")),
                    description = "Everything stored about it, with `citizen_token`.")),
                ("UpdateConsent" = (operation_id = "update_consent", parameters(("id" = "$response.body#/id")),
                    description = "Change the consent, with `citizen_token`.")),
                ("DeleteIdea" = (operation_id = "delete_idea", parameters(("id" = "$response.body#/id")),
                    description = "Erase it, with `citizen_token`.")),
            )),
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
    let idea = CitizenIdea::read(state.store.as_ref(), &state.matcher, stored).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(idea))
}

/// Everything stored about an idea and its author (GDPR art. 15): the idea with its contact
/// data, consent, matching and history; every read of it by a partner network or municipal
/// staff (who, when, how, and whether contact data was in it); what the networks were told;
/// and staff's moderation. A wrong or missing token answers 404.
#[utoipa::path(
    tag = "ideas",
    params(("id" = Uuid, Path, description = "The idea's id.")),
    security(("citizen_token" = [])),
    responses((status = 200, description = "The export.", body = IdeaExport))
)]
#[get("/ideas/{id}/export")]
pub async fn export_idea(
    req: HttpRequest,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let stored = citizen_idea(&req, &state, id.into_inner()).await?;
    let store = state.store.as_ref();
    let id = stored.id;
    let mut readers: HashMap<Uuid, Option<ApiKey>> = HashMap::new();
    let mut reads = Vec::new();
    for read in store.list_partner_reads(id).await? {
        if let Entry::Vacant(slot) = readers.entry(read.key_id) {
            slot.insert(store.get_api_key(read.key_id).await?);
        }
        let reader = readers[&read.key_id].as_ref();
        reads.push(ReadRecord {
            at: read.at,
            access: read.access,
            contact: read.contact,
            reader_role: reader.map(|k| k.role),
            reader_name: reader.map(|k| k.name.clone()),
            reader_networks: reader.map(|k| k.networks.clone()).unwrap_or_default(),
        });
    }
    let notifications = store
        .idea_feed(id)
        .await?
        .into_iter()
        .map(|entry| Notification {
            network: entry.event.network,
            event: entry.event.event,
            at: entry.event.at,
        })
        .collect();
    let moderation = store.list_moderation(id).await?;
    let export = IdeaExport {
        exported_at: store::now(),
        idea: CitizenIdea::read(store, &state.matcher, stored).await?,
        reads,
        notifications,
        moderation,
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"idea-{id}.json\""),
        ))
        .json(export))
}

/// Gives or withdraws consent. Withdrawing `share_contact_with_partners` keeps the contact
/// data from partners from the next read on; withdrawing `contact` erases the contact data at
/// once (and sharing with it); withdrawing `publish` takes the idea out of the public list
/// and similar ideas. A wrong or missing token answers 404.
#[utoipa::path(
    tag = "ideas",
    params(("id" = Uuid, Path, description = "The idea's id.")),
    security(("citizen_token" = [])),
    request_body(content = ConsentChange, description = "The flags to change."),
    responses((status = 200, description = "The idea as it is now.", body = CitizenIdea))
)]
#[patch("/ideas/{id}/consent")]
pub async fn update_consent(
    req: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let stored = citizen_idea(&req, &state, id.into_inner()).await?;
    let change = ConsentChange::parse(&body).map_err(ApiError::InvalidBody)?;
    let consent = change
        .apply(stored.idea.consent)
        .map_err(ApiError::InvalidBody)?;
    let erase_contact = !consent.contact && stored.idea.contact.is_some();
    let store = state.store.as_ref();
    if !store
        .update_consent(stored.id, consent, erase_contact, store::now())
        .await?
    {
        return Err(ApiError::NotFound);
    }
    if !consent.publish {
        state.matcher.remove_idea(stored.id);
    } else if !stored.idea.consent.publish && stored.hidden.is_none() {
        state.matcher.add_idea(stored.id, &stored.idea.text());
    }
    tracing::info!(idea_id = %stored.id, erase_contact, "consent changed");
    let now = store.get_idea(stored.id).await?.ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CitizenIdea::read(store, &state.matcher, now).await?))
}

/// Published ideas (their authors agreed), newest first, without contact data; e-mail
/// addresses and phone numbers in the text are masked. Hidden and erased ideas are never
/// listed.
#[utoipa::path(
    tag = "ideas",
    params(PublishedQuery),
    responses((status = 200, description = "A page of ideas.", body = Page<PublishedIdea>))
)]
#[get("/ideas")]
pub async fn list_ideas(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::read(&req, &["network", "beacon", "limit", "cursor"]);
    let network = query.checked("network", is_slug, ProblemCode::InvalidSlug);
    let beacon = query.checked("beacon", is_slug, ProblemCode::InvalidSlug);
    let limit = query.limit();
    let before = query.uuid_cursor(PUBLISHED_CURSOR);
    query.finish()?;
    let ideas = state
        .store
        .list_public_ideas(network.as_deref(), beacon.as_deref(), before, limit + 1)
        .await?;
    let items = ideas.into_iter().map(PublishedIdea::new).collect();
    Ok(
        HttpResponse::Ok().json(Page::keyset(items, limit, PUBLISHED_CURSOR, |i| {
            i.id.to_string()
        })),
    )
}

/// Erases an idea (GDPR art. 17): its free text and the author's contact data are erased
/// wherever they are kept; an anonymous row remains for statistics (network, status `erased`,
/// dates, postcode). The networks that had it get an `idea.erased` feed entry and webhook,
/// which name only its id. A wrong or missing token answers 404, exactly like an unknown id.
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
    state.matcher.forget_idea(stored.id);
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
