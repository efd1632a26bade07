//! The OpenAPI document, the offline docs page, and answers for paths and methods that do not
//! exist.

use actix_web::http::Method;
use actix_web::{App, HttpRequest, HttpResponse, web};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as OpenApiDoc, Ref, RefOr, ResponseBuilder, Schema};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use crate::error::{ApiError, PROBLEM_JSON};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sammen",
        description = "Co-creation idea matching for Aalborg Kommune (\"Vi udvikler os sammen\"). \
            Citizens submit ideas by answering five questions; sammen stores them and routes them to \
            the partner network that should take them.\n\n\
            Every error is `application/problem+json` (RFC 9457) with per-field `errors`; messages \
            are Danish by default and English with `Accept-Language: en`. Lists answer \
            `{\"items\": [...], \"next_cursor\": ...}`; pass `next_cursor` as `cursor` for the next page.",
        license(name = "MIT OR Apache-2.0")
    ),
    tags(
        (name = "ideas", description = "Citizens' ideas."),
        (name = "questions", description = "The five questions of the form."),
        (name = "matching", description = "Where an idea belongs, and why."),
        (name = "networks", description = "Partner networks that take ideas."),
        (name = "initiatives", description = "Existing initiatives a citizen can join."),
        (name = "beacons", description = "The municipality's strategic goals (pejlemærker)."),
        (name = "partner", description = "For partner networks, with a `partner` API key: the feed of ideas routed to the key's networks, decisions and webhooks. See docs/partners.md."),
        (name = "admin", description = "For municipal staff, with an `admin` API key."),
        (name = "health", description = "Liveness and readiness."),
    ),
    components(schemas(crate::error::Problem, super::TimeOrDate))
)]
struct ApiDoc;

/// The OpenAPI document, collected from the registered handlers.
pub fn openapi() -> OpenApiDoc {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(super::configure)
        .split_for_parts();
    CommonResponses.modify(&mut api);
    ConsentRules.modify(&mut api);
    KeyRules.modify(&mut api);
    UpdateBodies.modify(&mut api);
    api
}

/// `PUT` of a catalog entry takes the entry as the catalog file writes it, but `slug` may be
/// left out (it is the path's): the body's schema is the entry's with `slug` optional.
struct UpdateBodies;

impl Modify for UpdateBodies {
    fn modify(&self, api: &mut OpenApiDoc) {
        let entries = [
            ("/v1/admin/networks/{slug}", "Network"),
            ("/v1/admin/initiatives/{slug}", "Initiative"),
            ("/v1/admin/beacons/{slug}", "Beacon"),
        ];
        let schemas = &mut api.components.get_or_insert_with(Default::default).schemas;
        for (path, name) in entries {
            let Some(RefOr::T(Schema::Object(mut entry))) = schemas.get(name).cloned() else {
                continue;
            };
            entry.required.retain(|field| field != "slug");
            entry.description = Some(format!(
                "A {} as `PUT` takes it: `slug` may be left out (it is the path's).",
                name.to_lowercase()
            ));
            let update = format!("{name}Update");
            schemas.insert(update.clone(), RefOr::T(Schema::Object(entry)));
            let body = api
                .paths
                .paths
                .get_mut(path)
                .and_then(|item| item.put.as_mut())
                .and_then(|put| put.request_body.as_mut());
            if let Some(RefOr::T(body)) = body {
                for content in body.content.values_mut() {
                    if let RefOr::T(content) = content {
                        content.schema = Some(Ref::from_schema_name(update.clone()).into());
                    }
                }
            }
        }
    }
}

/// States in `NewApiKey`'s schema what `POST /v1/admin/keys` checks of `networks`: each once, one
/// or more for a partner key, none for an admin key.
struct KeyRules;

impl Modify for KeyRules {
    fn modify(&self, api: &mut OpenApiDoc) {
        let rules = serde_json::json!([
            {
                "if": {"required": ["role"], "properties": {"role": {"const": "partner"}}},
                "then": {
                    "required": ["networks"],
                    "properties": {"networks": {"type": "array", "minItems": 1}}
                }
            },
            {
                "if": {"required": ["role"], "properties": {"role": {"const": "admin"}}},
                "then": {"properties": {"networks": {"maxItems": 0}}}
            }
        ]);
        let schemas = &mut api.components.get_or_insert_with(Default::default).schemas;
        if let Some(RefOr::T(Schema::Object(new_key))) = schemas.get_mut("NewApiKey") {
            if let Some(RefOr::T(Schema::Array(networks))) = new_key.properties.get_mut("networks")
            {
                networks.unique_items = true;
            }
            new_key
                .extensions
                .get_or_insert_with(Default::default)
                .insert("allOf".to_owned(), rules);
        }
    }
}

