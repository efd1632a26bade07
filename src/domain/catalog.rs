//! The catalog: networks that take ideas, their initiatives, and the strategic beacons.
//! The file format is the contract of `catalog/FORMAT.md`'s description in the README.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::Language;
use super::formats::{is_email, is_slug, is_web_url};
use super::json::{ObjectReader, check_text};
use super::problems::{FieldProblem, ProblemCode, Problems};

/// The built-in Aalborg catalog, loaded into an empty database when `SAMMEN_SEED=aalborg`.
pub const AALBORG_CATALOG: &str = include_str!("../../catalog/aalborg.json");

const MAX_NAME: usize = 200;
const MAX_DESCRIPTION: usize = 5_000;
const MAX_WORDS: usize = 500;
const MAX_WORD: usize = 100;
const MAX_URL: usize = 2_000;

/// A text in one or both of the languages the service knows; at least one is present.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(
    min_properties = 1,
    example = json!({"da": "Grønne agenter", "en": "Green Agents"})
)]
pub struct LocalizedText {
    /// Danish text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        nullable = false,
        max_length = 5000,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub da: Option<String>,
    /// English text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        nullable = false,
        max_length = 5000,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub en: Option<String>,
}

/// A name or title in one or both languages: a `LocalizedText` of at most 200 characters. Only
/// the OpenAPI document tells the two apart; the code holds both as `LocalizedText`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(
    min_properties = 1,
    example = json!({"da": "Grønne agenter", "en": "Green Agents"})
)]
#[expect(
    dead_code,
    reason = "a schema only: names are read and stored as LocalizedText"
)]
pub struct LocalizedName {
    /// Danish text.
    #[schema(
        nullable = false,
        max_length = 200,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    da: Option<String>,
    /// English text.
    #[schema(
        nullable = false,
        max_length = 200,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    en: Option<String>,
}

/// A network's slug.
#[derive(ToSchema)]
#[schema(pattern = "^[a-z0-9][a-z0-9-]{1,62}$", example = "groenne-agenter")]
#[expect(
    dead_code,
    reason = "a schema only: slugs are read and stored as strings"
)]
pub struct NetworkSlug(String);

/// A keyword, tag, area or place: one line of 1 to 100 characters.
#[derive(ToSchema)]
#[schema(
    max_length = 100,
    pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
)]
#[expect(
    dead_code,
    reason = "a schema only: words are read and stored as strings"
)]
pub struct Word(String);

impl LocalizedText {
    /// The text in `language`, or in the other language when that one is missing.
    pub fn get(&self, language: Language) -> &str {
        let (first, second) = match language {
            Language::Da => (&self.da, &self.en),
            Language::En => (&self.en, &self.da),
        };
        first.as_deref().or(second.as_deref()).unwrap_or_default()
    }
}

/// A partner network that takes ideas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Stable id, used in URLs and API keys.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{1,62}$", example = "groenne-agenter")]
    pub slug: String,
    /// Display name.
    #[schema(value_type = LocalizedName)]
    pub name: LocalizedText,
    /// What ideas the network takes.
    pub description: LocalizedText,
    /// Extra words and phrases (any language) used by matching.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Word>>, max_items = 500)]
    pub keywords: Vec<String>,
    /// Postcodes and place names the network serves specially.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Word>>, max_items = 500)]
    pub areas: Vec<String>,
    /// Public web page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        format = "uri",
        max_length = 2000,
        pattern = r"^https?://([A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+(:[0-9]{1,5})?(/([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})*)*(\?([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?(#([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?$"
    )]
    pub url: Option<String>,
    /// Where the network is reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Email, max_length = 254, pattern = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")]
    pub contact_email: Option<String>,
}

/// An existing initiative a citizen can join, owned by a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Initiative {
    /// Stable id.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{1,62}$", example = "aalborghaver")]
    pub slug: String,
    /// Slug of the owning network.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{1,62}$", example = "groenne-agenter")]
    pub network: String,
    /// Title.
    #[schema(value_type = LocalizedName)]
    pub title: LocalizedText,
    /// What the initiative does.
    pub description: LocalizedText,
    /// Tags used by matching.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Word>>, max_items = 500)]
    pub tags: Vec<String>,
    /// Village, town or district.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 100,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub place: Option<String>,
    /// Web page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        format = "uri",
        max_length = 2000,
        pattern = r"^https?://([A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})+(:[0-9]{1,5})?(/([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})*)*(\?([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?(#([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})*)?$"
    )]
    pub url: Option<String>,
}

