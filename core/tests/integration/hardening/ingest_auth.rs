//! Authenticated ingest that `auto` cannot route around, and replay defence.
