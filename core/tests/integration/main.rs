//! Integration tests of signalcraft-core: one binary, a module per area.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;
mod crash;
mod dedup;
mod ingest;
mod malformed;
mod props;
mod queries;
mod replay;
mod routing;
mod sentry;
mod signature;
mod store;
