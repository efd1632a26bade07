//! A citizen's idea: the five answers, where it is, and the contact data and consent around it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Language;
use super::formats::{is_email, is_phone, is_postcode};
use super::json::{ObjectReader, check_optional_text, check_text};
use super::problems::{FieldProblem, ProblemCode, Problems};
use crate::matching::Matching;

/// Title length in characters.
pub const TITLE_LIMITS: (usize, usize) = (3, 200);
/// `problem` answer length in characters.
pub const PROBLEM_LIMITS: (usize, usize) = (10, 5_000);
/// Largest length of the other answers.
pub const ANSWER_MAX: usize = 5_000;
const PLACE_MAX: usize = 100;
const NAME_MAX: usize = 200;
const EMAIL_MAX: usize = 254;
const PHONE_MAX: usize = 30;

/// The answers to the five questions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// 1. What problem do I want to solve, or goal to reach?
    #[schema(
        min_length = 10,
        max_length = 5000,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]{8,}[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
        example = "Der ligger meget skrald ved stranden i Nibe efter weekenden."
    )]
    pub problem: String,
    /// 2. Who can help me?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 5000,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$"
    )]
    pub helpers: Option<String>,
    /// 3. How can I motivate my partner?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 5000,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$"
    )]
    pub motivation: Option<String>,
    /// 4. Are there existing initiatives or collaborations I can join?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 5000,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$"
    )]
    pub existing_initiatives: Option<String>,
    /// 5. Which new alliances should I create?
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 5000,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$"
    )]
    pub new_alliances: Option<String>,
}

/// The answers as stored, in views of a stored idea: as sent (trimmed), or empty once the idea
/// is erased. A schema only; the answers are held as `Answers`.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a schema only: stored answers are read as Answers"
)]
pub struct StoredAnswers {
    /// 1. What problem do I want to solve, or goal to reach? Empty once erased.
    #[schema(max_length = 5000)]
    problem: String,
    /// 2. Who can help me?
    #[schema(max_length = 5000)]
    helpers: Option<String>,
    /// 3. How can I motivate my partner?
    #[schema(max_length = 5000)]
    motivation: Option<String>,
    /// 4. Are there existing initiatives or collaborations I can join?
    #[schema(max_length = 5000)]
    existing_initiatives: Option<String>,
    /// 5. Which new alliances should I create?
    #[schema(max_length = 5000)]
    new_alliances: Option<String>,
}

/// Where the idea is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// Danish postcode, four digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        pattern = "^[0-9]{4}$",
        min_length = 4,
        max_length = 4,
        example = "9240"
    )]
    pub postcode: Option<String>,
    /// Village, town or district.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 100,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$",
        example = "Nibe"
    )]
    pub place: Option<String>,
}

/// How the citizen can be reached. Personal data: kept only with `consent.contact`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 200,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]([^\x00-\x1f\x7f-\x9f]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*)?$",
        example = "Anna Hansen"
    )]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Email, max_length = 254, example = "anna@example.dk")]
    pub email: Option<String>,
    /// Phone number, 8 to 15 digits with optional `+`, spaces, hyphens and parentheses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 30,
        pattern = r"^\+?[ ()-]*([0-9][ ()-]*){8,15}$",
        example = "+45 12 34 56 78"
    )]
    pub phone: Option<String>,
}

/// What the citizen agreed to. Every flag defaults to false.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// The municipality may keep the contact data to reach the citizen about the idea.
    #[serde(default)]
    #[schema(nullable)]
    pub contact: bool,
    /// The partner network that takes the idea may see the contact data.
    #[serde(default)]
    #[schema(nullable)]
    pub share_contact_with_partners: bool,
    /// The idea (without contact data) may be shown publicly.
    #[serde(default)]
    #[schema(nullable)]
    pub publish: bool,
}

/// The text of an idea: what `POST /v1/match` takes, and the heart of `POST /v1/ideas`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdeaText {
    /// A short title.
    #[schema(
        min_length = 3,
        max_length = 200,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]+[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
        example = "Ren strand i Nibe"
    )]
    pub title: String,
    /// The answers to the five questions.
    pub answers: Answers,
    /// Where the idea is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The language the citizen wrote in, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
}

/// The body of `POST /v1/ideas`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIdea {
    /// A short title.
    #[schema(
        min_length = 3,
        max_length = 200,
        pattern = r"^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f-\x9f]+[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$",
        example = "Ren strand i Nibe"
    )]
    pub title: String,
    /// The answers to the five questions.
    pub answers: Answers,
    /// Where the idea is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// The language the citizen wrote in, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<Language>,
    /// How to reach the citizen; only with `consent.contact`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// What the citizen agreed to.
    #[serde(default)]
    #[schema(nullable)]
    pub consent: Consent,
}

