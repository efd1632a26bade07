//! Routing cases on small catalogs written for the case: each says what the engine must do
//! with any catalog, not with Aalborg's.

use serde_json::json;
use uuid::Uuid;

use super::{Matcher, Reason};
use crate::domain::{Catalog, IdeaText};

fn catalog(value: serde_json::Value) -> Catalog {
    Catalog::parse(&value, &Default::default()).expect("a valid test catalog")
}

/// Two networks described only in Danish, with an initiative each.
fn danish_catalog() -> Catalog {
    catalog(json!({
        "networks": [
            {"slug": "miljoe", "name": {"da": "Miljønetværket"},
             "description": {"da": "Vi hjælper med affald, genbrug og sortering, så byen bliver renere og grønnere."},
             "keywords": ["affald", "genbrug"]},
            {"slug": "tryghed", "name": {"da": "Tryghedsnetværket"},
             "description": {"da": "Vi arbejder mod tyveri og kriminalitet i boligområderne og for lys på stierne."},
             "keywords": ["tryghed", "tyveri"], "areas": ["9240", "Nibe"]}
        ],
        "initiatives": [
            {"slug": "reparationscafe", "network": "miljoe", "title": {"da": "Reparationscaféen Fiks"},
             "description": {"da": "Frivillige reparerer ting, så de ikke bliver til affald."}},
            {"slug": "nabovagt", "network": "tryghed", "title": {"da": "Nabovagten"},
             "description": {"da": "Naboer holder øje med hinandens huse for at forebygge tyveri."}}
        ]
    }))
}

fn idea(title: &str, problem: &str) -> IdeaText {
    IdeaText::parse(&json!({"title": title, "answers": {"problem": problem}})).unwrap()
}

fn has_reason(reasons: &[Reason], wanted: impl Fn(&Reason) -> bool) -> bool {
    reasons.iter().any(wanted)
}

#[test]
fn a_citizens_word_meets_the_catalogs_synonym() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);

    let matching = matcher.match_idea(&idea(
        "Skrald overalt",
        "Der flyder med skrald i parken hver weekend.",
    ));

    assert_eq!(matching.primary_network.as_deref(), Some("miljoe"));
    let reasons = &matching.networks[0].reasons;
    assert!(
        has_reason(
            reasons,
            |r| matches!(r, Reason::Synonym { term, via, .. } if term == "skrald" && via == "affald")
        ),
        "{reasons:?}"
    );
}

#[test]
fn burglary_meets_theft() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);

    let matching = matcher.match_idea(&idea(
        "Indbrud i kvarteret",
        "Der har været mange indbrud i vores kvarter.",
    ));

    assert_eq!(matching.primary_network.as_deref(), Some("tryghed"));
}

#[test]
fn an_english_idea_reaches_a_network_described_only_in_danish() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);

    let matching = matcher.match_idea(&idea(
        "Recycling in our block",
        "There is so much waste in our block and nobody sorts it for recycling.",
    ));

    assert_eq!(matching.language, crate::domain::Language::En);
    assert_eq!(matching.primary_network.as_deref(), Some("miljoe"));
    assert!(has_reason(&matching.networks[0].reasons, |r| matches!(
        r,
        Reason::Translation { .. }
    )));
}

#[test]
fn a_danish_idea_reaches_a_network_described_only_in_english() {
    let english = catalog(json!({"networks": [
        {"slug": "green", "name": {"en": "Green"}, "description": {"en": "We help with waste, recycling and repair."}},
        {"slug": "safe", "name": {"en": "Safe"}, "description": {"en": "We work against burglary and crime."}}
    ]}));
    let matcher = Matcher::new(&english, 0.0);

    let matching = matcher.match_idea(&idea(
        "Affald i gården",
        "Vi har alt for meget affald i gården og ingen genbrug.",
    ));

    assert_eq!(matching.primary_network.as_deref(), Some("green"));
}

