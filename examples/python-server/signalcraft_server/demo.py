"""``--demo``: the same demo as the Node host (examples/node-server/src/demo.ts), from the same
bundled real payloads (examples/node-server/fixtures): workspace ``demo`` with an owner
(password printed once), a webhook channel pointed at this host's loopback sink, rules, an
escalation policy, and a day of traffic. Each past moment is ingested by an engine opened on the
same database with its clock pinned to that moment, so received times, dedup windows, timelines
and stats are what they would have been; the serving engine's background loop then delivers
what was queued."""

from __future__ import annotations

import logging
import secrets
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from .engine import Core, open_engine

WORKSPACE = "demo"
OWNER = "owner@example.com"
OWNER_ACTOR = f"user:{OWNER}"
FIXTURES = Path(__file__).resolve().parent.parent.parent / "node-server" / "fixtures"
SENTRY_ALERT = "sentry/issue_alert_triggered.docs.json"


def _sentry(resource: str) -> dict[str, str]:
    return {"Sentry-Hook-Resource": resource}


@dataclass
class Moment:
    """One moment of the demo's day: ``hours_ago``, what arrived, and what someone did then (a
    lifecycle command on the delivery's ``which``-th group)."""

    hours_ago: float
    source: str
    file: str
    headers: dict[str, str] = field(default_factory=dict)
    act: Optional[dict[str, Any]] = None
    which: int = 0


def moments(now: datetime) -> list[Moment]:
    snooze_until = (now + timedelta(hours=3)).isoformat().replace("+00:00", "Z")
    ev = _sentry("event_alert")
    return [
        Moment(23, "sentry", SENTRY_ALERT, ev),
        Moment(22, "sentry", SENTRY_ALERT, ev),
        Moment(21.5, "sentry", SENTRY_ALERT, ev, {"command": "ack"}),
        Moment(20, "alertmanager", "alertmanager/zulip_firing_2_alerts.json"),
        Moment(
            19.5,
            "alertmanager",
            "alertmanager/zulip_firing_2_alerts.json",
            act={"command": "resolve"},
            which=1,
        ),
        Moment(18, "sentry", SENTRY_ALERT, ev),
        Moment(16, "sentry", "sentry/error_created.docs.json", _sentry("error")),
        Moment(
            15,
            "sentry",
            "sentry/error_created.docs.json",
            _sentry("error"),
            {"command": "assign", "user": OWNER},
        ),
        Moment(12, "grafana", "grafana/grafana_docs_firing_2_alerts.json"),
        Moment(
            11,
            "grafana",
            "grafana/grafana_docs_firing_2_alerts.json",
            act={"command": "snooze", "until": snooze_until},
        ),
        Moment(9, "sentry", SENTRY_ALERT, ev),
        Moment(8, "alertmanager", "alertmanager/prometheus-msteams_firing_3_alerts.json"),
        Moment(
            7.5,
            "alertmanager",
            "alertmanager/prometheus-msteams_firing_3_alerts.json",
            act={"command": "note", "text": "looking at the API latency dashboards"},
            which=2,
        ),
        Moment(6, "datadog", "datadog/relay_default_payload_service_check_triggered.json"),
        Moment(5, "pagerduty", "pagerduty/events_v2_trigger.docs.json"),
        Moment(4.5, "pagerduty", "pagerduty/events_v2_acknowledge.docs.json"),
        Moment(3, "opsgenie", "opsgenie/zulip_opsgenie_create.json"),
        Moment(
            2.5,
            "datadog",
            "datadog/relay_default_payload_service_check_triggered.json",
            act={"command": "resolve"},
        ),
        Moment(2, "sentry", SENTRY_ALERT, ev),
        Moment(1, "sentry", "sentry/issue_resolved.zulip.json", _sentry("issue")),
        Moment(0.5, "sentry", SENTRY_ALERT, ev),
    ]


RULES = [
    {
        "id": "errors-page-oncall",
        "name": "Errors and worse go to the on-call hook and escalate",
        "priority": 10,
        "when": {"field": "severity", "op": "gte", "value": "error"},
        "then": {"notify": ["oncall-hook"], "escalation": "default"},
    },
    {
        "id": "everything-else",
        "name": "Everything else is posted to the hook",
        "priority": 100,
        "when": {},
        "then": {"notify": ["oncall-hook"]},
    },
]

ESCALATION = {
    "steps": [
        {"after_mins": 15, "notify": ["oncall-hook"]},
        {"after_mins": 60, "notify": ["oncall-hook"]},
    ],
    "repeat": 0,
}


def _headers(m: Moment) -> list[tuple[str, str]]:
    h = [("Content-Type", "application/json"), *m.headers.items()]
    if m.source == "sentry":
        h.append(("Request-ID", uuid.uuid4().hex))
    return h


def _group_ids(outcome: dict[str, Any]) -> list[str]:
    alerts = outcome.get("alerts") if isinstance(outcome.get("alerts"), list) else []
    return [a["group_id"] for a in alerts if isinstance(a, dict) and isinstance(a.get("group_id"), str)]


def _rfc3339(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def seed_demo(engine: Core, db: str, base: str, max_body_bytes: int, log: logging.Logger) -> None:
    """Seeds the demo workspace once (a database that has it is left as it is)."""
    if any(w["name"] == WORKSPACE for w in engine.workspaces()):
        log.info(
            "demo workspace exists; not seeded again (its owner password was printed when it was made)",
            extra={"workspace": WORKSPACE},
        )
        return
    password = secrets.token_urlsafe(12)
    engine.add_user(OWNER, password, "Demo Owner")
    engine.create_workspace(WORKSPACE, OWNER)
    engine.set_channel(WORKSPACE, "oncall-hook", "webhook", {"url": f"{base}/demo/sink"})
    engine.put_escalation(WORKSPACE, "default", ESCALATION)
    engine.put_rules(WORKSPACE, RULES)

    now = datetime.now(timezone.utc)
    listed = moments(now)
    alerts = 0
    for m in listed:
        past = open_engine(db, max_body_bytes, now=_rfc3339(now - timedelta(hours=m.hours_ago)))
        try:
            out = past.ingest(WORKSPACE, m.source, _headers(m), (FIXTURES / m.file).read_bytes())
            ids = _group_ids(out)
            alerts += len(ids)
            if m.act is not None and m.which < len(ids):
                past.act(WORKSPACE, ids[m.which], m.act, OWNER_ACTOR, "owner")
        finally:
            past.engine.close()
    log.info(
        "demo workspace seeded with a day of traffic",
        extra={"workspace": WORKSPACE, "deliveries": len(listed), "alerts": alerts},
    )
    sys.stdout.write(
        f'\n  SignalCraft demo: workspace "{WORKSPACE}", owner {OWNER}, password {password}\n'
        f"  (shown once; log in with POST {base}/api/session)\n\n"
    )
    sys.stdout.flush()