impl NewIdea {
    /// The text of the idea, as matching reads it.
    pub fn text(&self) -> IdeaText {
        IdeaText {
            title: self.title.clone(),
            answers: self.answers.clone(),
            location: self.location.clone(),
            language: self.language,
        }
    }
}

const TEXT_FIELDS: [&str; 4] = ["title", "answers", "location", "language"];
const IDEA_FIELDS: [&str; 6] = [
    "title", "answers", "location", "language", "contact", "consent",
];

impl IdeaText {
    /// Validates the body of `POST /v1/match`, reporting every problem at once.
    pub fn parse(body: &Value) -> Result<IdeaText, Vec<FieldProblem>> {
        let problems = Problems::default();
        let text = ObjectReader::new(body, "", &TEXT_FIELDS, &problems).and_then(|r| read_text(&r));
        problems
            .into_result(text)
            .map(|t| t.expect("no problems means a text"))
    }
}

impl NewIdea {
    /// Validates the body of `POST /v1/ideas`, reporting every problem at once.
    pub fn parse(body: &Value) -> Result<NewIdea, Vec<FieldProblem>> {
        let problems = Problems::default();
        let idea = ObjectReader::new(body, "", &IDEA_FIELDS, &problems).and_then(|r| read_idea(&r));
        problems
            .into_result(idea)
            .map(|i| i.expect("no problems means an idea"))
    }
}

fn read_text(r: &ObjectReader<'_>) -> Option<IdeaText> {
    let problems = r.problems();
    let title = r
        .string("title", true)
        .and_then(|s| check_text(problems, "title", s, TITLE_LIMITS.0, TITLE_LIMITS.1, false));
    let answers = r
        .object(
            "answers",
            &[
                "problem",
                "helpers",
                "motivation",
                "existing_initiatives",
                "new_alliances",
            ],
            true,
        )
        .and_then(|a| read_answers(&a));
    let location = r
        .object("location", &["postcode", "place"], false)
        .map(|l| read_location(&l).ok_or(()))
        .transpose();
    let language = r
        .string("language", false)
        .map(|code| {
            Language::from_code(code)
                .ok_or_else(|| problems.add("language", ProblemCode::InvalidValue))
        })
        .transpose();
    Some(IdeaText {
        title: title?,
        answers: answers?,
        location: location.ok()?,
        language: language.ok()?,
    })
}

fn optional_text(
    r: &ObjectReader<'_>,
    name: &str,
    max: usize,
    multiline: bool,
) -> Result<Option<String>, ()> {
    match r.string(name, false) {
        None => Ok(None),
        Some(raw) => check_optional_text(r.problems(), &r.path_of(name), raw, max, multiline),
    }
}

fn read_answers(r: &ObjectReader<'_>) -> Option<Answers> {
    let problem = r.string("problem", true).and_then(|s| {
        check_text(
            r.problems(),
            &r.path_of("problem"),
            s,
            PROBLEM_LIMITS.0,
            PROBLEM_LIMITS.1,
            true,
        )
    });
    let helpers = optional_text(r, "helpers", ANSWER_MAX, true);
    let motivation = optional_text(r, "motivation", ANSWER_MAX, true);
    let existing_initiatives = optional_text(r, "existing_initiatives", ANSWER_MAX, true);
    let new_alliances = optional_text(r, "new_alliances", ANSWER_MAX, true);
    Some(Answers {
        problem: problem?,
        helpers: helpers.ok()?,
        motivation: motivation.ok()?,
        existing_initiatives: existing_initiatives.ok()?,
        new_alliances: new_alliances.ok()?,
    })
}

/// A value with a format (postcode, e-mail, phone), checked exactly as sent: JSON Schema's
/// `format` and `pattern` trim nothing, so neither does the server.
fn formatted(
    r: &ObjectReader<'_>,
    name: &str,
    max: usize,
    valid: fn(&str) -> bool,
) -> Result<Option<String>, ()> {
    let Some(raw) = r.string(name, false) else {
        return Ok(None);
    };
    if raw.chars().count() > max {
        r.problems().add(r.path_of(name), ProblemCode::TooLong(max));
        Err(())
    } else if valid(raw) {
        Ok(Some(raw.to_owned()))
    } else {
        r.problems()
            .add(r.path_of(name), ProblemCode::InvalidFormat);
        Err(())
    }
}

