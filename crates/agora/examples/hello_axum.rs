//! A bare axum "hello" JSON server on the same runtime settings as `agora serve`: the yardstick
//! `bench/pages.sh` divides the pages' throughput by, measured in the same run.
//!
//!     cargo run --release --example hello_axum -- 127.0.0.1:3999

use axum::routing::get;
use axum::{Json, Router};

#[tokio::main]
async fn main() {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3999".to_owned());
    let app = Router::new().route("/", get(|| async { Json(serde_json::json!({"hello": "world"})) }));
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("the address is free");
    axum::serve(listener, app).await.expect("the server runs");
}
