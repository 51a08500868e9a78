//! The store's connection to its database, SQLite or PostgreSQL, behind one narrow interface.
//!
//! Every function under `store/` takes a [`Conn`] and speaks SQL with SQLite's numbered
//! parameters (`?1`, or `?` for the next one). On SQLite the statement goes to rusqlite as it is
//! (through the connection's statement cache). On PostgreSQL it is rewritten once to `$1` form
//! ([`numbered`]) and prepared once per connection; values cross as rusqlite's [`Value`] (null,
//! integer, real, text, blob) and are converted to and from PostgreSQL's types leniently
//! ([`PgIn`], [`PgOut`]), because the PostgreSQL schema mirrors SQLite's storage classes:
//! every integer (and boolean) is `BIGINT`, reals `DOUBLE PRECISION`, text `TEXT COLLATE "C"`,
//! blobs `BYTEA` (store/pg_schema.sql).
//!
//! What stays dialect-specific is small and named where it is used: `BEGIN` (an advisory lock on
//! PostgreSQL, store/pg.rs), the schema and its version (store/migrations.rs for SQLite,
//! store/pg_schema.sql for PostgreSQL), SQLite's checkpointer, and the write probe. Everything
//! else is SQL both accept (PostgreSQL's schema adds SQLite's scalar `max`/`min` and
//! `json_valid`/`json_extract`/`json_each` as functions, so statements need no second spelling).

use super::pg::PgConn;
use rusqlite::ToSql;
pub(crate) use rusqlite::params;
use rusqlite::types::{FromSql, Value, ValueRef};
use std::fmt;

/// A database error, from either backend, or a value the store could not convert.
#[derive(Debug)]
pub enum StoreError {
    /// SQLite's error.
    Sqlite(rusqlite::Error),
    /// PostgreSQL's error (or the connection's).
    Postgres(tokio_postgres::Error),
    /// A column's value could not be converted to what the store reads it as.
    Column {
        /// The column's index in the statement's result.
        index: usize,
        /// What was wrong.
        message: String,
    },
    /// A statement returned no row where one was expected.
    NoRows,
    /// Anything else (a connection that could not be made, a lock not had in time).
    Other(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sqlite(e) => write!(f, "{e}"),
            StoreError::Postgres(e) => match e.as_db_error() {
                // the server's own message (the plain Display says only "db error")
                Some(db) => write!(f, "{}: {}", db.code().code(), db.message()),
                None => write!(f, "{e}"),
            },
            StoreError::Column { index, message } => write!(f, "column {index}: {message}"),
            StoreError::NoRows => write!(f, "the query returned no rows"),
            StoreError::Other(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Sqlite(e) => Some(e),
            StoreError::Postgres(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NoRows,
            e => StoreError::Sqlite(e),
        }
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        StoreError::Postgres(e)
    }
}

impl StoreError {
    /// A column value that does not convert (a stored enum name this build does not know...).
    pub(crate) fn column(index: usize, e: impl fmt::Display) -> Self {
        StoreError::Column {
            index,
            message: e.to_string(),
        }
    }
}

/// The store's result type for database calls.
pub(crate) type DbResult<T> = std::result::Result<T, StoreError>;

/// `.optional()`: a query's "no rows" as `None`.
pub(crate) trait OptionalExtension<T> {
    fn optional(self) -> DbResult<Option<T>>;
}

impl<T> OptionalExtension<T> for DbResult<T> {
    fn optional(self) -> DbResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(StoreError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// One connection of the store: SQLite's or PostgreSQL's.
pub(crate) enum Conn {
    Sqlite(rusqlite::Connection),
    Postgres(PgConn),
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conn::Sqlite(c) => c.fmt(f),
            Conn::Postgres(c) => c.fmt(f),
        }
    }
}

/// The values of a statement's parameters.
pub(crate) trait Params {
    /// Calls `f` with the parameters as rusqlite takes them.
    fn with_sqlite<R>(&self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R;
    /// The parameters as values (for PostgreSQL).
    fn values(&self) -> DbResult<Vec<Value>>;
}

fn value_of(p: &dyn ToSql) -> DbResult<Value> {
    use rusqlite::types::ToSqlOutput;
    Ok(match p.to_sql()? {
        ToSqlOutput::Borrowed(v) => match v {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(r) => Value::Real(r),
            ValueRef::Text(t) => Value::Text(
                std::str::from_utf8(t)
                    .map_err(|e| StoreError::Other(format!("a text parameter: {e}")))?
                    .to_owned(),
            ),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        },
        ToSqlOutput::Owned(v) => v,
        other => {
            return Err(StoreError::Other(format!(
                "a parameter of a kind PostgreSQL does not take: {other:?}"
            )));
        }
    })
}

impl Params for &[&dyn ToSql] {
    fn with_sqlite<R>(&self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(self)
    }
    fn values(&self) -> DbResult<Vec<Value>> {
        self.iter().map(|p| value_of(*p)).collect()
    }
}

impl<T: ToSql, const N: usize> Params for [T; N] {
    fn with_sqlite<R>(&self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        let refs: [&dyn ToSql; N] = std::array::from_fn(|i| &self[i] as &dyn ToSql);
        f(&refs)
    }
    fn values(&self) -> DbResult<Vec<Value>> {
        self.iter().map(|p| value_of(p)).collect()
    }
}

/// Parameters built at run time (a query assembled from filters).
pub(crate) struct ParamsFromIter(pub(crate) Vec<Value>);

/// The parameters `values`, in order.
pub(crate) fn params_from_iter(values: impl IntoIterator<Item = Value>) -> ParamsFromIter {
    ParamsFromIter(values.into_iter().collect())
}

impl Params for ParamsFromIter {
    fn with_sqlite<R>(&self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        let refs: Vec<&dyn ToSql> = self.0.iter().map(|v| v as &dyn ToSql).collect();
        f(&refs)
    }
    fn values(&self) -> DbResult<Vec<Value>> {
        Ok(self.0.clone())
    }
}

/// The index of a result column.
pub(crate) trait ColumnIndex {
    fn index(self) -> usize;
}

impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// One result row.
pub(crate) enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a tokio_postgres::Row),
}

