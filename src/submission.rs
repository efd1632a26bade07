//! Taking in an idea: match it, store it with its routing in one transaction, and make it
//! findable among similar ideas when its author agreed to publication. Shared by the HTTP
//! handler and `sammen eval`.

use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::domain::{IdeaStatus, NewIdea, StoredIdea};
use crate::matching::Matcher;
use crate::secrets::CitizenToken;
use crate::store::{self, IdempotencyRecord, Store, StoreError};

/// An `Idempotency-Key` with the hashes that identify its request.
pub struct KeyedRequest<'a> {
    /// The key as the client sent it (it seals the citizen token).
    pub key: &'a str,
    /// SHA-256 of the key.
    pub key_hash: Vec<u8>,
    /// SHA-256 of the canonical request body.
    pub request_hash: Vec<u8>,
}

/// A stored idea and the token that reads it back, shown once.
pub struct Submitted {
    /// The idea as stored.
    pub stored: StoredIdea,
    /// The citizen's token.
    pub token: CitizenToken,
    /// How long matching took.
    pub matched_in: Duration,
}

/// Matches and stores an idea. Matching never fails a submission: an empty catalog routes to
/// triage.
#[tracing::instrument(skip_all)]
pub async fn submit(
    store: &dyn Store,
    matcher: &Matcher,
    idea: NewIdea,
    request: Option<KeyedRequest<'_>>,
) -> Result<Submitted, StoreError> {
    let now = store::now();
    let token = CitizenToken::generate();
    let text = idea.text();
    let started = Instant::now();
    let matching = matcher.match_idea(&text);
    let matched_in = started.elapsed();
    let status = if matching.primary_network.is_some() {
        IdeaStatus::Routed
    } else {
        IdeaStatus::Triage
    };
    let stored = StoredIdea {
        id: Uuid::now_v7(),
        network: matching.primary_network.clone(),
        matching: Some(matching),
        status,
        citizen_token_hash: token.hash(),
        created_at: now,
        updated_at: now,
        hidden: None,
        idea,
    };
    let record = request.map(|r| IdempotencyRecord {
        sealed_token: token.seal(r.key),
        key_hash: r.key_hash,
        request_hash: r.request_hash,
        idea_id: stored.id,
        created_at: now,
    });
    store.insert_idea(&stored, record.as_ref()).await?;
    if stored.idea.consent.publish {
        matcher.add_idea(stored.id, &text);
    }
    tracing::info!(idea_id = %stored.id, status = stored.status.code(), network = ?stored.network, "idea received");
    Ok(Submitted {
        stored,
        token,
        matched_in,
    })
}
