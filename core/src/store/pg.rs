//! PostgreSQL connections: a `postgres://` URL, TLS by its `sslmode`, connections driven by a
//! runtime of the store's own, a pool of readers, the schema and its version.
//!
//! Calls are synchronous, like SQLite's: each waits on its future with
//! `futures_executor::block_on`, which (unlike a tokio runtime's `block_on`) may be called from
//! inside another runtime — the dispatcher reads and writes the store from async code. The
//! sockets themselves are driven by the store's one-thread runtime.
//!
//! **Writes across instances.** Every write transaction starts by taking one transaction-level
//! advisory lock ([`WRITE_LOCK`], `pg_advisory_xact_lock`), released by its COMMIT or ROLLBACK.
//! Writes from every instance on the database are therefore serialized exactly as SQLite
//! serializes the writes of every process on one file, and each write sees every write committed
//! before it. What the engine relies on holds across instances by that one mechanism:
//! - ingest idempotency and dedup: the delivery-id lookup and the open-group lookup by key run
//!   under the lock, so two instances never both create a group (or an event) for one key;
//! - the change feed's `seq` is taken under the lock and so grows in commit order: a stream that
//!   asks for what follows the last `seq` it saw misses nothing, whichever instance wrote it;
//! - rate limits, storm-control counters, the Slack message `ts` and `config_version` are rows
//!   read and written under the lock;
//! - every `seq` is inserted as `MAX(seq) + 1` under the lock (store/events.rs `insert_request`),
//!   so ids made from one are the same as on SQLite, whatever another instance rolled back;
//! - escalation timers and outbox rows are claimed under the lock with a lease (`lease_until`):
//!   each is claimed by one instance, and a crashed instance's claims are taken over when their
//!   lease runs out (store/outbox.rs, store/lifecycle.rs).
//!
//! Reads take no lock: each runs in one `REPEATABLE READ READ ONLY` transaction (one snapshot).
//! Each instance still groups its own concurrent writes into one transaction (group commit,
//! store/mod.rs), so the lock is taken once per group.

use super::db::{Conn, DbResult, PgIn, StoreError, numbered};
use crate::{Error, Result};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio_postgres::Statement;
use tokio_postgres::types::ToSql;

/// The advisory lock every write transaction holds (any number: the store's own).
pub(crate) const WRITE_LOCK: i64 = 0x5349_474e_414c; // "SIGNAL"

/// How long a write waits for another instance's lock (as SQLite's busy timeout).
const LOCK_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an instance starting up waits for another one's migration.
const MIGRATION_LOCK_TIMEOUT: Duration = Duration::from_secs(300);

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 512;

/// Reader connections per store.
const READERS: usize = 8;

/// The PostgreSQL schema at [`BASELINE`] (store/pg_schema.sql).
const SCHEMA: &str = include_str!("pg_schema.sql");

/// Whether `target` names a PostgreSQL database.
pub(crate) fn is_url(target: &str) -> bool {
    target.starts_with("postgres://") || target.starts_with("postgresql://")
}

/// `url` without its password (for messages and logs).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (auth, host) = match rest.split_once('@') {
        Some((a, h)) if !a.contains('/') => (a, h),
        _ => return url.to_owned(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:{}@{host}", crate::secrets::REDACTED),
        None => format!("{scheme}://{auth}@{host}"),
    }
}

/// How a connection is encrypted (`sslmode` in the URL).
#[derive(Debug, Clone)]
enum Tls {
    /// No `sslmode`, or `sslmode=disable`: plain TCP (fine on loopback).
    Off,
    /// `prefer` or `require`: encrypted, the server's certificate not verified (libpq's meaning
    /// of these modes); `prefer` falls back to plain TCP.
    Unverified { required: bool },
    /// `verify-full`: encrypted, the certificate verified against `sslrootcert` (a PEM file)
    /// and the host name.
    Verified { roots: Arc<rustls::RootCertStore> },
}