impl Row<'_> {
    /// Column `i` as `T` (rusqlite's conversions, for both backends).
    pub(crate) fn get<I: ColumnIndex, T: FromSql>(&self, i: I) -> DbResult<T> {
        let i = i.index();
        match self {
            Row::Sqlite(r) => Ok(r.get(i)?),
            Row::Postgres(r) => {
                let v: PgOut = r.try_get(i)?;
                T::column_result(ValueRef::from(&v.0)).map_err(|e| StoreError::column(i, e))
            }
        }
    }
}

/// A statement ready to run on a connection.
pub(crate) enum Stmt<'c> {
    Sqlite(rusqlite::CachedStatement<'c>),
    Postgres {
        conn: &'c PgConn,
        sql: String,
        cached: bool,
    },
}

impl Conn {
    /// The statement `sql`, kept prepared on this connection for its next use.
    pub(crate) fn prepare_cached(&self, sql: &str) -> DbResult<Stmt<'_>> {
        match self {
            Conn::Sqlite(c) => Ok(Stmt::Sqlite(c.prepare_cached(sql)?)),
            Conn::Postgres(c) => Ok(Stmt::Postgres {
                conn: c,
                sql: sql.to_owned(),
                cached: true,
            }),
        }
    }

    /// The statement `sql`, prepared for one use (a statement assembled at run time).
    pub(crate) fn prepare(&self, sql: &str) -> DbResult<Stmt<'_>> {
        match self {
            // rusqlite's cache holds it too, bounded by its capacity
            Conn::Sqlite(c) => Ok(Stmt::Sqlite(c.prepare_cached(sql)?)),
            Conn::Postgres(c) => Ok(Stmt::Postgres {
                conn: c,
                sql: sql.to_owned(),
                cached: false,
            }),
        }
    }

    /// Runs one statement; answers how many rows it changed.
    pub(crate) fn execute(&self, sql: &str, params: impl Params) -> DbResult<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    /// Whether no transaction is open.
    pub(crate) fn is_autocommit(&self) -> bool {
        match self {
            Conn::Sqlite(c) => c.is_autocommit(),
            Conn::Postgres(c) => !c.in_transaction(),
        }
    }
}

