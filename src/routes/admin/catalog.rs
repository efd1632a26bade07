//! The catalog for staff: networks, initiatives and beacons one at a time, and whole imports.
//! Every write bumps the catalog's revision in its transaction (other replicas re-index) and
//! replaces this process's matching catalog before it answers, so the next request sees it.

use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, delete, post, put, web};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::auth::AdminKey;
use crate::domain::{Beacon, Catalog, Initiative, Network, ProblemCode};
use crate::error::ApiError;
use crate::routes::{AppState, QueryParams};
use crate::store::{
    self, CatalogEntry, EntryKind, EntryWrite, ImportMode, ImportSummary, Retirement,
};

/// The largest catalog document `POST /v1/admin/catalog` accepts, in bytes.
pub const MAX_CATALOG_BYTES: usize = 4 * 1024 * 1024;

/// What `DELETE` did to an entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryRetired {
    /// The entry's slug.
    pub slug: String,
    /// `retired` (kept for the ideas and statistics that name it, gone from public lists and
    /// matching; a `PUT` brings it back) or `deleted` (a network no idea was ever with).
    pub outcome: Retirement,
}

/// How an import treats the stored catalog.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `upsert` (default): write the file's entries, keep the rest. `replace`: make the
    /// catalog exactly the file; networks that ever had an idea are retired, not deleted.
    #[param(pattern = "^(upsert|replace)$", example = "upsert")]
    pub mode: Option<String>,
}

/// The three routes of one kind of entry: `POST` the collection, `PUT` and `DELETE` an item.
macro_rules! entry_routes {
    (
        kind: $kind:expr, schema: $schema:ty,
        collection: $collection:literal, item: $item:literal,
        create: $create:ident = $create_doc:literal,
        update: $update:ident = $update_doc:literal,
        retire: $retire:ident = $retire_doc:literal $(,)?
    ) => {
        #[doc = $create_doc]
        #[utoipa::path(
            tag = "admin",
            security(("api_key" = [])),
            request_body(content = $schema, description = "The entry, as in the catalog file."),
            responses(
                (status = 201, description = "Created.", body = $schema),
                (status = 409, description = "The slug is taken (perhaps by a retired entry: `PUT` brings it back).",
                    body = crate::error::Problem, content_type = "application/problem+json"),
            )
        )]
        #[post($collection)]
        pub async fn $create(
            req: HttpRequest,
            _admin: AdminKey,
            body: web::Json<Value>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            create(&req, &state, $kind, body.into_inner()).await
        }

        #[doc = $update_doc]
        #[utoipa::path(
            tag = "admin",
            security(("api_key" = [])),
            params(("slug" = String, Path, description = "The entry's slug.", max_length = 63, pattern = "^[a-z0-9][a-z0-9-]{1,62}$")),
            request_body(content = $schema, description = "The whole entry, as in the catalog file; `slug` may be left out."),
            responses((status = 200, description = "Updated.", body = $schema))
        )]
        #[put($item)]
        pub async fn $update(
            req: HttpRequest,
            _admin: AdminKey,
            slug: web::Path<String>,
            body: web::Json<Value>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            update(&req, &state, $kind, &slug, body.into_inner()).await
        }

        #[doc = $retire_doc]
        #[utoipa::path(
            tag = "admin",
            security(("api_key" = [])),
            params(("slug" = String, Path, description = "The entry's slug.", max_length = 63, pattern = "^[a-z0-9][a-z0-9-]{1,62}$")),
            responses((status = 200, description = "Retired or deleted.", body = EntryRetired))
        )]
        #[delete($item)]
        pub async fn $retire(
            req: HttpRequest,
            _admin: AdminKey,
            slug: web::Path<String>,
            state: web::Data<AppState>,
        ) -> Result<HttpResponse, ApiError> {
            retire(&req, &state, $kind, &slug).await
        }
    };
}

entry_routes!(
    kind: EntryKind::Network, schema: Network,
    collection: "/admin/networks", item: "/admin/networks/{slug}",
    create: create_network = "Adds a network, last in order. Matching routes to it from the next request.",
    update: update_network = "Changes a network; a retired one comes back.",
    retire: retire_network = "Takes a network out of the catalog: retired when an idea was ever with it (it stays \
        for those ideas and the statistics, and its initiatives leave the lists and matching with it), \
        else deleted with its initiatives.",
);

entry_routes!(
    kind: EntryKind::Initiative, schema: Initiative,
    collection: "/admin/initiatives", item: "/admin/initiatives/{slug}",
    create: create_initiative = "Adds an initiative of an active network.",
    update: update_initiative = "Changes an initiative; a retired one comes back.",
    retire: retire_initiative = "Retires an initiative: gone from the public lists and matching, kept for the \
        ideas whose matching named it.",
);

entry_routes!(
    kind: EntryKind::Beacon, schema: Beacon,
    collection: "/admin/beacons", item: "/admin/beacons/{slug}",
    create: create_beacon = "Adds a beacon (pejlemærke), last in order.",
    update: update_beacon = "Changes a beacon; a retired one comes back.",
    retire: retire_beacon = "Retires a beacon: gone from the public list and matching, kept for the statistics.",
);

