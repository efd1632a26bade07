//! Text to terms, for Danish and English: Unicode normalisation, lower-casing, word splitting,
//! stop words, Snowball stemming in the text's language, `ae`/`oe`/`aa` read as `æ`/`ø`/`å`,
//! and Danish compounds split against the vocabulary the index knows.

use std::collections::HashSet;

use rustc_hash::FxHashSet;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use crate::domain::Language;

/// Shortest part of a compound, in characters.
const MIN_PART: usize = 3;
/// Longest word considered, in characters; longer "words" are noise (URLs, hashes).
const MAX_WORD: usize = 40;

/// Danish derivational endings that are words in a dictionary but never the tail of a
/// compound: "erfar|ing" is not experience + ing.
const SUFFIXES: &[&str] = &[
    "ing", "ning", "inger", "hed", "heder", "else", "lig", "lige", "ligt", "isk", "iske",
];

/// One analysed word of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The word as folded (lower-case, `ae` read as `æ` where that makes a known word).
    pub word: String,
    /// Its stem in the text's language.
    pub stem: String,
    /// Stems of the parts when the word is a compound of known words, e.g. `affald`, `sorter`
    /// for `affaldssortering`.
    pub parts: Vec<String>,
}

/// What the analyzer may consult to fold and split: stems known to the index or the lexicon.
pub trait Vocabulary {
    /// Whether `stem` is a known Danish or English stem.
    fn knows(&self, stem: &str) -> bool;
}

impl Vocabulary for HashSet<String> {
    fn knows(&self, stem: &str) -> bool {
        self.contains(stem)
    }
}

/// Knows nothing: no folding guesses, no compound splitting.
pub struct NoVocabulary;

impl Vocabulary for NoVocabulary {
    fn knows(&self, _stem: &str) -> bool {
        false
    }
}

/// Words so common in how people write about anything that they say nothing about what an
/// idea is about; the stop-word lists lack them. General language, no catalog's words.
const GENERIC_DA: &[&str] = &[
    "bare",
    "også",
    "gerne",
    "måske",
    "rigtig",
    "rigtigt",
    "helt",
    "lidt",
    "lige",
    "meget",
    "mere",
    "mest",
    "mange",
    "flere",
    "nogle",
    "noget",
    "nogen",
    "ting",
    "tingene",
    "folk",
    "synes",
    "tror",
    "ved",
    "vide",
    "sige",
    "siger",
    "sagt",
    "kunne",
    "skulle",
    "ville",
    "gøre",
    "gør",
    "gjort",
    "få",
    "får",
    "fik",
    "fået",
    "komme",
    "kommer",
    "kom",
    "gå",
    "går",
    "gik",
    "se",
    "ser",
    "så",
    "sådan",
    "hvordan",
    "hvorfor",
    "hvornår",
    "ny",
    "nyt",
    "nye",
    "god",
    "godt",
    "gode",
    "stor",
    "stort",
    "store",
    "lille",
    "små",
    "hele",
    "altid",
    "aldrig",
    "igen",
    "allerede",
    "stadig",
    "egentlig",
    "faktisk",
    "virkelig",
    "især",
    "fx",
    "osv",
    "evt",
    "jo",
    "nok",
    "vel",
    "dog",
    "ja",
    "nej",
    "hej",
    "tak",
    "sted",
    "steder",
    "gang",
    "gange",
    "dag",
    "dage",
    "år",
    "måned",
    "måneden",
    "uge",
    "ugen",
    "mens",
    "både",
    "hver",
    "hvert",
    "anden",
    "andet",
    "andre",
    "kan",
    "kun",
    "lad",
    "lave",
    "laver",
    "lavet",
    "sætte",
    "sætter",
    "stille",
    "stiller",
    "bruge",
    "bruger",
    "brugt",
    "begge",
    "ene",
    "eneste",
    "enhver",
    "fordi",
    "forrige",
    "før",
    "hvilken",
    "hvilke",
    "ingen",
    "intet",
    "næste",
    "næsten",
    "okay",
    "tage",
    "tager",
    "taget",
    "vores",
    "hinanden",
    "hinandens",
    "jeres",
    "sted",
    "stedet",
    "give",
    "giver",
    "givet",
    "finde",
    "finder",
    "fundet",
    "tænke",
    "tænker",
    "prøve",
    "prøver",
    "mener",
    "måde",
    "måder",
    "del",
    "dele",
    "delen",
];
const GENERIC_EN: &[&str] = &[
    "would", "could", "should", "also", "like", "get", "got", "make", "made", "many", "much",
    "lot", "lots", "really", "thing", "things", "people", "want", "wants", "need", "needs",
    "maybe", "perhaps", "even", "just", "still", "already", "always", "never", "new", "good",
    "great", "big", "small", "every", "one", "two", "day", "days", "week", "weeks", "year",
    "years", "month", "time", "times", "way", "ways", "think", "know", "say", "said", "go",
    "going", "come", "see", "e.g", "etc", "please", "thanks", "hi", "place", "use", "used",
    "using", "put", "set", "take", "give", "find", "try", "let", "lets",
];

