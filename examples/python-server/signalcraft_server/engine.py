"""The engine as this host calls it: the ``signalcraft`` package's ``Engine``, whose answers the
host passes on as they are (plain dicts and lists shaped like the CLI's JSON).

The host looks inside an answer only where it must: a session's token for the cookie, a
principal's user for workspace creation, a change's ``seq`` for the stream.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Union

import os

import signalcraft

from .errors import HostError

#: Every engine call the host makes (the Node names in snake_case, as tests/bindings/methods.json lists them). Calls the installed
#: package lacks are listed at start and raise ``internal`` naming themselves.
CALLS = (
    "login",
    "logout",
    "authenticate",
    "authorize",
    "add_user",
    "create_workspace",
    "workspaces",
    "set_member",
    "remove_member",
    "members",
    "create_token",
    "tokens",
    "revoke_token",
    "settings",
    "set_settings",
    "webhook",
    "ingest",
    "dry_run",
    "integrations",
    "integration",
    "set_integration",
    "create_ingest_key",
    "revoke_ingest_key",
    "test_integration",
    "groups",
    "group",
    "group_events",
    "group_timeline",
    "event",
    "act",
    "act_many",
    "deliveries",
    "stats",
    "changes",
    "rules",
    "put_rules",
    "check_rules",
    "replay",
    "add_silence",
    "silences",
    "expire_silence",
    "add_maintenance",
    "maintenance_windows",
    "delete_maintenance",
    "escalations",
    "put_escalation",
    "delete_escalation",
    "channels",
    "set_channel",
    "delete_channel",
    "test_channel",
    "slack_connect",
    "slack_oauth_callback",
    "handle_slack_action",
    "handle_slack_team_action",
    "set_slack_integration",
    "put_monitors",
    "monitors",
    "monitor_status",
    "run_monitor",
    "apps",
    "metrics_text",
)

#: Calls the host uses when the package has them and does without otherwise.
OPTIONAL = ("ready", "patch_settings")


def lacks(name: str) -> HostError:
    """The error a call the installed package lacks raises: internal, naming it."""
    return HostError("internal", f"the signalcraft package has no {name}() (reinstall bindings-python)")


class Core:
    """The open engine; a call the package lacks raises :func:`lacks` instead of AttributeError."""

    def __init__(self, engine: signalcraft.Engine) -> None:
        self.engine = engine
        self.missing = [n for n in CALLS if not callable(getattr(engine, n, None))]

    def has(self, name: str) -> bool:
        """Whether the installed package has ``name`` (for the optional calls)."""
        return callable(getattr(self.engine, name, None))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        fn = getattr(self.engine, name, None)
        if callable(fn):
            return fn  # type: ignore[no-any-return]

        def missing(*_args: Any, **_kwargs: Any) -> Any:
            raise lacks(name)

        return missing


def private_targets_from_env(value: Optional[str]) -> Union[bool, list[str], None]:
    """``SIGNALCRAFT_ALLOW_PRIVATE_TARGETS`` as the engine's ``allow_private_targets``: ``1`` (or
    ``all``) lets channels reach every non-public address, a comma-separated list of CIDRs those
    networks; unset, empty or ``0`` keeps the engine's default (refused). The engine checks the
    CIDRs."""
    v = (value or "").strip()
    if v in ("", "0"):
        return None
    if v in ("1", "all"):
        return True
    return [s.strip() for s in v.split(",") if s.strip()]


def open_engine(path: str, max_body_bytes: int, now: Optional[str] = None) -> Core:
    """Opens the engine on a database file; channels may reach what
    ``SIGNALCRAFT_ALLOW_PRIVATE_TARGETS`` allows."""
    allow = private_targets_from_env(os.environ.get("SIGNALCRAFT_ALLOW_PRIVATE_TARGETS"))
    return Core(signalcraft.Engine(path, max_body_bytes=max_body_bytes, now=now, allow_private_targets=allow))
