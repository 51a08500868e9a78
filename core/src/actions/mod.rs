//! Inbound interactive actions (a button clicked in a chat app), one module per app. Pure: they
//! verify, parse and map a request to a lifecycle [`Command`](crate::lifecycle::Command).

pub mod slack;
