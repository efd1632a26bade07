//! The audit log of partners' reads.

use actix_web::{HttpRequest, HttpResponse, get, web};
use uuid::Uuid;

use crate::auth::AdminKey;
use crate::domain::PartnerRead;
use crate::error::ApiError;
use crate::routes::{AppState, Page, QueryParams};

/// Every read of an idea by a partner key, oldest first: which key, when, through which route,
/// and whether the citizen's contact data was in it. Kept after the idea is erased (it holds
/// ids only).
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    params(("id" = Uuid, Path, description = "The idea's id.")),
    responses((status = 200, description = "The reads.", body = Page<PartnerRead>))
)]
#[get("/admin/ideas/{id}/partner-reads")]
pub async fn list_partner_reads(
    req: HttpRequest,
    _admin: AdminKey,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let reads = state.store.list_partner_reads(id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(Page::whole(reads)))
}
