//! Small format checks shared by the catalog and ideas.

/// `^[a-z0-9][a-z0-9-]{1,62}$`
pub fn is_slug(s: &str) -> bool {
    let bytes = s.as_bytes();
    (2..=63).contains(&bytes.len())
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// A pragmatic e-mail check: one `@`, a non-empty local part, a dotted domain, no spaces, at
/// most 254 characters. Deliverability is the mail system's business, not ours.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
        && local.chars().all(|c| !c.is_whitespace() && !c.is_control())
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

/// An absolute http(s) URL without whitespace.
pub fn is_web_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && !r.chars().any(|c| c.is_whitespace() || c.is_control())
    })
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
    }
}
