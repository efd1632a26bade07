//! Routes for partner networks, with a `partner` API key: the feed of ideas routed to the key's
//! networks, single ideas, decisions and webhooks. A partner never learns of an idea outside
//! its networks: such an idea answers 404, exactly like one that does not exist.

pub mod ideas;
pub mod webhooks;

use std::collections::HashMap;

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

/// Whether `key` may see the idea: it is with one of the key's networks.
fn may_see(key: &PartnerKey, stored: &StoredIdea) -> bool {
    stored.status != IdeaStatus::Erased && stored.network.as_deref().is_some_and(|n| key.0.holds(n))
}

/// The idea when `key` may see it.
pub async fn visible_idea(
    store: &dyn Store,
    key: &PartnerKey,
    id: Uuid,
) -> Result<Option<StoredIdea>, StoreError> {
    Ok(store.get_idea(id).await?.filter(|s| may_see(key, s)))
}

/// The ideas of `ids` as `key` may see them, with their histories, by id; those not with the
/// key's networks are left out. Two queries, however many ideas.
pub async fn partner_ideas(
    store: &dyn Store,
    key: &PartnerKey,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, PartnerIdea>, StoreError> {
    let mut visible = store.get_ideas(ids).await?;
    visible.retain(|s| may_see(key, s));
    let visible_ids: Vec<Uuid> = visible.iter().map(|s| s.id).collect();
    let mut histories = store.idea_histories(&visible_ids).await?;
    Ok(visible
        .into_iter()
        .map(|stored| {
            let history = histories.remove(&stored.id).unwrap_or_default();
            (stored.id, PartnerIdea::new(stored, history))
        })
        .collect())
}

/// The idea as `key` may see it, with its history; `None` when it is not with the key's
/// networks.
pub async fn partner_idea(
    store: &dyn Store,
    key: &PartnerKey,
    id: Uuid,
) -> Result<Option<PartnerIdea>, StoreError> {
    Ok(partner_ideas(store, key, &[id]).await?.remove(&id))
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
