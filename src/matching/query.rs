//! An idea turned into weighted query terms, each with the alternatives it may meet: its own
//! stem, the parts of a compound, synonyms and translations.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use super::analyzer::{Analyzer, Vocabulary};
use super::lexicon::{Lexicon, Related};
use super::words::WordCache;
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
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    /// The word as the citizen wrote it (folded).
    pub word: String,
    /// The answer where it weighs most.
    pub field: &'static str,
    /// Its weight in the query.
    pub weight: f32,
    /// What it may meet, its own stem first.
    pub alternatives: Arc<[Alternative]>,
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

/// The first complaint word or service question in `text`.
fn service_request(text: &str) -> Option<String> {
    let words: Vec<String> = Analyzer::words(text)
        .into_iter()
        .map(|w| super::analyzer::fold_digraphs(&w).unwrap_or(w))
        .collect();
    if let Some(word) = words.iter().find(|w| SERVICE_WORDS.contains(&w.as_str())) {
        return Some(word.clone());
    }
    SERVICE_QUESTIONS.iter().find_map(|phrase| {
        words
            .windows(phrase.len())
            .find(|window| window.iter().zip(phrase.iter()).all(|(w, p)| w == p))
            .map(|window| window.join(" "))
    })
}

impl Query {
    /// Analyses an idea's answers through `words`. `vocabulary` guides folding and compound
    /// splitting.
    pub fn build(
        words: &WordCache,
        idea: &IdeaText,
        analyzer: &Analyzer,
        lexicon: &Lexicon,
        vocabulary: &dyn Vocabulary,
    ) -> Query {
        let answers = &idea.answers;
        let fields: [(&'static str, Option<&str>); 6] = [
            ("title", Some(idea.title.as_str())),
            ("problem", Some(answers.problem.as_str())),
            (
                "existing_initiatives",
                answers.existing_initiatives.as_deref(),
            ),
            ("motivation", answers.motivation.as_deref()),
            ("helpers", answers.helpers.as_deref()),
            ("new_alliances", answers.new_alliances.as_deref()),
        ];
        let language = idea.language.unwrap_or_else(|| {
            let all: Vec<&str> = fields.iter().filter_map(|(_, text)| *text).collect();
            analyzer.detect(&all.join("\n"))
        });

        struct Seen {
            term: QueryTerm,
            weights: Vec<f32>,
        }
        let mut by_stem: HashMap<String, Seen> = HashMap::default();
        let mut order = Vec::new();
        for ((field, text), (_, field_weight)) in fields.into_iter().zip(FIELD_WEIGHTS) {
            let Some(text) = text else { continue };
            for analysed in words.analyze(text, language, analyzer, lexicon, vocabulary) {
                let token = &analysed.token;
                let seen = by_stem.entry(token.stem.clone()).or_insert_with(|| {
                    order.push(token.stem.clone());
                    Seen {
                        term: QueryTerm {
                            word: token.word.clone(),
                            field,
                            weight: 0.0,
                            alternatives: analysed.alternatives.clone(),
                        },
                        weights: Vec::new(),
                    }
                });
                if field_weight > seen.weights.iter().copied().fold(0.0, f32::max) {
                    seen.term.field = field;
                }
                seen.weights.push(field_weight);
            }
        }
        let terms = order
            .into_iter()
            .filter_map(|stem| by_stem.remove(&stem))
            .map(|mut seen| {
                let strongest = seen.weights.iter().copied().fold(0.0, f32::max);
                // Repetition adds a little: a word said three times matters more, not three times more.
                seen.term.weight = strongest * (1.0 + 0.15 * (seen.weights.len() as f32).ln());
                seen.term
            })
            .collect();
        let service_request = service_request(&format!("{}\n{}", idea.title, answers.problem));
        Query {
            language,
            terms,
            service_request,
        }
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
