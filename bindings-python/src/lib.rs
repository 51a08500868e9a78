//! The Python binding of `signalcraft-core`: the `signalcraft` package's native module.
//!
//! It converts types and maps errors, nothing else: every method parses its arguments with the
//! same `signalcraft_core::host` functions the CLI uses, makes one engine call with the GIL
//! released, and gives back the engine's answer as plain Python values (dicts, lists, strings,
//! numbers). Errors are exceptions of one family, `SignalCraftError` (see `error.rs`).

mod engine;
mod error;
mod types;

use pyo3::prelude::*;

/// The native module; `signalcraft/__init__.py` re-exports it.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<engine::PyEngine>()?;
    m.add("SCHEMA_VERSION", signalcraft_core::SCHEMA_VERSION)?;
    Ok(())
}
