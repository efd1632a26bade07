//! Row types shared by both backends, and their conversion to and from the domain.

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

use super::{IdempotencyRecord, PublicIdea, StoreError};
use crate::domain::stats::IdeaFacts;
use crate::domain::{
    ActorKind, Answers, ApiKey, Beacon, Consent, Contact, DecisionKind, DeliveryAttempt,
    DeliveryOutcome, EventType, FeedEntry, Hidden, HistoryEntry, IdeaEvent, IdeaStatus, IdeaText,
    Initiative, Language, LocalizedText, Location, Moderation, ModerationAction, Network, NewIdea,
    PartnerRead, PendingDelivery, Role, RoutingFeedback, StoredIdea, Webhook,
};
use crate::matching::Matching;

#[derive(sqlx::FromRow)]
pub struct NetworkRow {
    pub slug: String,
    pub name: Json<LocalizedText>,
    pub description: Json<LocalizedText>,
    pub keywords: Json<Vec<String>>,
    pub areas: Json<Vec<String>>,
    pub url: Option<String>,
    pub contact_email: Option<String>,
}

impl From<NetworkRow> for Network {
    fn from(row: NetworkRow) -> Self {
        Network {
            slug: row.slug,
            name: row.name.0,
            description: row.description.0,
            keywords: row.keywords.0,
            areas: row.areas.0,
            url: row.url,
            contact_email: row.contact_email,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct InitiativeRow {
    pub slug: String,
    pub network: String,
    pub title: Json<LocalizedText>,
    pub description: Json<LocalizedText>,
    pub tags: Json<Vec<String>>,
    pub place: Option<String>,
    pub url: Option<String>,
}

impl From<InitiativeRow> for Initiative {
    fn from(row: InitiativeRow) -> Self {
        Initiative {
            slug: row.slug,
            network: row.network,
            title: row.title.0,
            description: row.description.0,
            tags: row.tags.0,
            place: row.place,
            url: row.url,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct BeaconRow {
    pub slug: String,
    pub name: Json<LocalizedText>,
    pub description: Json<LocalizedText>,
}

impl From<BeaconRow> for Beacon {
    fn from(row: BeaconRow) -> Self {
        Beacon {
            slug: row.slug,
            name: row.name.0,
            description: row.description.0,
        }
    }
}

/// The columns of an idea's text, all that matching needs.
#[derive(sqlx::FromRow)]
pub struct IdeaTextRow {
    pub id: Uuid,
    pub title: String,
    pub problem: String,
    pub helpers: Option<String>,
    pub motivation: Option<String>,
    pub existing_initiatives: Option<String>,
    pub new_alliances: Option<String>,
    pub postcode: Option<String>,
    pub place: Option<String>,
    pub language: Option<String>,
}

impl TryFrom<IdeaTextRow> for (Uuid, IdeaText) {
    type Error = StoreError;

    fn try_from(row: IdeaTextRow) -> Result<Self, StoreError> {
        let language = match row.language.as_deref() {
            None => None,
            Some(code) => Some(
                Language::from_code(code)
                    .ok_or_else(|| StoreError::Corrupt(format!("idea language {code:?}")))?,
            ),
        };
        let location = (row.postcode.is_some() || row.place.is_some()).then_some(Location {
            postcode: row.postcode,
            place: row.place,
        });
        Ok((
            row.id,
            IdeaText {
                title: row.title,
                answers: Answers {
                    problem: row.problem,
                    helpers: row.helpers,
                    motivation: row.motivation,
                    existing_initiatives: row.existing_initiatives,
                    new_alliances: row.new_alliances,
                },
                location,
                language,
            },
        ))
    }
}

/// An idea's status as its column keeps it.
fn idea_status(code: &str) -> Result<IdeaStatus, StoreError> {
    IdeaStatus::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("idea status {code:?}")))
}

/// The slugs of an `ideas.beacons` column (`,a,b,`, or null for none), in order.
fn beacon_slugs(column: Option<String>) -> Vec<String> {
    column
        .unwrap_or_default()
        .split(',')
        .filter(|b| !b.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The columns of the public list of ideas.
#[derive(sqlx::FromRow)]
pub struct PublicIdeaRow {
    #[sqlx(flatten)]
    pub text: IdeaTextRow,
    pub status: String,
    pub network: Option<String>,
    pub beacons: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<PublicIdeaRow> for PublicIdea {
    type Error = StoreError;

    fn try_from(row: PublicIdeaRow) -> Result<Self, StoreError> {
        let status = idea_status(&row.status)?;
        let (id, text) = row.text.try_into()?;
        Ok(PublicIdea {
            id,
            text,
            status,
            network: row.network,
            beacons: beacon_slugs(row.beacons),
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct IdeaRow {
    #[sqlx(flatten)]
    pub text: IdeaTextRow,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub consent_contact: bool,
    pub consent_share: bool,
    pub consent_publish: bool,
    pub status: String,
    pub network: Option<String>,
    pub matching: Option<Json<Matching>>,
    pub citizen_token_hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub hidden_at: Option<DateTime<Utc>>,
    pub hidden_reason: Option<String>,
}

impl TryFrom<IdeaRow> for StoredIdea {
    type Error = StoreError;

    fn try_from(row: IdeaRow) -> Result<Self, StoreError> {
        let status = idea_status(&row.status)?;
        let (id, text) = row.text.try_into()?;
        let contact = Contact {
            name: row.contact_name,
            email: row.contact_email,
            phone: row.contact_phone,
        };
        Ok(StoredIdea {
            id,
            idea: NewIdea {
                title: text.title,
                answers: text.answers,
                location: text.location,
                language: text.language,
                contact: (contact != Contact::default()).then_some(contact),
                consent: Consent {
                    contact: row.consent_contact,
                    share_contact_with_partners: row.consent_share,
                    publish: row.consent_publish,
                },
            },
            status,
            network: row.network,
            matching: row.matching.map(|m| m.0),
            citizen_token_hash: row.citizen_token_hash,
            created_at: row.created_at,
            updated_at: row.updated_at,
            hidden: row.hidden_at.map(|at| Hidden {
                at,
                reason: row.hidden_reason.unwrap_or_default(),
            }),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct ModerationRow {
    pub idea_id: Uuid,
    pub at: DateTime<Utc>,
    pub key_id: Uuid,
    pub action: String,
    pub reason: Option<String>,
}

impl TryFrom<ModerationRow> for Moderation {
    type Error = StoreError;

    fn try_from(row: ModerationRow) -> Result<Self, StoreError> {
        Ok(Moderation {
            idea_id: row.idea_id,
            at: row.at,
            key_id: row.key_id,
            action: ModerationAction::from_code(&row.action)
                .ok_or_else(|| StoreError::Corrupt(format!("moderation {:?}", row.action)))?,
            reason: row.reason,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct IdempotencyRow {
    pub key_hash: Vec<u8>,
    pub request_hash: Vec<u8>,
    pub idea_id: Uuid,
    pub sealed_token: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

impl From<IdempotencyRow> for IdempotencyRecord {
    fn from(row: IdempotencyRow) -> Self {
        IdempotencyRecord {
            key_hash: row.key_hash,
            request_hash: row.request_hash,
            idea_id: row.idea_id,
            sealed_token: row.sealed_token,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub networks: Json<Vec<String>>,
    pub prefix: String,
    pub key_hash: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<ApiKeyRow> for (ApiKey, Vec<u8>) {
    type Error = StoreError;

    fn try_from(row: ApiKeyRow) -> Result<Self, StoreError> {
        let role = Role::from_code(&row.role)
            .ok_or_else(|| StoreError::Corrupt(format!("key role {:?}", row.role)))?;
        let key = ApiKey {
            id: row.id,
            name: row.name,
            role,
            networks: row.networks.0,
            prefix: row.prefix,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
        };
        Ok((key, row.key_hash))
    }
}

#[derive(sqlx::FromRow)]
pub struct FeedRow {
    pub position: i64,
    pub network: String,
    pub idea_id: Uuid,
    pub event: String,
    pub status: String,
    pub at: DateTime<Utc>,
}

impl TryFrom<FeedRow> for FeedEntry {
    type Error = StoreError;

    fn try_from(row: FeedRow) -> Result<Self, StoreError> {
        let event = EventType::from_code(&row.event)
            .ok_or_else(|| StoreError::Corrupt(format!("feed event {:?}", row.event)))?;
        let status = IdeaStatus::from_code(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("feed status {:?}", row.status)))?;
        Ok(FeedEntry {
            position: row.position,
            event: IdeaEvent {
                network: row.network,
                idea_id: row.idea_id,
                event,
                status,
                at: row.at,
            },
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct PartnerReadRow {
    pub key_id: Uuid,
    pub idea_id: Uuid,
    pub at: DateTime<Utc>,
    pub access: String,
    pub contact: bool,
}

impl From<PartnerReadRow> for PartnerRead {
    fn from(row: PartnerReadRow) -> Self {
        PartnerRead {
            key_id: row.key_id,
            idea_id: row.idea_id,
            at: row.at,
            access: row.access,
            contact: row.contact,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct HistoryRow {
    pub idea_id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub decision: Option<String>,
    pub from_network: Option<String>,
    pub network: Option<String>,
    pub status: String,
    pub note: Option<String>,
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = StoreError;

    fn try_from(row: HistoryRow) -> Result<Self, StoreError> {
        let actor = ActorKind::from_code(&row.actor)
            .ok_or_else(|| StoreError::Corrupt(format!("history actor {:?}", row.actor)))?;
        let status = IdeaStatus::from_code(&row.status)
            .ok_or_else(|| StoreError::Corrupt(format!("history status {:?}", row.status)))?;
        let decision = match row.decision.as_deref() {
            None => None,
            Some(code) => Some(
                DecisionKind::from_code(code)
                    .ok_or_else(|| StoreError::Corrupt(format!("decision {code:?}")))?,
            ),
        };
        Ok(HistoryEntry {
            at: row.at,
            actor,
            actor_network: row.from_network.filter(|_| actor == ActorKind::Partner),
            decision,
            status,
            network: row.network,
            note: row.note,
        })
    }
}

impl TryFrom<HistoryRow> for RoutingFeedback {
    type Error = StoreError;

    fn try_from(row: HistoryRow) -> Result<Self, StoreError> {
        let idea_id = row.idea_id;
        let from_network = row.from_network.clone();
        let entry = HistoryEntry::try_from(row)?;
        let corrupt = || StoreError::Corrupt(format!("routing feedback of idea {idea_id}"));
        if entry.actor == ActorKind::Partner && from_network.is_none() {
            return Err(corrupt());
        }
        Ok(RoutingFeedback {
            idea_id,
            at: entry.at,
            actor: entry.actor,
            from_network,
            decision: entry.decision.ok_or_else(corrupt)?,
            to_network: entry.network,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct WebhookRow {
    pub id: Uuid,
    pub url: String,
    pub events: Json<Vec<EventType>>,
    pub networks: Json<Vec<String>>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Self {
        Webhook {
            id: row.id,
            url: row.url,
            events: row.events.0,
            networks: row.networks.0,
            created_at: row.created_at,
            disabled_at: row.disabled_at,
            disabled_reason: row.disabled_reason,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub message_id: String,
    pub event: String,
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub outcome: String,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl TryFrom<DeliveryRow> for DeliveryAttempt {
    type Error = StoreError;

    fn try_from(row: DeliveryRow) -> Result<Self, StoreError> {
        let event = EventType::from_code(&row.event)
            .ok_or_else(|| StoreError::Corrupt(format!("delivery event {:?}", row.event)))?;
        let outcome = DeliveryOutcome::from_code(&row.outcome)
            .ok_or_else(|| StoreError::Corrupt(format!("delivery outcome {:?}", row.outcome)))?;
        Ok(DeliveryAttempt {
            id: row.id,
            message_id: row.message_id,
            event,
            attempt: row.attempt,
            at: row.at,
            outcome,
            status_code: row.status_code,
            error: row.error,
            duration_ms: row.duration_ms,
            next_attempt_at: None,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct PendingRow {
    pub outbox_id: i64,
    pub webhook_id: Uuid,
    pub url: String,
    pub secret: String,
    pub message_id: String,
    pub attempt: i32,
    pub created_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub entry: FeedRow,
}

impl TryFrom<PendingRow> for PendingDelivery {
    type Error = StoreError;

    fn try_from(row: PendingRow) -> Result<Self, StoreError> {
        Ok(PendingDelivery {
            outbox_id: row.outbox_id,
            webhook_id: row.webhook_id,
            url: row.url,
            secret: row.secret,
            message_id: row.message_id,
            attempt: row.attempt,
            created_at: row.created_at,
            event: FeedEntry::try_from(row.entry)?.event,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct FactsRow {
    pub created_at: DateTime<Utc>,
    pub status: String,
    pub network: Option<String>,
    pub postcode: Option<String>,
    pub beacons: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
}

impl TryFrom<FactsRow> for IdeaFacts {
    type Error = StoreError;

    fn try_from(row: FactsRow) -> Result<Self, StoreError> {
        Ok(IdeaFacts {
            created_at: row.created_at,
            status: idea_status(&row.status)?,
            network: row.network,
            postcode: row.postcode,
            beacons: beacon_slugs(row.beacons),
            first_decision: row.decided_at.zip(row.decided_by),
        })
    }
}
