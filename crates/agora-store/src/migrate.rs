//! Schema migrations: one folder per engine with the same file names, applied in order, each in
//! its own transaction, and recorded with a checksum so an edited migration is caught.
//!
//! Hand-written rather than sqlx's migrator because that needs sqlx's proc-macros (a second build
//! of sqlx on every cold build) to embed the files; this is the whole of it.

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Connection, Row};

use crate::Engine;

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

macro_rules! migration {
    ($version:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../migrations/postgres/", $name, ".sql")),
        }
    };
}

const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_foundation"),
    migration!(2, "0002_catalog"),
    migration!(3, "0003_invitations"),
    migration!(4, "0004_sign_in"),
    migration!(5, "0005_nodes"),
    migration!(6, "0006_jobs"),
    migration!(7, "0007_audit_chains"),
    migration!(8, "0008_idempotency_lease"),
    migration!(10, "0010_carts"),
    migration!(11, "0011_orders"),
    migration!(13, "0013_coupons"),
    migration!(14, "0014_company_approval_limits"),
    migration!(15, "0015_ledger_payments"),
    migration!(16, "0016_card_gateway"),
    migration!(17, "0017_chat"),
    migration!(18, "0018_negotiation_deals"),
    migration!(19, "0019_orders_extras"),
    migration!(20, "0020_storefront_ux"),
    migration!(21, "0021_payouts"),
    migration!(22, "0022_statements_card_tokens"),
    migration!(23, "0023_negotiation_events"),
    migration!(24, "0024_shop_ratings"),
    migration!(25, "0025_product_imports"),
    migration!(26, "0026_description_html"),
];

/// Applies the migrations not yet applied whose version is below `before`.
pub(crate) async fn run(conn: &mut AnyConnection, engine: Engine, before: i64) -> anyhow::Result<()> {
    let lock = engine.migration_lock();
    if let Some((take, _)) = lock {
        sqlx::query(take).execute(&mut *conn).await?;
    }
    let result = apply_all(conn, engine, before).await;
    if let Some((_, release)) = lock {
        sqlx::query(release).execute(&mut *conn).await?;
    }
    result
}

async fn apply_all(conn: &mut AnyConnection, engine: Engine, before: i64) -> anyhow::Result<()> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS agora_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    for m in MIGRATIONS.iter().filter(|m| m.version < before) {
        let sql = match engine {
            Engine::Sqlite => m.sqlite,
            Engine::Postgres => m.postgres,
        };
        let checksum = hex::encode(Sha256::digest(sql.as_bytes()));
        let applied = sqlx::query("SELECT checksum FROM agora_migrations WHERE version = $1")
            .bind(m.version)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(row) = applied {
            let recorded: String = row.try_get(0)?;
            if recorded != checksum {
                bail!("migration {} was changed after it was applied", m.name);
            }
            continue;
        }
        let mut tx = conn.begin().await?;
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("applying migration {}", m.name))?;
        sqlx::query("INSERT INTO agora_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)")
            .bind(m.version)
            .bind(m.name)
            .bind(checksum)
            .bind(crate::now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(migration = m.name, "applied");
    }
    Ok(())
}
