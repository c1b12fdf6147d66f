//! RFC 9457 problem details: the one place an [`AppError`] becomes an HTTP error response.
//!
//! Error policy: use cases return [`AppError`]; handlers return it unchanged (wrapped as
//! [`ApiError`]) and this module picks the status, the stable `type` and the public text. An
//! internal error is logged here with the request's id and shown to the client only as "internal
//! error" — never a stack trace or a database message.

use agora_app::{AppError, ConflictKind};
use agora_core::FieldError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// A problem details document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A stable identifier of the kind of problem; clients branch on it, never on `detail`. One of
    /// `/problems/validation` (422, with `errors`), `/problems/malformed` (400),
    /// `/problems/unauthenticated` (401), `/problems/forbidden` (403), `/problems/not-found` (404),
    /// `/problems/method-not-allowed` (405), `/problems/too-large` (413),
    /// `/problems/unsupported-media-type` (415), `/problems/rate-limited` (429, Retry-After),
    /// `/problems/internal` (500), `/problems/busy` and `/problems/not-ready` (503, Retry-After
    /// for busy), `/problems/webhook-replayed` (400: a gateway callback processed before); and
    /// the conflicts (409): `/problems/already-member`,
    /// `/problems/in-another-company`, `/problems/last-admin`, `/problems/invalid-transition`,
    /// `/problems/changed-meanwhile`, `/problems/limit-reached`, `/problems/duplicate-sku`,
    /// `/problems/category-exists`, `/problems/shop-not-approved`, `/problems/in-progress`,
    /// `/problems/secret-shown-once`, `/problems/out-of-stock`, `/problems/negotiation-closed`,
    /// `/problems/not-your-turn`, `/problems/deadline-passed`, `/problems/quote-closed`,
    /// `/problems/rfq-closed`, `/problems/order-not-completed`, `/problems/already-rated`,
    /// `/problems/insufficient-funds`,
    /// `/problems/no-payout-account`, `/problems/refund-exceeds-paid`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The fields at fault, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("/problems/{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: vec![],
        }
    }

    pub fn not_found() -> Self {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "There is nothing at this address.",
        )
    }

    pub fn method_not_allowed() -> Self {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            "This address does not accept this method; the Allow header lists those it does.",
        )
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        res
    }
}

/// The problem for an application error.
pub fn problem_of(err: &AppError) -> Problem {
    use StatusCode as S;
    match err {
        AppError::Invalid(errors) => {
            let mut p = Problem::new(S::UNPROCESSABLE_ENTITY, "validation", "Invalid input", err.to_string());
            p.errors = errors.0.clone();
            p
        }
        AppError::BadRequest(m) => Problem::new(S::BAD_REQUEST, "malformed", "Malformed request", m.clone()),
        AppError::Unauthenticated => Problem::new(
            S::UNAUTHORIZED,
            "unauthenticated",
            "Not logged in",
            "Log in first, or the email or password was wrong.",
        ),
        AppError::Forbidden(m) => Problem::new(S::FORBIDDEN, "forbidden", "Not allowed", m.clone()),
        AppError::NotFound(what) => Problem::new(S::NOT_FOUND, "not-found", "Not found", format!("{what} not found")),
        AppError::Conflict { kind, detail } => {
            let (slug, title) = conflict_type(*kind);
            Problem::new(S::CONFLICT, slug, title, detail.clone())
        }
        AppError::RateLimited { .. } => Problem::new(
            S::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            err.to_string(),
        ),
        AppError::Busy { .. } => Problem::new(S::SERVICE_UNAVAILABLE, "busy", "Busy", err.to_string()),
        AppError::TooLarge { .. } => Problem::new(S::PAYLOAD_TOO_LARGE, "too-large", "Too large", err.to_string()),
        AppError::UnsupportedMediaType(m) => Problem::new(
            S::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            m.clone(),
        ),
        AppError::Internal(_) => Problem::new(
            S::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "Something went wrong on our side. It has been logged.",
        ),
    }
}

/// The problem type and title of each conflict (all are 409). A new kind goes here and into the
/// list on [`Problem::kind`].
pub fn conflict_type(kind: ConflictKind) -> (&'static str, &'static str) {
    use ConflictKind as K;
    match kind {
        K::AlreadyMember => ("already-member", "Already a member"),
        K::InAnotherCompany => ("in-another-company", "Member of another company"),
        K::LastAdmin => ("last-admin", "Last admin"),
        K::InvalidTransition => ("invalid-transition", "Invalid status transition"),
        K::ChangedMeanwhile => ("changed-meanwhile", "Changed meanwhile"),
        K::LimitReached => ("limit-reached", "Limit reached"),
        K::DuplicateSku => ("duplicate-sku", "Duplicate SKU"),
        K::CategoryExists => ("category-exists", "Category exists"),
        K::ShopNotApproved => ("shop-not-approved", "Shop not approved"),
        K::InProgress => ("in-progress", "Request in progress"),
        K::SecretShownOnce => ("secret-shown-once", "Secret shown once"),
        K::OutOfStock => ("out-of-stock", "Out of stock"),
        K::NegotiationClosed => ("negotiation-closed", "Negotiation closed"),
        K::NotYourTurn => ("not-your-turn", "Not your turn"),
        K::DeadlinePassed => ("deadline-passed", "Deadline passed"),
        K::QuoteClosed => ("quote-closed", "Quote closed"),
        K::RfqClosed => ("rfq-closed", "Request for quotation closed"),
        K::OrderNotCompleted => ("order-not-completed", "Order not completed"),
        K::AlreadyRated => ("already-rated", "Already rated"),
        K::InsufficientFunds => ("insufficient-funds", "Insufficient funds"),
        K::NoPayoutAccount => ("no-payout-account", "No payout account"),
        K::RefundExceedsPaid => ("refund-exceeds-paid", "Refund exceeds what was paid"),
    }
}

/// An application error on the JSON API.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(err: E) -> Self {
        ApiError(err.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let AppError::Internal(err) = &self.0 {
            tracing::error!(error = ?err, "internal error");
        }
        let mut res = problem_of(&self.0).into_response();
        if let AppError::RateLimited { retry_after_s } | AppError::Busy { retry_after_s } = self.0 {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_conflict_has_its_own_documented_type() {
        let schema = serde_json::to_string(&<Problem as utoipa::PartialSchema>::schema()).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        for kind in ConflictKind::ALL {
            let problem = problem_of(&AppError::conflict(kind, "detail"));
            assert_eq!(problem.status, 409);
            assert_ne!(problem.kind, "/problems/conflict");
            assert!(
                schema.contains(&format!("`{}`", problem.kind)),
                "{} is not documented",
                problem.kind
            );
            assert!(seen.insert(problem.kind.clone()), "{} is used twice", problem.kind);
        }
    }
}
