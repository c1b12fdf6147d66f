//! Agora's use cases. Each module is one capability; each public function is one thing a user (an
//! [`Actor`]) can do. A use case loads state through `agora-store`, asks `agora-core` what should
//! happen, and writes the change with its audit entry and outbox events in one transaction.

pub mod accounts;
mod actor;
pub mod addresses;
pub mod audit;
pub mod cart;
pub mod catalog_version;
pub mod categories;
pub mod category_cache;
pub mod checkout_terms;
pub mod cod;
pub mod commission;
pub mod companies;
pub mod conversations;
pub mod coupons;
pub mod deals;
pub mod demo;
pub mod descriptions;
mod error;
pub mod escrow;
pub mod fees;
pub mod follower;
pub mod gateway;
pub mod idempotency;
pub mod images;
pub mod import;
pub mod invitations;
pub mod job_handlers;
pub mod job_runner;
pub mod jobs;
pub mod ledger;
pub mod live;
pub mod mail;
pub mod markdown_text;
pub mod orders;
mod passwords;
pub mod payments;
pub mod payouts;
pub mod price_comparison;
pub mod product_cache;
mod product_changes;
pub mod product_imports;
pub mod product_view;
pub mod products;
pub mod refunds;
pub mod search;
pub mod seller_home;
pub mod settlement;
pub mod shipping_methods;
pub mod shop_applications;
pub mod shop_ratings;
pub mod shop_review;
pub mod shops;
pub mod stock;
mod stored;
pub mod tax_rates;
mod throttle;
mod time_fmt;
pub mod variants;

use std::path::PathBuf;

use agora_store::blobs::BlobStore;
use agora_store::Db;

pub use actor::Actor;
pub use error::{AppError, AppResult, ConflictKind};
pub use time_fmt::rfc3339;

/// Settings the use cases need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Failed logins for one account from one address within the window before that address gets
    /// 429 for that account.
    pub login_failures_per_account_and_client: i64,
    /// Failed logins from one address within the window, whatever the account, before it gets 429.
    pub login_failures_per_client: i64,
    /// Failed logins for one account from every address within the window after which each
    /// further login waits, longer each time. Never refused: nobody can lock the owner out.
    pub login_slowdown_after: i64,
    /// The window of the login and registration limits.
    pub login_window_ms: i64,
    /// Registrations from one address within the window before further ones get 429.
    pub registrations_per_client: i64,
    /// How long a login stays valid at most.
    pub session_ttl_ms: i64,
    /// How long a login stays valid without being used.
    pub session_idle_ms: i64,
    /// Password hashes computed at once (each takes 19 MiB and a core for a few dozen ms).
    pub hash_threads: usize,
    /// Password hashes waiting for a thread before further ones get 503.
    pub hash_queue: usize,
    /// The largest qualification document accepted.
    pub max_upload_bytes: usize,
    /// How long an `Idempotency-Key` claimed around a request stays held without being renewed:
    /// a running request renews it, so only the key of a request that died comes free, this long
    /// after it died.
    pub idempotency_lease_ms: i64,
    /// How long an order waits for payment or approval, holding its stock, before the system
    /// cancels it.
    pub reservation: agora_core::order::ReservationPolicy,
    /// Days after shipping at which a prepaid order the buyer did not confirm completes.
    pub auto_complete_days: u32,
    /// Where order emails go; `None`: `.eml` files in `mail/` beside the blob folder.
    pub mailer: Option<mail::Mailer>,
    /// The sender of order emails.
    pub mail_from: String,
    /// How long after a message its unread recipients get an email digest (one per account for
    /// every message that arrived meanwhile; nothing if they read them first).
    pub chat_digest_delay_ms: i64,
    /// Bounds on live (WebSocket) delivery.
    pub live: live::Limits,
    /// How long an offer or counter-offer waits for an answer before the negotiation expires.
    pub offer_ttl_ms: i64,
    /// The platform's default fee on an order, in basis points (500 = 5 %); see `fees::fee_for`.
    pub platform_fee_bp: u32,
    /// Where buyers send bank transfers.
    pub bank_details: BankDetails,
    /// The secret card-gateway callbacks are signed with. `None`: one is drawn at random when the
    /// first node starts and kept in the database, where every node reads the same one.
    pub gateway_secret: Option<String>,
    /// The smallest payout a shop may ask for, in minor units of the payout's currency.
    pub min_payout_minor: i64,
}

