//! Matching: routes an idea to the network that should take it, and finds related
//! initiatives, similar ideas and the beacons it serves, each with the evidence that placed it.
//!
//! Pure: no database and no HTTP. Everything it knows about networks comes from the catalog it
//! is given; what it knows of language (stemmers, stop words, compounds, synonyms,
//! translations) is general.

mod analyzer;
mod catalog;
mod explain;
mod index;
mod lessons;
mod lexicon;
mod names;
mod postings;
mod query;
mod scorer;
mod similar;
#[cfg(test)]
mod tests;
mod words;

use std::sync::{Arc, RwLock};

use rustc_hash::FxHashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use analyzer::{Analyzer, Token};
pub use catalog::CatalogIndex;
pub use explain::Reason;
use lessons::{Lessons, Verdict};
pub use lexicon::Lexicon;
use names::{NameIndex, NameMatcher};
pub use query::Query;
use scorer::{Candidates, Scorer};
use similar::{IdeaIndex, Prepared};

use crate::domain::{Catalog, IdeaText, Initiative, Language, LocalizedText, Network};

/// Default of `SAMMEN_ROUTING_MIN_CONFIDENCE`.
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.35;
/// How many initiatives and similar ideas a result holds.
pub const TOP: usize = 5;
/// Least score of a beacon that applies.
const BEACON_MIN: f32 = 0.4;
/// Least score of a similar idea.
const SIMILAR_MIN: f32 = 0.55;
/// Query words scored against the initiatives: the rest are common words whose long postings
/// cost the most and weigh the least.
const STRONGEST_TERMS: usize = 32;
/// The query words that gather candidates in a large collection (initiatives, ideas)...
const CANDIDATE_WORDS: usize = 16;
/// ...and how many initiatives are then scored on every word: the best of each network and
/// the best overall are among them. A catalog this small is scored whole.
const INITIATIVE_CANDIDATES: usize = 256;
/// Evidence items per entry.
const REASONS: usize = 4;

/// Bonus for a network that serves the idea's postcode or place.
const AREA_BONUS: f32 = 0.08;
/// Bonus for a network the idea names among its helpers.
const NAMED_NETWORK_BONUS: f32 = 0.08;
/// Bonus for an initiative the idea names among existing initiatives...
const NAMED_INITIATIVE_BONUS: f32 = 0.5;
/// ...and for that initiative's network.
const NAMED_INITIATIVE_NETWORK_BONUS: f32 = 0.1;
/// How much a network's best-matching initiative weighs in its score, against its profile: an
/// idea that fits one of a network's initiatives well belongs with that network.
const INITIATIVE_EVIDENCE: f32 = 0.5;
/// How much an initiative's network's score lifts the initiative.
const NETWORK_PRIOR: f32 = 0.25;

/// A network in a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct NetworkMatch {
    /// The network's slug.
    pub slug: String,
    /// Its name.
    pub name: LocalizedText,
    /// Confidence, 0..1.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub score: f32,
    /// The evidence.
    pub reasons: Vec<Reason>,
}

/// An initiative in a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct InitiativeMatch {
    /// The initiative's slug.
    pub slug: String,
    /// Its title.
    pub title: LocalizedText,
    /// Its network's slug.
    pub network: String,
    /// Relevance, 0..1.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub score: f32,
    /// The evidence.
    pub reasons: Vec<Reason>,
}

/// A published idea like this one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SimilarIdea {
    /// The idea's id.
    pub id: Uuid,
    /// Its title.
    pub title: String,
    /// Similarity, 0..1.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub score: f32,
    /// The evidence.
    pub reasons: Vec<Reason>,
}

/// A beacon the idea serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BeaconMatch {
    /// The beacon's slug.
    pub slug: String,
    /// Its name.
    pub name: LocalizedText,
    /// Relevance, 0..1.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub score: f32,
}

/// Where an idea belongs, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Matching {
    /// The language of the idea (given, or detected).
    pub language: Language,
    /// The network that should take the idea; null when none is confident enough (triage).
    pub primary_network: Option<String>,
    /// Every network, best first.
    pub networks: Vec<NetworkMatch>,
    /// Related initiatives, best first (at most 5).
    pub initiatives: Vec<InitiativeMatch>,
    /// Similar published ideas, best first (at most 5).
    pub similar_ideas: Vec<SimilarIdea>,
    /// The beacons the idea serves, best first.
    pub beacons: Vec<BeaconMatch>,
}