#[test]
fn a_compound_meets_its_parts() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);

    let matching = matcher.match_idea(&idea(
        "Affaldssortering",
        "Affaldssorteringen i opgangen virker ikke.",
    ));

    assert_eq!(matching.primary_network.as_deref(), Some("miljoe"));
    let reasons = &matching.networks[0].reasons;
    assert!(
        has_reason(reasons, |r| matches!(r, Reason::Compound { term, part, .. }
            if term == "affaldssortering" && ["affald", "sortering"].contains(&part.as_str()))),
        "{reasons:?}"
    );
}

#[test]
fn a_misspelt_initiative_named_by_the_citizen_is_found_and_says_so() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);
    let text = IdeaText::parse(&json!({
        "title": "Lappe tøj sammen",
        "answers": {"problem": "Jeg vil gerne lære at lappe tøj og sy knapper i.", "existing_initiatives": "Måske reperationscafeen Fiks?"}
    }))
    .unwrap();

    let matching = matcher.match_idea(&text);

    assert_eq!(matching.initiatives[0].slug, "reparationscafe");
    assert!(has_reason(&matching.initiatives[0].reasons, |r| matches!(
        r,
        Reason::NamedInitiative { .. }
    )));
}

#[test]
fn a_location_among_a_networks_areas_is_a_signal() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);
    let text = IdeaText::parse(&json!({
        "title": "Bænke ved havnen",
        "answers": {"problem": "Vi mangler bænke ved havnen, hvor folk kan sidde."},
        "location": {"postcode": "9240", "place": "Nibe"}
    }))
    .unwrap();

    let matching = matcher.match_idea(&text);

    let safety = matching
        .networks
        .iter()
        .find(|n| n.slug == "tryghed")
        .unwrap();
    assert!(has_reason(
        &safety.reasons,
        |r| matches!(r, Reason::Area { value } if value == "9240")
    ));
}

#[test]
fn a_complaint_to_a_municipal_service_goes_to_triage() {
    let matcher = Matcher::new(&danish_catalog(), super::DEFAULT_MIN_CONFIDENCE);

    let matching = matcher.match_idea(&idea(
        "Klage over affaldsgebyr",
        "Jeg vil klage over gebyret for affald, som er steget alt for meget i år.",
    ));

    assert_eq!(matching.primary_network, None);
    assert!(has_reason(&matching.networks[0].reasons, |r| matches!(
        r,
        Reason::ServiceRequest { .. }
    )));
}

#[test]
fn an_empty_catalog_routes_nothing_and_does_not_fail() {
    let matcher = Matcher::new(&Catalog::default(), 0.0);

    let matching = matcher.match_idea(&idea("Noget", "En idé om et eller andet i byen."));

    assert_eq!(matching.primary_network, None);
    assert!(matching.networks.is_empty() && matching.initiatives.is_empty());
}

#[test]
fn a_catalog_change_changes_routing_at_once() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);
    let text = idea(
        "Fælles musik",
        "Vi vil starte et kor og et orkester for alle i byen.",
    );
    assert_ne!(
        matcher.match_idea(&text).primary_network.as_deref(),
        Some("musik")
    );

    let mut changed = danish_catalog();
    changed.networks.push(
        catalog(
            json!({"networks": [{"slug": "musik", "name": {"da": "Musiknetværket"},
            "description": {"da": "Kor, orkester og sang for alle."}}]}),
        )
        .networks
        .remove(0),
    );
    matcher.set_catalog(&changed);

    assert_eq!(
        matcher.match_idea(&text).primary_network.as_deref(),
        Some("musik")
    );
}

