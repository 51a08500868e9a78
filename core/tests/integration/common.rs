use chrono::{DateTime, TimeDelta, Utc};
use signalcraft_core::{Engine, Headers, ManualClock, Source, Workspace};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn fixture_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixture_path(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// A fixture re-serialized as compact JSON (what Sentry actually sends), with a field changed.
pub fn compact(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(rel)).unwrap()
}

pub fn t0() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

/// What every test engine may reach: loopback only (the test's own receivers). Everything else
/// stays refused, as in production.
pub fn loopback() -> signalcraft_core::PrivateTargets {
    signalcraft_core::PrivateTargets::from_env_value("127.0.0.0/8,::1/128").unwrap()
}

/// `Engine::builder()` as tests use it: loopback targets allowed ([`loopback`]).
pub fn builder() -> signalcraft_core::EngineBuilder {
    Engine::builder().allow_private_targets(loopback())
}

// ---- the store under test ---------------------------------------------------------------------
//
// The suite runs twice (scripts/test): on SQLite files, and with SIGNALCRAFT_TEST_STORE=postgres
// on PostgreSQL, where every database a test names by a file path is a fresh PostgreSQL database
// of the cluster at SIGNALCRAFT_TEST_POSTGRES_URL (the same database for the same path, so that a
// test reopening a path reopens its database). A test of the SQLite file itself (its mode, its
// journal, a corrupted page) says so with [`sqlite_only`].

/// Whether this run puts the engines on PostgreSQL (`SIGNALCRAFT_TEST_STORE=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("SIGNALCRAFT_TEST_STORE").is_ok_and(|v| v == "postgres")
}

/// For a test of SQLite's file itself: true (and a line saying so) on the PostgreSQL run, where
/// the test then returns at once. It runs in full on the SQLite run.
pub fn sqlite_only(what: &str) -> bool {
    if on_postgres() {
        eprintln!("sqlite only ({what}): not run on the PostgreSQL store");
        return true;
    }
    false
}

/// The statement for the store under test, where the dialects differ: `sqlite`'s or `postgres`'s.
pub fn dialect<'a>(sqlite: &'a str, postgres: &'a str) -> &'a str {
    if on_postgres() { postgres } else { sqlite }
}

/// `s` as an SQL string literal (both dialects).
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The admin URL of the test cluster.
fn admin_url() -> String {
    std::env::var("SIGNALCRAFT_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "the PostgreSQL tests need SIGNALCRAFT_TEST_POSTGRES_URL, a cluster's admin URL \
             (scripts/postgres start DIR prints one; SIGNALCRAFT_SKIP_POSTGRES=1 skips them)"
        )
    })
}

/// A PostgreSQL client, made and used on a thread of its own (the `postgres` crate's blocking
/// client cannot run inside a tokio runtime, where some tests are).
pub fn pg<T: Send + 'static>(
    url: &str,
    f: impl FnOnce(&mut postgres::Client) -> T + Send + 'static,
) -> T {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
        f(&mut c)
    })
    .join()
    .unwrap()
}

/// A new, empty PostgreSQL database; its URL.
pub fn fresh_postgres() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "t{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let admin = admin_url();
    let sql = format!("CREATE DATABASE {name}");
    pg(&admin, move |c| c.batch_execute(&sql).unwrap());
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
    format!("{base}/{name}")
}

/// The database the test's engines open for the SQLite file `path`: the path itself, or on the
/// PostgreSQL run the database made for it.
pub fn database_for(path: &Path) -> String {
    if !on_postgres() {
        return path.to_string_lossy().into_owned();
    }
    static MADE: std::sync::Mutex<Option<std::collections::HashMap<PathBuf, String>>> =
        std::sync::Mutex::new(None);
    let mut made = MADE.lock().unwrap_or_else(|p| p.into_inner());
    made.get_or_insert_with(Default::default)
        .entry(path.to_path_buf())
        .or_insert_with(fresh_postgres)
        .clone()
}

/// The test key for secrets at rest on PostgreSQL (which has no key file beside the database).
pub const PG_TEST_KEY: [u8; 32] = [7; 32];

