//! Records and enums for the engine's main types, and their conversions. Field names are the
//! engine's JSON names (Swift sees them in lowerCamelCase); times are RFC 3339 text as in the
//! JSON; open-ended trees (a trace) are JSON text.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use signalcraft_core::{Headers, Result, Source, host, lifecycle};

/// A time as the engine's JSON writes it.
pub(crate) fn time_out(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Headers as a Swift dictionary (a repeated name keeps its first value).
pub(crate) fn headers_out(headers: &Headers) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (name, value) in headers.iter() {
        out.entry(name.to_string())
            .or_insert_with(|| value.to_string());
    }
    out
}

/// Headers from a Swift dictionary, checked like every binding's headers.
pub(crate) fn headers_in(headers: Option<HashMap<String, String>>) -> Result<Headers> {
    match headers {
        None => Ok(Headers::new()),
        Some(map) => host::headers(&serde_json::Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect(),
        )),
    }
}

/// An optional RFC 3339 time.
pub(crate) fn time_in(what: &str, s: Option<&str>) -> Result<Option<DateTime<Utc>>> {
    s.map(|s| host::parse_time(what, s)).transpose()
}

/// How bad an alert is: `debug < info < warning < error < critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Severity {
    /// Diagnostic noise.
    Debug,
    /// Worth knowing.
    Info,
    /// Something may need attention.
    Warning,
    /// Something is broken.
    Error,
    /// Something is badly broken: page someone.
    Critical,
}

impl From<signalcraft_core::Severity> for Severity {
    fn from(s: signalcraft_core::Severity) -> Self {
        use signalcraft_core::Severity as S;
        match s {
            S::Debug => Self::Debug,
            S::Info => Self::Info,
            S::Warning => Self::Warning,
            S::Error => Self::Error,
            S::Critical => Self::Critical,
        }
    }
}

impl From<Severity> for signalcraft_core::Severity {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Debug => Self::Debug,
            Severity::Info => Self::Info,
            Severity::Warning => Self::Warning,
            Severity::Error => Self::Error,
            Severity::Critical => Self::Critical,
        }
    }
}

/// Where a group is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum GroupStatus {
    /// Firing and nobody has said they are on it.
    Open,
    /// Someone is on it.
    Acknowledged,
    /// Muted until a time.
    Snoozed,
    /// Over.
    Resolved,
}

impl From<signalcraft_core::GroupStatus> for GroupStatus {
    fn from(s: signalcraft_core::GroupStatus) -> Self {
        use signalcraft_core::GroupStatus as S;
        match s {
            S::Open => Self::Open,
            S::Acknowledged => Self::Acknowledged,
            S::Snoozed => Self::Snoozed,
            S::Resolved => Self::Resolved,
        }
    }
}

impl From<GroupStatus> for signalcraft_core::GroupStatus {
    fn from(s: GroupStatus) -> Self {
        match s {
            GroupStatus::Open => Self::Open,
            GroupStatus::Acknowledged => Self::Acknowledged,
            GroupStatus::Snoozed => Self::Snoozed,
            GroupStatus::Resolved => Self::Resolved,
        }
    }
}

/// Who may do what: a viewer reads, a member acts, an admin configures, an owner administers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Role {
    /// Reads only.
    Viewer,
    /// Works alerts: every group command.
    Member,
    /// Also configures: rules, silences, maintenance, escalation, integrations.
    Admin,
    /// Everything.
    Owner,
}

impl From<lifecycle::Role> for Role {
    fn from(r: lifecycle::Role) -> Self {
        match r {
            lifecycle::Role::Viewer => Self::Viewer,
            lifecycle::Role::Member => Self::Member,
            lifecycle::Role::Admin => Self::Admin,
            lifecycle::Role::Owner => Self::Owner,
        }
    }
}

impl From<Role> for lifecycle::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Viewer => Self::Viewer,
            Role::Member => Self::Member,
            Role::Admin => Self::Admin,
            Role::Owner => Self::Owner,
        }
    }
}

/// A workspace.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Workspace {
    /// Its opaque id.
    pub id: String,
    /// Its unique name.
    pub name: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

impl From<signalcraft_core::Workspace> for Workspace {
    fn from(w: signalcraft_core::Workspace) -> Self {
        Self {
            id: w.id.to_string(),
            name: w.name,
            created_at: time_out(w.created_at),
        }
    }
}

/// What became of a delivery as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Outcome {
    /// Stored (every alert in it has an entry in `alerts`).
    Accepted,
    /// Seen before: nothing changed.
    Duplicate,
    /// A valid payload that carries no alert: nothing stored.
    Ignored,
}

