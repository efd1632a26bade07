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

/// Checks a text: trimmed, `min..=max` characters, no control characters (line breaks and tabs
/// only where `multiline`). Returns the trimmed text when it passes.
pub fn check_text(
    problems: &Problems,
    path: &str,
    raw: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Option<String> {
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
    if length > max {
        problems.add(path, ProblemCode::TooLong(max));
        return None;
    }
    Some(text.to_owned())
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
