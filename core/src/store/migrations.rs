//! The schema, one migration per `PRAGMA user_version` step.

use crate::{Error, Result};
use rusqlite::Connection;

/// Migration `i` takes the database from `user_version` i to i + 1.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 0 -> 1: workspaces, integrations, received requests, groups, events, timeline.
    r#"
CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    settings    TEXT NOT NULL DEFAULT '{}'
) STRICT;

CREATE TABLE integrations (
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    source        TEXT NOT NULL,
    secret        TEXT,
    max_skew_secs INTEGER,
    options       TEXT NOT NULL DEFAULT 'null',
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, source)
) STRICT;

-- One row per accepted webhook delivery: the raw payload, kept once however many alerts it holds.
CREATE TABLE requests (
    seq          INTEGER PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    source       TEXT NOT NULL,
    delivery_id  TEXT,
    received_at  INTEGER NOT NULL,
    headers      TEXT NOT NULL,
    body         BLOB NOT NULL
) STRICT;
CREATE UNIQUE INDEX requests_by_delivery ON requests(workspace_id, source, delivery_id)
    WHERE delivery_id IS NOT NULL;

CREATE TABLE alert_groups (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    group_key     TEXT NOT NULL,
    source        TEXT NOT NULL,
    project       TEXT,
    environment   TEXT,
    fingerprint   TEXT NOT NULL,
    severity      INTEGER NOT NULL,
    status        TEXT NOT NULL,
    title         TEXT NOT NULL,
    message       TEXT,
    link          TEXT,
    tags          TEXT NOT NULL,
    assignee      TEXT,
    count         INTEGER NOT NULL,
    reopen_count  INTEGER NOT NULL DEFAULT 0,
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER NOT NULL,
    window_start  INTEGER NOT NULL,
    last_activity INTEGER NOT NULL,
    resolved_at   INTEGER,
    snoozed_until INTEGER
) STRICT;
CREATE INDEX groups_by_key ON alert_groups(workspace_id, group_key, seq);
CREATE INDEX groups_unresolved_by_fingerprint ON alert_groups(workspace_id, source, fingerprint)
    WHERE status <> 'resolved';
CREATE INDEX groups_by_activity ON alert_groups(workspace_id, last_activity, seq);
CREATE INDEX groups_by_status ON alert_groups(workspace_id, status, last_activity, seq);

CREATE TABLE alert_events (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id),
    request_seq     INTEGER NOT NULL REFERENCES requests(seq),
    group_id        TEXT REFERENCES alert_groups(id),
    source          TEXT NOT NULL,
    source_event_id TEXT,
    decision        TEXT NOT NULL,
    status          TEXT NOT NULL,
    severity        INTEGER NOT NULL,
    title           TEXT NOT NULL,
    received_at     INTEGER NOT NULL,
    occurred_at     INTEGER,
    alert           TEXT NOT NULL,
    trace           TEXT NOT NULL
) STRICT;
CREATE INDEX events_by_group ON alert_events(group_id, seq);
CREATE INDEX events_by_time ON alert_events(workspace_id, received_at);
CREATE UNIQUE INDEX events_by_source_event ON alert_events(workspace_id, source, source_event_id)
    WHERE source_event_id IS NOT NULL;

CREATE TABLE group_timeline (
    seq          INTEGER PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    group_id     TEXT NOT NULL REFERENCES alert_groups(id),
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    command      TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    detail       TEXT
) STRICT;
CREATE INDEX timeline_by_group ON group_timeline(group_id, seq);
"#,
    // 1 -> 2: routing: rules, silences, maintenance windows, per-channel notification state,
    // and the route decided for each event.
    r#"
ALTER TABLE workspaces ADD COLUMN routing_version INTEGER NOT NULL DEFAULT 0;

CREATE TABLE rules (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    position     INTEGER NOT NULL,
    id           TEXT NOT NULL,
    rule         TEXT NOT NULL,
    PRIMARY KEY (workspace_id, id)
) STRICT;

