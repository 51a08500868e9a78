//! Integration tests of signalcraft-core: one binary, a module per area.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod accounts;
mod alertmanager;
mod am_peer;
mod auto;
mod bad_corpus;
mod batch;
mod binding_cases;
mod binding_methods;
mod common;
mod concurrency;
mod crash;
mod datadog;
mod dedup;
mod fail_open;
mod faults;
mod generic;
mod grafana;
mod http;
mod ingest;
mod lifecycle;
mod malformed;
mod metrics;
mod notify;
mod opsgenie;
mod pagerduty;
mod props;
mod queries;
mod replay;
mod routing;
mod sentry;
mod signature;
mod slack;
mod slack_delivery;
mod store;
mod webhooks;