#[test]
fn similar_ideas_are_found_across_languages_and_leave_when_removed() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);
    let danish = Uuid::now_v7();
    matcher.add_idea(
        danish,
        &idea(
            "Ren strand",
            "Vi vil samle skrald og plastik på stranden hver søndag med naboerne.",
        ),
    );
    matcher.add_idea(
        Uuid::now_v7(),
        &idea("Kor i kirken", "Et kor for ældre i kirken om torsdagen."),
    );

    let twin = idea(
        "Clean beach",
        "We want to pick up litter and plastic on the beach every Sunday with the neighbours.",
    );
    let similar = matcher.match_idea(&twin).similar_ideas;

    assert_eq!(similar.first().map(|s| s.id), Some(danish), "{similar:?}");
    assert!(!similar[0].reasons.is_empty());
    assert!(matcher.remove_idea(danish));
    assert!(
        matcher
            .match_idea(&twin)
            .similar_ideas
            .iter()
            .all(|s| s.id != danish)
    );
}

#[test]
fn a_word_no_published_idea_had_finds_the_ideas_published_with_it_later() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);
    matcher.add_idea(
        Uuid::now_v7(),
        &idea("Kor i kirken", "Et kor for ældre i kirken om torsdagen."),
    );
    let asking = idea(
        "Kajakklub ved havnen",
        "En kajakklub hvor nybegyndere kan låne en kajak og padle sammen.",
    );
    // The query's words remember which of their alternatives the index lacked.
    assert!(matcher.match_idea(&asking).similar_ideas.is_empty());

    let kayaks = Uuid::now_v7();
    matcher.add_idea(
        kayaks,
        &idea(
            "Kajakker til alle",
            "Kajakklubben lader nybegyndere padle i havnen.",
        ),
    );
    let similar = matcher.match_idea(&asking).similar_ideas;
    assert_eq!(similar.first().map(|s| s.id), Some(kayaks), "{similar:?}");
}

#[test]
fn scores_are_between_zero_and_one_and_ranked() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);

    let matching = matcher.match_idea(&idea(
        "Affald og tyveri",
        "Affald, genbrug, tyveri og kriminalitet og lys på stierne.",
    ));

    for pair in matching.networks.windows(2) {
        assert!(pair[0].score >= pair[1].score);
    }
    assert!(
        matching
            .networks
            .iter()
            .all(|n| (0.0..=1.0).contains(&n.score))
    );
}

#[test]
fn declined_ideas_push_ideas_like_them_away_and_are_forgotten_when_erased() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);
    let problem = "Vi vil sortere affald i gården og lave en genbrugshylde til naboerne.";
    let score = |matching: &super::Matching, slug: &str| {
        let network = matching.networks.iter().find(|n| n.slug == slug).unwrap();
        (network.score, network.reasons.clone())
    };
    let before = matcher.match_idea(&idea("Genbrug i gården", problem));
    let (first, _) = score(&before, "miljoe");

    let places = [
        "gården",
        "opgangen",
        "kælderen",
        "skuret",
        "haven",
        "kvarteret",
    ];
    let declined: Vec<Uuid> = places.iter().map(|_| Uuid::now_v7()).collect();
    for (id, place) in declined.iter().zip(places) {
        let text = format!("Vi vil sortere affald i {place} og lave en genbrugshylde.");
        matcher.learn(*id, &idea("Genbrug", &text), None, Some("miljoe"));
        let theft = format!("Der er tyveri af cykler i {place}, vi vil have mere lys.");
        matcher.learn(
            Uuid::now_v7(),
            &idea("Tyveri", &theft),
            Some("tryghed"),
            None,
        );
    }
    assert_eq!(matcher.lessons(), 12);
    let after = matcher.match_idea(&idea("Genbrug i gården", problem));
    let (lowered, reasons) = score(&after, "miljoe");
    assert!(lowered < first, "{first} -> {lowered}");
    assert!(
        has_reason(&reasons, |r| matches!(
            r,
            Reason::Feedback { toward: 0, away: 6 }
        )),
        "{reasons:?}"
    );

    for id in &declined {
        matcher.forget_idea(*id);
    }
    assert_eq!(matcher.lessons(), 6);
    let forgotten = matcher.match_idea(&idea("Genbrug i gården", problem));
    assert_eq!(score(&forgotten, "miljoe").0, first);
}

