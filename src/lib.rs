//! sammen: a co-creation idea-matching API for Aalborg Kommune.

pub mod auth;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod eval;
pub mod jobs;
pub mod limits;
pub mod matching;
pub mod metrics;
pub mod replicas;
pub mod routes;
pub mod secrets;
pub mod startup;
pub mod store;
pub mod submission;
pub mod telemetry;
pub mod webhooks;

/// Makes rustls use the `ring` provider for the whole process. reqwest (the webhook client)
/// panics when it builds a client without one; calling this again changes nothing.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The OpenAPI document as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    routes::docs::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
}
