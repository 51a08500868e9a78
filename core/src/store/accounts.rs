//! Users, memberships, sessions, API tokens, ingest keys and login failures. Secrets are stored
//! as their hashes only (`accounts::secret_hash`).

use super::db::{Conn, DbResult, OptionalExtension, Row, StoreError, params};
use super::{execute, from_ms, opt_from_ms, query_row, to_ms};
use crate::accounts::{ApiToken, IngestKeyView, Member, Membership, User};
use crate::alert::{Source, WorkspaceId};
use crate::lifecycle::Role;
use crate::{Error, Result};
use chrono::{DateTime, Utc};

/// Sessions, failures and revoked rows deleted per purge at most (work per call stays bounded).
const PURGE_BATCH: i64 = 500;

fn role(text: String) -> DbResult<Role> {
    text.parse().map_err(|e: Error| StoreError::column(0, e))
}

fn row_to_user(r: &Row<'_>) -> DbResult<User> {
    Ok(User {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        created_at: from_ms(r.get(3)?),
    })
}

// ---- users ------------------------------------------------------------------------------------

pub(crate) fn insert_user(tx: &Conn, user: &User, password_hash: &str) -> Result<()> {
    if user_by_email(tx, &user.email)?.is_some() {
        return Err(Error::Conflict(format!(
            "a user with email {:?} already exists",
            user.email
        )));
    }
    execute(
        tx,
        "INSERT INTO users (id, email, name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![user.id, user.email, user.name, password_hash, to_ms(user.created_at)],
    )
    .map_err(Error::storage("adding a user"))?;
    Ok(())
}

/// The user with this (normalized) email and their password hash.
pub(crate) fn user_by_email(tx: &Conn, email: &str) -> Result<Option<(User, String)>> {
    query_row(
        tx,
        "SELECT id, email, name, created_at, password_hash FROM users WHERE email = ?1",
        [email],
        |r| Ok((row_to_user(r)?, r.get(4)?)),
    )
    .optional()
    .map_err(Error::storage("looking up a user"))
}

pub(crate) fn user_by_id(tx: &Conn, id: &str) -> Result<Option<User>> {
    query_row(
        tx,
        "SELECT id, email, name, created_at FROM users WHERE id = ?1",
        [id],
        row_to_user,
    )
    .optional()
    .map_err(Error::storage("looking up a user"))
}

pub(crate) fn users(tx: &Conn) -> Result<Vec<User>> {
    let mut stmt = tx
        .prepare_cached("SELECT id, email, name, created_at FROM users ORDER BY email")
        .map_err(Error::storage("listing users"))?;
    let rows = stmt
        .query_map(params![], row_to_user)
        .map_err(Error::storage("listing users"))?;
    rows.collect::<DbResult<_>>()
        .map_err(Error::storage("listing users"))
}

// ---- memberships ------------------------------------------------------------------------------

pub(crate) fn set_member(
    tx: &Conn,
    ws: &WorkspaceId,
    user_id: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<()> {
    execute(
        tx,
        "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role",
        params![ws.as_str(), user_id, role.as_str(), to_ms(now)],
    )
    .map_err(Error::storage("setting a member"))?;
    Ok(())
}

pub(crate) fn remove_member(tx: &Conn, ws: &WorkspaceId, user_id: &str) -> Result<bool> {
    execute(
        tx,
        "DELETE FROM memberships WHERE workspace_id = ?1 AND user_id = ?2",
        params![ws.as_str(), user_id],
    )
    .map(|n| n > 0)
    .map_err(Error::storage("removing a member"))
}

pub(crate) fn owners(tx: &Conn, ws: &WorkspaceId) -> Result<i64> {
    query_row(
        tx,
        "SELECT COUNT(*) FROM memberships WHERE workspace_id = ?1 AND role = 'owner'",
        [ws.as_str()],
        |r| r.get(0),
    )
    .map_err(Error::storage("counting owners"))
}

pub(crate) fn member_role(tx: &Conn, ws: &WorkspaceId, user_id: &str) -> Result<Option<Role>> {
    query_row(
        tx,
        "SELECT role FROM memberships WHERE workspace_id = ?1 AND user_id = ?2",
        params![ws.as_str(), user_id],
        |r| role(r.get(0)?),
    )
    .optional()
    .map_err(Error::storage("looking up a member"))
}

pub(crate) fn members(tx: &Conn, ws: &WorkspaceId) -> Result<Vec<Member>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT m.workspace_id, u.id, u.email, u.name, m.role
             FROM memberships m JOIN users u ON u.id = m.user_id
             WHERE m.workspace_id = ?1 ORDER BY u.email",
        )
        .map_err(Error::storage("listing members"))?;
    let rows = stmt
        .query_map([ws.as_str()], |r| {
            Ok(Member {
                workspace_id: WorkspaceId(r.get(0)?),
                user_id: r.get(1)?,
                email: r.get(2)?,
                name: r.get(3)?,
                role: role(r.get(4)?)?,
            })
        })
        .map_err(Error::storage("listing members"))?;
    rows.collect::<DbResult<_>>()
        .map_err(Error::storage("listing members"))
}