/// Puts an engine builder on the store under test.
pub trait StoreUnderTest {
    /// The SQLite file `path`, or the PostgreSQL database made for it.
    fn store(self, path: impl AsRef<Path>) -> Self;
    /// A private store: SQLite in memory, or a fresh PostgreSQL database.
    fn memory(self) -> Self;
}

impl StoreUnderTest for signalcraft_core::EngineBuilder {
    fn store(self, path: impl AsRef<Path>) -> Self {
        if on_postgres() {
            self.database(database_for(path.as_ref()))
                .secret_key(PG_TEST_KEY)
        } else {
            self.path(path.as_ref())
        }
    }

    fn memory(self) -> Self {
        if on_postgres() {
            self.database(fresh_postgres()).secret_key(PG_TEST_KEY)
        } else {
            self.in_memory()
        }
    }
}

/// A value read from the database under test.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Cell {
    pub fn int(&self) -> i64 {
        match self {
            Cell::Int(i) => *i,
            other => panic!("not an integer: {other:?}"),
        }
    }
    pub fn text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            other => panic!("not text: {other:?}"),
        }
    }
    pub fn blob(&self) -> Vec<u8> {
        match self {
            Cell::Blob(b) => b.clone(),
            other => panic!("not a blob: {other:?}"),
        }
    }
}

/// Direct access to the database under test beside the engine (to prove what was written, or to
/// break something on purpose): the SQLite file at `path`, or the PostgreSQL database made for
/// it. SQL without parameters, in the dialect both share.
pub struct Db(String);

impl Db {
    pub fn open(path: impl AsRef<Path>) -> Self {
        Db(database_for(path.as_ref()))
    }

    /// Every row `sql` answers.
    pub fn rows(&self, sql: &str) -> Vec<Vec<Cell>> {
        if on_postgres() {
            let sql = sql.to_owned();
            return pg(&self.0, move |c| {
                c.query(sql.as_str(), &[])
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
                    .iter()
                    .map(|r| (0..r.len()).map(|i| pg_cell(r, i)).collect())
                    .collect()
            });
        }
        let conn = rusqlite::Connection::open(&self.0).unwrap();
        sqlite_rows(&conn, sql)
    }

    /// The one integer `sql` answers (`SELECT COUNT(*) ...`).
    pub fn int(&self, sql: &str) -> i64 {
        self.rows(sql)[0][0].int()
    }

    /// The first column of every row, as text.
    pub fn texts(&self, sql: &str) -> Vec<String> {
        self.rows(sql).into_iter().map(|r| r[0].text()).collect()
    }

