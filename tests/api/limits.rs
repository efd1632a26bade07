//! Abuse limits: per-address rate limits on submissions, live matching and failed key
//! authentications; the request time limit; capped page sizes.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use reqwest::{Client, Method};
use sammen::config::{LimitSettings, Rate};
use sammen::domain::Role;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{ALLOWED_ORIGIN, Backend, TestApp, json, problem, spawn_with, valid_idea};

/// The application with rate limits of 3 submissions, 4 matches and 2 failed
/// authentications a minute per address.
async fn spawn_limited(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, |config| {
        config.limits = LimitSettings {
            ideas: Rate::per_minute(3),
            matching: Rate::per_minute(4),
            failed_auth: Rate::per_minute(2),
            ..LimitSettings::default()
        };
    })
    .await
}

on_both_backends!(with crate::limits::spawn_limited:
    submissions_beyond_the_limit_get_429_with_retry_after_readable_by_browsers,
    live_matching_has_its_own_limit_per_address,
    failed_key_authentications_lock_out_keys_from_that_address_only,
);

/// A client whose connections come from `address` (any of 127.0.0.0/8 reaches the server).
fn client_from(address: &str) -> Client {
    sammen::install_crypto_provider();
    Client::builder()
        .local_address(address.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn submissions_beyond_the_limit_get_429_with_retry_after_readable_by_browsers(app: TestApp) {
    let first = client_from("127.0.0.2");
    let submit = |client: &Client| {
        client
            .post(app.url("/v1/ideas"))
            .header("Origin", ALLOWED_ORIGIN)
            .json(&valid_idea())
            .send()
    };
    for _ in 0..3 {
        assert_eq!(submit(&first).await.unwrap().status(), 201);
    }

    let refused = submit(&first).await.unwrap();
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry_after), "Retry-After {retry_after}");
    assert_eq!(
        refused.headers()["access-control-allow-origin"],
        ALLOWED_ORIGIN
    );
    let body = problem(refused, 429).await;
    assert_eq!(body["type"], "urn:sammen:problem:rate-limited");
    assert_eq!(app.ideas_stored().await, 3);

    // Another address is unaffected; reads from the limited one still pass.
    assert_eq!(
        submit(&client_from("127.0.0.3")).await.unwrap().status(),
        201
    );
    let read = first.get(app.url("/v1/networks")).send().await.unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(app.ideas_stored().await, 4);
}

async fn live_matching_has_its_own_limit_per_address(app: TestApp) {
    let client = client_from("127.0.0.4");
    let body = json!({"title": "Reparationscafé", "answers": {"problem": "Ting bliver smidt ud, fordi ingen kan reparere dem."}});
    let statuses = futures_util::future::join_all(
        (0..6).map(|_| client.post(app.url("/v1/match")).json(&body).send()),
    )
    .await
    .into_iter()
    .map(|r| r.unwrap().status().as_u16())
    .collect::<Vec<_>>();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );

    // Matching used up its limit, not the submissions' one.
    let submitted = client
        .post(app.url("/v1/ideas"))
        .json(&valid_idea())
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 201);
    let other = client_from("127.0.0.5")
        .post(app.url("/v1/match"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
}

async fn failed_key_authentications_lock_out_keys_from_that_address_only(app: TestApp) {
    let partner = app.key(Role::Partner, &["groenne-agenter"]).await;
    let guesser = client_from("127.0.0.6");
    let feed = |client: &Client, key: &str| {
        client
            .request(Method::GET, app.url("/v1/partner/ideas"))
            .bearer_auth(key)
            .send()
    };
    let wrong = "smk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    for _ in 0..2 {
        problem(feed(&guesser, wrong).await.unwrap(), 401).await;
    }

    // Past the limit, even the right key is refused from that address ...
    let locked = feed(&guesser, &partner).await.unwrap();
    assert!(locked.headers().contains_key("retry-after"));
    problem(locked, 429).await;
    problem(feed(&guesser, wrong).await.unwrap(), 429).await;
    // ... while the public API still answers it, and the key works from elsewhere.
    let public = guesser.get(app.url("/v1/networks")).send().await.unwrap();
    assert_eq!(public.status(), 200);
    json(
        feed(&client_from("127.0.0.7"), &partner).await.unwrap(),
        200,
    )
    .await;
}