/// The raw score at which the calibrated score is 1 − 1/e ≈ 0.63.
const CALIBRATION_SCALE: f32 = 0.15;

/// Maps a raw score (the share of the query's information a document explains, plus signal
/// bonuses) onto 0..1, stretching the low range where the decisions are made: raw 0.07 is
/// 0.37, raw 0.15 is 0.63, raw 0.35 is 0.90. Rounded to three decimals.
fn calibrate(raw: f32) -> f32 {
    let calibrated = 1.0 - (-raw.max(0.0) / CALIBRATION_SCALE).exp();
    (calibrated.clamp(0.0, 1.0) * 1000.0).round() / 1000.0
}

/// The least raw score whose calibrated score is `calibrated` (before rounding).
fn uncalibrate(calibrated: f32) -> f32 {
    -CALIBRATION_SCALE * (1.0 - calibrated.clamp(0.0, 0.999)).ln() - 0.001
}

/// The matching engine: the catalog index and the index of published ideas, both replaceable
/// while requests are served.
pub struct Matcher {
    analyzer: Analyzer,
    lexicon: &'static Lexicon,
    catalog: RwLock<Arc<CatalogIndex>>,
    ideas: RwLock<IdeaIndex>,
    lessons: RwLock<Lessons>,
    min_confidence: f32,
}

impl Matcher {
    /// An engine for `catalog`, routing when the best network scores at least `min_confidence`.
    pub fn new(catalog: &Catalog, min_confidence: f32) -> Self {
        let analyzer = Analyzer::new();
        let lexicon = Lexicon::builtin();
        let index = CatalogIndex::build(catalog, &analyzer, lexicon);
        Self {
            analyzer,
            lexicon,
            catalog: RwLock::new(Arc::new(index)),
            ideas: RwLock::new(IdeaIndex::default()),
            lessons: RwLock::new(Lessons::default()),
            min_confidence,
        }
    }

    /// Replaces the catalog; the next match uses it.
    pub fn set_catalog(&self, catalog: &Catalog) {
        let index = Arc::new(CatalogIndex::build(catalog, &self.analyzer, self.lexicon));
        *self.catalog.write().unwrap_or_else(|e| e.into_inner()) = index;
    }

