//! Notification storm control and fair, bounded delivery.
