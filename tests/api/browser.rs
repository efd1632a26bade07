//! The example frontend (`examples/frontend/index.html`) in a real browser: headless Chromium,
//! driven over the W3C WebDriver protocol, against the real application on another origin.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian: `apt-get install chromium
//! chromium-driver`). Without them the tests say so and are skipped, like the PostgreSQL half
//! of the suite, unless `SAMMEN_REQUIRE_BROWSER_TESTS=1` (set by `.ci/run`) makes a missing
//! browser a failure; `SAMMEN_SKIP_BROWSER_TESTS=1` skips them even when it is there.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use reqwest::{Client, Method};
use serde_json::{Value, json};

use crate::helpers::{Backend, json, spawn_with};

const PAGE: &str = include_str!("../../examples/frontend/index.html");
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const SKIP_VARIABLE: &str = "SAMMEN_SKIP_BROWSER_TESTS";
const REQUIRE_VARIABLE: &str = "SAMMEN_REQUIRE_BROWSER_TESTS";
/// How long a condition on the page may take to come true.
const PATIENCE: Duration = Duration::from_secs(10);
/// The key under which WebDriver returns an element reference.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const QUESTION_KEYS: [&str; 5] = [
    "problem",
    "helpers",
    "motivation",
    "existing_initiatives",
    "new_alliances",
];