pub(crate) fn memberships_of(tx: &Conn, user_id: &str) -> Result<Vec<Membership>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT w.id, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.user_id = ?1 ORDER BY w.name",
        )
        .map_err(Error::storage("listing memberships"))?;
    let rows = stmt
        .query_map([user_id], |r| {
            Ok(Membership {
                workspace_id: WorkspaceId(r.get(0)?),
                workspace: r.get(1)?,
                role: role(r.get(2)?)?,
            })
        })
        .map_err(Error::storage("listing memberships"))?;
    rows.collect::<DbResult<_>>()
        .map_err(Error::storage("listing memberships"))
}

// ---- sessions ---------------------------------------------------------------------------------

/// A stored session.
pub(crate) struct SessionRow {
    pub(crate) hash: String,
    pub(crate) user_id: String,
    pub(crate) csrf_token: String,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) revoked: bool,
}

pub(crate) fn insert_session(
    tx: &Conn,
    hash: &str,
    user_id: &str,
    csrf_token: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    execute(
        tx,
        "INSERT INTO sessions (hash, user_id, csrf_token, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![hash, user_id, csrf_token, to_ms(now), to_ms(expires_at)],
    )
    .map_err(Error::storage("creating a session"))?;
    Ok(())
}

pub(crate) fn session(tx: &Conn, hash: &str) -> Result<Option<SessionRow>> {
    query_row(
        tx,
        "SELECT hash, user_id, csrf_token, expires_at, revoked_at FROM sessions WHERE hash = ?1",
        [hash],
        |r| {
            Ok(SessionRow {
                hash: r.get(0)?,
                user_id: r.get(1)?,
                csrf_token: r.get(2)?,
                expires_at: from_ms(r.get(3)?),
                revoked: r.get::<_, Option<i64>>(4)?.is_some(),
            })
        },
    )
    .optional()
    .map_err(Error::storage("looking up a session"))
}

pub(crate) fn revoke_session(tx: &Conn, hash: &str, now: DateTime<Utc>) -> Result<()> {
    execute(
        tx,
        "UPDATE sessions SET revoked_at = ?2 WHERE hash = ?1 AND revoked_at IS NULL",
        params![hash, to_ms(now)],
    )
    .map_err(Error::storage("revoking a session"))?;
    Ok(())
}

/// Deletes (a bounded number of) sessions that ended before `now`, and login failures older
/// than `failures_before`.
pub(crate) fn purge(tx: &Conn, now: DateTime<Utc>, failures_before: DateTime<Utc>) -> Result<()> {
    execute(
        tx,
        "DELETE FROM sessions WHERE rowid IN (
             SELECT rowid FROM sessions WHERE expires_at < ?1 LIMIT ?2)",
        params![to_ms(now), PURGE_BATCH],
    )
    .map_err(Error::storage("purging sessions"))?;
    execute(
        tx,
        "DELETE FROM login_failures WHERE rowid IN (
             SELECT rowid FROM login_failures WHERE at < ?1 LIMIT ?2)",
        params![to_ms(failures_before), PURGE_BATCH],
    )
    .map_err(Error::storage("purging login failures"))?;
    Ok(())
}

// ---- login failures ---------------------------------------------------------------------------

