//! Whole responses kept for visitors who are nobody in particular: the storefront pages (home,
//! search results, product pages, storefronts) and the search API, asked for with GET, without a
//! session cookie or a bearer token. Everything such a response shows is the same for every
//! anonymous visitor but the CSRF token of the page's forms, which is cut out when an entry is
//! made and put back, the visitor's own, when it is served.
//!
//! An entry is served only while nothing it shows can have changed: it carries the
//! [`catalog_version::stamp`] taken before its page was built (which moves when this node's outbox
//! follower applies a catalog change made on any node, and with every transaction this node
//! commits), and it expires after [`FRESH_FOR`] whatever happens, for changes made on another node
//! that announce nothing (stock taken by a checkout there). Logged-in visitors never read or
//! write it. Memory is bounded by [`MAX_BYTES`].
//!
//! A page is drawn once however many visitors ask for it at the same moment: when an entry runs
//! out, the first request draws it again and the others wait for that drawing (see [`Drawing`])
//! instead of each querying the database for the same page.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agora_app::catalog_version::{self, Stamp};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quick_cache::sync::Cache;
use quick_cache::Weighter;
use tokio::sync::watch;

use crate::pages::{CsrfToken, SESSION_COOKIE};
use crate::AppState;

/// How long an entry is served at most.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// The bytes all entries may hold together.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;
/// Longer addresses are not kept (each distinct one would be an entry).
const MAX_KEY_BYTES: usize = 512;
/// Larger bodies are not kept.
const MAX_BODY_BYTES: u64 = 1024 * 1024;
/// No storefront page comes near this; a body past it is an error.
const MAX_READ_BYTES: usize = 16 * 1024 * 1024;
/// Counts the anonymous storefront requests by how the cache answered them (`outcome`: `hit`,
/// `miss` when nothing was kept, `expired` when the entry was older than [`FRESH_FOR`],
/// `outdated` when something it shows may have changed since it was made; and `joined` when a
/// request that found no usable entry was answered with the one another request was drawing).
pub const REQUESTS: &str = "agora_public_cache_requests_total";

/// A kept response.
struct Entry {
    stamp: Stamp,
    made: Instant,
    status: StatusCode,
    headers: HeaderMap,
    /// The body, cut where the CSRF token of the visitor it was made for stood.
    parts: Vec<Bytes>,
    weight: u64,
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<String, Arc<Entry>> for ByBytes {
    fn weight(&self, key: &String, entry: &Arc<Entry>) -> u64 {
        key.len() as u64 + entry.weight
    }
}

/// The kept responses, by address (path and query).
#[derive(Clone)]
pub struct PublicCache {
    entries: Arc<Cache<String, Arc<Entry>, ByBytes>>,
    /// The addresses whose page is being drawn now, each with where its entry will be told.
    drawing: Arc<Mutex<HashMap<String, Drawn>>>,
    /// What pages are drawn with instead of the visitor's CSRF token: random, so that nothing a
    /// page shows can be mistaken for it.
    stand_in: Arc<str>,
}

/// Where the entry a request is drawing will be told: `None` until it is done, and still `None`
/// after it if the answer may not be kept (then every waiting request draws its own).
type Drawn = watch::Receiver<Option<Arc<Entry>>>;

impl Default for PublicCache {
    fn default() -> Self {
        Self {
            entries: Arc::new(Cache::with_weighter(4096, MAX_BYTES, ByBytes)),
            drawing: Arc::default(),
            stand_in: crate::cookies::new_csrf_token().into(),
        }
    }
}

/// A request's claim to draw an address's page while others wait for it. Dropped (the page
/// drawn, or the request abandoned), it gives the address up; the waiting requests hear of it
/// either way, from [`Drawing::done`] or from the closed channel.
struct Drawing {
    drawing: Arc<Mutex<HashMap<String, Drawn>>>,
    key: String,
    tell: watch::Sender<Option<Arc<Entry>>>,
}

impl Drawing {
    /// Claims `key`, or returns the drawing already under way.
    fn claim(cache: &PublicCache, key: &str) -> Result<Drawing, Drawn> {
        let mut drawing = cache.drawing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(under_way) = drawing.get(key) {
            return Err(under_way.clone());
        }
        let (tell, drawn) = watch::channel(None);
        drawing.insert(key.to_owned(), drawn);
        Ok(Drawing {
            drawing: cache.drawing.clone(),
            key: key.to_owned(),
            tell,
        })
    }

