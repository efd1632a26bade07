//! Recognising a name from the catalog in a citizen's free text, even misspelt: "Repair Cafe"
//! for "Repair Café", "grønne agenter" for "Grønne agenter", "frivilligeshus" not needed.

use rustc_hash::FxHashMap;

use super::analyzer::{Analyzer, fold_digraphs};
use crate::domain::Language;

/// The significant words of a name's spellings.
#[derive(Debug, Clone, Default)]
pub struct NameMatcher {
    spellings: Vec<Vec<String>>,
    /// The name as written, for reasons.
    pub display: String,
}

impl NameMatcher {
    /// A matcher for the given spellings of one name (Danish and English, say).
    pub fn new<'a>(
        analyzer: &Analyzer,
        spellings: impl IntoIterator<Item = &'a Option<String>>,
    ) -> Self {
        let mut matcher = NameMatcher::default();
        for spelling in spellings.into_iter().flatten() {
            if matcher.display.is_empty() {
                matcher.display = spelling.clone();
            }
            let words: Vec<String> = Analyzer::words(spelling)
                .into_iter()
                .filter(|w| {
                    w.chars().count() >= 3
                        && !analyzer.is_stop(w, Language::Da)
                        && !analyzer.is_stop(w, Language::En)
                })
                .map(|w| Self::simplify(&w))
                .collect();
            let distinctive =
                words.len() >= 2 || words.first().is_some_and(|w| w.chars().count() >= 5);
            if distinctive && !matcher.spellings.contains(&words) {
                matcher.spellings.push(words);
            }
        }
        matcher
    }

    /// Lower-case, accents dropped (but æ, ø, å kept), `ae`/`oe`/`aa` read as `æ`/`ø`/`å`.
    pub fn simplify(word: &str) -> String {
        let lower = word.trim().to_lowercase();
        let plain: String = lower
            .chars()
            .map(|c| match c {
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'á' | 'à' | 'â' => 'a',
                'ó' | 'ò' | 'ô' => 'o',
                'ú' | 'ù' | 'û' | 'ü' => 'u',
                'í' | 'ì' | 'î' | 'ï' => 'i',
                'ö' => 'ø',
                'ä' => 'æ',
                other => other,
            })
            .collect();
        fold_digraphs(&plain).unwrap_or(plain)
    }

    /// The simplified words of a text, for [`NameIndex::found_in`].
    pub fn text_words(text: &str) -> Vec<String> {
        Analyzer::words(text)
            .iter()
            .map(|w| Self::simplify(w))
            .collect()
    }
}

/// The names of many entries, found by the first three letters of their words, so that a
/// text is compared only with the name words that could be in it, and each distinct name word
/// once however many names hold it. (A typo among a name word's first three letters therefore
/// goes unnoticed.)
#[derive(Debug, Default)]
pub struct NameIndex {
    /// Prefix to the distinct name words that begin with it.
    by_prefix: FxHashMap<String, Vec<u32>>,
    /// Each distinct name word, with where it occurs.
    words: Vec<(String, Vec<Occurrence>)>,
    /// How many words each spelling of each entry has.
    lengths: Vec<Vec<u8>>,
}

/// Where a name word occurs: (entry, spelling, position in the spelling).
type Occurrence = (u32, u8, u8);

fn prefix(word: &str) -> String {
    word.chars().take(3).collect()
}

