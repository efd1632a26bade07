//! The evidence that placed a network, an initiative or an idea in a result, readable by a
//! person and stable for a program.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// A word of the idea met the same word (or its stem) in the text.
    Term {
        /// The idea's word.
        term: String,
        /// The answer it came from: `title`, `problem`, `helpers`, ...
        field: String,
    },
    /// A part of a compound word met: `affald` of `affaldssortering`.
    Compound {
        /// The idea's word.
        term: String,
        /// The part that met.
        part: String,
        /// The answer it came from.
        field: String,
    },
    /// A word met through a synonym: `skrald` via `affald`.
    Synonym {
        /// The idea's word.
        term: String,
        /// The synonym that met.
        via: String,
        /// The answer it came from.
        field: String,
    },
    /// A word met through a translation: `waste` via `affald`.
    Translation {
        /// The idea's word.
        term: String,
        /// The translation that met.
        via: String,
        /// The answer it came from.
        field: String,
    },
    /// The idea's location is among the places the network serves.
    Area {
        /// The postcode or place name.
        value: String,
    },
    /// The idea names this initiative (perhaps misspelt) among existing initiatives.
    NamedInitiative {
        /// The initiative's title as the catalog writes it.
        value: String,
    },
    /// The idea reads as a complaint or a question to a municipal service rather than a
    /// proposal to develop together: it goes to triage, whatever the networks' scores.
    ServiceRequest {
        /// The word or phrase that says so.
        value: String,
    },
    /// Earlier ideas like this one were placed by people: taken by this network, forwarded or
    /// routed to it (`toward`), or declined or passed on by it (`away`).
    Feedback {
        /// How many similar earlier ideas went to this network.
        toward: u32,
        /// How many similar earlier ideas this network declined or passed on.
        away: u32,
    },
    /// The idea names this network among those who can help.
    NamedNetwork {
        /// The network's name as the catalog writes it.
        value: String,
    },
}
