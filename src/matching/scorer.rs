//! BM25F scoring of a query against one collection, calibrated to 0..1, with the evidence.
//!
//! A document's score is the share of the query's information it explains: each query word
//! contributes its weight × the IDF of its best alternative × BM25's saturated frequency in
//! the document (0..1), and the sum is divided by what a document holding every word would
//! get. Words the collection has never seen count in that ideal at a fraction of their IDF, so
//! an idea about things the catalog does not cover scores low. The score is thus a proportion,
//! comparable across catalogs of any size, which is what lets one routing threshold serve all.

use std::cell::RefCell;
use std::rc::Rc;

use super::explain::Reason;
use super::index::{Bm25Index, Terms};
use super::query::{Alternative, Query, QueryTerm, Via};

/// How much a word unknown to the collection counts in the ideal, against a known word.
const UNKNOWN_SHARE: f32 = 0.35;
/// Synonyms and translations bridge words a collection lacks; for a word it has, they mostly
/// add other senses, so they count this much less.
const KNOWN_WORD_EXPANSION: f32 = 0.3;
/// Least weight of a word's alternative, as a share of the word's strongest alternative.
const ALTERNATIVE_MIN_SHARE: f32 = 0.2;
/// Least weight of an alternative that gathers candidates in [`Scorer::candidates`], as a
/// share of the word's strongest alternative.
const CANDIDATE_ALTERNATIVE_SHARE: f32 = 0.5;

/// In [`Scorer::candidates`], a word's postings are read through, rather than searched for
/// each candidate, when they are at most this many times as many as the candidates.
const READ_THROUGH_SHARE: usize = 4;
/// No alternative of the word is in the document.
const NO_ALTERNATIVE: u32 = u32::MAX;

/// The documents [`Scorer::candidates`] picked, scored on every word.
#[derive(Default)]
pub struct Candidates {
    /// (document, score), in document order.
    pub scores: Vec<(u32, f32)>,
    /// For each resolved word and candidate (a row per word, in the order of the scorer's
    /// words; a column per candidate, in the order of `scores`): the word's best contribution
    /// and which of its alternatives made it; empty when every document was scored at once.
    evidence: Vec<(f32, u32)>,
}

/// Per-document accumulators, reused by the queries of one thread: zeroed again as they are
/// read, so that a query pays for the documents it touches, not for the collection's size.
#[derive(Default)]
struct Scratch {
    totals: Vec<f32>,
    touched: Vec<u32>,
    /// A word's best contribution and alternative per document, while the word is scored.
    best: Vec<(f32, u32)>,
    best_touched: Vec<u32>,
}

