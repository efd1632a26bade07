//! Replicas: several sammen processes on one PostgreSQL behave as one service. Each keeps its
//! matching indexes in memory; this follower keeps the similar-ideas index equal to the
//! database's published ideas, whoever stored, erased or unpublished them, by reading the
//! publication log (written by triggers, positions in commit order). The catalog follows its
//! revision in `startup::follow_catalog`; the feed and the webhook outbox live in the database
//! and need no following.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::domain::IdeaText;
use crate::matching::Matcher;
use crate::store::Store;

/// How often the follower looks for changes. A change is applied on the second look after its
/// commit (one to see it committed, one to apply it), so within about two polls.
pub const POLL: Duration = Duration::from_millis(400);
/// Changes read at a time.
const PAGE: u32 = 1_000;
/// How long the publication log keeps an entry; a replica cut off from the database for longer
/// must be restarted to see every change.
pub const LOG_RETENTION: Duration = Duration::from_secs(3600);
/// How often the log is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// How long a note of an idea indexed here is kept when the follower never meets it.
const NOTE_LIFETIME: Duration = Duration::from_secs(300);

/// The published ideas this process indexed itself as they were submitted, which the follower
/// then skips rather than index twice.
#[derive(Default)]
pub struct LocalIdeas(Mutex<HashMap<Uuid, Instant>>);

impl LocalIdeas {
    /// Notes an idea this process indexed.
    pub fn note(&self, id: Uuid) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, Instant::now());
    }

    /// Whether this process indexed the idea itself; forgets the note.
    fn take(&self, id: Uuid) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id)
            .is_some()
    }

    fn sweep(&self) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, at| at.elapsed() < NOTE_LIFETIME);
    }
}

/// Applies the publication log to `matcher` from position `from` (read before the index was
/// built, so that nothing committed in between is missed), until the process ends.
pub async fn follow_publications(
    store: Arc<dyn Store>,
    matcher: Arc<Matcher>,
    local: Arc<LocalIdeas>,
    from: i64,
) {
    let mut seen = from;
    // Changes up to `target` had committed one poll ago: those this process stored have been
    // noted by then.
    let mut target = from;
    let mut ticks = actix_web::rt::time::interval(POLL);
    let mut last_prune = Instant::now();
    let mut last_success = Instant::now();
    loop {
        ticks.tick().await;
        match catch_up(store.as_ref(), &matcher, &local, seen, target).await {
            Ok(position) => seen = position,
            Err(position) => {
                seen = position;
                continue;
            }
        }
        match store.publication_head().await {
            Ok(head) => {
                target = head;
                if last_success.elapsed() > LOG_RETENTION {
                    tracing::error!(
                        "this replica could not read the publication log for longer than it is kept; \
                         restart it so that its similar ideas are complete"
                    );
                }
                last_success = Instant::now();
            }
            Err(error) => {
                tracing::warn!(error = ?error, "publication log could not be read");
                continue;
            }
        }
        if last_prune.elapsed() >= PRUNE_EVERY {
            last_prune = Instant::now();
            local.sweep();
            let before = chrono::Utc::now().timestamp()
                - i64::try_from(LOG_RETENTION.as_secs()).unwrap_or(i64::MAX);
            if let Err(error) = store.prune_publication_log(before).await {
                tracing::warn!(error = ?error, "publication log could not be pruned");
            }
        }
    }
}

/// Applies the changes after `seen` up to `target`; the position reached, as `Err` when a
/// read failed on the way.
async fn catch_up(
    store: &dyn Store,
    matcher: &Matcher,
    local: &LocalIdeas,
    mut seen: i64,
    target: i64,
) -> Result<i64, i64> {
    while seen < target {
        let changes = match store.publication_changes(seen, target, PAGE).await {
            Ok(changes) => changes,
            Err(error) => {
                tracing::warn!(error = ?error, "publication log could not be read");
                return Err(seen);
            }
        };
        let full = changes.len() == PAGE as usize;
        let mut added: Vec<(Uuid, IdeaText)> = Vec::new();
        let mut removed = 0;
        for change in &changes {
            match &change.text {
                Some(text) if !local.take(change.idea_id) => {
                    added.push((change.idea_id, text.clone()));
                }
                Some(_) => {}
                None => {
                    // In order: what was added before this removal goes in first.
                    flush(matcher, &mut added);
                    if matcher.remove_idea(change.idea_id) {
                        removed += 1;
                    }
                }
            }
        }
        let count = added.len();
        flush(matcher, &mut added);
        if count + removed > 0 {
            tracing::info!(
                added = count,
                removed,
                "similar ideas follow the publication log"
            );
        }
        seen = match changes.last() {
            Some(last) if full => last.position,
            _ => target,
        };
    }
    Ok(seen)
}

fn flush(matcher: &Matcher, added: &mut Vec<(Uuid, IdeaText)>) {
    if added.is_empty() {
        return;
    }
    let ideas: Vec<(Uuid, &IdeaText)> = added.iter().map(|(id, text)| (*id, text)).collect();
    matcher.add_ideas(&ideas);
    added.clear();
}