    /// A page of the current catalog's initiatives, by slug: those of `network` (all when
    /// none) after the slug `after`, at most `limit`. The catalog is the one matching uses, so
    /// the list follows every change as routing does, and costs no database read.
    pub fn initiatives_page(
        &self,
        network: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Vec<Initiative> {
        let catalog = self.current_catalog();
        let listed = &catalog.listed;
        let start = after.map_or(0, |after| {
            listed.partition_point(|i| i.slug.as_str() <= after)
        });
        listed[start..]
            .iter()
            .filter(|i| network.is_none_or(|network| i.network == network))
            .take(limit)
            .cloned()
            .collect()
    }

    /// The current catalog's initiative `slug`, as [`Matcher::initiatives_page`] lists it.
    pub fn initiative(&self, slug: &str) -> Option<Initiative> {
        let catalog = self.current_catalog();
        let listed = &catalog.listed;
        listed
            .binary_search_by(|i| i.slug.as_str().cmp(slug))
            .ok()
            .map(|at| listed[at].clone())
    }

    /// The current catalog's networks, in catalog order.
    pub fn networks(&self) -> Vec<Network> {
        self.current_catalog().listed_networks.clone()
    }

    /// The current catalog's network `slug`.
    pub fn network(&self, slug: &str) -> Option<Network> {
        self.current_catalog()
            .listed_networks
            .iter()
            .find(|n| n.slug == slug)
            .cloned()
    }

    fn current_catalog(&self) -> Arc<CatalogIndex> {
        self.catalog
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Makes a published idea findable among similar ideas.
    pub fn add_idea(&self, id: Uuid, idea: &IdeaText) {
        self.add_ideas(&[(id, idea)]);
    }

    /// Makes many published ideas findable, as at start-up: their documents are prepared on
    /// every core, then the ideas enter the index in order under one lock.
    pub fn add_ideas(&self, ideas: &[(Uuid, &IdeaText)]) {
        let identity = self
            .ideas
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .identity();
        let prepared = self.prepare(ideas, identity);
        self.ideas
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert_prepared(
                ideas
                    .iter()
                    .zip(prepared)
                    .map(|((id, idea), prepared)| (*id, idea.title.as_str(), prepared)),
            );
    }

    /// Learns from a decision people made about an idea: it went `toward` a network
    /// (accepted by it, forwarded or routed to it), or `away` from one (declined or passed on
    /// by it). Ideas like it are then routed accordingly, with a `feedback` reason.
    pub fn learn(&self, id: Uuid, idea: &IdeaText, toward: Option<&str>, away: Option<&str>) {
        let (known, identity) = {
            let lessons = self.lessons.read().unwrap_or_else(|e| e.into_inner());
            (lessons.knows(id), lessons.index().identity())
        };
        let prepared = if known {
            Vec::new()
        } else {
            self.prepare(&[(id, idea)], identity)
        };
        let mut lessons = self.lessons.write().unwrap_or_else(|e| e.into_inner());
        lessons.index_mut().insert_prepared(
            prepared
                .into_iter()
                .map(|prepared| (id, idea.title.as_str(), prepared)),
        );
        lessons.note(id, toward, away);
    }

    /// How many decided ideas the router has learnt from.
    pub fn lessons(&self) -> usize {
        self.lessons.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// The prepared documents of ideas for the index `identity`, on every core when there are
    /// many.
    fn prepare(&self, ideas: &[(Uuid, &IdeaText)], identity: u64) -> Vec<Prepared> {
        let catalog = self.current_catalog();
        let vocabulary = catalog.vocabulary(self.lexicon);
        let prepare = |idea: &IdeaText| {
            let language = idea
                .language
                .unwrap_or_else(|| self.analyzer.detect(&idea.answers.problem));
            IdeaIndex::prepare(identity, idea, language, |text, language| {
                catalog
                    .words
                    .analyze(text, language, &self.analyzer, &vocabulary)
            })
        };
        // A few ideas (a submission) are prepared here; asking for the cores reads cgroup
        // files, which costs more than preparing one idea.
        let threads = if ideas.len() < 64 {
            1
        } else {
            std::thread::available_parallelism().map_or(1, usize::from)
        };
        if threads < 2 {
            return ideas.iter().map(|(_, idea)| prepare(idea)).collect();
        }
        let chunk = ideas.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let workers: Vec<_> = ideas
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(|| {
                        part.iter()
                            .map(|(_, idea)| prepare(idea))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|worker| worker.join().expect("preparing does not panic"))
                .collect()
        })
    }

    /// Gives back the memory the similar ideas' index grew into while ideas were added in bulk
    /// (at start-up).
    pub fn compact(&self) {
        self.ideas
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .shrink_to_fit();
    }

    /// Takes an idea out of the similar ideas (hidden, or no longer to be published); whether
    /// it was there.
    pub fn remove_idea(&self, id: Uuid) -> bool {
        self.ideas
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id)
    }

    /// Forgets an erased idea: out of the similar ideas and out of what the router learnt.
    pub fn forget_idea(&self, id: Uuid) {
        self.lessons
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .forget(id);
        self.remove_idea(id);
    }

    /// The heap memory of the similar ideas' index, in bytes, and how many postings it holds.
    pub fn similar_index_size(&self) -> (usize, usize) {
        let ideas = self.ideas.read().unwrap_or_else(|e| e.into_inner());
        (ideas.heap_bytes(), ideas.posting_count())
    }

    /// How many published ideas can be found.
    pub fn published_ideas(&self) -> usize {
        self.ideas.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Matches an idea against the catalog and the published ideas.
    pub fn match_idea(&self, idea: &IdeaText) -> Matching {
        self.match_with_limit(idea, TOP)
    }

    /// As [`Matcher::match_idea`], with up to `limit` initiatives and similar ideas.
    pub fn match_with_limit(&self, idea: &IdeaText, limit: usize) -> Matching {
        let catalog = self.current_catalog();
        let query = Query::build(
            &catalog.words,
            idea,
            &self.analyzer,
            &catalog.vocabulary(self.lexicon),
        );
        let initiatives_named = named(
            &catalog.initiative_names,
            idea.answers.existing_initiatives.as_deref(),
        );
        let networks_named = named(&catalog.network_names, idea.answers.helpers.as_deref());

        // Networks, initiatives and beacons share the catalog's terms and IDF: the query is
        // resolved against them once.
        let network_scorer = catalog.scorer(&query, &catalog.network_docs);
        let initiative_scorer = network_scorer
            .on(&catalog.initiative_docs)
            .strongest(STRONGEST_TERMS);
        let initiative_candidates =
            initiative_scorer.candidates(CANDIDATE_WORDS, INITIATIVE_CANDIDATES);
        let lessons = self.lessons.read().unwrap_or_else(|e| e.into_inner());
        let verdicts = lessons.verdicts(&query);
        let networks = self.rank_networks(
            &catalog,
            &network_scorer,
            &query,
            idea,
            &initiative_candidates.scores,
            &Signals {
                initiatives_named: &initiatives_named,
                networks_named: &networks_named,
                verdicts: &verdicts,
            },
        );
        drop(verdicts);
        drop(lessons);
        // A complaint or a question to a service is for staff to pass on, not for a network.
        let primary_network = networks
            .first()
            .filter(|best| best.score >= self.min_confidence && query.service_request.is_none())
            .map(|best| best.slug.clone());
        let initiatives = rank_initiatives(
            &catalog,
            &initiative_scorer,
            &initiative_candidates,
            &networks,
            &initiatives_named,
            limit,
        );
        let beacons = rank_beacons(&catalog, &network_scorer.on(&catalog.beacon_docs));
        let similar_ideas = self
            .ideas
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .similar(&query, limit, SIMILAR_MIN);
        Matching {
            language: query.language,
            primary_network,
            networks,
            initiatives,
            similar_ideas,
            beacons,
        }
    }

    fn rank_networks(
        &self,
        catalog: &CatalogIndex,
        scorer: &Scorer<'_>,
        query: &Query,
        idea: &IdeaText,
        initiative_scores: &[(u32, f32)],
        signals: &Signals<'_>,
    ) -> Vec<NetworkMatch> {
        let Signals {
            initiatives_named,
            networks_named,
            verdicts,
        } = *signals;
        let mut profile = vec![0.0f32; catalog.networks.len()];
        let mut profile_reasons: Vec<Vec<Reason>> = vec![Vec::new(); catalog.networks.len()];
        for (doc, score, reasons) in scorer.scores_with_reasons(REASONS) {
            profile[doc as usize] = score;
            profile_reasons[doc as usize] = reasons;
        }
        let mut best_initiative = vec![0.0f32; catalog.networks.len()];
        for (doc, score) in initiative_scores {
            let network = catalog.network_of(*doc as usize);
            best_initiative[network] = best_initiative[network].max(*score);
        }
        let mut named_by_network: Vec<Vec<usize>> = vec![Vec::new(); catalog.networks.len()];
        for named in initiatives_named {
            named_by_network[catalog.network_of(*named)].push(*named);
        }
        let location: Vec<String> = idea
            .location
            .iter()
            .flat_map(|l| [l.postcode.as_deref(), l.place.as_deref()])
            .flatten()
            .map(NameMatcher::simplify)
            .collect();
        let mut ranked: Vec<NetworkMatch> = catalog
            .networks
            .iter()
            .enumerate()
            .map(|(i, network)| {
                let mut score = (1.0 - INITIATIVE_EVIDENCE) * profile[i]
                    + INITIATIVE_EVIDENCE * best_initiative[i];
                let mut reasons = Vec::new();
                if let Some(area) = location.iter().find(|value| network.areas.contains(*value)) {
                    score += AREA_BONUS;
                    reasons.push(Reason::Area {
                        value: area.clone(),
                    });
                }
                if networks_named.contains(&i) {
                    score += NAMED_NETWORK_BONUS;
                    reasons.push(Reason::NamedNetwork {
                        value: network.names.display.clone(),
                    });
                }
                for named in named_by_network[i].iter().take(REASONS) {
                    score += NAMED_INITIATIVE_NETWORK_BONUS;
                    reasons.push(Reason::NamedInitiative {
                        value: catalog.initiatives[*named].names.display.clone(),
                    });
                }
                if let Some(verdict) = verdicts.get(network.slug.as_str()) {
                    score += verdict.bonus();
                    reasons.push(Reason::Feedback {
                        toward: verdict.toward,
                        away: verdict.away,
                    });
                }
                if let Some(cue) = &query.service_request {
                    reasons.insert(0, Reason::ServiceRequest { value: cue.clone() });
                }
                reasons.append(&mut profile_reasons[i]);
                NetworkMatch {
                    slug: network.slug.clone(),
                    name: network.name.clone(),
                    score: calibrate(score),
                    reasons,
                }
            })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
        ranked
    }
}

/// What the structure of an idea and earlier decisions say about the networks, besides text.
struct Signals<'a> {
    /// The initiatives the idea names.
    initiatives_named: &'a [usize],
    /// The networks the idea names among its helpers.
    networks_named: &'a [usize],
    /// What earlier decisions about similar ideas say of each network.
    verdicts: &'a FxHashMap<&'a str, Verdict>,
}

/// Keeps the `limit` best of `scored`, best first (ties by number), without sorting the rest.
pub(crate) fn top(scored: &mut Vec<(u32, f32)>, limit: usize) {
    let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if scored.len() > limit && limit > 0 {
        scored.select_nth_unstable_by(limit - 1, order);
    }
    scored.truncate(limit);
    scored.sort_by(order);
}

/// The `limit` best of many scores, best first, holding at most twice `limit` at a time.
pub(crate) fn top_of(scores: impl Iterator<Item = (u32, f32)>, limit: usize) -> Vec<(u32, f32)> {
    let mut kept = Vec::with_capacity(2 * limit + 1);
    let mut least = f32::NEG_INFINITY;
    for (doc, score) in scores {
        if score < least {
            continue;
        }
        kept.push((doc, score));
        if kept.len() > 2 * limit {
            top(&mut kept, limit);
            least = kept.last().map_or(least, |(_, s)| *s);
        }
    }
    top(&mut kept, limit);
    kept
}

/// Positions of the entries whose name the text holds.
fn named(index: &NameIndex, text: Option<&str>) -> Vec<usize> {
    text.map(|text| index.found_in(&NameMatcher::text_words(text)))
        .unwrap_or_default()
}

fn rank_initiatives(
    catalog: &CatalogIndex,
    scorer: &Scorer<'_>,
    candidates: &Candidates,
    networks: &[NetworkMatch],
    named: &[usize],
    limit: usize,
) -> Vec<InitiativeMatch> {
    // `named` is sorted: each scored initiative looks itself up, and the named ones without a
    // score of their own join with the bonus alone.
    let mut unscored = vec![true; named.len()];
    let mut scores = candidates.scores.clone();
    for (doc, score) in &mut scores {
        if let Ok(i) = named.binary_search(&(*doc as usize)) {
            *score += NAMED_INITIATIVE_BONUS;
            unscored[i] = false;
        }
    }
    scores.extend(
        named
            .iter()
            .zip(unscored)
            .filter(|(_, unscored)| *unscored)
            .map(|(n, _)| (*n as u32, NAMED_INITIATIVE_BONUS)),
    );
    let by_position: Vec<f32> = catalog
        .networks
        .iter()
        .map(|entry| {
            networks
                .iter()
                .find(|n| n.slug == entry.slug)
                .map_or(0.0, |n| n.score)
        })
        .collect();
    let network_score = |i: usize| by_position[i];
    let mut ranked: Vec<(u32, f32)> = scores
        .into_iter()
        .map(|(doc, score)| {
            let network = network_score(catalog.network_of(doc as usize));
            (doc, score + NETWORK_PRIOR * network * score.min(0.2) / 0.2)
        })
        .collect();
    top(&mut ranked, limit);
    ranked
        .into_iter()
        .map(|(doc, score)| {
            let initiative = &catalog.initiatives[doc as usize];
            let mut reasons = Vec::new();
            if named.binary_search(&(doc as usize)).is_ok() {
                reasons.push(Reason::NamedInitiative {
                    value: initiative.names.display.clone(),
                });
            }
            reasons.extend(scorer.explain_candidate(candidates, doc, REASONS));
            InitiativeMatch {
                slug: initiative.slug.clone(),
                title: initiative.title.clone(),
                network: catalog.networks[catalog.network_of(doc as usize)]
                    .slug
                    .clone(),
                score: calibrate(score),
                reasons,
            }
        })
        .collect()
}

fn rank_beacons(catalog: &CatalogIndex, scorer: &Scorer<'_>) -> Vec<BeaconMatch> {
    let mut ranked: Vec<(u32, f32)> = scorer
        .scores()
        .into_iter()
        .filter(|(_, s)| calibrate(*s) >= BEACON_MIN)
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked
        .into_iter()
        .map(|(doc, score)| {
            let beacon = &catalog.beacons[doc as usize];
            BeaconMatch {
                slug: beacon.slug.clone(),
                name: beacon.name.clone(),
                score: calibrate(score),
            }
        })
        .collect()
}
