//! Ideas for staff: the list with filters, one idea, the triage queue, routing by hand and
//! moderation.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::AdminKey;
use crate::domain::formats::{is_postcode, is_slug};
use crate::domain::{
    Consent, Hidden, HistoryEntry, IdeaStatus, Language, Moderation, ModerationAction,
    NewModeration, PartnerRead, ProblemCode, StaffRoute, StoredIdea,
};
use crate::error::ApiError;
use crate::matching::NetworkMatch;
use crate::routes::ideas::IdeaView;
use crate::routes::{AppState, Page, QueryParams};
use crate::store::{self, IdeaFilter, Store};

const IDEAS_CURSOR: &str = "ideas";
const TRIAGE_CURSOR: &str = "triage";
/// How many candidate networks a triage entry shows.
const CANDIDATES: usize = 3;
/// The longest text search, in characters.
const SEARCH_MAX: usize = 200;

/// An idea in the staff's list: no contact data and no answers (read the idea for those).
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminIdeaSummary {
    /// The idea's id.
    pub id: Uuid,
    /// Where it is in its life.
    pub status: IdeaStatus,
    /// The network that has it; null in triage.
    pub network: Option<String>,
    /// Title (empty once erased).
    pub title: String,
    /// Postcode.
    pub postcode: Option<String>,
    /// Place.
    pub place: Option<String>,
    /// The language the citizen wrote in.
    pub language: Option<Language>,
    /// The beacons the matching found it to serve.
    pub beacons: Vec<String>,
    /// What the citizen agreed to.
    pub consent: Consent,
    /// Whether contact data is stored.
    pub has_contact: bool,
    /// Why and since when it is hidden; null when it is not.
    pub hidden: Option<Hidden>,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl AdminIdeaSummary {
    fn new(stored: &StoredIdea) -> Self {
        let location = stored.idea.location.clone().unwrap_or_default();
        AdminIdeaSummary {
            id: stored.id,
            status: stored.status,
            network: stored.network.clone(),
            title: stored.idea.title.clone(),
            postcode: location.postcode,
            place: location.place,
            language: stored.idea.language,
            beacons: stored.beacons(),
            consent: stored.idea.consent,
            has_contact: stored.idea.contact.is_some(),
            hidden: stored.hidden.clone(),
            created_at: stored.created_at,
            updated_at: stored.updated_at,
        }
    }
}

/// Everything stored about an idea, for staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminIdea {
    /// The idea, its contact data and history.
    #[serde(flatten)]
    pub idea: IdeaView,
    /// Why and since when it is hidden; null when it is not.
    pub hidden: Option<Hidden>,
    /// Every hide and unhide, oldest first.
    pub moderation: Vec<Moderation>,
}

/// An idea no network took, with the networks that fit it best now.
#[derive(Debug, Serialize, ToSchema)]
pub struct TriageItem {
    /// The idea's id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// The problem or goal, in the citizen's words.
    pub problem: String,
    /// Postcode.
    pub postcode: Option<String>,
    /// Place.
    pub place: Option<String>,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// Why and since when it is hidden; null when it is not.
    pub hidden: Option<Hidden>,
    /// The best networks of the current catalog, best first, with their reasons (matched
    /// again now, so networks added since the idea came in are considered).
    pub candidates: Vec<NetworkMatch>,
}

/// Filters of the staff's idea list and export.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IdeaFilterQuery {
    /// Only ideas with this status.
    pub status: Option<IdeaStatus>,
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
    /// Only ideas about this postcode.
    #[param(pattern = "^[0-9]{4}$", example = "9240")]
    pub postcode: Option<String>,
    /// Received at or after: RFC 3339, or a date (UTC).
    #[param(value_type = Option<super::super::TimeOrDate>, example = "2026-01-01")]
    pub created_from: Option<String>,
    /// Received before: RFC 3339, or a date (UTC; that whole day included).
    #[param(value_type = Option<super::super::TimeOrDate>, example = "2026-12-31")]
    pub created_to: Option<String>,
    /// Text in the title, answers or place.
    #[param(min_length = 1, max_length = 200, example = "strand")]
    pub q: Option<String>,
    /// Only hidden (`true`) or only visible (`false`) ideas.
    pub hidden: Option<bool>,
}

