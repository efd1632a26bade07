//! Builds the running service from a configuration; used by `main` and by the tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header::{self, HeaderName};
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;
use uuid::Uuid;

use crate::config::{Config, Seed};
use crate::domain::{Catalog, IdeaStatus, IdeaText};
use crate::error::localize_problems;
use crate::limits::{Limiter, admission, rate_limit, time_limit};
use crate::matching::Matcher;
use crate::metrics::{Metrics, record_requests};
use crate::replicas::follow_publications;
use crate::routes::docs::{RouteTable, fallback, openapi};
use crate::routes::{self, AppState};
use crate::store::{self, ImportMode, Store, StoreError};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be opened, migrated or seeded.
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// The address could not be bound.
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

/// A bound, not yet running server (and its metrics server, when it has its own address).
pub struct Application {
    port: u16,
    server: Server,
    metrics: Option<(u16, Server)>,
}

impl Application {
    /// Opens and migrates the store, seeds it, and binds `config.bind` (port 0 picks a free one).
    pub async fn build(config: &Config) -> Result<Self, StartupError> {
        crate::install_crypto_provider();
        let store = store::connect(&config.database_url).await?;
        store.migrate().await?;
        seed(store.as_ref(), config.seed).await?;
        // The revision is read before the catalog, so that an import in between is seen as a
        // change rather than lost.
        let revision = store.catalog_revision().await?;
        let publications = store.publication_head().await?;
        let matcher = Arc::new(build_matcher(store.as_ref(), config.routing_min_confidence).await?);
        let metrics = Arc::new(Metrics::default());
        actix_web::rt::spawn(follow_catalog(store.clone(), matcher.clone(), revision));
        actix_web::rt::spawn(crate::webhooks::dispatch(
            store.clone(),
            config.webhooks.clone(),
            metrics.clone(),
        ));
        actix_web::rt::spawn(crate::jobs::retention::run(
            store.clone(),
            config.retention.clone(),
            Arc::new(crate::jobs::retention::SystemClock),
        ));
        let listener = TcpListener::bind(config.bind)?;
        let metrics_listener = config.metrics_bind.map(TcpListener::bind).transpose()?;
        let state = web::Data::new(AppState::new(store, matcher, config.clone()));
        actix_web::rt::spawn(follow_publications(
            state.store.clone(),
            state.matcher.clone(),
            state.local_ideas.clone(),
            publications,
        ));
        Self::serve(state, metrics, listener, metrics_listener, config)
    }

    fn serve(
        state: web::Data<AppState>,
        metrics: Arc<Metrics>,
        listener: TcpListener,
        metrics_listener: Option<TcpListener>,
        config: &Config,
    ) -> Result<Self, StartupError> {
        let port = listener.local_addr()?.port();
        let metrics = web::Data::from(metrics);
        let metrics_server = metrics_listener
            .map(|listener| serve_metrics(listener, state.clone(), metrics.clone()))
            .transpose()?;
        let api = openapi();
        let route_table = web::Data::new(RouteTable::from_openapi(&api));
        let limiter = web::Data::new(Limiter::new(config.limits.clone()));
        let cors_origins = config.cors_origins.clone();
        let server = HttpServer::new(move || {
            let routes = App::new()
                .into_utoipa_app()
                .configure(routes::configure)
                .into_app();
            routes
                .configure(routes::extractor_configs)
                .app_data(state.clone())
                .app_data(route_table.clone())
                .app_data(limiter.clone())
                .app_data(metrics.clone())
                .service(
                    SwaggerUi::new("/docs/{_:.*}")
                        .url("/openapi.json", api.clone())
                        .config(utoipa_swagger_ui::Config::default().validator_url("none")),
                )
                .route(
                    "/docs",
                    web::get().to(|| async {
                        HttpResponse::PermanentRedirect()
                            .insert_header((header::LOCATION, "/docs/"))
                            .finish()
                    }),
                )
                .default_service(web::to(fallback))
                .wrap(from_fn(time_limit))
                .wrap(from_fn(admission))
                // Inside CORS, so that browsers can read the 429s.
                .wrap(from_fn(rate_limit))
                .wrap(from_fn(localize_problems))
                .wrap(cors(&cors_origins))
                .wrap(DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")))
                .wrap(from_fn(record_requests))
                .wrap(TracingLogger::default())
        })
        // Slow clients: the headers must arrive within 5 s; the time limit covers the rest.
        .client_request_timeout(Duration::from_secs(5))
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
        Ok(Self {
            port,
            server,
            metrics: metrics_server,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics address, when it has one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.metrics {
            Some((_, metrics)) => futures_util::future::try_join(self.server, metrics)
                .await
                .map(|_| ()),
            None => self.server.await,
        }
    }
}

/// The metrics address: `GET /metrics` without a key, nothing else.
fn serve_metrics(
    listener: TcpListener,
    state: web::Data<AppState>,
    metrics: web::Data<Metrics>,
) -> Result<(u16, Server), StartupError> {
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(metrics.clone())
            .route("/metrics", web::get().to(routes::metrics::expose))
    })
    .workers(1)
    .listen(listener)?
    .shutdown_timeout(1)
    .run();
    Ok((port, server))
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT_LANGUAGE,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::LOCATION, header::RETRY_AFTER])
        // Same-origin pages (the docs' "try it out") send Origin too; they must not be refused.
        .block_on_origin_mismatch(false)
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Ideas read per page when the similar-ideas index is built.
const INDEX_PAGE: u32 = 2_000;
/// How often a running service checks whether the catalog changed.
const CATALOG_POLL: Duration = Duration::from_secs(1);

