//! Measures how long a product created on one node takes to be searchable on another
//! (`bench/two_nodes_lag.sh` starts the two nodes on one database, with the demo data).
//!
//! `two_nodes_lag A_URL B_URL SHOP_ID [PRODUCTS]`
//!
//! Signs in as the demo operator (to add a category) and the demo seller of `SHOP_ID`, then for
//! each product: creates it on A through the API and, as soon as A answers, searches for it on B
//! without pause until it is found. Prints the lag's median, 99th percentile and maximum.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

const PASSWORD: &str = "agora-demo-2026";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

async fn login(client: &reqwest::Client, base: &str, email: &str) -> Result<String> {
    let r: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    Ok(r["token"].as_str().ok_or("login failed")?.to_owned())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [a, b, shop, rest @ ..] = args.as_slice() else {
        return Err("usage: two_nodes_lag A_URL B_URL SHOP_ID [PRODUCTS]".into());
    };
    let products: usize = rest.first().map_or(Ok(200), |n| n.parse())?;
    let client = reqwest::Client::new();

    let operator = login(&client, a, "operator@agora.example").await?;
    client
        .post(format!("{a}/api/v1/admin/categories"))
        .bearer_auth(&operator)
        .json(&json!({"slug": "lag-probes", "name": "Lag probes", "restricted": false}))
        .send()
        .await?;
    let seller = login(&client, a, "nora@nordlicht.example").await?;

    let mut lags = Vec::with_capacity(products);
    for i in 0..products {
        let product = json!({
            "title": format!("Lag probe {i}"),
            "category": "lag-probes",
            "variants": [{"sku": format!("LAG-{i}"), "price": {"amount": 1000, "currency": "EUR"}, "stock": 1}]
        });
        let created: Value = client
            .post(format!("{a}/api/v1/shops/{shop}/products"))
            .bearer_auth(&seller)
            .json(&product)
            .send()
            .await?
            .json()
            .await?;
        let id = created["id"]
            .as_str()
            .ok_or_else(|| format!("not created: {created}"))?
            .to_owned();
        let started = Instant::now();
        loop {
            let found: Value = client
                .get(format!("{b}/api/v1/search"))
                .query(&[("q", format!("lag probe {i}"))])
                .send()
                .await?
                .json()
                .await?;
            if found["items"]
                .as_array()
                .is_some_and(|items| items.iter().any(|item| item["product_id"] == id.as_str()))
            {
                break;
            }
            if started.elapsed() > Duration::from_secs(30) {
                return Err(format!("product {i} was not searchable on B after 30 s").into());
            }
        }
        lags.push(started.elapsed());
    }
    lags.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "lag from created on A to searchable on B, {} products: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lags.len(),
        ms(percentile(&lags, 50.0)),
        ms(percentile(&lags, 99.0)),
        ms(*lags.last().ok_or("no products")?)
    );
    Ok(())
}
