"""``--demo``: the same demo as the Node host (examples/node-server/src/demo.ts), from the same
bundled real payloads (examples/node-server/fixtures): workspace ``demo`` with an owner
(password printed once), a webhook channel pointed at this host's loopback sink, rules, an
escalation policy, HTTP probes of this host's own /healthz and /readyz (demo.json's
``monitors``), and a day of traffic (some acknowledged, assigned, snoozed, resolved, noted).
Each past moment is ingested by an engine opened on the same database with its clock pinned to
that moment, so received times, dedup windows, timelines and stats are what they would have
been; the serving engine's background loop then delivers what was queued."""

from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from .engine import Core, open_engine

WORKSPACE = "demo"
OWNER = "owner@example.com"
OWNER_ACTOR = f"user:{OWNER}"
FIXTURES = Path(__file__).resolve().parent.parent.parent / "node-server" / "fixtures"

SENTRY_ALERT = {
    "source": "sentry",
    "file": "sentry/issue_alert_triggered.docs.json",
    "headers": {"Sentry-Hook-Resource": "event_alert"},
}
SENTRY_ERROR = {
    "source": "sentry",
    "file": "sentry/error_created.docs.json",
    "headers": {"Sentry-Hook-Resource": "error"},
}
DATADOG = {"source": "datadog", "file": "datadog/relay_default_payload_service_check_triggered.json"}
GRAFANA = {"source": "grafana", "file": "grafana/grafana_docs_firing_2_alerts.json"}
ZULIP_AM = {"source": "alertmanager", "file": "alertmanager/zulip_firing_2_alerts.json"}
MSTEAMS_AM = {"source": "alertmanager", "file": "alertmanager/prometheus-msteams_firing_3_alerts.json"}
PAGERDUTY = {"source": "pagerduty", "file": "pagerduty/events_v2_trigger.docs.json"}
OPSGENIE = {"source": "opsgenie", "file": "opsgenie/zulip_opsgenie_create.json"}


@dataclass
class Moment:
    """One moment of the demo's day: ``hours_ago``, what arrived (if anything), and what someone
    did then: a lifecycle command on the ``which``-th group of moment ``on``'s delivery (default:
    this moment's)."""

    hours_ago: float
    delivery: Optional[dict[str, Any]] = None
    act: Optional[dict[str, Any]] = None
    on: Optional[int] = None
    which: int = 0


def _rfc3339(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def moments(now: datetime) -> list[Moment]:
    snooze_until = _rfc3339(now + timedelta(hours=3))
    return [
        Moment(23, SENTRY_ALERT),  # 0
        Moment(22, SENTRY_ALERT),  # 1
        Moment(21.5, act={"command": "ack"}, on=0),  # 2
        Moment(20, ZULIP_AM),  # 3
        Moment(19.5, act={"command": "resolve"}, on=3, which=1),  # 4
        Moment(18, SENTRY_ALERT),  # 5
        Moment(16, SENTRY_ERROR),  # 6
        Moment(15, act={"command": "assign", "user": OWNER}, on=6),  # 7
        Moment(14.5, SENTRY_ERROR),  # 8
        Moment(12, GRAFANA),  # 9
        Moment(11, act={"command": "snooze", "until": snooze_until}, on=9),  # 10
        Moment(9, SENTRY_ALERT),  # 11
        Moment(8, MSTEAMS_AM),  # 12
        Moment(
            7.5, act={"command": "note", "text": "looking at the memory dashboards"}, on=12, which=2
        ),  # 13
        Moment(6, DATADOG),  # 14
        Moment(5.5, DATADOG),  # 15
        Moment(5, PAGERDUTY),  # 16
        Moment(4.5, act={"command": "ack"}, on=16),  # 17
        Moment(3, OPSGENIE),  # 18
        Moment(2.5, act={"command": "resolve"}, on=14),  # 19
        Moment(2, SENTRY_ALERT),  # 20
        Moment(1, MSTEAMS_AM),  # 21
        Moment(0.5, SENTRY_ALERT),  # 22
    ]


def fresh_event(source: str, body: bytes) -> bytes:
    """The fixture as a new event: a re-fired alert carries its own event id (Sentry
    ``event_id``, Datadog ``id``), otherwise the engine rightly answers the repeat as a duplicate."""
    text = body.decode("utf-8")
    if source == "sentry":
        text = re.sub(r'"event_id": "[0-9a-f]{32}"', f'"event_id": "{uuid.uuid4().hex}"', text, count=1)
    elif source == "datadog":
        text = re.sub(r'"id": "(\d+)"\n}', f'"id": "{secrets.randbits(62)}"\n}}', text, count=1)
    return text.encode("utf-8")


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


def _headers(d: dict[str, Any]) -> list[tuple[str, str]]:
    h = [("Content-Type", "application/json"), *d.get("headers", {}).items()]
    if d["source"] == "sentry":
        h.append(("Request-ID", uuid.uuid4().hex))
    return h


def _group_ids(outcome: dict[str, Any]) -> list[str]:
    alerts = outcome.get("alerts") if isinstance(outcome.get("alerts"), list) else []
    return [a["group_id"] for a in alerts if isinstance(a, dict) and isinstance(a.get("group_id"), str)]


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
    # A repeat joins its group until someone resolves it, so the inbox shows counts.
    settings = engine.settings(WORKSPACE)
    if isinstance(settings.get("dedup"), dict):
        engine.set_settings(
            WORKSPACE, {**settings, "dedup": {**settings["dedup"], "window": "until_resolved"}}
        )
    engine.set_channel(WORKSPACE, "oncall-hook", "webhook", {"url": f"{base}/demo/sink"})
    engine.put_escalation(WORKSPACE, "default", ESCALATION)
    engine.put_rules(WORKSPACE, RULES)
    # the fleet monitors of demo.json (shared with the node host): probes of this host's own
    # /healthz and /readyz, which the background loop checks
    doc = json.loads((FIXTURES / "demo.json").read_text(encoding="utf-8")).get("monitors")
    if doc is not None:
        engine.put_monitors(WORKSPACE, json.loads(json.dumps(doc).replace("{base}", base)))

    now = datetime.now(timezone.utc)
    listed = moments(now)
    groups_of: list[list[str]] = []
    alerts = 0
    for i, m in enumerate(listed):
        past = open_engine(db, max_body_bytes, now=_rfc3339(now - timedelta(hours=m.hours_ago)))
        try:
            groups_of.append([])
            if m.delivery is not None:
                d = m.delivery
                body = fresh_event(d["source"], (FIXTURES / d["file"]).read_bytes())
                groups_of[i] = _group_ids(past.ingest(WORKSPACE, d["source"], _headers(d), body))
                alerts += len(groups_of[i])
            if m.act is not None:
                ids = groups_of[i if m.on is None else m.on]
                if m.which < len(ids):
                    past.act(WORKSPACE, ids[m.which], m.act, OWNER_ACTOR, "owner")
        finally:
            past.engine.close()
    deliveries = sum(1 for m in listed if m.delivery is not None)
    log.info(
        "demo workspace seeded with a day of traffic",
        extra={"workspace": WORKSPACE, "deliveries": deliveries, "alerts": alerts},
    )
    sys.stdout.write(
        f'\n  SignalCraft demo: workspace "{WORKSPACE}", owner {OWNER}, password {password}\n'
        f"  (shown once; log in with POST {base}/api/session)\n\n"
    )
    sys.stdout.flush()
