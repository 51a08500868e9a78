//! Storage, on SQLite (a file: one writer connection, one reader, WAL, migrations by
//! `PRAGMA user_version`) or PostgreSQL (a `postgres://` URL: one writer connection, a pool of
//! readers, several instances on one database; store/pg.rs). All SQL lives under this module;
//! its functions take a [`Conn`] (store/db.rs), inside a transaction.
//!
//! Writes that commit one delivery (`ingest`, `webhook`, a monitor's reading) go through
//! [`Store::write_grouped`]: a **group commit**, where concurrent callers' writes share one
//! transaction and one COMMIT on the writer connection, each caller answered after it. Every
//! other write is its own transaction ([`Store::write`]), committing an open group first.

pub(crate) mod accounts;
pub(crate) mod changes;
mod checkpoint;
pub(crate) mod copy;
pub(crate) mod db;
pub(crate) mod events;
pub(crate) mod groups;
pub(crate) mod lifecycle;
pub(crate) mod migrations;
pub(crate) mod monitors;
pub(crate) mod outbox;
pub(crate) mod pg;
pub(crate) mod routing;
pub(crate) mod slack;
pub(crate) mod stats;
pub(crate) mod webhooks;
pub(crate) mod workspaces;

use crate::{Error, Result};
use chrono::{DateTime, Utc};
use db::{Conn, DbResult, Params, Row};
use pg::Begin;
use prometheus_client::metrics::counter::Counter;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

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
    writer: Mutex<Writer>,
    /// Threads waiting for `writer` (group commit: a member stays in the open group, without
    /// committing, only while another writer is queued for the connection).
    queued: AtomicUsize,
    /// Callers announced by [`Store::arriving`] that have not reached the writer yet (a delivery
    /// being parsed): an open group's members also wait for them.
    coming: AtomicUsize,
    /// How long a group stays open after its BEGIN ([`GROUP_MAX_OPEN`]; longer in tests that
    /// must see a group form on a loaded machine).
    group_max_open: Duration,
    /// Whether concurrent single-delivery writes share a transaction (not in memory).
    groups: bool,
    readers: Readers,
    counters: StoreCounters,
    /// Copies the log back into the database file off the ingest path (files only).
    _checkpointer: Option<checkpoint::Checkpointer>,
}

/// Where reads run.
#[derive(Debug)]
enum Readers {
    /// On the writer (an in-memory database).
    Writer,
    /// SQLite's reader connection (WAL: reads do not wait for the writer).
    Sqlite(Mutex<Conn>),
    /// PostgreSQL's pool.
    Postgres(pg::Pool),
}

/// The one writer connection and the group commit open on it, if any.
#[derive(Debug)]
struct Writer {
    conn: Conn,
    /// How to open the writer again when PostgreSQL closed it (a server restart).
    reconnect: Option<pg::Connector>,
    /// The group commit whose transaction is open on `conn` (see [`Store::write_grouped`]).
    group: Option<Group>,
}

/// An open group commit: one IMMEDIATE transaction holding the writes of several
/// [`Store::write_grouped`] callers (its members), none of them answered before its COMMIT.
#[derive(Debug)]
struct Group {
    /// Where the members that left the lock wait for the group's fate.
    slot: Arc<Slot>,
    /// Callers whose `f` has run inside the transaction.
    members: u64,
    /// When the transaction began.
    began: Instant,
}

/// What became of a group commit, for its members waiting on the [`Slot`].
#[derive(Debug, Clone, Copy)]
enum Fate {
    /// COMMIT succeeded: every member's writes are durable.
    Committed,
    /// The whole transaction was rolled back (a member failed or panicked, or COMMIT failed):
    /// nothing of the group is stored, and each member runs again alone, in its own ordinary
    /// transaction, and answers what that gives.
    Rerun,
}

/// A group commit's rendezvous: members wait on `ready` until `fate` is set.
#[derive(Debug, Default)]
struct Slot {
    fate: Mutex<Option<Fate>>,
    ready: Condvar,
}

impl Slot {
    /// Sets the group's fate and wakes every member.
    fn settle(&self, fate: Fate) {
        *self.fate.lock().unwrap_or_else(|p| p.into_inner()) = Some(fate);
        self.ready.notify_all();
    }

