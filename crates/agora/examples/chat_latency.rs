//! Measures how long a chat message posted on one node takes to be pushed to a WebSocket client
//! connected to another (`bench/chat_latency.sh` starts the two nodes on one PostgreSQL database,
//! with the demo data).
//!
//! `chat_latency A_URL B_URL SHOP_ID [MESSAGES]`
//!
//! The demo buyer opens a conversation with `SHOP_ID` on A; the demo seller of that shop listens
//! on B's WebSocket. For each message: the buyer posts it on A and the clock runs until B pushes
//! it to the seller. Prints the median, 99th percentile and maximum, from the post being sent
//! (the whole trip) and from A's answer (delivery after the commit).

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

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

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn report(name: &str, mut values: Vec<Duration>) {
    values.sort();
    println!(
        "{name}: p50 {}  p99 {}  max {}  ({} messages)",
        ms(percentile(&values, 50.0)),
        ms(percentile(&values, 99.0)),
        ms(*values.last().unwrap()),
        values.len()
    );
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [a, b, shop, rest @ ..] = args.as_slice() else {
        return Err("usage: chat_latency A_URL B_URL SHOP_ID [MESSAGES]".into());
    };
    let messages: usize = rest.first().map_or(Ok(200), |n| n.parse())?;
    let client = reqwest::Client::new();
    let buyer = login(&client, a, "bea@buyer.example").await?;
    let seller = login(&client, b, "nora@nordlicht.example").await?;

    let opened: Value = client
        .post(format!("{a}/api/v1/conversations"))
        .bearer_auth(&buyer)
        .json(&json!({"shop_id": shop, "subject": "Latency probe"}))
        .send()
        .await?
        .json()
        .await?;
    let conversation = opened["id"]
        .as_str()
        .ok_or_else(|| format!("not opened: {opened}"))?
        .to_owned();

    let mut request = format!("{}/api/v1/ws", b.replacen("http://", "ws://", 1)).into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", HeaderValue::from_str(&format!("Bearer {seller}"))?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;

    let mut trip = Vec::with_capacity(messages);
    let mut after_commit = Vec::with_capacity(messages);
    for i in 0..messages {
        let body = format!("probe {i}");
        let sent = Instant::now();
        let post = client
            .post(format!("{a}/api/v1/conversations/{conversation}/messages"))
            .bearer_auth(&buyer)
            .json(&json!({ "body": body }))
            .send();
        let (answered, pushed) = tokio::join!(
            async {
                let r = post.await;
                (Instant::now(), r)
            },
            async {
                while let Some(frame) = socket.next().await {
                    if let Ok(Message::Text(t)) = frame {
                        let v: Value = serde_json::from_str(t.as_str()).unwrap_or_default();
                        if v["type"] == "message" && v["message"]["body"] == body.as_str() {
                            return Some(Instant::now());
                        }
                    }
                }
                None
            }
        );
        let (answered_at, response) = answered;
        if !response?.status().is_success() {
            return Err(format!("message {i} was not posted").into());
        }
        let pushed_at = pushed.ok_or("the WebSocket closed")?;
        trip.push(pushed_at - sent);
        after_commit.push(pushed_at.saturating_duration_since(answered_at));
    }
    report("post on A -> pushed on B", trip);
    report("A answered -> pushed on B", after_commit);
    Ok(())
}
