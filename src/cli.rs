//! The command line: `serve` (the default), `migrate`, `openapi`, `catalog`, `keys` and `eval`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::auth::issue_key;
use crate::config::Config;
use crate::domain::{Catalog, FieldProblem, Language, NewApiKey};
use crate::startup::{Application, build_matcher};
use crate::store::{self, ImportMode};
use crate::telemetry;

/// sammen: co-creation idea matching for Aalborg Kommune.
///
/// Settings come from SAMMEN_* environment variables; see the README.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the API (the default).
    Serve,
    /// Apply the database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Import or export the catalog of networks, initiatives and beacons.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Submit labelled ideas in file order and print the matching metrics as JSON.
    Eval {
        /// The labelled ideas (JSON Lines).
        #[arg(long)]
        ideas: PathBuf,
        /// Evaluate against this catalog in a throw-away database, instead of the configured one.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Print each miss with its reasons to stderr.
        #[arg(long)]
        explain: bool,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Validate a catalog file and write it in one transaction (upsert by slug).
    Import {
        /// The catalog JSON file.
        file: PathBuf,
        /// Make the catalog exactly the file: remove what it does not hold.
        #[arg(long)]
        replace: bool,
    },
    /// Print the catalog as JSON.
    Export,
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Create a key and print its secret (shown only this once) on standard output.
    Create {
        /// `admin` (municipal staff) or `partner` (bound to networks).
        #[arg(long)]
        role: String,
        /// The networks of a partner key, comma-separated slugs.
        #[arg(long, value_delimiter = ',')]
        networks: Vec<String>,
        /// Who holds the key.
        #[arg(long)]
        name: String,
    },
    /// List the keys (never their secrets).
    List,
    /// Revoke a key by its id.
    Revoke {
        /// The key's id.
        id: uuid::Uuid,
    },
}

/// Exit code for a bad setting.
const EXIT_CONFIG: u8 = 2;

/// Runs the command line and returns the process's exit code.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    crate::install_crypto_provider();
    if let Some(Command::Openapi) = cli.command {
        println!("{}", crate::openapi_json());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("sammen: {error}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    telemetry::init(&config.log_filter, config.log_format);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config).await,
        Command::Migrate => migrate(&config).await,
        Command::Catalog(CatalogCommand::Import { file, replace }) => {
            import(&config, &file, replace).await
        }
        Command::Catalog(CatalogCommand::Export) => export(&config).await,
        Command::Keys(command) => keys(&config, command).await,
        Command::Eval {
            ideas,
            catalog,
            explain,
        } => evaluate(&config, &ideas, catalog.as_deref(), explain).await,
        Command::Openapi => unreachable!("handled before configuration"),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("sammen: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: &Config) -> Result<(), String> {
    let app = Application::build(config)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(bind = %config.bind, port = app.port(), "sammen is listening; docs at /docs/");
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

async fn open(config: &Config) -> Result<std::sync::Arc<dyn store::Store>, String> {
    let store = store::connect(&config.database_url)
        .await
        .map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    Ok(store)
}

async fn migrate(config: &Config) -> Result<(), String> {
    open(config).await?;
    eprintln!("migrations applied");
    Ok(())
}

/// Reads and validates a catalog file; every problem is in the error.
fn read_catalog(file: &Path, stored: &HashSet<String>) -> Result<Catalog, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", file.display()))?;
    Catalog::parse(&value, stored)
        .map_err(|problems| format!("{}: {}", file.display(), problem_lines(&problems)))
}

/// Problems as lines for a person, one per field.
fn problem_lines(problems: &[FieldProblem]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "  {}: {} ({})",
                p.field,
                p.code.message(Language::En),
                p.code.as_str()
            )
        })
        .collect();
    format!(
        "{} problem(s), nothing was written:\n{}",
        problems.len(),
        lines.join("\n")
    )
}

