//! Statistics for staff: counts of ideas by a grouping, and how long partners take to decide.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::IdeaStatus;

/// What ideas are counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The network that has the idea (null: triage).
    Network,
    /// The idea's status.
    Status,
    /// Each beacon the matching found (an idea may count under several; null: none).
    Beacon,
    /// The idea's postcode (null: none given).
    Postcode,
    /// The month it was received, `YYYY-MM` (UTC).
    Month,
}

impl GroupBy {
    /// Reads a stable code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "network" => Some(GroupBy::Network),
            "status" => Some(GroupBy::Status),
            "beacon" => Some(GroupBy::Beacon),
            "postcode" => Some(GroupBy::Postcode),
            "month" => Some(GroupBy::Month),
            _ => None,
        }
    }
}

/// What statistics need of one idea: no text, no contact data (erased ideas count too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdeaFacts {
    /// When it was received.
    pub created_at: DateTime<Utc>,
    /// Its status.
    pub status: IdeaStatus,
    /// The network that has it.
    pub network: Option<String>,
    /// Its postcode.
    pub postcode: Option<String>,
    /// The beacons the matching found.
    pub beacons: Vec<String>,
    /// The first partner decision on it: when, and by which network.
    pub first_decision: Option<(DateTime<Utc>, String)>,
}

/// One group's count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct GroupCount {
    /// The group: a network or beacon slug, a status, a postcode or a month; null for ideas
    /// without one.
    pub key: Option<String>,
    /// How many ideas.
    pub count: u64,
}

/// How long a network took to make its first decision on the ideas routed to it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DecisionTime {
    /// The network that decided.
    pub network: String,
    /// How many ideas it decided on.
    pub decisions: u64,
    /// The median time from submission to its decision, in seconds.
    pub median_seconds: i64,
}

/// Counts and decision times of the ideas received in a period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Stats {
    /// The grouping.
    pub group_by: GroupBy,
    /// All ideas counted.
    pub total: u64,
    /// The counts, largest first (months in order).
    pub groups: Vec<GroupCount>,
    /// Per network, the median time from submission to its first decision, by network slug.
    pub decision_times: Vec<DecisionTime>,
}

impl Stats {
    /// The statistics of `ideas`, grouped by `group_by`.
    pub fn compute(ideas: &[IdeaFacts], group_by: GroupBy) -> Stats {
        let mut counts: BTreeMap<Option<String>, u64> = BTreeMap::new();
        let mut waits: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for idea in ideas {
            let keys: Vec<Option<String>> = match group_by {
                GroupBy::Network => vec![idea.network.clone()],
                GroupBy::Status => vec![Some(idea.status.code().to_owned())],
                GroupBy::Postcode => vec![idea.postcode.clone()],
                GroupBy::Month => vec![Some(idea.created_at.format("%Y-%m").to_string())],
                GroupBy::Beacon if idea.beacons.is_empty() => vec![None],
                GroupBy::Beacon => idea.beacons.iter().cloned().map(Some).collect(),
            };
            for key in keys {
                *counts.entry(key).or_default() += 1;
            }
            if let Some((at, network)) = &idea.first_decision {
                let wait = (*at - idea.created_at).num_seconds().max(0);
                waits.entry(network).or_default().push(wait);
            }
        }
        let mut groups: Vec<GroupCount> = counts
            .into_iter()
            .map(|(key, count)| GroupCount { key, count })
            .collect();
        if group_by != GroupBy::Month {
            groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        }
        let decision_times = waits
            .into_iter()
            .map(|(network, mut seconds)| DecisionTime {
                network: network.to_owned(),
                decisions: seconds.len() as u64,
                median_seconds: median(&mut seconds),
            })
            .collect();
        Stats {
            group_by,
            total: ideas.len() as u64,
            groups,
            decision_times,
        }
    }
}

/// The median of a non-empty list; the mean of the middle two for an even count (rounded
/// down).
fn median(values: &mut [i64]) -> i64 {
    values.sort_unstable();
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]).div_euclid(2)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn idea(
        month: u32,
        network: Option<&str>,
        beacons: &[&str],
        wait_hours: Option<i64>,
    ) -> IdeaFacts {
        let created_at = Utc.with_ymd_and_hms(2026, month, 3, 12, 0, 0).unwrap();
        IdeaFacts {
            created_at,
            status: if network.is_some() {
                IdeaStatus::Routed
            } else {
                IdeaStatus::Triage
            },
            network: network.map(str::to_owned),
            postcode: None,
            beacons: beacons.iter().map(|b| (*b).to_owned()).collect(),
            first_decision: wait_hours
                .zip(network)
                .map(|(h, n)| (created_at + Duration::hours(h), n.to_owned())),
        }
    }

    #[test]
    fn ideas_are_counted_by_group_and_decision_times_are_medians() {
        let ideas = [
            idea(1, Some("a"), &["x", "y"], Some(1)),
            idea(1, Some("a"), &["x"], Some(3)),
            idea(2, Some("a"), &[], Some(10)),
            idea(2, Some("b"), &[], None),
            idea(3, None, &[], None),
        ];

        let by_network = Stats::compute(&ideas, GroupBy::Network);
        let by_beacon = Stats::compute(&ideas, GroupBy::Beacon);
        let by_month = Stats::compute(&ideas, GroupBy::Month);

        let pairs = |s: &Stats| -> Vec<(Option<String>, u64)> {
            s.groups.iter().map(|g| (g.key.clone(), g.count)).collect()
        };
        let some = |k: &str| Some(k.to_owned());
        assert_eq!(by_network.total, 5);
        assert_eq!(
            pairs(&by_network),
            [(some("a"), 3), (None, 1), (some("b"), 1)]
        );
        assert_eq!(
            pairs(&by_beacon),
            [(None, 3), (some("x"), 2), (some("y"), 1)]
        );
        assert_eq!(
            pairs(&by_month),
            [
                (some("2026-01"), 2),
                (some("2026-02"), 2),
                (some("2026-03"), 1)
            ]
        );
        assert_eq!(
            by_network.decision_times,
            [DecisionTime {
                network: "a".into(),
                decisions: 3,
                median_seconds: 3 * 3600
            }]
        );
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&mut [40, 10, 20, 30]), 25);
        assert_eq!(median(&mut [7]), 7);
    }
}
