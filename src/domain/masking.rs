//! Masking of personal data inside free text, for partners the citizen did not allow to see it.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// What masks, in the order applied: CPR numbers before phone numbers, which would take them.
static PATTERNS: LazyLock<[(Regex, &str); 3]> = LazyLock::new(|| {
    let pattern = |re: &str| Regex::new(re).expect("a valid pattern");
    [
        // DDMMYY-XXXX, with a hyphen, a space or nothing between.
        (pattern(r"\b\d{6}[- ]?\d{4}\b"), "[cpr hidden]"),
        (pattern(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email hidden]"),
        // Eight or more digits, with an optional country code and single separators.
        (
            pattern(r"(?:\(?\+\d{1,3}\)?[ -]?)?(?:\(?\d\)?[ .-]?){7,}\d\b"),
            "[phone hidden]",
        ),
    ]
});

/// `text` with e-mail addresses, phone numbers and CPR-like numbers replaced by
/// `[email hidden]`, `[phone hidden]` and `[cpr hidden]`.
pub fn mask_personal_data(text: &str) -> Cow<'_, str> {
    if !may_hold_personal_data(text) {
        return Cow::Borrowed(text);
    }
    apply_patterns(text)
}

/// Whether a pattern could match: each needs an `@` or at least eight digits (`\d` is any
/// Unicode digit, which `char::is_numeric` includes). Most texts have neither.
///
/// Counted byte by byte: ASCII digits directly, and other numerals only when the text has a
/// character whose first byte could start one. Every numeral outside ASCII is outside U+00C0 to
/// U+00FF, the Latin-1 letters (first byte 0xC3) that are the only non-ASCII characters of most
/// Danish text.
fn may_hold_personal_data(text: &str) -> bool {
    if text.contains('@') {
        return true;
    }
    let mut numerals = text.bytes().filter(u8::is_ascii_digit).count();
    if numerals < 8 && text.bytes().any(|b| b == 0xC2 || b >= 0xC4) {
        numerals += text
            .chars()
            .filter(|c| !c.is_ascii() && c.is_numeric())
            .count();
    }
    numerals >= 8
}

fn apply_patterns(text: &str) -> Cow<'_, str> {
    let mut masked = Cow::Borrowed(text);
    for (pattern, replacement) in PATTERNS.iter() {
        if let Cow::Owned(changed) = pattern.replace_all(&masked, *replacement) {
            masked = Cow::Owned(changed);
        }
    }
    masked
}

/// Masks personal data in `text` where it stands.
pub fn mask_in_place(text: &mut String) {
    if let Cow::Owned(masked) = mask_personal_data(text) {
        *text = masked;
    }
}

/// Masks personal data in an idea's title, answers and place.
pub fn mask_idea_text(
    title: &mut String,
    answers: &mut super::Answers,
    location: Option<&mut super::Location>,
) {
    let texts = [Some(title), Some(&mut answers.problem)]
        .into_iter()
        .chain([
            answers.helpers.as_mut(),
            answers.motivation.as_mut(),
            answers.existing_initiatives.as_mut(),
            answers.new_alliances.as_mut(),
            location.and_then(|l| l.place.as_mut()),
        ])
        .flatten();
    for text in texts {
        mask_in_place(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_data_in_free_text_is_masked() {
        for (text, expected) in [
            (
                "Skriv til anna.hansen+strand@example.dk i morgen",
                "Skriv til [email hidden] i morgen",
            ),
            (
                "Ring 12 34 56 78 eller +45 87654321.",
                "Ring [phone hidden] eller [phone hidden].",
            ),
            ("Mit cpr er 010203-1234.", "Mit cpr er [cpr hidden]."),
            ("CPR 0102031234", "CPR [cpr hidden]"),
            ("tlf. (+45) 98-76-54-32", "tlf. [phone hidden]"),
        ] {
            assert_eq!(mask_personal_data(text), expected, "{text}");
        }
    }

    proptest::proptest! {
        /// The shortcut for texts without `@` or eight digits changes no answer.
        #[test]
        fn the_shortcut_agrees_with_the_patterns(text in "[a-zæøå0-9٠-٩²@.+ -]{0,40}") {
            proptest::prop_assert_eq!(mask_personal_data(&text), apply_patterns(&text));
        }

        /// Counting by bytes finds what counting every character with `char::is_numeric` finds.
        #[test]
        fn the_byte_count_agrees_with_the_numerals(text in "\\PC{0,40}|[a-zæøå0-9٠-٩¹²³¼½¾ ]{0,40}") {
            let numerals = text.chars().filter(|c| c.is_numeric()).count();
            proptest::prop_assert_eq!(
                may_hold_personal_data(&text),
                text.contains('@') || numerals >= 8
            );
        }
    }

    #[test]
    fn ordinary_text_and_short_numbers_are_kept() {
        for text in [
            "Ren strand i Nibe, 9240, efter 2 weekender i 2025",
            "Vi er 25 frivillige og mødes kl. 14.30",
        ] {
            assert!(
                matches!(mask_personal_data(text), Cow::Borrowed(_)),
                "{text}"
            );
        }
    }
}
