//! Partners' decisions on ideas, and the history of every change they and the matching make.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::formats::is_slug;
use super::json::{ObjectReader, check_optional_text};
use super::problems::{FieldProblem, ProblemCode, Problems};
use super::{IdeaEvent, IdeaStatus};

/// The longest note, in characters.
const NOTE_MAX: usize = 2_000;

/// What a partner decides about an idea routed to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// The network takes the idea: its status becomes `accepted`.
    Accept,
    /// Not for this network: the idea goes to the next confident network, or to `triage`.
    Decline,
    /// Better with another network: the idea is routed to `network`.
    Forward,
    /// Municipal staff routed the idea by hand (from triage, or away from a network); not a
    /// partner's choice (422 on the partner route).
    Route,
}

impl DecisionKind {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            DecisionKind::Accept => "accept",
            DecisionKind::Decline => "decline",
            DecisionKind::Forward => "forward",
            DecisionKind::Route => "route",
        }
    }

    /// Reads a stable code.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            DecisionKind::Accept,
            DecisionKind::Decline,
            DecisionKind::Forward,
            DecisionKind::Route,
        ]
        .into_iter()
        .find(|d| d.code() == code)
    }
}

/// The decisions a partner may send (`route` is for staff only). A schema only; decisions are
/// read as `DecisionKind`.
#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartnerDecision {
    /// The network takes the idea.
    Accept,
    /// The network does not take it.
    Decline,
    /// Another network should take it.
    Forward,
}

/// The body of `POST /v1/partner/ideas/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDecision {
    /// `accept`, `decline` or `forward` (`route` is for staff only).
    #[schema(value_type = PartnerDecision)]
    pub decision: DecisionKind,
    /// The network to forward to: required with `forward`, not allowed otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 63, example = "tryg-aalborg")]
    pub network: Option<String>,
    /// Why, for the citizen and the next network to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 2000,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$",
        example = "Vi tager den: vores strandgruppe i Nibe mødes hver lørdag."
    )]
    pub note: Option<String>,
}

impl NewDecision {
    /// Validates a request body, reporting every problem at once. Whether a forward's network
    /// exists is checked against the catalog by the caller.
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldProblem>> {
        let problems = Problems::default();
        let decision = ObjectReader::new(body, "", &["decision", "network", "note"], &problems)
            .and_then(|r| read_decision(&r));
        problems
            .into_result(decision)
            .map(|d| d.expect("no problems means a decision"))
    }
}

fn read_decision(r: &ObjectReader<'_>) -> Option<NewDecision> {
    let problems = r.problems();
    let decision = r.string("decision", true).and_then(|code| {
        let kind = DecisionKind::from_code(code).filter(|k| *k != DecisionKind::Route);
        if kind.is_none() {
            problems.add("decision", ProblemCode::InvalidValue);
        }
        kind
    });
    let network = r.string("network", false).map(str::to_owned);
    match (&network, decision) {
        (Some(slug), _) if !is_slug(slug) => problems.add("network", ProblemCode::InvalidSlug),
        (None, Some(DecisionKind::Forward)) => problems.add("network", ProblemCode::Required),
        (Some(_), Some(DecisionKind::Accept | DecisionKind::Decline)) => {
            problems.add("network", ProblemCode::InvalidValue)
        }
        _ => {}
    }
    let note = read_note(r)?;
    Some(NewDecision {
        decision: decision?,
        network,
        note,
    })
}

/// The optional `note` of a decision or a route: `Some(None)` when absent or blank, `None`
/// when it breaks the rules.
fn read_note(r: &ObjectReader<'_>) -> Option<Option<String>> {
    match r.string("note", false) {
        Some(raw) => check_optional_text(r.problems(), "note", raw, NOTE_MAX, true).ok(),
        None => Some(None),
    }
}

/// The body of `POST /v1/admin/ideas/{id}/route`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffRoute {
    /// The network that should take the idea.
    #[schema(max_length = 63, example = "tryg-aalborg")]
    pub network: String,
    /// Why, for the citizen and the network to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 2000,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$",
        example = "Handler om tryghed i Vejgaard."
    )]
    pub note: Option<String>,
}

impl StaffRoute {
    /// Validates a request body, reporting every problem at once. Whether the network exists
    /// is checked by [`StaffRoute::change`].
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldProblem>> {
        let problems = Problems::default();
        let route = ObjectReader::new(body, "", &["network", "note"], &problems).and_then(|r| {
            let network = r.string("network", true).and_then(|slug| {
                if is_slug(slug) {
                    Some(slug.to_owned())
                } else {
                    problems.add("network", ProblemCode::InvalidSlug);
                    None
                }
            });
            let note = read_note(&r);
            Some(StaffRoute {
                network: network?,
                note: note?,
            })
        });
        problems
            .into_result(route)
            .map(|r| r.expect("no problems means a route"))
    }