    /// Waits until the group's fate is set, or until `deadline` (`None`).
    fn wait_until(&self, deadline: Instant) -> Option<Fate> {
        let mut fate = self.fate.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(f) = *fate {
                return Some(f);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            fate = self
                .ready
                .wait_timeout(fate, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }
}

/// A group commit takes at most this many members...
const GROUP_MAX_MEMBERS: u64 = 128;
/// ...and stays open at most this long after its BEGIN (a member finding it older commits).
const GROUP_MAX_OPEN: Duration = Duration::from_millis(4);

/// The writer's counters, shared with the engine's metrics (`signalcraft_store_commits_total`,
/// `signalcraft_grouped_writes_total`).
#[derive(Debug, Clone, Default)]
pub(crate) struct StoreCounters {
    /// Write transactions committed (a group commit counts once).
    pub(crate) commits: Counter,
    /// Writes committed through [`Store::write_grouped`] (one per member of a committed group).
    pub(crate) grouped: Counter,
    /// Members of a group rolled back (another member failed or panicked, or COMMIT failed) that
    /// ran again alone.
    pub(crate) reruns: Counter,
}

/// A caller announced by [`Store::arriving`], not yet at the writer.
pub(crate) struct Arrival<'a> {
    store: &'a Store,
}

impl Arrival<'_> {
    /// [`Store::write_grouped`] for the announced caller (no longer counted as coming).
    pub(crate) fn write_grouped<T>(self, f: impl FnMut(&Conn) -> Result<T>) -> Result<T> {
        let store = self.store;
        drop(self);
        store.write_grouped(f)
    }
}

impl Drop for Arrival<'_> {
    fn drop(&mut self) {
        self.store.coming.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The writer locked; if the holder panics with a group open, the whole transaction is rolled
/// back and every member told to run again alone (nobody waits forever on a dead group).
struct WriterGuard<'a>(MutexGuard<'a, Writer>);

impl Drop for WriterGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(g) = self.0.group.take()
        {
            end(&self.0.conn);
            g.slot.settle(Fate::Rerun);
        }
    }
}

impl std::ops::Deref for WriterGuard<'_> {
    type Target = Writer;
    fn deref(&self) -> &Writer {
        &self.0
    }
}

