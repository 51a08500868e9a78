//! Engine errors as JavaScript `Error`s with a stable `code`.

use signalcraft_core::{Error, ErrorKind};

/// The `code` of a thrown `Error`: the engine's kind in upper case (`INVALID_INPUT`,
/// `SIGNATURE`, `NOT_FOUND`, `STORAGE`, `CONFLICT`, `FORBIDDEN`, `INTERNAL`).
pub struct Code(&'static str);

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        self.0
    }
}

/// What every method returns.
pub type JsResult<T> = napi::Result<T, Code>;

fn code(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidInput => "INVALID_INPUT",
        ErrorKind::Signature => "SIGNATURE",
        ErrorKind::NotFound => "NOT_FOUND",
        ErrorKind::Storage => "STORAGE",
        ErrorKind::Conflict => "CONFLICT",
        ErrorKind::Forbidden => "FORBIDDEN",
        _ => "INTERNAL",
    }
}

/// The engine's error as a JavaScript `Error` (the message says where bad input is).
pub fn throw(e: Error) -> napi::Error<Code> {
    napi::Error::new(Code(code(e.kind())), e.to_string())
}