impl From<signalcraft_core::Outcome> for Outcome {
    fn from(o: signalcraft_core::Outcome) -> Self {
        match o {
            signalcraft_core::Outcome::Accepted => Self::Accepted,
            signalcraft_core::Outcome::Duplicate => Self::Duplicate,
            signalcraft_core::Outcome::Ignored => Self::Ignored,
        }
    }
}

/// What ingest decided for one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IngestDecision {
    /// Opened a new group.
    NewGroup,
    /// Joined an unresolved group.
    Joined,
    /// Reopened a recently resolved group.
    Reopened,
    /// The source resolved the group.
    Resolved,
    /// The source assigned someone on the group.
    Assigned,
    /// The source acknowledged the group.
    Acknowledged,
    /// A resolve or assignment for which no group is unresolved: stored, nothing changed.
    Unmatched,
    /// This alert's event id was already ingested: nothing stored for it.
    Duplicate,
}

impl From<signalcraft_core::IngestDecision> for IngestDecision {
    fn from(d: signalcraft_core::IngestDecision) -> Self {
        use signalcraft_core::IngestDecision as D;
        match d {
            D::NewGroup => Self::NewGroup,
            D::Joined => Self::Joined,
            D::Reopened => Self::Reopened,
            D::Resolved => Self::Resolved,
            D::Assigned => Self::Assigned,
            D::Acknowledged => Self::Acknowledged,
            D::Unmatched => Self::Unmatched,
            D::Duplicate => Self::Duplicate,
        }
    }
}

/// What routing decided for one event.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RouteDecision {
    /// The ids of the rules that matched, in evaluation order.
    pub matched: Vec<String>,
    /// The channels notified by this event (empty when suppressed, or when nothing is due).
    pub notify: Vec<String>,
    /// The channels the matched rules (or the default route) name.
    pub intended: Vec<String>,
    /// `rule:ID`, `silence:ID` or `maintenance:ID` when notifications are suppressed.
    pub suppressed_by: Option<String>,
    /// Mentions for the notification.
    pub mention: Vec<String>,
    /// The escalation policy named by the first matched rule that names one.
    pub escalation: Option<String>,
    /// The severity set by the first matched rule that sets one.
    pub set_severity: Option<Severity>,
    /// How long to hold the first notification.
    pub group_wait_secs: u64,
    /// Whether no rule matched and the default route applied.
    pub default_route: bool,
}

impl From<signalcraft_core::RouteDecision> for RouteDecision {
    fn from(r: signalcraft_core::RouteDecision) -> Self {
        Self {
            matched: r.matched,
            notify: r.notify,
            intended: r.intended,
            suppressed_by: r.suppressed_by,
            mention: r.mention,
            escalation: r.escalation,
            set_severity: r.set_severity.map(Into::into),
            group_wait_secs: r.group_wait_secs,
            default_route: r.default_route,
        }
    }
}

/// One alert's result.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IngestedAlert {
    /// The group it went to (none when unmatched).
    pub group_id: Option<String>,
    /// The stored event's id (none for a duplicate).
    pub event_id: Option<String>,
    /// What happened.
    pub decision: IngestDecision,
    /// The group's status after this event.
    pub status: Option<GroupStatus>,
    /// Firing events in the group after this event.
    pub count: u64,
    /// The alert's severity (after a rule's `set_severity`).
    pub severity: Severity,
    /// The source's fingerprint.
    pub fingerprint: String,
    /// The alert's title.
    pub title: String,
    /// What routing decided (absent for duplicates).
    pub route: Option<RouteDecision>,
    /// How the decision was made: JSON text (an open-ended tree).
    pub trace: String,
}

impl From<signalcraft_core::IngestedAlert> for IngestedAlert {
    fn from(a: signalcraft_core::IngestedAlert) -> Self {
        Self {
            group_id: a.group_id.map(|g| g.to_string()),
            event_id: a.event_id,
            decision: a.decision.into(),
            status: a.status.map(Into::into),
            count: a.count,
            severity: a.severity.into(),
            fingerprint: a.fingerprint,
            title: a.title,
            route: a.route.map(Into::into),
            trace: a.trace.to_string(),
        }
    }
}

/// The answer to one ingest.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct IngestOutcome {
    /// Accepted, duplicate or ignored.
    pub outcome: Outcome,
    /// Why, for duplicate and ignored.
    pub reason: Option<String>,
    /// The source that parsed it (`sentry`, `alertmanager`, …).
    pub source: String,
    /// One entry per alert.
    pub alerts: Vec<IngestedAlert>,
    /// How the payload was recognized, when worth saying.
    pub notes: Vec<String>,
}