/// Imports a catalog document with the rules of `sammen catalog import`: the whole document
/// is validated first (every problem with its JSON path, and nothing written), then written
/// in one transaction. Up to 4 MiB.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    params(ImportQuery),
    request_body(content = Catalog, description = "Networks, initiatives and beacons, as in the catalog file."),
    responses((status = 200, description = "Imported.", body = ImportSummary))
)]
#[post("/admin/catalog")]
pub async fn import_catalog(
    req: HttpRequest,
    _admin: AdminKey,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::read(&req, &["mode"]);
    let mode = match query.text("mode").as_deref() {
        None | Some("upsert") => ImportMode::Upsert,
        Some("replace") => ImportMode::Replace,
        Some(_) => {
            query.add_problem("mode", ProblemCode::InvalidValue);
            ImportMode::Upsert
        }
    };
    query.finish()?;
    let body = read_json(&req, payload, MAX_CATALOG_BYTES).await?;
    let stored = match mode {
        ImportMode::Upsert => state.store.network_slugs().await?,
        ImportMode::Replace => Default::default(),
    };
    let catalog = Catalog::parse(&body, &stored).map_err(ApiError::InvalidBody)?;
    let summary = state.store.import_catalog(&catalog, mode).await?;
    refresh_matching(&state).await?;
    tracing::info!(?summary, "catalog imported");
    Ok(HttpResponse::Ok().json(summary))
}

async fn create(
    req: &HttpRequest,
    state: &AppState,
    kind: EntryKind,
    body: Value,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(req, &[]).finish()?;
    let entry = parse(state, kind, &body).await?;
    if !state
        .store
        .write_catalog_entry(&entry, EntryWrite::Create)
        .await?
    {
        return Err(ApiError::SlugTaken);
    }
    refresh_matching(state).await?;
    tracing::info!(
        slug = entry.slug(),
        kind = kind.member(),
        "catalog entry created"
    );
    let location = format!("/v1/{}/{}", kind.member(), entry.slug());
    Ok(entry_response(
        HttpResponse::Created().insert_header((header::LOCATION, location)),
        entry,
    ))
}

async fn update(
    req: &HttpRequest,
    state: &AppState,
    kind: EntryKind,
    slug: &str,
    mut body: Value,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(req, &[]).finish()?;
    if let Value::Object(fields) = &mut body {
        let given = fields
            .entry("slug")
            .or_insert_with(|| Value::String(slug.to_owned()));
        if given.as_str() != Some(slug) {
            return Err(ApiError::InvalidBody(vec![crate::domain::FieldProblem {
                field: "slug".into(),
                code: ProblemCode::InvalidValue,
            }]));
        }
    }
    let entry = parse(state, kind, &body).await?;
    if !state
        .store
        .write_catalog_entry(&entry, EntryWrite::Update)
        .await?
    {
        return Err(ApiError::NotFound);
    }
    refresh_matching(state).await?;
    tracing::info!(slug, kind = kind.member(), "catalog entry updated");
    Ok(entry_response(&mut HttpResponse::Ok(), entry))
}

async fn retire(
    req: &HttpRequest,
    state: &AppState,
    kind: EntryKind,
    slug: &str,
) -> Result<HttpResponse, ApiError> {
    QueryParams::read(req, &[]).finish()?;
    let outcome = state
        .store
        .retire_catalog_entry(kind, slug, store::now())
        .await?
        .ok_or(ApiError::NotFound)?;
    refresh_matching(state).await?;
    tracing::info!(
        slug,
        kind = kind.member(),
        ?outcome,
        "catalog entry taken out"
    );
    Ok(HttpResponse::Ok().json(EntryRetired {
        slug: slug.to_owned(),
        outcome,
    }))
}

async fn parse(state: &AppState, kind: EntryKind, body: &Value) -> Result<CatalogEntry, ApiError> {
    let networks = state.store.network_slugs().await?;
    CatalogEntry::parse(kind, body, &networks).map_err(ApiError::InvalidBody)
}

fn entry_response(
    response: &mut actix_web::HttpResponseBuilder,
    entry: CatalogEntry,
) -> HttpResponse {
    match entry {
        CatalogEntry::Network(n) => response.json(n),
        CatalogEntry::Initiative(i) => response.json(i),
        CatalogEntry::Beacon(b) => response.json(b),
    }
}

/// Gives this process's matching the stored catalog at once.
async fn refresh_matching(state: &AppState) -> Result<(), ApiError> {
    state
        .matcher
        .set_catalog(&state.store.export_catalog().await?);
    Ok(())
}

/// A JSON body of up to `limit` bytes, for the few routes that take more than the usual 64 KiB.
async fn read_json(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Value, ApiError> {
    let json = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.essence_str() == "application/json");
    if !json {
        return Err(ApiError::UnsupportedMediaType);
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| ApiError::MalformedJson)?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|_| ApiError::MalformedJson)
}
