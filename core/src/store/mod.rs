//! SQLite storage: one writer connection, one reader, WAL, migrations by `PRAGMA user_version`.
//! All SQL lives under this module; functions that write take a `&Transaction`.

pub(crate) mod events;
pub(crate) mod groups;
pub(crate) mod lifecycle;
pub(crate) mod migrations;
pub(crate) mod outbox;
pub(crate) mod routing;
pub(crate) mod stats;
pub(crate) mod workspaces;

use crate::{Error, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

pub use migrations::LATEST_VERSION;

/// How long a writer waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The writer's page cache, as SQLite's negative `cache_size` (KiB): up to 64 MiB, allocated as
/// used. The default 2 MiB made every batch re-read index pages that random group keys spread
/// over the whole file (benches/README.md: about a third more batched ingest).
const WRITER_CACHE_KIB: i64 = -65536;

/// WAL pages between automatic checkpoints (SQLite's default is 1000).
const WAL_AUTOCHECKPOINT_PAGES: i64 = 8192;

#[derive(Debug)]
pub(crate) struct Store {
    writer: Mutex<Connection>,
    reader: Option<Mutex<Connection>>,
}

fn configure(conn: &Connection, writer: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(Error::storage("setting the busy timeout"))?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(Error::storage("enabling foreign keys"))?;
    // The query planner stability guarantee: without it, a cached statement on a table with a
    // partial index (`WHERE status <> 'resolved'`) is re-prepared whenever a bound value
    // changes, because the planner compared that value against the index's condition. That
    // re-parse was a fifth of ingest's CPU time (benches/README.md).
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(Error::storage(
        "enabling the query planner stability guarantee",
    ))?;
    if writer {
        conn.pragma_update(None, "journal_mode", "wal")
            .map_err(Error::storage("enabling WAL"))?;
        conn.pragma_update(None, "synchronous", "normal")
            .map_err(Error::storage("setting synchronous"))?;
        // Checkpoint less often: pages rewritten by many commits are copied back once.
        conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
            .map_err(Error::storage("setting the checkpoint interval"))?;
        conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)
            .map_err(Error::storage("setting the cache size"))?;
    }
    Ok(())
}

impl Store {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let mut writer = Connection::open(path).map_err(Error::storage("opening the database"))?;
        configure(&writer, true)?;
        migrations::migrate(&mut writer)?;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(Error::storage("opening the database for reading"))?;
        configure(&reader, false)?;
        Ok(Self {
            writer: Mutex::new(writer),
            reader: Some(Mutex::new(reader)),
        })
    }

    pub(crate) fn in_memory() -> Result<Self> {
        let mut writer = Connection::open_in_memory()
            .map_err(Error::storage("opening an in-memory database"))?;
        configure(&writer, false)?;
        migrations::migrate(&mut writer)?;
        Ok(Self {
            writer: Mutex::new(writer),
            reader: None,
        })
    }

    fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no open transaction behind (Transaction rolls
        // back on drop), so the connection is still usable.
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in one IMMEDIATE transaction; commits if it returns `Ok`, rolls back otherwise.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = Self::lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::storage("starting a write transaction"))?;
        let out = f(&tx)?;
        tx.commit().map_err(Error::storage("committing"))?;
        Ok(out)
    }

    /// Runs `f` in one IMMEDIATE transaction and always rolls it back: what `f` would have
    /// written is seen by `f` alone (dry runs).
    pub(crate) fn write_rollback<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut conn = Self::lock(&self.writer);
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(Error::storage("starting a dry-run transaction"))?;
        let out = f(&tx);
        tx.rollback()
            .map_err(Error::storage("rolling back a dry run"))?;
        out
    }

    /// Runs `f` on the reader (or the writer, for an in-memory database), in one read transaction
    /// so that everything it reads comes from one snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = match &self.reader {
            Some(r) => Self::lock(r),
            None => Self::lock(&self.writer),
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(Error::storage("starting a read transaction"))?;
        let out = f(&tx)?;
        tx.finish()
            .map_err(Error::storage("ending a read transaction"))?;
        Ok(out)
    }
}

pub(crate) fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

pub(crate) fn opt_from_ms(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.map(from_ms)
}