    /// Runs statements.
    pub fn execute(&self, sql: &str) {
        if on_postgres() {
            let sql = sql.to_owned();
            return pg(&self.0, move |c| {
                c.batch_execute(&sql)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            });
        }
        let conn = rusqlite::Connection::open(&self.0).unwrap();
        conn.execute_batch(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

impl Db {
    /// Runs one statement; answers the rows it changed.
    pub fn change(&self, sql: &str) -> u64 {
        if on_postgres() {
            let sql = sql.to_owned();
            return pg(&self.0, move |c| {
                c.execute(sql.as_str(), &[])
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            });
        }
        let conn = rusqlite::Connection::open(&self.0).unwrap();
        conn.execute(sql, [])
            .unwrap_or_else(|e| panic!("{sql}: {e}")) as u64
    }

    /// A trigger `name` that makes every INSERT into `table` whose row satisfies `when` (an
    /// expression over `NEW`, e.g. `NEW.title = 'poison'`, or `1 = 1`) fail with `message`, as
    /// a crash or a full disk would in the middle of the writer's transaction.
    pub fn fail_inserts(&self, name: &str, table: &str, when: &str, message: &str) {
        if on_postgres() {
            self.execute(&format!(
                "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                   IF {when} THEN RAISE EXCEPTION '{message}'; END IF;
                   RETURN NEW;
                 END $$;
                 CREATE TRIGGER {name} BEFORE INSERT ON {table}
                   FOR EACH ROW EXECUTE FUNCTION {name}();"
            ));
        } else {
            self.execute(&format!(
                "CREATE TRIGGER {name} BEFORE INSERT ON {table} WHEN {when}
                 BEGIN SELECT RAISE(ABORT, '{message}'); END;"
            ));
        }
    }

    /// Removes a trigger made by [`Db::fail_inserts`].
    pub fn drop_trigger(&self, name: &str, table: &str) {
        if on_postgres() {
            self.execute(&format!(
                "DROP TRIGGER {name} ON {table}; DROP FUNCTION {name}();"
            ));
        } else {
            self.execute(&format!("DROP TRIGGER {name}"));
        }
    }

    /// The names of the database's tables (SQLite's `sqlite_schema`, PostgreSQL's
    /// `information_schema.tables` of schema `public`), in order.
    pub fn tables(&self) -> Vec<String> {
        self.texts(dialect(
            "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
        ))
    }

    /// Every value of every row of every table, as text (blobs decoded lossily), one per line:
    /// what a reader of the database would see.
    pub fn everything(&self) -> String {
        let mut out = String::new();
        for t in self.tables() {
            for row in self.rows(&format!("SELECT * FROM \"{t}\"")) {
                for cell in row {
                    match cell {
                        Cell::Null => {}
                        Cell::Int(i) => out.push_str(&i.to_string()),
                        Cell::Real(r) => out.push_str(&r.to_string()),
                        Cell::Text(s) => out.push_str(&s),
                        Cell::Blob(b) => out.push_str(&String::from_utf8_lossy(&b)),
                    }
                    out.push('\n');
                }
            }
        }
        out
    }

    /// One connection held open (for a transaction left open across the engine's calls).
    pub fn session(&self) -> Session {
        if on_postgres() {
            let url = self.0.clone();
            let (tx, rx) = std::sync::mpsc::channel::<PgJob>();
            let (ready_tx, ready_rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let mut c = postgres::Client::connect(&url, postgres::NoTls)
                    .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
                ready_tx.send(()).unwrap();
                for job in rx {
                    job(&mut c);
                }
            });
            ready_rx.recv().expect("the session's connection failed");
            return Session::Pg(tx);
        }
        Session::Sqlite(rusqlite::Connection::open(&self.0).unwrap())
    }
}

type PgJob = Box<dyn FnOnce(&mut postgres::Client) + Send>;

/// A connection to the database under test held open: see [`Db::session`].
pub enum Session {
    Sqlite(rusqlite::Connection),
    Pg(std::sync::mpsc::Sender<PgJob>),
}

impl Session {
    fn on_pg<T: Send + 'static>(
        tx: &std::sync::mpsc::Sender<PgJob>,
        f: impl FnOnce(&mut postgres::Client) -> T + Send + 'static,
    ) -> T {
        let (back, answer) = std::sync::mpsc::channel();
        tx.send(Box::new(move |c| {
            let _ = back.send(f(c));
        }))
        .expect("the session's connection is gone");
        answer
            .recv()
            .expect("the session's statement failed (see its panic)")
    }

    /// Every row `sql` answers.
    pub fn rows(&self, sql: &str) -> Vec<Vec<Cell>> {
        match self {
            Session::Sqlite(conn) => sqlite_rows(conn, sql),
            Session::Pg(tx) => {
                let sql = sql.to_owned();
                Self::on_pg(tx, move |c| {
                    c.query(sql.as_str(), &[])
                        .unwrap_or_else(|e| panic!("{sql}: {e}"))
                        .iter()
                        .map(|r| (0..r.len()).map(|i| pg_cell(r, i)).collect())
                        .collect()
                })
            }
        }
    }

    /// The one integer `sql` answers.
    pub fn int(&self, sql: &str) -> i64 {
        self.rows(sql)[0][0].int()
    }

    /// Runs statements.
    pub fn execute(&self, sql: &str) {
        match self {
            Session::Sqlite(conn) => conn
                .execute_batch(sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}")),
            Session::Pg(tx) => {
                let sql = sql.to_owned();
                Self::on_pg(tx, move |c| {
                    c.batch_execute(&sql)
                        .unwrap_or_else(|e| panic!("{sql}: {e}"))
                })
            }
        }
    }
}

fn sqlite_rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<Cell>> {
    let mut st = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let n = st.column_count();
    st.query_map([], |r| {
        Ok((0..n)
            .map(|i| match r.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null => Cell::Null,
                rusqlite::types::ValueRef::Integer(v) => Cell::Int(v),
                rusqlite::types::ValueRef::Real(v) => Cell::Real(v),
                rusqlite::types::ValueRef::Text(v) => {
                    Cell::Text(String::from_utf8_lossy(v).into_owned())
                }
                rusqlite::types::ValueRef::Blob(v) => Cell::Blob(v.to_vec()),
            })
            .collect())
    })
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
    .collect::<rusqlite::Result<_>>()
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn pg_cell(r: &postgres::Row, i: usize) -> Cell {
    use postgres::types::Type;
    let ty = r.columns()[i].type_().clone();
    match ty {
        Type::INT8 => r.get::<_, Option<i64>>(i).map_or(Cell::Null, Cell::Int),
        Type::INT4 => r
            .get::<_, Option<i32>>(i)
            .map_or(Cell::Null, |v| Cell::Int(v.into())),
        Type::INT2 => r
            .get::<_, Option<i16>>(i)
            .map_or(Cell::Null, |v| Cell::Int(v.into())),
        Type::BOOL => r
            .get::<_, Option<bool>>(i)
            .map_or(Cell::Null, |v| Cell::Int(v.into())),
        Type::FLOAT8 => r.get::<_, Option<f64>>(i).map_or(Cell::Null, Cell::Real),
        Type::BYTEA => r
            .get::<_, Option<Vec<u8>>>(i)
            .map_or(Cell::Null, Cell::Blob),
        _ => r.get::<_, Option<String>>(i).map_or(Cell::Null, Cell::Text),
    }
}

pub struct Harness {
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub ws: Workspace,
    _dir: Option<tempfile::TempDir>,
}

impl Harness {
    /// An engine on a SQLite file in a fresh temp dir, with a manual clock at t0.
    pub fn on_disk() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signalcraft.db");
        let clock = Arc::new(ManualClock::new(t0()));
        let engine = builder().store(&path).clock(clock.clone()).build().unwrap();
        let ws = engine.create_workspace("acme").unwrap();
        Self {
            engine,
            clock,
            ws,
            _dir: Some(dir),
        }
    }

