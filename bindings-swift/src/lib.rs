//! The Swift binding of `signalcraft-core` (uniffi, proc-macros): the native half of the Swift
//! package `SignalCraft` (bindings-swift/Package.swift).
//!
//! It converts types and maps errors, nothing else: every method parses its arguments with the
//! same `signalcraft_core::host` functions the CLI, the Python and the Node bindings use, makes
//! one engine call, and answers with records ([`types`]) for the main types — ingest outcomes,
//! groups, pages, workspaces — and JSON text for open-ended trees (traces, settings, stats,
//! replay reports, channel configs, accounts), shaped exactly like the CLI's JSON output. Errors
//! are one [`SignalCraftError`] enum with a case per engine error kind.

mod engine;
mod error;
mod types;

pub use engine::{BatchDelivery, DispatchReport, Engine, EngineOptions};
pub use error::SignalCraftError;
pub use types::{
    AlertGroup, Command, DryRunOutcome, GroupPage, GroupQuery, GroupSort, GroupStatus,
    IngestDecision, IngestOutcome, IngestedAlert, Outcome, Readiness, Role, RouteDecision,
    Severity, SlackInstall, SortOrder, Workspace,
};

uniffi::setup_scaffolding!("signalcraft");

/// The schema version this build writes.
#[uniffi::export]
pub fn schema_version() -> u32 {
    signalcraft_core::SCHEMA_VERSION as u32
}

/// A group query from host JSON text (`{"status": "open,acknowledged", "limit": "20", …}`, as
/// an HTTP host receives it from a query string or a body), checked exactly as the other
/// bindings check it: bad input is `InvalidInput` at `query` (an unknown field) or at the
/// field's path.
#[uniffi::export]
pub fn parse_group_query(json: String) -> Result<GroupQuery, SignalCraftError> {
    let value = signalcraft_core::host::parse_json("query", json.as_bytes())?;
    Ok(signalcraft_core::host::group_query(value)?.into())
}

/// A lifecycle command from host JSON text (`{"command": "snooze", "until": "…"}`); bad input
/// is `InvalidInput` at `command`.
#[uniffi::export]
pub fn parse_command(json: String) -> Result<Command, SignalCraftError> {
    let value = signalcraft_core::host::parse_json("command", json.as_bytes())?;
    let command: signalcraft_core::lifecycle::Command =
        signalcraft_core::host::from_json("command", value)?;
    Ok(command.into())
}

/// Request headers from host JSON text: an object of name to value, or a list of `[name,
/// value]` pairs (a repeated name keeps its first value). Bad input is `InvalidInput` at
/// `headers…`.
#[uniffi::export]
pub fn parse_headers(
    json: String,
) -> Result<std::collections::HashMap<String, String>, SignalCraftError> {
    let value = signalcraft_core::host::parse_json("headers", json.as_bytes())?;
    Ok(types::headers_out(&signalcraft_core::host::headers(
        &value,
    )?))
}

/// A role from its name (`owner`, `admin`, `member`, `viewer`); anything else is
/// `InvalidInput` at `role`.
#[uniffi::export]
pub fn parse_role(name: String) -> Result<Role, SignalCraftError> {
    Ok(signalcraft_core::host::role(&name)?.into())
}

/// Group ids from host JSON text (a request body's `ids`): a list of strings, else
/// `InvalidInput` at `ids` (or `ids[i]`).
#[uniffi::export]
pub fn parse_ids(json: String) -> Result<Vec<String>, SignalCraftError> {
    let value = signalcraft_core::host::parse_json("ids", json.as_bytes())?;
    Ok(signalcraft_core::host::ids(&value)?)
}
