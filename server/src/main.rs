//! The `confab` binary: configuration, logging, run until Ctrl-C or SIGTERM.

use clap::Parser;
use confab_server::auth::JwtKeys;
use confab_server::config::{ApiKeyCommand, Command, Config};
use confab_server::error::AppError;
use confab_server::seed::SeedPlan;
use confab_server::startup::Application;
use confab_server::store::Store;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let config = Config::parse();
    if let Some(Command::Seed(plan)) = &config.command {
        return match seed(&config, plan).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "seeding failed");
                std::process::ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::ApiKey(command)) = &config.command {
        return match api_keys(&config, command).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {}", e.public_message());
                std::process::ExitCode::FAILURE
            }
        };
    }
    raise_open_files_limit();
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "failed to start");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Err(e) = app.run_until(shutdown_signal()).await {
        tracing::error!(error = %e, "server error");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

/// `confab api-key …`: manages the server API's keys in the configured database.
async fn api_keys(config: &Config, command: &ApiKeyCommand) -> Result<(), AppError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| AppError::Internal(format!("creating {}: {e}", config.data_dir.display())))?;
    let store = Store::connect(&config.database_url(), 2).await?;
    let out = match command {
        ApiKeyCommand::Create { name, scopes } => {
            let scopes = scopes
                .iter()
                .map(|s| {
                    serde_json::from_value(serde_json::Value::String(s.trim().to_owned())).map_err(
                        |_| {
                            AppError::validation(format!(
                                "unknown scope {s:?}: users, presence, conversations, messages, events, notifications or admin"
                            ))
                        },
                    )
                })
                .collect::<Result<Vec<protocol::rest::ApiScope>, AppError>>()?;
            let created = confab_server::auth::api_key::create(&store, name, &scopes).await?;
            serde_json::to_value(created)
        }
        ApiKeyCommand::List => serde_json::to_value(protocol::rest::ApiKeyList {
            keys: store.api_keys().await?,
        }),
        ApiKeyCommand::Revoke { id } => {
            if !store.revoke_api_key(id).await? {
                return Err(AppError::NotFound("API key"));
            }
            Ok(serde_json::json!({ "revoked": id }))
        }
    }
    .map_err(|e| AppError::Internal(e.to_string()))?;
    println!("{out:#}");
    store.close().await;
    Ok(())
}

/// `confab seed`: fills the configured database and writes the tokens.
async fn seed(config: &Config, plan: &SeedPlan) -> Result<(), AppError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| AppError::Internal(format!("creating {}: {e}", config.data_dir.display())))?;
    let store = Store::connect(&config.database_url(), config.db_max_connections).await?;
    let jwt = JwtKeys::from_config(config)?;
    let started = std::time::Instant::now();
    let seeded = confab_server::seed::seed(&store, &jwt, plan).await?;
    let json = serde_json::to_vec(&seeded).map_err(|e| AppError::Internal(e.to_string()))?;
    std::fs::write(&plan.out, json)
        .map_err(|e| AppError::Internal(format!("writing {}: {e}", plan.out.display())))?;
    tracing::info!(
        users = seeded.users.len(),
        groups = seeded.groups.len(),
        directs = seeded.directs.len(),
        out = %plan.out.display(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "seeded"
    );
    store.close().await;
    Ok(())
}

/// Every WebSocket is a file descriptor: lift the soft limit to the hard one.
fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open files limit"),
    }
}
