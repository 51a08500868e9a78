"""The exceptions SignalCraft raises: one family, a class per kind of engine error.

Every exception has ``kind`` (the engine's stable name, as the CLI prints it: ``invalid_input``,
``signature``, ``not_found``, ``storage``, ``conflict``, ``forbidden``, ``internal``,
``unauthenticated``, ``rate_limited``, ``too_large``) and ``path``
(where bad input is, as a JSON path such as ``rules[2].when.op``; ``None`` for other kinds).
"""

from __future__ import annotations

from typing import Optional


class SignalCraftError(Exception):
    """Every error of the engine."""

    kind: str = "internal"
    path: Optional[str] = None


class InvalidInputError(SignalCraftError, ValueError):
    """The input (payload, option, query, command) is malformed or not allowed."""

    kind = "invalid_input"


class SignatureError(SignalCraftError):
    """A webhook signature or timestamp did not verify."""

    kind = "signature"


class NotFoundError(SignalCraftError, LookupError):
    """A workspace, group or other named thing does not exist."""

    kind = "not_found"


class StorageError(SignalCraftError, OSError):
    """The database failed (I/O, disk full, locked too long, corrupt)."""

    kind = "storage"


class ConflictError(SignalCraftError):
    """The command does not apply to the group's current state."""

    kind = "conflict"


class ForbiddenError(SignalCraftError, PermissionError):
    """The actor's role does not allow the command."""

    kind = "forbidden"


class UnauthenticatedError(SignalCraftError):
    """No valid credential: bad login credentials, or a missing, wrong, expired or revoked
    session, token or ingest key."""

    kind = "unauthenticated"


class RateLimitedError(SignalCraftError):
    """Too many requests; ``retry_after_secs`` says when a retry can succeed."""

    kind = "rate_limited"
    retry_after_secs: int = 1


class TooLargeError(SignalCraftError):
    """The request body is over the engine's size limit."""

    kind = "too_large"


class InternalError(SignalCraftError):
    """A bug: an invariant the engine relies on did not hold."""

    kind = "internal"


__all__ = [
    "SignalCraftError",
    "InvalidInputError",
    "SignatureError",
    "NotFoundError",
    "StorageError",
    "ConflictError",
    "ForbiddenError",
    "UnauthenticatedError",
    "RateLimitedError",
    "TooLargeError",
    "InternalError",
]
