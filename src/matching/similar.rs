//! Published ideas, searchable for ideas like a new one. Ideas enter as soon as they are
//! stored and leave when hidden or erased.

use rustc_hash::FxHashMap as HashMap;

use uuid::Uuid;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::SimilarIdea;
use super::index::{Bm25Index, DocBuilder, Terms, idf};
use super::query::{FIELD_WEIGHTS, Query, field_texts};
use super::scorer::{Candidates, Scorer, TermIds};
use super::words::Analysed;
use crate::domain::{IdeaText, Language};

/// Answer weights in an idea's document, in the order of [`FIELD_WEIGHTS`]: the title and the
/// problem say what it is about.
const DOC_WEIGHTS: [f32; FIELD_WEIGHTS.len()] = [2.0, 1.0, 0.5, 0.3, 0.3, 0.3];

/// How many of the candidates gathered among the published ideas are scored on every word.
const CANDIDATE_POOL: usize = 40;

/// An idea's document, prepared apart from the index (see [`IdeaIndex::prepare`]).
#[derive(Default)]
pub struct Prepared {
    doc: DocBuilder,
    /// Words the index has not seen, with their field's weight.
    new: Vec<(Arc<Analysed>, f32)>,
}

struct Entry {
    id: Uuid,
    title: Box<str>,
    live: bool,
}

/// The index of published ideas.
pub struct IdeaIndex {
    /// Tells this index apart from others in [`Analysed::idea_terms`].
    identity: u64,
    terms: Terms,
    docs: Bm25Index,
    entries: Vec<Entry>,
    by_id: HashMap<Uuid, u32>,
    live: usize,
}

impl Default for IdeaIndex {
    fn default() -> Self {
        static INDEXES: AtomicU64 = AtomicU64::new(1);
        Self {
            identity: INDEXES.fetch_add(1, Ordering::Relaxed),
            terms: Terms::default(),
            docs: Bm25Index::default(),
            entries: Vec::new(),
            by_id: HashMap::default(),
            live: 0,
        }
    }
}

impl IdeaIndex {
    /// This index's identity, for [`IdeaIndex::prepare`].
    pub fn identity(&self) -> u64 {
        self.identity
    }

    /// An idea's document as far as it can be built without the index: the words the index
    /// `identity` has seen are turned into terms and merged, the new ones set aside. This is
    /// most of the work of adding an idea, and many ideas can be prepared at once.
    pub fn prepare(
        identity: u64,
        idea: &IdeaText,
        language: Language,
        analyze: impl Fn(&str, Language) -> Vec<Arc<Analysed>>,
    ) -> Prepared {
        let mut prepared = Prepared::default();
        for (text, weight) in field_texts(idea).into_iter().zip(DOC_WEIGHTS) {
            let Some(text) = text else { continue };
            for word in analyze(text, language) {
                match word.idea_terms.get() {
                    Some((owner, ids)) if *owner == identity => prepared.doc.add_ids(ids, weight),
                    _ => prepared.new.push((word, weight)),
                }
            }
        }
        prepared.doc.merge();
        prepared
    }

    /// Adds (or replaces) prepared ideas: (id, title, prepared document).
    pub fn insert_prepared<'a>(
        &mut self,
        ideas: impl IntoIterator<Item = (Uuid, &'a str, Prepared)>,
    ) {
        let mut docs = Vec::new();
        let mut entries = Vec::new();
        for (id, title, prepared) in ideas {
            self.remove(id);
            docs.push(self.document(prepared));
            entries.push(Entry {
                id,
                title: title.into(),
                live: true,
            });
        }
        let first = self.docs.push_many(docs);
        for (number, entry) in (first..).zip(entries) {
            // The same idea twice in one batch: the later one stands.
            if let Some(earlier) = self.by_id.insert(entry.id, number) {
                self.entries[earlier as usize].live = false;
                self.live -= 1;
            }
            self.entries.push(entry);
            self.live += 1;
        }
    }

    /// The document of a prepared idea, its new words interned.
    fn document(&mut self, prepared: Prepared) -> DocBuilder {
        let Prepared { mut doc, new } = prepared;
        for (word, weight) in new {
            let token = &word.token;
            let ids: Box<[u32]> = std::iter::once(&token.stem)
                .chain(&token.parts)
                .map(|term| self.terms.intern(term))
                .collect();
            doc.add_ids(&ids, weight);
            // Another index may have claimed the word first: it then goes through `intern`
            // each time here, which is only slower.
            let _ = word.idea_terms.set((self.identity, ids));
        }
        doc
    }

    /// Whether the idea is in.
    pub fn contains(&self, id: Uuid) -> bool {
        self.by_id.contains_key(&id)
    }

    /// Takes an idea out; whether it was in.
    pub fn remove(&mut self, id: Uuid) -> bool {
        let Some(number) = self.by_id.remove(&id) else {
            return false;
        };
        self.entries[number as usize].live = false;
        self.live -= 1;
        true
    }

    /// Gives back the memory that growing left unused, after many ideas were added at once.
    pub fn shrink_to_fit(&mut self) {
        self.docs.shrink_to_fit();
        self.entries.shrink_to_fit();
        self.by_id.shrink_to_fit();
    }

