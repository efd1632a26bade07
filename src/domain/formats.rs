//! Small format checks shared by the catalog and ideas.

use std::sync::LazyLock;

use regex::Regex;

/// `^[a-z0-9][a-z0-9-]{1,62}$`
pub fn is_slug(s: &str) -> bool {
    let bytes = s.as_bytes();
    (2..=63).contains(&bytes.len())
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// The e-mail addresses the service takes, as the OpenAPI document's `pattern` states them: a
/// dot-atom local part and a host name of ASCII labels (a subset of JSON Schema's `email`
/// format, so a value passes both or neither).
pub const EMAIL_PATTERN: &str = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$";

/// The web pages the catalog links to, as the OpenAPI document's `pattern` states them: `http`
/// or `https`, a host name, an optional port, path, query and fragment of the characters RFC
/// 3986 allows (a subset of JSON Schema's `uri` format).
pub const WEB_URL_PATTERN: &str = r"^https?://([A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+(:[0-9]{1,5})?(/([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})*)*(\?([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?(#([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?$";

/// An e-mail address as `EMAIL_PATTERN` says, with a local part of at most 64 characters and at
/// most 254 in all. Deliverability is the mail system's business, not ours.
pub fn is_email(s: &str) -> bool {
    static EMAIL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(EMAIL_PATTERN).expect("a valid pattern"));
    s.len() <= 254
        && s.split_once('@')
            .is_some_and(|(local, _)| local.len() <= 64)
        && EMAIL.is_match(s)
}

/// A phone number: digits with optional leading `+`, spaces, hyphens and parentheses;
/// 8 to 15 digits (a Danish number has 8, E.164 allows 15).
pub fn is_phone(s: &str) -> bool {
    let body = s.strip_prefix('+').unwrap_or(s);
    let digits = body.chars().filter(char::is_ascii_digit).count();
    (8..=15).contains(&digits)
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
}

/// A Danish postcode: exactly four ASCII digits.
pub fn is_postcode(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A web page's address as `WEB_URL_PATTERN` says.
pub fn is_web_url(s: &str) -> bool {
    static WEB_URL: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(WEB_URL_PATTERN).expect("a valid pattern"));
    WEB_URL.is_match(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_the_catalog_format() {
        assert!(is_slug("de-frivilliges-hus"));
        assert!(is_slug("9a"));
        assert!(!is_slug("a"));
        assert!(!is_slug("-ab"));
        assert!(!is_slug("Grønne"));
        assert!(!is_slug(&"a".repeat(64)));
    }

    #[test]
    fn contact_formats_accept_real_values_and_refuse_junk() {
        assert!(is_email("anna.hansen@example.dk"));
        assert!(!is_email("anna@"));
        assert!(!is_email("anna hansen@example.dk"));
        assert!(!is_email("anna@example"));
        assert!(is_phone("+45 12 34 56 78"));
        assert!(is_phone("12345678"));
        assert!(!is_phone("1234"));
        assert!(!is_phone("12345678a"));
        assert!(is_postcode("9000"));
        assert!(!is_postcode("900"));
        assert!(!is_postcode("９０００"));
        assert!(is_web_url("https://www.aalborg.dk/x"));
        assert!(!is_web_url("javascript:alert(1)"));
        assert!(!is_web_url("https:// x"));
        assert!(!is_web_url("http://["));
        assert!(!is_web_url("https://blåbær.dk"));
        assert!(!is_email("anna..hansen@example.dk"));
        assert!(!is_email(" anna@example.dk"));
        assert!(!is_email(&format!("{}@example.dk", "a".repeat(65))));
    }
}
