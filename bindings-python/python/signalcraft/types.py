"""The shapes of SignalCraft's answers, for type checkers (the values are plain dicts and lists)."""

from __future__ import annotations

from typing import Any, Literal, Mapping, Optional, Sequence, Tuple, TypedDict, Union

Json = Any
Headers = Union[Mapping[str, str], Sequence[Tuple[str, str]], Sequence[Sequence[str]], None]
Body = Union[bytes, str]
Source = Literal["sentry", "alertmanager", "grafana", "datadog", "pagerduty", "opsgenie", "generic"]
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
    source: Source
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

StatusName = Literal["open", "acknowledged", "snoozed", "resolved"]
SeverityName = Literal["debug", "info", "warning", "error", "critical"]

class GroupQuery(TypedDict, total=False):
    status: Union[StatusName, str, Sequence[StatusName]]
    severity: Union[SeverityName, str, Sequence[SeverityName]]
    environment: str
    project: str
    source: Source
    min_severity: str
    assignee: str
    q: str
    since: str
    until: str
    sort: Literal["last_seen", "first_seen", "severity", "count", "last_activity"]
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

__all__ = [
    "Json", "Headers", "Body", "Source", "Role", "IngestedAlert", "IngestOutcome", "ErrorView",
    "BatchSlot", "Delivery", "AlertGroup", "GroupPage", "GroupQuery", "StatusName", "SeverityName",
    "ActSlot", "NewMaintenance",
]
