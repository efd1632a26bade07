//! An idea turned into weighted query terms, each with the alternatives it may meet: its own
//! stem, the parts of a compound, synonyms and translations.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::ops::Range;
use std::sync::{Arc, LazyLock, OnceLock};

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::analyzer::{Analyzer, LanguageEvidence};
use super::catalog::CatalogVocabulary;
use super::lexicon::{Lexicon, Related};
use super::scorer::WordResolution;
use super::words::{Analysed, WordCache};
use crate::domain::{IdeaText, Language};

/// How much each answer weighs. `problem` says what the idea is; `helpers` and
/// `new_alliances` name partners, who are often not the network that should take the idea.
pub const FIELD_WEIGHTS: [(&str, f32); 6] = [
    ("title", 1.0),
    ("problem", 1.0),
    ("existing_initiatives", 0.5),
    ("motivation", 0.3),
    ("helpers", 0.25),
    ("new_alliances", 0.25),
];

const PART_WEIGHT: f32 = 0.5;
const SYNONYM_WEIGHT: f32 = 0.4;
/// An English word met through its Danish translation: the usual way across languages, as
/// catalogs are mostly Danish.
const TRANSLATION_WEIGHT: f32 = 0.8;
/// A Danish word met through its English translation: only needed for English-only texts,
/// and noisier, as Danish words have many English senses.
const BACK_TRANSLATION_WEIGHT: f32 = 0.4;
/// A synonym of a translation: two hops away.
const TRANSLATED_SYNONYM_WEIGHT: f32 = 0.35;

/// The title and the answers of an idea, in the order of [`FIELD_WEIGHTS`].
pub fn field_texts(idea: &IdeaText) -> [Option<&str>; FIELD_WEIGHTS.len()] {
    let answers = &idea.answers;
    [
        Some(idea.title.as_str()),
        Some(answers.problem.as_str()),
        answers.existing_initiatives.as_deref(),
        answers.motivation.as_deref(),
        answers.helpers.as_deref(),
        answers.new_alliances.as_deref(),
    ]
}

/// How an alternative relates to the idea's word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// The word's own stem.
    Exact,
    /// A part of the compound word.
    Part,
    /// A synonym (the word shown to people).
    Synonym(String),
    /// A translation (the word shown to people).
    Translation(String),
}

/// A term the query may meet in a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Alternative {
    /// The stem to look up.
    pub stem: String,
    /// How much meeting it counts, against meeting the word itself.
    pub weight: f32,
    /// How it relates to the word.
    pub via: Via,
}

/// One distinct word of the idea.
#[derive(Debug, Clone)]
pub struct QueryTerm {
    /// The word, analysed: its stem and what it may meet.
    analysed: Arc<Analysed>,
    /// The answer where it weighs most.
    pub field: &'static str,
    /// Its weight in the query.
    pub weight: f32,
}

impl QueryTerm {
    /// The word as the citizen wrote it (folded).
    pub fn word(&self) -> &str {
        &self.analysed.token.word
    }

    /// What it may meet, its own stem first.
    pub fn alternatives(&self) -> &[Alternative] {
        &self.analysed.alternatives
    }

    /// The id of each alternative among the terms of the catalog the query was analysed for.
    pub fn catalog_ids(&self) -> &[Option<u32>] {
        &self.analysed.catalog_ids
    }

    /// The word resolved against the collections of the catalog the query was analysed for,
    /// once made.
    pub fn catalog_resolution(&self) -> &OnceLock<WordResolution> {
        &self.analysed.catalog
    }
}

impl PartialEq for QueryTerm {
    fn eq(&self, other: &Self) -> bool {
        self.word() == other.word()
            && self.alternatives() == other.alternatives()
            && self.field == other.field
            && self.weight == other.weight
    }
}

/// Words of complaints and of questions to a municipal service: a co-creation idea proposes,
/// a service request reports, asks or complains. General language, no catalog's words.
const SERVICE_WORDS: &[&str] = &[
    "klage",
    "klager",
    "klagen",
    "klagede",
    "klaget",
    "anke",
    "annullere",
    "annulleret",
    "refusion",
    "erstatning",
    "afgift",
    "afgiften",
    "p-afgift",
    "parkeringsafgift",
    "bøde",
    "bøden",
    "gebyr",
    "gebyret",
    "skat",
    "skatten",
    "grundskyld",
    "ejendomsskat",
    "ejendomsvurdering",
    "complain",
    "complaint",
    "complaints",
    "complaining",
    "refund",
    "compensation",
    "tax",
    "taxes",
    "penalty",
];
/// Openings of questions to a service ("when will it be fixed?", "what do I do?").
const SERVICE_QUESTIONS: &[&[&str]] = &[
    &["hvornår", "bliver"],
    &["hvornår", "kommer"],
    &["hvad", "gør", "jeg"],
    &["hvem", "skal", "jeg"],
    &["hvor", "henvender", "jeg"],
    &["who", "do", "i"],
    &["when", "will"],
    &["what", "do", "i", "do"],
    &["how", "do", "i", "apply"],
];

