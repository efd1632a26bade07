//! Analysed words, cached: citizens' words repeat from idea to idea, and analysing a word
//! (stemming, folding, compound splitting, lexicon look-ups) costs far more than finding it
//! again. One cache per catalog, since the catalog's vocabulary guides the analysis.

use std::sync::{Arc, RwLock};

use rustc_hash::FxHashMap;

use super::analyzer::{Analyzer, Token, Vocabulary};
use super::lexicon::Lexicon;
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
}

/// Words analysed against one vocabulary.
#[derive(Default)]
pub struct WordCache {
    words: RwLock<FxHashMap<(Language, String), Arc<Analysed>>>,
}

impl WordCache {
    /// The analysed content words of `text`.
    pub fn analyze(
        &self,
        text: &str,
        language: Language,
        analyzer: &Analyzer,
        lexicon: &Lexicon,
        vocabulary: &dyn Vocabulary,
    ) -> Vec<Arc<Analysed>> {
        // Known words under one shared lock; the new ones are analysed with no lock held.
        let mut found: Vec<Result<Arc<Analysed>, String>> = {
            let words = self.words.read().unwrap_or_else(|e| e.into_inner());
            analyzer
                .content_words(text, language)
                .map(|word| {
                    let key = (language, word);
                    words.get(&key).cloned().ok_or(key.1)
                })
                .collect()
        };
        let mut new = Vec::new();
        for slot in &mut found {
            if let Err(word) = slot {
                let token = analyzer.token(word.clone(), language, vocabulary);
                let alternatives =
                    alternatives(&token.stem, &token.parts, language, lexicon, analyzer).into();
                let analysed = Arc::new(Analysed {
                    token,
                    alternatives,
                });
                new.push(((language, std::mem::take(word)), analysed.clone()));
                *slot = Ok(analysed);
            }
        }
        if !new.is_empty() {
            let mut words = self.words.write().unwrap_or_else(|e| e.into_inner());
            if words.len() + new.len() > CAPACITY {
                words.clear();
            }
            words.extend(new);
        }
        found.into_iter().flatten().collect()
    }
}