    /// Tells the waiting requests what was drawn (`None`: draw your own).
    fn done(self, entry: Option<Arc<Entry>>) {
        self.tell.send_replace(entry);
    }
}

impl Drop for Drawing {
    fn drop(&mut self) {
        let mut drawing = self.drawing.lock().unwrap_or_else(|e| e.into_inner());
        drawing.remove(&self.key);
    }
}

/// Waits for another request's drawing of the page; its entry if it may serve a request that
/// found the catalog at `stamp`.
async fn wait_for(mut drawn: Drawn, stamp: Stamp) -> Option<Arc<Entry>> {
    // A drawing that ends without telling (its request was abandoned) closes the channel.
    let _ = tokio::time::timeout(FRESH_FOR, drawn.wait_for(Option::is_some)).await;
    let entry = drawn.borrow().clone()?;
    (entry.stamp == stamp && entry.made.elapsed() < FRESH_FOR).then_some(entry)
}

/// Serves a GET of the layered routes from the cache when it may, and keeps what it may.
pub async fn serve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(key) = key_of(&req) else {
        return next.run(req).await;
    };
    let cache = &state.public;
    // The page is drawn with the cache's stand-in for the visitor's token, which is cut out of
    // what is kept and replaced in every answer; the stand-in itself never leaves this module.
    let token = req
        .extensions_mut()
        .insert(CsrfToken(cache.stand_in.to_string()))
        .map(|t| t.0);
    let stamp = catalog_version::stamp(&state.app);
    let outcome = match cache.entries.get(&key) {
        Some(entry) if entry.stamp != stamp => "outdated",
        Some(entry) if entry.made.elapsed() >= FRESH_FOR => "expired",
        Some(entry) => {
            metrics::counter!(REQUESTS, "outcome" => "hit").increment(1);
            return entry.response(token.as_deref());
        }
        None => "miss",
    };
    metrics::counter!(REQUESTS, "outcome" => outcome).increment(1);
    let drawing = match Drawing::claim(cache, &key) {
        Ok(drawing) => Some(drawing),
        Err(under_way) => {
            if let Some(entry) = wait_for(under_way, stamp).await {
                metrics::counter!(REQUESTS, "outcome" => "joined").increment(1);
                return entry.response(token.as_deref());
            }
            None
        }
    };
    let made = Instant::now();
    let res = next.run(req).await;
    let keep = keepable(&res);
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_READ_BYTES).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(error = %err, "reading a storefront page failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut headers = parts.headers;
    headers.remove(header::CONTENT_LENGTH);
    let entry = Entry {
        stamp,
        made,
        status: parts.status,
        weight: bytes.len() as u64 + 256,
        parts: cut(&bytes, &cache.stand_in),
        headers,
    };
    let res = entry.response(token.as_deref());
    let kept = (keep && bytes.len() as u64 <= MAX_BODY_BYTES).then(|| Arc::new(entry));
    if let Some(entry) = &kept {
        cache.entries.insert(key, entry.clone());
    }
    if let Some(drawing) = drawing {
        drawing.done(kept);
    }
    res
}

/// [`serve`] for the search API only, for a layer on the whole router.
pub async fn serve_search_api(state: State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path() == "/api/v1/search" {
        serve(state, req, next).await
    } else {
        next.run(req).await
    }
}

/// The address a request is kept under, if its answer is the same for every anonymous visitor.
fn key_of(req: &Request) -> Option<String> {
    let h = req.headers();
    let anonymous = crate::pages::cookie(h, SESSION_COOKIE).is_none() && !h.contains_key(header::AUTHORIZATION);
    // An htmx request may be answered with a fragment: not worth a second kind of entry.
    let whole_page = !h.contains_key("hx-request");
    let key = req.uri().path_and_query().map(|p| p.as_str())?;
    (req.method() == Method::GET && anonymous && whole_page && key.len() <= MAX_KEY_BYTES).then(|| key.to_owned())
}

/// Whether a response may be kept: a plain success that sets no cookie and is not secret.
fn keepable(res: &Response) -> bool {
    let h = res.headers();
    res.status() == StatusCode::OK && !h.contains_key(header::SET_COOKIE) && !crate::carries_secret(h)
}

/// `body` cut at every occurrence of `token`.
fn cut(body: &Bytes, token: &str) -> Vec<Bytes> {
    let needle = token.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at + needle.len() <= body.len() {
        if &body[at..at + needle.len()] == needle {
            parts.push(body.slice(start..at));
            at += needle.len();
            start = at;
        } else {
            at += 1;
        }
    }
    parts.push(body.slice(start..));
    parts
}

impl Entry {
    /// The kept response with `token` where the CSRF token was.
    fn response(&self, token: Option<&str>) -> Response {
        let body = match self.parts.as_slice() {
            [whole] => Body::from(whole.clone()),
            parts => {
                // The cookie is the visitor's to choose: whatever it holds goes out as text.
                let token = html_escape(token.unwrap_or_default());
                let len = parts.iter().map(Bytes::len).sum::<usize>() + token.len() * (parts.len() - 1);
                let mut out = Vec::with_capacity(len);
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(token.as_bytes());
                    }
                    out.extend_from_slice(part);
                }
                Body::from(out)
            }
        };
        let mut res = Response::new(body);
        *res.status_mut() = self.status;
        *res.headers_mut() = self.headers.clone();
        res
    }
}

/// `text` safe inside an HTML attribute or element.
fn html_escape(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"', '\'']) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_cut_out_wherever_it_stands() {
        let body = Bytes::from_static(b"<meta content=\"TOKEN\"><input value=\"TOKEN\">end");
        let parts = cut(&body, "TOKEN");
        assert_eq!(parts.len(), 3);
        let entry = Entry {
            stamp: Stamp::default(),
            made: Instant::now(),
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            parts,
            weight: 0,
        };
        let bytes = text_of(entry.response(Some("mine")));
        assert_eq!(bytes, "<meta content=\"mine\"><input value=\"mine\">end");
        let bytes = text_of(entry.response(Some("a\"b<")));
        assert_eq!(
            bytes,
            "<meta content=\"a&quot;b&lt;\"><input value=\"a&quot;b&lt;\">end"
        );
    }

    fn text_of(res: Response) -> String {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let bytes = rt.block_on(axum::body::to_bytes(res.into_body(), usize::MAX)).unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }
}
