//! Configuration in layers: built-in defaults, then `agora.toml` (if present), then `AGORA_*`
//! environment variables, then command-line flags. clap handles the last two (each flag names its
//! variable); this module fills what they left open from the file, then from the defaults.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde::Deserialize;

/// Where the data lives; every command takes these.
#[derive(Debug, Clone, Args, Default)]
pub struct StoreArgs {
    /// Folder for the embedded SQLite database and uploaded files [default: ./agora-data]
    #[arg(long, env = "AGORA_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Use PostgreSQL instead of the embedded SQLite, e.g. postgres://user@host/agora
    #[arg(long, env = "AGORA_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Where uploaded files are kept: `folder` (the data folder's blobs/, which several nodes
    /// share through a network file system) or `database` (nodes share only the database)
    /// [default: folder]
    #[arg(long, env = "AGORA_BLOB_STORE", global = true, value_enum)]
    pub blob_store: Option<BlobStoreKind>,
    /// Configuration file [default: ./agora.toml, if it exists]
    #[arg(long, env = "AGORA_CONFIG", global = true)]
    pub config: Option<PathBuf>,
}

/// Where uploaded files are kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BlobStoreKind {
    #[default]
    Folder,
    Database,
}

/// `serve`'s own settings.
#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "AGORA_ADDR")]
    pub addr: Option<String>,
    /// Fill an empty database with a small demo marketplace first
    #[arg(long, env = "AGORA_DEMO")]
    pub demo: bool,
    /// Mark cookies Secure (when served over HTTPS)
    #[arg(long, env = "AGORA_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Days a login stays valid without being used [default: 7]
    #[arg(long, env = "AGORA_SESSION_IDLE_DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub session_idle_days: Option<u32>,
    /// Days a login stays valid at most [default: 30]
    #[arg(long, env = "AGORA_SESSION_LIFETIME_DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub session_lifetime_days: Option<u32>,
    /// Serve Prometheus metrics at /metrics on this separate address, e.g. 127.0.0.1:9090 (keep it
    /// private) [default: off]
    #[arg(long, env = "AGORA_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
    /// Milliseconds between two looks for due background jobs when nothing announces one
    /// [default: 1000]
    #[arg(long, env = "AGORA_JOB_POLL_MS", value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub job_poll_ms: Option<u64>,
    /// Background jobs this node runs at once; 0 runs none here [default: 4]
    #[arg(long, env = "AGORA_JOB_CONCURRENCY", value_parser = clap::value_parser!(u32).range(0..=256))]
    pub job_concurrency: Option<u32>,
    /// Minutes an order waiting for a card or wallet payment holds its stock before it is
    /// cancelled [default: 30]
    #[arg(long, env = "AGORA_RESERVATION_PAYMENT_MINUTES", value_parser = clap::value_parser!(u32).range(1..=525_600))]
    pub reservation_payment_minutes: Option<u32>,
    /// Hours an order waiting for a bank transfer holds its stock [default: 168]
    #[arg(long, env = "AGORA_RESERVATION_BANK_TRANSFER_HOURS", value_parser = clap::value_parser!(u32).range(1..=8760))]
    pub reservation_bank_transfer_hours: Option<u32>,
    /// Hours an order waiting for a company admin's approval holds its stock [default: 168]
    #[arg(long, env = "AGORA_RESERVATION_APPROVAL_HOURS", value_parser = clap::value_parser!(u32).range(1..=8760))]
    pub reservation_approval_hours: Option<u32>,
    /// Days after shipping at which a prepaid order the buyer did not confirm completes [default: 10]
    #[arg(long, env = "AGORA_AUTO_COMPLETE_DAYS", value_parser = clap::value_parser!(u32).range(1..=365))]
    pub auto_complete_days: Option<u32>,
    /// Hours an offer or counter-offer waits for an answer before its negotiation expires [default: 72]
    #[arg(long, env = "AGORA_OFFER_EXPIRY_HOURS", value_parser = clap::value_parser!(u32).range(1..=8760))]
    pub offer_expiry_hours: Option<u32>,
    /// Send order emails through this SMTP server: smtps://[user:password@]host[:port] (TLS,
    /// port 465), smtp://…?tls=starttls (STARTTLS required, port 587) or smtp://… (plain SMTP,
    /// for a local relay, port 25) [default: none: emails are written to the mail folder]
    #[arg(long, env = "AGORA_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Folder that order emails are written to as .eml files when no SMTP server is set
    /// [default: the data folder's mail/]
    #[arg(long, env = "AGORA_MAIL_DIR")]
    pub mail_dir: Option<PathBuf>,
    /// The sender of order emails [default: Agora <orders@agora.localhost>]
    #[arg(long, env = "AGORA_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// WebSocket connections this node holds in all; past it, new ones get 503 [default: 10000]
    #[arg(long, env = "AGORA_WS_MAX_CONNECTIONS", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub ws_max_connections: Option<u32>,
}

