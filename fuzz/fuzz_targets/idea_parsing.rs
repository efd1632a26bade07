//! Parsing and validating the bodies of `POST /v1/ideas` and `POST /v1/match`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sammen::domain::{IdeaText, NewIdea};

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Err(problems) = NewIdea::parse(&body) {
            assert!(!problems.is_empty());
        }
        let _ = IdeaText::parse(&body);
    }
});