    /// The heap memory the index holds, in bytes (term strings and map overheads estimated).
    pub fn heap_bytes(&self) -> usize {
        let titles: usize = self.entries.iter().map(|e| e.title.len()).sum();
        self.docs.heap_bytes()
            + self.entries.capacity() * std::mem::size_of::<Entry>()
            + titles
            + self.by_id.capacity() * (std::mem::size_of::<(Uuid, u32)>() + 1)
            + self.terms.heap_bytes()
    }

    /// How many postings the index holds.
    pub fn posting_count(&self) -> usize {
        self.docs.posting_count()
    }

    /// How many ideas can be found.
    pub fn len(&self) -> usize {
        self.live
    }

    /// The ideas most like `query`, best first, with a calibrated score of at least `min_score`.
    pub fn similar(&self, query: &Query, limit: usize, min_score: f32) -> Vec<SimilarIdea> {
        if self.live == 0 {
            return Vec::new();
        }
        let (scorer, candidates, scored) = self.best(query, limit, min_score);
        scored
            .into_iter()
            .map(|(doc, score)| {
                let entry = &self.entries[doc as usize];
                SimilarIdea {
                    id: entry.id,
                    title: entry.title.to_string(),
                    score: super::calibrate(score),
                    reasons: scorer.explain_candidate(&candidates, doc, 4),
                }
            })
            .collect()
    }

    /// As [`IdeaIndex::similar`], the ids and calibrated scores only.
    pub fn similar_ids(&self, query: &Query, limit: usize, min_score: f32) -> Vec<(Uuid, f32)> {
        if self.live == 0 {
            return Vec::new();
        }
        let (_, _, scored) = self.best(query, limit, min_score);
        scored
            .into_iter()
            .map(|(doc, score)| (self.entries[doc as usize].id, super::calibrate(score)))
            .collect()
    }

    /// The scorer of `query`, the candidates it scored, and the `limit` best live ideas among
    /// them with their raw scores.
    fn best<'a>(
        &'a self,
        query: &'a Query,
        limit: usize,
        min_score: f32,
    ) -> (Scorer<'a>, Candidates, Vec<(u32, f32)>) {
        // Removed ideas keep their postings until the index is rebuilt, so they count in the
        // collection's size as in the words' document frequencies.
        let documents = self.docs.len().max(1);
        let scorer = Scorer::new(
            query,
            TermIds::Of(&self.terms),
            &self.docs,
            |term| idf(documents, self.docs.document_frequency(term)),
            idf(documents, 0),
        );
        let scorer = scorer.strongest(super::STRONGEST_TERMS);
        let least = super::uncalibrate(min_score);
        let candidates = scorer.candidates(super::CANDIDATE_WORDS, CANDIDATE_POOL);
        let mut scored: Vec<(u32, f32)> = candidates
            .scores
            .iter()
            .copied()
            .filter(|(doc, score)| {
                *score >= least
                    && super::calibrate(*score) >= min_score
                    && self.entries[*doc as usize].live
            })
            .collect();
        super::top(&mut scored, limit);
        (scorer, candidates, scored)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use uuid::Uuid;

    use super::CANDIDATE_POOL;
    use crate::domain::{Catalog, IdeaText};
    use crate::matching::{Matcher, Query};

    /// Candidates are scored from what scoring them found, not looked up again: their scores
    /// and reasons must be exactly those of scoring every published idea.
    #[test]
    fn candidates_score_and_explain_as_a_full_scoring_does() {
        let matcher = Matcher::new(&Catalog::default(), 0.0);
        let words = [
            "affald",
            "genbrug",
            "cykler",
            "parken",
            "bænke",
            "lys",
            "stien",
            "tyveri",
            "naboer",
            "haven",
            "skolen",
            "musik",
            "løb",
            "hunde",
            "træer",
            "biblioteket",
            "waste",
            "recycling",
            "bikes",
            "lights",
        ];
        let pick = |seed: usize, count: usize| -> String {
            (0..count)
                .map(|k| words[(seed * 7 + k * (seed % 5 + 1)) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
        };
        let ideas: Vec<(Uuid, IdeaText)> = (0..4 * CANDIDATE_POOL)
            .map(|i| {
                let idea =
                    json!({"title": pick(i, 2), "answers": {"problem": pick(i + 3, 4 + i % 9)}});
                (Uuid::now_v7(), IdeaText::parse(&idea).unwrap())
            })
            .collect();
        let refs: Vec<(Uuid, &IdeaText)> = ideas.iter().map(|(id, idea)| (*id, idea)).collect();
        matcher.add_ideas(&refs);

        let catalog = matcher.current_catalog();
        let vocabulary = catalog.vocabulary(matcher.lexicon);
        let index = matcher.ideas.read().unwrap();
        for seed in 0..20 {
            let idea = json!({"title": pick(seed, 3), "answers": {"problem": pick(seed + 11, 6)}});
            let idea = IdeaText::parse(&idea).unwrap();
            let query = Query::build(&catalog.words, &idea, &matcher.analyzer, &vocabulary);
            let (scorer, candidates, _) = index.best(&query, 5, 0.0);
            assert_eq!(candidates.scores.len(), CANDIDATE_POOL, "the pool is full");
            let full: std::collections::HashMap<u32, f32> = scorer.scores().into_iter().collect();
            for (doc, score) in &candidates.scores {
                assert!(
                    (score - full[doc]).abs() < 1e-6,
                    "{score} against {}",
                    full[doc]
                );
                assert_eq!(
                    scorer.explain_candidate(&candidates, *doc, 4),
                    scorer.explain(*doc, 4)
                );
            }
        }
    }
}
