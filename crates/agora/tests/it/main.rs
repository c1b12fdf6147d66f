//! Black-box tests of the whole platform over real HTTP, each on SQLite and on PostgreSQL.

mod support;

mod accounts;
mod api_shell;
mod assets;
mod audit;
mod audit_chains;
mod bad_input;
mod cart;
mod catalog;
mod cli;
mod companies;
mod company_orders;
mod company_shops;
mod contention;
mod coupons;
mod crawl;
mod events;
mod hostile;
mod idempotency;
mod import;
mod jobs;
mod ledger;
mod nodes;
mod order_jobs;
mod order_pages;
mod orders;
mod page_session;
mod payments;
mod schema;
mod search;
mod shops;
mod sign_in;
mod statements;
mod wallet;
