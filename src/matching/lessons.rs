//! What people decided about earlier ideas, so that routing follows them: ideas a network
//! accepted, or that were forwarded or routed by hand to it, pull ideas like them towards it;
//! ideas a network declined or passed on push ideas like them away from it.

use rustc_hash::FxHashMap;
use uuid::Uuid;

use super::query::Query;
use super::similar::IdeaIndex;

/// How many of the most similar placed ideas are heard.
const CONSIDERED: usize = 10;
/// Least calibrated similarity of a placed idea to be heard.
const MIN_SIMILARITY: f32 = 0.3;
/// The most the lessons move a network's raw score, up or down.
pub const WEIGHT: f32 = 0.2;
/// The support at which the lessons move a score by 1 − 1/e of [`WEIGHT`]: about three
/// similar decisions, so that one partner's one decision does not steer a topic.
const SUPPORT_SCALE: f32 = 3.0;

/// Where people placed one idea.
#[derive(Debug, Default)]
struct Placed {
    /// The network people chose for it last (accepted, forwarded to, routed to by hand).
    toward: Option<String>,
    /// The networks that declined it or passed it on.
    away: Vec<String>,
}

/// The evidence of earlier decisions for one network.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// The similarity of the similar ideas that went to the network, less that of those it
    /// declined or passed on.
    pub support: f32,
    /// How many similar ideas went to it.
    pub toward: u32,
    /// How many similar ideas it declined or passed on.
    pub away: u32,
}

impl Verdict {
    /// The change to the network's raw score: saturating, so that many weak echoes do not
    /// outweigh the text, and signed.
    pub fn bonus(&self) -> f32 {
        WEIGHT * (1.0 - (-self.support.abs() / SUPPORT_SCALE).exp()) * self.support.signum()
    }
}

/// The decided ideas, searchable by similarity.
#[derive(Default)]
pub struct Lessons {
    ideas: IdeaIndex,
    placed: FxHashMap<Uuid, Placed>,
}

impl Lessons {
    /// The index of the decided ideas' texts.
    pub fn index(&self) -> &IdeaIndex {
        &self.ideas
    }

    /// The index of the decided ideas' texts, for adding an idea the first time.
    pub fn index_mut(&mut self) -> &mut IdeaIndex {
        &mut self.ideas
    }

    /// Whether the idea's text is known.
    pub fn knows(&self, id: Uuid) -> bool {
        self.ideas.contains(id)
    }

    /// Notes a decision about a known idea: it went `toward` a network, or `away` from one.
    pub fn note(&mut self, id: Uuid, toward: Option<&str>, away: Option<&str>) {
        let placed = self.placed.entry(id).or_default();
        if let Some(away) = away
            && !placed.away.iter().any(|n| n == away)
        {
            placed.away.push(away.to_owned());
        }
        if let Some(toward) = toward {
            placed.away.retain(|n| n != toward);
            placed.toward = Some(toward.to_owned());
        }
    }

    /// Forgets an idea (hidden or erased).
    pub fn forget(&mut self, id: Uuid) {
        self.ideas.remove(id);
        self.placed.remove(&id);
    }

    /// How many decided ideas are known.
    pub fn len(&self) -> usize {
        self.placed.len()
    }

    /// The evidence for each network that earlier decisions give about `query`.
    pub fn verdicts(&self, query: &Query) -> FxHashMap<&str, Verdict> {
        let mut verdicts: FxHashMap<&str, Verdict> = FxHashMap::default();
        if self.placed.is_empty() {
            return verdicts;
        }
        for (id, similarity) in self.ideas.similar_ids(query, CONSIDERED, MIN_SIMILARITY) {
            let Some(placed) = self.placed.get(&id) else {
                continue;
            };
            if let Some(toward) = &placed.toward {
                let verdict = verdicts.entry(toward).or_default();
                verdict.support += similarity;
                verdict.toward += 1;
            }
            for away in &placed.away {
                let verdict = verdicts.entry(away).or_default();
                verdict.support -= similarity;
                verdict.away += 1;
            }
        }
        verdicts
    }
}
