"""The shapes of SignalCraft's answers, for type checkers (the values are plain dicts and lists)."""

from __future__ import annotations

from typing import Any, Literal, Mapping, Optional, Sequence, Tuple, TypedDict, Union

Json = Any
Headers = Union[Mapping[str, str], Sequence[Tuple[str, str]], Sequence[Sequence[str]], None]
Body = Union[bytes, str]
Source = Literal["sentry", "alertmanager", "grafana", "datadog", "pagerduty", "opsgenie", "generic"]
AlertSource = Literal["sentry", "alertmanager", "grafana", "datadog", "pagerduty", "opsgenie", "generic", "monitor"]
"""Where a group's alerts came from: a webhook source, or the engine's own fleet monitors."""
Role = Literal["owner", "admin", "member", "viewer"]

class IngestedAlert(TypedDict):
    group_id: Optional[str]
    event_id: Optional[str]
    decision: Literal[
        "new_group", "joined", "reopened", "resolved", "assigned", "acknowledged", "unmatched", "duplicate"
    ]
    status: Optional[Literal["open", "acknowledged", "snoozed", "resolved"]]
    count: int
    severity: str
    fingerprint: str
    title: str
    route: Optional[dict[str, Any]]
    trace: Json

class IngestOutcome(TypedDict, total=False):
    outcome: Literal["accepted", "duplicate", "ignored"]
    reason: Optional[str]
    source: Source
    alerts: list[IngestedAlert]
    notes: list[str]

class ErrorView(TypedDict):
    kind: str
    message: str
    path: Optional[str]

class BatchSlot(TypedDict, total=False):
    ok: IngestOutcome
    error: ErrorView

class Delivery(TypedDict, total=False):
    source: Source
    headers: Headers
    body: Body

class AlertGroup(TypedDict):
    id: str
    group_key: str
    source: AlertSource
    project: Optional[str]
    environment: Optional[str]
    severity: str
    status: Literal["open", "acknowledged", "snoozed", "resolved"]
    title: str
    message: Optional[str]
    fingerprint: str
    link: Optional[str]
    tags: dict[str, str]
    assignee: Optional[str]
    count: int
    reopen_count: int
    first_seen: str
    last_seen: str
    last_activity: str
    resolved_at: Optional[str]
    snoozed_until: Optional[str]
    acknowledged_at: Optional[str]
    runbook: Optional[str]

class GroupPage(TypedDict):
    groups: list[AlertGroup]
    next_cursor: Optional[str]

class GroupDetail(AlertGroup):
    """A group with its newest 50 events and timeline entries (newest first) and the cursors
    of the rest."""
    events: list[dict[str, Any]]
    events_next: Optional[str]
    timeline: list[dict[str, Any]]
    timeline_next: Optional[str]

class ItemPage(TypedDict):
    """One page of a group's events or timeline, newest first; ``next`` is None at the end."""
    items: list[dict[str, Any]]
    next: Optional[str]

class EventPayload(TypedDict):
    """One stored event with the raw delivery it came from (the whole delivery)."""
    id: str
    group_id: Optional[str]
    source: str
    received_at: str
    alert: dict[str, Any]
    payload: Any
    payload_text: Optional[str]
    headers: list[list[str]]
    purged: bool

StatusName = Literal["open", "acknowledged", "snoozed", "resolved"]
SeverityName = Literal["debug", "info", "warning", "error", "critical"]

class GroupQuery(TypedDict, total=False):
    status: Union[StatusName, str, Sequence[StatusName]]
    severity: Union[SeverityName, str, Sequence[SeverityName]]
    environment: str
    project: str
    source: AlertSource
    min_severity: str
    assignee: str
    q: str
    since: str
    until: str
    sort: Literal[
        "last_seen", "first_seen", "severity", "count", "last_activity",
        "status", "title", "source", "project", "environment", "assignee",
    ]
    order: Literal["desc", "asc"]
    limit: Union[int, str]
    cursor: str

class ActSlot(TypedDict, total=False):
    id: str
    ok: AlertGroup
    error: ErrorView

# functional form: "from" is a Python keyword
NewMaintenance = TypedDict(
    "NewMaintenance",
    {"weekdays": str, "from": str, "to": str, "tz": str, "when": Json, "rules": Union[str, Sequence[str]]},
    total=False,
)

class User(TypedDict):
    id: str
    email: str
    name: Optional[str]
    created_at: str