/// ASCII, a Latin-1 letter, or punctuation common in Danish text (dashes, quotation marks,
/// the apostrophe `’`, which words are split at anyway, the ellipsis, the bullet, `€`): text
/// of these is NFC, and Unicode word segmentation splits it at every character that is not a
/// letter or digit, except for `.`, `,`, `:` and `;` between two letters or digits, where it
/// may join them into one word (`3.5`, `aalborg.dk`).
fn latin(c: char) -> bool {
    c.is_ascii()
        || (('\u{c0}'..='\u{ff}').contains(&c) && c != '×' && c != '÷')
        || matches!(c, '–' | '—' | '’' | '“' | '”' | '„' | '…' | '•' | '€')
}

/// Whether a run of `length` letters and digits, `alphabetic` when it has a letter, is a word
/// worth keeping: a single character or a mere number says nothing, and a very long run is
/// noise (URLs, hashes).
fn is_word(length: usize, alphabetic: bool) -> bool {
    (2..=MAX_WORD).contains(&length) && alphabetic
}

/// What the analyzer knows of a word whatever its language: whether it is a stop word of
/// either language, and what it says about the language of its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WordFacts {
    /// A Danish stop word.
    pub danish_stop: bool,
    /// An English stop word.
    pub english_stop: bool,
    /// It has one of the letters æ, ø, å.
    pub danish_letters: bool,
}

impl WordFacts {
    /// Whether the word is a stop word of `language`.
    pub fn is_stop(self, language: Language) -> bool {
        match language {
            Language::Da => self.danish_stop,
            Language::En => self.english_stop,
        }
    }
}

/// What the words of a text say about its language.
#[derive(Default)]
pub struct LanguageEvidence {
    danish: usize,
    english: usize,
}

impl LanguageEvidence {
    /// Counts a word of the text, by what the analyzer knows of it.
    pub fn add_facts(&mut self, facts: WordFacts) {
        self.danish += 2 * usize::from(facts.danish_letters) + usize::from(facts.danish_stop);
        self.english += usize::from(facts.english_stop);
    }

    /// The language the words counted so far are most likely in.
    pub fn language(&self) -> Language {
        if self.english > self.danish {
            Language::En
        } else {
            Language::Da
        }
    }
}

