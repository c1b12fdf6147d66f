//! Cross-cutting request and response rules: security headers, problem+json for the router's own
//! 404 and 405, no NUL in addresses, request ids in logs and responses, compressed bodies.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::problem::Problem;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Pages allow only their own scripts and styles; nothing may frame them.
const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                        connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'";
/// Swagger UI sets inline styles on its elements; it is still served from here, never a CDN.
const DOCS_CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                        connect-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'";

pub async fn security_headers(req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let csp = if docs { DOCS_CSP } else { PAGE_CSP };
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// The router answers an unknown method with a bare 405; give it a problem body (keeping Allow).
pub async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let bare = !res.headers().contains_key(header::CONTENT_TYPE);
    if bare && res.status() == StatusCode::METHOD_NOT_ALLOWED {
        let (mut parts, _) = res.into_parts();
        let problem = Problem::method_not_allowed().into_response();
        parts.headers.extend(problem.headers().clone());
        let (_, body) = problem.into_parts();
        return Response::from_parts(parts, body);
    }
    res
}

/// An address holding an encoded NUL names nothing, and its segments must not reach the database
/// (PostgreSQL refuses NUL in text): 400 before any handler runs.
pub async fn refuse_nul_in_path(req: Request, next: Next) -> Response {
    if req.uri().path().contains("%00") {
        let error = agora_app::AppError::BadRequest("the address holds a NUL character".into());
        return crate::extract::InputRejection::new(req.uri().path(), error).into_response();
    }
    next.run(req).await
}

/// Unknown addresses: a problem for API clients, a page for people.
pub async fn not_found(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        Problem::not_found().into_response()
    } else {
        crate::pages::not_found_page(req).await
    }
}

/// Gives every request an id (or keeps the caller's), logs it in the request's span, and returns
/// it in the response's `x-request-id`.
pub fn with_request_ids(router: axum::Router) -> axum::Router {
    router.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(span_for as fn(&Request<Body>) -> tracing::Span))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
    )
}

fn span_for(req: &Request<Body>) -> tracing::Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", id, method = %req.method(), path = %req.uri().path())
}

/// Compresses responses with brotli or gzip, as the client accepts, adding `Vary: Accept-Encoding`.
/// Tiny bodies, images (but SVG), event streams and formats that are compressed already go as they
/// are; every other header (request id, `Cache-Control`) is kept.
pub fn compression() -> CompressionLayer<impl Predicate> {
    let predicate = DefaultPredicate::new()
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("application/gzip"))
        .and(NotForContentType::const_new("application/x-gzip"));
    CompressionLayer::new().gzip(true).br(true).compress_when(predicate)
}
