//! Webhook endpoints of partners and their deliveries (Standard Webhooks).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::json::{ObjectReader, check_text};
use super::problems::{FieldProblem, ProblemCode, Problems};
use super::{EventType, IdeaEvent};

/// The longest endpoint URL.
pub const URL_MAX: usize = 2_000;

/// The body of `POST /v1/partner/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to deliver: `https`, resolving to public addresses only.
    #[schema(
        max_length = 2000,
        example = "https://partner.example.dk/sammen/webhook"
    )]
    pub url: String,
    /// The events to deliver; all of them when absent.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventType>>, example = json!(["idea.routed", "idea.status_changed", "idea.erased"]))]
    pub events: Vec<EventType>,
}

impl NewWebhook {
    /// Validates a request body; whether the URL's host may be a target is checked by the
    /// caller, which resolves it.
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldProblem>> {
        let problems = Problems::default();
        let webhook = ObjectReader::new(body, "", &["url", "events"], &problems)
            .and_then(|r| read_webhook(&r));
        problems
            .into_result(webhook)
            .map(|w| w.expect("no problems means a webhook"))
    }
}

fn read_webhook(r: &ObjectReader<'_>) -> Option<NewWebhook> {
    let problems = r.problems();
    let url = r
        .string("url", true)
        .and_then(|s| check_text(problems, "url", s, 1, URL_MAX, false));
    let mut events = Vec::new();
    for (path, item) in r.array("events", false) {
        match item.as_str().map(EventType::from_code) {
            None => problems.add(path, ProblemCode::WrongType("string")),
            Some(None) => problems.add(path, ProblemCode::InvalidValue),
            Some(Some(event)) if events.contains(&event) => {
                problems.add(path, ProblemCode::Duplicate)
            }
            Some(Some(event)) => events.push(event),
        }
    }
    if events.is_empty() {
        events = EventType::ALL.to_vec();
    }
    Some(NewWebhook { url: url?, events })
}

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Webhook {
    /// The endpoint's id (UUIDv7).
    pub id: Uuid,
    /// Where deliveries go.
    pub url: String,
    /// The events delivered.
    pub events: Vec<EventType>,
    /// The networks whose events are delivered: the key's.
    pub networks: Vec<String>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When deliveries stopped (the endpoint answered 410 Gone, or its key was revoked).
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why deliveries stopped.
    pub disabled_reason: Option<String>,
}

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    /// The endpoint answered 2xx.
    Delivered,
    /// It failed and will be tried again.
    Retry,
    /// It failed for the last time: the retry window is over.
    Failed,
    /// The endpoint answered 410 Gone: it is disabled.
    Disabled,
}

impl DeliveryOutcome {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            DeliveryOutcome::Delivered => "delivered",
            DeliveryOutcome::Retry => "retry",
            DeliveryOutcome::Failed => "failed",
            DeliveryOutcome::Disabled => "disabled",
        }
    }

    /// Reads a stable code.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Delivered, Self::Retry, Self::Failed, Self::Disabled]
            .into_iter()
            .find(|o| o.code() == code)
    }
}

/// One delivery attempt, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    /// The attempt's id (UUIDv7).
    pub id: Uuid,
    /// The `webhook-id` sent: the same for every attempt of one message.
    pub message_id: String,
    /// The event delivered.
    pub event: EventType,
    /// 1 for the first attempt.
    pub attempt: i32,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// How it ended.
    pub outcome: DeliveryOutcome,
    /// The endpoint's HTTP status; null when no answer came.
    pub status_code: Option<i32>,
    /// What went wrong, when no answer came (timeout, refused connection, forbidden address).
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
    /// When the next attempt is due (only with `retry`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A delivery claimed by a dispatcher, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct PendingDelivery {
    /// The outbox row.
    pub outbox_id: i64,
    /// The endpoint.
    pub webhook_id: Uuid,
    /// Where to send.
    pub url: String,
    /// The endpoint's signing secret (`whsec_...`).
    pub secret: String,
    /// The `webhook-id`.
    pub message_id: String,
    /// This attempt's number, from 1.
    pub attempt: i32,
    /// When the outbox row was written: retries stop some days after.
    pub created_at: DateTime<Utc>,
    /// The event.
    pub event: IdeaEvent,
}

/// What a dispatcher records after an attempt.
#[derive(Debug, Clone)]
pub struct DeliveryResult {
    /// The outbox row.
    pub outbox_id: i64,
    /// The endpoint.
    pub webhook_id: Uuid,
    /// The attempt as logged.
    pub attempt: DeliveryAttempt,
}
