//! `agora`: the marketplace platform and its tools in one binary.

mod config;

use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use agora_app::audit::Verdict;
use agora_app::{App, Settings};
use agora_store::Db;
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use config::{Config, ServeArgs, StoreArgs};

/// Agora: an open marketplace where businesses and people trade and negotiate online.
#[derive(Debug, Parser)]
#[command(name = "agora", version, about, long_about = None)]
struct Cli {
    #[command(flatten)]
    store: StoreArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the platform: JSON API, web storefront, seller centre and back office, on one port.
    Serve(ServeArgs),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Fill an empty database with a small demo marketplace, then exit.
    Demo,
    /// Platform administration.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a platform operator (or make an existing account one). The password is read from
    /// standard input when it is not a terminal, otherwise asked for.
    CreateOperator {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Operator")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check every entry's hash and link; exit non-zero naming the first bad entry.
    Verify,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AGORA_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn open(config: &Config) -> anyhow::Result<App> {
    if config.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    }
    let db = Db::connect(&config.database_url, None)
        .await
        .context("connecting to the database")?;
    db.migrate().await.context("migrating the database")?;
    Ok(App::new(db, config.data_dir.join("blobs"), Settings::default()))
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let serve_args = match &cli.command {
        Command::Serve(args) => args.clone(),
        _ => ServeArgs::default(),
    };
    let config = Config::resolve(&cli.store, &serve_args)?;
    match cli.command {
        Command::Serve(args) => serve(config, args.demo).await,
        Command::Migrate => {
            open(&config).await?;
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            let app = open(&config).await?;
            seed_demo(&app).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command: AdminCommand::CreateOperator { email, name },
        } => {
            let password = read_password()?;
            let app = open(&config).await?;
            let id = agora_app::accounts::create_operator(&app, &email, &password, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("operator {email} ({id}) is ready");
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let app = open(&config).await?;
            match agora_app::audit::verify(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                Verdict::Intact { entries } => {
                    println!("audit log intact: {entries} entries verified");
                    Ok(ExitCode::SUCCESS)
                }
                Verdict::Broken(err) => {
                    println!("audit log BROKEN at entry {}: {err}", err.seq());
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password for the operator (at least 8 characters): ");
        let mut line = String::new();
        stdin.read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let mut text = String::new();
    stdin.lock().read_to_string(&mut text)?;
    let password = text.lines().next().unwrap_or_default().to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

async fn seed_demo(app: &App) -> anyhow::Result<()> {
    let started = Instant::now();
    if agora_app::demo::seed(app).await.map_err(|e| anyhow::anyhow!("{e}"))? {
        eprintln!("demo marketplace created in {:.1} s", started.elapsed().as_secs_f64());
        eprintln!("demo logins (password for all: {}):", agora_app::demo::PASSWORD);
        for login in agora_app::demo::LOGINS {
            eprintln!("  {:<52} {}", login.role, login.email);
        }
    } else {
        eprintln!("the database is not empty; demo data was not added");
    }
    Ok(())
}

async fn serve(config: Config, demo: bool) -> anyhow::Result<ExitCode> {
    let app = open(&config).await?;
    tokio::task::spawn_blocking(agora_app::accounts::warm_up);
    if demo {
        seed_demo(&app).await?;
    }
    let listener = tokio::net::TcpListener::bind(&config.addr)
        .await
        .with_context(|| format!("listening on {}", config.addr))?;
    let addr = listener.local_addr()?;
    let router = agora_http::router(
        app.clone(),
        agora_http::HttpSettings {
            secure_cookies: config.secure_cookies,
        },
    );
    let where_ = if config.database_url.starts_with("sqlite:") {
        format!("SQLite in {}", Path::new(&config.data_dir).display())
    } else {
        "PostgreSQL".to_owned()
    };
    eprintln!("Agora is running at http://{addr}/ ({where_}); API docs at http://{addr}/api/docs");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    app.db.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