impl Scratch {
    fn prepare(&mut self, documents: usize) {
        if self.totals.len() < documents {
            self.totals.resize(documents, 0.0);
            self.best.resize(documents, (0.0, 0));
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// A query word that meets the collection: its alternatives are
/// `alternatives[start..end]` of the scorer.
#[derive(Clone, Copy)]
struct Resolved<'q> {
    term: &'q QueryTerm,
    start: u32,
    end: u32,
    /// The weight of the strongest alternative.
    best: f32,
}

/// Term id, weight × IDF, and the alternative.
type Resolution<'q> = (u32, f32, &'q Alternative);

/// Where a collection's term ids come from.
#[derive(Clone, Copy)]
pub enum TermIds<'t> {
    /// The catalog's terms, which the query's words carry already. The IDF given with them
    /// must be the catalog's: each word keeps what it resolved to.
    Catalog,
    /// These terms, looked up.
    Of(&'t Terms),
}

/// A query word's alternatives that meet a collection, resolved once for every query against
/// a collection that does not change (the catalog's).
#[derive(Debug)]
pub struct WordResolution {
    /// (term id, weight × IDF, position among the word's alternatives).
    alternatives: Box<[(u32, f32, u32)]>,
    /// The weight of the strongest.
    best: f32,
}

/// Appends to `found` the alternatives of a word that meet a collection, whose term ids `ids`
/// gives (by position) and whose IDF is `idf`: (term id, weight × IDF, position). Returns the
/// weight of the strongest; alternatives far weaker than it are left out.
fn resolve_word(
    alternatives: &[Alternative],
    ids: impl Fn(usize) -> Option<u32>,
    idf: impl Fn(u32) -> f32,
    found: &mut Vec<(u32, f32, u32)>,
) -> f32 {
    let known = ids(0).is_some();
    let start = found.len();
    found.extend(
        alternatives
            .iter()
            .enumerate()
            .filter_map(|(i, alternative)| {
                let id = ids(i)?;
                let adjust = match alternative.via {
                    Via::Synonym(_) | Via::Translation(_) if known => KNOWN_WORD_EXPANSION,
                    _ => 1.0,
                };
                let at = u32::try_from(i).expect("fewer than 2^32 alternatives");
                Some((id, alternative.weight * adjust * idf(id), at))
            }),
    );
    let best = found[start..]
        .iter()
        .map(|(_, w, _)| *w)
        .fold(0.0, f32::max);
    // An alternative far weaker than the word's best is mostly a common word (a short
    // compound part, a broad synonym): it moves scores little and costs the most.
    let mut kept = start;
    for i in start..found.len() {
        if found[i].1 >= ALTERNATIVE_MIN_SHARE * best {
            found.swap(kept, i);
            kept += 1;
        }
    }
    found.truncate(kept);
    best
}

/// A query resolved against one collection.
pub struct Scorer<'a> {
    index: &'a Bm25Index,
    resolved: Vec<Resolved<'a>>,
    /// The alternatives of every resolved word, shared by the scorers of collections with the
    /// same terms and IDF.
    alternatives: Rc<[Resolution<'a>]>,
    ideal: f32,
}

impl<'a> Scorer<'a> {
    /// Resolves `query` against `index`, whose terms are `terms` and whose IDF is `idf`.
    pub fn new(
        query: &'a Query,
        terms: TermIds<'_>,
        index: &'a Bm25Index,
        idf: impl Fn(u32) -> f32,
        unknown_idf: f32,
    ) -> Self {
        let mut ideal = 0.0;
        let mut resolved = Vec::with_capacity(query.terms.len());
        let mut alternatives: Vec<Resolution<'a>> = Vec::with_capacity(4 * query.terms.len());
        let mut looked_up = Vec::new();
        for term in &query.terms {
            // Against the catalog, a word resolves the same way for every query: once.
            let (found, best) = match terms {
                TermIds::Catalog => {
                    let word = term.catalog_resolution().get_or_init(|| {
                        let mut found = Vec::new();
                        let best = resolve_word(
                            term.alternatives(),
                            |i| term.catalog_ids()[i],
                            &idf,
                            &mut found,
                        );
                        WordResolution {
                            alternatives: found.into(),
                            best,
                        }
                    });
                    (&word.alternatives[..], word.best)
                }
                TermIds::Of(terms) => {
                    looked_up.clear();
                    let best = resolve_word(
                        term.alternatives(),
                        |i| terms.get(&term.alternatives()[i].stem),
                        &idf,
                        &mut looked_up,
                    );
                    (&looked_up[..], best)
                }
            };
            if found.is_empty() {
                ideal += term.weight * unknown_idf * UNKNOWN_SHARE;
                continue;
            }
            ideal += term.weight * best.max(unknown_idf * UNKNOWN_SHARE);
            let span = |at: usize| u32::try_from(at).expect("fewer than 2^32 alternatives");
            let start = span(alternatives.len());
            alternatives.extend(
                found
                    .iter()
                    .map(|(id, weight, at)| (*id, *weight, &term.alternatives()[*at as usize])),
            );
            resolved.push(Resolved {
                term,
                start,
                end: span(alternatives.len()),
                best,
            });
        }
        Self {
            index,
            resolved,
            alternatives: alternatives.into(),
            ideal,
        }
    }

    /// The same query against another collection of the same terms and IDF (the catalog's
    /// networks, initiatives and beacons), resolved once.
    pub fn on(&self, index: &'a Bm25Index) -> Self {
        Self {
            index,
            resolved: self.resolved.clone(),
            alternatives: self.alternatives.clone(),
            ideal: self.ideal,
        }
    }