CREATE TABLE silences (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    condition    TEXT NOT NULL,
    starts_at    INTEGER NOT NULL,
    ends_at      INTEGER NOT NULL,
    comment      TEXT,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX silences_by_end ON silences(workspace_id, ends_at);

CREATE TABLE maintenance_windows (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    spec         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    deleted_at   INTEGER
) STRICT;

CREATE TABLE group_channels (
    group_id       TEXT NOT NULL REFERENCES alert_groups(id),
    channel        TEXT NOT NULL,
    last_firing_at INTEGER,
    firing_sent    INTEGER NOT NULL,
    PRIMARY KEY (group_id, channel)
) STRICT;

ALTER TABLE alert_events ADD COLUMN route TEXT;
"#,
    // 2 -> 3: lifecycle and escalation: runbooks, first-ack times, escalation policies and
    // timers, the notification outbox, and indexes for the hygiene sweeps.
    r#"
ALTER TABLE alert_groups ADD COLUMN runbook TEXT;
ALTER TABLE alert_groups ADD COLUMN acknowledged_at INTEGER;
ALTER TABLE alert_groups ADD COLUMN purged_at INTEGER;
CREATE INDEX groups_unresolved_by_last_seen ON alert_groups(last_seen) WHERE status <> 'resolved';
CREATE INDEX groups_snoozed_until ON alert_groups(snoozed_until) WHERE status = 'snoozed';
CREATE INDEX groups_resolved_unpurged ON alert_groups(resolved_at)
    WHERE status = 'resolved' AND purged_at IS NULL;
CREATE INDEX groups_by_first_seen ON alert_groups(workspace_id, first_seen);

CREATE TABLE escalation_policies (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    policy       TEXT NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, name)
) STRICT;

CREATE TABLE group_escalations (
    group_id      TEXT PRIMARY KEY REFERENCES alert_groups(id),
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    policy        TEXT NOT NULL,
    state         TEXT NOT NULL,
    next_step     INTEGER NOT NULL,
    cycle         INTEGER NOT NULL,
    base_at       INTEGER NOT NULL,
    due_at        INTEGER,
    last_fired_at INTEGER
) STRICT;
CREATE INDEX escalations_due ON group_escalations(due_at) WHERE state = 'active';

-- Notifications decided and not yet delivered: written in the transaction that decided them.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    group_id     TEXT REFERENCES alert_groups(id),
    channel      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    not_before   INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_pending ON outbox(not_before) WHERE status = 'pending';
CREATE INDEX outbox_by_group ON outbox(group_id, seq);
"#,
    // 3 -> 4: delivery: channels, retry state and leases on the outbox, the attempt log,
    // circuit breakers, and the Slack message of each group and channel.
    r#"
CREATE TABLE channels (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    config       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, name)
) STRICT;

ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER;
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN finished_at INTEGER;

CREATE TABLE delivery_attempts (
    seq         INTEGER PRIMARY KEY,
    outbox_seq  INTEGER NOT NULL REFERENCES outbox(seq),
    at          INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    http_status INTEGER,
    error       TEXT,
    latency_ms  INTEGER NOT NULL
) STRICT;
CREATE INDEX attempts_by_outbox ON delivery_attempts(outbox_seq, seq);

CREATE TABLE channel_breakers (
    workspace_id TEXT NOT NULL,
    channel      TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    open_until   INTEGER,
    PRIMARY KEY (workspace_id, channel)
) STRICT;

CREATE TABLE slack_messages (
    group_id      TEXT NOT NULL REFERENCES alert_groups(id),
    channel       TEXT NOT NULL,
    slack_channel TEXT NOT NULL,
    ts            TEXT NOT NULL,
    PRIMARY KEY (group_id, channel)
) STRICT;
"#,
    // Event ids are hashes of unique inputs (the request's seq, the alert's and the group's
    // position) and nothing looks an event up by id, so the UNIQUE index on them only cost a
    // random B-tree insert per event. The table is rebuilt without it (SQLite cannot drop the
    // index of a column constraint).
    r#"
CREATE TABLE alert_events_v5 (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id),
    request_seq     INTEGER NOT NULL REFERENCES requests(seq),
    group_id        TEXT REFERENCES alert_groups(id),
    source          TEXT NOT NULL,
    source_event_id TEXT,
    decision        TEXT NOT NULL,
    status          TEXT NOT NULL,
    severity        INTEGER NOT NULL,
    title           TEXT NOT NULL,
    received_at     INTEGER NOT NULL,
    occurred_at     INTEGER,
    alert           TEXT NOT NULL,
    trace           TEXT NOT NULL,
    route           TEXT
) STRICT;
INSERT INTO alert_events_v5 (seq, id, workspace_id, request_seq, group_id, source,
    source_event_id, decision, status, severity, title, received_at, occurred_at, alert, trace,
    route)
