//! One error type for the whole engine, with a stable [`ErrorKind`] that bindings map on.

use std::fmt;

/// The stable category of an [`Error`]: what hosts and bindings branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input (payload, option, query, command) is malformed or not allowed.
    InvalidInput,
    /// A webhook signature or timestamp did not verify.
    Signature,
    /// A workspace, group or other named thing does not exist.
    NotFound,
    /// The database failed (I/O, disk full, locked too long, corrupt).
    Storage,
    /// The command does not apply to the current state (acknowledging a resolved group).
    Conflict,
    /// The actor's role does not allow the command.
    Forbidden,
    /// A bug: an invariant the engine relies on did not hold.
    Internal,
    /// No valid credential: a missing, wrong, expired or revoked session, token or ingest key,
    /// or bad login credentials.
    Unauthenticated,
    /// Too many requests (ingest over the workspace's rate, too many failed logins); the error
    /// says when to retry ([`Error::retry_after_secs`]).
    RateLimited,
    /// The request body is over the engine's size limit.
    TooLarge,
}

impl ErrorKind {
    /// The kind's stable snake_case name, as printed by the CLI (`error: KIND: message`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::Signature => "signature",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Storage => "storage",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::Internal => "internal",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::TooLarge => "too_large",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bad input; `path` names where (a JSON path such as `data.event.level`, a header or an argument).
    #[error("{path}: {message}")]
    InvalidInput {
        /// Where the problem is.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A signature check failed.
    #[error("{0}")]
    Signature(String),
    /// Something named does not exist.
    #[error("{what} not found: {id}")]
    NotFound {
        /// What kind of thing (`workspace`, `group`, ...).
        what: &'static str,
        /// The name or id that was asked for.
        id: String,
    },
    /// The database failed.
    #[error("{context}: {source}")]
    Storage {
        /// What the engine was doing.
        context: &'static str,
        /// The database error.
        #[source]
        source: crate::store::db::StoreError,
    },
    /// The command does not apply to the current state.
    #[error("{0}")]
    Conflict(String),
    /// The role does not allow the command.
    #[error("{0}")]
    Forbidden(String),
    /// An invariant did not hold.
    #[error("{0}")]
    Internal(String),
    /// No valid credential.
    #[error("{0}")]
    Unauthenticated(String),
    /// Too many requests; retry after `retry_after_secs`.
    #[error("{message} (retry after {retry_after_secs} s)")]
    RateLimited {
        /// What was limited.
        message: String,
        /// Seconds until a retry can succeed (at least 1).
        retry_after_secs: u64,
    },
    /// The body is over the size limit.
    #[error("{0}")]
    TooLarge(String),
}

impl Error {
    /// The stable category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidInput { .. } => ErrorKind::InvalidInput,
            Error::Signature(_) => ErrorKind::Signature,
            Error::NotFound { .. } => ErrorKind::NotFound,
            Error::Storage { .. } => ErrorKind::Storage,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::Internal(_) => ErrorKind::Internal,
            Error::Unauthenticated(_) => ErrorKind::Unauthenticated,
            Error::RateLimited { .. } => ErrorKind::RateLimited,
            Error::TooLarge(_) => ErrorKind::TooLarge,
        }
    }

    /// Where bad input is (a JSON path, a header or an argument), for [`Error::InvalidInput`].
    pub fn path(&self) -> Option<&str> {
        match self {
            Error::InvalidInput { path, .. } => Some(path),
            _ => None,
        }
    }

    /// For [`Error::RateLimited`]: seconds until a retry can succeed (what an HTTP host sends as
    /// `Retry-After`).
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Error::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// An [`Error::RateLimited`]; `retry_after_secs` is raised to at least 1.
    pub fn rate_limited(message: impl Into<String>, retry_after_secs: u64) -> Self {
        Error::RateLimited {
            message: message.into(),
            retry_after_secs: retry_after_secs.max(1),
        }
    }

    /// An [`Error::InvalidInput`] at `path`.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidInput {
            path: path.into(),
            message: message.into(),
        }
    }

    /// An [`Error::NotFound`].
    pub fn not_found(what: &'static str, id: impl Into<String>) -> Self {
        Error::NotFound {
            what,
            id: id.into(),
        }
    }

    pub(crate) fn storage<E: Into<crate::store::db::StoreError>>(
        context: &'static str,
    ) -> impl FnOnce(E) -> Self {
        move |source| Error::Storage {
            context,
            source: source.into(),
        }
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
