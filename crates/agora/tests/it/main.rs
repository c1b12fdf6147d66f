//! Black-box tests of the whole platform over real HTTP, each on SQLite and on PostgreSQL.

mod support;

mod accounts;
mod api_shell;
mod audit;
mod cli;
mod idempotency;
