//! Field-weighted BM25 documents over interned terms, in compact postings.

use rustc_hash::FxHashMap as HashMap;

use super::analyzer::Token;
pub use super::postings::Postings;
use super::words::Key;

/// BM25 saturation.
pub const K1: f32 = 1.2;
/// BM25 length normalisation.
pub const B: f32 = 0.75;
/// How much a compound's part counts against the whole word.
pub const PART_WEIGHT: f32 = 0.5;

/// Interned term strings.
#[derive(Debug, Default, Clone)]
pub struct Terms {
    /// Held in the table when short: a look-up then reads no other memory.
    ids: HashMap<Key, u32>,
    strings: Vec<String>,
}

impl Terms {
    /// The id of a term, adding it when new.
    pub fn intern(&mut self, term: &str) -> u32 {
        if let Some(id) = self.ids.get(term.as_bytes()) {
            return *id;
        }
        let id = u32::try_from(self.strings.len()).expect("fewer than 2^32 terms");
        self.ids.insert(Key::new(term), id);
        self.strings.push(term.to_owned());
        id
    }

    /// The id of a known term.
    pub fn get(&self, term: &str) -> Option<u32> {
        self.ids.get(term.as_bytes()).copied()
    }

    /// Whether the term is known.
    pub fn contains(&self, term: &str) -> bool {
        self.ids.contains_key(term.as_bytes())
    }

    /// The heap memory the terms hold, in bytes (map overhead estimated).
    pub fn heap_bytes(&self) -> usize {
        let text: usize = self.strings.iter().map(String::len).sum();
        let long: usize = self.strings.iter().map(|s| Key::heap_bytes(s)).sum();
        text + long + self.strings.capacity() * 24 + self.ids.capacity() * (Key::SIZE + 4 + 1)
    }

    /// Every known term.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.strings.iter().map(String::as_str)
    }
}

/// The weighted terms of one document, built field by field.
#[derive(Debug, Default)]
pub struct DocBuilder {
    weights: Vec<(u32, f32)>,
    length: f32,
}

impl DocBuilder {
    /// Adds the tokens of one field with the field's weight.
    pub fn add<'t>(
        &mut self,
        terms: &mut Terms,
        tokens: impl IntoIterator<Item = &'t Token>,
        weight: f32,
    ) {
        for token in tokens {
            self.weights.push((terms.intern(&token.stem), weight));
            for part in &token.parts {
                self.weights
                    .push((terms.intern(part), weight * PART_WEIGHT));
            }
            self.length += weight;
        }
    }

    /// Adds one word by the ids of its stem and then its parts, with its field's weight.
    pub fn add_ids(&mut self, ids: &[u32], weight: f32) {
        if let Some((stem, parts)) = ids.split_first() {
            self.weights.push((*stem, weight));
            for part in parts {
                self.weights.push((*part, weight * PART_WEIGHT));
            }
            self.length += weight;
        }
    }

    /// Adds one whole term, such as a keyword phrase's stem, with a weight.
    pub fn add_term(&mut self, terms: &mut Terms, term: &str, weight: f32) {
        self.weights.push((terms.intern(term), weight));
        self.length += weight;
    }

    /// Sorts the terms and sums the weights of each: cheap to do again once done.
    pub fn merge(&mut self) {
        self.weights.sort_unstable_by_key(|(term, _)| *term);
        let mut merged = 0;
        for i in 0..self.weights.len() {
            let (term, weight) = self.weights[i];
            if merged > 0 && self.weights[merged - 1].0 == term {
                self.weights[merged - 1].1 += weight;
            } else {
                self.weights[merged] = (term, weight);
                merged += 1;
            }
        }
        self.weights.truncate(merged);
    }

    /// Each term once, in order, with its summed weight.
    fn into_terms(mut self) -> (Vec<(u32, f32)>, f32) {
        self.merge();
        (self.weights, self.length)
    }
}

/// How far the average document length may drift from the one the length norms were
/// computed with before they are computed again.
const NORM_DRIFT: f32 = 0.01;

/// A collection of documents of one kind.
#[derive(Debug, Default, Clone)]
pub struct Bm25Index {
    /// Indexed by term id.
    postings: Vec<Postings>,
    lengths: Vec<f32>,
    total_length: f64,
    /// BM25's length norm of each document, `K1 × (1 − B + B × length / average)`, kept so
    /// that scoring a posting costs one look-up and one division.
    norms: Vec<f32>,
    /// The average length the norms were computed with.
    norm_average: f32,
}

impl Bm25Index {
    /// Adds a document; returns its number (documents are numbered in order from 0).
    pub fn push(&mut self, doc: DocBuilder) -> u32 {
        self.push_many(vec![doc])
    }

    /// Adds documents in order; returns the number of the first.
    pub fn push_many(&mut self, docs: Vec<DocBuilder>) -> u32 {
        let first = u32::try_from(self.lengths.len()).expect("fewer than 2^32 documents");
        for (i, doc) in docs.into_iter().enumerate() {
            let id = first + u32::try_from(i).expect("fewer than 2^32 documents");
            let (terms, length) = doc.into_terms();
            if let Some((last, _)) = terms.last()
                && *last as usize >= self.postings.len()
            {
                self.postings
                    .resize_with(*last as usize + 1, Postings::default);
            }
            for (term, weight) in terms {
                self.postings[term as usize].push(id, weight);
            }
            self.lengths.push(length);
            self.total_length += f64::from(length);
        }
        let average = (self.total_length / self.lengths.len().max(1) as f64) as f32;
        if (average - self.norm_average).abs() > NORM_DRIFT * self.norm_average {
            self.norm_average = average;
            self.norms = self.lengths.iter().map(|l| self.norm(*l)).collect();
        } else {
            let new: Vec<f32> = self.lengths[self.norms.len()..]
                .iter()
                .map(|l| self.norm(*l))
                .collect();
            self.norms.extend(new);
        }
        first
    }

    fn norm(&self, length: f32) -> f32 {
        K1 * (1.0 - B + B * length / self.norm_average.max(f32::EPSILON))
    }

    /// The heap memory the index holds, in bytes: postings, lengths and norms.
    pub fn heap_bytes(&self) -> usize {
        let postings: usize = self.postings.iter().map(Postings::heap_bytes).sum();
        postings
            + self.postings.capacity() * std::mem::size_of::<Postings>()
            + (self.lengths.capacity() + self.norms.capacity()) * 4
    }

    /// How many postings the index holds.
    pub fn posting_count(&self) -> usize {
        self.postings.iter().map(Postings::len).sum()
    }

    /// Gives back the memory that growing left unused.
    pub fn shrink_to_fit(&mut self) {
        for postings in &mut self.postings {
            postings.shrink_to_fit();
        }
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
        self.postings(term).len()
    }

    /// The documents holding `term`, with its weighted frequency.
    pub fn postings(&self, term: u32) -> &Postings {
        static NONE: Postings = Postings::EMPTY;
        self.postings.get(term as usize).unwrap_or(&NONE)
    }

    /// The weighted frequency of `term` in `doc`.
    pub fn frequency(&self, doc: u32, term: u32) -> f32 {
        self.postings(term).frequency(doc)
    }

    /// BM25's saturated term frequency of `doc`, scaled to 0..1.
    #[inline]
    pub fn saturation(&self, doc: u32, frequency: f32) -> f32 {
        frequency / (frequency + self.norms[doc as usize])
    }
}

/// Robertson–Spärck Jones inverse document frequency, never negative.
pub fn idf(documents: usize, frequency: usize) -> f32 {
    let n = documents as f32;
    let df = frequency as f32;
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}
