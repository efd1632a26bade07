//! A strict reader of JSON documents that reports every problem with its path, instead of
//! stopping at the first one the way a derived deserializer does.

use serde_json::{Map, Value};

use super::problems::{ProblemCode, Problems};

/// Reads the fields of one JSON object. Unknown fields are reported when the reader is made.
pub struct ObjectReader<'a> {
    map: &'a Map<String, Value>,
    path: String,
    problems: &'a Problems,
}

/// The path of `name` inside the object at `path`.
pub fn child_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

impl<'a> ObjectReader<'a> {
    /// A reader of `value` at `path`, which must be an object holding only `allowed` fields.
    pub fn new(
        value: &'a Value,
        path: &str,
        allowed: &[&str],
        problems: &'a Problems,
    ) -> Option<Self> {
        let Value::Object(map) = value else {
            problems.add(root_or(path), ProblemCode::WrongType("object"));
            return None;
        };
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                problems.add(child_path(path, key), ProblemCode::UnknownField);
            }
        }
        Some(Self {
            map,
            path: path.to_owned(),
            problems,
        })
    }

    /// The path of one of this object's fields.
    pub fn path_of(&self, name: &str) -> String {
        child_path(&self.path, name)
    }

    /// The collector this reader reports to.
    pub fn problems(&self) -> &'a Problems {
        self.problems
    }

    fn present(&self, name: &str, required: bool) -> Option<&'a Value> {
        match self.map.get(name) {
            None | Some(Value::Null) => {
                if required {
                    self.problems.add(self.path_of(name), ProblemCode::Required);
                }
                None
            }
            Some(value) => Some(value),
        }
    }

    /// A string field; `None` (with a problem when required or mistyped) otherwise.
    pub fn string(&self, name: &str, required: bool) -> Option<&'a str> {
        match self.present(name, required)? {
            Value::String(s) => Some(s),
            _ => {
                self.problems
                    .add(self.path_of(name), ProblemCode::WrongType("string"));
                None
            }
        }
    }

    /// An optional string field that may be absent but not `null` (where the schema does not
    /// say `null`).
    pub fn non_null_string(&self, name: &str) -> Option<&'a str> {
        match self.map.get(name)? {
            Value::String(s) => Some(s),
            _ => {
                self.problems
                    .add(self.path_of(name), ProblemCode::WrongType("string"));
                None
            }
        }
    }

    /// An optional boolean field that may be absent but not `null`.
    pub fn non_null_boolean(&self, name: &str) -> Option<bool> {
        match self.map.get(name)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.problems
                    .add(self.path_of(name), ProblemCode::WrongType("boolean"));
                None
            }
        }
    }

    /// An optional boolean field.
    pub fn boolean(&self, name: &str) -> Option<bool> {
        match self.present(name, false)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.problems
                    .add(self.path_of(name), ProblemCode::WrongType("boolean"));
                None
            }
        }
    }

    /// A nested object field holding only `allowed` fields.
    pub fn object(&self, name: &str, allowed: &[&str], required: bool) -> Option<ObjectReader<'a>> {
        let value = self.present(name, required)?;
        ObjectReader::new(value, &self.path_of(name), allowed, self.problems)
    }

    /// An array field, as its elements with their paths.
    pub fn array(&self, name: &str, required: bool) -> Vec<(String, &'a Value)> {
        let Some(value) = self.present(name, required) else {
            return Vec::new();
        };
        let Value::Array(items) = value else {
            self.problems
                .add(self.path_of(name), ProblemCode::WrongType("array"));
            return Vec::new();
        };
        let base = self.path_of(name);
        items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("{base}[{i}]"), item))
            .collect()
    }

    /// An optional array of strings, each checked as single-line text of 1..=`max_len` characters.
    pub fn string_array(&self, name: &str, max_items: usize, max_len: usize) -> Vec<String> {
        let items = self.array(name, false);
        if items.len() > max_items {
            self.problems
                .add(self.path_of(name), ProblemCode::TooLong(max_items));
        }
        items
            .into_iter()
            .filter_map(|(path, item)| match item {
                Value::String(s) => check_text(self.problems, &path, s, 1, max_len, false),
                _ => {
                    self.problems.add(path, ProblemCode::WrongType("string"));
                    None
                }
            })
            .collect()
    }
}

fn root_or(path: &str) -> String {
    if path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    }
}

/// What `check_text` accepts, as JSON Schema `pattern`s: the OpenAPI document repeats these
/// (attributes take only literals), and a test holds them to `check_text`. Whitespace is what
/// `str::trim` removes, control characters are `char::is_control`; classes are spelled out so
/// that ECMA, Python and Rust regular expressions agree on them.
pub mod patterns {
    /// A required single-line text of at least one character after trimming.
    pub const LINE: &str = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$";
    /// A required text of at least one character after trimming; line breaks and tabs allowed.
    pub const BLOCK: &str = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$";
    /// An optional single-line text: blank (read as absent) or a `LINE`.
    pub const OPTIONAL_LINE: &str = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$";
    /// An optional text with line breaks: blank (read as absent) or a `BLOCK`.
    pub const OPTIONAL_BLOCK: &str = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$";
    /// An idea's title: single-line, at least 3 characters after trimming.
    pub const TITLE: &str = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]+[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$";
    /// The `problem` answer: line breaks allowed, at least 10 characters after trimming.
    pub const PROBLEM: &str = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]{8,}[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$";
}

