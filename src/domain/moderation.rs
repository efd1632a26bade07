//! Moderation by staff: hiding an idea from the public list and similar ideas, with a reason.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::json::{ObjectReader, check_text};
use super::problems::{FieldProblem, ProblemCode, Problems};

/// The longest reason, in characters.
const REASON_MAX: usize = 500;

/// Why and since when an idea is hidden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Hidden {
    /// Since when.
    pub at: DateTime<Utc>,
    /// Why, as staff wrote it.
    pub reason: String,
}

/// Hide or unhide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    /// Out of the public list and similar ideas.
    Hide,
    /// Back in them (when the citizen agreed to publication).
    Unhide,
}

impl ModerationAction {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ModerationAction::Hide => "hide",
            ModerationAction::Unhide => "unhide",
        }
    }

    /// Reads a stable code.
    pub fn from_code(code: &str) -> Option<Self> {
        [ModerationAction::Hide, ModerationAction::Unhide]
            .into_iter()
            .find(|a| a.code() == code)
    }
}

/// The body of `POST /v1/admin/ideas/{id}/moderation`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewModeration {
    /// `hide` or `unhide`.
    pub action: ModerationAction,
    /// Why.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
        example = "Indeholder personangreb på en navngiven nabo."
    )]
    pub reason: String,
}

impl NewModeration {
    /// Validates a request body, reporting every problem at once.
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldProblem>> {
        let problems = Problems::default();
        let moderation =
            ObjectReader::new(body, "", &["action", "reason"], &problems).and_then(|r| {
                let action = r.string("action", true).and_then(|code| {
                    let action = ModerationAction::from_code(code);
                    if action.is_none() {
                        problems.add("action", ProblemCode::InvalidValue);
                    }
                    action
                });
                let reason = r
                    .string("reason", true)
                    .and_then(|raw| check_text(&problems, "reason", raw, 1, REASON_MAX, true));
                Some(NewModeration {
                    action: action?,
                    reason: reason?,
                })
            });
        problems
            .into_result(moderation)
            .map(|m| m.expect("no problems means a moderation"))
    }
}

/// One hide or unhide, as the moderation log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Moderation {
    /// The idea.
    pub idea_id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// The admin key that did it.
    pub key_id: Uuid,
    /// What was done.
    pub action: ModerationAction,
    /// Why; null after the idea was erased.
    pub reason: Option<String>,
}