/// Where and how to connect: the URL's settings, and the runtime that drives the sockets.
#[derive(Clone)]
pub(crate) struct Connector {
    config: tokio_postgres::Config,
    tls: Tls,
    rt: Arc<tokio::runtime::Runtime>,
    shown: String,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("url", &self.shown)
            .finish()
    }
}

impl Connector {
    /// Parses `url` (`postgres://user[:password]@host[:port]/db[?sslmode=…&…]`).
    pub(crate) fn new(url: &str) -> Result<Self> {
        let shown = redact_url(url);
        let bad = |m: String| Error::invalid("database", format!("{shown}: {m}"));
        // sslmode and sslrootcert are read here (tokio-postgres knows neither verify-full nor
        // sslrootcert); the rest of the URL is tokio-postgres's to parse
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut mode = None;
        let mut root = None;
        let mut rest = Vec::new();
        for kv in query.split('&').filter(|s| !s.is_empty()) {
            match kv.split_once('=') {
                Some(("sslmode", v)) => mode = Some(v.to_owned()),
                Some(("sslrootcert", v)) => root = Some(v.to_owned()),
                _ => rest.push(kv),
            }
        }
        let plain = if rest.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        let mut config =
            tokio_postgres::Config::from_str(&plain).map_err(|e| bad(e.to_string()))?;
        let tls = match mode.as_deref() {
            None | Some("disable") => Tls::Off,
            Some("prefer") => Tls::Unverified { required: false },
            Some("require") => Tls::Unverified { required: true },
            Some("verify-full") => {
                let Some(path) = root else {
                    return Err(bad(
                        "sslmode=verify-full needs sslrootcert=PATH (the CA's PEM file)".into(),
                    ));
                };
                Tls::Verified {
                    roots: Arc::new(read_roots(&path).map_err(bad)?),
                }
            }
            Some(other) => {
                return Err(bad(format!(
                    "sslmode={other} is not supported (disable, prefer, require, verify-full)"
                )));
            }
        };
        config.ssl_mode(match tls {
            Tls::Off => tokio_postgres::config::SslMode::Disable,
            Tls::Unverified { required: false } => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        config.application_name("signalcraft");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("signalcraft-postgres")
            .enable_all()
            .build()
            .map_err(|e| Error::Internal(format!("cannot start PostgreSQL's runtime: {e}")))?;
        Ok(Self {
            config,
            tls,
            rt: Arc::new(rt),
            shown,
        })
    }

    /// Opens one connection.
    pub(crate) fn connect(&self) -> DbResult<PgConn> {
        let config = self.config.clone();
        let tls = self.tls.clone();
        let task = self.rt.spawn(async move {
            match tls {
                Tls::Off => {
                    let (client, conn) = config.connect(tokio_postgres::NoTls).await?;
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                    Ok::<_, StoreError>(client)
                }
                Tls::Unverified { .. } | Tls::Verified { .. } => {
                    let connector = rustls_connector(&tls)
                        .map_err(|e| StoreError::Other(format!("setting up TLS: {e}")))?;
                    let (client, conn) = config.connect(connector).await?;
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                    Ok(client)
                }
            }
        });
        let client = futures_executor::block_on(task)
            .map_err(|e| StoreError::Other(format!("connecting to PostgreSQL: {e}")))??;
        let conn = PgConn {
            client,
            stmts: RefCell::new(HashMap::new()),
            in_tx: Cell::new(false),
            aborted: Cell::new(false),
        };
        conn.batch(&format!(
            "SET lock_timeout = '{}ms'; SET TIME ZONE 'UTC'",
            LOCK_TIMEOUT.as_millis()
        ))?;
        Ok(conn)
    }
}

fn read_roots(path: &str) -> std::result::Result<rustls::RootCertStore, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect())
        .map_err(|e| format!("sslrootcert {path}: {e}"))?;
    for c in certs {
        roots
            .add(c)
            .map_err(|e| format!("sslrootcert {path}: {e}"))?;
    }
    Ok(roots)
}

