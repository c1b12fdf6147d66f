//! The WebSocket `GET /api/v1/ws`: live pushes to a logged-in account (new messages, read
//! receipts, and whatever else an outbox event addresses to it; see `agora_app::live`).
//!
//! Identity comes from the `Authorization: Bearer` header (API clients) or the session cookie
//! (pages), never from the URL. Without one the upgrade is refused with 401. A cookie-borne
//! upgrade must come from a page of this site (its `Origin` names this host), so another site
//! cannot open a socket with a visitor's cookie.
//!
//! Frames are JSON objects with a `type`. The server sends `hello` first, then `message`,
//! `read`, `negotiation`, ... as they happen (a negotiation's move also comes as a `message` of kind
//! `event` in its conversation). A client may send `{"type": "catch_up", "conversation_id",
//! "after": seq}` to get, as `message` frames, what it missed since the seq it last saw (then a
//! `caught_up` frame), and `{"type": "ping"}` (answered with `pong`). A client that does not
//! keep up is closed with 1013 and should reconnect and catch up; so is every client of a node
//! that shuts down. A session that ends (logout, expiry) closes its sockets within a minute.

use std::time::Duration;

use agora_app::conversations::messages::{self, HistoryQuery};
use agora_app::live::{Ended, Refused};
use agora_app::{Actor, AppError};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::problem::{ApiError, Problem};
use crate::AppState;

/// How often the server pings an idle client, and checks that its session still holds.
const CHECK_EVERY: Duration = Duration::from_secs(30);
/// The most catch-up messages one `catch_up` frame sends; past it, use the history API.
const CATCH_UP_MAX: usize = 1000;
/// The largest frame a client may send.
const MAX_CLIENT_FRAME: usize = 16 * 1024;

/// Close codes (RFC 6455): the server ended it for a reason the client can act on.
const POLICY: u16 = 1008;
const TRY_AGAIN_LATER: u16 = 1013;

/// How the socket was authenticated, and with what secret (checked again while it lasts).
enum Credential {
    Bearer(String),
    Cookie(String),
}

impl Credential {
    fn secret(&self) -> &str {
        match self {
            Credential::Bearer(s) | Credential::Cookie(s) => s,
        }
    }
}

fn credential(headers: &HeaderMap) -> Option<Credential> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| Credential::Bearer(token.trim().to_owned()));
    bearer.or_else(|| {
        crate::pages::cookie(headers, crate::cookies::SESSION_COOKIE).map(|s| Credential::Cookie(s.to_owned()))
    })
}

/// Whether a cookie-borne upgrade comes from this site: no `Origin` (not a browser), or one
/// whose host and port are the request's `Host`.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin
        .split_once("://")
        .map_or("", |(_, rest)| rest)
        .trim_end_matches('/');
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// Open the live connection (a WebSocket upgrade).
#[utoipa::path(get, path = "/ws", tag = "conversations", security(("bearer" = [])),
    description = "Upgrade to a WebSocket. Authenticated by `Authorization: Bearer` or the session cookie, never a token in the URL. \
Pushes JSON frames: `{\"type\": \"message\", \"conversation_id\", \"message\": {...}}` (the message as `GET /conversations/{id}/messages` returns it), \
`{\"type\": \"read\", \"conversation_id\", \"account_id\", \"side\", \"seq\"}`, and negotiation events: \
`{\"type\": \"negotiation\", \"negotiation_id\", \"event\", \"status\", \"turn\", \"rounds\"}`, and each move also as a `message` frame \
of `kind: \"event\"` in the conversation between the buyer and the shop. \
Send `{\"type\": \"catch_up\", \"conversation_id\", \"after\": <seq>}` after a reconnect to get what you missed.",
    responses((status = 101, description = "Switching to the WebSocket protocol"), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 426, body = Problem), (status = 429, body = Problem),
        (status = 503, description = "This node holds as many WebSocket connections as it takes (`--ws-max-connections`) or is shutting down: try again after `Retry-After` seconds", body = Problem)))]
pub async fn connect(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    match accept(&state, &headers, upgrade).await {
        Ok(res) => res,
        Err(err) => err.into_response(),
    }
}