    /// Like [`Harness::on_disk`], with request bodies up to `bytes` accepted.
    pub fn on_disk_with_body_limit(bytes: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signalcraft.db");
        let clock = Arc::new(ManualClock::new(t0()));
        let engine = builder()
            .store(&path)
            .clock(clock.clone())
            .max_body_bytes(bytes)
            .build()
            .unwrap();
        let ws = engine.create_workspace("acme").unwrap();
        Self {
            engine,
            clock,
            ws,
            _dir: Some(dir),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self._dir.as_ref().unwrap().path().join("signalcraft.db")
    }

    pub fn ws(&self) -> &str {
        self.ws.id.as_str()
    }

    pub fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }

    pub fn sentry(
        &self,
        resource: &str,
        body: &[u8],
    ) -> signalcraft_core::Result<signalcraft_core::IngestOutcome> {
        let h = Headers::new().with("Sentry-Hook-Resource", resource);
        self.engine.ingest(self.ws(), Source::Sentry, &h, body)
    }

    /// Row counts of every data table (opened beside the engine), to prove what was written.
    pub fn row_counts(&self) -> Vec<(&'static str, i64)> {
        let db = Db::open(self.db_path());
        [
            "requests",
            "alert_groups",
            "alert_events",
            "group_timeline",
            "changes",
        ]
        .into_iter()
        .map(|t| (t, db.int(&format!("SELECT COUNT(*) FROM {t}"))))
        .collect()
    }
}

/// The `Sentry-Hook-Resource` each fixture was sent with (from the fixtures' README).
pub const SENTRY_FIXTURES: &[(&str, Option<&str>)] = &[
    (
        "sentry/issue_alert_triggered.docs.json",
        Some("event_alert"),
    ),
    (
        "sentry/metric_alert_resolved.docs.json",
        Some("metric_alert"),
    ),
    ("sentry/issue_created.docs.json", Some("issue")),
    ("sentry/error_created.docs.json", Some("error")),
    (
        "sentry/installation_created.docs.json",
        Some("installation"),
    ),
    ("sentry/comment_created.docs.json", Some("comment")),
    ("sentry/issue_created.zulip.json", Some("issue")),
    ("sentry/issue_resolved.zulip.json", Some("issue")),
    ("sentry/issue_assigned.zulip.json", Some("issue")),
    ("sentry/issue_ignored.zulip.json", Some("issue")),
    ("sentry/legacy_webhooks_plugin.zulip.json", None),
];

