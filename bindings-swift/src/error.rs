//! Engine errors as one Swift error enum, a case per engine error kind.

use signalcraft_core::{Error, ErrorKind};

/// What went wrong, by kind; every case carries the engine's `message` and, for bad input, the
/// `path` of what is wrong (a JSON path, a header or an argument name; `nil` otherwise).
/// Swift: `catch SignalCraftError.InvalidInput(let message, let path)`.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum SignalCraftError {
    /// The input (payload, option, query, command) is malformed or not allowed.
    #[error("{message}")]
    InvalidInput {
        /// What is wrong.
        message: String,
        /// Where.
        path: Option<String>,
    },
    /// A webhook signature or timestamp did not verify.
    #[error("{message}")]
    Signature {
        /// What did not verify.
        message: String,
        /// Always `nil`.
        path: Option<String>,
    },
    /// No valid credential (session, API token, ingest key, login).
    #[error("{message}")]
    Unauthenticated {
        /// Why.
        message: String,
        /// Always `nil`.
        path: Option<String>,
    },
    /// A workspace, group or other named thing does not exist (or is not the caller's).
    #[error("{message}")]
    NotFound {
        /// What was not found.
        message: String,
        /// Always `nil`.
        path: Option<String>,
    },
    /// The command does not apply to the current state.
    #[error("{message}")]
    Conflict {
        /// Why.
        message: String,
        /// Always `nil`.
        path: Option<String>,
    },
    /// The role does not allow it.
    #[error("{message}")]
    Forbidden {
        /// Why.
        message: String,
        /// Always `nil`.
        path: Option<String>,
    },
    /// Too many requests; retry after `retry_after_secs` seconds.
    #[error("{message}")]
    RateLimited {
        /// What was limited.
        message: String,
        /// Always `nil`.
        path: Option<String>,
        /// Seconds until a retry can succeed (at least 1).
        retry_after_secs: u64,
    },
    /// The body is over the engine's size limit.
    #[error("{message}")]
    TooLarge {
        /// The limit.
        message: String,
        /// Always `nil`.
        path: Option<String>,
    },
    /// The database failed (I/O, disk full, locked too long).
    #[error("{message}")]
    Storage {
        /// What failed.
        message: String,
        /// Always `nil`.
        path: Option<String>,
    },
    /// A bug in the engine.
    #[error("{message}")]
    Internal {
        /// What went wrong.
        message: String,
        /// Always `nil`.
        path: Option<String>,
    },
}

impl From<Error> for SignalCraftError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        let path = e.path().map(str::to_string);
        match e.kind() {
            ErrorKind::InvalidInput => Self::InvalidInput { message, path },
            ErrorKind::Signature => Self::Signature { message, path },
            ErrorKind::Unauthenticated => Self::Unauthenticated { message, path },
            ErrorKind::NotFound => Self::NotFound { message, path },
            ErrorKind::Conflict => Self::Conflict { message, path },
            ErrorKind::Forbidden => Self::Forbidden { message, path },
            ErrorKind::RateLimited => Self::RateLimited {
                message,
                path,
                retry_after_secs: e.retry_after_secs().unwrap_or(1),
            },
            ErrorKind::TooLarge => Self::TooLarge { message, path },
            ErrorKind::Storage => Self::Storage { message, path },
            _ => Self::Internal { message, path },
        }
    }
}
