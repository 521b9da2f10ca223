//! Errors of building the IR: the user's request does not fit (a bad argument value, a session
//! variable a permission needs but the session lacks).

use thiserror::Error;

/// A request that validation let through but that cannot be compiled.
#[derive(Debug, Clone, Error, PartialEq)]
#[error("{message}")]
pub struct IrError {
    pub message: String,
    /// Hasura-style path, e.g. `$.selectionSet.author.args.where`.
    pub path: String,
    /// Hasura's error code.
    pub code: &'static str,
}

impl IrError {
    pub fn new(path: &str, message: impl Into<String>) -> IrError {
        IrError {
            message: message.into(),
            path: path.to_string(),
            code: "validation-failed",
        }
    }

    /// Hasura's words for a field the type does not have.
    pub fn unknown_field(path: &str, field: &str, type_name: &str) -> IrError {
        IrError::new(
            path,
            format!("field '{field}' not found in type: '{type_name}'"),
        )
    }

    pub fn with_code(mut self, code: &'static str) -> IrError {
        self.code = code;
        self
    }
}