/// A matcher for the stored catalog and published ideas.
pub async fn build_matcher(store: &dyn Store, min_confidence: f32) -> Result<Matcher, StoreError> {
    let matcher = Arc::new(Matcher::new(&store.export_catalog().await?, min_confidence));
    // Pages are indexed on a thread of their own while the next ones are read.
    let (pages, received) = std::sync::mpsc::sync_channel::<Vec<(Uuid, IdeaText)>>(2);
    let indexer = {
        let matcher = matcher.clone();
        std::thread::spawn(move || {
            for page in received {
                let ideas: Vec<(Uuid, &IdeaText)> =
                    page.iter().map(|(id, text)| (*id, text)).collect();
                matcher.add_ideas(&ideas);
            }
            matcher.compact();
        })
    };
    let mut after = None;
    let read = loop {
        let page = match store.published_ideas(after, INDEX_PAGE).await {
            Ok(page) => page,
            Err(error) => break Err(error),
        };
        let Some((last, _)) = page.last() else {
            break Ok(());
        };
        after = Some(*last);
        if pages.send(page).is_err() {
            break Ok(());
        }
    };
    drop(pages);
    indexer.join().expect("indexing does not panic");
    read?;
    let matcher = Arc::into_inner(matcher).expect("the indexer has finished");
    for feedback in store.list_routing_feedback().await? {
        let Some(idea) = store.get_idea(feedback.idea_id).await? else {
            continue;
        };
        if idea.status != IdeaStatus::Erased {
            matcher.learn(
                idea.id,
                &idea.idea.text(),
                feedback.toward(),
                feedback.away(),
            );
        }
    }
    tracing::info!(
        ideas = matcher.published_ideas(),
        lessons = matcher.lessons(),
        "matching index built"
    );
    Ok(matcher)
}

/// Re-indexes the catalog whenever its revision differs from `indexed`, whoever changed it (this
/// process, a `sammen catalog import`, another replica).
async fn follow_catalog(store: Arc<dyn Store>, matcher: Arc<Matcher>, indexed: i64) {
    let mut seen = indexed;
    let mut ticks = actix_web::rt::time::interval(CATALOG_POLL);
    loop {
        ticks.tick().await;
        let Ok(revision) = store.catalog_revision().await else {
            continue;
        };
        if seen == revision {
            continue;
        }
        match store.export_catalog().await {
            Ok(catalog) => {
                matcher.set_catalog(&catalog);
                seen = revision;
                tracing::info!(revision, "catalog changed; matching re-indexed");
            }
            Err(error) => tracing::warn!(error = ?error, "catalog changed but could not be read"),
        }
    }
}

/// Loads the built-in catalog into an empty database when asked to.
pub async fn seed(store: &dyn Store, seed: Seed) -> Result<(), StoreError> {
    // A catalog that was ever written (revision above 0) is never seeded again, even when
    // staff have retired all of it.
    if seed == Seed::Aalborg
        && store.catalog_revision().await? == 0
        && store.network_slugs().await?.is_empty()
        && store.list_beacons().await?.is_empty()
    {
        let summary = store
            .import_catalog(&Catalog::aalborg(), ImportMode::Upsert)
            .await?;
        tracing::info!(?summary, "seeded the built-in Aalborg catalog");
    }
    Ok(())
}
