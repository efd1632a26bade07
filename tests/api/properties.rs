//! Properties of what parses untrusted input, on any input: an idea body, a match body and a
//! list cursor. The fuzz targets of the same functions need nightly; these run on stable in the
//! normal suite.

use proptest::prelude::*;
use sammen::domain::{IdeaText, NewIdea};
use sammen::routes::{decode_cursor, encode_cursor};
use sammen::webhooks::signature::{generate_secret, sign, verify};
use serde_json::{Value, json};

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,40}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            prop::collection::hash_map("[a-z_]{1,24}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An idea body whose fields are those of the API, with values of any shape.
fn idea_shaped() -> impl Strategy<Value = Value> {
    (
        any_json(),
        any_json(),
        "\\PC{0,300}",
        any_json(),
        any_json(),
        any_json(),
    )
        .prop_map(|(title, helpers, problem, location, language, consent)| {
            json!({
                "title": title,
                "answers": {"problem": problem, "helpers": helpers},
                "location": location,
                "language": language,
                "consent": consent,
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Parsing never panics, and a refusal names every problem with a field path.
    #[test]
    fn any_body_is_parsed_or_refused_with_field_paths(body in prop_oneof![any_json(), idea_shaped()]) {
        for problems in [NewIdea::parse(&body).err(), IdeaText::parse(&body).err()].into_iter().flatten() {
            prop_assert!(!problems.is_empty());
            for problem in problems {
                prop_assert!(problem.field.is_empty() || !problem.field.starts_with('.'));
            }
        }
    }

    /// A parsed idea parses again to the same idea from its own JSON.
    #[test]
    fn a_valid_idea_survives_a_round_trip(problem in "\\PC{1,200}", title in "\\PC{1,80}") {
        let body = json!({
            "title": title,
            "answers": {"problem": problem},
            "consent": {"contact": false, "share_contact_with_partners": false, "publish": false},
        });
        if let Ok(idea) = IdeaText::parse(&body) {
            let again = IdeaText::parse(&serde_json::to_value(&idea).unwrap());
            prop_assert_eq!(again.ok(), Some(idea));
        }
    }

    /// A cursor gives back its key for its own kind only, and no string makes decoding panic.
    #[test]
    fn cursors_round_trip_and_anything_else_is_refused(
        kind in "[a-z]{1,12}",
        other in "[a-z]{1,12}",
        key in "\\PC{1,60}",
        junk in "\\PC{0,80}",
    ) {
        let cursor = encode_cursor(&kind, &key);
        prop_assert_eq!(decode_cursor(&kind, &cursor), Some(key));
        if other != kind && !other.starts_with(&format!("{kind}:")) {
            prop_assert_eq!(decode_cursor(&other, &cursor), None);
        }
        let _ = decode_cursor(&kind, &junk);
    }

    /// A signature verifies for its message only; no secret, header or body makes checking panic.
    #[test]
    fn signatures_verify_for_their_message_only_and_any_input_is_safe(
        body in prop::collection::vec(any::<u8>(), 0..200),
        other in prop::collection::vec(any::<u8>(), 0..200),
        id in "[a-zA-Z0-9_]{1,30}",
        timestamp in any::<i64>(),
        secret in "\\PC{0,60}",
        header in "\\PC{0,120}",
    ) {
        let real = generate_secret();
        let signature = sign(&real, &id, timestamp, &body);
        prop_assert!(verify(&real, &id, timestamp, &body, &signature));
        prop_assert_eq!(verify(&real, &id, timestamp, &other, &signature), other == body);
        let _ = verify(&secret, &id, timestamp, &body, &header);
        let _ = verify(&real, &id, timestamp, &body, &header);
    }
}