#[test]
fn an_idea_removed_and_added_again_is_found_again() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);
    let beach = Uuid::now_v7();
    let text = idea(
        "Ren strand",
        "Vi vil samle skrald og plastik på stranden hver søndag med naboerne.",
    );
    matcher.add_idea(beach, &text);
    matcher.add_idea(
        Uuid::now_v7(),
        &idea("Kor i kirken", "Et kor for ældre i kirken om torsdagen."),
    );
    let found = |matcher: &Matcher| {
        matcher
            .match_idea(&text)
            .similar_ideas
            .iter()
            .find(|s| s.id == beach)
            .map(|s| s.score)
    };
    let first = found(&matcher).expect("found");

    assert!(matcher.remove_idea(beach));
    assert_eq!(found(&matcher), None);
    matcher.add_idea(beach, &text);

    let again = found(&matcher).expect("found again");
    assert!(again >= first - 0.1, "{first} -> {again}");
    assert_eq!(matcher.published_ideas(), 2);
}

#[test]
fn a_catalog_small_enough_to_score_whole_explains_its_candidates_as_a_full_scoring_does() {
    let catalog = crate::domain::Catalog::aalborg();
    let matcher = Matcher::new(&catalog, 0.0);
    let index = matcher.current_catalog();
    let vocabulary = index.vocabulary(matcher.lexicon);
    for (title, problem) in [
        (
            "Fikse-café",
            "Vi vil reparere cykler og brødristere sammen med naboerne i Vejgaard.",
        ),
        (
            "Mørk sti",
            "Stien ved skolen er mørk om aftenen, og børnene er utrygge.",
        ),
        (
            "Language café",
            "Newcomers want to practise Danish with volunteers over coffee.",
        ),
    ] {
        let query = super::Query::build(
            &index.words,
            &idea(title, problem),
            &matcher.analyzer,
            &vocabulary,
        );
        let scorer = index
            .scorer(&query, &index.network_docs)
            .on(&index.initiative_docs)
            .strongest(super::STRONGEST_TERMS);
        let candidates = scorer.candidates(super::CANDIDATE_WORDS, super::INITIATIVE_CANDIDATES);
        let full: std::collections::HashMap<u32, f32> = scorer.scores().into_iter().collect();
        assert!(!candidates.scores.is_empty(), "{title}");
        assert_eq!(
            candidates.scores.len(),
            full.len(),
            "{title}: every document is a candidate"
        );
        for (doc, score) in &candidates.scores {
            assert!((score - full[doc]).abs() < 1e-6, "{title}");
            assert_eq!(
                scorer.explain_candidate(&candidates, *doc, 4),
                scorer.explain(*doc, 4),
                "{title}"
            );
        }
    }
}

#[test]
fn a_question_to_a_service_is_found_where_it_opens_and_an_opening_word_alone_is_none() {
    let matcher = Matcher::new(&danish_catalog(), 0.0);
    let cue = |title: &str, problem: &str| {
        let matching = matcher.match_idea(&idea(title, problem));
        matching.networks[0].reasons.iter().find_map(|r| match r {
            Reason::ServiceRequest { value } => Some(value.clone()),
            _ => None,
        })
    };

    assert_eq!(
        cue(
            "Affald i parken",
            "Hvor meget affald? Hvornaar bliver det fjernet?"
        )
        .as_deref(),
        Some("hvornår bliver")
    );
    assert_eq!(
        cue("Hvad gør jeg", "Hvad gør jeg med affald fra haven?").as_deref(),
        Some("hvad gør jeg")
    );
    assert_eq!(
        cue(
            "Reparationscafé",
            "Hvor mange vil reparere ting i stedet for at smide dem ud?"
        ),
        None
    );
    assert_eq!(
        cue("Affald", "Jeg vil klage over affaldet.").as_deref(),
        Some("klage")
    );
}