/// An analysed idea.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The language of the idea (given, or detected from its text).
    pub language: Language,
    /// Its distinct words.
    pub terms: Vec<QueryTerm>,
    /// A word or phrase that marks the idea as a complaint or a question to a municipal
    /// service rather than a proposal.
    pub service_request: Option<String>,
}

/// What a word says of a complaint or a question to a municipal service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    /// Nothing.
    None,
    /// One of [`SERVICE_WORDS`] (after folding).
    Service,
    /// The first word of one of [`SERVICE_QUESTIONS`] (after folding).
    OpensQuestion,
}

static SERVICE: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| SERVICE_WORDS.iter().copied().collect());

fn folded(word: &str) -> Cow<'_, str> {
    super::analyzer::fold_digraphs(word).map_or(Cow::Borrowed(word), Cow::Owned)
}

impl Cue {
    /// The cue of a lower-cased word.
    pub fn of(word: &str) -> Cue {
        let word = folded(word);
        if SERVICE.contains(word.as_ref()) {
            Cue::Service
        } else if SERVICE_QUESTIONS.iter().any(|phrase| phrase[0] == word) {
            Cue::OpensQuestion
        } else {
            Cue::None
        }
    }
}

/// The first complaint word or service question among `words` (of the title, then the
/// problem), whose cues are `cues`.
fn service_request(words: &[&str], cues: impl Iterator<Item = Cue> + Clone) -> Option<String> {
    if let Some(at) = cues.clone().position(|cue| cue == Cue::Service) {
        return Some(folded(words[at]).into_owned());
    }
    // Only where a question opens can one be: each phrase is compared there, folding the
    // words that follow as the comparison reaches them.
    let opens: Vec<usize> = cues
        .enumerate()
        .filter(|(_, cue)| *cue == Cue::OpensQuestion)
        .map(|(at, _)| at)
        .collect();
    SERVICE_QUESTIONS.iter().find_map(|phrase| {
        opens.iter().find_map(|&at| {
            let window = words.get(at..at + phrase.len())?;
            window
                .iter()
                .zip(phrase.iter())
                .all(|(w, p)| folded(w) == *p)
                .then(|| phrase.join(" "))
        })
    })
}

/// The words of an idea's answers, each text walked once: lower-cased into one buffer.
#[derive(Default)]
struct FieldWords {
    text: String,
    /// Where in `text` each word is, field after field.
    words: Vec<Range<usize>>,
    /// Where each field's words are in `words` (by position in [`FIELD_WEIGHTS`]).
    fields: [Range<usize>; FIELD_WEIGHTS.len()],
}

impl FieldWords {
    fn read(fields: &[Option<&str>; FIELD_WEIGHTS.len()]) -> Self {
        let mut words = FieldWords::default();
        for (field, text) in fields.iter().enumerate() {
            let first = words.words.len();
            if let Some(text) = text {
                Analyzer::each_word(text, |word| {
                    let start = words.text.len();
                    words.text.push_str(word);
                    words.words.push(start..words.text.len());
                });
            }
            words.fields[field] = first..words.words.len();
        }
        words
    }

    /// The words of the fields `fields`, in order.
    fn of(&self, fields: Range<usize>) -> impl Iterator<Item = &str> {
        let first = self.fields[fields.start].start;
        let end = self.fields[fields.end - 1].end;
        self.words[first..end]
            .iter()
            .map(|at| &self.text[at.clone()])
    }
}

