//! Existing initiatives a citizen can join.

use actix_web::{HttpRequest, HttpResponse, get, web};
use utoipa::IntoParams;

use super::{AppState, Page, QueryParams};
use crate::domain::formats::is_slug;
use crate::domain::{Initiative, ProblemCode};
use crate::error::ApiError;

const CURSOR_KIND: &str = "initiatives";

/// Filters and paging of the initiative list.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InitiativeQuery {
    /// Only the initiatives of this network.
    #[param(
        pattern = "^[a-z0-9][a-z0-9-]{1,62}$",
        max_length = 63,
        example = "groenne-agenter"
    )]
    pub network: Option<String>,
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 200)]
    pub cursor: Option<String>,
}

/// Initiatives ordered by slug, a page at a time.
#[utoipa::path(
    tag = "initiatives",
    params(InitiativeQuery),
    responses((status = 200, description = "A page of initiatives.", body = Page<Initiative>))
)]
#[get("/initiatives")]
pub async fn list_initiatives(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::read(&req, &["network", "limit", "cursor"]);
    let network = query.checked("network", is_slug, ProblemCode::InvalidSlug);
    let limit = query.limit();
    let after = query.cursor(CURSOR_KIND);
    query.finish()?;

    let items =
        state
            .matcher
            .initiatives_page(network.as_deref(), after.as_deref(), limit as usize + 1);
    Ok(HttpResponse::Ok().json(Page::keyset(items, limit, CURSOR_KIND, |i| i.slug.clone())))
}

/// One initiative, from the catalog matching holds (as the list).
#[utoipa::path(
    tag = "initiatives",
    params(("slug" = String, Path, description = "The initiative's slug.", max_length = 63, pattern = "^[a-z0-9][a-z0-9-]{1,62}$", example = "aalborghaver")),
    responses((status = 200, description = "The initiative.", body = Initiative))
)]
#[get("/initiatives/{slug}")]
pub async fn get_initiative(
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let initiative = state.matcher.initiative(&slug).ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(initiative))
}