/// States in `NewIdea`'s schema what consent contact data needs, as `POST /v1/ideas` checks
/// it: a `contact` object only with `consent.contact`, and sharing with partners only with
/// `consent.contact` too. utoipa has no `if`/`then`, so the keywords go in as extensions
/// (which serialize in place).
struct ConsentRules;

impl Modify for ConsentRules {
    fn modify(&self, api: &mut OpenApiDoc) {
        let consent_to_contact = serde_json::json!({
            "required": ["consent"],
            "properties": {"consent": {
                "type": "object",
                "required": ["contact"],
                "properties": {"contact": {"const": true}}
            }}
        });
        let rules = serde_json::json!([
            {
                "if": {"required": ["contact"], "properties": {"contact": {"type": "object"}}},
                "then": consent_to_contact
            },
            {
                "if": {
                    "required": ["consent"],
                    "properties": {"consent": {
                        "type": "object",
                        "required": ["share_contact_with_partners"],
                        "properties": {"share_contact_with_partners": {"const": true}}
                    }}
                },
                "then": consent_to_contact
            }
        ]);
        let schemas = &mut api.components.get_or_insert_with(Default::default).schemas;
        if let Some(RefOr::T(Schema::Object(new_idea))) = schemas.get_mut("NewIdea") {
            new_idea
                .extensions
                .get_or_insert_with(Default::default)
                .insert("allOf".to_owned(), rules);
        }
    }
}

/// Adds the error responses every operation of a kind can give, so that each handler lists
/// only its own.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, api: &mut OpenApiDoc) {
        api.components
            .get_or_insert_with(Default::default)
            .security_schemes
            .insert(
                "citizen_token".into(),
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .description(Some(
                            "The `citizen_token` returned when the idea was submitted.",
                        ))
                        .build(),
                )
                .into(),
            );
        api.components
            .get_or_insert_with(Default::default)
            .security_schemes
            .insert(
                "api_key".into(),
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("smk_...")
                        .description(Some(
                            "An API key (`smk_...`) from `POST /v1/admin/keys` or `sammen keys create`, \
                             as `Authorization: Bearer <key>`; never in the query string.",
                        ))
                        .build(),
                )
                .into(),
            );
        for (path, item) in api.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                add_errors(path, operation);
                add_role(path, operation);
            }
        }
    }
}

fn add_errors(path: &str, operation: &mut Operation) {
    let mut errors: Vec<(&str, &str)> = vec![("500", "Internal error; the cause is logged.")];
    if path.starts_with("/v1/") {
        errors.push(("400", "Invalid query parameters, header or JSON."));
        errors.push((
            "503",
            "The database is unavailable, the request took too long or too much work is queued; retry after `Retry-After` seconds.",
        ));
    }
    if path.contains('{') {
        errors.push(("404", "Not found, or not yours to see."));
    }
    let api_key = SecurityRequirement::new("api_key", Vec::<String>::new());
    let needs_key = operation.security.iter().flatten().any(|r| *r == api_key);
    if needs_key {
        errors.push((
            "401",
            "No valid API key (missing, malformed, unknown or revoked); see `WWW-Authenticate`.",
        ));
        errors.push(("403", "The API key's role may not use this operation."));
        errors.push((
            "429",
            "Too many failed authentications from this address; retry after `Retry-After` seconds.",
        ));
    }
    let rate_limited = matches!(
        operation.operation_id.as_deref(),
        Some("create_idea" | "match_idea")
    );
    if rate_limited {
        errors.push((
            "429",
            "Too many requests from this address; retry after `Retry-After` seconds.",
        ));
    }
    if operation.request_body.is_some() {
        errors.push(("413", "The body exceeds 64 KiB."));
        errors.push(("415", "The body is not application/json."));
        errors.push((
            "422",
            "The body breaks the schema or the rules; every problem is listed.",
        ));
    }
    for (status, description) in errors {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        PROBLEM_JSON,
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build()
                    .into()
            });
    }
}