impl Stmt<'_> {
    /// Runs the statement; answers how many rows it changed.
    pub(crate) fn execute(&mut self, params: impl Params) -> DbResult<usize> {
        match self {
            Stmt::Sqlite(s) => Ok(params.with_sqlite(|p| s.execute(p))?),
            Stmt::Postgres { conn, sql, cached } => {
                let n = conn.execute(sql, *cached, &params.values()?)?;
                Ok(usize::try_from(n).unwrap_or(usize::MAX))
            }
        }
    }

    /// Runs the statement; `f` reads its first row ([`StoreError::NoRows`] when there is none).
    pub(crate) fn query_row<T>(
        &mut self,
        params: impl Params,
        f: impl FnOnce(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<T> {
        match self {
            Stmt::Sqlite(s) => params.with_sqlite(|p| {
                let mut rows = s.query(p)?;
                match rows.next()? {
                    Some(r) => f(&Row::Sqlite(r)),
                    None => Err(StoreError::NoRows),
                }
            }),
            Stmt::Postgres { conn, sql, cached } => {
                let rows = conn.query(sql, *cached, &params.values()?)?;
                match rows.first() {
                    Some(r) => f(&Row::Postgres(r)),
                    None => Err(StoreError::NoRows),
                }
            }
        }
    }

    /// Runs the statement; `f` reads each row.
    pub(crate) fn query_map<T>(
        &mut self,
        params: impl Params,
        mut f: impl FnMut(&Row<'_>) -> DbResult<T>,
    ) -> DbResult<std::vec::IntoIter<DbResult<T>>> {
        let mut out = Vec::new();
        match self {
            Stmt::Sqlite(s) => params.with_sqlite(|p| -> DbResult<()> {
                let mut rows = s.query(p)?;
                while let Some(r) = rows.next()? {
                    out.push(f(&Row::Sqlite(r)));
                }
                Ok(())
            })?,
            Stmt::Postgres { conn, sql, cached } => {
                for r in &conn.query(sql, *cached, &params.values()?)? {
                    out.push(f(&Row::Postgres(r)));
                }
            }
        }
        Ok(out.into_iter())
    }
}

/// `sql` with SQLite's parameters (`?1`, `?`) written as PostgreSQL's (`$1`). A bare `?` takes
/// the number after the largest one so far, as in SQLite. Quoted strings, quoted identifiers and
/// comments are copied as they are.
pub(crate) fn numbered(sql: &str) -> String {
    let b = sql.as_bytes();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut max = 0u32;
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'?' => {
                out.push_str(&sql[copied..i]);
                let start = i + 1;
                let mut end = start;
                while end < b.len() && b[end].is_ascii_digit() {
                    end += 1;
                }
                let n = if end > start {
                    sql[start..end].parse::<u32>().unwrap_or(0)
                } else {
                    max + 1
                };
                max = max.max(n);
                out.push('$');
                out.push_str(&n.to_string());
                i = end;
                copied = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(&sql[copied.min(sql.len())..]);
    out
}

/// A parameter on its way to PostgreSQL: the value converted to the type the server inferred
/// for it (an integer into `BIGINT`, `INTEGER` or `BOOLEAN`; text into `TEXT`, `JSON`...).
#[derive(Debug)]
pub(crate) struct PgIn<'a>(pub(crate) &'a Value);

impl tokio_postgres::types::ToSql for PgIn<'_> {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        use tokio_postgres::types::{IsNull, Type};
        fn put<T: tokio_postgres::types::ToSql>(
            v: T,
            ty: &Type,
            out: &mut bytes::BytesMut,
        ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
            v.to_sql(ty, out)
        }
        let wrong = |what: &str| -> Box<dyn std::error::Error + Sync + Send> {
            format!("{what} cannot be sent as PostgreSQL type {ty}").into()
        };
        match self.0 {
            Value::Null => return Ok(IsNull::Yes),
            Value::Integer(i) => match *ty {
                Type::INT8 => put(i, ty, out)?,
                Type::INT4 => put(
                    i32::try_from(*i).map_err(|_| wrong("an integer over 32 bits"))?,
                    ty,
                    out,
                )?,
                Type::INT2 => put(
                    i16::try_from(*i).map_err(|_| wrong("an integer over 16 bits"))?,
                    ty,
                    out,
                )?,
                Type::BOOL => put(*i != 0, ty, out)?,
                Type::FLOAT8 => put(*i as f64, ty, out)?,
                Type::FLOAT4 => put(*i as f32, ty, out)?,
                Type::TEXT | Type::VARCHAR | Type::UNKNOWN => put(i.to_string(), &Type::TEXT, out)?,
                _ => return Err(wrong("an integer")),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => put(f, ty, out)?,
                Type::FLOAT4 => put(*f as f32, ty, out)?,
                Type::TEXT | Type::VARCHAR | Type::UNKNOWN => put(f.to_string(), &Type::TEXT, out)?,
                _ => return Err(wrong("a real")),
            },
            Value::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    put(s.as_str(), &Type::TEXT, out)?
                }
                Type::JSON => put(s.as_str(), &Type::TEXT, out)?,
                Type::JSONB => {
                    out.extend_from_slice(&[1]);
                    out.extend_from_slice(s.as_bytes());
                    IsNull::No
                }
                _ => return Err(wrong("text")),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => put(b.as_slice(), ty, out)?,
                _ => return Err(wrong("a blob")),
            },
        };
        Ok(IsNull::No)
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// A column on its way from PostgreSQL, as the value SQLite would have stored.
pub(crate) struct PgOut(pub(crate) Value);

