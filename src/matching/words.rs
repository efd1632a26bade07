//! Words, cached: citizens' words repeat from idea to idea, and analysing a word (stop words,
//! stemming, folding, compound splitting, lexicon look-ups) costs far more than finding it
//! again. One cache per catalog, since the catalog's vocabulary guides the analysis.
//!
//! A word is found with one hash probe, which answers everything asked of it: whether it is
//! a stop word, what it says about the text's language, whether it marks a service request,
//! and its analysis in either language. The key is held in the table itself when short, as
//! most words are, so that a probe reads no other memory.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use rustc_hash::FxHashMap;

use super::analyzer::{Analyzer, Token, WordFacts};
use super::catalog::CatalogVocabulary;
use super::query::{Alternative, Cue, alternatives};
use super::scorer::WordResolution;
use crate::domain::Language;

/// Most words kept; the cache starts afresh beyond it, which bounds its memory.
const CAPACITY: usize = 200_000;
/// Longest word, in bytes, held in the table itself.
const INLINE: usize = 22;

/// A word with what it may meet.
#[derive(Debug)]
pub struct Analysed {
    /// The word, stemmed and split.
    pub token: Token,
    /// A number for the stem, the same for every word of this cache with that stem.
    pub stem_id: u32,
    /// Its stem, parts, synonyms and translations.
    pub alternatives: Arc<[Alternative]>,
    /// The id of each alternative among the terms of the catalog whose cache holds the word,
    /// if the catalog has it: scoring against the catalog then looks nothing up.
    pub catalog_ids: Box<[Option<u32>]>,
    /// The word resolved against the catalog's collections, made on first use: the
    /// catalog's terms and IDF do not change.
    pub catalog: OnceLock<WordResolution>,
    /// The ids of its stem and parts in an index of published ideas, set on first use there:
    /// (the index's identity, the ids). Adding an idea then costs no term look-ups for the
    /// words seen before.
    pub idea_terms: OnceLock<(u64, Box<[u32]>)>,
}

/// A word as a key of a hash table, held in the table itself when short. Tables of keys are
/// searched by the word's bytes.
#[derive(Debug, Clone)]
pub(super) enum Key {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Key {
    /// The bytes of a key in a table's entry.
    pub(super) const SIZE: usize = std::mem::size_of::<Key>();

    pub(super) fn new(word: &str) -> Self {
        let word = word.as_bytes();
        match u8::try_from(word.len()) {
            Ok(len) if word.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..word.len()].copy_from_slice(word);
                Key::Inline { len, bytes }
            }
            _ => Key::Heap(word.into()),
        }
    }

    /// The memory a key of `word` holds outside the table.
    pub(super) fn heap_bytes(word: &str) -> usize {
        if word.len() <= INLINE { 0 } else { word.len() }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Key::Heap(bytes) => bytes,
        }
    }
}

impl Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.bytes()
    }
}

// As the bytes hash and compare, so that a table of keys is searched by `&[u8]`.
impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes().hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Key {}

/// Everything known of one word.
#[derive(Debug)]
pub struct Word {
    /// Stop word of either language, letters of Danish.
    pub facts: WordFacts,
    /// What it says of a complaint or a question to a service.
    pub cue: Cue,
    /// Its analysis in Danish and in English, made on first use.
    analysed: [OnceLock<Arc<Analysed>>; 2],
}

