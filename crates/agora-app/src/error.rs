//! The one error type of the use cases. Each variant maps to one HTTP status and one problem type
//! in `agora-http`; unexpected failures (database down, IO) are `Internal` and never shown in detail.

use agora_core::ValidationErrors;

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Well-formed input that breaks a rule, with the fields at fault.
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// Input that cannot be understood at all.
    #[error("{0}")]
    BadRequest(String),
    #[error("you need to log in")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    /// Absent, or not the actor's to see.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The current state forbids it; `kind` says which rule, for clients to branch on.
    #[error("{detail}")]
    Conflict { kind: ConflictKind, detail: String },
    #[error("too many attempts; try again in {retry_after_s} seconds")]
    RateLimited { retry_after_s: u64 },
    /// The server is at capacity for this kind of work (hashing, the database's write queue):
    /// the client should retry after a short pause.
    #[error("the server is busy; try again in {retry_after_s} seconds")]
    Busy { retry_after_s: u64 },
    #[error("the upload is larger than {max_bytes} bytes")]
    TooLarge { max_bytes: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Every way the current state can refuse a well-formed request. Each kind is one stable problem
/// type on the API (`agora-http`'s `problem` module maps them), so that clients never parse the
/// detail text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// The person is a member of this company already.
    AlreadyMember,
    /// The person belongs to another company and must leave it first.
    InAnotherCompany,
    /// The change would leave a company without an admin.
    LastAdmin,
    /// The thing's status does not allow this step, or someone else moved it on meanwhile.
    InvalidTransition,
    /// A counted value changed between reading and writing it; read again.
    ChangedMeanwhile,
    /// A per-thing maximum (images, variants) is reached.
    LimitReached,
    /// A variant with this SKU exists in the shop.
    DuplicateSku,
    /// A category with this slug exists.
    CategoryExists,
    /// The shop is not approved, so it cannot list products.
    ShopNotApproved,
    /// A request with this Idempotency-Key is still running.
    InProgress,
    /// The request with this Idempotency-Key already ran and its answer held a secret not kept.
    SecretShownOnce,
    /// Fewer units are in stock than asked for.
    OutOfStock,
    /// The negotiation is accepted, rejected, withdrawn or expired: nothing moves it any more.
    NegotiationClosed,
    /// It is the other party's turn in the negotiation (also: accepting one's own offer).
    NotYourTurn,
    /// The RFQ's deadline for quotes has passed, or it was awarded.
    DeadlinePassed,
    /// The quote was accepted, rejected, withdrawn or expired, or is no longer valid.
    QuoteClosed,
    /// The RFQ was awarded or cancelled: it takes no more quotes, questions aside.
    RfqClosed,
    /// The order is not completed yet, so its shop cannot be rated.
    OrderNotCompleted,
    /// The order's shop was rated already (once per order).
    AlreadyRated,
    /// A wallet or balance holds less than the movement takes.
    InsufficientFunds,
    /// A payout needs the bank account it goes to, and the shop has registered none.
    NoPayoutAccount,
    /// A refund would give back more than is left of what was paid.
    RefundExceedsPaid,
}

impl ConflictKind {
    pub const ALL: [ConflictKind; 22] = [
        ConflictKind::AlreadyMember,
        ConflictKind::InAnotherCompany,
        ConflictKind::LastAdmin,
        ConflictKind::InvalidTransition,
        ConflictKind::ChangedMeanwhile,
        ConflictKind::LimitReached,
        ConflictKind::DuplicateSku,
        ConflictKind::CategoryExists,
        ConflictKind::ShopNotApproved,
        ConflictKind::InProgress,
        ConflictKind::SecretShownOnce,
        ConflictKind::OutOfStock,
        ConflictKind::NegotiationClosed,
        ConflictKind::NotYourTurn,
        ConflictKind::DeadlinePassed,
        ConflictKind::QuoteClosed,
        ConflictKind::RfqClosed,
        ConflictKind::OrderNotCompleted,
        ConflictKind::AlreadyRated,
        ConflictKind::InsufficientFunds,
        ConflictKind::NoPayoutAccount,
        ConflictKind::RefundExceedsPaid,
    ];
}

impl From<agora_store::DbError> for AppError {
    /// A database at capacity (a long write queue, no free connection) asks the client to retry;
    /// anything else is a failure of ours.
    fn from(err: agora_store::DbError) -> Self {
        if agora_store::is_busy(&err) {
            tracing::warn!(error = %err, "the database is busy");
            AppError::Busy { retry_after_s: 1 }
        } else {
            AppError::Internal(err.into())
        }
    }
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(ValidationErrors::single(field, message))
    }

    pub fn conflict(kind: ConflictKind, detail: impl Into<String>) -> Self {
        AppError::Conflict {
            kind,
            detail: detail.into(),
        }
    }

    /// Names the missing thing of a 404 after what the client asked for (a product whose shop the
    /// actor does not run is a missing product); every other failure passes through unchanged, so
    /// that a database outage stays a 500.
    pub fn not_found_as(self, what: &'static str) -> Self {
        match self {
            AppError::NotFound(_) => AppError::NotFound(what),
            other => other,
        }
    }

    /// A file that is absent is a 404; any other IO failure is ours.
    pub fn from_io(err: std::io::Error, what: &'static str) -> Self {
        if err.kind() == std::io::ErrorKind::NotFound {
            AppError::NotFound(what)
        } else {
            AppError::Internal(err.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_absent_row_is_renamed() {
        assert!(matches!(
            AppError::NotFound("shop").not_found_as("product"),
            AppError::NotFound("product")
        ));
        let outage = AppError::Internal(anyhow::anyhow!("connection refused"));
        assert!(matches!(outage.not_found_as("product"), AppError::Internal(_)));
        let busy = AppError::Busy { retry_after_s: 1 };
        assert!(matches!(busy.not_found_as("product"), AppError::Busy { .. }));
    }

    #[test]
    fn only_a_missing_file_is_a_404() {
        let missing = std::io::Error::new(std::io::ErrorKind::NotFound, "no such blob");
        assert!(matches!(
            AppError::from_io(missing, "image"),
            AppError::NotFound("image")
        ));
        let denied = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        assert!(matches!(AppError::from_io(denied, "image"), AppError::Internal(_)));
    }
}
