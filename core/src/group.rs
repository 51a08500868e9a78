//! Alert groups as the engine shows them: the group, its events and its timeline.

use crate::alert::{GroupId, Severity, Source};
use crate::lifecycle::GroupStatus;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A group of alerts that are the same problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertGroup {
    /// Its opaque id.
    pub id: GroupId,
    /// The group key (hex), shared by every group that ever held this problem.
    pub group_key: String,
    /// Where its alerts come from.
    pub source: Source,
    /// The project, if any.
    pub project: Option<String>,
    /// The environment, if any.
    pub environment: Option<String>,
    /// The latest firing event's severity.
    pub severity: Severity,
    /// Its status.
    pub status: GroupStatus,
    /// The latest firing event's title.
    pub title: String,
    /// The latest firing event's message or culprit.
    pub message: Option<String>,
    /// The source's fingerprint.
    pub fingerprint: String,
    /// The latest deep link to the source.
    pub link: Option<String>,
    /// The latest firing event's tags.
    pub tags: BTreeMap<String, String>,
    /// Who is assigned, if anyone.
    pub assignee: Option<String>,
    /// Firing events in the group.
    pub count: u64,
    /// How many times it was reopened.
    pub reopen_count: u64,
    /// The first firing event's receipt time.
    pub first_seen: DateTime<Utc>,
    /// The last firing event's receipt time.
    pub last_seen: DateTime<Utc>,
    /// The last change of any kind (events and state changes).
    pub last_activity: DateTime<Utc>,
    /// When it was resolved, if it is.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When a snooze ends, if it is snoozed.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// When it was first acknowledged (since it last opened).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// A runbook link.
    pub runbook: Option<String>,
}

/// One stored alert event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Its opaque id.
    pub id: String,
    /// The group it went to, if any.
    pub group_id: Option<GroupId>,
    /// What ingest decided (`new_group`, `joined`, `reopened`, `resolved`, `assigned`, `unmatched`).
    pub decision: String,
    /// Firing or resolved.
    pub status: String,
    /// Its severity.
    pub severity: Severity,
    /// Its title.
    pub title: String,
    /// The source's id for it, if any.
    pub source_event_id: Option<String>,
    /// When the source says it happened.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When the engine received it.
    pub received_at: DateTime<Utc>,
    /// The normalized alert.
    pub alert: serde_json::Value,
    /// How ingest decided.
    pub trace: serde_json::Value,
    /// What routing decided (null for events stored before routing existed).
    pub route: serde_json::Value,
}

/// One state change of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`source:sentry`, `user:alice`, `system:auto-close`).
    pub actor: String,
    /// What (`open`, `reopen`, `resolve`, `assign`, …).
    pub command: String,
    /// The status before.
    pub from: Option<GroupStatus>,
    /// The status after.
    pub to: Option<GroupStatus>,
    /// Anything else worth keeping.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

/// A group with the first page of its events and of its timeline (newest first; the rest
/// through [`crate::Engine::group_events`] and [`crate::Engine::group_timeline`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDetail {
    /// The group.
    #[serde(flatten)]
    pub group: AlertGroup,
    /// Its newest events (at most [`ItemPage::DEFAULT_LIMIT`]), newest first.
    pub events: Vec<StoredEvent>,
    /// The cursor of the next page of events; `None` when these are all.
    pub events_next: Option<String>,
    /// Its newest state changes (at most [`ItemPage::DEFAULT_LIMIT`]), newest first.
    pub timeline: Vec<TimelineEntry>,
    /// The cursor of the next page of the timeline; `None` when these are all.
    pub timeline_next: Option<String>,
}

/// One page of a group's events or timeline, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemPage<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass this as `cursor` for the next (older) page; `None` on the last page.
    pub next: Option<String>,
}

impl<T> ItemPage<T> {
    /// The page size when none is asked for (and the size of the first page in a
    /// [`GroupDetail`]).
    pub const DEFAULT_LIMIT: u32 = 50;
    /// The largest page size.
    pub const MAX_LIMIT: u32 = 200;
}

/// Which list of a group an [`ItemCursor`] pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemList {
    Events,
    Timeline,
}

impl ItemList {
    fn tag(self) -> &'static str {
        match self {
            Self::Events => "e1",
            Self::Timeline => "t1",
        }
    }
}

/// A position in a group's events or timeline: the storage seq of the last item of a page
/// (`e1.SEQ` or `t1.SEQ`, hex), so the next page is everything older.
pub(crate) struct ItemCursor;

