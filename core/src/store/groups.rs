//! Alert groups and their timelines.

use super::db::{Conn, DbResult, OptionalExtension, Row, StoreError, params, params_from_iter};
use super::query_row;
use super::{from_ms, opt_from_ms, to_ms};
use crate::alert::{GroupId, Severity, WorkspaceId};
use crate::group::{
    AlertGroup, Cursor, CursorKey, GroupPage, GroupQuery, GroupSort, SortOrder, TimelineEntry,
};
use crate::lifecycle::GroupStatus;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;

/// A group as stored: the public view plus what only the engine needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GroupRecord {
    pub seq: i64,
    pub group: AlertGroup,
    pub window_start: DateTime<Utc>,
}

/// The columns [`row_to_record`] reads, in its order (a macro, so that the hot queries are
/// `concat!`ed constants rather than formatted on every call).
macro_rules! columns {
    () => {
        "seq, id, group_key, source, project, environment, severity, status, title, \
         message, fingerprint, link, tags, assignee, count, reopen_count, first_seen, last_seen, \
         last_activity, resolved_at, window_start, snoozed_until, acknowledged_at, runbook"
    };
}
const COLUMNS: &str = columns!();

fn parse_err(col: usize, e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::column(col, e)
}

fn row_to_record(r: &Row<'_>) -> DbResult<GroupRecord> {
    let source: String = r.get(3)?;
    let severity: i64 = r.get(6)?;
    let status: String = r.get(7)?;
    let tags: String = r.get(12)?;
    let group = AlertGroup {
        id: GroupId(r.get(1)?),
        group_key: r.get(2)?,
        source: source.parse().map_err(|e| parse_err(3, e))?,
        project: r.get(4)?,
        environment: r.get(5)?,
        severity: Severity::from_rank(severity).unwrap_or(Severity::Error),
        status: status.parse().map_err(|e| parse_err(7, e))?,
        title: r.get(8)?,
        message: r.get(9)?,
        fingerprint: r.get(10)?,
        link: r.get(11)?,
        tags: serde_json::from_str(&tags).map_err(|e| parse_err(12, e))?,
        assignee: r.get(13)?,
        count: r.get::<_, i64>(14)?.max(0) as u64,
        reopen_count: r.get::<_, i64>(15)?.max(0) as u64,
        first_seen: from_ms(r.get(16)?),
        last_seen: from_ms(r.get(17)?),
        last_activity: from_ms(r.get(18)?),
        resolved_at: opt_from_ms(r.get(19)?),
        snoozed_until: opt_from_ms(r.get(21)?),
        acknowledged_at: opt_from_ms(r.get(22)?),
        runbook: r.get(23)?,
    };
    Ok(GroupRecord {
        seq: r.get(0)?,
        group,
        window_start: from_ms(r.get(20)?),
    })
}

fn records(
    tx: &Conn,
    sql: &str,
    params: impl super::db::Params,
    what: &'static str,
) -> Result<Vec<GroupRecord>> {
    let mut stmt = tx.prepare_cached(sql).map_err(Error::storage(what))?;
    let rows = stmt
        .query_map(params, row_to_record)
        .map_err(Error::storage(what))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage(what))
}

/// The most recent group with `key`, as a firing event needs it: the fields such an event
/// replaces (`take_latest` in engine/ingest.rs: title, message, severity, tags) are not read —
/// the title is empty, message none, tags empty, and severity what is stored — which spares
/// decoding the stored tags' JSON on every repeat alert.
pub(crate) fn latest_by_key_for_firing(
    tx: &Conn,
    ws: &WorkspaceId,
    key: &str,
) -> Result<Option<GroupRecord>> {
    Ok(records(
        tx,
        "SELECT seq, id, group_key, source, project, environment, severity, status, '', NULL,
             fingerprint, link, '{}', assignee, count, reopen_count, first_seen, last_seen,
             last_activity, resolved_at, window_start, snoozed_until, acknowledged_at, runbook
         FROM alert_groups WHERE workspace_id = ?1 AND group_key = ?2
         ORDER BY seq DESC LIMIT 1",
        params![ws.as_str(), key],
        "finding a group by key",
    )?
    .into_iter()
    .next())
}