#[actix_web::test]
async fn the_form_suggests_the_network_and_submits_a_receipt_in_a_real_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let page = serve_page();
    let page_origin = page.clone();
    let app = spawn_with(Backend::Sqlite, |config| {
        config.cors_origins = vec![page_origin];
    })
    .await
    .unwrap();
    browser.goto(&format!("{page}/?api={}", app.address)).await;

    // The five questions, with the Danish labels the API serves.
    let questions = json(app.get("/v1/questions").await, 200).await;
    let questions = questions["items"].as_array().unwrap();
    assert_eq!(questions.len(), 5);
    for (question, key) in questions.iter().zip(QUESTION_KEYS) {
        assert_eq!(question["key"], key);
        let danish = question["label"]["da"].as_str().unwrap();
        let label = browser
            .wait_for(&format!("the label of question `{key}`"), async || {
                let label = browser.text_of(&format!("label[for='{key}']")).await?;
                (!label.is_empty()).then_some(label)
            })
            .await;
        assert!(
            label.contains(danish),
            "label of `{key}` is {label:?}, not the Danish {danish:?}"
        );
        assert!(browser.find(&format!("textarea#{key}")).await.is_some());
    }
    assert_eq!(
        browser.attribute_of("html", "lang").await.as_deref(),
        Some("da")
    );

    // A clearly green idea, typed as a citizen would.
    let title = "Reparationscafé i Nørresundby";
    browser.type_into("#title", title).await;
    browser
        .type_into(
            "#problem",
            "Alt for mange ting bliver smidt ud som affald, selvom de kunne repareres. Vi vil \
             starte en reparationscafé, hvor naboer reparerer cykler, tøj og elektronik sammen, \
             så der bliver mindre affald og mere genbrug og genanvendelse.",
        )
        .await;
    browser
        .type_into("#helpers", "Frivillige, genbrugsbutikken og skolen")
        .await;
    browser.type_into("#postcode", "9400").await;
    browser.type_into("#place", "Nørresundby").await;
    assert_eq!(
        browser.property_of("#title", "value").await.as_deref(),
        Some(title),
        "the browser received the Danish letters"
    );

    // The live suggestions name the green network.
    browser
        .wait_for(
            "#primary-network to suggest data-slug=\"groenne-agenter\"",
            async || {
                let slug = browser.attribute_of("#primary-network", "data-slug").await;
                (slug.as_deref() == Some("groenne-agenter")).then_some(())
            },
        )
        .await;
    let network = browser.text_of("#primary-network").await.unwrap();
    assert!(network.contains("Grønne agenter"), "{network}");

    // Submit with consent to publish; the receipt shows the stored idea.
    browser.click("#consent-publish").await;
    browser.click("#submit").await;
    let id = browser
        .wait_for("#receipt with a data-idea-id", async || {
            let id = browser.attribute_of("#receipt", "data-idea-id").await?;
            (!id.is_empty()).then_some(id)
        })
        .await;
    let receipt = browser.text_of("#receipt").await.unwrap();
    assert!(
        receipt.contains(&format!("{}/v1/ideas/{id}", app.address)),
        "{receipt}"
    );
    let token = browser.text_of("#citizen-token").await.unwrap();
    assert!(token.starts_with("sct_"), "{token}");

    assert_eq!(app.ideas_stored().await, 1);
    let response = app
        .client
        .get(app.url(&format!("/v1/ideas/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let stored = json(response, 200).await;
    assert_eq!(stored["title"], title);
    assert_eq!(stored["consent"]["publish"], true);
}

#[actix_web::test]
async fn a_page_from_an_origin_not_allowed_is_refused_by_the_browser() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let page = serve_page();
    let app = spawn_with(Backend::Sqlite, |config| {
        config.cors_origins = vec!["https://www.aalborg.dk".to_owned()];
    })
    .await
    .unwrap();
    browser.goto(&format!("{page}/?api={}", app.address)).await;

    browser
        .wait_for("#error to say data-error=\"network\"", async || {
            let kind = browser.attribute_of("#error", "data-error").await;
            (kind.as_deref() == Some("network")).then_some(())
        })
        .await;
    let message = browser.text_of("#error").await.unwrap();
    assert!(!message.is_empty());
    assert!(browser.find("#questions textarea").await.is_none());
    for key in QUESTION_KEYS {
        assert!(browser.find(&format!("#{key}")).await.is_none(), "{key}");
    }
    assert!(
        browser.attribute_of("#submit", "disabled").await.is_some(),
        "nothing can be submitted"
    );
}

/// Serves the example page on a port of its own, so that it runs on another origin than the API.
fn serve_page() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the page");
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(|| {
        App::new().route(
            "/",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .content_type("text/html; charset=utf-8")
                    .body(PAGE)
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .expect("serve the page")
    .run();
    actix_web::rt::spawn(server);
    format!("http://127.0.0.1:{port}")
}

/// A headless Chromium session driven through chromedriver.
///
/// Hand-written rather than a WebDriver crate: the W3C protocol is plain JSON over HTTP, and the
/// few commands used here need only reqwest and serde_json, which the suite has already, so the
/// browser test adds no dependency.
struct Browser {
    http: Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
    driver: Child,
    /// A fresh profile per browser, removed with it.
    profile: tempfile::TempDir,
}

impl Browser {
    /// A fresh browser, or `None` when browser tests are skipped.
    async fn start() -> Option<Browser> {
        if std::env::var(SKIP_VARIABLE).is_ok_and(|v| v == "1") {
            println!("SKIPPED: browser test ({SKIP_VARIABLE}=1)");
            return None;
        }
        for program in [CHROMEDRIVER, CHROMIUM] {
            if std::path::Path::new(program).exists() {
                continue;
            }
            let advice = format!(
                "{program} is missing: install the browser with `apt-get install -y chromium chromium-driver`"
            );
            let required = std::env::var(REQUIRE_VARIABLE).is_ok_and(|v| v == "1");
            assert!(!required, "{advice} ({REQUIRE_VARIABLE}=1)");
            eprintln!("SKIPPED: browser test; {advice}");
            return None;
        }
        let port = {
            let probe = TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("a browser profile directory");
        // From here on, dropping `browser` stops chromedriver (and Chromium, once it runs).
        let mut browser = Browser {
            http: crate::helpers::client(),
            session: String::new(),
            driver,
            profile,
        };
        let base = format!("http://127.0.0.1:{port}");

        let started = Instant::now();
        loop {
            let status = browser
                .http
                .get(format!("{base}/status"))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if let Ok(response) = status
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == true
            {
                break;
            }
            if let Ok(Some(exit)) = browser.driver.try_wait() {
                panic!("chromedriver exited at start: {exit}");
            }
            assert!(
                started.elapsed() < PATIENCE,
                "chromedriver did not get ready on port {port}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }

        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                    format!("--user-data-dir={}", browser.profile.path().display()),
                ],
            },
        }}});
        let created = browser
            .request(Method::POST, &format!("{base}/session"), Some(capabilities))
            .await
            .unwrap_or_else(|error| panic!("could not start Chromium: {error}"));
        let id = created["sessionId"].as_str().expect("a session id");
        browser.session = format!("{base}/session/{id}");
        Some(browser)
    }

    /// One WebDriver call; `Err` holds the WebDriver error and message.
    async fn request(
        &self,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self
            .http
            .request(method.clone(), url)
            .timeout(Duration::from_secs(60));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{method} {url}: {e}"))?;
        let ok = response.status().is_success();
        let body: Value = response
            .json()
            .await
            .map_err(|e| format!("{method} {url}: {e}"))?;
        if ok {
            Ok(body["value"].clone())
        } else {
            Err(format!(
                "{}: {}",
                body["value"]["error"], body["value"]["message"]
            ))
        }
    }

    /// A command of this session, `path` relative to it.
    async fn command(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        self.request(method, &format!("{}{path}", self.session), body)
            .await
    }

    async fn goto(&self, url: &str) {
        self.command(Method::POST, "/url", Some(json!({"url": url})))
            .await
            .unwrap_or_else(|error| panic!("open {url}: {error}"));
    }

    /// The first element matching the CSS selector, if any.
    async fn find(&self, css: &str) -> Option<String> {
        let found = self
            .command(
                Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await
            .unwrap_or_else(|error| panic!("find {css}: {error}"));
        found
            .as_array()?
            .first()
            .map(|element| element[ELEMENT_KEY].as_str().unwrap().to_owned())
    }

    /// The first matching element, which must exist.
    async fn expect(&self, css: &str) -> String {
        self.find(css)
            .await
            .unwrap_or_else(|| panic!("no element matches {css}"))
    }

    /// What the element says (its rendered text), if it exists.
    async fn text_of(&self, css: &str) -> Option<String> {
        let element = self.find(css).await?;
        let text = self
            .command(Method::GET, &format!("/element/{element}/text"), None)
            .await
            .ok()?;
        Some(text.as_str()?.trim().to_owned())
    }

    /// An attribute of the element, if both exist.
    async fn attribute_of(&self, css: &str, name: &str) -> Option<String> {
        self.read(css, "attribute", name).await
    }

    /// A DOM property of the element (such as an input's `value`), if both exist.
    async fn property_of(&self, css: &str, name: &str) -> Option<String> {
        self.read(css, "property", name).await
    }

    async fn read(&self, css: &str, what: &str, name: &str) -> Option<String> {
        let element = self.find(css).await?;
        // An element replaced meanwhile is "stale": read as absent, the caller polls again.
        let value = self
            .command(
                Method::GET,
                &format!("/element/{element}/{what}/{name}"),
                None,
            )
            .await
            .ok()?;
        value.as_str().map(str::to_owned)
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.expect(css).await;
        self.command(
            Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await
        .unwrap_or_else(|error| panic!("type into {css}: {error}"));
    }

    async fn click(&self, css: &str) {
        let element = self.expect(css).await;
        self.command(
            Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await
        .unwrap_or_else(|error| panic!("click {css}: {error}"));
    }

    /// Polls `check` until it answers `Some`; fails after [`PATIENCE`] with what the page shows.
    async fn wait_for<T>(&self, what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(value) = check().await {
                return value;
            }
            if started.elapsed() > PATIENCE {
                let error = self.text_of("#error").await.unwrap_or_default();
                let suggestions = self.text_of("#suggestions").await.unwrap_or_default();
                panic!(
                    "waited {PATIENCE:?} for {what}, in vain.\n\
                     #error says: {error:?}\n#suggestions says: {suggestions:?}"
                );
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Browser {
    /// Ends the session (which closes Chromium), then chromedriver.
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let session = self.session.clone();
            // Drop runs inside the test's runtime, which cannot block on itself: use a thread.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async {
                    crate::helpers::client()
                        .delete(&session)
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await
                        .map(drop)
                        .map_err(std::io::Error::other)
                })
            })
            .join();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