fn read_location(r: &ObjectReader<'_>) -> Option<Location> {
    let postcode = formatted(r, "postcode", 4, is_postcode);
    let place = optional_text(r, "place", PLACE_MAX, false);
    Some(Location {
        postcode: postcode.ok()?,
        place: place.ok()?,
    })
}

fn read_contact(r: &ObjectReader<'_>) -> Option<Contact> {
    let name = optional_text(r, "name", NAME_MAX, false);
    let email = formatted(r, "email", EMAIL_MAX, is_email);
    let phone = formatted(r, "phone", PHONE_MAX, is_phone);
    Some(Contact {
        name: name.ok()?,
        email: email.ok()?,
        phone: phone.ok()?,
    })
}

fn read_idea(r: &ObjectReader<'_>) -> Option<NewIdea> {
    let problems = r.problems();
    let text = read_text(r);
    let consent = r
        .object(
            "consent",
            &["contact", "share_contact_with_partners", "publish"],
            false,
        )
        .map(|c| Consent {
            contact: c.boolean("contact").unwrap_or(false),
            share_contact_with_partners: c.boolean("share_contact_with_partners").unwrap_or(false),
            publish: c.boolean("publish").unwrap_or(false),
        })
        .unwrap_or_default();
    // Any contact object counts as sent, even an empty one: the schema can say that much, and
    // contact data without consent is refused, not quietly dropped.
    let sent = r.object("contact", &["name", "email", "phone"], false);
    if sent.is_some() && !consent.contact {
        problems.add("contact", ProblemCode::ConsentRequired);
    }
    let contact = sent
        .and_then(|c| read_contact(&c))
        .filter(|c| *c != Contact::default());
    if consent.share_contact_with_partners && !consent.contact {
        problems.add(
            "consent.share_contact_with_partners",
            ProblemCode::ConsentRequired,
        );
    }
    let text = text?;
    Some(NewIdea {
        title: text.title,
        answers: text.answers,
        location: text.location,
        language: text.language,
        contact,
        consent,
    })
}

/// The body of `PATCH /v1/ideas/{id}/consent`: the flags to change (at least one); the others
/// stay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1)]
pub struct ConsentChange {
    /// Keep the contact data (`false` erases it at once, and sharing with it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contact: Option<bool>,
    /// Partners may see the contact data (from now on; needs `contact`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub share_contact_with_partners: Option<bool>,
    /// The idea (without contact data) may be shown publicly and among similar ideas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub publish: Option<bool>,
}

impl ConsentChange {
    /// Validates a request body, reporting every problem at once.
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldProblem>> {
        let problems = Problems::default();
        let names = ["contact", "share_contact_with_partners", "publish"];
        let change = ObjectReader::new(body, "", &names, &problems).map(|r| ConsentChange {
            contact: r.non_null_boolean("contact"),
            share_contact_with_partners: r.non_null_boolean("share_contact_with_partners"),
            publish: r.non_null_boolean("publish"),
        });
        if change == Some(ConsentChange::default()) && problems.is_empty() {
            problems.add("body", ProblemCode::Required);
        }
        problems
            .into_result(change)
            .map(|c| c.expect("no problems means a change"))
    }

    /// The consent after the change. Withdrawing `contact` withdraws sharing too; sharing
    /// cannot be given without keeping the contact data.
    pub fn apply(self, current: Consent) -> Result<Consent, Vec<FieldProblem>> {
        let contact = self.contact.unwrap_or(current.contact);
        let share = match self.share_contact_with_partners {
            Some(true) if !contact => {
                return Err(vec![FieldProblem {
                    field: "share_contact_with_partners".into(),
                    code: ProblemCode::ConsentRequired,
                }]);
            }
            Some(share) => share,
            None => current.share_contact_with_partners && contact,
        };
        Ok(Consent {
            contact,
            share_contact_with_partners: share,
            publish: self.publish.unwrap_or(current.publish),
        })
    }
}

/// Where an idea is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdeaStatus {
    /// Stored, not yet routed to a network.
    Received,
    /// Routed to the network that should take it.
    Routed,
    /// No network was confident enough: municipal staff route it by hand.
    Triage,
    /// The network that has it took it on.
    Accepted,
    /// The citizen erased it: only feed entries and webhooks still name it.
    Erased,
}

