//! Partners' webhook endpoints and their delivery logs.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::PartnerKey;
use crate::domain::{DeliveryAttempt, FieldProblem, NewWebhook, Webhook};
use crate::error::ApiError;
use crate::routes::admin::keys::PageQuery;
use crate::routes::{AppState, Page, QueryParams};
use crate::store;
use crate::webhooks::signature::generate_secret;
use crate::webhooks::targets::check_target;

const DELIVERIES_CURSOR: &str = "deliveries";

/// A new endpoint, with its signing secret: shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    /// The endpoint as stored.
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The Standard Webhooks signing secret (`whsec_...`) to verify `webhook-signature` with.
    /// Shown only once: keep it.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// Registers an endpoint for the key's networks. Deliveries are signed per Standard Webhooks
/// and carry `{"type", "timestamp", "data": {"idea_id", "network", "status"}}`; fetch the
/// idea with the key.
#[utoipa::path(
    tag = "partner",
    security(("api_key" = [])),
    request_body(content = NewWebhook, description = "The endpoint's URL and the events to deliver."),
    responses((status = 201, description = "Registered. Keep `secret`: it is not shown again.", body = WebhookCreated))
)]
#[post("/partner/webhooks")]
pub async fn create_webhook(
    req: HttpRequest,
    key: PartnerKey,
    body: web::Json<Value>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let new = NewWebhook::parse(&body).map_err(ApiError::InvalidBody)?;
    let url = check_target(&new.url, state.config.webhooks.allow_private)
        .await
        .map_err(|code| {
            ApiError::InvalidBody(vec![FieldProblem {
                field: "url".into(),
                code,
            }])
        })?;
    let webhook = Webhook {
        id: Uuid::now_v7(),
        url: url.to_string(),
        events: new.events,
        networks: key.0.networks.clone(),
        created_at: store::now(),
        disabled_at: None,
        disabled_reason: None,
    };
    let secret = generate_secret();
    state
        .store
        .insert_webhook(key.0.id, &webhook, &secret)
        .await?;
    tracing::info!(webhook_id = %webhook.id, key_id = %key.0.id, "webhook registered");
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/v1/partner/webhooks/{}", webhook.id),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(WebhookCreated { webhook, secret }))
}

/// The key's endpoints.
#[utoipa::path(
    tag = "partner",
    security(("api_key" = [])),
    responses((status = 200, description = "The endpoints.", body = Page<Webhook>))
)]
#[get("/partner/webhooks")]
pub async fn list_webhooks(
    req: HttpRequest,
    key: PartnerKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    let webhooks = state.store.list_webhooks(key.0.id).await?;
    Ok(HttpResponse::Ok().json(Page::whole(webhooks)))
}

/// Removes an endpoint, with its pending deliveries and log.
#[utoipa::path(
    tag = "partner",
    security(("api_key" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id.")),
    responses((status = 204, description = "Removed."))
)]
#[delete("/partner/webhooks/{id}")]
pub async fn delete_webhook(
    req: HttpRequest,
    key: PartnerKey,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(&req, &[]).finish()?;
    if !state
        .store
        .delete_webhook(key.0.id, id.into_inner())
        .await?
    {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The delivery log of an endpoint, newest attempt first.
#[utoipa::path(
    tag = "partner",
    security(("api_key" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id."), PageQuery),
    responses((status = 200, description = "A page of attempts.", body = Page<DeliveryAttempt>))
)]
#[get("/partner/webhooks/{id}/deliveries")]
pub async fn list_webhook_deliveries(
    req: HttpRequest,
    key: PartnerKey,
    id: web::Path<Uuid>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::read(&req, &["limit", "cursor"]);
    let limit = query.limit();
    let before = query.uuid_cursor(DELIVERIES_CURSOR);
    query.finish()?;
    let webhook = state
        .store
        .get_webhook(key.0.id, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound)?;
    let attempts = state
        .store
        .list_deliveries(webhook.id, before, limit + 1)
        .await?;
    Ok(
        HttpResponse::Ok().json(Page::keyset(attempts, limit, DELIVERIES_CURSOR, |a| {
            a.id.to_string()
        })),
    )
}