/// A request whose body stalls is cut off at the time limit with a 503 problem, and the
/// server keeps serving.
#[actix_web::test]
async fn a_request_that_takes_too_long_is_cut_off_with_503() {
    let app = spawn_with(Backend::Sqlite, |config| {
        config.limits.request_timeout = Duration::from_millis(300);
    })
    .await
    .unwrap();
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(
            format!(
                "POST /v1/ideas HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
                 Content-Length: 200\r\nConnection: close\r\n\r\n{{\"title\": "
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut answer))
        .await
        .expect("the server answers before the client gives up")
        .unwrap();
    let waited = started.elapsed();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("application/problem+json") && answer.contains("timeout"));
    assert!(waited >= Duration::from_millis(250) && waited < Duration::from_secs(3));
    assert_eq!(app.ideas_stored().await, 0);
    json(app.get("/healthz").await, 200).await;
}

/// Past `max_in_flight` requests at once, a request that waited the queue wait for its turn is
/// shed at once with a 503 problem; probes never wait; the turn comes back when the work ends.
#[actix_web::test]
async fn requests_beyond_capacity_are_shed_with_503_while_probes_answer() {
    let app = spawn_with(Backend::Sqlite, |config| {
        config.limits.max_in_flight = 1;
        config.limits.queue_wait = Duration::from_millis(100);
    })
    .await
    .unwrap();
    // A submission whose body stalls holds the only turn.
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stalled = tokio::net::TcpStream::connect(&address).await.unwrap();
    stalled
        .write_all(
            format!(
                "POST /v1/ideas HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
                 Content-Length: 200\r\n\r\n{{\"title\": "
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let shed = loop {
        let started = Instant::now();
        let response = app.get("/v1/networks").await;
        if response.status() == 503 {
            break (response, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the stalled request never took the turn"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (response, waited) = shed;
    assert_eq!(response.headers()["retry-after"], "2");
    let body = problem(response, 503).await;
    assert_eq!(body["type"], "urn:sammen:problem:overloaded");
    assert!(waited >= Duration::from_millis(90) && waited < Duration::from_secs(2));
    json(app.get("/healthz").await, 200).await;
    json(app.get("/readyz").await, 200).await;

    // The client gives up; its request ends and the turn is free again.
    drop(stalled);
    let started = Instant::now();
    while app.get("/v1/networks").await.status() != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the turn never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.ideas_stored().await, 0);
}

/// `X-Forwarded-For` names the client only when a trusted proxy sends it, and then the
/// address the proxy saw counts, whatever the client prepended.
#[actix_web::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    let app = spawn_with(Backend::Sqlite, |config| {
        config.limits = LimitSettings {
            ideas: Rate::per_minute(2),
            trusted_proxies: vec!["127.0.0.9".parse().unwrap()],
            ..LimitSettings::default()
        };
    })
    .await
    .unwrap();
    let submit = |client: Client, forwarded: &'static str| {
        let request = client
            .post(app.url("/v1/ideas"))
            .header("X-Forwarded-For", forwarded)
            .json(&valid_idea());
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let proxy = || client_from("127.0.0.9");
    assert_eq!(submit(proxy(), "203.0.113.5").await, 201);
    assert_eq!(submit(proxy(), "203.0.113.5").await, 201);
    assert_eq!(submit(proxy(), "203.0.113.5").await, 429);
    assert_eq!(submit(proxy(), "198.51.100.1, 203.0.113.5").await, 429);
    assert_eq!(submit(proxy(), "203.0.113.6").await, 201);

    let direct = || client_from("127.0.0.10");
    assert_eq!(submit(direct(), "192.0.2.1").await, 201);
    assert_eq!(submit(direct(), "192.0.2.2").await, 201);
    assert_eq!(submit(direct(), "192.0.2.3").await, 429);
}

/// Tests with the fixture's limits lifted.
mod unlimited {
    use super::*;

    on_both_backends!(
        rate_limits_can_be_lifted_for_test_runs,
        every_list_caps_its_page_size_at_100,
    );

    async fn rate_limits_can_be_lifted_for_test_runs(app: TestApp) {
        // The test fixture runs with SAMMEN_RATE_LIMIT_DISABLED=true.
        let client = client_from("127.0.0.8");
        for _ in 0..40 {
            let response = client
                .post(app.url("/v1/ideas"))
                .json(&valid_idea())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
        }
    }

    async fn every_list_caps_its_page_size_at_100(app: TestApp) {
        let admin = app.key(Role::Admin, &[]).await;
        let partner = app.key(Role::Partner, &["groenne-agenter"]).await;
        let webhook = json(
            app.with_key(Method::POST, "/v1/partner/webhooks", &partner)
                .json(&json!({"url": "https://1.1.1.1/hook"}))
                .send()
                .await
                .unwrap(),
            201,
        )
        .await;
        let deliveries = format!(
            "/v1/partner/webhooks/{}/deliveries",
            webhook["id"].as_str().unwrap()
        );
        let lists = [
            ("/v1/initiatives", None),
            ("/v1/ideas", None),
            ("/v1/admin/keys", Some(&admin)),
            ("/v1/admin/ideas", Some(&admin)),
            ("/v1/admin/triage", Some(&admin)),
            ("/v1/partner/ideas", Some(&partner)),
            (deliveries.as_str(), Some(&partner)),
        ];
        // Every documented list with a `limit` is among them.
        let api: serde_json::Value = app.get("/openapi.json").await.json().await.unwrap();
        let documented = api["paths"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, item)| {
                item["get"]["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == "limit"))
            })
            .count();
        assert_eq!(documented, lists.len());
        for (path, key) in lists {
            let get = |limit: u32| {
                let request = app.client.get(app.url(&format!("{path}?limit={limit}")));
                match key {
                    Some(key) => request.bearer_auth(key),
                    None => request,
                }
                .send()
            };
            json(get(100).await.unwrap(), 200).await;
            let refused = problem(get(101).await.unwrap(), 400).await;
            assert_eq!(refused["errors"][0]["field"], "limit", "{path}");
        }
    }
}