impl IdeaStatus {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            IdeaStatus::Received => "received",
            IdeaStatus::Routed => "routed",
            IdeaStatus::Triage => "triage",
            IdeaStatus::Accepted => "accepted",
            IdeaStatus::Erased => "erased",
        }
    }

    /// The status for a person: Danish and English.
    pub fn label(self) -> super::LocalizedText {
        let (da, en) = match self {
            IdeaStatus::Received => ("Modtaget", "Received"),
            IdeaStatus::Routed => ("Sendt videre til et netværk", "Passed on to a network"),
            IdeaStatus::Triage => (
                "Kommunen finder det rette netværk",
                "The municipality is finding the right network",
            ),
            IdeaStatus::Accepted => ("Taget op af et netværk", "Taken up by a network"),
            IdeaStatus::Erased => ("Slettet", "Erased"),
        };
        super::LocalizedText {
            da: Some(da.to_owned()),
            en: Some(en.to_owned()),
        }
    }

    /// Reads a stable code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "received" => Some(IdeaStatus::Received),
            "routed" => Some(IdeaStatus::Routed),
            "triage" => Some(IdeaStatus::Triage),
            "accepted" => Some(IdeaStatus::Accepted),
            "erased" => Some(IdeaStatus::Erased),
            _ => None,
        }
    }
}

/// An idea as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredIdea {
    /// UUIDv7.
    pub id: Uuid,
    /// What the citizen sent.
    pub idea: NewIdea,
    /// Where it is in its life.
    pub status: IdeaStatus,
    /// The network that has it; none in triage.
    pub network: Option<String>,
    /// The matching that routed it.
    pub matching: Option<Matching>,
    /// SHA-256 of the citizen token.
    pub citizen_token_hash: Vec<u8>,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Why staff hid it, when they did.
    pub hidden: Option<super::Hidden>,
}

impl StoredIdea {
    /// The slugs of the beacons its matching found.
    pub fn beacons(&self) -> Vec<String> {
        self.matching
            .iter()
            .flat_map(|m| &m.beacons)
            .map(|b| b.slug.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn codes(body: Value) -> Vec<String> {
        NewIdea::parse(&body)
            .unwrap_err()
            .into_iter()
            .map(|p| format!("{} {}", p.field, p.code.as_str()))
            .collect()
    }

    #[test]
    fn a_complete_idea_is_accepted_and_trimmed() {
        let idea = NewIdea::parse(&json!({
            "title": "  Ren strand ",
            "answers": {"problem": "Der ligger skrald på stranden.", "helpers": "  "},
            "location": {"postcode": "9240", "place": "Nibe"},
            "language": "da",
            "contact": {"name": "Anna", "email": "anna@example.dk"},
            "consent": {"contact": true}
        }))
        .unwrap();
        assert_eq!(idea.title, "Ren strand");
        assert_eq!(idea.answers.helpers, None);
        assert_eq!(
            idea.contact.unwrap().email.as_deref(),
            Some("anna@example.dk")
        );
        assert!(!idea.consent.publish);
    }

    #[test]
    fn every_problem_of_an_idea_is_listed_at_once() {
        assert_eq!(
            codes(json!({
                "title": "x",
                "answers": {"problem": "kort", "motivation": 5},
                "location": {"postcode": "92400"},
                "language": "de",
                "contact": {"email": "nope"},
                "status": "routed"
            })),
            [
                "status unknown_field",
                "title too_short",
                "answers.problem too_short",
                "answers.motivation wrong_type",
                "location.postcode too_long",
                "language invalid_value",
                "contact consent_required",
                "contact.email invalid_format",
            ]
        );
    }

    #[test]
    fn withdrawing_contact_withdraws_sharing_and_sharing_needs_contact() {
        let all = Consent {
            contact: true,
            share_contact_with_partners: true,
            publish: true,
        };
        let withdrawn = ConsentChange::parse(&json!({"contact": false}))
            .unwrap()
            .apply(all)
            .unwrap();
        assert_eq!(
            withdrawn,
            Consent {
                contact: false,
                share_contact_with_partners: false,
                publish: true
            }
        );
        let share = ConsentChange::parse(&json!({"share_contact_with_partners": true})).unwrap();
        assert!(share.apply(withdrawn).is_err());
        let problems = ConsentChange::parse(&json!({})).unwrap_err();
        assert_eq!(problems[0].field, "body");
        assert!(ConsentChange::parse(&json!({"publish": "no"})).is_err());
    }

    #[test]
    fn contact_data_without_consent_is_refused() {
        assert_eq!(
            codes(json!({
                "title": "Ren strand",
                "answers": {"problem": "Der ligger skrald på stranden."},
                "contact": {"email": "anna@example.dk"},
                "consent": {"share_contact_with_partners": true}
            })),
            [
                "contact consent_required",
                "consent.share_contact_with_partners consent_required"
            ]
        );
    }
}