    /// The alternatives of a resolved word.
    fn alternatives_of(&self, resolved: &Resolved<'a>) -> &[Resolution<'a>] {
        &self.alternatives[resolved.start as usize..resolved.end as usize]
    }

    /// Scores with only the `count` query words that can contribute most (weight × IDF),
    /// dropping the common words whose long postings cost the most and weigh the least. The
    /// ideal keeps every word, so scores stay comparable.
    pub fn strongest(mut self, count: usize) -> Self {
        let potential = |r: &Resolved<'_>| r.term.weight * r.best;
        self.resolved
            .sort_by(|a, b| potential(b).total_cmp(&potential(a)));
        self.resolved.truncate(count);
        self
    }

    /// Every document that meets the query, with its score in 0..1, in no particular order.
    pub fn scores(&self) -> Vec<(u32, f32)> {
        self.accumulate(|_, _, _, _| {})
    }

    /// The documents of a large collection most likely to score best, scored exactly, for
    /// the caller to filter and rank (in a collection of at most `pool` documents, all that
    /// meet the query): the `words` strongest query words (with their strong
    /// alternatives) gather candidates, whose partial sums pick the `pool` most promising, and
    /// only these are scored on every word. A document that none of the strongest words
    /// reaches cannot be much like the query, and the exact score keeps results comparable
    /// with [`Scorer::scores`]. Call after [`Scorer::strongest`], which orders the words.
    pub fn candidates(&self, words: usize, pool: usize) -> Candidates {
        if self.ideal <= 0.0 || self.index.is_empty() || pool == 0 {
            return Candidates::default();
        }
        if self.index.len() <= pool {
            return self.every_candidate();
        }
        let partial = SCRATCH.with_borrow_mut(|scratch| {
            scratch.prepare(self.index.len());
            let Scratch {
                totals, touched, ..
            } = scratch;
            for resolved in self.resolved.iter().take(words) {
                let best = resolved.best;
                let scale = resolved.term.weight / self.ideal;
                for (id, weight, _) in self.alternatives_of(resolved) {
                    if *weight < CANDIDATE_ALTERNATIVE_SHARE * best {
                        continue;
                    }
                    for (doc, frequency) in self.index.postings(*id).iter() {
                        let total = &mut totals[doc as usize];
                        if *total == 0.0 {
                            touched.push(doc);
                        }
                        *total += scale * weight * self.index.saturation(doc, frequency);
                    }
                }
            }
            super::top_of(
                touched
                    .drain(..)
                    .map(|doc| (doc, std::mem::take(&mut totals[doc as usize]))),
                pool,
            )
        });
        self.exact(partial)
    }

    /// Every document that meets the query, scored, with what each word found in it: for a
    /// collection small enough to score whole.
    fn every_candidate(&self) -> Candidates {
        let documents = self.index.len();
        // Word-major by document number while scoring...
        let mut found = vec![(0.0f32, NO_ALTERNATIVE); documents * self.resolved.len()];
        let mut scores = self.accumulate(|doc, value, term, alternative| {
            found[term * documents + doc as usize] = (value, alternative as u32);
        });
        // ...then by position among the candidates, as `exact` keeps it.
        scores.sort_unstable_by_key(|(doc, _)| *doc);
        let evidence = found
            .chunks_exact(documents.max(1))
            .flat_map(|row| scores.iter().map(|(doc, _)| row[*doc as usize]))
            .collect();
        Candidates { scores, evidence }
    }

