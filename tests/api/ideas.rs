use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_field_errors, field_errors, json, problem, valid_idea};

on_both_backends!(
    a_valid_idea_is_stored_and_reads_back_with_its_token,
    a_minimal_idea_gets_default_consent,
    a_wrong_or_missing_token_answers_exactly_like_an_unknown_id,
    every_problem_of_an_invalid_idea_is_listed_and_nothing_is_written,
    contact_data_without_consent_is_refused,
    fields_the_client_may_not_set_are_rejected,
    bad_bodies_get_problems_and_write_nothing,
    problems_are_in_english_when_asked,
    the_same_idempotency_key_and_body_return_the_first_response,
    an_idempotency_key_reused_with_another_body_is_refused,
    concurrent_duplicates_with_one_key_store_one_idea,
);

async fn a_valid_idea_is_stored_and_reads_back_with_its_token(app: TestApp) {
    let response = app.post_json("/v1/ideas", &valid_idea()).await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let created = json(response, 201).await;

    let id = created["id"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 7);
    assert_eq!(location, format!("/v1/ideas/{id}"));
    assert_eq!(created["status"], "routed");
    assert_eq!(created["network"], created["matching"]["primary_network"]);
    assert!(created["network"].is_string());
    let token = created["citizen_token"].as_str().unwrap();
    assert!(token.starts_with("sct_") && token.len() == 47);

    let response = app
        .client
        .get(app.url(&location))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
    let idea = json(response, 200).await;
    let sent = valid_idea();
    for field in [
        "title", "answers", "location", "language", "contact", "consent",
    ] {
        assert_eq!(idea[field], sent[field], "{field}");
    }
    assert_eq!(idea["id"], id);
    assert_eq!(idea["status"], "routed");
    assert_eq!(idea["matching"], created["matching"]);
    assert_eq!(idea["created_at"], created["created_at"]);
    assert_eq!(app.ideas_stored().await, 1);
}

async fn a_minimal_idea_gets_default_consent(app: TestApp) {
    let body =
        json!({"title": "Bænke", "answers": {"problem": "Der mangler bænke langs fjorden."}});
    let created = json(app.post_json("/v1/ideas", &body).await, 201).await;

    let idea = app.read_back(&created).await;
    assert_eq!(
        idea["consent"],
        json!({"contact": false, "share_contact_with_partners": false, "publish": false})
    );
    assert!(idea.get("contact").is_none());
    assert!(idea.get("location").is_none());
}