impl From<signalcraft_core::IngestOutcome> for IngestOutcome {
    fn from(o: signalcraft_core::IngestOutcome) -> Self {
        Self {
            outcome: o.outcome.into(),
            reason: o.reason,
            source: o.source.as_str().to_string(),
            alerts: o.alerts.into_iter().map(Into::into).collect(),
            notes: o.notes,
        }
    }
}

/// A group of alerts that are the same problem.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct AlertGroup {
    /// Its opaque id.
    pub id: String,
    /// The group key (hex), shared by every group that ever held this problem.
    pub group_key: String,
    /// Where its alerts come from.
    pub source: String,
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
    pub tags: HashMap<String, String>,
    /// Who is assigned, if anyone.
    pub assignee: Option<String>,
    /// Firing events in the group.
    pub count: u64,
    /// How many times it was reopened.
    pub reopen_count: u64,
    /// The first firing event's receipt time.
    pub first_seen: String,
    /// The last firing event's receipt time.
    pub last_seen: String,
    /// The last change of any kind.
    pub last_activity: String,
    /// When it was resolved, if it is.
    pub resolved_at: Option<String>,
    /// When a snooze ends, if it is snoozed.
    pub snoozed_until: Option<String>,
    /// When it was first acknowledged (since it last opened).
    pub acknowledged_at: Option<String>,
    /// A runbook link.
    pub runbook: Option<String>,
}

impl From<signalcraft_core::AlertGroup> for AlertGroup {
    fn from(g: signalcraft_core::AlertGroup) -> Self {
        Self {
            id: g.id.to_string(),
            group_key: g.group_key,
            source: g.source.as_str().to_string(),
            project: g.project,
            environment: g.environment,
            severity: g.severity.into(),
            status: g.status.into(),
            title: g.title,
            message: g.message,
            fingerprint: g.fingerprint,
            link: g.link,
            tags: g.tags.into_iter().collect(),
            assignee: g.assignee,
            count: g.count,
            reopen_count: g.reopen_count,
            first_seen: time_out(g.first_seen),
            last_seen: time_out(g.last_seen),
            last_activity: time_out(g.last_activity),
            resolved_at: g.resolved_at.map(time_out),
            snoozed_until: g.snoozed_until.map(time_out),
            acknowledged_at: g.acknowledged_at.map(time_out),
            runbook: g.runbook,
        }
    }
}

/// A page of groups.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct GroupPage {
    /// The groups, in the query's order.
    pub groups: Vec<AlertGroup>,
    /// Pass this as `cursor` for the next page; `nil` on the last page.
    pub next_cursor: Option<String>,
}

impl From<signalcraft_core::GroupPage> for GroupPage {
    fn from(p: signalcraft_core::GroupPage) -> Self {
        Self {
            groups: p.groups.into_iter().map(Into::into).collect(),
            next_cursor: p.next_cursor,
        }
    }
}

/// The order of a group listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum GroupSort {
    /// By the last firing event (the default).
    LastSeen,
    /// By the first firing event.
    FirstSeen,
    /// By severity.
    Severity,
    /// By firing event count.
    Count,
    /// By the last change of any kind.
    LastActivity,
    /// By status, open first (descending).
    Status,
    /// By title (ASCII case folded).
    Title,
    /// By source name.
    Source,
    /// By project (none as the empty text).
    Project,
    /// By environment (none as the empty text).
    Environment,
    /// By assignee (unassigned as the empty text).
    Assignee,
}

impl From<signalcraft_core::group::GroupSort> for GroupSort {
    fn from(s: signalcraft_core::group::GroupSort) -> Self {
        use signalcraft_core::group::GroupSort as S;
        match s {
            S::LastSeen => Self::LastSeen,
            S::FirstSeen => Self::FirstSeen,
            S::Severity => Self::Severity,
            S::Count => Self::Count,
            S::LastActivity => Self::LastActivity,
            S::Status => Self::Status,
            S::Title => Self::Title,
            S::Source => Self::Source,
            S::Project => Self::Project,
            S::Environment => Self::Environment,
            S::Assignee => Self::Assignee,
        }
    }
}

