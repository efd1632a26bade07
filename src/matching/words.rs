//! Analysed words, cached: citizens' words repeat from idea to idea, and analysing a word
//! (stemming, folding, compound splitting, lexicon look-ups) costs far more than finding it
//! again. One cache per catalog, since the catalog's vocabulary guides the analysis.

use std::sync::{Arc, OnceLock, RwLock};

use rustc_hash::FxHashMap;

use super::analyzer::{Analyzer, Token};
use super::catalog::CatalogVocabulary;
use super::query::{Alternative, alternatives};
use crate::domain::Language;

/// Most words kept; the cache starts afresh beyond it, which bounds its memory.
const CAPACITY: usize = 200_000;

/// A word with what it may meet.
#[derive(Debug)]
pub struct Analysed {
    /// The word, stemmed and split.
    pub token: Token,
    /// Its stem, parts, synonyms and translations.
    pub alternatives: Arc<[Alternative]>,
    /// The id of each alternative among the terms of the catalog whose cache holds the word,
    /// if the catalog has it: scoring against the catalog then looks nothing up.
    pub catalog_ids: Box<[Option<u32>]>,
    /// The ids of its stem and parts in an index of published ideas, set on first use there:
    /// (the index's identity, the ids). Adding an idea then costs no term look-ups for the
    /// words seen before.
    pub idea_terms: OnceLock<(u64, Box<[u32]>)>,
}

/// Words analysed against one vocabulary.
#[derive(Default)]
pub struct WordCache {
    /// Danish words, then English words.
    words: RwLock<[FxHashMap<Box<str>, Arc<Analysed>>; 2]>,
}

fn slot(language: Language) -> usize {
    match language {
        Language::Da => 0,
        Language::En => 1,
    }
}

impl WordCache {
    /// The analysed content words of `text`. `vocabulary` is that of the cache's catalog.
    pub fn analyze(
        &self,
        text: &str,
        language: Language,
        analyzer: &Analyzer,
        vocabulary: &CatalogVocabulary<'_>,
    ) -> Vec<Arc<Analysed>> {
        self.analyze_words(
            |visit| Analyzer::each_word(text, visit),
            language,
            analyzer,
            vocabulary,
        )
    }

    /// The analysed content words among those `words` gives, as [`Analyzer::each_word`] gives
    /// a text's.
    pub fn analyze_words(
        &self,
        words: impl FnOnce(&mut dyn FnMut(&str)),
        language: Language,
        analyzer: &Analyzer,
        vocabulary: &CatalogVocabulary<'_>,
    ) -> Vec<Arc<Analysed>> {
        // Known words under one shared lock; the new ones are analysed with no lock held.
        let mut found: Vec<Result<Arc<Analysed>, String>> = Vec::new();
        {
            let cache = self.words.read().unwrap_or_else(|e| e.into_inner());
            let cache = &cache[slot(language)];
            words(&mut |word| {
                if analyzer.is_stop(word, language) {
                    return;
                }
                found.push(cache.get(word).cloned().ok_or_else(|| word.to_owned()));
            });
        }
        let mut new = Vec::new();
        for slot in &mut found {
            if let Err(word) = slot {
                let token = analyzer.token(word.clone(), language, vocabulary);
                let alternatives: Arc<[Alternative]> = alternatives(
                    &token.stem,
                    &token.parts,
                    language,
                    vocabulary.lexicon,
                    analyzer,
                )
                .into();
                let catalog_ids = alternatives
                    .iter()
                    .map(|a| vocabulary.terms.get(&a.stem))
                    .collect();
                let analysed = Arc::new(Analysed {
                    token,
                    alternatives,
                    catalog_ids,
                    idea_terms: OnceLock::new(),
                });
                new.push((std::mem::take(word).into_boxed_str(), analysed.clone()));
                *slot = Ok(analysed);
            }
        }
        if !new.is_empty() {
            let mut words = self.words.write().unwrap_or_else(|e| e.into_inner());
            let words = &mut words[slot(language)];
            if words.len() + new.len() > CAPACITY {
                words.clear();
            }
            words.extend(new);
        }
        found.into_iter().flatten().collect()
    }
}