/// A strategic goal an idea can serve (one of the municipality's "pejlemærker").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Beacon {
    /// Stable id.
    #[schema(pattern = "^[a-z0-9][a-z0-9-]{1,62}$", example = "i-groen-balance")]
    pub slug: String,
    /// Display name.
    #[schema(value_type = LocalizedName)]
    pub name: LocalizedText,
    /// What the goal is about.
    pub description: LocalizedText,
}

/// A whole catalog, as imported and exported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Networks.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Network>>)]
    pub networks: Vec<Network>,
    /// Initiatives.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Initiative>>)]
    pub initiatives: Vec<Initiative>,
    /// Beacons.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Beacon>>)]
    pub beacons: Vec<Beacon>,
}

impl Catalog {
    /// The built-in Aalborg catalog.
    pub fn aalborg() -> Catalog {
        let value: Value =
            serde_json::from_str(AALBORG_CATALOG).expect("the built-in catalog is valid JSON");
        Catalog::parse(&value, &HashSet::new()).expect("the built-in catalog is valid")
    }

    /// Validates a whole catalog document. `stored_networks` are the slugs already in the store,
    /// which initiatives may name besides the file's own networks. Every problem is reported with
    /// its path; nothing is returned unless the whole document is valid.
    pub fn parse(
        value: &Value,
        stored_networks: &HashSet<String>,
    ) -> Result<Catalog, Vec<FieldProblem>> {
        let problems = Problems::default();
        let mut catalog = Catalog::default();
        if let Some(root) = ObjectReader::new(
            value,
            "",
            &["networks", "initiatives", "beacons"],
            &problems,
        ) {
            catalog.networks = read_each(&root, "networks", read_network);
            catalog.initiatives = read_each(&root, "initiatives", read_initiative);
            catalog.beacons = read_each(&root, "beacons", read_beacon);
            let file_networks: HashSet<&str> =
                catalog.networks.iter().map(|n| n.slug.as_str()).collect();
            for (i, initiative) in catalog.initiatives.iter().enumerate() {
                if !file_networks.contains(initiative.network.as_str())
                    && !stored_networks.contains(&initiative.network)
                {
                    problems.add(
                        format!("initiatives[{i}].network"),
                        ProblemCode::UnknownNetwork,
                    );
                }
            }
        }
        problems.into_result(catalog)
    }
}

/// One entry of the catalog, as an administrator writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogEntry {
    /// A network.
    Network(Network),
    /// An initiative.
    Initiative(Initiative),
    /// A beacon.
    Beacon(Beacon),
}

impl CatalogEntry {
    /// The entry's slug.
    pub fn slug(&self) -> &str {
        match self {
            CatalogEntry::Network(n) => &n.slug,
            CatalogEntry::Initiative(i) => &i.slug,
            CatalogEntry::Beacon(b) => &b.slug,
        }
    }
}

/// The kinds of catalog entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// Networks.
    Network,
    /// Initiatives.
    Initiative,
    /// Beacons.
    Beacon,
}

impl EntryKind {
    /// The member of a catalog document that holds entries of this kind.
    pub fn member(self) -> &'static str {
        match self {
            EntryKind::Network => "networks",
            EntryKind::Initiative => "initiatives",
            EntryKind::Beacon => "beacons",
        }
    }
}

