//! Blobs as rows of the `blobs` table (BLOB on SQLite, BYTEA on PostgreSQL).

use std::io;

use sqlx::Row;

use super::{BlobBackend, BlobFuture};
use crate::Db;

#[derive(Debug)]
pub(super) struct Table {
    db: Db,
}

impl Table {
    pub(super) fn new(db: Db) -> Self {
        Self { db }
    }
}

fn io_error(err: sqlx::Error) -> io::Error {
    io::Error::other(err)
}

impl BlobBackend for Table {
    fn write<'a>(&'a self, key: &'a str, bytes: &'a [u8]) -> BlobFuture<'a, ()> {
        Box::pin(async move {
            let mut conn = self.db.conn().await.map_err(io_error)?;
            sqlx::query(
                "INSERT INTO blobs (key, bytes, size_bytes, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(bytes)
            .bind(bytes.len() as i64)
            .bind(crate::now_ms())
            .execute(&mut *conn)
            .await
            .map_err(io_error)?;
            Ok(())
        })
    }

    fn read<'a>(&'a self, key: &'a str) -> BlobFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let mut conn = self.db.conn().await.map_err(io_error)?;
            let row = sqlx::query("SELECT bytes FROM blobs WHERE key = $1")
                .bind(key)
                .fetch_optional(&mut *conn)
                .await
                .map_err(io_error)?
                .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such blob"))?;
            row.try_get(0).map_err(io_error)
        })
    }
}