    /// The change that routes `idea` to this route's network, made by the admin key `key_id`:
    /// the network gets `idea.routed`, the one that had it `idea.status_changed`.
    pub fn change(
        self,
        idea: &super::StoredIdea,
        known_networks: &std::collections::HashSet<String>,
        key_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<StatusChange, PlanError> {
        check_target(&self.network, idea.network.as_deref(), known_networks)?;
        let status = IdeaStatus::Routed;
        let event = |network: &str, event| IdeaEvent {
            network: network.to_owned(),
            idea_id: idea.id,
            event,
            status,
            at,
        };
        let mut events: Vec<IdeaEvent> = idea
            .network
            .iter()
            .map(|previous| event(previous, super::EventType::IdeaStatusChanged))
            .collect();
        events.push(event(&self.network, super::EventType::IdeaRouted));
        Ok(StatusChange {
            idea_id: idea.id,
            from_status: idea.status,
            from_network: idea.network.clone(),
            key_id,
            entry: HistoryEntry {
                at,
                actor: ActorKind::Staff,
                actor_network: None,
                decision: Some(DecisionKind::Route),
                status,
                network: Some(self.network),
                note: self.note,
            },
            events,
        })
    }
}

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// The matching, when the idea arrived.
    Matching,
    /// A partner network.
    Partner,
    /// Municipal staff (triage and moderation).
    Staff,
}

impl ActorKind {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ActorKind::Matching => "matching",
            ActorKind::Partner => "partner",
            ActorKind::Staff => "staff",
        }
    }

    /// Reads a stable code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "matching" => Some(ActorKind::Matching),
            "partner" => Some(ActorKind::Partner),
            "staff" => Some(ActorKind::Staff),
            _ => None,
        }
    }
}

/// One change in an idea's life, as the citizen sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who: `matching`, `partner` or `staff`.
    pub actor: ActorKind,
    /// The network a partner acted for; null for the matching.
    pub actor_network: Option<String>,
    /// The decision (`route` for staff); null for the matching.
    pub decision: Option<DecisionKind>,
    /// The idea's status after the change.
    pub status: IdeaStatus,
    /// The network that has the idea after the change; null in triage.
    pub network: Option<String>,
    /// The note of the partner or staff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A change to store: the idea moves from one status and network to another, with its
/// history entry and the feed events it causes, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The idea.
    pub idea_id: Uuid,
    /// Its status before: the change applies only if it still is.
    pub from_status: IdeaStatus,
    /// Its network before: the change applies only if it still is.
    pub from_network: Option<String>,
    /// The key that decided (a partner's or an admin's).
    pub key_id: Uuid,
    /// The history entry (its status and network are the idea's new ones).
    pub entry: HistoryEntry,
    /// What the networks are told.
    pub events: Vec<IdeaEvent>,
}

/// A decision as routing feedback: which network (or staff) decided what about which idea.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutingFeedback {
    /// The idea.
    pub idea_id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// `partner` (a network's decision) or `staff` (a route by hand).
    pub actor: ActorKind,
    /// The network that had the idea: the one that decided, for a partner; `None` when staff
    /// routed an idea out of triage.
    pub from_network: Option<String>,
    /// What it decided.
    pub decision: DecisionKind,
    /// The network the idea went to: the same one on accept, the target of a forward, the next
    /// network after a decline; `None` when it went to triage.
    pub to_network: Option<String>,
}

impl StatusChange {
    /// The change as routing feedback, when it is a decision of a network or of staff.
    pub fn feedback(&self) -> Option<RoutingFeedback> {
        Some(RoutingFeedback {
            idea_id: self.idea_id,
            at: self.entry.at,
            actor: self.entry.actor,
            from_network: self.from_network.clone(),
            decision: self.entry.decision?,
            to_network: self.entry.network.clone(),
        })
    }
}

impl RoutingFeedback {
    /// The network people chose for the idea: the one that accepted it, the target of a
    /// forward or of a route by staff. (After a decline the next network is the router's own pick, not a lesson.)
    pub fn toward(&self) -> Option<&str> {
        match self.decision {
            DecisionKind::Accept => self.from_network.as_deref(),
            DecisionKind::Forward | DecisionKind::Route => self.to_network.as_deref(),
            DecisionKind::Decline => None,
        }
    }

    /// The network that declined the idea or passed it on (or that staff routed it away
    /// from).
    pub fn away(&self) -> Option<&str> {
        match self.decision {
            DecisionKind::Accept => None,
            DecisionKind::Decline | DecisionKind::Forward | DecisionKind::Route => self
                .from_network
                .as_deref()
                .filter(|from| Some(*from) != self.to_network.as_deref()),
        }
    }
}