class Member(TypedDict):
    workspace_id: str
    user_id: str
    email: str
    name: Optional[str]
    role: Role

class Session(TypedDict):
    token: str
    csrf_token: str
    expires_at: str
    user: User

class Membership(TypedDict):
    workspace_id: str
    workspace: str
    role: Role

class TokenPrincipal(TypedDict):
    id: str
    name: str
    workspace_id: str
    role: Role

class Principal(TypedDict):
    kind: Literal["session", "token"]
    actor: str
    user: Optional[User]
    token: Optional[TokenPrincipal]
    csrf_token: Optional[str]
    memberships: list[Membership]

class Workspace(TypedDict):
    id: str
    name: str
    created_at: str

class Access(TypedDict):
    actor: str
    role: Role
    workspace: Workspace
    principal: Principal

class NewApiToken(TypedDict):
    id: str
    token: str
    role: Role
    workspace: str
    name: str
    created_at: str

class ApiToken(TypedDict):
    id: str
    name: str
    role: Role
    workspace: str
    created_at: str
    last_used_at: Optional[str]

class NewIngestKey(TypedDict):
    id: str
    key: str
    source: Source
    created_at: str

class IngestKey(TypedDict):
    id: str
    prefix: str
    created_at: str
    last_used_at: Optional[str]

class DeliveryError(TypedDict):
    at: str
    kind: str
    reason: str
    message: str

class IntegrationHealth(TypedDict):
    last_delivery_at: Optional[str]
    last_accepted_at: Optional[str]
    accepted_24h: int
    rejected_24h: dict[str, int]
    last_error: Optional[DeliveryError]

class IntegrationStatus(TypedDict):
    source: Source
    configured: bool
    has_secret: bool
    max_skew_secs: Optional[int]
    options: Json
    keys: list[IngestKey]
    health: IntegrationHealth

class Change(TypedDict):
    seq: int
    group_id: str
    kind: Literal["event", "status", "assignee", "note", "runbook", "escalation"]
    status: Literal["open", "acknowledged", "snoozed", "resolved"]
    at: str

class ChangePage(TypedDict):
    changes: list[Change]
    last_seq: int

MonitorKind = Literal["git_ci", "registry_freshness", "k8s_workloads", "cloud_cost", "usage_quota", "http_probe"]
MonitorStateName = Literal["pending", "ok", "breach", "error"]

class MonitorSet(TypedDict):
    apps: list[dict[str, Any]]
    monitors: list[dict[str, Any]]

class MonitorReading(TypedDict):
    at: str
    ok: bool
    value: Optional[float]
    unit: Optional[str]
    summary: str
    error: Optional[str]
    details: dict[str, Any]

class HistoryPoint(TypedDict):
    at: str
    ok: bool
    value: Optional[float]

class MonitorState(TypedDict):
    id: str
    app: str
    kind: MonitorKind
    severity: SeverityName
    environment: Optional[str]
    interval_secs: int
    state: MonitorStateName
    breaching: bool
    consecutive: int
    reading: Optional[MonitorReading]
    history: list[HistoryPoint]
    group_id: Optional[str]
    next_due_at: str

class AppView(TypedDict):
    name: str
    repository: Optional[dict[str, Any]]
    image: Optional[dict[str, Any]]
    workload: Optional[dict[str, Any]]
    health_urls: list[str]
    usage: list[str]
    links: dict[str, str]
    monitors: list[MonitorState]
    state: MonitorStateName
    open_alerts: int
    alerts_query: str

__all__ = [
    "Json", "Headers", "Body", "Source", "AlertSource", "Role", "IngestedAlert", "IngestOutcome", "ErrorView",
    "BatchSlot", "Delivery", "AlertGroup", "GroupPage", "GroupDetail", "ItemPage", "EventPayload", "GroupQuery", "User", "Member", "Session",
    "Membership", "TokenPrincipal", "Principal", "Workspace", "Access", "NewApiToken", "ApiToken",
    "NewIngestKey", "IngestKey", "DeliveryError", "IntegrationHealth", "IntegrationStatus",
    "StatusName", "SeverityName", "ActSlot", "NewMaintenance",
    "Change", "ChangePage", "MonitorKind", "MonitorStateName", "MonitorSet", "MonitorReading",
    "HistoryPoint", "MonitorState", "AppView",
]
