//! Outbound notifications. Each channel renders in its own module (`notify/<channel>.rs`); the
//! dispatcher and the other channels join here.

pub mod slack;
