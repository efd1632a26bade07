//! `sammen eval`: submits labelled ideas in file order and measures routing, related
//! initiatives and duplicate finding, with the metrics of the evaluation format.

use std::collections::{BTreeMap, HashMap};
use std::io::{IsTerminal, Write};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::{Language, NewIdea};
use crate::matching::{Matcher, Matching};
use crate::store::{Store, StoreError};
use crate::submission;

/// Initiatives and similar ideas looked at per idea (the MRR horizon).
const HORIZON: usize = 10;

/// One labelled idea of an evaluation file.
#[derive(Debug, Deserialize)]
struct Case {
    id: String,
    idea: Value,
    expect: Expectation,
    #[serde(default)]
    dup_of: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Expectation {
    network: Option<String>,
    #[serde(default)]
    acceptable: Vec<String>,
    #[serde(default)]
    initiatives: Vec<String>,
}

/// The metrics of the evaluation format; `null` where nothing was there to measure.
#[derive(Debug, Serialize, PartialEq)]
pub struct Metrics {
    /// Ideas evaluated.
    pub ideas: usize,
    /// Share whose primary network was expected (or acceptable; null when triage was expected).
    pub network_accuracy: Option<f64>,
    /// Of the ideas sent to triage, the share that belonged there.
    pub triage_precision: Option<f64>,
    /// Of the ideas that belonged in triage, the share sent there.
    pub triage_recall: Option<f64>,
    /// Share of ideas with expected initiatives that got one among the top 3.
    pub initiative_hit_at_3: Option<f64>,
    /// Mean reciprocal rank of the first expected initiative (0 beyond the top 10).
    pub initiative_mrr: Option<f64>,
    /// Share of repeated ideas whose earlier twin was among the top 5 similar ideas.
    pub duplicate_recall_at_5: Option<f64>,
    /// Expected network (or "null") to predicted network (or "null") to count.
    pub confusion: BTreeMap<String, BTreeMap<String, usize>>,
}

/// Why an evaluation could not run.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A line of the file is not a labelled idea.
    #[error("line {line}: {message}")]
    Case {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}

fn share(hits: usize, total: usize) -> Option<f64> {
    (total > 0).then(|| (hits as f64 / total as f64 * 1000.0).round() / 1000.0)
}

/// Submits every idea of `jsonl` in order (with publication consent, so that later ideas can
/// find earlier ones) and measures. With `explain`, each miss is written to `report`.
pub async fn run(
    store: &dyn Store,
    matcher: &Matcher,
    jsonl: &str,
    explain: bool,
    report: &mut dyn Write,
) -> Result<Metrics, EvalError> {
    let cases: Vec<(usize, Case)> = jsonl
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .map(|case| (i + 1, case))
                .map_err(|e| EvalError::Case {
                    line: i + 1,
                    message: e.to_string(),
                })
        })
        .collect::<Result<_, _>>()?;
    let progress = std::io::stderr().is_terminal();

    let mut submitted: HashMap<String, Uuid> = HashMap::new();
    let mut confusion: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let (mut correct, mut triaged, mut triaged_right, mut belongs_in_triage) = (0, 0, 0, 0);
    let (mut with_initiatives, mut hits_at_3, mut reciprocal_ranks) = (0, 0, 0.0);
    let (mut duplicates, mut duplicates_found) = (0, 0);

    for (n, (line, case)) in cases.iter().enumerate() {
        if progress {
            eprint!("\revaluating {}/{}", n + 1, cases.len());
        }
        let mut body = case.idea.clone();
        body["consent"] = serde_json::json!({"publish": true});
        let idea = NewIdea::parse(&body).map_err(|problems| EvalError::Case {
            line: *line,
            message: problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.code.message(Language::En)))
                .collect::<Vec<_>>()
                .join("; "),
        })?;
        // The metrics look deeper than a receipt's top 5, so match once more with a wider horizon,
        // before the idea itself is findable.
        let matching = matcher.match_with_limit(&idea.text(), HORIZON);
        let stored = submission::submit(store, matcher, idea, None).await?;
        submitted.insert(case.id.clone(), stored.stored.id);

        let predicted = matching.primary_network.clone();
        let expected = &case.expect;
        let right = match (&expected.network, &predicted) {
            (None, None) => true,
            (Some(want), Some(got)) => want == got || expected.acceptable.contains(got),
            _ => false,
        };
        correct += usize::from(right);
        *confusion
            .entry(expected.network.clone().unwrap_or_else(|| "null".into()))
            .or_default()
            .entry(predicted.clone().unwrap_or_else(|| "null".into()))
            .or_default() += 1;
        if predicted.is_none() {
            triaged += 1;
            triaged_right += usize::from(expected.network.is_none());
        }
        belongs_in_triage += usize::from(expected.network.is_none());

        let mut initiative_miss = false;
        if !expected.initiatives.is_empty() {
            with_initiatives += 1;
            let rank = matching
                .initiatives
                .iter()
                .position(|i| expected.initiatives.contains(&i.slug));
            hits_at_3 += usize::from(rank.is_some_and(|r| r < 3));
            reciprocal_ranks += rank.map_or(0.0, |r| 1.0 / (r + 1) as f64);
            initiative_miss = rank.is_none_or(|r| r >= 3);
        }

        let mut duplicate_miss = false;
        if let Some(twin) = case.dup_of.as_ref().and_then(|d| submitted.get(d)) {
            duplicates += 1;
            let found = matching.similar_ideas.iter().take(5).any(|s| s.id == *twin);
            duplicates_found += usize::from(found);
            duplicate_miss = !found;
        }

        if explain && (!right || initiative_miss || duplicate_miss) {
            explain_miss(
                report,
                case,
                &matching,
                right,
                initiative_miss,
                duplicate_miss,
            );
        }
    }
    if progress {
        eprintln!();
    }
    Ok(Metrics {
        ideas: cases.len(),
        network_accuracy: share(correct, cases.len()),
        triage_precision: share(triaged_right, triaged),
        triage_recall: share(triaged_right, belongs_in_triage),
        initiative_hit_at_3: share(hits_at_3, with_initiatives),
        initiative_mrr: (with_initiatives > 0)
            .then(|| (reciprocal_ranks / with_initiatives as f64 * 1000.0).round() / 1000.0),
        duplicate_recall_at_5: share(duplicates_found, duplicates),
        confusion,
    })
}

