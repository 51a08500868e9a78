"""One error shape: the engine's error kind decides the status; every error body is
``{"error": {"kind", "message", "path"}}`` (examples/api/openapi.yaml)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import signalcraft

#: HTTP status by the engine's error kind.
STATUS = {
    "invalid_input": 400,
    "signature": 401,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "too_large": 413,
    "rate_limited": 429,
    "storage": 503,
    "internal": 500,
}


class HostError(Exception):
    """An error raised by the host itself, shaped like the engine's."""

    def __init__(
        self, kind: str, message: str, path: Optional[str] = None, retry_after_secs: Optional[float] = None
    ):
        super().__init__(message)
        self.kind = kind
        self.path = path
        self.retry_after_secs = retry_after_secs


@dataclass(frozen=True)
class ErrorReply:
    """What the client gets for an error."""

    status: int
    kind: str
    message: str
    path: Optional[str]
    retry_after: Optional[int]

    def body(self) -> dict:
        return {"error": {"kind": self.kind, "message": self.message, "path": self.path}}


def error_reply(err: BaseException) -> ErrorReply:
    """The status and body of an engine or host error; anything else is internal (500)."""
    if isinstance(err, (signalcraft.SignalCraftError, HostError)) and getattr(err, "kind", None) in STATUS:
        kind = str(err.kind)
        path = err.path if isinstance(err.path, str) else None
        retry = None
        if kind == "rate_limited":
            secs = getattr(err, "retry_after_secs", None)
            retry = max(1, math.ceil(secs)) if isinstance(secs, (int, float)) else 1
        return ErrorReply(STATUS[kind], kind, str(err), path, retry)
    if isinstance(err, UnicodeEncodeError):
        # a JSON string with a lone surrogate (\ud800) cannot become the engine's UTF-8
        return ErrorReply(400, "invalid_input", "text is not valid Unicode (a lone surrogate)", "body", None)
    return ErrorReply(500, "internal", "internal error", None, None)
