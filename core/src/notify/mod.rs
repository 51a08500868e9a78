//! Notifications: channels, one notifier per kind (Slack, webhook, PagerDuty, email), the Slack
//! Block Kit renderer, and the outbox dispatcher's retry, backoff and breaker decisions.

pub mod channel;
pub mod dispatch;
pub mod email;
pub mod pagerduty;
pub mod slack;
pub mod slack_api;
pub mod storm;
pub mod webhook;

pub use channel::{BreakerPolicy, ChannelConfig, ChannelKind};
pub use dispatch::{RetryPolicy, SendOutcome};
