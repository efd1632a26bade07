//! The index of one catalog: a profile per network (its own texts and those of its
//! initiatives), the initiatives and the beacons, with one IDF over every catalog entry.

use std::collections::HashSet;

use super::analyzer::{Analyzer, NoVocabulary, Token, Vocabulary};
use super::index::{Bm25Index, DocBuilder, Terms, idf};
use super::lexicon::Lexicon;
use super::names::{NameIndex, NameMatcher};
use super::query::Query;
use super::scorer::{Scorer, TermIds};
use super::words::WordCache;
use crate::domain::{Catalog, Initiative, Language, LocalizedText, Network};

/// The words a catalog and the lexicon know, for folding and compound splitting.
pub struct CatalogVocabulary<'a> {
    pub(super) terms: &'a Terms,
    pub(super) lexicon: &'a Lexicon,
}

impl Vocabulary for CatalogVocabulary<'_> {
    fn knows(&self, stem: &str) -> bool {
        self.terms.contains(stem) || self.lexicon.knows_danish(stem)
    }
}

/// What matching needs to know of a network besides its text.
pub struct NetworkEntry {
    /// Slug.
    pub slug: String,
    /// Display name.
    pub name: LocalizedText,
    /// Postcodes and place names, simplified for comparison.
    pub areas: HashSet<String>,
    /// Recognises the network's name in free text.
    pub names: NameMatcher,
}

/// What matching needs to know of an initiative besides its text.
pub struct InitiativeEntry {
    /// Slug.
    pub slug: String,
    /// Title.
    pub title: LocalizedText,
    /// Recognises the initiative's title in free text, even misspelt.
    pub names: NameMatcher,
}

/// What matching needs to know of a beacon besides its text.
pub struct BeaconEntry {
    /// Slug.
    pub slug: String,
    /// Display name.
    pub name: LocalizedText,
}

/// A searchable catalog.
pub struct CatalogIndex {
    /// Interned stems of the catalog.
    pub terms: Terms,
    idf: Vec<f32>,
    /// IDF of a stem the catalog does not hold.
    pub unknown_idf: f32,
    /// Networks, in catalog order.
    pub networks: Vec<NetworkEntry>,
    /// One profile document per network.
    pub network_docs: Bm25Index,
    /// Initiatives.
    pub initiatives: Vec<InitiativeEntry>,
    /// One document per initiative.
    pub initiative_docs: Bm25Index,
    /// The position in `networks` of each initiative's network, apart from the entries: read
    /// for every scored initiative, so kept small and dense.
    initiative_networks: Vec<u32>,
    /// Beacons.
    pub beacons: Vec<BeaconEntry>,
    /// One document per beacon.
    pub beacon_docs: Bm25Index,
    /// Words analysed against this catalog's vocabulary.
    pub words: WordCache,
    /// The networks' names, by their words.
    pub network_names: NameIndex,
    /// The initiatives' titles, by their words.
    pub initiative_names: NameIndex,
    /// The initiatives as `GET /v1/initiatives` lists them: by slug.
    pub listed: Vec<Initiative>,
    /// The networks as `GET /v1/networks` lists them: in catalog order.
    pub listed_networks: Vec<Network>,
}

/// Analyses localized texts with the analyzer of each language.
struct TextAnalyzer<'a> {
    analyzer: &'a Analyzer,
    vocabulary: &'a dyn Vocabulary,
}

impl TextAnalyzer<'_> {
    fn localized(&self, text: &LocalizedText) -> Vec<Token> {
        let mut tokens = Vec::new();
        if let Some(da) = &text.da {
            tokens.extend(self.analyzer.analyze(da, Language::Da, self.vocabulary));
        }
        if let Some(en) = &text.en {
            tokens.extend(self.analyzer.analyze(en, Language::En, self.vocabulary));
        }
        tokens
    }

    /// Words of unknown language (keywords, tags, places): analysed as Danish, plus the
    /// English stems that differ.
    fn words(&self, words: &[String]) -> Vec<Token> {
        let mut tokens = Vec::new();
        for word in words {
            let danish = self.analyzer.analyze(word, Language::Da, self.vocabulary);
            let english = self.analyzer.analyze(word, Language::En, self.vocabulary);
            for token in english {
                if !danish.iter().any(|d| d.stem == token.stem) {
                    tokens.push(token);
                }
            }
            tokens.extend(danish);
        }
        tokens
    }
}