/// The filter parameters of the staff's idea list, read into a filter.
pub const FILTER_PARAMS: [&str; 8] = [
    "status",
    "network",
    "beacon",
    "postcode",
    "created_from",
    "created_to",
    "q",
    "hidden",
];

/// Reads the filter parameters of the staff's idea list.
pub fn read_filter(query: &QueryParams) -> IdeaFilter {
    let status = query.text("status").and_then(|code| {
        let status = IdeaStatus::from_code(&code);
        if status.is_none() {
            query.add_problem("status", ProblemCode::InvalidValue);
        }
        status
    });
    let text = query.text("q").filter(|q| {
        let fits = (1..=SEARCH_MAX).contains(&q.chars().count());
        if !fits {
            query.add_problem("q", ProblemCode::OutOfRange(1, SEARCH_MAX as i64));
        }
        fits
    });
    IdeaFilter {
        status,
        network: query.checked("network", is_slug, ProblemCode::InvalidSlug),
        beacon: query.checked("beacon", is_slug, ProblemCode::InvalidSlug),
        postcode: query.checked("postcode", is_postcode, ProblemCode::InvalidFormat),
        created_from: query.time("created_from", false),
        created_to: query.time("created_to", true),
        text,
        hidden: query.boolean("hidden"),
        published: None,
    }
}

/// Ideas, newest first, with filters. No contact data or answers: read one idea for those.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    params(IdeaFilterQuery, crate::routes::admin::keys::PageQuery),
    responses((status = 200, description = "A page of ideas.", body = Page<AdminIdeaSummary>))
)]
#[get("/admin/ideas")]
pub async fn list_admin_ideas(
    req: HttpRequest,
    _admin: AdminKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let names: Vec<&str> = FILTER_PARAMS
        .iter()
        .copied()
        .chain(["limit", "cursor"])
        .collect();
    let query = QueryParams::read(&req, &names);
    let filter = read_filter(&query);
    let limit = query.limit();
    let before = query.uuid_cursor(IDEAS_CURSOR);
    query.finish()?;
    let ideas = state.store.list_ideas(&filter, before, limit + 1).await?;
    let items = ideas.iter().map(AdminIdeaSummary::new).collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Page::keyset(items, limit, IDEAS_CURSOR, |i| {
            i.id.to_string()
        })))
}

/// One idea with everything stored about it: contact data, history, moderation. The read is
/// written to the audit log that the citizen can see.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    params(("id" = Uuid, Path, description = "The idea's id.")),
    responses((status = 200, description = "The idea.", body = AdminIdea))
)]
#[get("/admin/ideas/{id}")]
pub async fn get_admin_idea(
    req: HttpRequest,
    admin: AdminKey,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let idea = admin_idea(state.store.as_ref(), id.into_inner()).await?;
    let read = PartnerRead {
        key_id: admin.0.id,
        idea_id: idea.idea.id,
        at: store::now(),
        access: "admin".into(),
        contact: idea.idea.contact.is_some(),
    };
    state.store.record_partner_reads(&[read]).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(idea))
}

/// The triage queue: ideas no network took, oldest first, each with its best candidate
/// networks in the current catalog.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    params(crate::routes::admin::keys::PageQuery),
    responses((status = 200, description = "A page of the queue.", body = Page<TriageItem>))
)]
#[get("/admin/triage")]
pub async fn list_triage(
    req: HttpRequest,
    _admin: AdminKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::read(&req, &["limit", "cursor"]);
    let limit = query.limit();
    let after = query.uuid_cursor(TRIAGE_CURSOR);
    query.finish()?;
    let ideas = state.store.list_triage(after, limit + 1).await?;
    let items = ideas
        .into_iter()
        .map(|stored| {
            let mut candidates = state.matcher.match_idea(&stored.idea.text()).networks;
            candidates.truncate(CANDIDATES);
            let location = stored.idea.location.unwrap_or_default();
            TriageItem {
                id: stored.id,
                title: stored.idea.title,
                problem: stored.idea.answers.problem,
                postcode: location.postcode,
                place: location.place,
                created_at: stored.created_at,
                hidden: stored.hidden,
                candidates,
            }
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Page::keyset(items, limit, TRIAGE_CURSOR, |i| {
            i.id.to_string()
        })))
}

