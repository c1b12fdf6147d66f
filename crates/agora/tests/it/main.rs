//! Black-box tests of the whole platform over real HTTP, each on SQLite and on PostgreSQL.

mod support;

mod accounts;
mod api_shell;
mod audit;
mod bad_input;
mod catalog;
mod cli;
mod companies;
mod crawl;
mod idempotency;
mod import;
mod schema;
mod search;
mod shops;