impl std::ops::DerefMut for WriterGuard<'_> {
    fn deref_mut(&mut self) -> &mut Writer {
        &mut self.0
    }
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
        Ok(Self::with(
            Conn::Sqlite(writer),
            None,
            true,
            Readers::Sqlite(Mutex::new(Conn::Sqlite(reader))),
            Some(checkpointer),
        ))
    }

    /// Opens the PostgreSQL database at `url` (creating the schema in a new database).
    pub(crate) fn open_postgres(url: &str) -> Result<Self> {
        let connector = pg::Connector::new(url)?;
        let what = "connecting to PostgreSQL";
        let writer = connector.connect().map_err(Error::storage(what))?;
        pg::migrate(&writer)?;
        Ok(Self::with(
            Conn::Postgres(writer),
            Some(connector.clone()),
            true,
            Readers::Postgres(pg::Pool::new(connector)),
            None,
        ))
    }

    fn with(
        writer: Conn,
        reconnect: Option<pg::Connector>,
        groups: bool,
        readers: Readers,
        checkpointer: Option<checkpoint::Checkpointer>,
    ) -> Self {
        Self {
            writer: Mutex::new(Writer {
                conn: writer,
                reconnect,
                group: None,
            }),
            queued: AtomicUsize::new(0),
            coming: AtomicUsize::new(0),
            group_max_open: GROUP_MAX_OPEN,
            groups,
            readers,
            counters: StoreCounters::default(),
            _checkpointer: checkpointer,
        }
    }

    pub(crate) fn in_memory() -> Result<Self> {
        let mut writer = Connection::open_in_memory()
            .map_err(Error::storage("opening an in-memory database"))?;
        configure(&writer, false)?;
        migrations::migrate(&mut writer)?;
        Ok(Self::with(
            Conn::Sqlite(writer),
            None,
            false,
            Readers::Writer,
            None,
        ))
    }

    /// The writer's counters (for the engine's metrics).
    pub(crate) fn counters(&self) -> &StoreCounters {
        &self.counters
    }

    fn lock(m: &Mutex<Conn>) -> MutexGuard<'_, Conn> {
        // A panic while holding the lock leaves no open transaction behind (the next `begin`
        // rolls back what it finds), so the connection is still usable.
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Locks the writer, counted in `queued` while waiting for it (what tells an open group's
    /// members that someone else is coming). A lock poisoned by a panic is taken over: the
    /// panicking holder's [`WriterGuard`] already rolled back any group, and `begin` rolls back
    /// any other transaction left open.
    fn lock_writer(&self) -> WriterGuard<'_> {
        self.queued.fetch_add(1, Ordering::SeqCst);
        let guard = self.writer.lock().unwrap_or_else(|p| {
            self.writer.clear_poison();
            p.into_inner()
        });
        self.queued.fetch_sub(1, Ordering::SeqCst);
        WriterGuard(guard)
    }

    /// Locks the writer for a caller that is not a group member: an open group is committed
    /// first (and its members woken with the result).
    fn lock_alone(&self) -> WriterGuard<'_> {
        let mut w = self.lock_writer();
        // a failed group commit is its members' to answer (they run again), not this caller's
        let _ = self.close_group(&mut w);
        revive(&mut w);
        w
    }

    /// COMMITs the open group, if any, and wakes its members with the result. A failed COMMIT
    /// (a deferred constraint, a full disk, an I/O error) rolls the whole group back and tells
    /// its members to run again alone: then each answers its own commit's result, and one
    /// delivery's failure is never another's. Answers the COMMIT's error.
    fn close_group(&self, w: &mut Writer) -> DbResult<()> {
        let Some(g) = w.group.take() else {
            return Ok(());
        };
        match commit(&w.conn) {
            Ok(_) => {
                self.counters.commits.inc();
                self.counters.grouped.inc_by(g.members);
                g.slot.settle(Fate::Committed);
                Ok(())
            }
            Err(e) => {
                end(&w.conn);
                g.slot.settle(Fate::Rerun);
                Err(e)
            }
        }
    }

    /// Runs `f` in one IMMEDIATE transaction; commits if it returns `Ok`, rolls back otherwise.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        let w = self.lock_alone();
        let conn = &w.conn;
        begin(conn, Begin::Write, "starting a write transaction")?;
        let out = f(conn);
        match out {
            Ok(v) => {
                if let Err(e) = commit(conn) {
                    end(conn);
                    return Err(Error::storage("committing")(e));
                }
                self.counters.commits.inc();
                Ok(v)
            }
            Err(e) => {
                end(conn);
                Err(e)
            }
        }
    }

    /// Like [`Store::write`], for a caller committing one delivery: concurrent callers share one
    /// transaction and one COMMIT — a **group commit** — and each gets its answer only after
    /// that COMMIT.
    ///
    /// The first caller to find no group open BEGINs one (IMMEDIATE) on the writer connection;
    /// each member in turn runs its `f` inside it, on the same connection, so the members'
    /// writes apply exactly as one after another. A member whose `f` succeeded then looks for
    /// another writer queued for the connection (or a caller announced by [`Store::arriving`]):
    /// if there is one and the group is under its bounds ([`GROUP_MAX_MEMBERS`],
    /// [`GROUP_MAX_OPEN`] since BEGIN), it leaves the lock and waits on the group's [`Slot`]
    /// (at most until the bound, when it commits the group itself); otherwise it COMMITs and
    /// wakes every member with the result. Any other use of the writer ([`Store::write`], [`Store::write_rollback`],
    /// [`Store::probe_write`], a read on the writer) commits an open group first.
    ///
    /// If a member's `f` fails (or panics), the whole open transaction is rolled back with a
    /// real `ROLLBACK` and every member runs `f` again alone, in its own ordinary
    /// [`Store::write`] (so a failing delivery stores nothing and the others are unaffected);
    /// a member that was alone in its group answers its error at once, as `write` does. If the
    /// COMMIT fails, nothing of the group is stored and every member likewise runs again alone
    /// (a persistent storage failure then fails each in its own commit). In-memory stores do not
    /// group (`write`).
    pub(crate) fn write_grouped<T>(&self, mut f: impl FnMut(&Conn) -> Result<T>) -> Result<T> {
        if !self.groups {
            return self.write(f);
        }
        let mut w = self.lock_writer();
        if w.group.as_ref().is_some_and(|g| {
            g.members >= GROUP_MAX_MEMBERS || g.began.elapsed() >= self.group_max_open
        }) {
            // full or old: its members are answered now, this caller starts the next group
            let _ = self.close_group(&mut w);
        }
        let slot = match &mut w.group {
            Some(g) => {
                g.members += 1;
                g.slot.clone()
            }
            None => {
                revive(&mut w);
                begin(&w.conn, Begin::Write, "starting a write transaction")?;
                let g = Group {
                    slot: Arc::default(),
                    members: 1,
                    began: Instant::now(),
                };
                let slot = g.slot.clone();
                w.group = Some(g);
                slot
            }
        };
        let out = f(&w.conn);
        let v = match out {
            // SQLite rolled the transaction back under a successful `f` (it cannot commit):
            // treated like a failure, so that every member reruns alone
            Ok(v) if !w.conn.is_autocommit() => v,
            failed => {
                let alone = w.group.as_ref().is_none_or(|g| g.members == 1);
                if let Some(g) = w.group.take() {
                    end(&w.conn);
                    g.slot.settle(Fate::Rerun);
                }
                if alone && let Err(e) = failed {
                    return Err(e);
                }
                drop(w);
                self.counters.reruns.inc();
                return self.write(f);
            }
        };
        let open = w.group.as_ref().is_some_and(|g| {
            g.members < GROUP_MAX_MEMBERS && g.began.elapsed() < self.group_max_open
        });
        let coming =
            self.queued.load(Ordering::SeqCst) > 0 || self.coming.load(Ordering::SeqCst) > 0;
        if let (true, true, Some(g)) = (open, coming, w.group.as_ref()) {
            // someone is coming: leave the commit to the group's last member
            let deadline = g.began + self.group_max_open;
            drop(w);
            return match self.await_group(&slot, deadline) {
                Fate::Committed => Ok(v),
                Fate::Rerun => {
                    self.counters.reruns.inc();
                    self.write(f)
                }
            };
        }
        let alone = w.group.as_ref().is_none_or(|g| g.members == 1);
        match self.close_group(&mut w) {
            Ok(()) => Ok(v),
            // alone in its group: the COMMIT's error is this caller's own, as in `write`
            Err(e) if alone => Err(Error::storage("committing")(e)),
            Err(_) => {
                drop(w);
                self.counters.reruns.inc();
                self.write(f)
            }
        }
    }

    /// Waits for the fate of the group whose slot is `slot`. At the group's `deadline` (a caller
    /// announced as coming never wrote, or is slow) the member commits the group itself, if it
    /// is still the open one: no member waits past the bound for someone else.
    fn await_group(&self, slot: &Arc<Slot>, deadline: Instant) -> Fate {
        if let Some(fate) = slot.wait_until(deadline) {
            return fate;
        }
        let mut w = self.lock_writer();
        if w.group.as_ref().is_some_and(|g| Arc::ptr_eq(&g.slot, slot)) {
            let _ = self.close_group(&mut w);
        }
        drop(w);
        // settled now: by this member's commit, or by whoever closed the group before
        slot.wait_until(deadline + Duration::from_secs(3600))
            .unwrap_or(Fate::Rerun)
    }

    /// Announces a caller that will soon call [`Arrival::write_grouped`] (it is verifying and
    /// parsing its delivery): until it arrives or gives up (the [`Arrival`] dropped), an open
    /// group's members wait for it rather than commit, up to the group's bounds.
    pub(crate) fn arriving(&self) -> Arrival<'_> {
        self.coming.fetch_add(1, Ordering::SeqCst);
        Arrival { store: self }
    }

    /// Runs `f` in one IMMEDIATE transaction and always rolls it back: what `f` would have
    /// written is seen by `f` alone (dry runs).
    pub(crate) fn write_rollback<T>(&self, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        let w = self.lock_alone();
        let conn = &w.conn;
        begin(conn, Begin::Write, "starting a dry-run transaction")?;
        let out = f(conn);
        end(conn);
        out
    }

    /// Whether the database takes a write now: a write transaction that rewrites the schema
    /// version with its own value and rolls back (a read-only file, a full disk or a held lock
    /// answers the error).
    pub(crate) fn probe_write(&self) -> Result<()> {
        self.write_rollback(|tx| match tx {
            Conn::Sqlite(c) => {
                let v: i64 = c
                    .query_row("PRAGMA user_version", [], |r| r.get(0))
                    .map_err(Error::storage("reading the schema version"))?;
                c.pragma_update(None, "user_version", v)
                    .map_err(Error::storage("probing a write"))
            }
            Conn::Postgres(_) => tx
                .execute(
                    "UPDATE signalcraft_schema SET version = version",
                    db::params![],
                )
                .map(|_| ())
                .map_err(Error::storage("probing a write")),
        })
    }

    /// Runs `f` on the reader (or the writer, for an in-memory database), in one read transaction
    /// so that everything it reads comes from one snapshot.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        match &self.readers {
            Readers::Sqlite(r) => read_on(&Self::lock(r), f),
            Readers::Postgres(pool) => pool.with(|c| read_on(c, f)),
            Readers::Writer => read_on(&self.lock_alone().conn, f),
        }
    }
}

