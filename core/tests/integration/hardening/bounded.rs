//! Bounded work per request: notes, caps, retention, redaction.
