//! sammen: a co-creation idea-matching API for Aalborg Kommune.

pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod eval;
pub mod matching;
pub mod routes;
pub mod secrets;
pub mod startup;
pub mod store;
pub mod submission;
pub mod telemetry;

/// The OpenAPI document as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    routes::docs::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serializes")
}
