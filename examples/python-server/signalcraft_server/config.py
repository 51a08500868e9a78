"""The host's settings: command-line flags (the same as the Node host's) and the environment."""

from __future__ import annotations

import argparse
import os
import re
from dataclasses import dataclass
from typing import Optional, Sequence, Union
from urllib.parse import urlsplit, urlunsplit

DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class SlackSettings:
    """The Slack app (from the environment); OAuth routes answer an error without it."""

    client_id: Optional[str]
    client_secret: Optional[str]
    api_base: Optional[str]
    authorize_url: Optional[str]
    #: Default ``{public URL}/api/slack/oauth/callback``.
    redirect_uri: Optional[str]
    #: The app's signing secret (for the channel the OAuth install makes).
    signing_secret: Optional[str]


@dataclass(frozen=True)
class HostConfig:
    """Everything the app needs besides the open engine."""

    host: str
    port: int
    db: str
    #: ``--metrics-token``: ``/metrics`` then needs ``Authorization: Bearer`` with it.
    metrics_token: Optional[str]
    #: Where the outside world reaches this host (redirect and webhook URLs); None: the request's origin.
    public_url: Optional[str]
    slack: SlackSettings
    #: The largest request body, equal to the engine's.
    max_body_bytes: int
    log_level: str
    #: Seed the demo workspace and serve the loopback sink its webhook channel posts to.
    demo: bool
    #: How often the change feed polls the engine, and how often a stream gets a heartbeat.
    feed_poll_secs: float
    heartbeat_secs: float
    #: uvicorn's ``forwarded_allow_ips`` (only behind a reverse proxy), or None.
    trust_proxy: Optional[str]
    #: Where the built dashboard is (served at ``/`` when it has an index.html).
    dashboard_dir: Optional[str]
    #: Host processes on the port (``--workers``; more than one: see ``workers.py``).
    workers: int = 1


def describe_db(db: str) -> str:
    """The database as logs may show it: a file path as it is, a ``postgres://`` URL without its
    password (in the user part or a ``password`` parameter)."""
    if not re.match(r"(?i)postgres(ql)?://", db):
        return db
    try:
        url = urlsplit(db)
        netloc = url.netloc
        if url.password is not None:
            user, _, host = netloc.rpartition("@")
            netloc = f"{user.partition(':')[0]}:***@{host}"
        query = "&".join(
            "password=***" if part.partition("=")[0] == "password" else part for part in url.query.split("&")
        )
        return urlunsplit((url.scheme, netloc, url.path, query, url.fragment))
    except ValueError:
        return f"{db.partition(':')[0]}://(an unparsable URL)"


def env(*names: str) -> Optional[str]:
    """The first of the variables that is set and not empty."""
    for n in names:
        v = os.environ.get(n)
        if v:
            return v
    return None


def positive_int(name: str, value: Optional[str], fallback: int) -> int:
    if value is None:
        return fallback
    if not re.fullmatch(r"\d+", value) or int(value) <= 0:
        raise ValueError(f"{name}: expected a positive integer, got {value!r}")
    return int(value)


def _port(value: str) -> int:
    if not re.fullmatch(r"\d{1,5}", value) or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"not a port: {value}")
    return int(value)


def _count(value: str) -> int:
    if not re.fullmatch(r"\d{1,3}", value) or not 1 <= int(value) <= 256:
        raise argparse.ArgumentTypeError(f"not a worker count (1 to 256): {value}")
    return int(value)


def parse(argv: Sequence[str], here: str) -> HostConfig:
    """The configuration from ``argv`` and the environment; ``here`` is this host's folder."""
    p = argparse.ArgumentParser(prog="signalcraft-server", description="The SignalCraft server (FastAPI).")
    p.add_argument("--port", type=_port, default=8080)
    p.add_argument("--db", required=True, metavar="PATH|URL", help="a file path, sqlite:PATH, or a postgres:// URL")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--demo", action="store_true")
    p.add_argument("--metrics-token", default=None)
    p.add_argument("--workers", type=_count, default=None, help="host processes on the port (default 1)")
    a = p.parse_args(list(argv))
    public = env("SIGNALCRAFT_PUBLIC_URL")
    trust: Union[str, None] = env("SIGNALCRAFT_TRUST_PROXY")
    if trust in ("1", "true"):
        trust = "*"
    dashboard = env("SIGNALCRAFT_DASHBOARD_DIR") or os.path.join(here, "..", "dashboard", "dist")
    return HostConfig(
        host=a.host,
        port=a.port,
        db=a.db,
        metrics_token=a.metrics_token or env("SIGNALCRAFT_METRICS_TOKEN"),
        public_url=public.rstrip("/") if public else None,
        slack=SlackSettings(
            client_id=env("SLACK_CLIENT_ID", "SIGNALCRAFT_SLACK_CLIENT_ID"),
            client_secret=env("SLACK_CLIENT_SECRET", "SIGNALCRAFT_SLACK_CLIENT_SECRET"),
            api_base=env("SLACK_API_BASE", "SIGNALCRAFT_SLACK_API_BASE"),
            authorize_url=env("SLACK_AUTHORIZE_URL", "SIGNALCRAFT_SLACK_AUTHORIZE_URL"),
            redirect_uri=env("SIGNALCRAFT_SLACK_REDIRECT_URI"),
            signing_secret=env("SLACK_SIGNING_SECRET", "SIGNALCRAFT_SLACK_SIGNING_SECRET"),
        ),
        max_body_bytes=positive_int(
            "SIGNALCRAFT_MAX_BODY_BYTES", env("SIGNALCRAFT_MAX_BODY_BYTES"), DEFAULT_MAX_BODY_BYTES
        ),
        log_level=(env("SIGNALCRAFT_LOG_LEVEL", "LOG_LEVEL") or "info").lower(),
        demo=a.demo,
        feed_poll_secs=positive_int("SIGNALCRAFT_FEED_POLL_MS", env("SIGNALCRAFT_FEED_POLL_MS"), 250) / 1000,
        heartbeat_secs=positive_int("SIGNALCRAFT_HEARTBEAT_MS", env("SIGNALCRAFT_HEARTBEAT_MS"), 15_000)
        / 1000,
        trust_proxy=trust,
        dashboard_dir=os.path.abspath(dashboard),
        workers=a.workers or positive_int("SIGNALCRAFT_WORKERS", env("SIGNALCRAFT_WORKERS"), 1),
    )