/// Routes an idea by hand to a network, with a note for the citizen and the network: out of
/// triage, or away from the network that has it. The network gets `idea.routed` (feed and
/// webhook), the one that had it `idea.status_changed`, and the route is kept as routing
/// feedback (decision `route`) for the matching to learn from.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    params(("id" = Uuid, Path, description = "The idea's id.")),
    request_body(content = StaffRoute, description = "The network and a note."),
    responses(
        (status = 200, description = "Routed: the history entry it made.", body = HistoryEntry),
        (status = 409, description = "The idea changed meanwhile; read it again.",
            body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/ideas/{id}/route")]
pub async fn route_idea(
    req: HttpRequest,
    admin: AdminKey,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let route = StaffRoute::parse(&body).map_err(ApiError::InvalidBody)?;
    let store = state.store.as_ref();
    let idea = live_idea(store, id.into_inner()).await?;
    let known = store.network_slugs().await?;
    let change = route.change(&idea, &known, admin.0.id, store::now())?;
    if !store.apply_change(&change).await? {
        return Err(ApiError::IdeaChanged);
    }
    tracing::info!(idea_id = %idea.id, key_id = %admin.0.id, network = ?change.entry.network, "routed by staff");
    if let Some(feedback) = change.feedback() {
        state.matcher.learn(
            idea.id,
            &idea.idea.text(),
            feedback.toward(),
            feedback.away(),
        );
    }
    Ok(HttpResponse::Ok().json(change.entry))
}

/// Hides an idea (`hide`) at once from the public list and from similar ideas (also those
/// stored with other ideas), or shows it again (`unhide`: back in them when its author agreed
/// to publication), with a reason the citizen sees. Every action is kept in the idea's
/// moderation log.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    params(("id" = Uuid, Path, description = "The idea's id.")),
    request_body(content = NewModeration, description = "Hide or unhide, and why."),
    responses((status = 200, description = "Done: the idea as it is now.", body = AdminIdeaSummary))
)]
#[post("/admin/ideas/{id}/moderation")]
pub async fn moderate_idea(
    req: HttpRequest,
    admin: AdminKey,
    id: web::Path<Uuid>,
    body: web::Json<Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let new = NewModeration::parse(&body).map_err(ApiError::InvalidBody)?;
    let id = id.into_inner();
    let moderation = Moderation {
        idea_id: id,
        at: store::now(),
        key_id: admin.0.id,
        action: new.action,
        reason: Some(new.reason),
    };
    if !state.store.moderate_idea(&moderation).await? {
        return Err(ApiError::NotFound);
    }
    let idea = live_idea(state.store.as_ref(), id).await?;
    match new.action {
        ModerationAction::Hide => {
            state.matcher.remove_idea(id);
        }
        ModerationAction::Unhide if idea.idea.consent.publish => {
            state.matcher.add_idea(id, &idea.idea.text());
        }
        ModerationAction::Unhide => {}
    }
    tracing::info!(idea_id = %id, key_id = %admin.0.id, action = new.action.code(), "idea moderated");
    Ok(HttpResponse::Ok().json(AdminIdeaSummary::new(&idea)))
}

/// An idea that is not erased.
async fn live_idea(store: &dyn Store, id: Uuid) -> Result<StoredIdea, ApiError> {
    store
        .get_idea(id)
        .await?
        .filter(|idea| idea.status != IdeaStatus::Erased)
        .ok_or(ApiError::NotFound)
}

/// The staff's view of one idea.
pub async fn admin_idea(store: &dyn Store, id: Uuid) -> Result<AdminIdea, ApiError> {
    let stored = store.get_idea(id).await?.ok_or(ApiError::NotFound)?;
    let history = store.idea_history(id).await?;
    let moderation = store.list_moderation(id).await?;
    let hidden = stored.hidden.clone();
    Ok(AdminIdea {
        idea: IdeaView::new(stored, history),
        hidden,
        moderation,
    })
}
