//! The analyzer and the whole matching of an idea whose texts are the input.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use sammen::domain::{Answers, Catalog, IdeaText};
use sammen::matching::Matcher;

static MATCHER: LazyLock<Matcher> = LazyLock::new(|| Matcher::new(&Catalog::aalborg(), 0.35));

fuzz_target!(|text: &str| {
    let (title, problem) = text.split_at(text.char_indices().nth(20).map_or(0, |(i, _)| i));
    let idea = IdeaText {
        title: title.to_owned(),
        answers: Answers {
            problem: problem.to_owned(),
            helpers: Some(text.to_owned()),
            motivation: None,
            existing_initiatives: Some(problem.to_owned()),
            new_alliances: None,
        },
        location: None,
        language: None,
    };
    let matching = MATCHER.match_idea(&idea);
    assert!(matching.networks.iter().all(|n| (0.0..=1.0).contains(&n.score)));
});
