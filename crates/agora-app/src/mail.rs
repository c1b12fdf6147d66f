//! Where outgoing email goes: a folder of `.eml` files (development, tests, and any node without
//! a mail server) or an SMTP server. Messages are only ever sent from jobs (see
//! [`crate::orders::emails`]), so a failed delivery is retried by the jobs table's backoff.

use std::path::PathBuf;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{AppError, AppResult};

/// The sender every message carries unless configured otherwise.
pub const DEFAULT_FROM: &str = "Agora <orders@agora.localhost>";

/// How messages leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mailer {
    /// Writes each message as `<name>.eml` into this folder; nothing leaves the machine.
    File(PathBuf),
    /// Sends through an SMTP server, `smtp://[user:password@]host[:port]` (plain SMTP, for a
    /// relay on the local network; the port defaults to 25).
    Smtp(String),
}

/// Where an `smtp://` URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SmtpTarget {
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
}

fn parse_smtp_url(url: &str) -> Result<SmtpTarget, String> {
    let rest = url
        .strip_prefix("smtp://")
        .ok_or_else(|| format!("{url:?} is not an smtp:// URL"))?;
    let rest = rest.trim_end_matches('/');
    let (credentials, host_port) = match rest.rsplit_once('@') {
        Some((userinfo, host_port)) => {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            (Some((user.to_owned(), password.to_owned())), host_port)
        }
        None => (None, rest),
    };
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>().map_err(|_| format!("{port:?} is not a port"))?,
        ),
        None => (host_port, 25),
    };
    if host.is_empty() {
        return Err(format!("{url:?} names no host"));
    }
    Ok(SmtpTarget {
        host: host.to_owned(),
        port,
        credentials,
    })
}

impl Mailer {
    /// Checks the configuration (an SMTP URL must parse), for startup.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Mailer::File(_) => Ok(()),
            Mailer::Smtp(url) => parse_smtp_url(url).map(|_| ()),
        }
    }

    /// Delivers `message`; `name` names its file in a folder sink (a job's id, so a retried
    /// delivery overwrites rather than doubles it).
    pub async fn deliver(&self, name: &str, message: Message) -> AppResult<()> {
        match self {
            Mailer::File(dir) => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| {
                    AppError::Internal(anyhow::anyhow!("creating the mail folder {}: {e}", dir.display()))
                })?;
                let path = dir.join(format!("{name}.eml"));
                tokio::fs::write(&path, message.formatted())
                    .await
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("writing {}: {e}", path.display())))
            }
            Mailer::Smtp(url) => {
                let target = parse_smtp_url(url).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
                let mut builder =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(target.host).port(target.port);
                if let Some((user, password)) = target.credentials {
                    builder = builder.credentials(Credentials::new(user, password));
                }
                builder
                    .build()
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| AppError::Internal(anyhow::anyhow!("the mail server refused the message: {e}")))
            }
        }
    }
}

/// Parses an address ("Name <a@b.c>" or "a@b.c") for a message header.
pub fn mailbox(raw: &str) -> AppResult<Mailbox> {
    raw.parse()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{raw:?} is not a mail address: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_name_a_host_and_maybe_a_port_and_credentials() {
        assert_eq!(
            parse_smtp_url("smtp://mail.local").unwrap(),
            SmtpTarget {
                host: "mail.local".into(),
                port: 25,
                credentials: None
            }
        );
        let t = parse_smtp_url("smtp://shop:s3cret@127.0.0.1:2525/").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 2525));
        assert_eq!(t.credentials, Some(("shop".into(), "s3cret".into())));
        assert!(parse_smtp_url("http://x").is_err());
        assert!(parse_smtp_url("smtp://:25").is_err());
        assert!(parse_smtp_url("smtp://h:port").is_err());
    }
}
