"""Times as timezone-aware ``datetime``s, for code that wants them.

The engine's answers stay JSON-shaped (times are RFC 3339 strings in UTC, with up to nanosecond
precision), so a host can return them as they are. Where Python code wants datetimes:

    from signalcraft.times import parse_time, with_datetimes

    group = engine.group("acme", gid)
    parse_time(group["last_seen"])           # datetime(…, tzinfo=timezone.utc)
    g = with_datetimes(group)                # a copy: every time field a datetime

``parse_time`` reads one RFC 3339 string (nanoseconds are cut to Python's microseconds, the
offset kept); ``with_datetimes`` copies an answer (dicts and lists, at any depth) with the values
of the engine's time fields parsed: keys ending in ``_at``, ``first_seen``, ``last_seen``,
``last_activity``, ``snoozed_until``, ``since``, ``until``, ``at``. Other values, and ``None``, are
left as they are.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

__all__ = ["parse_time", "with_datetimes", "TIME_KEYS"]

#: Keys whose values are times in the engine's answers (besides every key ending in ``_at``).
TIME_KEYS = frozenset({"first_seen", "last_seen", "last_activity", "snoozed_until", "since", "until", "at"})

_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_time(value: str) -> datetime:
    """An RFC 3339 time as an aware ``datetime`` (``ValueError`` if it is not one)."""
    m = _RFC3339.match(value)
    if m is None:
        raise ValueError(f"not an RFC 3339 time: {value!r}")
    day, clock, fraction, offset = m.groups()
    micros = (fraction or "").ljust(6, "0")[:6]
    zone = "+00:00" if offset in ("Z", "z") else offset
    t = datetime.fromisoformat(f"{day}T{clock}.{micros}{zone}")
    return t.astimezone(timezone.utc) if zone == "+00:00" else t


def _is_time_key(key: str) -> bool:
    return key.endswith("_at") or key in TIME_KEYS


def with_datetimes(value: Any) -> Any:
    """A copy of an engine answer with the values of its time fields as aware ``datetime``s."""
    if isinstance(value, dict):
        return {
            k: parse_time(v) if isinstance(v, str) and _is_time_key(k) and _RFC3339.match(v) else with_datetimes(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [with_datetimes(v) for v in value]
    return value