/// Why a decision cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanError {
    /// The body names something that cannot be (a forward to an unknown network, or to the
    /// network that has the idea).
    Invalid(Vec<FieldProblem>),
    /// The idea is accepted already.
    AlreadyAccepted,
}

/// Whether an idea may move to `target`: a network of the catalog other than its `current` one.
fn check_target(
    target: &str,
    current: Option<&str>,
    known_networks: &std::collections::HashSet<String>,
) -> Result<(), PlanError> {
    let code = if current == Some(target) {
        ProblemCode::InvalidValue
    } else if !known_networks.contains(target) {
        ProblemCode::UnknownNetwork
    } else {
        return Ok(());
    };
    Err(PlanError::Invalid(vec![FieldProblem {
        field: "network".into(),
        code,
    }]))
}

/// What the networks need to know and what to store when `key_id`, acting for the network
/// that has `idea`, makes `decision`. Pure: the caller stores the change.
pub struct Plan<'a> {
    /// The idea as it is now.
    pub idea: &'a super::StoredIdea,
    /// Its history so far.
    pub history: &'a [HistoryEntry],
    /// The networks in the catalog.
    pub known_networks: &'a std::collections::HashSet<String>,
    /// The least score of a network to route to.
    pub min_confidence: f32,
}

impl Plan<'_> {
    /// The change `decision` makes, or why it cannot be made.
    pub fn change(
        &self,
        decision: NewDecision,
        key_id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<StatusChange, PlanError> {
        let idea = self.idea;
        let current = idea
            .network
            .clone()
            .expect("a partner decides on a routed idea");
        let (status, network) = match decision.decision {
            DecisionKind::Route => {
                return Err(PlanError::Invalid(vec![FieldProblem {
                    field: "decision".into(),
                    code: ProblemCode::InvalidValue,
                }]));
            }
            DecisionKind::Accept if idea.status == IdeaStatus::Accepted => {
                return Err(PlanError::AlreadyAccepted);
            }
            DecisionKind::Accept => (IdeaStatus::Accepted, Some(current.clone())),
            DecisionKind::Decline => match self.next_network() {
                Some(next) => (IdeaStatus::Routed, Some(next)),
                None => (IdeaStatus::Triage, None),
            },
            DecisionKind::Forward => {
                let target = decision.network.clone().expect("a forward names a network");
                check_target(&target, Some(&current), self.known_networks)?;
                (IdeaStatus::Routed, Some(target))
            }
        };
        let event = |network: &str, event| IdeaEvent {
            network: network.to_owned(),
            idea_id: idea.id,
            event,
            status,
            at,
        };
        let mut events = vec![event(&current, super::EventType::IdeaStatusChanged)];
        if let Some(next) = network.as_deref().filter(|n| *n != current) {
            events.push(event(next, super::EventType::IdeaRouted));
        }
        Ok(StatusChange {
            idea_id: idea.id,
            from_status: idea.status,
            from_network: Some(current.clone()),
            key_id,
            entry: HistoryEntry {
                at,
                actor: ActorKind::Partner,
                actor_network: Some(current),
                decision: Some(decision.decision),
                status,
                network,
                note: decision.note,
            },
            events,
        })
    }

    /// The best confident network in the idea's matching that has not had it yet.
    fn next_network(&self) -> Option<String> {
        let had: Vec<&str> = self
            .history
            .iter()
            .filter_map(|h| h.network.as_deref())
            .chain(self.idea.network.as_deref())
            .collect();
        self.idea
            .matching
            .iter()
            .flat_map(|m| &m.networks)
            .filter(|n| n.score >= self.min_confidence)
            .map(|n| &n.slug)
            .find(|slug| !had.contains(&slug.as_str()) && self.known_networks.contains(*slug))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn codes(body: Value) -> Vec<String> {
        NewDecision::parse(&body)
            .unwrap_err()
            .into_iter()
            .map(|p| format!("{} {}", p.field, p.code.as_str()))
            .collect()
    }

    #[test]
    fn a_forward_names_its_network_and_the_others_do_not() {
        let forward = NewDecision::parse(
            &json!({"decision": "forward", "network": "tryg-aalborg", "note": " Jer "}),
        )
        .unwrap();
        assert_eq!(forward.network.as_deref(), Some("tryg-aalborg"));
        assert_eq!(forward.note.as_deref(), Some("Jer"));
        assert_eq!(codes(json!({"decision": "forward"})), ["network required"]);
        assert_eq!(
            codes(json!({"decision": "accept", "network": "tryg-aalborg"})),
            ["network invalid_value"]
        );
        assert_eq!(
            codes(json!({"decision": "maybe", "note": 5, "extra": true})),
            [
                "extra unknown_field",
                "decision invalid_value",
                "note wrong_type"
            ]
        );
    }
}
