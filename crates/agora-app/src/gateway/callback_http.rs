//! The sandbox gateway's HTTP client: one `POST` of a signed callback to a node's webhook over
//! plain HTTP/1.1 (the sandbox only ever calls the node that runs it, on its own address), so
//! that the callback takes the same path through the router as a real provider's.

use std::time::Duration;

use tokio::net::TcpStream;

use crate::{AppError, AppResult};

const TIMEOUT: Duration = Duration::from_secs(10);

/// The status and body of the answer.
pub struct Answer {
    pub status: u16,
    pub body: String,
}

fn failed(what: &str, err: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("the gateway callback {what}: {err}"))
}

/// Posts `body` with the `Agora-Signature` header `signature` to `base` + `path`.
pub async fn post(base: &str, path: &str, signature: &str, body: &str) -> AppResult<Answer> {
    let host = base
        .strip_prefix("http://")
        .ok_or_else(|| failed("address", format!("{base} is not http://")))?
        .trim_end_matches('/');
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nAgora-Signature: {signature}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let exchange = async {
        let stream = TcpStream::connect(host)
            .await
            .map_err(|e| failed("could not connect", e))?;
        let mut sent = 0;
        let bytes = request.as_bytes();
        while sent < bytes.len() {
            stream.writable().await.map_err(|e| failed("could not be sent", e))?;
            match stream.try_write(&bytes[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(failed("could not be sent", e)),
            }
        }
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            stream
                .readable()
                .await
                .map_err(|e| failed("answer could not be read", e))?;
            match stream.try_read(&mut buf) {
                Ok(0) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(failed("answer could not be read", e)),
            }
        }
        Ok(answer)
    };
    let answer = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|e| failed("timed out", e))??;
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| failed("answer", "no HTTP status line"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok(Answer { status, body })
}
