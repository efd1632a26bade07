//! Statistics and the export of ideas, for staff.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::ideas::{FILTER_PARAMS, read_filter};
use crate::auth::AdminKey;
use crate::domain::stats::{GroupBy, Stats};
use crate::domain::{IdeaStatus, Language, PartnerRead, ProblemCode, StoredIdea};
use crate::error::ApiError;
use crate::routes::{AppState, QueryParams};
use crate::store;

/// Ideas read from the store per round trip of an export.
const EXPORT_BATCH: u32 = 500;

/// The period and grouping of the statistics.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Ideas received at or after: RFC 3339, or a date (UTC).
    #[param(value_type = Option<super::super::TimeOrDate>, example = "2026-01-01")]
    pub from: Option<String>,
    /// Ideas received before: RFC 3339, or a date (UTC; that whole day included).
    #[param(value_type = Option<super::super::TimeOrDate>, example = "2026-12-31")]
    pub to: Option<String>,
    /// What to count by (default `network`).
    pub group_by: Option<GroupBy>,
}

/// Counts of the ideas received in a period, grouped by network, status, beacon, postcode or
/// month, and per network the median time from submission to its first decision. Erased
/// ideas count: their anonymous rows keep network, status, dates, postcode and beacons.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    params(StatsQuery),
    responses((status = 200, description = "The statistics.", body = Stats))
)]
#[get("/admin/stats")]
pub async fn get_stats(
    req: HttpRequest,
    _admin: AdminKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::read(&req, &["from", "to", "group_by"]);
    let from = query.time("from", false);
    let to = query.time("to", true);
    let group_by = match query.text("group_by") {
        None => GroupBy::Network,
        Some(code) => GroupBy::from_code(&code).unwrap_or_else(|| {
            query.add_problem("group_by", ProblemCode::InvalidValue);
            GroupBy::Network
        }),
    };
    query.finish()?;
    let facts = state.store.idea_facts(from, to).await?;
    Ok(HttpResponse::Ok().json(Stats::compute(&facts, group_by)))
}

/// An idea as exported: flat, one row of a spreadsheet.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedIdea {
    /// The idea's id.
    pub id: Uuid,
    /// Its status.
    pub status: IdeaStatus,
    /// The network that has it.
    pub network: Option<String>,
    /// Title.
    pub title: String,
    /// 1. The problem or goal.
    pub problem: String,
    /// 2. Who can help.
    pub helpers: Option<String>,
    /// 3. How to motivate a partner.
    pub motivation: Option<String>,
    /// 4. Existing initiatives to join.
    pub existing_initiatives: Option<String>,
    /// 5. New alliances to create.
    pub new_alliances: Option<String>,
    /// Postcode.
    pub postcode: Option<String>,
    /// Place.
    pub place: Option<String>,
    /// The language it was written in.
    pub language: Option<Language>,
    /// The beacons the matching found.
    pub beacons: Vec<String>,
    /// The citizen may be contacted.
    pub consent_contact: bool,
    /// Partners may see the contact data.
    pub consent_share: bool,
    /// The idea may be shown publicly.
    pub consent_publish: bool,
    /// Why staff hid it; null when it is not hidden.
    pub hidden_reason: Option<String>,
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Name (only with `include_contact=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<String>,
    /// E-mail address (only with `include_contact=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    /// Phone (only with `include_contact=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_phone: Option<String>,
}

impl ExportedIdea {
    fn new(stored: StoredIdea, include_contact: bool) -> Self {
        let beacons = stored.beacons();
        let idea = stored.idea;
        let location = idea.location.unwrap_or_default();
        let contact = idea.contact.filter(|_| include_contact).unwrap_or_default();
        ExportedIdea {
            id: stored.id,
            status: stored.status,
            network: stored.network,
            title: idea.title,
            problem: idea.answers.problem,
            helpers: idea.answers.helpers,
            motivation: idea.answers.motivation,
            existing_initiatives: idea.answers.existing_initiatives,
            new_alliances: idea.answers.new_alliances,
            postcode: location.postcode,
            place: location.place,
            language: idea.language,
            beacons,
            consent_contact: idea.consent.contact,
            consent_share: idea.consent.share_contact_with_partners,
            consent_publish: idea.consent.publish,
            hidden_reason: stored.hidden.map(|h| h.reason),
            created_at: stored.created_at,
            updated_at: stored.updated_at,
            contact_name: contact.name,
            contact_email: contact.email,
            contact_phone: contact.phone,
        }
    }

