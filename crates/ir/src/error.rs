//! Errors of building the IR: the user's request does not fit (a bad argument value).

use thiserror::Error;

/// A request that validation let through but that cannot be compiled.
#[derive(Debug, Clone, Error, PartialEq)]
#[error("{message}")]
pub struct IrError {
    pub message: String,
    /// Hasura-style path, e.g. `$.selectionSet.author.args.where`.
    pub path: String,
}

impl IrError {
    pub fn new(path: &str, message: impl Into<String>) -> IrError {
        IrError {
            message: message.into(),
            path: path.to_string(),
        }
    }
}
