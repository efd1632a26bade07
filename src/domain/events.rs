//! What happens to an idea that partners are told about: feed entries and webhook events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::IdeaStatus;

/// The kind of an event, as in the feed and in webhook deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum EventType {
    /// The idea was routed (or forwarded) to the network.
    #[serde(rename = "idea.routed")]
    IdeaRouted,
    /// The idea's status changed, or it left the network (declined, forwarded elsewhere).
    #[serde(rename = "idea.status_changed")]
    IdeaStatusChanged,
    /// The citizen's data was erased.
    #[serde(rename = "idea.erased")]
    IdeaErased,
}

impl EventType {
    /// Every event type.
    pub const ALL: [EventType; 3] = [
        EventType::IdeaRouted,
        EventType::IdeaStatusChanged,
        EventType::IdeaErased,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            EventType::IdeaRouted => "idea.routed",
            EventType::IdeaStatusChanged => "idea.status_changed",
            EventType::IdeaErased => "idea.erased",
        }
    }

    /// Reads a stable code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.code() == code)
    }
}

/// An event for one network, as appended to the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdeaEvent {
    /// The network told.
    pub network: String,
    /// The idea.
    pub idea_id: Uuid,
    /// What happened.
    pub event: EventType,
    /// The idea's status after it.
    pub status: IdeaStatus,
    /// When.
    pub at: DateTime<Utc>,
}

/// An event as stored in the feed, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    /// Its place in the feed: later entries have higher positions.
    pub position: i64,
    /// The event.
    pub event: IdeaEvent,
}

/// One read of an idea by a partner key, as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PartnerRead {
    /// The key that read.
    pub key_id: Uuid,
    /// The idea read.
    pub idea_id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// Through which route: `feed` or `idea`.
    pub access: String,
    /// Whether the citizen's contact data was in what the partner received.
    pub contact: bool,
}
