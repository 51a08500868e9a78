//! The Node binding of `signalcraft-core`: the `signalcraft` npm package's native addon.
//!
//! It converts types and maps errors, nothing else: every method parses its arguments with the
//! same `signalcraft_core::host` functions the CLI and the Python binding use, makes one engine
//! call, and gives back the engine's answer as plain objects shaped like the CLI's JSON output.
//! Errors are `Error`s with a stable `code` (see `error.rs`).

mod engine;
mod error;
mod types;

use napi_derive::napi;

/// The schema version this build writes.
#[napi]
pub const SCHEMA_VERSION: u32 = signalcraft_core::SCHEMA_VERSION as u32;