impl From<GroupSort> for signalcraft_core::group::GroupSort {
    fn from(s: GroupSort) -> Self {
        match s {
            GroupSort::LastSeen => Self::LastSeen,
            GroupSort::FirstSeen => Self::FirstSeen,
            GroupSort::Severity => Self::Severity,
            GroupSort::Count => Self::Count,
            GroupSort::LastActivity => Self::LastActivity,
            GroupSort::Status => Self::Status,
            GroupSort::Title => Self::Title,
            GroupSort::Source => Self::Source,
            GroupSort::Project => Self::Project,
            GroupSort::Environment => Self::Environment,
            GroupSort::Assignee => Self::Assignee,
        }
    }
}

/// Which way a listing runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SortOrder {
    /// Highest first (the default).
    Desc,
    /// Lowest first.
    Asc,
}

impl From<signalcraft_core::group::SortOrder> for SortOrder {
    fn from(o: signalcraft_core::group::SortOrder) -> Self {
        match o {
            signalcraft_core::group::SortOrder::Desc => Self::Desc,
            signalcraft_core::group::SortOrder::Asc => Self::Asc,
        }
    }
}

impl From<SortOrder> for signalcraft_core::group::SortOrder {
    fn from(o: SortOrder) -> Self {
        match o {
            SortOrder::Desc => Self::Desc,
            SortOrder::Asc => Self::Asc,
        }
    }
}

/// Which groups to list; every field is optional (`GroupQuery()` is every group, by last seen,
/// newest first, 50 a page).
#[derive(Debug, Clone, Default, PartialEq, uniffi::Record)]
pub struct GroupQuery {
    /// Only these statuses (every status when empty).
    #[uniffi(default)]
    pub status: Vec<GroupStatus>,
    /// Only these severities (every severity when empty).
    #[uniffi(default)]
    pub severity: Vec<Severity>,
    /// Only this environment.
    #[uniffi(default)]
    pub environment: Option<String>,
    /// Only this project.
    #[uniffi(default)]
    pub project: Option<String>,
    /// Only this source (`sentry`, …).
    #[uniffi(default)]
    pub source: Option<String>,
    /// Only this severity or worse.
    #[uniffi(default)]
    pub min_severity: Option<Severity>,
    /// Only groups assigned to this name; `"none"` for unassigned groups.
    #[uniffi(default)]
    pub assignee: Option<String>,
    /// Only groups whose title or message contains this text (at most 256 characters).
    #[uniffi(default)]
    pub q: Option<String>,
    /// Only groups last seen at or after this time (RFC 3339).
    #[uniffi(default)]
    pub since: Option<String>,
    /// Only groups last seen before this time (RFC 3339).
    #[uniffi(default)]
    pub until: Option<String>,
    /// The order (`lastSeen` when nil).
    #[uniffi(default)]
    pub sort: Option<GroupSort>,
    /// Which way (`desc` when nil).
    #[uniffi(default)]
    pub order: Option<SortOrder>,
    /// Page size (default 50, 1 to 1000).
    #[uniffi(default)]
    pub limit: Option<u32>,
    /// Where the previous page ended (a cursor is tied to its sort and order).
    #[uniffi(default)]
    pub cursor: Option<String>,
}

impl From<signalcraft_core::GroupQuery> for GroupQuery {
    fn from(q: signalcraft_core::GroupQuery) -> Self {
        Self {
            status: q.status.into_iter().map(Into::into).collect(),
            severity: q.severity.into_iter().map(Into::into).collect(),
            environment: q.environment,
            project: q.project,
            source: q.source.map(|s| s.as_str().to_string()),
            min_severity: q.min_severity.map(Into::into),
            assignee: q.assignee,
            q: q.q,
            since: q.since.map(time_out),
            until: q.until.map(time_out),
            sort: Some(q.sort.into()),
            order: Some(q.order.into()),
            limit: q.limit,
            cursor: q.cursor,
        }
    }
}

impl GroupQuery {
    /// The engine's query (a bad source name is `InvalidInput` at `source`, a bad time at
    /// `since` or `until`).
    pub(crate) fn into_core(self) -> Result<signalcraft_core::GroupQuery> {
        Ok(signalcraft_core::GroupQuery {
            status: self.status.into_iter().map(Into::into).collect(),
            severity: self.severity.into_iter().map(Into::into).collect(),
            environment: self.environment,
            project: self.project,
            source: self.source.map(|s| s.parse::<Source>()).transpose()?,
            min_severity: self.min_severity.map(Into::into),
            assignee: self.assignee,
            q: self.q,
            since: time_in("since", self.since.as_deref())?,
            until: time_in("until", self.until.as_deref())?,
            sort: self.sort.map(Into::into).unwrap_or_default(),
            order: self.order.map(Into::into).unwrap_or_default(),
            limit: self.limit,
            cursor: self.cursor,
        })
    }
}

