//! Plain types and their validation. Everything past this layer trusts them.

pub mod catalog;
pub mod decisions;
pub mod events;
pub mod formats;
pub mod idea;
pub mod json;
pub mod keys;
mod language;
pub mod masking;
pub mod moderation;
pub mod problems;
pub mod questions;
pub mod stats;
pub mod webhooks;

pub use catalog::{Beacon, Catalog, Initiative, LocalizedText, Network};
pub use decisions::{
    ActorKind, DecisionKind, HistoryEntry, NewDecision, RoutingFeedback, StaffRoute, StatusChange,
};
pub use events::{EventType, FeedEntry, IdeaEvent, PartnerRead};
pub use idea::{
    Answers, Consent, ConsentChange, Contact, IdeaStatus, IdeaText, Location, NewIdea, StoredIdea,
};
pub use keys::{ApiKey, NewApiKey, Role};
pub use language::Language;
pub use moderation::{Hidden, Moderation, ModerationAction, NewModeration};
pub use problems::{FieldProblem, ProblemCode};
pub use webhooks::{
    DeliveryAttempt, DeliveryOutcome, DeliveryResult, NewWebhook, PendingDelivery, Webhook,
};
