//! The server enforces what the OpenAPI document says, no more and no less: regressions for
//! what Schemathesis (`scripts/schemathesis.sh`) found.

use reqwest::Method;
use sammen::domain::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_field_errors, json, problem, valid_idea};

on_both_backends!(
    text_limits_count_characters_as_sent,
    formats_are_checked_as_sent,
    a_contact_object_needs_consent_even_when_empty,
    a_malformed_network_filter_is_refused_and_an_unknown_one_finds_nothing,
    times_must_have_the_shape_of_their_formats,
    catalog_texts_may_not_be_null_and_urls_are_checked_as_sent,
    a_consent_change_of_nulls_is_refused,
    an_erased_idea_reads_back_to_staff_as_documented,
    a_catalog_put_may_leave_out_the_slug_as_documented,
);

async fn refused(app: &TestApp, body: &Value) -> Value {
    problem(app.post_json("/v1/ideas", body).await, 422).await
}

async fn text_limits_count_characters_as_sent(app: TestApp) {
    let mut body = valid_idea();
    body["title"] = json!(format!(" {}", "a".repeat(200)));
    body["answers"]["helpers"] = json!(" ".repeat(5001));
    assert_field_errors(
        &refused(&app, &body).await,
        &[("title", "too_long"), ("answers.helpers", "too_long")],
    );

    let mut body = valid_idea();
    body["title"] = json!(format!(" {} ", "å".repeat(198)));
    json(app.post_json("/v1/ideas", &body).await, 201).await;
}

async fn formats_are_checked_as_sent(app: TestApp) {
    let mut body = valid_idea();
    body["contact"]["email"] = json!(" anna.hansen@example.dk");
    body["contact"]["phone"] = json!("12345678\n");
    body["location"]["postcode"] = json!("924 ");
    assert_field_errors(
        &refused(&app, &body).await,
        &[
            ("contact.email", "invalid_format"),
            ("contact.phone", "invalid_format"),
            ("location.postcode", "invalid_format"),
        ],
    );

    let mut body = valid_idea();
    body["contact"]["email"] = json!("anna..hansen@example.dk");
    assert_field_errors(
        &refused(&app, &body).await,
        &[("contact.email", "invalid_format")],
    );
}

async fn a_contact_object_needs_consent_even_when_empty(app: TestApp) {
    let mut body = valid_idea();
    body["contact"] = json!({});
    body["consent"] = json!({"contact": false, "publish": true});
    assert_field_errors(
        &refused(&app, &body).await,
        &[("contact", "consent_required")],
    );
    assert_eq!(app.ideas_stored().await, 0);

    body["consent"]["contact"] = json!(true);
    let created = json(app.post_json("/v1/ideas", &body).await, 201).await;
    assert_eq!(app.read_back(&created).await["contact"], Value::Null);
}

async fn a_malformed_network_filter_is_refused_and_an_unknown_one_finds_nothing(app: TestApp) {
    for path in ["/v1/initiatives", "/v1/ideas"] {
        let refused = problem(app.get(&format!("{path}?network=Gr%C3%B8nne")).await, 400).await;
        assert_field_errors(&refused, &[("network", "invalid_slug")]);

        let page = json(
            app.get(&format!("{path}?network=ukendt-netvaerk")).await,
            200,
        )
        .await;
        assert_eq!(page["items"], json!([]), "{path}");
    }
}

async fn times_must_have_the_shape_of_their_formats(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let stats = |query: &str| {
        app.with_key(Method::GET, &format!("/v1/admin/stats?{query}"), &admin)
            .send()
    };
    for query in [
        "from=2026-1-01",
        "from=2026-01-01%2000:00:00Z",
        "to=2026-01-01T00:00Z",
    ] {
        let refused = problem(stats(query).await.unwrap(), 400).await;
        let field = query.split('=').next().unwrap();
        assert_field_errors(&refused, &[(field, "invalid_format")]);
    }
    for query in ["from=2026-01-01", "to=2026-12-31T23:00:00%2B01:00"] {
        json(stats(query).await.unwrap(), 200).await;
    }
}