/// Every unresolved group with `key`, oldest first.
pub(crate) fn unresolved_by_key(
    tx: &Conn,
    ws: &WorkspaceId,
    key: &str,
) -> Result<Vec<GroupRecord>> {
    records(
        tx,
        concat!(
            "SELECT ",
            columns!(),
            " FROM alert_groups
             WHERE workspace_id = ?1 AND group_key = ?2 AND status <> 'resolved' ORDER BY seq"
        ),
        params![ws.as_str(), key],
        "finding open groups by key",
    )
}

/// Every unresolved group of `source` with `fingerprint`, oldest first.
pub(crate) fn unresolved_by_fingerprint(
    tx: &Conn,
    ws: &WorkspaceId,
    source: &str,
    fingerprint: &str,
) -> Result<Vec<GroupRecord>> {
    records(
        tx,
        concat!(
            "SELECT ",
            columns!(),
            " FROM alert_groups
             WHERE workspace_id = ?1 AND source = ?2 AND fingerprint = ?3 AND status <> 'resolved'
             ORDER BY seq"
        ),
        params![ws.as_str(), source, fingerprint],
        "finding open groups by fingerprint",
    )
}

/// Writes a new group unless a group already has its id (then `Ok(None)`: the caller picks
/// another id); returns its seq. The id's UNIQUE index answers the conflict, so no lookup runs
/// before the insert.
pub(crate) fn insert(
    tx: &Conn,
    ws: &WorkspaceId,
    g: &AlertGroup,
    window_start: DateTime<Utc>,
) -> Result<Option<i64>> {
    let tags = serde_json::to_string(&g.tags)
        .map_err(|e| Error::Internal(format!("serializing tags: {e}")))?;
    tx.prepare_cached(
        "INSERT INTO alert_groups (seq, id, workspace_id, group_key, source, project, environment,
            fingerprint, severity, status, title, message, link, tags, assignee, count,
            reopen_count, first_seen, last_seen, window_start, last_activity, resolved_at)
         VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM alert_groups), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18, ?19, ?20, ?21)
         ON CONFLICT (id) DO NOTHING RETURNING seq",
    )
    .and_then(|mut s| {
        s.query_row(
            params![
                g.id.as_str(),
                ws.as_str(),
                g.group_key,
                g.source.as_str(),
                g.project,
                g.environment,
                g.fingerprint,
                g.severity.rank(),
                g.status.as_str(),
                g.title,
                g.message,
                g.link,
                tags,
                g.assignee,
                g.count as i64,
                g.reopen_count as i64,
                to_ms(g.first_seen),
                to_ms(g.last_seen),
                to_ms(window_start),
                to_ms(g.last_activity),
                g.resolved_at.map(to_ms),
            ],
            |r| r.get(0),
        )
    })
    .optional()
    .map_err(Error::storage("writing a new group"))
}

/// Writes back what an event joining an open group changes: its descriptive fields, count and
/// times (and its severity when `severity_changed`). Only the columns named are written, so
/// SQLite leaves alone every index on the others (status, severity, fingerprint, …).
pub(crate) fn update_joined(tx: &Conn, rec: &GroupRecord, severity_changed: bool) -> Result<()> {
    let g = &rec.group;
    let tags = serde_json::to_string(&g.tags)
        .map_err(|e| Error::Internal(format!("serializing tags: {e}")))?;
    let (t0, t1) = (to_ms(g.last_seen), to_ms(g.last_activity));
    let count = g.count as i64;
    let changed = if severity_changed {
        tx.prepare_cached(
            "UPDATE alert_groups SET title = ?2, message = ?3, link = ?4, tags = ?5, count = ?6,
                last_seen = ?7, last_activity = ?8, severity = ?9 WHERE seq = ?1",
        )
        .and_then(|mut s| {
            s.execute(params![
                rec.seq,
                g.title,
                g.message,
                g.link,
                tags,
                count,
                t0,
                t1,
                g.severity.rank()
            ])
        })
    } else {
        tx.prepare_cached(
            "UPDATE alert_groups SET title = ?2, message = ?3, link = ?4, tags = ?5, count = ?6,
                last_seen = ?7, last_activity = ?8 WHERE seq = ?1",
        )
        .and_then(|mut s| {
            s.execute(params![
                rec.seq, g.title, g.message, g.link, tags, count, t0, t1
            ])
        })
    }
    .map_err(Error::storage("updating a group"))?;
    if changed != 1 {
        return Err(Error::Internal(format!(
            "group {} vanished while updating",
            g.id
        )));
    }
    Ok(())
}