/// Checks a text: at most `max` characters as sent (JSON Schema's `maxLength` counts the same
/// way), at least `min` once trimmed, no control characters (line breaks and tabs only where
/// `multiline`). Returns the trimmed text when it passes.
pub fn check_text(
    problems: &Problems,
    path: &str,
    raw: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Option<String> {
    if raw.chars().count() > max {
        problems.add(path, ProblemCode::TooLong(max));
        return None;
    }
    let text = raw.trim();
    let allowed_control = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if text.chars().any(|c| c.is_control() && !allowed_control(c)) {
        problems.add(path, ProblemCode::InvalidCharacter);
        return None;
    }
    let length = text.chars().count();
    if length < min {
        problems.add(
            path,
            if length == 0 {
                ProblemCode::Required
            } else {
                ProblemCode::TooShort(min)
            },
        );
        return None;
    }
    Some(text.to_owned())
}

/// An optional text: absent when blank, else as `check_text` (the length limit counts blanks
/// too). `Err` when it breaks the rules.
pub(crate) fn check_optional_text(
    problems: &Problems,
    path: &str,
    raw: &str,
    max: usize,
    multiline: bool,
) -> Result<Option<String>, ()> {
    if raw.chars().count() <= max && raw.trim().is_empty() {
        return Ok(None);
    }
    check_text(problems, path, raw, 1, max, multiline)
        .map(Some)
        .ok_or(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_problem_of_a_document_is_reported_with_its_path() {
        let problems = Problems::default();
        let doc = json!({"a": 1, "b": {"c": "x", "zz": true}, "extra": null});
        let reader = ObjectReader::new(&doc, "", &["a", "b", "d"], &problems).unwrap();
        assert_eq!(reader.string("a", true), None);
        let inner = reader.object("b", &["c"], true).unwrap();
        assert_eq!(inner.string("c", true), Some("x"));
        assert_eq!(reader.string("d", true), None);
        let found = problems.into_result(()).unwrap_err();
        let fields: Vec<_> = found
            .iter()
            .map(|p| (p.field.as_str(), p.code.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("extra", "unknown_field"),
                ("a", "wrong_type"),
                ("b.zz", "unknown_field"),
                ("d", "required"),
            ]
        );
    }

    /// Texts at the edges of the rules: blanks of every kind, control characters inside and
    /// around, and lengths around the minimums.
    fn awkward_texts() -> Vec<String> {
        let mut texts: Vec<String> = [
            "",
            " ",
            "a",
            "ab",
            "abc",
            " ab ",
            " abc ",
            "\u{3000}a\u{3000}",
            "a\u{85}",
            "\u{85}a",
            "a\u{85}b",
            "a\u{a0}b",
            "\u{a0}",
            "a\nb",
            "\na\n",
            "a\tb",
            "\ta",
            "a\u{0}b",
            "\u{1c}a",
            "a\u{1c}",
            "a\u{1f}b",
            "a\u{7f}",
            "a\u{9f}b",
            "a\u{2028}b",
            "\u{2028}",
            "a\u{feff}",
            "\u{feff}",
            "æøå",
            "a\r\nb",
            "\u{200b}",
            "abcdefghi",
            "abcdefghij",
            " abcdefghi ",
            "abcd\nefghij",
            "abc\u{0}defghij",
            "  abcdefghij\n",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        texts.push("x".repeat(20));
        texts
    }

    #[test]
    fn the_schema_patterns_accept_exactly_what_the_text_checks_accept() {
        let cases: [(&str, usize, bool, bool); 6] = [
            (patterns::LINE, 1, false, false),
            (patterns::BLOCK, 1, true, false),
            (patterns::TITLE, 3, false, false),
            (patterns::PROBLEM, 10, true, false),
            (patterns::OPTIONAL_LINE, 1, false, true),
            (patterns::OPTIONAL_BLOCK, 1, true, true),
        ];
        for (pattern, min, multiline, optional) in cases {
            let regex = regex::Regex::new(pattern).expect("a valid pattern");
            for text in awkward_texts() {
                let problems = Problems::default();
                let accepted = if optional {
                    check_optional_text(&problems, "t", &text, 100, multiline).is_ok()
                } else {
                    check_text(&problems, "t", &text, min, 100, multiline).is_some()
                };
                assert_eq!(
                    regex.is_match(&text),
                    accepted,
                    "{text:?} against {pattern} (min {min}, multiline {multiline})"
                );
            }
        }
    }

    #[test]
    fn the_length_limit_counts_characters_as_sent() {
        let problems = Problems::default();
        assert_eq!(check_text(&problems, "t", " abc ", 1, 4, false), None);
        assert_eq!(
            check_optional_text(&problems, "t", "     ", 4, false),
            Err(())
        );
        assert_eq!(
            check_text(&problems, "t", "åbc", 1, 3, false),
            Some("åbc".into())
        );
        let codes: Vec<_> = problems
            .into_result(())
            .unwrap_err()
            .iter()
            .map(|p| p.code.as_str())
            .collect();
        assert_eq!(codes, ["too_long", "too_long"]);
    }

    #[test]
    fn text_is_trimmed_and_refuses_control_characters() {
        let problems = Problems::default();
        assert_eq!(
            check_text(&problems, "t", "  hej  ", 3, 10, false),
            Some("hej".into())
        );
        assert_eq!(check_text(&problems, "t", "a\u{0}bc", 1, 10, true), None);
        assert_eq!(check_text(&problems, "t", "a\nbc", 1, 10, false), None);
        assert_eq!(
            check_text(&problems, "t", "a\nbc", 1, 10, true),
            Some("a\nbc".into())
        );
        assert_eq!(check_text(&problems, "t", "æøå", 4, 10, true), None);
        assert_eq!(problems.into_result(()).unwrap_err().len(), 3);
    }
}