/// What a dry run decided: an ingest outcome, and `stored` (always false: nothing was stored),
/// as the other bindings and the CLI's `rules test` answer it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DryRunOutcome {
    /// Always false.
    pub stored: bool,
    /// Accepted, duplicate or ignored.
    pub outcome: Outcome,
    /// Why, for duplicate and ignored.
    pub reason: Option<String>,
    /// The source that parsed it.
    pub source: String,
    /// One entry per alert.
    pub alerts: Vec<IngestedAlert>,
    /// How the payload was recognized, when worth saying.
    pub notes: Vec<String>,
}

impl From<signalcraft_core::IngestOutcome> for DryRunOutcome {
    fn from(o: signalcraft_core::IngestOutcome) -> Self {
        let o = IngestOutcome::from(o);
        Self {
            stored: false,
            outcome: o.outcome,
            reason: o.reason,
            source: o.source,
            alerts: o.alerts,
            notes: o.notes,
        }
    }
}

/// Whether the engine can serve (what `/readyz` answers).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Readiness {
    /// The database takes a write (a probe, rolled back).
    pub database_writable: bool,
    /// Why not, when it does not.
    pub database_error: Option<String>,
    /// The background loop: `running`, `stopped` or `failed`.
    pub background: String,
}

impl From<signalcraft_core::engine::Readiness> for Readiness {
    fn from(r: signalcraft_core::engine::Readiness) -> Self {
        Self {
            database_writable: r.database_writable,
            database_error: r.database_error,
            background: r.background,
        }
    }
}

/// What a Slack install did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SlackInstall {
    /// The SignalCraft workspace's name.
    pub workspace: String,
    /// Its id.
    pub workspace_id: String,
    /// The Slack team id.
    pub team_id: String,
    /// The Slack team's name, if Slack said.
    pub team_name: Option<String>,
    /// The SignalCraft channel created or updated.
    pub channel: String,
    /// The Slack channel it posts to.
    pub slack_channel: String,
}

impl From<signalcraft_core::engine::SlackInstall> for SlackInstall {
    fn from(r: signalcraft_core::engine::SlackInstall) -> Self {
        Self {
            workspace: r.workspace,
            workspace_id: r.workspace_id,
            team_id: r.team_id,
            team_name: r.team_name,
            channel: r.channel,
            slack_channel: r.slack_channel,
        }
    }
}

/// A lifecycle command on a group.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Command {
    /// Someone is on it.
    Ack,
    /// Nobody is on it after all.
    Unack,
    /// Mute until a time (RFC 3339).
    Snooze {
        /// Until when.
        until: String,
    },
    /// End a snooze early.
    Unsnooze,
    /// It is over.
    Resolve,
    /// It is not over after all.
    Reopen,
    /// Assign someone (or nobody, with `nil`).
    Assign {
        /// The assignee.
        user: Option<String>,
    },
    /// Add a note.
    Note {
        /// The text.
        text: String,
    },
    /// Attach a runbook link.
    Runbook {
        /// The URL.
        url: String,
    },
}

impl From<lifecycle::Command> for Command {
    fn from(c: lifecycle::Command) -> Self {
        use lifecycle::Command as C;
        match c {
            C::Ack => Self::Ack,
            C::Unack => Self::Unack,
            C::Snooze { until } => Self::Snooze {
                until: time_out(until),
            },
            C::Unsnooze => Self::Unsnooze,
            C::Resolve => Self::Resolve,
            C::Reopen => Self::Reopen,
            C::Assign { user } => Self::Assign { user },
            C::Note { text } => Self::Note { text },
            C::Runbook { url } => Self::Runbook { url },
        }
    }
}

impl Command {
    /// The engine's command (a bad snooze time is `InvalidInput` at `until`).
    pub(crate) fn into_core(self) -> Result<lifecycle::Command> {
        use lifecycle::Command as C;
        Ok(match self {
            Self::Ack => C::Ack,
            Self::Unack => C::Unack,
            Self::Snooze { until } => C::Snooze {
                until: host::parse_time("until", &until)?,
            },
            Self::Unsnooze => C::Unsnooze,
            Self::Resolve => C::Resolve,
            Self::Reopen => C::Reopen,
            Self::Assign { user } => C::Assign { user },
            Self::Note { text } => C::Note { text },
            Self::Runbook { url } => C::Runbook { url },
        })
    }
}
