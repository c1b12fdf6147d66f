//! Black-box tests of the whole platform over real HTTP, each on SQLite and on PostgreSQL.

mod support;

mod accounts;
mod api_shell;
mod audit;
mod catalog;
mod cli;
mod companies;
mod idempotency;
mod import;
mod nodes;
mod schema;
mod search;
mod shops;
