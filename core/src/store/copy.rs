//! Copying a SQLite database into an empty PostgreSQL database (`signalcraft migrate`), verified
//! by counts and a checksum per table before anything is committed.
//!
//! - The source is opened read-only and read in one read transaction (one snapshot: an engine
//!   still writing to the file changes nothing the copy sees). Its schema version must be this
//!   build's [`super::LATEST_VERSION`].
//! - The target gets the store's own schema (`pg::migrate`), then everything else happens in one
//!   PostgreSQL transaction holding the store's write lock ([`pg::WRITE_LOCK`], taken by
//!   `Begin::Write`): engines starting meanwhile wait for it, and nothing half-copied is ever
//!   visible. The target must be empty (its first table holding rows is named in the refusal).
//! - Tables are copied parents first (the foreign keys SQLite declares, `pragma
//!   foreign_key_list`), every column with its value (the `seq` identities and, for the tables
//!   PostgreSQL gives a `rowid` column, SQLite's rowid), in multi-row INSERTs of at most
//!   [`CHUNK_ROWS`] rows or [`CHUNK_BYTES`] bytes (memory stays bounded whatever the size of
//!   the database). Each identity sequence is then set past the copied maximum.
//! - The configuration-version triggers must not count the copy as a change: the tables with
//!   triggers of the store's own are `ALTER TABLE … DISABLE TRIGGER USER` for the copy and
//!   enabled again before COMMIT (transactional DDL: no other session ever sees them disabled;
//!   the foreign-key triggers stay on, unlike `session_replication_role = replica`, which also
//!   needs a superuser).
//! - Verification: each table's rows are read back in primary-key order and fed to the same
//!   checksum as the source's rows were ([`Checksum`]: blake3 over type-tagged values); counts
//!   and checksums must be equal, else the transaction is rolled back.
//! - Secrets at rest: when the target's key differs from the source's, every sealed value
//!   (`enc:v1:…`, whole or inside JSON) is opened with the source's key and sealed with the
//!   target's; the checksums then compare the opened values. With one key, each sealed value is
//!   still opened once (a value that does not open is refused: the target would not work).

use super::db::{PgOut, StoreError};
use super::pg::{self, Begin, PgConn};
use crate::secrets::{PREFIX, SecretBox};
use crate::{Error, Result};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Rows per INSERT (and per FETCH when verifying), at most.
pub(crate) const CHUNK_ROWS: usize = 1000;
/// Bytes of values per INSERT, about: a chunk is sent when it holds this much.
pub(crate) const CHUNK_BYTES: usize = 8 << 20;
/// Rows of the first FETCH when verifying (before their size is known).
const FIRST_FETCH: usize = 20;
/// PostgreSQL's limit of parameters per statement.
const MAX_PARAMS: usize = 65_535;

/// The keys of the secrets at rest on each side.
pub(crate) struct Keys {
    /// What the source's secrets are sealed with.
    pub(crate) source: SecretBox,
    /// What the target's engines will open them with.
    pub(crate) target: SecretBox,
    /// Whether the two differ (every sealed value is sealed again with the target's).
    pub(crate) reseal: bool,
}

/// One table copied.
#[derive(Debug, Clone)]
pub(crate) struct Copied {
    pub(crate) table: String,
    pub(crate) rows: u64,
    pub(crate) checksum: String,
}

/// What a copy did.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Schema version on both sides.
    pub(crate) version: i64,
    /// Every table, in the order copied.
    pub(crate) tables: Vec<Copied>,
    /// Sealed secrets opened (and, with two keys, sealed again).
    pub(crate) secrets: u64,
    /// Time spent reading the source and writing the target.
    pub(crate) copy: std::time::Duration,
    /// Time spent reading the target back and comparing.
    pub(crate) verify: std::time::Duration,
}