/// The times of failed logins against (`scope`, `key`) after `since`, at most `limit`.
pub(crate) fn failures(
    tx: &Conn,
    scope: &str,
    key: &str,
    since: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<DateTime<Utc>>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT at FROM login_failures WHERE scope = ?1 AND key = ?2 AND at > ?3
             ORDER BY at DESC LIMIT ?4",
        )
        .map_err(Error::storage("reading login failures"))?;
    let rows = stmt
        .query_map(params![scope, key, to_ms(since), limit], |r| {
            Ok(from_ms(r.get(0)?))
        })
        .map_err(Error::storage("reading login failures"))?;
    rows.collect::<DbResult<_>>()
        .map_err(Error::storage("reading login failures"))
}

pub(crate) fn add_failure(tx: &Conn, scope: &str, key: &str, at: DateTime<Utc>) -> Result<()> {
    execute(
        tx,
        "INSERT INTO login_failures (scope, key, at) VALUES (?1, ?2, ?3)",
        params![scope, key, to_ms(at)],
    )
    .map_err(Error::storage("recording a failed login"))?;
    Ok(())
}

pub(crate) fn clear_failures(tx: &Conn, scope: &str, key: &str) -> Result<()> {
    execute(
        tx,
        "DELETE FROM login_failures WHERE scope = ?1 AND key = ?2",
        params![scope, key],
    )
    .map_err(Error::storage("clearing login failures"))?;
    Ok(())
}

// ---- API tokens -------------------------------------------------------------------------------

fn row_to_token(r: &Row<'_>) -> DbResult<ApiToken> {
    Ok(ApiToken {
        id: r.get(0)?,
        workspace: WorkspaceId(r.get(1)?),
        name: r.get(2)?,
        role: role(r.get(3)?)?,
        created_at: from_ms(r.get(4)?),
        last_used_at: opt_from_ms(r.get(5)?),
    })
}

pub(crate) fn insert_token(tx: &Conn, t: &ApiToken, hash: &str) -> Result<()> {
    execute(
        tx,
        "INSERT INTO api_tokens (id, workspace_id, name, role, hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            t.id,
            t.workspace.as_str(),
            t.name,
            t.role.as_str(),
            hash,
            to_ms(t.created_at)
        ],
    )
    .map_err(Error::storage("creating a token"))?;
    Ok(())
}

/// A workspace's live tokens, oldest first.
pub(crate) fn tokens(tx: &Conn, ws: &WorkspaceId) -> Result<Vec<ApiToken>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT id, workspace_id, name, role, created_at, last_used_at FROM api_tokens
             WHERE workspace_id = ?1 AND revoked_at IS NULL ORDER BY created_at, rowid",
        )
        .map_err(Error::storage("listing tokens"))?;
    let rows = stmt
        .query_map([ws.as_str()], row_to_token)
        .map_err(Error::storage("listing tokens"))?;
    rows.collect::<DbResult<_>>()
        .map_err(Error::storage("listing tokens"))
}

/// The live token with this hash, and the hash stored.
pub(crate) fn token_by_hash(tx: &Conn, hash: &str) -> Result<Option<(ApiToken, String)>> {
    query_row(
        tx,
        "SELECT id, workspace_id, name, role, created_at, last_used_at, hash FROM api_tokens
         WHERE hash = ?1 AND revoked_at IS NULL",
        [hash],
        |r| Ok((row_to_token(r)?, r.get(6)?)),
    )
    .optional()
    .map_err(Error::storage("looking up a token"))
}

pub(crate) fn revoke_token(
    tx: &Conn,
    ws: &WorkspaceId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    execute(
        tx,
        "UPDATE api_tokens SET revoked_at = ?3
         WHERE workspace_id = ?1 AND id = ?2 AND revoked_at IS NULL",
        params![ws.as_str(), id, to_ms(now)],
    )
    .map(|n| n > 0)
    .map_err(Error::storage("revoking a token"))
}

