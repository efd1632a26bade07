//! General lexical knowledge: Danish synonyms and Danish–English translations, derived from
//! open dictionaries (see `lexicon/README.md`) and embedded in the binary. Keyed by stems, so
//! that inflected forms meet.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use super::analyzer::Analyzer;
use crate::domain::Language;

/// Most synonyms kept per stem.
const MAX_SYNONYMS: usize = 8;
/// Most translations kept per stem.
const MAX_TRANSLATIONS: usize = 6;

/// A related word: its stem, and the word itself for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    /// The stem, as indexed.
    pub stem: String,
    /// The word, as shown in reasons.
    pub word: String,
}

/// Synonyms and translations by stem.
#[derive(Debug, Default)]
pub struct Lexicon {
    synonyms: HashMap<String, Vec<Related>>,
    danish_to_english: HashMap<String, Vec<Related>>,
    english_to_danish: HashMap<String, Vec<Related>>,
    danish_stems: HashSet<String>,
}

fn push_unique(map: &mut HashMap<String, Vec<Related>>, key: &str, related: Related, limit: usize) {
    if key == related.stem {
        return;
    }
    let list = map.entry(key.to_owned()).or_default();
    if list.len() < limit && !list.iter().any(|r| r.stem == related.stem) {
        list.push(related);
    }
}

fn clean(word: &str) -> Option<String> {
    let word = word.trim().to_lowercase();
    (word.chars().count() >= 2 && word.chars().all(|c| c.is_alphabetic() || c == '-'))
        .then_some(word)
}

impl Lexicon {
    /// The lexicon embedded in the binary: the derived dictionaries and a small hand-written
    /// supplement of everyday words they lack.
    pub fn builtin() -> &'static Lexicon {
        static LEXICON: OnceLock<Lexicon> = OnceLock::new();
        LEXICON.get_or_init(|| {
            let analyzer = Analyzer::new();
            let mut lexicon = Lexicon::default();
            lexicon.add_translations(include_str!("../../lexicon/translations.tsv"), &analyzer);
            lexicon.add_translations(
                include_str!("../../lexicon/supplement-translations.tsv"),
                &analyzer,
            );
            lexicon.add_synonyms(include_str!("../../lexicon/synonyms-da.tsv"), &analyzer);
            lexicon.add_synonyms(
                include_str!("../../lexicon/supplement-synonyms-da.tsv"),
                &analyzer,
            );
            lexicon
        })
    }

    /// Adds `danish<TAB>english` lines, in both directions.
    pub fn add_translations(&mut self, tsv: &str, analyzer: &Analyzer) {
        for line in tsv.lines().filter(|l| !l.starts_with('#')) {
            let Some((danish, english)) = line.split_once('\t') else {
                continue;
            };
            let (Some(danish), Some(english)) = (clean(danish), clean(english)) else {
                continue;
            };
            let da = Related {
                stem: analyzer.stem(&danish, Language::Da),
                word: danish,
            };
            let en = Related {
                stem: analyzer.stem(&english, Language::En),
                word: english,
            };
            self.danish_stems.insert(da.stem.clone());
            push_unique(
                &mut self.danish_to_english,
                &da.stem,
                en.clone(),
                MAX_TRANSLATIONS,
            );
            push_unique(&mut self.english_to_danish, &en.stem, da, MAX_TRANSLATIONS);
        }
    }

    /// Adds `word<TAB>synonym|synonym|...` lines of Danish, in both directions.
    pub fn add_synonyms(&mut self, tsv: &str, analyzer: &Analyzer) {
        for line in tsv.lines().filter(|l| !l.starts_with('#')) {
            let Some((head, rest)) = line.split_once('\t') else {
                continue;
            };
            let Some(head) = clean(head) else {
                continue;
            };
            let head = Related {
                stem: analyzer.stem(&head, Language::Da),
                word: head,
            };
            self.danish_stems.insert(head.stem.clone());
            for synonym in rest.split('|').filter_map(clean) {
                let synonym = Related {
                    stem: analyzer.stem(&synonym, Language::Da),
                    word: synonym,
                };
                self.danish_stems.insert(synonym.stem.clone());
                push_unique(
                    &mut self.synonyms,
                    &head.stem,
                    synonym.clone(),
                    MAX_SYNONYMS,
                );
                push_unique(
                    &mut self.synonyms,
                    &synonym.stem,
                    head.clone(),
                    MAX_SYNONYMS,
                );
            }
        }
    }

    /// Danish synonyms of a Danish stem.
    pub fn synonyms(&self, stem: &str) -> &[Related] {
        self.synonyms.get(stem).map_or(&[], Vec::as_slice)
    }

    /// Translations of a stem of `from` into the other language.
    pub fn translations(&self, stem: &str, from: Language) -> &[Related] {
        let map = match from {
            Language::Da => &self.danish_to_english,
            Language::En => &self.english_to_danish,
        };
        map.get(stem).map_or(&[], Vec::as_slice)
    }

    /// Whether a Danish stem is a word the lexicon knows.
    pub fn knows_danish(&self, stem: &str) -> bool {
        self.danish_stems.contains(stem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms_and_translations_are_found_by_stem_both_ways() {
        let analyzer = Analyzer::new();
        let mut lexicon = Lexicon::default();
        lexicon.add_synonyms("skrald\taffald|renovation\n", &analyzer);
        lexicon.add_translations("affald\twaste\naffald\tgarbage\n", &analyzer);

        let stem = |w: &str, l| analyzer.stem(w, l);
        let words =
            |related: &[Related]| related.iter().map(|r| r.word.clone()).collect::<Vec<_>>();
        assert_eq!(
            words(lexicon.synonyms(&stem("skraldet", Language::Da))),
            ["affald", "renovation"]
        );
        assert_eq!(
            words(lexicon.synonyms(&stem("affald", Language::Da))),
            ["skrald"]
        );
        assert_eq!(
            words(lexicon.translations(&stem("wasted", Language::En), Language::En)),
            ["affald"]
        );
        assert_eq!(
            words(lexicon.translations(&stem("affaldet", Language::Da), Language::Da)),
            ["waste", "garbage"]
        );
    }

    #[test]
    fn the_builtin_lexicon_bridges_everyday_gaps() {
        let analyzer = Analyzer::new();
        let lexicon = Lexicon::builtin();
        let da = |w: &str| analyzer.stem(w, Language::Da);
        let en = |w: &str| analyzer.stem(w, Language::En);
        let synonyms = |w: &str| {
            lexicon
                .synonyms(&da(w))
                .iter()
                .map(|r| r.stem.clone())
                .collect::<Vec<_>>()
        };
        let to_danish = |w: &str| {
            lexicon
                .translations(&en(w), Language::En)
                .iter()
                .map(|r| r.stem.clone())
                .collect::<Vec<_>>()
        };
        assert!(synonyms("skrald").contains(&da("affald")));
        assert!(to_danish("waste").contains(&da("affald")));
        assert!(to_danish("bike").contains(&da("cykel")));
        assert!(to_danish("loneliness").contains(&da("ensomhed")));
    }
}