impl ItemCursor {
    pub(crate) fn encode(list: ItemList, seq: i64) -> String {
        format!("{}.{:x}", list.tag(), seq.max(0) as u64)
    }

    /// The seq a cursor made for `list` names.
    pub(crate) fn decode(list: ItemList, s: &str) -> Result<i64> {
        let bad = || Error::invalid("cursor", format!("not a cursor of this list: {s:?}"));
        let (tag, seq) = s.split_once('.').ok_or_else(bad)?;
        if tag != list.tag() || seq.is_empty() || seq.len() > 16 {
            return Err(bad());
        }
        let seq = u64::from_str_radix(seq, 16).map_err(|_| bad())?;
        i64::try_from(seq).map_err(|_| bad())
    }

    /// A page size, checked (`None`: the default).
    pub(crate) fn limit(limit: Option<u32>) -> Result<u32> {
        match limit {
            None => Ok(ItemPage::<()>::DEFAULT_LIMIT),
            Some(n) if (1..=ItemPage::<()>::MAX_LIMIT).contains(&n) => Ok(n),
            Some(n) => Err(Error::invalid(
                "limit",
                format!("must be 1 to {}, got {n}", ItemPage::<()>::MAX_LIMIT),
            )),
        }
    }
}

/// One stored event with the raw request it came from, for the rule tester: the alert as it was
/// normalized, and the delivery's body as received (the whole delivery — for a batch of alerts,
/// every alert of it; `alert.fingerprint` tells which one this event is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventPayload {
    /// The event's id.
    pub id: String,
    /// The group it went to, if any.
    pub group_id: Option<GroupId>,
    /// The source it came from.
    pub source: Source,
    /// When the engine received it.
    pub received_at: DateTime<Utc>,
    /// The normalized alert.
    pub alert: serde_json::Value,
    /// The delivery's body parsed as JSON (`None` when it is not JSON, or purged).
    pub payload: serde_json::Value,
    /// The delivery's body as text (`None` when it is not UTF-8, or purged).
    pub payload_text: Option<String>,
    /// The delivery's headers as stored (credentials redacted), `[name, value]` pairs in the
    /// order received (what a dry run takes back).
    pub headers: Vec<(String, String)>,
    /// Whether retention has purged the raw body (then `payload` and `payload_text` are null).
    pub purged: bool,
}

/// How a page of groups is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupSort {
    /// By the last firing event (the default).
    #[default]
    LastSeen,
    /// By the first firing event.
    FirstSeen,
    /// By severity.
    Severity,
    /// By the number of firing events.
    Count,
    /// By the last change of any kind (events and state changes).
    LastActivity,
    /// By status, open first (desc): open, acknowledged, snoozed, resolved.
    Status,
    /// By title (case-insensitive for ASCII).
    Title,
    /// By source name.
    Source,
    /// By project (groups without one sort as the empty text).
    Project,
    /// By environment (groups without one sort as the empty text).
    Environment,
    /// By assignee (unassigned groups sort as the empty text).
    Assignee,
}

impl GroupSort {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LastSeen => "last_seen",
            Self::FirstSeen => "first_seen",
            Self::Severity => "severity",
            Self::Count => "count",
            Self::LastActivity => "last_activity",
            Self::Status => "status",
            Self::Title => "title",
            Self::Source => "source",
            Self::Project => "project",
            Self::Environment => "environment",
            Self::Assignee => "assignee",
        }
    }

    /// Whether its sort key is text (else a number).
    pub(crate) fn is_text(self) -> bool {
        matches!(
            self,
            Self::Title | Self::Source | Self::Project | Self::Environment | Self::Assignee
        )
    }

    fn from_name(s: &str) -> Option<Self> {
        [
            Self::LastSeen,
            Self::FirstSeen,
            Self::Severity,
            Self::Count,
            Self::LastActivity,
            Self::Status,
            Self::Title,
            Self::Source,
            Self::Project,
            Self::Environment,
            Self::Assignee,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// Which way a page of groups is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Largest first (the default: newest, worst, noisiest).
    #[default]
    Desc,
    /// Smallest first.
    Asc,
}

impl SortOrder {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desc => "desc",
            Self::Asc => "asc",
        }
    }
}

