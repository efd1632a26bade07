//! Statistics and the export of ideas, for staff.

use reqwest::Method;
use sammen::domain::Role;
use serde_json::{Value, json};

use crate::admin_ideas::{admin_get, complaint};
use crate::helpers::{TestApp, assert_field_errors, json, problem};
use crate::partners::newcomer_idea;

on_both_backends!(
    statistics_count_ideas_by_group_and_time_partners_take_to_decide,
    an_export_holds_contact_data_only_when_asked_and_that_is_audited,
);

fn counts(stats: &Value) -> Vec<(Value, u64)> {
    stats["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].clone(), g["count"].as_u64().unwrap()))
        .collect()
}

async fn stats(app: &TestApp, key: &str, query: &str) -> Value {
    json(
        admin_get(app, key, &format!("/v1/admin/stats?{query}")).await,
        200,
    )
    .await
}

async fn statistics_count_ideas_by_group_and_time_partners_take_to_decide(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let beach = app.submit(|_| {}).await;
    let newcomers = app.submit(|i| *i = newcomer_idea()).await;
    app.submit(|i| *i = complaint("Klage over parkering")).await;
    let beach_network = beach["network"].as_str().unwrap();
    let newcomer_network = newcomers["network"].as_str().unwrap();
    let partner = app.key(Role::Partner, &[beach_network]).await;
    let decision = format!(
        "/v1/partner/ideas/{}/decision",
        beach["id"].as_str().unwrap()
    );
    let accepted = app
        .with_key(Method::POST, &decision, &partner)
        .json(&json!({"decision": "accept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);

    let by_network = stats(&app, &admin, "group_by=network").await;

    assert_eq!(by_network["total"], 3);
    let mut expected = vec![
        (json!(beach_network), 1),
        (json!(newcomer_network), 1),
        (Value::Null, 1),
    ];
    let mut actual = counts(&by_network);
    expected.sort_by_key(|(k, _)| k.to_string());
    actual.sort_by_key(|(k, _)| k.to_string());
    assert_eq!(actual, expected);
    let times = by_network["decision_times"].as_array().unwrap();
    assert_eq!(times.len(), 1);
    assert_eq!(times[0]["network"], beach_network);
    assert_eq!(times[0]["decisions"], 1);
    assert!((0..60).contains(&times[0]["median_seconds"].as_i64().unwrap()));
    let by_status = counts(&stats(&app, &admin, "group_by=status").await);
    for status in ["accepted", "routed", "triage"] {
        assert!(by_status.contains(&(json!(status), 1)), "{by_status:?}");
    }
    let by_postcode = counts(&stats(&app, &admin, "group_by=postcode").await);
    assert!(by_postcode.contains(&(json!("9240"), 1)) && by_postcode.contains(&(json!("9000"), 1)));
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    assert_eq!(
        counts(&stats(&app, &admin, "group_by=month").await),
        [(json!(month), 3)]
    );
    let beacons = stats(&app, &admin, "group_by=beacon").await;
    assert!(counts(&beacons).iter().map(|(_, n)| n).sum::<u64>() >= 3);
    let today = chrono::Utc::now().format("%Y-%m-%d");
    assert_eq!(
        stats(&app, &admin, &format!("from={today}&to={today}")).await["total"],
        3
    );
    let future = stats(&app, &admin, "from=2999-01-01").await;
    assert_eq!(
        (future["total"].as_u64(), future["groups"].clone()),
        (Some(0), json!([]))
    );
    let bad = problem(
        admin_get(&app, &admin, "/v1/admin/stats?group_by=colour&to=soon").await,
        400,
    )
    .await;
    assert_field_errors(
        &bad,
        &[("group_by", "invalid_value"), ("to", "invalid_format")],
    );
}

async fn an_export_holds_contact_data_only_when_asked_and_that_is_audited(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let created = app
        .submit(|i| {
            i["answers"]["problem"] =
                json!("=HYPERLINK(\"x\") skrald, flasker og \"glas\" på stranden ved Nibe.")
        })
        .await;
    app.submit(|i| *i = complaint("Klage over parkering")).await;
    let id = uuid::Uuid::parse_str(created["id"].as_str().unwrap()).unwrap();

    let rows = json(admin_get(&app, &admin, "/v1/admin/ideas/export").await, 200).await;

    assert_eq!(rows.as_array().unwrap().len(), 2);
    let row = &rows[1];
    assert_eq!(row["id"], created["id"]);
    assert_eq!(row["consent_contact"], true);
    assert!(row.get("contact_email").is_none());
    let csv = admin_get(&app, &admin, "/v1/admin/ideas/export?format=csv").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(csv.headers()["cache-control"], "no-store");
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("id,status,network,title,problem,"));
    assert!(!lines[0].contains("contact_email") && !text.contains("anna.hansen@example.dk"));
    assert!(text.contains(
        "\"'=HYPERLINK(\"\"x\"\") skrald, flasker og \"\"glas\"\" på stranden ved Nibe.\""
    ));
    assert!(
        app.store.list_partner_reads(id).await.unwrap().is_empty(),
        "nothing personal left"
    );
    let triage = json(
        admin_get(&app, &admin, "/v1/admin/ideas/export?status=triage").await,
        200,
    )
    .await;
    assert_eq!(triage.as_array().unwrap().len(), 1);

    let with_contact = admin_get(
        &app,
        &admin,
        "/v1/admin/ideas/export?format=csv&include_contact=true",
    )
    .await
    .text()
    .await
    .unwrap();

    assert!(
        with_contact
            .lines()
            .next()
            .unwrap()
            .ends_with(",contact_name,contact_email,contact_phone")
    );
    assert!(with_contact.contains(",Anna Hansen,anna.hansen@example.dk,'+45 12 34 56 78"));
    let reads = app.store.list_partner_reads(id).await.unwrap();
    assert_eq!(reads.len(), 1);
    assert_eq!(
        (reads[0].access.as_str(), reads[0].contact),
        ("admin_export", true)
    );
    let bad = problem(
        admin_get(
            &app,
            &admin,
            "/v1/admin/ideas/export?format=xml&include_contact=yes",
        )
        .await,
        400,
    )
    .await;
    assert_field_errors(
        &bad,
        &[
            ("format", "invalid_value"),
            ("include_contact", "invalid_value"),
        ],
    );
}
