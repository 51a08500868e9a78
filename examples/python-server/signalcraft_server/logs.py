"""Structured logs: one JSON object per line on stdout (the fields pino writes for the Node host:
``level``, ``time``, ``pid``, ``msg``, ``reqId``, ``req``, ``res``, ``responseTime``), with credentials,
tokens and secrets redacted wherever they appear (keys by name, URLs by their query values)."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from typing import Any

#: Keys whose values are never logged (compared lower-case, at any depth).
SECRET_KEYS = frozenset(
    {
        "authorization",
        "cookie",
        "set-cookie",
        "x-csrf-token",
        "token",
        "password",
        "secret",
        "csrf_token",
        "client_secret",
        "key",
        "access_token",
        "code",
        "state",
    }
)
REDACTED = "[redacted]"

#: Query values that are secrets.
SECRET_QUERY = re.compile(r"([?&](?:key|token|code|state|access_token|client_secret|password)=)[^&#]*", re.I)

#: The record attributes of the stdlib, not fields to log.
_STD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def redact_url(url: str) -> str:
    """The URL with secret query values replaced."""
    return SECRET_QUERY.sub(r"\1" + REDACTED, url)


def redact(value: Any) -> Any:
    """A copy of ``value`` with every secret key's value replaced."""
    if isinstance(value, dict):
        return {k: (REDACTED if str(k).lower() in SECRET_KEYS else redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


class JsonFormatter(logging.Formatter):
    """A record as one JSON line; the ``extra`` fields of a call are logged redacted."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "level": record.levelname.lower(),
            "time": int(record.created * 1000),
            "pid": record.process,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k, v in record.__dict__.items():
            if k not in _STD and not k.startswith("_"):
                out[k] = REDACTED if k.lower() in SECRET_KEYS else redact(v)
        if record.exc_info:
            out["err"] = {
                "type": record.exc_info[0].__name__ if record.exc_info[0] else None,
                "stack": self.formatException(record.exc_info),
            }
        return json.dumps(out, default=str, ensure_ascii=False)


def setup(level: str) -> logging.Logger:
    """Routes the host's, uvicorn's and asyncio's logs through the JSON formatter on stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    # the host writes its own request lines (redacted); uvicorn's access log would repeat them
    logging.getLogger("uvicorn.access").disabled = True
    return logging.getLogger("signalcraft.server")


def monotonic_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)