/// Sets a token's `last_used_at` when it is older than `stale_before` (at most one write a
/// minute per token).
pub(crate) fn touch_token(
    tx: &Conn,
    id: &str,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<()> {
    execute(
        tx,
        "UPDATE api_tokens SET last_used_at = ?2
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
        params![id, to_ms(now), to_ms(stale_before)],
    )
    .map_err(Error::storage("recording a token's use"))?;
    Ok(())
}

// ---- ingest keys ------------------------------------------------------------------------------

pub(crate) fn insert_key(
    tx: &Conn,
    ws: &WorkspaceId,
    source: Source,
    key: &IngestKeyView,
    hash: &str,
) -> Result<()> {
    execute(
        tx,
        "INSERT INTO ingest_keys (id, workspace_id, source, hash, prefix, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            key.id,
            ws.as_str(),
            source.as_str(),
            hash,
            key.prefix,
            to_ms(key.created_at)
        ],
    )
    .map_err(Error::storage("creating an ingest key"))?;
    Ok(())
}

/// The live keys of a workspace's source, oldest first.
pub(crate) fn keys(tx: &Conn, ws: &WorkspaceId, source: Source) -> Result<Vec<IngestKeyView>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT id, prefix, created_at, last_used_at FROM ingest_keys
             WHERE workspace_id = ?1 AND source = ?2 AND revoked_at IS NULL
             ORDER BY created_at, rowid",
        )
        .map_err(Error::storage("listing ingest keys"))?;
    let rows = stmt
        .query_map(params![ws.as_str(), source.as_str()], |r| {
            Ok(IngestKeyView {
                id: r.get(0)?,
                prefix: r.get(1)?,
                created_at: from_ms(r.get(2)?),
                last_used_at: opt_from_ms(r.get(3)?),
            })
        })
        .map_err(Error::storage("listing ingest keys"))?;
    rows.collect::<DbResult<_>>()
        .map_err(Error::storage("listing ingest keys"))
}

/// Whether a workspace's source has a live key.
pub(crate) fn has_keys(tx: &Conn, ws: &WorkspaceId, source: Source) -> Result<bool> {
    query_row(
        tx,
        "SELECT EXISTS(SELECT 1 FROM ingest_keys
             WHERE workspace_id = ?1 AND source = ?2 AND revoked_at IS NULL)",
        params![ws.as_str(), source.as_str()],
        |r| r.get(0),
    )
    .map_err(Error::storage("looking up ingest keys"))
}

/// Whether any integration of the workspace has a secret or a live ingest key.
pub(crate) fn workspace_protected(tx: &Conn, ws: &WorkspaceId) -> Result<bool> {
    query_row(
        tx,
        "SELECT EXISTS(SELECT 1 FROM ingest_keys WHERE workspace_id = ?1 AND revoked_at IS NULL)
             OR EXISTS(SELECT 1 FROM integrations WHERE workspace_id = ?1 AND secret IS NOT NULL)",
        [ws.as_str()],
        |r| r.get(0),
    )
    .map_err(Error::storage("looking up ingest protection"))
}

/// The live key of a workspace's source with this hash: its id and the stored hash.
pub(crate) fn key_by_hash(
    tx: &Conn,
    ws: &WorkspaceId,
    source: Source,
    hash: &str,
) -> Result<Option<(String, String)>> {
    query_row(
        tx,
        "SELECT id, hash FROM ingest_keys
         WHERE hash = ?1 AND workspace_id = ?2 AND source = ?3 AND revoked_at IS NULL",
        params![hash, ws.as_str(), source.as_str()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
    .map_err(Error::storage("looking up an ingest key"))
}

pub(crate) fn revoke_key(
    tx: &Conn,
    ws: &WorkspaceId,
    source: Source,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    execute(
        tx,
        "UPDATE ingest_keys SET revoked_at = ?4
         WHERE workspace_id = ?1 AND source = ?2 AND id = ?3 AND revoked_at IS NULL",
        params![ws.as_str(), source.as_str(), id, to_ms(now)],
    )
    .map(|n| n > 0)
    .map_err(Error::storage("revoking an ingest key"))
}

/// Sets a key's `last_used_at` when older than `stale_before`.
pub(crate) fn touch_key(
    tx: &Conn,
    id: &str,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<()> {
    execute(
        tx,
        "UPDATE ingest_keys SET last_used_at = ?2
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
        params![id, to_ms(now), to_ms(stale_before)],
    )
    .map_err(Error::storage("recording an ingest key's use"))?;
    Ok(())
}
