//! `agora`: the marketplace platform and its tools in one binary.

mod config;
mod payments_cmd;

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use agora_app::import::{ExportOptions, ImportOptions, Progress};
use agora_app::job_handlers;
use agora_app::job_runner::Worker;
use agora_app::App;
use agora_search::SearchIndex;
use agora_store::blobs::BlobStore;
use agora_store::Db;
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use config::{BlobStoreKind, Config, ServeArgs, StoreArgs};

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
    /// The double-entry ledger of every movement of money.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// Payments received outside the platform (bank statements).
    Payments {
        #[command(subcommand)]
        command: payments_cmd::PaymentsCommand,
    },
    /// Rebuild a search index from the database, then exit. It takes an index folder that no
    /// running node holds; a running node rebuilds its own at start.
    Reindex,
    /// Bring data in from files (a seller's existing catalog).
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Write data out to files, in the form `import` reads.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Signed contracts of accepted offers and quotes.
    Contract {
        #[command(subcommand)]
        command: ContractCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ContractCommand {
    /// Check a downloaded contract offline: the document's canonical SHA-256 must equal the file's
    /// `sha256`, and `platform_signature` must be the Ed25519 signature of the document by
    /// `platform_public_key` (by KEY when --public-key is given). Needs no database.
    ///
    /// Exit status: 0 when the contract is intact, 2 when it is not (the reason on standard
    /// output), 1 when the file cannot be read.
    Verify {
        /// The contract file (GET /api/v1/contracts/{id}/download, or the contract page's download).
        file: PathBuf,
        /// The platform's public key in hex (GET /api/v1/platform-key) to trust instead of the
        /// key named in the file.
        #[arg(long, value_name = "KEY")]
        public_key: Option<String>,
    },
}

const IMPORT_EXIT_STATUS: &str = "Exit status: 0 when every row was imported, 2 when some rows failed (they are \
                                  listed on standard error), 1 when the import could not run at all.";

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Import a shop's products from a CSV or TSV file (UTF-8, with a header row).
    ///
    /// One row is one variant; rows with the same product_key (or, without that column, the same
    /// title) are one product. Columns: product_key, sku (required), title, description, category,
    /// price (major units: 12.50 or 12,50), currency, stock, gtin, min_order_qty, status (active,
    /// draft, archived), attr:KEY (variant attributes) and product_attr:KEY (product attributes).
    /// Other columns are ignored; --map names the file's own headers.
    ///
    /// Re-importing updates by SKU and changes nothing that is already as the file says; stock
    /// changes are recorded as stock movements. A row with errors is reported as
    /// `line N: column: message` and nothing of its product is written; the other rows are.
    /// The changes are audited as made by the shop's owner.
    #[command(
        after_help = IMPORT_EXIT_STATUS
    )]
    Products(ImportProductsArgs),
}

#[derive(Debug, clap::Args)]
struct ImportProductsArgs {
    /// The shop (id or slug); it must be approved.
    #[arg(long)]
    shop: String,
    /// Which column of the file holds a canonical one, as CANONICAL=HEADER, comma-separated or
    /// repeated, e.g. --map sku=product_id,title=product_name,attr:colour=Farbe
    #[arg(long, value_name = "CANONICAL=HEADER", value_delimiter = ',')]
    map: Vec<String>,
    /// The field separator: a character such as , or ; or the word tab [default: detected from
    /// the header row]
    #[arg(long)]
    delimiter: Option<String>,
    /// The currency of rows without one.
    #[arg(long, default_value = "EUR")]
    currency: String,
    /// Check every row and report, but write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The file to read (- for standard input).
    file: PathBuf,
}