impl CatalogEntry {
    /// Validates one entry of `kind` as the catalog file writes it, with the same rules as an
    /// import; problems name the entry's own fields (`name.da`, not `networks[0].name.da`).
    pub fn parse(
        kind: EntryKind,
        value: &Value,
        stored_networks: &HashSet<String>,
    ) -> Result<CatalogEntry, Vec<FieldProblem>> {
        let member = kind.member();
        let document = serde_json::json!({ member: [value] });
        let prefix = format!("{member}[0]");
        let mut catalog = Catalog::parse(&document, stored_networks).map_err(|problems| {
            problems
                .into_iter()
                .map(|p| FieldProblem {
                    field: match p.field.strip_prefix(&prefix) {
                        Some("") => "body".to_owned(),
                        Some(rest) => rest.trim_start_matches('.').to_owned(),
                        None => p.field,
                    },
                    code: p.code,
                })
                .collect::<Vec<_>>()
        })?;
        Ok(match kind {
            EntryKind::Network => CatalogEntry::Network(catalog.networks.remove(0)),
            EntryKind::Initiative => CatalogEntry::Initiative(catalog.initiatives.remove(0)),
            EntryKind::Beacon => CatalogEntry::Beacon(catalog.beacons.remove(0)),
        })
    }
}

/// Reads each element of an array of objects, and reports slugs that repeat an earlier one.
fn read_each<T: HasSlug>(
    root: &ObjectReader<'_>,
    name: &str,
    read: fn(&ObjectReader<'_>) -> Option<T>,
) -> Vec<T> {
    let problems = root.problems();
    let mut seen = HashSet::new();
    let mut items = Vec::new();
    for (path, value) in root.array(name, false) {
        let Some(reader) = ObjectReader::new(value, &path, T::FIELDS, problems) else {
            continue;
        };
        if let Some(item) = read(&reader) {
            if seen.insert(item.slug().to_owned()) {
                items.push(item);
            } else {
                problems.add(reader.path_of("slug"), ProblemCode::Duplicate);
            }
        }
    }
    items
}

trait HasSlug {
    const FIELDS: &'static [&'static str];
    fn slug(&self) -> &str;
}

impl HasSlug for Network {
    const FIELDS: &'static [&'static str] = &[
        "slug",
        "name",
        "description",
        "keywords",
        "areas",
        "url",
        "contact_email",
    ];
    fn slug(&self) -> &str {
        &self.slug
    }
}

impl HasSlug for Initiative {
    const FIELDS: &'static [&'static str] = &[
        "slug",
        "network",
        "title",
        "description",
        "tags",
        "place",
        "url",
    ];
    fn slug(&self) -> &str {
        &self.slug
    }
}

impl HasSlug for Beacon {
    const FIELDS: &'static [&'static str] = &["slug", "name", "description"];
    fn slug(&self) -> &str {
        &self.slug
    }
}

fn read_slug(reader: &ObjectReader<'_>, name: &str) -> Option<String> {
    let slug = reader.string(name, true)?;
    if is_slug(slug) {
        Some(slug.to_owned())
    } else {
        reader
            .problems()
            .add(reader.path_of(name), ProblemCode::InvalidSlug);
        None
    }
}

fn read_localized(reader: &ObjectReader<'_>, name: &str, max: usize) -> Option<LocalizedText> {
    let text = reader.object(name, &["da", "en"], true)?;
    let read = |language: &str| {
        text.non_null_string(language)
            .and_then(|s| check_text(reader.problems(), &text.path_of(language), s, 1, max, true))
    };
    let localized = LocalizedText {
        da: read("da"),
        en: read("en"),
    };
    if localized.da.is_none() && localized.en.is_none() {
        reader
            .problems()
            .add(reader.path_of(name), ProblemCode::Required);
        return None;
    }
    Some(localized)
}

/// An optional value with a format, checked exactly as sent (as JSON Schema checks it).
fn read_formatted(
    reader: &ObjectReader<'_>,
    name: &str,
    max: usize,
    valid: fn(&str) -> bool,
) -> Result<Option<String>, ()> {
    let Some(raw) = reader.string(name, false) else {
        return Ok(None);
    };
    let path = reader.path_of(name);
    if raw.chars().count() > max {
        reader.problems().add(path, ProblemCode::TooLong(max));
        Err(())
    } else if valid(raw) {
        Ok(Some(raw.to_owned()))
    } else {
        reader.problems().add(path, ProblemCode::InvalidFormat);
        Err(())
    }
}

