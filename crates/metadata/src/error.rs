//! Errors of editing a metadata document; each carries the Hasura code it maps to.

use thiserror::Error;

/// A metadata edit that cannot be applied to the document as it is.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum MetadataError {
    #[error("{0}")]
    AlreadyTracked(String),
    #[error("table {0} is not tracked")]
    NotTracked(String),
    #[error("view/table already untracked : {0}")]
    AlreadyUntracked(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    NotExists(String),
    #[error("source with name {0:?} does not exist")]
    SourceNotFound(String),
    /// What the recorded cases of Hasura's suite refuse as `constraint-violation` (a
    /// permission for admin).
    #[error("{0}")]
    ConstraintViolation(String),
    #[error("{0}")]
    DependencyError(String),
    #[error("{0}")]
    Parse(String),
    #[error("{0}")]
    NotSupported(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidParams(String),
    #[error("{0}")]
    DataConnector(String),
}

impl MetadataError {
    /// Hasura's wire code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            MetadataError::AlreadyTracked(_) => "already-tracked",
            MetadataError::AlreadyUntracked(_) => "already-untracked",
            MetadataError::BadRequest(_) => "bad-request",
            MetadataError::NotTracked(_) | MetadataError::NotExists(_) => "not-exists",
            MetadataError::SourceNotFound(_) => "not-exists",
            MetadataError::AlreadyExists(_) => "already-exists",
            MetadataError::ConstraintViolation(_) => "constraint-violation",
            MetadataError::DependencyError(_) => "dependency-error",
            MetadataError::Parse(_) => "parse-failed",
            MetadataError::NotSupported(_) => "not-supported",
            MetadataError::NotFound(_) => "not-found",
            MetadataError::DataConnector(_) => "data-connector-error",
            MetadataError::InvalidParams(_) => "invalid-params",
        }
    }
}