impl NameIndex {
    /// Indexes the names of entries numbered in order.
    pub fn build<'a>(names: impl IntoIterator<Item = &'a NameMatcher>) -> Self {
        let mut index = NameIndex::default();
        let mut ids: FxHashMap<&str, u32> = FxHashMap::default();
        let names: Vec<&NameMatcher> = names.into_iter().collect();
        for (number, matcher) in names.iter().enumerate() {
            let entry = u32::try_from(number).expect("fewer than 2^32 names");
            let spellings = matcher.spellings.iter().take(usize::from(u8::MAX));
            let mut lengths = Vec::new();
            for (spelling, words) in spellings.enumerate() {
                let words = &words[..words.len().min(usize::from(u8::MAX))];
                lengths.push(words.len() as u8);
                for (position, word) in words.iter().enumerate() {
                    let id = *ids.entry(word.as_str()).or_insert_with(|| {
                        let id = u32::try_from(index.words.len()).expect("fewer than 2^32 words");
                        index.words.push((word.clone(), Vec::new()));
                        index.by_prefix.entry(prefix(word)).or_default().push(id);
                        id
                    });
                    index.words[id as usize]
                        .1
                        .push((entry, spelling as u8, position as u8));
                }
            }
            index.lengths.push(lengths);
        }
        index
    }

    /// The entries whose name `words` hold, allowing a typo per word (two in long words) and
    /// a missing word in names of three or more words.
    pub fn found_in(&self, words: &[String]) -> Vec<usize> {
        let mut met: FxHashMap<(u32, u8), u64> = FxHashMap::default();
        for word in words {
            let Some(candidates) = self.by_prefix.get(&prefix(word)) else {
                continue;
            };
            for id in candidates {
                let (name_word, occurrences) = &self.words[*id as usize];
                if !near(word, name_word) {
                    continue;
                }
                for (entry, spelling, position) in occurrences {
                    *met.entry((*entry, *spelling)).or_default() |= 1u64 << (position % 64);
                }
            }
        }
        let mut found: Vec<usize> = met
            .into_iter()
            .filter(|((entry, spelling), mask)| {
                let length = usize::from(self.lengths[*entry as usize][usize::from(*spelling)]);
                let count = mask.count_ones() as usize;
                count == length || (length >= 3 && count + 1 >= length)
            })
            .map(|((entry, _), _)| entry as usize)
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// Whether `word` is `name_word`, an inflection of it, or one typo away (two when long).
fn near(word: &str, name_word: &str) -> bool {
    if word == name_word {
        return true;
    }
    let length = name_word.chars().count();
    // Danish inflection: "caféen", "husets".
    if length >= 4 && word.starts_with(name_word) && word.chars().count() <= length + 3 {
        return true;
    }
    let allowed = match length {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    // A typo seldom hits both of the first two letters; checking them first spares the
    // distance computation for nearly every pair of unrelated words.
    let mut a = word.chars();
    let mut b = name_word.chars();
    let (a0, a1, b0, b1) = (a.next(), a.next(), b.next(), b.next());
    let plausible = a0 == b0 || a1 == b1 || (a0 == b1 && a1 == b0);
    allowed > 0 && plausible && distance_at_most(word, name_word, allowed)
}

/// Whether the Damerau–Levenshtein (optimal string alignment) distance is at most `limit`.
fn distance_at_most(a: &str, b: &str, limit: usize) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > limit {
        return false;
    }
    let mut previous2: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            current[j] = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                current[j] = current[j].min(previous2[j - 2] + 1);
            }
        }
        if current.iter().min().copied().unwrap_or(0) > limit {
            return false;
        }
        previous2 = std::mem::replace(&mut previous, current);
    }
    previous[b.len()] <= limit
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index of one name, with its spellings.
    struct Name(NameIndex);

    impl Name {
        fn found_in(&self, words: &[String]) -> bool {
            self.0.found_in(words) == [0]
        }
    }

    fn matcher(names: &[&str]) -> Name {
        let names: Vec<Option<String>> = names.iter().map(|n| Some((*n).to_owned())).collect();
        Name(NameIndex::build([&NameMatcher::new(
            &Analyzer::new(),
            &names,
        )]))
    }

    #[test]
    fn names_are_found_even_misspelt_or_inflected() {
        let repair = matcher(&["Repair Café Vejgaard"]);
        assert!(repair.found_in(&NameMatcher::text_words(
            "Jeg kender Repair Cafeen i Vejgård"
        )));
        assert!(repair.found_in(&NameMatcher::text_words("reapir cafe vejgaard")));
        assert!(!repair.found_in(&NameMatcher::text_words("en café i byen")));

        let green = matcher(&["Grønne agenter", "Green Agents"]);
        assert!(green.found_in(&NameMatcher::text_words("måske groenne agenter")));
        assert!(green.found_in(&NameMatcher::text_words("the green agents team")));
        assert!(!green.found_in(&NameMatcher::text_words("grønne områder")));
    }

    #[test]
    fn short_single_words_are_not_names() {
        let short = matcher(&["Fri"]);
        assert!(!short.found_in(&NameMatcher::text_words("fri")));
    }

    #[test]
    fn the_distance_is_bounded() {
        assert!(distance_at_most("kitten", "sitten", 1));
        assert!(distance_at_most("ab", "ba", 1));
        assert!(!distance_at_most("kitten", "sitting", 2));
        assert!(distance_at_most("kitten", "sitting", 3));
    }
}
