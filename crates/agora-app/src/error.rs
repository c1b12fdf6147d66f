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
    /// The current state forbids it.
    #[error("{0}")]
    Conflict(String),
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
}
