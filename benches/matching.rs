//! Matching without HTTP: `POST /v1/match`'s work against synthetic catalogs, and similar-idea
//! search among many stored ideas. Catalogs and ideas are generated deterministically from
//! the Danish words of the embedded lexicon, with word frequencies skewed the way text is.
//!
//! `cargo bench --bench matching` (all), or e.g. `cargo bench --bench matching -- match/10000`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, criterion_group, criterion_main};
use sammen::domain::{Answers, Catalog, IdeaText, Initiative, LocalizedText, Network};
use sammen::matching::Matcher;
use uuid::Uuid;

/// A small deterministic generator (xorshift64*), so that every run sees the same data.
struct Words {
    state: u64,
    vocabulary: Vec<&'static str>,
}

impl Words {
    fn new(seed: u64) -> Self {
        let vocabulary = include_str!("../lexicon/synonyms-da.tsv")
            .lines()
            .step_by(7)
            .filter_map(|line| line.split('\t').next())
            .filter(|w| w.chars().count() >= 4)
            .collect();
        Self {
            state: seed.max(1),
            vocabulary,
        }
    }

    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A word, common ones far more often than rare ones (roughly Zipf-like).
    fn word(&mut self) -> &'static str {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let index = ((self.vocabulary.len() as f64) * u.powi(3)) as usize;
        self.vocabulary[index.min(self.vocabulary.len() - 1)]
    }

    fn text(&mut self, words: usize) -> String {
        (0..words)
            .map(|_| self.word())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn danish(text: String) -> LocalizedText {
    LocalizedText {
        da: Some(text),
        en: None,
    }
}

/// A catalog of `initiatives` initiatives spread over 20 networks.
fn catalog(initiatives: usize) -> Catalog {
    let mut words = Words::new(7);
    let networks: Vec<Network> = (0..20)
        .map(|i| Network {
            slug: format!("network-{i}"),
            name: danish(words.text(2)),
            description: danish(words.text(40)),
            keywords: (0..12).map(|_| words.word().to_owned()).collect(),
            areas: vec![format!("{}", 9000 + i * 10)],
            url: None,
            contact_email: None,
        })
        .collect();
    let initiatives = (0..initiatives)
        .map(|i| Initiative {
            slug: format!("initiative-{i}"),
            network: format!("network-{}", i % 20),
            title: danish(words.text(3)),
            description: danish(words.text(25)),
            tags: (0..3).map(|_| words.word().to_owned()).collect(),
            place: None,
            url: None,
        })
        .collect();
    Catalog {
        networks,
        initiatives,
        beacons: Vec::new(),
    }
}

fn idea(words: &mut Words) -> IdeaText {
    IdeaText {
        title: words.text(4),
        answers: Answers {
            problem: words.text(60),
            helpers: Some(words.text(8)),
            motivation: Some(words.text(10)),
            existing_initiatives: Some(words.text(6)),
            new_alliances: Some(words.text(6)),
        },
        location: None,
        language: Some(sammen::domain::Language::Da),
    }
}

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// A benchmark group kept short (4 s of measurement, 1 s of warm-up): the machine has two cores.
fn short_group<'a>(
    c: &'a mut Criterion,
    name: &str,
    samples: usize,
) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group
        .sample_size(samples)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    group
}

fn match_against_catalogs(c: &mut Criterion) {
    let mut group = short_group(c, "match", 30);
    for size in [100, 1_000, 10_000, 100_000] {
        // Set up on the first call of the routine, which criterion makes only for selected
        // benchmarks, so that running one benchmark does not build every catalog.
        let mut setup = None;
        let mut next = 0;
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, _| {
            let (matcher, ideas) = setup.get_or_insert_with(|| {
                let started = Instant::now();
                let matcher = Matcher::new(&catalog(size), 0.35);
                eprintln!(
                    "catalog of {size} initiatives indexed in {:.2?}",
                    started.elapsed()
                );
                let mut words = Words::new(99);
                let ideas: Vec<IdeaText> = (0..64).map(|_| idea(&mut words)).collect();
                (matcher, ideas)
            });
            b.iter(|| {
                next = (next + 1) % ideas.len();
                black_box(matcher.match_idea(&ideas[next]))
            })
        });
    }
    group.finish();
}