async fn accept(
    state: &AppState,
    headers: &HeaderMap,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let credential = credential(headers).ok_or(AppError::Unauthenticated)?;
    if matches!(credential, Credential::Cookie(_)) && !same_origin(headers) {
        return Err(AppError::Forbidden("a WebSocket with the session cookie must come from this site".into()).into());
    }
    let actor = agora_app::accounts::authenticate(&state.app, credential.secret())
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            let problem = Problem::new(
                StatusCode::UPGRADE_REQUIRED,
                "upgrade-required",
                "WebSocket upgrade required",
                rejection.body_text(),
            );
            return Ok(problem.into_response());
        }
    };
    let live = state
        .app
        .live
        .connect(&actor.account_id)
        .map_err(|refused| match refused {
            Refused::TooMany => AppError::RateLimited { retry_after_s: 5 },
            Refused::Full => AppError::Busy { retry_after_s: 5 },
            Refused::ShuttingDown => AppError::Busy { retry_after_s: 1 },
        })?;
    let state = state.clone();
    Ok(upgrade
        .max_message_size(MAX_CLIENT_FRAME)
        .on_upgrade(move |socket| run(state, actor, credential, live, socket)))
}

/// What a client may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Ping,
    CatchUp { conversation_id: String, after: i64 },
}

fn text(value: serde_json::Value) -> Message {
    Message::Text(value.to_string().into())
}

fn close(code: u16, reason: &'static str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

async fn run(
    state: AppState,
    actor: Actor,
    credential: Credential,
    mut live: agora_app::live::Connection,
    mut socket: WebSocket,
) {
    let hello = serde_json::json!({"type": "hello", "account_id": actor.account_id});
    if socket.send(text(hello)).await.is_err() {
        return;
    }
    let mut check = tokio::time::interval(CHECK_EVERY);
    check.tick().await;
    loop {
        tokio::select! {
            pushed = live.next() => match pushed {
                Ok(frame) => {
                    if socket.send(Message::Text(frame.as_ref().into())).await.is_err() {
                        return;
                    }
                }
                Err(Ended::TooSlow) => {
                    let _ = socket.send(close(TRY_AGAIN_LATER, "too slow: reconnect and catch up")).await;
                    return;
                }
                Err(Ended::ShuttingDown) => {
                    let _ = socket.send(close(TRY_AGAIN_LATER, "server restarting: reconnect")).await;
                    return;
                }
            },
            received = socket.recv() => match received {
                Some(Ok(Message::Text(t))) => {
                    for reply in answer(&state, &actor, t.as_str()).await {
                        if socket.send(reply).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = check.tick() => {
                let still = agora_app::accounts::authenticate(&state.app, credential.secret()).await;
                if matches!(still, Ok(None)) {
                    let _ = socket.send(close(POLICY, "session ended")).await;
                    return;
                }
                if socket.send(Message::Ping(Default::default())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The frames that answer one client frame.
async fn answer(state: &AppState, actor: &Actor, raw: &str) -> Vec<Message> {
    let error = |message: String| vec![text(serde_json::json!({"type": "error", "message": message}))];
    let frame: ClientFrame = match serde_json::from_str(raw) {
        Ok(frame) => frame,
        Err(e) => return error(format!("not a frame this server knows: {e}")),
    };
    match frame {
        ClientFrame::Ping => vec![text(serde_json::json!({"type": "pong"}))],
        ClientFrame::CatchUp { conversation_id, after } => {
            match catch_up(state, actor, &conversation_id, after).await {
                Ok(frames) => frames,
                Err(AppError::NotFound(_)) => error(format!("conversation {conversation_id} not found")),
                Err(AppError::Invalid(e)) => error(e.to_string()),
                Err(err) => {
                    tracing::warn!(error = %err, "a catch-up failed");
                    error("the catch-up failed; try again".into())
                }
            }
        }
    }
}

async fn catch_up(
    state: &AppState,
    actor: &Actor,
    conversation_id: &str,
    after: i64,
) -> Result<Vec<Message>, AppError> {
    let mut frames = Vec::new();
    let mut cursor: Option<String> = None;
    let mut last_seq = after;
    let mut sent = 0;
    loop {
        let query = HistoryQuery {
            after: Some(after),
            cursor: cursor.as_deref(),
            limit: Some(agora_app::conversations::PAGE_MAX),
        };
        let page = messages::history(&state.app, actor, conversation_id, query).await?;
        for m in page.items {
            last_seq = m.seq;
            sent += 1;
            frames.push(text(serde_json::json!({
                "type": "message",
                "conversation_id": conversation_id,
                "message": m,
            })));
        }
        match page.next_cursor {
            Some(next) if sent < CATCH_UP_MAX => cursor = Some(next),
            more => {
                frames.push(text(serde_json::json!({
                    "type": "caught_up",
                    "conversation_id": conversation_id,
                    "last_seq": last_seq,
                    "more": more.is_some(),
                })));
                return Ok(frames);
            }
        }
    }
}