async fn a_wrong_or_missing_token_answers_exactly_like_an_unknown_id(app: TestApp) {
    let created = json(app.post_json("/v1/ideas", &valid_idea()).await, 201).await;
    let path = format!("/v1/ideas/{}", created["id"].as_str().unwrap());
    let other = json(app.post_json("/v1/ideas", &valid_idea()).await, 201).await;

    let unknown = problem(
        app.client
            .get(app.url(&format!("/v1/ideas/{}", uuid::Uuid::now_v7())))
            .bearer_auth(created["citizen_token"].as_str().unwrap())
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let missing = problem(app.get(&path).await, 404).await;
    let wrong = problem(
        app.client
            .get(app.url(&path))
            .bearer_auth(other["citizen_token"].as_str().unwrap())
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
    let malformed = problem(
        app.client
            .get(app.url(&path))
            .header("Authorization", "Basic x")
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;

    assert_eq!(missing, unknown);
    assert_eq!(wrong, unknown);
    assert_eq!(malformed, unknown);
}

async fn every_problem_of_an_invalid_idea_is_listed_and_nothing_is_written(app: TestApp) {
    let body = json!({
        "title": "x",
        "answers": {"problem": "kort", "helpers": 42, "new_alliances": "a".repeat(5001)},
        "location": {"postcode": "92a0", "place": "Nibe"},
        "language": "sv",
        "contact": {"email": "anna@", "phone": "12"},
        "consent": {"contact": "yes"}
    });

    let response = problem(app.post_json("/v1/ideas", &body).await, 422).await;

    let errors = field_errors(&response);
    for expected in [
        ("title", "too_short"),
        ("answers.problem", "too_short"),
        ("answers.helpers", "wrong_type"),
        ("answers.new_alliances", "too_long"),
        ("location.postcode", "invalid_format"),
        ("language", "invalid_value"),
        ("contact.email", "invalid_format"),
        ("contact.phone", "invalid_format"),
        ("consent.contact", "wrong_type"),
    ] {
        assert!(
            errors.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} missing in {errors:?}"
        );
    }
    assert_eq!(app.ideas_stored().await, 0);
}

async fn contact_data_without_consent_is_refused(app: TestApp) {
    let mut body = valid_idea();
    body["consent"]["contact"] = json!(false);

    let response = problem(app.post_json("/v1/ideas", &body).await, 422).await;

    assert_eq!(
        field_errors(&response),
        [("contact".to_owned(), "consent_required".to_owned())]
    );
    assert_eq!(app.ideas_stored().await, 0);
}

async fn fields_the_client_may_not_set_are_rejected(app: TestApp) {
    let mut body = valid_idea();
    body["status"] = json!("accepted");
    body["id"] = json!(uuid::Uuid::now_v7());
    body["answers"]["extra"] = json!("?");

    let response = problem(app.post_json("/v1/ideas", &body).await, 422).await;

    assert_field_errors(
        &response,
        &[
            ("answers.extra", "unknown_field"),
            ("id", "unknown_field"),
            ("status", "unknown_field"),
        ],
    );
    assert_eq!(app.ideas_stored().await, 0);
}

async fn bad_bodies_get_problems_and_write_nothing(app: TestApp) {
    let post = |body: Vec<u8>, content_type: &'static str| {
        app.client
            .post(app.url("/v1/ideas"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };

    problem(
        post(b"{\"title\": ".to_vec(), "application/json")
            .await
            .unwrap(),
        400,
    )
    .await;
    problem(
        post(b"[1, 2, 3]".to_vec(), "application/json")
            .await
            .unwrap(),
        422,
    )
    .await;
    problem(
        post(b"null".to_vec(), "application/json").await.unwrap(),
        422,
    )
    .await;
    problem(
        post(valid_idea().to_string().into_bytes(), "text/plain")
            .await
            .unwrap(),
        415,
    )
    .await;
    let mut huge = valid_idea();
    huge["answers"]["motivation"] = json!("ø".repeat(40_000));
    problem(
        post(huge.to_string().into_bytes(), "application/json")
            .await
            .unwrap(),
        413,
    )
    .await;
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    assert!(
        [400, 413].contains(
            &post(nested, "application/json")
                .await
                .unwrap()
                .status()
                .as_u16()
        )
    );
    problem(app.get("/v1/ideas/not-a-uuid").await, 404).await;
    let mut nul = valid_idea();
    nul["title"] = json!("Nul\u{0} i titlen");
    problem(app.post_json("/v1/ideas", &nul).await, 422).await;

    assert_eq!(app.ideas_stored().await, 0);
}

async fn problems_are_in_english_when_asked(app: TestApp) {
    let body = json!({"title": "Ok title", "answers": {"problem": "short"}});

    let danish = problem(app.post_json("/v1/ideas", &body).await, 422).await;
    let english = problem(
        app.client
            .post(app.url("/v1/ideas"))
            .header("Accept-Language", "en-GB,en;q=0.9")
            .json(&body)
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;

    assert_eq!(danish["title"], "Ugyldige data");
    assert_eq!(danish["errors"][0]["message"], "Skal være mindst 10 tegn.");
    assert_eq!(english["title"], "Invalid data");
    assert_eq!(
        english["errors"][0]["message"],
        "Must be at least 10 characters."
    );
    assert_eq!(english["errors"][0]["code"], danish["errors"][0]["code"]);
}

async fn post_with_key(app: &TestApp, key: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/v1/ideas"))
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn the_same_idempotency_key_and_body_return_the_first_response(app: TestApp) {
    let first = json(post_with_key(&app, "retry-1", &valid_idea()).await, 201).await;

    let again = post_with_key(&app, "retry-1", &valid_idea()).await;
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again = json(again, 201).await;

    assert_eq!(again, first);
    assert_eq!(app.ideas_stored().await, 1);
    app.read_back(&again).await;
    let other_key = json(post_with_key(&app, "retry-2", &valid_idea()).await, 201).await;
    assert_ne!(other_key["id"], first["id"]);
    problem(post_with_key(&app, "with space", &valid_idea()).await, 400).await;
    assert_eq!(app.ideas_stored().await, 2);
}

async fn an_idempotency_key_reused_with_another_body_is_refused(app: TestApp) {
    json(post_with_key(&app, "key-a", &valid_idea()).await, 201).await;
    let mut changed = valid_idea();
    changed["title"] = json!("En anden titel");

    let response = problem(post_with_key(&app, "key-a", &changed).await, 422).await;

    assert_eq!(
        response["type"],
        "urn:sammen:problem:idempotency-key-reused"
    );
    assert_eq!(app.ideas_stored().await, 1);
}

async fn concurrent_duplicates_with_one_key_store_one_idea(app: TestApp) {
    let body = valid_idea();
    let requests = (0..8).map(|_| post_with_key(&app, "burst", &body));

    let responses = futures_util::future::join_all(requests).await;

    let mut ids = std::collections::BTreeSet::new();
    for response in responses {
        match response.status().as_u16() {
            201 => {
                ids.insert(json(response, 201).await["id"].as_str().unwrap().to_owned());
            }
            409 => {
                problem(response, 409).await;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ids.len(), 1, "every success names the same idea");
    assert_eq!(app.ideas_stored().await, 1);
}