fn similar_among_stored_ideas(c: &mut Criterion) {
    let mut group = short_group(c, "similar", 20);
    let sizes: Vec<usize> = match std::env::var("SAMMEN_BENCH_IDEAS") {
        Ok(list) => list
            .split(',')
            .filter_map(|n| n.trim().parse().ok())
            .collect(),
        Err(_) => vec![10_000, 1_000_000],
    };
    for size in sizes {
        let mut setup = None;
        let mut next = 0;
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, _| {
            let (matcher, queries) = setup.get_or_insert_with(|| {
                let matcher = Matcher::new(&catalog(100), 0.35);
                let mut words = Words::new(1234);
                // In pages, as start-up reads them from the store; the time is that of
                // indexing, without generating the ideas.
                let mut indexing = Duration::ZERO;
                for start in (0..size).step_by(1_000) {
                    let page: Vec<(Uuid, IdeaText)> = (start..size.min(start + 1_000))
                        .map(|_| (Uuid::now_v7(), idea(&mut words)))
                        .collect();
                    let page: Vec<(Uuid, &IdeaText)> =
                        page.iter().map(|(id, i)| (*id, i)).collect();
                    let started = Instant::now();
                    matcher.add_ideas(&page);
                    indexing += started.elapsed();
                }
                // As at start-up, after the stored ideas are read.
                let started = Instant::now();
                matcher.compact();
                indexing += started.elapsed();
                // The process's whole resident set: an upper bound on the index, since the
                // allocator keeps what earlier benchmarks freed.
                let (bytes, postings) = matcher.similar_index_size();
                eprintln!(
                    "{size} ideas indexed in {:.2?}: {postings} postings, index heap {} MiB, \
                     process resident memory {} MiB",
                    indexing,
                    bytes / (1024 * 1024),
                    resident_bytes() / (1024 * 1024)
                );
                let queries: Vec<IdeaText> = (0..64).map(|_| idea(&mut words)).collect();
                (matcher, queries)
            });
            b.iter(|| {
                next = (next + 1) % queries.len();
                black_box(matcher.match_idea(&queries[next]))
            })
        });
    }
    group.finish();
}

/// `POST /v1/match`'s whole work on the built-in Aalborg catalog for the held-out evaluation
/// ideas (real texts, mostly Danish): the JSON body read and validated, the matching, and the
/// answer written, as the handler does; and the matching alone.
fn match_real_ideas(c: &mut Criterion) {
    let mut group = short_group(c, "aalborg", 30);
    let matcher = Matcher::new(&Catalog::aalborg(), 0.35);
    let bodies: Vec<Vec<u8>> = include_str!("../tests/fixtures/eval-aalborg.jsonl")
        .lines()
        .map(|line| {
            let case: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let idea = &case["idea"];
            serde_json::to_vec(&serde_json::json!({
                "title": idea["title"],
                "answers": idea["answers"],
            }))
            .expect("JSON")
        })
        .collect();
    let ideas: Vec<IdeaText> = bodies
        .iter()
        .map(|body| {
            IdeaText::parse(&serde_json::from_slice(body).expect("JSON")).expect("a valid idea")
        })
        .collect();
    let mut next = 0;
    group.bench_function("matching", |b| {
        b.iter(|| {
            next = (next + 1) % ideas.len();
            black_box(matcher.match_idea(&ideas[next]))
        })
    });
    group.bench_function("json-in-and-out", |b| {
        b.iter(|| {
            next = (next + 1) % bodies.len();
            let value: serde_json::Value =
                serde_json::from_slice(&bodies[next]).expect("JSON body");
            let idea = IdeaText::parse(&value).expect("a valid idea");
            let matching = matcher.match_idea(&idea);
            black_box(serde_json::to_vec(&matching).expect("serialisable"))
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    match_against_catalogs,
    similar_among_stored_ideas,
    match_real_ideas
);
criterion_main!(benches);
