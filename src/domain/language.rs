//! The two languages sammen speaks, and how a request says which one it wants.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A language the service knows: Danish or English.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Danish (the default).
    Da,
    /// English.
    En,
}

impl Language {
    /// The ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Language::Da => "da",
            Language::En => "en",
        }
    }

    /// Reads an ISO 639-1 code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "da" => Some(Language::Da),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    /// The language to answer in for an `Accept-Language` header: the known language with the
    /// highest quality value, Danish when the header names neither.
    pub fn negotiate(accept_language: Option<&str>) -> Self {
        let Some(header) = accept_language else {
            return Language::Da;
        };
        let mut best: Option<(f32, Language)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let Some(language) = Language::from_code(primary) else {
                continue;
            };
            if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, language));
            }
        }
        best.map_or(Language::Da, |(_, language)| language)
    }
}

#[cfg(test)]
mod tests {
    use super::Language;

    #[test]
    fn accept_language_picks_the_preferred_known_language() {
        assert_eq!(Language::negotiate(None), Language::Da);
        assert_eq!(Language::negotiate(Some("en")), Language::En);
        assert_eq!(Language::negotiate(Some("en-GB,en;q=0.9")), Language::En);
        assert_eq!(
            Language::negotiate(Some("de, en;q=0.5, da;q=0.8")),
            Language::Da
        );
        assert_eq!(Language::negotiate(Some("fr")), Language::Da);
        assert_eq!(Language::negotiate(Some("en;q=0")), Language::Da);
        assert_eq!(Language::negotiate(Some(";;,,q=")), Language::Da);
    }
}
