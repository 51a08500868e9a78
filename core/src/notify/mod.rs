//! Notifications: channels, one notifier per kind, and the outbox dispatcher with retries,
//! backoff, a circuit breaker and a delivery log.

pub mod channel;
pub mod dispatch;
pub mod email;
pub mod pagerduty;
pub mod webhook;

pub use channel::{BreakerPolicy, ChannelConfig, ChannelKind};
pub use dispatch::{RetryPolicy, SendOutcome};
