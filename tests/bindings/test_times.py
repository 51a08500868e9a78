"""signalcraft.times: the engine's RFC 3339 strings as aware datetimes, on real answers."""

from __future__ import annotations

import pathlib
from datetime import datetime, timedelta, timezone

import pytest

import signalcraft
from signalcraft.times import parse_time, with_datetimes

SENTRY = pathlib.Path(__file__).resolve().parent.parent.parent / "core" / "tests" / "fixtures" / "sentry" / "issue_alert_triggered.docs.json"


def test_parse_time_reads_the_engines_times() -> None:
    assert parse_time("2026-11-30T12:00:00Z") == datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    # nanoseconds are cut to microseconds
    assert parse_time("2026-12-08T08:39:02.280397247Z") == datetime(2026, 12, 8, 8, 39, 2, 280397, tzinfo=timezone.utc)
    assert parse_time("2026-12-08T08:39:02.5Z").microsecond == 500000
    t = parse_time("2026-11-30T13:30:00+01:30")
    assert t.utcoffset() == timedelta(hours=1, minutes=30) and t == datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    for bad in ("2026-11-30", "2026-11-30T12:00:00", "yesterday", "2026-11-30T12:00:00.1234567890Z"):
        with pytest.raises(ValueError):
            parse_time(bad)


def test_with_datetimes_copies_an_answer_with_its_times_parsed(tmp_path: pathlib.Path) -> None:
    with signalcraft.Engine(str(tmp_path / "t.db"), now="2026-11-30T12:00:00Z") as e:
        e.create_workspace("acme")
        gid = e.ingest("acme", "sentry", {"Sentry-Hook-Resource": "event_alert"}, SENTRY.read_bytes())["alerts"][0]["group_id"]
        e.act("acme", gid, {"command": "ack"}, "alice", "member")
        group = e.group("acme", gid)
    g = with_datetimes(group)
    now = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    assert g["first_seen"] == now and g["last_seen"] == now and g["acknowledged_at"] == now
    assert g["resolved_at"] is None and g["snoozed_until"] is None
    assert all(isinstance(t["at"], datetime) for t in g["timeline"]) and g["timeline"]
    assert g["title"] == group["title"] and g["id"] == gid  # other fields as they were
    assert isinstance(group["first_seen"], str), "the answer itself is left as it is"