fn rustls_connector(
    tls: &Tls,
) -> std::result::Result<tokio_postgres_rustls::MakeRustlsConnect, rustls::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let config = match tls {
        Tls::Verified { roots } => builder
            .with_root_certificates(Arc::clone(roots))
            .with_no_client_auth(),
        _ => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider)))
            .with_no_client_auth(),
    };
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// libpq's `sslmode=require`: encryption without verifying the server's certificate.
#[derive(Debug)]
struct Unverified(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// One PostgreSQL connection, with its prepared statements and its transaction state.
pub(crate) struct PgConn {
    client: tokio_postgres::Client,
    stmts: RefCell<HashMap<String, Statement>>,
    in_tx: Cell<bool>,
    /// A statement failed inside the open transaction: PostgreSQL refuses everything until a
    /// `ROLLBACK TO` a savepoint, and would answer COMMIT by rolling back.
    aborted: Cell<bool>,
}

impl std::fmt::Debug for PgConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgConn")
            .field("in_tx", &self.in_tx.get())
            .field("closed", &self.client.is_closed())
            .finish()
    }
}

/// How a transaction begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Begin {
    /// A write: serialized with every other instance's writes by [`WRITE_LOCK`].
    Write,
    /// A read: one snapshot, no lock.
    Read,
}

impl PgConn {
    fn noted<T>(&self, r: std::result::Result<T, tokio_postgres::Error>) -> DbResult<T> {
        if r.is_err() && self.in_tx.get() {
            self.aborted.set(true);
        }
        Ok(r?)
    }

    fn statement(&self, sql: &str) -> DbResult<Statement> {
        if let Some(s) = self.stmts.borrow().get(sql) {
            return Ok(s.clone());
        }
        let s = futures_executor::block_on(self.client.prepare(&numbered(sql)));
        let s = self.noted(s)?;
        let mut cache = self.stmts.borrow_mut();
        if cache.len() >= STATEMENT_CACHE {
            cache.clear();
        }
        cache.insert(sql.to_owned(), s.clone());
        Ok(s)
    }

    fn prepared(&self, sql: &str, cached: bool) -> DbResult<Statement> {
        if cached {
            self.statement(sql)
        } else {
            let s = futures_executor::block_on(self.client.prepare(&numbered(sql)));
            self.noted(s)
        }
    }

    pub(crate) fn query(
        &self,
        sql: &str,
        cached: bool,
        values: &[rusqlite::types::Value],
    ) -> DbResult<Vec<tokio_postgres::Row>> {
        let stmt = self.prepared(sql, cached)?;
        let ins: Vec<PgIn<'_>> = values.iter().map(PgIn).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = ins.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let r = futures_executor::block_on(self.client.query(&stmt, &refs));
        self.noted(r)
    }

    pub(crate) fn execute(
        &self,
        sql: &str,
        cached: bool,
        values: &[rusqlite::types::Value],
    ) -> DbResult<u64> {
        let stmt = self.prepared(sql, cached)?;
        let ins: Vec<PgIn<'_>> = values.iter().map(PgIn).collect();
        let refs: Vec<&(dyn ToSql + Sync)> = ins.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let r = futures_executor::block_on(self.client.execute(&stmt, &refs));
        let n = self.noted(r)?;
        if sql.starts_with("ROLLBACK TO") {
            // the savepoint undid the failed statement: the transaction goes on
            self.aborted.set(false);
        }
        Ok(n)
    }

    /// Runs statements without parameters.
    pub(crate) fn batch(&self, sql: &str) -> DbResult<()> {
        let r = futures_executor::block_on(self.client.batch_execute(sql));
        self.noted(r)
    }

    pub(crate) fn in_transaction(&self) -> bool {
        self.in_tx.get()
    }

