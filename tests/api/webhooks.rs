//! Webhooks: registered by partners, delivered signed (Standard Webhooks) by the dispatcher,
//! retried through failures, and not lost when the server is killed.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use sammen::domain::Role;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Backend, TestApp, TestDb, assert_field_errors, json, problem, spawn_with};

on_both_backends!(
    with crate::webhooks::spawn_fast:
    webhooks_arrive_signed_and_every_event_survives_failed_attempts,
    an_endpoint_that_answers_gone_is_disabled,
);

/// The app with webhooks to loopback allowed and quick retries.
pub async fn spawn_fast(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, |config| {
        config.webhooks.allow_private = true;
        config.webhooks.retry_base = Duration::from_millis(100);
        config.webhooks.poll = Duration::from_millis(50);
        config.webhooks.timeout = Duration::from_secs(2);
    })
    .await
}

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: Vec<u8>,
    /// What the receiver answered.
    pub status: u16,
}

/// How the receiver answers the `n`th request (from 1) of a message: a status and an
/// optional `Retry-After`.
type Policy = fn(usize) -> (u16, Option<&'static str>);

/// A local webhook endpoint that records every request.
pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    server: actix_web::dev::ServerHandle,
}

impl Receiver {
    /// Listens on `port` (0: any free port).
    pub async fn start(port: u16, policy: Policy) -> Receiver {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let shared = received.clone();
        let server = HttpServer::new(move || {
            let received = shared.clone();
            App::new().route(
                "/hook",
                web::post().to(move |req: HttpRequest, body: web::Bytes| {
                    let received = received.clone();
                    async move {
                        let header = |name: &str| {
                            req.headers()
                                .get(name)
                                .map(|v| v.to_str().unwrap().to_owned())
                                .unwrap_or_default()
                        };
                        let id = header("webhook-id");
                        let mut all = received.lock().unwrap();
                        let n = all.iter().filter(|r| r.id == id).count() + 1;
                        let (status, retry_after) = policy(n);
                        all.push(Received {
                            id,
                            timestamp: header("webhook-timestamp"),
                            signature: header("webhook-signature"),
                            body: body.to_vec(),
                            status,
                        });
                        let mut response = HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(status).unwrap(),
                        );
                        if let Some(seconds) = retry_after {
                            response.insert_header(("retry-after", seconds));
                        }
                        response.finish()
                    }
                }),
            )
        })
        .workers(1)
        .bind(("127.0.0.1", port))
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            received,
            server: handle,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The messages answered 2xx, by id, once `count` of them have arrived.
    pub async fn wait_for(&self, count: usize) -> HashMap<String, Received> {
        let started = Instant::now();
        loop {
            let delivered: HashMap<String, Received> = self
                .received()
                .into_iter()
                .filter(|r| r.status < 300)
                .map(|r| (r.id.clone(), r))
                .collect();
            if delivered.len() >= count {
                return delivered;
            }
            assert!(
                started.elapsed() < Duration::from_secs(40),
                "{} of {count} messages arrived: {:?}",
                delivered.len(),
                self.received()
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn stop(&self) {
        self.server.stop(false).await;
    }
}

/// Verifies a request as a Standard Webhooks receiver does, written apart from the server.
pub fn verify(secret: &str, received: &Received) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(received.id.as_bytes());
    mac.update(b".");
    mac.update(received.timestamp.as_bytes());
    mac.update(b".");
    mac.update(&received.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    received
        .signature
        .split(' ')
        .any(|candidate| candidate == expected)
}

/// Registers `url` for a partner key; the webhook and its secret.
pub async fn register(app: &TestApp, key: &str, url: &str) -> Value {
    let response = app
        .with_key(Method::POST, "/v1/partner/webhooks", key)
        .json(&json!({"url": url}))
        .send()
        .await
        .unwrap();
    json(response, 201).await
}

/// Fails the first attempt of every message with 500 and the second with 503 and
/// `Retry-After: 1`; the third succeeds.
fn flaky(n: usize) -> (u16, Option<&'static str>) {
    match n {
        1 => (500, None),
        2 => (503, Some("1")),
        _ => (204, None),
    }
}

async fn webhooks_arrive_signed_and_every_event_survives_failed_attempts(app: TestApp) {
    let receiver = Receiver::start(0, flaky).await;
    let first = app.submit(|_| {}).await;
    let network = first["network"].as_str().unwrap().to_owned();
    let key = app.key(Role::Partner, &[&network]).await;
    let webhook = register(&app, &key, &receiver.url).await;
    let secret = webhook["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(
        webhook["events"],
        json!(["idea.routed", "idea.status_changed", "idea.erased"])
    );
    assert_eq!(webhook["networks"], json!([network]));

    let ideas = [app.submit(|_| {}).await, app.submit(|_| {}).await];
    let path = format!(
        "/v1/partner/ideas/{}/decision",
        ideas[0]["id"].as_str().unwrap()
    );
    json(
        app.with_key(Method::POST, &path, &key)
            .json(&json!({"decision": "accept"}))
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;

    let delivered = receiver.wait_for(3).await;

    let all = receiver.received();
    assert_eq!(all.len(), 9, "three attempts of each of three messages");
    assert!(
        all.iter().all(|r| verify(secret, r)),
        "every request is signed"
    );
    let mut tampered = all[0].clone();
    tampered.body = String::from_utf8(tampered.body)
        .unwrap()
        .replace("idea", "idee")
        .into();
    assert!(!verify(secret, &tampered));
    let events: HashSet<(String, String)> = delivered
        .values()
        .map(|r| {
            let payload: Value = serde_json::from_slice(&r.body).unwrap();
            assert!(payload["timestamp"].is_string());
            assert_eq!(payload["data"]["network"], network.as_str());
            assert!(payload["data"].get("title").is_none(), "a thin payload");
            (
                payload["type"].as_str().unwrap().to_owned(),
                payload["data"]["idea_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let id = |i: usize| ideas[i]["id"].as_str().unwrap().to_owned();
    let expected: HashSet<(String, String)> = [
        ("idea.routed".to_owned(), id(0)),
        ("idea.routed".to_owned(), id(1)),
        ("idea.status_changed".to_owned(), id(0)),
    ]
    .into();
    assert_eq!(
        events, expected,
        "the idea submitted before the webhook is not sent"
    );
    // Retries of a message carry its id; the retry after 503 waited for Retry-After.
    for message in delivered.keys() {
        let attempts: Vec<&Received> = all.iter().filter(|r| &r.id == message).collect();
        assert_eq!(attempts.len(), 3);
        let second: i64 = attempts[1].timestamp.parse().unwrap();
        let third: i64 = attempts[2].timestamp.parse().unwrap();
        assert!(third - second >= 1, "Retry-After: 1 was honoured");
    }
    reference_check(secret, &all);

    // The sender writes an attempt down after its answer arrives: the last one may still be on
    // its way to the log when the receiver has it.
    let webhook_id = webhook["id"].as_str().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let log = loop {
        let log = json(
            app.with_key(
                Method::GET,
                &format!("/v1/partner/webhooks/{webhook_id}/deliveries?limit=100"),
                &key,
            )
            .send()
            .await
            .unwrap(),
            200,
        )
        .await;
        if log["items"].as_array().unwrap().len() >= 9 || std::time::Instant::now() > deadline {
            break log;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let outcomes: Vec<(&str, i64)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["outcome"].as_str().unwrap(),
                a["status_code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(outcomes.len(), 9);
    assert_eq!(
        outcomes
            .iter()
            .filter(|o| **o == ("delivered", 204))
            .count(),
        3
    );
    assert_eq!(outcomes.iter().filter(|o| **o == ("retry", 500)).count(), 3);
    assert_eq!(outcomes.iter().filter(|o| **o == ("retry", 503)).count(), 3);
    receiver.stop().await;
}

async fn an_endpoint_that_answers_gone_is_disabled(app: TestApp) {
    let receiver = Receiver::start(0, |_| (410, None)).await;
    let first = app.submit(|_| {}).await;
    let key = app
        .key(Role::Partner, &[first["network"].as_str().unwrap()])
        .await;
    register(&app, &key, &receiver.url).await;

    app.submit(|_| {}).await;
    let started = Instant::now();
    let webhook = loop {
        let listed = json(
            app.with_key(Method::GET, "/v1/partner/webhooks", &key)
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        let webhook = listed["items"][0].clone();
        if webhook["disabled_at"].is_string() {
            break webhook;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "not disabled");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(webhook.get("secret").is_none());
    assert!(webhook["disabled_reason"].as_str().unwrap().contains("410"));

    app.submit(|_| {}).await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1, "nothing more is sent to it");
    receiver.stop().await;
}

/// With the default settings: no private targets.
mod strict {
    use super::*;

    on_both_backends!(endpoints_must_be_https_on_public_addresses);

    async fn endpoints_must_be_https_on_public_addresses(app: TestApp) {
        let key = app.key(Role::Partner, &["groenne-agenter"]).await;
        for (body, field, code) in [
            (
                json!({"url": "http://127.0.0.1:9/hook"}),
                "url",
                "forbidden_target",
            ),
            (
                json!({"url": "https://localhost/hook"}),
                "url",
                "forbidden_target",
            ),
            (
                json!({"url": "https://10.0.0.1/hook"}),
                "url",
                "forbidden_target",
            ),
            (
                json!({"url": "https://169.254.169.254/latest"}),
                "url",
                "forbidden_target",
            ),
            (
                json!({"url": "https://[::1]/hook"}),
                "url",
                "forbidden_target",
            ),
            (json!({"url": "not a url"}), "url", "invalid_format"),
            (
                json!({"url": "https://93.184.215.14/hook", "events": ["idea.deleted"]}),
                "events[0]",
                "invalid_value",
            ),
            (json!({"events": []}), "url", "required"),
        ] {
            let response = app
                .with_key(Method::POST, "/v1/partner/webhooks", &key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let refused = problem(response, 422).await;
            assert_field_errors(&refused, &[(field, code)]);
        }

        // A public address is accepted (nothing is ever sent: no event happens here).
        let created = register(&app, &key, "https://93.184.215.14/hook").await;
        let listed = json(
            app.with_key(Method::GET, "/v1/partner/webhooks", &key)
                .send()
                .await
                .unwrap(),
            200,
        )
        .await;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        assert_eq!(listed["items"][0]["url"], "https://93.184.215.14/hook");
        assert!(listed["items"][0].get("secret").is_none());
        let path = format!("/v1/partner/webhooks/{}", created["id"].as_str().unwrap());
        let deleted = app
            .with_key(Method::DELETE, &path, &key)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.status(), 204);
        let again = app
            .with_key(Method::DELETE, &path, &key)
            .send()
            .await
            .unwrap();
        problem(again, 404).await;
    }
}

/// Checks the signatures with the reference `standardwebhooks` package from PyPI (`pip install
/// standardwebhooks`), and that a tampered body fails there too. Without the package the check
/// says it skipped, unless `SAMMEN_REQUIRE_WEBHOOK_REFERENCE` is set, as in CI.
fn reference_check(secret: &str, received: &[Received]) {
    let available = Command::new("python3")
        .args(["-c", "import standardwebhooks"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        assert!(
            std::env::var("SAMMEN_REQUIRE_WEBHOOK_REFERENCE").is_err(),
            "the standardwebhooks Python package is required (pip install standardwebhooks)"
        );
        eprintln!("SKIPPED the standardwebhooks reference check: pip install standardwebhooks");
        return;
    }
    let messages: Vec<Value> = received
        .iter()
        .map(|r| {
            json!({"id": r.id, "timestamp": r.timestamp, "signature": r.signature,
                   "body": String::from_utf8(r.body.clone()).unwrap()})
        })
        .collect();
    let script = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
data = json.load(sys.stdin)
hook = Webhook(data["secret"])
for m in data["messages"]:
    headers = {"webhook-id": m["id"], "webhook-timestamp": m["timestamp"], "webhook-signature": m["signature"]}
    hook.verify(m["body"], headers)
    try:
        hook.verify(m["body"] + " ", headers)
    except Exception:
        pass
    else:
        sys.exit("a tampered body verified")
print("verified", len(data["messages"]))
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    serde_json::to_writer(
        child.stdin.take().unwrap(),
        &json!({"secret": secret, "messages": messages}),
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("verified {}", received.len())
    );
}

/// The real binary on a file database.
fn serve(db: &TestDb, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sammen"))
        .env("SAMMEN_DATABASE_URL", db.url())
        .env("SAMMEN_BIND", format!("127.0.0.1:{port}"))
        .env("SAMMEN_LOG", "warn")
        .env("SAMMEN_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("SAMMEN_WEBHOOK_RETRY_BASE_MS", "200")
        .env("SAMMEN_WEBHOOK_POLL_MS", "100")
        .env("SAMMEN_WEBHOOK_TIMEOUT_MS", "1000")
        .spawn()
        .expect("sammen starts")
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub async fn wait_until_up(client: &reqwest::Client, base: &str) {
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Events are made while the receiver is down, the server is killed with SIGKILL, the
/// receiver comes up, the server restarts: every event arrives, signed.
#[actix_web::test]
async fn unsent_webhooks_go_out_after_the_server_is_killed_and_restarted() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let client = crate::helpers::client();
    let (port, hook_port) = (free_port(), free_port());
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&db, port);
    wait_until_up(&client, &base).await;
    let first = client
        .post(format!("{base}/v1/ideas"))
        .json(&crate::helpers::valid_idea())
        .send()
        .await
        .unwrap();
    let network = json(first, 201).await["network"]
        .as_str()
        .unwrap()
        .to_owned();
    let output = Command::new(env!("CARGO_BIN_EXE_sammen"))
        .args([
            "keys",
            "create",
            "--role",
            "partner",
            "--networks",
            &network,
            "--name",
            "kill test",
        ])
        .env("SAMMEN_DATABASE_URL", db.url())
        .env("SAMMEN_LOG", "warn")
        .output()
        .unwrap();
    assert!(output.status.success());
    let key = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let webhook = json(
        client
            .post(format!("{base}/v1/partner/webhooks"))
            .bearer_auth(&key)
            .json(&json!({"url": format!("http://127.0.0.1:{hook_port}/hook")}))
            .send()
            .await
            .unwrap(),
        201,
    )
    .await;
    let secret = webhook["secret"].as_str().unwrap().to_owned();

    let mut ideas = HashSet::new();
    for _ in 0..5 {
        let response = client
            .post(format!("{base}/v1/ideas"))
            .json(&crate::helpers::valid_idea())
            .send()
            .await
            .unwrap();
        ideas.insert(json(response, 201).await["id"].as_str().unwrap().to_owned());
    }
    // Let the dispatcher fail against the closed port, then kill it mid-work.
    actix_web::rt::time::sleep(Duration::from_millis(400)).await;
    server.kill().unwrap();
    server.wait().unwrap();

    let receiver = Receiver::start(hook_port, |_| (200, None)).await;
    let mut server = serve(&db, port);
    let delivered = receiver.wait_for(ideas.len()).await;

    let arrived: HashSet<String> = delivered
        .values()
        .map(|r| {
            assert!(verify(&secret, r));
            let payload: Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(payload["type"], "idea.routed");
            payload["data"]["idea_id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(arrived, ideas);
    server.kill().unwrap();
    server.wait().unwrap();
    receiver.stop().await;
}
