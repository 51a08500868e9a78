//! Checkpoints off the ingest path.
//!
//! In WAL mode every commit appends its pages to the log; a checkpoint copies them back into the
//! database file and fsyncs it. SQLite's automatic checkpoint runs inside whichever commit
//! crosses the threshold, so the caller of that `ingest` waited for two fsyncs (86 % of the
//! ingest thread's off-CPU time in the profile, benches/README.md). Here a background thread
//! with its own connection runs `PASSIVE` checkpoints (they never block the writer) whenever the
//! writer's commit hook reports the log has grown past [`BACKGROUND_AT`] pages.
//!
//! A passive checkpoint cannot rewind the log while commits keep arriving: the log restarts only
//! when a write begins after every frame was copied back, and under a steady stream of commits
//! the thread is always a few frames behind. So once the thread reports a finished pass, the
//! writer's next commit copies the few frames appended since (a small checkpoint, with small
//! fsyncs), and the write after it starts the log from the beginning. A safety valve bounds the
//! log if the thread cannot run at all: past [`INLINE_AT`] pages every commit checkpoints.

use crate::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Log pages (4 KiB each) after which the background thread is woken.
pub(crate) const BACKGROUND_AT: i32 = 2048;
/// Log pages after which the writer's own commit checkpoints.
pub(crate) const INLINE_AT: i32 = 16_384;
/// The thread also checkpoints this often when nothing woke it (a quiet engine's log drains).
const IDLE_CHECK: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
struct State {
    wanted: bool,
    stop: bool,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    /// Set by the thread when a pass copied back every frame it saw.
    caught_up: AtomicBool,
}

/// Wakes the background thread; cheap enough to call from a commit hook.
#[derive(Debug, Clone)]
pub(crate) struct Waker(Arc<Shared>);

impl Waker {
    /// Whether the thread finished a full pass since the last call.
    fn take_caught_up(&self) -> bool {
        self.0.caught_up.swap(false, Ordering::AcqRel)
    }

    pub(crate) fn wake(&self) {
        let mut st = self.0.state.lock().unwrap_or_else(PoisonError::into_inner);
        if !st.wanted {
            st.wanted = true;
            self.0.wake.notify_one();
        }
    }
}

/// The background checkpointer; stops (and joins its thread) when dropped.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a connection of its own on `path` and starts the thread.
    pub(crate) fn start(path: &Path) -> Result<(Self, Waker)> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(Error::storage("opening the checkpointer's connection"))?;
        // Never wait on a lock: a busy checkpoint is simply tried again on the next wake.
        conn.busy_timeout(Duration::ZERO)
            .map_err(Error::storage("setting the checkpointer's busy timeout"))?;
        // A connection learns the database is in WAL mode when it first reads it; until then a
        // checkpoint call answers "not in WAL mode" and does nothing.
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        })
        .map_err(Error::storage("opening the checkpointer's connection"))?;
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("signalcraft-checkpoint".into())
            .spawn({
                let shared = shared.clone();
                move || run(&conn, &shared)
            })
            .map_err(|e| Error::Internal(format!("starting the checkpoint thread: {e}")))?;
        let waker = Waker(shared.clone());
        Ok((
            Self {
                shared,
                thread: Some(thread),
            },
            waker,
        ))
    }
}

fn run(conn: &Connection, shared: &Shared) {
    loop {
        {
            let st = shared.state.lock().unwrap_or_else(PoisonError::into_inner);
            let (mut st, _) = shared
                .wake
                .wait_timeout_while(st, IDLE_CHECK, |s| !s.wanted && !s.stop)
                .unwrap_or_else(PoisonError::into_inner);
            if st.stop {
                return;
            }
            st.wanted = false;
        }
        // Busy (another checkpoint runs, or a writer holds the lock the copy needs) and I/O
        // errors are left to the next round; the writer's safety valve bounds the log meanwhile.
        if let Ok((log, copied)) =
            conn.wal_checkpoint_v2(None::<&str>, rusqlite::wal::CheckpointMode::PASSIVE)
            && log > 0
            && copied == log
        {
            shared.caught_up.store(true, Ordering::Release);
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        {
            let mut st = self
                .shared
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            st.stop = true;
            self.shared.wake.notify_one();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Installs the writer's commit hook: past [`BACKGROUND_AT`] log pages it wakes the thread, or,
/// when the thread has just caught up, copies the remaining tail itself so that the log can
/// restart; past [`INLINE_AT`] it always checkpoints. Replaces SQLite's automatic checkpoint.
pub(crate) fn install_hook(writer: &mut Connection, waker: Waker) -> Result<()> {
    writer
        .wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: i32| {
            if pages >= INLINE_AT || (pages >= BACKGROUND_AT && waker.take_caught_up()) {
                // The commit itself succeeded; a failed or busy checkpoint must not turn it into
                // an error, so the result is dropped and the next commit tries again.
                let _ = wal.checkpoint();
            } else if pages >= BACKGROUND_AT {
                waker.wake();
            }
            Ok(())
        }))
        .map_err(Error::storage("installing the commit hook"))
}