/// The analyzer: stemmers and stop words of both languages. Cheap to share.
pub struct Analyzer {
    danish: Stemmer,
    english: Stemmer,
    danish_stop: FxHashSet<&'static str>,
    english_stop: FxHashSet<&'static str>,
    /// The length in bytes of the longest stop word: a longer word is none, without hashing.
    longest_stop: usize,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    /// An analyzer with the Snowball stemmers and the NLTK stop words of Danish and English.
    pub fn new() -> Self {
        let danish_stop: FxHashSet<&'static str> = stop_words::get("da")
            .iter()
            .chain(GENERIC_DA)
            .copied()
            .collect();
        let english_stop: FxHashSet<&'static str> = stop_words::get("en")
            .iter()
            .chain(GENERIC_EN)
            .copied()
            .collect();
        let longest_stop = danish_stop
            .iter()
            .chain(&english_stop)
            .map(|word| word.len())
            .max()
            .unwrap_or(0);
        Self {
            danish: Stemmer::create(Algorithm::Danish),
            english: Stemmer::create(Algorithm::English),
            danish_stop,
            english_stop,
            longest_stop,
        }
    }

    /// Lower-cased, NFC-normalised words of a text.
    pub fn words(text: &str) -> Vec<String> {
        let mut words = Vec::new();
        Self::each_word(text, |word| words.push(word.to_owned()));
        words
    }

    /// Calls `visit` with each lower-cased, NFC-normalised word of a text, without an
    /// allocation per word.
    pub fn each_word(text: &str, mut visit: impl FnMut(&str)) {
        // Latin-1 text is NFC already, and its words are the runs of letters and digits:
        // Unicode word segmentation would find the same ones, slower. One pass lower-cases,
        // splits and measures them; other text, and a mark that may join two words, go the
        // Unicode way.
        let mut lower = String::with_capacity(text.len());
        let mut words: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        let mut length = 0;
        let mut alphabetic = false;
        let mut after_mark = false;
        let mut previous_alphanumeric = false;
        for c in text.chars() {
            if !latin(c) {
                return Self::each_word_unicode(text, visit);
            }
            let alphanumeric = c.is_alphanumeric();
            if alphanumeric {
                if after_mark {
                    return Self::each_word_unicode(text, visit);
                }
                if c.is_ascii() {
                    lower.push(c.to_ascii_lowercase());
                } else {
                    lower.extend(c.to_lowercase());
                }
                length += 1;
                alphabetic |= c.is_alphabetic();
            } else {
                if is_word(length, alphabetic) {
                    words.push((start, lower.len()));
                }
                start = lower.len();
                length = 0;
                alphabetic = false;
            }
            after_mark = previous_alphanumeric && matches!(c, '.' | ',' | ':' | ';');
            previous_alphanumeric = alphanumeric;
        }
        if is_word(length, alphabetic) {
            words.push((start, lower.len()));
        }
        for (start, end) in words {
            visit(&lower[start..end]);
        }
    }

    /// [`Analyzer::each_word`] by Unicode word segmentation, for any text.
    fn each_word_unicode(text: &str, mut visit: impl FnMut(&str)) {
        let normalised = match unicode_normalization::is_nfc_quick(text.chars()) {
            unicode_normalization::IsNormalized::Yes => text.to_lowercase(),
            _ => text.nfc().collect::<String>().to_lowercase(),
        };
        normalised
            .unicode_words()
            .flat_map(|w| w.split(['_', '\'', '’']))
            .filter(|w| is_word(w.chars().count(), w.chars().any(char::is_alphabetic)))
            .for_each(&mut visit);
    }

    /// The language a text is most likely written in: Danish unless English stop words
    /// clearly outnumber Danish evidence (Danish stop words and the letters æ, ø, å).
    pub fn detect(&self, text: &str) -> Language {
        let mut evidence = LanguageEvidence::default();
        Self::each_word(text, |word| evidence.add_facts(self.facts(word)));
        evidence.language()
    }

    /// What the analyzer knows of a lower-cased word, in either language.
    pub fn facts(&self, word: &str) -> WordFacts {
        WordFacts {
            danish_stop: self.is_stop(word, Language::Da),
            english_stop: self.is_stop(word, Language::En),
            danish_letters: word.contains(['æ', 'ø', 'å']),
        }
    }