/// The optional `agora.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    blob_store: Option<BlobStoreKind>,
    secure_cookies: Option<bool>,
    session_idle_days: Option<u32>,
    session_lifetime_days: Option<u32>,
    metrics_addr: Option<String>,
    job_poll_ms: Option<u64>,
    job_concurrency: Option<u32>,
    reservation_payment_minutes: Option<u32>,
    reservation_bank_transfer_hours: Option<u32>,
    reservation_approval_hours: Option<u32>,
    auto_complete_days: Option<u32>,
    offer_expiry_hours: Option<u32>,
    smtp_url: Option<String>,
    mail_dir: Option<PathBuf>,
    mail_from: Option<String>,
    ws_max_connections: Option<u32>,
}

/// The settings in force.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub blob_store: BlobStoreKind,
    pub secure_cookies: bool,
    pub session_idle_days: u32,
    pub session_lifetime_days: u32,
    /// Where `/metrics` is served, if anywhere.
    pub metrics_addr: Option<String>,
    pub job_poll_ms: u64,
    /// 0: this node runs no background jobs.
    pub job_concurrency: u32,
    /// How long unpaid and unapproved orders hold their stock.
    pub reservation: agora_core::order::ReservationPolicy,
    pub auto_complete_days: u32,
    /// How long an offer waits for an answer, in hours.
    pub offer_expiry_hours: u32,
    /// Where order emails go.
    pub mailer: agora_app::mail::Mailer,
    pub mail_from: String,
    /// WebSocket connections this node holds in all.
    pub ws_max_connections: u32,
}

fn read_file(explicit: Option<&Path>) -> anyhow::Result<FileConfig> {
    let path = explicit
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("agora.toml"));
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).with_context(|| format!("reading {}", path.display())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => Ok(FileConfig::default()),
        Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
    }
}

