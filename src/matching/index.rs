//! Field-weighted BM25 documents over interned terms, with postings for fast scoring and a
//! forward list per document for explaining a score.

use rustc_hash::FxHashMap as HashMap;

use super::analyzer::Token;

/// BM25 saturation.
pub const K1: f32 = 1.2;
/// BM25 length normalisation.
pub const B: f32 = 0.75;
/// How much a compound's part counts against the whole word.
pub const PART_WEIGHT: f32 = 0.5;

/// Interned term strings.
#[derive(Debug, Default, Clone)]
pub struct Terms {
    ids: HashMap<String, u32>,
    strings: Vec<String>,
}

impl Terms {
    /// The id of a term, adding it when new.
    pub fn intern(&mut self, term: &str) -> u32 {
        if let Some(id) = self.ids.get(term) {
            return *id;
        }
        let id = u32::try_from(self.strings.len()).expect("fewer than 2^32 terms");
        self.ids.insert(term.to_owned(), id);
        self.strings.push(term.to_owned());
        id
    }

    /// The id of a known term.
    pub fn get(&self, term: &str) -> Option<u32> {
        self.ids.get(term).copied()
    }

    /// Whether the term is known.
    pub fn contains(&self, term: &str) -> bool {
        self.ids.contains_key(term)
    }

    /// Every known term.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.strings.iter().map(String::as_str)
    }
}

/// The weighted terms of one document, built field by field.
#[derive(Debug, Default)]
pub struct DocBuilder {
    weights: HashMap<u32, f32>,
    length: f32,
}

impl DocBuilder {
    /// Adds the tokens of one field with the field's weight.
    pub fn add(&mut self, terms: &mut Terms, tokens: &[Token], weight: f32) {
        for token in tokens {
            *self.weights.entry(terms.intern(&token.stem)).or_default() += weight;
            for part in &token.parts {
                *self.weights.entry(terms.intern(part)).or_default() += weight * PART_WEIGHT;
            }
            self.length += weight;
        }
    }

    /// Adds one whole term, such as a keyword phrase's stem, with a weight.
    pub fn add_term(&mut self, terms: &mut Terms, term: &str, weight: f32) {
        *self.weights.entry(terms.intern(term)).or_default() += weight;
        self.length += weight;
    }
}

/// A collection of documents of one kind.
#[derive(Debug, Default, Clone)]
pub struct Bm25Index {
    postings: HashMap<u32, Vec<(u32, f32)>>,
    forward: Vec<Vec<(u32, f32)>>,
    lengths: Vec<f32>,
    total_length: f64,
    average_length: f32,
}

impl Bm25Index {
    /// Adds a document; returns its number (documents are numbered in order from 0).
    pub fn push(&mut self, doc: DocBuilder) -> u32 {
        let id = u32::try_from(self.lengths.len()).expect("fewer than 2^32 documents");
        let mut forward: Vec<(u32, f32)> = doc.weights.into_iter().collect();
        forward.sort_unstable_by_key(|(term, _)| *term);
        for (term, weight) in &forward {
            self.postings.entry(*term).or_default().push((id, *weight));
        }
        self.forward.push(forward);
        self.lengths.push(doc.length);
        self.total_length += f64::from(doc.length);
        self.average_length = (self.total_length / self.lengths.len() as f64) as f32;
        id
    }

    /// How many documents there are.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// How many documents hold `term`.
    pub fn document_frequency(&self, term: u32) -> usize {
        self.postings.get(&term).map_or(0, Vec::len)
    }

    /// The documents holding `term`, with its weighted frequency.
    pub fn postings(&self, term: u32) -> &[(u32, f32)] {
        self.postings.get(&term).map_or(&[], Vec::as_slice)
    }

    /// The weighted frequency of `term` in `doc`.
    pub fn frequency(&self, doc: u32, term: u32) -> f32 {
        let forward = &self.forward[doc as usize];
        forward
            .binary_search_by_key(&term, |(t, _)| *t)
            .map_or(0.0, |i| forward[i].1)
    }

    /// BM25's saturated term frequency of `doc`, scaled to 0..1.
    pub fn saturation(&self, doc: u32, frequency: f32) -> f32 {
        if frequency <= 0.0 {
            return 0.0;
        }
        let norm = 1.0 - B + B * self.lengths[doc as usize] / self.average_length.max(f32::EPSILON);
        frequency / (frequency + K1 * norm)
    }
}

/// Robertson–Spärck Jones inverse document frequency, never negative.
pub fn idf(documents: usize, frequency: usize) -> f32 {
    let n = documents as f32;
    let df = frequency as f32;
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}
