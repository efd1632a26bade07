//! API keys: create, list, revoke.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{AdminKey, issue_key};
use crate::domain::{ApiKey, NewApiKey};
use crate::error::ApiError;
use crate::routes::{AppState, Page, QueryParams};
use crate::store;

const CURSOR_KIND: &str = "keys";

/// A new key, with its secret: shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyCreated {
    /// The key as stored.
    #[serde(flatten)]
    pub key: ApiKey,
    /// The secret to send as `Authorization: Bearer <secret>`. Shown only once: keep it.
    #[schema(example = "smk_Q2l0aXplbiB0b2tlbiBleGFtcGxlIG9ubHkgLSBub3QgcmVh")]
    pub secret: String,
}

/// Paging of a list.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 200)]
    pub cursor: Option<String>,
}

/// Creates an API key for municipal staff (`admin`) or a partner bound to networks (`partner`).
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    request_body(content = NewApiKey, description = "Who holds the key, its role and networks."),
    responses((status = 201, description = "Created. Keep `secret`: it is not shown again.", body = ApiKeyCreated))
)]
#[post("/admin/keys")]
pub async fn create_api_key(
    req: HttpRequest,
    _admin: AdminKey,
    body: web::Json<Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let known = state.store.network_slugs().await?;
    let new = NewApiKey::parse(&body, &known).map_err(ApiError::InvalidBody)?;
    let (key, secret) = issue_key(state.store.as_ref(), new).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ApiKeyCreated { key, secret }))
}

/// API keys ordered by creation, revoked ones included. Secrets are never shown.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of keys.", body = Page<ApiKey>))
)]
#[get("/admin/keys")]
pub async fn list_api_keys(
    req: HttpRequest,
    _admin: AdminKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::read(&req, &["limit", "cursor"]);
    let limit = query.limit();
    let after = query.uuid_cursor(CURSOR_KIND);
    query.finish()?;
    let keys = state.store.list_api_keys(after, limit + 1).await?;
    Ok(HttpResponse::Ok().json(Page::keyset(keys, limit, CURSOR_KIND, |k| k.id.to_string())))
}

/// Revokes a key at once: it answers 401 from now on, and its webhooks stop.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    params(("id" = Uuid, Path, description = "The key's id.")),
    responses((status = 200, description = "Revoked (revoking again changes nothing).", body = ApiKey))
)]
#[delete("/admin/keys/{id}")]
pub async fn revoke_api_key(
    req: HttpRequest,
    _admin: AdminKey,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let key = state
        .store
        .revoke_api_key(id.into_inner(), store::now())
        .await?
        .ok_or(ApiError::NotFound)?;
    tracing::info!(key_id = %key.id, "API key revoked");
    Ok(HttpResponse::Ok().json(key))
}
