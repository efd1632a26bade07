//! Routes for partner networks, with a `partner` API key: the feed of ideas routed to the key's
//! networks, single ideas, decisions and webhooks. A partner never learns of an idea outside
//! its networks: such an idea answers 404, exactly like one that does not exist.

pub mod ideas;
pub mod webhooks;

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::PartnerKey;
use crate::domain::masking::{mask_idea_text, mask_in_place};
use crate::domain::{HistoryEntry, IdeaStatus, PartnerRead, StoredIdea};
use crate::matching::Reason;
use crate::routes::ideas::IdeaView;
use uuid::Uuid;

use crate::store::{self, Store, StoreError};

/// An idea as a partner sees it. Contact data only when the citizen agreed to share it with
/// partners; without that consent, e-mail addresses, phone numbers and CPR-like numbers in the
/// free text are masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartnerIdea {
    /// The idea.
    #[serde(flatten)]
    pub idea: IdeaView,
    /// Why it came to the network that has it: the matching's evidence for that network.
    pub reasons: Vec<Reason>,
}

impl PartnerIdea {
    /// What a partner may see of a stored idea and its history.
    pub fn new(stored: StoredIdea, history: Vec<HistoryEntry>) -> Self {
        let mut idea = IdeaView::new(stored, history);
        let reasons = idea
            .matching
            .iter()
            .flat_map(|m| &m.networks)
            .find(|n| Some(&n.slug) == idea.network.as_ref())
            .map(|n| n.reasons.clone())
            .unwrap_or_default();
        if !idea.consent.share_contact_with_partners {
            idea.contact = None;
            mask_idea_text(&mut idea.title, &mut idea.answers, idea.location.as_mut());
        }
        for similar in idea.matching.iter_mut().flat_map(|m| &mut m.similar_ideas) {
            mask_in_place(&mut similar.title);
        }
        PartnerIdea { idea, reasons }
    }
}

/// The idea when `key` may see it: it is with one of the key's networks.
pub async fn visible_idea(
    store: &dyn Store,
    key: &PartnerKey,
    id: Uuid,
) -> Result<Option<StoredIdea>, StoreError> {
    let stored = store.get_idea(id).await?;
    Ok(stored.filter(|s| {
        s.status != IdeaStatus::Erased && s.network.as_deref().is_some_and(|n| key.0.holds(n))
    }))
}

/// The idea as `key` may see it, with its history; `None` when it is not with the key's
/// networks.
pub async fn partner_idea(
    store: &dyn Store,
    key: &PartnerKey,
    id: Uuid,
) -> Result<Option<PartnerIdea>, StoreError> {
    let Some(stored) = visible_idea(store, key, id).await? else {
        return Ok(None);
    };
    let history = store.idea_history(id).await?;
    Ok(Some(PartnerIdea::new(stored, history)))
}

/// The audit record of `key` reading `idea` through `access`.
pub fn read_by(key: &PartnerKey, idea: &PartnerIdea, access: &str) -> PartnerRead {
    PartnerRead {
        key_id: key.0.id,
        idea_id: idea.idea.id,
        at: store::now(),
        access: access.to_owned(),
        contact: idea.idea.contact.is_some(),
    }
}
