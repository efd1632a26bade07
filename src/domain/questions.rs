//! The five questions of the co-creation form, so that a frontend can render it from the API.

use serde::Serialize;
use utoipa::ToSchema;

use super::catalog::LocalizedText;
use super::idea::{ANSWER_MAX, PROBLEM_LIMITS};

/// One question of the form.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Question {
    /// The field of `answers` that holds the answer.
    #[schema(example = "problem")]
    pub key: &'static str,
    /// Position in the form, from 1.
    pub position: u8,
    /// The question.
    pub label: LocalizedText,
    /// A hint shown under the question.
    pub help: LocalizedText,
    /// Whether an answer is required.
    pub required: bool,
    /// Fewest characters in an answer.
    pub min_length: usize,
    /// Most characters in an answer.
    pub max_length: usize,
}

fn text(da: &str, en: &str) -> LocalizedText {
    LocalizedText {
        da: Some(da.to_owned()),
        en: Some(en.to_owned()),
    }
}

/// The five questions, in form order.
pub fn questions() -> Vec<Question> {
    let rows = [
        (
            "problem",
            "Hvilket problem vil du løse, eller hvilket mål vil du nå?",
            "What problem do you want to solve, or what goal do you want to reach?",
            "Beskriv situationen med dine egne ord: hvad er svært i dag, og hvad skal være anderledes?",
            "Describe the situation in your own words: what is hard today, and what should change?",
        ),
        (
            "helpers",
            "Hvem kan hjælpe dig?",
            "Who can help you?",
            "Fx naboer, en forening, en skole, en virksomhed eller kommunen.",
            "For example neighbours, an association, a school, a business or the municipality.",
        ),
        (
            "motivation",
            "Hvordan kan du motivere din samarbejdspartner?",
            "How can you motivate your partner?",
            "Hvad får de andre ud af at være med?",
            "What do the others gain by taking part?",
        ),
        (
            "existing_initiatives",
            "Er der eksisterende initiativer eller samarbejder, du kan koble dig på?",
            "Are there existing initiatives or collaborations you can join?",
            "Nævn dem, du kender; vi foreslår også selv nogle.",
            "Name those you know; we will suggest some as well.",
        ),
        (
            "new_alliances",
            "Hvilke nye alliancer skal du skabe?",
            "Which new alliances should you create?",
            "Hvem har ikke arbejdet sammen før, men burde?",
            "Who has not worked together before, but should?",
        ),
    ];
    rows.into_iter()
        .zip(1..)
        .map(|((key, label_da, label_en, help_da, help_en), position)| {
            let required = key == "problem";
            Question {
                key,
                position,
                label: text(label_da, label_en),
                help: text(help_da, help_en),
                required,
                min_length: if required { PROBLEM_LIMITS.0 } else { 0 },
                max_length: if required {
                    PROBLEM_LIMITS.1
                } else {
                    ANSWER_MAX
                },
            }
        })
        .collect()
}