#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// Export a shop's products as CSV, one row per variant, in the form `import products` reads.
    Products {
        /// The shop (id or slug).
        #[arg(long)]
        shop: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// The field separator: a character such as , or ; or the word tab.
        #[arg(long, default_value = ",")]
        delimiter: String,
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
enum LedgerCommand {
    /// Recompute every balance from the postings and check every invariant (transactions sum to
    /// zero per currency, stored balances match, no wallet, shop balance or escrow below zero,
    /// escrow matches each order's status, each payment's status matches the money it received);
    /// exit 2 naming the first breach, 0 when balanced.
    Verify,
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

/// What a command needs of the search index.
#[derive(Debug, Clone, Copy)]
enum Search {
    /// An index of this process's own, in a folder under DATA_DIR/search-index that no other
    /// running process holds (`serve`, `reindex`).
    Own,
    /// None: an empty one in memory, so administration commands run beside live nodes.
    Unused,
}

async fn open(config: &Config, search: Search) -> anyhow::Result<App> {
    if config.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    }
    let db = Db::connect(&config.database_url, None)
        .await
        .context("connecting to the database")?;
    db.migrate().await.context("migrating the database")?;
    let index = match search {
        Search::Own => {
            let parent = config.data_dir.join("search-index");
            let (index, dir) = SearchIndex::open_claimed(&parent).context("opening the search index")?;
            tracing::info!(folder = %dir.display(), "search index");
            index
        }
        Search::Unused => SearchIndex::open(None).context("creating an empty search index")?,
    };
    let blob_dir = config.data_dir.join("blobs");
    let blobs = match config.blob_store {
        BlobStoreKind::Folder => BlobStore::new(&blob_dir),
        BlobStoreKind::Database => BlobStore::database(db.clone()),
    };
    let app = App::new(db, blob_dir, config.app_settings(), index).with_blobs(blobs);
    // What a migration cannot do in SQL: descriptions saved before their HTML was kept are
    // rendered here, by whichever process opens the database first (each row once).
    agora_app::descriptions::backfill(&app)
        .await
        .map_err(|e| anyhow::anyhow!("rendering the descriptions saved before their HTML was kept: {e}"))?;
    Ok(app)
}

/// `agora contract verify`: offline, without a database.
fn verify_contract(file: &Path, public_key: Option<&str>) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            println!("contract INVALID: {} is not JSON: {e}", file.display());
            return Ok(ExitCode::from(2));
        }
    };
    match agora_docs::verify(&value, public_key) {
        Ok(()) => {
            let sha = value.get("sha256").and_then(|s| s.as_str()).unwrap_or_default();
            println!("contract valid: SHA-256 {sha}, signed by the platform key");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("contract INVALID: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Contract {
        command: ContractCommand::Verify { file, public_key },
    } = &cli.command
    {
        return verify_contract(file, public_key.as_deref());
    }
    let serve_args = match &cli.command {
        Command::Serve(args) => args.clone(),
        _ => ServeArgs::default(),
    };
    let config = Config::resolve(&cli.store, &serve_args)?;
    match cli.command {
        Command::Serve(args) => serve(config, args.demo).await,
        Command::Migrate => {
            open(&config, Search::Unused).await?;
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            let app = open(&config, Search::Unused).await?;
            seed_demo(&app).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin {
            command: AdminCommand::CreateOperator { email, name },
        } => {
            let password = read_password()?;
            let app = open(&config, Search::Unused).await?;
            let id = agora_app::accounts::create_operator(&app, &email, &password, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("operator {email} ({id}) is ready");
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let app = open(&config, Search::Unused).await?;
            let report = agora_app::audit::report(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if let Some((seq, hash)) = &report.newest_anchor {
                println!("newest anchor: entry {seq}, hash {hash}");
            }
            if report.breaks.is_empty() {
                println!("audit log intact: {} entries verified", report.entries);
                return Ok(ExitCode::SUCCESS);
            }
            let mut breaks = report.breaks;
            breaks.sort_by_key(|b| b.entry().unwrap_or(i64::MAX));
            for err in &breaks {
                match err.entry() {
                    Some(seq) => println!("audit log BROKEN at entry {seq}: {err}"),
                    None => println!("audit log BROKEN: {err}"),
                }
            }
            Ok(ExitCode::from(2))
        }
        Command::Ledger {
            command: LedgerCommand::Verify,
        } => {
            let app = open(&config, Search::Unused).await?;
            let report = agora_app::ledger::verify(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if report.balanced {
                println!(
                    "ledger balanced: {} accounts, {} transactions verified",
                    report.accounts, report.transactions
                );
                return Ok(ExitCode::SUCCESS);
            }
            for problem in &report.problems {
                println!("ledger BROKEN: {problem}");
            }
            Ok(ExitCode::from(2))
        }
        Command::Payments { command } => {
            let app = open(&config, Search::Unused).await?;
            payments_cmd::run(&app, command).await
        }
        Command::Reindex => {
            let app = open(&config, Search::Own).await?;
            let started = Instant::now();
            let n = agora_app::search::rebuild(&app)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "indexed {n} products in {secs:.2} s ({:.0} products/s)",
                n as f64 / secs.max(1e-9)
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            command: ImportCommand::Products(args),
        } => {
            let app = open(&config, Search::Unused).await?;
            import_products(&app, args).await
        }
        Command::Export {
            command:
                ExportCommand::Products {
                    shop,
                    output,
                    delimiter,
                },
        } => {
            let app = open(&config, Search::Unused).await?;
            export_products(&app, &shop, output.as_deref(), &delimiter).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Contract {
            command: ContractCommand::Verify { file, public_key },
        } => verify_contract(&file, public_key.as_deref()),
    }
}

async fn import_products(app: &App, args: ImportProductsArgs) -> anyhow::Result<ExitCode> {
    let options = ImportOptions {
        map: agora_app::import::parse_map(&args.map).map_err(anyhow::Error::msg)?,
        delimiter: args
            .delimiter
            .as_deref()
            .map(agora_app::import::parse_delimiter)
            .transpose()
            .map_err(anyhow::Error::msg)?,
        currency: agora_core::money::Currency::parse(&args.currency.to_ascii_uppercase())
            .map_err(anyhow::Error::msg)?,
        dry_run: args.dry_run,
    };
    let bytes = if args.file.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes)?;
        bytes
    } else {
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?
    };
    // The bar goes to standard error, and only when a person watches it there.
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  eta {eta}")
                .expect("a valid template"),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let started = Instant::now();
    let mut on_progress = |p: Progress| {
        bar.set_length(p.total);
        bar.set_position(p.done);
    };
    let report = agora_app::import::import_products(app, &args.shop, &bytes, &options, &mut on_progress)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    let mut stderr = std::io::stderr().lock();
    if !report.ignored_columns.is_empty() {
        writeln!(stderr, "ignored columns: {}", report.ignored_columns.join(", "))?;
    }
    for error in &report.errors {
        writeln!(stderr, "{error}")?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}{} rows in {seconds:.1} s: {} created, {} updated, {} unchanged, {} failed ({} products created, {} updated)",
        if report.dry_run { "dry run, nothing written: " } else { "" },
        report.rows,
        report.created,
        report.updated,
        report.unchanged,
        report.failed,
        report.products_created,
        report.products_updated,
    );
    Ok(if report.failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

async fn export_products(app: &App, shop: &str, output: Option<&Path>, delimiter: &str) -> anyhow::Result<()> {
    let options = ExportOptions {
        delimiter: agora_app::import::parse_delimiter(delimiter).map_err(anyhow::Error::msg)?,
    };
    let rows = match output {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
            agora_app::import::export_products(app, shop, std::io::BufWriter::new(file), &options).await
        }
        None => agora_app::import::export_products(app, shop, std::io::stdout().lock(), &options).await,
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    eprintln!("exported {rows} rows");
    Ok(())
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
    let app = open(&config, Search::Own).await?;
    // The platform's contract-signing key, created on the first start of the first node.
    let platform_key = agora_app::deals::contracts::ensure_platform_key(&app)
        .await
        .map_err(|e| anyhow::anyhow!("the platform key: {e}"))?;
    tracing::info!(public_key = %platform_key, "platform contract key");
    tokio::task::spawn_blocking(agora_app::accounts::warm_up);
    tokio::spawn(agora_app::follower::run(app.clone()));
    let (stop_jobs, jobs_stopping) = tokio::sync::watch::channel(false);
    let jobs = (config.job_concurrency > 0).then(|| {
        let worker = Worker::new(app.clone(), job_handlers::standard(), config.worker_settings());
        tokio::spawn(worker.run(jobs_stopping))
    });
    tokio::spawn(agora_app::audit::anchor_periodically(
        app.clone(),
        agora_app::audit::ANCHOR_EVERY,
    ));
    if demo {
        seed_demo(&app).await?;
    }
    let listener = tokio::net::TcpListener::bind(&config.addr)
        .await
        .with_context(|| format!("listening on {}", config.addr))?;
    let addr = listener.local_addr()?;
    // The sandbox gateway's callbacks come back to this node over HTTP.
    let _ = app.own_address.set(format!("http://{addr}"));
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
    if let Some(metrics_addr) = &config.metrics_addr {
        serve_metrics(metrics_addr).await?;
    }
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown({
        // Open WebSockets would hold the shutdown; they are told to reconnect (to another node).
        let live = app.live.clone();
        async move {
            shutdown_signal().await;
            live.close_all();
        }
    })
    .await?;
    // Running jobs get their drain time to finish before the database closes.
    let _ = stop_jobs.send(true);
    if let Some(jobs) = jobs {
        let _ = jobs.await;
    }
    app.db.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Serves `/metrics` on its own address, apart from the public router.
async fn serve_metrics(addr: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening for metrics on {addr}"))?;
    // Built (which installs the recorder) before the address is announced, so every request the
    // public router answers from then on is counted.
    let router = agora_http::metrics_router();
    eprintln!("Metrics at http://{}/metrics", listener.local_addr()?);
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, router).await {
            tracing::error!(error = %err, "the metrics listener stopped");
        }
    });
    Ok(())
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
