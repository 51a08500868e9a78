//! SQLite storage: one writer connection, one reader, WAL, migrations by `PRAGMA user_version`.
//! All SQL lives under this module; functions that write take a `&Transaction`.

pub(crate) mod accounts;
pub(crate) mod changes;
mod checkpoint;
pub(crate) mod events;
pub(crate) mod groups;
pub(crate) mod lifecycle;
pub(crate) mod migrations;
pub(crate) mod monitors;
pub(crate) mod outbox;
pub(crate) mod routing;
pub(crate) mod slack;
pub(crate) mod stats;
pub(crate) mod webhooks;
pub(crate) mod workspaces;

use crate::{Error, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

pub use migrations::LATEST_VERSION;

/// How long a writer waits for another process's lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The writer's page cache, as SQLite's negative `cache_size` (KiB): up to 16 MiB, allocated as
/// used. SQLite's default (2 MiB) made every batch re-read index pages that random group keys
/// spread over the file; a much larger cache (64 MiB) cost more than it saved, because every
/// commit ends with a walk over the cache's hash table (`pcache1TruncateUnsafe`, 5 % of a
/// one-alert commit at 64 MiB). benches/README.md has the figures.
const WRITER_CACHE_KIB: i64 = -16384;

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 256;

#[derive(Debug)]
pub(crate) struct Store {
    writer: Mutex<Connection>,
    reader: Option<Mutex<Connection>>,
    /// Copies the log back into the database file off the ingest path (files only).
    _checkpointer: Option<checkpoint::Checkpointer>,
}

fn configure(conn: &Connection, writer: bool) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(Error::storage("setting the busy timeout"))?;
    // rusqlite keeps 16 statements by default; one ingest alone runs more than that, and a
    // statement pushed out is parsed again on its next use.
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
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
        conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)
            .map_err(Error::storage("setting the cache size"))?;
        // Savepoint journals (one per delivery of a batch) stay in memory instead of spilling
        // to a temporary file.
        conn.pragma_update(None, "temp_store", "memory")
            .map_err(Error::storage("setting temp_store"))?;
    }
    Ok(())
}

/// Creates a missing database file private to its owner (mode 0600) before SQLite opens it:
/// SQLite would create it with the umask's mode (often world-readable), and gives its `-wal` and
/// `-shm` files the database file's mode. An existing file is left as it is; a file that cannot
/// be created here is left for SQLite to report.
fn create_private(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path);
    }
    #[cfg(not(unix))]
    let _ = path;
}

impl Store {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        create_private(path);
        let mut writer = Connection::open(path).map_err(Error::storage("opening the database"))?;
        configure(&writer, true)?;
        migrations::migrate(&mut writer)?;
        let reader = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(Error::storage("opening the database for reading"))?;
        configure(&reader, false)?;
        // Checkpoints run on a thread of their own; the writer's commits only append to the log
        // (store/checkpoint.rs). This replaces SQLite's automatic checkpoint.
        let (checkpointer, waker) = checkpoint::Checkpointer::start(path)?;
        checkpoint::install_hook(&mut writer, waker)?;
        Ok(Self {
            writer: Mutex::new(writer),
            reader: Some(Mutex::new(reader)),
            _checkpointer: Some(checkpointer),
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
            _checkpointer: None,
        })
    }

    fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves no open transaction behind (Transaction rolls
        // back on drop), so the connection is still usable.
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in one IMMEDIATE transaction; commits if it returns `Ok`, rolls back otherwise.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = Self::lock(&self.writer);
        begin(&conn, "BEGIN IMMEDIATE", "starting a write transaction")?;
        let out = f(&conn);
        match out {
            Ok(v) => {
                if let Err(e) = execute(&conn, "COMMIT", []) {
                    end(&conn);
                    return Err(Error::storage("committing")(e));
                }
                Ok(v)
            }
            Err(e) => {
                end(&conn);
                Err(e)
            }
        }
    }

    /// Runs `f` in one IMMEDIATE transaction and always rolls it back: what `f` would have
    /// written is seen by `f` alone (dry runs).
    pub(crate) fn write_rollback<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = Self::lock(&self.writer);
        begin(&conn, "BEGIN IMMEDIATE", "starting a dry-run transaction")?;
        let out = f(&conn);
        end(&conn);
        out
    }

    /// Whether the database takes a write now: a write transaction that rewrites the schema
    /// version with its own value and rolls back (a read-only file, a full disk or a held lock
    /// answers the error).
    pub(crate) fn probe_write(&self) -> Result<()> {
        self.write_rollback(|tx| {
            let v: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(Error::storage("reading the schema version"))?;
            tx.pragma_update(None, "user_version", v)
                .map_err(Error::storage("probing a write"))
        })
    }

    /// Runs `f` on the reader (or the writer, for an in-memory database), in one read transaction
    /// so that everything it reads comes from one snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = match &self.reader {
            Some(r) => Self::lock(r),
            None => Self::lock(&self.writer),
        };
        begin(&conn, "BEGIN DEFERRED", "starting a read transaction")?;
        let out = f(&conn);
        end(&conn);
        out
    }
}

/// Starts a transaction with a cached statement (rusqlite's `Transaction` parses `BEGIN` and
/// `COMMIT` anew every time: a tenth of a one-alert ingest). A connection left inside a
/// transaction by a panic in an earlier caller is rolled back first.
fn begin(conn: &Connection, sql: &str, what: &'static str) -> Result<()> {
    if !conn.is_autocommit() {
        end(conn);
    }
    execute(conn, sql, [])
        .map(|_| ())
        .map_err(Error::storage(what))
}

/// Ends the open transaction, if any, without keeping its writes (after an error SQLite may
/// already have rolled it back; a failed ROLLBACK leaves nothing to undo).
fn end(conn: &Connection) {
    if !conn.is_autocommit() {
        let _ = execute(conn, "ROLLBACK", []);
    }
}

/// `query_row` through the connection's statement cache (rusqlite's own re-parses every time).
pub(crate) fn query_row<T, P, F>(tx: &Connection, sql: &str, params: P, f: F) -> rusqlite::Result<T>
where
    P: rusqlite::Params,
    F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
{
    tx.prepare_cached(sql)?.query_row(params, f)
}

/// `execute` through the connection's statement cache.
pub(crate) fn execute<P: rusqlite::Params>(
    tx: &Connection,
    sql: &str,
    params: P,
) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
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