    /// The CSV columns, contact columns last and only when asked for.
    fn header(include_contact: bool) -> Vec<&'static str> {
        let mut header = vec![
            "id",
            "status",
            "network",
            "title",
            "problem",
            "helpers",
            "motivation",
            "existing_initiatives",
            "new_alliances",
            "postcode",
            "place",
            "language",
            "beacons",
            "consent_contact",
            "consent_share",
            "consent_publish",
            "hidden_reason",
            "created_at",
            "updated_at",
        ];
        if include_contact {
            header.extend(["contact_name", "contact_email", "contact_phone"]);
        }
        header
    }

    /// The values of [`ExportedIdea::header`]'s columns.
    fn row(&self, include_contact: bool) -> Vec<String> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let mut row = vec![
            self.id.to_string(),
            self.status.code().to_owned(),
            text(&self.network),
            self.title.clone(),
            self.problem.clone(),
            text(&self.helpers),
            text(&self.motivation),
            text(&self.existing_initiatives),
            text(&self.new_alliances),
            text(&self.postcode),
            text(&self.place),
            self.language
                .map(|l| l.code().to_owned())
                .unwrap_or_default(),
            self.beacons.join(" "),
            self.consent_contact.to_string(),
            self.consent_share.to_string(),
            self.consent_publish.to_string(),
            text(&self.hidden_reason),
            self.created_at.to_rfc3339(),
            self.updated_at.to_rfc3339(),
        ];
        if include_contact {
            row.extend([&self.contact_name, &self.contact_email, &self.contact_phone].map(text));
        }
        row
    }
}

/// The format of an export.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (default) or `csv` (UTF-8, comma-separated, a header row).
    #[param(pattern = "^(csv|json)$")]
    pub format: Option<String>,
    /// Include the citizens' contact data; every idea whose contact data is exported is
    /// written to its audit log, which the citizen can read.
    pub include_contact: Option<bool>,
}

/// Every idea that passes the filters (those of `GET /v1/admin/ideas`), newest first, as JSON
/// or CSV. Contact data only with `include_contact=true`, which is audit-logged per idea.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    params(ExportQuery, super::ideas::IdeaFilterQuery),
    responses((status = 200, description = "The ideas.",
        content((Vec<ExportedIdea> = "application/json"), (String = "text/csv"))))
)]
#[get("/admin/ideas/export")]
pub async fn export_ideas(
    req: HttpRequest,
    admin: AdminKey,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let names: Vec<&str> = FILTER_PARAMS
        .iter()
        .copied()
        .chain(["format", "include_contact"])
        .collect();
    let query = QueryParams::read(&req, &names);
    let filter = read_filter(&query);
    let csv = match query.text("format").as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            query.add_problem("format", ProblemCode::InvalidValue);
            false
        }
    };
    let include_contact = query.boolean("include_contact").unwrap_or(false);
    query.finish()?;

    let mut ideas = Vec::new();
    let mut before = None;
    loop {
        let batch = state
            .store
            .list_ideas(&filter, before, EXPORT_BATCH)
            .await?;
        let full = batch.len() == EXPORT_BATCH as usize;
        before = batch.last().map(|i| i.id);
        ideas.extend(batch);
        if !full {
            break;
        }
    }
    if include_contact {
        let at = store::now();
        let reads: Vec<PartnerRead> = ideas
            .iter()
            .filter(|i| i.idea.contact.is_some())
            .map(|i| PartnerRead {
                key_id: admin.0.id,
                idea_id: i.id,
                at,
                access: "admin_export".into(),
                contact: true,
            })
            .collect();
        state.store.record_partner_reads(&reads).await?;
    }
    tracing::info!(key_id = %admin.0.id, ideas = ideas.len(), include_contact, "ideas exported");
    let rows: Vec<ExportedIdea> = ideas
        .into_iter()
        .map(|i| ExportedIdea::new(i, include_contact))
        .collect();
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "no-store"));
    if !csv {
        return Ok(response.json(rows));
    }
    let mut body = csv_line(
        ExportedIdea::header(include_contact)
            .into_iter()
            .map(str::to_owned),
    );
    for row in &rows {
        body.push_str(&csv_line(row.row(include_contact)));
    }
    Ok(response
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"ideas.csv\"",
        ))
        .body(body))
}

/// One CSV line (RFC 4180): fields with a comma, quote or line break are quoted. A field that
/// a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a leading `'`.
fn csv_line(fields: impl IntoIterator<Item = String>) -> String {
    let fields: Vec<String> = fields
        .into_iter()
        .map(|field| {
            let field = if field.starts_with(['=', '+', '-', '@']) {
                format!("'{field}")
            } else {
                field
            };
            if field.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field
            }
        })
        .collect();
    format!("{}\r\n", fields.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        let line =
            csv_line(["plain", "a,b", "say \"hi\"", "=SUM(A1)", "two\nlines"].map(String::from));
        assert_eq!(
            line,
            "plain,\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),\"two\nlines\"\r\n"
        );
    }
}