    /// Whether the connection is gone (the server restarted, the network failed).
    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Begins a transaction; a write waits for [`WRITE_LOCK`] (at most [`LOCK_TIMEOUT`]).
    pub(crate) fn begin(&self, how: Begin) -> DbResult<()> {
        if self.in_tx.get() {
            self.rollback();
        }
        match how {
            Begin::Write => {
                self.batch("BEGIN")?;
                self.in_tx.set(true);
                self.aborted.set(false);
                let locked = self
                    .query(
                        "SELECT pg_advisory_xact_lock(?1)",
                        true,
                        &[WRITE_LOCK.into()],
                    )
                    .map(|_| ());
                if let Err(e) = locked {
                    self.rollback();
                    return Err(e);
                }
            }
            Begin::Read => {
                self.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")?;
                self.in_tx.set(true);
                self.aborted.set(false);
            }
        }
        Ok(())
    }

    /// Commits; a transaction that a failed statement aborted is rolled back and answers an
    /// error (PostgreSQL itself would answer such a COMMIT by rolling back, silently).
    pub(crate) fn commit(&self) -> DbResult<()> {
        if self.aborted.get() {
            self.rollback();
            return Err(StoreError::Other(
                "the transaction was aborted by an earlier error and rolled back".into(),
            ));
        }
        let r = self.batch("COMMIT");
        self.in_tx.set(false);
        self.aborted.set(false);
        r
    }

    /// Rolls back the open transaction, if any.
    pub(crate) fn rollback(&self) {
        if self.in_tx.get() {
            let _ = futures_executor::block_on(self.client.batch_execute("ROLLBACK"));
        }
        self.in_tx.set(false);
        self.aborted.set(false);
    }
}

/// Reader connections, opened as needed up to [`READERS`]; a closed one is dropped and
/// replaced on the next use.
#[derive(Debug)]
pub(crate) struct Pool {
    connector: Connector,
    /// Idle connections (each a [`Conn::Postgres`]), and how many are open in all.
    idle: Mutex<(Vec<Conn>, usize)>,
    freed: Condvar,
}

fn closed(c: &Conn) -> bool {
    matches!(c, Conn::Postgres(p) if p.is_closed())
}

impl Pool {
    pub(crate) fn new(connector: Connector) -> Self {
        Self {
            connector,
            idle: Mutex::new((Vec::new(), 0)),
            freed: Condvar::new(),
        }
    }

    /// Runs `f` on a reader connection (waiting for one when all are in use).
    pub(crate) fn with<T>(&self, f: impl FnOnce(&Conn) -> Result<T>) -> Result<T> {
        let conn = {
            let mut g = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if let Some(c) = g.0.pop() {
                    if closed(&c) {
                        g.1 -= 1;
                        continue;
                    }
                    break Some(c);
                }
                if g.1 < READERS {
                    g.1 += 1;
                    break None;
                }
                g = self.freed.wait(g).unwrap_or_else(|p| p.into_inner());
            }
        };
        let conn = match conn {
            Some(c) => c,
            None => match self.connector.connect() {
                Ok(c) => Conn::Postgres(c),
                Err(e) => {
                    let mut g = self.idle.lock().unwrap_or_else(|p| p.into_inner());
                    g.1 -= 1;
                    self.freed.notify_one();
                    return Err(Error::storage("connecting to PostgreSQL")(e));
                }
            },
        };
        // given back (or, closed, forgotten) however `f` ends, a panic included: a lost count
        // would leave the pool one connection short for good
        let lease = Lease {
            pool: self,
            conn: Some(conn),
        };
        match lease.conn.as_ref() {
            Some(c) => f(c),
            None => Err(Error::Internal(
                "a pool lease without its connection".into(),
            )),
        }
    }
}

/// A reader connection out of the [`Pool`], given back when dropped.
struct Lease<'a> {
    pool: &'a Pool,
    conn: Option<Conn>,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if let Conn::Postgres(p) = &conn {
            p.rollback();
        }
        let mut g = self.pool.idle.lock().unwrap_or_else(|p| p.into_inner());
        if closed(&conn) {
            g.1 -= 1;
        } else {
            g.0.push(conn);
        }
        self.pool.freed.notify_one();
    }
}