impl Query {
    /// Analyses an idea's answers through `words`, the word cache of the catalog whose
    /// `vocabulary` guides folding and compound splitting. Each answer is walked once.
    pub fn build(
        words: &WordCache,
        idea: &IdeaText,
        analyzer: &Analyzer,
        vocabulary: &CatalogVocabulary<'_>,
    ) -> Query {
        let texts = field_texts(idea);
        let text = FieldWords::read(&texts);
        let all: Vec<&str> = text.of(0..texts.len()).collect();
        // One look-up a word answers all that is asked of it.
        words.with_words(&all, analyzer, |entries| {
            let language = idea.language.unwrap_or_else(|| {
                let mut evidence = LanguageEvidence::default();
                entries
                    .iter()
                    .for_each(|entry| evidence.add_facts(entry.facts));
                evidence.language()
            });
            // One term per stem: the strongest field names it, repetition adds a little (a
            // word said three times matters more, not three times more).
            struct Seen<'a> {
                first: &'a Arc<Analysed>,
                field: usize,
                strongest: f32,
                count: u16,
            }
            let mut by_stem: HashMap<u32, usize> = HashMap::default();
            let mut seen: Vec<Seen<'_>> = Vec::with_capacity(all.len());
            for (field, (_, weight)) in FIELD_WEIGHTS.iter().enumerate() {
                for at in text.fields[field].clone() {
                    let entry = entries[at];
                    if entry.facts.is_stop(language) {
                        continue;
                    }
                    let word = words.analysed(entry, all[at], language, analyzer, vocabulary);
                    match by_stem.entry(word.stem_id) {
                        Entry::Occupied(found) => {
                            let term = &mut seen[*found.get()];
                            if *weight > term.strongest {
                                term.field = field;
                                term.strongest = *weight;
                            }
                            term.count = term.count.saturating_add(1);
                        }
                        Entry::Vacant(slot) => {
                            slot.insert(seen.len());
                            seen.push(Seen {
                                first: word,
                                field,
                                strongest: *weight,
                                count: 1,
                            });
                        }
                    }
                }
            }
            let terms = seen
                .into_iter()
                .map(|term| QueryTerm {
                    analysed: term.first.clone(),
                    field: FIELD_WEIGHTS[term.field].0,
                    weight: term.strongest * (1.0 + 0.15 * f32::from(term.count).ln()),
                })
                .collect();
            // The title and the problem.
            let opening = text.fields[0].start..text.fields[1].end;
            Query {
                language,
                terms,
                service_request: service_request(
                    &all[opening.clone()],
                    entries[opening].iter().map(|entry| entry.cue),
                ),
            }
        })
    }
}

/// What a word may meet: its stem, its parts, synonyms and translations.
pub fn alternatives(
    stem: &str,
    parts: &[String],
    language: Language,
    lexicon: &Lexicon,
    analyzer: &Analyzer,
) -> Vec<Alternative> {
    let mut list = vec![Alternative {
        stem: stem.to_owned(),
        weight: 1.0,
        via: Via::Exact,
    }];
    let add = |list: &mut Vec<Alternative>, stem: &str, weight: f32, via: Via| match list
        .iter_mut()
        .find(|a| a.stem == stem)
    {
        Some(existing) if existing.weight < weight => {
            *existing = Alternative {
                stem: stem.to_owned(),
                weight,
                via,
            }
        }
        Some(_) => {}
        None => list.push(Alternative {
            stem: stem.to_owned(),
            weight,
            via,
        }),
    };
    for part in parts {
        add(&mut list, part, PART_WEIGHT, Via::Part);
    }
    let meaningful = |related: &&Related, language| !analyzer.is_stop(&related.word, language);
    match language {
        Language::Da => {
            for synonym in lexicon
                .synonyms(stem)
                .iter()
                .filter(|r| meaningful(r, Language::Da))
            {
                add(
                    &mut list,
                    &synonym.stem,
                    SYNONYM_WEIGHT,
                    Via::Synonym(synonym.word.clone()),
                );
            }
            for translation in lexicon
                .translations(stem, Language::Da)
                .iter()
                .filter(|r| meaningful(r, Language::En))
            {
                add(
                    &mut list,
                    &translation.stem,
                    BACK_TRANSLATION_WEIGHT,
                    Via::Translation(translation.word.clone()),
                );
            }
        }
        Language::En => {
            for translation in lexicon
                .translations(stem, Language::En)
                .iter()
                .filter(|r| meaningful(r, Language::Da))
            {
                add(
                    &mut list,
                    &translation.stem,
                    TRANSLATION_WEIGHT,
                    Via::Translation(translation.word.clone()),
                );
                for synonym in lexicon
                    .synonyms(&translation.stem)
                    .iter()
                    .filter(|r| meaningful(r, Language::Da))
                {
                    add(
                        &mut list,
                        &synonym.stem,
                        TRANSLATED_SYNONYM_WEIGHT,
                        Via::Translation(synonym.word.clone()),
                    );
                }
            }
        }
    }
    list
}