/// A storage error about one table.
fn at<'a>(table: &'a str, context: &'static str) -> impl FnOnce(StoreError) -> Error + 'a {
    move |e| Error::Storage {
        context,
        source: StoreError::Other(format!("table {table}: {e}")),
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The checksum of a table: blake3 over a header (the table and its columns) and every row's
/// values in order, each tagged with its type: null, integer (8 bytes little-endian), real (its
/// IEEE bits), text and blob (length, then bytes). Fed the same way from rusqlite's and from
/// tokio-postgres's rows.
pub(crate) struct Checksum {
    hasher: blake3::Hasher,
    rows: u64,
}

impl Checksum {
    pub(crate) fn new(table: &str, columns: &[String]) -> Self {
        let mut c = Self {
            hasher: blake3::Hasher::new(),
            rows: 0,
        };
        c.bytes(b"signalcraft table checksum v1");
        c.bytes(table.as_bytes());
        c.hasher.update(&(columns.len() as u64).to_le_bytes());
        for col in columns {
            c.bytes(col.as_bytes());
        }
        c
    }

    fn bytes(&mut self, b: &[u8]) {
        self.hasher.update(&(b.len() as u64).to_le_bytes());
        self.hasher.update(b);
    }

    /// Feeds one value of the current row.
    pub(crate) fn value(&mut self, v: ValueRef<'_>) {
        match v {
            ValueRef::Null => {
                self.hasher.update(&[0]);
            }
            ValueRef::Integer(i) => {
                self.hasher.update(&[1]);
                self.hasher.update(&i.to_le_bytes());
            }
            ValueRef::Real(r) => {
                self.hasher.update(&[2]);
                self.hasher.update(&r.to_bits().to_le_bytes());
            }
            ValueRef::Text(t) => {
                self.hasher.update(&[3]);
                self.bytes(t);
            }
            ValueRef::Blob(b) => {
                self.hasher.update(&[4]);
                self.bytes(b);
            }
        }
    }

    /// Ends the current row.
    pub(crate) fn row(&mut self) {
        self.rows += 1;
    }

    /// Rows fed, and the checksum (hex).
    pub(crate) fn finish(&self) -> (u64, String) {
        let mut h = self.hasher.clone();
        h.update(&self.rows.to_le_bytes());
        (self.rows, h.finalize().to_hex().to_string())
    }
}

/// `text` with each sealed value (`enc:v1:` and its base64) replaced by what `f` makes of it.
fn map_sealed(text: &str, mut f: impl FnMut(&str) -> Result<String>) -> Result<(String, u64)> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut n = 0;
    while let Some(i) = rest.find(PREFIX) {
        out.push_str(&rest[..i]);
        let after = &rest[i + PREFIX.len()..];
        let len = after
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            .count();
        let token = &rest[i..i + PREFIX.len() + len];
        out.push_str(&f(token)?);
        n += 1;
        rest = &after[len..];
    }
    out.push_str(rest);
    Ok((out, n))
}

/// One table of the copy: its columns as PostgreSQL has them and where each comes from in
/// SQLite.
#[derive(Debug)]
struct Table {
    name: String,
    /// PostgreSQL's columns, in order.
    columns: Vec<String>,
    /// SQLite's expression for each (the column, or `rowid`).
    sources: Vec<String>,
    /// The key to order rows by (the primary key's columns, else `rowid`), on both sides.
    order: Vec<String>,
    /// Identity (or serial) columns, to move past the copied values.
    identities: Vec<String>,
}

fn sqlite_err<'a>(
    table: &'a str,
    context: &'static str,
) -> impl FnOnce(rusqlite::Error) -> Error + 'a {
    move |e| at(table, context)(StoreError::Sqlite(e))
}

/// The tables of the source, parents before children (by their foreign keys).
fn tables_in_order(src: &Connection) -> Result<Vec<String>> {
    let names: Vec<String> = src
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(Error::storage("listing the source's tables"))?;
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in &names {
        let ps: Vec<String> = src
            .prepare("SELECT \"table\" FROM pragma_foreign_key_list(?1)")
            .and_then(|mut s| s.query_map([t], |r| r.get(0))?.collect())
            .map_err(sqlite_err(t, "reading the source's foreign keys"))?;
        parents.insert(
            t.clone(),
            ps.into_iter()
                .filter(|p| p != t && names.contains(p))
                .collect(),
        );
    }
    let mut order = Vec::with_capacity(names.len());
    let mut done = BTreeSet::new();
    while order.len() < names.len() {
        let ready: Vec<String> = names
            .iter()
            .filter(|t| !done.contains(*t))
            .filter(|t| parents.get(*t).is_none_or(|ps| ps.is_subset(&done)))
            .cloned()
            .collect();
        if ready.is_empty() {
            let left: Vec<&String> = names.iter().filter(|t| !done.contains(*t)).collect();
            return Err(Error::Internal(format!(
                "the source's foreign keys form a cycle among {left:?}"
            )));
        }
        for t in ready {
            done.insert(t.clone());
            order.push(t);
        }
    }
    Ok(order)
}