impl CatalogIndex {
    /// Indexes a catalog.
    pub fn build(catalog: &Catalog, analyzer: &Analyzer, lexicon: &Lexicon) -> Self {
        // First the catalog's own stems, so that compounds can be split against them.
        let mut known = Terms::default();
        {
            let plain = TextAnalyzer {
                analyzer,
                vocabulary: &NoVocabulary,
            };
            let mut note = |tokens: Vec<Token>| {
                for token in tokens {
                    known.intern(&token.stem);
                }
            };
            for network in &catalog.networks {
                note(plain.localized(&network.name));
                note(plain.localized(&network.description));
                note(plain.words(&network.keywords));
            }
            for initiative in &catalog.initiatives {
                note(plain.localized(&initiative.title));
                note(plain.localized(&initiative.description));
                note(plain.words(&initiative.tags));
            }
            for beacon in &catalog.beacons {
                note(plain.localized(&beacon.name));
                note(plain.localized(&beacon.description));
            }
        }
        let vocabulary = CatalogVocabulary {
            terms: &known,
            lexicon,
        };
        let text = TextAnalyzer {
            analyzer,
            vocabulary: &vocabulary,
        };

        let mut terms = Terms::default();
        let mut units = Bm25Index::default();
        let mut network_docs: Vec<DocBuilder> = catalog
            .networks
            .iter()
            .map(|_| DocBuilder::default())
            .collect();
        let mut networks = Vec::new();
        for (network, doc) in catalog.networks.iter().zip(network_docs.iter_mut()) {
            let name = text.localized(&network.name);
            let keywords = text.words(&network.keywords);
            let description = text.localized(&network.description);
            let mut unit = DocBuilder::default();
            for (tokens, profile_weight, unit_weight) in [
                (&name, 3.0, 3.0),
                (&keywords, 3.0, 2.0),
                (&description, 2.0, 1.0),
            ] {
                doc.add(&mut terms, tokens, profile_weight);
                unit.add(&mut terms, tokens, unit_weight);
            }
            doc.add(&mut terms, &text.words(&network.areas), 0.5);
            units.push(unit);
            networks.push(NetworkEntry {
                slug: network.slug.clone(),
                name: network.name.clone(),
                areas: network
                    .areas
                    .iter()
                    .map(|a| NameMatcher::simplify(a))
                    .collect(),
                names: NameMatcher::new(analyzer, [&network.name.da, &network.name.en]),
            });
        }

        let mut initiative_docs = Bm25Index::default();
        let mut initiatives = Vec::new();
        let mut initiative_networks = Vec::new();
        for initiative in &catalog.initiatives {
            let Some(network) = networks.iter().position(|n| n.slug == initiative.network) else {
                continue;
            };
            let title = text.localized(&initiative.title);
            let tags = text.words(&initiative.tags);
            let description = text.localized(&initiative.description);
            let place = text.words(initiative.place.as_slice());
            let profile = &mut network_docs[network];
            profile.add(&mut terms, &title, 1.0);
            profile.add(&mut terms, &tags, 1.0);
            profile.add(&mut terms, &description, 0.5);
            let mut doc = DocBuilder::default();
            doc.add(&mut terms, &title, 3.0);
            doc.add(&mut terms, &tags, 2.0);
            doc.add(&mut terms, &description, 1.0);
            doc.add(&mut terms, &place, 1.0);
            initiative_docs.push(doc);
            initiative_networks.push(u32::try_from(network).expect("fewer than 2^32 networks"));
            let mut unit = DocBuilder::default();
            unit.add(&mut terms, &title, 1.0);
            unit.add(&mut terms, &tags, 1.0);
            unit.add(&mut terms, &description, 1.0);
            units.push(unit);
            initiatives.push(InitiativeEntry {
                slug: initiative.slug.clone(),
                title: initiative.title.clone(),
                names: NameMatcher::new(analyzer, [&initiative.title.da, &initiative.title.en]),
            });
        }

        let mut beacon_docs = Bm25Index::default();
        let mut beacons = Vec::new();
        for beacon in &catalog.beacons {
            let name = text.localized(&beacon.name);
            let description = text.localized(&beacon.description);
            let mut doc = DocBuilder::default();
            doc.add(&mut terms, &name, 3.0);
            doc.add(&mut terms, &description, 1.0);
            beacon_docs.push(doc);
            let mut unit = DocBuilder::default();
            unit.add(&mut terms, &name, 1.0);
            unit.add(&mut terms, &description, 1.0);
            units.push(unit);
            beacons.push(BeaconEntry {
                slug: beacon.slug.clone(),
                name: beacon.name.clone(),
            });
        }

        let mut network_index = Bm25Index::default();
        for doc in network_docs {
            network_index.push(doc);
        }
        let count = units.len();
        let idf_values = terms
            .iter()
            .map(|term| {
                let id = terms.get(term).expect("an interned term");
                idf(count, units.document_frequency(id))
            })
            .collect();
        let network_names = NameIndex::build(networks.iter().map(|n| &n.names));
        let initiative_names = NameIndex::build(initiatives.iter().map(|i| &i.names));
        let mut listed = catalog.initiatives.clone();
        listed.sort_unstable_by(|a, b| a.slug.cmp(&b.slug));
        CatalogIndex {
            terms,
            idf: idf_values,
            unknown_idf: idf(count, 0),
            networks,
            network_docs: network_index,
            initiatives,
            initiative_docs,
            initiative_networks,
            beacons,
            beacon_docs,
            words: WordCache::default(),
            network_names,
            initiative_names,
            listed,
            listed_networks: catalog.networks.clone(),
        }
    }

    /// The position in [`CatalogIndex::networks`] of an initiative's network.
    pub fn network_of(&self, initiative: usize) -> usize {
        self.initiative_networks[initiative] as usize
    }

    /// The IDF of a catalog term.
    pub fn idf(&self, term: u32) -> f32 {
        self.idf
            .get(term as usize)
            .copied()
            .unwrap_or(self.unknown_idf)
    }

    /// A scorer of `query` against one of this catalog's collections, with the catalog's IDF.
    pub fn scorer<'a>(&'a self, query: &'a Query, docs: &'a Bm25Index) -> Scorer<'a> {
        Scorer::new(
            query,
            TermIds::Catalog,
            docs,
            |t| self.idf(t),
            self.unknown_idf,
        )
    }

    /// The words this catalog and `lexicon` know.
    pub fn vocabulary<'a>(&'a self, lexicon: &'a Lexicon) -> CatalogVocabulary<'a> {
        CatalogVocabulary {
            terms: &self.terms,
            lexicon,
        }
    }
}
