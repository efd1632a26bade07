//! Partner networks.

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{AppState, Page, QueryParams};
use crate::domain::Network;
use crate::error::ApiError;

/// All partner networks, in catalog order, from the catalog matching holds: no database read,
/// and a catalog change shows as routing follows it.
#[utoipa::path(
    tag = "networks",
    responses((status = 200, description = "The networks.", body = Page<Network>))
)]
#[get("/networks")]
pub async fn list_networks(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let networks = state.matcher.networks();
    Ok(HttpResponse::Ok().json(Page::whole(networks)))
}

/// One partner network.
#[utoipa::path(
    tag = "networks",
    params(("slug" = String, Path, description = "The network's slug.", max_length = 63, pattern = "^[a-z0-9][a-z0-9-]{1,62}$", example = "groenne-agenter")),
    responses((status = 200, description = "The network.", body = Network))
)]
#[get("/networks/{slug}")]
pub async fn get_network(
    req: HttpRequest,
    slug: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let network = state.matcher.network(&slug).ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(network))
}