/// Which groups to list, and in which order (by default the last firing event first).
///
/// From hosts (JSON), `status` and `severity` are a list, one name, or comma-separated names;
/// `limit` is a number or its decimal text (as it comes in a query string).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupQuery {
    /// Only these statuses (all when empty).
    #[serde(
        deserialize_with = "de::statuses",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub status: Vec<GroupStatus>,
    /// Only these severities (all when empty).
    #[serde(
        deserialize_with = "de::severities",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub severity: Vec<Severity>,
    /// Only this environment.
    pub environment: Option<String>,
    /// Only this project.
    pub project: Option<String>,
    /// Only this source.
    pub source: Option<Source>,
    /// Only this severity or worse.
    pub min_severity: Option<Severity>,
    /// Only groups assigned to this name; `"none"` for unassigned groups.
    pub assignee: Option<String>,
    /// Only groups whose title or message contains this text (case-insensitive for ASCII; at
    /// most [`GroupQuery::MAX_Q_CHARS`] characters; `%` and `_` are matched literally).
    pub q: Option<String>,
    /// Only groups last seen at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only groups last seen before this time.
    pub until: Option<DateTime<Utc>>,
    /// The order (`last_seen` by default).
    pub sort: GroupSort,
    /// Which way (`desc` by default).
    pub order: SortOrder,
    /// Page size (default 50, at most 1000).
    #[serde(deserialize_with = "de::limit")]
    pub limit: Option<u32>,
    /// Where the previous page ended (a cursor is tied to the sort and order it was made for).
    pub cursor: Option<String>,
}

impl GroupQuery {
    /// The default page size.
    pub const DEFAULT_LIMIT: u32 = 50;
    /// The largest page size.
    pub const MAX_LIMIT: u32 = 1000;
    /// The longest text search.
    pub const MAX_Q_CHARS: usize = 256;

    /// Only groups with `status` (added to the statuses already asked for).
    pub fn status(mut self, status: GroupStatus) -> Self {
        self.status.push(status);
        self
    }

    /// The page size, checked.
    pub fn page_size(&self) -> Result<u32> {
        match self.limit {
            None => Ok(Self::DEFAULT_LIMIT),
            Some(n) if (1..=Self::MAX_LIMIT).contains(&n) => Ok(n),
            Some(n) => Err(Error::invalid(
                "limit",
                format!("must be 1 to {}, got {n}", Self::MAX_LIMIT),
            )),
        }
    }

    /// The text search, trimmed and checked (`None` when empty).
    pub(crate) fn text(&self) -> Result<Option<&str>> {
        match self.q.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(q) if q.chars().count() > Self::MAX_Q_CHARS => Err(Error::invalid(
                "q",
                format!("longer than {} characters", Self::MAX_Q_CHARS),
            )),
            Some(q) => Ok(Some(q)),
        }
    }
}

/// Deserializers for the fields hosts send as text.
mod de {
    use crate::alert::Severity;
    use crate::lifecycle::GroupStatus;
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;
    use std::str::FromStr;

    fn list<'de, D, T>(d: D, field: &str) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: FromStr<Err = crate::Error>,
    {
        let names: Vec<String> = match Value::deserialize(d)? {
            Value::Null => Vec::new(),
            Value::String(s) => vec![s],
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(D::Error::custom(format!(
                        "{field}[{i}]: expected a name (a string)"
                    ))),
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(D::Error::custom(format!(
                    "{field}: expected a name, comma-separated names or a list of names"
                )));
            }
        };
        let mut out: Vec<T> = Vec::new();
        for name in names.iter().flat_map(|n| n.split(',')) {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            let v = name.parse::<T>().map_err(|e| {
                D::Error::custom(format!(
                    "{field}: {}",
                    e.to_string().trim_start_matches(&format!("{field}: "))
                ))
            })?;
            out.push(v);
        }
        Ok(out)
    }

    pub(super) fn statuses<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<GroupStatus>, D::Error> {
        list(d, "status")
    }

    pub(super) fn severities<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Severity>, D::Error> {
        list(d, "severity")
    }

    pub(super) fn limit<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("limit: expected a page size, got {n}"))),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => {
                s.trim().parse::<u32>().map(Some).map_err(|_| {
                    D::Error::custom(format!("limit: expected a page size, got {s:?}"))
                })
            }
            other => Err(D::Error::custom(format!(
                "limit: expected a page size, got {other}"
            ))),
        }
    }
}

/// A page of groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupPage {
    /// The groups, newest activity first.
    pub groups: Vec<AlertGroup>,
    /// Pass this as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The sort key of a row: a number (milliseconds, a rank or a count) or a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CursorKey {
    Int(i64),
    Text(String),
}

