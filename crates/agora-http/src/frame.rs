//! The frame every page is drawn in, and the friendly error page. It knows nothing of the pages
//! themselves, so that the extractors can answer bad input with a page without depending on them.

use agora_app::shops::QualificationView;
use agora_app::{Actor, AppError};
use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// A link in the category bar.
#[derive(Debug, Clone)]
pub struct CategoryLink {
    pub slug: String,
    pub name: String,
}

/// What every page's frame shows: who is logged in, the categories, the CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub user: Option<Actor>,
    pub csrf: String,
    pub categories: Vec<CategoryLink>,
    /// The search box's text.
    pub q: String,
    /// A one-off message ("Your shop application was sent").
    pub notice: Option<String>,
    /// The page's meta description (and Open Graph description): plain text, about 160 characters.
    pub description: String,
    /// The Open Graph type: `website`, or `product` on a product page.
    pub og_type: &'static str,
    /// The content-hashed addresses of the stylesheet, scripts and icon.
    pub assets: &'static crate::assets::Urls,
}

/// What a page says about itself when it says nothing more particular.
pub const SITE_DESCRIPTION: &str = "Agora is a marketplace for businesses and people: buy from verified shops, \
                                    compare sellers by total price, ask for quotes and pay safely through escrow.";

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    heading: String,
    message: String,
}

pub(crate) fn render_error(status: StatusCode, heading: &str, message: String) -> Response {
    let layout = Layout {
        title: heading.to_owned(),
        user: None,
        csrf: String::new(),
        categories: vec![],
        q: String::new(),
        notice: None,
        description: SITE_DESCRIPTION.to_owned(),
        og_type: "website",
        assets: crate::assets::urls(),
    };
    let page = ErrorPage {
        layout,
        status: status.as_u16(),
        heading: heading.to_owned(),
        message,
    };
    (status, render(&page)).into_response()
}

/// A failed page request as a friendly page with the right status (and `Retry-After` when the
/// client should try again).
pub fn error_response(err: AppError) -> Response {
    if let AppError::Internal(e) = &err {
        tracing::error!(error = ?e, "internal error on a page");
    }
    let problem = crate::problem::problem_of(&err);
    let mut res = render_error(problem.status(), &problem.title, problem.detail);
    if let AppError::RateLimited { retry_after_s } | AppError::Busy { retry_after_s } = err {
        res.headers_mut()
            .insert(axum::http::header::RETRY_AFTER, retry_after_s.into());
    }
    res
}

/// Renders a template into an HTML response.
pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// A stored file sent for download under its (cleaned) name, kept by no cache.
pub fn file_response(content_type: &str, filename: &str, bytes: Vec<u8>) -> Response {
    let safe_name: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(crate::NO_STORE.0, HeaderValue::from_static(crate::NO_STORE.1));
    res
}

/// A document download: served as an attachment, never rendered inline.
pub fn document_response(doc: QualificationView, bytes: Vec<u8>) -> Response {
    let safe_name: String = doc
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&doc.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(crate::NO_STORE.0, HeaderValue::from_static(crate::NO_STORE.1));
    res
}
