//! JavaScript values to engine types and back. Everything checked here is checked by the same
//! `signalcraft_core::host` functions the CLI and the Python binding use, so errors read the
//! same in every language.

use std::str::FromStr;

use napi::Either;
use napi::bindgen_prelude::Buffer;
use serde_json::Value;
use signalcraft_core::{Error, Headers, host};

use crate::error::{JsResult, throw};

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
pub fn headers_in(headers: Option<&Value>) -> JsResult<Headers> {
    match headers {
        None => Ok(Headers::new()),
        Some(h) => host::headers(h).map_err(throw),
    }
}

/// A JS object as `T`, read the way the CLI reads its JSON arguments.
pub fn typed_in<T: serde::de::DeserializeOwned>(what: &str, value: Value) -> JsResult<T> {
    host::from_json(what, value).map_err(throw)
}

/// A name the engine knows (a source, a role, a channel kind).
pub fn parse<T: FromStr<Err = Error>>(s: &str) -> JsResult<T> {
    T::from_str(s).map_err(throw)
}

/// An optional RFC 3339 time.
pub fn time_in(what: &str, s: Option<&str>) -> JsResult<Option<chrono::DateTime<chrono::Utc>>> {
    s.map(|s| host::parse_time(what, s))
        .transpose()
        .map_err(throw)
}
