//! HTTP handlers, one file per resource. Handlers are thin: parse, call, map.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use actix_web::error::{JsonPayloadError, PathError};
use actix_web::{HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use regex::Regex;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::config::Config;
use crate::domain::problems::{ProblemCode, Problems};
use crate::error::ApiError;
use crate::matching::Matcher;
use crate::replicas::LocalIdeas;
use crate::store::Store;

pub mod admin;
pub mod beacons;
pub mod docs;
pub mod health;
pub mod ideas;
pub mod initiatives;
pub mod matching;
pub mod metrics;
pub mod networks;
pub mod partner;
pub mod questions;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The default and largest page sizes.
pub const DEFAULT_LIMIT: u32 = 20;
/// The largest page size.
pub const MAX_LIMIT: u32 = 100;

/// What every handler shares.
pub struct AppState {
    /// The store.
    pub store: Arc<dyn Store>,
    /// The matching engine.
    pub matcher: Arc<Matcher>,
    /// Hashes of the `Idempotency-Key`s whose requests this process is handling right now.
    pub idempotency_in_flight: Mutex<HashSet<Vec<u8>>>,
    /// The settings the service started with.
    pub config: Config,
    /// Published ideas this process indexed as they came in, which the replica follower skips.
    pub local_ideas: Arc<LocalIdeas>,
}

impl AppState {
    /// State around a store.
    pub fn new(store: Arc<dyn Store>, matcher: Arc<Matcher>, config: Config) -> Self {
        Self {
            store,
            matcher,
            idempotency_in_flight: Mutex::new(HashSet::new()),
            config,
            local_ideas: Arc::default(),
        }
    }
}

/// Every list in the API: a page of items and where the next page starts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass as `cursor` to read the next page; null when this is the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A list that always fits on one page.
    pub fn whole(items: Vec<T>) -> Self {
        Page {
            items,
            next_cursor: None,
        }
    }

    /// A page from `limit + 1` items read after the cursor: the extra one only tells that
    /// another page exists, and the cursor carries the `key` of the last item kept.
    pub fn keyset(mut items: Vec<T>, limit: u32, kind: &str, key: impl Fn(&T) -> String) -> Self {
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|last| encode_cursor(kind, &key(last)))
        } else {
            None
        };
        Page { items, next_cursor }
    }
}

/// Registers every documented route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(metrics::get_metrics)
        .service(
            utoipa_actix_web::scope("/v1")
                .service(questions::list_questions)
                .service(networks::list_networks)
                .service(networks::get_network)
                .service(initiatives::list_initiatives)
                .service(initiatives::get_initiative)
                .service(beacons::list_beacons)
                .service(matching::match_idea)
                .service(ideas::list_ideas)
                .service(ideas::create_idea)
                .service(ideas::export_idea)
                .service(ideas::update_consent)
                .service(ideas::get_idea)
                .service(ideas::delete_idea)
                .service(admin::keys::create_api_key)
                .service(admin::keys::list_api_keys)
                .service(admin::keys::revoke_api_key)
                .service(admin::stats::get_stats)
                .service(admin::stats::export_ideas)
                .service(admin::ideas::list_admin_ideas)
                .service(admin::ideas::list_triage)
                .service(admin::ideas::get_admin_idea)
                .service(admin::ideas::route_idea)
                .service(admin::ideas::moderate_idea)
                .service(admin::audit::list_partner_reads)
                .service(admin::catalog::create_network)
                .service(admin::catalog::update_network)
                .service(admin::catalog::retire_network)
                .service(admin::catalog::create_initiative)
                .service(admin::catalog::update_initiative)
                .service(admin::catalog::retire_initiative)
                .service(admin::catalog::create_beacon)
                .service(admin::catalog::update_beacon)
                .service(admin::catalog::retire_beacon)
                .service(admin::catalog::import_catalog)
                .service(partner::ideas::list_partner_ideas)
                .service(partner::ideas::get_partner_idea)
                .service(partner::ideas::decide_on_idea)
                .service(partner::webhooks::create_webhook)
                .service(partner::webhooks::list_webhooks)
                .service(partner::webhooks::delete_webhook)
                .service(partner::webhooks::list_webhook_deliveries),
        );
}

/// Extractor settings that turn actix's plain-text errors into problems. (Query strings are
/// read by [`QueryParams`], which reports each parameter, not by actix's `Query`.)
pub fn extractor_configs(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY_BYTES)
            .error_handler(|error, _req| json_error(error).into()),
    )
    .app_data(
        web::PathConfig::default().error_handler(|_: PathError, _req| ApiError::NotFound.into()),
    );
}

fn json_error(error: JsonPayloadError) -> ApiError {
    match error {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
        _ => ApiError::MalformedJson,
    }
}

/// Query parameters read strictly: unknown names are refused, every problem is reported.
pub struct QueryParams {
    params: HashMap<String, String>,
    problems: Problems,
}