fn explain_miss(
    report: &mut dyn Write,
    case: &Case,
    matching: &Matching,
    network_right: bool,
    initiative_miss: bool,
    duplicate_miss: bool,
) {
    let title = case.idea["title"].as_str().unwrap_or_default();
    let mut lines = vec![format!("{} {title:?}", case.id)];
    if !network_right {
        lines.push(format!(
            "  network: expected {:?} (or {:?}), got {:?}",
            case.expect.network, case.expect.acceptable, matching.primary_network
        ));
    }
    if initiative_miss {
        let got: Vec<&str> = matching
            .initiatives
            .iter()
            .take(3)
            .map(|i| i.slug.as_str())
            .collect();
        lines.push(format!(
            "  initiatives: expected one of {:?}, got {got:?}",
            case.expect.initiatives
        ));
    }
    if duplicate_miss {
        lines.push(format!(
            "  similar ideas: missed the twin {:?}",
            case.dup_of
        ));
    }
    for network in matching.networks.iter().take(3) {
        let reasons = serde_json::to_string(&network.reasons).unwrap_or_default();
        lines.push(format!(
            "    {:.3} {} {reasons}",
            network.score, network.slug
        ));
    }
    // A report that cannot be written is not worth failing the evaluation for.
    let _ = writeln!(report, "{}", lines.join("\n"));
}