/// The platform's bank account, shown with every bank-transfer reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankDetails {
    pub holder: String,
    pub iban: String,
    pub bic: String,
    pub bank_name: String,
}

impl Default for BankDetails {
    fn default() -> Self {
        Self {
            holder: "Agora Marketplace GmbH".into(),
            iban: "DE89 3704 0044 0532 0130 00".into(),
            bic: "COBADEFFXXX".into(),
            bank_name: "Commerzbank".into(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            login_failures_per_account_and_client: 5,
            login_failures_per_client: 30,
            login_slowdown_after: 5,
            login_window_ms: 15 * 60 * 1000,
            registrations_per_client: 20,
            session_ttl_ms: 30 * 24 * 60 * 60 * 1000,
            session_idle_ms: 7 * 24 * 60 * 60 * 1000,
            hash_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            hash_queue: 16,
            max_upload_bytes: 10 * 1024 * 1024,
            idempotency_lease_ms: 10 * 1000,
            reservation: agora_core::order::ReservationPolicy::default(),
            auto_complete_days: agora_core::order::DEFAULT_AUTO_COMPLETE_DAYS,
            mailer: None,
            mail_from: mail::DEFAULT_FROM.into(),
            chat_digest_delay_ms: 10 * 60 * 1000,
            live: live::Limits::default(),
            offer_ttl_ms: agora_core::negotiation::DEFAULT_OFFER_TTL_MS,
            platform_fee_bp: 500,
            bank_details: BankDetails::default(),
            gateway_secret: None,
            min_payout_minor: 1000,
        }
    }
}

/// The application: the database, the blob store and the settings. Cheap to clone.
#[derive(Debug, Clone)]
pub struct App {
    pub db: Db,
    pub blobs: BlobStore,
    pub settings: Settings,
    /// Product pages, kept fresh from the outbox.
    pub products: product_cache::ProductCache,
    /// The product search index, kept fresh from the outbox.
    pub search: agora_search::SearchIndex,
    /// The category tree, kept fresh from the outbox.
    pub categories: category_cache::CategoryCache,
    /// Shops' terms and tax rates for checkout, kept fresh from the outbox.
    pub checkout_terms: checkout_terms::CheckoutTerms,
    /// Moves when the catalog changes; see [`catalog_version::stamp`].
    pub catalog_version: catalog_version::CatalogVersion,
    /// Bounds password hashing.
    pub(crate) hasher: passwords::Hasher,
    /// Bounds how many uploaded images decode at once.
    pub image_decoders: images::DecodeGate,
    /// Where order emails go (see [`Settings::mailer`]).
    pub mailer: mail::Mailer,
    /// This node's live (WebSocket) connections.
    pub live: live::Hub,
    /// The address this node serves on (`http://host:port`), set once it listens: the sandbox
    /// gateway posts its callbacks there over HTTP, as an outside provider would. Unset (tests
    /// without a server, commands), they go to the webhook's use case directly.
    pub own_address: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl App {
    /// `search` is the index (in RAM for tests, on disk for a server).
    pub fn new(db: Db, blob_dir: PathBuf, settings: Settings, search: agora_search::SearchIndex) -> Self {
        let mailer = settings.mailer.clone().unwrap_or_else(|| {
            let data_dir = blob_dir.parent().map_or_else(|| PathBuf::from("."), PathBuf::from);
            mail::Mailer::File(data_dir.join("mail"))
        });
        Self {
            mailer,
            live: live::Hub::new(settings.live),
            db,
            blobs: BlobStore::new(blob_dir),
            products: product_cache::ProductCache::new(100_000),
            categories: category_cache::CategoryCache::default(),
            checkout_terms: checkout_terms::CheckoutTerms::default(),
            catalog_version: catalog_version::CatalogVersion::default(),
            search,
            hasher: passwords::Hasher::new(settings.hash_threads, settings.hash_queue),
            settings,
            image_decoders: images::DecodeGate::for_this_machine(),
            own_address: Default::default(),
        }
    }

    /// Keeps uploads in `blobs` instead of the folder given to [`App::new`].
    pub fn with_blobs(self, blobs: BlobStore) -> Self {
        Self { blobs, ..self }
    }
}