impl QueryParams {
    /// Reads the query string of `req`, which may hold only `allowed` names.
    pub fn read(req: &HttpRequest, allowed: &[&str]) -> Self {
        let problems = Problems::default();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
            .unwrap_or_else(|_| {
                problems.add("query", ProblemCode::InvalidFormat);
                Vec::new()
            });
        let mut params = HashMap::new();
        for (name, value) in pairs {
            if !allowed.contains(&name.as_str()) {
                problems.add(name, ProblemCode::UnknownField);
            } else if params.insert(name.clone(), value).is_some() {
                problems.add(name, ProblemCode::Duplicate);
            }
        }
        Self { params, problems }
    }

    /// An optional text parameter.
    pub fn text(&self, name: &str) -> Option<String> {
        self.params.get(name).cloned()
    }

    /// `limit`: 1 to 100, 20 when absent.
    pub fn limit(&self) -> u32 {
        let Some(raw) = self.params.get("limit") else {
            return DEFAULT_LIMIT;
        };
        match raw.parse::<u32>() {
            Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => limit,
            _ => {
                self.problems
                    .add("limit", ProblemCode::OutOfRange(1, i64::from(MAX_LIMIT)));
                DEFAULT_LIMIT
            }
        }
    }

    /// `cursor`, decoded to the key it carries for `kind`.
    pub fn cursor(&self, kind: &str) -> Option<String> {
        self.cursor_named("cursor", kind)
    }

    /// A cursor parameter called `name`, decoded to the key it carries for `kind`.
    pub fn cursor_named(&self, name: &str, kind: &str) -> Option<String> {
        let raw = self.params.get(name)?;
        let key = decode_cursor(kind, raw);
        if key.is_none() {
            self.problems.add(name, ProblemCode::InvalidCursor);
        }
        key
    }

    /// A cursor whose key is a UUID.
    pub fn uuid_cursor(&self, kind: &str) -> Option<uuid::Uuid> {
        let key = self.cursor(kind)?;
        let id = uuid::Uuid::parse_str(&key).ok();
        if id.is_none() {
            self.problems.add("cursor", ProblemCode::InvalidCursor);
        }
        id
    }

    /// An optional `true`/`false` parameter.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        match self.params.get(name)?.as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => {
                self.problems.add(name, ProblemCode::InvalidValue);
                None
            }
        }
    }

    /// An optional parameter that must pass `valid` (else `code` is reported).
    pub fn checked(
        &self,
        name: &str,
        valid: fn(&str) -> bool,
        code: ProblemCode,
    ) -> Option<String> {
        let value = self.params.get(name)?;
        if valid(value) {
            Some(value.clone())
        } else {
            self.problems.add(name, code);
            None
        }
    }

    /// An optional time: RFC 3339 (`2026-11-30T12:00:00Z`) or a date (`2026-11-30`, UTC), read
    /// as the start of that day, or with `day_end` as the start of the next day (so that a date
    /// as an upper bound includes the whole day).
    pub fn time(&self, name: &str, day_end: bool) -> Option<chrono::DateTime<chrono::Utc>> {
        // The shapes of JSON Schema's `date-time` and `date` formats, checked before chrono,
        // which also takes a space for `T` and one-digit months.
        static DATE_TIME: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")
                .expect("a valid pattern")
        });
        static DATE: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$").expect("a valid pattern"));
        let raw = self.params.get(name)?;
        if DATE_TIME.is_match(raw)
            && let Ok(time) = chrono::DateTime::parse_from_rfc3339(raw)
        {
            return Some(time.with_timezone(&chrono::Utc));
        }
        let date = DATE
            .is_match(raw)
            .then(|| chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
            .flatten();
        let day = date.and_then(|d| if day_end { d.succ_opt() } else { Some(d) });
        match day {
            Some(day) => Some(day.and_time(chrono::NaiveTime::MIN).and_utc()),
            None => {
                self.problems.add(name, ProblemCode::InvalidFormat);
                None
            }
        }
    }

    /// Records a problem found in a parameter's value.
    pub fn add_problem(&self, name: &str, code: ProblemCode) {
        self.problems.add(name, code);
    }

    /// Ends reading: every problem found, or nothing.
    pub fn finish(self) -> Result<(), ApiError> {
        self.problems
            .into_result(())
            .map_err(ApiError::InvalidParameters)
    }
}

/// A time parameter: RFC 3339 or a date (UTC). A schema only; the value is read by
/// `QueryParams::time`.
#[derive(ToSchema)]
#[serde(untagged)]
pub enum TimeOrDate {
    /// An RFC 3339 time.
    Time(chrono::DateTime<chrono::Utc>),
    /// A date, UTC.
    Date(chrono::NaiveDate),
}

/// An opaque cursor: the kind of list and the last key seen, base64url-encoded.
pub fn encode_cursor(kind: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{key}"))
}

/// The key an opaque cursor carries for `kind`; `None` for anything else.
pub fn decode_cursor(kind: &str, raw: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let key = text.strip_prefix(kind)?.strip_prefix(':')?;
    (!key.is_empty()).then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_other_kinds() {
        let cursor = encode_cursor("initiatives", "repair-cafe");
        assert_eq!(
            decode_cursor("initiatives", &cursor).as_deref(),
            Some("repair-cafe")
        );
        assert_eq!(decode_cursor("ideas", &cursor), None);
        assert_eq!(decode_cursor("initiatives", "!!!"), None);
        assert_eq!(
            decode_cursor("initiatives", &encode_cursor("initiatives", "")),
            None
        );
    }
}