/// Text answers of a PostgreSQL query.
fn pg_texts(
    conn: &PgConn,
    sql: &str,
    params: &[Value],
) -> std::result::Result<Vec<Vec<Option<String>>>, StoreError> {
    let rows = conn.query(sql, false, params)?;
    rows.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    let v: PgOut = r.try_get(i)?;
                    Ok(match v.0 {
                        Value::Text(s) => Some(s),
                        Value::Integer(n) => Some(n.to_string()),
                        _ => None,
                    })
                })
                .collect()
        })
        .collect()
}

/// How table `name` is copied: SQLite's columns matched to PostgreSQL's.
fn describe(src: &Connection, dst: &PgConn, name: &str) -> Result<Table> {
    let info: Vec<(String, i64)> = src
        .prepare("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid")
        .and_then(|mut s| {
            s.query_map([name], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(sqlite_err(name, "reading the source's columns"))?;
    let mut pk: Vec<(i64, String)> = info
        .iter()
        .filter(|(_, k)| *k > 0)
        .map(|(c, k)| (*k, c.clone()))
        .collect();
    pk.sort();
    let pg_cols = pg_texts(
        dst,
        "SELECT column_name::text, is_identity::text, COALESCE(column_default, '')::text \
         FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?1 \
         ORDER BY ordinal_position",
        &[Value::Text(name.to_owned())],
    )
    .map_err(at(name, "reading the target's columns"))?;
    if pg_cols.is_empty() {
        return Err(Error::Internal(format!(
            "table {name} of the source is missing from the target's schema"
        )));
    }
    let mut columns = Vec::new();
    let mut sources = Vec::new();
    let mut identities = Vec::new();
    for row in &pg_cols {
        let col = row.first().cloned().flatten().unwrap_or_default();
        let identity = row.get(1).cloned().flatten().as_deref() == Some("YES")
            || row
                .get(2)
                .cloned()
                .flatten()
                .is_some_and(|d| d.starts_with("nextval("));
        if info.iter().any(|(c, _)| *c == col) {
            sources.push(quote(&col));
        } else if col == "rowid" {
            // a PostgreSQL-only column standing for SQLite's rowid
            sources.push("rowid".into());
        } else {
            return Err(Error::Internal(format!(
                "column {name}.{col} of the target has no counterpart in the source"
            )));
        }
        if identity {
            identities.push(col.clone());
        }
        columns.push(col);
    }
    if let Some((c, _)) = info.iter().find(|(c, _)| !columns.contains(c)) {
        return Err(Error::Internal(format!(
            "column {name}.{c} of the source is missing from the target"
        )));
    }
    let order = if pk.is_empty() {
        if !columns.iter().any(|c| c == "rowid") {
            return Err(Error::Internal(format!(
                "table {name} has neither a primary key nor a rowid column to order its rows by"
            )));
        }
        vec!["rowid".to_owned()]
    } else {
        pk.into_iter().map(|(_, c)| c).collect()
    };
    Ok(Table {
        name: name.to_owned(),
        columns,
        sources,
        order,
        identities,
    })
}

/// Copies the SQLite database at `source` into the PostgreSQL database at `target`.
/// `tamper` (tests only) runs inside the transaction between the copy and its verification.
pub(crate) fn copy(
    source: &Path,
    target: &str,
    keys: &Keys,
    tamper: Option<&str>,
) -> Result<Outcome> {
    if !source.is_file() {
        return Err(Error::invalid(
            "--from",
            format!("no SQLite database at {}", source.display()),
        ));
    }
    let src = Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(Error::storage("opening the source database read-only"))?;
    src.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(Error::storage("setting the busy timeout"))?;
    // one snapshot for everything read from the source
    src.execute_batch("BEGIN DEFERRED")
        .map_err(Error::storage("starting a read transaction on the source"))?;
    let version: i64 = src
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(Error::storage("reading the source's schema version"))?;
    let latest = super::LATEST_VERSION;
    if version != latest {
        return Err(Error::Conflict(if version > latest {
            format!(
                "{} has schema version {version}, newer than this build's {latest}: migrate it \
                 with the build that wrote it (or a newer one)",
                source.display()
            )
        } else {
            format!(
                "{} has schema version {version}, older than this build's {latest}: open it once \
                 with this build (any command, e.g. `signalcraft --db {} workspace list`), which \
                 migrates it, then run migrate again",
                source.display(),
                source.display()
            )
        }));
    }
    let order = tables_in_order(&src)?;

    let connector = pg::Connector::new(target)?;
    let dst = connector
        .connect()
        .map_err(Error::storage("connecting to the target PostgreSQL"))?;
    pg::migrate(&dst)?;
    dst.begin(Begin::Write)
        .map_err(Error::storage("locking the target for the copy"))?;
    let out = copy_locked(&src, &dst, &order, keys, tamper);
    match out {
        Ok(done) => {
            dst.commit()
                .map_err(Error::storage("committing the copy"))?;
            Ok(Outcome { version, ..done })
        }
        Err(e) => {
            dst.rollback();
            Err(e)
        }
    }
}

fn copy_locked(
    src: &Connection,
    dst: &PgConn,
    order: &[String],
    keys: &Keys,
    tamper: Option<&str>,
) -> Result<Outcome> {
    let tables: Vec<Table> = order
        .iter()
        .map(|t| describe(src, dst, t))
        .collect::<Result<_>>()?;
    for t in &tables {
        let rows = dst
            .query(
                &format!("SELECT EXISTS (SELECT 1 FROM {})", quote(&t.name)),
                false,
                &[],
            )
            .map_err(at(&t.name, "checking that the target is empty"))?;
        let some: bool = rows
            .first()
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(|e| at(&t.name, "checking that the target is empty")(e.into()))?
            .unwrap_or(false);
        if some {
            return Err(Error::Conflict(format!(
                "the target database is not empty: table {} has rows (migrate copies into an \
                 empty database only)",
                t.name
            )));
        }
    }
    // the store's own triggers (configuration versions) stay off for the copy
    let triggered: Vec<String> = pg_texts(
        dst,
        "SELECT DISTINCT c.relname::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
         WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace ORDER BY 1",
        &[],
    )
    .map_err(Error::storage("listing the target's triggers"))?
    .into_iter()
    .filter_map(|r| r.into_iter().next().flatten())
    .collect();
    for t in &triggered {
        dst.batch(&format!("ALTER TABLE {} DISABLE TRIGGER USER", quote(t)))
            .map_err(at(t, "disabling the triggers for the copy"))?;
    }
    let started = std::time::Instant::now();
    let mut sums = Vec::with_capacity(tables.len());
    let mut secrets = 0;
    for t in &tables {
        let (sum, n) = copy_table(src, dst, t, keys)?;
        secrets += n;
        sums.push(sum);
    }
    for t in &triggered {
        dst.batch(&format!("ALTER TABLE {} ENABLE TRIGGER USER", quote(t)))
            .map_err(at(t, "enabling the triggers again"))?;
    }
    for t in &tables {
        for c in &t.identities {
            dst.query(
                &format!(
                    "SELECT setval(pg_get_serial_sequence(?1, ?2), \
                     COALESCE((SELECT MAX({}) FROM {}), 0) + 1, false)",
                    quote(c),
                    quote(&t.name)
                ),
                false,
                &[Value::Text(quote(&t.name)), Value::Text(c.clone())],
            )
            .map_err(at(&t.name, "moving an identity past the copied rows"))?;
        }
    }
    if let Some(sql) = tamper {
        dst.batch(sql).map_err(Error::storage(
            "running the test's change before verification",
        ))?;
    }
    let copy_time = started.elapsed();
    let started = std::time::Instant::now();
    let mut copied = Vec::with_capacity(tables.len());
    for (t, (rows, sum)) in tables.iter().zip(sums) {
        let (n, got) = target_checksum(dst, t, keys)?;
        let counted = src
            .query_row(
                &format!("SELECT COUNT(*) FROM {}", quote(&t.name)),
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(sqlite_err(&t.name, "counting the source's rows"))?;
        if n != rows || sum != got || u64::try_from(counted).ok() != Some(rows) {
            return Err(Error::Internal(format!(
                "verification failed for table {}: the source has {counted} rows (checksum {sum}), \
                 the target {n} rows (checksum {got}); nothing was committed",
                t.name
            )));
        }
        copied.push(Copied {
            table: t.name.clone(),
            rows,
            checksum: sum,
        });
    }
    Ok(Outcome {
        version: 0,
        tables: copied,
        secrets,
        copy: copy_time,
        verify: started.elapsed(),
    })
}

/// Copies one table; answers its source checksum (rows, hex) and the sealed values it met.
fn copy_table(
    src: &Connection,
    dst: &PgConn,
    t: &Table,
    keys: &Keys,
) -> Result<((u64, String), u64)> {
    let ncols = t.columns.len();
    let per_chunk = CHUNK_ROWS.min(MAX_PARAMS / ncols.max(1)).max(1);
    let insert_sql = |rows: usize| {
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES ",
            quote(&t.name),
            t.columns
                .iter()
                .map(|c| quote(c))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for r in 0..rows {
            if r > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..ncols {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("?{}", r * ncols + c + 1));
            }
            sql.push(')');
        }
        sql
    };
    let full = insert_sql(per_chunk);
    let flush = |values: &mut Vec<Value>| -> Result<()> {
        let rows = values.len() / ncols.max(1);
        if rows == 0 {
            return Ok(());
        }
        let (sql, cached) = if rows == per_chunk {
            (full.clone(), true)
        } else {
            (insert_sql(rows), false)
        };
        dst.execute(&sql, cached, values)
            .map_err(at(&t.name, "inserting rows into the target"))?;
        values.clear();
        Ok(())
    };
    let select = format!(
        "SELECT {} FROM {} ORDER BY {}",
        t.sources.join(", "),
        quote(&t.name),
        t.order
            .iter()
            .map(|c| if c == "rowid" { c.clone() } else { quote(c) })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut sum = Checksum::new(&t.name, &t.columns);
    let mut secrets = 0u64;
    let mut values: Vec<Value> = Vec::with_capacity(per_chunk * ncols);
    let mut bytes = 0usize;
    let mut stmt = src
        .prepare(&select)
        .map_err(sqlite_err(&t.name, "reading the source's rows"))?;
    let mut rows = stmt
        .query([])
        .map_err(sqlite_err(&t.name, "reading the source's rows"))?;
    while let Some(r) = rows
        .next()
        .map_err(sqlite_err(&t.name, "reading the source's rows"))?
    {
        for i in 0..ncols {
            let v = r
                .get_ref(i)
                .map_err(sqlite_err(&t.name, "reading the source's rows"))?;
            let v = match v {
                ValueRef::Text(b) => {
                    let s = std::str::from_utf8(b).map_err(|e| {
                        Error::Internal(format!(
                            "table {}, column {}: text that is not UTF-8 ({e})",
                            t.name, t.columns[i]
                        ))
                    })?;
                    if s.contains(PREFIX) {
                        let (opened, n) = map_sealed(s, |tok| keys.source.open(tok))
                            .map_err(|e| sealed_error(t, i, &e))?;
                        secrets += n;
                        if keys.reseal {
                            sum.value(ValueRef::Text(opened.as_bytes()));
                            let (sealed, _) = map_sealed(s, |tok| {
                                keys.source.open(tok).and_then(|p| keys.target.seal(&p))
                            })?;
                            Value::Text(sealed)
                        } else {
                            sum.value(v);
                            Value::Text(s.to_owned())
                        }
                    } else {
                        sum.value(v);
                        Value::Text(s.to_owned())
                    }
                }
                other => {
                    sum.value(other);
                    owned(other)
                }
            };
            bytes += match &v {
                Value::Text(s) => s.len(),
                Value::Blob(b) => b.len(),
                _ => 8,
            };
            values.push(v);
        }
        sum.row();
        if values.len() >= per_chunk * ncols || bytes >= CHUNK_BYTES {
            flush(&mut values)?;
            bytes = 0;
        }
    }
    flush(&mut values)?;
    Ok((sum.finish(), secrets))
}

fn owned(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

fn sealed_error(t: &Table, col: usize, e: &Error) -> Error {
    Error::Internal(format!(
        "table {}, column {}: a sealed secret does not open with the source's key ({e}); give \
         the key the source's engines used (the key file beside the database, or \
         SIGNALCRAFT_SECRET_KEY)",
        t.name, t.columns[col]
    ))
}

/// The target's rows of `t` read back in key order, fed to the source's checksum.
fn target_checksum(dst: &PgConn, t: &Table, keys: &Keys) -> Result<(u64, String)> {
    let cursor = format!(
        "DECLARE signalcraft_verify NO SCROLL CURSOR FOR SELECT {} FROM {} ORDER BY {}",
        t.columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", "),
        quote(&t.name),
        t.order
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    );
    dst.batch(&cursor)
        .map_err(at(&t.name, "reading the target's rows"))?;
    let mut sum = Checksum::new(&t.name, &t.columns);
    // a few rows first, then as many as fit in CHUNK_BYTES at the sizes seen (request bodies
    // run to megabytes: a thousand of them would not be bounded memory)
    let mut batch = FIRST_FETCH;
    loop {
        let rows = dst
            .query(
                &format!("FETCH FORWARD {batch} FROM signalcraft_verify"),
                false,
                &[],
            )
            .map_err(at(&t.name, "reading the target's rows"))?;
        if rows.is_empty() {
            break;
        }
        let mut bytes = 0usize;
        for r in &rows {
            for i in 0..t.columns.len() {
                let v: PgOut = r
                    .try_get(i)
                    .map_err(|e| at(&t.name, "reading the target's rows")(e.into()))?;
                bytes += match &v.0 {
                    Value::Text(s) => s.len(),
                    Value::Blob(b) => b.len(),
                    _ => 8,
                };
                match &v.0 {
                    Value::Text(s) if keys.reseal && s.contains(PREFIX) => {
                        let (opened, _) = map_sealed(s, |tok| keys.target.open(tok))?;
                        sum.value(ValueRef::Text(opened.as_bytes()));
                    }
                    other => sum.value(ValueRef::from(other)),
                }
            }
            sum.row();
        }
        let per_row = (bytes / rows.len()).max(1);
        batch = (CHUNK_BYTES / per_row).clamp(1, CHUNK_ROWS);
    }
    dst.batch("CLOSE signalcraft_verify")
        .map_err(at(&t.name, "reading the target's rows"))?;
    Ok(sum.finish())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sealed_values_are_found_whole_and_inside_json() {
        let b = SecretBox::new(&[1; 32]);
        let s = b.seal("hunter2").unwrap();
        let json = format!("{{\"token\":\"{s}\",\"n\":1}}");
        let (opened, n) = map_sealed(&json, |t| b.open(t)).unwrap();
        assert_eq!(n, 1);
        assert_eq!(opened, "{\"token\":\"hunter2\",\"n\":1}");
        let (whole, n) = map_sealed(&s, |t| b.open(t)).unwrap();
        assert_eq!((whole.as_str(), n), ("hunter2", 1));
        assert_eq!(map_sealed("plain", |_| unreachable!()).unwrap().1, 0);
    }

    #[test]
    fn checksums_tell_types_and_order_apart() {
        let cols = vec!["a".to_owned()];
        let of = |vals: &[ValueRef<'_>]| {
            let mut c = Checksum::new("t", &cols);
            for v in vals {
                c.value(*v);
                c.row();
            }
            c.finish().1
        };
        let one = of(&[ValueRef::Integer(1), ValueRef::Text(b"x")]);
        assert_eq!(one, of(&[ValueRef::Integer(1), ValueRef::Text(b"x")]));
        assert_ne!(one, of(&[ValueRef::Text(b"x"), ValueRef::Integer(1)]));
        assert_ne!(of(&[ValueRef::Text(b"1")]), of(&[ValueRef::Integer(1)]));
        assert_ne!(of(&[ValueRef::Text(b"ab")]), of(&[ValueRef::Blob(b"ab")]));
        assert_ne!(of(&[ValueRef::Real(1.0)]), of(&[ValueRef::Integer(1)]));
        assert_ne!(of(&[ValueRef::Null]), of(&[]));
    }
}
