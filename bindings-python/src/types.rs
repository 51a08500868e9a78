//! Python values to engine types and back. Everything checked here is checked by the same
//! `signalcraft_core::host` functions the CLI uses, so errors read the same in every language.

use std::str::FromStr;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use serde_json::Value;
use signalcraft_core::{Error, Headers, host};

use crate::error::raise;

/// A Python value (dict, list, str, number, bool, None) as JSON.
pub fn json_in(py: Python<'_>, what: &str, value: &Bound<'_, PyAny>) -> PyResult<Value> {
    pythonize::depythonize::<Value>(value).map_err(|e| {
        raise(
            py,
            Error::invalid(what, format!("not a JSON-like value: {e}")),
        )
    })
}

/// A Python value as `T`, read the way the CLI reads its JSON arguments.
pub fn typed_in<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    what: &str,
    value: &Bound<'_, PyAny>,
) -> PyResult<T> {
    host::from_json(what, json_in(py, what, value)?).map_err(|e| raise(py, e))
}

/// An answer as Python values (dicts, lists, str, int, float, bool, None), shaped as its JSON:
/// pythonize serializes the engine's type straight into Python objects, with no `Value` tree
/// in between (benches/README.md, "Binding answers", compares this with `json.loads`).
pub fn json_out<'py, T: serde::Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    pythonize::pythonize(py, value)
        .map_err(|e| raise(py, Error::Internal(format!("converting output: {e}"))))
}

/// A body: `bytes` as they are, `str` as UTF-8.
pub fn body_in(py: Python<'_>, body: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = body.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = body.cast::<PyString>() {
        return Ok(s.to_cow()?.as_bytes().to_vec());
    }
    Err(raise(py, Error::invalid("body", "expected bytes or str")))
}

/// Headers: a dict of name to value, a list of `(name, value)` pairs, or None.
pub fn headers_in(py: Python<'_>, headers: Option<&Bound<'_, PyAny>>) -> PyResult<Headers> {
    match headers {
        None => Ok(Headers::new()),
        Some(h) => host::headers(&json_in(py, "headers", h)?).map_err(|e| raise(py, e)),
    }
}

/// A name the engine knows (a source, a role, a channel kind).
pub fn parse<T: FromStr<Err = Error>>(py: Python<'_>, s: &str) -> PyResult<T> {
    T::from_str(s).map_err(|e| raise(py, e))
}

/// An optional RFC 3339 time.
pub fn time_in(
    py: Python<'_>,
    what: &str,
    s: Option<&str>,
) -> PyResult<Option<chrono::DateTime<chrono::Utc>>> {
    s.map(|s| host::parse_time(what, s))
        .transpose()
        .map_err(|e| raise(py, e))
}