async fn catalog_texts_may_not_be_null_and_urls_are_checked_as_sent(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let network = json!({
        "slug": "kajak-limfjorden",
        "name": {"da": null, "en": "Kayaks on the Limfjord"},
        "description": {"da": "Kajakroning og kanosejlads på Limfjorden for alle aldre."},
        "url": " https://kajak.example.dk",
        "contact_email": "kajak@example.dk"
    });
    let response = app
        .with_key(Method::POST, "/v1/admin/networks", &admin)
        .json(&network)
        .send()
        .await
        .unwrap();
    assert_field_errors(
        &problem(response, 422).await,
        &[("name.da", "wrong_type"), ("url", "invalid_format")],
    );

    let mut network = network;
    network["name"] = json!({"en": "Kayaks on the Limfjord"});
    network["url"] = json!("https://kajak.example.dk/om?sprog=da#kontakt");
    let response = app
        .with_key(Method::POST, "/v1/admin/networks", &admin)
        .json(&network)
        .send()
        .await
        .unwrap();
    json(response, 201).await;
}

async fn a_consent_change_of_nulls_is_refused(app: TestApp) {
    let created = app.submit(|_| {}).await;
    let path = format!("/v1/ideas/{}/consent", created["id"].as_str().unwrap());
    let response = app
        .client
        .patch(app.url(&path))
        .bearer_auth(created["citizen_token"].as_str().unwrap())
        .json(&json!({"contact": null}))
        .send()
        .await
        .unwrap();
    assert_field_errors(&problem(response, 422).await, &[("contact", "wrong_type")]);
}

async fn an_erased_idea_reads_back_to_staff_as_documented(app: TestApp) {
    let created = app.submit(|_| {}).await;
    let id = created["id"].as_str().unwrap();
    let response = app
        .client
        .delete(app.url(&format!("/v1/ideas/{id}")))
        .bearer_auth(created["citizen_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);

    let admin = app.key(Role::Admin, &[]).await;
    let response = app
        .with_key(Method::GET, &format!("/v1/admin/ideas/{id}"), &admin)
        .send()
        .await
        .unwrap();
    let idea = json(response, 200).await;
    assert_eq!(idea["answers"]["problem"], "");

    let document: Value = serde_json::from_str(&sammen::openapi_json()).unwrap();
    let schemas = &document["components"]["schemas"];
    assert_eq!(
        schemas["IdeaView"]["properties"]["answers"]["$ref"],
        "#/components/schemas/StoredAnswers"
    );
    assert_eq!(
        schemas["StoredAnswers"]["properties"]["problem"]["minLength"],
        Value::Null
    );
}

async fn a_catalog_put_may_leave_out_the_slug_as_documented(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let beacon = json!({
        "name": {"da": "Grøn balance"},
        "description": {"da": "Et mål for en grøn kommune."}
    });
    let response = app
        .with_key(Method::PUT, "/v1/admin/beacons/i-groen-balance", &admin)
        .json(&beacon)
        .send()
        .await
        .unwrap();
    assert_eq!(json(response, 200).await["slug"], "i-groen-balance");

    let document: Value = serde_json::from_str(&sammen::openapi_json()).unwrap();
    let put = &document["paths"]["/v1/admin/beacons/{slug}"]["put"];
    let body = &put["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(body, "#/components/schemas/BeaconUpdate");
    let required = &document["components"]["schemas"]["BeaconUpdate"]["required"];
    assert!(!required.as_array().unwrap().contains(&json!("slug")));
}

#[actix_web::test]
async fn published_ideas_are_documented_with_the_fields_they_are_sent_with() {
    let Some(app) = crate::helpers::spawn(crate::helpers::Backend::Sqlite).await else {
        panic!("SQLite is always available");
    };
    app.submit(|idea| idea["consent"]["publish"] = json!(true))
        .await;
    let page = json(app.get("/v1/ideas").await, 200).await;
    let sent: Vec<&String> = page["items"][0].as_object().unwrap().keys().collect();

    let document: Value = serde_json::from_str(&sammen::openapi_json()).unwrap();
    let schema = &document["components"]["schemas"]["PublishedIdea"];
    assert_eq!(schema["additionalProperties"], Value::Null);
    let documented = schema["properties"].as_object().unwrap();
    for field in sent {
        assert!(documented.contains_key(field), "{field} is not documented");
    }
}
