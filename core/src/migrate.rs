//! Moving a SQLite database to PostgreSQL (`signalcraft migrate --from sqlite:PATH --to
//! postgres://…`): every row of every table copied into an empty PostgreSQL database in one
//! transaction, verified by counts and a checksum per table before it commits (store/copy.rs).
//!
//! - The source must be at this build's schema version ([`crate::SCHEMA_VERSION`]); an older one
//!   is refused with the advice to open it once with this build (which migrates it), a newer
//!   one is refused. It is opened read-only and read from one snapshot.
//! - The target must be empty: no SignalCraft tables, or the schema with every table empty.
//! - Secrets at rest: the PostgreSQL store's key is `SIGNALCRAFT_SECRET_KEY` (or
//!   [`Migration::target_key`]); the source's is [`Migration::source_key`], else the key file
//!   beside the database, else `SIGNALCRAFT_SECRET_KEY`. When they differ, every sealed secret
//!   is opened with the source's key and sealed again with the target's.

use crate::secrets::{self, SecretBox};
use crate::store::copy::{self, Keys};
use crate::{Error, Result};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// One table copied: its rows and their checksum (equal on both sides, or nothing commits).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCopy {
    /// The table's name.
    pub table: String,
    /// Rows copied.
    pub rows: u64,
    /// blake3 (hex) over the table's columns and every row's type-tagged values in primary-key
    /// order (sealed secrets as opened when they were sealed again with another key).
    pub checksum: String,
}

/// What a migration did.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationReport {
    /// The source SQLite file.
    pub from: String,
    /// The target (without its password).
    pub to: String,
    /// The schema version of both.
    pub schema_version: i64,
    /// Every table, in the order copied (parents first).
    pub tables: Vec<TableCopy>,
    /// Rows copied in all.
    pub rows: u64,
    /// Sealed secrets met (each opened with the source's key).
    pub secrets: u64,
    /// Whether the secrets were sealed again with the target's key (the keys differ).
    pub resealed: bool,
    /// How long the migration took, schema creation and verification included (milliseconds).
    pub elapsed_ms: u64,
    /// Of which reading the source and writing the target (milliseconds).
    pub copy_ms: u64,
    /// Of which reading the target back and comparing checksums (milliseconds).
    pub verify_ms: u64,
    /// Rows per second over `elapsed_ms`.
    pub rows_per_sec: f64,
}

/// Copies the SQLite database `from` (`sqlite:PATH` or a path) into the empty PostgreSQL
/// database `to`, with the keys from the environment (see [`Migration`]).
pub fn migrate_database(from: &str, to: &str) -> Result<MigrationReport> {
    Migration::new(from, to).run()
}

/// A migration from SQLite to PostgreSQL, with its keys.
#[derive(Clone)]
pub struct Migration {
    from: String,
    to: String,
    source_key: Option<[u8; 32]>,
    target_key: Option<[u8; 32]>,
    tamper: Option<String>,
}

impl std::fmt::Debug for Migration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migration")
            .field("from", &self.from)
            .field("to", &crate::store::pg::redact_url(&self.to))
            .field("source_key", &secrets::redacted(&self.source_key))
            .field("target_key", &secrets::redacted(&self.target_key))
            .finish()
    }
}

impl Migration {
    /// From the SQLite database `from` (`sqlite:PATH` or a path) to the PostgreSQL database `to`.
    pub fn new(from: &str, to: &str) -> Self {
        Self {
            from: from.to_owned(),
            to: to.to_owned(),
            source_key: None,
            target_key: None,
            tamper: None,
        }
    }

    /// The key the source's secrets are sealed with (default: the key file beside it, else
    /// `SIGNALCRAFT_SECRET_KEY`).
    pub fn source_key(mut self, key: [u8; 32]) -> Self {
        self.source_key = Some(key);
        self
    }

    /// The key the PostgreSQL store's engines will use (default: `SIGNALCRAFT_SECRET_KEY`).
    pub fn target_key(mut self, key: [u8; 32]) -> Self {
        self.target_key = Some(key);
        self
    }

    /// For tests: SQL run inside the copy's transaction after the rows are copied and before
    /// they are verified (a row changed there must fail the verification).
    #[doc(hidden)]
    pub fn tamper_before_verify(mut self, sql: &str) -> Self {
        self.tamper = Some(sql.to_owned());
        self
    }

    /// Runs the migration; nothing is committed unless every table verifies.
    pub fn run(self) -> Result<MigrationReport> {
        if crate::store::pg::is_url(&self.from) {
            return Err(Error::invalid(
                "--from",
                "must be a SQLite database (sqlite:PATH); a PostgreSQL database is copied with \
                 PostgreSQL's own tools",
            ));
        }
        if !crate::store::pg::is_url(&self.to) {
            return Err(Error::invalid(
                "--to",
                "must be a PostgreSQL URL (postgres://user@host:port/db)",
            ));
        }
        let path = PathBuf::from(self.from.strip_prefix("sqlite:").unwrap_or(&self.from));
        let env_key = match std::env::var(secrets::KEY_ENV) {
            Ok(k) => Some(secrets::parse_key(&k)?),
            Err(_) => None,
        };
        let Some(target) = self.target_key.or(env_key) else {
            return Err(Error::invalid(
                secrets::KEY_ENV,
                "the PostgreSQL store needs the key for secrets at rest: set \
                 SIGNALCRAFT_SECRET_KEY to the key its engines will use (to keep the SQLite \
                 database's, the contents of its key file PATH.key)",
            ));
        };
        let source = match self.source_key {
            Some(k) => k,
            None => secrets::key_file_beside(&path)?
                .or(env_key)
                .unwrap_or(target),
        };
        let keys = Keys {
            source: SecretBox::new(&source),
            target: SecretBox::new(&target),
            reseal: source != target,
        };
        let started = Instant::now();
        let out = copy::copy(&path, &self.to, &keys, self.tamper.as_deref())?;
        let elapsed = started.elapsed();
        let rows: u64 = out.tables.iter().map(|t| t.rows).sum();
        Ok(MigrationReport {
            from: path.display().to_string(),
            to: crate::store::pg::redact_url(&self.to),
            schema_version: out.version,
            tables: out
                .tables
                .into_iter()
                .map(|t| TableCopy {
                    table: t.table,
                    rows: t.rows,
                    checksum: t.checksum,
                })
                .collect(),
            rows,
            secrets: out.secrets,
            resealed: keys.reseal,
            elapsed_ms: ms(elapsed),
            copy_ms: ms(out.copy),
            verify_ms: ms(out.verify),
            rows_per_sec: if elapsed.as_secs_f64() > 0.0 {
                (rows as f64 / elapsed.as_secs_f64()).round()
            } else {
                0.0
            },
        })
    }
}

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
