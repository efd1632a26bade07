//! API keys: who may call the admin and partner routes, and for which networks.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::catalog::NetworkSlug;
use super::formats::is_slug;
use super::json::{ObjectReader, check_text};
use super::problems::{FieldProblem, ProblemCode, Problems};

/// Key name length in characters.
const NAME_MAX: usize = 100;
/// The most networks one partner key may hold.
const NETWORKS_MAX: usize = 50;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Municipal staff: manages keys.
    Admin,
    /// A partner organisation: reads and answers the ideas routed to its networks.
    Partner,
}

impl Role {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Partner => "partner",
        }
    }

    /// Reads a stable code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "admin" => Some(Role::Admin),
            "partner" => Some(Role::Partner),
            _ => None,
        }
    }
}

/// The body of `POST /v1/admin/keys` (and the options of `sammen keys create`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    /// Who holds the key, for people reading the key list.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
        example = "Grønne agenter, koordinator"
    )]
    pub name: String,
    /// `admin` or `partner`.
    pub role: Role,
    /// The networks a partner key reads and answers for (one or more); none for an admin key.
    #[serde(default)]
    #[schema(value_type = Option<Vec<NetworkSlug>>, max_items = 50, example = json!(["groenne-agenter"]))]
    pub networks: Vec<String>,
}

impl NewApiKey {
    /// Validates a request body against the stored network slugs, reporting every problem.
    pub fn parse(
        body: &Value,
        known_networks: &HashSet<String>,
    ) -> Result<Self, Vec<FieldProblem>> {
        let problems = Problems::default();
        let key = ObjectReader::new(body, "", &["name", "role", "networks"], &problems)
            .and_then(|r| read_key(&r, known_networks));
        problems
            .into_result(key)
            .map(|k| k.expect("no problems means a key"))
    }
}

fn read_key(r: &ObjectReader<'_>, known_networks: &HashSet<String>) -> Option<NewApiKey> {
    let problems = r.problems();
    let name = r
        .string("name", true)
        .and_then(|s| check_text(problems, "name", s, 1, NAME_MAX, false));
    let role = r.string("role", true).and_then(|code| {
        let role = Role::from_code(code);
        if role.is_none() {
            problems.add("role", ProblemCode::InvalidValue);
        }
        role
    });
    let items = r.array("networks", false);
    let given = items.len();
    if items.len() > NETWORKS_MAX {
        problems.add("networks", ProblemCode::TooLong(NETWORKS_MAX));
    }
    let mut networks: Vec<String> = Vec::new();
    for (path, item) in items {
        let Value::String(slug) = item else {
            problems.add(path, ProblemCode::WrongType("string"));
            continue;
        };
        if !is_slug(slug) {
            problems.add(path, ProblemCode::InvalidSlug);
        } else if networks.contains(slug) {
            problems.add(path, ProblemCode::Duplicate);
        } else if !known_networks.contains(slug) {
            problems.add(path, ProblemCode::UnknownNetwork);
        }
        networks.push(slug.clone());
    }
    match role {
        Some(Role::Partner) if given == 0 => problems.add("networks", ProblemCode::Required),
        Some(Role::Admin) if given > 0 => problems.add("networks", ProblemCode::InvalidValue),
        _ => {}
    }
    Some(NewApiKey {
        name: name?,
        role: role?,
        networks,
    })
}

/// A stored API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ApiKey {
    /// The key's id (UUIDv7).
    pub id: Uuid,
    /// Who holds it.
    pub name: String,
    /// What it may do.
    pub role: Role,
    /// The networks a partner key reads and answers for; empty for an admin key.
    pub networks: Vec<String>,
    /// The key's first characters, to recognise it; the rest is never shown again.
    #[schema(example = "smk_Q2l0aXpl")]
    pub prefix: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used (to the minute); null when never.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; null while it is valid.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Whether this key may act for `network`.
    pub fn holds(&self, network: &str) -> bool {
        self.networks.iter().any(|n| n == network)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn codes(body: Value) -> Vec<String> {
        let known: HashSet<String> = ["a-net".to_owned()].into();
        NewApiKey::parse(&body, &known)
            .unwrap_err()
            .into_iter()
            .map(|p| format!("{} {}", p.field, p.code.as_str()))
            .collect()
    }

    #[test]
    fn a_partner_key_names_known_networks() {
        let known: HashSet<String> = ["a-net".to_owned()].into();
        let key = NewApiKey::parse(
            &json!({"name": " A ", "role": "partner", "networks": ["a-net"]}),
            &known,
        )
        .unwrap();
        assert_eq!(key.name, "A");
        assert_eq!(key.role, Role::Partner);
        assert_eq!(key.networks, ["a-net"]);
    }

    #[test]
    fn every_problem_of_a_key_is_listed() {
        assert_eq!(
            codes(
                json!({"role": "partner", "networks": ["a-net", "a-net", "b-net", "B", 3], "x": 1})
            ),
            [
                "x unknown_field",
                "name required",
                "networks[1] duplicate",
                "networks[2] unknown_network",
                "networks[3] invalid_slug",
                "networks[4] wrong_type",
            ]
        );
        assert_eq!(
            codes(json!({"name": "n", "role": "partner"})),
            ["networks required"]
        );
        assert_eq!(
            codes(json!({"name": "n", "role": "admin", "networks": ["a-net"]})),
            ["networks invalid_value"]
        );
        assert_eq!(
            codes(json!({"name": "n", "role": "root"})),
            ["role invalid_value"]
        );
    }
}