impl<'a> tokio_postgres::types::FromSql<'a> for PgOut {
    fn from_sql(
        ty: &tokio_postgres::types::Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        use tokio_postgres::types::{FromSql as F, Type};
        let v = match *ty {
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::OID => Value::Integer(u32::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Integer(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::JSONB => {
                Value::Text(std::str::from_utf8(raw.get(1..).unwrap_or_default())?.to_owned())
            }
            _ => Value::Text(<&str as F>::from_sql(&Type::TEXT, raw)?.to_owned()),
        };
        Ok(PgOut(v))
    }

    fn from_sql_null(
        _: &tokio_postgres::types::Type,
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgOut(Value::Null))
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }
}

/// A `NUMERIC` in PostgreSQL's binary form (what `SUM` of a `BIGINT` answers) as an integer when
/// it is whole and fits, else a real.
fn numeric(raw: &[u8]) -> std::result::Result<Value, Box<dyn std::error::Error + Sync + Send>> {
    let word = |i: usize| -> std::result::Result<i16, Box<dyn std::error::Error + Sync + Send>> {
        raw.get(i..i + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a truncated NUMERIC".into())
    };
    let ndigits = word(0)?.max(0) as usize;
    let weight = i32::from(word(2)?);
    let sign = word(4)? as u16;
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let mut int: i128 = 0;
    let mut real = 0f64;
    let mut whole = true;
    for k in 0..ndigits {
        let d = i128::from(word(8 + 2 * k)?);
        let exp = weight - k as i32;
        real += d as f64 * 10000f64.powi(exp);
        if exp >= 0 {
            let scale = 10000i128
                .checked_pow(exp as u32)
                .ok_or("a NUMERIC too large")?;
            int = d
                .checked_mul(scale)
                .and_then(|x| int.checked_add(x))
                .ok_or("a NUMERIC too large")?;
        } else if d != 0 {
            whole = false;
        }
    }
    let negative = sign == 0x4000;
    if whole && let Ok(i) = i64::try_from(if negative { -int } else { int }) {
        return Ok(Value::Integer(i));
    }
    Ok(Value::Real(if negative { -real } else { real }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_numbered_for_postgres() {
        assert_eq!(
            numbered("SELECT a FROM t WHERE b = ?1 AND c = ?2 OR d = ?1"),
            "SELECT a FROM t WHERE b = $1 AND c = $2 OR d = $1"
        );
        assert_eq!(
            numbered("x LIKE ? ESCAPE '\\' OR y LIKE ? AND z = '?' -- ?\n AND w = ?"),
            "x LIKE $1 ESCAPE '\\' OR y LIKE $2 AND z = '?' -- ?\n AND w = $3"
        );
        assert_eq!(numbered("a = ?3 AND b = ?"), "a = $3 AND b = $4");
        assert_eq!(numbered("\"q?\" = ?1 /* ? */"), "\"q?\" = $1 /* ? */");
    }

    #[test]
    fn numerics_decode_to_integers_when_whole() {
        // 123456789 = 1*10000^2 + 2345*10000 + 6789
        let raw = [0, 3, 0, 2, 0, 0, 0, 0, 0, 1, 9, 41, 26, 133];
        assert!(matches!(
            numeric(&raw).ok(),
            Some(Value::Integer(123_456_789))
        ));
        let neg = [0, 1, 0, 0, 0x40, 0, 0, 0, 0, 7];
        assert!(matches!(numeric(&neg).ok(), Some(Value::Integer(-7))));
        let zero = [0, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(numeric(&zero).ok(), Some(Value::Integer(0))));
        // 1.5 = 1 + 5000/10000
        let half = [0, 2, 0, 0, 0, 0, 0, 1, 0, 1, 19, 136];
        assert!(matches!(numeric(&half).ok(), Some(Value::Real(r)) if (r - 1.5).abs() < 1e-9));
    }
}
