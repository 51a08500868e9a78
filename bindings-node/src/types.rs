//! JavaScript values to engine types. Everything checked here is checked by the same
//! `signalcraft_core::host` functions the CLI and the Python binding use, so errors read the
//! same in every language.

use napi::Either;
use napi::bindgen_prelude::Buffer;
use serde_json::Value;
use signalcraft_core::{Headers, Result, host};

/// A body: a `Buffer` as it is, a string as UTF-8.
pub type Body = Either<Buffer, String>;

/// The body's bytes.
pub fn body_in(body: &Body) -> Vec<u8> {
    match body {
        Either::A(b) => b.to_vec(),
        Either::B(s) => s.as_bytes().to_vec(),
    }
}

/// Headers: an object of name to value, an array of `[name, value]` pairs, or nothing.
pub fn headers_in(headers: Option<&Value>) -> Result<Headers> {
    headers.map_or_else(|| Ok(Headers::new()), host::headers)
}

/// An optional RFC 3339 time.
pub fn time_in(what: &str, s: Option<&str>) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    s.map(|s| host::parse_time(what, s)).transpose()
}
