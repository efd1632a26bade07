//! One error type for every handler, rendered as `application/problem+json` (RFC 9457) in the
//! language the request asked for.

use std::fmt;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{FieldProblem, Language};
use crate::store::StoreError;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Why a request failed.
#[derive(thiserror::Error)]
pub enum ApiError {
    /// The body was understood as JSON but breaks the schema or the rules.
    #[error("invalid request body")]
    InvalidBody(Vec<FieldProblem>),
    /// Query or path parameters break the rules.
    #[error("invalid request parameters")]
    InvalidParameters(Vec<FieldProblem>),
    /// The body is not JSON.
    #[error("malformed JSON")]
    MalformedJson,
    /// The body is not `application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The body exceeds the limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// No valid API key: missing, malformed, unknown or revoked.
    #[error("unauthorized")]
    Unauthorized,
    /// A valid API key of a role that may not do this.
    #[error("forbidden")]
    Forbidden,
    /// Nothing here, or nothing the caller may see.
    #[error("not found")]
    NotFound,
    /// The path exists, the method does not; carries the `Allow` header value.
    #[error("method not allowed")]
    MethodNotAllowed(String),
    /// The `Idempotency-Key` header is malformed.
    #[error("invalid idempotency key")]
    InvalidIdempotencyKey,
    /// The `Idempotency-Key` was used before with another body.
    #[error("idempotency key reused with another body")]
    IdempotencyKeyReused,
    /// A request with the same `Idempotency-Key` is being processed.
    #[error("idempotency key in use")]
    IdempotencyKeyInUse,
    /// A catalog entry with this slug exists already.
    #[error("slug taken")]
    SlugTaken,
    /// The idea changed since it was read, or already has this decision.
    #[error("idea changed")]
    IdeaChanged,
    /// The service cannot serve now (its database does not answer).
    #[error("not ready")]
    NotReady,
    /// The client sent more requests than its limit; it may retry after this many seconds.
    #[error("too many requests")]
    TooManyRequests(u64),
    /// The request took longer than the time limit.
    #[error("request timed out")]
    Timeout,
    /// The service has more work queued than it can do in time.
    #[error("overloaded")]
    Overloaded,
    /// The store failed.
    #[error("store error")]
    Store(#[from] StoreError),
}

impl fmt::Debug for ApiError {
    /// The message and its cause chain; never a value, so that logs hold no personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:sammen:problem:validation",
    "title": "Ugyldige data",
    "status": 422,
    "detail": "Et eller flere felter er ugyldige.",
    "errors": [{"field": "answers.problem", "code": "too_short", "message": "Skal være mindst 10 tegn."}]
}))]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong here.
    pub detail: String,
    /// One entry per invalid field, all at once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// One invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// Path of the field: `answers.problem`, `initiatives[3].network`, `limit`.
    pub field: String,
    /// Stable code: `required`, `too_short`, `too_long`, `unknown_field`, `wrong_type`, ...
    pub code: String,
    /// The problem in the language of the request.
    pub message: String,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::InvalidBody(_) | ApiError::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::InvalidParameters(_)
            | ApiError::MalformedJson
            | ApiError::InvalidIdempotencyKey => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::IdempotencyKeyInUse | ApiError::IdeaChanged | ApiError::SlugTaken => {
                StatusCode::CONFLICT
            }
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotReady
            | ApiError::Timeout
            | ApiError::Overloaded
            | ApiError::Store(StoreError::Unavailable(_) | StoreError::BatchFailed(_)) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable name, title and detail of the problem in `language`.
    fn describe(&self, language: Language) -> (&'static str, &'static str, &'static str) {
        let da = language == Language::Da;
        let pick = |d: &'static str, e: &'static str| if da { d } else { e };
        match self {
            ApiError::InvalidBody(_) => (
                "validation",
                pick("Ugyldige data", "Invalid data"),
                pick(
                    "Et eller flere felter er ugyldige.",
                    "One or more fields are invalid.",
                ),
            ),
            ApiError::InvalidParameters(_) => (
                "invalid-parameters",
                pick("Ugyldige parametre", "Invalid parameters"),
                pick(
                    "Et eller flere parametre er ugyldige.",
                    "One or more parameters are invalid.",
                ),
            ),
            ApiError::MalformedJson => (
                "malformed-json",
                pick("Ugyldig JSON", "Malformed JSON"),
                pick(
                    "Indholdet kunne ikke læses som JSON.",
                    "The body could not be read as JSON.",
                ),
            ),
            ApiError::UnsupportedMediaType => (
                "unsupported-media-type",
                pick("Forkert medietype", "Unsupported media type"),
                pick(
                    "Send indholdet som application/json.",
                    "Send the body as application/json.",
                ),
            ),
            ApiError::PayloadTooLarge => (
                "payload-too-large",
                pick("For stort indhold", "Payload too large"),
                pick(
                    "Indholdet må højst fylde 64 KiB (et katalog 4 MiB).",
                    "The body may be at most 64 KiB (a catalog 4 MiB).",
                ),
            ),
            ApiError::Unauthorized => (
                "unauthorized",
                pick("Ikke logget ind", "Unauthorized"),
                pick(
                    "Send en gyldig API-nøgle som Authorization: Bearer <nøgle>.",
                    "Send a valid API key as Authorization: Bearer <key>.",
                ),
            ),
            ApiError::Forbidden => (
                "forbidden",
                pick("Ingen adgang", "Forbidden"),
                pick(
                    "API-nøglen har ikke en rolle, der må dette.",
                    "The API key's role may not do this.",
                ),
            ),
            ApiError::NotFound => (
                "not-found",
                pick("Ikke fundet", "Not found"),
                pick("Ressourcen findes ikke.", "The resource does not exist."),
            ),
            ApiError::MethodNotAllowed(_) => (
                "method-not-allowed",
                pick("Metoden er ikke tilladt", "Method not allowed"),
                pick(
                    "Se Allow-headeren for de tilladte metoder.",
                    "See the Allow header for the allowed methods.",
                ),
            ),
            ApiError::InvalidIdempotencyKey => (
                "invalid-idempotency-key",
                pick("Ugyldig Idempotency-Key", "Invalid Idempotency-Key"),
                pick(
                    "Idempotency-Key skal være 1-255 synlige ASCII-tegn.",
                    "Idempotency-Key must be 1-255 visible ASCII characters.",
                ),
            ),
            ApiError::IdempotencyKeyReused => (
                "idempotency-key-reused",
                pick("Idempotency-Key er brugt", "Idempotency-Key already used"),
                pick(
                    "Nøglen blev brugt til en anden forespørgsel inden for 24 timer.",
                    "The key was used for a different request within 24 hours.",
                ),
            ),
            ApiError::IdempotencyKeyInUse => (
                "idempotency-key-in-use",
                pick(
                    "Forespørgslen behandles allerede",
                    "Request already in progress",
                ),
                pick(
                    "En forespørgsel med samme Idempotency-Key behandles; prøv igen om lidt.",
                    "A request with the same Idempotency-Key is being processed; retry shortly.",
                ),
            ),
            ApiError::SlugTaken => (
                "slug-taken",
                pick("Slug findes allerede", "Slug already taken"),
                pick(
                    "Et katalogelement har allerede denne slug (måske et udfaset); brug PUT for at ændre det.",
                    "A catalog entry already has this slug (perhaps a retired one); use PUT to change it.",
                ),
            ),
            ApiError::IdeaChanged => (
                "idea-changed",
                pick("Idéen er ændret", "The idea changed"),
                pick(
                    "Idéen er ændret i mellemtiden eller har allerede denne beslutning; læs den igen.",
                    "The idea changed in the meantime or already has this decision; read it again.",
                ),
            ),
            ApiError::NotReady
            | ApiError::Store(StoreError::Unavailable(_) | StoreError::BatchFailed(_)) => (
                "unavailable",
                pick(
                    "Tjenesten er midlertidigt utilgængelig",
                    "Service temporarily unavailable",
                ),
                pick(
                    "Databasen svarer ikke; prøv igen om lidt.",
                    "The database is not answering; retry shortly.",
                ),
            ),
            ApiError::TooManyRequests(_) => (
                "rate-limited",
                pick("For mange forespørgsler", "Too many requests"),
                pick(
                    "Der er sendt for mange forespørgsler fra denne adresse; prøv igen efter Retry-After sekunder.",
                    "Too many requests came from this address; retry after Retry-After seconds.",
                ),
            ),
            ApiError::Timeout => (
                "timeout",
                pick("Forespørgslen tog for lang tid", "Request timed out"),
                pick(
                    "Forespørgslen blev afbrudt, fordi den tog for lang tid; prøv igen om lidt.",
                    "The request was cut off because it took too long; retry shortly.",
                ),
            ),
            ApiError::Overloaded => (
                "overloaded",
                pick("Tjenesten er overbelastet", "Service overloaded"),
                pick(
                    "Der er for mange forespørgsler i kø lige nu; prøv igen om lidt.",
                    "Too many requests are queued right now; retry shortly.",
                ),
            ),
            ApiError::Store(_) => (
                "internal",
                pick("Intern fejl", "Internal error"),
                pick(
                    "Noget gik galt hos os. Fejlen er logget.",
                    "Something went wrong on our side. It has been logged.",
                ),
            ),
        }
    }

    /// The problem document in `language`.
    pub fn problem(&self, language: Language) -> Problem {
        let (name, title, detail) = self.describe(language);
        let fields = match self {
            ApiError::InvalidBody(problems) | ApiError::InvalidParameters(problems) => {
                problems.as_slice()
            }
            _ => &[],
        };
        Problem {
            kind: format!("urn:sammen:problem:{name}"),
            title: title.to_owned(),
            status: self.status().as_u16(),
            detail: detail.to_owned(),
            errors: fields
                .iter()
                .map(|p| ProblemField {
                    field: p.field.clone(),
                    code: p.code.as_str().to_owned(),
                    message: p.code.message(language),
                })
                .collect(),
        }
    }

    /// The whole response in `language`.
    pub fn render(&self, language: Language) -> HttpResponse {
        let mut response = HttpResponse::build(self.status());
        response
            .content_type(PROBLEM_JSON)
            .insert_header((header::CONTENT_LANGUAGE, language.code()));
        if let ApiError::MethodNotAllowed(allow) = self {
            response.insert_header((header::ALLOW, allow.as_str()));
        }
        if let ApiError::Unauthorized = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"sammen\""));
        }
        if let ApiError::TooManyRequests(seconds) = self {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        } else if self.status() == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "2"));
        }
        response.json(self.problem(language))
    }
}

impl From<crate::domain::decisions::PlanError> for ApiError {
    fn from(error: crate::domain::decisions::PlanError) -> Self {
        use crate::domain::decisions::PlanError;
        match error {
            PlanError::Invalid(problems) => ApiError::InvalidBody(problems),
            PlanError::AlreadyAccepted => ApiError::IdeaChanged,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        // Shed load and cut-off requests are logged where they happen, once.
        if self.status().is_server_error()
            && !matches!(self, ApiError::Overloaded | ApiError::Timeout)
        {
            tracing::error!(error = ?self, "request failed");
        }
        self.render(Language::Da)
    }
}

/// Middleware: renders problems again in the language of `Accept-Language` (Danish otherwise).
pub async fn localize_problems(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let language = Language::negotiate(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let response = next.call(req).await?.map_into_boxed_body();
    if language == Language::Da {
        return Ok(response);
    }
    let english = response
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
        .map(|e| e.render(language));
    Ok(match english {
        Some(rendered) => response.into_response(rendered),
        None => response,
    })
}
