//! Engine errors as JavaScript `Error`s with a stable `code` and the `path` of bad input.

use napi::{Env, Status};
use signalcraft_core::{Error, ErrorKind};

/// The status of a thrown `Error` as napi sees it: the error's `code`, or napi's own name for
/// "an exception is already pending" (the error object built by [`fail`] is thrown that way).
pub struct Code(&'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// The `code` of an error: the engine's kind in upper case (`INVALID_INPUT`, `SIGNATURE`,
/// `NOT_FOUND`, `STORAGE`, `CONFLICT`, `FORBIDDEN`, `INTERNAL`, `UNAUTHENTICATED`,
/// `RATE_LIMITED`, `TOO_LARGE`).
pub fn code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidInput => "INVALID_INPUT",
        ErrorKind::Signature => "SIGNATURE",
        ErrorKind::NotFound => "NOT_FOUND",
        ErrorKind::Storage => "STORAGE",
        ErrorKind::Conflict => "CONFLICT",
        ErrorKind::Forbidden => "FORBIDDEN",
        ErrorKind::Unauthenticated => "UNAUTHENTICATED",
        ErrorKind::RateLimited => "RATE_LIMITED",
        ErrorKind::TooLarge => "TOO_LARGE",
        _ => "INTERNAL",
    }
}

/// Throws the engine's error as a JavaScript `Error` with `code` and `path` (`null` unless the
/// input was bad) and, for `RATE_LIMITED`, `retryAfterSecs`; returns what tells napi it is
/// already thrown.
pub fn fail(env: &Env, e: &Error) -> napi::Error<Code> {
    let thrown = (|| -> napi::Result<()> {
        let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, e.to_string()))?;
        obj.set("code", code(e.kind()))?;
        obj.set("path", e.path())?;
        if let Some(secs) = e.retry_after_secs() {
            // seconds to wait: far below 2^53
            obj.set("retryAfterSecs", secs as f64)?;
        }
        env.throw(obj)
    })();
    match thrown {
        Ok(()) => napi::Error::new(Code(Status::PendingException.as_ref()), String::new()),
        // could not build the object: still throw, with the code and the message
        Err(_) => napi::Error::new(Code(code(e.kind())), e.to_string()),
    }
}