impl Config {
    pub fn resolve(store: &StoreArgs, serve: &ServeArgs) -> anyhow::Result<Config> {
        let file = read_file(store.config.as_deref())?;
        let data_dir = store
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("agora-data"));
        let database_url = match store.database_url.clone().or(file.database_url) {
            Some(url) => url,
            None => format!("sqlite://{}", data_dir.join("agora.db").display()),
        };
        const MINUTE_MS: i64 = 60 * 1000;
        const HOUR_MS: i64 = 60 * MINUTE_MS;
        let defaults = agora_core::order::ReservationPolicy::default();
        let reservation = agora_core::order::ReservationPolicy {
            online_payment_ms: serve
                .reservation_payment_minutes
                .or(file.reservation_payment_minutes)
                .map_or(defaults.online_payment_ms, |m| i64::from(m) * MINUTE_MS),
            bank_transfer_ms: serve
                .reservation_bank_transfer_hours
                .or(file.reservation_bank_transfer_hours)
                .map_or(defaults.bank_transfer_ms, |h| i64::from(h) * HOUR_MS),
            approval_ms: serve
                .reservation_approval_hours
                .or(file.reservation_approval_hours)
                .map_or(defaults.approval_ms, |h| i64::from(h) * HOUR_MS),
        };
        let mailer = match serve.smtp_url.clone().or(file.smtp_url) {
            Some(url) => agora_app::mail::Mailer::Smtp(url),
            None => agora_app::mail::Mailer::File(
                serve
                    .mail_dir
                    .clone()
                    .or(file.mail_dir)
                    .unwrap_or_else(|| data_dir.join("mail")),
            ),
        };
        mailer.check().map_err(|e| anyhow::anyhow!("--smtp-url: {e}"))?;
        Ok(Config {
            reservation,
            auto_complete_days: serve
                .auto_complete_days
                .or(file.auto_complete_days)
                .unwrap_or(agora_core::order::DEFAULT_AUTO_COMPLETE_DAYS),
            offer_expiry_hours: serve.offer_expiry_hours.or(file.offer_expiry_hours).unwrap_or(72),
            mailer,
            mail_from: serve
                .mail_from
                .clone()
                .or(file.mail_from)
                .unwrap_or_else(|| agora_app::mail::DEFAULT_FROM.into()),
            addr: serve
                .addr
                .clone()
                .or(file.addr)
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            data_dir,
            database_url,
            blob_store: store.blob_store.or(file.blob_store).unwrap_or_default(),
            secure_cookies: serve.secure_cookies || file.secure_cookies.unwrap_or(false),
            session_idle_days: serve.session_idle_days.or(file.session_idle_days).unwrap_or(7),
            session_lifetime_days: serve.session_lifetime_days.or(file.session_lifetime_days).unwrap_or(30),
            metrics_addr: serve.metrics_addr.clone().or(file.metrics_addr),
            job_poll_ms: serve.job_poll_ms.or(file.job_poll_ms).unwrap_or(1000),
            job_concurrency: serve.job_concurrency.or(file.job_concurrency).unwrap_or(4),
            ws_max_connections: serve
                .ws_max_connections
                .or(file.ws_max_connections)
                .unwrap_or(agora_app::live::DEFAULT_MAX_CONNECTIONS as u32),
        })
    }

    /// The use cases' settings.
    pub fn app_settings(&self) -> agora_app::Settings {
        const DAY_MS: i64 = 24 * 60 * 60 * 1000;
        agora_app::Settings {
            session_idle_ms: i64::from(self.session_idle_days) * DAY_MS,
            session_ttl_ms: i64::from(self.session_lifetime_days) * DAY_MS,
            reservation: self.reservation,
            auto_complete_days: self.auto_complete_days,
            offer_ttl_ms: i64::from(self.offer_expiry_hours) * 60 * 60 * 1000,
            mailer: Some(self.mailer.clone()),
            mail_from: self.mail_from.clone(),
            // A secret shared with a real card gateway comes from the environment, never a file
            // in the repository; without it the database keeps a random one for the sandbox.
            gateway_secret: std::env::var("AGORA_GATEWAY_SECRET").ok().filter(|s| !s.is_empty()),
            live: agora_app::live::Limits {
                total: self.ws_max_connections as usize,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    /// The background job worker's settings.
    pub fn worker_settings(&self) -> agora_app::job_runner::WorkerSettings {
        agora_app::job_runner::WorkerSettings {
            poll: std::time::Duration::from_millis(self.job_poll_ms),
            concurrency: self.job_concurrency as usize,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let dir = std::env::temp_dir().join(format!("agora-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("absent.toml");
        // An explicitly named file must exist.
        let store = StoreArgs {
            config: Some(missing),
            ..Default::default()
        };
        assert!(Config::resolve(&store, &ServeArgs::default()).is_err());
    }

    #[test]
    fn flags_beat_the_file_which_beats_defaults() {
        let dir = std::env::temp_dir().join(format!("agora-config-layers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("agora.toml");
        std::fs::write(&file, "addr = \"0.0.0.0:9000\"\ndata_dir = \"/srv/agora\"\n").unwrap();
        let store = StoreArgs {
            config: Some(file.clone()),
            ..Default::default()
        };
        let from_file = Config::resolve(&store, &ServeArgs::default()).unwrap();
        assert_eq!(from_file.addr, "0.0.0.0:9000");
        assert_eq!(from_file.database_url, "sqlite:///srv/agora/agora.db");
        let serve = ServeArgs {
            addr: Some("127.0.0.1:1".into()),
            ..Default::default()
        };
        let store = StoreArgs {
            data_dir: Some("/tmp/x".into()),
            ..store
        };
        let from_flags = Config::resolve(&store, &serve).unwrap();
        assert_eq!(from_flags.addr, "127.0.0.1:1");
        assert_eq!(from_flags.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn session_lifetimes_come_from_flags_then_the_file_then_defaults() {
        let dir = std::env::temp_dir().join(format!("agora-config-sessions-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("agora.toml");
        std::fs::write(&file, "session_idle_days = 2\nsession_lifetime_days = 14\n").unwrap();
        let store = StoreArgs {
            config: Some(file),
            ..Default::default()
        };
        let day = 24 * 60 * 60 * 1000;
        let from_file = Config::resolve(&store, &ServeArgs::default()).unwrap().app_settings();
        assert_eq!(
            (from_file.session_idle_ms, from_file.session_ttl_ms),
            (2 * day, 14 * day)
        );
        let serve = ServeArgs {
            session_idle_days: Some(1),
            ..Default::default()
        };
        let from_flag = Config::resolve(&store, &serve).unwrap().app_settings();
        assert_eq!((from_flag.session_idle_ms, from_flag.session_ttl_ms), (day, 14 * day));
        let defaults = Config::resolve(&StoreArgs::default(), &ServeArgs::default())
            .unwrap()
            .app_settings();
        assert_eq!((defaults.session_idle_ms, defaults.session_ttl_ms), (7 * day, 30 * day));
        assert_eq!(defaults.live.total, 10_000, "WebSocket connections per node by default");
        let capped = ServeArgs {
            ws_max_connections: Some(2),
            ..Default::default()
        };
        let capped = Config::resolve(&StoreArgs::default(), &capped).unwrap().app_settings();
        assert_eq!(capped.live.total, 2);
    }

    #[test]
    fn metrics_are_off_unless_an_address_is_given() {
        let dir = std::env::temp_dir().join(format!("agora-config-metrics-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("agora.toml");
        std::fs::write(&file, "").unwrap();
        let store = StoreArgs {
            config: Some(file.clone()),
            ..Default::default()
        };
        assert_eq!(
            Config::resolve(&store, &ServeArgs::default()).unwrap().metrics_addr,
            None
        );
        std::fs::write(&file, "metrics_addr = \"127.0.0.1:9090\"\n").unwrap();
        let from_file = Config::resolve(&store, &ServeArgs::default()).unwrap();
        assert_eq!(from_file.metrics_addr.as_deref(), Some("127.0.0.1:9090"));
        let serve = ServeArgs {
            metrics_addr: Some("127.0.0.1:9191".into()),
            ..Default::default()
        };
        let from_flag = Config::resolve(&store, &serve).unwrap();
        assert_eq!(from_flag.metrics_addr.as_deref(), Some("127.0.0.1:9191"));
    }

    #[test]
    fn uploads_go_to_the_folder_unless_the_file_or_a_flag_says_database() {
        let dir = std::env::temp_dir().join(format!("agora-config-blobs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("agora.toml");
        std::fs::write(&file, "").unwrap();
        let store = StoreArgs {
            config: Some(file.clone()),
            ..Default::default()
        };
        let default = Config::resolve(&store, &ServeArgs::default()).unwrap();
        assert_eq!(default.blob_store, BlobStoreKind::Folder);
        std::fs::write(&file, "blob_store = \"database\"\n").unwrap();
        let from_file = Config::resolve(&store, &ServeArgs::default()).unwrap();
        assert_eq!(from_file.blob_store, BlobStoreKind::Database);
        let flag = StoreArgs {
            blob_store: Some(BlobStoreKind::Folder),
            ..store
        };
        assert_eq!(
            Config::resolve(&flag, &ServeArgs::default()).unwrap().blob_store,
            BlobStoreKind::Folder
        );
    }

    #[test]
    fn job_settings_come_from_flags_then_the_file_then_defaults() {
        let dir = std::env::temp_dir().join(format!("agora-config-jobs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("agora.toml");
        std::fs::write(&file, "").unwrap();
        let store = StoreArgs {
            config: Some(file.clone()),
            ..Default::default()
        };
        let defaults = Config::resolve(&store, &ServeArgs::default())
            .unwrap()
            .worker_settings();
        assert_eq!((defaults.poll.as_millis(), defaults.concurrency), (1000, 4));
        std::fs::write(&file, "job_poll_ms = 250\njob_concurrency = 0\n").unwrap();
        let from_file = Config::resolve(&store, &ServeArgs::default()).unwrap();
        assert_eq!((from_file.job_poll_ms, from_file.job_concurrency), (250, 0));
        let serve = ServeArgs {
            job_concurrency: Some(8),
            ..Default::default()
        };
        let from_flag = Config::resolve(&store, &serve).unwrap();
        assert_eq!((from_flag.job_poll_ms, from_flag.job_concurrency), (250, 8));
    }

    #[test]
    fn order_timeouts_and_mail_come_from_flags_then_the_file_then_defaults() {
        let dir = std::env::temp_dir().join(format!("agora-config-orders-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("agora.toml");
        std::fs::write(&file, "data_dir = \"/srv/agora\"\nreservation_payment_minutes = 15\n").unwrap();
        let store = StoreArgs {
            config: Some(file.clone()),
            ..Default::default()
        };
        let from_file = Config::resolve(&store, &ServeArgs::default()).unwrap().app_settings();
        assert_eq!(from_file.reservation.online_payment_ms, 15 * 60 * 1000);
        assert_eq!(from_file.reservation.bank_transfer_ms, 7 * 24 * 60 * 60 * 1000);
        assert_eq!(from_file.auto_complete_days, 10);
        assert_eq!(
            from_file.mailer,
            Some(agora_app::mail::Mailer::File(PathBuf::from("/srv/agora/mail")))
        );
        let serve = ServeArgs {
            reservation_approval_hours: Some(72),
            auto_complete_days: Some(3),
            smtp_url: Some("smtp://127.0.0.1:2525".into()),
            ..Default::default()
        };
        let from_flags = Config::resolve(&store, &serve).unwrap().app_settings();
        assert_eq!(from_flags.reservation.approval_ms, 72 * 60 * 60 * 1000);
        assert_eq!(from_flags.auto_complete_days, 3);
        assert_eq!(
            from_flags.mailer,
            Some(agora_app::mail::Mailer::Smtp("smtp://127.0.0.1:2525".into()))
        );
        for url in [
            "smtps://orders:secret@mail.example:465",
            "smtp://mail.example?tls=starttls",
        ] {
            let tls = ServeArgs {
                smtp_url: Some(url.into()),
                ..Default::default()
            };
            let settings = Config::resolve(&store, &tls).unwrap().app_settings();
            assert_eq!(settings.mailer, Some(agora_app::mail::Mailer::Smtp(url.into())));
        }
        let bad = ServeArgs {
            smtp_url: Some("smtp://mail.example?tls=sometimes".into()),
            ..Default::default()
        };
        assert!(Config::resolve(&store, &bad).is_err());
        let bad = ServeArgs {
            smtp_url: Some("mail.example".into()),
            ..Default::default()
        };
        assert!(Config::resolve(&store, &bad).is_err());
    }

    #[test]
    fn unknown_keys_in_the_file_are_errors() {
        let dir = std::env::temp_dir().join(format!("agora-config-unknown-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("agora.toml");
        std::fs::write(&file, "adress = \"typo\"\n").unwrap();
        let store = StoreArgs {
            config: Some(file),
            ..Default::default()
        };
        assert!(Config::resolve(&store, &ServeArgs::default()).is_err());
    }
}