/// Opens the PostgreSQL writer again if the server closed it (a restart, a dropped
/// connection); a failure leaves it closed, for the next `begin` to report.
fn revive(w: &mut Writer) {
    if let (Conn::Postgres(c), Some(connector)) = (&w.conn, &w.reconnect)
        && c.is_closed()
        && let Ok(fresh) = connector.connect()
    {
        w.conn = Conn::Postgres(fresh);
    }
}

/// Runs `f` in one read transaction on `conn`.
fn read_on<T>(conn: &Conn, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
    begin(conn, Begin::Read, "starting a read transaction")?;
    let out = f(conn);
    end(conn);
    out
}

/// Starts a transaction with a cached statement (rusqlite's `Transaction` parses `BEGIN` and
/// `COMMIT` anew every time: a tenth of a one-alert ingest). A connection left inside a
/// transaction by a panic in an earlier caller is rolled back first.
fn begin(conn: &Conn, how: Begin, what: &'static str) -> Result<()> {
    match conn {
        Conn::Sqlite(c) => {
            if !c.is_autocommit() {
                end(conn);
            }
            let sql = match how {
                Begin::Write => "BEGIN IMMEDIATE",
                Begin::Read => "BEGIN DEFERRED",
            };
            execute(conn, sql, db::params![])
                .map(|_| ())
                .map_err(Error::storage(what))
        }
        Conn::Postgres(c) => c.begin(how).map_err(Error::storage(what)),
    }
}