    /// Whether `word` is a stop word of `language`.
    pub fn is_stop(&self, word: &str, language: Language) -> bool {
        if word.len() > self.longest_stop {
            return false;
        }
        match language {
            Language::Da => self.danish_stop.contains(word),
            Language::En => self.english_stop.contains(word),
        }
    }

    /// The Snowball stem of a lower-case word. Danish is stemmed twice: one pass leaves
    /// `legepladsen` at `legeplads` but takes `legeplads` to `legeplad`, and the second pass
    /// makes the forms of a word meet.
    pub fn stem(&self, word: &str, language: Language) -> String {
        match language {
            Language::Da => {
                let once = self.danish.stem(word);
                self.danish.stem(&once).into_owned()
            }
            Language::En => self.english.stem(word).into_owned(),
        }
    }

    /// The tokens of a text in `language`: stop words removed, stemmed, folded and split
    /// against `vocabulary`.
    pub fn analyze(
        &self,
        text: &str,
        language: Language,
        vocabulary: &dyn Vocabulary,
    ) -> Vec<Token> {
        self.content_words(text, language)
            .map(|word| self.token(word, language, vocabulary))
            .collect()
    }

    /// The words of a text that are not stop words of `language`.
    pub fn content_words(&self, text: &str, language: Language) -> impl Iterator<Item = String> {
        Self::words(text)
            .into_iter()
            .filter(move |w| !self.is_stop(w, language))
    }