/// Parses `body` as `source` with the given options and secret, at `now`.
pub fn parse_as(
    source: Source,
    headers: &Headers,
    body: &[u8],
    options: serde_json::Value,
    secret: Option<&str>,
    now: DateTime<Utc>,
) -> signalcraft_core::Result<signalcraft_core::sources::Parsed> {
    let ws = signalcraft_core::WorkspaceId::from("ws_test");
    let config = signalcraft_core::sources::IntegrationConfig {
        secret: secret.map(str::to_string),
        max_skew_secs: None,
        options,
    };
    signalcraft_core::sources::parse(
        source,
        &signalcraft_core::sources::SourceInput {
            workspace: &ws,
            config: &config,
            options: &signalcraft_core::sources::CompiledOptions::load(source, &config.options),
            headers,
            body,
            now,
        },
    )
}

/// The alerts and notes of a parse that must give alerts.
pub fn alerts(
    parsed: signalcraft_core::sources::Parsed,
) -> (Vec<signalcraft_core::NormalizedAlert>, Vec<String>) {
    match parsed {
        signalcraft_core::sources::Parsed::Alerts { alerts, notes, .. } => (alerts, notes),
        other => panic!("expected alerts, got {other:?}"),
    }
}

/// Snapshots every fixture of a source: `(file, headers)` parsed at `now`.
pub fn snapshot_fixtures(source: Source, files: &[&str], now: DateTime<Utc>) {
    for file in files {
        let parsed = parse_as(
            source,
            &Headers::new(),
            &fixture(file),
            serde_json::Value::Null,
            None,
            now,
        )
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        let name = file
            .split('/')
            .next_back()
            .unwrap()
            .trim_end_matches(".json")
            .replace(['.', '-'], "_");
        let name = format!("{source}__{name}");
        let value = match parsed {
            signalcraft_core::sources::Parsed::Alerts {
                alerts,
                notes,
                delivery_id,
                ..
            } => serde_json::json!({"alerts": alerts, "notes": notes, "delivery_id": delivery_id}),
            signalcraft_core::sources::Parsed::Ignored { reason } => {
                serde_json::json!({"ignored": reason})
            }
        };
        insta::assert_json_snapshot!(name, value);
    }
}

/// A fixture with an edit applied, re-serialized.
pub fn edited(file: &str, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(&fixture(file)).unwrap();
    edit(&mut doc);
    doc.to_string().into_bytes()
}

impl Harness {
    /// Ingests as `source` with no headers.
    pub fn ingest(
        &self,
        source: Source,
        body: &[u8],
    ) -> signalcraft_core::Result<signalcraft_core::IngestOutcome> {
        self.engine.ingest(self.ws(), source, &Headers::new(), body)
    }

    /// Sets an integration's options (and secret).
    pub fn configure(&self, source: Source, options: serde_json::Value, secret: Option<&str>) {
        self.engine
            .set_integration(
                self.ws(),
                source,
                &signalcraft_core::IntegrationUpdate {
                    secret: secret.map(str::to_string),
                    options: Some(options),
                    ..Default::default()
                },
            )
            .unwrap();
    }

    /// Asserts `invalid_input` naming `needle`, and that nothing was stored.
    pub fn check_invalid(&self, source: Source, headers: &Headers, body: &[u8], needle: &str) {
        let err = self
            .engine
            .ingest(self.ws(), source, headers, body)
            .unwrap_err();
        assert_eq!(
            err.kind(),
            signalcraft_core::ErrorKind::InvalidInput,
            "{source}: {err}"
        );
        assert!(
            err.to_string().contains(needle),
            "{source}: expected {needle:?} in {err}"
        );
        assert!(
            self.row_counts().iter().all(|(_, n)| *n == 0),
            "{source}: {:?}",
            self.row_counts()
        );
    }
}
