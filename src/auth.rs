//! API keys on requests: `Authorization: Bearer smk_...` (never a query parameter), found by
//! its prefix, checked against the stored SHA-256 in constant time. [`AdminKey`] and
//! [`PartnerKey`] are extractors: a handler that takes one runs only for a valid key of that
//! role (401 otherwise, 403 for a valid key of the other role).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::domain::{ApiKey, NewApiKey, Role};
use crate::error::ApiError;
use crate::routes::AppState;
use crate::secrets::{api_key_lookup, generate_api_key, matches_hash};
use crate::store::{self, Store, StoreError};

/// A valid admin key.
pub struct AdminKey(pub ApiKey);

/// A valid partner key.
pub struct PartnerKey(pub ApiKey);

impl FromRequest for AdminKey {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req, Role::Admin).await.map(AdminKey) })
    }
}

impl FromRequest for PartnerKey {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req, Role::Partner).await.map(PartnerKey) })
    }
}

/// The credentials of `Authorization: Bearer ...`.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn authenticate(req: &HttpRequest, role: Role) -> Result<ApiKey, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("the application state is registered");
    let presented = bearer_token(req).ok_or(ApiError::Unauthorized)?;
    let lookup = api_key_lookup(presented).ok_or(ApiError::Unauthorized)?;
    let key = state
        .store
        .find_api_keys(lookup)
        .await?
        .into_iter()
        .find(|(key, hash)| matches_hash(presented, hash) && key.revoked_at.is_none())
        .map(|(key, _)| key)
        .ok_or(ApiError::Unauthorized)?;
    // `last_used_at` is kept to the minute: most requests read it and write nothing.
    let now = store::now();
    if key
        .last_used_at
        .is_none_or(|used| now - used >= chrono::Duration::minutes(1))
    {
        state.store.touch_api_key(key.id, now).await?;
    }
    if key.role != role {
        return Err(ApiError::Forbidden);
    }
    Ok(key)
}

/// Creates a key; the secret is returned once and kept only as a hash.
pub async fn issue_key(store: &dyn Store, new: NewApiKey) -> Result<(ApiKey, String), StoreError> {
    let (secret, hash) = generate_api_key();
    let key = ApiKey {
        id: Uuid::now_v7(),
        name: new.name,
        role: new.role,
        networks: new.networks,
        prefix: api_key_lookup(&secret)
            .expect("a generated key is well formed")
            .to_owned(),
        created_at: store::now(),
        last_used_at: None,
        revoked_at: None,
    };
    store.insert_api_key(&key, &hash).await?;
    tracing::info!(key_id = %key.id, role = key.role.code(), "API key created");
    Ok((key, secret))
}