/// Who may call an operation: `admin` and `partner` (API keys of that role), `citizen` (the
/// idea's citizen token) or `public`.
pub fn role_of(path: &str, operation: &Operation) -> &'static str {
    let requires = |scheme: &str| {
        let wanted = SecurityRequirement::new(scheme, Vec::<String>::new());
        operation.security.iter().flatten().any(|r| *r == wanted)
    };
    if requires("api_key") && (path.starts_with("/v1/admin/") || path == "/metrics") {
        "admin"
    } else if requires("api_key") {
        "partner"
    } else if requires("citizen_token") {
        "citizen"
    } else {
        "public"
    }
}

/// States the role in the operation's description and as `x-sammen-role`.
fn add_role(path: &str, operation: &mut Operation) {
    let role = role_of(path, operation);
    let sentence = match role {
        "admin" => "**Role: `admin`**: an API key of municipal staff; a partner key gets 403.",
        "partner" => "**Role: `partner`**: an API key bound to networks; an admin key gets 403.",
        "citizen" => {
            "**Role: `citizen`**: the idea's citizen token; another idea's token (or none) \
             answers 404, exactly like an unknown idea."
        }
        _ => "**Role: public**: no credentials.",
    };
    operation.description = Some(match operation.description.take() {
        Some(text) if !text.is_empty() => format!("{text}\n\n{sentence}"),
        _ => sentence.to_owned(),
    });
    operation
        .extensions
        .get_or_insert_with(Default::default)
        .insert("x-sammen-role".into(), serde_json::json!(role));
}

/// The documented paths with their methods, to tell 404 from 405.
pub struct RouteTable(Vec<(Vec<String>, Vec<Method>)>);

impl RouteTable {
    /// The routes of an OpenAPI document.
    pub fn from_openapi(api: &OpenApiDoc) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (segments, methods)
            })
            .collect();
        Self(routes)
    }

    /// The methods a path allows, when it is a known path.
    fn allowed(&self, path: &str) -> Option<&[Method]> {
        let segments: Vec<&str> = path.split('/').collect();
        self.0.iter().find_map(|(template, methods)| {
            let matches = template.len() == segments.len()
                && template
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()));
            matches.then_some(methods.as_slice())
        })
    }
}

/// Answers every request no route took: 405 with `Allow` on a known path, else 404.
pub async fn fallback(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    Err(match routes.allowed(req.path()) {
        Some(methods) => ApiError::MethodNotAllowed(
            methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        None => ApiError::NotFound,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_allow_their_methods_and_unknown_paths_none() {
        let table = RouteTable::from_openapi(&openapi());
        assert_eq!(
            table.allowed("/v1/ideas"),
            Some(&[Method::GET, Method::POST][..])
        );
        assert_eq!(table.allowed("/v1/networks/x"), Some(&[Method::GET][..]));
        assert_eq!(table.allowed("/v1/networks/"), None);
        assert_eq!(table.allowed("/v1/nothing"), None);
    }

    /// Attributes take only literal patterns, so the document repeats the server's; this holds
    /// every copy to the constant the server checks with.
    #[test]
    fn every_text_and_format_pattern_of_the_document_is_one_the_server_checks() {
        use crate::domain::formats::{EMAIL_PATTERN, WEB_URL_PATTERN};
        use crate::domain::json::patterns;

        fn collect(value: &serde_json::Value, found: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    if let Some(serde_json::Value::String(pattern)) = map.get("pattern") {
                        found.push(pattern.clone());
                    }
                    map.values().for_each(|v| collect(v, found));
                }
                serde_json::Value::Array(items) => items.iter().for_each(|v| collect(v, found)),
                _ => {}
            }
        }
        let known = [
            patterns::LINE,
            patterns::BLOCK,
            patterns::OPTIONAL_LINE,
            patterns::OPTIONAL_BLOCK,
            patterns::TITLE,
            patterns::PROBLEM,
            EMAIL_PATTERN,
            WEB_URL_PATTERN,
        ];
        let document = serde_json::to_value(openapi()).expect("the document serializes");
        let mut found = Vec::new();
        collect(&document, &mut found);
        let text_patterns: Vec<&String> = found
            .iter()
            .filter(|p| p.contains(r"\x00") || p.contains('@') || p.contains("https?"))
            .collect();
        assert!(text_patterns.len() > 20);
        for pattern in text_patterns {
            assert!(known.contains(&pattern.as_str()), "{pattern}");
        }
    }
}
