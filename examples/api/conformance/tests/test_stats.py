"""Dashboard figures: totals, noisy lists, the series in hourly (5-minute for 1 h) buckets."""

from datetime import datetime, timedelta

from helpers import error_of, new_sentry_group, ok_json, ws_path

SEVERITIES = {"debug", "info", "warning", "error", "critical"}


def at(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def test_stats_over_a_day_and_an_hour(viewer, owner, sentry_secret):
    before = ok_json(viewer.get(f"{ws_path()}/stats", params={"window": "24h"}))
    new_sentry_group(owner, sentry_secret)
    new_sentry_group(owner, sentry_secret)
    day = ok_json(viewer.get(f"{ws_path()}/stats", params={"window": "24h"}))
    assert day["window"] == "24h"
    assert at(day["until"]) - at(day["since"]) == timedelta(hours=24)
    assert day["events"] - before["events"] == 2 and day["new_groups"] - before["new_groups"] == 2
    assert 0.0 <= day["dedup_ratio"] <= 1.0
    assert "sentry" in day["last_event_by_source"]
    assert any(n["name"] == "sentry" and n["events"] >= 2 for n in day["noisy"]["sources"])
    series = day["series"]
    assert 24 <= len(series) <= 25, len(series)
    steps = {at(b["at"]) - at(a["at"]) for a, b in zip(series, series[1:])}
    assert steps == {timedelta(hours=1)}, steps
    assert sum(b["events"] for b in series) == day["events"]
    assert sum(b["new_groups"] for b in series) == day["new_groups"]
    for b in series:
        assert set(b["by_severity"]) == SEVERITIES and sum(b["by_severity"].values()) == b["events"]
    assert series[-1]["by_severity"]["error"] >= 2

    hour = ok_json(viewer.get(f"{ws_path()}/stats", params={"window": "1h"}))
    steps = {at(b["at"]) - at(a["at"]) for a, b in zip(hour["series"], hour["series"][1:])}
    assert steps == {timedelta(minutes=5)} and 12 <= len(hour["series"]) <= 13

    # the default window is 24h
    assert ok_json(viewer.get(f"{ws_path()}/stats"))["window"] == "24h"
    error_of(viewer.get(f"{ws_path()}/stats", params={"window": "forever"}), 400, "invalid_input", "window")
