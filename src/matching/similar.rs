//! Published ideas, searchable for ideas like a new one. Ideas enter as soon as they are
//! stored and leave when hidden or erased.

use rustc_hash::FxHashMap as HashMap;

use uuid::Uuid;

use super::analyzer::Token;
use super::index::{Bm25Index, DocBuilder, Terms, idf};
use super::query::Query;
use super::scorer::Scorer;
use super::{Reason, SimilarIdea};
use crate::domain::{IdeaText, Language};

/// Answer weights in an idea's document: the title and the problem say what it is about.
const DOC_WEIGHTS: [f32; 6] = [2.0, 1.0, 0.5, 0.3, 0.3, 0.3];

struct Entry {
    id: Uuid,
    title: String,
    live: bool,
}

/// The index of published ideas.
#[derive(Default)]
pub struct IdeaIndex {
    terms: Terms,
    docs: Bm25Index,
    entries: Vec<Entry>,
    by_id: HashMap<Uuid, u32>,
    live: usize,
}

impl IdeaIndex {
    /// Adds (or replaces) a published idea.
    pub fn insert(
        &mut self,
        id: Uuid,
        idea: &IdeaText,
        language: Language,
        analyze: impl Fn(&str, Language) -> Vec<Token>,
    ) {
        self.remove(id);
        let answers = &idea.answers;
        let texts = [
            Some(idea.title.as_str()),
            Some(answers.problem.as_str()),
            answers.existing_initiatives.as_deref(),
            answers.motivation.as_deref(),
            answers.helpers.as_deref(),
            answers.new_alliances.as_deref(),
        ];
        let mut doc = DocBuilder::default();
        for (text, weight) in texts.into_iter().zip(DOC_WEIGHTS) {
            if let Some(text) = text {
                doc.add(&mut self.terms, &analyze(text, language), weight);
            }
        }
        let number = self.docs.push(doc);
        self.entries.push(Entry {
            id,
            title: idea.title.clone(),
            live: true,
        });
        self.by_id.insert(id, number);
        self.live += 1;
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

    /// How many ideas can be found.
    pub fn len(&self) -> usize {
        self.live
    }

    /// The ideas most like `query`, best first, with a calibrated score of at least `min_score`.
    pub fn similar(&self, query: &Query, limit: usize, min_score: f32) -> Vec<SimilarIdea> {
        let documents = self.live.max(1);
        let scorer = Scorer::new(
            query,
            &self.terms,
            &self.docs,
            |term| idf(documents, self.docs.document_frequency(term)),
            idf(documents, 0),
        );
        let scorer = scorer.strongest(super::STRONGEST_TERMS);
        let mut scored: Vec<(u32, f32)> = scorer
            .scores()
            .into_iter()
            .filter(|(doc, score)| {
                super::calibrate(*score) >= min_score && self.entries[*doc as usize].live
            })
            .collect();
        super::top(&mut scored, limit);
        scored
            .into_iter()
            .map(|(doc, score)| {
                let entry = &self.entries[doc as usize];
                SimilarIdea {
                    id: entry.id,
                    title: entry.title.clone(),
                    score: super::calibrate(score),
                    reasons: scorer.explain(doc, 4).into_iter().collect::<Vec<Reason>>(),
                }
            })
            .collect()
    }
}
