//! A node holds a bounded number of WebSocket connections in all (`--ws-max-connections`): past
//! it, an upgrade gets 503 problem+json with `Retry-After`, and a place freed by a closed socket
//! is taken again.

use std::time::{Duration, Instant};

use agora_app::live::Limits;
use agora_app::Settings;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Error as WsError;

use crate::chat_live::{connect, Socket};
use crate::support::{db_test, TestApp};

/// Tries to open a WebSocket as `token`: the socket, or the refusal's status, `Retry-After`
/// and content type.
async fn try_connect(t: &TestApp, token: &str) -> Result<Socket, (u16, String, String)> {
    let url = format!("{}/api/v1/ws", t.base.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(WsError::Http(res)) => {
            let header = |name: &str| {
                res.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            Err((res.status().as_u16(), header("retry-after"), header("content-type")))
        }
        Err(other) => panic!("refused otherwise: {other}"),
    }
}

db_test!(
    a_node_turns_websockets_away_past_its_connection_cap,
    settings = Settings {
        live: Limits {
            total: 2,
            ..Limits::default()
        },
        ..Settings::default()
    },
    |t| {
        let ann = t.user("ann@example.com").await;
        let bob = t.user("bob@example.com").await;
        let mut first = connect(&t.base, &ann).await;
        let _second = connect(&t.base, &bob).await;
        let (status, retry_after, content_type) = match try_connect(&t, &bob).await {
            Ok(_) => panic!("a third WebSocket opened past a cap of 2"),
            Err(refusal) => refusal,
        };
        assert_eq!(status, 503);
        assert!(
            retry_after.parse::<u64>().is_ok_and(|s| s > 0),
            "Retry-After: {retry_after:?}"
        );
        assert!(content_type.starts_with("application/problem+json"), "{content_type}");

        // A closed socket frees its place (once the server has seen it go).
        first.close(None).await.unwrap();
        drop(first);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match try_connect(&t, &ann).await {
                Ok(_) => break,
                Err((503, _, _)) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(refusal) => panic!("the freed place was not taken again: {refusal:?}"),
            }
        }
    }
);