    /// Scores `docs` on every word, keeping each word's best alternative in each. A word's
    /// postings are read through once when that costs less than looking the documents up in
    /// them one by one.
    fn exact(&self, mut docs: Vec<(u32, f32)>) -> Candidates {
        docs.sort_unstable_by_key(|(doc, _)| *doc);
        let mut evidence = vec![(0.0f32, NO_ALTERNATIVE); docs.len() * self.resolved.len()];
        let mut exact = vec![0.0f32; docs.len()];
        for (resolved, best) in self
            .resolved
            .iter()
            .zip(evidence.chunks_exact_mut(docs.len().max(1)))
        {
            for (alternative, (id, weight, _)) in self.alternatives_of(resolved).iter().enumerate()
            {
                let postings = self.index.postings(*id);
                let note = |best: &mut (f32, u32), doc: u32, frequency: f32| {
                    let value = weight * self.index.saturation(doc, frequency);
                    // The later alternative wins a tie, as in `explain`.
                    if value >= best.0 {
                        *best = (value, alternative as u32);
                    }
                };
                if postings.len() <= READ_THROUGH_SHARE * docs.len() {
                    let mut at = 0;
                    for (doc, frequency) in postings.iter() {
                        while at < docs.len() && docs[at].0 < doc {
                            at += 1;
                        }
                        if at == docs.len() {
                            break;
                        }
                        if docs[at].0 == doc {
                            note(&mut best[at], doc, frequency);
                        }
                    }
                } else {
                    let mut cursor = postings.cursor();
                    for ((doc, _), best) in docs.iter().zip(best.iter_mut()) {
                        let frequency = cursor.seek(*doc);
                        if frequency > 0.0 {
                            note(best, *doc, frequency);
                        }
                    }
                }
            }
            let scale = resolved.term.weight / self.ideal;
            for (exact, (best, _)) in exact.iter_mut().zip(best.iter()) {
                *exact += scale * best;
            }
        }
        for ((_, score), exact) in docs.iter_mut().zip(exact) {
            *score = exact;
        }
        Candidates {
            scores: docs,
            evidence,
        }
    }

    /// As [`Scorer::explain`] for one of `candidates`, from what scoring them found.
    pub fn explain_candidate(
        &self,
        candidates: &Candidates,
        doc: u32,
        limit: usize,
    ) -> Vec<Reason> {
        // Without evidence, the scores are in no particular order and the postings tell.
        let at = if candidates.evidence.is_empty() {
            None
        } else {
            candidates
                .scores
                .binary_search_by_key(&doc, |(d, _)| *d)
                .ok()
        };
        let Some(at) = at else {
            return self.explain(doc, limit);
        };
        let found = candidates
            .evidence
            .chunks_exact(candidates.scores.len())
            .map(|best| &best[at]);
        self.strongest_reasons(
            self.resolved
                .iter()
                .zip(found)
                .filter(|(_, (_, alternative))| *alternative != NO_ALTERNATIVE)
                .map(|(resolved, (value, alternative))| {
                    (
                        resolved.term.weight * value,
                        resolved.term,
                        self.alternatives_of(resolved)[*alternative as usize].2,
                    )
                })
                .collect(),
            limit,
        )
    }

    /// As [`Scorer::scores`], with each document's strongest `limit` reasons, gathered in the
    /// same pass: for small collections (networks, beacons) whose every entry is explained.
    pub fn scores_with_reasons(&self, limit: usize) -> Vec<(u32, f32, Vec<Reason>)> {
        let mut evidence: Vec<Vec<(f32, usize, usize)>> = vec![Vec::new(); self.index.len()];
        let scores = self.accumulate(|doc, value, term, alternative| {
            let weighed = self.resolved[term].term.weight * value;
            evidence[doc as usize].push((weighed, term, alternative));
        });
        scores
            .into_iter()
            .map(|(doc, score)| {
                let found = &mut evidence[doc as usize];
                found.sort_by(|a, b| b.0.total_cmp(&a.0));
                let reasons = found
                    .iter()
                    .take(limit)
                    .map(|(_, term, alternative)| {
                        let resolved = &self.resolved[*term];
                        reason(
                            resolved.term,
                            self.alternatives_of(resolved)[*alternative].2,
                        )
                    })
                    .collect();
                (doc, score, reasons)
            })
            .collect()
    }