fn read_network(r: &ObjectReader<'_>) -> Option<Network> {
    let slug = read_slug(r, "slug");
    let name = read_localized(r, "name", MAX_NAME);
    let description = read_localized(r, "description", MAX_DESCRIPTION);
    let keywords = r.string_array("keywords", MAX_WORDS, MAX_WORD);
    let areas = r.string_array("areas", MAX_WORDS, MAX_WORD);
    let url = read_formatted(r, "url", MAX_URL, is_web_url);
    let contact_email = read_formatted(r, "contact_email", 254, is_email);
    Some(Network {
        slug: slug?,
        name: name?,
        description: description?,
        keywords,
        areas,
        url: url.ok()?,
        contact_email: contact_email.ok()?,
    })
}

fn read_initiative(r: &ObjectReader<'_>) -> Option<Initiative> {
    let slug = read_slug(r, "slug");
    let network = read_slug(r, "network");
    let title = read_localized(r, "title", MAX_NAME);
    let description = read_localized(r, "description", MAX_DESCRIPTION);
    let tags = r.string_array("tags", MAX_WORDS, MAX_WORD);
    let place = match r.string("place", false) {
        Some(raw) => check_text(r.problems(), &r.path_of("place"), raw, 1, MAX_WORD, false)
            .map(Some)
            .ok_or(()),
        None => Ok(None),
    };
    let url = read_formatted(r, "url", MAX_URL, is_web_url);
    Some(Initiative {
        slug: slug?,
        network: network?,
        title: title?,
        description: description?,
        tags,
        place: place.ok()?,
        url: url.ok()?,
    })
}

fn read_beacon(r: &ObjectReader<'_>) -> Option<Beacon> {
    let slug = read_slug(r, "slug");
    let name = read_localized(r, "name", MAX_NAME);
    let description = read_localized(r, "description", MAX_DESCRIPTION);
    Some(Beacon {
        slug: slug?,
        name: name?,
        description: description?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_built_in_catalog_is_valid_and_complete() {
        let catalog = Catalog::aalborg();
        let slugs: Vec<_> = catalog.networks.iter().map(|n| n.slug.as_str()).collect();
        for expected in [
            "de-frivilliges-hus",
            "international-house",
            "groenne-agenter",
            "landdistriktsudvikling",
            "tryg-aalborg",
        ] {
            assert!(slugs.contains(&expected), "{expected} missing");
        }
        let beacons: Vec<_> = catalog.beacons.iter().map(|b| b.slug.as_str()).collect();
        assert_eq!(
            beacons,
            [
                "alle-kan-noget",
                "med-gode-forbindelser",
                "med-store-oplevelser",
                "i-groen-balance",
                "i-faellesskab"
            ]
        );
        assert!(catalog.initiatives.len() >= 25);
    }

    #[test]
    fn a_broken_catalog_reports_every_problem_with_its_path() {
        let doc = json!({
            "networks": [
                {"slug": "ok-net", "name": {"da": "Net"}, "description": {"da": "Beskrivelse"}},
                {"slug": "Bad Slug", "name": {"da": "X"}, "description": {"da": "Y"}, "colour": "red"},
                {"slug": "ok-net", "name": {"da": "Dublet"}, "description": {"da": "Y"}},
                {"slug": "no-name", "description": {}}
            ],
            "initiatives": [
                {"slug": "i-one", "network": "missing-net", "title": {"en": "T"}, "description": {"en": "D"}}
            ],
            "extra": []
        });
        let problems = Catalog::parse(&doc, &HashSet::new()).unwrap_err();
        let found: Vec<_> = problems
            .iter()
            .map(|p| format!("{} {}", p.field, p.code.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                "extra unknown_field",
                "networks[1].colour unknown_field",
                "networks[1].slug invalid_slug",
                "networks[2].slug duplicate",
                "networks[3].name required",
                "networks[3].description required",
                "initiatives[0].network unknown_network",
            ]
        );
    }

    #[test]
    fn an_initiative_may_name_a_network_already_stored() {
        let doc = json!({"initiatives": [
            {"slug": "i-one", "network": "stored", "title": {"da": "T"}, "description": {"da": "D"}}
        ]});
        let stored = HashSet::from(["stored".to_owned()]);
        assert_eq!(Catalog::parse(&doc, &stored).unwrap().initiatives.len(), 1);
    }
}