/// Writes back the mutable state of an existing group.
pub(crate) fn update(tx: &Conn, rec: &GroupRecord) -> Result<()> {
    let g = &rec.group;
    let tags = serde_json::to_string(&g.tags)
        .map_err(|e| Error::Internal(format!("serializing tags: {e}")))?;
    let changed = tx
        .prepare_cached(
            "UPDATE alert_groups SET severity = ?2, status = ?3, title = ?4, message = ?5,
                link = ?6, tags = ?7, assignee = ?8, count = ?9, reopen_count = ?10,
                last_seen = ?11, window_start = ?12, last_activity = ?13, resolved_at = ?14,
                snoozed_until = ?15, acknowledged_at = ?16, runbook = ?17
             WHERE seq = ?1",
        )
        .and_then(|mut s| {
            s.execute(params![
                rec.seq,
                g.severity.rank(),
                g.status.as_str(),
                g.title,
                g.message,
                g.link,
                tags,
                g.assignee,
                g.count as i64,
                g.reopen_count as i64,
                to_ms(g.last_seen),
                to_ms(rec.window_start),
                to_ms(g.last_activity),
                g.resolved_at.map(to_ms),
                g.snoozed_until.map(to_ms),
                g.acknowledged_at.map(to_ms),
                g.runbook,
            ])
        })
        .map_err(Error::storage("updating a group"))?;
    if changed != 1 {
        return Err(Error::Internal(format!(
            "group {} vanished while updating",
            g.id
        )));
    }
    Ok(())
}

/// The group `id` in `ws`.
pub(crate) fn get(tx: &Conn, ws: &WorkspaceId, id: &str) -> Result<GroupRecord> {
    const SQL: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM alert_groups WHERE workspace_id = ?1 AND id = ?2"
    );
    query_row(tx, SQL, params![ws.as_str(), id], row_to_record)
        .optional()
        .map_err(Error::storage("reading a group"))?
        .ok_or_else(|| Error::not_found("group", id))
}

/// The text of a LIKE pattern that matches `text` anywhere, literally (`\\` escapes).
fn contains_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// The sort key of a group for `sort`, as stored.
fn sort_key(sort: GroupSort, r: &GroupRecord) -> CursorKey {
    let g = &r.group;
    let text = |t: Option<&str>| CursorKey::Text(t.unwrap_or_default().to_string());
    match sort {
        GroupSort::LastSeen => CursorKey::Int(to_ms(g.last_seen)),
        GroupSort::FirstSeen => CursorKey::Int(to_ms(g.first_seen)),
        GroupSort::Severity => CursorKey::Int(g.severity.rank()),
        GroupSort::Count => CursorKey::Int(g.count as i64),
        GroupSort::LastActivity => CursorKey::Int(to_ms(g.last_activity)),
        GroupSort::Status => CursorKey::Int(status_rank(g.status)),
        GroupSort::Title => text(Some(&g.title)),
        GroupSort::Source => text(Some(g.source.as_str())),
        GroupSort::Project => text(g.project.as_deref()),
        GroupSort::Environment => text(g.environment.as_deref()),
        GroupSort::Assignee => text(g.assignee.as_deref()),
    }
}

/// A status's place in the status sort: open first when descending.
fn status_rank(s: GroupStatus) -> i64 {
    match s {
        GroupStatus::Open => 3,
        GroupStatus::Acknowledged => 2,
        GroupStatus::Snoozed => 1,
        GroupStatus::Resolved => 0,
    }
}

/// The SQL a sort orders by (and its cursor compares with); text sorts fold ASCII case, and a
/// missing project, environment or assignee is the empty text.
fn sort_expr(sort: GroupSort) -> &'static str {
    match sort {
        GroupSort::LastSeen => "last_seen",
        GroupSort::FirstSeen => "first_seen",
        GroupSort::Severity => "severity",
        GroupSort::Count => "count",
        GroupSort::LastActivity => "last_activity",
        GroupSort::Status => {
            "(CASE status WHEN 'open' THEN 3 WHEN 'acknowledged' THEN 2 WHEN 'snoozed' THEN 1 ELSE 0 END)"
        }
        // ASCII case folded, as SQLite's NOCASE did: `lower` folds ASCII only in SQLite (no ICU)
        // and on PostgreSQL's `COLLATE "C"` columns, so both stores sort alike (a cursor's key is
        // folded the same way where `page` compares it)
        GroupSort::Title => "lower(title)",
        GroupSort::Source => "lower(source)",
        GroupSort::Project => "lower(COALESCE(project, ''))",
        GroupSort::Environment => "lower(COALESCE(environment, ''))",
        GroupSort::Assignee => "lower(COALESCE(assignee, ''))",
    }
}