SELECT seq, id, workspace_id, request_seq, group_id, source, source_event_id, decision, status,
    severity, title, received_at, occurred_at, alert, trace, route FROM alert_events;
DROP TABLE alert_events;
ALTER TABLE alert_events_v5 RENAME TO alert_events;
CREATE INDEX events_by_group ON alert_events(group_id, seq);
CREATE INDEX events_by_time ON alert_events(workspace_id, received_at);
CREATE UNIQUE INDEX events_by_source_event ON alert_events(workspace_id, source, source_event_id)
    WHERE source_event_id IS NOT NULL;
"#,
    // Every rule set a workspace has had, so that an event's trace can name the rules it was
    // routed by and be worded when read (ingest stores the trace compactly: the wording of
    // every rule cost more than the rest of ingest together). Today's rules start the history.
    r#"
CREATE TABLE rule_sets (
    seq          INTEGER PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    rules        TEXT NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX rule_sets_by_workspace ON rule_sets(workspace_id, seq);
INSERT INTO rule_sets (workspace_id, rules, created_at)
    SELECT workspace_id, json_group_array(json(rule) ORDER BY position),
        CAST(unixepoch('subsec') * 1000 AS INTEGER)
    FROM rules GROUP BY workspace_id;
"#,
    // Accounts and access (users, memberships, sessions, API tokens, ingest keys, login
    // throttling), the authenticated webhook's rate limit and health counters, and the change
    // feed. Secrets are stored as hashes only.
    r#"
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE memberships (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    user_id      TEXT NOT NULL REFERENCES users(id),
    role         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
) STRICT;
CREATE INDEX memberships_by_user ON memberships(user_id);

CREATE TABLE sessions (
    hash        TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    csrf_token  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT;
CREATE INDEX sessions_by_expiry ON sessions(expires_at);

CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX api_tokens_by_workspace ON api_tokens(workspace_id, created_at);

CREATE TABLE ingest_keys (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    source       TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX ingest_keys_by_source ON ingest_keys(workspace_id, source, created_at);

CREATE TABLE login_failures (
    scope TEXT NOT NULL,
    key   TEXT NOT NULL,
    at    INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_by_key ON login_failures(scope, key, at);
CREATE INDEX login_failures_by_time ON login_failures(at);

CREATE TABLE ingest_buckets (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id),
    tokens       REAL NOT NULL,
    at           INTEGER NOT NULL
) STRICT;

CREATE TABLE delivery_counts (
    workspace_id TEXT NOT NULL,
    source       TEXT NOT NULL,
    hour         INTEGER NOT NULL,
    reason       TEXT NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, source, hour, reason)
) STRICT, WITHOUT ROWID;

CREATE TABLE delivery_health (
    workspace_id       TEXT NOT NULL,
    source             TEXT NOT NULL,
    last_delivery_at   INTEGER,
    last_accepted_at   INTEGER,
    last_error_at      INTEGER,
    last_error_kind    TEXT,
    last_error_reason  TEXT,
    last_error_message TEXT,
    PRIMARY KEY (workspace_id, source)
) STRICT;

CREATE TABLE changes (
    workspace_id TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    group_id     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    status       TEXT NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX changes_by_time ON changes(at);

CREATE TABLE change_seqs (
    workspace_id TEXT PRIMARY KEY,
    seq          INTEGER NOT NULL
) STRICT;
"#,
    // Group queries sorted by last seen and by severity (keyset pages on (key, seq); first_seen
    // has its index already, and every index ends with the rowid, seq);
    // test notifications in the outbox; Slack OAuth: the states already used (single use) and
    // the Slack team installed into each workspace.
    r#"
CREATE INDEX groups_by_last_seen ON alert_groups(workspace_id, last_seen, seq);
CREATE INDEX groups_by_severity ON alert_groups(workspace_id, severity, seq);

ALTER TABLE outbox ADD COLUMN test INTEGER NOT NULL DEFAULT 0;

CREATE TABLE slack_oauth_used_states (
    nonce        TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE slack_teams (
    team_id      TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    team_name    TEXT,
    channel      TEXT NOT NULL,
    installed_at INTEGER NOT NULL
) STRICT;
"#,
    // Replay defence: the digest of every verified signed message, kept for the replay window;
    // retention of raw request bodies (by time, emptied and marked purged).
    r#"
CREATE TABLE signed_digests (
    workspace_id TEXT NOT NULL,
    source       TEXT NOT NULL,
    digest       BLOB NOT NULL,
    received_at  INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, source, digest)
) STRICT;
CREATE INDEX signed_digests_by_expiry ON signed_digests(expires_at);

ALTER TABLE requests ADD COLUMN purged_at INTEGER;
CREATE INDEX requests_by_time ON requests(workspace_id, received_at) WHERE purged_at IS NULL;
CREATE INDEX events_unmatched_by_time ON alert_events(workspace_id, received_at)
    WHERE group_id IS NULL;
"#,
    // Storm control and fair delivery: the notification a folded one went into, each channel's
    // log of recent sends (a sliding minute) with its open digest, and due rows by workspace
    // (round-robin claims).
    r#"
ALTER TABLE outbox ADD COLUMN folded_into INTEGER;

CREATE TABLE channel_rates (
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    channel        TEXT NOT NULL,
    sent           TEXT NOT NULL,
    digest_seq     INTEGER,
    last_digest_at INTEGER,
    PRIMARY KEY (workspace_id, channel)
) STRICT;

CREATE INDEX outbox_pending_by_workspace ON outbox(workspace_id, seq) WHERE status = 'pending';
"#,
    // Fleet monitors: each workspace's apps and monitors as put (secrets sealed), each monitor's
    // breach state and latest reading, and a short history of readings (at most 60 per monitor,
    // pruned as new ones are written).
    r#"
CREATE TABLE monitor_apps (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    name         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    doc          TEXT NOT NULL,
    PRIMARY KEY (workspace_id, name)
) STRICT;

CREATE TABLE monitors (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    id           TEXT NOT NULL,
    position     INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    doc          TEXT NOT NULL,
    next_due_at  INTEGER NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    passes       INTEGER NOT NULL DEFAULT 0,
    breaching    INTEGER NOT NULL DEFAULT 0,
    subject      TEXT,
    group_id     TEXT,
    reading      TEXT,
    checked_at   INTEGER,
    PRIMARY KEY (workspace_id, id)
) STRICT;
CREATE INDEX monitors_by_due ON monitors(next_due_at);

CREATE TABLE monitor_readings (
    seq          INTEGER PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id),
    monitor_id   TEXT NOT NULL,
    at           INTEGER NOT NULL,
    ok           INTEGER NOT NULL,
    value        REAL,
    reading      TEXT NOT NULL
) STRICT;
CREATE INDEX monitor_readings_by_monitor ON monitor_readings(workspace_id, monitor_id, seq);
"#,
    // An event looked up by id (the rule tester's raw payload); who created each silence
    // (silences made before this answer null: their creator was never recorded).
    r#"
CREATE INDEX events_by_id ON alert_events(workspace_id, id);
ALTER TABLE silences ADD COLUMN created_by TEXT;
"#,
    // The configuration version of a workspace: bumped, in the writing transaction, by every
    // change to its settings or to any of its integrations (triggers, so no write path can
    // forget). Ingest keeps what it loads (settings, integration, opened secret, compiled
    // options) per version and checks it with the workspace lookup it runs anyway; engines on
    // one file see each other's changes at their next delivery.
    r#"
ALTER TABLE workspaces ADD COLUMN config_version INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER workspaces_config_version_settings AFTER UPDATE OF settings ON workspaces
BEGIN
    UPDATE workspaces SET config_version = config_version + 1 WHERE id = NEW.id;
END;
CREATE TRIGGER integrations_config_version_insert AFTER INSERT ON integrations
BEGIN
    UPDATE workspaces SET config_version = config_version + 1 WHERE id = NEW.workspace_id;
END;
CREATE TRIGGER integrations_config_version_update AFTER UPDATE ON integrations
BEGIN
    UPDATE workspaces SET config_version = config_version + 1
        WHERE id IN (OLD.workspace_id, NEW.workspace_id);
END;
CREATE TRIGGER integrations_config_version_delete AFTER DELETE ON integrations
BEGIN
    UPDATE workspaces SET config_version = config_version + 1 WHERE id = OLD.workspace_id;
END;
"#,
];

/// The schema version this build writes.
pub const LATEST_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`LATEST_VERSION`], one transaction per step.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(Error::storage("reading the schema version"))?;
    if version > LATEST_VERSION {
        return Err(Error::Internal(format!(
            "the database has schema version {version}, newer than this build's {LATEST_VERSION}"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(Error::storage("starting a migration"))?;
        // Another engine may have migrated while we waited for the write lock.
        let now: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(Error::storage("reading the schema version"))?;
        if now > i as i64 {
            continue;
        }
        tx.execute_batch(sql)
            .map_err(Error::storage("applying a migration"))?;
        tx.pragma_update(None, "user_version", i as i64 + 1)
            .map_err(Error::storage("recording the schema version"))?;
        tx.commit()
            .map_err(Error::storage("committing a migration"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A database at schema version `step`: the migrations before it applied, none after.
    fn at_step(step: usize) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..step] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", step as i64)
            .unwrap();
        conn
    }

    /// The index of the migration whose SQL contains `marker`.
    fn step_containing(marker: &str) -> usize {
        MIGRATIONS.iter().position(|m| m.contains(marker)).unwrap()
    }

    /// Version 5 rebuilds `alert_events`: rows written under version 4 come through unchanged.
    #[test]
    fn version_5_keeps_every_event() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 4).unwrap();
        conn.execute_batch(
            "INSERT INTO workspaces (id, name, created_at) VALUES ('ws_1', 'acme', 1);
             INSERT INTO requests (seq, workspace_id, source, received_at, headers, body)
                 VALUES (7, 'ws_1', 'sentry', 2, '[]', x'7b7d');
             INSERT INTO alert_events (seq, id, workspace_id, request_seq, group_id, source,
                 source_event_id, decision, status, severity, title, received_at, occurred_at,
                 alert, trace, route)
                 VALUES (3, 'evt_a', 'ws_1', 7, NULL, 'sentry', 'e1', 'unmatched', 'resolved', 2,
                 'T', 2, 1, '{}', '{\"t\":1}', '{\"r\":1}');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let row: (i64, String, String, String, Option<String>) = conn
            .query_row(
                "SELECT seq, id, source_event_id, trace, route FROM alert_events",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(
            row,
            (
                3,
                "evt_a".into(),
                "e1".into(),
                "{\"t\":1}".into(),
                Some("{\"r\":1}".into())
            )
        );
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'alert_events' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        // version 5's indexes are back (later versions may add more)
        for name in [
            "events_by_group",
            "events_by_source_event",
            "events_by_time",
        ] {
            assert!(indexes.iter().any(|i| i == name), "{name}: {indexes:?}");
        }
        // the idempotency index still refuses a repeated source event id
        let again = conn.execute(
            "INSERT INTO alert_events (id, workspace_id, request_seq, source, source_event_id,
                 decision, status, severity, title, received_at, alert, trace)
             VALUES ('evt_b', 'ws_1', 7, 'sentry', 'e1', 'unmatched', 'resolved', 2, 'T', 2,
                 '{}', '{}')",
            [],
        );
        assert!(again.is_err());
    }

    /// The accounts, webhook and change-feed step adds tables only: every row written before it
    /// is still there, and the new tables are empty and usable.
    #[test]
    fn the_accounts_step_keeps_every_row() {
        let before = MIGRATIONS.len() - 1;
        let mut conn = at_step(before);
        conn.execute_batch(
            "INSERT INTO workspaces (id, name, created_at, settings) VALUES ('ws_1', 'acme', 1, '{}');
             INSERT INTO integrations (workspace_id, source, secret, options, updated_at)
                 VALUES ('ws_1', 'sentry', 'sealed', 'null', 1);
             INSERT INTO requests (seq, workspace_id, source, received_at, headers, body)
                 VALUES (7, 'ws_1', 'sentry', 2, '[]', x'7b7d');",
        )
        .unwrap();
        let count = |conn: &Connection| -> Vec<i64> {
            [
                "workspaces",
                "integrations",
                "requests",
                "alert_groups",
                "alert_events",
            ]
            .iter()
            .map(|t| {
                conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                    .unwrap()
            })
            .collect()
        };
        let rows = count(&conn);
        migrate(&mut conn).unwrap();
        assert_eq!(count(&conn), rows);
        let secret: String = conn
            .query_row("SELECT secret FROM integrations", [], |r| r.get(0))
            .unwrap();
        assert_eq!(secret, "sealed");
        for t in [
            "users",
            "memberships",
            "sessions",
            "api_tokens",
            "ingest_keys",
            "login_failures",
            "ingest_buckets",
            "delivery_counts",
            "delivery_health",
            "changes",
            "change_seqs",
        ] {
            let n: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 0, "{t}");
        }
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        let orphan = conn.execute(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at) VALUES ('ws_1', 'usr_x', 'owner', 1)",
            [],
        );
        assert!(orphan.is_err(), "memberships need a user");
    }

    /// The step that records silence creators keeps every silence made before it, with no
    /// creator (null: it was never recorded), and takes new ones with theirs.
    #[test]
    fn silences_made_before_the_creator_step_keep_a_null_creator() {
        let step = step_containing("ADD COLUMN created_by");
        let mut conn = at_step(step);
        conn.execute_batch(
            "INSERT INTO workspaces (id, name, created_at) VALUES ('ws_1', 'acme', 1);
             INSERT INTO silences (id, workspace_id, condition, starts_at, ends_at, comment,
                 created_at) VALUES ('sil_old', 'ws_1', '{}', 1, 2, 'deploy', 1);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let old: (String, Option<String>, Option<String>) = conn
            .query_row("SELECT id, comment, created_by FROM silences", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(old, ("sil_old".into(), Some("deploy".into()), None));
        conn.execute(
            "INSERT INTO silences (id, workspace_id, condition, starts_at, ends_at, created_at,
                 created_by) VALUES ('sil_new', 'ws_1', '{}', 1, 2, 1, 'user:alice')",
            [],
        )
        .unwrap();
    }

    /// The configuration-version step keeps every workspace and integration (at version 0),
    /// and from then on every write to a workspace's settings or integrations bumps it, in the
    /// writing transaction: a rolled-back write leaves it as it was.
    #[test]
    fn the_config_version_step_keeps_every_row_and_counts_config_writes() {
        let step = step_containing("ADD COLUMN config_version");
        let mut conn = at_step(step);
        conn.execute_batch(
            r#"INSERT INTO workspaces (id, name, created_at, settings)
                   VALUES ('ws_1', 'acme', 1, '{"allow_unauthenticated_ingest":true}');
               INSERT INTO workspaces (id, name, created_at) VALUES ('ws_2', 'other', 1);
               INSERT INTO integrations (workspace_id, source, options, updated_at)
                   VALUES ('ws_1', 'sentry', '{"organization":"acme"}', 1);"#,
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let version = |conn: &Connection, ws: &str| -> i64 {
            conn.query_row(
                "SELECT config_version FROM workspaces WHERE id = ?1",
                [ws],
                |r| r.get(0),
            )
            .unwrap()
        };
        let kept: (String, String) = conn
            .query_row(
                "SELECT w.settings, i.options FROM workspaces w JOIN integrations i
                     ON i.workspace_id = w.id",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            kept,
            (
                r#"{"allow_unauthenticated_ingest":true}"#.to_string(),
                r#"{"organization":"acme"}"#.to_string()
            )
        );
        assert_eq!((version(&conn, "ws_1"), version(&conn, "ws_2")), (0, 0));
        conn.execute(
            "UPDATE workspaces SET settings = '{}' WHERE id = 'ws_1'",
            [],
        )
        .unwrap();
        conn.execute(
            "UPDATE integrations SET options = 'null' WHERE workspace_id = 'ws_1'",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO integrations (workspace_id, source, updated_at) VALUES ('ws_2', 'grafana', 1)",
            [],
        )
        .unwrap();
        assert_eq!((version(&conn, "ws_1"), version(&conn, "ws_2")), (2, 1));
        // other writes to the row (the routing version) do not count
        conn.execute(
            "UPDATE workspaces SET routing_version = routing_version + 1",
            [],
        )
        .unwrap();
        assert_eq!(version(&conn, "ws_1"), 2);
        let tx = conn.transaction().unwrap();
        tx.execute("DELETE FROM integrations WHERE workspace_id = 'ws_1'", [])
            .unwrap();
        assert_eq!(version(&tx, "ws_1"), 3);
        tx.rollback().unwrap();
        assert_eq!(version(&conn, "ws_1"), 2);
    }
}