/// The schema version recorded in `signalcraft_schema` (0 while it has no row: a new database).
fn version(conn: &PgConn) -> DbResult<i64> {
    let rows = conn.query("SELECT version FROM signalcraft_schema", false, &[])?;
    match rows.first() {
        Some(r) => Ok(r.try_get::<_, i64>(0)?),
        None => Ok(0),
    }
}

/// The schema version store/pg_schema.sql creates: PostgreSQL support began at SQLite's step 13.
pub(crate) const BASELINE: i64 = 13;

/// PostgreSQL's steps after [`BASELINE`], in order: step `i` brings the database to version
/// `BASELINE + 1 + i`. A new step of store/migrations.rs gets its PostgreSQL spelling here, in
/// the same change (a test holds the two lists to the same length).
pub(crate) const STEPS: &[&str] = &[];

/// Brings the database to [`super::LATEST_VERSION`], in one transaction under [`WRITE_LOCK`]
/// (instances starting together migrate it once): a new database gets the baseline schema, then
/// every step after the version it has. A database of a newer schema than this build knows, or
/// of a version older than the baseline (none was ever made), is refused and left as it is.
pub(crate) fn migrate(conn: &PgConn) -> Result<()> {
    let latest = super::LATEST_VERSION;
    // another instance may be creating the schema (seconds on a busy disk): wait for it longer
    // than a write waits for the lock
    conn.batch(&format!(
        "SET lock_timeout = '{}ms'",
        MIGRATION_LOCK_TIMEOUT.as_millis()
    ))
    .map_err(Error::storage("setting the migration's lock timeout"))?;
    conn.begin(Begin::Write)
        .map_err(Error::storage("locking the database to migrate it"))?;
    let out = (|| {
        conn.batch("CREATE TABLE IF NOT EXISTS signalcraft_schema (version BIGINT NOT NULL)")
            .map_err(Error::storage("creating the schema version table"))?;
        let mut v = version(conn).map_err(Error::storage("reading the schema version"))?;
        if v > latest {
            return Err(Error::Internal(format!(
                "the database has schema version {v}, newer than this build's {latest}"
            )));
        }
        if v == latest {
            return Ok(());
        }
        if v == 0 {
            conn.batch(SCHEMA)
                .map_err(Error::storage("creating the schema"))?;
            conn.execute(
                "INSERT INTO signalcraft_schema (version) VALUES (?1)",
                false,
                &[BASELINE.into()],
            )
            .map_err(Error::storage("recording the schema version"))?;
            v = BASELINE;
        } else if v < BASELINE {
            return Err(Error::Internal(format!(
                "the database has schema version {v}, which this build cannot migrate from"
            )));
        }
        for (i, sql) in STEPS.iter().enumerate().skip((v - BASELINE) as usize) {
            conn.batch(sql)
                .map_err(Error::storage("applying a migration"))?;
            conn.execute(
                "UPDATE signalcraft_schema SET version = ?1",
                false,
                &[(BASELINE + 1 + i as i64).into()],
            )
            .map_err(Error::storage("recording the schema version"))?;
        }
        Ok(())
    })();
    let out = match out {
        Ok(()) => conn
            .commit()
            .map_err(Error::storage("committing the migration")),
        Err(e) => {
            conn.rollback();
            Err(e)
        }
    };
    conn.batch(&format!(
        "SET lock_timeout = '{}ms'",
        LOCK_TIMEOUT.as_millis()
    ))
    .map_err(Error::storage("setting the lock timeout"))?;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sqlite_step_has_a_postgres_spelling() {
        assert_eq!(
            BASELINE + STEPS.len() as i64,
            super::super::LATEST_VERSION,
            "a migration was added to store/migrations.rs without its PostgreSQL step in pg.rs"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/x?sslmode=require"),
            format!(
                "postgres://app:{}@db:5432/x?sslmode=require",
                crate::secrets::REDACTED
            )
        );
        assert_eq!(redact_url("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(redact_url("postgres://db/x"), "postgres://db/x");
    }
}
