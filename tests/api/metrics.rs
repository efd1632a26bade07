//! `GET /metrics`: Prometheus text for admins or on the metrics address, counting what
//! happened.

use std::time::{Duration, Instant};

use reqwest::Method;
use sammen::domain::Role;
use serde_json::json;

use crate::helpers::{Backend, TestApp, json, problem, spawn_with};

on_both_backends!(with crate::metrics::spawn_with_metrics_address:
    metrics_need_an_admin_key,
    metrics_count_requests_by_route_and_status_and_read_the_store,
    the_metrics_address_serves_metrics_without_a_key_and_nothing_else,
    the_webhook_backlog_and_failed_attempts_are_reported,
);

async fn spawn_with_metrics_address(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, |config| {
        config.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
        config.webhooks.allow_private = true;
        config.webhooks.retry_base = Duration::from_millis(100);
        config.webhooks.poll = Duration::from_millis(50);
        config.webhooks.timeout = Duration::from_millis(500);
    })
    .await
}

/// The value of the sample `series` (name and labels exactly as written), when present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.parse().unwrap())
}

/// Every line is a comment or `name{labels} value`, and every series has HELP and TYPE.
fn assert_exposition_format(text: &str) {
    let sample = regex::Regex::new(
        r#"^([a-z_:][a-z0-9_:]*)(\{[a-z_]+="(?:[^"\\]|\\.)*"(,[a-z_]+="(?:[^"\\]|\\.)*")*\})? -?[0-9.e+]+$"#,
    )
    .unwrap();
    let mut typed = std::collections::HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            typed.insert(rest.split(' ').next().unwrap().to_owned());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let captures = sample
            .captures(line)
            .unwrap_or_else(|| panic!("not a sample: {line:?}"));
        let name = &captures[1];
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|base| typed.contains(*base))
            .unwrap_or(name);
        assert!(typed.contains(family), "{name} has no TYPE");
    }
}

async fn metrics_need_an_admin_key(app: TestApp) {
    problem(app.get("/metrics").await, 401).await;
    let partner = app.key(Role::Partner, &["groenne-agenter"]).await;
    problem(
        app.with_key(Method::GET, "/metrics", &partner)
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    let admin = app.key(Role::Admin, &[]).await;
    let response = app
        .with_key(Method::GET, "/metrics", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert_exposition_format(&response.text().await.unwrap());
}

async fn metrics_count_requests_by_route_and_status_and_read_the_store(app: TestApp) {
    let admin = app.key(Role::Admin, &[]).await;
    let created = app.submit(|_| {}).await;
    app.submit(|idea| idea["title"] = json!("Kor for alle i Vejgaard"))
        .await;
    json(
        app.post_json(
            "/v1/match",
            &json!({"title": "Grøn by", "answers": {"problem": "Flere træer og blomster i byen."}}),
        )
        .await,
        200,
    )
    .await;
    problem(
        app.get(&format!("/v1/ideas/{}", created["id"].as_str().unwrap()))
            .await,
        404,
    )
    .await;
    problem(app.get("/v1/no/such/path").await, 404).await;

    let text = app
        .with_key(Method::GET, "/metrics", &admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_exposition_format(&text);
    let count =
        |series: &str| sample(&text, series).unwrap_or_else(|| panic!("{series} missing:\n{text}"));
    assert_eq!(
        count(
            r#"sammen_http_request_duration_seconds_count{method="POST",route="/v1/ideas",status="201"}"#
        ),
        2.0
    );
    assert_eq!(
        count(
            r#"sammen_http_request_duration_seconds_count{method="POST",route="/v1/match",status="200"}"#
        ),
        1.0
    );
    assert_eq!(
        count(
            r#"sammen_http_request_duration_seconds_count{method="GET",route="/v1/ideas/{id}",status="404"}"#
        ),
        1.0
    );
    assert_eq!(
        count(
            r#"sammen_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"}"#
        ),
        1.0
    );
    assert!(
        count(
            r#"sammen_http_request_duration_seconds_bucket{method="POST",route="/v1/ideas",status="201",le="+Inf"}"#
        ) == 2.0
    );
    assert_eq!(count("sammen_matching_duration_seconds_count"), 3.0);
    assert!(count("sammen_matching_duration_seconds_sum") > 0.0);
    let stored: f64 = ["routed", "triage"]
        .iter()
        .filter_map(|status| sample(&text, &format!(r#"sammen_ideas{{status="{status}"}}"#)))
        .sum();
    assert_eq!(stored, 2.0);
    assert_eq!(count("sammen_database_up"), 1.0);
    assert_eq!(count("sammen_webhook_outbox_pending"), 0.0);
    assert_eq!(count("sammen_similar_ideas_indexed"), 2.0);
    assert!(count("sammen_db_pool_max_connections") >= 1.0);
    assert!(count(r#"sammen_db_pool_connections{state="in_use"}"#) >= 0.0);
}

async fn the_metrics_address_serves_metrics_without_a_key_and_nothing_else(app: TestApp) {
    let address = app.metrics_address.clone().unwrap();
    let response = app
        .client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert_exposition_format(&text);
    assert_eq!(sample(&text, "sammen_database_up"), Some(1.0));
    for path in ["/v1/networks", "/healthz", "/openapi.json"] {
        let other = app
            .client
            .get(format!("{address}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 404, "{path}");
    }
    // The API address still wants a key.
    problem(app.get("/metrics").await, 401).await;
}

async fn the_webhook_backlog_and_failed_attempts_are_reported(app: TestApp) {
    let partner = app.key(Role::Partner, &["landdistriktsudvikling"]).await;
    // Nothing listens on port 9 of loopback: every attempt fails and is retried.
    json(
        app.with_key(Method::POST, "/v1/partner/webhooks", &partner)
            .json(&json!({"url": "http://127.0.0.1:9/hook"}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let created = app.submit(|_| {}).await;
    assert_eq!(created["network"], "landdistriktsudvikling");

    let address = app.metrics_address.clone().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = app
            .client
            .get(format!("{address}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let pending = sample(&text, "sammen_webhook_outbox_pending").unwrap();
        let retries = sample(&text, r#"sammen_webhook_attempts_total{outcome="retry"}"#).unwrap();
        assert_eq!(
            sample(
                &text,
                r#"sammen_webhook_attempts_total{outcome="delivered"}"#
            ),
            Some(0.0)
        );
        if pending == 1.0 && retries >= 2.0 {
            assert!(sample(&text, "sammen_webhook_outbox_oldest_pending_seconds").unwrap() >= 0.0);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no backlog or retries reported:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