    /// Analyses one content word.
    pub fn token(&self, word: String, language: Language, vocabulary: &dyn Vocabulary) -> Token {
        let mut word = word;
        let mut stem = self.stem(&word, language);
        if language == Language::Da
            && !vocabulary.knows(&stem)
            && let Some(folded) = fold_digraphs(&word)
        {
            let folded_stem = self.stem(&folded, language);
            if vocabulary.knows(&folded_stem) {
                word = folded;
                stem = folded_stem;
            }
        }
        let parts = if language == Language::Da {
            self.split_compound(&stem, vocabulary, 0)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Token { word, stem, parts }
    }

    /// Splits a Danish stem into known stems, allowing a linking `s` or `e` after each part
    /// but the last, and preferring the longest first part. `None` when no split is known.
    fn split_compound(
        &self,
        stem: &str,
        vocabulary: &dyn Vocabulary,
        depth: usize,
    ) -> Option<Vec<String>> {
        let chars: Vec<char> = stem.chars().collect();
        if depth > 2 || chars.len() < 2 * MIN_PART {
            return None;
        }
        for cut in (MIN_PART..=chars.len() - MIN_PART).rev() {
            let head: String = chars[..cut].iter().collect();
            let rest: String = chars[cut..].iter().collect();
            let Some(head_stem) = self.known_stem(&head, vocabulary) else {
                continue;
            };
            let tail = self
                .known_stem(&rest, vocabulary)
                .map(|s| vec![s])
                .or_else(|| {
                    // A linking letter between the parts: "affald|s|sortering", "børn|e|have".
                    let linked = rest.strip_prefix(['s', 'e'])?;
                    (linked.chars().count() >= MIN_PART)
                        .then(|| self.known_stem(linked, vocabulary).map(|s| vec![s]))
                        .flatten()
                        .or_else(|| self.split_compound(linked, vocabulary, depth + 1))
                });
            let tail = tail.or_else(|| self.split_compound(&rest, vocabulary, depth + 1));
            if let Some(mut tail) = tail {
                let mut parts = vec![head_stem];
                parts.append(&mut tail);
                return Some(parts);
            }
        }
        None
    }

    /// A part of a compound as a known stem: as cut, or stemmed ("sortering" meets "sorter").
    /// Words repeat, and the analysis of each is cached, so the stemming is paid once a word.
    fn known_stem(&self, part: &str, vocabulary: &dyn Vocabulary) -> Option<String> {
        self.known_part(part, vocabulary)
            .or_else(|| self.known_part(&self.stem(part, Language::Da), vocabulary))
    }

    /// `part` when it is a known stem and not a stop word or a bare suffix.
    fn known_part(&self, part: &str, vocabulary: &dyn Vocabulary) -> Option<String> {
        let usable = part.chars().count() >= MIN_PART
            && !self.danish_stop.contains(part)
            && !SUFFIXES.contains(&part)
            && vocabulary.knows(part);
        usable.then(|| part.to_owned())
    }
}

/// `ae`, `oe`, `aa` read as `æ`, `ø`, `å`, as Danes write without those keys; `None` when the
/// word has none of them.
pub fn fold_digraphs(word: &str) -> Option<String> {
    // One pass over the bytes: most words have none, and three substring searches of a short
    // word cost more than the scan.
    let digraph = |pair: &[u8]| matches!(pair, [b'a', b'e' | b'a'] | [b'o', b'e']);
    if !word.as_bytes().windows(2).any(digraph) {
        return None;
    }
    Some(
        word.replace("ae", "æ")
            .replace("oe", "ø")
            .replace("aa", "å"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary(analyzer: &Analyzer, words: &[&str]) -> HashSet<String> {
        words
            .iter()
            .map(|w| analyzer.stem(w, Language::Da))
            .collect()
    }

    fn stems_and_parts(tokens: &[Token]) -> Vec<String> {
        tokens
            .iter()
            .flat_map(|t| std::iter::once(t.stem.clone()).chain(t.parts.iter().cloned()))
            .collect()
    }

    #[test]
    fn danish_compounds_meet_their_parts() {
        let analyzer = Analyzer::new();
        let known = vocabulary(
            &analyzer,
            &[
                "affald",
                "sortering",
                "cykel",
                "sti",
                "legeplads",
                "børn",
                "have",
            ],
        );

        let tokens = analyzer.analyze(
            "Affaldssortering på cykelstien ved legepladsen",
            Language::Da,
            &known,
        );

        let terms = stems_and_parts(&tokens);
        for expected in ["affald", "cykel", "sti", "legeplads"] {
            assert!(
                terms.contains(&analyzer.stem(expected, Language::Da)),
                "{expected} not in {terms:?}"
            );
        }
        assert!(terms.contains(&analyzer.stem("sortering", Language::Da)));
    }

    #[test]
    fn stemming_meets_inflected_forms() {
        let analyzer = Analyzer::new();
        let a = analyzer.analyze("cykelstier", Language::Da, &NoVocabulary);
        let b = analyzer.analyze("cykelsti", Language::Da, &NoVocabulary);
        assert_eq!(a[0].stem, b[0].stem);
        let a = analyzer.analyze("volunteers", Language::En, &NoVocabulary);
        let b = analyzer.analyze("volunteering", Language::En, &NoVocabulary);
        assert_eq!(a[0].stem, b[0].stem);
    }

    #[test]
    fn digraphs_fold_only_into_known_words() {
        let analyzer = Analyzer::new();
        let known = vocabulary(&analyzer, &["ældre", "forfærdelig"]);

        let tokens = analyzer.analyze("aeldre forfaerdeligt does", Language::Da, &known);

        assert_eq!(tokens[0].word, "ældre");
        assert_eq!(tokens[1].word, "forfærdeligt");
        assert_eq!(tokens[2].word, "does");
    }

    #[test]
    fn stop_words_go_and_case_and_normalisation_do_not_matter() {
        let analyzer = Analyzer::new();
        let decomposed = "Gro\u{0308}n"; // "Grøn" would be precomposed; this is o + combining diaeresis
        let tokens = analyzer.analyze(
            &format!("Det er en {decomposed} IDÉ og Idé"),
            Language::Da,
            &NoVocabulary,
        );
        let words: Vec<&str> = tokens.iter().map(|t| t.word.as_str()).collect();
        assert_eq!(words, ["grön", "idé", "idé"]);
    }

    #[test]
    fn the_language_of_a_text_is_detected() {
        let analyzer = Analyzer::new();
        assert_eq!(
            analyzer.detect("Jeg vil gerne lave en have for de ældre i byen"),
            Language::Da
        );
        assert_eq!(
            analyzer.detect("I would like to start a garden for the elderly in the city"),
            Language::En
        );
        assert_eq!(analyzer.detect(""), Language::Da);
    }

    #[test]
    fn english_text_is_stemmed_as_english() {
        let analyzer = Analyzer::new();
        let tokens = analyzer.analyze(
            "The neighbours are organising litter picking",
            Language::En,
            &NoVocabulary,
        );
        let stems: Vec<&str> = tokens.iter().map(|t| t.stem.as_str()).collect();
        assert_eq!(stems, ["neighbour", "organis", "litter", "pick"]);
    }
}

#[cfg(test)]
mod properties {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    fn vocabulary() -> HashSet<String> {
        ["affald", "sort", "cykel", "sti", "hus", "ældre"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    }

    proptest! {
        #[test]
        fn analysing_any_text_never_panics_and_is_deterministic(text in "\\PC{0,200}") {
            let analyzer = Analyzer::new();
            let known = vocabulary();
            for language in [Language::Da, Language::En] {
                let first = analyzer.analyze(&text, language, &known);
                let second = analyzer.analyze(&text, language, &known);
                prop_assert_eq!(&first, &second);
                for token in &first {
                    prop_assert!(!token.stem.is_empty());
                }
            }
            let _ = analyzer.detect(&text);
        }

        #[test]
        fn latin_text_splits_into_the_words_unicode_segmentation_finds(
            text in "[a-zA-Z0-9æøåÆØÅéüÿßÀ×÷ .,:;'’‘_!?()@#\\-\n\t–—“”„…•€]{0,120}",
        ) {
            let mut fast = Vec::new();
            Analyzer::each_word(&text, |w| fast.push(w.to_owned()));
            let mut unicode = Vec::new();
            Analyzer::each_word_unicode(&text, |w| unicode.push(w.to_owned()));
            prop_assert_eq!(fast, unicode);
        }

        #[test]
        fn digraphs_are_folded_exactly_when_a_word_has_one(word in "[a-zæøåé]{0,12}") {
            let has = word.contains("ae") || word.contains("oe") || word.contains("aa");
            let folded = fold_digraphs(&word);
            prop_assert_eq!(folded.is_some(), has);
            if let Some(folded) = folded {
                prop_assert_eq!(
                    folded,
                    word.replace("ae", "æ").replace("oe", "ø").replace("aa", "å")
                );
            }
        }

        #[test]
        fn a_word_is_a_stop_word_exactly_when_its_list_has_it(
            word in "[a-zæøå]{1,14}",
            pick in 0usize..1000,
        ) {
            let analyzer = Analyzer::new();
            for (language, list) in [
                (Language::Da, &analyzer.danish_stop),
                (Language::En, &analyzer.english_stop),
            ] {
                prop_assert_eq!(analyzer.is_stop(&word, language), list.contains(word.as_str()));
                // Every listed word, the longest among them, is found.
                let mut listed: Vec<&str> = list.iter().copied().collect();
                listed.sort_unstable();
                let stop = listed[pick % listed.len()];
                prop_assert!(analyzer.is_stop(stop, language));
                let longest = listed.iter().max_by_key(|w| w.len()).unwrap();
                prop_assert!(analyzer.is_stop(longest, language));
            }
        }

        #[test]
        fn any_unicode_including_controls_and_combining_marks_is_safe(text in any::<String>()) {
            let analyzer = Analyzer::new();
            let _ = analyzer.analyze(&text, Language::Da, &vocabulary());
            let _ = fold_digraphs(&text);
        }
    }
}
