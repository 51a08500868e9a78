//! Engine errors as Python exceptions.
//!
//! The exception classes live in `signalcraft/errors.py` (so that `InvalidInputError` can also
//! be a `ValueError`, and the classes pickle and document like any Python class); this module
//! only picks the class of an error's kind and fills in `kind`, `path`, `retry_after_secs` (rate
//! limits) and `__cause__`.

use std::error::Error as _;

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use signalcraft_core::{Error, ErrorKind};

/// The class name in `signalcraft.errors` of each kind.
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidInput => "InvalidInputError",
        ErrorKind::Signature => "SignatureError",
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::Storage => "StorageError",
        ErrorKind::Conflict => "ConflictError",
        ErrorKind::Forbidden => "ForbiddenError",
        ErrorKind::Unauthenticated => "UnauthenticatedError",
        ErrorKind::RateLimited => "RateLimitedError",
        ErrorKind::TooLarge => "TooLargeError",
        _ => "InternalError",
    }
}

/// The engine's error as the Python exception of its kind, with `kind`, `path`, and the
/// underlying cause (a database error, say) as `__cause__`.
pub fn raise(py: Python<'_>, e: Error) -> PyErr {
    match build(py, &e) {
        Ok(err) => err,
        // the errors module could not be imported: still say what went wrong
        Err(import) => {
            let err = PyRuntimeError::new_err(format!("{}: {e}", e.kind()));
            err.set_cause(py, Some(import));
            err
        }
    }
}

fn build(py: Python<'_>, e: &Error) -> PyResult<PyErr> {
    let class = py
        .import("signalcraft.errors")?
        .getattr(class_name(e.kind()))?;
    let value = class.call1((e.to_string(),))?;
    value.setattr("kind", e.kind().as_str())?;
    value.setattr("path", e.path())?;
    if let Some(secs) = e.retry_after_secs() {
        value.setattr("retry_after_secs", secs)?;
    }
    let err = PyErr::from_value(value);
    if let Some(source) = e.source() {
        err.set_cause(py, Some(PyRuntimeError::new_err(source.to_string())));
    }
    Ok(err)
}