/// Words analysed against one vocabulary.
#[derive(Default)]
pub struct WordCache {
    words: RwLock<FxHashMap<Key, Word>>,
    /// The number of each stem analysed, and the next number.
    stems: Mutex<(FxHashMap<Box<str>, u32>, u32)>,
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
        let words = Analyzer::words(text);
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        self.with_words(&words, analyzer, |found| {
            words
                .iter()
                .zip(found)
                .filter(|(_, entry)| !entry.facts.is_stop(language))
                .map(|(word, entry)| {
                    self.analysed(entry, word, language, analyzer, vocabulary)
                        .clone()
                })
                .collect()
        })
    }

    /// Calls `read` with the entry of each of `words` (lower-cased, as
    /// [`Analyzer::each_word`] gives them), in order, under one shared lock. The words not
    /// met before are added first.
    pub fn with_words<R>(
        &self,
        words: &[&str],
        analyzer: &Analyzer,
        read: impl FnOnce(&[&Word]) -> R,
    ) -> R {
        loop {
            {
                let table = self.words.read().unwrap_or_else(|e| e.into_inner());
                let mut found = Vec::with_capacity(words.len());
                let mut missing = Vec::new();
                for word in words {
                    match table.get(word.as_bytes()) {
                        Some(entry) => found.push(entry),
                        None => missing.push(*word),
                    }
                }
                if missing.is_empty() {
                    return read(&found);
                }
                drop(found);
                drop(table);
                self.add(&missing, analyzer);
            }
            // Looked up again: every word is there now, unless the cache started afresh
            // meanwhile.
        }
    }

    /// Adds new words, without their analysis (made on first use).
    fn add(&self, new: &[&str], analyzer: &Analyzer) {
        let entries: Vec<(Key, Word)> = new
            .iter()
            .map(|word| {
                let entry = Word {
                    facts: analyzer.facts(word),
                    cue: Cue::of(word),
                    analysed: Default::default(),
                };
                (Key::new(word), entry)
            })
            .collect();
        let mut table = self.words.write().unwrap_or_else(|e| e.into_inner());
        if table.len() + entries.len() > CAPACITY {
            table.clear();
            self.stems
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .0
                .clear();
        }
        for (key, entry) in entries {
            table.entry(key).or_insert(entry);
        }
    }

    /// The analysis of `word` (whose entry is `entry`) in `language`, made on first use.
    pub fn analysed<'e>(
        &self,
        entry: &'e Word,
        word: &str,
        language: Language,
        analyzer: &Analyzer,
        vocabulary: &CatalogVocabulary<'_>,
    ) -> &'e Arc<Analysed> {
        entry.analysed[slot(language)].get_or_init(|| {
            let token = analyzer.token(word.to_owned(), language, vocabulary);
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
            Arc::new(Analysed {
                stem_id: self.stem_id(&token.stem),
                token,
                alternatives,
                catalog_ids,
                catalog: OnceLock::new(),
                idea_terms: OnceLock::new(),
            })
        })
    }

    fn stem_id(&self, stem: &str) -> u32 {
        let mut stems = self.stems.lock().unwrap_or_else(|e| e.into_inner());
        let (ids, next) = &mut *stems;
        if let Some(id) = ids.get(stem) {
            return *id;
        }
        let id = *next;
        // Numbers are not reused when the cache starts afresh: a word analysed before then
        // keeps its number while a query holds it.
        *next = next.wrapping_add(1);
        ids.insert(stem.into(), id);
        id
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn keys_compare_and_hash_as_their_bytes(a in "\\PC{0,30}", b in "\\PC{0,30}") {
            let hash = |bytes: &dyn Fn(&mut rustc_hash::FxHasher)| {
                let mut hasher = rustc_hash::FxHasher::default();
                bytes(&mut hasher);
                hasher.finish()
            };
            let (ka, kb) = (Key::new(&a), Key::new(&b));
            prop_assert_eq!(ka.bytes(), a.as_bytes());
            prop_assert_eq!(ka == kb, a == b);
            prop_assert_eq!(
                hash(&|h| ka.hash(h)),
                hash(&|h| a.as_bytes().hash(h))
            );
        }
    }

    #[test]
    fn the_same_stem_has_the_same_number_and_words_are_added_once() {
        let analyzer = Analyzer::new();
        let lexicon = super::super::Lexicon::builtin();
        let terms = super::super::index::Terms::default();
        let vocabulary = CatalogVocabulary {
            terms: &terms,
            lexicon,
        };
        let cache = WordCache::default();
        let words = ["cykler", "cyklerne", "og", "cykler", "have"];
        let ids = cache.with_words(&words, &analyzer, |entries| {
            assert!(entries[2].facts.danish_stop);
            entries
                .iter()
                .zip(words)
                .map(|(entry, word)| {
                    cache
                        .analysed(entry, word, Language::Da, &analyzer, &vocabulary)
                        .stem_id
                })
                .collect::<Vec<_>>()
        });
        assert_eq!(ids[0], ids[1]);
        assert_eq!(ids[0], ids[3]);
        assert_ne!(ids[0], ids[4]);
        assert_eq!(cache.words.read().unwrap().len(), 4);
    }
}
