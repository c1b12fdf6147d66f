//! Where outgoing email goes: a folder of `.eml` files (development, tests, and any node without
//! a mail server) or an SMTP server. Messages are only ever sent from jobs (see
//! [`crate::orders::emails`]), so a failed delivery is retried by the jobs table's backoff.

use std::path::PathBuf;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::{AppError, AppResult};

/// The sender every message carries unless configured otherwise.
pub const DEFAULT_FROM: &str = "Agora <orders@agora.localhost>";

/// How messages leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mailer {
    /// Writes each message as `<name>.eml` into this folder; nothing leaves the machine.
    File(PathBuf),
    /// Sends through an SMTP server: `smtp://[user:password@]host[:port]` (plain SMTP, for a
    /// relay on the local network; port 25), `smtp://…?tls=starttls` (STARTTLS required; port
    /// 587) or `smtps://…` (TLS from the first byte; port 465). TLS checks the server's
    /// certificate against the web's root certificates built into the binary.
    Smtp(String),
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP: only for a relay on a network you trust.
    Plain,
    /// Plain at first, then upgraded with STARTTLS; a server that does not offer it is refused.
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Tls,
}

/// Where an SMTP URL points and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub credentials: Option<(String, String)>,
    pub security: SmtpSecurity,
}

/// Reads `smtp://` and `smtps://` URLs (see [`Mailer::Smtp`]). The user and password may be
/// percent-encoded (`%40` for `@`).
pub fn parse_smtp_url(url: &str) -> Result<SmtpTarget, String> {
    let (implicit_tls, rest) = match (url.strip_prefix("smtp://"), url.strip_prefix("smtps://")) {
        (Some(rest), _) => (false, rest),
        (None, Some(rest)) => (true, rest),
        (None, None) => return Err(format!("{url:?} is not an smtp:// or smtps:// URL")),
    };
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut starttls = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("tls", "starttls" | "required")) => starttls = Some(true),
            Some(("tls", "none")) => starttls = Some(false),
            _ => return Err(format!("{pair:?} is not understood: use tls=starttls or tls=none")),
        }
    }
    let security = match (implicit_tls, starttls) {
        (true, None) => SmtpSecurity::Tls,
        (true, Some(_)) => return Err("an smtps:// URL is TLS already: it takes no tls= option".into()),
        (false, Some(true)) => SmtpSecurity::StartTls,
        (false, _) => SmtpSecurity::Plain,
    };
    let rest = rest.trim_end_matches('/');
    let (credentials, host_port) = match rest.rsplit_once('@') {
        Some((userinfo, host_port)) => {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            (Some((percent_decoded(user)?, percent_decoded(password)?)), host_port)
        }
        None => (None, rest),
    };
    let default_port = match security {
        SmtpSecurity::Plain => 25,
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Tls => 465,
    };
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) => (
            host,
            port.parse::<u16>().map_err(|_| format!("{port:?} is not a port"))?,
        ),
        None => (host_port, default_port),
    };
    if host.is_empty() {
        return Err(format!("{url:?} names no host"));
    }
    Ok(SmtpTarget {
        host: host.to_owned(),
        port,
        credentials,
        security,
    })
}

fn percent_decoded(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| "the user or password has a bad %-escape".to_owned())?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the user or password is not UTF-8".to_owned())
}

impl SmtpTarget {
    /// The lettre transport for this server.
    pub fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
        let tls = match self.security {
            SmtpSecurity::Plain => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(self.tls_parameters()?),
            SmtpSecurity::Tls => Tls::Wrapper(self.tls_parameters()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.clone())
            .port(self.port)
            .tls(tls);
        if let Some((user, password)) = &self.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(builder.build())
    }

    fn tls_parameters(&self) -> Result<TlsParameters, String> {
        TlsParameters::new(self.host.clone()).map_err(|e| format!("TLS for {}: {e}", self.host))
    }
}

impl Mailer {
    /// Checks the configuration (an SMTP URL must parse), for startup.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Mailer::File(_) => Ok(()),
            Mailer::Smtp(url) => parse_smtp_url(url).and_then(|t| t.transport()).map(|_| ()),
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
                let transport = parse_smtp_url(url)
                    .and_then(|t| t.transport())
                    .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
                transport
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
                credentials: None,
                security: SmtpSecurity::Plain,
            }
        );
        let t = parse_smtp_url("smtp://shop:s3cret@127.0.0.1:2525/").unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 2525));
        assert_eq!(t.credentials, Some(("shop".into(), "s3cret".into())));
        assert!(parse_smtp_url("http://x").is_err());
        assert!(parse_smtp_url("smtp://:25").is_err());
        assert!(parse_smtp_url("smtp://h:port").is_err());
    }

    #[test]
    fn smtp_urls_choose_tls_and_its_usual_port() {
        let t = parse_smtp_url("smtps://orders%40shop.example:p%3Ass@mail.example.com").unwrap();
        assert_eq!(t.security, SmtpSecurity::Tls);
        assert_eq!((t.host.as_str(), t.port), ("mail.example.com", 465));
        assert_eq!(t.credentials, Some(("orders@shop.example".into(), "p:ss".into())));
        let t = parse_smtp_url("smtp://u:p@mail.example.com?tls=starttls").unwrap();
        assert_eq!((t.security, t.port), (SmtpSecurity::StartTls, 587));
        let t = parse_smtp_url("smtp://mail.example.com:2587/?tls=starttls").unwrap();
        assert_eq!((t.security, t.port), (SmtpSecurity::StartTls, 2587));
        let t = parse_smtp_url("smtp://mail.example.com?tls=none").unwrap();
        assert_eq!((t.security, t.port), (SmtpSecurity::Plain, 25));
        assert!(parse_smtp_url("smtp://mail.example.com?tls=maybe").is_err());
        assert!(parse_smtp_url("smtps://mail.example.com?tls=starttls").is_err());
        assert!(parse_smtp_url("smtp://u:p%zz@mail.example.com").is_err());
        // Every kind builds a transport, TLS ones with the built-in root certificates.
        for url in ["smtp://h", "smtp://h?tls=starttls", "smtps://h"] {
            parse_smtp_url(url).unwrap().transport().unwrap();
        }
    }
}
