//! Reading stored events: one event with the raw delivery it came from (the rule tester's
//! payload), and a group's events and timeline page by page.

use super::{Engine, events_page, timeline_page};
use crate::alert::Source;
use crate::group::{EventPayload, ItemPage, StoredEvent, TimelineEntry};
use crate::store;
use crate::{Error, Result};

impl Engine {
    /// One event of a workspace with the raw body and headers of the delivery it came from,
    /// as stored (credentials redacted). The body is the whole delivery: for a batch of alerts
    /// (an Alertmanager notification, a Datadog batch) it holds every alert of it — the bytes
    /// the source sent are what a dry run takes, and its answer names each alert by
    /// fingerprint, as does this event's `alert`. Once retention has purged the body, `purged`
    /// is true and `payload`/`payload_text` are null. Another workspace's event is `not_found`.
    pub fn event(&self, workspace: &str, id: &str) -> Result<EventPayload> {
        self.read_in(workspace, |tx, ws| {
            let e = store::events::with_request(tx, &ws.id, id)?
                .ok_or_else(|| Error::not_found("event", id))?;
            let source: Source = e.source.parse()?;
            let headers: Vec<(String, String)> = match e.headers.as_deref() {
                Some(h) => serde_json::from_str(h).map_err(|err| {
                    Error::Internal(format!("stored headers of event {id}: {err}"))
                })?,
                None => Vec::new(),
            };
            // purged: retention emptied the request (or its row is gone)
            let purged = e.purged;
            let body = e.body.filter(|_| !purged);
            let payload_text = body.as_deref().and_then(|b| std::str::from_utf8(b).ok());
            let payload = payload_text
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or(serde_json::Value::Null);
            Ok(EventPayload {
                id: e.id,
                group_id: e.group_id,
                source,
                received_at: e.received_at,
                alert: e.alert,
                payload,
                payload_text: payload_text.map(str::to_string),
                headers,
                purged,
            })
        })
    }

    /// A page of a group's events, newest first: at most `limit` (1 to 200, default 50)
    /// older than `cursor` (the `next` of the page before, or a group detail's `events_next`).
    pub fn group_events(
        &self,
        workspace: &str,
        id: &str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<ItemPage<StoredEvent>> {
        self.read_in(workspace, |tx, ws| {
            let rec = store::groups::get(tx, &ws.id, id)?;
            events_page(tx, &ws.id, &rec.group.id, cursor, limit)
        })
    }

    /// A page of a group's timeline, newest first: at most `limit` (1 to 200, default 50)
    /// entries older than `cursor` (the `next` of the page before, or a group detail's
    /// `timeline_next`).
    pub fn group_timeline(
        &self,
        workspace: &str,
        id: &str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<ItemPage<TimelineEntry>> {
        self.read_in(workspace, |tx, ws| {
            let rec = store::groups::get(tx, &ws.id, id)?;
            timeline_page(tx, &rec.group.id, cursor, limit)
        })
    }
}