    /// Sums each query word's best contribution per document, in dense arrays kept from query
    /// to query (a query touches many documents of a large collection, and an array slot is
    /// far cheaper than a hash-map entry), telling `note` each (document, contribution, word,
    /// alternative): the contribution as `exact` keeps it, before the word's weight.
    fn accumulate(&self, mut note: impl FnMut(u32, f32, usize, usize)) -> Vec<(u32, f32)> {
        if self.ideal <= 0.0 || self.index.is_empty() {
            return Vec::new();
        }
        SCRATCH.with_borrow_mut(|scratch| {
            scratch.prepare(self.index.len());
            let Scratch {
                totals,
                touched,
                best,
                best_touched,
            } = scratch;
            for (term, resolved) in self.resolved.iter().enumerate() {
                let scale = resolved.term.weight / self.ideal;
                let alternatives = self.alternatives_of(resolved);
                if let [(id, weight, _)] = alternatives {
                    // One way to meet the word: straight into the totals.
                    for (doc, frequency) in self.index.postings(*id).iter() {
                        let value = weight * self.index.saturation(doc, frequency);
                        let total = &mut totals[doc as usize];
                        if *total == 0.0 {
                            touched.push(doc);
                        }
                        *total += scale * value;
                        note(doc, value, term, 0);
                    }
                    continue;
                }
                for (alternative, (id, weight, _)) in alternatives.iter().enumerate() {
                    for (doc, frequency) in self.index.postings(*id).iter() {
                        let value = weight * self.index.saturation(doc, frequency);
                        let slot = &mut best[doc as usize];
                        if slot.0 == 0.0 {
                            best_touched.push(doc);
                        }
                        // The later alternative wins a tie, as in `explain`.
                        if value >= slot.0 {
                            *slot = (value, alternative as u32);
                        }
                    }
                }
                for doc in best_touched.drain(..) {
                    let (value, alternative) = std::mem::take(&mut best[doc as usize]);
                    let total = &mut totals[doc as usize];
                    if *total == 0.0 {
                        touched.push(doc);
                    }
                    *total += scale * value;
                    note(doc, value, term, alternative as usize);
                }
            }
            touched
                .drain(..)
                .map(|doc| (doc, std::mem::take(&mut totals[doc as usize])))
                .collect()
        })
    }

    /// The words that placed `doc`, strongest first, at most `limit`.
    pub fn explain(&self, doc: u32, limit: usize) -> Vec<Reason> {
        // Reasons are built for the strongest words only; the rest are compared as numbers.
        let contributions: Vec<(f32, &QueryTerm, &Alternative)> = self
            .resolved
            .iter()
            .filter_map(|resolved| {
                self.alternatives_of(resolved)
                    .iter()
                    .filter_map(|(id, weight, alternative)| {
                        let frequency = self.index.frequency(doc, *id);
                        (frequency > 0.0)
                            .then(|| (weight * self.index.saturation(doc, frequency), *alternative))
                    })
                    .max_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(value, alternative)| {
                        (resolved.term.weight * value, resolved.term, alternative)
                    })
            })
            .collect();
        self.strongest_reasons(contributions, limit)
    }

    /// The reasons of the `limit` strongest (contribution, word, alternative).
    fn strongest_reasons(
        &self,
        mut contributions: Vec<(f32, &QueryTerm, &Alternative)>,
        limit: usize,
    ) -> Vec<Reason> {
        let order = |a: &(f32, &QueryTerm, &Alternative), b: &(f32, &QueryTerm, &Alternative)| {
            b.0.total_cmp(&a.0)
        };
        if contributions.len() > limit && limit > 0 {
            contributions.select_nth_unstable_by(limit - 1, order);
        }
        contributions.truncate(limit);
        contributions.sort_by(order);
        contributions
            .into_iter()
            .map(|(_, term, alternative)| reason(term, alternative))
            .collect()
    }
}

fn reason(term: &QueryTerm, alternative: &Alternative) -> Reason {
    let field = term.field.to_owned();
    let word = term.word().to_owned();
    match &alternative.via {
        Via::Exact => Reason::Term { term: word, field },
        Via::Part => Reason::Compound {
            term: word,
            part: alternative.stem.clone(),
            field,
        },
        Via::Synonym(via) => Reason::Synonym {
            term: word,
            via: via.clone(),
            field,
        },
        Via::Translation(via) => Reason::Translation {
            term: word,
            via: via.clone(),
            field,
        },
    }
}