async fn keys(config: &Config, command: KeysCommand) -> Result<(), String> {
    let store = open(config).await?;
    match command {
        KeysCommand::Create {
            role,
            networks,
            name,
        } => {
            let known = store.network_slugs().await.map_err(|e| e.to_string())?;
            let body = serde_json::json!({"name": name, "role": role, "networks": networks});
            let new = NewApiKey::parse(&body, &known).map_err(|p| problem_lines(&p))?;
            let (key, secret) = issue_key(store.as_ref(), new)
                .await
                .map_err(|e| e.to_string())?;
            eprintln!(
                "created {} key {} ({}){}; the secret below is shown only now",
                key.role.code(),
                key.id,
                key.name,
                if key.networks.is_empty() {
                    String::new()
                } else {
                    format!(" for {}", key.networks.join(", "))
                }
            );
            println!("{secret}");
        }
        KeysCommand::List => {
            let mut after = None;
            println!("id\trole\tname\tnetworks\tprefix\tcreated_at\tlast_used_at\trevoked_at");
            loop {
                let page = store
                    .list_api_keys(after, 100)
                    .await
                    .map_err(|e| e.to_string())?;
                let Some(last) = page.last() else { break };
                after = Some(last.id);
                for key in &page {
                    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
                        t.map_or_else(|| "-".to_owned(), |t| t.to_rfc3339())
                    };
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        key.id,
                        key.role.code(),
                        key.name,
                        key.networks.join(","),
                        key.prefix,
                        key.created_at.to_rfc3339(),
                        time(key.last_used_at),
                        time(key.revoked_at)
                    );
                }
            }
        }
        KeysCommand::Revoke { id } => {
            let key = store
                .revoke_api_key(id, store::now())
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no key with id {id}"))?;
            eprintln!("revoked key {} ({})", key.id, key.name);
        }
    }
    Ok(())
}

async fn import(config: &Config, file: &Path, replace: bool) -> Result<(), String> {
    let store = open(config).await?;
    let stored: HashSet<String> = if replace {
        HashSet::new()
    } else {
        store.network_slugs().await.map_err(|e| e.to_string())?
    };
    let catalog = read_catalog(file, &stored)?;
    let mode = if replace {
        ImportMode::Replace
    } else {
        ImportMode::Upsert
    };
    let summary = store
        .import_catalog(&catalog, mode)
        .await
        .map_err(|e| e.to_string())?;
    eprintln!(
        "imported {} networks, {} initiatives, {} beacons; removed {}, retired {}",
        summary.networks, summary.initiatives, summary.beacons, summary.removed, summary.retired
    );
    Ok(())
}

async fn export(config: &Config) -> Result<(), String> {
    let store = open(config).await?;
    let catalog = store.export_catalog().await.map_err(|e| e.to_string())?;
    println!(
        "{}",
        serde_json::to_string_pretty(&catalog).expect("a catalog serializes")
    );
    Ok(())
}

async fn evaluate(
    config: &Config,
    ideas: &Path,
    catalog: Option<&Path>,
    explain: bool,
) -> Result<(), String> {
    let jsonl = std::fs::read_to_string(ideas).map_err(|e| format!("{}: {e}", ideas.display()))?;
    // A throw-away database lives in a temporary directory removed when this returns.
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = match catalog {
        Some(file) => {
            let url = format!("sqlite://{}", scratch.path().join("eval.db").display());
            let store = store::connect(&url).await.map_err(|e| e.to_string())?;
            store.migrate().await.map_err(|e| e.to_string())?;
            let catalog = read_catalog(file, &HashSet::new())?;
            store
                .import_catalog(&catalog, ImportMode::Replace)
                .await
                .map_err(|e| e.to_string())?;
            store
        }
        None => open(config).await?,
    };
    let matcher = build_matcher(store.as_ref(), config.routing_min_confidence)
        .await
        .map_err(|e| e.to_string())?;
    let metrics = crate::eval::run(
        store.as_ref(),
        &matcher,
        &jsonl,
        explain,
        &mut std::io::stderr(),
    )
    .await
    .map_err(|e| format!("{}: {e}", ideas.display()))?;
    println!(
        "{}",
        serde_json::to_string_pretty(&metrics).expect("metrics serialize")
    );
    Ok(())
}