/// A position in a sort order: opaque to callers, and tied to the sort and order it was made
/// for (`c2.SORT.ORDER.KEY.SEQ`, hex numbers; a text key is the hex of its UTF-8 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub sort: GroupSort,
    pub order: SortOrder,
    /// The sort key of the last row of the page.
    pub key: CursorKey,
    pub seq: i64,
}

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        let key = match &self.key {
            CursorKey::Int(k) => format!("{:x}", *k as u64),
            CursorKey::Text(t) => hex::encode(t.as_bytes()),
        };
        format!(
            "c2.{}.{}.{key}.{:x}",
            self.sort.as_str(),
            self.order.as_str(),
            self.seq as u64
        )
    }

    /// Reads a cursor made for `sort` and `order`.
    pub(crate) fn decode(s: &str, sort: GroupSort, order: SortOrder) -> Result<Self> {
        let bad = || Error::invalid("cursor", format!("not a cursor from this engine: {s:?}"));
        let parts: Vec<&str> = s.split('.').collect();
        let [version, sort_name, order_name, key, seq] = parts.as_slice() else {
            return Err(bad());
        };
        if *version != "c2" {
            return Err(bad());
        }
        let c_sort = GroupSort::from_name(sort_name).ok_or_else(bad)?;
        let c_order = match *order_name {
            "desc" => SortOrder::Desc,
            "asc" => SortOrder::Asc,
            _ => return Err(bad()),
        };
        if c_sort != sort || c_order != order {
            return Err(Error::invalid(
                "cursor",
                format!(
                    "made for sort {} order {}, not sort {} order {}",
                    c_sort.as_str(),
                    c_order.as_str(),
                    sort.as_str(),
                    order.as_str()
                ),
            ));
        }
        let key = if sort.is_text() {
            let bytes = hex::decode(key).map_err(|_| bad())?;
            CursorKey::Text(String::from_utf8(bytes).map_err(|_| bad())?)
        } else {
            CursorKey::Int(u64::from_str_radix(key, 16).map_err(|_| bad())? as i64)
        };
        Ok(Self {
            sort,
            order,
            key,
            seq: u64::from_str_radix(seq, 16).map_err(|_| bad())? as i64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_junk() {
        let c = Cursor {
            sort: GroupSort::Count,
            order: SortOrder::Asc,
            key: CursorKey::Int(1_700_000_000_123),
            seq: 42,
        };
        assert_eq!(
            Cursor::decode(&c.encode(), GroupSort::Count, SortOrder::Asc).ok(),
            Some(c.clone())
        );
        for text in ["", "db-1 disk 95% full.", "Ünïcode · ✓"] {
            let t = Cursor {
                sort: GroupSort::Title,
                order: SortOrder::Desc,
                key: CursorKey::Text(text.into()),
                seq: 7,
            };
            assert_eq!(
                Cursor::decode(&t.encode(), GroupSort::Title, SortOrder::Desc).ok(),
                Some(t)
            );
        }
        assert!(Cursor::decode("c2.title.asc.zz.1", GroupSort::Title, SortOrder::Asc).is_err());
        assert!(Cursor::decode("c2.title.asc.ff.1", GroupSort::Title, SortOrder::Asc).is_err());
        let other = Cursor::decode(&c.encode(), GroupSort::Count, SortOrder::Desc);
        assert!(other.is_err_and(|e| e.to_string().contains("made for sort count order asc")));
        for junk in [
            "",
            "c1",
            "c1.1.1",
            "c2.count.asc.zz.1",
            "c2.colour.asc.1.1",
            "c2.count.up.1.1",
            "c2.count.asc.1.1.1",
        ] {
            assert!(
                Cursor::decode(junk, GroupSort::Count, SortOrder::Asc).is_err(),
                "{junk}"
            );
        }
    }

    #[test]
    fn lists_come_as_names_commas_or_lists() {
        let q: GroupQuery = serde_json::from_value(serde_json::json!({
            "status": "open, acknowledged", "severity": ["error", "critical,warning"], "limit": "20"
        }))
        .unwrap_or_default();
        assert_eq!(q.status, vec![GroupStatus::Open, GroupStatus::Acknowledged]);
        assert_eq!(
            q.severity,
            vec![Severity::Error, Severity::Critical, Severity::Warning]
        );
        assert_eq!(q.limit, Some(20));
        let e = serde_json::from_value::<GroupQuery>(serde_json::json!({"status": "open,closed"}));
        assert!(e.is_err_and(|e| {
            e.to_string()
                .starts_with("status: unknown status \"closed\"")
        }));
        let e = serde_json::from_value::<GroupQuery>(serde_json::json!({"sort": "colour"}));
        assert!(e.is_err());
    }
}