/// A page of groups in the query's order. Pagination is keyset on (sort key, seq), so it is
/// exact for every sort: ties on the key are ordered by seq, and no row is skipped or repeated
/// while the groups do not change.
pub(crate) fn page(tx: &Conn, ws: &WorkspaceId, q: &GroupQuery) -> Result<GroupPage> {
    let limit = q.page_size()?;
    let mut sql = format!("SELECT {COLUMNS} FROM alert_groups WHERE workspace_id = ?");
    let mut args: Vec<SqlValue> = vec![SqlValue::Text(ws.0.clone())];
    let mut any_of = |sql: &mut String, column: &str, values: Vec<SqlValue>| {
        if values.is_empty() {
            return;
        }
        let marks = vec!["?"; values.len()].join(", ");
        sql.push_str(&format!(" AND {column} IN ({marks})"));
        args.extend(values);
    };
    any_of(
        &mut sql,
        "status",
        q.status
            .iter()
            .map(|s| SqlValue::Text(s.as_str().into()))
            .collect(),
    );
    any_of(
        &mut sql,
        "severity",
        q.severity
            .iter()
            .map(|s| SqlValue::Integer(s.rank()))
            .collect(),
    );
    if let Some(env) = &q.environment {
        sql.push_str(" AND environment = ?");
        args.push(SqlValue::Text(env.clone()));
    }
    if let Some(project) = &q.project {
        sql.push_str(" AND project = ?");
        args.push(SqlValue::Text(project.clone()));
    }
    if let Some(source) = q.source {
        sql.push_str(" AND source = ?");
        args.push(SqlValue::Text(source.as_str().into()));
    }
    if let Some(sev) = q.min_severity {
        sql.push_str(" AND severity >= ?");
        args.push(SqlValue::Integer(sev.rank()));
    }
    match q.assignee.as_deref().map(str::trim) {
        None | Some("") => {}
        Some("none") => sql.push_str(" AND assignee IS NULL"),
        Some(name) => {
            sql.push_str(" AND assignee = ?");
            args.push(SqlValue::Text(name.to_string()));
        }
    }
    if let Some(text) = q.text()? {
        // A bounded scan of the workspace's groups: LIKE with the wildcards escaped.
        sql.push_str(
            " AND (lower(title) LIKE lower(?) ESCAPE '\\' OR lower(message) LIKE lower(?) ESCAPE '\\')",
        );
        let pattern = contains_pattern(text);
        args.push(SqlValue::Text(pattern.clone()));
        args.push(SqlValue::Text(pattern));
    }
    if let Some(since) = q.since {
        sql.push_str(" AND last_seen >= ?");
        args.push(SqlValue::Integer(to_ms(since)));
    }
    if let Some(until) = q.until {
        sql.push_str(" AND last_seen < ?");
        args.push(SqlValue::Integer(to_ms(until)));
    }
    let column = sort_expr(q.sort);
    let (cmp, dir) = match q.order {
        SortOrder::Desc => ("<", "DESC"),
        SortOrder::Asc => (">", "ASC"),
    };
    if let Some(c) = &q.cursor {
        let c = Cursor::decode(c, q.sort, q.order)?;
        let (key, mark) = match c.key {
            CursorKey::Int(k) => (SqlValue::Integer(k), "?"),
            CursorKey::Text(t) => (SqlValue::Text(t), "lower(?)"),
        };
        sql.push_str(&format!(
            " AND ({column} {cmp} {mark} OR ({column} = {mark} AND seq {cmp} ?))"
        ));
        args.push(key.clone());
        args.push(key);
        args.push(SqlValue::Integer(c.seq));
    }
    sql.push_str(&format!(" ORDER BY {column} {dir}, seq {dir} LIMIT ?"));
    args.push(SqlValue::Integer(i64::from(limit) + 1));
    let mut recs = records(tx, &sql, params_from_iter(args), "listing groups")?;
    let next_cursor = if recs.len() > limit as usize {
        recs.truncate(limit as usize);
        recs.last().map(|r| {
            Cursor {
                sort: q.sort,
                order: q.order,
                key: sort_key(q.sort, r),
                seq: r.seq,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(GroupPage {
        groups: recs.into_iter().map(|r| r.group).collect(),
        next_cursor,
    })
}

/// Appends a timeline entry.
pub(crate) fn add_timeline(
    tx: &Conn,
    ws: &WorkspaceId,
    group: &GroupId,
    e: &TimelineEntry,
) -> Result<()> {
    let detail = if e.detail.is_null() {
        None
    } else {
        Some(e.detail.to_string())
    };
    tx.prepare_cached(
        "INSERT INTO group_timeline (seq, workspace_id, group_id, at, actor, command, from_status,
            to_status, detail) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM group_timeline), ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut s| {
        s.execute(params![
            ws.as_str(),
            group.as_str(),
            to_ms(e.at),
            e.actor,
            e.command,
            e.from.map(GroupStatus::as_str),
            e.to.map(GroupStatus::as_str),
            detail,
        ])
    })
    .map_err(Error::storage("writing the timeline"))?;
    Ok(())
}

/// A page of a group's timeline, newest first: at most `limit` entries older than `before` (a
/// seq; all when `None`), each with its seq, plus whether older ones remain.
///
/// A group opened by ingest has no stored `open` entry: its row holds everything that entry
/// says (`first_seen`, the source, the fingerprint), so the entry is made from the row, as the
/// group's oldest, with seq 0 (stored entries start at 1). Groups whose oldest stored entry is
/// an `open` (written before, or by a source other than the alert's) and purged groups (their
/// timeline is gone) get none.
pub(crate) fn timeline_page(
    tx: &Conn,
    group: &GroupId,
    before: Option<i64>,
    limit: u32,
) -> Result<(Vec<(i64, TimelineEntry)>, bool)> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT seq, at, actor, command, from_status, to_status, detail FROM group_timeline
             WHERE group_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
        )
        .map_err(Error::storage("reading the timeline"))?;
    let rows = stmt
        .query_map(
            params![
                group.as_str(),
                before.unwrap_or(i64::MAX),
                i64::from(limit) + 1
            ],
            |r| {
                let from: Option<String> = r.get(4)?;
                let to: Option<String> = r.get(5)?;
                let detail: Option<String> = r.get(6)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    TimelineEntry {
                        at: from_ms(r.get(1)?),
                        actor: r.get(2)?,
                        command: r.get(3)?,
                        from: from
                            .map(|s| s.parse())
                            .transpose()
                            .map_err(|e| parse_err(4, e))?,
                        to: to
                            .map(|s| s.parse())
                            .transpose()
                            .map_err(|e| parse_err(5, e))?,
                        detail: match detail {
                            Some(d) => serde_json::from_str(&d).map_err(|e| parse_err(6, e))?,
                            None => serde_json::Value::Null,
                        },
                    },
                ))
            },
        )
        .map_err(Error::storage("reading the timeline"))?;
    let mut items = rows
        .collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading the timeline"))?;
    let mut more = items.len() > limit as usize;
    items.truncate(limit as usize);
    if !more
        && before.is_none_or(|b| b > OPENED_SEQ)
        && let Some(opened) = opened_entry(tx, group)?
    {
        if items.len() < limit as usize {
            items.push((OPENED_SEQ, opened));
        } else {
            more = true;
        }
    }
    Ok((items, more))
}

/// The seq of the `open` entry made from a group's row: before every stored entry.
const OPENED_SEQ: i64 = 0;

/// The `open` entry of a group that has none stored (see [`timeline_page`]).
fn opened_entry(tx: &Conn, group: &GroupId) -> Result<Option<TimelineEntry>> {
    let row: Option<(i64, String, String)> = query_row(
        tx,
        "SELECT g.first_seen, g.source, g.fingerprint FROM alert_groups g
         WHERE g.id = ?1 AND g.purged_at IS NULL
           AND (SELECT t.command FROM group_timeline t WHERE t.group_id = g.id
                ORDER BY t.seq LIMIT 1) IS DISTINCT FROM 'open'",
        [group.as_str()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
    .optional()
    .map_err(Error::storage("reading the timeline"))?;
    Ok(row.map(|(at, source, fingerprint)| TimelineEntry {
        at: from_ms(at),
        actor: format!("source:{source}"),
        command: "open".into(),
        from: None,
        to: Some(GroupStatus::Open),
        detail: serde_json::json!({ "fingerprint": fingerprint }),
    }))
}