/// Commits the open transaction.
fn commit(conn: &Conn) -> DbResult<()> {
    match conn {
        Conn::Sqlite(_) => execute(conn, "COMMIT", db::params![]).map(|_| ()),
        Conn::Postgres(c) => c.commit(),
    }
}

/// Ends the open transaction, if any, without keeping its writes (after an error SQLite may
/// already have rolled it back; a failed ROLLBACK leaves nothing to undo).
fn end(conn: &Conn) {
    match conn {
        Conn::Sqlite(c) => {
            if !c.is_autocommit() {
                let _ = execute(conn, "ROLLBACK", db::params![]);
            }
        }
        Conn::Postgres(c) => c.rollback(),
    }
}

/// `query_row` through the connection's statement cache (rusqlite's own re-parses every time).
pub(crate) fn query_row<T, P, F>(tx: &Conn, sql: &str, params: P, f: F) -> DbResult<T>
where
    P: Params,
    F: FnOnce(&Row<'_>) -> DbResult<T>,
{
    tx.prepare_cached(sql)?.query_row(params, f)
}

/// `execute` through the connection's statement cache.
pub(crate) fn execute<P: Params>(tx: &Conn, sql: &str, params: P) -> DbResult<usize> {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::ErrorKind;

    /// A store on a fresh file, with a table of its own to write to.
    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("t.db")).unwrap();
        // however slowly the second thread comes, the group waits for it
        s.group_max_open = Duration::from_secs(60);
        s.write(|tx| {
            execute(tx, "CREATE TABLE t (v TEXT NOT NULL)", db::params![])
                .map_err(Error::storage("creating the test table"))
        })
        .unwrap();
        (dir, s)
    }

    fn insert(tx: &Conn, v: &str) -> Result<()> {
        execute(tx, "INSERT INTO t (v) VALUES (?1)", [v])
            .map(|_| ())
            .map_err(Error::storage("inserting"))
    }

    fn rows(s: &Store) -> Vec<String> {
        s.read(|tx| {
            let mut st = tx
                .prepare("SELECT v FROM t ORDER BY rowid")
                .map_err(Error::storage("reading"))?;
            let v: Vec<String> = st
                .query_map(db::params![], |r| r.get(0))
                .and_then(|r| r.collect())
                .map_err(Error::storage("reading"))?;
            Ok(v)
        })
        .unwrap()
    }

    /// Waits until another thread is queued for the writer (what makes a member stay in its
    /// group): the second caller is then certain to join the first one's group.
    fn until_queued(s: &Store) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while s.queued.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "nobody queued");
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_second_writer_joins_the_open_group_and_both_commit_once() {
        let (_dir, s) = store();
        let commits = s.counters.commits.get();
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            let (s, barrier) = (&s, &barrier);
            let a = scope.spawn(move || {
                s.write_grouped(|tx| {
                    insert(tx, "a")?;
                    barrier.wait(); // let the second caller come
                    until_queued(s);
                    Ok("a")
                })
            });
            barrier.wait();
            let b = scope.spawn(move || s.write_grouped(|tx| insert(tx, "b").map(|_| "b")));
            assert_eq!(a.join().unwrap().unwrap(), "a");
            assert_eq!(b.join().unwrap().unwrap(), "b");
        });
        assert_eq!(s.counters.commits.get() - commits, 1, "one COMMIT for both");
        assert_eq!(s.counters.grouped.get(), 2);
        assert_eq!(rows(&s), ["a", "b"]);
    }

    #[test]
    fn a_failing_member_rolls_the_group_back_and_the_other_reruns_alone() {
        let (_dir, s) = store();
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            let (s, barrier, runs) = (&s, &barrier, &runs);
            let a = scope.spawn(move || {
                s.write_grouped(|tx| {
                    insert(tx, "a")?;
                    if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                        barrier.wait();
                        until_queued(s);
                    }
                    Ok(())
                })
            });
            barrier.wait();
            let b = scope.spawn(move || {
                s.write_grouped(|tx| {
                    insert(tx, "b")?;
                    Err::<(), _>(Error::invalid("b", "refused"))
                })
            });
            a.join().unwrap().unwrap();
            assert_eq!(
                b.join().unwrap().unwrap_err().kind(),
                ErrorKind::InvalidInput
            );
        });
        assert_eq!(runs.load(Ordering::SeqCst), 2, "a ran again alone");
        assert_eq!(s.counters.reruns.get(), 2);
        assert_eq!(rows(&s), ["a"]);
    }

    #[test]
    fn a_panicking_member_rolls_the_group_back_and_the_other_reruns_alone() {
        let (_dir, s) = store();
        let runs = std::sync::atomic::AtomicUsize::new(0);
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            let (s, barrier, runs) = (&s, &barrier, &runs);
            let a = scope.spawn(move || {
                s.write_grouped(|tx| {
                    insert(tx, "a")?;
                    if runs.fetch_add(1, Ordering::SeqCst) == 0 {
                        barrier.wait();
                        until_queued(s);
                    }
                    Ok(())
                })
            });
            barrier.wait();
            let b = scope.spawn(move || {
                s.write_grouped(|tx| -> Result<()> {
                    insert(tx, "b")?;
                    panic!("a bug in a member");
                })
            });
            a.join().unwrap().unwrap();
            assert!(b.join().is_err(), "the panic reaches its own caller");
        });
        assert_eq!(runs.load(Ordering::SeqCst), 2, "a ran again alone");
        assert_eq!(rows(&s), ["a"]);
        // the writer is usable after the panic
        s.write(|tx| insert(tx, "c")).unwrap();
        assert_eq!(rows(&s), ["a", "c"]);
    }

    #[test]
    fn another_writer_commits_the_open_group_first() {
        let (_dir, s) = store();
        let barrier = std::sync::Barrier::new(2);
        std::thread::scope(|scope| {
            let (s, barrier) = (&s, &barrier);
            let a = scope.spawn(move || {
                s.write_grouped(|tx| {
                    insert(tx, "grouped")?;
                    barrier.wait();
                    until_queued(s);
                    Ok(())
                })
            });
            barrier.wait();
            let b = scope.spawn(move || {
                // the dry run sees the group's committed row, and its own write goes
                s.write_rollback(|tx| insert(tx, "dry"))?;
                s.write(|tx| insert(tx, "plain"))
            });
            a.join().unwrap().unwrap();
            b.join().unwrap().unwrap();
        });
        assert_eq!(rows(&s), ["grouped", "plain"]);
        assert_eq!(s.counters.grouped.get(), 1);
    }
}
