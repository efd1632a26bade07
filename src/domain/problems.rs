//! Per-field validation problems, collected so that a client learns every problem at once.

use std::cell::RefCell;

use super::Language;

/// What is wrong with one field. Codes are stable English identifiers; messages are rendered in
/// the language of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemCode {
    /// A required field is missing or null.
    Required,
    /// A field the schema does not know.
    UnknownField,
    /// The JSON type is wrong (a number where a string belongs, ...).
    WrongType(&'static str),
    /// Shorter than the minimum, in characters.
    TooShort(usize),
    /// Longer than the maximum, in characters (or items for arrays).
    TooLong(usize),
    /// Not in the required format (e-mail, phone, postcode, URL ...).
    InvalidFormat,
    /// Contains control characters that text may not hold.
    InvalidCharacter,
    /// Not one of the allowed values.
    InvalidValue,
    /// A slug is not `^[a-z0-9][a-z0-9-]{1,62}$`.
    InvalidSlug,
    /// The same slug appears twice.
    Duplicate,
    /// An initiative names a network that neither the file nor the store holds.
    UnknownNetwork,
    /// Contact data (or sharing it) without the consent that allows keeping it.
    ConsentRequired,
    /// A number outside its range.
    OutOfRange(i64, i64),
    /// A paging cursor that this service did not issue.
    InvalidCursor,
    /// A webhook URL that is not `https`, or whose host is not a public address.
    ForbiddenTarget,
    /// A webhook URL whose host does not resolve.
    UnresolvableHost,
}

impl ProblemCode {
    /// The stable code sent to clients.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::Required => "required",
            ProblemCode::UnknownField => "unknown_field",
            ProblemCode::WrongType(_) => "wrong_type",
            ProblemCode::TooShort(_) => "too_short",
            ProblemCode::TooLong(_) => "too_long",
            ProblemCode::InvalidFormat => "invalid_format",
            ProblemCode::InvalidCharacter => "invalid_character",
            ProblemCode::InvalidValue => "invalid_value",
            ProblemCode::InvalidSlug => "invalid_slug",
            ProblemCode::Duplicate => "duplicate",
            ProblemCode::UnknownNetwork => "unknown_network",
            ProblemCode::ConsentRequired => "consent_required",
            ProblemCode::OutOfRange(..) => "out_of_range",
            ProblemCode::InvalidCursor => "invalid_cursor",
            ProblemCode::ForbiddenTarget => "forbidden_target",
            ProblemCode::UnresolvableHost => "unresolvable_host",
        }
    }

    /// A sentence for a person, in the given language.
    pub fn message(self, language: Language) -> String {
        use Language::{Da, En};
        use ProblemCode::*;
        match (self, language) {
            (Required, Da) => "Feltet skal udfyldes.".into(),
            (Required, En) => "This field is required.".into(),
            (UnknownField, Da) => "Feltet kendes ikke og er ikke tilladt.".into(),
            (UnknownField, En) => "This field is unknown and not allowed.".into(),
            (WrongType(expected), Da) => format!("Forkert type: forventede {}.", da_type(expected)),
            (WrongType(expected), En) => format!("Wrong type: expected {expected}."),
            (TooShort(min), Da) => format!("Skal være mindst {min} tegn."),
            (TooShort(min), En) => format!("Must be at least {min} characters."),
            (TooLong(max), Da) => format!("Må højst være {max} lang."),
            (TooLong(max), En) => format!("Must be at most {max} long."),
            (InvalidFormat, Da) => "Værdien har ikke det rigtige format.".into(),
            (InvalidFormat, En) => "The value is not in the expected format.".into(),
            (InvalidCharacter, Da) => "Teksten indeholder ugyldige kontroltegn.".into(),
            (InvalidCharacter, En) => "The text contains invalid control characters.".into(),
            (InvalidValue, Da) => "Værdien er ikke en af de tilladte.".into(),
            (InvalidValue, En) => "The value is not one of the allowed values.".into(),
            (InvalidSlug, Da) => {
                "En slug består af 2-63 små bogstaver a-z, cifre og bindestreger og starter med et bogstav eller ciffer.".into()
            }
            (InvalidSlug, En) => {
                "A slug is 2-63 lower-case letters a-z, digits and hyphens, starting with a letter or digit.".into()
            }
            (Duplicate, Da) => "Denne slug findes allerede tidligere i filen.".into(),
            (Duplicate, En) => "This slug already appears earlier in the file.".into(),
            (UnknownNetwork, Da) => "Netværket findes hverken i filen eller i kataloget.".into(),
            (UnknownNetwork, En) => "The network is neither in the file nor in the catalog.".into(),
            (ConsentRequired, Da) => {
                "Kontaktoplysninger kræver samtykke (consent.contact = true); vi gemmer ikke det, vi ikke må bruge.".into()
            }
            (ConsentRequired, En) => {
                "Contact data requires consent (consent.contact = true); we do not keep what we may not use.".into()
            }
            (OutOfRange(min, max), Da) => format!("Skal være mellem {min} og {max}."),
            (OutOfRange(min, max), En) => format!("Must be between {min} and {max}."),
            (InvalidCursor, Da) => "Cursoren er ugyldig; brug next_cursor fra et tidligere svar.".into(),
            (InvalidCursor, En) => "The cursor is invalid; use next_cursor from an earlier answer.".into(),
            (ForbiddenTarget, Da) => {
                "Adressen skal være https og pege på offentlige IP-adresser (ikke loopback, private eller link-local).".into()
            }
            (ForbiddenTarget, En) => {
                "The URL must be https and resolve to public addresses (no loopback, private or link-local).".into()
            }
            (UnresolvableHost, Da) => "Værtsnavnet kan ikke slås op.".into(),
            (UnresolvableHost, En) => "The host name does not resolve.".into(),
        }
    }
}

fn da_type(expected: &str) -> &str {
    match expected {
        "string" => "tekst",
        "object" => "objekt",
        "array" => "liste",
        "boolean" => "sand/falsk",
        "integer" => "heltal",
        other => other,
    }
}

/// One problem with one field, addressed by its path (`answers.problem`, `initiatives[3].network`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// Where the problem is.
    pub field: String,
    /// What it is.
    pub code: ProblemCode,
}

/// A collector of problems shared by the readers of one document.
#[derive(Debug, Default)]
pub struct Problems(RefCell<Vec<FieldProblem>>);

impl Problems {
    /// Records a problem.
    pub fn add(&self, field: impl Into<String>, code: ProblemCode) {
        self.0.borrow_mut().push(FieldProblem {
            field: field.into(),
            code,
        });
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.0.borrow().is_empty()
    }

    /// `Ok(value)` when no problem was recorded, else every problem.
    pub fn into_result<T>(self, value: T) -> Result<T, Vec<FieldProblem>> {
        let problems = self.0.into_inner();
        if problems.is_empty() {
            Ok(value)
        } else {
            Err(problems)
        }
    }
}
