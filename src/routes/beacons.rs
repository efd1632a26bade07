//! Strategic beacons ("pejlemærker").

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{AppState, Page, QueryParams};
use crate::domain::Beacon;
use crate::error::ApiError;

/// All beacons, in catalog order.
#[utoipa::path(
    tag = "beacons",
    responses((status = 200, description = "The beacons.", body = Page<Beacon>))
)]
#[get("/beacons")]
pub async fn list_beacons(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let beacons = state.store.list_beacons().await?;
    Ok(HttpResponse::Ok().json(Page::whole(beacons)))
}
